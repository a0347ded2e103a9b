//! The claims of bound service-account tokens (upstream's pkg/serviceaccount/claims.go,
//! 1.29+; spec-modern §2.2): the registered claims `aud`, `exp`, `iat`, `iss`, `jti`,
//! `nbf` and `sub`, and the private `kubernetes.io` object naming the account and the
//! objects the token is bound to.
//!
//! Keys serialize in byte order, as go-jose's map round trip writes them:
//! `aud, exp, iat, iss, jti, kubernetes.io, nbf, sub`, and inside `kubernetes.io`
//! `namespace, node, pod, secret, serviceaccount, warnafter`.

use serde::{Deserialize, Deserializer, Serialize};

use super::make_username;

/// `WarnOnlyBoundTokenExpirationSeconds`: a pod-bound token requested for exactly this
/// long is issued for [`EXPIRATION_EXTENSION_SECONDS`] with a `warnafter` at this age.
pub const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS: i64 = 60 * 60 + 7;

/// `ExpirationExtensionSeconds`: one year, the life of an extended token.
pub const EXPIRATION_EXTENSION_SECONDS: i64 = 24 * 365 * 60 * 60;

/// The leeway of every time check (go-jose's `DefaultLeeway`), in seconds; also how long a
/// deleted object keeps its tokens valid.
pub const LEEWAY_SECONDS: i64 = 60;

/// A bound or owning object: name and uid; empty members are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The object's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The object's uid; empty when it is not known (a pod's node that does not exist).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

impl ObjectRef {
    /// A reference to `name` with `uid`.
    pub fn new(name: impl Into<String>, uid: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            uid: uid.into(),
        }
    }
}

/// The `kubernetes.io` private claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesClaims {
    /// The service account's namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The node: of a Node-bound token, or the node a bound pod runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<ObjectRef>,
    /// The pod of a Pod-bound token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<ObjectRef>,
    /// The Secret of a Secret-bound token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<ObjectRef>,
    /// The service account (always present, as Go does not omit structs).
    #[serde(default)]
    pub serviceaccount: ObjectRef,
    /// Unix seconds after which an extended token counts as stale.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "numeric_date"
    )]
    pub warnafter: Option<i64>,
}

/// Every claim of a bound token. Times are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundClaims {
    /// Audiences; always written as an array, read from a string or an array.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "audiences"
    )]
    pub aud: Vec<String>,
    /// Expiry.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "numeric_date"
    )]
    pub exp: Option<i64>,
    /// Issued at.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "numeric_date"
    )]
    pub iat: Option<i64>,
    /// Issuer; the generator sets it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub iss: String,
    /// Token id: a random UUID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jti: String,
    /// The private claim.
    #[serde(rename = "kubernetes.io", default)]
    pub kubernetes: KubernetesClaims,
    /// Not before.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "numeric_date"
    )]
    pub nbf: Option<i64>,
    /// `system:serviceaccount:<namespace>:<name>`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sub: String,
}

/// The account a token is issued for.
#[derive(Debug, Clone, Copy)]
pub struct AccountRef<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// Uid.
    pub uid: &'a str,
}

/// The objects a token is bound to (all `None`: bound to the account only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundObjects {
    /// A pod (with `node`, the node it runs on).
    pub pod: Option<ObjectRef>,
    /// A Secret; excludes a pod or node.
    pub secret: Option<ObjectRef>,
    /// A node: alone (Node-bound) or the pod's.
    pub node: Option<ObjectRef>,
}

/// What a token's claims are made from, besides the account and bound objects.
#[derive(Debug, Clone)]
pub struct ClaimsRequest<'a> {
    /// The audiences (`aud`).
    pub audiences: &'a [String],
    /// Unix seconds of issue (`iat`, `nbf`).
    pub now: i64,
    /// Lifetime in seconds (`exp` = now + this).
    pub expiration_seconds: i64,
    /// When non-zero, `warnafter` = now + this.
    pub warnafter_seconds: i64,
    /// `jti`.
    pub jti: String,
}

/// Claims that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// A Secret together with a pod or node.
    #[error("internal error, token can only be bound to one object type")]
    TooManyBoundObjects,
}

