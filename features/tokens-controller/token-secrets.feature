Feature: Every service account gets a token Secret
  Kubernetes v1.8 token controller (spec §3.3): an account that lists no token Secret gets
  one named `<account>-token-<5 random characters>`, of type
  kubernetes.io/service-account-token, annotated with the account's name and UID, holding
  a signed `token`, the `namespace` and the cluster CA as `ca.crt`; its name is appended to
  the account's `secrets`.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"

  @upstream:TestServiceAccountTokenAutoCreate @upstream:TestTokenCreation
  Scenario: A new service account gets a token secret that it lists
    Then within 5 seconds the token secret of service account "robot" in namespace "demo" matches:
      """
      metadata:
        name: "robot-token-{{suffix}}"
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: "${robot-uid}"
      type: kubernetes.io/service-account-token
      data:
        token: "{{any}}"
        namespace: demo
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """
    And the service account "robot" in namespace "demo" matches:
      """
      secrets:
      - name: "robot-token-{{suffix}}"
      """
    And for 1 second there is 1 token secret for service account "robot" in namespace "demo"
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  @upstream:TestServiceAccountTokenAutoCreate @upstream:TestTokenCreation
  Scenario: A deleted token secret is replaced by a new one
    Given I remember the token secret of service account "robot" in namespace "demo" as "first-token"
    When I delete the secret "${first-token}" in namespace "demo"
    Then within 5 seconds the secrets.0.name of the service account "robot" in namespace "demo" is not "${first-token}"
    And within 5 seconds the token secret of service account "robot" in namespace "demo" matches:
      """
      metadata:
        name: "robot-token-{{suffix}}"
      """
    And within 5 seconds there is 1 token secret for service account "robot" in namespace "demo"
    And the secret "${first-token}" in namespace "demo" does not exist

  @upstream:e2e/ServiceAccounts/should_ensure_a_single_API_token_exists
  Scenario: An account whose secrets list is cleared gets a new token
    Given I remember the token secret of service account "robot" in namespace "demo" as "first-token"
    When I patch the service account "robot" in namespace "demo" with:
      """
      secrets: null
      """
    Then within 5 seconds the secrets.0.name of the service account "robot" in namespace "demo" is not "${first-token}"
    And within 5 seconds the token secret of service account "robot" in namespace "demo" matches:
      """
      metadata:
        name: "robot-token-{{suffix}}"
      """

  @upstream:TestTokenCreation
  Scenario: Deleting the service account deletes its token secrets
    Given I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    When I delete the service account "robot" in namespace "demo"
    Then within 5 seconds the secret "${robot-token}" in namespace "demo" does not exist
