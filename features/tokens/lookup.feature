@legacy
Feature: A token is valid only while its Secret holds it and its account keeps its UID
  With token lookup on (`--service-account-lookup`, the default), the API server checks
  each token against the cluster (spec §4.4 step 4): the Secret its claims name must exist
  and hold exactly this token, and the account it names must exist with the UID in its
  claims. This is how deleting the Secret, or recreating the account, invalidates a token.
  A refused token is a plain 401: the reason is not shown to clients.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"

  # upstream case "invalid secret lookup"
  @upstream:TestServiceAccountTokenAuthentication @upstream:TestTokenGenerateAndValidate
  Scenario: Deleting the token secret invalidates the token
    Given I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    And I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I delete the secret "${robot-token}" in namespace "demo"
    Then within 5 seconds the remembered token "old-token" is rejected with HTTP 401

  Scenario: A token that no longer matches its secret is refused
    Given I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    And I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I patch the secret "${robot-token}" in namespace "demo" with:
      """
      stringData: {token: not-the-same-token}
      """
    Then within 5 seconds the remembered token "old-token" is rejected with HTTP 401
    And the secret "${robot-token}" in namespace "demo" matches the snapshot

  Scenario: Recreating the service account invalidates the old account's token
    Given I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I delete the service account "robot" in namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then within 5 seconds the remembered token "old-token" is rejected with HTTP 401
    And the token of service account "robot" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """

  # upstream case "invalid serviceaccount lookup". Without the token controller, nothing
  # deletes the Secret along with its account, so only the account lookup can refuse the token.
  @without-controllers @embedded-only @upstream:TestTokenGenerateAndValidate
  Scenario: A token of a deleted account is refused even while its secret remains
    Given a token "robot-signed-token" signed by the cluster's service-account key with the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/secret.name: robot-signed
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-signed
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {token: "${robot-signed-token}"}
      """
    Then the remembered token "robot-signed-token" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """
    When I delete the service account "robot" in namespace "demo"
    Then within 5 seconds the remembered token "robot-signed-token" is rejected with HTTP 401
    And the secret "robot-signed" in namespace "demo" exists
    And the secret "robot-signed" in namespace "demo" matches the snapshot
