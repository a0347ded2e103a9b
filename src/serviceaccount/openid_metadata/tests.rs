//! Upstream's TestNewOpenIDMetadata (pkg/serviceaccount/openidmetadata_test.go) with its
//! key vectors (pkg/serviceaccount/jwt_test.go).

use super::*;
use crate::serviceaccount::keys::{parse_public_keys_pem, SigningKey};

const EXAMPLE_ISSUER: &str = "https://issuer.example.com";

pub(crate) const RSA_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA249XwEo9k4tM8fMxV7zx
OhcrP+WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt+ecI
zshKuv1gKIxbbLQMOuK1eA/4HALyEkFgmS/tleLJrhc65tKPMGD+pKQ/xhmzRuCG
51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJU
j7OTh/AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv+OrN80j6xrw0OjEi
B4Ycr0PqfzZcvy8efTtFQ/Jnc4Bp1zUtFXt7+QeevePtQ2EcyELXE0i63T1CujRM
WwIDAQAB
-----END PUBLIC KEY-----
";

pub(crate) const ECDSA_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEH6cuzP8XuD5wal6wf9M6xDljTOPL
X2i8uIp/C/ASqiIGUeeKQtX0/IR3qCXyThP/dbCiHrF3v1cuhBOHY8CLVg==
-----END PUBLIC KEY-----
";

pub(crate) const ECDSA_PRIVATE_KEY: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIEZmTmUhuanLjPA2CLquXivuwBDHTt5XYwgIr/kA1LtRoAoGCCqGSM49
AwEHoUQDQgAEH6cuzP8XuD5wal6wf9M6xDljTOPLX2i8uIp/C/ASqiIGUeeKQtX0
/IR3qCXyThP/dbCiHrF3v1cuhBOHY8CLVg==
-----END EC PRIVATE KEY-----
";

const WANT_CONFIG: &str = r#"{"issuer":"https://issuer.example.com","jwks_uri":"https://issuer.example.com/openid/v1/jwks","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["ES256","RS256"]}"#;

const WANT_KEYSET: &str = r#"{"keys":[{"use":"sig","kty":"RSA","kid":"JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU","alg":"RS256","n":"249XwEo9k4tM8fMxV7zxOhcrP-WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt-ecIzshKuv1gKIxbbLQMOuK1eA_4HALyEkFgmS_tleLJrhc65tKPMGD-pKQ_xhmzRuCG51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJUj7OTh_AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv-OrN80j6xrw0OjEiB4Ycr0PqfzZcvy8efTtFQ_Jnc4Bp1zUtFXt7-QeevePtQ2EcyELXE0i63T1CujRMWw","e":"AQAB"},{"use":"sig","kty":"EC","kid":"SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc","crv":"P-256","alg":"ES256","x":"H6cuzP8XuD5wal6wf9M6xDljTOPLX2i8uIp_C_ASqiI","y":"BlHnikLV9PyEd6gl8k4T_3Wwoh6xd79XLoQTh2PAi1Y"}]}"#;

/// Upstream's `defaultKeys`: the RSA and the ECDSA public key, in that order.
pub(crate) fn default_keys() -> Vec<PublicKey> {
    let mut keys = parse_public_keys_pem(RSA_PUBLIC_KEY.as_bytes()).expect("rsa key");
    keys.extend(parse_public_keys_pem(ECDSA_PUBLIC_KEY.as_bytes()).expect("ecdsa key"));
    keys
}

fn replace_jwks_uri(config: &str, uri: &str) -> String {
    config.replace("https://issuer.example.com/openid/v1/jwks", uri)
}

#[test]
fn new_openid_metadata_valid_inputs() {
    let jwks = format!("{EXAMPLE_ISSUER}{KEYS_PATH}");
    let private = SigningKey::from_pem(ECDSA_PRIVATE_KEY.as_bytes()).expect("ecdsa private key");
    let rsa_only = parse_public_keys_pem(RSA_PUBLIC_KEY.as_bytes()).expect("rsa key");
    // (name, issuer, jwks URI, external address, keys, want configuration)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a str, Vec<PublicKey>, String);
    let cases: Vec<Case<'_>> = vec![
        (
            "valid inputs",
            EXAMPLE_ISSUER,
            &jwks,
            "",
            default_keys(),
            WANT_CONFIG.to_string(),
        ),
        (
            "valid inputs, default JWKSURI to external address",
            EXAMPLE_ISSUER,
            "",
            "192.0.2.1:80",
            default_keys(),
            replace_jwks_uri(WANT_CONFIG, "https://192.0.2.1:80/openid/v1/jwks"),
        ),
        (
            "valid inputs, IP addresses instead of domains",
            "https://192.0.2.1:80",
            "https://192.0.2.1:80/openid/v1/jwks",
            "",
            default_keys(),
            replace_jwks_uri(WANT_CONFIG, "https://192.0.2.1:80/openid/v1/jwks").replace(
                r#""issuer":"https://issuer.example.com""#,
                r#""issuer":"https://192.0.2.1:80""#,
            ),
        ),
        (
            // Upstream passes both private keys; the key set is the same public halves.
            "response only contains public keys, even when private keys are provided",
            EXAMPLE_ISSUER,
            &jwks,
            "",
            vec![rsa_only[0].clone(), private.public_key().clone()],
            WANT_CONFIG.to_string(),
        ),
    ];
    for (name, issuer, jwks_uri, external, keys, want_config) in cases {
        let metadata = OpenIdMetadata::new(issuer, jwks_uri, external, &keys)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&metadata.configuration),
            want_config,
            "{name}"
        );
        assert_eq!(
            String::from_utf8_lossy(&metadata.keyset),
            WANT_KEYSET,
            "{name}"
        );
    }
}