/// The claims of a new token (upstream's `Claims`); `iss` is left to the generator.
pub fn claims(
    account: AccountRef<'_>,
    bound: &BoundObjects,
    request: &ClaimsRequest<'_>,
) -> Result<BoundClaims, ClaimsError> {
    if bound.secret.is_some() && (bound.pod.is_some() || bound.node.is_some()) {
        return Err(ClaimsError::TooManyBoundObjects);
    }
    let now = request.now;
    Ok(BoundClaims {
        aud: request.audiences.to_vec(),
        exp: Some(now.saturating_add(request.expiration_seconds)),
        iat: Some(now),
        iss: String::new(),
        jti: request.jti.clone(),
        kubernetes: KubernetesClaims {
            namespace: account.namespace.to_string(),
            node: bound.node.clone(),
            pod: bound.pod.clone(),
            secret: bound.secret.clone(),
            serviceaccount: ObjectRef::new(account.name, account.uid),
            warnafter: (request.warnafter_seconds != 0)
                .then(|| now.saturating_add(request.warnafter_seconds)),
        },
        nbf: Some(now),
        sub: make_username(account.namespace, account.name),
    })
}

/// A random `jti` (`uuid.NewString`).
pub fn new_jti() -> String {
    crate::names::new_uid()
}

/// go-jose's `Audience`: a string or an array of strings; `null` is none. Read by a
/// visitor rather than an untagged enum, which would buffer the value and build an error
/// for every array before trying the second form.
fn audiences<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct Audience;
    impl<'de> serde::de::Visitor<'de> for Audience {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or an array of strings")
        }

        // JSON `null` (serde_json's `deserialize_any` visits it as unit).
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_str<E: serde::de::Error>(self, one: &str) -> Result<Self::Value, E> {
            Ok(vec![one.to_string()])
        }

        fn visit_string<E: serde::de::Error>(self, one: String) -> Result<Self::Value, E> {
            Ok(vec![one])
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut many = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
            while let Some(one) = seq.next_element::<String>()? {
                many.push(one);
            }
            Ok(many)
        }
    }
    deserializer.deserialize_any(Audience)
}

