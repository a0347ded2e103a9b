@bound
Feature: Bound mode: whether the token is mounted: the pod decides, then the account, else yes
  `automountServiceAccountToken` on the pod wins when set; otherwise the service account's
  setting; when neither is set the projected volume is mounted (spec §4.2 step 4). `null`
  below means "not set".

  Background:
    Given a namespace "demo"

  @upstream:e2e/ServiceAccounts/should_allow_opting_out_of_API_token_automount
  Scenario Outline: pod automount <pod setting>, service account automount <account setting> mounts the token
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      automountServiceAccountToken: <account setting>
      """
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: <pod setting>
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts:
          - {name: "kube-api-access-{{suffix}}", readOnly: true, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
        volumes:
        - {name: "kube-api-access-{{suffix}}"}
      """

    Examples:
      | pod setting | account setting |
      | null        | null            |
      | null        | true            |
      | true        | null            |
      | true        | true            |
      | true        | false           |

  @upstream:e2e/ServiceAccounts/should_allow_opting_out_of_API_token_automount
  Scenario Outline: pod automount <pod setting>, service account automount <account setting> mounts nothing
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      automountServiceAccountToken: <account setting>
      """
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: <pod setting>
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        containers:
        - name: app
          volumeMounts: null
        volumes: null
      """

    Examples:
      | pod setting | account setting |
      | null        | false           |
      | false       | null            |
      | false       | true            |
      | false       | false           |

  @admission:mount-service-account-token=false
  Scenario: With token mounting switched off in the plugin nothing is mounted
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" matches:
      """
      spec:
        serviceAccountName: default
        containers:
        - name: app
          volumeMounts: null
        volumes: null
      """
