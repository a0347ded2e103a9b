//! Signing keys, the JWT generator and the token authenticator.
