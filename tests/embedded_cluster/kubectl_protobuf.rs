//! kubectl's typed `create` subcommands for kinds outside the core group: kubectl 1.33
//! sends their bodies as protobuf, kubectl 1.27 as JSON, and both store the same object.

use std::path::Path;

use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, ServeProcess};

/// The commands, and the object each creates (`get` arguments).
const CREATES: &[(&[&str], &[&str])] = &[
    (
        &["create", "job", "j1", "--image=busybox", "--", "echo", "hi"],
        &["job", "j1"],
    ),
    (
        &[
            "create",
            "cronjob",
            "c1",
            "--image=busybox",
            "--schedule=*/5 * * * *",
            "--",
            "date",
        ],
        &["cronjob", "c1"],
    ),
    (
        &[
            "create",
            "ingress",
            "ing1",
            "--rule=foo.com/bar=svc1:8080",
            "--rule=bar.com/*=svc2:http,tls=sec",
        ],
        &["ingress", "ing1"],
    ),
    (
        &[
            "create",
            "poddisruptionbudget",
            "pdb1",
            "--selector=app=web",
            "--min-available=2",
        ],
        &["poddisruptionbudget", "pdb1"],
    ),
    (
        &[
            "create",
            "priorityclass",
            "pc1",
            "--value=1000",
            "--description=high",
            "--preemption-policy=Never",
        ],
        &["priorityclass", "pc1"],
    ),
    (
        &[
            "create",
            "priorityclass",
            "pc0",
            "--value=0",
            "--global-default",
        ],
        &["priorityclass", "pc0"],
    ),
    (
        &[
            "create",
            "deployment",
            "d1",
            "--image=nginx",
            "--replicas=2",
            "--port=80",
        ],
        &["deployment", "d1"],
    ),
];

/// Runs every create with `-v=8` against a fresh server; returns, per command, the
/// request body's content type kubectl logged and the stored object without the fields the
/// server sets per request (uid, also where a Job's labels repeat it, creationTimestamp,
/// resourceVersion, managedFields times).
fn create_all(bin: &Path) -> Vec<(String, Value)> {
    let server = ServeProcess::start(&[]);
    let kc = server.kubeconfig.as_path();
    CREATES
        .iter()
        .map(|(create, get)| {
            // `-v=8` goes before a `--` that starts the container command.
            let mut args = vec!["-v=8"];
            args.extend_from_slice(create);
            let out = kubectl(bin, kc, &args, None);
            let what = format!("{} {}", bin.display(), create.join(" "));
            assert!(out.success, "{what}: {}", out.stderr);
            // The first Content-Type after the POST is the request's (1.27 logs the header
            // on a line of its own, 1.33 in a block under the request line).
            let content_type = out
                .stderr
                .lines()
                .skip_while(|line| !line.contains("POST"))
                .find_map(|line| line.split_once("Content-Type: ").map(|(_, t)| t.trim()))
                .unwrap_or_else(|| panic!("{what}: no request content type in {}", out.stderr))
                .to_string();

            let mut full = vec!["get"];
            full.extend_from_slice(get);
            full.extend_from_slice(&["-o", "json"]);
            let out = kubectl(bin, kc, &full, None);
            assert!(out.success, "{what}: get: {}", out.stderr);
            let mut stored: Value = serde_json::from_str(&out.stdout).expect("json");
            // The uid also stands in the labels and selector a Job gets at create.
            let uid = stored["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if !uid.is_empty() {
                let text = serde_json::to_string(&stored).expect("json");
                stored = serde_json::from_str(&text.replace(&uid, "<uid>")).expect("json");
            }
            let meta = stored["metadata"].as_object_mut().expect("metadata");
            for volatile in ["uid", "creationTimestamp", "resourceVersion"] {
                assert!(meta.remove(volatile).is_some(), "{what}: no {volatile}");
            }
            for entry in meta
                .get_mut("managedFields")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                entry.as_object_mut().map(|e| e.remove("time"));
            }
            (content_type, stored)
        })
        .collect()
}

#[test]
fn typed_creates_store_the_same_object_from_protobuf_and_json() {
    let binaries = kubectl_binaries();
    let [newest, oldest] = binaries.as_slice() else {
        panic!("needs two kubectl versions, found {binaries:?}");
    };
    let from_protobuf = create_all(newest);
    let from_json = create_all(oldest);
    for (((create, _), (pb_type, pb)), (json_type, json)) in
        CREATES.iter().zip(&from_protobuf).zip(&from_json)
    {
        let command = create.join(" ");
        assert!(
            pb_type.starts_with("application/vnd.kubernetes.protobuf"),
            "{}: {command} sent {pb_type}",
            newest.display()
        );
        assert!(
            json_type.starts_with("application/json"),
            "{}: {command} sent {json_type}",
            oldest.display()
        );
        assert_eq!(
            pb, json,
            "{command}: protobuf and JSON store different objects"
        );
    }
}
