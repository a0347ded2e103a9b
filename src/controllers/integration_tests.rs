//! Integration tests against the embedded API server.
