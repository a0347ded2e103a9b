//! The process's one rustls crypto provider, and server configurations built on it.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// The one crypto provider of the whole process (aws-lc-rs).
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Installs aws-lc-rs as the process-wide rustls provider, so clients built without an
/// explicit provider (kube's) find it. Safe to call more than once.
pub fn install_default_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// A TLS server configuration offering HTTP/2 and HTTP/1.1 (ALPN), on the process's
/// provider, serving `chain` (leaf first, DER) with `key`.
///
/// # Errors
///
/// A [`rustls::Error`] if the key does not match the certificate or is unsupported.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
