//! Bodies kubectl sends, decoded to the JSON kubectl prints for them.

use super::*;

/// Bodies captured from kubectl 1.33 (a logging HTTP server), with the JSON that
/// `kubectl ... --dry-run=client -o json` prints for the same command.
#[test]
fn real_kubectl_bodies_decode_to_kubectls_json() {
    let cases: &[(&str, &ResourceInfo, &str, Value)] = &[
        (
            "create ns x",
            &NAMESPACES,
            "6b3873000a0f0a02763112094e616d65737061636512190a110a017812001a0022002a0032003800420012001a020a001a002200",
            json!({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null},"spec":{},"status":{}}),
        ),
        (
            "create serviceaccount sa1",
            &SERVICE_ACCOUNTS,
            "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a002200",
            json!({"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa1","creationTimestamp":null}}),
        ),
        (
            "create sa sa2 -n kube-system",
            &SERVICE_ACCOUNTS,
            "6b3873000a140a027631120e536572766963654163636f756e7412200a1e0a0373613212001a0b6b7562652d73797374656d22002a003200380042001a002200",
            json!({"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa2","namespace":"kube-system","creationTimestamp":null}}),
        ),
        (
            "create secret generic s --from-literal=a=b",
            &SECRETS,
            "6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a01611201621a001a002200",
            json!({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null},"data":{"a":"Yg=="}}),
        ),
        (
            "create secret generic s2 --type=example.com/t --from-literal=a=b --from-literal=empty= --from-file=bin.dat",
            &SECRETS,
            "6b3873000a0c0a0276311206536563726574124a0a120a02733212001a0022002a0032003800420012060a016112016212120a0762696e2e64617412070001fffe62696e12090a05656d70747912001a0d6578616d706c652e636f6d2f741a002200",
            json!({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s2","creationTimestamp":null},
                   "data":{"a":"Yg==","bin.dat":"AAH//mJpbg==","empty":""},"type":"example.com/t"}),
        ),
        (
            "create secret docker-registry reg --docker-server=r.io --docker-username=u --docker-password=p",
            &SECRETS,
            "6b3873000a0c0a0276311206536563726574128c010a130a0372656712001a0022002a0032003800420012550a112e646f636b6572636f6e6669676a736f6e12407b226175746873223a7b22722e696f223a7b22757365726e616d65223a2275222c2270617373776f7264223a2270222c2261757468223a2264547077227d7d7d1a1e6b756265726e657465732e696f2f646f636b6572636f6e6669676a736f6e1a002200",
            json!({"kind":"Secret","apiVersion":"v1","metadata":{"name":"reg","creationTimestamp":null},
                   "data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dGgiOiJkVHB3In19fQ=="},
                   "type":"kubernetes.io/dockerconfigjson"}),
        ),
        (
            "create configmap c --from-literal=a=b",
            &CONFIG_MAPS,
            "6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a016312001a0022002a0032003800420012060a01611201621a002200",
            json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","creationTimestamp":null},"data":{"a":"b"}}),
        ),
        (
            "create configmap c2 --from-file=text.txt --from-file=bin.dat --from-literal=z=1",
            &CONFIG_MAPS,
            "6b3873000a0f0a0276311209436f6e6669674d6170124a0a120a02633212001a0022002a0032003800420012180a08746578742e747874120c6c696e65310a6c696e65320a12060a017a1201311a120a0762696e2e64617412070001fffe62696e1a002200",
            json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c2","creationTimestamp":null},
                   "data":{"text.txt":"line1\nline2\n","z":"1"},"binaryData":{"bin.dat":"AAH//mJpbg=="}}),
        ),
        (
            "auth whoami",
            &SELF_SUBJECT_REVIEWS,
            "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200",
            json!({"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}),
        ),
    ];
    for (command, resource, body, expected) in cases {
        let decoded = decode_object(&hex(body), resource)
            .unwrap_or_else(|e| panic!("kubectl {command}: {e}"));
        assert_eq!(&decoded, expected, "kubectl {command}");
    }
}

