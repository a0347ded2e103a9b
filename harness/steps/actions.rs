//! When: create, try to create, apply, patch, delete.

use cucumber::gherkin::Step;
use cucumber::{given, when};
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::Value;

use super::{create_once, describe_manifest, doc_string, is_token_not_ready, prepare_manifest};
use crate::failure::Failure;
use crate::objects::{parse_document, Kind, ObjectRef};
use crate::timing::{default_deadline, with_deadline};
use crate::world::{ApiFailure, ConformanceWorld};

/// Creates every document; each must succeed. A pod refused because its account has no
/// token yet (the retryable ServerTimeout) is retried until the step deadline, as a client
/// honouring Retry-After would. Every created pod is recorded as a snapshot.
pub(crate) async fn create_all(
    world: &mut ConformanceWorld,
    step: &Step,
    namespace: &str,
) -> Result<Vec<(Kind, Value)>, Failure> {
    let namespace = world.expand(namespace)?;
    let documents = super::setup::documents(world, step)?;
    let mut created = Vec::new();
    for document in documents {
        let (kind, real_namespace, object) = prepare_manifest(world, &namespace, document)?;
        let what = describe_manifest(world, kind, &object);
        let started = tokio::time::Instant::now();
        let mut retries = tokio::time::interval(std::time::Duration::from_millis(50));
        let result = loop {
            retries.tick().await;
            match create_once(world, kind, real_namespace.as_deref(), &object).await? {
                Err(refusal)
                    if kind == Kind::Pod
                        && is_token_not_ready(world, &refusal)
                        && started.elapsed() < default_deadline() =>
                {
                    continue
                }
                other => break other,
            }
        };
        let object = result.map_err(|refusal| {
            Failure::new(format!(
                "creating {what} failed: {}",
                world.logical_text(&refusal.to_string())
            ))
        })?;
        if kind == Kind::Pod {
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("unnamed")
                .to_string();
            crate::snapshots::assert_snapshot(world, kind, &name, object.clone()).await?;
        }
        world.last_outcome = Some(Ok(object.clone()));
        created.push((kind, object));
    }
    Ok(created)
}

#[given(regex = r#"^I create in namespace "([^"]*)":$"#)]
#[when(regex = r#"^I create in namespace "([^"]*)":$"#)]
async fn create(
    world: &mut ConformanceWorld,
    step: &Step,
    namespace: String,
) -> Result<(), Failure> {
    let result = create_all(world, step, &namespace).await;
    world.diagnose(result.map(|_| ())).await
}

#[when(regex = r#"^I try to create in namespace "([^"]*)":$"#)]
async fn try_create(
    world: &mut ConformanceWorld,
    step: &Step,
    namespace: String,
) -> Result<(), Failure> {
    let result = async {
        let namespace = world.expand(&namespace)?;
        let document = parse_document(&doc_string(world, step)?)?;
        let (kind, real_namespace, object) = prepare_manifest(world, &namespace, document)?;
        create_once(world, kind, real_namespace.as_deref(), &object).await
    }
    .await;
    let outcome = world.diagnose(result).await?;
    world.last_outcome = Some(outcome);
    Ok(())
}

#[given(regex = r#"^I apply in namespace "([^"]*)":$"#)]
#[when(regex = r#"^I apply in namespace "([^"]*)":$"#)]
async fn apply(
    world: &mut ConformanceWorld,
    step: &Step,
    namespace: String,
) -> Result<(), Failure> {
    let result = async {
        let namespace = world.expand(&namespace)?;
        let mut last = None;
        for document in super::setup::documents(world, step)? {
            let (kind, real_namespace, object) = prepare_manifest(world, &namespace, document)?;
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .ok_or_else(|| Failure::new("apply needs metadata.name"))?
                .to_string();
            let api = world.api(kind, real_namespace.as_deref())?;
            let what = format!("APPLY {}", describe_manifest(world, kind, &object));
            let params = PatchParams::apply("conformance").force();
            let outcome =
                with_deadline(&what, default_deadline(), async {
                    match api.patch(&name, &params, &Patch::Apply(&object)).await {
                        Ok(applied) => Ok(Ok(serde_json::to_value(applied)
                            .map_err(|e| Failure::new(e.to_string()))?)),
                        Err(error) => Ok(Err(ApiFailure::from_error(error, &what)?)),
                    }
                })
                .await?;
            last = Some(outcome.map_err(|refusal| {
                Failure::new(format!(
                    "{what} failed: {}",
                    world.logical_text(&refusal.to_string())
                ))
            })?);
        }
        Ok(last)
    }
    .await;
    let last = world.diagnose(result).await?;
    world.last_outcome = last.map(Ok);
    Ok(())
}

#[given(regex = r#"^I patch (the .+) with:$"#)]
#[when(regex = r#"^I patch (the .+) with:$"#)]
async fn patch(world: &mut ConformanceWorld, step: &Step, subject: String) -> Result<(), Failure> {
    let result = async {
        let subject: ObjectRef = subject.parse()?;
        let mut patch = parse_document(&doc_string(world, step)?)?;
        super::real_subjects(world, &mut patch)?;
        let resolved = world.resolve(&subject).await?;
        let api = world.api(resolved.kind, resolved.namespace.as_deref())?;
        let what = format!("PATCH {}", resolved.describe(world));
        with_deadline(&what, default_deadline(), async {
            match api
                .patch(
                    &resolved.name,
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
            {
                Ok(patched) => {
                    Ok(serde_json::to_value(patched).map_err(|e| Failure::new(e.to_string()))?)
                }
                Err(error) => Err(Failure::new(format!(
                    "{what} failed: {}",
                    world.logical_text(&ApiFailure::from_error(error, &what)?.to_string())
                ))),
            }
        })
        .await
    }
    .await;
    let patched = world.diagnose(result).await?;
    world.last_outcome = Some(Ok(patched));
    Ok(())
}

#[given(regex = r#"^I delete (the .+)$"#)]
#[when(regex = r#"^I delete (the .+)$"#)]
async fn delete(world: &mut ConformanceWorld, subject: String) -> Result<(), Failure> {
    let result = async {
        let subject: ObjectRef = subject.parse()?;
        let resolved = world.resolve(&subject).await?;
        let api = world.api(resolved.kind, resolved.namespace.as_deref())?;
        let what = format!("DELETE {}", resolved.describe(world));
        with_deadline(&what, default_deadline(), async {
            api.delete(&resolved.name, &DeleteParams::default())
                .await
                .map(|_| ())
                .map_err(|error| Failure::new(format!("{what} failed: {error}")))
        })
        .await
    }
    .await;
    world.diagnose(result).await
}
