//! Given: namespaces, objects that must exist, waiting for tokens, remembering values.

use cucumber::gherkin::Step;
use cucumber::{given, when};
use serde_json::{json, Value};

use super::{create_once, doc_string, prepare_manifest, secret_token};
use crate::failure::Failure;
use crate::objects::{field, parse_documents, scalar_text, Kind, ObjectRef};
use crate::timing::{assert_timed, Timing};
use crate::world::ConformanceWorld;

#[given(regex = r#"^a namespace "([^"]*)"$"#)]
#[when(regex = r#"^a namespace "([^"]*)"$"#)]
async fn a_namespace(world: &mut ConformanceWorld, namespace: String) -> Result<(), Failure> {
    let result = async {
        let logical = world.expand(&namespace)?;
        let object =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": logical}});
        let (kind, _, object) = prepare_manifest(world, &logical, object)?;
        create_once(world, kind, None, &object)
            .await?
            .map_err(|f| Failure::new(format!("creating namespace {logical}: {f}")))?;
        // As upstream's e2e framework does for every namespace it makes: pods created next
        // must not race the controller that makes `default` (the admission plugin gives up
        // on a missing `default` after about 1.5 s, which a loaded cluster can exceed).
        if world.controllers {
            wait_for_service_account(world, &logical, "default").await?;
        }
        Ok(())
    }
    .await;
    world.diagnose(result).await
}

#[given(regex = r#"^the following objects in namespace "([^"]*)":$"#)]
async fn the_following_objects(
    world: &mut ConformanceWorld,
    step: &Step,
    namespace: String,
) -> Result<(), Failure> {
    let result = super::actions::create_all(world, step, &namespace).await;
    world.diagnose(result.map(|_| ())).await
}

/// Polls until the account lists a token Secret that has `data.token`; returns that Secret.
pub(crate) async fn wait_for_token_secret(
    world: &ConformanceWorld,
    namespace: &str,
    service_account: &str,
) -> Result<Value, Failure> {
    let real = world.namespace(namespace)?;
    let found = std::sync::Mutex::new(None);
    let what = format!(
        "service account {namespace}/{service_account} to list a token secret with a token"
    );
    assert_timed(
        Timing::Within(crate::timing::default_deadline()),
        &what,
        || async {
            match world.token_secret_of(&real, service_account).await? {
                Some(secret) if secret_token(&secret).is_some() => {
                    *found.lock().unwrap_or_else(|e| e.into_inner()) = Some(secret);
                    Ok(())
                }
                Some(_) => Err(Failure::new("its token secret has no data.token yet")),
                None => Err(Failure::new("it lists no token secret yet")),
            }
        },
    )
    .await?;
    found
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .ok_or_else(|| Failure::new("no token secret"))
}

/// Polls until the service account exists.
async fn wait_for_service_account(
    world: &ConformanceWorld,
    namespace: &str,
    service_account: &str,
) -> Result<(), Failure> {
    let real = world.namespace(namespace)?;
    assert_timed(
        Timing::Within(crate::timing::default_deadline()),
        &format!("service account {namespace}/{service_account} to exist"),
        || async {
            match world
                .fetch(Kind::ServiceAccount, Some(&real), service_account)
                .await?
            {
                Some(_) => Ok(()),
                None => Err(Failure::new("it does not exist yet")),
            }
        },
    )
    .await
}

#[given(regex = r#"^the service account "([^"]*)" in namespace "([^"]*)" has a token$"#)]
#[when(regex = r#"^the service account "([^"]*)" in namespace "([^"]*)" has a token$"#)]
async fn has_a_token(
    world: &mut ConformanceWorld,
    service_account: String,
    namespace: String,
) -> Result<(), Failure> {
    let result = async {
        let (sa, ns) = (world.expand(&service_account)?, world.expand(&namespace)?);
        if world.id.mode == kube_sa::Mode::Bound {
            // Bound mode issues tokens on request: the account only has to exist.
            return wait_for_service_account(world, &ns, &sa).await;
        }
        wait_for_token_secret(world, &ns, &sa).await.map(|_| ())
    }
    .await;
    world.diagnose(result).await
}

#[given(
    regex = r#"^I remember the token secret of service account "([^"]*)" in namespace "([^"]*)" as "([^"]*)"$"#
)]
#[when(
    regex = r#"^I remember the token secret of service account "([^"]*)" in namespace "([^"]*)" as "([^"]*)"$"#
)]
async fn remember_token_secret(
    world: &mut ConformanceWorld,
    service_account: String,
    namespace: String,
    alias: String,
) -> Result<(), Failure> {
    let result = async {
        let (sa, ns) = (world.expand(&service_account)?, world.expand(&namespace)?);
        let secret = wait_for_token_secret(world, &ns, &sa).await?;
        Ok(secret
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }
    .await;
    let name = world.diagnose(result).await?;
    world.remembered.insert(alias, name);
    Ok(())
}

#[given(
    regex = r#"^I remember the token of service account "([^"]*)" in namespace "([^"]*)" as "([^"]*)"$"#
)]
#[when(
    regex = r#"^I remember the token of service account "([^"]*)" in namespace "([^"]*)" as "([^"]*)"$"#
)]
async fn remember_token(
    world: &mut ConformanceWorld,
    service_account: String,
    namespace: String,
    alias: String,
) -> Result<(), Failure> {
    // The token as `the token of service account …` means it in the scenario's mode: the
    // token Secret's in legacy mode, an issued one in bound mode.
    let subject = crate::objects::TokenRef::OfServiceAccount {
        service_account,
        namespace,
    };
    let result = super::tokens::token(world, &subject).await;
    let token = world.diagnose(result).await?;
    world.remembered.insert(alias, token);
    Ok(())
}

#[given(regex = r#"^I remember the (\S+) of (the .+) as "([^"]*)"$"#)]
#[when(regex = r#"^I remember the (\S+) of (the .+) as "([^"]*)"$"#)]
async fn remember_field(
    world: &mut ConformanceWorld,
    path: String,
    subject: String,
    alias: String,
) -> Result<(), Failure> {
    let result = async {
        let subject: ObjectRef = subject.parse()?;
        let resolved = world.resolve(&subject).await?;
        let object = world
            .fetch(resolved.kind, resolved.namespace.as_deref(), &resolved.name)
            .await?
            .ok_or_else(|| Failure::new(format!("{} does not exist", resolved.describe(world))))?;
        let value = field(&object, &path).ok_or_else(|| {
            Failure::new(format!("{} has no field {path}", resolved.describe(world)))
        })?;
        Ok(scalar_text(value))
    }
    .await;
    let value = world.diagnose(result).await?;
    world.remembered.insert(alias, value);
    Ok(())
}

/// Parses every document up front, so a YAML mistake fails before anything is created.
pub(crate) fn documents(world: &ConformanceWorld, step: &Step) -> Result<Vec<Value>, Failure> {
    let documents = parse_documents(&doc_string(world, step)?)?;
    if documents.is_empty() {
        return Err(Failure::new("the doc string holds no YAML document"));
    }
    Ok(documents)
}
