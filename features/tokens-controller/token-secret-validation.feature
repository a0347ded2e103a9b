Feature: A token Secret must name its service account
  The API server accepts a Secret of type kubernetes.io/service-account-token only with a
  non-empty kubernetes.io/service-account.name annotation, on create and on update (spec
  §1, Secret validation). The UID annotation and the token are optional: the token
  controller fills them in later.

  Background:
    Given a namespace "demo"

  Scenario: A token secret without the account name annotation is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: nameless}
      type: kubernetes.io/service-account-token
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      Secret "nameless" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value
      """

  Scenario: A token secret with an empty account name annotation is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: nameless
        annotations: {kubernetes.io/service-account.name: ""}
      type: kubernetes.io/service-account-token
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      Secret "nameless" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value
      """

  # Without the controllers, nothing fills the secret in: what is stored is what was sent.
  @without-controllers @legacy
  Scenario: The account name annotation is all a token secret needs
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      """
    Then the request succeeds
    And the secret "robot-manual" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: null
      type: kubernetes.io/service-account-token
      data: null
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  @legacy
  Scenario: Removing the account name annotation from a token secret is refused
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    When I try to patch the secret "${robot-token}" in namespace "demo" with:
      """
      metadata:
        annotations: {kubernetes.io/service-account.name: null}
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      Secret "${robot-token}" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value
      """
    And the secret "${robot-token}" in namespace "demo" matches:
      """
      metadata:
        annotations: {kubernetes.io/service-account.name: robot}
      """
    And the secret "${robot-token}" in namespace "demo" matches the snapshot
