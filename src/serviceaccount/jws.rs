//! The JWS check of the 1.31+ service-account JWT authenticator, as go-jose v2 parses and
//! verifies a compact JWS (`jose.ParseSigned`, `JSONWebSignature.Verify`; upstream's
//! pkg/serviceaccount/jwt.go `AuthenticateToken`, spec-modern §3.3). Bound tokens go
//! through it, and legacy Secret tokens do in bound mode.
//!
//! Parsing is go-jose's: whitespace anywhere is dropped, exactly three parts, each read by
//! Go's `base64.RawURLEncoding` (no padding; unused trailing bits need not be zero), the
//! protected header a JSON object whose known members have their types. A token that does
//! not parse is not a JWS ("not mine"). The signature covers the canonical base64url of the
//! decoded header and payload, as go-jose recomputes them, so a part written with
//! non-zero trailing bits still verifies.

mod header;

use std::borrow::Cow;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::authenticator::auth_error;
use super::go_base64::url_value;
use super::keys::{JwtAlgorithm, PublicKey};
use crate::authn::AuthError;
use header::{critical_header_error, read_header, Header};

/// The error of a token whose key id matches no key.
pub(crate) const NO_KEYS_FOUND: &str = "invalid signature, no keys found";
/// go-jose's error for a signature no candidate key verifies.
pub(crate) const CRYPTO_ERROR: &str = "square/go-jose: error in cryptographic primitive";

/// Go's `base64.RawURLEncoding`, which is not `Strict`: no padding, and the unused bits of
/// the last character need not be zero.
pub(crate) const GO_RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Go's `base64.RawURLEncoding.DecodeString`: like [`GO_RAW_URL`], and `\r` and `\n` are
/// skipped wherever they are. `None` for anything else that is not base64url.
pub(crate) fn go_raw_url_decode(part: &str) -> Option<Vec<u8>> {
    go_decode(&GO_RAW_URL, part)
}

/// `engine`'s decode of `text` with `\r` and `\n` skipped, as Go's `encoding/base64`
/// decoders skip them. A byte scan first: every token's payload passes here.
pub(crate) fn go_decode(engine: &GeneralPurpose, text: &str) -> Option<Vec<u8>> {
    if text.bytes().any(|b| b == b'\r' || b == b'\n') {
        return engine.decode(text.replace(['\r', '\n'], "")).ok();
    }
    engine.decode(text).ok()
}

/// The decoded payload of a compact JWS (three parts, not JSON serialization), before any
/// check of its signature; `None` when the token is not one or the payload is not base64url
/// (upstream's `hasCorrectIssuer`: split on dots, the middle part read by Go's
/// `RawURLEncoding`, which skips line breaks).
pub(crate) fn unverified_payload(token: &str) -> Option<Vec<u8>> {
    if token.trim_start().starts_with('{') {
        return None;
    }
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    go_raw_url_decode(payload)
}

/// Whether `text` may hold a whitespace character: an ASCII one (tab to carriage return,
/// space) or any non-ASCII byte, which the character-wise check then decides. A byte scan,
/// so that the cluster's own tokens (all base64url) pass at memory speed.
fn may_hold_whitespace(text: &str) -> bool {
    text.bytes()
        .any(|b| matches!(b, b'\t'..=b'\r' | b' ') || !b.is_ascii())
}

/// Whether `part`, unpadded base64url, is the canonical encoding of what it decodes to:
/// the unused low bits of its last character are zero. False for a last character that is
/// not base64url.
fn is_canonical(part: &str) -> bool {
    let Some(&last) = part.as_bytes().last() else {
        return true;
    };
    let Some(value) = url_value(last) else {
        return false;
    };
    match part.len() % 4 {
        2 => value & 0x0f == 0,
        3 => value & 0x03 == 0,
        _ => true,
    }
}

/// The JWS check every 1.31+ service-account JWT authenticator makes, legacy tokens' in
/// bound mode included (upstream's `jwtTokenAuthenticator.AuthenticateToken`, spec-modern
/// §3.3): the candidates are the keys whose key id the header's `kid` names (all of
/// `keys` without a `kid`); none is `invalid signature, no keys found`, and a signature no
/// candidate verifies is go-jose's `square/go-jose: error in cryptographic primitive`.
///
/// `Ok(Some(payload))`: the decoded payload of a verified token. `Ok(None)`: not a
/// compact JWS go-jose parses, so "not mine". A parsed JWS whose `alg` is unknown, `none`
/// or HMAC fails as a bad signature, as go-jose v2's `DetachedVerify` fails it
/// (`verifyPayload` refuses the algorithm and the error becomes `ErrCryptoFailure`).
pub(crate) fn verify_jws(keys: &[PublicKey], token: &str) -> Result<Option<Vec<u8>>, AuthError> {
    let Some(payload) = unverified_payload(token) else {
        return Ok(None);
    };
    Ok(verify_jws_signature(keys, token, &payload)?.then_some(payload))
}

