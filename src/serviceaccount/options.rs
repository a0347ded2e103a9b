//! The bound-token settings of kube-apiserver (pkg/kubeapiserver/options/authentication.go,
//! `ServiceAccountAuthenticationOptions`, and its completion in cmd/kube-apiserver/app),
//! with upstream's defaults and start-up validation texts (spec-modern §0.3).

use std::sync::Arc;
use std::time::Duration;

use super::claims::{EXPIRATION_EXTENSION_SECONDS, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS};
use super::go_duration::GoDuration;
use super::keys::SigningKey;

/// `--service-account-issuer` when none is given.
pub const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// `--legacy-service-account-token-clean-up-period` default: one year (`8760h`).
pub const DEFAULT_LEGACY_TOKEN_CLEAN_UP_PERIOD: Duration = Duration::from_secs(365 * 24 * 60 * 60);
/// Smallest non-zero `--service-account-max-token-expiration`.
pub const MIN_MAX_TOKEN_EXPIRATION: Duration = Duration::from_secs(60 * 60);
/// Largest `--service-account-max-token-expiration` (2^32 s).
pub const MAX_MAX_TOKEN_EXPIRATION: Duration = Duration::from_secs(1 << 32);

/// How bound (TokenRequest) tokens are issued and which ones are accepted.
#[derive(Clone)]
pub struct IssuerOptions {
    /// `--service-account-issuer` (repeatable): the first signs new tokens and is published
    /// in OIDC discovery; all are accepted. Default [`DEFAULT_ISSUER`].
    pub issuers: Vec<String>,
    /// `--api-audiences`: the API server's own audiences; empty means all issuers.
    pub api_audiences: Vec<String>,
    /// `--service-account-signing-key-file`: the key that signs TokenRequest tokens; `None`
    /// uses the service-account private key (given or generated).
    pub signing_key: Option<Arc<SigningKey>>,
    /// `--service-account-max-token-expiration`: the cap on requested lifetimes; `None` (0)
    /// is no cap.
    pub max_token_expiration: Option<Duration>,
    /// `--service-account-extend-token-expiration` (default true): pod-bound tokens asked
    /// for 3607 s live a year, with `warnafter` at 3607 s.
    pub extend_token_expiration: bool,
    /// `--service-account-jwks-uri`: `jwks_uri` of the discovery document; `None` is
    /// `https://<external address>/openid/v1/jwks`.
    pub jwks_uri: Option<String>,
}

impl std::fmt::Debug for IssuerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerOptions")
            .field("issuers", &self.issuers)
            .field("api_audiences", &self.api_audiences)
            .field("max_token_expiration", &self.max_token_expiration)
            .field("extend_token_expiration", &self.extend_token_expiration)
            .field("jwks_uri", &self.jwks_uri)
            .finish_non_exhaustive()
    }
}

impl Default for IssuerOptions {
    fn default() -> Self {
        Self {
            issuers: vec![DEFAULT_ISSUER.to_string()],
            api_audiences: Vec::new(),
            signing_key: None,
            max_token_expiration: None,
            extend_token_expiration: true,
            jwks_uri: None,
        }
    }
}

/// A service-account flag kube-apiserver refuses at start; the texts are upstream's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    /// No `--service-account-issuer`.
    #[error("service-account-issuer is a required flag")]
    MissingIssuer,
    /// `--service-account-issuer=""`.
    #[error("service-account-issuer should not be an empty string")]
    EmptyIssuer,
    /// An issuer with a `:` that does not parse as a URL (the second field is the parse error).
    #[error("service-account-issuer {0:?} contained a ':' but was not a valid URL: {1}")]
    InvalidIssuerUrl(String, String),
    /// The same issuer twice.
    #[error("service-account-issuer {0:?} is already specified")]
    DuplicateIssuer(String),
    /// A non-zero cap below one hour or above 2^32 s.
    #[error("the service-account-max-token-expiration must be between 1 hour and 2^32 seconds")]
    MaxTokenExpiration,
    /// `--service-account-jwks-uri` does not parse.
    #[error("service-account-jwks-uri must be a valid URL: {0}")]
    InvalidJwksUri(String),
    /// `--service-account-jwks-uri` is not https.
    #[error("service-account-jwks-uri requires https scheme, parsed as: {0}")]
    JwksUriScheme(String),
    /// `--legacy-service-account-token-clean-up-period` of zero or less (the field is the
    /// period as Go prints it).
    #[error("invalid CleanUpPeriod: {0}")]
    CleanUpPeriod(String),
    /// `--service-account-signing-key-file` without `--service-account-key-file`.
    #[error("service-account-key-file is a required flag")]
    MissingKeyFile,
}

