//! `stakepooluserinfo`: a pool user's tickets as the wallet sees them.

use std::fmt;
use std::str::FromStr;

use excc_chain::ChainHash;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_util::null_as_empty;

/// `stakepooluserinfo "P2SH address"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakePoolUserInfo {
    /// Tickets paying the pool fee correctly, with their status.
    #[serde(deserialize_with = "null_as_empty")]
    pub tickets: Vec<PoolUserTicket>,
    /// Tickets with a missing or too low pool fee (legacy wallets write `null` for none).
    #[serde(deserialize_with = "null_as_empty")]
    pub invalid: Vec<ChainHash>,
}

/// One ticket of [`StakePoolUserInfo`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolUserTicket {
    /// Status.
    pub status: PoolTicketStatus,
    /// Ticket hash.
    pub ticket: ChainHash,
    /// Height the ticket was mined at.
    pub ticketheight: u32,
    /// Vote or revocation spending it (all-zero hash while unspent).
    pub spentby: ChainHash,
    /// Height of `spentby` (0 while unspent).
    pub spentbyheight: u32,
}

/// Ticket status strings. 2.7.6 separates `immature` from `live`; legacy
/// wallets reported immature tickets as `live`. Unknown strings are kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PoolTicketStatus {
    /// Mined, not yet mature (2.7.6 only).
    Immature,
    /// In the live pool.
    Live,
    /// Voted.
    Voted,
    /// Missed its vote.
    Missed,
    /// Expired without being chosen.
    Expired,
    /// Anything else, verbatim.
    Other(String),
}

impl PoolTicketStatus {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            PoolTicketStatus::Immature => "immature",
            PoolTicketStatus::Live => "live",
            PoolTicketStatus::Voted => "voted",
            PoolTicketStatus::Missed => "missed",
            PoolTicketStatus::Expired => "expired",
            PoolTicketStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for PoolTicketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PoolTicketStatus {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "immature" => PoolTicketStatus::Immature,
            "live" => PoolTicketStatus::Live,
            "voted" => PoolTicketStatus::Voted,
            "missed" => PoolTicketStatus::Missed,
            "expired" => PoolTicketStatus::Expired,
            other => PoolTicketStatus::Other(other.into()),
        })
    }
}

impl Serialize for PoolTicketStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PoolTicketStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(s.parse()
            .unwrap_or_else(|e: std::convert::Infallible| match e {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in ["immature", "live", "voted", "missed", "expired", "revoked"] {
            let st: PoolTicketStatus = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(serde_json::to_string(&st).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(
            "revoked".parse::<PoolTicketStatus>().unwrap(),
            PoolTicketStatus::Other("revoked".into())
        );
    }

    #[test]
    fn legacy_null_lists() {
        let u: StakePoolUserInfo =
            serde_json::from_str(r#"{"tickets":null,"invalid":null}"#).unwrap();
        assert_eq!(u, StakePoolUserInfo::default());
    }
}