/// [`verify_jws`] for a token whose payload the caller has decoded already (`payload`, by
/// [`unverified_payload`]): `Ok(true)` when a candidate key verifies the
/// signature, `Ok(false)` when the token is not a compact JWS go-jose parses.
pub(crate) fn verify_jws_signature(
    keys: &[PublicKey],
    token: &str,
    payload: &[u8],
) -> Result<bool, AuthError> {
    // go-jose's `ParseSigned` drops every whitespace character (Go's `unicode.IsSpace`,
    // the same set as Rust's) before it splits the token.
    let stripped: String;
    let token = if may_hold_whitespace(token) && token.contains(char::is_whitespace) {
        stripped = token.chars().filter(|c| !c.is_whitespace()).collect();
        &stripped
    } else {
        token
    };
    let mut parts = token.split('.');
    let (Some(header_part), Some(payload_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(false);
    };
    // The header this cluster's own tokens carry names its algorithm and key id exactly;
    // any other is decoded and read as go-jose reads it.
    let mut decoded_header = None;
    let header = match keys.iter().find(|key| key.jws_header() == header_part) {
        Some(key) => Header {
            alg: Some(Cow::Borrowed(key.algorithm().as_str())),
            kid: Some(Cow::Borrowed(key.key_id())),
            crit: None,
        },
        None => {
            let Ok(json) = GO_RAW_URL.decode(header_part) else {
                return Ok(false);
            };
            let Some(header) = read_header(&json) else {
                return Ok(false);
            };
            decoded_header = Some(json);
            header
        }
    };
    let kid = header.kid.as_deref().unwrap_or_default();
    // Large enough for RSA-8192; a longer part is decoded on the heap.
    let mut inline = [0u8; 1024];
    let heap;
    let signature: &[u8] = match GO_RAW_URL.decode_slice(signature_part, &mut inline) {
        Ok(len) => &inline[..len],
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            match GO_RAW_URL.decode(signature_part) {
                Ok(decoded) => {
                    heap = decoded;
                    &heap
                }
                Err(_) => return Ok(false),
            }
        }
        Err(base64::DecodeSliceError::DecodeError(_)) => return Ok(false),
    };
    let candidates = || {
        keys.iter()
            .filter(|key| kid.is_empty() || key.key_id() == kid)
    };
    if candidates().next().is_none() {
        return Err(auth_error(NO_KEYS_FOUND));
    }
    if let Some(error) = header.crit.as_ref().and_then(critical_header_error) {
        return Err(auth_error(error));
    }
    // An `alg` that is not ours (`none`, HMAC, absent) still parses; go-jose's
    // `DetachedVerify` then fails it as a signature that does not verify. (go-jose would
    // also verify PS256/384/512 with an RSA key; only the cluster's own private key could
    // sign such a token, and this cluster signs RS256.)
    let algorithm = header.alg.as_deref().and_then(JwtAlgorithm::from_name);
    // go-jose signs and verifies the canonical encodings of the decoded parts; the
    // token's own text is that, unless a part ends in non-zero unused bits.
    let canonical;
    let signing_input = if is_canonical(header_part) && is_canonical(payload_part) {
        &token.as_bytes()[..header_part.len() + 1 + payload_part.len()]
    } else {
        // The cluster's own header (not decoded) is canonical already.
        let header = match &decoded_header {
            Some(bytes) => GO_RAW_URL.encode(bytes),
            None => header_part.to_string(),
        };
        canonical = format!("{header}.{}", GO_RAW_URL.encode(payload));
        canonical.as_bytes()
    };
    if !candidates().any(|key| {
        algorithm.is_some_and(|algorithm| key.verify(algorithm, signing_input, signature).is_ok())
    }) {
        return Err(auth_error(CRYPTO_ERROR));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_decoded_as_go_decodes_it() {
        assert_eq!(go_raw_url_decode("AQ"), Some(vec![1]));
        assert_eq!(go_raw_url_decode("AR"), Some(vec![1]), "trailing bits");
        assert_eq!(go_raw_url_decode("A\r\nQ"), Some(vec![1]), "line breaks");
        assert_eq!(go_raw_url_decode("AQ=="), None, "padding");
        assert_eq!(go_raw_url_decode("A Q"), None, "a space");
        assert!(is_canonical("AQ") && is_canonical("AQAB") && is_canonical(""));
        assert!(!is_canonical("AR") && !is_canonical("AQB"));
        for (text, may) in [
            ("abc.DEF-_", false),
            ("a b", true),
            ("a\u{a0}b", true),
            ("a\u{b}", true),
        ] {
            assert_eq!(may_hold_whitespace(text), may, "{text:?}");
        }
    }
}
