//! When / Then: TokenReviews, created as the cluster admin, and what they answer.

use cucumber::gherkin::Step;
use cucumber::{then, when};
use serde_json::{json, Value};

use super::doc_string;
use crate::failure::{ensure, Failure};
use crate::matching::{compare, render, MatchOptions};
use crate::objects::{parse_document, TokenRef};
use crate::timing::{default_deadline, with_deadline};
use crate::world::{ApiFailure, ConformanceWorld};

/// POSTs a TokenReview of `token` for `audiences` (none: the API server's own) with the
/// scenario's admin client; the answer or the refusal becomes the last outcome.
#[when(regex = r#"^I review (the .+?)( for the audiences "[^"]*"|)$"#)]
async fn review_token(
    world: &mut ConformanceWorld,
    subject: String,
    audiences: String,
) -> Result<(), Failure> {
    let result = async {
        let subject: TokenRef = subject.parse()?;
        let token = super::tokens::token(world, &subject).await?;
        let audiences: Vec<String> = world
            .expand(
                audiences
                    .trim()
                    .trim_start_matches("for the audiences ")
                    .trim_matches('"'),
            )?
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(String::from)
            .collect();
        let body = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token, "audiences": audiences},
        });
        let request = http::Request::post("/apis/authentication.k8s.io/v1/tokenreviews")
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&body).map_err(|e| Failure::new(e.to_string()))?)
            .map_err(|e| Failure::new(e.to_string()))?;
        let client = world.client()?;
        let what = "POST tokenreviews";
        with_deadline(what, default_deadline(), async {
            match client.request::<Value>(request).await {
                Ok(review) => Ok(Ok(review)),
                Err(error) => Ok(Err(ApiFailure::from_error(error, what)?)),
            }
        })
        .await
    }
    .await;
    let outcome = world.diagnose(result).await?;
    world.last_outcome = Some(outcome);
    Ok(())
}

/// Matches the last TokenReview's `status` against the step's YAML.
#[then(regex = r#"^the token review answers(, with lists in order|):$"#)]
async fn review_matches(
    world: &mut ConformanceWorld,
    step: &Step,
    order: String,
) -> Result<(), Failure> {
    let result = (|| {
        let expected = parse_document(&doc_string(world, step)?)?;
        let review = match &world.last_outcome {
            Some(Ok(review)) => review,
            Some(Err(refusal)) => {
                return Err(Failure::new(format!(
                    "the TokenReview was refused: {}",
                    world.logical_text(&refusal.to_string())
                )))
            }
            None => return Err(Failure::new("no token was reviewed before this step")),
        };
        let status = world.logical(review.get("status").cloned().unwrap_or(Value::Null));
        let options = if order.is_empty() {
            MatchOptions::PARTIAL
        } else {
            MatchOptions::IN_ORDER
        };
        let mismatches = compare(&expected, &status, options);
        ensure(mismatches.is_empty(), || {
            format!(
                "the TokenReview's status differs:\n{}\nactual status:\n{}",
                render(&mismatches),
                serde_yaml::to_string(&status).unwrap_or_default()
            )
        })
    })();
    world.diagnose(result).await
}
