@legacy
Feature: Every service account gets a token Secret that it lists
  Kubernetes v1.8 token controller (spec §3.2 step 4, §3.3). A service account counts as
  having a token only when one of the secrets it lists is its own token Secret. Otherwise
  the controller creates one, named `<account>-token-<5 random characters>`, of type
  kubernetes.io/service-account-token, annotated with the account's name and UID, holding a
  signed `token`, the `namespace` and the cluster CA as `ca.crt`, without labels or owner
  references, and appends its name (and nothing else) to the end of the account's `secrets`.
  The names of secrets the account already lists stay where they are.

  Background:
    Given a namespace "demo"

  # upstream case "new serviceaccount with no secrets"
  @upstream:TestServiceAccountTokenAutoCreate @upstream:TestTokenCreation
  Scenario: A new service account gets a token secret that it lists
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
    Then within 5 seconds the token secret of service account "robot" in namespace "demo" matches:
      """
      metadata:
        name: "robot-token-{{suffix}}"
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: "${robot-uid}"
        labels: null
        ownerReferences: null
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
    And the service account "robot" in namespace "demo" matches the snapshot

  # upstream cases "new serviceaccount with missing secrets", "updated serviceaccount with missing secrets"
  @upstream:TestTokenCreation
  Scenario: An account that lists only a secret that does not exist gets a token after it
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: missing-secret-1}]
      """
    Then within 5 seconds the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: missing-secret-1
      - name: "robot-token-{{suffix}}"
      """
    And for 1 second there is 1 token secret for service account "robot" in namespace "demo"
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  # upstream cases "new serviceaccount with token secrets", "updated serviceaccount with token secrets"
  @upstream:TestTokenCreation
  Scenario: An account that lists its own token secret gets no other
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "first-token"
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
      data: {token: "{{any}}"}
      """
    When I patch the service account "robot" in namespace "demo" with:
      """
      secrets: [{name: robot-manual}]
      """
    Then for 1 second the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: robot-manual
      """
    And there are 2 token secrets for service account "robot" in namespace "demo"
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  # upstream case "updated serviceaccount with no secrets"; the existing token is not deleted,
  # and it does not count while the account does not list it.
  @upstream:TestServiceAccountTokenAutoCreate @upstream:TestTokenCreation @upstream:e2e/ServiceAccounts/should_ensure_a_single_API_token_exists
  Scenario: An account whose secrets list is cleared gets a new token, and the old one stays
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "first-token"
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
    And for 1 second there are 2 token secrets for service account "robot" in namespace "demo"
    And the secret "${first-token}" in namespace "demo" exists
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  # Generated names follow the API server's rule: the base `<account>-token-` is cut to 58
  # characters, then 5 random characters follow (at most 63 in all). No snapshot: the
  # random suffix of a cut name cannot be told apart from the name, so it cannot be redacted.
  Scenario: A long account name is cut so that its token secret's name has at most 63 characters
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: a-service-account-whose-name-is-long-enough-to-be-cut-short}
      """
    Then within 5 seconds the token secret of service account "a-service-account-whose-name-is-long-enough-to-be-cut-short" in namespace "demo" matches:
      """
      metadata:
        name: "a-service-account-whose-name-is-long-enough-to-be-cut-shor{{suffix}}"
        annotations:
          kubernetes.io/service-account.name: a-service-account-whose-name-is-long-enough-to-be-cut-short
      """