impl IssuerOptions {
    /// The first issuer: `iss` of new tokens and the discovery document's `issuer`.
    pub fn signing_issuer(&self) -> &str {
        self.issuers
            .first()
            .map(String::as_str)
            .unwrap_or(DEFAULT_ISSUER)
    }

    /// `--api-audiences`, or all issuers when none were given (upstream's completion).
    pub fn effective_api_audiences(&self) -> Vec<String> {
        if self.api_audiences.is_empty() {
            self.issuers.clone()
        } else {
            self.api_audiences.clone()
        }
    }

    /// Upstream's start-up checks, in upstream's order; the first failure is returned.
    pub fn validate(&self) -> Result<(), OptionsError> {
        if self.issuers.is_empty() {
            return Err(OptionsError::MissingIssuer);
        }
        let mut seen = std::collections::HashSet::new();
        for issuer in &self.issuers {
            if issuer.is_empty() {
                return Err(OptionsError::EmptyIssuer);
            }
            if issuer.contains(':') {
                if let Err(reason) = crate::go_url::check(issuer) {
                    return Err(OptionsError::InvalidIssuerUrl(issuer.clone(), reason));
                }
            }
            if !seen.insert(issuer.as_str()) {
                return Err(OptionsError::DuplicateIssuer(issuer.clone()));
            }
        }
        if let Some(cap) = self.max_token_expiration {
            if !cap.is_zero()
                && !(MIN_MAX_TOKEN_EXPIRATION..=MAX_MAX_TOKEN_EXPIRATION).contains(&cap)
            {
                return Err(OptionsError::MaxTokenExpiration);
            }
        }
        // An empty value is no value (upstream checks a non-empty one).
        if let Some(uri) = self.jwks_uri.as_deref().filter(|uri| !uri.is_empty()) {
            let scheme = crate::go_url::parse(uri)
                .map_err(OptionsError::InvalidJwksUri)?
                .scheme;
            // Go's parsed scheme is lower-cased: `HTTPS://x` and the opaque `https:x` pass,
            // and the message shows it lower-cased, as `u.String()` does.
            if scheme != "https" {
                let parsed = format!("{scheme}{}", &uri[scheme.len()..]);
                return Err(OptionsError::JwksUriScheme(parsed));
            }
        }
        Ok(())
    }
}

impl IssuerOptions {
    /// kube-apiserver's rule for `--service-account-key-file` (pkg/controlplane/apiserver/
    /// options `Complete`, then pkg/kubeapiserver/options `Validate`): without key files it
    /// falls back to a usable private key only while no `--service-account-signing-key-file`
    /// is given; with one, the key files are required. `key_files_given`: whether any
    /// verification key was configured. The signing key's public key need not be among
    /// them: upstream starts, and refuses the tokens it signs (`invalid signature, no keys
    /// found`).
    pub fn validate_key_files(&self, key_files_given: bool) -> Result<(), OptionsError> {
        if self.signing_key.is_some() && !key_files_given {
            return Err(OptionsError::MissingKeyFile);
        }
        Ok(())
    }
}

