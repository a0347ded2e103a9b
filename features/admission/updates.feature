Feature: Only pod creation is admitted
  In v1.8 the plugin is registered for CREATE and UPDATE, but an UPDATE of an (always
  initialized) pod is a no-op, and other resources are never looked at (spec §2.2).

  Background:
    Given a namespace "demo"

  @upstream:TestIgnoresNonCreate @legacy
  Scenario: Updating a pod whose service account is gone is still allowed
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        containers: [{name: app, image: nginx}]
      """
    When I delete the service account "robot" in namespace "demo"
    And I patch the pod "web" in namespace "demo" with:
      """
      metadata:
        labels: {tier: frontend}
      """
    Then the pod "web" in namespace "demo" matches:
      """
      metadata:
        labels: {tier: frontend}
      spec:
        serviceAccountName: robot
        volumes:
        - {name: "robot-token-{{suffix}}", secret: {secretName: "robot-token-{{suffix}}"}}
      """

  @without-controllers @upstream:TestIgnoresNonPodResource
  Scenario: Other kinds do not need a service account
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {mode: fast}
      """
    Then the request succeeds
