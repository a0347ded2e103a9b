@legacy
Feature: A pod waits until its service account has a token
  Kubernetes v1.8 (spec §2.4 step 2): when the token is to be mounted but the account
  lists no token Secret yet, the pod is refused with a ServerTimeout (HTTP 500) that asks
  the client to retry after a second. The token controller normally creates the token
  within milliseconds, so these scenarios run without it (`@without-controllers`, embedded
  backend only): that is the only way to make the refusal certain rather than a race.

  Background:
    Given a namespace "demo"

  @without-controllers @upstream:TestAssignsDefaultServiceAccountAndRejectsMissingAPIToken
  Scenario: A pod is refused with a retryable ServerTimeout while its account has no token
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
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
    And the request is rejected with HTTP 500 "ServerTimeout" and the details:
      """
      kind: serviceaccounts
      name: create pod
      retryAfterSeconds: 1
      """

  @without-controllers @upstream:TestGetServiceAccountTokens
  Scenario: A listed secret that is not the account's token does not count as its token
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: robot-credentials}, {name: other-token}]
      ---
      apiVersion: v1
      kind: Secret
      metadata: {name: robot-credentials}
      type: Opaque
      stringData: {password: hunter2}
      ---
      apiVersion: v1
      kind: Secret
      metadata:
        name: other-token
        annotations: {kubernetes.io/service-account.name: someone-else}
      type: kubernetes.io/service-account-token
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

  @without-controllers @admission:require-api-token=false @upstream:TestAssignsDefaultServiceAccountAndToleratesMissingAPIToken
  Scenario: With the token not required, a pod is admitted without one
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: default}
      """
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the request succeeds
    And the pod "web" in namespace "demo" matches:
      """
      spec:
        serviceAccountName: default
        containers:
        - name: app
          volumeMounts: []
        volumes: []
      """
