Feature: A terminating namespace gets no new service accounts
  The service-account controller acts only on namespaces whose phase is Active (spec §3.5,
  §3.7): once a namespace is being deleted, a deleted `default` is not recreated. The
  namespace here carries a finalizer of its own, which keeps it in the Terminating phase
  after its content is gone; the scenario removes that finalizer at the end.

  # upstream cases "deleted serviceaccount with terminating namespace", "updated terminating namespace"
  @upstream:TestServiceAccountCreation
  Scenario: "default" is not recreated in a terminating namespace
    Given I create in namespace "demo":
      """
      apiVersion: v1
      kind: Namespace
      metadata:
        name: demo
        finalizers: [conformance.kube-sa.io/hold]
      """
    And the service account "default" in namespace "demo" has a token
    When I delete the namespace "demo"
    Then within 5 seconds the service account "default" in namespace "demo" does not exist
    And the namespace "demo" matches:
      """
      status: {phase: Terminating}
      """
    And for 1 second the service account "default" in namespace "demo" does not exist
    When I patch the namespace "demo" with:
      """
      metadata: {finalizers: null}
      """
    Then within 5 seconds the namespace "demo" does not exist
