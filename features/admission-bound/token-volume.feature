@bound
Feature: Bound mode: the projected kube-api-access volume is mounted into every container
  Kubernetes 1.33 (spec §4.3, §4.4): admission never reads or waits for a token Secret.
  A pod that wants a token gets one projected volume `kube-api-access-<5 chars>` (a bound
  service-account token, the `kube-root-ca.crt` CA and the namespace), mounted read-only
  at /var/run/secrets/kubernetes.io/serviceaccount in every init container and container
  that has no mount at that path yet. Ephemeral containers never get it.

  Background:
    Given a namespace "demo"

  @upstream:TestAssignsDefaultServiceAccountAndBoundTokenWithNoSecretTokens @upstream:TestServiceAccountTokenAutoMount
  Scenario: A pod gets the default account and exactly upstream's projected volume
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        serviceAccountName: default
        serviceAccount: default
        containers:
        - name: app
          volumeMounts:
          - {name: "kube-api-access-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - name: "kube-api-access-{{suffix}}"
          projected:
            defaultMode: 420
            sources:
            - serviceAccountToken: {expirationSeconds: 3607, path: token}
            - configMap:
                name: kube-root-ca.crt
                items: [{key: ca.crt, path: ca.crt}]
            - downwardAPI:
                items:
                - fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}
                  path: namespace
      """

  @upstream:TestAutomountsAPIToken
  Scenario: Init containers and containers all get the token, and the volume is added once
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        initContainers: [{name: setup, image: busybox}]
        containers: [{name: app, image: nginx}, {name: sidecar, image: envoy}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        initContainers:
        - name: setup
          volumeMounts:
          - {name: "kube-api-access-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        containers:
        - name: app
          volumeMounts:
          - {name: "kube-api-access-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        - name: sidecar
          volumeMounts:
          - {name: "kube-api-access-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - name: "kube-api-access-{{suffix}}"
      """

  @upstream:TestRespectsExistingMount
  Scenario: A container that already mounts something at the path is left alone, and no volume is added
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers:
        - name: app
          image: nginx
          volumeMounts: [{name: own, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]
        volumes: [{name: own, emptyDir: {}}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: own, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: own, emptyDir: {}}
      """

  @upstream:TestRespectsExistingMount
  Scenario: Only the containers without a mount at the path get the token
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers:
        - name: app
          image: nginx
          volumeMounts: [{name: own, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: false}]
        - {name: sidecar, image: envoy}
        volumes: [{name: own, emptyDir: {}}]
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: own, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        - name: sidecar
          volumeMounts:
          - {name: "kube-api-access-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: own}
        - {name: "kube-api-access-{{suffix}}"}
      """

  Scenario: A volume whose name starts with kube-api-access- is reused, whatever its source
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
        volumes: [{name: kube-api-access-mine, emptyDir: {}}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: kube-api-access-mine, readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: kube-api-access-mine, emptyDir: {}}
      """

  Scenario: The token volume is added after the pod's own volumes
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx, volumeMounts: [{name: cache, mountPath: /cache}]}]
        volumes: [{name: cache, emptyDir: {}}]
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: cache, mountPath: /cache}
          - {name: "kube-api-access-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: cache}
        - {name: "kube-api-access-{{suffix}}"}
      """

  # No token Secret is ever needed: an account whose only listed secret does not exist,
  # and a cluster without the controllers, still get pods admitted at once.
  @without-controllers
  Scenario: A pod is admitted without any token Secret
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: robot-token-missing}]
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
    Then the request succeeds
    And the pod "web" in namespace "demo" matches:
      """
      spec:
        volumes:
        - name: "kube-api-access-{{suffix}}"
          projected:
            sources:
            - serviceAccountToken: {expirationSeconds: 3607, path: token}
            - configMap: {name: kube-root-ca.crt}
            - downwardAPI: {}
      """
