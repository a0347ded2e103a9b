@legacy
Feature: A deleted token Secret is taken off its account's list and replaced
  When a token Secret is deleted, the token controller removes every entry with its name
  from the `secrets` of the account it was annotated with, provided that account still has
  the annotated UID (spec §3.4 step 2). The account then lists no token, so it gets a new
  one (spec §3.3).

  Background:
    Given a namespace "demo"

  # upstream case "deleted secret with serviceaccount with reference"
  @upstream:TestServiceAccountTokenAutoCreate @upstream:TestTokenCreation
  Scenario: A deleted token secret is replaced by a new one
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "first-token"
    And I remember the token of service account "robot" in namespace "demo" as "first-token-value"
    When I delete the secret "${first-token}" in namespace "demo"
    Then within 5 seconds the secrets.0.name of the service account "robot" in namespace "demo" is not "${first-token}"
    And within 5 seconds the token secret of service account "robot" in namespace "demo" matches:
      """
      metadata:
        name: "robot-token-{{suffix}}"
      data:
        token: "{{any}}"
      """
    And the data.token of the token secret of service account "robot" in namespace "demo" is not "${first-token-value}"
    And within 5 seconds there is 1 token secret for service account "robot" in namespace "demo"
    And the secret "${first-token}" in namespace "demo" does not exist
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  Scenario: Every entry naming the deleted secret is removed, the other entries stay in order
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: regular-secret-1}
      type: Opaque
      stringData: {mykey: mydata}
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: regular-secret-1}]
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "first-token"
    And I patch the service account "robot" in namespace "demo" with:
      """
      secrets: [{name: "${first-token}"}, {name: regular-secret-1}, {name: "${first-token}"}]
      """
    When I delete the secret "${first-token}" in namespace "demo"
    Then within 5 seconds the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: regular-secret-1
      - name: "robot-token-{{suffix}}"
      """
    And the secrets.1.name of the service account "robot" in namespace "demo" is not "${first-token}"
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  # upstream case "deleted secret with serviceaccount without reference"
  @upstream:TestTokenCreation
  Scenario: Deleting a token secret that the account does not list leaves the account as it is
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
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
    When I delete the secret "robot-manual" in namespace "demo"
    Then for 1 second the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: "${robot-token}"
      """
    And there is 1 token secret for service account "robot" in namespace "demo"
    And the secret "${robot-token}" in namespace "demo" matches the snapshot

  # The secret is annotated with a UID the account "robot" no longer has (an earlier account
  # of that name): the controller deletes it, and the current account's list is not touched.
  Scenario: A deleted token secret of an earlier account with the same name leaves the current account's list alone
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: robot-earlier}]
      """
    And the service account "robot" in namespace "demo" has a token
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-earlier
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: 00000000-0000-0000-0000-000000000000
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "robot-earlier" in namespace "demo" does not exist
    And for 1 second the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: robot-earlier
      - name: "robot-token-{{suffix}}"
      """
    And the token secret of service account "robot" in namespace "demo" matches the snapshot