#[test]
fn new_openid_metadata_refuses_bad_urls_with_upstreams_texts() {
    let jwks = format!("{EXAMPLE_ISSUER}{KEYS_PATH}");
    let keys = default_keys();
    let cases: [(&str, &str, &str, &str, &str); 11] = [
        ("issuer missing https", "http://issuer.example.com", &jwks, "",
            "issuer URL must use https scheme, got: http://issuer.example.com"),
        ("issuer missing scheme", "issuer.example.com", &jwks, "",
            "issuer URL must use https scheme, got: issuer.example.com"),
        ("issuer includes query", "https://issuer.example.com?foo=bar", &jwks, "",
            "issuer URL may not include a query, got: https://issuer.example.com?foo=bar"),
        ("issuer includes fragment", "https://issuer.example.com#baz", &jwks, "",
            "issuer URL may not include a fragment, got: https://issuer.example.com#baz"),
        ("issuer includes query and fragment", "https://issuer.example.com?foo=bar#baz", &jwks, "",
            "issuer URL may not include a query, got: https://issuer.example.com?foo=bar#baz"),
        ("issuer is not a valid URL", "issuer", &jwks, "",
            "issuer URL must use https scheme, got: issuer"),
        ("jwks missing https", EXAMPLE_ISSUER, "http://issuer.example.com/openid/v1/jwks", "",
            "jwksURI requires https scheme, parsed as: http://issuer.example.com/openid/v1/jwks"),
        ("jwks missing scheme", EXAMPLE_ISSUER, "issuer.example.com/openid/v1/jwks", "",
            "jwksURI requires https scheme, parsed as: issuer.example.com/openid/v1/jwks"),
        ("jwks is not a valid URL", EXAMPLE_ISSUER, "issuer/openid/v1/jwks", "",
            "jwksURI requires https scheme, parsed as: issuer/openid/v1/jwks"),
        ("external address also has a scheme", EXAMPLE_ISSUER, "", "https://192.0.2.1:80",
            "attempted to build jwks_uri from external address https://192.0.2.1:80, but could not construct a valid URL. Error: "),
        ("missing external address and jwks", EXAMPLE_ISSUER, "", "",
            "either the JWKS URI or the default external address, or both, must be set"),
    ];
    for (name, issuer, jwks_uri, external, want) in cases {
        let err = OpenIdMetadata::new(issuer, jwks_uri, external, &keys)
            .expect_err(name)
            .to_string();
        assert!(err.starts_with(want), "{name}: {err}");
    }
    assert_eq!(
        OpenIdMetadata::new("", &jwks, "", &keys)
            .expect_err("empty")
            .to_string(),
        "empty issuer URL"
    );
    assert_eq!(
        OpenIdMetadata::new(EXAMPLE_ISSUER, &jwks, "", &[])
            .expect_err("no keys")
            .to_string(),
        "no keys provided for validating keyset"
    );
}

#[test]
fn algorithms_are_sorted_and_unique_and_keys_keep_their_order() {
    let mut keys = default_keys();
    keys.reverse();
    keys.push(keys[0].clone());
    let metadata =
        OpenIdMetadata::new(EXAMPLE_ISSUER, "https://a.example/keys", "", &keys).expect("built");
    let config: serde_json::Value = serde_json::from_slice(&metadata.configuration).expect("json");
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256", "RS256"])
    );
    let keyset: serde_json::Value = serde_json::from_slice(&metadata.keyset).expect("json");
    let kids: Vec<&str> = keyset["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert_eq!(
        kids,
        [
            "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc",
            "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU",
            "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc"
        ]
    );
}

#[test]
fn html_characters_are_escaped_as_go_escapes_them() {
    let metadata = OpenIdMetadata::new(
        EXAMPLE_ISSUER,
        "https://a.example/keys?a=1&b=<2>",
        "",
        &default_keys(),
    )
    .expect("built");
    let text = String::from_utf8_lossy(&metadata.configuration).into_owned();
    assert!(
        text.contains(r#""jwks_uri":"https://a.example/keys?a=1\u0026b=\u003c2\u003e""#),
        "{text}"
    );
}
