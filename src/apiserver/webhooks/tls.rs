//! Verification of a webhook's serving certificate as Go's `crypto/x509` does it for
//! kube-apiserver (`Certificate.Verify` in `src/crypto/x509/verify.go`, called by
//! `crypto/tls`'s client handshake): the validity period first, then the host name, then
//! the chain, where a certificate that is itself in the `caBundle` is a chain of its own
//! (`if opts.Roots.contains(c) { candidateChains = [][]*Certificate{{c}} }`), then the
//! extended key usage. webpki builds the other chains. Failures read as Go words them.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme};
use std::net::IpAddr;
use std::sync::Arc;
use x509_cert::der::oid::db::rfc5280::{ANY_EXTENDED_KEY_USAGE, ID_KP_SERVER_AUTH};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};

/// A failure of `crypto/x509`'s `Certificate.Verify`, in its words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    /// `CertificateInvalidError{Reason: Expired}` for a certificate not yet valid.
    #[error("x509: certificate has expired or is not yet valid: current time {now} is before {not_before}")]
    NotYetValid {
        /// The verification time, RFC 3339.
        now: String,
        /// The certificate's `notBefore`, RFC 3339.
        not_before: String,
    },
    /// `CertificateInvalidError{Reason: Expired}` for an expired certificate.
    #[error("x509: certificate has expired or is not yet valid: current time {now} is after {not_after}")]
    Expired {
        /// The verification time, RFC 3339.
        now: String,
        /// The certificate's `notAfter`, RFC 3339.
        not_after: String,
    },
    /// `HostnameError` where the certificate names other hosts.
    #[error("x509: certificate is valid for {valid}, not {host}")]
    NotValidFor {
        /// The certificate's names of the host's kind (IP addresses or DNS names).
        valid: String,
        /// The host the client dialled.
        host: String,
    },
    /// `HostnameError` for an IP address and a certificate without IP SANs.
    #[error("x509: cannot validate certificate for {0} because it doesn't contain any IP SANs")]
    NoIpSans(String),
    /// `HostnameError` for a certificate without names of the host's kind.
    #[error("x509: certificate is not valid for any names, but wanted to match {0}")]
    NoNames(String),
    /// `HostnameError` for a certificate naming the host only in its subject's CN.
    #[error("x509: certificate relies on legacy Common Name field, use SANs instead")]
    LegacyCommonName,
    /// `UnknownAuthorityError`: no chain to a certificate of the `caBundle`.
    #[error("x509: certificate signed by unknown authority")]
    UnknownAuthority,
    /// `CertificateInvalidError{Reason: IncompatibleUsage}`: no `serverAuth` usage.
    #[error("x509: certificate specifies an incompatible key usage")]
    IncompatibleUsage,
    /// `UnhandledCriticalExtension`.
    #[error("x509: unhandled critical extension")]
    UnhandledCriticalExtension,
    /// A CA certificate served as a leaf but not itself in the `caBundle`: Go would build
    /// a chain from it, webpki refuses to (so no Go text exists for this).
    #[error("x509: certificate is a CA certificate, which webhooks may serve only when the caBundle holds that same certificate")]
    CaAsLeaf,
    /// A certificate neither parser can read.
    #[error("x509: malformed certificate")]
    Malformed,
    /// Any other refusal of the chain, with webpki's reason.
    #[error("x509: {0}")]
    Other(String),
}

/// How `crypto/tls` reports a verification failure.
#[derive(Debug, thiserror::Error)]
#[error("tls: failed to verify certificate: {0}")]
pub struct VerificationError(pub X509Error);

impl From<X509Error> for Error {
    fn from(error: X509Error) -> Self {
        Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
            VerificationError(error),
        ))))
    }
}

