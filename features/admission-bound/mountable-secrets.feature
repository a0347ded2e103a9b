@bound
Feature: Bound mode: an account may limit the secrets its pods use
  Kubernetes 1.33 (spec §4.5): when the account's annotation
  `kubernetes.io/enforce-mountable-secrets` parses as true (or the plugin's
  LimitSecretReferences is on), every `secret` volume, every env `secretKeyRef` and envFrom
  `secretRef` of init containers and containers must be listed in the account's `secrets`,
  and every `imagePullSecrets` entry in its `imagePullSecrets`. Projected volumes, the
  kube-api-access volume among them, are not checked. The first violation is refused (403).

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

  @upstream:TestAllowsReferencedSecret @upstream:TestAllowsReferencedImagePullSecrets
  Scenario: Secrets and pull secrets the account lists are allowed, and the token volume is not checked
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        imagePullSecrets: [{name: registry}]
        initContainers:
        - name: setup
          image: busybox
          envFrom: [{secretRef: {name: allowed}}]
        containers:
        - name: app
          image: nginx
          env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: allowed, key: password}}}]
        volumes:
        - {name: creds, secret: {secretName: allowed}}
        - name: bundle
          projected: {sources: [{secret: {name: not-listed}}]}
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        volumes:
        - {name: creds}
        - {name: bundle}
        - {name: "kube-api-access-{{suffix}}"}
      """

  @upstream:TestRejectsUnreferencedSecretVolumes @upstream:TestRejectsUnreferencedImagePullSecrets
  Scenario Outline: A secret the account does not list is refused: <place>
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec: <spec>
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: <message>
      """

    Examples:
      | place                  | spec                                                                                                                                                 | message                                                                                                                                                  |
      | a secret volume        | {serviceAccountName: robot, containers: [{name: app, image: nginx}], volumes: [{name: v, secret: {secretName: other}}]}                                                         | volume with secret.secretName="other" is not allowed because service account robot does not reference that secret                                       |
      | a container env        | {serviceAccountName: robot, containers: [{name: app, image: nginx, env: [{name: P, valueFrom: {secretKeyRef: {name: other, key: k}}}]}]}                                       | container app with envVar P referencing secret.secretName="other" is not allowed because service account robot does not reference that secret           |
      | a container envFrom    | {serviceAccountName: robot, containers: [{name: app, image: nginx, envFrom: [{secretRef: {name: other}}]}]}                                                                      | container app with envFrom referencing secret.secretName="other" is not allowed because service account robot does not reference that secret            |
      | an init container env  | {serviceAccountName: robot, initContainers: [{name: setup, image: busybox, env: [{name: P, valueFrom: {secretKeyRef: {name: other, key: k}}}]}], containers: [{name: app, image: nginx}]} | init container setup with envVar P referencing secret.secretName="other" is not allowed because service account robot does not reference that secret |
      | an init container envFrom | {serviceAccountName: robot, initContainers: [{name: setup, image: busybox, envFrom: [{secretRef: {name: other}}]}], containers: [{name: app, image: nginx}]}                 | init container setup with envFrom referencing secret.secretName="other" is not allowed because service account robot does not reference that secret  |
      | a pull secret          | {serviceAccountName: robot, containers: [{name: app, image: nginx}], imagePullSecrets: [{name: registry}, {name: other}]}                                                       | imagePullSecrets[1].name="other" is not allowed because service account robot does not reference that imagePullSecret                                   |

  @upstream:TestAllowUnreferencedSecretVolumesForPermissiveSAs
  Scenario: Without the annotation any secret may be used
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: permissive}
      """
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: permissive
        containers:
        - name: app
          image: nginx
          envFrom: [{secretRef: {name: other}}]
        volumes: [{name: creds, secret: {secretName: other}}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        serviceAccountName: permissive
      """
