//! Hostile tokens: a genuine token taken apart, its header and claims changed, signed
//! again (or not) and put back together as an attacker would, for the hostile-token
//! feature. The harness never trusts these: they are only sent to the API server.

use std::sync::Arc;

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kube_sa::serviceaccount::{KeyKind, SigningKey};
use serde_json::{Map, Value};

use crate::failure::Failure;

/// How the forged token is signed.
pub enum Signature {
    /// The original token's signature, whatever was changed (a tampered token).
    Kept,
    /// No signature at all (`alg: none` tokens).
    Empty,
    /// Signed with this private key; the header's `alg` becomes the key's unless the
    /// recipe's header sets it.
    Key(Arc<SigningKey>),
    /// HMAC-SHA256 with these bytes as the secret (the public-key-as-HMAC-secret attack);
    /// the header's `alg` becomes `HS256` unless the recipe's header sets it.
    Hs256(Vec<u8>),
}

/// What to change in a token.
pub struct Recipe {
    /// Merged into the header (a `null` value removes the key).
    pub header: Option<Map<String, Value>>,
    /// Merged into the claims (a `null` value removes the claim); a string value
    /// `<claim> + N` / `<claim> - N` is the token's own numeric claim plus or minus N.
    pub claims: Option<Map<String, Value>>,
    pub signature: Signature,
    /// Puts the signing key's public JWK in the header's `jwk` (RFC 7515 §4.1.3).
    pub embed_jwk: bool,
    /// Pads the claims with a `pad` claim until the token is at least this many bytes.
    pub min_length: Option<usize>,
    /// How the parts are joined: `{header}`, `{claims}` and `{signature}` are replaced by
    /// the base64url segments; the default is `{header}.{claims}.{signature}`.
    pub layout: Option<String>,
}

