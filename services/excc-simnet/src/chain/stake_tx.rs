//! Builders and readers for the stake transactions the simulator moves around:
//! tickets (SStx), votes (SSGen), revocations (SSRtx) and coinbases.

use excc_chain::script::{
    OP_DATA_30, OP_RETURN, OP_SSGEN, OP_SSRTX, OP_SSTX, OP_SSTXCHANGE, p2pkh_script,
};
use excc_chain::{Address, ChainHash, Network, Ticket, Transaction};

use super::wire::{NO_BLOCK_INDEX, TREE_STAKE, WireIn, WireOut, WireTx};

/// Commitment fee limits the wallet writes (revocation limit 2^14): bytes `00 4e`.
pub const COMMITMENT_LIMITS: u16 = 0x4e00;
/// The stakebase signature script exccwallet writes (observed).
pub const STAKEBASE_SCRIPT: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

/// `OP_RETURN OP_DATA_30 <hash160 || amount (bit 63 = P2SH) || limits>`.
pub fn commitment_script(addr: &Address, amount: i64) -> Vec<u8> {
    let mut s = vec![OP_RETURN, OP_DATA_30];
    s.extend_from_slice(&addr.hash160());
    let mut raw = amount as u64;
    if addr.is_p2sh() {
        raw |= 1 << 63;
    }
    s.extend_from_slice(&raw.to_le_bytes());
    s.extend_from_slice(&COMMITMENT_LIMITS.to_le_bytes());
    s
}

/// An output script tagged with a stake opcode (`OP_SSTX`, `OP_SSGEN`, …).
pub fn tagged(op: u8, addr: &Address) -> Vec<u8> {
    let mut s = vec![op];
    s.extend_from_slice(&addr.pk_script());
    s
}

/// The zero-value change output of a ticket (to the all-zero P2PKH).
pub fn zero_change() -> WireOut {
    let mut s = vec![OP_SSTXCHANGE];
    s.extend_from_slice(&p2pkh_script(&[0; 20]));
    WireOut::new(0, s)
}

/// One contributor of a ticket: who gets `commitment` back.
#[derive(Clone, Debug)]
pub struct Contribution {
    pub input: WireIn,
    pub commit_to: Address,
    pub commitment: i64,
}

/// A ticket: `vout[0]` OP_SSTX to `voting`, then (commitment, change) per contributor.
pub fn build_ticket(voting: &Address, price: i64, contributions: &[Contribution]) -> WireTx {
    let mut outputs = vec![WireOut::new(price, tagged(OP_SSTX, voting))];
    for c in contributions {
        outputs.push(WireOut::new(
            0,
            commitment_script(&c.commit_to, c.commitment),
        ));
        outputs.push(zero_change());
    }
    WireTx {
        version: 1,
        inputs: contributions.iter().map(|c| c.input.clone()).collect(),
        outputs,
        lock_time: 0,
        expiry: 0,
    }
}

/// Decred's `CalculateRewards`: each commitment grows by `(price + subsidy) / price`.
pub fn rewards(ticket: &Ticket, subsidy: i64) -> Vec<i64> {
    let price = i128::from(ticket.price.atoms().max(1));
    ticket
        .commitments
        .iter()
        .map(|c| (i128::from(c.amount.atoms()) * (price + i128::from(subsidy)) / price) as i64)
        .collect()
}

/// What a vote says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteInfo {
    pub block_hash: ChainHash,
    pub block_height: u32,
    pub ticket: ChainHash,
    pub vote_bits: u16,
    pub version: u32,
}

/// An unsigned vote on `block` spending `ticket_id` (a ticket mined at
/// `ticket_height`/`ticket_index` of the stake tree).
pub fn build_vote(
    ticket_id: ChainHash,
    ticket: &Ticket,
    block: (ChainHash, u32),
    vote_bits: u16,
    vote_bits_ext: &[u8],
    subsidy: i64,
) -> WireTx {
    let mut block_ref = vec![OP_RETURN, 0x24];
    block_ref.extend_from_slice(block.0.as_bytes());
    block_ref.extend_from_slice(&block.1.to_le_bytes());
    let mut bits = vec![OP_RETURN, (2 + vote_bits_ext.len()) as u8];
    bits.extend_from_slice(&vote_bits.to_le_bytes());
    bits.extend_from_slice(vote_bits_ext);
    let mut outputs = vec![WireOut::new(0, block_ref), WireOut::new(0, bits)];
    for (c, amount) in ticket.commitments.iter().zip(rewards(ticket, subsidy)) {
        outputs.push(WireOut::new(amount, tagged(OP_SSGEN, &c.address)));
    }
    WireTx {
        version: 1,
        inputs: vec![
            WireIn::null(subsidy, STAKEBASE_SCRIPT.to_vec()),
            WireIn {
                prev_hash: ticket_id,
                prev_index: 0,
                tree: TREE_STAKE,
                sequence: u32::MAX,
                value_in: ticket.price.atoms(),
                block_height: 0,
                block_index: NO_BLOCK_INDEX,
                sig_script: Vec::new(),
            },
        ],
        outputs,
        lock_time: 0,
        expiry: 0,
    }
}

