@legacy
Feature: A pod without pull secrets gets its service account's
  If the pod has no imagePullSecrets, admission copies the account's imagePullSecrets
  into it, in order, as an independent copy. A pod that has at least one keeps its own:
  the lists are never merged (spec §2.3 step 5).

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      imagePullSecrets: [{name: registry-b}, {name: registry-a}]
      """

  @upstream:TestAddImagePullSecrets
  Scenario: The account's pull secrets are copied in order
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        imagePullSecrets: [{name: registry-b}, {name: registry-a}]
      """

  @upstream:TestDoNotAddImagePullSecrets
  Scenario: A pod's own pull secrets are kept and not merged
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        imagePullSecrets: [{name: mine}]
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        imagePullSecrets: [{name: mine}]
      """

  @upstream:TestAddImagePullSecrets
  Scenario: Changing the account later does not change admitted pods
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers: [{name: app, image: nginx}]
      """
    And I patch the service account "robot" in namespace "demo" with:
      """
      imagePullSecrets: [{name: registry-c}]
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        imagePullSecrets: [{name: registry-b}, {name: registry-a}]
      """

  Scenario: An account without pull secrets adds none
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        imagePullSecrets: null
      """

  # ValidateSecret unmarshals the config with Go's encoding/json, whose text is the reason.
  Scenario: A pull secret whose config is not a JSON object is refused in Go's words
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: registry-a}
      type: kubernetes.io/dockerconfigjson
      stringData: {.dockerconfigjson: notjson}
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      Secret "registry-a" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'o' in literal null (expecting 'u')
      """
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: registry-a}
      type: kubernetes.io/dockerconfigjson
      stringData: {.dockerconfigjson: '{"auths": {"r.example": {"n": 1e999}}}'}
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      Secret "registry-a" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal number 1e999 into Go value of type float64
      """
