Feature: A service account's token authenticates as that account while its secret lives
  Tokens are JWTs with header {"alg": …, "typ": "JWT"} and the legacy claims, without
  exp/iat/nbf/aud: they never expire (spec §4.1, §4.2). The API server accepts a token
  signed by its service-account key while the Secret holding it exists with the same
  token and the account keeps its UID (`--service-account-lookup`, spec §4.4); the user is
  system:serviceaccount:<namespace>:<account> in the groups system:serviceaccounts and
  system:serviceaccounts:<namespace>, plus system:authenticated.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
    And I remember the token secret of service account "robot" in namespace "demo" as "robot-token"

  @upstream:TestTokenGenerateAndValidate
  Scenario: The token carries the legacy header and claims and the cluster's signature
    Then the token of service account "robot" in namespace "demo" has the header:
      """
      alg: "{{any}}"
      typ: JWT
      """
    And the token of service account "robot" in namespace "demo" has the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/secret.name: "${robot-token}"
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    And the token of service account "robot" in namespace "demo" is signed by the cluster's service-account key

  @upstream:TestServiceAccountTokenAuthentication
  Scenario: The token authenticates as the service account
    Then the token of service account "robot" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      uid: "${robot-uid}"
      groups: [system:serviceaccounts, system:serviceaccounts:demo, system:authenticated]
      """

  @upstream:TestServiceAccountTokenAuthentication
  Scenario: Deleting the token secret invalidates the token
    Given I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I delete the secret "${robot-token}" in namespace "demo"
    Then within 5 seconds the remembered token "old-token" is rejected with HTTP 401

  Scenario: A token that no longer matches its secret is rejected
    Given I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I patch the secret "${robot-token}" in namespace "demo" with:
      """
      stringData: {token: not-the-same-token}
      """
    Then within 5 seconds the remembered token "old-token" is rejected with HTTP 401

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
