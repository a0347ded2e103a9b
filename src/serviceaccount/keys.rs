//! Service-account signing and verification keys.
//!
//! * `--service-account-private-key-file`: one RSA (PKCS#1 or PKCS#8) or ECDSA P-256/384/521
//!   (SEC1 or PKCS#8) private key → [`SigningKey`].
//! * `--service-account-key-file` (repeatable): every usable key in every PEM block, from
//!   `PUBLIC KEY`, `RSA PUBLIC KEY`, `CERTIFICATE` or any private key block → [`PublicKey`]s.
//!
//! Keys are parsed once; signing and verification reuse the parsed aws-lc keys, because
//! re-parsing an RSA key costs as much as signing with it. The ASN.1 around the keys (which
//! format, which algorithm, which curve, how many bits) is read with the RustCrypto `der`
//! family of crates; crypto itself stays in aws-lc.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _, ParsedPublicKey, RsaKeyPair,
    VerificationAlgorithm,
};
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, UintRef};
use der::{Decode as _, Encode as _};
use pkcs1::{RsaPrivateKey, RsaPublicKey};
use pkcs8::PrivateKeyInfoRef;
use sec1::EcPrivateKey;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use x509_cert::Certificate;

/// The object identifiers the key formats are told apart by.
mod oid {
    use der::asn1::ObjectIdentifier;

    /// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017).
    pub(super) const RSA_ENCRYPTION: ObjectIdentifier = pkcs1::ALGORITHM_OID;
    /// id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480).
    pub(super) const EC_PUBLIC_KEY: ObjectIdentifier = sec1::ALGORITHM_OID;
    /// secp256r1 (P-256).
    pub(super) const SECP256R1: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    /// secp384r1 (P-384).
    pub(super) const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    /// secp521r1 (P-521).
    pub(super) const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
    /// id-Ed25519, 1.3.101.112 (RFC 8410).
    pub(super) const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
}

const PEM_PUBLIC_KEY: &str = "PUBLIC KEY";
const PEM_RSA_PUBLIC_KEY: &str = "RSA PUBLIC KEY";
const PEM_CERTIFICATE: &str = "CERTIFICATE";
const PEM_PRIVATE_KEY: &str = "PRIVATE KEY";

/// aws-lc signs and verifies RSA with moduli in this range only.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// A JWS signature algorithm this crate can sign or verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwtAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// ECDSA on P-521 with SHA-512.
    Es512,
}

impl JwtAlgorithm {
    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
        }
    }

    /// Parses an `alg` header value; `None` for anything but the six RSA/ECDSA algorithms.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "ES512" => Self::Es512,
            _ => return None,
        })
    }

    /// Whether this is one of the RS algorithms.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rs256 | Self::Rs384 | Self::Rs512)
    }
}

impl fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The NIST curves a service-account key may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
}

impl EcCurve {
    fn from_oid(curve_oid: ObjectIdentifier) -> Option<Self> {
        match curve_oid {
            oid::SECP256R1 => Some(Self::P256),
            oid::SECP384R1 => Some(Self::P384),
            oid::SECP521R1 => Some(Self::P521),
            _ => None,
        }
    }

    /// The named curve in an AlgorithmIdentifier's parameters.
    fn from_algorithm(algorithm: &AlgorithmIdentifierRef<'_>) -> Option<Self> {
        algorithm.parameters_oid().ok().and_then(Self::from_oid)
    }

    /// SEC1 keys may omit the curve; the private scalar's length still tells it.
    fn from_private_key_len(len: usize) -> Option<Self> {
        match len {
            32 => Some(Self::P256),
            48 => Some(Self::P384),
            66 => Some(Self::P521),
            _ => None,
        }
    }

    /// ES256 for P-256, ES384 for P-384, ES512 for P-521.
    pub fn jwt_algorithm(self) -> JwtAlgorithm {
        match self {
            Self::P256 => JwtAlgorithm::Es256,
            Self::P384 => JwtAlgorithm::Es384,
            Self::P521 => JwtAlgorithm::Es512,
        }
    }

    // JWS wants the fixed-length r||s signature form, not ASN.1.
    fn signing_algorithm(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Self::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            Self::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        }
    }

    fn verification_algorithm(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Self::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Self::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        }
    }
}

/// What kind of key a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// An RSA key (2048 to 8192 bits).
    Rsa,
    /// An ECDSA key on this curve.
    Ecdsa(EcCurve),
}

/// Why PEM data yielded no key. The texts of the first four follow upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    /// No PEM block held a usable private key; holds why each block was passed over.
    #[error("data does not contain a valid RSA or ECDSA private key{}", skipped_suffix(.0))]
    NoPrivateKey(Vec<String>),
    /// No PEM block held a usable public key; holds why each block was passed over.
    #[error("data does not contain a valid RSA or ECDSA key{}", skipped_suffix(.0))]
    NoPublicKey(Vec<String>),
    /// An ECDSA key on a curve other than P-256, P-384 or P-521.
    #[error("unknown private key curve, must be 256, 384, or 521")]
    UnknownCurve,
    /// A key of another algorithm (Ed25519, DSA...), named as Go would.
    #[error("unknown private key type {0}, must be *rsa.PrivateKey or *ecdsa.PrivateKey")]
    UnknownKeyType(&'static str),
    /// An RSA key outside 2048 to 8192 bits (the size aws-lc accepts).
    #[error("RSA keys must have 2048 to 8192 bits, this one has {0}")]
    UnsupportedRsaSize(usize),
    /// The DER structure is broken.
    #[error("{0}")]
    Malformed(String),
}

