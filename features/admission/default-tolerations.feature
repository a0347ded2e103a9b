Feature: Every pod tolerates a not-ready or unreachable node for 300 seconds
  kube-apiserver runs the DefaultTolerationSeconds admission plugin by default (both modes
  serve 1.33's API). A pod created without a NoExecute toleration for
  `node.kubernetes.io/not-ready` or `node.kubernetes.io/unreachable` gets one, `operator:
  Exists` and `tolerationSeconds: 300`, after its own tolerations; a toleration with an
  empty key or effect counts as one (plugin/pkg/admission/defaulttolerationseconds).

  Background:
    Given a namespace "demo"
    And the service account "default" in namespace "demo" has a token

  @upstream:TestForgivenessAdmission
  Scenario: A pod without tolerations gets both, in upstream's order
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
        tolerations:
        - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
        - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
      """

  @upstream:TestForgivenessAdmission
  Scenario: A pod's own not-ready toleration is kept and only unreachable is added, last
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
        tolerations:
        - {key: gpu, operator: Exists, effect: NoSchedule}
        - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        tolerations:
        - {key: gpu, operator: Exists, effect: NoSchedule}
        - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
        - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
      """

  @upstream:TestForgivenessAdmission
  Scenario: A toleration of every taint leaves nothing to add
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
        tolerations:
        - {operator: Exists}
      """
    Then the pod "web" in namespace "demo" matches in order:
      """
      spec:
        tolerations:
        - {operator: Exists}
      """