fn segment_json(segment: &str, what: &str) -> Result<Map<String, Value>, Failure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|e| Failure::new(format!("the token's {what} is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::new(format!("the token's {what} is not a JSON object: {e}")))
}

fn encode_json(value: &Map<String, Value>) -> Result<String, Failure> {
    serde_json::to_vec(value)
        .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
        .map_err(|e| Failure::new(e.to_string()))
}

/// `changes` merged into `target`; strings of the form `<claim> ± N` are resolved
/// against `original` when `relative` is set.
fn merge(
    target: &mut Map<String, Value>,
    changes: &Map<String, Value>,
    original: &Map<String, Value>,
    relative: bool,
) -> Result<(), Failure> {
    for (key, value) in changes {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::String(text) if relative => {
                let resolved = relative_claim(text, original)?.unwrap_or_else(|| value.clone());
                target.insert(key.clone(), resolved);
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(())
}

/// `iat + 3600` → the token's `iat` plus 3600; `None` for any other text.
fn relative_claim(text: &str, original: &Map<String, Value>) -> Result<Option<Value>, Failure> {
    let mut words = text.split_whitespace();
    let (Some(claim), Some(sign), Some(amount), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Ok(None);
    };
    let (Some(sign), Ok(amount)) = (
        match sign {
            "+" => Some(1),
            "-" => Some(-1),
            _ => None,
        },
        amount.parse::<i64>(),
    ) else {
        return Ok(None);
    };
    let base = original.get(claim).and_then(Value::as_i64).ok_or_else(|| {
        Failure::new(format!(
            "`{text}`: the token has no numeric claim {claim:?} to count from"
        ))
    })?;
    Ok(Some(Value::from(base + sign * amount)))
}

/// The public JWK of an ECDSA P-256 key: its point is the last 64 bytes of the SPKI DER.
fn public_jwk(key: &SigningKey) -> Result<Value, Failure> {
    let der = key.public_key().to_pkix_der();
    match key.kind() {
        KeyKind::Ecdsa(_) if key.algorithm().as_str() == "ES256" && der.len() > 64 => {
            let point = &der[der.len() - 64..];
            Ok(serde_json::json!({
                "kty": "EC",
                "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(&point[..32]),
                "y": URL_SAFE_NO_PAD.encode(&point[32..]),
                "use": "sig",
            }))
        }
        _ => Err(Failure::new(
            "a `jwk` header is made for ECDSA P-256 keys only: sign with another ECDSA P-256 key",
        )),
    }
}

/// The token `recipe` makes of `token` (a compact JWS of three parts).
pub fn forge(token: &str, recipe: &Recipe) -> Result<String, Failure> {
    let parts: Vec<&str> = token.split('.').collect();
    let &[header_part, claims_part, signature_part] = parts.as_slice() else {
        return Err(Failure::new(format!(
            "a token to change must have 3 parts, this one has {}",
            parts.len()
        )));
    };

    // The header: re-encoded only when something in it changes, so that a token whose
    // claims alone change keeps its header bytes.
    let mut header_changes = recipe.header.clone().unwrap_or_default();
    let signing_alg = match &recipe.signature {
        Signature::Key(key) => Some(key.algorithm().as_str().to_string()),
        Signature::Hs256(_) => Some("HS256".to_string()),
        Signature::Kept | Signature::Empty => None,
    };
    if let Some(alg) = signing_alg {
        header_changes.entry("alg").or_insert(Value::String(alg));
    }
    if recipe.embed_jwk {
        let Signature::Key(key) = &recipe.signature else {
            return Err(Failure::new(
                "a `jwk` header names the key that signs: sign with another key",
            ));
        };
        header_changes.insert("jwk".into(), public_jwk(key)?);
    }
    let header = if header_changes.is_empty() {
        header_part.to_string()
    } else {
        let original = segment_json(header_part, "header")?;
        let mut header = original.clone();
        merge(&mut header, &header_changes, &original, false)?;
        encode_json(&header)?
    };

    let claims = if recipe.claims.is_none() && recipe.min_length.is_none() {
        claims_part.to_string()
    } else {
        let original = segment_json(claims_part, "claims")?;
        let mut claims = original.clone();
        if let Some(changes) = &recipe.claims {
            merge(&mut claims, changes, &original, true)?;
        }
        let encoded = encode_json(&claims)?;
        match recipe.min_length {
            Some(min) if token.len() - claims_part.len() + encoded.len() < min => {
                // base64 makes 4 bytes of 3: enough pad bytes to pass `min` whatever the
                // signature's length.
                let missing = min - (token.len() - claims_part.len() + encoded.len());
                claims.insert("pad".into(), Value::String("x".repeat(missing * 3 / 4 + 3)));
                encode_json(&claims)?
            }
            _ => encoded,
        }
    };

    let signing_input = format!("{header}.{claims}");
    let signature = match &recipe.signature {
        Signature::Kept => signature_part.to_string(),
        Signature::Empty => String::new(),
        Signature::Key(key) => URL_SAFE_NO_PAD.encode(
            key.sign(signing_input.as_bytes())
                .map_err(|e| Failure::new(format!("signing the token: {e}")))?,
        ),
        Signature::Hs256(secret) => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
            URL_SAFE_NO_PAD.encode(hmac::sign(&key, signing_input.as_bytes()).as_ref())
        }
    };
    let layout = recipe
        .layout
        .as_deref()
        .unwrap_or("{header}.{claims}.{signature}");
    Ok(layout
        .replace("{header}", &header)
        .replace("{claims}", &claims)
        .replace("{signature}", &signature))
}

/// The self-check of the recipe's parts (run with the harness's other self-checks: a
/// `harness = false` target has no `#[test]`s).
pub fn self_check() -> Result<(), String> {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"k"}"#);
    let claims = URL_SAFE_NO_PAD.encode(r#"{"iss":"i","iat":100}"#);
    let token = format!("{header}.{claims}.c2ln");
    let recipe = |signature| Recipe {
        header: None,
        claims: None,
        signature,
        embed_jwk: false,
        min_length: None,
        layout: None,
    };
    let failed = |f: Failure| f.to_string();
    if forge(&token, &recipe(Signature::Kept)).map_err(failed)? != token {
        return Err("an unchanged token must keep its bytes".into());
    }
    let truncated = Recipe {
        layout: Some("{header}.{claims}".into()),
        ..recipe(Signature::Kept)
    };
    if forge(&token, &truncated).map_err(failed)? != format!("{header}.{claims}") {
        return Err("the layout must join the parts as written".into());
    }

    let mut changes = Map::new();
    changes.insert("nbf".into(), Value::from("iat + 60"));
    changes.insert("iss".into(), Value::Null);
    let padded = Recipe {
        claims: Some(changes),
        min_length: Some(5000),
        ..recipe(Signature::Empty)
    };
    let forged = forge(&token, &padded).map_err(failed)?;
    if forged.len() < 5000 || !forged.ends_with('.') {
        return Err(format!(
            "a padded unsigned token of {} bytes: {}…",
            forged.len(),
            &forged[..40]
        ));
    }
    let forged_claims =
        segment_json(forged.split('.').nth(1).unwrap_or(""), "claims").map_err(failed)?;
    if forged_claims.get("nbf") != Some(&Value::from(160)) || forged_claims.contains_key("iss") {
        return Err(format!("claims merged wrongly: {forged_claims:?}"));
    }

    let forged = forge(&token, &recipe(Signature::Hs256(b"secret".to_vec()))).map_err(failed)?;
    let forged_header =
        segment_json(forged.split('.').next().unwrap_or(""), "header").map_err(failed)?;
    if forged_header.get("alg") != Some(&Value::from("HS256"))
        || forged_header.get("kid") != Some(&Value::from("k"))
    {
        return Err(format!("an HS256 header: {forged_header:?}"));
    }
    Ok(())
}
