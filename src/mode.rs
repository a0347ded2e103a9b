//! The single switch between legacy (v1.8) and bound (v1.24+) service-account behaviour.

use std::fmt;
use std::str::FromStr;

/// Which generation of service-account automation the components implement
/// (`--mode legacy|bound` on every command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Kubernetes v1.8: one auto-created token Secret per account, mounted as a `secret` volume.
    #[default]
    Legacy,
    /// Kubernetes 1.33 with every GA gate on: TokenRequest, projected `kube-api-access-*`
    /// volumes, `kube-root-ca.crt`, no generated token Secrets.
    Bound,
}

impl Mode {
    /// Both modes, legacy first.
    pub const ALL: [Mode; 2] = [Mode::Legacy, Mode::Bound];

    /// `legacy` or `bound`, as the flag spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Legacy => "legacy",
            Mode::Bound => "bound",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--mode` value other than `legacy` or `bound`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid mode {0:?}: must be legacy or bound")]
pub struct InvalidMode(pub String);

impl FromStr for Mode {
    type Err = InvalidMode;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "legacy" => Ok(Mode::Legacy),
            "bound" => Ok(Mode::Bound),
            other => Err(InvalidMode(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_their_flag_spelling() {
        for mode in Mode::ALL {
            assert_eq!(mode.as_str().parse::<Mode>(), Ok(mode));
        }
        assert_eq!(
            "Bound".parse::<Mode>().unwrap_err().to_string(),
            r#"invalid mode "Bound": must be legacy or bound"#
        );
    }
}
