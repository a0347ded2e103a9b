@legacy
Feature: Deleting a service account deletes its token Secrets
  When a service account is gone, or has been recreated under the same name (another UID),
  the token controller deletes every token Secret of the old account: those annotated with
  its name and its UID or no UID (spec §3.2 step 3). Other secrets, including the ones the
  account listed and the token Secrets of other accounts, stay.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "robot-token"

  # upstream case "deleted serviceaccount with token secrets"
  @upstream:TestTokenCreation @upstream:TestServiceAccountTokenAutoCreate
  Scenario: Deleting an account deletes all of its token secrets, made by the controller or by hand
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      """
    Then the metadata.annotations.kubernetes\.io/service-account\.name of the secret "${robot-token}" in namespace "demo" is "robot"
    When I delete the service account "robot" in namespace "demo"
    Then within 5 seconds the secret "${robot-token}" in namespace "demo" does not exist
    And within 5 s the secret "robot-manual" in namespace "demo" does not exist

  # upstream case "deleted serviceaccount with non-token secrets"
  @upstream:TestTokenCreation
  Scenario: Other secrets survive the deletion of an account
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
      metadata: {name: other}
      """
    And I patch the service account "robot" in namespace "demo" with:
      """
      secrets: [{name: regular-secret-1}, {name: "${robot-token}"}]
      """
    And I remember the token secret of service account "other" in namespace "demo" as "other-token"
    When I delete the service account "robot" in namespace "demo"
    Then within 5 seconds the secret "${robot-token}" in namespace "demo" does not exist
    And for 1 second the secret "regular-secret-1" in namespace "demo" exists
    And the secret "${other-token}" in namespace "demo" exists
    And the token secret of service account "other" in namespace "demo" matches the snapshot

  Scenario: An account recreated under the same name loses the old token and gets its own
    Given I remember the metadata.uid of the service account "robot" in namespace "demo" as "old-uid"
    When I delete the service account "robot" in namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "new-uid"
    Then within 5 seconds the secret "${robot-token}" in namespace "demo" does not exist
    And within 5 seconds the token secret of service account "robot" in namespace "demo" matches:
      """
      metadata:
        name: "robot-token-{{suffix}}"
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: "${new-uid}"
      """
    And the metadata.uid of the service account "robot" in namespace "demo" is not "${old-uid}"
    And the token secret of service account "robot" in namespace "demo" matches the snapshot
