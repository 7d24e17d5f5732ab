//! Notification frames for a connected block, in exccd's order:
//! `blockconnected`, `spentandmissedtickets`, `newtickets`, `winningtickets`.

use std::collections::BTreeMap;

use excc_chain::Amount;
use excc_rpc::types::{Notification, RawHeader, TicketSpend};

use crate::chain::{Block, Chain};
use crate::rpc::service::{Notice, Topic};

fn frame(n: &Notification) -> String {
    serde_json::to_string(&n.to_frame()).expect("frames serialize")
}

/// The `winningtickets` frame of `block` (None below StakeValidationHeight − 1).
pub fn winning(chain: &Chain, block: &Block) -> Option<String> {
    let svh = chain.params().stake.stake_validation_height;
    (block.height() + 1 >= svh && !block.winners.is_empty()).then(|| {
        frame(&Notification::WinningTickets {
            block_hash: block.hash,
            height: block.height(),
            tickets: block.winners.clone(),
        })
    })
}

/// Every notice a newly connected block produces.
pub fn block_notices(chain: &Chain, block: &Block) -> Vec<Notice> {
    let mut out = vec![Notice {
        topic: Topic::Blocks,
        frame: frame(&Notification::BlockConnected {
            header: RawHeader::new(hex::encode(block.header.serialize())),
            txs: vec![],
        }),
    }];
    let sdiff = Amount(block.header.sbits);
    if block.height() >= chain.params().stake.stake_enabled_height {
        let mut tickets = BTreeMap::new();
        for (t, _, _, _) in &block.votes {
            tickets.insert(*t, TicketSpend::Spent);
        }
        for t in &block.missed {
            tickets.insert(*t, TicketSpend::Missed);
        }
        out.push(Notice {
            topic: Topic::SpentAndMissed,
            frame: frame(&Notification::SpentAndMissedTickets {
                block_hash: block.hash,
                height: block.height(),
                stake_diff: sdiff,
                tickets,
            }),
        });
        out.push(Notice {
            topic: Topic::NewTickets,
            frame: frame(&Notification::NewTickets {
                block_hash: block.hash,
                height: block.height(),
                stake_diff: sdiff,
                tickets: block.matured.clone(),
            }),
        });
    }
    if let Some(f) = winning(chain, block) {
        out.push(Notice {
            topic: Topic::WinningTickets,
            frame: f,
        });
    }
    out
}
