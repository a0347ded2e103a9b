//! HTTPS serving: accept, TLS, HTTP/1.1 and HTTP/2, authentication, authorization, dispatch.

use bytes::Bytes;
use futures::FutureExt;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use serde_json::Value;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::authz;
use super::errors::ApiError;
use super::handlers;
use super::kinds::serviceaccount_token;
use super::limits::{self, Admission};
use super::request_metrics;
use super::routes::{self, Route};
use super::warnings::WarningRecorder;
use super::{discovery, impersonation, openapi, ServerState};
use crate::authn::{BearerHeader, UserInfo};
use crate::serving::serve_tls_connection_with_timeout;

/// Response body: a whole buffer, or a stream of watch events.
pub type Body = BoxBody<Bytes, Infallible>;

/// Request body, whichever transport it came over (HTTPS or in-process).
pub type RequestBody = BoxBody<Bytes, BodyError>;

/// A request body that could not be read (the connection broke, say).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(pub String);

/// Request bodies above this size get 413, like kube-apiserver's 3 MiB limit.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Serves connections until `shutdown` flips to true; then closes every connection.
pub async fn serve(
    listener: TcpListener,
    state: Arc<ServerState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(state.tls.server_config.clone());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let header_read_timeout = state.limits.header_read_timeout;
                let state = state.clone();
                let handler = move |req: Request<Incoming>| {
                    handle(state.clone(), req.map(|body| body.map_err(|e| BodyError(e.to_string())).boxed()))
                };
                connections.spawn(serve_tls_connection_with_timeout(
                    acceptor.clone(),
                    stream,
                    peer,
                    header_read_timeout,
                    handler,
                ));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// Everything a handler needs to know about the request besides its route.
pub struct RequestContext {
    /// The HTTP method.
    pub method: Method,
    /// Who the authentication chain says sent it, or whom it impersonates.
    pub user: UserInfo,
    /// The decoded query parameters (the last of a repeated key).
    pub query: HashMap<String, String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// Warnings for the client (admission webhooks add theirs), written to the response
    /// whether the request succeeds or not.
    pub warnings: WarningRecorder,
}

impl RequestContext {
    /// A query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// A header's value, or `""` if absent or not visible ASCII.
    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// A boolean query parameter as apimachinery decodes one
    /// (`Convert_Slice_string_To_bool`): absent is false, `0` and `false` (any case) are
    /// false, any other value (`1`, `true`, `yes`, empty) is true.
    pub fn flag(&self, key: &str) -> bool {
        self.param(key).is_some_and(is_true)
    }

    /// An integer query parameter (`limit`, `timeoutSeconds`) as apimachinery decodes one
    /// (`Convert_Slice_string_To_int64` / `_To_Pointer_int64`): absent is `None`; any other
    /// value, the empty one included, must parse as a base-10 int64.
    ///
    /// Errors: 400 BadRequest with Go's `strconv.ParseInt` text, as upstream's handlers answer
    /// a query they cannot decode into ListOptions.
    pub fn int64(&self, key: &str) -> Result<Option<i64>, super::errors::ApiError> {
        self.param(key).map(parse_go_int64).transpose()
    }
}

/// `strconv.ParseInt(value, 10, 64)`, its error text included.
fn parse_go_int64(value: &str) -> Result<i64, super::errors::ApiError> {
    value.parse::<i64>().map_err(|e| {
        let reason = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        super::errors::ApiError::bad_request(format!(
            "strconv.ParseInt: parsing {}: {reason}",
            super::validation::go_quote(value)
        ))
    })
}

/// Serves one request from any transport.
pub(crate) async fn handle(
    state: Arc<ServerState>,
    mut req: Request<RequestBody>,
) -> Response<Body> {
    // A deprecated watch path is the watch it stands for from here on: metrics, limits,
    // authorization and the handler all see `?watch=true`.
    match super::watch_paths::rewrite(req.uri()) {
        Ok(Some(uri)) => *req.uri_mut() = uri,
        Ok(None) => {}
        Err(err) => return with_cache_control(status_response(&err)),
    }
    let span = tracing::debug_span!("request", method = %req.method(), path = %req.uri().path());
    async move {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let started = std::time::Instant::now();
        let labels = request_metrics::labels(
            &routes::parse(&path),
            &method,
            req.uri().query(),
            req.headers(),
        );
        // With a data directory, nothing is answered before what it wrote or read is on
        // disk (one group commit at most); a watch waits event by event instead.
        let wait_for_disk =
            state.store.is_durable() && !limits::is_long_running(&method, req.uri().query());
        let mut response = match route_with_deadline(&state, req).await {
            Ok(response) => response,
            Err(err) => status_response(&err),
        };
        // A refused credential waits for its turn outside the request's deadline: it is
        // answered 401 however long it waits, never 504 (which would invite a retry).
        if response
            .extensions()
            .get::<AuthenticationFailed>()
            .is_some()
        {
            state.failed_authentication.wait_turn().await;
        }
        if wait_for_disk {
            if let Err(e) = state.store.synced().await {
                response = status_response(&ApiError::internal(e.to_string()));
            }
        }
        if method == Method::HEAD {
            response = without_body(response);
        }
        response = with_cache_control(response);
        tracing::debug!(status = response.status().as_u16(), "done");
        state.record_request(&method, &path, response.status().as_u16());
        if let Some(labels) = labels {
            // A watch counts when its stream starts, not when it ends.
            crate::metrics::observe_request(&labels, response.status().as_u16(), started.elapsed());
        }
        response
    }
    .instrument(span)
    .await
}

/// Upstream's `WithCacheControl` filter: every answer is `Cache-Control: no-cache, private`
/// unless its handler set its own (OIDC discovery is public for an hour).
fn with_cache_control(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(header::HeaderValue::from_static("no-cache, private"));
    response
}

/// The answer to a HEAD request: the headers of the GET answer without its body, whose
/// length stays in `Content-Length` when known (Go's server writes no body for HEAD; over
/// HTTP/2 a body after the headers would reset the stream).
fn without_body(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    if let Some(length) = hyper::body::Body::size_hint(&body).exact() {
        parts
            .headers
            .entry(header::CONTENT_LENGTH)
            .or_insert_with(|| header::HeaderValue::from(length));
    }
    let empty = http_body_util::Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed();
    Response::from_parts(parts, empty)
}

/// Marks the 401 of a request whose credentials failed, for the pacing of such answers
/// ([`super::failed_authentication`]).
#[derive(Debug, Clone, Copy)]
struct AuthenticationFailed;

/// Runs a request under its deadline (`--request-timeout` or `?timeout=`), as upstream's
/// `WithRequestDeadline` and `WithTimeoutForNonLongRunningRequests`: past it the client
/// gets 504 while the handler runs on to its end, so a write it started is not cut in
/// half. Watches are long-running and have their own timeout. A handler that panics is a
/// 500, as upstream's panic recovery makes it.
async fn route_with_deadline(
    state: &Arc<ServerState>,
    req: Request<RequestBody>,
) -> Result<Response<Body>, ApiError> {
    if limits::is_long_running(req.method(), req.uri().query()) {
        return route_request(state, req).await;
    }
    let deadline = limits::request_deadline(&state.limits, req.uri().query())?;
    // The handler runs in this task, and only one that outlives its deadline moves to a
    // task of its own: a task per request cost a spawn, a join and a wake-up each, a
    // visible share of the CPU of the 10,000-namespace run.
    let mut work = Box::pin(
        std::panic::AssertUnwindSafe({
            let state = state.clone();
            async move { route_request(&state, req).await }
        })
        .catch_unwind(),
    );
    tokio::select! {
        biased;
        outcome = &mut work => outcome.unwrap_or_else(|panic| {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(ApiError::internal(format!("request handler panicked: {reason}")))
        }),
        () = tokio::time::sleep(deadline) => {
            tokio::spawn(work);
            tracing::info!(?deadline, "request did not complete within its deadline");
            Err(limits::timeout_error())
        }
    }
}

/// The 429 of a full in-flight pool, as `maxinflight.go`'s `tooManyRequests` writes it
/// (through Go's `http.Error`: plain text, not a `Status`).
fn too_many_requests() -> Response<Body> {
    let mut response = bytes_response(
        StatusCode::TOO_MANY_REQUESTS,
        format!("{}\n", limits::TOO_MANY_REQUESTS_TEXT),
        "text/plain; charset=utf-8",
    );
    let headers = response.headers_mut();
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(limits::TOO_MANY_REQUESTS_RETRY_AFTER),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn route_request(
    state: &Arc<ServerState>,
    req: Request<RequestBody>,
) -> Result<Response<Body>, ApiError> {
    let route = routes::parse(req.uri().path());
    // Health and version too go through authentication and authorization, as upstream's
    // do: the bootstrap policy lets anyone, the anonymous user included, read them.
    let (user, authentication_warnings) =
        crate::authn::warnings::collect(authenticate(state, req.headers())).await;
    // Upstream's warning recorder wraps authentication: its warnings reach the client
    // with a refusal too.
    let refused = |err: ApiError| {
        let mut response = status_response(&err);
        super::warnings::append_warnings(response.headers_mut(), &authentication_warnings);
        response
    };
    let user = match user {
        Ok(user) => user,
        Err(err) => {
            let mut response = refused(err);
            response.extensions_mut().insert(AuthenticationFailed);
            return Ok(response);
        }
    };
    let (mut parts, body) = req.into_parts();
    // Where authentication ends, the request may go on as someone else.
    let user = match impersonation::impersonate(state.authorizer.as_ref(), user, &mut parts.headers)
    {
        Ok(user) => user,
        Err(err) => return Ok(refused(err)),
    };
    // After impersonation and before authorization, where upstream's filter sits; the
    // permit is held until the response is built (a watch is not counted).
    let _inflight = if limits::is_long_running(&parts.method, parts.uri.query()) {
        None
    } else {
        let mutating = limits::is_mutating(&parts.method, matches!(route, Route::Resource(_)));
        match state.inflight.admit(mutating, &user) {
            Admission::Admitted(permit) => permit,
            Admission::TooManyRequests => return Ok(too_many_requests()),
        }
    };
    let path = parts.uri.path().to_string();
    let query = parse_query(parts.uri.query().unwrap_or_default());
    let ctx = RequestContext {
        method: parts.method.clone(),
        user,
        query,
        headers: parts.headers,
        warnings: WarningRecorder::default(),
    };
    for text in &authentication_warnings {
        ctx.warnings.add(text);
    }
    let mut response = serve_route(state, &ctx, route, &path, parts.uri.query(), body)
        .await
        .unwrap_or_else(|err| status_response(&err));
    // Whatever the route and however it ended, as upstream's warning recorder writes them.
    ctx.warnings.write_to(response.headers_mut());
    Ok(response)
}

/// Authorizes a non-resource route, then answers any route as the authenticated
/// (or impersonated) user of `ctx`.
async fn serve_route(
    state: &Arc<ServerState>,
    ctx: &RequestContext,
    route: Route,
    path: &str,
    raw_query: Option<&str>,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    if !matches!(route, Route::Resource(_)) {
        authorize_path(state, ctx, &routes::decoded(path))?;
    }
    match route {
        Route::Version => {
            get_only(ctx)?;
            Ok(json_response(StatusCode::OK, &discovery::version_info()))
        }
        Route::Health { endpoint, check } => state.health.answer(
            endpoint,
            check.as_deref(),
            raw_query.unwrap_or_default(),
            *state.stopping.borrow(),
        ),
        Route::CoreVersions => {
            get_only(ctx)?;
            if let Some(version) = discovery::negotiate_aggregated(ctx.header(header::ACCEPT)) {
                let mut doc = discovery::aggregated_discovery(true, version);
                if state.token_requests.is_some() {
                    serviceaccount_token::add_to_aggregated(&mut doc);
                }
                return Ok(typed_json_response(
                    StatusCode::OK,
                    &doc,
                    discovery::aggregated_content_type(version),
                ));
            }
            Ok(json_response(
                StatusCode::OK,
                &discovery::api_versions(&state.server_address),
            ))
        }
        Route::Groups => {
            if let Some(version) = discovery::negotiate_aggregated(ctx.header(header::ACCEPT)) {
                let doc = discovery::aggregated_discovery(false, version);
                return Ok(typed_json_response(
                    StatusCode::OK,
                    &doc,
                    discovery::aggregated_content_type(version),
                ));
            }
            Ok(json_response(StatusCode::OK, &discovery::api_group_list()))
        }
        Route::Group(group) => discovery::api_group(&group)
            .map(|doc| json_response(StatusCode::OK, &doc))
            .ok_or_else(not_found_path),
        Route::ResourceList { group, version } => {
            let mut doc =
                discovery::api_resource_list(&group, &version).ok_or_else(not_found_path)?;
            get_only(ctx)?;
            if state.token_requests.is_some() && group.is_empty() {
                serviceaccount_token::add_to_resource_list(&mut doc);
            }
            Ok(json_response(StatusCode::OK, &doc))
        }
        Route::OpenApiV2 => Ok(bytes_response(
            StatusCode::OK,
            openapi::openapi_v2_protobuf(),
            openapi::OPENAPI_V2_CONTENT_TYPE,
        )),
        Route::OpenApiRoot => Ok(json_response(
            StatusCode::OK,
            &openapi::openapi_v3_root_for(state.token_requests.is_some()),
        )),
        Route::OpenApiDocument(path) => {
            openapi::openapi_v3_document_bytes_for(&path, state.token_requests.is_some())
                .map(|body| bytes_response(StatusCode::OK, body, "application/json"))
                .ok_or_else(not_found_path)
        }
        Route::NotFound => Err(not_found_path()),
        // Authorized above as the non-resource URL `/metrics`, as kube-apiserver does.
        Route::Metrics => Ok(bytes_response(
            StatusCode::OK,
            crate::metrics::gather_text(),
            crate::metrics::TEXT_CONTENT_TYPE,
        )),
        Route::DebugClock => match &state.fake_clock {
            Some(clock) => super::debug_clock::serve(clock, &ctx.method, body).await,
            None => Err(not_found_path()),
        },
        Route::DebugFaults => match &state.faults {
            Some(faults) => super::debug_faults::serve(faults, &ctx.method, body).await,
            None => Err(not_found_path()),
        },
        Route::OpenIdConfiguration | Route::OpenIdKeys => match &state.oidc {
            Some(oidc) => {
                get_only(ctx)?;
                Ok(oidc.response(&route))
            }
            None => Err(not_found_path()),
        },
        Route::Resource(path) => handlers::dispatch(state, ctx, &path, body).await,
    }
}

/// go-restful's 405 for a route upstream serves with a `GET` route alone, asked with
/// another method (`HEAD` included), written as a Status by kube-apiserver's service error
/// handler. The routes that call it are `/version`, `/api`, the group-version resource
/// lists and the OIDC discovery documents (`routes.Version`,
/// `discovery.NewLegacyRootAPIHandler`, `APIVersionHandler.AddToWebService`,
/// `OpenIDMetadataServer.Install`), each once it knows the route is served; `/apis` and
/// `/apis/<group>` are the aggregator's plain handlers, which answer every method, as do
/// the health, OpenAPI and metrics endpoints.
fn get_only(ctx: &RequestContext) -> Result<(), ApiError> {
    if ctx.method != Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    Ok(())
}

/// Authorizes a request on a non-resource path (discovery, OpenAPI, unknown paths) with
/// the lower-case HTTP method as its verb, as upstream's `RequestInfoFactory` does.
fn authorize_path(state: &ServerState, ctx: &RequestContext, path: &str) -> Result<(), ApiError> {
    let verb = ctx.method.as_str().to_ascii_lowercase();
    let attributes = authz::Attributes {
        user: &ctx.user,
        verb: &verb,
        request: authz::Request::NonResource { path },
    };
    authz::require(state.authorizer.as_ref(), &attributes)
}

/// The user a request's credentials name: its bearer token run through the chain (a token
/// that fails is a 401), or, for a request without one, the anonymous user when the server
/// allows it (upstream's union of the request authenticators falling back to the anonymous
/// one, `pkg/kubeapiserver/authenticator/config.go`), else a 401.
async fn authenticate(state: &ServerState, headers: &HeaderMap) -> Result<UserInfo, ApiError> {
    // Go reads the header's bytes whatever they are; a token that is not text fails below.
    let header = headers
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    let token = match crate::authn::bearer_token(header.as_deref()) {
        BearerHeader::Token(token) => token,
        none => {
            if none == BearerHeader::SpaceBeforeToken {
                crate::authn::warnings::record(crate::authn::SPACE_BEFORE_TOKEN_WARNING);
            }
            return if state.anonymous_auth {
                Ok(crate::authn::anonymous_user())
            } else {
                Err(ApiError::unauthorized())
            };
        }
    };
    state.authn.authenticate(token).await.map_err(|e| {
        tracing::info!(reason = %e, "authentication failed");
        ApiError::unauthorized()
    })
}

/// The 404 a real server gives for a path it does not serve.
pub(crate) fn not_found_path() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

/// Reads a request body, refusing more than [`MAX_BODY_BYTES`].
pub async fn read_body(body: RequestBody) -> Result<Bytes, ApiError> {
    match http_body_util::Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::too_large(MAX_BODY_BYTES))
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "error reading request body: {e}"
        ))),
    }
}

