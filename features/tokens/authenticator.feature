@legacy
Feature: The API server authenticates a token with its service-account keys
  The API server tries its service-account verification keys (`--service-account-key-file`)
  in order; a key of the wrong type or one whose signature does not verify is passed over,
  and a token no key verifies is refused (spec §4.4 step 1). Text that is not a JWT is
  refused too. A verified token with valid claims authenticates as the user
  system:serviceaccount:<namespace>:<account> with the account's UID and the groups
  system:serviceaccounts and system:serviceaccounts:<namespace>, in this order; the API
  server adds system:authenticated after them (spec §1, §4.4 step 5). A refused token is a
  plain 401: the reason is not shown to clients.

  # upstream cases "valid key (ecdsa)", "valid lookup"
  @upstream:TestServiceAccountTokenAuthentication @upstream:TestTokenGenerateAndValidate
  Scenario: A token authenticates as its service account, in the account groups
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
    Then the token of service account "robot" in namespace "demo" authenticates as, with lists in order:
      """
      username: system:serviceaccount:demo:robot
      uid: "${robot-uid}"
      groups: [system:serviceaccounts, system:serviceaccounts:demo, system:authenticated]
      """

  # upstream case "invalid token": an invalid, non-JWT token always fails
  @upstream:TestTokenGenerateAndValidate
  Scenario: Text that is not a JWT is refused
    Given I remember the text "invalid-token" as "not-a-jwt"
    Then the remembered token "not-a-jwt" is rejected with HTTP 401

  # upstream cases "rotated keys (rsa)", "rotated keys (ecdsa)"
  @embedded-only @upstream:TestTokenGenerateAndValidate
  Scenario: Each verification key is tried in turn
    Given a cluster started with these service-account settings:
      | signing key       | ECDSA P-256                                                    |
      | verification keys | another RSA 2048 key, another ECDSA P-256 key, the signing key |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then the token of service account "robot" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """

  # upstream cases "invalid keys (rsa)", "invalid keys (ecdsa)"
  @embedded-only @upstream:TestTokenGenerateAndValidate
  Scenario: A token that no verification key verifies is refused
    Given a cluster started with these service-account settings:
      | signing key       | ECDSA P-256                                   |
      | verification keys | another RSA 2048 key, another ECDSA P-256 key |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then the token of service account "robot" in namespace "demo" is rejected with HTTP 401
