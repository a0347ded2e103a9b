//! The cluster CA (generated at start, or kept in the data directory), and the serving
//! certificate it signs.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

use crate::serving::server_config;

/// Why the cluster certificates could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen failed to generate a key or sign a certificate.
    #[error("generating the cluster certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the generated certificate and key.
    #[error("configuring TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The CA (its PEM goes into kubeconfigs and token secrets) and the server's TLS config.
pub struct ClusterTls {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The serving certificate and key, offering HTTP/2 and HTTP/1.1.
    pub server_config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for ClusterTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTls").finish_non_exhaustive()
    }
}

impl ClusterTls {
    /// A fresh CA and a serving certificate for `hosts` (IP addresses or DNS names)
    /// plus `localhost`, `127.0.0.1` and `::1`. ECDSA P-256 keys, because they are
    /// generated in microseconds.
    pub fn generate(hosts: &[String]) -> Result<Self, TlsError> {
        let ca = ClusterCa::generate()?;
        Self::signed_by(&ca, hosts)
    }

    /// A fresh serving certificate for `hosts` (as [`ClusterTls::generate`]) signed by a
    /// CA kept from an earlier start (`serve --data-dir`), so that old kubeconfigs still
    /// trust the server.
    pub fn signed_by(ca: &ClusterCa, hosts: &[String]) -> Result<Self, TlsError> {
        let ca_key = KeyPair::from_pem(&ca.key_pem)?;
        let issuer = rcgen::Issuer::new(ca_params()?, ca_key);
        let mut sans: Vec<String> = vec![
            "localhost".into(),
            "127.0.0.1".into(),
            "::1".into(),
            "kubernetes".into(),
            "kubernetes.default".into(),
            "kubernetes.default.svc".into(),
        ];
        for host in hosts {
            if !host.is_empty() && !sans.contains(host) {
                sans.push(host.clone());
            }
        }
        let server_key = KeyPair::generate()?;
        let mut server_params = CertificateParams::new(sans)?;
        let mut server_name = DistinguishedName::new();
        server_name.push(DnType::CommonName, "kube-apiserver");
        server_params.distinguished_name = server_name;
        server_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server_params.signed_by(&server_key, &issuer)?;

        let chain = vec![CertificateDer::from(server_cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        Ok(Self {
            server_config: server_config(chain, key)?,
            ca_pem: ca.cert_pem.clone(),
        })
    }
}

/// The cluster CA: its certificate and private key (PKCS#8), PEM.
#[derive(Clone)]
pub struct ClusterCa {
    /// The self-signed CA certificate.
    pub cert_pem: String,
    /// Its ECDSA P-256 private key, PKCS#8.
    pub key_pem: String,
}

impl std::fmt::Debug for ClusterCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCa").finish_non_exhaustive()
    }
}

impl ClusterCa {
    /// A new self-signed CA (`CN=kube-sa-ca`) with an ECDSA P-256 key.
    pub fn generate() -> Result<Self, TlsError> {
        let key = KeyPair::generate()?;
        let cert = ca_params()?.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
    /// The certificate of a kept CA key whose certificate was lost (a crash between
    /// writing the two files).
    pub fn from_key(key_pem: &str) -> Result<Self, TlsError> {
        let key = KeyPair::from_pem(key_pem)?;
        let cert = ca_params()?.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            key_pem: key_pem.to_string(),
        })
    }
}

/// The CA's subject and usages: the same at every start, so that a certificate signed with
/// a kept key names the kept certificate as its issuer.
fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut ca_name = DistinguishedName::new();
    ca_name.push(DnType::CommonName, "kube-sa-ca");
    ca_params.distinguished_name = ca_name;
    Ok(ca_params)
}
