//! OIDC discovery documents of the service-account issuer, rendered once at start:
//! upstream's pkg/serviceaccount/openidmetadata.go (`NewOpenIDMetadataProvider`,
//! `openIDConfigJSON`, `openIDKeysetJSON`) and go-jose's JWK encoding (spec-modern §7).
//!
//! The bytes are upstream's exactly: members in Go's struct order, no spaces, `<`, `>`
//! and `&` escaped as Go's `encoding/json` escapes them.

use serde::Serialize;

use super::keys::{EcCurve, JwtAlgorithm, KeyKind, PublicKey};
use crate::go_json::go_json;

/// Path of the discovery document.
pub const CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";
/// Path of the key set.
pub const KEYS_PATH: &str = "/openid/v1/jwks";
/// `Cache-Control: public, max-age=<this>` of both documents, in seconds (file keys).
pub const MAX_AGE_SECONDS: u32 = 3600;

/// Why the discovery documents could not be built; the texts are upstream's. The API
/// server then serves neither path (404) and logs the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// No issuer.
    #[error("empty issuer URL")]
    EmptyIssuer,
    /// Neither `--service-account-jwks-uri` nor an external address.
    #[error("either the JWKS URI or the default external address, or both, must be set")]
    NoJwksUri,
    /// The issuer does not parse as a URL (Go's `*url.Error` text).
    #[error("{0}")]
    InvalidUrl(String),
    /// The issuer is not `https`.
    #[error("issuer URL must use https scheme, got: {0}")]
    IssuerScheme(String),
    /// The issuer has a query.
    #[error("issuer URL may not include a query, got: {0}")]
    IssuerQuery(String),
    /// The issuer has a fragment.
    #[error("issuer URL may not include a fragment, got: {0}")]
    IssuerFragment(String),
    /// `--service-account-jwks-uri` is not `https`.
    #[error("jwksURI requires https scheme, parsed as: {0}")]
    JwksUriScheme(String),
    /// `https://<external address>/openid/v1/jwks` does not read back as built.
    #[error("attempted to build jwks_uri from external address {address}, but could not construct a valid URL. Error: {reason}")]
    ExternalAddress {
        /// The external address (`host:port`).
        address: String,
        /// Why the URL built from it is not valid.
        reason: String,
    },
    /// No verification key.
    #[error("no keys provided for validating keyset")]
    NoKeys,
}

/// The two pre-rendered documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIdMetadata {
    /// `GET /.well-known/openid-configuration` body (`application/json`).
    pub configuration: Vec<u8>,
    /// `GET /openid/v1/jwks` body (`application/jwk-set+json`).
    pub keyset: Vec<u8>,
}

#[derive(Serialize)]
struct Configuration<'a> {
    issuer: &'a str,
    jwks_uri: &'a str,
    response_types_supported: [&'a str; 1],
    subject_types_supported: [&'a str; 1],
    id_token_signing_alg_values_supported: Vec<&'a str>,
}

/// go-jose's raw JWK member order.
#[derive(Serialize)]
struct Jwk<'a> {
    #[serde(rename = "use")]
    use_: &'a str,
    kty: &'a str,
    kid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    crv: Option<&'a str>,
    alg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<String>,
}

#[derive(Serialize)]
struct KeySet<'a> {
    keys: Vec<Jwk<'a>>,
}

