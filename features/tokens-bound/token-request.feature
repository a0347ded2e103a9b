@bound
Feature: TokenRequest issues bound service-account tokens
  In bound mode (Kubernetes 1.33) a client asks for a token with a TokenRequest
  (`authentication.k8s.io/v1`), created on the `serviceaccounts/<name>/token` subresource
  (spec-modern §1). The token is a JWT signed by the cluster (§2): its audiences default to
  the API audiences, it lives an hour unless asked otherwise, and it may be bound to a pod,
  a secret or a node, whose deletion revokes it. Nothing is stored.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"

  @upstream:TestServiceAccountTokenCreate/bound_to_service_account
  Scenario: A token bound to its account only, refused once the account is deleted
    When I try to request a token for service account "missing" in namespace "demo"
    Then the request is rejected with HTTP 404 "NotFound" and the message:
      """
      serviceaccounts "missing" not found
      """
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      metadata: {name: other}
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      TokenRequest.authentication.k8s.io "robot" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified
      """
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      metadata: {namespace: elsewhere}
      """
    Then the request is rejected with HTTP 400 "BadRequest" and the message:
      """
      the namespace of the provided object does not match the namespace sent on the request
      """
    When I request a token for service account "robot" in namespace "demo" as "robot-token"
    Then the token request is answered with:
      """
      apiVersion: authentication.k8s.io/v1
      kind: TokenRequest
      metadata: {name: robot, namespace: demo}
      spec:
        audiences: [https://kubernetes.default.svc.cluster.local]
        expirationSeconds: 3600
      status:
        token: "{{any}}"
      """
    And the remembered token "robot-token" matches the snapshot
    And the remembered token "robot-token" authenticates as, with lists in order:
      """
      username: system:serviceaccount:demo:robot
      uid: "${robot-uid}"
      groups: [system:serviceaccounts, system:serviceaccounts:demo, system:authenticated]
      extra:
        authentication.kubernetes.io/pod-name: null
        authentication.kubernetes.io/node-name: null
      """
    When I delete the service account "robot" in namespace "demo"
    Then within 15 seconds the remembered token "robot-token" is rejected with HTTP 401

  # NamespaceLifecycle admission runs in the create handler before TokenREST looks the
  # account up; admission.NewForbidden quotes the request's name, which for this named
  # create is the account in the URL.
  Scenario: A token request in a terminating namespace is refused, naming the account
    Given I create in namespace "demo":
      """
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: held
        finalizers: [conformance.kube-sa.io/hold]
      """
    When I delete the namespace "demo"
    Then within 5 seconds the namespace "demo" matches:
      """
      status: {phase: Terminating}
      """
    When I try to request a token for service account "robot" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      serviceaccounts "robot" is forbidden: unable to create new content in namespace demo because it is being terminated
      """
    When I patch the config map "held" in namespace "demo" with:
      """
      metadata: {finalizers: null}
      """
    Then within 5 seconds the namespace "demo" does not exist

  @upstream:TestServiceAccountTokenCreate/bound_to_service_account_and_pod
  Scenario: A pod-bound token names the pod, and dies with it
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        containers: [{name: app, image: nginx}]
      """
    And I remember the metadata.uid of the pod "web" in namespace "demo" as "web-uid"
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: v1, name: nope}
      """
    Then the request is rejected with HTTP 404 "NotFound" and the message:
      """
      pods "nope" not found
      """
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web, uid: not-the-uid}
      """
    Then the request is rejected with HTTP 409 "Conflict" and the message:
      """
      Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (not-the-uid) does not match the UID in record. The object might have been deleted and then recreated
      """
    When I request a token for service account "robot" in namespace "demo" as "web-token" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web, uid: "${web-uid}"}
      """
    Then the remembered token "web-token" matches the snapshot
    And the remembered token "web-token" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      extra:
        authentication.kubernetes.io/pod-name: [web]
        authentication.kubernetes.io/pod-uid: ["${web-uid}"]
        authentication.kubernetes.io/node-name: null
      """
    # A server on a real clock caches a token's success for 10 seconds (upstream's
    # --token-auth cache), so the refusal is awaited before the review says why.
    When I delete the pod "web" in namespace "demo"
    Then within 15 seconds the remembered token "web-token" is rejected with HTTP 401
    When I review the remembered token "web-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, service account token has been invalidated]"
      """

  # @embedded-only: nodes are cluster-scoped, so on a shared cluster another scenario's node could stand in.
  @upstream:TestServiceAccountTokenCreate/bound_to_service_account_and_a_pod_with_an_assigned_nodeName_that_does_not_exist @embedded-only
  Scenario: A token bound to a scheduled pod whose node does not exist names the node only
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        nodeName: worker-1
        containers: [{name: app, image: nginx}]
      """
    When I request a token for service account "robot" in namespace "demo" as "web-token" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
      """
    Then the remembered token "web-token" matches the snapshot
    And the remembered token "web-token" authenticates as:
      """
      extra:
        authentication.kubernetes.io/pod-name: [web]
        authentication.kubernetes.io/node-name: [worker-1]
        authentication.kubernetes.io/node-uid: null
      """

  # @embedded-only: nodes are cluster-scoped, so on a shared cluster another scenario's node could stand in.
  @upstream:TestServiceAccountTokenCreate/bound_to_service_account_and_a_pod_with_an_assigned_nodeName @embedded-only
  Scenario: A token bound to a scheduled pod names its node with the node's uid
    Given a node "worker-1" whose uid I remember as "node-uid"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        nodeName: worker-1
        containers: [{name: app, image: nginx}]
      """
    When I request a token for service account "robot" in namespace "demo" as "web-token" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
      """
    Then the remembered token "web-token" matches the snapshot
    And the remembered token "web-token" authenticates as:
      """
      extra:
        authentication.kubernetes.io/pod-name: [web]
        authentication.kubernetes.io/node-name: [worker-1]
        authentication.kubernetes.io/node-uid: ["${node-uid}"]
      """

  # @embedded-only: nodes are cluster-scoped, so on a shared cluster another scenario's node could stand in.
  @upstream:TestServiceAccountTokenCreate/bound_to_service_account_and_node @embedded-only
  Scenario: A node-bound token names the node, and dies with it
    Given a node "worker-1" whose uid I remember as "node-uid"
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec:
        boundObjectRef: {kind: Node, apiVersion: v1, name: worker-2}
      """
    Then the request is rejected with HTTP 404 "NotFound" and the message:
      """
      nodes "worker-2" not found
      """
    When I request a token for service account "robot" in namespace "demo" as "node-token" with:
      """
      spec:
        boundObjectRef: {kind: Node, apiVersion: v1, name: worker-1, uid: "${node-uid}"}
      """
    Then the remembered token "node-token" matches the snapshot
    And the remembered token "node-token" authenticates as:
      """
      extra:
        authentication.kubernetes.io/node-name: [worker-1]
        authentication.kubernetes.io/node-uid: ["${node-uid}"]
        authentication.kubernetes.io/pod-name: null
      """
    When the node "worker-1" is deleted
    Then within 15 seconds the remembered token "node-token" is rejected with HTTP 401

  @upstream:TestServiceAccountTokenCreate/bound_to_service_account_and_secret
  Scenario: A secret-bound token names the secret, and dies with it
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: session}
      type: Opaque
      """
    And I remember the metadata.uid of the secret "session" in namespace "demo" as "session-uid"
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec:
        boundObjectRef: {kind: Secret, apiVersion: v1, name: session, uid: not-the-uid}
      """
    Then the request is rejected with HTTP 409 "Conflict" and the message:
      """
      Operation cannot be fulfilled on Secret "session": the UID in the bound object reference (not-the-uid) does not match the UID in record. The object might have been deleted and then recreated
      """
    When I request a token for service account "robot" in namespace "demo" as "session-token" with:
      """
      spec:
        boundObjectRef: {kind: Secret, apiVersion: v1, name: session, uid: "${session-uid}"}
      """
    Then the remembered token "session-token" matches the snapshot
    And the remembered token "session-token" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """
    When I delete the secret "session" in namespace "demo"
    Then within 15 seconds the remembered token "session-token" is rejected with HTTP 401

  @upstream:TestServiceAccountTokenCreate/bound_to_service_account_and_pod_running_as_different_service_account
  Scenario: A token cannot be bound to a pod of another account
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: other}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: other
        automountServiceAccountToken: false
        containers: [{name: app, image: nginx}]
      """
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
      """
    Then the request is rejected with HTTP 400 "BadRequest" and the message:
      """
      cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name.
      """

  Scenario: Only core-group pods, secrets and nodes can be bound
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec:
        boundObjectRef: {kind: ConfigMap, apiVersion: v1, name: settings}
      """
    Then the request is rejected with HTTP 400 "BadRequest" and the message:
      """
      cannot bind token to object of type /v1, Kind=ConfigMap
      """
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: apps/v1, name: web}
      """
    Then the request is rejected with HTTP 400 "BadRequest" and the message:
      """
      cannot bind token to object of type apps/v1, Kind=Pod
      """

  Scenario: A token lives at least ten minutes and at most 2^32 seconds
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec: {expirationSeconds: 300}
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes
      """
    When I try to request a token for service account "robot" in namespace "demo" with:
      """
      spec: {expirationSeconds: 4294967297}
      """
    Then the request is rejected with HTTP 422 "Invalid" and the message:
      """
      TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds
      """
    When I request a token for service account "robot" in namespace "demo" as "long-token" with:
      """
      spec: {expirationSeconds: 7200, audiences: [api, vault]}
      """
    Then the token request is answered with:
      """
      spec: {expirationSeconds: 7200, audiences: [api, vault]}
      """
    And the remembered token "long-token" matches the snapshot

  @upstream:TestServiceAccountTokenCreate/expiration_extended_token
  Scenario: A pod-bound token asked for 3607 seconds lives a year and warns after 3607 seconds
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        containers: [{name: app, image: nginx}]
      """
    When I request a token for service account "robot" in namespace "demo" as "extended-token" with:
      """
      spec:
        expirationSeconds: 3607
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
      """
    Then the token request is answered with:
      """
      spec: {expirationSeconds: 3607}
      """
    And the remembered token "extended-token" matches the snapshot

  @upstream:TestServiceAccountTokenCreate/extended_expiration_extended_does_not_apply_for_other_audiences
  Scenario: The extension does not apply when another audience is asked for
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        containers: [{name: app, image: nginx}]
      """
    When I request a token for service account "robot" in namespace "demo" as "plain-token" with:
      """
      spec:
        expirationSeconds: 3607
        audiences: [not-the-api, https://kubernetes.default.svc.cluster.local]
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
      """
    Then the remembered token "plain-token" matches the snapshot

