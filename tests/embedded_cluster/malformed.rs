//! Bad input gets the Status a real API server gives, and never changes stored state.

use kube_sa::apiserver::ApiServer;
use serde_json::json;

use crate::support::embedded;

struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    code: u16,
    reason: &'static str,
    /// The exact message, or a prefix when it ends with `*`.
    message: &'static str,
}

fn json_body(value: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&value).expect("json")
}

fn cases() -> Vec<Case> {
    let too_big = {
        let data = "x".repeat(3 * 1024 * 1024 + 10);
        json_body(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"k": data}}),
        )
    };
    vec![
        Case {
            name: "bad JSON",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: b"{not json".to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character 'n' looking for beginning of object key string ({not json)",
        },
        Case {
            name: "truncated JSON",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input ({\"apiVersion\":\"v1\",\"kind\":\"Con ...)",
        },
        Case {
            name: "a second top-level value",
            method: "PUT",
            path: "/api/v1/namespaces/default/configmaps/x",
            content_type: "application/json",
            body: br#"{"apiVersion":"v1","kind":"ConfigMap"}}"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '}' after top-level value ({\"apiVersion\":\"v1\",\"kind\":\"Con ...)",
        },
        Case {
            name: "an array, summarized in hex",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: b"[]".to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" } (5b5d)",
        },
        Case {
            name: "an empty body",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: Vec::new(),
            code: 400,
            reason: "BadRequest",
            message: "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)",
        },
        Case {
            name: "an apiVersion that is not a string",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: br#"{"apiVersion":1,"metadata":{"name":"av"}}"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string ({\"apiVersion\":1,\"metadata\":{\"n ...)",
        },
        Case {
            name: "a character cut at the 30th byte of the summary",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: [&br#"{"k":"xxxxxxxxxxxxxxxxxxxxx"#[..], "\u{1F600}\"}}".as_bytes()].concat(),
            code: 400,
            reason: "BadRequest",
            message: "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '}' after top-level value ({\"k\":\"xxxxxxxxxxxxxxxxxxxxx\u{FFFD}\u{FFFD}\u{FFFD} ...)",
        },
        Case {
            name: "null is an empty object, which has no name",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: b"null".to_vec(),
            code: 422,
            reason: "Invalid",
            message: "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required",
        },
        Case {
            name: "wrong kind",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})),
            code: 400,
            reason: "BadRequest",
            message: "the kind in the data (Secret) does not match the expected kind (ConfigMap) for this endpoint",
        },
        Case {
            name: "unknown field under Strict",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}, "dta": {}})),
            code: 400,
            reason: "BadRequest",
            message: "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"dta\"",
        },
        Case {
            name: "unknown and duplicate fields under Strict, in document order",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
            content_type: "application/json",
            body: br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m"},"zz":1,"data":{"k":"a","k":"b"},"aa":2}"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"zz\", duplicate field \"data.k\", unknown field \"aa\"",
        },
        Case {
            name: "a duplicate field alone under Strict",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
            content_type: "application/json",
            body: br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m","labels":{"a":"1","a":"2"}}}"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"metadata.labels.a\"",
        },
        Case {
            name: "oversized body",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: too_big,
            code: 413,
            reason: "RequestEntityTooLarge",
            message: "Request entity too large: limit is 3145728",
        },
        Case {
            name: "invalid name",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_Valid"}})),
            code: 422,
            reason: "Invalid",
            message: "ConfigMap \"Not_Valid\" is invalid: metadata.name: Invalid value: \"Not_Valid\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        },
        Case {
            name: "token secret without the account annotation",
            method: "POST",
            path: "/api/v1/namespaces/default/secrets",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"}, "type": "kubernetes.io/service-account-token"})),
            code: 422,
            reason: "Invalid",
            message: "Secret \"t\" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value",
        },
        Case {
            name: "unsupported patch type",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "text/plain",
            body: b"data".to_vec(),
            code: 415,
            reason: "UnsupportedMediaType",
            message: "the body of the request was in an unknown format - accepted media types include: *",
        },
        Case {
            // Upstream's patch handler looks the media type up in a set of exact strings.
            name: "patch type in another case",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "Application/Merge-Patch+JSON",
            body: b"{}".to_vec(),
            code: 415,
            reason: "UnsupportedMediaType",
            message: "the body of the request was in an unknown format - accepted media types include: *",
        },
        Case {
            name: "method not allowed",
            method: "PUT",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: b"{}".to_vec(),
            code: 405,
            reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource",
        },
        Case {
            name: "POST to a resource the server does not serve",
            method: "POST",
            path: "/api/v1/namespaces/default/widgets",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "e"}})),
            code: 404,
            reason: "NotFound",
            message: "the server could not find the requested resource",
        },
        Case {
            name: "POST to a subresource the server does not serve",
            method: "POST",
            path: "/api/v1/namespaces/default/pods/p/exec",
            content_type: "application/json",
            body: b"{}".to_vec(),
            code: 404,
            reason: "NotFound",
            message: "the server could not find the requested resource",
        },
        Case {
            name: "kind in the body that is not the endpoint's",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "m"}})),
            code: 400,
            reason: "BadRequest",
            message: "the kind in the data (Secret) does not match the expected kind (ConfigMap) for this endpoint",
        },
        Case {
            name: "list with a timeoutSeconds that is not an integer",
            method: "GET",
            path: "/api/v1/namespaces/default/configmaps?timeoutSeconds=abc",
            content_type: "application/json",
            body: Vec::new(),
            code: 400,
            reason: "BadRequest",
            message: "strconv.ParseInt: parsing \"abc\": invalid syntax",
        },
        Case {
            name: "watch with an empty timeoutSeconds",
            method: "GET",
            path: "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=",
            content_type: "application/json",
            body: Vec::new(),
            code: 400,
            reason: "BadRequest",
            message: "strconv.ParseInt: parsing \"\": invalid syntax",
        },
        Case {
            name: "list with a limit out of int64's range",
            method: "GET",
            path: "/api/v1/namespaces/default/configmaps?limit=99999999999999999999",
            content_type: "application/json",
            body: Vec::new(),
            code: 400,
            reason: "BadRequest",
            message: "strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
        },
        Case {
            name: "a create whose dryRun is not All (it would have been stored)",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps?dryRun=true",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry"}})),
            code: 422,
            reason: "Invalid",
            message: "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"true\"}: supported values: \"All\"",
        },
        Case {
            name: "a delete with an unknown propagation policy",
            method: "DELETE",
            path: "/api/v1/namespaces/default/configmaps/kept?propagationPolicy=Bogus",
            content_type: "application/json",
            body: Vec::new(),
            code: 422,
            reason: "Invalid",
            message: "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Bogus\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
        },
        Case {
            name: "a delete whose body asks for dryRun true",
            method: "DELETE",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "application/json",
            body: json_body(json!({"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["true"]})),
            code: 422,
            reason: "Invalid",
            message: "DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"true\"}: supported values: \"All\"",
        },
        Case {
            name: "a truncated merge patch (fieldValidation Warn by default)",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "application/merge-patch+json",
            body: br#"{"data":{"a":"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "error decoding patch: unexpected end of JSON input",
        },
        Case {
            name: "a merge patch with a trailing comma, fieldValidation=Ignore",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept?fieldValidation=Ignore",
            content_type: "application/merge-patch+json",
            body: br#"{"data":{"a":"c",}}"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "Invalid JSON Patch",
        },
        Case {
            name: "a merge patch that is a list",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept?fieldValidation=Strict",
            content_type: "application/merge-patch+json",
            body: br#"["a"]"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}",
        },
        Case {
            name: "a JSON patch that is an object",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "application/json-patch+json",
            body: br#"{"op":"add","path":"/data/b","value":"c"}"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp",
        },
        Case {
            name: "a JSON patch that is an object, fieldValidation=Ignore (evanphx/json-patch's DecodePatch)",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept?fieldValidation=Ignore",
            content_type: "application/json-patch+json",
            body: br#"{"op":"add","path":"/data/b","value":"c"}"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        },
        Case {
            name: "a JSON patch whose path is a number",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "application/json-patch+json",
            body: br#"[{"op":"add","path":1,"value":"c"}]"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string",
        },
        Case {
            name: "a strategic merge patch with a stray character (no prefix)",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "application/strategic-merge-patch+json",
            body: br#"{"data":{"a":"c"}} x"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "invalid character 'x' after top-level value",
        },
        Case {
            name: "an apply configuration that is not YAML",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept?fieldManager=m",
            content_type: "application/apply-patch+yaml",
            body: b"data: [a".to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "error decoding YAML: error converting YAML to JSON: yaml: *",
        },
        Case {
            name: "a patch of a missing object is 404 before its body is read",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/missing",
            content_type: "application/json-patch+json",
            body: br#"{"op":"add"}"#.to_vec(),
            code: 404,
            reason: "NotFound",
            message: "configmaps \"missing\" not found",
        },
        Case {
            name: "a JSON patch whose first copy of a repeated op is a number",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept",
            content_type: "application/json-patch+json",
            body: br#"[{"op":1,"op":"add","path":"/data/dup","value":"v"}]"#.to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string",
        },
        Case {
            name: "a merge patch that is a scalar, fieldValidation=Ignore",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept?fieldValidation=Ignore",
            content_type: "application/merge-patch+json",
            body: b"true".to_vec(),
            code: 400,
            reason: "BadRequest",
            message: "Invalid JSON Patch",
        },
        Case {
            name: "force on a merge patch",
            method: "PATCH",
            path: "/api/v1/namespaces/default/configmaps/kept?force=true",
            content_type: "application/merge-patch+json",
            body: json_body(json!({"data": {"a": "c"}})),
            code: 422,
            reason: "Invalid",
            message: "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
        },
        Case {
            name: "a create carrying a resourceVersion",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rv", "resourceVersion": "5"}})),
            code: 500,
            reason: "",
            message: "resourceVersion should not be set on objects to be created",
        },
        Case {
            name: "a list matching a resource version it does not give",
            method: "GET",
            path: "/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact",
            content_type: "application/json",
            body: Vec::new(),
            code: 422,
            reason: "Invalid",
            message: "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
        },
        Case {
            name: "namespace mismatch",
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            content_type: "application/json",
            body: json_body(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "namespace": "kube-system"}})),
            code: 400,
            reason: "BadRequest",
            message: "the namespace of the provided object does not match the namespace sent on the request",
        },
        Case {
            name: "a name with '%' (escaped in the URL)",
            method: "GET",
            path: "/api/v1/namespaces/default/configmaps/a%25b",
            content_type: "application/json",
            body: Vec::new(),
            code: 400,
            reason: "BadRequest",
            message: "Name parameter invalid: \"a%b\": may not contain '%'",
        },
    ]
}

