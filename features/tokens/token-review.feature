@legacy
Feature: A TokenReview asks the API server whom a token stands for
  A TokenReview (`authentication.k8s.io/v1`, create only) is how a webhook authenticator or
  an authenticating proxy checks a bearer token it was given. The API server runs
  `spec.token` through its own authentication chain, for the audiences in `spec.audiences`
  (its API audiences when none are given), and answers in `status`: `authenticated`, the
  `user` (username, uid, groups) and the `audiences` the token is good for. A token it
  refuses is not an error of the request: the review answers an empty user and the reason
  in `error`, the reason a plain 401 would not show. A legacy service-account token has no
  audiences of its own and is good for the API audiences only.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """

  Scenario: A service-account token reviews as its account, for the API audiences
    Given I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"
    When I review the token of service account "robot" in namespace "demo"
    Then the token review answers, with lists in order:
      """
      authenticated: true
      user:
        username: system:serviceaccount:demo:robot
        uid: "${robot-uid}"
        groups: [system:serviceaccounts, system:serviceaccounts:demo, system:authenticated]
      audiences: ["{{any}}"]
      error: null
      """

  Scenario: Text that is not a JWT is refused, and the review says so
    Given I remember the text "invalid-token" as "not-a-jwt"
    When I review the remembered token "not-a-jwt"
    Then the token review answers:
      """
      authenticated: null
      user: null
      error: invalid bearer token
      """

  Scenario: A token whose secret was deleted is refused as invalidated
    Given I remember the token of service account "robot" in namespace "demo" as "old-token"
    When I delete the token secret of service account "robot" in namespace "demo"
    And I review the remembered token "old-token"
    Then the token review answers:
      """
      authenticated: null
      user: null
      error: "[invalid bearer token, Token has been invalidated]"
      """

  Scenario: A legacy token is good for the API audiences only
    When I review the token of service account "robot" in namespace "demo" for the audiences "https://vault.example.com"
    Then the token review answers:
      """
      authenticated: null
      user: null
      error: '[invalid bearer token, token audiences ["https://kubernetes.default.svc.cluster.local"] is invalid for the target audiences ["https://vault.example.com"]]'
      """
    When I review the token of service account "robot" in namespace "demo" for the audiences "https://vault.example.com, https://kubernetes.default.svc.cluster.local"
    Then the token review answers:
      """
      authenticated: true
      user: {username: system:serviceaccount:demo:robot}
      audiences: [https://kubernetes.default.svc.cluster.local]
      """
