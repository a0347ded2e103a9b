//! ServiceAccount admission: the plugin (a pure function over a pod, plus an async wrapper
//! that looks the account up) and the MutatingAdmissionWebhook request handler.

pub mod bound;
pub mod client_lookup;
pub mod serviceaccount;
pub mod webhook;
pub mod webhook_server;

pub use serviceaccount::{
    admit, admit_pod, is_service_account_token, AccountLookup, Config, Denial, LookupError,
    Operation,
};
