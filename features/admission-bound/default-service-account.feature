@bound
Feature: Bound mode: the pod runs as its named account, or default, which must exist
  Kubernetes 1.33 (spec §4.2): an empty `serviceAccountName` becomes `default`; the account
  is looked up (cache, then live GETs: 10 for `default`, 1 for any other), and a missing
  one is refused with 403 in 1.33's words.

  Background:
    Given a namespace "demo"

  @upstream:TestAssignsDefaultServiceAccountAndBoundTokenWithNoSecretTokens
  Scenario: A pod that names no service account runs as default
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
        serviceAccountName: default
        serviceAccount: default
      """

  @upstream:TestFetchesUncachedServiceAccount
  Scenario: A service account created just before the pod is found
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
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
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        serviceAccountName: robot
        volumes:
        - name: "kube-api-access-{{suffix}}"
      """

  @upstream:TestDeniesInvalidServiceAccount
  Scenario: A pod naming a missing service account is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: ghost
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: error looking up service account demo/ghost: serviceaccount "ghost" not found
      """
    And the pod "web" in namespace "demo" does not exist

  @upstream:TestDeniesInvalidServiceAccount @without-controllers
  Scenario: Without the default account a pod that names none is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {generateName: web-}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web-" is forbidden: error looking up service account demo/default: serviceaccount "default" not found
      """
