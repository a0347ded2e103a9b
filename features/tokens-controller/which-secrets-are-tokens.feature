@legacy
Feature: Only the account's own token Secret counts as its token
  A secret is a service account's token Secret when all of these hold (spec §1,
  IsServiceAccountToken): its type is kubernetes.io/service-account-token, its annotation
  kubernetes.io/service-account.name is the account's name, and its annotation
  kubernetes.io/service-account.uid is absent, empty or the account's UID. A listed secret
  that is not the account's token does not stop the token controller from adding one (spec
  §3.3 step 1); a token Secret whose account (by name and UID) does not exist is deleted
  (spec §3.4 step 3).

  Background:
    Given a namespace "demo"

  # upstream cases "new serviceaccount with non-token secrets", "updated serviceaccount with non-token secrets"
  @upstream:TestTokenCreation
  Scenario: A listed secret of another type does not count, even when it names the account
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: regular-secret-1
        annotations: {kubernetes.io/service-account.name: robot}
      type: Opaque
      stringData: {mykey: mydata}
      ---
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: regular-secret-1}]
      """
    Then within 5 seconds the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: regular-secret-1
      - name: "robot-token-{{suffix}}"
      """
    And the secret "regular-secret-1" in namespace "demo" matches:
      """
      type: Opaque
      data: {mykey: mydata}
      """
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  Scenario: A listed token secret of another account does not count
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: other}
      """
    And I remember the token secret of service account "other" in namespace "demo" as "other-token"
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: "${other-token}"}]
      """
    Then within 5 seconds the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: "${other-token}"
      - name: "robot-token-{{suffix}}"
      """
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  # upstream case "added secret without serviceaccount": the account with that UID is gone
  @upstream:TestTokenCreation
  Scenario: A token secret that carries another UID than the account's is not its token, and is deleted
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
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
    And within 5 seconds there is 1 token secret for service account "robot" in namespace "demo"

  # Without the token controller (which would fill the UID in at once), the admission plugin
  # shows which secret counts: it mounts the account's token Secret, or refuses the pod.
  @without-controllers
  Scenario: A token secret without a UID annotation counts as the account's token
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: robot-manual}]
      ---
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {token: a-token}
      """
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" has the service-account token mounted
    And the pod "web" in namespace "demo" matches:
      """
      spec:
        volumes:
        - {name: robot-manual, secret: {secretName: robot-manual}}
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  @without-controllers
  Scenario: A token secret with another UID than the account's does not count
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: robot-earlier}]
      ---
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-earlier
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: 00000000-0000-0000-0000-000000000000
      type: kubernetes.io/service-account-token
      stringData: {token: a-token}
      """
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 500 "ServerTimeout" and the message:
      """
      No API token found for service account "robot", retry after the token is automatically created and added to the service account
      """
    And the secret "robot-earlier" in namespace "demo" matches the snapshot
