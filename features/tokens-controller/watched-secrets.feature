Feature: The token controller looks only at Secrets of the token type
  The token controller watches only Secrets of type kubernetes.io/service-account-token
  (spec §3.1). A Secret of any other type is neither filled in nor deleted, whatever
  account its annotations name.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """

  Scenario: Secrets of other types are left alone, whatever account they name
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-notes
        annotations: {kubernetes.io/service-account.name: robot}
      type: Opaque
      ---
      apiVersion: v1
      kind: Secret
      metadata:
        name: ghost-notes
        annotations: {kubernetes.io/service-account.name: ghost}
      type: Opaque
      """
    Then for 1 second the secret "ghost-notes" in namespace "demo" exists
    And the secret "robot-notes" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: null
      data: null
      """
    And the secret "ghost-notes" in namespace "demo" matches:
      """
      data: null
      """
