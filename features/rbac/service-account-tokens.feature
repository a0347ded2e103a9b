Feature: RBAC authorizes service-account tokens
  A service-account token authenticates as system:serviceaccount:<namespace>:<account> in
  the groups system:serviceaccounts and system:serviceaccounts:<namespace>. What it may do
  is what the RoleBindings and ClusterRoleBindings naming that user or those groups grant:
  a rule allows a request when it names the verb, the API group, the resource (with its
  subresource, or `*/<subresource>`) and, when it lists resource names, the object's name;
  `*` matches everything. A ServiceAccount subject without a namespace means the account
  of the binding's namespace. A binding counts from the moment it is stored. A refusal is
  403 Forbidden with the text of kube-apiserver.

  Background:
    Given a namespace "demo"
    And a namespace "other"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """

  @upstream:TestRBAC @upstream:TestAuthorizer
  Scenario: A token is refused before a RoleBinding and allowed after it, for what the Role names only
    When the token of service account "robot" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "pods" in API group "" in the namespace "demo"
      """
    When I create in namespace "demo":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: pod-reader}
      rules:
      - {apiGroups: [""], resources: [pods], verbs: [get, list]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: robot-reads-pods}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
      subjects:
      - {kind: ServiceAccount, name: robot}
      """
    And the token of service account "robot" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request succeeds
    # Allowed to get: the missing pod is a 404, not a 403.
    When the token of service account "robot" in namespace "demo" is used to get "pods/web" in namespace "demo"
    Then the request is rejected with HTTP 404 "NotFound" and the message:
      """
      pods "web" not found
      """
    When the token of service account "robot" in namespace "demo" is used to delete "pods/web" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods "web" is forbidden: User "system:serviceaccount:demo:robot" cannot delete resource "pods" in API group "" in the namespace "demo"
      """
    When the token of service account "robot" in namespace "demo" is used to list "configmaps" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      configmaps is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "configmaps" in API group "" in the namespace "demo"
      """
    When the token of service account "robot" in namespace "demo" is used to list "pods" in namespace "other"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "pods" in API group "" in the namespace "other"
      """

  @upstream:TestAuthorizer
  Scenario: Resource names limit a rule to the objects they name
    Given I create in namespace "demo":
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {color: blue}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: settings-reader}
      rules:
      - {apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: robot-reads-settings}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: settings-reader}
      subjects:
      - {kind: ServiceAccount, name: robot, namespace: demo}
      """
    When the token of service account "robot" in namespace "demo" is used to get "configmaps/settings" in namespace "demo"
    Then the request succeeds
    When the token of service account "robot" in namespace "demo" is used to get "configmaps/secrets" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      configmaps "secrets" is forbidden: User "system:serviceaccount:demo:robot" cannot get resource "configmaps" in API group "" in the namespace "demo"
      """
    When the token of service account "robot" in namespace "demo" is used to list "configmaps" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      configmaps is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "configmaps" in API group "" in the namespace "demo"
      """

  # Upstream's request info takes a list's `fieldSelector=metadata.name=NAME` as the
  # request's name (requestinfo.go), so a rule limited by resourceNames allows listing
  # (and watching) exactly its object, as a leader-election Lease role relies on.
  Scenario: A list naming one object by field selector is allowed by resource names
    Given I create in namespace "demo":
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: settings-lister}
      rules:
      - {apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [list, watch]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: robot-lists-settings}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: settings-lister}
      subjects:
      - {kind: ServiceAccount, name: robot, namespace: demo}
      """
    When the token of service account "robot" in namespace "demo" is used to list "configmaps" in namespace "demo" with the field selector "metadata.name=settings"
    Then the request succeeds
    When the token of service account "robot" in namespace "demo" is used to list "configmaps" in namespace "demo" with the field selector "metadata.name=other"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      configmaps "other" is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "configmaps" in API group "" in the namespace "demo"
      """
    When the token of service account "robot" in namespace "demo" is used to list "configmaps" in namespace "demo" with the field selector "metadata.name!=other"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      configmaps is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "configmaps" in API group "" in the namespace "demo"
      """

  @upstream:TestAppliesTo
  Scenario: The group of a namespace's service accounts is bound to a ClusterRole in that namespace
    Given I create in namespace "demo":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: accounts-view}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
      subjects:
      - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:serviceaccounts:demo"}
      """
    When the token of service account "robot" in namespace "demo" is used to list "serviceaccounts" in namespace "demo"
    Then the request succeeds
    # The aggregated `view` role reads no secrets.
    When the token of service account "robot" in namespace "demo" is used to list "secrets" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      secrets is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "secrets" in API group "" in the namespace "demo"
      """
    When the token of service account "robot" in namespace "demo" is used to list "serviceaccounts" in namespace "other"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      serviceaccounts is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "serviceaccounts" in API group "" in the namespace "other"
      """

  @upstream:TestAppliesTo
  Scenario: A User subject naming the account's user name grants what a ServiceAccount subject would
    Given I create in namespace "demo":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: pod-reader}
      rules:
      - {apiGroups: [""], resources: [pods], verbs: [list]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: robot-user-reads-pods}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
      subjects:
      - {kind: User, apiGroup: rbac.authorization.k8s.io, name: "system:serviceaccount:demo:robot"}
      """
    When the token of service account "robot" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request succeeds
    When the token of service account "default" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods is forbidden: User "system:serviceaccount:demo:default" cannot list resource "pods" in API group "" in the namespace "demo"
      """
    # A changed binding counts from the moment it is stored.
    When I patch the role binding "robot-user-reads-pods" in namespace "demo" with:
      """
      subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: "system:serviceaccount:demo:default"}]
      """
    And the token of service account "default" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request succeeds
    When the token of service account "robot" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "pods" in API group "" in the namespace "demo"
      """

  @upstream:TestAppliesTo
  Scenario: A ServiceAccount subject names the account of its own namespace only
    Given I create in namespace "other":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: pod-reader}
      rules:
      - {apiGroups: [""], resources: [pods], verbs: [list]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: robot-reads-pods}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
      subjects:
      - {kind: ServiceAccount, name: robot}
      """
    # The subject means other/robot, not demo/robot.
    When the token of service account "robot" in namespace "demo" is used to list "pods" in namespace "other"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "pods" in API group "" in the namespace "other"
      """

  @upstream:TestAuthorizer
  Scenario: A binding to a missing role grants nothing and says why
    Given I create in namespace "demo":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: robot-reads-pods}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: not-there}
      subjects:
      - {kind: ServiceAccount, name: robot}
      """
    When the token of service account "robot" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "pods" in API group "" in the namespace "demo": RBAC: role.rbac.authorization.k8s.io "not-there" not found
      """
