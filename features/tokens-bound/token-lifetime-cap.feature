@bound
Feature: A maximum token lifetime caps TokenRequests
  With `--service-account-max-token-expiration` a TokenRequest asking for longer gets the
  maximum, shown in its answer's `spec.expirationSeconds`, and a `Warning` header (spec-modern
  §1.6); shorter requests are kept.

  # The cap's `Warning` header ("requested expiration of 10000 seconds shortened to 7200
  # seconds") is checked by the unit tests and kubectl; the steps see the answer's body.
  @upstream:TestServiceAccountTokenCreate/a_token_request_within_expiration_time
  @upstream:TestServiceAccountTokenCreate/a_token_request_with_out-of-range_expiration
  @embedded-only
  Scenario: With a maximum lifetime, longer requests are cut to it and shorter ones kept
    Given a cluster started with these service-account settings:
      | mode                 | bound |
      | max token expiration | 7200  |
    And a namespace "capped"
    And the following objects in namespace "capped":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    When I request a token for service account "robot" in namespace "capped" as "within" with:
      """
      spec: {expirationSeconds: 3600}
      """
    Then the token request is answered with:
      """
      spec: {expirationSeconds: 3600}
      """
    When I request a token for service account "robot" in namespace "capped" as "capped" with:
      """
      spec: {expirationSeconds: 10000}
      """
    Then the token request is answered with:
      """
      spec: {expirationSeconds: 7200}
      """
    And the remembered token "capped" matches the snapshot