impl KeyParseError {
    /// A recognisable key of a kind we cannot use: reported at once, not skipped.
    fn is_unsupported_key(&self) -> bool {
        matches!(
            self,
            Self::UnknownCurve | Self::UnknownKeyType(_) | Self::UnsupportedRsaSize(_)
        )
    }
}

fn skipped_suffix(skipped: &[String]) -> String {
    if skipped.is_empty() {
        String::new()
    } else {
        format!(" ({})", skipped.join("; "))
    }
}

/// A key file could not be used, or a key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read.
    #[error("failed to read service account key file {path:?}: {source}")]
    Read {
        /// The file, as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file was read but holds no usable key.
    #[error("{path:?} contains no usable key: {reason}")]
    NoUsableKey {
        /// The file, as given.
        path: PathBuf,
        /// Why its PEM blocks were refused.
        #[source]
        reason: KeyParseError,
    },
    /// aws-lc could not generate a key (or the RSA size is not offered).
    #[error("failed to generate a service account signing key: {0}")]
    Generate(String),
    /// aws-lc could not encode the key as PKCS#8.
    #[error("failed to encode the service account signing key: {0}")]
    Encode(String),
}

/// Signing failed inside aws-lc (it does not say why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("failed to sign with the service account key")]
pub struct SignError;

/// Why a signature did not verify. Texts follow upstream's jwt-go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// An RSA algorithm against an ECDSA key or the reverse.
    #[error("invalid signing method")]
    KeyTypeMismatch,
    /// An RSA signature that does not verify.
    #[error("crypto/rsa: verification error")]
    InvalidRsaSignature,
    /// An ECDSA signature that does not verify (or has the wrong length).
    #[error("crypto/ecdsa: verification error")]
    InvalidEcdsaSignature,
}

/// A verification key, parsed once for every algorithm it may verify.
#[derive(Clone)]
pub struct PublicKey {
    kind: KeyKind,
    spki_der: Arc<[u8]>,
    key_id: Arc<str>,
    /// base64url of `{"alg":"<ALG>","kid":"<KID>"}`: see [`PublicKey::jws_header`].
    jws_header: Arc<str>,
    verifier: Verifier,
}

#[derive(Clone)]
enum Verifier {
    Rsa {
        rs256: ParsedPublicKey,
        rs384: ParsedPublicKey,
        rs512: ParsedPublicKey,
    },
    // Pinned to the curve's own algorithm.
    Ecdsa {
        curve: EcCurve,
        key: ParsedPublicKey,
    },
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

/// Upstream's `keyIDFromPublicKey`: base64url (unpadded) of SHA-256 over the PKIX DER.
fn key_id(spki_der: &[u8]) -> String {
    use base64::Engine as _;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki_der);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The JWS algorithm a key of `kind` signs with: RS256 for RSA, the curve's ES* for ECDSA.
fn algorithm_of(kind: KeyKind) -> JwtAlgorithm {
    match kind {
        KeyKind::Rsa => JwtAlgorithm::Rs256,
        KeyKind::Ecdsa(curve) => curve.jwt_algorithm(),
    }
}

/// The unpadded base64url of the JWS header `{"alg":"<ALG>","kid":"<KID>"}`.
fn jws_header(algorithm: JwtAlgorithm, key_id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!(r#"{{"alg":"{algorithm}","kid":"{key_id}"}}"#))
}

fn malformed(rejected: impl fmt::Display) -> KeyParseError {
    KeyParseError::Malformed(rejected.to_string())
}

impl PublicKey {
    /// The key with its derived names: the `kid` and the JWS header of its own tokens.
    fn assemble(kind: KeyKind, spki: &[u8], verifier: Verifier) -> Self {
        let key_id = key_id(spki);
        Self {
            kind,
            spki_der: spki.into(),
            jws_header: jws_header(algorithm_of(kind), &key_id).into(),
            key_id: key_id.into(),
            verifier,
        }
    }

    /// From a DER SubjectPublicKeyInfo (a PEM `PUBLIC KEY` block).
    pub fn from_pkix_der(spki: &[u8]) -> Result<Self, KeyParseError> {
        let info = SubjectPublicKeyInfoRef::from_der(spki)
            .map_err(|_| malformed("not a DER SubjectPublicKeyInfo"))?;
        // A key is a whole number of bytes: no unused bits.
        let key = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| malformed("not a DER SubjectPublicKeyInfo"))?;
        match info.algorithm.oid {
            oid::RSA_ENCRYPTION => {
                let bits = RsaPublicKey::<UintRef<'_>>::from_der(key)
                    .map(|rsa| uint_bits(rsa.modulus))
                    .map_err(|_| malformed("malformed RSA public key"))?;
                if !RSA_BITS.contains(&bits) {
                    return Err(KeyParseError::UnsupportedRsaSize(bits));
                }
                let parse = |algorithm: &'static dyn VerificationAlgorithm| {
                    ParsedPublicKey::new(algorithm, spki).map_err(malformed)
                };
                let verifier = Verifier::Rsa {
                    rs256: parse(&signature::RSA_PKCS1_2048_8192_SHA256)?,
                    rs384: parse(&signature::RSA_PKCS1_2048_8192_SHA384)?,
                    rs512: parse(&signature::RSA_PKCS1_2048_8192_SHA512)?,
                };
                Ok(Self::assemble(KeyKind::Rsa, spki, verifier))
            }
            oid::EC_PUBLIC_KEY => {
                let curve = EcCurve::from_algorithm(&info.algorithm)
                    .ok_or_else(|| malformed("ECDSA public key on an unsupported curve"))?;
                let parsed = ParsedPublicKey::new(curve.verification_algorithm(), spki)
                    .map_err(malformed)?;
                let verifier = Verifier::Ecdsa { curve, key: parsed };
                Ok(Self::assemble(KeyKind::Ecdsa(curve), spki, verifier))
            }
            _ => Err(malformed("neither an RSA nor an ECDSA public key")),
        }
    }

