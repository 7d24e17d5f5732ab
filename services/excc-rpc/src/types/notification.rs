//! exccd websocket notifications, parsed from and rendered to
//! [`NotificationFrame`]s. Payloads (identical in 2018 and 2.7.6):
//!
//! * `blockconnected`: `["<280-byte header hex>", [subscribed tx hex…] | null]`
//! * `blockdisconnected`: `["<header hex>"]`
//! * `winningtickets`: `["blockhash", height, {"0":"ticket",…,"4":"ticket"}]`
//! * `newtickets`: `["blockhash", height, stakediff(atoms), ["ticket",…]]`
//! * `spentandmissedtickets`: `["blockhash", height, stakediff(atoms), {"ticket":"spent"|"missed",…}]`
//!
//! Anything else is kept as [`Notification::Other`].

use std::collections::BTreeMap;

use excc_chain::{Amount, ChainHash};
use serde_json::{Map, Value};

use super::envelope::NotificationFrame;
use super::header::BlockHeader;

/// A 280-byte header as sent in `blockconnected`/`blockdisconnected`: the raw
/// hex is kept; the decoded header is there when the hex was well formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawHeader {
    /// The header hex as received.
    pub hex: String,
    /// The decoded header (`None` if it was not a 280-byte header).
    pub parsed: Option<Box<BlockHeader>>,
}

impl RawHeader {
    /// Wraps and tries to decode a header hex string.
    pub fn new(hex: String) -> Self {
        let parsed = BlockHeader::from_hex(&hex).ok().map(Box::new);
        RawHeader { hex, parsed }
    }

    /// Block hash, when the header decoded.
    pub fn hash(&self) -> Option<ChainHash> {
        self.parsed.as_ref().map(|h| h.hash())
    }

    /// Block height, when the header decoded.
    pub fn height(&self) -> Option<u32> {
        self.parsed.as_ref().map(|h| h.height)
    }
}

/// Fate of a ticket in `spentandmissedtickets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TicketSpend {
    /// Voted (or revoked) in this block.
    Spent,
    /// Chosen but did not vote.
    Missed,
}

impl TicketSpend {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketSpend::Spent => "spent",
            TicketSpend::Missed => "missed",
        }
    }
}

/// A parsed notification.
#[derive(Clone, Debug, PartialEq)]
pub enum Notification {
    /// A block joined the main chain.
    BlockConnected {
        /// The block header.
        header: RawHeader,
        /// Transactions matching a loaded filter, hex (empty when none; `null` on the wire).
        txs: Vec<String>,
    },
    /// A block left the main chain (reorg).
    BlockDisconnected {
        /// The block header.
        header: RawHeader,
    },
    /// The tickets eligible to vote on `block_hash`.
    WinningTickets {
        /// The block to vote on.
        block_hash: ChainHash,
        /// Its height.
        height: u32,
        /// Winners in key order `"0"`…`"4"`.
        tickets: Vec<ChainHash>,
    },
    /// Tickets that matured (entered the live pool) in this block.
    NewTickets {
        /// Block hash.
        block_hash: ChainHash,
        /// Block height.
        height: u32,
        /// Stake difficulty (sent in atoms).
        stake_diff: Amount,
        /// Matured tickets.
        tickets: Vec<ChainHash>,
    },
    /// Tickets spent (voted/revoked) or missed in this block.
    SpentAndMissedTickets {
        /// Block hash.
        block_hash: ChainHash,
        /// Block height.
        height: u32,
        /// Stake difficulty (sent in atoms).
        stake_diff: Amount,
        /// Ticket → spent or missed.
        tickets: BTreeMap<ChainHash, TicketSpend>,
    },
    /// A notification this crate does not model, verbatim.
    Other {
        /// Method name.
        method: String,
        /// Parameters.
        params: Vec<Value>,
    },
}

/// Why a known notification could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {method} notification: {reason}")]
pub struct NotificationError {
    /// Notification name.
    pub method: String,
    /// What was wrong.
    pub reason: String,
}

fn hash_of(v: &Value, what: &str) -> Result<ChainHash, String> {
    v.as_str()
        .ok_or_else(|| format!("{what} is not a string"))?
        .parse()
        .map_err(|e| format!("{what}: {e}"))
}

fn u32_of(v: &Value, what: &str) -> Result<u32, String> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{what} is not a 32-bit unsigned integer"))
}

fn atoms_of(v: &Value, what: &str) -> Result<Amount, String> {
    v.as_i64()
        .map(Amount::from_atoms)
        .ok_or_else(|| format!("{what} is not an integer of atoms"))
}

fn hashes_of(v: &Value, what: &str) -> Result<Vec<ChainHash>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) => a.iter().map(|h| hash_of(h, what)).collect(),
        _ => Err(format!("{what} is not an array")),
    }
}

fn param(p: &[Value], i: usize) -> Result<&Value, String> {
    p.get(i)
        .ok_or_else(|| format!("expected at least {} parameters, got {}", i + 1, p.len()))
}

fn header_of(p: &[Value]) -> Result<RawHeader, String> {
    let hex = param(p, 0)?
        .as_str()
        .ok_or("header is not a string")?
        .to_owned();
    Ok(RawHeader::new(hex))
}

