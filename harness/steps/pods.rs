//! Then: whether a pod got its service account's token mounted (admission §2.4).

use cucumber::then;
use serde_json::Value;

use crate::failure::{ensure, Failure};
use crate::objects::Kind;
use crate::world::ConformanceWorld;

/// Where admission mounts the token.
const MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    ["initContainers", "containers"]
        .into_iter()
        .flat_map(move |key| {
            pod.pointer(&format!("/spec/{key}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
}

fn mount_at_path(container: &Value) -> Option<&Value> {
    container
        .get("volumeMounts")?
        .as_array()?
        .iter()
        .find(|m| m.get("mountPath").and_then(Value::as_str) == Some(MOUNT_PATH))
}

fn name_of(value: &Value) -> &str {
    value.get("name").and_then(Value::as_str).unwrap_or("?")
}

#[then(
    regex = r#"^the pod "([^"]*)" in namespace "([^"]*)" (has|does not have) the service-account token mounted$"#
)]
async fn token_mounted(
    world: &mut ConformanceWorld,
    pod: String,
    namespace: String,
    verdict: String,
) -> Result<(), Failure> {
    let result = async {
        let (pod, namespace) = (world.expand(&pod)?, world.expand(&namespace)?);
        let real = world.namespace(&namespace)?;
        let object = world.fetch(Kind::Pod, Some(&real), &pod).await?.ok_or_else(|| Failure::new(format!("pod {namespace}/{pod} does not exist")))?;
        let account = object.pointer("/spec/serviceAccountName").and_then(Value::as_str).unwrap_or("");
        let token = world.token_secret_of(&real, account).await?;
        let token_name = token.as_ref().and_then(|t| t.pointer("/metadata/name")).and_then(Value::as_str);
        let volumes: Vec<&Value> = object.pointer("/spec/volumes").and_then(Value::as_array).into_iter().flatten().collect();
        let token_volume = volumes.iter().find(|v| token_name.is_some() && v.pointer("/secret/secretName").and_then(Value::as_str) == token_name);
        if verdict == "has" {
            let token_name = token_name.ok_or_else(|| Failure::new(format!("service account {namespace}/{account} of the pod lists no token secret")))?;
            let volume = token_volume.ok_or_else(|| Failure::new(format!("pod {namespace}/{pod} has no volume of secret {token_name}")))?;
            let volume_name = name_of(volume);
            let missing: Vec<String> = containers(&object)
                .filter(|c| {
                    mount_at_path(c).is_none_or(|m| name_of(m) != volume_name || m.get("readOnly").and_then(Value::as_bool) != Some(true))
                })
                .map(|c| format!("{} (its mount at the path: {})", name_of(c), mount_at_path(c).map(crate::matching::show).unwrap_or_else(|| "none".into())))
                .collect();
            ensure(missing.is_empty(), || {
                format!("pod {namespace}/{pod}: these containers lack the read-only mount of volume {volume_name} at {MOUNT_PATH}: {}", missing.join(", "))
            })
        } else {
            let mounted: Vec<&str> = containers(&object).filter(|c| mount_at_path(c).is_some()).map(name_of).collect();
            ensure(mounted.is_empty(), || format!("pod {namespace}/{pod}: containers {mounted:?} have a mount at {MOUNT_PATH}"))?;
            ensure(token_volume.is_none(), || format!("pod {namespace}/{pod} has a volume of its token secret {}", token_name.unwrap_or("")))
        }
    }
    .await;
    world.diagnose(result).await
}