/// Bodies of the other groups' kinds kubectl 1.33's typed `create` subcommands send as
/// protobuf, captured as above, with the JSON `kubectl ... --dry-run=client -o json` printed
/// for the same command.
#[test]
fn real_kubectl_bodies_of_other_groups_decode_to_kubectls_json() {
    let cases: &[(&str, &ResourceInfo, &str, Value)] = &[
        (
            "create job j1 --image=busybox -- echo hi",
            &JOBS,
            "6b3873000a0f0a0862617463682f763112034a6f621284010a120a026a3112001a0022002a00320038004200126432620a100a0012001a0022002a00320038004200124e122b0a026a31120762757379626f781a046563686f1a0268692a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200",
            json!({"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j1","creationTimestamp":null},
                   "spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"j1","image":"busybox","command":["echo","hi"],"resources":{}}],"restartPolicy":"Never"}}},
                   "status":{}}),
        ),
        (
            "create cronjob c1 --image=busybox --schedule='*/5 * * * *' -- date",
            &CRON_JOBS,
            "6b3873000a130a0862617463682f7631120743726f6e4a6f6212a4010a120a02633112001a0022002a00320038004200128b010a0b2a2f35202a202a202a202a1a002a7a0a120a02633112001a0022002a00320038004200126432620a100a0012001a0022002a00320038004200124e12270a026331120762757379626f781a04646174652a0042006a007200800100880100900100a201001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200",
            json!({"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"c1","creationTimestamp":null},
                   "spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"c1","creationTimestamp":null},
                           "spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"c1","image":"busybox","command":["date"],"resources":{}}],"restartPolicy":"OnFailure"}}}}},
                   "status":{}}),
        ),
        (
            "create ingress ing1 --rule=foo.com/bar=svc1:8080 --rule='bar.com/*=svc2:http,tls=sec'",
            &INGRESSES,
            "6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e6772657373128b010a140a04696e673112001a0022002a00320038004200126f120e0a076261722e636f6d12037365631a2d0a07666f6f2e636f6d12220a200a1e0a042f626172120f220d0a047376633112050a0010903f1a0545786163741a2e0a076261722e636f6d12230a210a1f0a012f121222100a047376633212080a046874747010001a065072656669781a020a001a002200",
            json!({"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing1","creationTimestamp":null},
                   "spec":{"tls":[{"hosts":["bar.com"],"secretName":"sec"}],
                           "rules":[{"host":"foo.com","http":{"paths":[{"path":"/bar","pathType":"Exact","backend":{"service":{"name":"svc1","port":{"number":8080}}}}]}},
                                    {"host":"bar.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"svc2","port":{"name":"http"}}}}]}}]},
                   "status":{"loadBalancer":{}}}),
        ),
        (
            "create poddisruptionbudget pdb1 --selector=app=web --min-available=2",
            &POD_DISRUPTION_BUDGETS,
            "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123a0a140a047064623112001a0022002a0032003800420012160a06080010021a00120c0a0a0a0361707012037765621a0a080018002000280030001a002200",
            json!({"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb1","creationTimestamp":null},
                   "spec":{"minAvailable":2,"selector":{"matchLabels":{"app":"web"}}},
                   "status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}),
        ),
        (
            "create priorityclass pc1 --value=1000 --description=high --preemption-policy=Never",
            &PRIORITY_CLASSES,
            "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312270a130a0370633112001a0022002a0032003800420010e80718002204686967682a054e657665721a002200",
            json!({"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc1","creationTimestamp":null},
                   "value":1000,"description":"high","preemptionPolicy":"Never"}),
        ),
        (
            "create priorityclass pc0 --value=0 --global-default",
            &PRIORITY_CLASSES,
            "6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312310a130a0370633012001a0022002a003200380042001000180122002a14507265656d70744c6f7765725072696f726974791a002200",
            json!({"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc0","creationTimestamp":null},
                   "value":0,"globalDefault":true,"preemptionPolicy":"PreemptLowerPriority"}),
        ),
        (
            "create deployment d1 --image=nginx --replicas=2 --port=80",
            &DEPLOYMENTS,
            "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b4010a1d0a02643112001a0022002a003200380042005a090a03617070120264311284010802120b0a090a03617070120264311a6b0a1b0a0012001a0022002a003200380042005a090a0361707012026431124c122e0a056e67696e7812056e67696e782a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200",
            json!({"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d1","creationTimestamp":null,"labels":{"app":"d1"}},
                   "spec":{"replicas":2,"selector":{"matchLabels":{"app":"d1"}},
                           "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"d1"}},"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}],"resources":{}}]}},
                           "strategy":{}},
                   "status":{}}),
        ),
    ];
    for (command, resource, body, expected) in cases {
        let decoded = decode_object(&hex(body), resource)
            .unwrap_or_else(|e| panic!("kubectl {command}: {e}"));
        assert_eq!(&decoded, expected, "kubectl {command}");
    }
}

