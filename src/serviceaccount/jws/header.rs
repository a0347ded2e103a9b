//! The protected header of a compact JWS as go-jose v2 parses it (`rawHeader` and its
//! `sanitized`, `JSONWebKey.UnmarshalJSON`, `parseCertificateChain`): what makes a token
//! fail to parse ("not mine" to the authenticator) and what the verification reads.
//!
//! Not copied: a lone UTF-16 surrogate escape (`\udc00`), which Go reads as U+FFFD, and
//! JSON nested deeper than 128 levels (Go allows 10,000) do not parse here; Go's
//! `x509.ParseCertificate` is stricter than the DER parse used here.

use std::borrow::Cow;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::{go_decode, go_raw_url_decode, CRYPTO_ERROR, GO_RAW_URL};
use crate::go_json_syntax::go_json_kind;

/// Go's `base64.StdEncoding` (padded; unused trailing bits need not be zero), as go-jose
/// decodes an `x5c` certificate.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// What the verification reads of a parsed header.
#[derive(Default)]
pub(super) struct Header<'a> {
    /// go-jose parses any `alg` (or none) and refuses an unknown one only when verifying.
    pub alg: Option<Cow<'a, str>>,
    pub kid: Option<Cow<'a, str>>,
    /// RFC 7515 §4.1.11 critical extensions: go-jose supports none that a token of this
    /// cluster could use.
    pub crit: Option<Value>,
}

/// The decoded protected header as go-jose v2's `parseSignedCompact` reads it: an empty
/// part or `null` is an empty header; otherwise a JSON object, read as a map (a repeated
/// member: the last one counts; a `null` member: absent), whose known members have their
/// types and whose others are any JSON Go can hold (a number beyond `float64` is not).
/// `None`: the token does not parse.
pub(super) fn read_header(json: &[u8]) -> Option<Header<'static>> {
    if json.is_empty() {
        return Some(Header::default());
    }
    // Go's decoder reads invalid UTF-8 inside a string as U+FFFD; outside one it is a
    // syntax error either way.
    let text = String::from_utf8_lossy(json);
    let Some(members) = serde_json::from_str::<Option<Map<String, Value>>>(&text).ok()? else {
        return Some(Header::default());
    };
    let mut header = Header::default();
    for (name, value) in members {
        let string = || value.as_str().map(|s| Cow::Owned(s.to_string()));
        match name.as_str() {
            _ if value.is_null() => {}
            "alg" => header.alg = Some(string()?),
            "kid" => header.kid = Some(string()?),
            "nonce" => {
                string()?;
            }
            "jwk" => is_public_jwk(&value).then_some(())?,
            "x5c" => {
                certificate_chain(&value)?;
            }
            "crit" => header.crit = Some(value),
            _ => {}
        }
    }
    Some(header)
}

/// go-jose's verdict on a `crit` header, checked before the signature (its
/// `DetachedVerify`): a non-empty list of names is `ErrCryptoFailure` ("Unsupported crit
/// header"), a value that is not a list of strings is encoding/json's error.
pub(super) fn critical_header_error(crit: &Value) -> Option<String> {
    match crit {
        Value::Null => None,
        Value::Array(names) => {
            if let Some(name) = names.iter().find(|name| !name.is_string()) {
                return Some(format!(
                    "json: cannot unmarshal {} into Go value of type string",
                    go_json_kind(name)
                ));
            }
            (!names.is_empty()).then(|| CRYPTO_ERROR.to_string())
        }
        other => Some(format!(
            "json: cannot unmarshal {} into Go value of type []string",
            go_json_kind(other)
        )),
    }
}

/// go-jose's `parseCertificateChain`: a list of standard-base64 DER certificates.
/// `Some(leaf)` (the first one's DER, if any) when every one parses, `None` when one
/// does not or the value is not a list of strings; `null` is an empty chain.
fn certificate_chain(x5c: &Value) -> Option<Option<Vec<u8>>> {
    use x509_cert::der::Decode as _;
    if x5c.is_null() {
        return Some(None);
    }
    let mut leaf = None;
    for item in x5c.as_array()? {
        let text = item.as_str()?;
        let der = go_decode(&GO_STD, text)?;
        x509_cert::Certificate::from_der(&der).ok()?;
        leaf.get_or_insert(der);
    }
    Some(leaf)
}

