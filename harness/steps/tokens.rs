//! Then: a token's header and claims, its signature, and whom it authenticates as.

use cucumber::gherkin::Step;
use cucumber::then;

use super::{doc_string, secret_token};
use crate::failure::{ensure, Failure};
use crate::matching::{compare, render, MatchOptions};
use crate::objects::{parse_document, Kind, TokenRef};
use crate::timing::{assert_timed, Timing};
use crate::tokens::{authenticate, decode};
use crate::world::ConformanceWorld;

/// The token a step names.
pub(super) async fn token(world: &ConformanceWorld, subject: &TokenRef) -> Result<String, Failure> {
    match subject {
        TokenRef::OfServiceAccount {
            service_account,
            namespace,
        } if world.id.mode == kube_sa::Mode::Bound => {
            let (namespace, service_account) =
                (world.expand(namespace)?, world.expand(service_account)?);
            match requested_token(world, &namespace, &service_account).await? {
                Some(token) => Ok(token),
                // A cluster without TokenRequest: a token Secret made by hand, which the
                // token controller fills in in both modes.
                None => manual_token(world, &namespace, &service_account).await,
            }
        }
        TokenRef::OfServiceAccount {
            service_account,
            namespace,
        } => {
            let secret = super::setup::wait_for_token_secret(
                world,
                &world.expand(namespace)?,
                &world.expand(service_account)?,
            )
            .await?;
            secret_token(&secret).ok_or_else(|| Failure::new("the token secret has no token"))
        }
        TokenRef::InSecret { secret, namespace } => {
            let name = world.expand(secret)?;
            let real = world.namespace(&world.expand(namespace)?)?;
            let secret = world
                .fetch(Kind::Secret, Some(&real), &name)
                .await?
                .ok_or_else(|| Failure::new(format!("secret {namespace}/{name} does not exist")))?;
            secret_token(&secret)
                .ok_or_else(|| Failure::new(format!("secret {namespace}/{name} has no data.token")))
        }
        TokenRef::Remembered(alias) => world.expand(&format!("${{{alias}}}")),
    }
}

/// The token of `<account>-token-conformance`, a service-account token Secret the step
/// creates (once) for the account and the token controller fills in.
async fn manual_token(
    world: &ConformanceWorld,
    namespace: &str,
    service_account: &str,
) -> Result<String, Failure> {
    let real = world.namespace(namespace)?;
    let name = format!("{service_account}-token-conformance");
    let secret = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": real,
            "annotations": {"kubernetes.io/service-account.name": service_account},
        },
        "type": "kubernetes.io/service-account-token",
    });
    if let Err(refusal) = super::create_once(world, Kind::Secret, Some(&real), &secret).await? {
        if refusal.reason != "AlreadyExists" {
            return Err(Failure::new(format!(
                "creating the token secret {namespace}/{name}: {refusal}"
            )));
        }
    }
    let found = std::sync::Mutex::new(None);
    assert_timed(
        Timing::Within(crate::timing::default_deadline()),
        &format!("the token controller to fill in {namespace}/{name}"),
        || async {
            let secret = world.fetch(Kind::Secret, Some(&real), &name).await?;
            match secret.as_ref().and_then(secret_token) {
                Some(token) => {
                    *found.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
                    Ok(())
                }
                None => Err(Failure::new("it has no data.token yet")),
            }
        },
    )
    .await?;
    found
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .ok_or_else(|| Failure::new("no token"))
}

/// In bound mode an account's token is one it is issued (an empty TokenRequest: the API
/// audiences, an hour); `None` when the cluster does not serve TokenRequest.
async fn requested_token(
    world: &ConformanceWorld,
    namespace: &str,
    service_account: &str,
) -> Result<Option<String>, Failure> {
    let real = world.namespace(namespace)?;
    let url = format!("/api/v1/namespaces/{real}/serviceaccounts/{service_account}/token");
    let body = serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}});
    let client = world.client()?;
    let what = format!("POST {url}");
    let answer = crate::timing::with_deadline(&what, crate::timing::default_deadline(), async {
        let request = http::Request::post(&url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&body).map_err(|e| Failure::new(e.to_string()))?)
            .map_err(|e| Failure::new(e.to_string()))?;
        match client.request::<serde_json::Value>(request).await {
            Ok(answer) => Ok(Some(answer)),
            // The subresource is not served (404 for the path, 405 for the verb).
            Err(kube::Error::Api(status))
                if status.code == 405
                    || (status.code == 404
                        && status.message
                            == "the server could not find the requested resource") =>
            {
                Ok(None)
            }
            Err(error) => Err(Failure::new(format!("{what}: {error}"))),
        }
    })
    .await?;
    let Some(answer) = answer else {
        return Ok(None);
    };
    answer
        .pointer("/status/token")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty())
        .map(|token| Some(token.to_string()))
        .ok_or_else(|| Failure::new(format!("{what}: the answer has no status.token")))
}

async fn token_part_matches(
    world: &ConformanceWorld,
    step: &Step,
    subject: &str,
    part: &str,
) -> Result<(), Failure> {
    let subject: TokenRef = subject.parse()?;
    let expected = parse_document(&doc_string(world, step)?)?;
    let decoded = decode(
        &token(world, &subject).await?,
        &world.cluster()?.public_keys,
    )?;
    let actual = world.logical(if part == "header" {
        decoded.header
    } else {
        decoded.claims
    });
    let mismatches = compare(&expected, &actual, MatchOptions::EXACT_KEYS);
    ensure(mismatches.is_empty(), || {
        format!(
            "the token's {part} differs:\n{}\nactual {part}:\n{}",
            render(&mismatches),
            serde_yaml::to_string(&actual).unwrap_or_default()
        )
    })
}

