//! The step library (vocabulary in `harness/STEPS.md`). Each step returns
//! `Result<(), Failure>`; failures carry a field-level diff plus the scenario's
//! diagnostics (objects in its namespaces, recent API requests).

mod actions;
mod chaos;
mod clock;
mod extra;
mod faults;
mod hostile;
mod outcomes;
mod pods;
mod requests;
mod reviews;
mod setup;
mod snapshots;
mod token_requests;
mod tokens;

use cucumber::gherkin::Step;
use serde_json::Value;

use crate::failure::Failure;
use crate::objects::Kind;
use crate::timing::{default_deadline, with_deadline};
use crate::world::{ApiFailure, ConformanceWorld};

/// The step's doc string with `${alias}` expanded.
pub(crate) fn doc_string(world: &ConformanceWorld, step: &Step) -> Result<String, Failure> {
    let text = step
        .docstring
        .as_deref()
        .ok_or_else(|| Failure::new("this step needs a doc string (\"\"\" … \"\"\") below it"))?;
    world.expand(text)
}

/// A manifest made ready for the cluster: its namespace set to the real one (a Namespace's
/// own name mapped), with kind and real namespace.
pub(crate) fn prepare_manifest(
    world: &ConformanceWorld,
    namespace: &str,
    mut object: Value,
) -> Result<(Kind, Option<String>, Value), Failure> {
    let kind = crate::objects::manifest_kind(&object)?;
    let metadata = object
        .as_object_mut()
        .ok_or_else(|| Failure::new("an object must be a YAML map"))?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    let metadata = metadata
        .as_object_mut()
        .ok_or_else(|| Failure::new("metadata must be a map"))?;
    if kind == Kind::Namespace {
        let name = metadata
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::new("a Namespace needs metadata.name"))?;
        let real = world.namespace(name)?;
        metadata.insert("name".into(), Value::String(real));
        Ok((kind, None, object))
    } else {
        let logical = metadata
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or(namespace)
            .to_string();
        let real = world.namespace(&logical)?;
        metadata.insert("namespace".into(), Value::String(real.clone()));
        real_subjects(world, &mut object)?;
        // An Event's involved object is in a namespace too.
        if let Some(logical) = object
            .pointer("/involvedObject/namespace")
            .and_then(Value::as_str)
            .map(str::to_string)
        {
            object["involvedObject"]["namespace"] = Value::String(world.namespace(&logical)?);
        }
        Ok((kind, Some(real), object))
    }
}

/// A binding's subjects (in an object or a patch) name namespaces too: a ServiceAccount's
/// `namespace`, the group `system:serviceaccounts:<namespace>` and the user
/// `system:serviceaccount:<namespace>:<name>` (how RBAC may name an account's token) are
/// turned from logical into real names.
pub(super) fn real_subjects(world: &ConformanceWorld, object: &mut Value) -> Result<(), Failure> {
    const ACCOUNTS_GROUP: &str = "system:serviceaccounts:";
    const ACCOUNT_USER: &str = "system:serviceaccount:";
    let Some(subjects) = object.get_mut("subjects").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for subject in subjects {
        let kind = subject["kind"].as_str().unwrap_or_default().to_string();
        if kind == "ServiceAccount" {
            if let Some(logical) = subject["namespace"].as_str().map(str::to_string) {
                subject["namespace"] = Value::String(world.namespace(&logical)?);
            }
        } else if kind == "Group" {
            if let Some(logical) = subject["name"]
                .as_str()
                .and_then(|name| name.strip_prefix(ACCOUNTS_GROUP))
                .map(str::to_string)
            {
                let real = world.namespace(&logical)?;
                subject["name"] = Value::String(format!("{ACCOUNTS_GROUP}{real}"));
            }
        } else if kind == "User" {
            if let Some((logical, account)) = subject["name"]
                .as_str()
                .and_then(|name| name.strip_prefix(ACCOUNT_USER))
                .and_then(|rest| rest.split_once(':'))
                .map(|(namespace, account)| (namespace.to_string(), account.to_string()))
            {
                let real = world.namespace(&logical)?;
                subject["name"] = Value::String(format!("{ACCOUNT_USER}{real}:{account}"));
            }
        }
    }
    Ok(())
}

/// `kind ns/name` (or generateName) for messages.
pub(crate) fn describe_manifest(world: &ConformanceWorld, kind: Kind, object: &Value) -> String {
    let name = object
        .pointer("/metadata/name")
        .or_else(|| object.pointer("/metadata/generateName"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    match object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
    {
        Some(ns) if kind.namespaced() => {
            format!("{} {}/{name}", kind.words(), world.logical_text(ns))
        }
        _ => format!("{} {}", kind.words(), world.logical_text(name)),
    }
}

/// One CREATE: the created object, or the API's refusal.
pub(crate) async fn create_once(
    world: &ConformanceWorld,
    kind: Kind,
    namespace: Option<&str>,
    object: &Value,
) -> Result<Result<Value, ApiFailure>, Failure> {
    let api = world.api(kind, namespace)?;
    let dynamic: kube::api::DynamicObject = serde_json::from_value(object.clone())
        .map_err(|e| Failure::new(format!("not a Kubernetes object: {e}")))?;
    let what = format!("CREATE {}", describe_manifest(world, kind, object));
    with_deadline(&what, default_deadline(), async {
        match api.create(&Default::default(), &dynamic).await {
            Ok(created) => Ok(Ok(
                serde_json::to_value(created).map_err(|e| Failure::new(e.to_string()))?
            )),
            Err(error) => Ok(Err(ApiFailure::from_error(error, &what)?)),
        }
    })
    .await
}

/// The admission refusal that asks clients to retry: the account has no token yet (the
/// message read as the world reads it, without a webhook's denial prefix).
pub(crate) fn is_token_not_ready(world: &ConformanceWorld, failure: &ApiFailure) -> bool {
    failure.code == 500
        && failure.reason == "ServerTimeout"
        && world
            .logical_text(&failure.message)
            .starts_with("No API token found")
}

/// The secret's `data.token`, decoded.
pub(crate) fn secret_token(secret: &Value) -> Option<String> {
    use base64::Engine as _;
    let encoded = secret.pointer("/data/token")?.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok().filter(|t| !t.is_empty())
}
