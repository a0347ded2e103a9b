//! Given / Then: hostile tokens made from genuine ones, the key ids a cluster publishes, and
//! the objects of a namespace before and after (the hostile-token feature).

use std::collections::BTreeMap;
use std::sync::Arc;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::Value;

use super::doc_string;
use super::extra::KeySpec;
use crate::failure::{ensure, Failure};
use crate::forge::{forge, Recipe, Signature};
use crate::objects::{parse_document, Kind, TokenRef};
use crate::timing::{default_deadline, with_deadline};
use crate::world::ConformanceWorld;

/// The kinds whose objects a hostile token must leave alone. ConfigMaps are left out: the
/// root-CA publisher writes `kube-root-ca.crt` on its own schedule.
const WATCHED_KINDS: [Kind; 5] = [
    Kind::ServiceAccount,
    Kind::Secret,
    Kind::Pod,
    Kind::Role,
    Kind::RoleBinding,
];

const SIGNED_WITH_FORMS: &str = "`the original signature`, `nothing`, `the cluster's key`, `another <key> key` or `HS256 and the cluster's public key`";

/// The cluster's private signing key (embedded backends only).
fn cluster_key(
    world: &ConformanceWorld,
) -> Result<Arc<kube_sa::serviceaccount::SigningKey>, Failure> {
    world
        .cluster()?
        .server
        .as_ref()
        .and_then(|server| server.signing_key().cloned())
        .ok_or_else(|| Failure::new("signing with the cluster's key needs its private key: embedded backend only (tag the scenario @embedded-only)"))
}

async fn signature(world: &ConformanceWorld, text: Option<&str>) -> Result<Signature, Failure> {
    let text = text.unwrap_or("the original signature").trim();
    match text {
        "the original signature" => Ok(Signature::Kept),
        "nothing" => Ok(Signature::Empty),
        "the cluster's key" => Ok(Signature::Key(cluster_key(world)?)),
        "HS256 and the cluster's public key" => {
            let key = world.cluster()?.public_keys.first().ok_or_else(|| {
                Failure::new("the cluster's public key is unknown (kubeconfig without --service-account-key-file)")
            })?;
            Ok(Signature::Hs256(key.to_pem().into_bytes()))
        }
        other => {
            let spec = other
                .strip_prefix("another ")
                .and_then(|rest| rest.strip_suffix(" key"))
                .ok_or_else(|| {
                    Failure::new(format!(
                        "unknown `signed with: {other}`; write {SIGNED_WITH_FORMS}"
                    ))
                })?;
            Ok(Signature::Key(Arc::new(
                KeySpec::parse(spec)?.generate().await?,
            )))
        }
    }
}

fn optional_map(
    recipe: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<serde_json::Map<String, Value>>, Failure> {
    match recipe.get(key) {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(other) => Err(Failure::new(format!("`{key}` must be a map, not {other}"))),
    }
}

/// The recipe a step's YAML describes (keys in `harness/STEPS.md`).
async fn recipe(world: &ConformanceWorld, yaml: Value) -> Result<Recipe, Failure> {
    const KEYS: [&str; 6] = [
        "header",
        "claims",
        "signed with",
        "jwk header",
        "at least bytes",
        "parts",
    ];
    let Value::Object(yaml) = yaml else {
        return Err(Failure::new("the changes must be a YAML map"));
    };
    if let Some(unknown) = yaml.keys().find(|key| !KEYS.contains(&key.as_str())) {
        return Err(Failure::new(format!(
            "unknown key {unknown:?}; the keys are {}",
            KEYS.join(", ")
        )));
    }
    let text = |key: &str| -> Result<Option<String>, Failure> {
        match yaml.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(Failure::new(format!("`{key}` must be text, not {other}"))),
        }
    };
    let embed_jwk = match text("jwk header")?.as_deref() {
        None => false,
        Some("the signing key") => true,
        Some(other) => {
            return Err(Failure::new(format!(
                "unknown `jwk header: {other}`; write `the signing key`"
            )))
        }
    };
    let min_length = match yaml.get("at least bytes") {
        None => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| Failure::new("`at least bytes` must be a number"))?,
        ),
    };
    Ok(Recipe {
        header: optional_map(&yaml, "header")?,
        claims: optional_map(&yaml, "claims")?,
        signature: signature(world, text("signed with")?.as_deref()).await?,
        embed_jwk,
        min_length,
        layout: text("parts")?,
    })
}