impl Notification {
    /// Parses a notification frame. Unknown methods become [`Notification::Other`].
    pub fn from_frame(frame: &NotificationFrame) -> Result<Self, NotificationError> {
        Self::parse(&frame.method, &frame.params).map_err(|reason| NotificationError {
            method: frame.method.clone(),
            reason,
        })
    }

    fn parse(method: &str, p: &[Value]) -> Result<Self, String> {
        Ok(match method {
            "blockconnected" => Notification::BlockConnected {
                header: header_of(p)?,
                txs: match p.get(1) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|t| t.as_str().map(str::to_owned).ok_or("tx is not a string"))
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err("transactions are not an array".into()),
                },
            },
            "blockdisconnected" => Notification::BlockDisconnected {
                header: header_of(p)?,
            },
            "winningtickets" => {
                let map = param(p, 2)?
                    .as_object()
                    .ok_or("tickets are not an object")?;
                let mut indexed = map
                    .iter()
                    .map(|(k, v)| {
                        let i: u32 = k
                            .parse()
                            .map_err(|_| format!("key {k:?} is not an index"))?;
                        Ok((i, hash_of(v, "ticket")?))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                indexed.sort_by_key(|(i, _)| *i);
                Notification::WinningTickets {
                    block_hash: hash_of(param(p, 0)?, "block hash")?,
                    height: u32_of(param(p, 1)?, "height")?,
                    tickets: indexed.into_iter().map(|(_, h)| h).collect(),
                }
            }
            "newtickets" => Notification::NewTickets {
                block_hash: hash_of(param(p, 0)?, "block hash")?,
                height: u32_of(param(p, 1)?, "height")?,
                stake_diff: atoms_of(param(p, 2)?, "stake difficulty")?,
                tickets: hashes_of(param(p, 3)?, "ticket")?,
            },
            "spentandmissedtickets" => {
                let map = match param(p, 3)? {
                    Value::Null => Map::new(),
                    Value::Object(m) => m.clone(),
                    _ => return Err("tickets are not an object".into()),
                };
                let tickets = map
                    .iter()
                    .map(|(k, v)| {
                        let fate = match v.as_str() {
                            Some("spent") => TicketSpend::Spent,
                            Some("missed") => TicketSpend::Missed,
                            _ => return Err(format!("ticket {k}: status {v} is not spent/missed")),
                        };
                        Ok((k.parse().map_err(|e| format!("ticket {k}: {e}"))?, fate))
                    })
                    .collect::<Result<_, String>>()?;
                Notification::SpentAndMissedTickets {
                    block_hash: hash_of(param(p, 0)?, "block hash")?,
                    height: u32_of(param(p, 1)?, "height")?,
                    stake_diff: atoms_of(param(p, 2)?, "stake difficulty")?,
                    tickets,
                }
            }
            other => Notification::Other {
                method: other.to_owned(),
                params: p.to_vec(),
            },
        })
    }

    /// The wire method name.
    pub fn method(&self) -> &str {
        match self {
            Notification::BlockConnected { .. } => "blockconnected",
            Notification::BlockDisconnected { .. } => "blockdisconnected",
            Notification::WinningTickets { .. } => "winningtickets",
            Notification::NewTickets { .. } => "newtickets",
            Notification::SpentAndMissedTickets { .. } => "spentandmissedtickets",
            Notification::Other { method, .. } => method,
        }
    }

    /// Renders the frame exccd would send (maps with sorted keys, as Go writes them).
    pub fn to_frame(&self) -> NotificationFrame {
        let hashes =
            |v: &[ChainHash]| Value::Array(v.iter().map(|h| h.to_string().into()).collect());
        let params = match self {
            Notification::BlockConnected { header, txs } => vec![
                header.hex.clone().into(),
                if txs.is_empty() {
                    Value::Null
                } else {
                    txs.iter().cloned().map(Value::from).collect()
                },
            ],
            Notification::BlockDisconnected { header } => vec![header.hex.clone().into()],
            Notification::WinningTickets {
                block_hash,
                height,
                tickets,
            } => {
                let map: Map<String, Value> = tickets
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (i.to_string(), t.to_string().into()))
                    .collect();
                vec![block_hash.to_string().into(), (*height).into(), map.into()]
            }
            Notification::NewTickets {
                block_hash,
                height,
                stake_diff,
                tickets,
            } => vec![
                block_hash.to_string().into(),
                (*height).into(),
                stake_diff.atoms().into(),
                hashes(tickets),
            ],
            Notification::SpentAndMissedTickets {
                block_hash,
                height,
                stake_diff,
                tickets,
            } => {
                // Go writes map keys sorted as strings (displayed hashes).
                let mut entries: Vec<(String, Value)> = tickets
                    .iter()
                    .map(|(t, s)| (t.to_string(), s.as_str().into()))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let map: Map<String, Value> = entries.into_iter().collect();
                vec![
                    block_hash.to_string().into(),
                    (*height).into(),
                    stake_diff.atoms().into(),
                    map.into(),
                ]
            }
            Notification::Other { params, .. } => params.clone(),
        };
        NotificationFrame::new(self.method(), params)
    }
}