/// `kubectl run web --image=nginx --labels=app=web --env=A=B --port=80` as the typed
/// clientset would encode it (kubectl itself sends this one as JSON).
#[test]
fn kubectl_run_pod_decodes_to_kubectls_json() {
    let container = container_zeros(
        container("web", "nginx")
            .str(5, "")
            .msg(
                6,
                Pb::new()
                    .str(1, "")
                    .int(2, 0)
                    .int(3, 80)
                    .str(4, "")
                    .str(5, ""),
            )
            .msg(7, Pb::new().str(1, "A").str(2, "B"))
            .msg(8, Pb::new()),
    );
    let spec = Pb::new()
        .msg(2, container)
        .str(3, "Always")
        .str(6, "ClusterFirst")
        .str(8, "")
        .str(9, "")
        .str(10, "")
        .bool(11, false)
        .bool(12, false)
        .bool(13, false)
        .str(16, "")
        .str(17, "")
        .str(19, "")
        .str(24, "");
    let status = Pb::new()
        .str(1, "")
        .str(3, "")
        .str(4, "")
        .str(5, "")
        .str(6, "")
        .str(9, "");
    let pod = Pb::new()
        .msg(1, object_meta("web").entry(11, "app", "web"))
        .msg(2, spec)
        .msg(3, status);

    let decoded = decode_object(&envelope("v1", "Pod", pod), &PODS).unwrap();

    // kubectl's JSON without `"status": {}`, which the decoder skips.
    assert_eq!(
        decoded,
        json!({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
               "spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}],"env":[{"name":"A","value":"B"}],"resources":{}}],
                       "restartPolicy":"Always","dnsPolicy":"ClusterFirst"}})
    );
}

