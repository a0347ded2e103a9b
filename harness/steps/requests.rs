//! When: requests made with a token instead of the harness's admin credentials (RBAC
//! features); the outcome is recorded for the `the request …` steps.

use cucumber::gherkin::Step;
use cucumber::when;
use serde_json::Value;

use super::{doc_string, prepare_manifest};
use crate::failure::Failure;
use crate::objects::{parse_document, TokenRef};
use crate::timing::{default_deadline, with_deadline};
use crate::world::{ApiFailure, ConformanceWorld};

/// `pods` → `/api/v1`, `roles.rbac.authorization.k8s.io` → `/apis/rbac.authorization.k8s.io/v1`:
/// the plural and the collection's API prefix (every group the features use serves `v1`).
fn collection(resource: &str, real_namespace: &str) -> String {
    let (plural, prefix) = match resource.split_once('.') {
        None => (resource, "/api/v1".to_string()),
        Some((plural, group)) => (plural, format!("/apis/{group}/v1")),
    };
    format!("{prefix}/namespaces/{real_namespace}/{plural}")
}

#[when(
    regex = r#"^(the .+?) is used to (get|list|delete|create) "([^"]*)" in namespace "([^"]*)"(?: with:)?$"#
)]
async fn request_with_token(
    world: &mut ConformanceWorld,
    step: &Step,
    subject: String,
    verb: String,
    target: String,
    namespace: String,
) -> Result<(), Failure> {
    let result = async {
        let subject: TokenRef = subject.parse()?;
        let token = super::tokens::token(world, &subject).await?;
        let namespace = world.expand(&namespace)?;
        let real = world.namespace(&namespace)?;
        let target = world.expand(&target)?;
        let (resource, name) = match target.split_once('/') {
            Some((resource, name)) => (resource, Some(name)),
            None => (target.as_str(), None),
        };
        let mut url = collection(resource, &real);
        let body = match verb.as_str() {
            "create" => {
                let document = parse_document(&doc_string(world, step)?)?;
                let (_, _, object) = prepare_manifest(world, &namespace, document)?;
                serde_json::to_vec(&object).map_err(|e| Failure::new(e.to_string()))?
            }
            _ => Vec::new(),
        };
        if let Some(name) = name {
            url = format!("{url}/{name}");
        }
        let method = match verb.as_str() {
            "get" | "list" => http::Method::GET,
            "delete" => http::Method::DELETE,
            _ => http::Method::POST,
        };
        let mut config = world.cluster()?.config.clone();
        config.auth_info = kube::config::AuthInfo {
            token: Some(token.into()),
            ..Default::default()
        };
        let client = kube::Client::try_from(config)
            .map_err(|e| Failure::new(format!("building a client with the token: {e}")))?;
        let request = http::Request::builder()
            .method(method)
            .uri(&url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| Failure::new(e.to_string()))?;
        let what = format!("{verb} {url} with the token");
        with_deadline(&what, default_deadline(), async {
            match client.request::<Value>(request).await {
                Ok(answer) => Ok(Ok(answer)),
                Err(error) => Ok(Err(ApiFailure::from_error(error, &what)?)),
            }
        })
        .await
    }
    .await;
    let outcome = world.diagnose(result).await?;
    world.last_outcome = Some(outcome);
    Ok(())
}
