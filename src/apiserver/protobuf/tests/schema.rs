//! The Go-fact lists and the descriptor set agree with upstream's messages.

use crate::apiserver::kinds::ResourceInfo;
use crate::apiserver::protobuf::go_facts::{
    INLINE_FIELDS, JSON_NAMES, OMITTED_ZEROS, POINTER_STRINGS, SKIPPED_TOP_LEVEL,
};
use crate::apiserver::protobuf::schema::Schema;

/// The Go facts name fields upstream's messages have, and every served kind decodes.
#[test]
fn go_fact_lists_name_upstream_fields_and_served_kinds_resolve() {
    let schema = Schema::get().unwrap();
    let renamed: Vec<&str> = JSON_NAMES.iter().map(|(proto, _)| *proto).collect();
    let lists = [
        renamed.as_slice(),
        POINTER_STRINGS,
        OMITTED_ZEROS,
        INLINE_FIELDS,
        SKIPPED_TOP_LEVEL,
    ];
    for entry in lists.iter().flat_map(|list| list.iter()) {
        let (message, field) = entry.split_once('.').unwrap();
        let found = schema.pool.all_messages().any(|m| {
            (message == "*" || m.name() == message) && m.get_field_by_name(field).is_some()
        });
        assert!(found, "{entry} is not a field of upstream's messages");
    }
    // Every served kind has its message, but those of the groups whose protos are not in
    // the descriptor set (their protobuf bodies get 415).
    let described =
        |r: &ResourceInfo| !matches!(r.group, "apiextensions.k8s.io" | "apiregistration.k8s.io");
    for resource in crate::apiserver::kinds::ALL.iter().filter(|r| described(r)) {
        assert!(
            schema.object_message(resource).is_some(),
            "no message for {}",
            resource.kind
        );
    }
    // Required fields come from the absence of upstream's `+optional` marker.
    assert!(schema
        .required
        .contains("k8s.io.api.core.v1.Container.name"));
    assert!(!schema
        .required
        .contains("k8s.io.api.core.v1.Container.image"));
}