/// A Pod with most common fields (the `--overrides` a user could pass to `kubectl run`);
/// the expected JSON is what `kubectl run big --overrides=... --dry-run=client -o json` printed.
#[test]
fn pod_with_common_fields_decodes_to_kubectls_json() {
    let int_port = |n: i64| Pb::new().int(1, 0).int(2, n).str(3, "");
    let named_port = |s: &str| Pb::new().int(1, 1).int(2, 0).str(3, s);
    let field_ref = |api: &str, path: &str| Pb::new().str(1, api).str(2, path);
    let lor = |name: &str| Pb::new().str(1, name);
    let probe_timings = |p: Pb, d: i64, t: i64, per: i64, s: i64, f: i64| {
        p.int(2, d).int(3, t).int(4, per).int(5, s).int(6, f)
    };

    let volumes = [
        Pb::new().str(1, "ed").msg(
            2,
            Pb::new().msg(2, Pb::new().str(1, "Memory").msg(2, quantity("64Mi"))),
        ),
        Pb::new().str(1, "sec").msg(
            2,
            Pb::new().msg(
                6,
                Pb::new()
                    .str(1, "s")
                    .msg(2, Pb::new().str(1, "a").str(2, "a.txt").int(3, 256))
                    .int(3, 420)
                    .bool(4, false),
            ),
        ),
        Pb::new().str(1, "cm").msg(
            2,
            Pb::new().msg(19, Pb::new().msg(1, lor("c")).bool(4, true)),
        ),
        Pb::new().str(1, "hp").msg(
            2,
            Pb::new().msg(1, Pb::new().str(1, "/tmp").str(2, "Directory")),
        ),
        Pb::new()
            .str(1, "pvc")
            .msg(2, Pb::new().msg(10, Pb::new().str(1, "data").bool(2, true))),
        Pb::new().str(1, "dapi").msg(
            2,
            Pb::new().msg(
                16,
                Pb::new()
                    .msg(
                        1,
                        Pb::new()
                            .str(1, "labels")
                            .msg(2, field_ref("", "metadata.labels")),
                    )
                    .msg(
                        1,
                        Pb::new().str(1, "cpu").msg(
                            3,
                            Pb::new()
                                .str(1, "c1")
                                .str(2, "limits.cpu")
                                .msg(3, quantity("1m")),
                        ),
                    ),
            ),
        ),
        Pb::new().str(1, "proj").msg(
            2,
            Pb::new().msg(
                26,
                Pb::new()
                    .msg(
                        1,
                        Pb::new().msg(4, Pb::new().str(1, "api").int(2, 3600).str(3, "token")),
                    )
                    .msg(
                        1,
                        Pb::new().msg(
                            3,
                            Pb::new()
                                .msg(1, lor("kube-root-ca.crt"))
                                .msg(2, Pb::new().str(1, "ca.crt").str(2, "ca.crt")),
                        ),
                    )
                    .msg(
                        1,
                        Pb::new().msg(
                            2,
                            Pb::new().msg(
                                1,
                                Pb::new()
                                    .str(1, "namespace")
                                    .msg(2, field_ref("v1", "metadata.namespace")),
                            ),
                        ),
                    )
                    .msg(
                        1,
                        Pb::new().msg(1, Pb::new().msg(1, lor("s2")).bool(4, true)),
                    )
                    .int(2, 292),
            ),
        ),
    ];

    let init = container_zeros(
        container("init", "busybox")
            .str(3, "true")
            .str(5, "")
            .msg(8, Pb::new()),
    );
    let c1 = container("c1", "nginx:1.25")
        .str(4, "-g")
        .str(4, "daemon off;")
        .str(5, "/w")
        .msg(
            6,
            Pb::new()
                .str(1, "http")
                .int(2, 0)
                .int(3, 80)
                .str(4, "TCP")
                .str(5, ""),
        )
        .msg(
            6,
            Pb::new()
                .str(1, "")
                .int(2, 5353)
                .int(3, 53)
                .str(4, "UDP")
                .str(5, ""),
        )
        .msg(7, Pb::new().str(1, "A").str(2, "B"))
        .msg(
            7,
            Pb::new().str(1, "S").str(2, "").msg(
                3,
                Pb::new().msg(4, Pb::new().msg(1, lor("s")).str(2, "a").bool(3, false)),
            ),
        )
        .msg(
            7,
            Pb::new()
                .str(1, "C")
                .str(2, "")
                .msg(3, Pb::new().msg(3, Pb::new().msg(1, lor("c")).str(2, "a"))),
        )
        .msg(
            7,
            Pb::new()
                .str(1, "N")
                .str(2, "")
                .msg(3, Pb::new().msg(1, field_ref("", "metadata.name"))),
        )
        .msg(
            7,
            Pb::new().str(1, "L").str(2, "").msg(
                3,
                Pb::new().msg(
                    2,
                    Pb::new()
                        .str(1, "")
                        .str(2, "limits.memory")
                        .msg(3, quantity("1Mi")),
                ),
            ),
        )
        .msg(7, Pb::new().str(1, "E").str(2, ""))
        .msg(
            8,
            Pb::new()
                .quantity_entry(1, "cpu", "500m")
                .quantity_entry(1, "memory", "128Mi")
                .quantity_entry(2, "cpu", "100m")
                .quantity_entry(2, "memory", "64Mi"),
        )
        .msg(
            9,
            Pb::new()
                .str(1, "ed")
                .bool(2, false)
                .str(3, "/cache")
                .str(4, "")
                .str(6, ""),
        )
        .msg(
            9,
            Pb::new()
                .str(1, "sec")
                .bool(2, true)
                .str(3, "/sec")
                .str(4, "x")
                .str(6, ""),
        )
        .msg(
            10,
            probe_timings(
                Pb::new().msg(
                    1,
                    Pb::new().msg(
                        2,
                        Pb::new()
                            .str(1, "/healthz")
                            .msg(2, int_port(8080))
                            .str(3, "")
                            .str(4, "HTTP")
                            .msg(5, Pb::new().str(1, "X").str(2, "y")),
                    ),
                ),
                3,
                1,
                5,
                1,
                3,
            ),
        )
        .msg(
            11,
            probe_timings(
                Pb::new().msg(
                    1,
                    Pb::new().msg(3, Pb::new().msg(1, named_port("http")).str(2, "")),
                ),
                0,
                0,
                0,
                0,
                0,
            ),
        )
        .msg(
            22,
            probe_timings(
                Pb::new().msg(
                    1,
                    Pb::new().msg(1, Pb::new().str(1, "cat").str(1, "/ready")),
                ),
                0,
                0,
                0,
                0,
                30,
            )
            .int(7, 10),
        )
        .msg(
            12,
            Pb::new()
                .msg(1, Pb::new().msg(4, Pb::new().int(1, 1)))
                .msg(2, Pb::new().msg(1, Pb::new().str(1, "sleep").str(1, "5"))),
        )
        .str(13, "/dev/termination-log")
        .str(14, "IfNotPresent")
        .msg(
            15,
            Pb::new()
                .msg(1, Pb::new().str(1, "NET_BIND_SERVICE").str(2, "ALL"))
                .bool(2, false)
                .int(4, 0)
                .bool(6, true)
                .bool(7, false)
                .msg(11, Pb::new().str(1, "RuntimeDefault")),
        )
        .bool(16, true)
        .bool(17, true)
        .bool(18, true)
        .msg(
            19,
            Pb::new().str(1, "P_").msg(2, Pb::new().msg(1, lor("c"))),
        )
        .msg(
            19,
            Pb::new()
                .str(1, "")
                .msg(3, Pb::new().msg(1, lor("s")).bool(2, true)),
        )
        .str(20, "FallbackToLogsOnError");

    let mut spec = Pb::new();
    for volume in volumes {
        spec = spec.msg(1, volume);
    }
    let spec = spec
        .msg(2, c1)
        .str(3, "Always")
        .int(4, 0)
        .int(5, 600)
        .str(6, "ClusterFirst")
        .entry(7, "disk", "ssd")
        .str(8, "builder")
        .str(9, "")
        .str(10, "")
        .bool(11, false)
        .bool(12, false)
        .bool(13, false)
        .msg(
            14,
            Pb::new()
                .int(2, 1000)
                .bool(3, true)
                .int(4, 1)
                .int(4, 2)
                .int(5, 2000),
        )
        .msg(15, lor("regcred"))
        .str(16, "h")
        .str(17, "s")
        .str(19, "default-scheduler")
        .msg(20, init)
        .bool(21, false)
        .msg(
            22,
            Pb::new()
                .str(1, "k")
                .str(2, "Exists")
                .str(3, "")
                .str(4, "NoSchedule")
                .int(5, 30),
        )
        .str(24, "high")
        .int(25, 0)
        .bool(30, false)
        .str(31, "Never");
    let pod = Pb::new()
        .msg(1, object_meta("big").entry(11, "run", "big"))
        .msg(2, spec)
        .msg(3, Pb::new().str(1, "Pending"));

    let decoded = decode_object(&envelope("v1", "Pod", pod), &PODS).unwrap();

    let expected: Value = serde_json::from_str(BIG_POD_JSON).unwrap();
    assert_eq!(decoded, expected);
}

