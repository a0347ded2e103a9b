@bound
Feature: No token Secret is generated; hand-made ones are still filled in
  In bound mode the token controller (modern spec §10.2, upstream's 1.26+ controller)
  never creates a token Secret and never adds to an account's `secrets`; pods get
  projected, short-lived tokens instead. A Secret of type
  kubernetes.io/service-account-token that a user creates with the
  kubernetes.io/service-account.name annotation is still filled in (token, ca.crt,
  namespace, both annotations), and is deleted with its account. Its token is signed as
  1.33's controller-manager signs it: the header carries the signing key's `kid` (and no
  `typ`), the claims are the legacy ones (modern spec §2.1, §2.3).

  # upstream cases "new serviceaccount with no secrets" (1.26+: no actions)
  # @slow: it watches for 4 seconds that nothing happens.
  @upstream:TestTokenCreation @upstream:e2e/ServiceAccounts/no_secret-based_service_account_token_should_be_auto-generated @slow
  Scenario: no secret-based service account token should be auto-generated
    Given a namespace "demo"
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then within 5 seconds the service account "default" in namespace "demo" exists
    And for 3 seconds the service account "default" in namespace "demo" matches:
      """
      secrets: null
      """
    And for 1 second the service account "robot" in namespace "demo" matches:
      """
      secrets: null
      """
    And there are 0 token secrets for service account "default" in namespace "demo"
    And there are 0 token secrets for service account "robot" in namespace "demo"

  # upstream case "added token secret without token data"
  @upstream:TestTokenCreation @upstream:TestServiceAccountTokenAuthentication
  Scenario: An annotated token Secret made by hand is filled in
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
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
    And the token in secret "robot-manual" in namespace "demo" has the header:
      """
      alg: "{{any}}"
      kid: "{{any}}"
      """
    # Before the token is used (on a cluster whose key the harness does not know, checking
    # the signature uses it): using it labels the Secret with the day (legacy-token-last-used).
    And the secret "robot-manual" in namespace "demo" matches the snapshot
    And the token in secret "robot-manual" in namespace "demo" is signed by the cluster's service-account key
    And the token in secret "robot-manual" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """
    And for 1 second the service account "robot" in namespace "demo" matches:
      """
      secrets: null
      """

  # upstream case "deleted serviceaccount with secret reference"
  @upstream:TestTokenCreation
  Scenario: A hand-made token Secret is deleted with its account
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      ---
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      data: {token: "{{any}}"}
      """
    When I delete the service account "robot" in namespace "demo"
    Then within 5 seconds the secret "robot-manual" in namespace "demo" does not exist

  # upstream case "added secret without serviceaccount"
  @upstream:TestTokenCreation
  Scenario: A token Secret for an account that does not exist is deleted
    Given a namespace "demo"
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: nobody-manual
        annotations: {kubernetes.io/service-account.name: nobody}
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "nobody-manual" in namespace "demo" does not exist