/// Verifies webhook serving certificates against a `caBundle` as Go does.
#[derive(Debug)]
pub struct BundleVerifier {
    roots: rustls::RootCertStore,
    /// The `caBundle`'s certificates as sent, for the chain of one.
    bundle: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl BundleVerifier {
    /// A verifier trusting `roots`, of which `bundle` (the certificates of the
    /// `caBundle`; empty for the system's roots) is also trusted as a leaf.
    pub fn new(
        roots: rustls::RootCertStore,
        bundle: Vec<CertificateDer<'static>>,
        provider: &rustls::crypto::CryptoProvider,
    ) -> Self {
        Self {
            roots,
            bundle,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// Go's checks in Go's order; `Err` carries Go's text.
    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), X509Error> {
        let facts = Facts::parse(end_entity)?;
        // webpki refuses unknown critical extensions when it parses; Go in `isValid`.
        let parsed = ParsedCertificate::try_from(end_entity).map_err(|e| match e {
            Error::InvalidCertificate(CertificateError::BadEncoding) => X509Error::Malformed,
            _ => X509Error::UnhandledCriticalExtension,
        })?;
        facts.check_validity(now)?;
        if verify_server_name(&parsed, server_name).is_err() {
            return Err(facts.hostname_error(server_name));
        }
        if self
            .bundle
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return facts.check_server_usage();
        }
        if facts.is_ca {
            // A self-signed CA outside the bundle has no chain in Go either.
            return Err(if facts.self_issued {
                X509Error::UnknownAuthority
            } else {
                X509Error::CaAsLeaf
            });
        }
        verify_server_cert_signed_by_trust_anchor(
            &parsed,
            &self.roots,
            intermediates,
            now,
            self.algorithms.all,
        )
        .map_err(|e| chain_error(&e))
    }
}

impl ServerCertVerifier for BundleVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.verify(end_entity, intermediates, server_name, now)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Go's text for webpki's refusal of a chain.
fn chain_error(error: &Error) -> X509Error {
    match error {
        // Go names a trusted issuer whose signature does not verify an unknown authority.
        Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => X509Error::UnknownAuthority,
        Error::InvalidCertificate(
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. },
        ) => X509Error::IncompatibleUsage,
        Error::InvalidCertificate(CertificateError::ExpiredContext { time, not_after }) => {
            X509Error::Expired {
                now: rfc3339(time.as_secs()),
                not_after: rfc3339(not_after.as_secs()),
            }
        }
        Error::InvalidCertificate(CertificateError::NotValidYetContext { time, not_before }) => {
            X509Error::NotYetValid {
                now: rfc3339(time.as_secs()),
                not_before: rfc3339(not_before.as_secs()),
            }
        }
        Error::InvalidCertificate(CertificateError::BadEncoding) => X509Error::Malformed,
        other => X509Error::Other(other.to_string()),
    }
}