    /// From a DER PKCS#1 RSAPublicKey (a PEM `RSA PUBLIC KEY` block).
    pub fn from_pkcs1_der(pkcs1: &[u8]) -> Result<Self, KeyParseError> {
        let spki = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: oid::RSA_ENCRYPTION,
                parameters: Some(AnyRef::NULL),
            },
            subject_public_key: BitStringRef::from_bytes(pkcs1)
                .map_err(|_| malformed("malformed RSA public key"))?,
        }
        .to_der()
        .map_err(|_| malformed("malformed RSA public key"))?;
        Self::from_pkix_der(&spki)
    }

    /// From the SubjectPublicKeyInfo of a DER X.509 certificate.
    pub fn from_certificate_der(certificate: &[u8]) -> Result<Self, KeyParseError> {
        let spki = Certificate::from_der(certificate)
            .and_then(|cert| cert.tbs_certificate().subject_public_key_info().to_der())
            .map_err(|_| malformed("not a DER X.509 certificate"))?;
        Self::from_pkix_der(&spki)
    }

    /// RSA, or ECDSA with its curve.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The JWS `kid` of tokens this key verifies: unpadded base64url of SHA-256 over the
    /// PKIX DER, as upstream's `keyIDFromPublicKey` (pkg/serviceaccount/jwt.go) derives it
    /// (43 characters).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The JWS algorithm this key's own tokens carry: RS256 for RSA, the curve's ES* for
    /// ECDSA ([`SigningKey::algorithm`] of the private half).
    pub fn algorithm(&self) -> JwtAlgorithm {
        algorithm_of(self.kind)
    }

    /// The first part of a compact JWS signed with this key in the modern form: unpadded
    /// base64url of exactly `{"alg":"<ALG>","kid":"<KID>"}` (no `typ`), as upstream's
    /// go-jose signer writes it (spec-modern §2.1), with [`Self::algorithm`] and
    /// [`Self::key_id`]. The token generator writes it, and the authenticator recognizes
    /// it without decoding.
    pub fn jws_header(&self) -> &str {
        &self.jws_header
    }

    /// The PKIX (SubjectPublicKeyInfo) DER encoding.
    pub fn to_pkix_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// A `PUBLIC KEY` PEM block, as `--service-account-key-file` expects.
    pub fn to_pem(&self) -> String {
        encode_pem(PEM_PUBLIC_KEY, &self.spki_der)
    }

    /// Checks a JWS signature. An RSA key accepts RS256/384/512; an ECDSA key only the
    /// algorithm of its own curve (any other ES* is a bad signature, as in jwt-go).
    pub fn verify(
        &self,
        algorithm: JwtAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        match (&self.verifier, algorithm) {
            (Verifier::Rsa { rs256, .. }, JwtAlgorithm::Rs256) => {
                rsa_verify(rs256, message, signature)
            }
            (Verifier::Rsa { rs384, .. }, JwtAlgorithm::Rs384) => {
                rsa_verify(rs384, message, signature)
            }
            (Verifier::Rsa { rs512, .. }, JwtAlgorithm::Rs512) => {
                rsa_verify(rs512, message, signature)
            }
            (Verifier::Rsa { .. }, _) => Err(VerifyError::KeyTypeMismatch),
            (Verifier::Ecdsa { .. }, alg) if alg.is_rsa() => Err(VerifyError::KeyTypeMismatch),
            (Verifier::Ecdsa { curve, key }, alg) => {
                if curve.jwt_algorithm() != alg {
                    return Err(VerifyError::InvalidEcdsaSignature);
                }
                key.verify_sig(message, signature)
                    .map_err(|_| VerifyError::InvalidEcdsaSignature)
            }
        }
    }
}

fn rsa_verify(key: &ParsedPublicKey, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
    key.verify_sig(message, signature)
        .map_err(|_| VerifyError::InvalidRsaSignature)
}

/// The private key that signs service-account tokens.
pub struct SigningKey {
    pair: KeyPair,
    public: PublicKey,
    rng: SystemRandom,
}

