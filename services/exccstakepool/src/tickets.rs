//! A user's tickets as the tickets page shows them (legacy classification, upstream's
//! order): live (with immature), voted (newest first, at most [`MAX_VOTED_SHOWN`]), missed,
//! expired (a missed ticket whose lifetime ran out), and invalid ones (a fee below the
//! pool's, as the wallet reports).

use std::cmp::Reverse;

use excc_chain::Network;
use stakepoold_proto::v1 as pb;

/// Voted tickets listed; older ones are only counted.
pub const MAX_VOTED_SHOWN: usize = 1000;

/// One ticket row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRow {
    pub hash: String,
    pub height: u32,
    /// The vote (or revocation) that spent it, and its height.
    pub spent_by: String,
    pub spent_height: u32,
    /// Where the ticket and its spender can be looked at, if the network has an explorer.
    pub link: Option<String>,
    pub spent_link: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketLists {
    pub live: Vec<TicketRow>,
    pub voted: Vec<TicketRow>,
    /// All voted tickets, also those not listed.
    pub voted_count: usize,
    pub missed: Vec<TicketRow>,
    pub expired: Vec<TicketRow>,
    pub invalid: Vec<String>,
}

/// The public block explorer's page of a transaction.
pub fn explorer_link(network: Network, tx: &str) -> Option<String> {
    match network {
        Network::Mainnet => Some(format!("https://explorer.excc.co/tx/{tx}")),
        Network::Testnet => Some(format!("https://testnet-explorer.excc.co/tx/{tx}")),
        Network::Simnet | Network::Regnet => None,
    }
}

pub fn classify(network: Network, info: pb::StakePoolUserInfoResponse) -> TicketLists {
    let expiry = network.params().stake.ticket_expiry;
    let mut lists = TicketLists {
        invalid: info.invalid_tickets,
        ..TicketLists::default()
    };
    for t in info.tickets {
        let row = TicketRow {
            link: explorer_link(network, &t.ticket),
            spent_link: explorer_link(network, &t.spent_by).filter(|_| !t.spent_by.is_empty()),
            hash: t.ticket,
            height: t.ticket_height,
            spent_by: t.spent_by,
            spent_height: t.spent_by_height,
        };
        match t.status.as_str() {
            "voted" => lists.voted.push(row),
            "expired" => lists.expired.push(row),
            "missed" if row.spent_height.saturating_sub(row.height) >= expiry => {
                lists.expired.push(row)
            }
            "missed" | "revoked" => lists.missed.push(row),
            _ => lists.live.push(row),
        }
    }
    lists.voted_count = lists.voted.len();
    lists.voted.sort_by_key(|t| Reverse(t.spent_height));
    lists.voted.truncate(MAX_VOTED_SHOWN);
    lists.missed.sort_by_key(|t| Reverse(t.spent_height));
    lists.live.sort_by_key(|t| Reverse(t.height));
    lists
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(status: &str, n: u32, height: u32, spent: u32) -> pb::StakePoolUserTicket {
        pb::StakePoolUserTicket {
            status: status.into(),
            ticket: format!("{n:064x}"),
            ticket_height: height,
            spent_by: if spent > 0 {
                format!("{:064x}", n + 100)
            } else {
                String::new()
            },
            spent_by_height: spent,
        }
    }

    #[test]
    fn tickets_are_grouped_and_ordered() {
        let info = pb::StakePoolUserInfoResponse {
            tickets: vec![
                t("live", 1, 150, 0),
                t("immature", 2, 160, 0),
                t("voted", 3, 140, 170),
                t("voted", 4, 141, 190),
                t("missed", 5, 142, 180),
                t("missed", 6, 143, 143 + 384),
                t("expired", 7, 100, 484),
            ],
            invalid_tickets: vec!["ab".repeat(32)],
        };
        let l = classify(Network::Simnet, info);
        let hashes = |rows: &[TicketRow]| {
            rows.iter()
                .map(|r| r.hash[62..].to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(hashes(&l.live), ["02", "01"]);
        assert_eq!(hashes(&l.voted), ["04", "03"]);
        assert_eq!(l.voted_count, 2);
        assert_eq!(hashes(&l.missed), ["05"]);
        assert_eq!(hashes(&l.expired), ["06", "07"]);
        assert_eq!(l.invalid.len(), 1);
        assert!(l.live[0].link.is_none());
        assert_eq!(
            explorer_link(Network::Mainnet, "ab").as_deref(),
            Some("https://explorer.excc.co/tx/ab")
        );
    }
}
