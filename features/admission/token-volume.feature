@legacy
Feature: The service account's token is mounted into every container
  Kubernetes v1.8 (spec §2.4): admission picks the first secret in the account's
  `secrets` list that is one of its token Secrets, adds a `secret` volume named after it,
  and mounts it read-only at /var/run/secrets/kubernetes.io/serviceaccount in every init
  container and container that has no mount at that path yet.

  Background:
    Given a namespace "demo"
    And the service account "default" in namespace "demo" has a token
    And I remember the token secret of service account "default" in namespace "demo" as "token"

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
          - {name: "${token}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        containers:
        - name: app
          volumeMounts:
          - {name: "${token}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        - name: sidecar
          volumeMounts:
          - {name: "${token}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - name: "${token}"
          secret: {secretName: "${token}"}
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
          - {name: "${token}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: cache}
        - {name: "${token}", secret: {secretName: "${token}"}}
      """

  @upstream:TestRespectsExistingMount
  Scenario: A container that already mounts something at the path is left alone
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers:
        - name: app
          image: nginx
          volumeMounts: [{name: my-token, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]
        volumes: [{name: my-token, emptyDir: {}}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: my-token, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: my-token}
      """

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
          volumeMounts: [{name: my-token, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]
        - {name: sidecar, image: envoy}
        volumes: [{name: my-token, emptyDir: {}}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: my-token, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        - name: sidecar
          volumeMounts:
          - {name: "${token}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: my-token}
        - {name: "${token}", secret: {secretName: "${token}"}}
      """

  Scenario: A volume the pod already has for the token secret is reused under its own name
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
        volumes: [{name: api-token, secret: {secretName: "${token}"}}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: api-token, readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: api-token, secret: {secretName: "${token}"}}
      """

  Scenario: A pod volume that already uses the token secret's name makes the token volume get a generated name
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
        volumes: [{name: "${token}", emptyDir: {}}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: "${token}-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: "${token}", emptyDir: {}}
        - {name: "${token}-{{suffix}}", secret: {secretName: "${token}"}}
      """

  @upstream:TestMultipleReferencedSecrets
  Scenario: With several token secrets, the first one the account lists is mounted
    # The account is created first: a token secret whose account does not exist yet
    # would be deleted by the token controller.
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      secrets: [{name: robot-token-one}, {name: robot-token-two}]
      """
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-token-two
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      ---
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-token-one
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
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
        volumes:
        - {name: robot-token-one, secret: {secretName: robot-token-one}}
      """
