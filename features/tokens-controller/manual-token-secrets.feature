Feature: A token Secret created by hand is filled in
  A user may create a Secret of type kubernetes.io/service-account-token that carries only
  the kubernetes.io/service-account.name annotation; the token controller fills in the
  missing `token`, `namespace` and `ca.crt` and the UID annotation (spec §3.4). A token
  Secret whose account does not exist is deleted.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"

  @upstream:TestTokenCreation
  Scenario: The controller fills in the token, namespace, CA and account UID
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: "${robot-uid}"
      data:
        token: "{{any}}"
        namespace: demo
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """
    And the token in secret "robot-manual" in namespace "demo" has the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/secret.name: robot-manual
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  Scenario: A namespace value the user set is kept
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {namespace: somewhere-else}
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      data:
        token: "{{any}}"
        namespace: somewhere-else
      """

  @upstream:TestTokenCreation
  Scenario: A token secret for an account that does not exist is deleted
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: ghost-token
        annotations: {kubernetes.io/service-account.name: ghost}
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "ghost-token" in namespace "demo" does not exist
