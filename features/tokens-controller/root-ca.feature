@legacy
Feature: Token Secrets carry the root CA only when the cluster has one
  The token controller stores its root CA bundle (kube-controller-manager `--root-ca-file`)
  as `ca.crt` in every token Secret, and only when the bundle is not empty (spec §3.3
  step 3). A token Secret that already has a token and a namespace, and whose `ca.crt`
  agrees with the bundle, needs nothing, and the controller leaves it exactly as it is (spec
  §3.4 step 3). These scenarios start a cluster of their own, with no root CA, so they
  run on the embedded backend only.

  @embedded-only
  Scenario: Without a root CA, token secrets hold no ca.crt
    Given a cluster started with these service-account settings:
      | root CA in token secrets | none |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then within 5 seconds the token secret of service account "robot" in namespace "demo" matches:
      """
      data:
        token: "{{any}}"
        namespace: demo
        ca.crt: null
      """
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  # upstream case "added token secret with custom namespace data": no update is performed
  @embedded-only @upstream:TestTokenCreation
  Scenario: A token secret that lacks nothing is left exactly as it is
    Given a cluster started with these service-account settings:
      | root CA in token secrets | none |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {token: a-token-the-user-chose, namespace: demo}
      """
    Then for 1 second the secret "robot-manual" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: null
      data:
        token: a-token-the-user-chose
        namespace: demo
        ca.crt: null
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot
