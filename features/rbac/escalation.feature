Feature: Escalation prevention on roles and bindings
  A user may write a Role only with rules it already holds in the Role's namespace, unless
  it may `escalate` roles; it may write a RoleBinding only to a role whose rules it holds,
  unless it may `bind` that role. Members of system:masters may write anything. A refusal
  is 403 Forbidden naming the user, its groups and the permissions it does not hold,
  broken down and merged by resource as kube-apiserver prints them.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: manager}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: rbac-writer}
      rules:
      - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings], verbs: [create]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: manager-writes-rbac}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rbac-writer}
      subjects:
      - {kind: ServiceAccount, name: manager}
      """

  @upstream:TestRBAC
  Scenario: A user without pods permissions cannot create a Role granting them, and can with escalate
    When the token of service account "manager" in namespace "demo" is used to create "roles.rbac.authorization.k8s.io" in namespace "demo" with:
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: pod-getter}
      rules:
      - {apiGroups: [""], resources: [pods], verbs: [get]}
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      roles.rbac.authorization.k8s.io "pod-getter" is forbidden: user "system:serviceaccount:demo:manager" (groups=["system:serviceaccounts" "system:serviceaccounts:demo" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
      {APIGroups:[""], Resources:["pods"], Verbs:["get"]}
      """
    When I create in namespace "demo":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: escalator}
      rules:
      - {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: manager-escalates}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: escalator}
      subjects:
      - {kind: ServiceAccount, name: manager}
      """
    And the token of service account "manager" in namespace "demo" is used to create "roles.rbac.authorization.k8s.io" in namespace "demo" with:
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: pod-getter}
      rules:
      - {apiGroups: [""], resources: [pods], verbs: [get]}
      """
    Then the request succeeds

  @upstream:TestRBAC
  Scenario: A Role within the rules its writer holds needs no escalate
    When the token of service account "manager" in namespace "demo" is used to create "roles.rbac.authorization.k8s.io" in namespace "demo" with:
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: role-creator}
      rules:
      - {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [create]}
      """
    Then the request succeeds

  @upstream:TestRBAC
  Scenario: Binding a role whose rules the writer lacks needs bind on that role
    Given I create in namespace "demo":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: pod-reader}
      rules:
      - {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
      """
    When the token of service account "manager" in namespace "demo" is used to create "rolebindings.rbac.authorization.k8s.io" in namespace "demo" with:
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: manager-reads-pods}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
      subjects:
      - {kind: ServiceAccount, name: manager}
      """
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      rolebindings.rbac.authorization.k8s.io "manager-reads-pods" is forbidden: user "system:serviceaccount:demo:manager" (groups=["system:serviceaccounts" "system:serviceaccounts:demo" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
      {APIGroups:[""], Resources:["pods"], Verbs:["get" "list" "watch"]}
      """
    When I create in namespace "demo":
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: pod-reader-binder}
      rules:
      - {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [bind], resourceNames: [pod-reader]}
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: manager-binds-pod-reader}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader-binder}
      subjects:
      - {kind: ServiceAccount, name: manager}
      """
    And the token of service account "manager" in namespace "demo" is used to create "rolebindings.rbac.authorization.k8s.io" in namespace "demo" with:
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata: {name: manager-reads-pods}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
      subjects:
      - {kind: ServiceAccount, name: manager}
      """
    Then the request succeeds
    When the token of service account "manager" in namespace "demo" is used to list "pods" in namespace "demo"
    Then the request succeeds
