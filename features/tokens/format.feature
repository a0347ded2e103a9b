@legacy
Feature: A service-account token is a signed JWT with the legacy claims
  A token is a compact JWT (three base64url parts) whose header is {"alg": …, "typ": "JWT"}
  (spec §4.1). The algorithm follows the cluster's signing key: RS256 for any RSA key,
  ES256, ES384 or ES512 for an ECDSA key on the P-256, P-384 or P-521 curve. The claims are
  exactly the legacy ones (spec §4.2): issuer kubernetes/serviceaccount, the subject
  system:serviceaccount:<namespace>:<account>, the namespace, the Secret's name, the
  account's name and UID; no exp, iat, nbf or aud, so the token never expires.

  @upstream:TestTokenGenerateAndValidate
  Scenario: The token carries the legacy header and claims and the cluster's signature
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
    And I remember the token secret of service account "robot" in namespace "demo" as "robot-token"
    Then the token of service account "robot" in namespace "demo" has the header:
      """
      alg: "{{any}}"
      typ: JWT
      """
    And the token of service account "robot" in namespace "demo" has the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/secret.name: "${robot-token}"
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    And the token of service account "robot" in namespace "demo" is signed by the cluster's service-account key
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

  # upstream cases "valid key (rsa)", "valid key (ecdsa)"
  @embedded-only @upstream:TestTokenGenerateAndValidate
  Scenario Outline: With an <key> signing key, tokens are signed with <alg>
    Given a cluster started with these service-account settings:
      | signing key | <key> |
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then the token of service account "robot" in namespace "demo" has the header:
      """
      alg: <alg>
      typ: JWT
      """
    And the token of service account "robot" in namespace "demo" is signed by the cluster's service-account key
    And the token of service account "robot" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """
    And the token secret of service account "robot" in namespace "demo" matches the snapshot

    Examples:
      | key         | alg   |
      | RSA 2048    | RS256 |
      | RSA 3072    | RS256 |
      | ECDSA P-256 | ES256 |
      | ECDSA P-384 | ES384 |
      | ECDSA P-521 | ES512 |

  # Divergence: upstream signs with RS256 whatever the RSA key's size; kube-sa refuses RSA
  # keys below 2048 bits ("RSA keys must have 2048 to 8192 bits, this one has 1024"), so a
  # cluster with this 1024-bit key (a throwaway test key) does not start.
  @pending @embedded-only
  Scenario: A 1024-bit RSA signing key also signs with RS256
    Given a cluster started with this service-account signing key:
      """
      -----BEGIN RSA PRIVATE KEY-----
      MIICXQIBAAKBgQC8l0NgjEboAWVcpPAeD7w8TQoAgMBnCdu1k4xlMlCj3GsVI0X/
      IUtHOpgHLEUJw5X+qTgHpP4pK0KCpk0azLRaCvTlB4BpQtDrjxJoL9zPwximtz+p
      taPVld6vDsart8pXDlHb1SybDP5lbedEHjHbs67elrb5Ae5oetHZK3uNuQIDAQAB
      AoGBAIghvD4WJBzW3R8Z5EYe36a7iYvBZKE8KX+RiVeHEVSnCBkTBDTdCKTa8+DB
      oPgiWcSgy9Qg0mJPWsxKVQASYeAb5L+PKYyfm3N5h+rvOJzt6xzNl4BACFWOBcRx
      2PhpI2hTbP2xHx42w77776c7aEBZeOPgonwPh+ao/+9aM0SBAkEA5VX40X7Vr/Gf
      H8UAmRasfj9e6FugDxaXB50ObFEoql9LEGpmLK+3di+d4kw32beBtkb5RbgvMIfy
      Rjk3BxwmsQJBANKEi3cgiV3qUNyH1GV+hu8yJ4kq+NQxultvgjwvggNIkWKe29pd
      xtawtDTcpQ3qvlSnTi1FskXKR9BDtv3gqYkCQFJigwMHNE6DVy17gM599bNYooiI
      OcSR0embQw4oTZp+pyGbh17wNNDRJD+iL8IXiRJpBq1EEDe37pHJhfoY49ECQEFw
      WjoJrym2cLRctLVoA2HPYWLOLNMpMhjCLOWwjuWeZTMW1pimleyeuSXFgLk2wztl
      VnPUOnpfSrt+kR+R+qECQQCp0DL8apnpn/SDBhDKuoFQwUgdF1/fVU0AGg1fc6Rv
      pSDSBxTb1f4iGkJp/SSmW3Qq7OtC16kSgu73loCfAeGM
      -----END RSA PRIVATE KEY-----
      """
    And a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    Then the token of service account "robot" in namespace "demo" has the header:
      """
      alg: RS256
      typ: JWT
      """
    And the token of service account "robot" in namespace "demo" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      """
