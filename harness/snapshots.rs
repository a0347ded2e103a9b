//! insta snapshots of admitted pods and token secrets, in `snapshots/`.
//!
//! Before an object is recorded: real namespace names become logical ones, generated
//! name suffixes become `xxxxx`, `managedFields` go, secret data is decoded (a token as
//! its header and claims, the CA as a placeholder), and insta redacts uid,
//! resourceVersion and timestamps. A changed snapshot fails; a new one is recorded on its
//! first run, except under `CI=true`, where it fails too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures::FutureExt as _;
use kube_sa::serviceaccount::PublicKey;
use serde_json::{json, Value};

use crate::failure::Failure;
use crate::matching::{SUFFIX_ALPHABET, SUFFIX_LENGTH};
use crate::objects::Kind;
use crate::world::{map_strings, ConformanceWorld};

/// Where snapshot files live.
pub const SNAPSHOT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots");

/// Replaces generated suffixes: `default-token-p7w9c` → `default-token-xxxxx`, a
/// clash-avoiding `default-token-xxxxx-b2c4d` → `default-token-xxxxx-xxxxx`, and bound
/// mode's token volume `kube-api-access-p7w9c` → `kube-api-access-xxxxx`.
pub fn redact_suffixes(text: &str) -> String {
    let mut out = text.to_string();
    for marker in ["-token-", "kube-api-access-", "xxxxx-"] {
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(marker) {
            let (head, tail) = rest.split_at(at + marker.len());
            result.push_str(head);
            let candidate: String = tail.chars().take(SUFFIX_LENGTH).collect();
            let boundary = tail[candidate.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            if candidate.len() == SUFFIX_LENGTH
                && candidate.chars().all(|c| SUFFIX_ALPHABET.contains(c))
                && boundary
            {
                result.push_str("xxxxx");
                rest = &tail[SUFFIX_LENGTH..];
            } else {
                rest = tail;
            }
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// A secret's `data` decoded for people: text as text, a token as header and claims,
/// certificates as a placeholder. A token's signature is checked against `keys` (when
/// known): one that fails says why in place of `[signature]`, so its snapshot fails.
fn decode_secret_data(secret: &mut Value, keys: &[PublicKey]) {
    let Some(data) = secret.get_mut("data").and_then(Value::as_object_mut) else {
        return;
    };
    for (key, value) in data.iter_mut() {
        let Some(bytes) = value
            .as_str()
            .and_then(|encoded| STANDARD.decode(encoded).ok())
        else {
            continue;
        };
        let text = String::from_utf8(bytes.clone()).ok();
        *value = match (key.as_str(), text) {
            ("token", Some(token)) => match crate::tokens::decode(&token, keys) {
                Ok(decoded) => {
                    json!({"header": decoded.header, "claims": decoded.claims, "signature": "[signature]"})
                }
                Err(failure) => match crate::tokens::decode_unverified(&token) {
                    Ok(decoded) => {
                        json!({"header": decoded.header, "claims": decoded.claims, "signature": format!("[not verified: {failure}]")})
                    }
                    // Not a JWT at all (a token a user chose): shown as it is.
                    Err(_) => json!(token),
                },
            },
            (_, Some(text)) if text.starts_with("-----BEGIN CERTIFICATE-----") => {
                json!("[PEM certificate bundle]")
            }
            (_, Some(text)) => json!(text),
            (_, None) => json!(format!("[{} bytes]", bytes.len())),
        };
    }
}

/// An object as diagnostics show it: without `managedFields`, secret data decoded (tokens
/// verified against `keys`).
pub fn decoded(kind: Kind, mut object: Value, keys: &[PublicKey]) -> Value {
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    if kind == Kind::Secret {
        decode_secret_data(&mut object, keys);
    }
    object
}

/// An object as snapshots show it: [`decoded`], logical namespace names, generated suffixes redacted.
pub fn readable(world: &ConformanceWorld, kind: Kind, object: Value) -> Value {
    let keys = world
        .cluster()
        .map(|cluster| cluster.public_keys.as_slice())
        .unwrap_or_default();
    let object = world.logical(decoded(kind, object, keys));
    map_strings(object, &|text| redact_suffixes(text))
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(90).collect();
    out.trim_end_matches('-').to_string()
}

/// `<component>__<feature>__<scenario>__<kind>-<name>`; a scenario that runs in both
/// modes has `-bound` after its name in bound mode (its objects differ between modes).
/// An object of the kind and name that the scenario has already recorded from another
/// namespace gets `__in-<namespace>` after that (the logical namespace), so that the same
/// pod name in two namespaces has two snapshots; the first keeps the plain name. A slug
/// never holds `__`, so no object name can produce another's snapshot name.
fn snapshot_name(world: &ConformanceWorld, kind: Kind, name: &str, namespace: &str) -> String {
    let mut scenario = slug(&world.id.scenario);
    if world.id.both_modes && world.id.mode == kube_sa::Mode::Bound {
        scenario.push_str("-bound");
    }
    let plain = format!(
        "{}__{}__{}__{}-{}",
        slug(&world.id.component),
        slug(&world.id.feature),
        scenario,
        kind.slug(),
        slug(&redact_suffixes(&world.logical_text(name)))
    );
    let namespace = world.logical_text(namespace);
    let first = world.first_snapshot_namespace(&plain, &namespace);
    if first == namespace {
        plain
    } else {
        format!("{plain}__in-{}", slug(&namespace))
    }
}

/// Compares `object` (as the API returned it) with its snapshot.
pub async fn assert_snapshot(
    world: &ConformanceWorld,
    kind: Kind,
    name: &str,
    object: Value,
) -> Result<(), Failure> {
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let snapshot = snapshot_name(world, kind, name, &namespace);
    let value = readable(world, kind, object);
    assert_named_snapshot(world, snapshot, value, &[], kind.words()).await
}

/// A requested (bound) token as its snapshot shows it: decoded header and claims, the
/// signature checked against the cluster's keys; the key id, `jti`, uids and `iat`/`nbf`
/// redacted, and `exp`/`warnafter` written relative to `iat` (`iat + 3600`), so that the
/// lifetime stays visible. Recorded as `<component>__<feature>__<scenario>__token-<alias>`.
pub async fn assert_token_snapshot(
    world: &ConformanceWorld,
    alias: &str,
    token: &str,
) -> Result<(), Failure> {
    let keys = world
        .cluster()
        .map(|cluster| cluster.public_keys.as_slice())
        .unwrap_or_default();
    let decoded = crate::tokens::decode(token, keys)?;
    let mut claims = decoded.claims;
    let iat = claims.get("iat").and_then(Value::as_i64);
    if let Some(iat) = iat {
        let relative = |value: &mut Value| {
            if let Some(at) = value.as_i64() {
                *value = json!(format!("iat + {}", at - iat));
            }
        };
        if let Some(exp) = claims.get_mut("exp") {
            relative(exp);
        }
        if let Some(warnafter) = claims.pointer_mut("/kubernetes.io/warnafter") {
            relative(warnafter);
        }
    }
    let value = world.logical(json!({
        "header": decoded.header,
        "claims": claims,
        "signature": "[signature]",
    }));
    let snapshot = format!(
        "{}__{}__{}__token-{}",
        slug(&world.id.component),
        slug(&world.id.feature),
        slug(&world.id.scenario),
        slug(alias)
    );
    let redactions = [
        (".header.kid", "[kid]"),
        (".claims.jti", "[jti]"),
        (".claims.iat", "[timestamp]"),
        (".claims.nbf", "[timestamp]"),
        (".claims[\"kubernetes.io\"].serviceaccount.uid", "[uid]"),
        (".claims[\"kubernetes.io\"].pod.uid", "[uid]"),
        (".claims[\"kubernetes.io\"].secret.uid", "[uid]"),
        (".claims[\"kubernetes.io\"].node.uid", "[uid]"),
    ];
    assert_named_snapshot(world, snapshot, value, &redactions, "token").await
}

async fn assert_named_snapshot(
    world: &ConformanceWorld,
    snapshot: String,
    value: Value,
    extra_redactions: &[(&'static str, &'static str)],
    words: &str,
) -> Result<(), Failure> {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(SNAPSHOT_DIR);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!("{} / {}", world.id.feature, world.id.scenario));
    if let Some(path) = &world.id.feature_path {
        settings.set_input_file(path);
    }
    for (selector, replacement) in [
        (".metadata.uid", "[uid]"),
        (".metadata.resourceVersion", "[resourceVersion]"),
        (".metadata.creationTimestamp", "[timestamp]"),
        (".metadata.deletionTimestamp", "[timestamp]"),
        (
            ".metadata.annotations[\"kubernetes.io/service-account.uid\"]",
            "[uid]",
        ),
        (
            ".data.token.claims[\"kubernetes.io/serviceaccount/service-account.uid\"]",
            "[uid]",
        ),
        // Bound mode signs Secret tokens with the (per-cluster) key's id too.
        (".data.token.header.kid", "[kid]"),
        (".status.startTime", "[timestamp]"),
    ] {
        settings.add_redaction(selector, replacement);
    }
    for (selector, replacement) in extra_redactions {
        settings.add_redaction(selector, *replacement);
    }
    let name_for_assert = snapshot.clone();
    let outcome = std::panic::AssertUnwindSafe(settings.bind_async(async move {
        insta::assert_yaml_snapshot!(name_for_assert, value);
    }))
    .catch_unwind()
    .await;
    let path = std::path::Path::new(SNAPSHOT_DIR).join(format!("{snapshot}.snap"));
    let recorded = path.exists();
    if outcome.is_err() && !recorded && !is_ci() {
        if let Some(accepted) = accept_new(&path) {
            return accepted;
        }
    }
    outcome.map_err(|panic| {
        let reason = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let what = if recorded {
            format!("the {words} does not match its snapshot snapshots/{snapshot}.snap (diff above)")
        } else {
            format!("the {words} has no snapshot yet (snapshots/{snapshot}.snap; under CI=true a new snapshot fails, elsewhere it is recorded on the first run)")
        };
        Failure::new(format!(
            "{what}; accept the new version with INSTA_UPDATE=always (or `cargo insta review`, from `cargo install cargo-insta`): {reason}"
        ))
    })
}

/// Whether insta treats this run as CI (`CI` set and not `false`, `0` or empty; or
/// `TF_BUILD`), where it writes no snapshot files and a new snapshot fails.
fn is_ci() -> bool {
    match std::env::var("CI").ok().as_deref() {
        Some("false" | "0" | "") => false,
        None => std::env::var_os("TF_BUILD").is_some(),
        Some(_) => true,
    }
}

/// Outside CI, a scenario's first snapshot is recorded rather than failed: insta has
/// written it as `<name>.snap.new`, and it is accepted as `cargo insta accept` would
/// (saved as `<name>.snap` without the review-only metadata). The scenario's later steps
/// then run, and the new file is there to review and check in. None when insta wrote no
/// pending file (so the failure stands).
fn accept_new(path: &std::path::Path) -> Option<Result<(), Failure>> {
    let pending = path.with_extension("snap.new");
    let snapshot = insta::Snapshot::from_file(&pending).ok()?;
    let saved = snapshot
        .save(path)
        .and_then(|()| std::fs::remove_file(&pending).map_err(Into::into));
    Some(match saved {
        Ok(()) => {
            eprintln!(
                "recorded a new snapshot {}; review it and check it in with the scenario",
                path.display()
            );
            Ok(())
        }
        Err(error) => Err(Failure::new(format!(
            "could not record the new snapshot {}: {error}",
            path.display()
        ))),
    })
}
