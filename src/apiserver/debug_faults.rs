//! `/debug/faults`: reads, replaces and clears the server's injected faults
//! ([`super::faults`]; `kube-sa serve --fault-injection`).
//!
//! Not an upstream endpoint. It is authorized as upstream's non-resource endpoints are (the
//! lower-case HTTP method on the path, so only `system:masters` and whoever an admin grants
//! `nonResourceURLs: ["/debug/faults"]`), answers errors with a `metav1.Status`, and is not
//! served (404, as an unknown path) unless fault injection is switched on.

use http::{Method, Response, StatusCode};

use super::errors::ApiError;
use super::faults::{FaultConfig, FaultInjector};
use super::http::{json_response, read_body, Body, RequestBody};

/// The path, as [`super::routes::Route::DebugFaults`] parses it.
pub const PATH: &str = "/debug/faults";

/// `GET` answers the configuration; `POST` replaces it with the body's (a bad body is
/// `400 BadRequest` naming the field, and changes nothing) and answers the new one;
/// `DELETE` clears it and answers the empty one. Other methods are `405`.
pub async fn serve(
    faults: &FaultInjector,
    method: &Method,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    match *method {
        Method::GET => {}
        Method::POST | Method::PUT => {
            let bytes = read_body(body).await?;
            faults.set(FaultConfig::from_json(&bytes)?);
        }
        Method::DELETE => faults.clear(),
        _ => return Err(ApiError::method_not_allowed()),
    }
    Ok(json_response(StatusCode::OK, &faults.config().to_json()))
}
