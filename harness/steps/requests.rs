//! When: requests made with a token, or with no credentials at all, instead of the
//! harness's admin credentials (RBAC features); the outcome is recorded for the `the request …` steps.

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
    let token = async {
        let subject: TokenRef = subject.parse()?;
        super::tokens::token(world, &subject).await
    }
    .await;
    match token {
        Ok(token) => request_as(world, step, Some(token), verb, target, namespace, None).await,
        Err(failure) => world.diagnose(Err(failure)).await,
    }
}

/// A list with a token, naming objects by a field selector (`metadata.name=settings`):
/// upstream authorizes a selector that names one object as a request for that object.
#[when(
    regex = r#"^(the .+?) is used to list "([^"]*)" in namespace "([^"]*)" with the field selector "([^"]*)"$"#
)]
async fn list_with_token_and_field_selector(
    world: &mut ConformanceWorld,
    step: &Step,
    subject: String,
    target: String,
    namespace: String,
    selector: String,
) -> Result<(), Failure> {
    let token = async {
        let subject: TokenRef = subject.parse()?;
        super::tokens::token(world, &subject).await
    }
    .await;
    match token {
        Ok(token) => {
            let verb = "list".to_string();
            request_as(
                world,
                step,
                Some(token),
                verb,
                target,
                namespace,
                Some(selector),
            )
            .await
        }
        Err(failure) => world.diagnose(Err(failure)).await,
    }
}

/// The same requests with no credentials at all (no `Authorization` header, no client
/// certificate): the API server's anonymous user, when it has one.
#[when(
    regex = r#"^no credentials are used to (get|list|delete|create) "([^"]*)" in namespace "([^"]*)"(?: with:)?$"#
)]
async fn request_without_credentials(
    world: &mut ConformanceWorld,
    step: &Step,
    verb: String,
    target: String,
    namespace: String,
) -> Result<(), Failure> {
    request_as(world, step, None, verb, target, namespace, None).await
}

/// Sends the request with `token` as bearer, or with no credentials for `None`, with
/// `fieldSelector` set when `field_selector` is given, and records its outcome.
async fn request_as(
    world: &mut ConformanceWorld,
    step: &Step,
    token: Option<String>,
    verb: String,
    target: String,
    namespace: String,
    field_selector: Option<String>,
) -> Result<(), Failure> {
    let how = if token.is_some() {
        "with the token"
    } else {
        "without credentials"
    };
    let result = async {
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
        if let Some(selector) = &field_selector {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("fieldSelector", &world.expand(selector)?)
                .finish();
            url = format!("{url}?{query}");
        }
        let method = match verb.as_str() {
            "get" | "list" => http::Method::GET,
            "delete" => http::Method::DELETE,
            _ => http::Method::POST,
        };
        let mut config = world.cluster()?.config.clone();
        config.auth_info = kube::config::AuthInfo {
            token: token.map(Into::into),
            ..Default::default()
        };
        let client = kube::Client::try_from(config)
            .map_err(|e| Failure::new(format!("building a client: {e}")))?;
        let request = http::Request::builder()
            .method(method)
            .uri(&url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| Failure::new(e.to_string()))?;
        let what = format!("{verb} {url} {how}");
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