/// One of `rawJSONWebKey`'s byte members: `Ok(None)` when absent or `null`, `Ok(Some)`
/// with the bytes (none for `""`) when a base64url string, `Err` when anything else.
fn key_bytes(members: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, ()> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(Some(Vec::new())),
        Some(Value::String(text)) => go_raw_url_decode(text).map(Some).ok_or(()),
        Some(_) => Err(()),
    }
}

/// Whether `jwk` is an embedded key go-jose's `JSONWebKey` reads, and a public one (RFC
/// 7515 §4.1.3; `sanitized` refuses any other): an RSA key with `n` and a non-zero `e`,
/// an EC key with `x` and `y` of the curve's size on P-256, P-384 or P-521, or an Ed25519
/// key with `x`; without the private `d`; every member of its type; a certificate chain
/// that parses, whose leaf certifies this key, and thumbprints of the right size that
/// match the leaf.
fn is_public_jwk(jwk: &Value) -> bool {
    let Some(members) = jwk.as_object() else {
        return false;
    };
    let strings = ["use", "kty", "kid", "crv", "alg", "x5t", "x5t#S256"];
    if strings.iter().any(|name| {
        members
            .get(*name)
            .is_some_and(|v| !v.is_null() && !v.is_string())
    }) {
        return false;
    }
    let mut bytes = std::collections::HashMap::new();
    for name in ["k", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi"] {
        match key_bytes(members, name) {
            Ok(Some(value)) => {
                bytes.insert(name, value);
            }
            Ok(None) => {}
            Err(()) => return false,
        }
    }
    // `x5u` is a `*url.URL`, which JSON fills only from an object.
    if members
        .get("x5u")
        .is_some_and(|v| !v.is_null() && !v.is_object())
    {
        return false;
    }
    let Some(leaf) = members.get("x5c").map_or(Some(None), certificate_chain) else {
        return false;
    };
    let text = |name: &str| {
        members
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    if bytes.contains_key("d") {
        return false;
    }
    let key = match text("kty") {
        "RSA" => match (bytes.get("n"), bytes.get("e")) {
            (Some(n), Some(e)) if e.iter().rev().take(8).any(|&b| b != 0) => KeyMaterial::Rsa {
                n: without_leading_zeros(n).to_vec(),
                e: without_leading_zeros(e).to_vec(),
            },
            _ => return false,
        },
        "EC" => match ec_point(text("crv"), bytes.get("x"), bytes.get("y")) {
            Some(point) => KeyMaterial::Ec {
                curve: text("crv").to_string(),
                point,
            },
            None => return false,
        },
        // go-jose copies `x` into a 32-byte key, whatever its length.
        "OKP" if text("crv") == "Ed25519" => match bytes.get("x") {
            Some(x) => {
                let mut key = x.clone();
                key.resize(32, 0);
                KeyMaterial::Ed25519(key)
            }
            None => return false,
        },
        _ => return false,
    };
    // The leaf certificate's key, when Go's x509 reads its type, must be this one.
    if leaf
        .as_deref()
        .and_then(certificate_key)
        .is_some_and(|certified| certified != key)
    {
        return false;
    }
    thumbprint_matches(
        text("x5t"),
        &digest::SHA1_FOR_LEGACY_USE_ONLY,
        leaf.as_deref(),
    ) && thumbprint_matches(text("x5t#S256"), &digest::SHA256, leaf.as_deref())
}

/// A public key as `reflect.DeepEqual` compares Go's parsed keys: RSA by modulus and
/// exponent, EC by curve and point, Ed25519 by its 32 bytes.
#[derive(Debug, PartialEq, Eq)]
enum KeyMaterial {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { curve: String, point: Vec<u8> },
    Ed25519(Vec<u8>),
}

fn without_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The public key of a DER certificate, for the key types Go's `x509.ParseCertificate`
/// reads (RSA, EC on the NIST curves, Ed25519); `None` for another type, which go-jose
/// then does not compare.
fn certificate_key(der: &[u8]) -> Option<KeyMaterial> {
    use x509_cert::der::asn1::{ObjectIdentifier, UintRef};
    use x509_cert::der::Decode as _;
    const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
    const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
    let certificate = x509_cert::Certificate::from_der(der).ok()?;
    let info = certificate.tbs_certificate().subject_public_key_info();
    let key = info.subject_public_key.as_bytes()?;
    match info.algorithm.oid {
        RSA => {
            let rsa = pkcs1::RsaPublicKey::<UintRef<'_>>::from_der(key).ok()?;
            Some(KeyMaterial::Rsa {
                n: without_leading_zeros(rsa.modulus.as_bytes()).to_vec(),
                e: without_leading_zeros(rsa.public_exponent.as_bytes()).to_vec(),
            })
        }
        EC => {
            let curve = match info
                .algorithm
                .parameters
                .as_ref()?
                .decode_as::<ObjectIdentifier>()
                .ok()?
            {
                P256 => "P-256",
                P384 => "P-384",
                P521 => "P-521",
                _ => return None,
            };
            Some(KeyMaterial::Ec {
                curve: curve.to_string(),
                point: key.to_vec(),
            })
        }
        ED25519 => Some(KeyMaterial::Ed25519(key.to_vec())),
        _ => None,
    }
}

/// The uncompressed point `x`, `y` of `curve`, when both coordinates have the curve's
/// full size and the point is on the curve.
fn ec_point(curve: &str, x: Option<&Vec<u8>>, y: Option<&Vec<u8>>) -> Option<Vec<u8>> {
    let (algorithm, size) = match curve {
        "P-256" => (&signature::ECDSA_P256_SHA256_FIXED, 32),
        "P-384" => (&signature::ECDSA_P384_SHA384_FIXED, 48),
        "P-521" => (&signature::ECDSA_P521_SHA512_FIXED, 66),
        _ => return None,
    };
    let (x, y) = (x?, y?);
    if x.len() != size || y.len() != size {
        return None;
    }
    let point = [&[0x04][..], x, y].concat();
    ParsedPublicKey::new(algorithm, &point).ok()?;
    Some(point)
}

/// An `x5t` or `x5t#S256` thumbprint: base64url of the digest, or of its hex; of the
/// digest's size; equal to the leaf certificate's digest when there is a chain.
fn thumbprint_matches(
    text: &str,
    algorithm: &'static digest::Algorithm,
    leaf: Option<&[u8]>,
) -> bool {
    let Ok(mut thumbprint) = GO_RAW_URL.decode(text) else {
        return false;
    };
    let size = algorithm.output_len();
    if thumbprint.len() == 2 * size {
        let Some(decoded) = decode_hex(&thumbprint) else {
            return false;
        };
        thumbprint = decoded;
    }
    if thumbprint.is_empty() {
        return true;
    }
    thumbprint.len() == size
        && leaf.is_none_or(|leaf| digest::digest(algorithm, leaf).as_ref() == thumbprint)
}

fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(*pair.get(1)?)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    /// go-jose's parse of the protected header: known members have their types, an
    /// embedded key must be public, a certificate chain must be certificates.
    #[test]
    fn a_header_parses_as_go_jose_reads_it() {
        let certified =
            rcgen::generate_simple_self_signed(vec!["signer".into()]).expect("certificate");
        let der = certified.cert.der().to_vec();
        // The certificate's own key (P-256), as a JWK's coordinates.
        let point = certified.signing_key.public_key_raw();
        let (cx, cy) = (
            URL_SAFE_NO_PAD.encode(&point[1..33]),
            URL_SAFE_NO_PAD.encode(&point[33..65]),
        );
        let chain = serde_json::json!([STANDARD.encode(&der)]).to_string();
        let sha256 = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &der));
        // A P-256 point: the generator of the curve.
        let (gx, gy) = (
            "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
            "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",
        );
        let parses = |json: &str| read_header(json.as_bytes()).is_some();
        // Invalid UTF-8 in a string is U+FFFD to Go's decoder.
        let invalid = b"{\"alg\":\"ES256\",\"kid\":\"\xff\"}";
        let header = read_header(invalid).expect("invalid UTF-8 in a string parses");
        assert_eq!(header.kid.as_deref(), Some("\u{fffd}"));
        assert!(read_header(b"{\"alg\":\xff}").is_none());
        for json in [
            "",
            "null",
            r#"{"alg":null,"kid":null,"jwk":null,"x5c":null}"#,
            r#"{"alg":"RS256","kid":"k","nonce":"n","typ":7}"#,
            r#"{"alg":"none","alg":"RS256"}"#,
            r#"{"jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}"#,
            r#"{"jwk":{"kty":"RSA","n":"","e":"AQAB"}}"#,
            &format!(r#"{{"jwk":{{"kty":"EC","crv":"P-256","x":"{gx}","y":"{gy}"}}}}"#),
            r#"{"jwk":{"kty":"OKP","crv":"Ed25519","x":""}}"#,
            r#"{"x5c":[]}"#,
            &format!(r#"{{"x5c":{chain}}}"#),
            &format!(
                r#"{{"jwk":{{"kty":"EC","crv":"P-256","x":"{cx}","y":"{cy}","x5c":{chain},"x5t#S256":"{sha256}"}}}}"#
            ),
            "{\"alg\":\"ES256\",\"kid\":\"\u{fffd}\"}",
        ] {
            assert!(parses(json), "{json}");
        }
        for json in [
            " ",
            "[]",
            r#""alg""#,
            r#"{"alg":5}"#,
            r#"{"kid":["k"]}"#,
            r#"{"nonce":1}"#,
            r#"{"other":1e400}"#,
            r#"{"jwk":{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}}"#,
            r#"{"jwk":{"kty":"RSA","n":"AQAB","e":"AA"}}"#,
            r#"{"jwk":{"kty":"RSA","n":"AQAB"}}"#,
            r#"{"jwk":{"kty":"RSA","n":"AQAB","e":"AQAB","kid":1}}"#,
            r#"{"jwk":{"kty":"RSA","n":"AQAB","e":"AQAB","x5u":"https://x"}}"#,
            r#"{"jwk":{"kty":"RSA","n":"AQAB","e":"AQAB","x5t":"AQAB"}}"#,
            r#"{"jwk":{"kty":"oct","k":"AQAB"}}"#,
            r#"{"jwk":{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}}"#,
            &format!(r#"{{"jwk":{{"kty":"EC","crv":"P-256","x":"{gx}","y":"{gx}"}}}}"#),
            r#"{"jwk":{"kty":"EC","crv":"P-192","x":"AQ","y":"AQ"}}"#,
            r#"{"jwk":{"kty":"OKP","crv":"X25519","x":"AQ"}}"#,
            r#"{"jwk":{"kty":"OKP","crv":"Ed25519","x":"!"}}"#,
            r#"{"jwk":"key"}"#,
            &format!(
                r#"{{"jwk":{{"kty":"EC","crv":"P-256","x":"{cx}","y":"{cy}","x5c":{chain},"x5t#S256":"{}"}}}}"#,
                URL_SAFE_NO_PAD.encode([0u8; 32])
            ),
            // A chain that certifies another key.
            &format!(
                r#"{{"jwk":{{"kty":"EC","crv":"P-256","x":"{gx}","y":"{gy}","x5c":{chain}}}}}"#
            ),
            &format!(r#"{{"jwk":{{"kty":"OKP","crv":"Ed25519","x":"AQ","x5c":{chain}}}}}"#),
            r#"{"x5c":["not base64!"]}"#,
            r#"{"x5c":["AQAB"]}"#,
            r#"{"x5c":"AQAB"}"#,
        ] {
            assert!(!parses(json), "{json}");
        }
    }
}
