Feature: A request without credentials is the anonymous user
  kube-apiserver runs with --anonymous-auth=true by default: a request that carries no
  credentials at all is the user system:anonymous in the group system:unauthenticated,
  and RBAC decides what it may do (a token that fails is 401, never anonymous). The
  bootstrap policy grants that group only system:public-info-viewer (/version and the
  health paths); anything else is 403 with the text of kube-apiserver until a binding
  names the user or the group.

  Background:
    Given a namespace "demo"

  Scenario: The anonymous user is refused, then allowed by a binding for system:unauthenticated
    When no credentials are used to list "pods" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "demo"
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
      metadata: {name: anonymous-reads-pods}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
      subjects:
      - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}
      """
    And no credentials are used to list "pods" in namespace "demo"
    Then the request succeeds
    When no credentials are used to list "configmaps" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "demo"
      """
