//! The cluster CA generated at start, and the serving certificate it signs.

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
        let ca_key = KeyPair::generate()?;
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
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

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
            ca_pem: ca_cert.pem(),
        })
    }
}
