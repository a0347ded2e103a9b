Feature: Mirror pods are checked but never changed
  A mirror (static) pod carries the annotation kubernetes.io/config.mirror (any value).
  Admission never mutates it: no default service account, no token, no pull secrets.
  It is refused if it names a service account, then if it references any secret
  (volumes, env or envFrom of any container, imagePullSecrets) (spec §2.7).
  The kubelet creates mirror pods already bound to its node, hence `nodeName`.

  Background:
    Given a namespace "demo"

  @upstream:TestIgnoresMirrorPod @legacy
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
        volumes: [{name: creds, secret: {secretName: creds}}]
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "static-web" is forbidden: a mirror pod may not reference service accounts
      """

  @upstream:TestRejectsMirrorPodWithSecretVolumes
  Scenario Outline: A mirror pod may not reference a secret through <place>
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: static-web
        annotations: {kubernetes.io/config.mirror: mirror}
      spec: <spec>
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "static-web" is forbidden: a mirror pod may not reference secrets
      """

    Examples:
      | place                   | spec                                                                                                                              |
      | a secret volume         | {nodeName: node-1, containers: [{name: app, image: nginx}], volumes: [{name: creds, secret: {secretName: creds}}]}                                  |
      | a container env var     | {nodeName: node-1, containers: [{name: app, image: nginx, env: [{name: P, valueFrom: {secretKeyRef: {name: creds, key: p}}}]}]}                     |
      | a container envFrom     | {nodeName: node-1, containers: [{name: app, image: nginx, envFrom: [{secretRef: {name: creds}}]}]}                                                  |
      | an init container env   | {nodeName: node-1, initContainers: [{name: setup, image: busybox, env: [{name: P, valueFrom: {secretKeyRef: {name: creds, key: p}}}]}], containers: [{name: app, image: nginx}]} |
      | imagePullSecrets        | {nodeName: node-1, imagePullSecrets: [{name: registry}], containers: [{name: app, image: nginx}]}                                                   |
      | a projected secret      | {nodeName: node-1, containers: [{name: app, image: nginx}], volumes: [{name: bundle, projected: {sources: [{secret: {name: creds}}]}}]}              |
