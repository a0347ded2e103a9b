Feature: A TokenReview reads its token as a bearer header carries it
  kube-apiserver's TokenReview storage puts `spec.token` into a made-up
  `Authorization: Bearer <token>` header and runs its request authenticator on that, so a
  review reads the token exactly as a request does: surrounding whitespace is dropped and
  whatever follows a space is ignored. A token that starts with a space leaves the header
  without a bearer token at all: the review then answers for a request without
  credentials, the anonymous user (upstream's anonymous authenticator answers for the
  audiences asked for).

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And the service account "robot" in namespace "demo" has a token
    And I remember the token of service account "robot" in namespace "demo" as "genuine"

  Scenario: Text after a space is ignored, in a review as in a request
    Given a token "followed" made from the remembered token "genuine" with:
      """
      parts: "{header}.{claims}.{signature} and more"
      """
    When I review the remembered token "followed"
    Then the token review answers:
      """
      authenticated: true
      user: {username: system:serviceaccount:demo:robot}
      error: null
      """
    # Authenticated as the account, which no binding lets list anything: 403, not 401.
    When the remembered token "followed" is used to get "serviceaccounts" in namespace "demo"
    Then the request is rejected with HTTP 403 "Forbidden" and the message:
      """
      serviceaccounts is forbidden: User "system:serviceaccount:demo:robot" cannot list resource "serviceaccounts" in API group "" in the namespace "demo"
      """

  Scenario: A token after a space is no bearer token: the review answers for the anonymous user
    Given a token "indented" made from the remembered token "genuine" with:
      """
      parts: " {header}.{claims}.{signature}"
      """
    When I review the remembered token "indented"
    Then the token review answers, with lists in order:
      """
      authenticated: true
      user:
        username: system:anonymous
        groups: [system:unauthenticated]
      audiences: ["{{any}}"]
      error: null
      """