impl OpenIdMetadata {
    /// Builds both documents from the first issuer, `--service-account-jwks-uri` (empty:
    /// `https://<external_address>/openid/v1/jwks`), and the verification keys in
    /// configuration order, with upstream's checks in upstream's order.
    pub fn new(
        issuer: &str,
        jwks_uri: &str,
        external_address: &str,
        keys: &[PublicKey],
    ) -> Result<Self, MetadataError> {
        if issuer.is_empty() {
            return Err(MetadataError::EmptyIssuer);
        }
        if jwks_uri.is_empty() && external_address.is_empty() {
            return Err(MetadataError::NoJwksUri);
        }
        crate::go_url::check(issuer).map_err(MetadataError::InvalidUrl)?;
        let parts = UrlParts::of(issuer);
        if !parts.scheme.eq_ignore_ascii_case("https") {
            return Err(MetadataError::IssuerScheme(issuer.to_string()));
        }
        if parts.query.is_some_and(|q| !q.is_empty()) {
            return Err(MetadataError::IssuerQuery(issuer.to_string()));
        }
        if parts.fragment.is_some_and(|f| !f.is_empty()) {
            return Err(MetadataError::IssuerFragment(issuer.to_string()));
        }
        let jwks_uri = if jwks_uri.is_empty() {
            let built = format!("https://{external_address}{KEYS_PATH}");
            let parsed = UrlParts::of(&built);
            // The address is meant to be `host[:port]`; anything that makes the URL read
            // back differently (a scheme, a path) is refused.
            if parsed.authority != Some(external_address) || parsed.path != KEYS_PATH {
                return Err(MetadataError::ExternalAddress {
                    address: external_address.to_string(),
                    reason: match crate::go_url::check(&built) {
                        Err(reason) => reason,
                        Ok(()) => {
                            format!("got {built}, expected https://{external_address}{KEYS_PATH}")
                        }
                    },
                });
            }
            built
        } else {
            crate::go_url::check(jwks_uri).map_err(MetadataError::InvalidUrl)?;
            if !UrlParts::of(jwks_uri).scheme.eq_ignore_ascii_case("https") {
                return Err(MetadataError::JwksUriScheme(jwks_uri.to_string()));
            }
            jwks_uri.to_string()
        };
        if keys.is_empty() {
            return Err(MetadataError::NoKeys);
        }
        let jwks: Vec<Jwk<'_>> = keys.iter().map(jwk).collect();
        let mut algorithms: Vec<&str> = jwks.iter().map(|k| k.alg).collect();
        algorithms.sort_unstable();
        algorithms.dedup();
        let configuration = Configuration {
            issuer,
            jwks_uri: &jwks_uri,
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: algorithms,
        };
        Ok(Self {
            configuration: go_json(&configuration).into_bytes(),
            keyset: go_json(&KeySet { keys: jwks }).into_bytes(),
        })
    }
}

/// The public half of `key` as go-jose writes it, `use: sig`.
fn jwk(key: &PublicKey) -> Jwk<'_> {
    let mut out = Jwk {
        use_: "sig",
        kty: "RSA",
        kid: key.key_id(),
        crv: None,
        alg: JwtAlgorithm::Rs256.as_str(),
        n: None,
        e: None,
        x: None,
        y: None,
    };
    match key.kind() {
        KeyKind::Rsa => {
            if let Some((n, e)) = rsa_components(key.to_pkix_der()) {
                out.n = Some(base64url(strip_leading_zeros(&n)));
                out.e = Some(base64url(strip_leading_zeros(&e)));
            }
        }
        KeyKind::Ecdsa(curve) => {
            out.kty = "EC";
            out.crv = Some(curve_name(curve));
            out.alg = curve.jwt_algorithm().as_str();
            if let Some((x, y)) = ec_coordinates(key.to_pkix_der()) {
                out.x = Some(base64url(x));
                out.y = Some(base64url(y));
            }
        }
    }
    out
}

/// The modulus and public exponent (big-endian) of an RSA SubjectPublicKeyInfo.
fn rsa_components(spki_der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use der::Decode as _;
    let info = spki::SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    let key = pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(
        info.subject_public_key.as_bytes()?,
    )
    .ok()?;
    Some((
        key.modulus.as_bytes().to_vec(),
        key.public_exponent.as_bytes().to_vec(),
    ))
}

/// The affine coordinates of an ECDSA SubjectPublicKeyInfo's uncompressed point
/// (`04 || X || Y`), each the curve's size, as go-jose pads them.
fn ec_coordinates(spki_der: &[u8]) -> Option<(&[u8], &[u8])> {
    use der::Decode as _;
    let info = spki::SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    let point = info.subject_public_key.raw_bytes();
    let offset = spki_der.len().checked_sub(point.len())?;
    let point = spki_der.get(offset..)?;
    let coordinates = point.strip_prefix(&[0x04])?;
    if coordinates.len() % 2 != 0 {
        return None;
    }
    Some(coordinates.split_at(coordinates.len() / 2))
}

fn curve_name(curve: EcCurve) -> &'static str {
    match curve {
        EcCurve::P256 => "P-256",
        EcCurve::P384 => "P-384",
        EcCurve::P521 => "P-521",
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The parts of a URL that the checks read, split as Go's `url.Parse` splits them.
struct UrlParts<'a> {
    scheme: &'a str,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> UrlParts<'a> {
    fn of(raw: &'a str) -> Self {
        let (rest, fragment) = match raw.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (raw, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (scheme, rest) = match rest.split_once(':') {
            Some((scheme, rest))
                if scheme
                    .as_bytes()
                    .first()
                    .is_some_and(u8::is_ascii_alphabetic)
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
            {
                (scheme, rest)
            }
            _ => ("", rest),
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => match after.find('/') {
                Some(slash) => (Some(&after[..slash]), &after[slash..]),
                None => (Some(after), ""),
            },
            None => (None, rest),
        };
        Self {
            scheme,
            authority,
            path,
            query,
            fragment,
        }
    }
}

#[cfg(test)]
mod tests;