enum KeyPair {
    Rsa(RsaKeyPair),
    // The curve is the public half's ([`PublicKey::kind`]).
    Ecdsa(EcdsaKeyPair),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kind", &self.public.kind)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_pair(pair: KeyPair) -> Result<Self, KeyParseError> {
        let spki = match &pair {
            KeyPair::Rsa(rsa) => rsa.public_key().as_der().map_err(malformed)?,
            KeyPair::Ecdsa(ecdsa) => ecdsa.public_key().as_der().map_err(malformed)?,
        };
        let public = PublicKey::from_pkix_der(spki.as_ref())?;
        Ok(Self {
            pair,
            public,
            rng: SystemRandom::new(),
        })
    }

    /// The first private key in PEM data (`RSA PRIVATE KEY`, `EC PRIVATE KEY` or `PRIVATE KEY`);
    /// other blocks, such as `EC PARAMETERS`, are passed over.
    pub fn from_pem(data: &[u8]) -> Result<Self, KeyParseError> {
        let blocks =
            pem::parse_many(data).map_err(|e| KeyParseError::NoPrivateKey(vec![e.to_string()]))?;
        let mut skipped = Vec::new();
        for block in blocks.iter().filter(|b| is_private_key_label(b.tag())) {
            match Self::from_der(block.contents()) {
                Ok(key) => return Ok(key),
                Err(e) if e.is_unsupported_key() => return Err(e),
                Err(e) => skipped.push(format!("{} block: {e}", block.tag())),
            }
        }
        Err(KeyParseError::NoPrivateKey(skipped))
    }

    /// A DER private key in PKCS#8, SEC1 or PKCS#1 form. The three structures cannot be
    /// mistaken for one another (PKCS#8 has an AlgorithmIdentifier second, SEC1 version 1
    /// and an OCTET STRING, PKCS#1 INTEGERs), so the first that decodes is the format.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyParseError> {
        let pair = if let Ok(info) = PrivateKeyInfoRef::from_der(der) {
            match info.algorithm.oid {
                oid::RSA_ENCRYPTION => {
                    rsa_private_key_bits(info.private_key.as_bytes())?;
                    KeyPair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(malformed)?)
                }
                oid::EC_PUBLIC_KEY => {
                    let curve = EcCurve::from_algorithm(&info.algorithm)
                        .ok_or(KeyParseError::UnknownCurve)?;
                    let pair = EcdsaKeyPair::from_pkcs8(curve.signing_algorithm(), der)
                        .map_err(malformed)?;
                    KeyPair::Ecdsa(pair)
                }
                // Go's type name, as upstream prints it.
                oid::ED25519 => return Err(KeyParseError::UnknownKeyType("ed25519.PrivateKey")),
                _ => return Err(malformed("PKCS#8 key of an unknown algorithm")),
            }
        } else if let Ok(sec1) = EcPrivateKey::from_der(der) {
            let curve = match sec1.parameters.and_then(|p| p.named_curve()) {
                Some(curve_oid) => EcCurve::from_oid(curve_oid),
                None => EcCurve::from_private_key_len(sec1.private_key.len()),
            }
            .ok_or(KeyParseError::UnknownCurve)?;
            let pair = EcdsaKeyPair::from_private_key_der(curve.signing_algorithm(), der)
                .map_err(malformed)?;
            KeyPair::Ecdsa(pair)
        } else if RsaPrivateKey::<UintRef<'_>>::from_der(der).is_ok() {
            rsa_private_key_bits(der)?;
            KeyPair::Rsa(RsaKeyPair::from_der(der).map_err(malformed)?)
        } else {
            return Err(malformed("not a DER private key"));
        };
        Self::from_pair(pair)
    }

    /// Reads `--service-account-private-key-file`.
    ///
    /// # Errors
    ///
    /// [`KeyError::Read`] if the file cannot be read, [`KeyError::NoUsableKey`] if it holds
    /// no RSA or ECDSA private key this crate can use.
    ///
    /// ```
    /// use kube_sa::serviceaccount::{JwtAlgorithm, SigningKey};
    ///
    /// let path = std::env::temp_dir().join(format!("sa-doc-{}.key", std::process::id()));
    /// std::fs::write(&path, SigningKey::generate_ecdsa_p256()?.to_pkcs8_pem()?).unwrap();
    /// let key = SigningKey::from_file(&path)?;
    /// assert_eq!(key.algorithm(), JwtAlgorithm::Es256);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), kube_sa::serviceaccount::KeyError>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let data = read_key_file(path)?;
        Self::from_pem(&data).map_err(|reason| KeyError::NoUsableKey {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// A fresh P-256 key, for when no key file is given.
    pub fn generate_ecdsa_p256() -> Result<Self, KeyError> {
        let curve = EcCurve::P256;
        let pair = EcdsaKeyPair::generate(curve.signing_algorithm())
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        Self::from_pair(KeyPair::Ecdsa(pair)).map_err(|e| KeyError::Generate(e.to_string()))
    }

    /// A fresh RSA key of 2048, 3072, 4096 or 8192 bits.
    pub fn generate_rsa(bits: usize) -> Result<Self, KeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => {
                return Err(KeyError::Generate(format!(
                    "unsupported RSA key size {bits}, must be 2048, 3072, 4096 or 8192"
                )))
            }
        };
        let pair = RsaKeyPair::generate(size).map_err(|e| KeyError::Generate(e.to_string()))?;
        Self::from_pair(KeyPair::Rsa(pair)).map_err(|e| KeyError::Generate(e.to_string()))
    }

    /// RSA, or ECDSA with its curve.
    pub fn kind(&self) -> KeyKind {
        self.public.kind
    }

    /// RS256 for any RSA key; ES256/384/512 by curve.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.public.algorithm()
    }

    /// The matching verification key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs with [`Self::algorithm`]: PKCS#1 v1.5 for RSA, fixed-length r||s for ECDSA.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.pair {
            KeyPair::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    message,
                    &mut signature,
                )
                .map_err(|_| SignError)?;
                Ok(signature)
            }
            KeyPair::Ecdsa(pair) => pair
                .sign(&self.rng, message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| SignError),
        }
    }

    /// Unencrypted PKCS#8 DER, so a generated key can be written out.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        let encoded = match &self.pair {
            KeyPair::Rsa(pair) => pair.as_der().map(|d| d.as_ref().to_vec()),
            KeyPair::Ecdsa(pair) => pair.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
        };
        encoded.map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// A `PRIVATE KEY` PEM block.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        Ok(encode_pem(PEM_PRIVATE_KEY, &self.to_pkcs8_der()?))
    }
}

/// The modulus size of a PKCS#1 RSAPrivateKey, checked against [`RSA_BITS`] before aws-lc
/// sees the key, so a too-small key is named as such rather than as malformed.
fn rsa_private_key_bits(pkcs1: &[u8]) -> Result<usize, KeyParseError> {
    let key = RsaPrivateKey::<UintRef<'_>>::from_der(pkcs1)
        .map_err(|_| malformed("malformed RSA private key"))?;
    match uint_bits(key.modulus) {
        bits if RSA_BITS.contains(&bits) => Ok(bits),
        bits => Err(KeyParseError::UnsupportedRsaSize(bits)),
    }
}

