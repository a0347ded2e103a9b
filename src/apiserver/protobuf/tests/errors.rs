//! Refused bodies: unknown fields, garbled wire data, mismatched or unsupported envelopes.

use super::*;

#[test]
fn unknown_fields_are_refused_with_415_naming_kind_field_and_path() {
    let cases: &[(&str, Vec<u8>, &ResourceInfo, &[&str])] = &[
        (
            "top-level field",
            envelope(
                "v1",
                "Secret",
                Pb::new().msg(1, object_meta("s")).str(99, "x"),
            ),
            &SECRETS,
            &["Secret", "field number 99 of Secret", "the top level"],
        ),
        (
            "ObjectMeta field",
            envelope(
                "v1",
                "ConfigMap",
                Pb::new().msg(1, object_meta("c").str(15, "cluster")),
            ),
            &CONFIG_MAPS,
            &["ConfigMap", "field number 15 of ObjectMeta", "at metadata"],
        ),
        (
            "container field",
            envelope(
                "v1",
                "Pod",
                Pb::new().msg(
                    2,
                    Pb::new()
                        .msg(2, container("a", "i"))
                        .msg(2, container("b", "i").int(77, 1)),
                ),
            ),
            &PODS,
            &[
                "Pod",
                "field number 77 of Container",
                "at spec.containers[1]",
            ],
        ),
        (
            "volume plugin field inlined from VolumeSource",
            envelope(
                "v1",
                "Pod",
                Pb::new().msg(
                    2,
                    Pb::new().msg(
                        1,
                        Pb::new()
                            .str(1, "gce")
                            .msg(2, Pb::new().msg(99, Pb::new().str(1, "pd"))),
                    ),
                ),
            ),
            &PODS,
            &["field number 99 of VolumeSource", "at spec.volumes[0]"],
        ),
        (
            "PodSpec field",
            envelope("v1", "Pod", Pb::new().msg(2, Pb::new().msg(99, Pb::new()))),
            &PODS,
            &["field number 99 of PodSpec", "at spec"],
        ),
    ];
    for (case, body, resource, fragments) in cases {
        let err = error_of(body, resource);
        assert_eq!(
            (err.code, err.reason.as_str()),
            (415, "UnsupportedMediaType"),
            "{case}: {}",
            err.message
        );
        for fragment in *fragments {
            assert!(
                err.message.contains(fragment),
                "{case}: {:?} lacks {fragment:?}",
                err.message
            );
        }
        assert!(
            err.message.contains("send the object as JSON"),
            "{case}: {}",
            err.message
        );
    }
}

