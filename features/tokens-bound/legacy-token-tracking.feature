@bound
Feature: Legacy Secret tokens are tracked and can be invalidated
  In bound mode the API server still accepts service-account token Secrets, and records
  their use (spec-modern §3.6 steps 4–6, §8): it labels the Secret with the UTC day it was
  last used (`kubernetes.io/legacy-token-last-used`, at most one write a day), keeps the day
  tracking began in a ConfigMap, and refuses a token whose Secret carries a non-empty
  `kubernetes.io/legacy-token-invalid-since` label. An auto-generated token (one listed in
  its account's `secrets`) also gets a `Warning` on every request; a manual one does not.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      ---
      apiVersion: v1
      kind: Secret
      metadata:
        name: manual
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      """

  # @embedded-only: the tracking ConfigMap lives in the real kube-system, which a shared cluster maps per scenario.
  @upstream:TestLegacyServiceAccountTokenTracking @embedded-only
  Scenario: Using a legacy token labels its Secret with the day of use
    Then within 5 seconds the secret "manual" in namespace "demo" matches:
      """
      data: {token: "{{any}}"}
      """
    And the token in secret "manual" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      extra: null
      """
    And the secret "manual" in namespace "demo" matches:
      """
      metadata:
        labels: {kubernetes.io/legacy-token-last-used: "{{any}}"}
      """
    And the config map "kube-apiserver-legacy-service-account-token-tracking" in namespace "kube-system" matches:
      """
      data: {since: "{{any}}"}
      """

  @upstream:TestTokenGenerateAndValidate/secret_is_marked_as_invalid
  Scenario: A legacy token whose Secret is marked invalid is refused
    Then within 5 seconds the secret "manual" in namespace "demo" matches:
      """
      data: {token: "{{any}}"}
      """
    When I patch the secret "manual" in namespace "demo" with:
      """
      metadata:
        labels: {kubernetes.io/legacy-token-invalid-since: "2024-01-01"}
      """
    And I review the token in secret "manual" in namespace "demo"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, the token in secret demo/manual for service account demo/robot has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token]"
      """
    And within 15 seconds the token in secret "manual" in namespace "demo" is rejected with HTTP 401
    When I patch the secret "manual" in namespace "demo" with:
      """
      metadata:
        labels: {kubernetes.io/legacy-token-invalid-since: null}
      """
    Then the token in secret "manual" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """

  # @embedded-only: as above. @fake-clock @serial: the re-creation waits for cluster time.
  @upstream:TestSyncConfigMap @embedded-only @fake-clock @serial
  Scenario: A deleted tracking ConfigMap comes back 30 minutes after its creation, and a broken date is reset
    When I delete the config map "kube-apiserver-legacy-service-account-token-tracking" in namespace "kube-system"
    Then for 1 second the config map "kube-apiserver-legacy-service-account-token-tracking" in namespace "kube-system" does not exist
    When 30 minutes pass
    Then within 5 seconds the config map "kube-apiserver-legacy-service-account-token-tracking" in namespace "kube-system" matches:
      """
      data: {since: "{{any}}"}
      """
    When I patch the config map "kube-apiserver-legacy-service-account-token-tracking" in namespace "kube-system" with:
      """
      data: {since: not-a-date, other: kept}
      """
    Then within 5 seconds the data.since of the config map "kube-apiserver-legacy-service-account-token-tracking" in namespace "kube-system" is not "not-a-date"
    And the config map "kube-apiserver-legacy-service-account-token-tracking" in namespace "kube-system" matches:
      """
      data: {since: "{{any}}", other: kept}
      """