#[then(regex = r#"^(the .+?) has the header:$"#)]
async fn has_header(
    world: &mut ConformanceWorld,
    step: &Step,
    subject: String,
) -> Result<(), Failure> {
    let result = token_part_matches(world, step, &subject, "header").await;
    world.diagnose(result).await
}

#[then(regex = r#"^(the .+?) has the claims:$"#)]
async fn has_claims(
    world: &mut ConformanceWorld,
    step: &Step,
    subject: String,
) -> Result<(), Failure> {
    let result = token_part_matches(world, step, &subject, "claims").await;
    world.diagnose(result).await
}

#[then(regex = r#"^(the .+?) is signed by the cluster's service-account key$"#)]
async fn is_signed(world: &mut ConformanceWorld, subject: String) -> Result<(), Failure> {
    let result = async {
        let subject: TokenRef = subject.parse()?;
        let token = token(world, &subject).await?;
        let cluster = world.cluster()?;
        if cluster.public_keys.is_empty() {
            // The cluster's key is unknown (kubeconfig without --service-account-key-file):
            // the API server's own verification is the next best check.
            println!("      (no --service-account-key-file: checking the signature by authenticating with the token)");
            return authenticate(&cluster.config, &token)
                .await?
                .map(|_| ())
                .map_err(|refusal| Failure::new(format!("the cluster does not accept the token: {refusal}")));
        }
        decode(&token, &cluster.public_keys).map(|_| ())
    }
    .await;
    world.diagnose(result).await
}

#[then(regex = r#"^(the .+?) authenticates as:$"#)]
async fn authenticates_as(
    world: &mut ConformanceWorld,
    step: &Step,
    subject: String,
) -> Result<(), Failure> {
    let result = check_user(world, step, &subject, MatchOptions::PARTIAL, "").await;
    world.diagnose(result).await
}

/// Authenticates with the token `subject` names and matches the user against the step's
/// YAML; `how` is added to the failure message to say how lists were compared.
pub(super) async fn check_user(
    world: &ConformanceWorld,
    step: &Step,
    subject: &str,
    options: MatchOptions,
    how: &str,
) -> Result<(), Failure> {
    let subject: TokenRef = subject.parse()?;
    let expected = parse_document(&doc_string(world, step)?)?;
    let token = token(world, &subject).await?;
    let user = authenticate(&world.cluster()?.config, &token)
        .await?
        .map_err(|refusal| {
            Failure::new(format!(
                "the token does not authenticate: {}",
                world.logical_text(&refusal.to_string())
            ))
        })?;
    let user = world.logical(user);
    let mismatches = compare(&expected, &user, options);
    ensure(mismatches.is_empty(), || {
        format!(
            "the token authenticates as someone else{how}:\n{}\nactual user:\n{}",
            render(&mismatches),
            serde_yaml::to_string(&user).unwrap_or_default()
        )
    })
}

#[then(regex = r#"^(within \d+ (?:seconds?|s) |)(the .+?) is rejected with HTTP 401$"#)]
async fn is_rejected(
    world: &mut ConformanceWorld,
    timing: String,
    subject: String,
) -> Result<(), Failure> {
    let result = async {
        let timing: Timing = timing.parse().map_err(Failure::new)?;
        let subject: TokenRef = subject.parse()?;
        let token = token(world, &subject).await?;
        let config = world.cluster()?.config.clone();
        assert_timed(timing, "the token to be rejected with HTTP 401", || async {
            match authenticate(&config, &token).await? {
                Ok(user) => Err(Failure::new(format!(
                    "the token still authenticates, as {}",
                    world.logical(user)
                ))),
                Err(refusal) => ensure(refusal.code == 401, || {
                    format!("expected HTTP 401, got {refusal}")
                }),
            }
        })
        .await
    }
    .await;
    world.diagnose(result).await
}

#[cucumber::given(
    regex = r#"^a token "([^"]*)" signed by the cluster's service-account key with the claims:$"#
)]
async fn forge_token(
    world: &mut ConformanceWorld,
    step: &Step,
    alias: String,
) -> Result<(), Failure> {
    let result = (|| {
        let claims = parse_document(&doc_string(world, step)?)?;
        let serde_json::Value::Object(claims) = claims else {
            return Err(Failure::new("the claims must be a YAML map"));
        };
        let key = world
            .cluster()?
            .server
            .as_ref()
            .and_then(|server| server.signing_key().cloned())
            .ok_or_else(|| Failure::new("signing a token needs the cluster's private key: embedded backend only (tag the scenario @embedded-only)"))?;
        let issuer = claims
            .get("iss")
            .and_then(|v| v.as_str())
            .unwrap_or(kube_sa::serviceaccount::LEGACY_ISSUER)
            .to_string();
        kube_sa::serviceaccount::TokenGenerator::new(issuer, key)
            .sign_claims(claims)
            .map_err(|e| Failure::new(format!("signing the token: {e}")))
    })();
    let token = world.diagnose(result).await?;
    world.remembered.insert(alias, token);
    Ok(())
}
