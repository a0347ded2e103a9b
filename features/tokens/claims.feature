@legacy
Feature: The API server checks a token's issuer and claims
  A token must carry iss "kubernetes/serviceaccount", a subject
  system:serviceaccount:<namespace>:<account> that agrees with the namespace and account
  claims, the account's UID, and the name of a Secret that holds exactly this token (spec
  §4.4). These scenarios sign tokens with the cluster's own key and store each one in a
  token Secret, so that only the claim being varied can make it fail. A refused token is a
  plain 401: the reason is not shown to clients. Signing needs the cluster's private key,
  hence embedded backend only.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"

  # upstream case "valid lookup"
  @embedded-only @upstream:TestTokenGenerateAndValidate
  Scenario: A token with correct claims, held by a Secret, authenticates
    Given a token "forged" signed by the cluster's service-account key with the claims:
      """
      iss: kubernetes/serviceaccount
      sub: system:serviceaccount:demo:robot
      kubernetes.io/serviceaccount/namespace: demo
      kubernetes.io/serviceaccount/secret.name: robot-signed
      kubernetes.io/serviceaccount/service-account.name: robot
      kubernetes.io/serviceaccount/service-account.uid: "${robot-uid}"
      """
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-signed
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {token: "${forged}"}
      """
    Then the remembered token "forged" authenticates as:
      """
      username: system:serviceaccount:demo:robot
      uid: "${robot-uid}"
      """
    And within 5 seconds the secret "robot-signed" in namespace "demo" matches:
      """
      metadata:
        annotations: {kubernetes.io/service-account.uid: "${robot-uid}"}
      data: {namespace: demo}
      """
    And the secret "robot-signed" in namespace "demo" matches the snapshot

  # upstream case "valid key, invalid issuer (rsa)" and the claim checks of the legacy validator
  @embedded-only @upstream:TestTokenGenerateAndValidate
  Scenario Outline: A token is refused when <defect>
    Given a token "forged" signed by the cluster's service-account key with the claims:
      """
      iss: <iss>
      sub: <sub>
      kubernetes.io/serviceaccount/namespace: <namespace>
      kubernetes.io/serviceaccount/secret.name: robot-signed
      kubernetes.io/serviceaccount/service-account.name: <account>
      kubernetes.io/serviceaccount/service-account.uid: <uid>
      """
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata:
        name: robot-signed
        annotations: {kubernetes.io/service-account.name: robot}
      type: kubernetes.io/service-account-token
      stringData: {token: "${forged}"}
      """
    Then the remembered token "forged" is rejected with HTTP 401
    And within 5 seconds the secret "robot-signed" in namespace "demo" matches:
      """
      metadata:
        annotations: {kubernetes.io/service-account.uid: "${robot-uid}"}
      data: {namespace: demo}
      """
    And the secret "robot-signed" in namespace "demo" matches the snapshot

    Examples:
      | defect                                  | iss                       | sub                                | namespace | account | uid                                  |
      | the issuer is another one               | someone-else              | system:serviceaccount:demo:robot   | demo      | robot   | "${robot-uid}"                       |
      | the subject is missing                  | kubernetes/serviceaccount | null                               | demo      | robot   | "${robot-uid}"                       |
      | the namespace claim is missing          | kubernetes/serviceaccount | system:serviceaccount:demo:robot   | null      | robot   | "${robot-uid}"                       |
      | the account name claim is missing       | kubernetes/serviceaccount | system:serviceaccount:demo:robot   | demo      | null    | "${robot-uid}"                       |
      | the account UID claim is missing        | kubernetes/serviceaccount | system:serviceaccount:demo:robot   | demo      | robot   | null                                 |
      | the subject names another account       | kubernetes/serviceaccount | system:serviceaccount:demo:other   | demo      | robot   | "${robot-uid}"                       |
      | the subject is not a service account    | kubernetes/serviceaccount | robot                              | demo      | robot   | "${robot-uid}"                       |
      | the account UID is not the account's    | kubernetes/serviceaccount | system:serviceaccount:demo:robot   | demo      | robot   | 00000000-0000-0000-0000-000000000000 |
      | the subject names another namespace     | kubernetes/serviceaccount | system:serviceaccount:other:robot  | demo      | robot   | "${robot-uid}"                       |
      | the subject has a part too many         | kubernetes/serviceaccount | system:serviceaccount:demo:robot:x | demo      | robot   | "${robot-uid}"                       |
