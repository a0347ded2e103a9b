@legacy
Feature: A token Secret made by hand is filled in
  A user may create a Secret of type kubernetes.io/service-account-token that carries only
  the kubernetes.io/service-account.name annotation (spec §3.4 step 3, the "manually
  created long-lived token"). The token controller fills in what is missing: a `token`
  when there is none, the `namespace` when it is empty, and `ca.crt` when it differs from
  the cluster CA; whenever it fills something in, it also sets the account's name and UID
  annotations. What the user did set (a token, a namespace) is kept. A token Secret whose
  account does not exist is deleted. A hand-made token Secret is not added to the
  account's `secrets`.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"

  # upstream cases "added token secret without token data", "... without ca data", "... without namespace data"
  @upstream:TestTokenCreation
  Scenario: The controller fills in the token, namespace, CA and account UID
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/service-account.name: robot
          kubernetes.io/service-account.uid: "${robot-uid}"
      data:
        token: "{{any}}"
        namespace: demo
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """
    And the token in secret "robot-manual" in namespace "demo" has the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/secret.name: robot-manual
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  # upstream case "added token secret with custom namespace data"
  @upstream:TestTokenCreation
  Scenario: A namespace value the user set is kept
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {namespace: somewhere-else}
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      data:
        token: "{{any}}"
        namespace: somewhere-else
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  Scenario: A token the user set is kept
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {token: a-token-the-user-chose}
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/service-account.uid: "${robot-uid}"
      data:
        token: a-token-the-user-chose
        namespace: demo
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  # upstream case "added token secret with mismatched ca data"
  @upstream:TestTokenCreation
  Scenario: A CA bundle other than the cluster's is replaced
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {token: a-token-the-user-chose, namespace: demo, ca.crt: mismatched}
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      metadata:
        annotations:
          kubernetes.io/service-account.uid: "${robot-uid}"
      data:
        token: a-token-the-user-chose
        namespace: demo
        ca.crt: "-----BEGIN CERTIFICATE-----{{any}}"
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  # upstream cases "updated token secret without token data", "... without ca data",
  # "... without namespace data"
  @upstream:TestTokenCreation
  Scenario Outline: A token secret that loses its <key> gets it back
    Given I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    When I patch the secret "${robot-token}" in namespace "demo" with:
      """
      data: {<key>: null}
      """
    Then within 5 seconds the secret "${robot-token}" in namespace "demo" matches:
      """
      data: {<key>: "<value>"}
      """
    And the token in secret "${robot-token}" in namespace "demo" has the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/secret.name: "${robot-token}"
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    And for 1 second the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: "${robot-token}"
      """
    And the secret "${robot-token}" in namespace "demo" matches the snapshot

    Examples:
      | key       | value                              |
      | token     | {{any}}                            |
      | namespace | demo                               |
      | ca.crt    | -----BEGIN CERTIFICATE-----{{any}} |

  Scenario: A token secret made by hand is not added to its account's list
    Given I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "robot-manual" in namespace "demo" matches:
      """
      data: {token: "{{any}}"}
      """
    And for 1 second the service account "robot" in namespace "demo" matches in order:
      """
      secrets:
      - name: "${robot-token}"
      """
    And the secret "robot-manual" in namespace "demo" matches the snapshot

  # upstream cases "added secret without serviceaccount", "updated secret without serviceaccount"
  @upstream:TestTokenCreation
  Scenario: A token secret for an account that does not exist is deleted
    When I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: ghost-token
        annotations: {kubernetes.io/service-account.name: ghost}
      type: kubernetes.io/service-account-token
      """
    Then within 5 seconds the secret "ghost-token" in namespace "demo" does not exist
