Feature: Every active namespace has a "default" service account
  The service-account controller (spec §3.7) creates the managed account `default` in every
  active namespace, with nothing but its name, and recreates it (with a new UID) when it is
  deleted. An existing `default` is never replaced or changed, and other accounts are not
  recreated. Together with the token controller and the admission plugin, this is what
  lets a pod that names no account run with an API token.

  # upstream case "new active namespace missing serviceaccounts"
  @upstream:TestServiceAccountCreation @upstream:TestServiceAccountAutoCreate
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

  # upstream case "deleted serviceaccount with active namespace"
  @upstream:TestServiceAccountAutoCreate @upstream:TestServiceAccountCreation
  Scenario: A deleted "default" comes back with a new UID
    Given a namespace "demo"
    And the service account "default" in namespace "demo" has a token
    And I remember the metadata.uid of the service account "default" in namespace "demo" as "old-uid"
    When I delete the service account "default" in namespace "demo"
    Then within 5 seconds the metadata.uid of the service account "default" in namespace "demo" is not "${old-uid}"
    And within 5 seconds the service account "default" in namespace "demo" exists

  # upstream case "deleted unmanaged serviceaccount with active namespace"
  @upstream:TestServiceAccountCreation
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

  # upstream case "updated active namespace with serviceaccounts"
  @upstream:TestServiceAccountCreation
  Scenario: Updating a namespace leaves its existing "default" as it is
    Given a namespace "demo"
    And the service account "default" in namespace "demo" has a token
    And I patch the service account "default" in namespace "demo" with:
      """
      automountServiceAccountToken: false
      """
    And I remember the metadata.uid of the service account "default" in namespace "demo" as "default-uid"
    When I patch the namespace "demo" with:
      """
      metadata:
        labels: {team: conformance}
      """
    Then for 1 second the metadata.uid of the service account "default" in namespace "demo" is "${default-uid}"
    And the service account "default" in namespace "demo" matches:
      """
      automountServiceAccountToken: false
      """

  @upstream:TestServiceAccountTokenAutoMount @legacy
  Scenario: A pod in a new namespace runs as "default" with its token mounted
    Given a namespace "demo"
    And I remember the token secret of service account "default" in namespace "demo" as "default-token"
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: protopod}
      spec:
        containers: [{name: container, image: container-image}]
      """
    Then the pod "protopod" in namespace "demo" matches:
      """
      spec:
        serviceAccountName: default
        volumes:
        - {name: "${default-token}", secret: {secretName: "${default-token}"}}
      """
    And the pod "protopod" in namespace "demo" has the service-account token mounted
    And the token secret of service account "default" in namespace "demo" matches the snapshot