/// Reads a vote's block reference, ticket and vote bits; `None` if `tx` is not a vote.
pub fn parse_vote(tx: &WireTx) -> Option<VoteInfo> {
    if tx.inputs.len() != 2 || !tx.inputs[0].is_null() || tx.outputs.len() < 3 {
        return None;
    }
    let block_ref = &tx.outputs[0].script;
    if block_ref.len() != 38 || block_ref[0] != OP_RETURN || block_ref[1] != 0x24 {
        return None;
    }
    let bits = &tx.outputs[1].script;
    if bits.len() < 4 || bits[0] != OP_RETURN {
        return None;
    }
    if tx.outputs[2..]
        .iter()
        .any(|o| o.script.first() != Some(&OP_SSGEN))
    {
        return None;
    }
    let version = bits
        .get(4..8)
        .map(|v| u32::from_le_bytes(v.try_into().expect("4")))
        .unwrap_or(0);
    Some(VoteInfo {
        block_hash: ChainHash(block_ref[2..34].try_into().expect("32")),
        block_height: u32::from_le_bytes(block_ref[34..38].try_into().expect("4")),
        ticket: tx.inputs[1].prev_hash,
        vote_bits: u16::from_le_bytes([bits[2], bits[3]]),
        version,
    })
}

/// An automatic revocation (DCP0009: no signature, no fee) of a missed or expired ticket.
pub fn build_revocation(ticket_id: ChainHash, ticket: &Ticket, height: u32, index: u32) -> WireTx {
    WireTx {
        version: 2,
        inputs: vec![WireIn {
            prev_hash: ticket_id,
            prev_index: 0,
            tree: TREE_STAKE,
            sequence: u32::MAX,
            value_in: ticket.price.atoms(),
            block_height: height,
            block_index: index,
            sig_script: Vec::new(),
        }],
        outputs: ticket
            .commitments
            .iter()
            .map(|c| WireOut::new(c.amount.atoms(), tagged(OP_SSRTX, &c.address)))
            .collect(),
        lock_time: 0,
        expiry: 0,
    }
}

/// The coinbase of block `height` paying `work` atoms to `miner` (or burning them).
pub fn build_coinbase(height: u32, work: i64, miner: Option<&Address>) -> WireTx {
    let mut height_ref = vec![OP_RETURN, 0x0c];
    height_ref.extend_from_slice(&height.to_le_bytes());
    height_ref.extend_from_slice(&[0; 8]);
    let pay = miner
        .map(Address::pk_script)
        .unwrap_or_else(|| vec![OP_RETURN]);
    let mut sig = vec![0x04];
    sig.extend_from_slice(&height.to_le_bytes());
    WireTx {
        version: 1,
        inputs: vec![WireIn::null(work, sig)],
        outputs: vec![WireOut::new(0, height_ref), WireOut::new(work, pay)],
        lock_time: 0,
        expiry: height,
    }
}

/// Parses `bytes` as a ticket; `None` when it is not one.
pub fn parse_ticket(network: Network, bytes: &[u8]) -> Option<(Transaction, Ticket)> {
    let tx = Transaction::parse(bytes).ok()?;
    let ticket = Ticket::from_tx(network, &tx).ok()?;
    Some((tx, ticket))
}

#[cfg(test)]
mod tests {
    use super::*;
    use excc_chain::{Amount, ChainHash};

    fn addr(s: &str) -> Address {
        Address::decode(s).unwrap()
    }

    #[test]
    fn built_pool_ticket_parses_with_the_chain_library() {
        let voting = addr("ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC");
        let fee_addr = addr("Ssc6h7MzA19EDXa1hbf2jha6Kmj9XSZULnc");
        let user = addr("Ssbmzkssd4MbyXR2y6r2yDXVsDXVXXmtaoF");
        let input = |v| WireIn {
            prev_hash: ChainHash([7; 32]),
            prev_index: 0,
            tree: 0,
            sequence: u32::MAX,
            value_in: v,
            block_height: 1,
            block_index: 0,
            sig_script: vec![],
        };
        let tx = build_ticket(
            &voting,
            1000,
            &[
                Contribution {
                    input: input(75),
                    commit_to: fee_addr,
                    commitment: 75,
                },
                Contribution {
                    input: input(935),
                    commit_to: user,
                    commitment: 935,
                },
            ],
        );
        let (parsed, ticket) = parse_ticket(Network::Simnet, &tx.serialize()).unwrap();
        assert_eq!(parsed.txid, tx.txid());
        assert_eq!(ticket.voting_address, voting);
        assert_eq!(ticket.price, Amount(1000));
        assert_eq!(ticket.commitments[0].address, fee_addr);
        assert_eq!(ticket.commitments[0].amount, Amount(75));
        assert_eq!(ticket.commitments[0].limits, COMMITMENT_LIMITS);
        assert_eq!(ticket.commitments[1].address, user);
        assert_eq!(ticket.tx_fee, Amount(10));

        let vote = build_vote(
            tx.txid(),
            &ticket,
            (ChainHash([9; 32]), 147),
            1,
            &[10, 0, 0, 0],
            100,
        );
        let info = parse_vote(&vote).unwrap();
        assert_eq!(info.ticket, tx.txid());
        assert_eq!(info.block_height, 147);
        assert_eq!(info.vote_bits, 1);
        assert_eq!(info.version, 10);
        assert_eq!(vote.outputs.len(), 4);
        let rev = build_revocation(tx.txid(), &ticket, 150, 3);
        assert!(parse_vote(&rev).is_none());
        assert!(parse_ticket(Network::Simnet, &vote.serialize()).is_none());
    }
}