#[test]
fn garbled_bodies_are_bad_requests() {
    let good = envelope(
        "v1",
        "Secret",
        Pb::new().msg(1, object_meta("s")).entry(2, "a", "Yg"),
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty data", Vec::new(), "empty data (<empty>)"),
        ("the magic alone", MAGIC.to_vec(), "empty body (6b387300)"),
        (
            "JSON instead of protobuf",
            br#"{"kind":"Secret"}"#.to_vec(),
            r#"expected prefix [107 56 115 0] ({"kind":"Secret"})"#,
        ),
        (
            "magic only, truncated envelope",
            [MAGIC.as_slice(), &[0x0a]].concat(),
            "unexpected end of data",
        ),
        (
            "truncated object",
            good[..good.len() - 12].to_vec(),
            "unexpected end of data",
        ),
        (
            "overlong varint",
            [MAGIC.as_slice(), &[0x08], &[0xff; 11]].concat(),
            "varint",
        ),
        (
            "wire type 3 (groups)",
            [MAGIC.as_slice(), &[0x0b]].concat(),
            "wire type 3",
        ),
        (
            "field number zero",
            [MAGIC.as_slice(), &[0x02, 0x00]].concat(),
            "invalid field number 0",
        ),
        (
            "string field sent as varint",
            envelope("v1", "Secret", Pb::new().msg(1, Pb::new().int(1, 5))),
            "expected a length-delimited field",
        ),
        (
            "bool field sent as bytes",
            envelope("v1", "Secret", Pb::new().str(5, "yes")),
            "expected a varint field",
        ),
        (
            "invalid UTF-8 name",
            envelope(
                "v1",
                "Secret",
                Pb::new().msg(1, Pb::new().bytes(1, &[0xff, 0xfe])),
            ),
            "invalid UTF-8",
        ),
        (
            "invalid FieldsV1 JSON",
            envelope(
                "v1",
                "Secret",
                Pb::new().msg(
                    1,
                    Pb::new().msg(17, Pb::new().msg(7, Pb::new().bytes(1, b"{not json"))),
                ),
            ),
            "invalid JSON in FieldsV1",
        ),
    ];
    for (case, body, fragment) in cases {
        let err = error_of(&body, &SECRETS);
        assert_eq!(
            (err.code, err.reason.as_str()),
            (400, "BadRequest"),
            "{case}: {}",
            err.message
        );
        // Inside the object, upstream knows the kind and says so (`unmarshalToObject`);
        // before, it is `transformDecodeError`'s unrecognized object, with a summary.
        let in_object = matches!(
            case,
            "string field sent as varint"
                | "bool field sent as bytes"
                | "invalid UTF-8 name"
                | "invalid FieldsV1 JSON"
        );
        let prefix = if in_object {
            "Secret in version \"v1\" cannot be handled as a Secret: "
        } else {
            "the object provided is unrecognized (must be of type Secret): "
        };
        assert!(err.message.starts_with(prefix), "{case}: {}", err.message);
        assert_eq!(
            err.message.ends_with(')'),
            !in_object,
            "{case}: {}",
            err.message
        );
        assert!(
            err.message.contains(fragment),
            "{case}: {:?} lacks {fragment:?}",
            err.message
        );
    }
}

#[test]
fn type_meta_is_checked_like_the_json_path() {
    let body = envelope("v1", "ConfigMap", Pb::new().msg(1, object_meta("c")));
    let err = error_of(&body, &SECRETS);
    assert_eq!(err.code, 400);
    assert_eq!(
        err.message,
        "the kind in the data (ConfigMap) does not match the expected kind (Secret) for this endpoint"
    );

    let body = envelope("v2", "Secret", Pb::new().msg(1, object_meta("s")));
    let err = error_of(&body, &SECRETS);
    assert_eq!(err.code, 400);
    assert_eq!(
        err.message,
        "the API version in the data (v2) does not match the expected API version (v1)"
    );

    // An envelope without a type takes the endpoint's, as upstream does.
    let body = envelope("", "", Pb::new().msg(1, object_meta("s")));
    let decoded = decode_object(&body, &SECRETS).unwrap();
    assert_eq!(
        (decoded["kind"].as_str(), decoded["apiVersion"].as_str()),
        (Some("Secret"), Some("v1"))
    );
}

#[test]
fn unsupported_envelopes_and_kinds_are_415() {
    let compressed = [
        MAGIC.as_slice(),
        &Pb::new()
            .msg(1, Pb::new().str(1, "v1").str(2, "Secret"))
            .msg(2, Pb::new())
            .str(3, "gzip")
            .0,
    ]
    .concat();
    let err = error_of(&compressed, &SECRETS);
    assert_eq!(err.code, 415);
    assert!(err.message.contains("gzip"), "{}", err.message);

    let foreign = [
        MAGIC.as_slice(),
        &Pb::new()
            .msg(1, Pb::new().str(1, "v1").str(2, "Secret"))
            .msg(2, Pb::new())
            .str(4, "application/json")
            .0,
    ]
    .concat();
    assert_eq!(error_of(&foreign, &SECRETS).code, 415);

    let widgets = ResourceInfo {
        group: "example.com",
        kind: "Widget",
        plural: "widgets",
        ..PODS
    };
    let body = envelope("example.com/v1", "Widget", Pb::new());
    let err = error_of(&body, &widgets);
    assert_eq!(err.code, 415);
    assert!(err.message.contains("Widget"), "{}", err.message);
}
