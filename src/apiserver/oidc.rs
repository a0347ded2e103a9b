//! Serves the service-account issuer's OIDC discovery documents in bound mode:
//! upstream's pkg/routes/openidmetadata.go (`OpenIDMetadataServer`), the documents from
//! [`crate::serviceaccount::openid_metadata`] (spec-modern §7).
//!
//! Both paths are non-resource URLs, authorized like any other (the bootstrap
//! `system:service-account-issuer-discovery` role lets `system:serviceaccounts` read
//! them). When the documents cannot be built the paths are not installed: 404.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};

use super::http::{bytes_response, Body};
use super::routes::Route;
use crate::serviceaccount::openid_metadata::{MetadataError, OpenIdMetadata, MAX_AGE_SECONDS};
pub use crate::serviceaccount::openid_metadata::{CONFIGURATION_PATH, KEYS_PATH};

/// Content type of the discovery document.
pub const CONFIGURATION_CONTENT_TYPE: &str = "application/json";
/// Content type of the key set.
pub const KEYS_CONTENT_TYPE: &str = "application/jwk-set+json";

/// The pre-rendered responses.
#[derive(Debug, Clone)]
pub struct OidcEndpoints {
    configuration: Bytes,
    keyset: Bytes,
    cache_control: HeaderValue,
}

impl OidcEndpoints {
    /// Builds the documents, or logs upstream's error line and returns `None` (the
    /// endpoints are then not served).
    pub fn install(
        issuer: &str,
        jwks_uri: &str,
        external_address: &str,
        keys: &[crate::serviceaccount::PublicKey],
    ) -> Option<Self> {
        match OpenIdMetadata::new(issuer, jwks_uri, external_address, keys) {
            Ok(metadata) => Some(Self::from(metadata)),
            Err(err) => {
                log_not_installed(&err);
                None
            }
        }
    }

    /// The response for [`Route::OpenIdConfiguration`] or [`Route::OpenIdKeys`]: `200`
    /// with the document, its content type and `Cache-Control: public, max-age=3600`
    /// (upstream sets it over the API server's default no-cache headers).
    pub fn response(&self, route: &Route) -> Response<Body> {
        let (body, content_type) = match route {
            Route::OpenIdKeys => (self.keyset.clone(), KEYS_CONTENT_TYPE),
            _ => (self.configuration.clone(), CONFIGURATION_CONTENT_TYPE),
        };
        let mut response = bytes_response(StatusCode::OK, body, content_type);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, self.cache_control.clone());
        response
    }
}

impl From<OpenIdMetadata> for OidcEndpoints {
    fn from(metadata: OpenIdMetadata) -> Self {
        Self {
            configuration: Bytes::from(metadata.configuration),
            keyset: Bytes::from(metadata.keyset),
            cache_control: HeaderValue::from_str(&format!("public, max-age={MAX_AGE_SECONDS}"))
                .unwrap_or(HeaderValue::from_static("public, max-age=3600")),
        }
    }
}

fn log_not_installed(err: &MetadataError) {
    tracing::error!(
        "Could not construct pre-rendered responses for ServiceAccountIssuerDiscovery endpoints. Endpoints will not be enabled. Error: {err}"
    );
}
