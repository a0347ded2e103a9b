//! The labels kube-apiserver's `MonitorRequest` puts on `apiserver_request_total` and
//! `apiserver_request_duration_seconds`, worked out from a resource request.

use http::{HeaderMap, Method};

use super::routes::{ResourcePath, Route};
use crate::metrics::RequestLabels;

/// Server-side apply's patch content type: its PATCH requests count as `APPLY`.
const APPLY_PATCH_CONTENT_TYPE: &str = "application/apply-patch+yaml";

/// The labels of a request to `route`, or `None` for paths that are not resources
/// (discovery, OpenAPI, health), which upstream does not count here either.
///
/// Follows upstream's `CleanVerb`: a GET of a collection is `LIST`, with `watch` a
/// `WATCH`; a PATCH with the apply content type is `APPLY`.
pub fn labels(
    route: &Route,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Option<RequestLabels> {
    let Route::Resource(path) = route else {
        return None;
    };
    let query = super::http::parse_query(query.unwrap_or_default());
    let watch = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    let collection = path.name.is_none();
    let verb = match *method {
        Method::GET if watch => "WATCH".to_string(),
        Method::GET if collection => "LIST".to_string(),
        Method::PATCH
            if headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with(APPLY_PATCH_CONTENT_TYPE)) =>
        {
            "APPLY".to_string()
        }
        ref other => other.as_str().to_ascii_uppercase(),
    };
    let dry_run = query
        .get("dryRun")
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_default();
    Some(RequestLabels {
        verb,
        dry_run,
        group: path.resource.group.to_string(),
        version: path.resource.version.to_string(),
        resource: path.resource.plural.to_string(),
        subresource: path.subresource.clone().unwrap_or_default(),
        scope: scope(path).to_string(),
    })
}

/// `resource` for one named object, `namespace` for a collection in a namespace,
/// `cluster` for a collection across the cluster.
fn scope(path: &ResourcePath) -> &'static str {
    match (&path.name, &path.namespace) {
        (Some(_), _) => "resource",
        (None, Some(_)) => "namespace",
        (None, None) => "cluster",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::routes;

    fn labels_of(method: Method, path: &str, query: Option<&str>) -> Option<RequestLabels> {
        labels(&routes::parse(path), &method, query, &HeaderMap::new())
    }

    #[test]
    fn verbs_and_scopes_are_upstreams() {
        let get = labels_of(
            Method::GET,
            "/api/v1/namespaces/ns/serviceaccounts/sa",
            None,
        )
        .expect("a resource");
        assert_eq!(
            (get.verb.as_str(), get.scope.as_str(), get.resource.as_str()),
            ("GET", "resource", "serviceaccounts")
        );
        let list =
            labels_of(Method::GET, "/api/v1/namespaces/ns/secrets", None).expect("a resource");
        assert_eq!(
            (list.verb.as_str(), list.scope.as_str()),
            ("LIST", "namespace")
        );
        let watch = labels_of(Method::GET, "/api/v1/secrets", Some("watch=1")).expect("a resource");
        assert_eq!(
            (watch.verb.as_str(), watch.scope.as_str()),
            ("WATCH", "cluster")
        );
        let token = labels_of(
            Method::POST,
            "/api/v1/namespaces/ns/serviceaccounts/sa/token",
            Some("dryRun=All"),
        )
        .expect("a resource");
        assert_eq!(
            (
                token.verb.as_str(),
                token.subresource.as_str(),
                token.dry_run.as_str()
            ),
            ("POST", "token", "All")
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(APPLY_PATCH_CONTENT_TYPE),
        );
        let apply = labels(
            &routes::parse("/apis/rbac.authorization.k8s.io/v1/clusterroles/r"),
            &Method::PATCH,
            None,
            &headers,
        )
        .expect("a resource");
        assert_eq!(
            (apply.verb.as_str(), apply.group.as_str()),
            ("APPLY", "rbac.authorization.k8s.io")
        );
        assert_eq!(labels_of(Method::GET, "/api", None), None);
    }
}
