//! Tests of the protobuf decoder, with a tiny protobuf writer to build bodies.

mod cluster_kinds;
mod errors;
mod fields;
mod kubectl;
mod schema;
mod workloads;

use super::*;
use crate::apiserver::kinds::builtin::{
    CRON_JOBS, DEPLOYMENTS, INGRESSES, JOBS, POD_DISRUPTION_BUDGETS, PRIORITY_CLASSES,
};
use crate::apiserver::kinds::{
    CONFIG_MAPS, NAMESPACES, PODS, SECRETS, SELF_SUBJECT_REVIEWS, SERVICE_ACCOUNTS,
};
use serde_json::json;

/// A tiny protobuf writer, shaped after what gogo-protobuf emits.
#[derive(Default, Clone)]
struct Pb(Vec<u8>);

impl Pb {
    fn new() -> Self {
        Self::default()
    }
    fn raw_varint(mut self, mut v: u64) -> Self {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
        self
    }
    fn key(self, field: u32, wire: u8) -> Self {
        self.raw_varint((u64::from(field) << 3) | u64::from(wire))
    }
    fn int(self, field: u32, v: i64) -> Self {
        self.key(field, 0).raw_varint(v as u64)
    }
    fn bool(self, field: u32, b: bool) -> Self {
        self.int(field, i64::from(b))
    }
    fn bytes(self, field: u32, data: &[u8]) -> Self {
        let mut out = self.key(field, 2).raw_varint(data.len() as u64);
        out.0.extend_from_slice(data);
        out
    }
    fn str(self, field: u32, s: &str) -> Self {
        self.bytes(field, s.as_bytes())
    }
    fn msg(self, field: u32, m: Pb) -> Self {
        self.bytes(field, &m.0)
    }
    fn entry(self, field: u32, k: &str, v: &str) -> Self {
        self.msg(field, Pb::new().str(1, k).str(2, v))
    }
    fn quantity_entry(self, field: u32, k: &str, q: &str) -> Self {
        self.msg(field, Pb::new().str(1, k).msg(2, quantity(q)))
    }
}

fn quantity(q: &str) -> Pb {
    Pb::new().str(1, q)
}

/// `k8s\0` + runtime.Unknown, with the empty contentEncoding/contentType kubectl writes.
fn envelope(api_version: &str, kind: &str, raw: Pb) -> Vec<u8> {
    let unknown = Pb::new()
        .msg(1, Pb::new().str(1, api_version).str(2, kind))
        .msg(2, raw)
        .str(3, "")
        .str(4, "");
    [MAGIC.as_slice(), &unknown.0].concat()
}

/// ObjectMeta as gogo writes it: every non-pointer field, zero or not.
fn object_meta(name: &str) -> Pb {
    Pb::new()
        .str(1, name)
        .str(2, "")
        .str(3, "")
        .str(4, "")
        .str(5, "")
        .str(6, "")
        .int(7, 0)
        .msg(8, Pb::new())
}

/// Container as gogo writes it, before the test's own fields.
fn container(name: &str, image: &str) -> Pb {
    Pb::new().str(1, name).str(2, image)
}

/// The zero-valued non-pointer Container fields gogo always appends.
fn container_zeros(c: Pb) -> Pb {
    c.str(13, "")
        .str(14, "")
        .bool(16, false)
        .bool(17, false)
        .bool(18, false)
        .str(20, "")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn error_of(body: &[u8], resource: &ResourceInfo) -> ApiError {
    decode_object(body, resource).expect_err("decoding should fail")
}
