//! The workload kinds through real kubectl (newest and oldest): `kubectl get` prints
//! upstream's server-side columns (`pkg/printers/internalversion/printers.go`), and what
//! the server stores carries upstream's apps/v1 and batch/v1 defaults, pod template
//! included.

use std::path::Path;

use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, ok, ServeProcess};

const JOB: &str = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: j
        image: busybox
"#;

const CRON_JOB: &str = r#"
apiVersion: batch/v1
kind: CronJob
metadata:
  name: c
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: c
            image: busybox
"#;

/// The header and first row of `kubectl get` output, each split into its cells (kubectl
/// pads cells with at least three spaces; a single space stays inside a cell).
fn header_and_row(stdout: &str) -> (Vec<String>, Vec<String>) {
    let split = |line: &str| -> Vec<String> {
        line.split("   ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    let mut lines = stdout.lines();
    let header = split(lines.next().unwrap_or_default());
    let row = split(lines.next().unwrap_or_default());
    (header, row)
}

fn get(bin: &Path, kc: &Path, args: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    header_and_row(&ok(&kubectl(bin, kc, &full, None), &full.join(" ")))
}

/// An AGE cell of a just-created object: seconds.
fn is_fresh_age(cell: &str) -> bool {
    cell.strip_suffix('s')
        .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n < 120))
}

#[test]
fn a_created_deployment_prints_upstream_columns_and_stores_upstream_defaults() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        let out = ok(
            &kubectl(
                &bin,
                kc,
                &["create", "deployment", "x", "--image=x", "--replicas=2"],
                None,
            ),
            "create deployment",
        );
        assert!(out.contains("deployment.apps/x created"), "{which}: {out}");

        let (header, row) = get(&bin, kc, &["deploy"]);
        assert_eq!(
            header,
            ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            "{which}"
        );
        assert_eq!(row[..4], ["x", "0/2", "0", "0"], "{which}: {row:?}");
        assert!(is_fresh_age(&row[4]), "{which}: {row:?}");

        let (header, row) = get(&bin, kc, &["deploy", "-o", "wide"]);
        assert_eq!(
            header,
            [
                "NAME",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "AGE",
                "CONTAINERS",
                "IMAGES",
                "SELECTOR"
            ],
            "{which}"
        );
        assert_eq!(row[5..], ["x", "x", "app=x"], "{which}: {row:?}");

        let yaml = ok(
            &kubectl(&bin, kc, &["get", "deploy", "x", "-o", "yaml"], None),
            "get -o yaml",
        );
        let stored: Value = serde_yaml::from_str(&yaml).expect("yaml output");
        let spec = &stored["spec"];
        assert_eq!(spec["replicas"], 2, "{which}");
        assert_eq!(spec["revisionHistoryLimit"], 10, "{which}");
        assert_eq!(spec["progressDeadlineSeconds"], 600, "{which}");
        assert_eq!(
            spec["strategy"],
            serde_json::json!({"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            "{which}"
        );
        let template = &spec["template"]["spec"];
        for (field, expected) in [
            ("dnsPolicy", serde_json::json!("ClusterFirst")),
            ("restartPolicy", serde_json::json!("Always")),
            ("schedulerName", serde_json::json!("default-scheduler")),
            ("securityContext", serde_json::json!({})),
            ("terminationGracePeriodSeconds", serde_json::json!(30)),
        ] {
            assert_eq!(template[field], expected, "{which}: {field}");
        }
        let container = &template["containers"][0];
        assert_eq!(container["imagePullPolicy"], "Always", "{which}");
        assert_eq!(
            container["terminationMessagePath"], "/dev/termination-log",
            "{which}"
        );
        assert_eq!(container["terminationMessagePolicy"], "File", "{which}");
        // What only pods get stays out of the template.
        assert!(template.get("enableServiceLinks").is_none(), "{which}");
        assert!(template.get("priority").is_none(), "{which}");
    }
}

#[test]
fn jobs_and_cron_jobs_print_upstream_columns() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        // From a manifest (kubectl_protobuf.rs covers `kubectl create job`).
        ok(
            &kubectl(&bin, kc, &["create", "-f", "-"], Some(JOB)),
            "create job",
        );
        let (header, row) = get(&bin, kc, &["job"]);
        assert_eq!(
            header,
            ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
            "{which}"
        );
        // No controller starts the Job, so DURATION is empty.
        assert_eq!(row[..3], ["j", "Running", "0/1"], "{which}: {row:?}");
        let job: Value = serde_json::from_str(&ok(
            &kubectl(&bin, kc, &["get", "job", "j", "-o", "json"], None),
            "get job -o json",
        ))
        .expect("json");
        assert_eq!(job["spec"]["backoffLimit"], 6, "{which}");
        assert_eq!(job["spec"]["completions"], 1, "{which}");
        assert_eq!(
            job["spec"]["podReplacementPolicy"], "TerminatingOrFailed",
            "{which}"
        );
        // The selector upstream's strategy generates: the Job's uid, on its pods too.
        let uid = job["metadata"]["uid"].as_str().expect("uid");
        assert_eq!(
            job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"], uid,
            "{which}: {job}"
        );
        let pod_labels = &job["spec"]["template"]["metadata"]["labels"];
        assert_eq!(pod_labels["batch.kubernetes.io/job-name"], "j", "{which}");
        assert_eq!(pod_labels["controller-uid"], uid, "{which}");

        ok(
            &kubectl(&bin, kc, &["create", "-f", "-"], Some(CRON_JOB)),
            "create cronjob",
        );
        let (header, row) = get(&bin, kc, &["cronjob"]);
        assert_eq!(
            header,
            [
                "NAME",
                "SCHEDULE",
                "TIMEZONE",
                "SUSPEND",
                "ACTIVE",
                "LAST SCHEDULE",
                "AGE"
            ],
            "{which}"
        );
        assert_eq!(
            row[..6],
            ["c", "*/5 * * * *", "<none>", "False", "0", "<none>"],
            "{which}: {row:?}"
        );
    }
}
