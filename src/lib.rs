//! kube-sa: Kubernetes service-account automation, and an embedded API server to run it on.
//!
//! * [`admission`]: the ServiceAccount admission plugin and its webhook server;
//! * [`controllers`]: the token controller and the service-account controller;
//! * [`serviceaccount`]: signing keys, the JWT generator and the token authenticator;
//! * [`authn`]: the authentication chain and user info, shared by the API server and the
//!   token authenticator;
//! * [`clock`]: Kubernetes time, real or fake, shared by every component;
//! * [`leader_election`]: leader election over a Lease, for replicated controller-managers;
//! * [`metrics`]: Prometheus metrics under upstream's names; [`health`]: the probe and
//!   metrics listener of the three commands;
//! * [`serving`]: TLS and HTTP connection serving, shared by the API server and the webhook;
//! * [`apiserver`]: the embedded Kubernetes API server.
//!
//! Dependencies point one way: the API server depends on the components it hosts
//! (admission, controllers, serviceaccount), and all of them on the shared modules
//! (`authn`, `clock`, `serving`, `names`, `mode`, `metrics`, `health`); the components never reach into `apiserver`.

#![warn(missing_docs)]

pub mod admission;
pub mod apiserver;
pub mod authn;
pub mod clock;
pub mod controllers;
mod go_json;
mod go_json_strings;
mod go_json_syntax;
mod go_url;
pub mod health;
pub mod leader_election;
pub mod metrics;
pub mod mode;
pub mod names;
mod rate;
pub mod serviceaccount;
pub mod serving;

pub use mode::Mode;
