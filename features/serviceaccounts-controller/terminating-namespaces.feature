Feature: A terminating namespace gets no new service accounts
  The service-account controller acts only on namespaces whose phase is Active (spec §3.5,
  §3.7): once a namespace is being deleted, a deleted `default` is not recreated. The
  namespace here carries a finalizer of its own, which keeps it in the Terminating phase
  after its content is gone; the scenario removes that finalizer at the end. Content with
  a finalizer of its own holds the namespace the same way, as the namespace controller's
  deleter reports in the namespace's conditions.

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

  # kube-controller-manager's namespace deleter (pkg/controller/namespace/deletion)
  Scenario: A config map's finalizer keeps its namespace Terminating until it is removed
    Given a namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: held
        finalizers: [conformance.kube-sa.io/hold]
      """
    And the service account "default" in namespace "demo" has a token
    When I delete the namespace "demo"
    Then within 5 seconds the service account "default" in namespace "demo" does not exist
    And within 5 seconds the namespace "demo" matches:
      """
      spec: {finalizers: [kubernetes]}
      status:
        phase: Terminating
        conditions:
        - {type: NamespaceDeletionDiscoveryFailure, status: "False", reason: ResourcesDiscovered}
        - {type: NamespaceDeletionGroupVersionParsingFailure, status: "False", reason: ParsedGroupVersions}
        - {type: NamespaceDeletionContentFailure, status: "False", reason: ContentDeleted}
        - type: NamespaceContentRemaining
          status: "True"
          reason: SomeResourcesRemain
          message: "Some resources are remaining: configmaps. has 1 resource instances"
        - type: NamespaceFinalizersRemaining
          status: "True"
          reason: SomeFinalizersRemain
          message: "Some content in the namespace has finalizers remaining: conformance.kube-sa.io/hold in 1 resource instances"
      """
    And the config map "held" in namespace "demo" matches:
      """
      metadata: {deletionTimestamp: "{{any}}", finalizers: [conformance.kube-sa.io/hold]}
      """
    When I patch the config map "held" in namespace "demo" with:
      """
      metadata: {finalizers: null}
      """
    Then within 5 seconds the namespace "demo" does not exist