impl IssuerOptions {
    /// The warnings kube-apiserver logs at start (pkg/controlplane/apiserver/options
    /// `Complete`) when a cap is set and extension is on: the cap is below the 3607 s
    /// that pod tokens are asked for, or below the year they are extended to. Neither
    /// stops the server. Empty when the cap is off, extension is off, or the cap is out of
    /// range (then [`validate`](Self::validate) refuses it).
    pub fn startup_warnings(&self) -> Vec<String> {
        let Some(cap) = self.max_token_expiration.filter(|cap| {
            self.extend_token_expiration
                && (MIN_MAX_TOKEN_EXPIRATION..=MAX_MAX_TOKEN_EXPIRATION).contains(cap)
        }) else {
            return Vec::new();
        };
        let shown = GoDuration::from(cap);
        let below = |seconds: i64| u64::try_from(seconds).is_ok_and(|s| cap.as_secs() < s);
        let mut warnings = Vec::new();
        if below(WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS) {
            warnings.push(format!(
                "service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than {WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS} seconds (currently {shown})"
            ));
        }
        if below(EXPIRATION_EXTENSION_SECONDS) {
            // Upstream prints the Go duration and then "seconds": `set to 2h0m0s seconds`.
            warnings.push(format!(
                "service-account-extend-token-expiration is true, enabling tokens valid up to {EXPIRATION_EXTENSION_SECONDS} seconds, which is longer than service-account-max-token-expiration set to {shown} seconds"
            ));
        }
        warnings
    }
}

/// `--service-account-max-token-expiration` as Go parsed it: zero is no cap (`None`); a
/// negative value fails as upstream's range check does.
pub fn max_token_expiration(flag: GoDuration) -> Result<Option<Duration>, OptionsError> {
    if flag.is_zero() {
        return Ok(None);
    }
    flag.to_std()
        .map(Some)
        .ok_or(OptionsError::MaxTokenExpiration)
}

