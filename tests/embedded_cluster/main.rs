//! The embedded cluster against real clients: kube-rs in-process, and kubectl binaries
//! against `kube-sa serve`.

mod access_reviews;
mod admission_policies;
mod anonymous;
mod bound_admission;
mod bound_controllers;
mod bound_tokens;
mod certificate_approval;
mod chaos;
mod clock_and_discovery;
mod deploy_manifests;
mod durable;
mod durable_kill;
mod encryption;
mod faults;
mod field_managers;
mod kube_client;
mod kubectl;
mod kubectl_kinds;
mod kubectl_protobuf;
mod kubectl_workloads;
mod leader_election;
mod limits;
mod list_consistency;
mod malformed;
mod metrics;
mod namespace_finalizers;
mod pod_warnings;
mod rbac;
mod serve;
mod serve_flags;
mod service_accounts;
mod subresource_admission;
mod support;
mod test_webhook;
mod webhooks;