/// Go's `time.RFC3339` of a UTC instant.
fn rfc3339(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(
            || seconds.to_string(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

/// What Go's checks read of the end-entity certificate.
struct Facts {
    not_before: u64,
    not_after: u64,
    has_san: bool,
    dns_names: Vec<String>,
    ip_addresses: Vec<IpAddr>,
    common_name: Option<String>,
    /// The extended key usages; `None` when the extension is absent (any usage).
    ext_key_usage: Option<Vec<ObjectIdentifier>>,
    is_ca: bool,
    self_issued: bool,
}

impl Facts {
    fn parse(der: &CertificateDer<'_>) -> Result<Self, X509Error> {
        let cert = x509_cert::Certificate::from_der(der).map_err(|_| X509Error::Malformed)?;
        let tbs = cert.tbs_certificate();
        let validity = tbs.validity();
        let san = tbs
            .get_extension::<SubjectAltName>()
            .map_err(|_| X509Error::Malformed)?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        for name in san.iter().flat_map(|(_, san)| san.0.iter()) {
            match name {
                GeneralName::DnsName(dns) => dns_names.push(dns.to_string()),
                GeneralName::IpAddress(ip) => {
                    let octets = ip.as_bytes();
                    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
                        ip_addresses.push(IpAddr::from(v4));
                    } else if let Ok(v6) = <[u8; 16]>::try_from(octets) {
                        ip_addresses.push(IpAddr::from(v6));
                    }
                }
                _ => {}
            }
        }
        let ext_key_usage = tbs
            .get_extension::<ExtendedKeyUsage>()
            .map_err(|_| X509Error::Malformed)?
            .map(|(_, usage)| usage.0);
        let is_ca = tbs
            .get_extension::<BasicConstraints>()
            .map_err(|_| X509Error::Malformed)?
            .is_some_and(|(_, constraints)| constraints.ca);
        let common_name = tbs
            .subject()
            .common_name()
            .ok()
            .flatten()
            .map(|cn| cn.value().into_owned());
        Ok(Self {
            not_before: validity.not_before.to_unix_duration().as_secs(),
            not_after: validity.not_after.to_unix_duration().as_secs(),
            has_san: san.is_some(),
            dns_names,
            ip_addresses,
            common_name,
            ext_key_usage,
            is_ca,
            self_issued: tbs.issuer() == tbs.subject(),
        })
    }

    /// `isValid`'s period check.
    fn check_validity(&self, now: UnixTime) -> Result<(), X509Error> {
        let now = now.as_secs();
        if now < self.not_before {
            return Err(X509Error::NotYetValid {
                now: rfc3339(now),
                not_before: rfc3339(self.not_before),
            });
        }
        if now > self.not_after {
            return Err(X509Error::Expired {
                now: rfc3339(now),
                not_after: rfc3339(self.not_after),
            });
        }
        Ok(())
    }

    /// `checkChainForKeyUsage` on a chain of this certificate alone: no extension, or
    /// one naming `serverAuth` or any usage.
    fn check_server_usage(&self) -> Result<(), X509Error> {
        match &self.ext_key_usage {
            Some(usages)
                if !usages
                    .iter()
                    .any(|u| *u == ID_KP_SERVER_AUTH || *u == ANY_EXTENDED_KEY_USAGE) =>
            {
                Err(X509Error::IncompatibleUsage)
            }
            _ => Ok(()),
        }
    }

    /// `HostnameError.Error()` for a certificate that does not name `host`.
    fn hostname_error(&self, host: &ServerName<'_>) -> X509Error {
        let host_text = host.to_str().into_owned();
        if !self.has_san
            && self
                .common_name
                .as_deref()
                .is_some_and(|cn| cn.eq_ignore_ascii_case(&host_text))
        {
            return X509Error::LegacyCommonName;
        }
        let valid = if matches!(host, ServerName::IpAddress(_)) {
            if self.ip_addresses.is_empty() {
                return X509Error::NoIpSans(host_text);
            }
            let ips: Vec<String> = self.ip_addresses.iter().map(IpAddr::to_string).collect();
            ips.join(", ")
        } else {
            self.dns_names.join(", ")
        };
        if valid.is_empty() {
            return X509Error::NoNames(host_text);
        }
        X509Error::NotValidFor {
            valid,
            host: host_text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints as Constraints, CertificateParams, IsCa, KeyPair};

    fn provider() -> rustls::crypto::CryptoProvider {
        rustls::crypto::aws_lc_rs::default_provider()
    }

    /// A verifier whose `caBundle` is `certs`.
    fn trusting(certs: &[&CertificateDer<'static>]) -> BundleVerifier {
        let mut roots = rustls::RootCertStore::empty();
        for cert in certs {
            roots.add((*cert).clone()).expect("a usable root");
        }
        let bundle = certs.iter().map(|c| (*c).clone()).collect();
        BundleVerifier::new(roots, bundle, &provider())
    }

    fn params(names: &[&str], ca: bool) -> CertificateParams {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("params");
        if ca {
            params.is_ca = IsCa::Ca(Constraints::Unconstrained);
        }
        params
    }

    fn self_signed(names: &[&str], ca: bool) -> CertificateDer<'static> {
        let key = KeyPair::generate().expect("key");
        params(names, ca)
            .self_signed(&key)
            .expect("cert")
            .der()
            .clone()
    }

    /// A CA and a leaf for `names` it signed.
    fn ca_and_leaf(names: &[&str]) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let ca_key = KeyPair::generate().expect("key");
        let ca_params = params(&["hooks-ca"], true);
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = params(names, false)
            .signed_by(&leaf_key, &issuer)
            .expect("leaf");
        (ca.der().clone(), leaf.der().clone())
    }

    fn name(host: &str) -> ServerName<'static> {
        ServerName::try_from(host.to_string()).expect("server name")
    }

    fn check(
        verifier: &BundleVerifier,
        cert: &CertificateDer<'_>,
        host: &str,
    ) -> Result<(), X509Error> {
        verifier.verify(cert, &[], &name(host), UnixTime::now())
    }

    #[test]
    fn a_self_signed_ca_in_the_bundle_is_trusted_as_the_serving_certificate() {
        let cert = self_signed(&["127.0.0.1"], true);
        assert_eq!(check(&trusting(&[&cert]), &cert, "127.0.0.1"), Ok(()));
    }

    #[test]
    fn a_ca_signed_leaf_that_is_its_own_bundle_is_trusted() {
        let (ca, leaf) = ca_and_leaf(&["hook.hooks.svc"]);
        assert_eq!(check(&trusting(&[&leaf]), &leaf, "hook.hooks.svc"), Ok(()));
        // The ordinary chain still verifies, through webpki.
        assert_eq!(check(&trusting(&[&ca]), &leaf, "hook.hooks.svc"), Ok(()));
    }

    #[test]
    fn a_bundled_certificate_for_another_host_is_refused_as_go_words_it() {
        let cert = self_signed(&["127.0.0.1", "hook.example.com"], true);
        let verifier = trusting(&[&cert]);
        assert_eq!(
            check(&verifier, &cert, "127.0.0.2").map_err(|e| e.to_string()),
            Err("x509: certificate is valid for 127.0.0.1, not 127.0.0.2".to_string())
        );
        assert_eq!(
            check(&verifier, &cert, "other.example.com").map_err(|e| e.to_string()),
            Err(
                "x509: certificate is valid for hook.example.com, not other.example.com"
                    .to_string()
            )
        );
        let names_only = self_signed(&["hook.example.com"], false);
        assert_eq!(
            check(&trusting(&[&names_only]), &names_only, "10.0.0.1").map_err(|e| e.to_string()),
            Err("x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs".to_string())
        );
    }

    #[test]
    fn an_unrelated_certificate_is_signed_by_an_unknown_authority() {
        let trusted = self_signed(&["127.0.0.1"], true);
        let verifier = trusting(&[&trusted]);
        for served in [
            self_signed(&["127.0.0.1"], true),
            self_signed(&["127.0.0.1"], false),
            ca_and_leaf(&["127.0.0.1"]).1,
        ] {
            assert_eq!(
                check(&verifier, &served, "127.0.0.1"),
                Err(X509Error::UnknownAuthority)
            );
        }
    }

    #[test]
    fn the_validity_period_binds_a_bundled_certificate_too() {
        let key = KeyPair::generate().expect("key");
        let mut expired = params(&["127.0.0.1"], true);
        expired.not_before = rcgen::date_time_ymd(2020, 1, 1);
        expired.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let cert = expired.self_signed(&key).expect("cert").der().clone();
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000));
        let refused = trusting(&[&cert])
            .verify(&cert, &[], &name("127.0.0.1"), now)
            .map_err(|e| VerificationError(e).to_string());
        assert_eq!(
            refused,
            Err("tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2023-11-14T22:13:20Z is after 2021-01-01T00:00:00Z".to_string())
        );
    }

    #[test]
    fn a_bundled_certificate_for_client_auth_only_is_refused() {
        let key = KeyPair::generate().expect("key");
        let mut client_only = params(&["127.0.0.1"], false);
        client_only.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = client_only.self_signed(&key).expect("cert").der().clone();
        assert_eq!(
            check(&trusting(&[&cert]), &cert, "127.0.0.1"),
            Err(X509Error::IncompatibleUsage)
        );
    }
}