/// `--legacy-service-account-token-clean-up-period` must be positive (upstream's
/// `NewLegacySATokenCleaner`); the error prints the value as Go does (`-1h0m0s`).
pub fn validate_clean_up_period(period: GoDuration) -> Result<Duration, OptionsError> {
    period
        .to_std()
        .filter(|period| !period.is_zero())
        .ok_or_else(|| OptionsError::CleanUpPeriod(period.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuers(list: &[&str]) -> IssuerOptions {
        IssuerOptions {
            issuers: list.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn issuers_are_checked_with_upstreams_texts() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (&[DEFAULT_ISSUER], None),
            (&["kubernetes/serviceaccount"], None),
            (&["api", "https://a.example"], None),
            (&[], Some("service-account-issuer is a required flag")),
            (
                &[""],
                Some("service-account-issuer should not be an empty string"),
            ),
            (
                &["https://a.example", "https://a.example"],
                Some(r#"service-account-issuer "https://a.example" is already specified"#),
            ),
            (
                &[":nope"],
                Some(
                    r#"service-account-issuer ":nope" contained a ':' but was not a valid URL: parse ":nope": missing protocol scheme"#,
                ),
            ),
            (
                &["https://a.example:port"],
                Some(
                    r#"service-account-issuer "https://a.example:port" contained a ':' but was not a valid URL: parse "https://a.example:port": invalid port ":port" after host"#,
                ),
            ),
        ];
        for (list, want) in cases {
            let got = issuers(list).validate().err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), *want, "issuers {list:?}");
        }
    }

    #[test]
    fn the_token_cap_lies_between_an_hour_and_two_to_the_32_seconds() {
        for (cap, ok) in [
            (0, true),
            (3599, false),
            (3600, true),
            (1 << 32, true),
            ((1 << 32) + 1, false),
        ] {
            let options = IssuerOptions {
                max_token_expiration: Some(Duration::from_secs(cap)),
                ..Default::default()
            };
            assert_eq!(options.validate().is_ok(), ok, "cap {cap}");
        }
    }

    #[test]
    fn a_negative_cap_fails_as_one_out_of_range() {
        let parse = |text: &str| max_token_expiration(text.parse().unwrap());
        assert_eq!(parse("0s"), Ok(None));
        assert_eq!(parse("2h"), Ok(Some(Duration::from_secs(7200))));
        assert_eq!(
            parse("-1h").unwrap_err().to_string(),
            "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds"
        );
    }

    #[test]
    fn the_clean_up_period_must_be_positive() {
        let check =
            |text: &str| validate_clean_up_period(text.parse().unwrap()).map_err(|e| e.to_string());
        assert_eq!(check("8760h"), Ok(DEFAULT_LEGACY_TOKEN_CLEAN_UP_PERIOD));
        assert_eq!(check("0"), Err("invalid CleanUpPeriod: 0s".to_string()));
        assert_eq!(
            check("-1h"),
            Err("invalid CleanUpPeriod: -1h0m0s".to_string())
        );
    }

    #[test]
    fn a_cap_below_the_extension_warns_at_start() {
        let short = "service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than 3607 seconds (currently 1h0m0s)";
        let year = |shown: &str| {
            format!("service-account-extend-token-expiration is true, enabling tokens valid up to 31536000 seconds, which is longer than service-account-max-token-expiration set to {shown} seconds")
        };
        let cases: Vec<(Option<u64>, bool, Vec<String>)> = vec![
            (None, true, vec![]),
            (Some(3600), true, vec![short.to_string(), year("1h0m0s")]),
            (Some(3607), true, vec![year("1h0m7s")]),
            (Some(7200), true, vec![year("2h0m0s")]),
            (Some(31_536_000), true, vec![]),
            (Some(3600), false, vec![]),
            (Some(60), true, vec![]),
        ];
        for (cap, extend, want) in cases {
            let options = IssuerOptions {
                max_token_expiration: cap.map(Duration::from_secs),
                extend_token_expiration: extend,
                ..Default::default()
            };
            assert_eq!(
                options.startup_warnings(),
                want,
                "cap {cap:?}, extend {extend}"
            );
        }
    }

    #[test]
    fn a_signing_key_file_needs_key_files() {
        let key = crate::serviceaccount::keys::tests::signing_key(
            &crate::serviceaccount::keys::tests::ec_fixture(crate::serviceaccount::EcCurve::P256),
        );
        let with_signing_key = IssuerOptions {
            signing_key: Some(Arc::new(key)),
            ..Default::default()
        };
        assert_eq!(
            with_signing_key
                .validate_key_files(false)
                .unwrap_err()
                .to_string(),
            "service-account-key-file is a required flag"
        );
        assert_eq!(with_signing_key.validate_key_files(true), Ok(()));
        // Without a signing key file the server falls back to its private key.
        assert_eq!(IssuerOptions::default().validate_key_files(false), Ok(()));
    }

    #[test]
    fn the_jwks_uri_must_be_https() {
        let check = |uri: &str| {
            IssuerOptions {
                jwks_uri: Some(uri.into()),
                ..Default::default()
            }
            .validate()
            .map_err(|e| e.to_string())
        };
        assert_eq!(
            check("http://a.example/keys"),
            Err(
                "service-account-jwks-uri requires https scheme, parsed as: http://a.example/keys"
                    .into()
            )
        );
        assert_eq!(
            check("hTTp://a.example/keys"),
            Err(
                "service-account-jwks-uri requires https scheme, parsed as: http://a.example/keys"
                    .into()
            )
        );
        // Go lower-cases the scheme it parses, and an opaque URL has one too; an empty
        // value is none.
        for uri in [
            "HTTPS://a.example/keys",
            "https:a.example",
            "https:/keys",
            "",
        ] {
            assert_eq!(check(uri), Ok(()), "{uri}");
        }
    }

    #[test]
    fn api_audiences_default_to_every_issuer() {
        let options = issuers(&["https://a.example", "https://b.example"]);
        assert_eq!(options.effective_api_audiences(), options.issuers);
        assert_eq!(options.signing_issuer(), "https://a.example");
    }
}
