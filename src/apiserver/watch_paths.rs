//! The deprecated watch paths, `/api/v1/watch/...` and `/apis/<group>/<version>/watch/...`,
//! which upstream still serves: a watch of the collection or object the rest of the path
//! names, as the same path with `?watch=true` would be. For an object, the watch is of the
//! collection narrowed to that name (`fieldSelector=metadata.name=<name>`), as
//! `handlers.ListResource` narrows it, so authorization sees the name too.

use http::Uri;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::errors::ApiError;
use super::routes::{self, Route};
use super::selectors::required_value;

/// The URI a deprecated watch path stands for, or `None` when `uri` is not one (or names
/// nothing served, which then answers 404 as any unknown path).
///
/// Errors: 400 BadRequest `fieldSelector metadata.name doesn't match requested name` when
/// the path names an object and the query's field selector asks for another name
/// (upstream's text; upstream answers it after authorization, this before).
pub(crate) fn rewrite(uri: &Uri) -> Result<Option<Uri>, ApiError> {
    let Some(path) = unwatched_path(uri.path()) else {
        return Ok(None);
    };
    let Route::Resource(resource) = routes::parse(&path) else {
        return Ok(None);
    };
    if resource.subresource.is_some() {
        return Ok(None);
    }
    let query = uri.query().unwrap_or_default();
    let given_selector = super::http::parse_query(query).remove("fieldSelector");
    // Parameters are read first-wins, so the ones put in front are the ones that count.
    let mut front = form_urlencoded::Serializer::new(String::new());
    front.append_pair("watch", "true");
    let collection = match &resource.name {
        Some(name) => {
            match given_selector.as_deref().filter(|s| !s.is_empty()) {
                Some(selector) => {
                    if required_value(selector, "metadata.name").as_deref() != Some(name) {
                        return Err(ApiError::bad_request(
                            "fieldSelector metadata.name doesn't match requested name",
                        ));
                    }
                }
                None => {
                    front.append_pair("fieldSelector", &format!("metadata.name={}", escape(name)));
                }
            }
            // The collection is the path without its last segment (a namespace watched by
            // name is the cluster-wide `namespaces` collection, narrowed).
            match path.rsplit_once('/') {
                Some((collection, _)) => collection.to_string(),
                None => return Ok(None),
            }
        }
        None => path,
    };
    let mut rewritten = front.finish();
    if !query.is_empty() {
        rewritten.push('&');
        rewritten.push_str(query);
    }
    format!("{collection}?{rewritten}")
        .parse()
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("invalid request path: {e}")))
}

/// What a path segment escapes when the rewritten path is written back into a URI: the
/// segments are split from the decoded path, as the router splits them, so a `/` or `%`
/// inside one stays inside it.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `/api/v1/watch/<rest>` → `/api/v1/<rest>`; `/apis/<g>/<v>/watch/<rest>` →
/// `/apis/<g>/<v>/<rest>`, read from the decoded path ([`routes::decoded`]) and written
/// with its segments escaped again.
fn unwatched_path(path: &str) -> Option<String> {
    // Every request passes here: most leave before anything is allocated.
    if !path.contains("/watch/") && !path.contains('%') {
        return None;
    }
    let decoded = routes::decoded(path);
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    let prefix = match segments.as_slice() {
        ["api", _, "watch", _, ..] => 2,
        ["apis", _, _, "watch", _, ..] => 3,
        _ => return None,
    };
    let kept = segments[..prefix]
        .iter()
        .chain(&segments[prefix + 1..])
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>();
    Some(format!("/{}", kept.join("/")))
}

/// `fields.EscapeValue`: `\`, `,` and `=` are escaped with a backslash.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(uri: &str) -> Option<String> {
        rewrite(&uri.parse().expect("uri"))
            .expect("rewrites")
            .map(|u| u.to_string())
    }

    #[test]
    fn watch_paths_become_watches_of_the_collection() {
        let cases = [
            (
                "/api/v1/watch/namespaces/team/pods",
                Some("/api/v1/namespaces/team/pods?watch=true"),
            ),
            ("/api/v1/watch/pods", Some("/api/v1/pods?watch=true")),
            (
                "/api/v1/watch/namespaces/team/configmaps/app?resourceVersion=5",
                Some("/api/v1/namespaces/team/configmaps?watch=true&fieldSelector=metadata.name%3Dapp&resourceVersion=5"),
            ),
            (
                "/api/v1/watch/namespaces/team",
                Some("/api/v1/namespaces?watch=true&fieldSelector=metadata.name%3Dteam"),
            ),
            (
                "/apis/coordination.k8s.io/v1/watch/namespaces/kube-system/leases/l",
                Some("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?watch=true&fieldSelector=metadata.name%3Dl"),
            ),
            (
                "/api/v1/watch/namespaces/team/configmaps/app?fieldSelector=metadata.name%3Dapp",
                Some("/api/v1/namespaces/team/configmaps?watch=true&fieldSelector=metadata.name%3Dapp"),
            ),
            // Read decoded, as the router reads paths: an escaped `/` splits segments, an
            // escaped `watch` is one, and an escaped `%` stays escaped in the new path.
            (
                "/api/v1/watch/namespaces/team/configmaps%2Fapp",
                Some("/api/v1/namespaces/team/configmaps?watch=true&fieldSelector=metadata.name%3Dapp"),
            ),
            (
                "/api/v1/%77atch/namespaces/team/configmaps",
                Some("/api/v1/namespaces/team/configmaps?watch=true"),
            ),
            (
                "/api/v1/watch/namespaces/te%25am/configmaps",
                Some("/api/v1/namespaces/te%25am/configmaps?watch=true"),
            ),
            // Not watch paths, or naming nothing served: left for the router's 404.
            ("/api/v1/namespaces/team/pods", None),
            ("/api/v1/watch", None),
            ("/api/v1/watch/widgets", None),
            ("/api/v1/watch/namespaces/team/pods/p/status", None),
        ];
        for (uri, expected) in cases {
            assert_eq!(rewritten(uri).as_deref(), expected, "{uri}");
        }
    }

    #[test]
    fn a_selector_naming_another_object_is_refused() {
        let err = rewrite(
            &"/api/v1/watch/namespaces/team/configmaps/app?fieldSelector=metadata.name%3Dother"
                .parse()
                .expect("uri"),
        )
        .expect_err("mismatch");
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            "fieldSelector metadata.name doesn't match requested name"
        );
    }
}
