Feature: Every active namespace has a "default" service account
  The service-account controller (spec §3.7) creates the managed account `default` in
  every active namespace and recreates it (with a new UID) when it is deleted. Other
  accounts are not recreated.

  @upstream:TestServiceAccountCreation
  Scenario: A new namespace gets "default", with nothing but its name
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: demo}
      """
    Then within 5 seconds the service account "default" in namespace "demo" exists
    And the service account "default" in namespace "demo" matches:
      """
      automountServiceAccountToken: null
      imagePullSecrets: null
      """

  @upstream:TestServiceAccountAutoCreate
  Scenario: A deleted "default" comes back with a new UID
    Given a namespace "demo"
    And the service account "default" in namespace "demo" has a token
    And I remember the metadata.uid of the service account "default" in namespace "demo" as "old-uid"
    When I delete the service account "default" in namespace "demo"
    Then within 5 seconds the metadata.uid of the service account "default" in namespace "demo" is not "${old-uid}"
    And within 5 seconds the service account "default" in namespace "demo" exists

  Scenario: Other service accounts are not recreated
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    When I delete the service account "robot" in namespace "demo"
    Then for 1 second the service account "robot" in namespace "demo" does not exist
