//! The service-account token authenticators of a bound-mode server (upstream's
//! pkg/kubeapiserver/authenticator/config.go, 1.28+): the legacy JWT authenticator for
//! issuer `kubernetes/serviceaccount` (with the 1.28+ tracking of
//! [`super::legacy_tokens`]) and the bound one for every
//! `--service-account-issuer`, both with the API audiences as implicit audiences, their
//! union's successes cached (spec-modern §3.1).

use std::sync::Arc;
use std::time::Duration;

use super::components::{ServiceAccountOptions, StoreTokenGetter};
use super::legacy_tokens::TrackedLegacyAuthenticator;
use super::store::Store;
use crate::authn::{CachedTokenAuthenticator, TokenAuthenticator};
use crate::serviceaccount::bound::{BoundTokenAuthenticator, IssuerGate};
use crate::serviceaccount::LEGACY_ISSUER;

/// The union: `legacy` (seeing only tokens whose `iss` is `kubernetes/serviceaccount`),
/// then the bound authenticator, successes cached for `cache_ttl`. Both verify with the
/// `--service-account-key-file` keys only, as upstream: a TokenRequest signing key left
/// out of them signs tokens that are refused.
pub(crate) fn authenticators(
    options: &ServiceAccountOptions,
    legacy: Arc<dyn TokenAuthenticator>,
    getter: Arc<StoreTokenGetter>,
    store: Arc<Store>,
    cache_ttl: Duration,
) -> Arc<dyn TokenAuthenticator> {
    let keys = options.verification_keys.clone();
    let bound = Arc::new(BoundTokenAuthenticator::new(
        options.issuer.issuers.clone(),
        keys,
        options.issuer.effective_api_audiences(),
        getter,
        store.clock().clone(),
    ));
    let legacy = Arc::new(TrackedLegacyAuthenticator::new(
        legacy,
        store.clone(),
        options.lookup,
    ));
    let legacy = Arc::new(IssuerGate::new(vec![LEGACY_ISSUER.to_string()], legacy));
    Arc::new(CachedTokenAuthenticator::new(
        vec![legacy, bound],
        cache_ttl,
    ))
}
