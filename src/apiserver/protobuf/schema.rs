//! Upstream's message descriptors, and which of their fields are required.

use std::collections::HashSet;
use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};

use super::go_facts::{field_key, OMITTED_ZEROS, POINTER_STRINGS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::kinds::ResourceInfo;

/// The descriptor set of upstream's messages (see `proto/generate.sh`).
static DESCRIPTOR_SET: &[u8] = include_bytes!("../kubernetes.binpb");

/// The descriptor pool, and the fields upstream marks required (no `+optional`).
pub(super) struct Schema {
    pub(super) pool: DescriptorPool,
    /// Full names (`k8s.io.api.core.v1.Container.name`) of fields without `+optional`.
    pub(super) required: HashSet<String>,
}

impl Schema {
    /// The schema built from the embedded descriptor set, once.
    pub(super) fn get() -> Result<&'static Schema, ApiError> {
        static SCHEMA: OnceLock<Result<Schema, String>> = OnceLock::new();
        SCHEMA
            .get_or_init(Schema::load)
            .as_ref()
            .map_err(|e| ApiError::internal(format!("protobuf descriptor set: {e}")))
    }

    fn load() -> Result<Schema, String> {
        let pool = DescriptorPool::decode(DESCRIPTOR_SET).map_err(|e| e.to_string())?;
        let mut required = HashSet::new();
        for file in pool.files() {
            let proto = file.file_descriptor_proto();
            let Some(info) = &proto.source_code_info else {
                continue;
            };
            // Paths [4, message, 2, field] locate a top-level message's field.
            for location in &info.location {
                let [4, message, 2, field] = location.path[..] else {
                    continue;
                };
                let marked_optional = location
                    .leading_comments
                    .as_deref()
                    .is_some_and(|c| c.contains("+optional"));
                if marked_optional {
                    continue;
                }
                let message = usize::try_from(message)
                    .ok()
                    .and_then(|i| proto.message_type.get(i));
                let field =
                    message.and_then(|m| usize::try_from(field).ok().and_then(|i| m.field.get(i)));
                if let (Some(message), Some(field)) = (message, field) {
                    required.insert(format!(
                        "{}.{}.{}",
                        proto.package(),
                        message.name(),
                        field.name()
                    ));
                }
            }
        }
        Ok(Schema { pool, required })
    }

    /// The message of a kind: `k8s.io.api.<group>.<version>.<Kind>`, the group's first label
    /// (`core` for the core group).
    pub(super) fn object_message(&self, resource: &ResourceInfo) -> Option<MessageDescriptor> {
        let group = resource.group.split('.').next().unwrap_or_default();
        let group = if group.is_empty() { "core" } else { group };
        self.pool.get_message_by_name(&format!(
            "k8s.io.api.{group}.{}.{}",
            resource.version, resource.kind
        ))
    }

    /// Whether a present zero scalar prints (Go pointer or no `omitempty`) or is omitted.
    pub(super) fn keeps_zero(&self, field: &FieldDescriptor) -> bool {
        let key = field_key(field);
        if OMITTED_ZEROS.contains(&key.as_str()) {
            return false;
        }
        if self.required.contains(field.full_name()) {
            return true;
        }
        match field.kind() {
            Kind::String | Kind::Bytes => POINTER_STRINGS.contains(&key.as_str()),
            _ => true,
        }
    }
}
