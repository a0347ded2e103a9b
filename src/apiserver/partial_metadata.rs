//! The metadata-only answers of get, list and watch (`Accept:
//! application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`), which client-go's
//! metadata client and controller-runtime's metadata-only watches ask for: each object
//! reduced to `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":..}`
//! (upstream's `asPartialObjectMetadata` in `endpoints/handlers/response.go`).

use serde_json::{json, Value};

use super::discovery::accepts_json_as;

/// Content-Type of a metadata-only object (a get, and a watch's stream).
pub const OBJECT_CONTENT_TYPE: &str =
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
/// Content-Type of a metadata-only list.
pub const LIST_CONTENT_TYPE: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// Whether the `Accept` header asks for the metadata-only form in JSON:
/// `as=PartialObjectMetadataList` for a list, `as=PartialObjectMetadata` for a get or a
/// watch (a protobuf range alone is not honoured; client-go offers JSON beside it).
pub fn wants(accept: &str, list: bool) -> bool {
    let form = if list {
        "PartialObjectMetadataList"
    } else {
        "PartialObjectMetadata"
    };
    accepts_json_as(accept, form)
}

/// An object reduced to its type meta and metadata.
pub fn object(value: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": value.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// A list of `objects` reduced to their metadata, with the list's metadata.
pub fn list(list_meta: Value, objects: &[Value]) -> Value {
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "items": objects.iter().map(object).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_go_metadata_accept_headers_are_recognized() {
        let list_accept = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
        assert!(wants(list_accept, true));
        assert!(!wants(list_accept, false));
        let get_accept = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
        assert!(wants(get_accept, false));
        assert!(!wants(get_accept, true));
        assert!(!wants("application/json", false));
        assert!(!wants(
            "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
            false
        ));
        assert!(!wants(
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta2",
            false
        ));
    }

    #[test]
    fn objects_keep_only_their_metadata() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "m", "labels": {"a": "b"}}, "data": {"k": "v"}});
        assert_eq!(
            object(&cm),
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": "m", "labels": {"a": "b"}}})
        );
        let listed = list(json!({"resourceVersion": "7"}), &[cm]);
        assert_eq!(listed["kind"], "PartialObjectMetadataList");
        assert_eq!(listed["metadata"]["resourceVersion"], "7");
        assert_eq!(listed["items"][0]["metadata"]["name"], "m");
        assert!(listed["items"][0].get("data").is_none());
    }
}
