//! The embedded cluster against real clients: kube-rs in-process, and kubectl binaries
//! against `kube-sa serve`.

mod kube_client;
mod kubectl;
mod malformed;
mod serve;
mod service_accounts;
mod support;
mod test_webhook;
mod webhooks;
