@legacy
Feature: Whether the token is mounted: the pod decides, then the service account, else yes
  `automountServiceAccountToken` on the pod wins when it is set (true or false);
  otherwise the service account's setting wins; when neither is set the token is
  mounted (spec §2.3 step 4). `null` below means "not set".

  Background:
    Given a namespace "demo"

  @upstream:e2e/ServiceAccounts/should_allow_opting_out_of_API_token_automount
  Scenario Outline: pod automount <pod setting>, service account automount <account setting>
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      automountServiceAccountToken: <account setting>
      """
    And the service account "robot" in namespace "demo" has a token
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
    Then the pod "web" in namespace "demo" <mounted> the service-account token mounted

    Examples:
      | pod setting | account setting | mounted      |
      | null        | null            | has          |
      | null        | true            | has          |
      | null        | false           | does not have |
      | true        | null            | has          |
      | true        | true            | has          |
      | true        | false           | has          |
      | false       | null            | does not have |
      | false       | true            | does not have |
      | false       | false           | does not have |

  # Without the token controller the account never gets a token; a pod that does not
  # want the token is admitted anyway, because no token has to be found (embedded only).
  @without-controllers
  Scenario: A pod that opts out is admitted even though its account has no token
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    When I try to create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        containers: [{name: app, image: nginx}]
      """
    Then the request succeeds
    And the pod "web" in namespace "demo" does not have the service-account token mounted

  @admission:mount-service-account-token=false
  Scenario: With token mounting switched off in the plugin, nothing is mounted
    Given the service account "default" in namespace "demo" has a token
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        containers: [{name: app, image: nginx}]
      """
    Then the pod "web" in namespace "demo" does not have the service-account token mounted
