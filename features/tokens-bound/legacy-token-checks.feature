# @embedded-only: the tokens are signed with the cluster's own key. @without-controllers:
# nothing fills in, or deletes, the Secret that holds the hand-made token.
@bound @embedded-only @without-controllers
Feature: Legacy Secret tokens pass 1.33's claim and lookup checks
  In bound mode a token with issuer `kubernetes/serviceaccount` is checked as 1.33's
  legacy validator does (spec-modern §3.6): every claim must be present, the secret name
  included; the Secret it names must exist, not be terminating, and hold exactly this
  token; the account must exist, not be terminating, and keep the UID in the token.
  TokenReview shows the reason; a request with the token gets a plain 401.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
    And a token "robot-signed-token" signed by the cluster's service-account key with the claims:
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

  Scenario: A legacy token without a secret name is refused
    Given a token "nameless" signed by the cluster's service-account key with the claims:
      """
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    When I review the remembered token "nameless"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, secretName claim is missing]"
      """
    And the remembered token "nameless" is rejected with HTTP 401

  @upstream:TestTokenGenerateAndValidate
  Scenario: A legacy token its Secret no longer holds is refused
    Then the remembered token "robot-signed-token" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """
    When I patch the secret "robot-signed" in namespace "demo" with:
      """
      stringData: {token: not-the-same-token}
      """
    And I review the remembered token "robot-signed-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, Token does not match server's copy]"
      """

  Scenario: A legacy token whose Secret is being deleted is refused
    When I patch the secret "robot-signed" in namespace "demo" with:
      """
      metadata: {finalizers: [example.com/hold]}
      """
    And I delete the secret "robot-signed" in namespace "demo"
    And I review the remembered token "robot-signed-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, Token has been invalidated]"
      """
    And the remembered token "robot-signed-token" is rejected with HTTP 401

  @upstream:TestTokenGenerateAndValidate
  Scenario: A legacy token of a deleted account gets the lookup error as it is
    When I delete the service account "robot" in namespace "demo"
    And I review the remembered token "robot-signed-token"
    Then the token review answers:
      """
      authenticated: null
      error: '[invalid bearer token, serviceaccounts "robot" not found]'
      """

  Scenario: A legacy token of an account being deleted is refused
    When I patch the service account "robot" in namespace "demo" with:
      """
      metadata: {finalizers: [example.com/hold]}
      """
    And I delete the service account "robot" in namespace "demo"
    And I review the remembered token "robot-signed-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, ServiceAccount demo/robot has been deleted]"
      """
    And the remembered token "robot-signed-token" is rejected with HTTP 401

  Scenario: A legacy token of a recreated account is refused
    When I delete the service account "robot" in namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I review the remembered token "robot-signed-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, ServiceAccount UID ({{any}}) does not match claim (${robot-uid})]"
      """
