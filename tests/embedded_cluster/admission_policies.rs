//! ValidatingAdmissionPolicies and their bindings through real kubectl (newest and oldest):
//! applied, listed, patched by server-side apply and deleted as on a real cluster, and,
//! as upstream with the ValidatingAdmissionPolicy plugin disabled, not enforced.

use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, ServeProcess};

const POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replica-limit
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: replica-limit
spec:
  policyName: replica-limit
  validationActions: [Deny]
"#;

const SECOND_CONDITION: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replica-limit
spec:
  matchConditions:
  - name: not-system
    expression: "!request.userInfo.username.startsWith('system:')"
"#;

#[test]
fn policies_and_bindings_are_served_and_not_enforced() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();

        // Applied server-side: a client-side apply followed by another manager's
        // server-side apply would hand kubectl's fields to that manager (kubectl's
        // client-side-to-server-side migration), which then drops them.
        let out = kubectl(
            &bin,
            kc,
            &["apply", "--server-side", "--field-manager=first", "-f", "-"],
            Some(POLICY),
        );
        assert!(out.success, "{which}: {}", out.stderr);
        for line in [
            "validatingadmissionpolicy.admissionregistration.k8s.io/replica-limit serverside-applied",
            "validatingadmissionpolicybinding.admissionregistration.k8s.io/replica-limit serverside-applied",
        ] {
            assert!(out.stdout.contains(line), "{which}: {line:?} in {}", out.stdout);
        }

        // Upstream's defaults and columns.
        let out = kubectl(
            &bin,
            kc,
            &[
                "get",
                "validatingadmissionpolicy",
                "replica-limit",
                "-o",
                "json",
            ],
            None,
        );
        assert!(out.success, "{which}: {}", out.stderr);
        let policy: Value = serde_json::from_str(&out.stdout).expect("json");
        let constraints = &policy["spec"]["matchConstraints"];
        assert_eq!(
            constraints["matchPolicy"], "Equivalent",
            "{which}: {policy}"
        );
        assert_eq!(constraints["namespaceSelector"], serde_json::json!({}));
        assert_eq!(constraints["resourceRules"][0]["scope"], "*", "{which}");
        for (kind, header, row) in [
            (
                "validatingadmissionpolicy",
                ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"],
                ["replica-limit", "1", "<unset>"],
            ),
            (
                "validatingadmissionpolicybinding",
                ["NAME", "POLICYNAME", "PARAMREF", "AGE"],
                ["replica-limit", "replica-limit", "<unset>"],
            ),
        ] {
            let out = kubectl(&bin, kc, &["get", kind], None);
            assert!(out.success, "{which}: {}", out.stderr);
            let mut lines = out
                .stdout
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>());
            assert_eq!(
                lines.next().unwrap_or_default(),
                header,
                "{which}: {}",
                out.stdout
            );
            let cells = lines.next().unwrap_or_default();
            assert_eq!(cells.get(..3), Some(&row[..]), "{which}: {}", out.stdout);
        }

        // Discovery lists both under the group, in the api-extensions category.
        let out = kubectl(
            &bin,
            kc,
            &[
                "api-resources",
                "--api-group=admissionregistration.k8s.io",
                "-o",
                "name",
            ],
            None,
        );
        assert!(out.success, "{which}: {}", out.stderr);
        for name in [
            "validatingadmissionpolicies.admissionregistration.k8s.io",
            "validatingadmissionpolicybindings.admissionregistration.k8s.io",
        ] {
            assert!(
                out.stdout.lines().any(|l| l == name),
                "{which}: {name} in {}",
                out.stdout
            );
        }
        let out = kubectl(&bin, kc, &["get", "api-extensions", "-o", "name"], None);
        assert!(out.success, "{which}: {}", out.stderr);
        assert!(
            out.stdout
                .contains("validatingadmissionpolicy.admissionregistration.k8s.io/replica-limit"),
            "{which}: {}",
            out.stdout
        );

        // Server-side apply by a second manager merges matchConditions by name and keeps
        // the validations the first apply owns.
        let out = kubectl(
            &bin,
            kc,
            &[
                "apply",
                "--server-side",
                "--field-manager=second",
                "-f",
                "-",
            ],
            Some(SECOND_CONDITION),
        );
        assert!(out.success, "{which}: {}", out.stderr);
        let out = kubectl(
            &bin,
            kc,
            &[
                "get",
                "validatingadmissionpolicy",
                "replica-limit",
                "-o",
                "json",
            ],
            None,
        );
        assert!(out.success, "{which}: {}", out.stderr);
        let policy: Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(
            policy["spec"]["validations"][0]["expression"], "object.spec.replicas <= 5",
            "{which}: {policy}"
        );
        assert_eq!(
            policy["spec"]["matchConditions"][0]["name"], "not-system",
            "{which}: {policy}"
        );

        // Not enforced: a Deployment the policy would deny is created.
        let out = kubectl(
            &bin,
            kc,
            &[
                "create",
                "deployment",
                "big",
                "--image=nginx",
                "--replicas=9",
            ],
            None,
        );
        assert!(out.success, "{which}: {}", out.stderr);

        let out = kubectl(
            &bin,
            kc,
            &[
                "delete",
                "validatingadmissionpolicybinding,validatingadmissionpolicy",
                "replica-limit",
            ],
            None,
        );
        assert!(out.success, "{which}: {}", out.stderr);
        let out = kubectl(
            &bin,
            kc,
            &["get", "validatingadmissionpolicies", "-o", "name"],
            None,
        );
        assert!(out.success, "{which}: {}", out.stderr);
        assert_eq!(out.stdout.trim(), "", "{which}");
    }
}
