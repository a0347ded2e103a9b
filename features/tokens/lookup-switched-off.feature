@legacy
Feature: With token lookup off, a token is checked by its signature and claims alone
  With `--service-account-lookup=false` the API server does not look at the cluster (spec
  §4.4 step 4): a correctly signed token with complete claims keeps authenticating after
  its Secret is deleted or its account is recreated. Upstream's check of the Secret-name
  claim looks at the namespace claim instead (spec §4.4 step 3), so without lookup a token
  that names no Secret is accepted as well. These scenarios start a cluster of their own,
  so they run on the embedded backend only.

  # upstream cases "valid key (rsa)", "valid key (ecdsa)": no client, so no lookup
  @embedded-only @upstream:TestTokenGenerateAndValidate
  Scenario: A token outlives its secret
    Given a cluster started with these service-account settings:
      | token lookup | off |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    And I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I delete the secret "${robot-token}" in namespace "demo"
    Then within 5 seconds the secret "${robot-token}" in namespace "demo" does not exist
    And the remembered token "old-token" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """

  @embedded-only
  Scenario: A token outlives the recreation of its account, and keeps the old UID
    Given a cluster started with these service-account settings:
      | token lookup | off |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "old-uid"
    And I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I delete the service account "robot" in namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then the metadata.uid of the service account "robot" in namespace "demo" is not "${old-uid}"
    And the remembered token "old-token" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      uid: "${old-uid}"
      """

  @embedded-only
  Scenario: A token that names no secret is accepted
    Given a cluster started with these service-account settings:
      | token lookup | off |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
    And a token "secretless" signed by the cluster's service-account key with the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    Then the remembered token "secretless" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      uid: "${robot-uid}"
      """
