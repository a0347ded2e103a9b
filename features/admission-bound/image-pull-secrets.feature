@bound
Feature: Bound mode: a pod without pull secrets gets its account's, never merged
  Kubernetes 1.33 (spec §4.2 step 5): when the pod has no `imagePullSecrets`, the
  account's are copied in order (names only); a pod with its own keeps them unchanged.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      imagePullSecrets: [{name: registry-a}, {name: registry-b}]
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
        imagePullSecrets: [{name: registry-a}, {name: registry-b}]
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
