//! The single switch between legacy (v1.8) and bound (v1.24+) service-account behaviour.

/// Which generation of service-account automation the components implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Kubernetes v1.8: one auto-created token Secret per account, mounted as a `secret` volume.
    #[default]
    Legacy,
    /// Kubernetes v1.24+: TokenRequest and projected `kube-api-access-*` volumes (not built yet).
    Bound,
}