async fn seed(server: &ApiServer, client: &kube::Client) {
    let maps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(client.clone(), "default");
    let kept = serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}, "data": {"a": "b"}})).expect("cm");
    maps.create(&Default::default(), &kept).await.expect("seed");
    let _ = server;
}

#[tokio::test]
async fn malformed_requests_get_the_right_status_and_change_nothing() {
    let (server, client) = embedded().await;
    seed(&server, &client).await;
    for case in cases() {
        let revision_before = server.store().revision();
        let request = http::Request::builder()
            .method(case.method)
            .uri(case.path)
            .header("content-type", case.content_type)
            .body(case.body)
            .expect("request");
        let err = client.request_text(request).await.expect_err(case.name);
        let kube::Error::Api(status) = err else {
            panic!("{}: expected a Status, got {err:?}", case.name)
        };
        assert_eq!(status.code, case.code, "{}: {}", case.name, status.message);
        assert_eq!(status.reason, case.reason, "{}", case.name);
        match case.message.strip_suffix('*') {
            Some(prefix) => assert!(
                status.message.starts_with(prefix),
                "{}: {}",
                case.name,
                status.message
            ),
            None => assert_eq!(status.message, case.message, "{}", case.name),
        }
        assert_eq!(
            server.store().revision(),
            revision_before,
            "{}: stored state changed",
            case.name
        );
    }
    server.shutdown().await;
}

