//! Table tests after upstream's `TestImpersonationFilter`.

use http::{HeaderMap, HeaderValue};

use super::*;
use crate::apiserver::authz::{Decision, RulesReview};

/// Allows `impersonate` to users whose first group names what they may impersonate.
struct Fake;

impl Authorizer for Fake {
    fn authorize(&self, a: &Attributes<'_>) -> Decision {
        let Request::Resource {
            namespace,
            api_group,
            resource,
            subresource,
            name,
            ..
        } = a.request
        else {
            return Decision::NoOpinion(String::new());
        };
        let first = a.user.groups.first().map(String::as_str).unwrap_or("");
        let allowed = a.verb == "impersonate"
            && match first {
                "wheel" => matches!(resource, "users" | "groups") && api_group.is_empty(),
                "sa-impersonater" => resource == "serviceaccounts" && namespace == "foo",
                "extra-setter" => {
                    resource == "users"
                        || (resource == "userextras"
                            && subresource == "scopes"
                            && api_group == "authentication.k8s.io")
                }
                "everything" => {
                    matches!(resource, "users" | "groups" | "userextras")
                        || (resource == "uids" && name == "some-uid")
                }
                _ => false,
            };
        if allowed {
            Decision::Allow
        } else {
            Decision::NoOpinion(String::new())
        }
    }

    fn rules_for(&self, _user: &UserInfo, _namespace: &str) -> RulesReview {
        RulesReview::default()
    }
}

/// A case: name, the requestor's groups, the headers, and what comes of them.
type Case<T> = (
    &'static str,
    &'static [&'static str],
    Vec<(&'static str, &'static str)>,
    T,
);

fn requestor(groups: &[&str]) -> UserInfo {
    UserInfo {
        username: "dev".into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..UserInfo::default()
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    map
}

fn expect_user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        username: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..UserInfo::default()
    }
}

#[test]
fn impersonation_headers_become_the_user_once_authorized() {
    let with_extra = |user: UserInfo, key: &str, values: &[&str]| UserInfo {
        extra: [(
            key.to_string(),
            values.iter().map(|v| v.to_string()).collect(),
        )]
        .into(),
        ..user
    };
    let cases: Vec<Case<UserInfo>> = vec![
        (
            "not impersonating",
            &["wheel"],
            vec![],
            requestor(&["wheel"]),
        ),
        (
            "a user gets system:authenticated",
            &["wheel"],
            vec![("Impersonate-User", "jane")],
            expect_user("jane", &["system:authenticated"]),
        ),
        (
            "given groups come first, system:authenticated after",
            &["wheel"],
            vec![
                ("Impersonate-User", "jane"),
                ("Impersonate-Group", "devs"),
                ("Impersonate-Group", "ops"),
            ],
            expect_user("jane", &["devs", "ops", "system:authenticated"]),
        ),
        (
            "a given system:authenticated is not repeated",
            &["wheel"],
            vec![
                ("Impersonate-User", "jane"),
                ("Impersonate-Group", "system:authenticated"),
            ],
            expect_user("jane", &["system:authenticated"]),
        ),
        (
            "system:unauthenticated keeps system:authenticated out",
            &["wheel"],
            vec![
                ("Impersonate-User", "jane"),
                ("Impersonate-Group", "system:unauthenticated"),
            ],
            expect_user("jane", &["system:unauthenticated"]),
        ),
        (
            "the anonymous user is unauthenticated",
            &["wheel"],
            vec![("Impersonate-User", "system:anonymous")],
            expect_user("system:anonymous", &["system:unauthenticated"]),
        ),
        (
            "a service account gets its groups",
            &["sa-impersonater"],
            vec![("Impersonate-User", "system:serviceaccount:foo:default")],
            expect_user(
                "system:serviceaccount:foo:default",
                &[
                    "system:serviceaccounts",
                    "system:serviceaccounts:foo",
                    "system:authenticated",
                ],
            ),
        ),
        (
            "extra values, keys lower-cased",
            &["extra-setter"],
            vec![
                ("Impersonate-User", "jane"),
                ("Impersonate-Extra-Scopes", "scope-a"),
                ("Impersonate-Extra-Scopes", "scope-b"),
            ],
            with_extra(
                expect_user("jane", &["system:authenticated"]),
                "scopes",
                &["scope-a", "scope-b"],
            ),
        ),
        (
            "percent-escaped extra keys are decoded",
            &["everything"],
            vec![
                ("Impersonate-User", "jane"),
                (
                    "Impersonate-Extra-example.com%2fescaped%e1%9b%84scopes",
                    "a",
                ),
            ],
            with_extra(
                expect_user("jane", &["system:authenticated"]),
                "example.com/escapedᛄscopes",
                &["a"],
            ),
        ),
        (
            "a malformed escape keeps the key",
            &["everything"],
            vec![
                ("Impersonate-User", "jane"),
                ("Impersonate-Extra-almost%zzencoded", "a"),
            ],
            with_extra(
                expect_user("jane", &["system:authenticated"]),
                "almost%zzencoded",
                &["a"],
            ),
        ),
        (
            "a uid",
            &["everything"],
            vec![
                ("Impersonate-User", "jane"),
                ("Impersonate-Uid", "some-uid"),
            ],
            UserInfo {
                uid: "some-uid".into(),
                ..expect_user("jane", &["system:authenticated"])
            },
        ),
    ];
    for (name, groups, pairs, want) in cases {
        let mut map = headers(&pairs);
        let got = impersonate(&Fake, requestor(groups), &mut map)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message));
        assert_eq!(got, want, "{name}");
        assert!(
            map.keys().all(|k| !k.as_str().starts_with("impersonate-")),
            "{name}: headers left: {map:?}"
        );
    }
}