#[given(regex = r#"^a token "([^"]*)" made from (the .+?) with:$"#)]
async fn hostile_token(
    world: &mut ConformanceWorld,
    step: &Step,
    alias: String,
    subject: String,
) -> Result<(), Failure> {
    let result = async {
        let subject: TokenRef = subject.parse()?;
        let token = super::tokens::token(world, &subject).await?;
        let recipe = recipe(world, parse_document(&doc_string(world, step)?)?).await?;
        forge(&token, &recipe)
    }
    .await;
    let token = world.diagnose(result).await?;
    world.remembered.insert(alias, token);
    Ok(())
}

/// The key ids of `/openid/v1/jwks` (bound mode serves it).
async fn published_key_ids(world: &ConformanceWorld) -> Result<Vec<String>, Failure> {
    let client = world.client()?;
    let what = "GET /openid/v1/jwks";
    let jwks = with_deadline(what, default_deadline(), async {
        let request = http::Request::get("/openid/v1/jwks")
            .body(Vec::new())
            .map_err(|e| Failure::new(e.to_string()))?;
        client
            .request::<Value>(request)
            .await
            .map_err(|e| Failure::new(format!("{what}: {e}")))
    })
    .await?;
    Ok(jwks
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|key| key.get("kid").and_then(Value::as_str).map(String::from))
        .collect())
}

#[given(
    regex = r#"^I remember the key id of a verification key the cluster does not sign with as "([^"]*)"$"#
)]
async fn other_key_id(world: &mut ConformanceWorld, alias: String) -> Result<(), Failure> {
    let result = async {
        let signing = cluster_key(world)?.public_key().key_id().to_string();
        let published = published_key_ids(world).await?;
        published
            .iter()
            .find(|kid| **kid != signing)
            .cloned()
            .ok_or_else(|| {
                Failure::new(format!(
                    "the cluster publishes no other key than its signing key {signing:?}: {published:?}"
                ))
            })
    }
    .await;
    let kid = world.diagnose(result).await?;
    world.remembered.insert(alias, kid);
    Ok(())
}

/// `<kind>/<name>` → resourceVersion of every object of [`WATCHED_KINDS`] in a namespace.
async fn object_versions(
    world: &ConformanceWorld,
    namespace: &str,
) -> Result<BTreeMap<String, String>, Failure> {
    let real = world.namespace(&world.expand(namespace)?)?;
    let mut versions = BTreeMap::new();
    for kind in WATCHED_KINDS {
        for object in world.list(kind, &real).await? {
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let version = object
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            versions.insert(format!("{} {name}", kind.words()), version.to_string());
        }
    }
    Ok(versions)
}

#[given(regex = r#"^I remember the objects in namespace "([^"]*)" as "([^"]*)"$"#)]
#[when(regex = r#"^I remember the objects in namespace "([^"]*)" as "([^"]*)"$"#)]
async fn remember_objects(
    world: &mut ConformanceWorld,
    namespace: String,
    alias: String,
) -> Result<(), Failure> {
    let result = async {
        let versions = object_versions(world, &namespace).await?;
        serde_json::to_string(&versions).map_err(|e| Failure::new(e.to_string()))
    }
    .await;
    let versions = world.diagnose(result).await?;
    world.remembered.insert(alias, versions);
    Ok(())
}

#[then(regex = r#"^the objects in namespace "([^"]*)" are as remembered in "([^"]*)"$"#)]
async fn objects_unchanged(
    world: &mut ConformanceWorld,
    namespace: String,
    alias: String,
) -> Result<(), Failure> {
    let result = async {
        let remembered: BTreeMap<String, String> =
            serde_json::from_str(&world.expand(&format!("${{{alias}}}"))?).map_err(|e| {
                Failure::new(format!(
                    "\"{alias}\" is not a remembered set of objects: {e}"
                ))
            })?;
        let now = object_versions(world, &namespace).await?;
        let mut changes = Vec::new();
        for (object, version) in &remembered {
            match now.get(object) {
                None => changes.push(format!("{object} was deleted")),
                Some(current) if current != version => changes.push(format!(
                    "{object} changed (resourceVersion {version} -> {current})"
                )),
                Some(_) => {}
            }
        }
        changes.extend(
            now.keys()
                .filter(|object| !remembered.contains_key(*object))
                .map(|object| format!("{object} is new")),
        );
        ensure(changes.is_empty(), || {
            format!(
                "the objects in namespace {namespace} changed:\n  {}",
                changes.join("\n  ")
            )
        })
    }
    .await;
    world.diagnose(result).await
}
