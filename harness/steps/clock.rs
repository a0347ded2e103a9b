//! When: Kubernetes time passes. The scenario's cluster runs on a fake clock (the embedded
//! backend always; a shared cluster when started with `kube-sa serve --clock=fake`), which
//! the step moves forward: through the in-process server, or `POST /debug/clock`. What
//! waits on the clock (a controller's daily run) wakes; real time does not pass.

use std::time::Duration;

use cucumber::{given, when};
use serde_json::{json, Value};

use crate::failure::Failure;
use crate::timing::{default_deadline, with_deadline};
use crate::world::ConformanceWorld;

/// Seconds in one `unit` (`second(s)`, `minute(s)`, `hour(s)`, `day(s)`).
pub fn unit_seconds(unit: &str) -> Option<u64> {
    match unit.trim_end_matches('s') {
        "second" => Some(1),
        "minute" => Some(60),
        "hour" => Some(60 * 60),
        "day" => Some(24 * 60 * 60),
        _ => None,
    }
}

/// Moves the scenario cluster's clock forward by `by`.
async fn advance(world: &ConformanceWorld, by: Duration) -> Result<(), Failure> {
    let cluster = world.cluster()?;
    if let Some(server) = &cluster.server {
        return server
            .advance_clock(by)
            .map(|_| ())
            .map_err(|e| Failure::new(e.to_string()));
    }
    let body = serde_json::to_vec(&json!({"advanceSeconds": by.as_secs()}))
        .map_err(|e| Failure::new(e.to_string()))?;
    let request = http::Request::post("/debug/clock")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .map_err(|e| Failure::new(e.to_string()))?;
    let client = cluster.client.clone();
    with_deadline("POST /debug/clock", default_deadline(), async move {
        match client.request::<Value>(request).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Err(Failure::new(
                "the cluster's clock cannot be moved: it serves no /debug/clock (start kube-sa serve with --clock=fake)",
            )),
            Err(error) => Err(Failure::new(format!("POST /debug/clock: {error}"))),
        }
    })
    .await
}

#[given(regex = r"^(\d+) (seconds?|minutes?|hours?|days?) (?:pass|passes|have passed|has passed)$")]
#[when(regex = r"^(\d+) (seconds?|minutes?|hours?|days?) (?:pass|passes)$")]
async fn time_passes(
    world: &mut ConformanceWorld,
    count: u64,
    unit: String,
) -> Result<(), Failure> {
    let result = async {
        let seconds = unit_seconds(&unit)
            .and_then(|per| per.checked_mul(count))
            .ok_or_else(|| Failure::new(format!("{count} {unit} is not a length of time")))?;
        advance(world, Duration::from_secs(seconds)).await
    }
    .await;
    world.diagnose(result).await
}
