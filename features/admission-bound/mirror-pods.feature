@bound
Feature: Bound mode: mirror pods are checked but never changed
  A mirror (static) pod carries the annotation kubernetes.io/config.mirror (any value).
  Admission never mutates it. It is refused if it names a service account, then if it
  references any secret, then if it projects a service-account token (spec §4.6).
  The kubelet creates mirror pods already bound to its node, hence `nodeName`.

  Background:
    Given a namespace "demo"

  @upstream:TestIgnoresMirrorPod
  Scenario: A mirror pod is admitted unchanged
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: static-web
        annotations: {kubernetes.io/config.mirror: mirror}
      spec:
        nodeName: node-1
        containers: [{name: app, image: nginx}]
        volumes: [{name: scratch, emptyDir: {}}]
      """
    Then the pod "static-web" in namespace "demo" matches:
      """
      spec:
        serviceAccountName: null
        imagePullSecrets: null
        containers:
        - name: app
          volumeMounts: null
        volumes:
        - {name: scratch}
      """

  @upstream:TestRejectsMirrorPodWithServiceAccount
  Scenario: A mirror pod may not name a service account
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: static-web
        annotations: {kubernetes.io/config.mirror: ""}
      spec:
        nodeName: node-1
        serviceAccountName: default
        containers: [{name: app, image: nginx}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "static-web" is forbidden: a mirror pod may not reference service accounts
      """

  @upstream:TestRejectsMirrorPodWithSecretVolumes
  Scenario: A mirror pod may not reference a secret
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: static-web
        annotations: {kubernetes.io/config.mirror: mirror}
      spec:
        nodeName: node-1
        containers: [{name: app, image: nginx}]
        volumes: [{name: creds, secret: {secretName: creds}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "static-web" is forbidden: a mirror pod may not reference secrets
      """

  @upstream:TestRejectsMirrorPodWithServiceAccountTokenVolumeProjections
  Scenario: A mirror pod may not project a service-account token
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: static-web
        annotations: {kubernetes.io/config.mirror: mirror}
      spec:
        nodeName: node-1
        containers: [{name: app, image: nginx}]
        volumes:
        - name: token
          projected:
            sources: [{serviceAccountToken: {path: token}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "static-web" is forbidden: a mirror pod may not use ServiceAccountToken volume projections
      """
