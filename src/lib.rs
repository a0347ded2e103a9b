//! kube-sa: Kubernetes service-account automation, and an embedded API server to run it on.
//!
//! * [`admission`]: the ServiceAccount admission plugin and its webhook server;
//! * [`controllers`]: the token controller and the service-account controller;
//! * [`serviceaccount`]: signing keys, the JWT generator and the token authenticator;
//! * [`apiserver`]: the embedded Kubernetes API server.

pub mod admission;
pub mod apiserver;
pub mod controllers;
pub mod mode;
pub mod names;
pub mod serviceaccount;

pub use mode::Mode;
