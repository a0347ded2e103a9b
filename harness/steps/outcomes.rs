//! Then: request outcomes, object state (now, within, for), counts and fields.

use cucumber::gherkin::Step;
use cucumber::then;
use serde_json::Value;

use super::doc_string;
use crate::failure::{ensure, Failure};
use crate::matching::{compare, render, show, MatchOptions};
use crate::objects::{field, parse_document, scalar_text, Kind, ObjectRef};
use crate::timing::{assert_timed, Timing};
use crate::world::{is_token_secret_of, ConformanceWorld};

fn last_refusal(world: &ConformanceWorld) -> Result<&crate::world::ApiFailure, Failure> {
    match &world.last_outcome {
        None => Err(Failure::new(
            "no request was made before this step (use `When I try to create …`)",
        )),
        Some(Ok(object)) => Err(Failure::new(format!(
            "the request succeeded, but a rejection was expected; the API returned:\n{}",
            serde_yaml::to_string(&crate::snapshots::readable(
                world,
                Kind::Pod,
                object.clone()
            ))
            .unwrap_or_default()
        ))),
        Some(Err(refusal)) => Ok(refusal),
    }
}

#[then(regex = r#"^the request succeeds$"#)]
async fn request_succeeds(world: &mut ConformanceWorld) -> Result<(), Failure> {
    let result = match &world.last_outcome {
        None => Err(Failure::new("no request was made before this step")),
        Some(Ok(_)) => Ok(()),
        Some(Err(refusal)) => Err(Failure::new(format!(
            "the request was rejected: {}",
            world.logical_text(&refusal.to_string())
        ))),
    };
    world.diagnose(result).await
}

fn check_code_and_reason(world: &ConformanceWorld, code: u16, reason: &str) -> Result<(), Failure> {
    let refusal = last_refusal(world)?;
    ensure(refusal.code == code && refusal.reason == reason, || {
        format!(
            "expected HTTP {code} {reason:?}, got HTTP {} {:?} with message:\n  {}",
            refusal.code,
            refusal.reason,
            world.logical_text(&refusal.message)
        )
    })
}

/// A refusal by code alone, for answers that carry no Status (HTTP 431 from the
/// connection layer, whose body is empty as Go's).
#[then(regex = r#"^the request is rejected with HTTP (\d+)$"#)]
async fn rejected_with_code(world: &mut ConformanceWorld, code: u16) -> Result<(), Failure> {
    let result = last_refusal(world).and_then(|refusal| {
        ensure(refusal.code == code, || {
            format!(
                "expected HTTP {code}, got {}",
                world.logical_text(&refusal.to_string())
            )
        })
    });
    world.diagnose(result).await
}

#[then(regex = r#"^the request is rejected with HTTP (\d+) "([^"]*)" and the message:$"#)]
async fn rejected_with_message(
    world: &mut ConformanceWorld,
    step: &Step,
    code: u16,
    reason: String,
) -> Result<(), Failure> {
    let result = (|| {
        check_code_and_reason(world, code, &reason)?;
        let expected = doc_string(world, step)?.trim().to_string();
        let actual = world.logical_text(&last_refusal(world)?.message);
        ensure(actual == expected, || {
            format!("the message differs:\n  expected: {expected}\n  actual:   {actual}")
        })
    })();
    world.diagnose(result).await
}

#[then(regex = r#"^the request is rejected with HTTP (\d+) "([^"]*)" and the details:$"#)]
async fn rejected_with_details(
    world: &mut ConformanceWorld,
    step: &Step,
    code: u16,
    reason: String,
) -> Result<(), Failure> {
    let result = (|| {
        check_code_and_reason(world, code, &reason)?;
        let expected = parse_document(&doc_string(world, step)?)?;
        let actual = world.logical(last_refusal(world)?.details.clone());
        let mismatches = compare(&expected, &actual, MatchOptions::PARTIAL);
        ensure(mismatches.is_empty(), || {
            format!(
                "the Status details differ:\n{}\nactual details: {}",
                render(&mismatches),
                show(&actual)
            )
        })
    })();
    world.diagnose(result).await
}

/// A secret with its `data` values decoded to text (those that are UTF-8), so features
/// can write `data: {namespace: demo}` instead of base64.
fn text_data(mut secret: Value) -> Value {
    use base64::Engine as _;
    if let Some(data) = secret.get_mut("data").and_then(Value::as_object_mut) {
        for value in data.values_mut() {
            let text = value
                .as_str()
                .and_then(|encoded| {
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .ok()
                })
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if let Some(text) = text {
                *value = Value::String(text);
            }
        }
    }
    secret
}

/// The object (logical names; a secret's data as text) or `None` when it does not exist.
async fn current(
    world: &ConformanceWorld,
    subject: &ObjectRef,
) -> Result<Option<(String, Value)>, Failure> {
    let resolved = match subject {
        ObjectRef::TokenSecretOf {
            service_account,
            namespace,
        } => {
            let real = world.namespace(&world.expand(namespace)?)?;
            return Ok(world
                .token_secret_of(&real, &world.expand(service_account)?)
                .await?
                .map(|secret| {
                    (
                        format!(
                            "the token secret of service account {namespace}/{service_account}"
                        ),
                        world.logical(text_data(secret)),
                    )
                }));
        }
        named => world.resolve(named).await?,
    };
    let object = world
        .fetch(resolved.kind, resolved.namespace.as_deref(), &resolved.name)
        .await?;
    let kind = resolved.kind;
    Ok(object.map(|o| {
        (
            resolved.describe(world),
            world.logical(if kind == Kind::Secret {
                text_data(o)
            } else {
                o
            }),
        )
    }))
}

