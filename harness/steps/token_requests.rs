//! When/Then: TokenRequest (`serviceaccounts/<name>/token`, bound mode) made with the
//! scenario's admin credentials, its outcome recorded for the `the request …` steps and its
//! token remembered; and a remembered token against its snapshot.

use cucumber::gherkin::Step;
use cucumber::{then, when};
use serde_json::{json, Value};

use super::doc_string;
use crate::failure::Failure;
use crate::objects::parse_document;
use crate::timing::{default_deadline, with_deadline};
use crate::world::{ApiFailure, ConformanceWorld};

/// POSTs a TokenRequest: the step's YAML (`metadata`, `spec`; nothing without a doc string)
/// with `apiVersion` and `kind` added; `${alias}` is expanded in it.
async fn request_token(
    world: &ConformanceWorld,
    step: &Step,
    service_account: &str,
    namespace: &str,
) -> Result<Result<Value, ApiFailure>, Failure> {
    let service_account = world.expand(service_account)?;
    let real = world.namespace(&world.expand(namespace)?)?;
    let mut body = match step.docstring.as_deref() {
        Some(_) => parse_document(&doc_string(world, step)?)?,
        None => json!({}),
    };
    let map = body
        .as_object_mut()
        .ok_or_else(|| Failure::new("the TokenRequest must be a YAML map"))?;
    map.insert("apiVersion".into(), json!("authentication.k8s.io/v1"));
    map.insert("kind".into(), json!("TokenRequest"));
    let url = format!("/api/v1/namespaces/{real}/serviceaccounts/{service_account}/token");
    let request = http::Request::post(&url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(&body).map_err(|e| Failure::new(e.to_string()))?)
        .map_err(|e| Failure::new(e.to_string()))?;
    let client = world.client()?;
    let what = format!("POST {url}");
    with_deadline(&what, default_deadline(), async {
        match client.request::<Value>(request).await {
            Ok(answer) => Ok(Ok(answer)),
            Err(error) => Ok(Err(ApiFailure::from_error(error, &what)?)),
        }
    })
    .await
}

#[when(
    regex = r#"^I request a token for service account "([^"]*)" in namespace "([^"]*)" as "([^"]*)"(?: with:)?$"#
)]
async fn request(
    world: &mut ConformanceWorld,
    step: &Step,
    service_account: String,
    namespace: String,
    alias: String,
) -> Result<(), Failure> {
    let result = async {
        let answer = request_token(world, step, &service_account, &namespace)
            .await?
            .map_err(|refusal| Failure::new(format!("the TokenRequest was refused: {refusal}")))?;
        let token = answer
            .pointer("/status/token")
            .and_then(Value::as_str)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Failure::new("the TokenRequest answer has no status.token"))?
            .to_string();
        Ok((answer, token))
    }
    .await;
    let (answer, token) = world.diagnose(result).await?;
    world.remembered.insert(alias, token);
    world.last_outcome = Some(Ok(answer));
    Ok(())
}

#[when(
    regex = r#"^I try to request a token for service account "([^"]*)" in namespace "([^"]*)"(?: with:)?$"#
)]
async fn try_request(
    world: &mut ConformanceWorld,
    step: &Step,
    service_account: String,
    namespace: String,
) -> Result<(), Failure> {
    let result = request_token(world, step, &service_account, &namespace).await;
    let outcome = world.diagnose(result).await?;
    world.last_outcome = Some(outcome);
    Ok(())
}

#[then(regex = r#"^the token request is answered with:$"#)]
async fn answer_matches(world: &mut ConformanceWorld, step: &Step) -> Result<(), Failure> {
    let result = (|| {
        let expected = parse_document(&doc_string(world, step)?)?;
        let answer = match &world.last_outcome {
            Some(Ok(answer)) => world.logical(answer.clone()),
            Some(Err(refusal)) => {
                return Err(Failure::new(format!(
                    "the TokenRequest was refused: {refusal}"
                )))
            }
            None => return Err(Failure::new("no TokenRequest was made")),
        };
        let mismatches =
            crate::matching::compare(&expected, &answer, crate::matching::MatchOptions::PARTIAL);
        crate::failure::ensure(mismatches.is_empty(), || {
            format!(
                "the TokenRequest answer differs:\n{}\nactual answer:\n{}",
                crate::matching::render(&mismatches),
                serde_yaml::to_string(&answer).unwrap_or_default()
            )
        })
    })();
    world.diagnose(result).await
}

/// The nodes API of the scenario's cluster (nodes are cluster-scoped; their names are not
/// mapped).
fn nodes(world: &ConformanceWorld) -> Result<kube::Api<k8s_openapi::api::core::v1::Node>, Failure> {
    Ok(kube::Api::all(world.client()?))
}

#[cucumber::given(regex = r#"^a node "([^"]*)"(?: whose uid I remember as "([^"]*)")?$"#)]
async fn create_node(
    world: &mut ConformanceWorld,
    name: String,
    alias: String,
) -> Result<(), Failure> {
    let result = async {
        let node: k8s_openapi::api::core::v1::Node =
            serde_json::from_value(json!({"metadata": {"name": world.expand(&name)?}}))
                .map_err(|e| Failure::new(e.to_string()))?;
        let api = nodes(world)?;
        let what = format!("create node {name}");
        let created = with_deadline(&what, default_deadline(), async {
            api.create(&Default::default(), &node)
                .await
                .map_err(|e| Failure::new(format!("{what}: {e}")))
        })
        .await?;
        Ok(created.metadata.uid.unwrap_or_default())
    }
    .await;
    let uid = world.diagnose(result).await?;
    if !alias.is_empty() {
        world.remembered.insert(alias, uid);
    }
    Ok(())
}

#[when(regex = r#"^the node "([^"]*)" is deleted$"#)]
async fn delete_node(world: &mut ConformanceWorld, name: String) -> Result<(), Failure> {
    let result = async {
        let api = nodes(world)?;
        let what = format!("delete node {name}");
        with_deadline(&what, default_deadline(), async {
            api.delete(&world.expand(&name)?, &Default::default())
                .await
                .map_err(|e| Failure::new(format!("{what}: {e}")))
        })
        .await
        .map(|_| ())
    }
    .await;
    world.diagnose(result).await
}
