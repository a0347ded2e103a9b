Feature: Hostile tokens are refused, change nothing and crash nothing
  A bearer token the API server cannot verify as one of its own is refused with 401
  Unauthorized and kube-apiserver's Status, whatever was done to it (issue 13, item 4): a
  token without a signature (`alg: none`), signed with HMAC and the cluster's public key
  as secret, signed by another key, with key headers (`jku`, `x5u`, `jwk`) that point to
  the attacker's key (ignored: only the cluster's own verification keys count), with a
  critical header extension (go-jose understands none), tampered with, for another issuer
  or audience, out of its validity, bound to an object that is gone, too large, or not a
  compact JWS at all. A TokenReview of it answers authenticated=false, and the objects of
  the namespace stay as they were; the server keeps answering (each check after the
  refusal is a request of its own). A head larger than kube-apiserver's `MaxHeaderBytes`
  (1 MiB) is refused before authentication with 431.

  Rule: A token made from a genuine one is refused

    Background:
      Given a namespace "demo"
      And the following objects in namespace "demo":
        """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: robot}
        """
      And the service account "default" in namespace "demo" has a token
      And the service account "robot" in namespace "demo" has a token
      And I remember the token of service account "robot" in namespace "demo" as "genuine"
      And I remember the objects in namespace "demo" as "before"

    Scenario: A token without a signature (alg none) is refused
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        header: {alg: none}
        signed with: nothing
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

    # @cluster-key: the forged token is keyed with the cluster's public key, which a
    # kubeconfig run knows only from --service-account-key-file.
    @cluster-key
    Scenario: A token signed with HS256 and the cluster's public key as the secret is refused
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        signed with: HS256 and the cluster's public key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

    Scenario Outline: A token signed by a key of the attacker's is refused (<key>)
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        signed with: another <key> key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

      Examples:
        | key         |
        | ECDSA P-256 |
        | RSA 2048    |

    Scenario Outline: A key header pointing to the attacker's key is ignored (<header>)
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        header: {<header>: "https://attacker.example/keys"}
        signed with: another ECDSA P-256 key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

      Examples:
        | header |
        | jku    |
        | x5u    |

    Scenario: A jwk header carrying the attacker's key is ignored
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        signed with: another ECDSA P-256 key
        jwk header: the signing key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

    Scenario Outline: A genuine token with a key header added is a tampered token (<header>)
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        header: {<header>: <value>}
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

      Examples:
        | header | value                                                  |
        | jku    | "https://attacker.example/keys"                        |
        | x5u    | "https://attacker.example/cert.pem"                    |
        | jwk    | {kty: EC, crv: P-256, x: "AAAA", y: "AAAA"}            |
        | typ    | "JWT+attacker"                                         |

    Scenario: A genuine token with a changed claim is a tampered token
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        claims: {sub: "system:serviceaccount:demo:default"}
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

    @embedded-only
    Scenario Outline: A token of the cluster's key with a bad claim is refused (<case>)
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        claims: {<claim>: <value>}
        signed with: the cluster's key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

      # exp 2001-09-09, nbf 2100-01-01: out of validity whatever the fake clock's start.
      Examples:
        | case          | claim | value                  |
        | wrong issuer  | iss   | "https://evil.example" |
        | expired       | exp   | 1000000000             |
        | not yet valid | nbf   | 4102444800             |

    Scenario Outline: Text that is not base64url in a part is refused (<part>)
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        parts: "<parts>"
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

      Examples:
        | part      | parts                            |
        | header    | !!not*base64!!.{claims}.{signature} |
        | claims    | {header}.!!not*base64!!.{signature} |
        | signature | {header}.{claims}.!!not*base64!!    |

    Scenario Outline: A token of <count> part(s) is refused
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        parts: "<parts>"
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

      Examples:
        | count | parts                                     |
        | 1     | {header}                                  |
        | 2     | {header}.{claims}                         |
        | 4     | {header}.{claims}.{signature}.{signature} |

    # Go's HTTP/1.1 server reads 1 MiB + 4 KiB of request head (kube-apiserver's
    # MaxHeaderBytes): a token below that reaches the authenticators.
    Scenario: A token of half a megabyte reaches the authenticator and is refused
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        at least bytes: 600000
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

    # hyper enforces the limit when its read buffer is full, so a head a little over it may
    # still be read: twice the limit is refused on every connection. The server answers 431
    # while the client is still sending, then drains before it closes, so that the answer
    # also gets through a TCP proxy (a container's published port).
    Scenario: A token larger than the API server's header limit is refused with 431
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        at least bytes: 2200000
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 431
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

    @bound @embedded-only
    Scenario: A kid naming no key of the cluster is refused, even signed by the cluster's key
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        header: {kid: not-a-key-of-this-cluster}
        signed with: the cluster's key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        error: "[invalid bearer token, invalid signature, no keys found]"
        """
      And the objects in namespace "demo" are as remembered in "before"

    # go-jose refuses a critical extension before it checks the signature. Legacy mode
    # (v1.8, jwt-go) reads no `crit`, so the scenario is bound-only.
    @bound @embedded-only
    Scenario: A critical header extension is refused, even signed by the cluster's key
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        header: {crit: [exp], exp: 4102444800}
        signed with: the cluster's key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        error: "[invalid bearer token, square/go-jose: error in cryptographic primitive]"
        """
      And the objects in namespace "demo" are as remembered in "before"

    # go-jose's `ParseSigned` drops whitespace anywhere in a token, and upstream's issuer
    # check reads the claims part with Go's decoder, which skips line breaks: a genuine
    # token with either still verifies. Legacy mode (v1.8's jwt-go) refuses it as
    # malformed.
    @bound
    Scenario: A tab inside a genuine token is dropped, as go-jose drops it
      Given a token "spaced" made from the remembered token "genuine" with:
        """
        parts: "{header}\t.{claims}.{signature}"
        """
      When I review the remembered token "spaced"
      Then the token review answers:
        """
        authenticated: true
        user: {username: system:serviceaccount:demo:robot}
        """

    @bound
    Scenario: A line break inside a genuine token's claims is skipped, as Go's decoder skips it
      Given a token "broken" made from the remembered token "genuine" with:
        """
        parts: "{header}.{claims}\r\n.{signature}"
        """
      When I review the remembered token "broken"
      Then the token review answers:
        """
        authenticated: true
        user: {username: system:serviceaccount:demo:robot}
        """

    # go-jose allows only a public key in a `jwk` header (RFC 7515 §4.1.3) and only
    # certificates in `x5c`; anything else fails its parse, so the token is nobody's.
    @bound
    Scenario Outline: A header go-jose cannot parse makes the token nobody's (<case>)
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        header: {<member>: <value>}
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        error: invalid bearer token
        """

      Examples:
        | case               | member | value                                        |
        | a symmetric key    | jwk    | {kty: oct, k: "AQAB"}                        |
        | a private RSA key  | jwk    | {kty: RSA, n: "AQAB", e: "AQAB", d: "AQAB"}  |
        | a point off P-256  | jwk    | {kty: EC, crv: P-256, x: "AAAA", y: "AAAA"}  |
        | not a certificate  | x5c    | ["AQAB"]                                     |
        | a kid not a string | kid    | 7                                            |

    # go-jose v2 parses a JWS whatever its `alg` says; verifying refuses `none` and HMAC
    # like any signature that does not verify (its `DetachedVerify` turns the
    # unsupported-algorithm error into `ErrCryptoFailure`). Legacy mode answers jwt-go's
    # "Unexpected signing method" instead (unit tests).
    @bound
    Scenario: A token without a signature (alg none) is refused as a bad signature
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        header: {alg: none}
        signed with: nothing
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        error: "[invalid bearer token, square/go-jose: error in cryptographic primitive]"
        """

    @bound @cluster-key
    Scenario: A token signed with HS256 and the cluster's public key is refused as a bad signature
      Given a token "hostile" made from the remembered token "genuine" with:
        """
        signed with: HS256 and the cluster's public key
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        error: "[invalid bearer token, square/go-jose: error in cryptographic primitive]"
        """

    @bound
    Scenario: A token for another audience is refused by the API server
      When I request a token for service account "robot" in namespace "demo" as "vault-token" with:
        """
        spec: {audiences: ["https://vault.example.com"]}
        """
      And the remembered token "vault-token" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "vault-token"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "before"

    @bound @fake-clock @serial
    Scenario: A token is refused once its hour and the leeway have passed
      When 2 hours pass
      And the remembered token "genuine" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "genuine"
      Then the token review answers:
        """
        authenticated: null
        error: "[invalid bearer token, service account token has expired]"
        """
      And the objects in namespace "demo" are as remembered in "before"

    @bound @fake-clock @serial
    Scenario: A token is refused from the first instant past its expiry and the leeway, not the next whole second
      # The clock started at a fraction of a second, and the token's exp is whole seconds
      # (its issue time cut down): go-jose compares the clock at full precision.
      When I request a token for service account "robot" in namespace "demo" as "hour" with:
        """
        spec: {expirationSeconds: 3600}
        """
      And 3659 seconds pass
      And I review the remembered token "hour"
      Then the token review answers:
        """
        authenticated: true
        user: {username: system:serviceaccount:demo:robot}
        """
      When 1 second passes
      And I review the remembered token "hour"
      Then the token review answers:
        """
        authenticated: null
        error: "[invalid bearer token, service account token has expired]"
        """

    @bound
    Scenario: A token bound to a pod is refused once the pod is deleted
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
      When I request a token for service account "robot" in namespace "demo" as "web-token" with:
        """
        spec:
          boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
        """
      And I delete the pod "web" in namespace "demo"
      Then within 10 seconds the pod "web" in namespace "demo" does not exist
      When I remember the objects in namespace "demo" as "after"
      And the remembered token "web-token" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "web-token"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "after"

    @bound
    Scenario: A token bound to a pod is refused once the pod is replaced (same name, new UID)
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
      When I request a token for service account "robot" in namespace "demo" as "web-token" with:
        """
        spec:
          boundObjectRef: {kind: Pod, apiVersion: v1, name: web}
        """
      And I delete the pod "web" in namespace "demo"
      Then within 10 seconds the pod "web" in namespace "demo" does not exist
      When I create in namespace "demo":
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          serviceAccountName: robot
          automountServiceAccountToken: false
          containers: [{name: app, image: nginx}]
        """
      And I remember the objects in namespace "demo" as "after"
      And the remembered token "web-token" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "web-token"
      Then the token review answers:
        """
        authenticated: null
        """
      And the objects in namespace "demo" are as remembered in "after"

  Rule: A kid names the key that verifies

    @bound @embedded-only
    Scenario: A token whose kid names another key of the cluster is refused
      Given a cluster started with these service-account settings:
        | mode              | bound                                          |
        | signing key       | ECDSA P-256                                    |
        | verification keys | the signing key, another ECDSA P-256 key       |
      And a namespace "demo"
      And the following objects in namespace "demo":
        """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: robot}
        """
      And the service account "robot" in namespace "demo" has a token
      And I remember the token of service account "robot" in namespace "demo" as "genuine"
      And I remember the key id of a verification key the cluster does not sign with as "other-kid"
      And I remember the objects in namespace "demo" as "before"
      And a token "hostile" made from the remembered token "genuine" with:
        """
        header: {kid: "${other-kid}"}
        signed with: the cluster's key
        """
      When the remembered token "hostile" is used to get "serviceaccounts" in namespace "demo"
      Then the request is rejected with HTTP 401 "Unauthorized" and the message:
        """
        Unauthorized
        """
      When I review the remembered token "hostile"
      Then the token review answers:
        """
        authenticated: null
        error: "[invalid bearer token, square/go-jose: error in cryptographic primitive]"
        """
      And the objects in namespace "demo" are as remembered in "before"