/// The router's own 404 (a subresource that is not served) and 405 (a method that is not)
/// come from upstream's `NewGenericServerResponse`, whose details are present and empty.
#[tokio::test]
async fn router_refusals_carry_empty_details() {
    let (server, client) = embedded().await;
    for (method, path, code) in [
        (
            "GET",
            "/api/v1/namespaces/default/serviceaccounts/default/foo",
            404,
        ),
        ("PUT", "/api/v1/namespaces/default/configmaps", 405),
        ("POST", "/api/v1/namespaces/default/configmaps/x", 405),
        // go-restful's GET-only routes, refused by the same handler.
        ("POST", "/version", 405),
        ("DELETE", "/api", 405),
        ("POST", "/api/v1", 405),
        ("PUT", "/apis/apps/v1", 405),
    ] {
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .expect("request");
        let response = client
            .send(request.map(kube::client::Body::from))
            .await
            .expect("response");
        assert_eq!(response.status().as_u16(), code, "{method} {path}");
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("body")
            .to_bytes();
        let status: serde_json::Value = serde_json::from_slice(&body).expect("a Status");
        assert_eq!(status["details"], json!({}), "{method} {path}: {status}");
    }
    server.shutdown().await;
}

/// The official Python client's `create_namespace(V1Namespace(metadata=...))` sends neither
/// `kind` nor `apiVersion`; a real API server takes both from the URL.
#[tokio::test]
async fn bodies_without_kind_and_api_version_take_them_from_the_url() {
    let (server, client) = embedded().await;
    for (path, body, kind) in [
        (
            "/api/v1/namespaces",
            json!({"metadata": {"name": "from-python"}}),
            "Namespace",
        ),
        (
            "/api/v1/namespaces/default/configmaps",
            json!({"metadata": {"name": "c"}, "data": {"k": "v"}}),
            "ConfigMap",
        ),
        (
            "/api/v1/namespaces/default/secrets",
            json!({"kind": "Secret", "metadata": {"name": "s"}}),
            "Secret",
        ),
    ] {
        let request = http::Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/json")
            .body(json_body(body))
            .expect("request");
        let created: serde_json::Value =
            serde_json::from_str(&client.request_text(request).await.expect(kind)).expect("json");
        assert_eq!(created["kind"], kind);
        assert_eq!(created["apiVersion"], "v1");
        assert!(created["metadata"]["uid"].is_string(), "{created}");
    }
    server.shutdown().await;
}