/// go-jose's `NumericDate`: a JSON number, truncated to whole seconds.
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.map(|seconds| seconds as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upstream's TestClaims clock and uuid.
    const NOW: i64 = 1_514_764_800;

    fn account() -> AccountRef<'static> {
        AccountRef {
            namespace: "myns",
            name: "mysvcacct",
            uid: "mysvcacct-uid",
        }
    }

    fn pod() -> Option<ObjectRef> {
        Some(ObjectRef::new("mypod", "mypod-uid"))
    }

    fn secret() -> Option<ObjectRef> {
        Some(ObjectRef::new("mysecret", "mysecret-uid"))
    }

    fn node() -> Option<ObjectRef> {
        Some(ObjectRef::new("mynode", "mynode-uid"))
    }

    /// Upstream's TestClaims cases, with the serialized claims they expect.
    #[test]
    fn claims_for_every_binding() {
        let aud = vec!["1".to_string(), "2".to_string()];
        let sa = r#""serviceaccount":{"name":"mysvcacct","uid":"mysvcacct-uid"}"#;
        let head = r#"{"aud":["1","2"],"exp":1514764900,"iat":1514764800,"jti":"fixed","kubernetes.io":{"namespace":"myns","#;
        let tail = r#","nbf":1514764800,"sub":"system:serviceaccount:myns:mysvcacct"}"#;
        struct Case {
            name: &'static str,
            bound: BoundObjects,
            warnafter: i64,
            want: Result<String, ClaimsError>,
        }
        let cases = [
            Case {
                name: "pod and secret",
                bound: BoundObjects {
                    pod: pod(),
                    secret: secret(),
                    node: None,
                },
                warnafter: 0,
                want: Err(ClaimsError::TooManyBoundObjects),
            },
            Case {
                name: "pod",
                bound: BoundObjects {
                    pod: pod(),
                    ..Default::default()
                },
                warnafter: 0,
                want: Ok(format!(
                    r#"{head}"pod":{{"name":"mypod","uid":"mypod-uid"}},{sa}}}{tail}"#
                )),
            },
            Case {
                name: "secret",
                bound: BoundObjects {
                    secret: secret(),
                    ..Default::default()
                },
                warnafter: 0,
                want: Ok(format!(
                    r#"{head}"secret":{{"name":"mysecret","uid":"mysecret-uid"}},{sa}}}{tail}"#
                )),
            },
            Case {
                name: "no obj binding",
                bound: BoundObjects::default(),
                warnafter: 0,
                want: Ok(format!("{head}{sa}}}{tail}")),
            },
            Case {
                name: "IncludeWarnAfterField",
                bound: BoundObjects {
                    pod: pod(),
                    ..Default::default()
                },
                warnafter: 60,
                want: Ok(format!(
                    r#"{head}"pod":{{"name":"mypod","uid":"mypod-uid"}},{sa},"warnafter":1514764860}}{tail}"#
                )),
            },
            Case {
                name: "node",
                bound: BoundObjects {
                    node: node(),
                    ..Default::default()
                },
                warnafter: 0,
                want: Ok(format!(
                    r#"{head}"node":{{"name":"mynode","uid":"mynode-uid"}},{sa}}}{tail}"#
                )),
            },
            Case {
                name: "node and pod",
                bound: BoundObjects {
                    pod: pod(),
                    node: node(),
                    secret: None,
                },
                warnafter: 0,
                want: Ok(format!(
                    r#"{head}"node":{{"name":"mynode","uid":"mynode-uid"}},"pod":{{"name":"mypod","uid":"mypod-uid"}},{sa}}}{tail}"#
                )),
            },
            Case {
                name: "node and secret",
                bound: BoundObjects {
                    secret: secret(),
                    node: node(),
                    pod: None,
                },
                warnafter: 0,
                want: Err(ClaimsError::TooManyBoundObjects),
            },
        ];
        for case in cases {
            let request = ClaimsRequest {
                audiences: &aud,
                now: NOW,
                expiration_seconds: 100,
                warnafter_seconds: case.warnafter,
                jti: "fixed".into(),
            };
            let got = claims(account(), &case.bound, &request)
                .map(|c| serde_json::to_string(&c).expect("claims serialize"));
            assert_eq!(got, case.want, "{}", case.name);
        }
    }

    #[test]
    fn a_node_without_uid_and_one_audience_keep_their_shape() {
        let aud = vec!["api".to_string()];
        let request = ClaimsRequest {
            audiences: &aud,
            now: NOW,
            expiration_seconds: 3600,
            warnafter_seconds: 0,
            jti: new_jti(),
        };
        let bound = BoundObjects {
            pod: pod(),
            node: Some(ObjectRef::new("gone", "")),
            secret: None,
        };
        let claims = claims(account(), &bound, &request).expect("claims");
        let json = serde_json::to_value(&claims).expect("serialize");
        assert_eq!(json["aud"], serde_json::json!(["api"]));
        assert_eq!(
            json["kubernetes.io"]["node"],
            serde_json::json!({"name": "gone"})
        );
        // "ensure JTI is set": a v4 UUID.
        let jti = uuid::Uuid::parse_str(&claims.jti).expect("uuid");
        assert_eq!(jti.get_version_num(), 4);
    }

    #[test]
    fn claims_read_back_as_go_jose_reads_them() {
        let parsed: BoundClaims = serde_json::from_str(
            r#"{"aud":"api","exp":1.9e3,"nbf":null,"kubernetes.io":{"namespace":"ns","warnafter":5}}"#,
        )
        .expect("claims parse");
        assert_eq!(parsed.aud, ["api"]);
        assert_eq!(parsed.exp, Some(1900));
        assert_eq!(parsed.nbf, None);
        assert_eq!(parsed.kubernetes.warnafter, Some(5));
        assert_eq!(parsed.kubernetes.serviceaccount, ObjectRef::default());

        let aud = |json: &str| {
            serde_json::from_str::<BoundClaims>(&format!(r#"{{"aud":{json}}}"#)).map(|c| c.aud)
        };
        assert_eq!(aud(r#"["a","b"]"#).expect("array"), ["a", "b"]);
        assert_eq!(aud("[]").expect("empty array"), Vec::<String>::new());
        assert_eq!(aud("null").expect("null"), Vec::<String>::new());
        assert_eq!(aud(r#""a\u0062""#).expect("escaped"), ["ab"]);
        for wrong in ["1", "{}", r#"["a",1]"#, "true"] {
            assert!(aud(wrong).is_err(), "aud {wrong} accepted");
        }
    }
}