/// A whole-buffer response body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// `value` as `application/json` with `status`.
pub fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    bytes_response(
        status,
        serde_json::to_vec(value).unwrap_or_default(),
        "application/json",
    )
}

/// `value` as JSON under another content type (aggregated discovery's, say).
pub fn typed_json_response(
    status: StatusCode,
    value: &Value,
    content_type: &'static str,
) -> Response<Body> {
    bytes_response(
        status,
        serde_json::to_vec(value).unwrap_or_default(),
        content_type,
    )
}

/// `bytes` with `status` and `content_type`.
pub fn bytes_response(
    status: StatusCode,
    bytes: impl Into<Bytes>,
    content_type: &'static str,
) -> Response<Body> {
    let mut response = Response::new(full(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The error as a `metav1.Status` body with its code, and `Retry-After` when it has one.
pub fn status_response(err: &ApiError) -> Response<Body> {
    let status = StatusCode::from_u16(err.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, &err.to_status());
    if let Some(retry) = err.retry_after_seconds {
        if let Ok(v) = HeaderValue::from_str(&retry.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

/// `a=b&c=%2Fd` into a map (`application/x-www-form-urlencoded`: `+` is a space, a `%`
/// not followed by two hex digits stays as it is); the last value of a repeated key wins.
pub fn parse_query(query: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()).into_owned() {
        // The first of a repeated key counts, as Go's `url.Values.Get` and apimachinery's
        // parameter decoding take it.
        params.entry(key).or_insert(value);
    }
    params
}

/// A boolean query value as apimachinery decodes one: everything but `0` and `false` (any
/// case) is true.
pub fn is_true(value: &str) -> bool {
    value != "0" && !value.eq_ignore_ascii_case("false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_head_answer_keeps_the_headers_and_the_length_but_not_the_body() {
        let get = Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from_static(b"{\"major\":\"1\"}")).boxed())
            .expect("response");
        let head = without_body(get);
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(head.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(head.headers()[header::CONTENT_LENGTH], "13");
        let body = head.into_body().collect().await.expect("body").to_bytes();
        assert!(body.is_empty(), "{body:?}");
    }

    #[test]
    fn integers_parse_as_go_parse_int_does() {
        assert_eq!(parse_go_int64("+7").ok(), Some(7));
        assert_eq!(parse_go_int64("-3").ok(), Some(-3));
        for (value, message) in [
            ("abc", r#"strconv.ParseInt: parsing "abc": invalid syntax"#),
            ("", r#"strconv.ParseInt: parsing "": invalid syntax"#),
            (" 5", r#"strconv.ParseInt: parsing " 5": invalid syntax"#),
            (
                "9223372036854775808",
                r#"strconv.ParseInt: parsing "9223372036854775808": value out of range"#,
            ),
        ] {
            let err = parse_go_int64(value).expect_err(value);
            assert_eq!(
                (err.code, err.message.as_str()),
                (400, message),
                "{value:?}"
            );
        }
    }

    #[test]
    fn query_strings_are_decoded() {
        let q = parse_query("labelSelector=app%3Dweb%2Ctier+in+(a)&watch=1&x=%zz&y=%4");
        assert_eq!(q["labelSelector"], "app=web,tier in (a)");
        assert_eq!(q["watch"], "1");
        assert_eq!(q["x"], "%zz");
        assert_eq!(q["y"], "%4");
    }

    #[test]
    fn the_first_of_a_repeated_parameter_counts() {
        let q = parse_query("fieldSelector=metadata.name%3Da&fieldSelector=metadata.name%3Db");
        assert_eq!(q["fieldSelector"], "metadata.name=a");
    }

    #[test]
    fn booleans_are_true_unless_zero_or_false() {
        for (value, want) in [
            ("1", true),
            ("true", true),
            ("True", true),
            ("yes", true),
            ("", true),
            ("0", false),
            ("false", false),
            ("FALSE", false),
        ] {
            assert_eq!(is_true(value), want, "{value:?}");
        }
    }
}
