@bound
Feature: Bound tokens authenticate while what they are bound to lasts
  In bound mode the API server accepts tokens of every `--service-account-issuer` signed by
  one of its keys (spec-modern §3): their audiences must meet the ones asked for, their
  time claims hold with a minute of leeway, and the account and every bound object must
  still exist with the uid the token names. TokenReview shows why a token is refused.

  Background:
    Given a namespace "demo"
    And the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I remember the metadata.uid of the service account "robot" in namespace "demo" as "robot-uid"

  @upstream:TestServiceAccountTokenCreate/a_tokenrequest_without_an_audience_is_valid_against_the_api
  Scenario: A token requested without audiences is good for the API
    When I request a token for service account "robot" in namespace "demo" as "api-token"
    And I review the remembered token "api-token"
    Then the token review answers, with lists in order:
      """
      authenticated: true
      user:
        username: system:serviceaccount:demo:robot
        uid: "${robot-uid}"
        groups: [system:serviceaccounts, system:serviceaccounts:demo, system:authenticated]
      audiences: [https://kubernetes.default.svc.cluster.local]
      """

  @upstream:TestServiceAccountTokenCreate/a_token_without_an_api_audience_is_invalid
  Scenario: A token for another audience is refused by the API, and good for its audience
    When I request a token for service account "robot" in namespace "demo" as "vault-token" with:
      """
      spec: {audiences: [not-the-api]}
      """
    And I review the remembered token "vault-token"
    Then the token review answers:
      """
      authenticated: null
      error: '[invalid bearer token, token audiences ["not-the-api"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]]'
      """
    And within 15 seconds the remembered token "vault-token" is rejected with HTTP 401
    When I review the remembered token "vault-token" for the audiences "not-the-api"
    Then the token review answers:
      """
      authenticated: true
      user: {username: system:serviceaccount:demo:robot}
      audiences: [not-the-api]
      """

  @upstream:TestServiceAccountTokenCreate/expired_token @embedded-only
  Scenario: An expired token is refused
    Given a token "expired" signed by the cluster's service-account key with the claims:
      """
      iss: https://kubernetes.default.svc.cluster.local
      sub: system:serviceaccount:demo:robot
      aud: [https://kubernetes.default.svc.cluster.local]
      iat: 1000
      nbf: 1000
      exp: 4600
      kubernetes.io:
        namespace: demo
        serviceaccount: {name: robot, uid: "${robot-uid}"}
      """
    When I review the remembered token "expired"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, service account token has expired]"
      """
    And the remembered token "expired" is rejected with HTTP 401

  @upstream:TestServiceAccountTokenCreate/a_token_should_be_invalid_after_recreating_same_name_pod
  Scenario: A pod-bound token stays refused when a pod of the same name comes back
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        containers: [{name: app, image: nginx}]
      """
    And I remember the metadata.uid of the pod "web" in namespace "demo" as "old-uid"
    When I request a token for service account "robot" in namespace "demo" as "web-token" with:
      """
      spec:
        boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
      """
    And I delete the pod "web" in namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        serviceAccountName: robot
        automountServiceAccountToken: false
        containers: [{name: app, image: nginx}]
      """
    And I review the remembered token "web-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, pod UID ({{any}}) does not match service account pod ref claim (${old-uid})]"
      """
    And within 15 seconds the remembered token "web-token" is rejected with HTTP 401

  @upstream:TestServiceAccountTokenCreate/a_token_should_be_invalid_after_recreating_same_name_secret
  Scenario: A secret-bound token stays refused when a secret of the same name comes back
    Given the following objects in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: session}
      """
    And I remember the metadata.uid of the secret "session" in namespace "demo" as "old-uid"
    When I request a token for service account "robot" in namespace "demo" as "session-token" with:
      """
      spec:
        boundObjectRef: {kind: Secret, apiVersion: v1, name: session}
      """
    And I delete the secret "session" in namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: session}
      """
    And I review the remembered token "session-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, secret UID ({{any}}) does not match service account secret ref claim (${old-uid})]"
      """

  Scenario: A token of a re-created account is refused
    When I request a token for service account "robot" in namespace "demo" as "robot-token"
    And I delete the service account "robot" in namespace "demo"
    And I create in namespace "demo":
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata: {name: robot}
      """
    And I review the remembered token "robot-token"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, service account UID ({{any}}) does not match claim (${robot-uid})]"
      """

  Scenario: A token of a deleted account is refused with the lookup's error
    When I request a token for service account "robot" in namespace "demo" as "robot-token"
    And I delete the service account "robot" in namespace "demo"
    And I review the remembered token "robot-token"
    Then the token review answers:
      """
      authenticated: null
      error: '[invalid bearer token, serviceaccounts "robot" not found]'
      """

  # Upstream looks the account up through client-go, whose request builder refuses an empty
  # name; the cluster never signs such a token, so it takes the cluster's key to make one.
  @embedded-only
  Scenario: A token of the cluster's key that names no account is refused by the lookup
    When I request a token for service account "robot" in namespace "demo" as "robot-token"
    Given a token "nameless" made from the remembered token "robot-token" with:
      """
      claims: {kubernetes.io: null}
      signed with: the cluster's key
      """
    When I review the remembered token "nameless"
    Then the token review answers:
      """
      authenticated: null
      error: "[invalid bearer token, resource name may not be empty]"
      """
