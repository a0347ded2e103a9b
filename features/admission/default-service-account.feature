Feature: Admission gives every pod a service account that exists
  The ServiceAccount admission plugin (Kubernetes v1.8, spec §2.3 steps 1–2) sets
  `spec.serviceAccountName` to `default` when a pod names none, and refuses a pod whose
  service account does not exist. A missing `default` account is looked up again a few
  times (10 attempts, 100–200 ms apart) because the service-account controller creates it
  moments after the namespace; any other missing account is refused at once.

  Background:
    Given a namespace "demo"

  @upstream:TestAutomountsAPIToken @legacy
  Scenario: A pod that names no service account runs as "default"
    Given the service account "default" in namespace "demo" has a token
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
      """
    And the pod "web" in namespace "demo" has the service-account token mounted

  # Each pod is recorded as its own snapshot: the second as `...pod-web__in-other`.
  @legacy
  Scenario: Pods of one name in two namespaces each mount their own namespace's token
    Given a namespace "other"
    And the service account "default" in namespace "demo" has a token
    And the service account "default" in namespace "other" has a token
    And I remember the token secret of service account "default" in namespace "demo" as "demo-token"
    And I remember the token secret of service account "default" in namespace "other" as "other-token"
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
      """
    And I create in namespace "other":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web, labels: {app: web}}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        volumes: [{secret: {secretName: "${demo-token}"}}]
      """
    And the pod "web" in namespace "other" matches:
      """
      metadata:
        labels: {app: web}
      spec:
        volumes: [{secret: {secretName: "${other-token}"}}]
      """

  @legacy
  Scenario: A pod may name its service account with the deprecated field serviceAccount
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
        serviceAccount: robot
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        serviceAccountName: robot
      """
    And the pod "web" in namespace "demo" has the service-account token mounted

  @upstream:TestDeniesInvalidServiceAccount @legacy
  Scenario: A pod whose service account does not exist is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: missing
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: service account demo/missing was not found, retry after the service account is created
      """
    And the pod "web" in namespace "demo" does not exist

  # Names are generated after admission, so the refusal quotes the generateName (spec §2.3).
  @legacy
  Scenario: A refused pod without a name is called by its generateName
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {generateName: web-}
      spec:
        serviceAccountName: missing
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web-" is forbidden: service account demo/missing was not found, retry after the service account is created
      """

  # Without the service-account controller nobody creates "default", so the plugin's
  # ten lookups (about 1.5 s) all miss and the pod is refused. With the controller running
  # this outcome cannot be produced on purpose, hence the tag (embedded backend only).
  @without-controllers @legacy
  Scenario: A pod is refused when the namespace has no "default" service account
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: service account demo/default was not found, retry after the service account is created
      """

  @upstream:TestFetchesUncachedServiceAccount @legacy
  Scenario: A service account created just before the pod is found
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      ---
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
      """
    And the pod "web" in namespace "demo" has the service-account token mounted