/// `kubectl run big --image=nginx --overrides=... --dry-run=client -o json`, minus `status`.
const BIG_POD_JSON: &str = r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"big","creationTimestamp":null,"labels":{"run":"big"}},"spec":{"volumes":[{"name":"ed","emptyDir":{"medium":"Memory","sizeLimit":"64Mi"}},{"name":"sec","secret":{"secretName":"s","items":[{"key":"a","path":"a.txt","mode":256}],"defaultMode":420,"optional":false}},{"name":"cm","configMap":{"name":"c","optional":true}},{"name":"hp","hostPath":{"path":"/tmp","type":"Directory"}},{"name":"pvc","persistentVolumeClaim":{"claimName":"data","readOnly":true}},{"name":"dapi","downwardAPI":{"items":[{"path":"labels","fieldRef":{"fieldPath":"metadata.labels"}},{"path":"cpu","resourceFieldRef":{"containerName":"c1","resource":"limits.cpu","divisor":"1m"}}]}},{"name":"proj","projected":{"sources":[{"serviceAccountToken":{"audience":"api","expirationSeconds":3600,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}},{"secret":{"name":"s2","optional":true}}],"defaultMode":292}}],"initContainers":[{"name":"init","image":"busybox","command":["true"],"resources":{}}],"containers":[{"name":"c1","image":"nginx:1.25","args":["-g","daemon off;"],"workingDir":"/w","ports":[{"name":"http","containerPort":80,"protocol":"TCP"},{"hostPort":5353,"containerPort":53,"protocol":"UDP"}],"envFrom":[{"prefix":"P_","configMapRef":{"name":"c"}},{"secretRef":{"name":"s","optional":true}}],"env":[{"name":"A","value":"B"},{"name":"S","valueFrom":{"secretKeyRef":{"name":"s","key":"a","optional":false}}},{"name":"C","valueFrom":{"configMapKeyRef":{"name":"c","key":"a"}}},{"name":"N","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"L","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"1Mi"}}},{"name":"E"}],"resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"100m","memory":"64Mi"}},"volumeMounts":[{"name":"ed","mountPath":"/cache"},{"name":"sec","readOnly":true,"mountPath":"/sec","subPath":"x"}],"livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP","httpHeaders":[{"name":"X","value":"y"}]},"initialDelaySeconds":3,"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},"readinessProbe":{"tcpSocket":{"port":"http"}},"startupProbe":{"exec":{"command":["cat","/ready"]},"failureThreshold":30,"terminationGracePeriodSeconds":10},"lifecycle":{"postStart":{"sleep":{"seconds":1}},"preStop":{"exec":{"command":["sleep","5"]}}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"FallbackToLogsOnError","imagePullPolicy":"IfNotPresent","securityContext":{"capabilities":{"add":["NET_BIND_SERVICE"],"drop":["ALL"]},"privileged":false,"runAsUser":0,"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,"seccompProfile":{"type":"RuntimeDefault"}},"stdin":true,"stdinOnce":true,"tty":true}],"restartPolicy":"Always","terminationGracePeriodSeconds":0,"activeDeadlineSeconds":600,"dnsPolicy":"ClusterFirst","nodeSelector":{"disk":"ssd"},"serviceAccountName":"builder","automountServiceAccountToken":false,"securityContext":{"runAsUser":1000,"runAsNonRoot":true,"supplementalGroups":[1,2],"fsGroup":2000},"imagePullSecrets":[{"name":"regcred"}],"hostname":"h","subdomain":"s","schedulerName":"default-scheduler","tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule","tolerationSeconds":30}],"priorityClassName":"high","priority":0,"enableServiceLinks":false,"preemptionPolicy":"Never"}}"#;
