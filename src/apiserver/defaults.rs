//! API defaulting helpers shared by the kinds' strategies: the values a real v1 API server
//! fills in when an object is written (`pkg/apis/core/v1/defaults.go`) only where the field
//! is missing, so every kind's defaulting is idempotent and safe to run on updates as well
//! as creates (the handler runs it on both, like a real server runs defaulting on every
//! decode). Each kind's defaults are in its file under `super::kinds`.

use serde_json::{json, Map, Value};

/// True when the key is absent or null.
pub(crate) fn is_unset(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key).is_none_or(Value::is_null)
}

/// True when the key is absent, null or the empty string (Go's zero value for strings).
pub(crate) fn is_blank(map: &Map<String, Value>, key: &str) -> bool {
    match map.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// Sets `key` to `value` when it is absent or null.
pub(crate) fn default_value(map: &mut Map<String, Value>, key: &str, value: Value) {
    if is_unset(map, key) {
        map.insert(key.to_string(), value);
    }
}

/// Sets `key` to `value` when it is absent, null or "".
pub(crate) fn default_string(map: &mut Map<String, Value>, key: &str, value: &str) {
    if is_blank(map, key) {
        map.insert(key.to_string(), json!(value));
    }
}

/// The object under `key`, created empty when absent or null; `None` when it is not an object.
pub(crate) fn object_entry<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    if is_unset(map, key) {
        map.insert(key.to_string(), Value::Object(Map::new()));
    }
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// The object under `key` when it exists.
pub(crate) fn existing_object<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// Every object in the array under `key`.
pub(crate) fn objects_in<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    map.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|items| items.iter_mut().filter_map(Value::as_object_mut))
}

/// The string under `key`; "" when absent or not a string.
pub(crate) fn str_field<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::{
        ResourceInfo, CONFIG_MAPS, NAMESPACES, PODS, SECRETS, SERVICE_ACCOUNTS,
    };

    fn defaulted(resource: &ResourceInfo, mut obj: Value) -> Value {
        resource.strategy.default(&mut obj);
        obj
    }

    #[test]
    fn defaulting_twice_equals_defaulting_once() {
        let objects = [
            (
                &PODS,
                json!({"metadata": {"name": "p"}, "spec": {"hostNetwork": true, "containers": [
                {"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                 "resources": {"limits": {"cpu": "1"}}, "readinessProbe": {"httpGet": {"port": 80}}}],
                "initContainers": [{"name": "i", "image": "busybox:1"}],
                "volumes": [{"name": "v"}, {"name": "s", "secret": {"secretName": "x"}}]}}),
            ),
            (&NAMESPACES, json!({"metadata": {"name": "n"}})),
            (
                &SECRETS,
                json!({"metadata": {"name": "s"}, "stringData": {"k": "v"}}),
            ),
            (
                &CONFIG_MAPS,
                json!({"metadata": {"name": "c"}, "data": {"k": "v"}}),
            ),
            (&SERVICE_ACCOUNTS, json!({"metadata": {"name": "sa"}})),
        ];
        for (resource, object) in objects {
            let once = defaulted(resource, object);
            let twice = defaulted(resource, once.clone());
            assert_eq!(once, twice, "{}", resource.kind);
        }
    }
}
