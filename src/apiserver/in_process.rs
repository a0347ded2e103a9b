//! An in-process transport: the kube clients of components that run inside the embedded
//! cluster reach the API through the same request handling as every other client, but
//! without TCP or TLS in between.

use bytes::Bytes;
use futures::future::BoxFuture;
use http::{header, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::errors::ApiError;
use super::http::{handle, status_response, Body, BodyError};
use super::ServerState;

/// A `tower` service that answers kube-rs requests by calling the server's handler.
#[derive(Clone)]
pub struct InProcessTransport {
    state: Arc<ServerState>,
    authorization: HeaderValue,
}

impl tower_service::Service<Request<kube::client::Body>> for InProcessTransport {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<kube::client::Body>) -> Self::Future {
        let state = self.state.clone();
        let authorization = self.authorization.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            parts.headers.insert(header::AUTHORIZATION, authorization);
            // kube's body type is not `Sync`; request bodies are small, so read it whole.
            let bytes: Bytes = match body.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    let err = ApiError::bad_request(format!("error reading request body: {e}"));
                    return Ok(status_response(&err));
                }
            };
            let body = Full::new(bytes)
                .map_err(|never: Infallible| BodyError(never.to_string()))
                .boxed();
            Ok(handle(state, Request::from_parts(parts, body)).await)
        })
    }
}

/// A kube client with the given bearer token that talks to `state` in-process.
pub(crate) fn client(state: Arc<ServerState>, token: &str) -> Result<kube::Client, ApiError> {
    let authorization = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| ApiError::internal(format!("admin token is not a header value: {e}")))?;
    Ok(kube::Client::new(
        InProcessTransport {
            state,
            authorization,
        },
        "default",
    ))
}