/// The Python and JavaScript clients escape path parameters (`system:basic-user` becomes
/// `system%3Abasic-user`); a real API server routes on the decoded path.
#[tokio::test]
async fn escaped_path_segments_name_the_same_objects() {
    let (server, client) = embedded().await;
    seed(&server, &client).await;
    for (path, name) in [
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Abasic-user",
            "system:basic-user",
        ),
        ("/api/v1/namespaces/def%61ult/configmaps/k%65pt", "kept"),
    ] {
        let request = http::Request::builder()
            .uri(path)
            .body(Vec::new())
            .expect("request");
        let object: serde_json::Value =
            serde_json::from_str(&client.request_text(request).await.expect(path)).expect("json");
        assert_eq!(object["metadata"]["name"], name, "{path}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_objects_report_field_causes() {
    let (server, client) = embedded().await;
    let request = http::Request::builder()
        .method("POST")
        .uri("/api/v1/namespaces/default/secrets")
        .header("content-type", "application/json")
        .body(json_body(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"}, "type": "kubernetes.io/service-account-token"})))
        .expect("request");
    let err = client.request_text(request).await.expect_err("invalid");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    let causes = status.details.expect("details").causes;
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, "FieldValueRequired");
    assert_eq!(
        causes[0].field,
        "metadata.annotations[kubernetes.io/service-account.name]"
    );
    server.shutdown().await;
}

/// A delete that removes the object answers a `Status` naming it (`Store.finalizeDelete`),
/// except for kinds whose store returns the deleted object (pods, service accounts, ...):
/// the Python client's `delete_namespaced_config_map` reads it as a `V1Status`.
#[tokio::test]
async fn deletes_answer_a_status_unless_the_kind_returns_the_object() {
    let (server, client) = embedded().await;
    seed(&server, &client).await;
    let delete = |path: &str| {
        http::Request::builder()
            .method("DELETE")
            .uri(path)
            .body(Vec::new())
            .expect("request")
    };
    let uid = server
        .store()
        .get(&kube_sa::apiserver::kinds::CONFIG_MAPS, "default", "kept")
        .expect("seeded")
        .uid()
        .to_string();
    let answer = client
        .request_text(delete("/api/v1/namespaces/default/configmaps/kept"))
        .await
        .expect("deleted");
    assert_eq!(
        answer,
        format!(
            r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Success","details":{{"name":"kept","kind":"configmaps","uid":"{uid}"}}}}"#
        )
    );
    let create = http::Request::builder()
        .method("POST")
        .uri("/api/v1/namespaces/default/serviceaccounts")
        .header("content-type", "application/json")
        .body(json_body(json!({"metadata": {"name": "robot"}})))
        .expect("request");
    client.request_text(create).await.expect("created");
    let answer: serde_json::Value = serde_json::from_str(
        &client
            .request_text(delete("/api/v1/namespaces/default/serviceaccounts/robot"))
            .await
            .expect("deleted"),
    )
    .expect("json");
    assert_eq!(answer["kind"], "ServiceAccount", "{answer}");
    server.shutdown().await;
}

/// Escaped paths mean what their decoded form means for every reader: a named watch of a
/// name no object can have is an empty watch (a field selector upstream), not a 400.
#[tokio::test]
async fn escaped_named_watches_and_non_resource_paths() {
    let (server, client) = embedded().await;
    let version = http::Request::builder()
        .uri("/vers%69on")
        .body(Vec::new())
        .expect("request");
    let answer: serde_json::Value =
        serde_json::from_str(&client.request_text(version).await.expect("version")).expect("json");
    assert_eq!(answer["major"], "1");
    let watch = http::Request::builder()
        .uri("/api/v1/namespaces/default/configmaps/a%25b?watch=true&timeoutSeconds=1")
        .body(Vec::new())
        .expect("request");
    let events = client.request_text(watch).await.expect("an empty watch");
    assert_eq!(events, "");
    server.shutdown().await;
}

/// Deletes that only mark: a dry run answers the object as it would be marked and stores
/// nothing; a namespace is marked without a grace period, and while its own finalizers
/// hold it another delete is 409, as upstream's namespace storage answers it.
#[tokio::test]
async fn deletes_that_mark_and_a_terminating_namespace() {
    let (server, client) = embedded().await;
    let send = |method: &str, path: &str, body: serde_json::Value| {
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(if body.is_null() {
                Vec::new()
            } else {
                json_body(body)
            })
            .expect("request");
        let client = client.clone();
        async move { client.request_text(request).await }
    };
    let json = |text: String| -> serde_json::Value { serde_json::from_str(&text).expect("json") };
    send(
        "POST",
        "/api/v1/namespaces",
        json!({"metadata": {"name": "held"}}),
    )
    .await
    .expect("namespace");
    let held_cm = json!({"metadata": {"name": "f", "finalizers": ["example.com/x"]}});
    send("POST", "/api/v1/namespaces/held/configmaps", held_cm)
        .await
        .expect("config map");

    let dry = json(
        send(
            "DELETE",
            "/api/v1/namespaces/held/configmaps/f?dryRun=All",
            json!(null),
        )
        .await
        .expect("dry run"),
    );
    assert!(dry["metadata"]["deletionTimestamp"].is_string(), "{dry}");
    assert_eq!(dry["metadata"]["deletionGracePeriodSeconds"], 0, "{dry}");
    let stored = json(
        send("GET", "/api/v1/namespaces/held/configmaps/f", json!(null))
            .await
            .expect("get"),
    );
    assert!(
        stored["metadata"].get("deletionTimestamp").is_none(),
        "{stored}"
    );

    let marked = json(
        send("DELETE", "/api/v1/namespaces/held", json!(null))
            .await
            .expect("delete"),
    );
    assert_eq!(marked["status"]["phase"], "Terminating", "{marked}");
    assert!(
        marked["metadata"]["deletionTimestamp"].is_string(),
        "{marked}"
    );
    assert!(
        marked["metadata"]
            .get("deletionGracePeriodSeconds")
            .is_none(),
        "{marked}"
    );
    let err = send("DELETE", "/api/v1/namespaces/held", json!(null))
        .await
        .expect_err("a second delete while content remains");
    let kube::Error::Api(status) = err else {
        panic!("expected a Status, got {err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        status.message,
        "Operation cannot be fulfilled on namespaces \"held\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system."
    );
    server.shutdown().await;
}

/// POSTs a ConfigMap body to `default`; its status code and `Warning` headers.
async fn post_config_map(client: &kube::Client, body: &[u8]) -> (u16, Vec<String>) {
    let request = http::Request::builder()
        .method("POST")
        .uri("/api/v1/namespaces/default/configmaps")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .expect("request");
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .expect("response");
    let warnings = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .collect();
    (response.status().as_u16(), warnings)
}

/// Under the default `fieldValidation` (Warn) a repeated field is stored with its last
/// value and reported as a warning, as upstream's strict decoder reports it.
#[tokio::test]
async fn a_repeated_field_is_a_warning_by_default() {
    let (server, client) = embedded().await;
    let stored = |name: &str| {
        server
            .store()
            .get(&kube_sa::apiserver::kinds::CONFIG_MAPS, "default", name)
            .expect("stored")
            .value()
    };
    let (code, warnings) = post_config_map(
        &client,
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","labels":{"a":"1","a":"2"}}}"#,
    )
    .await;
    assert_eq!(code, 201);
    assert_eq!(
        warnings,
        [r#"299 - "duplicate field \"metadata.labels.a\"""#]
    );
    assert_eq!(stored("twice")["metadata"]["labels"], json!({"a": "2"}));

    // A repeated object is decoded into the first copy, as Go's decoder fills a struct:
    // the name of the first `metadata` stays.
    let (code, warnings) = post_config_map(
        &client,
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"merged"},"metadata":{"labels":{"a":"b"}},"data":{"k":"v"}}"#,
    )
    .await;
    assert_eq!(code, 201);
    assert_eq!(warnings, [r#"299 - "duplicate field \"metadata\"""#]);
    let merged = stored("merged");
    assert_eq!(merged["metadata"]["labels"], json!({"a": "b"}));
    assert_eq!(merged["data"], json!({"k": "v"}));
    server.shutdown().await;
}

/// A string that is not UTF-8, or holds an unpaired surrogate escape, is read as Go's
/// decoder reads it (U+FFFD for each bad byte and each lone surrogate) and stored, in
/// create bodies and in patches alike.
#[tokio::test]
async fn strings_go_reads_with_replacement_characters_are_stored() {
    let (server, client) = embedded().await;
    let stored = || {
        server
            .store()
            .get(&kube_sa::apiserver::kinds::CONFIG_MAPS, "default", "latin1")
            .expect("stored")
            .value()
    };
    let (code, warnings) = post_config_map(
        &client,
        b"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"latin1\"},\"data\":{\"k\":\"caf\xe9\",\"s\":\"\\ud800!\"}}",
    )
    .await;
    assert_eq!((code, warnings), (201, vec![]));
    assert_eq!(
        stored()["data"],
        json!({"k": "caf\u{FFFD}", "s": "\u{FFFD}!"})
    );

    let request = http::Request::builder()
        .method("PATCH")
        .uri("/api/v1/namespaces/default/configmaps/latin1")
        .header("content-type", "application/merge-patch+json")
        .body(b"{\"data\":{\"k\":\"\xe2\x82x\"}}".to_vec())
        .expect("request");
    client.request_text(request).await.expect("patched");
    assert_eq!(stored()["data"]["k"], "\u{FFFD}\u{FFFD}x");
    server.shutdown().await;
}

/// YAML bodies are read as go-yaml reads them for sigs.k8s.io/yaml: a byte-order mark is
/// skipped and only the first document of a stream counts, in creates and in server-side
/// apply alike.
#[tokio::test]
async fn yaml_bodies_are_read_up_to_their_first_document() {
    let (server, client) = embedded().await;
    let send = |method: &str, uri: &str, content_type: &str, body: &[u8]| {
        http::Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type)
            .body(body.to_vec())
            .expect("request")
    };
    let created = send(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/yaml",
        b"\xEF\xBB\xBFapiVersion: v1\nkind: ConfigMap\nmetadata: {name: bom}\ndata: {a: '1'}\n---\nkind: Secret\n",
    );
    client.request_text(created).await.expect("created");
    let applied = send(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/bom?fieldManager=trial&force=true",
        "application/apply-patch+yaml",
        b"\xEF\xBB\xBFapiVersion: v1\nkind: ConfigMap\nmetadata: {name: bom}\ndata: {a: '2'}\n---\n",
    );
    client.request_text(applied).await.expect("applied");
    let stored = server
        .store()
        .get(&kube_sa::apiserver::kinds::CONFIG_MAPS, "default", "bom")
        .expect("stored")
        .value();
    assert_eq!(stored["data"], json!({"a": "2"}));
    server.shutdown().await;
}
