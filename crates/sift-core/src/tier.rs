//! Access tiers: who may see which built-in traders and use which features.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// An access tier, in increasing order of privilege: a user of tier `t` may use everything
/// whose tier is at most `t` (`Tier` is `Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Anonymous,
    Free,
    Pro,
    Elite,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 4] = [Tier::Anonymous, Tier::Free, Tier::Pro, Tier::Elite];

    /// The lower-case name used in files, the API and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Anonymous => "anonymous",
            Tier::Free => "free",
            Tier::Pro => "pro",
            Tier::Elite => "elite",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Error::UnknownTier(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_ordered_and_round_trip() {
        assert!(Tier::Anonymous < Tier::Free && Tier::Free < Tier::Pro && Tier::Pro < Tier::Elite);
        for tier in Tier::ALL {
            assert_eq!(tier.as_str().parse::<Tier>(), Ok(tier));
            let json = serde_json::to_string(&tier).unwrap();
            assert_eq!(json, format!("\"{tier}\""));
        }
        assert!("gold".parse::<Tier>().is_err());
    }
}