/// Significant bits of a non-negative INTEGER (`UintRef` strips leading zero bytes).
fn uint_bits(value: UintRef<'_>) -> usize {
    match value.as_bytes().first() {
        Some(&top) => value.as_bytes().len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

fn is_private_key_label(label: &str) -> bool {
    // "ENCRYPTED PRIVATE KEY" is not supported: there is no passphrase flag.
    label.ends_with(PEM_PRIVATE_KEY) && !label.starts_with("ENCRYPTED")
}

fn encode_pem(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

fn read_key_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Every usable public key in PEM data, in order. Blocks that hold no RSA or ECDSA key
/// (or one we cannot use) are passed over, as upstream does; none at all is an error.
pub fn parse_public_keys_pem(data: &[u8]) -> Result<Vec<PublicKey>, KeyParseError> {
    let blocks =
        pem::parse_many(data).map_err(|e| KeyParseError::NoPublicKey(vec![e.to_string()]))?;
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for block in &blocks {
        let label = block.tag();
        let parsed = match label {
            PEM_PUBLIC_KEY => PublicKey::from_pkix_der(block.contents()),
            PEM_RSA_PUBLIC_KEY => PublicKey::from_pkcs1_der(block.contents()),
            PEM_CERTIFICATE => PublicKey::from_certificate_der(block.contents()),
            _ if is_private_key_label(label) => {
                SigningKey::from_der(block.contents()).map(|key| key.public)
            }
            _ => continue,
        };
        match parsed {
            Ok(key) => keys.push(key),
            Err(e) => skipped.push(format!("{label} block: {e}")),
        }
    }
    if keys.is_empty() {
        return Err(KeyParseError::NoPublicKey(skipped));
    }
    Ok(keys)
}

/// Reads one `--service-account-key-file`: every public key, certificate or private key
/// (its public half) in the PEM file, in order.
///
/// # Errors
///
/// [`KeyError::Read`] if the file cannot be read, [`KeyError::NoUsableKey`] if it holds
/// no usable key at all.
///
/// ```
/// use kube_sa::serviceaccount::{load_public_keys, SigningKey};
///
/// let key = SigningKey::generate_ecdsa_p256()?;
/// let path = std::env::temp_dir().join(format!("sa-doc-{}.pub", std::process::id()));
/// std::fs::write(&path, key.public_key().to_pem()).unwrap();
/// let keys = load_public_keys(&path)?;
/// assert_eq!(keys[0].to_pkix_der(), key.public_key().to_pkix_der());
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), kube_sa::serviceaccount::KeyError>(())
/// ```
pub fn load_public_keys(path: impl AsRef<Path>) -> Result<Vec<PublicKey>, KeyError> {
    let path = path.as_ref();
    let data = read_key_file(path)?;
    parse_public_keys_pem(&data).map_err(|reason| KeyError::NoUsableKey {
        path: path.to_path_buf(),
        reason,
    })
}

/// Reads every `--service-account-key-file`, keys in flag order.
///
/// # Errors
///
/// The first file's [`KeyError`], as [`load_public_keys`] gives it.
///
/// ```no_run
/// use kube_sa::serviceaccount::load_public_key_files;
///
/// let keys = load_public_key_files(&["/etc/kubernetes/sa.pub", "/etc/kubernetes/old-sa.pub"])?;
/// # Ok::<(), kube_sa::serviceaccount::KeyError>(())
/// ```
pub fn load_public_key_files<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<PublicKey>, KeyError> {
    let mut keys = Vec::new();
    for path in paths {
        keys.extend(load_public_keys(path)?);
    }
    Ok(keys)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// Key material made once per test binary (RSA generation is slow).
    pub(crate) struct Fixture {
        pub(crate) pkcs8_der: Vec<u8>,
        pub(crate) kind: KeyKind,
    }

    pub(crate) fn rsa_fixture() -> &'static Fixture {
        static RSA: OnceLock<Fixture> = OnceLock::new();
        RSA.get_or_init(|| Fixture {
            pkcs8_der: SigningKey::generate_rsa(2048)
                .unwrap()
                .to_pkcs8_der()
                .unwrap(),
            kind: KeyKind::Rsa,
        })
    }

    pub(crate) fn ec_fixture(curve: EcCurve) -> Fixture {
        let pair = EcdsaKeyPair::generate(curve.signing_algorithm()).unwrap();
        Fixture {
            pkcs8_der: pair.to_pkcs8v1().unwrap().as_ref().to_vec(),
            kind: KeyKind::Ecdsa(curve),
        }
    }

    pub(crate) fn signing_key(fixture: &Fixture) -> SigningKey {
        SigningKey::from_der(&fixture.pkcs8_der).unwrap()
    }

    /// Upstream's test keys (pkg/serviceaccount/jwt_test.go) and the key ids its tests expect.
    const UPSTREAM_RSA_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA249XwEo9k4tM8fMxV7zx
OhcrP+WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt+ecI
zshKuv1gKIxbbLQMOuK1eA/4HALyEkFgmS/tleLJrhc65tKPMGD+pKQ/xhmzRuCG
51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJU
j7OTh/AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv+OrN80j6xrw0OjEi
B4Ycr0PqfzZcvy8efTtFQ/Jnc4Bp1zUtFXt7+QeevePtQ2EcyELXE0i63T1CujRM
WwIDAQAB
-----END PUBLIC KEY-----
";
    const UPSTREAM_ECDSA_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEH6cuzP8XuD5wal6wf9M6xDljTOPL
X2i8uIp/C/ASqiIGUeeKQtX0/IR3qCXyThP/dbCiHrF3v1cuhBOHY8CLVg==
-----END PUBLIC KEY-----
";

    #[test]
    fn key_ids_match_upstreams_test_vectors() {
        for (pem, kid) in [
            (
                UPSTREAM_RSA_PUBLIC_KEY,
                "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU",
            ),
            (
                UPSTREAM_ECDSA_PUBLIC_KEY,
                "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc",
            ),
        ] {
            let keys = parse_public_keys_pem(pem.as_bytes()).unwrap();
            assert_eq!(keys[0].key_id(), kid);
        }
    }

    fn pem_block(label: &str, der: &[u8]) -> String {
        encode_pem(label, der)
    }

    /// PKCS#1 RSAPrivateKey / SEC1 ECPrivateKey: the OCTET STRING inside PKCS#8.
    fn inner_private_key(pkcs8: &[u8]) -> Vec<u8> {
        PrivateKeyInfoRef::from_der(pkcs8)
            .unwrap()
            .private_key
            .as_bytes()
            .to_vec()
    }

    fn sec1_der(fixture: &Fixture) -> Vec<u8> {
        let KeyKind::Ecdsa(curve) = fixture.kind else {
            panic!("not EC")
        };
        let pair = EcdsaKeyPair::from_pkcs8(curve.signing_algorithm(), &fixture.pkcs8_der).unwrap();
        pair.private_key().as_der().unwrap().as_ref().to_vec()
    }

    fn rsa_pkcs1_public(fixture: &Fixture) -> Vec<u8> {
        let pair = RsaKeyPair::from_pkcs8(&fixture.pkcs8_der).unwrap();
        pair.public_key().as_ref().to_vec()
    }

    fn certificate_pem(fixture: &Fixture) -> String {
        let key = signing_key(fixture);
        let rcgen_key = rcgen::KeyPair::from_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
        let params = rcgen::CertificateParams::new(vec!["kube-sa.test".to_string()]).unwrap();
        params.self_signed(&rcgen_key).unwrap().pem()
    }

    fn write_temp(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, contents).unwrap();
        file
    }

    fn all_fixtures() -> Vec<(&'static str, Fixture)> {
        vec![
            (
                "rsa",
                Fixture {
                    pkcs8_der: rsa_fixture().pkcs8_der.clone(),
                    kind: KeyKind::Rsa,
                },
            ),
            ("p256", ec_fixture(EcCurve::P256)),
            ("p384", ec_fixture(EcCurve::P384)),
            ("p521", ec_fixture(EcCurve::P521)),
        ]
    }

    #[test]
    fn private_keys_load_in_every_format() {
        let mut cases: Vec<(String, String, KeyKind, JwtAlgorithm, Vec<u8>)> = Vec::new();
        for (name, fixture) in all_fixtures() {
            let expected_spki = signing_key(&fixture).public_key().to_pkix_der().to_vec();
            let algorithm = match fixture.kind {
                KeyKind::Rsa => JwtAlgorithm::Rs256,
                KeyKind::Ecdsa(curve) => curve.jwt_algorithm(),
            };
            let mut add = |format: &str, pem: String| {
                cases.push((
                    format!("{name} {format}"),
                    pem,
                    fixture.kind,
                    algorithm,
                    expected_spki.clone(),
                ))
            };
            add("pkcs8", pem_block("PRIVATE KEY", &fixture.pkcs8_der));
            match fixture.kind {
                KeyKind::Rsa => add(
                    "pkcs1",
                    pem_block("RSA PRIVATE KEY", &inner_private_key(&fixture.pkcs8_der)),
                ),
                KeyKind::Ecdsa(_) => {
                    let sec1 = sec1_der(&fixture);
                    add("sec1", pem_block("EC PRIVATE KEY", &sec1));
                    // `openssl ecparam -genkey` writes the parameters first.
                    add(
                        "sec1 after EC PARAMETERS",
                        pem_block("EC PARAMETERS", &[0x06, 0x03, 0x2B, 0x65, 0x70])
                            + &pem_block("EC PRIVATE KEY", &sec1),
                    );
                }
            }
        }
        for (name, pem, kind, algorithm, expected_spki) in cases {
            let file = write_temp(pem.as_bytes());
            let key = SigningKey::from_file(file.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.kind(), kind, "{name}");
            assert_eq!(key.algorithm(), algorithm, "{name}");
            assert_eq!(key.public_key().to_pkix_der(), &expected_spki[..], "{name}");
            let signature = key.sign(b"message").unwrap();
            assert_eq!(
                key.public_key().verify(algorithm, b"message", &signature),
                Ok(()),
                "{name}"
            );
        }
    }

    #[test]
    fn ec_sec1_without_curve_parameters_infers_curve_from_length() {
        for curve in [EcCurve::P256, EcCurve::P384, EcCurve::P521] {
            let fixture = ec_fixture(curve);
            let sec1 = sec1_der(&fixture);
            let bare = EcPrivateKey {
                private_key: EcPrivateKey::from_der(&sec1).unwrap().private_key,
                parameters: None,
                public_key: None,
            }
            .to_der()
            .unwrap();

            let key = SigningKey::from_pem(pem_block("EC PRIVATE KEY", &bare).as_bytes())
                .unwrap_or_else(|e| panic!("{curve:?}: {e}"));
            assert_eq!(key.kind(), KeyKind::Ecdsa(curve));
            assert_eq!(
                key.public_key(),
                signing_key(&fixture).public_key(),
                "{curve:?}"
            );
        }
    }

    #[test]
    fn ecdsa_signatures_are_fixed_length() {
        for (curve, length) in [
            (EcCurve::P256, 64),
            (EcCurve::P384, 96),
            (EcCurve::P521, 132),
        ] {
            let key = signing_key(&ec_fixture(curve));
            assert_eq!(key.sign(b"x").unwrap().len(), length, "{curve:?}");
        }
        assert_eq!(signing_key(rsa_fixture()).sign(b"x").unwrap().len(), 256);
    }

    #[test]
    fn public_keys_load_in_every_format() {
        let rsa = rsa_fixture();
        let p256 = ec_fixture(EcCurve::P256);
        let p521 = ec_fixture(EcCurve::P521);
        let rsa_public = signing_key(rsa).public_key().clone();
        let p256_public = signing_key(&p256).public_key().clone();
        let p521_public = signing_key(&p521).public_key().clone();

        let cases: Vec<(&str, String, Vec<&PublicKey>)> = vec![
            ("rsa PUBLIC KEY", rsa_public.to_pem(), vec![&rsa_public]),
            ("ec PUBLIC KEY", p256_public.to_pem(), vec![&p256_public]),
            (
                "RSA PUBLIC KEY",
                pem_block("RSA PUBLIC KEY", &rsa_pkcs1_public(rsa)),
                vec![&rsa_public],
            ),
            ("rsa CERTIFICATE", certificate_pem(rsa), vec![&rsa_public]),
            ("ec CERTIFICATE", certificate_pem(&p256), vec![&p256_public]),
            (
                "rsa PKCS#1 private",
                pem_block("RSA PRIVATE KEY", &inner_private_key(&rsa.pkcs8_der)),
                vec![&rsa_public],
            ),
            (
                "ec SEC1 private",
                pem_block("EC PRIVATE KEY", &sec1_der(&p521)),
                vec![&p521_public],
            ),
            (
                "ec PKCS#8 private",
                pem_block("PRIVATE KEY", &p256.pkcs8_der),
                vec![&p256_public],
            ),
            (
                "several blocks, junk passed over",
                format!(
                    "leading text\n{}{}{}",
                    p256_public.to_pem(),
                    pem_block("EC PARAMETERS", &[0x06, 0x01, 0x00]),
                    rsa_public.to_pem()
                ),
                vec![&p256_public, &rsa_public],
            ),
        ];
        for (name, pem, expected) in cases {
            let file = write_temp(pem.as_bytes());
            let keys = load_public_keys(file.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let expected: Vec<PublicKey> = expected.into_iter().cloned().collect();
            assert_eq!(keys, expected, "{name}");
        }
    }

    #[test]
    fn several_key_files_keep_flag_order() {
        let p256 = signing_key(&ec_fixture(EcCurve::P256)).public_key().clone();
        let p384 = signing_key(&ec_fixture(EcCurve::P384)).public_key().clone();
        let first = write_temp(p384.to_pem().as_bytes());
        let second = write_temp(p256.to_pem().as_bytes());
        let keys = load_public_key_files(&[first.path(), second.path()]).unwrap();
        assert_eq!(keys, vec![p384, p256]);
    }

    /// SEC1 ECPrivateKey on P-224 (1.3.132.0.33): a valid key on a curve we refuse.
    fn p224_sec1() -> Vec<u8> {
        EcPrivateKey {
            private_key: &[0x11; 28],
            parameters: Some(sec1::EcParameters::NamedCurve(
                ObjectIdentifier::new_unwrap("1.3.132.0.33"),
            )),
            public_key: None,
        }
        .to_der()
        .unwrap()
    }

    /// PKCS#1 RSAPrivateKey whose modulus has 1024 bits (the other numbers do not matter:
    /// size is checked before aws-lc sees the key).
    fn rsa_1024_pkcs1() -> Vec<u8> {
        let mut modulus = vec![0xC0];
        modulus.extend([0x01; 127]);
        let modulus = UintRef::new(&modulus).unwrap();
        let one = UintRef::new(&[1]).unwrap();
        RsaPrivateKey {
            modulus,
            public_exponent: UintRef::new(&[1, 0, 1]).unwrap(),
            private_exponent: one,
            prime1: one,
            prime2: one,
            exponent1: one,
            exponent2: one,
            coefficient: one,
            other_prime_infos: None,
        }
        .to_der()
        .unwrap()
    }

    #[test]
    fn rsa_modulus_bits_ignore_the_sign_byte() {
        assert_eq!(uint_bits(UintRef::new(&[0x00, 0x80, 0x01]).unwrap()), 16);
        assert_eq!(uint_bits(UintRef::new(&[0x01, 0x00]).unwrap()), 9);
        assert_eq!(uint_bits(UintRef::new(&[0x00]).unwrap()), 0);
    }

    #[test]
    fn private_key_errors() {
        let ed25519 = signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let public_only = signing_key(&ec_fixture(EcCurve::P256))
            .public_key()
            .to_pem();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("garbage", b"this is not a key\x00\xff".to_vec(), "data does not contain a valid RSA or ECDSA private key"),
            ("empty", Vec::new(), "data does not contain a valid RSA or ECDSA private key"),
            ("public key only", public_only.into_bytes(), "data does not contain a valid RSA or ECDSA private key"),
            (
                "corrupt key block",
                pem_block("RSA PRIVATE KEY", b"\x30\x03\x02\x01\x00").into_bytes(),
                "data does not contain a valid RSA or ECDSA private key (RSA PRIVATE KEY block: not a DER private key)",
            ),
            ("P-224", pem_block("EC PRIVATE KEY", &p224_sec1()).into_bytes(), "unknown private key curve, must be 256, 384, or 521"),
            (
                "ed25519",
                pem_block("PRIVATE KEY", ed25519.as_ref()).into_bytes(),
                "unknown private key type ed25519.PrivateKey, must be *rsa.PrivateKey or *ecdsa.PrivateKey",
            ),
            ("RSA 1024", pem_block("RSA PRIVATE KEY", &rsa_1024_pkcs1()).into_bytes(), "RSA keys must have 2048 to 8192 bits, this one has 1024"),
        ];
        for (name, contents, reason) in cases {
            let file = write_temp(&contents);
            let error = SigningKey::from_file(file.path()).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("{:?} contains no usable key: {reason}", file.path()),
                "{name}"
            );
        }
    }

    #[test]
    fn public_key_errors() {
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("garbage", b"garbage".to_vec(), "data does not contain a valid RSA or ECDSA key"),
            ("only parameters", pem_block("EC PARAMETERS", &[0x06, 0x01, 0x00]).into_bytes(), "data does not contain a valid RSA or ECDSA key"),
            (
                "broken certificate",
                pem_block("CERTIFICATE", b"\x30\x00").into_bytes(),
                "data does not contain a valid RSA or ECDSA key (CERTIFICATE block: not a DER X.509 certificate)",
            ),
            (
                "P-224 private key",
                pem_block("EC PRIVATE KEY", &p224_sec1()).into_bytes(),
                "data does not contain a valid RSA or ECDSA key (EC PRIVATE KEY block: unknown private key curve, must be 256, 384, or 521)",
            ),
        ];
        for (name, contents, reason) in cases {
            let file = write_temp(&contents);
            let error = load_public_keys(file.path()).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("{:?} contains no usable key: {reason}", file.path()),
                "{name}"
            );
        }
    }

    #[test]
    fn missing_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.pem");
        for error in [
            SigningKey::from_file(&path).unwrap_err(),
            load_public_keys(&path).unwrap_err(),
        ] {
            let text = error.to_string();
            assert!(
                text.starts_with(&format!(
                    "failed to read service account key file {path:?}: "
                )),
                "{text}"
            );
            assert!(matches!(error, KeyError::Read { .. }));
        }
    }

    #[test]
    fn generated_keys_round_trip_through_pem() {
        let cases = [
            ("p256", SigningKey::generate_ecdsa_p256().unwrap()),
            ("rsa", signing_key(rsa_fixture())),
        ];
        for (name, key) in cases {
            let reloaded = SigningKey::from_pem(key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
            assert_eq!(reloaded.public_key(), key.public_key(), "{name}");
            let public = parse_public_keys_pem(key.public_key().to_pem().as_bytes()).unwrap();
            assert_eq!(public, vec![key.public_key().clone()], "{name}");
            assert!(
                key.public_key()
                    .to_pem()
                    .starts_with("-----BEGIN PUBLIC KEY-----\n"),
                "{name}"
            );
        }
        assert_eq!(
            SigningKey::generate_ecdsa_p256().unwrap().algorithm(),
            JwtAlgorithm::Es256
        );
    }

    #[test]
    fn unsupported_rsa_size_is_refused_at_generation() {
        let error = SigningKey::generate_rsa(1024).unwrap_err();
        assert_eq!(
            error.to_string(),
            "failed to generate a service account signing key: unsupported RSA key size 1024, must be 2048, 3072, 4096 or 8192"
        );
    }

    #[test]
    fn verification_is_pinned_to_key_type_and_curve() {
        let rsa = signing_key(rsa_fixture());
        let p256 = signing_key(&ec_fixture(EcCurve::P256));
        let rsa_signature = rsa.sign(b"m").unwrap();
        let ec_signature = p256.sign(b"m").unwrap();
        let zeros = vec![0u8; 64];
        // (name, verifying key, header algorithm, message, signature, expected)
        type Case<'a> = (
            &'a str,
            &'a SigningKey,
            JwtAlgorithm,
            &'a str,
            &'a [u8],
            Result<(), VerifyError>,
        );
        let cases: Vec<Case> = vec![
            (
                "rsa ok",
                &rsa,
                JwtAlgorithm::Rs256,
                "m",
                &rsa_signature,
                Ok(()),
            ),
            (
                "rsa other message",
                &rsa,
                JwtAlgorithm::Rs256,
                "n",
                &rsa_signature,
                Err(VerifyError::InvalidRsaSignature),
            ),
            (
                "rsa as RS384",
                &rsa,
                JwtAlgorithm::Rs384,
                "m",
                &rsa_signature,
                Err(VerifyError::InvalidRsaSignature),
            ),
            (
                "rsa key, ES256",
                &rsa,
                JwtAlgorithm::Es256,
                "m",
                &ec_signature,
                Err(VerifyError::KeyTypeMismatch),
            ),
            (
                "ec ok",
                &p256,
                JwtAlgorithm::Es256,
                "m",
                &ec_signature,
                Ok(()),
            ),
            (
                "ec key, RS256",
                &p256,
                JwtAlgorithm::Rs256,
                "m",
                &rsa_signature,
                Err(VerifyError::KeyTypeMismatch),
            ),
            (
                "P-256 key, ES384",
                &p256,
                JwtAlgorithm::Es384,
                "m",
                &ec_signature,
                Err(VerifyError::InvalidEcdsaSignature),
            ),
            (
                "ec bad signature",
                &p256,
                JwtAlgorithm::Es256,
                "m",
                &zeros,
                Err(VerifyError::InvalidEcdsaSignature),
            ),
        ];
        for (name, key, algorithm, message, signature, expected) in cases {
            assert_eq!(
                key.public_key()
                    .verify(algorithm, message.as_bytes(), signature),
                expected,
                "{name}"
            );
        }
    }
}