async fn assert_matches(
    world: &ConformanceWorld,
    timing: Timing,
    subject: &ObjectRef,
    expected: &Value,
    options: MatchOptions,
    text: &str,
) -> Result<(), Failure> {
    assert_timed(
        timing,
        &format!("{text} matches the expected YAML"),
        || async {
            let (what, actual) = current(world, subject)
                .await?
                .ok_or_else(|| Failure::new(format!("{text} does not exist")))?;
            let mismatches = compare(expected, &actual, options);
            ensure(mismatches.is_empty(), || {
                format!(
                    "{what} differs from the expected YAML:\n{}",
                    render(&mismatches)
                )
            })
        },
    )
    .await
}

#[then(
    regex = r#"^(within \d+ (?:seconds?|s) |for \d+ (?:seconds?|s) |)(the .+?) matches( in order)?:$"#
)]
async fn matches(
    world: &mut ConformanceWorld,
    step: &Step,
    timing: String,
    subject: String,
    in_order: String,
) -> Result<(), Failure> {
    let result = async {
        let timing: Timing = timing.parse().map_err(Failure::new)?;
        let object: ObjectRef = subject.parse()?;
        let expected = parse_document(&doc_string(world, step)?)?;
        let options = if in_order.is_empty() {
            MatchOptions::PARTIAL
        } else {
            MatchOptions::IN_ORDER
        };
        assert_matches(world, timing, &object, &expected, options, &subject).await
    }
    .await;
    world.diagnose(result).await
}

#[then(
    regex = r#"^(within \d+ (?:seconds?|s) |for \d+ (?:seconds?|s) |)(the .+?) (exists|does not exist)$"#
)]
async fn exists(
    world: &mut ConformanceWorld,
    timing: String,
    subject: String,
    verdict: String,
) -> Result<(), Failure> {
    let result = async {
        let timing: Timing = timing.parse().map_err(Failure::new)?;
        let object: ObjectRef = subject.parse()?;
        let should_exist = verdict == "exists";
        assert_timed(timing, &format!("{subject} {verdict}"), || async {
            let found = current(world, &object).await?;
            ensure(found.is_some() == should_exist, || match &found {
                Some((what, _)) => format!("{what} still exists"),
                None => format!("{subject} does not exist"),
            })
        })
        .await
    }
    .await;
    world.diagnose(result).await
}

#[then(
    regex = r#"^(within \d+ (?:seconds?|s) |for \d+ (?:seconds?|s) |)there (?:is|are) (\d+) token secrets? for service account "([^"]*)" in namespace "([^"]*)"$"#
)]
async fn token_secret_count(
    world: &mut ConformanceWorld,
    timing: String,
    count: usize,
    service_account: String,
    namespace: String,
) -> Result<(), Failure> {
    let result = async {
        let timing: Timing = timing.parse().map_err(Failure::new)?;
        let sa = world.expand(&service_account)?;
        let real = world.namespace(&world.expand(&namespace)?)?;
        assert_timed(timing, &format!("{count} token secret(s) for service account {namespace}/{sa}"), || async {
            let uid = world
                .fetch(Kind::ServiceAccount, Some(&real), &sa)
                .await?
                .and_then(|account| account.pointer("/metadata/uid").and_then(Value::as_str).map(str::to_string));
            let secrets = world.list(Kind::Secret, &real).await?;
            let names: Vec<&str> = secrets
                .iter()
                .filter(|secret| match &uid {
                    Some(uid) => is_token_secret_of(secret, &sa, uid),
                    // Without the account, every token secret naming it counts.
                    None => is_token_secret_of(secret, &sa, secret.pointer("/metadata/annotations/kubernetes.io~1service-account.uid").and_then(Value::as_str).unwrap_or("")),
                })
                .filter_map(|secret| secret.pointer("/metadata/name").and_then(Value::as_str))
                .collect();
            ensure(names.len() == count, || format!("expected {count} token secret(s) for service account {namespace}/{sa}, found {}: {names:?}", names.len()))
        })
        .await
    }
    .await;
    world.diagnose(result).await
}

#[then(
    regex = r#"^(within \d+ (?:seconds?|s) |for \d+ (?:seconds?|s) |)the (\S+) of (the .+?) (is|is not) "([^"]*)"$"#
)]
async fn field_is(
    world: &mut ConformanceWorld,
    timing: String,
    path: String,
    subject: String,
    verdict: String,
    value: String,
) -> Result<(), Failure> {
    let result = async {
        let timing: Timing = timing.parse().map_err(Failure::new)?;
        let object: ObjectRef = subject.parse()?;
        let expected = world.expand(&value)?;
        let negate = verdict == "is not";
        assert_timed(
            timing,
            &format!("the {path} of {subject} {verdict} {value:?}"),
            || async {
                let (what, actual) = current(world, &object)
                    .await?
                    .ok_or_else(|| Failure::new(format!("{subject} does not exist")))?;
                let actual = field(&actual, &path).map(scalar_text);
                let equal = actual.as_deref() == Some(expected.as_str());
                ensure(equal != negate, || match &actual {
                    Some(actual) => format!("the {path} of {what} is {actual:?}"),
                    None => format!("{what} has no {path}"),
                })
            },
        )
        .await
    }
    .await;
    world.diagnose(result).await
}