#[test]
fn refusals_have_upstreams_codes_and_texts() {
    let cases: Vec<Case<(u16, &str)>> = vec![
        (
            "a user without the right",
            &["nobody"],
            vec![("Impersonate-User", "jane")],
            (403, "users \"jane\" is forbidden: User \"dev\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"),
        ),
        (
            "a service account outside the allowed namespace",
            &["sa-impersonater"],
            vec![("Impersonate-User", "system:serviceaccount:bar:robot")],
            (403, "serviceaccounts \"robot\" is forbidden: User \"dev\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"bar\""),
        ),
        (
            "a group not allowed",
            &["extra-setter"],
            vec![("Impersonate-User", "jane"), ("Impersonate-Group", "admins")],
            (403, "groups \"admins\" is forbidden: User \"dev\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope"),
        ),
        (
            "an extra key not allowed",
            &["extra-setter"],
            vec![("Impersonate-User", "jane"), ("Impersonate-Extra-Project", "p")],
            (403, "userextras.authentication.k8s.io \"p\" is forbidden: User \"dev\" cannot impersonate resource \"userextras/project\" in API group \"authentication.k8s.io\" at the cluster scope"),
        ),
        (
            "a uid not allowed",
            &["everything"],
            vec![("Impersonate-User", "jane"), ("Impersonate-Uid", "other")],
            (403, "uids.authentication.k8s.io \"other\" is forbidden: User \"dev\" cannot impersonate resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope"),
        ),
        (
            "a uid without a user",
            &["everything"],
            vec![("Impersonate-Uid", "some-uid")],
            (400, "requested [{UID  some-uid  authentication.k8s.io/v1  }] without impersonating a user"),
        ),
        (
            "groups and extra without a user",
            &["everything"],
            vec![
                ("Impersonate-Group", "devs"),
                ("Impersonate-Extra-Scopes", "a"),
            ],
            (400, "requested [{Group  devs    } {UserExtra  a  authentication.k8s.io/v1  scopes}] without impersonating a user"),
        ),
    ];
    for (name, groups, pairs, (code, message)) in cases {
        let mut map = headers(&pairs);
        let err = impersonate(&Fake, requestor(groups), &mut map).expect_err(name);
        assert_eq!(err.code, code, "{name}");
        assert_eq!(err.message, message, "{name}");
    }
}
