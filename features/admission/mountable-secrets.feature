Feature: A service account can limit the secrets its pods may use
  When the service account carries the annotation kubernetes.io/enforce-mountable-secrets
  with a value Go's strconv.ParseBool reads as true (1, t, T, TRUE, true, True), or the
  plugin's LimitSecretReferences switch is on, a pod may only use the secrets the account
  lists in `secrets` (volumes, env valueFrom) and `imagePullSecrets` (pull secrets).
  The checks run in this order and the first violation refuses the pod (spec §2.6):
  secret volumes, init containers' env, containers' env, then imagePullSecrets.
  In v1.8 these checks run before the token volume is added.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: robot
        annotations: {kubernetes.io/enforce-mountable-secrets: "true"}
      secrets: [{name: allowed}]
      imagePullSecrets: [{name: registry}]
      """

  @upstream:TestRejectsUnreferencedSecretVolumes
  Scenario: A secret volume the account does not list is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers: [{name: app, image: nginx}]
        volumes: [{name: creds, secret: {secretName: other}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: volume with secret.secretName="other" is not allowed because service account robot does not reference that secret
      """

  @upstream:TestRejectsUnreferencedSecretVolumes
  Scenario: An init container's env var from a secret the account does not list is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        initContainers:
        - name: setup
          image: busybox
          env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: other, key: password}}}]
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: init container setup with envVar PASSWORD referencing secret.secretName="other" is not allowed because service account robot does not reference that secret
      """

  @upstream:TestRejectsUnreferencedSecretVolumes
  Scenario: A container's env var from a secret the account does not list is refused
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers:
        - name: app
          image: nginx
          env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: other, key: password}}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: container app with envVar PASSWORD referencing secret.secretName="other" is not allowed because service account robot does not reference that secret
      """

  @upstream:TestRejectsUnreferencedImagePullSecrets
  Scenario: A pull secret the account does not list is refused, naming its index
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        imagePullSecrets: [{name: registry}, {name: other}]
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: imagePullSecrets[1].name="other" is not allowed because service account robot does not reference that imagePullSecret
      """

  Scenario: The first violation in check order is reported
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        imagePullSecrets: [{name: other-registry}]
        containers:
        - name: app
          image: nginx
          env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: other-env, key: password}}}]
        volumes: [{name: creds, secret: {secretName: other-volume}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: volume with secret.secretName="other-volume" is not allowed because service account robot does not reference that secret
      """

  @upstream:TestAllowsReferencedSecret @upstream:TestAllowsReferencedImagePullSecrets @legacy
  Scenario: Secrets and pull secrets the account lists are allowed
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        imagePullSecrets: [{name: registry}]
        containers:
        - name: app
          image: nginx
          env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: allowed, key: password}}}]
          volumeMounts: [{name: creds, mountPath: /creds}]
        volumes: [{name: creds, secret: {secretName: allowed}}]
      """
    Then the pod "web" in namespace "demo" has the service-account token mounted

  @legacy
  Scenario: Secret sources inside projected volumes and envFrom are not checked in v1.8
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers:
        - name: app
          image: nginx
          envFrom: [{secretRef: {name: other-env-from}}]
        volumes:
        - name: bundle
          projected:
            sources: [{secret: {name: other-projected}}]
      """
    Then the pod "web" in namespace "demo" has the service-account token mounted

  @upstream:TestAllowUnreferencedSecretVolumesForPermissiveSAs
  Scenario Outline: The annotation value "<value>" turns enforcement on
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: builder
        annotations: {kubernetes.io/enforce-mountable-secrets: "<value>"}
      """
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: builder
        containers: [{name: app, image: nginx}]
        volumes: [{name: creds, secret: {secretName: other}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: volume with secret.secretName="other" is not allowed because service account builder does not reference that secret
      """

    Examples:
      | value |
      | 1     |
      | t     |
      | T     |
      | TRUE  |
      | true  |
      | True  |

  @legacy
  Scenario Outline: The annotation value "<value>" leaves enforcement off
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: builder
        annotations: {kubernetes.io/enforce-mountable-secrets: "<value>"}
      """
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: builder
        containers: [{name: app, image: nginx}]
        volumes: [{name: creds, secret: {secretName: other}}]
      """
    Then the pod "web" in namespace "demo" has the service-account token mounted

    Examples:
      | value |
      | false |
      | 0     |
      | yes   |
      | on    |
      |       |

  @legacy
  Scenario: Without the annotation, any secret may be used
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: builder}
      """
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: builder
        imagePullSecrets: [{name: any-registry}]
        containers:
        - name: app
          image: nginx
          env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: any-env, key: password}}}]
        volumes: [{name: creds, secret: {secretName: any-volume}}]
      """
    Then the pod "web" in namespace "demo" has the service-account token mounted

  # The plugin switch LimitSecretReferences cannot be set on a shared cluster: embedded only.
  @admission:limit-secret-references=true @upstream:TestRejectsUnreferencedSecretVolumes
  Scenario: With the plugin's LimitSecretReferences on, every account is enforced
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: builder}
      """
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: builder
        containers: [{name: app, image: nginx}]
        volumes: [{name: creds, secret: {secretName: other}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: volume with secret.secretName="other" is not allowed because service account builder does not reference that secret
      """

  # What the account lists names Secrets of its own namespace: a reference keeps only its
  # name on create and update, whatever else was given with it (cleanSecretReferences in
  # pkg/registry/core/serviceaccount/strategy.go). No controllers, so no token reference
  # joins the list.
  @without-controllers
  Scenario: A secret reference on the account keeps only its name
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: refs}
      secrets: [{name: shared, namespace: other, kind: Secret, uid: "123"}]
      """
    Then the service account "refs" in namespace "demo" matches:
      """
      secrets: [{name: shared, namespace: null, kind: null, uid: null}]
      """
    When I patch the service account "refs" in namespace "demo" with:
      """
      secrets: [{name: elsewhere, namespace: other}]
      """
    Then the service account "refs" in namespace "demo" matches:
      """
      secrets: [{name: elsewhere, namespace: null}]
      """
