//! Votes (SSGen): which block a vote is for, which ticket it spends, and the
//! vote bits and vote version it carries.
//!
//! Layout (exccd 2.7.6, `stake.IsSSGen`): input 0 is the stakebase (null
//! outpoint), input 1 spends the ticket; output 0 is `OP_RETURN <32-byte block
//! hash><4-byte LE height>`, output 1 is `OP_RETURN <2-byte LE vote bits>
//! [<4-byte LE vote version> …]`, the rest pay the ticket's commitments
//! (`OP_SSGEN`-tagged).

use crate::error::ChainError;
use crate::hash::ChainHash;
use crate::script::{OP_RETURN, OP_SSGEN};
use crate::tx::Transaction;

/// What a vote says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// The block voted on (the vote is mined in the next one).
    pub block: ChainHash,
    pub block_height: u32,
    /// The ticket it spends.
    pub ticket: ChainHash,
    pub vote_bits: u16,
    /// The vote version after the bits; 0 when the vote carries none.
    pub vote_version: u32,
}

fn not_a_vote(why: &str) -> ChainError {
    ChainError::Tx(format!("not a vote: {why}"))
}

impl Vote {
    /// Reads a vote transaction; errors when it is not shaped like one.
    pub fn from_tx(tx: &Transaction) -> Result<Vote, ChainError> {
        let [stakebase, ticket] = tx.inputs.as_slice() else {
            return Err(not_a_vote("a vote has exactly 2 inputs"));
        };
        if stakebase.prev_hash != ChainHash([0; 32]) || stakebase.prev_index != u32::MAX {
            return Err(not_a_vote("input 0 is not a stakebase"));
        }
        let [block_ref, bits, payouts @ ..] = tx.outputs.as_slice() else {
            return Err(not_a_vote("a vote has at least 3 outputs"));
        };
        let block_ref = &block_ref.pk_script;
        if block_ref.len() != 38 || block_ref[0] != OP_RETURN || block_ref[1] != 0x24 {
            return Err(not_a_vote("output 0 is not OP_RETURN <block hash><height>"));
        }
        let bits = &bits.pk_script;
        let pushed = usize::from(*bits.get(1).unwrap_or(&0));
        if bits.first() != Some(&OP_RETURN)
            || !(2..=75).contains(&pushed)
            || bits.len() != pushed + 2
        {
            return Err(not_a_vote("output 1 is not OP_RETURN <vote bits>"));
        }
        if payouts.is_empty()
            || payouts
                .iter()
                .any(|o| o.pk_script.first() != Some(&OP_SSGEN))
        {
            return Err(not_a_vote("outputs 2.. are not OP_SSGEN payouts"));
        }
        let le32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let mut block = [0u8; 32];
        block.copy_from_slice(&block_ref[2..34]);
        Ok(Vote {
            block: ChainHash(block),
            block_height: le32(&block_ref[34..38]),
            ticket: ticket.prev_hash,
            vote_bits: u16::from_le_bytes([bits[2], bits[3]]),
            vote_version: bits.get(4..8).map_or(0, le32),
        })
    }

    /// Reads a vote from its hex serialization (as `getrawtransaction` returns it).
    pub fn from_hex(hex: &str) -> Result<Vote, ChainError> {
        Vote::from_tx(&Transaction::from_hex(hex)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/excc-2.7.6-simnet")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn exccds_vote_decodes_like_its_verbose_answer() {
        let verbose = &fixture("node-getrawtransaction-vote-verbose.json")["response"]["result"];
        let hex = fixture("node-getrawtransaction-vote-hex.json")["response"]["result"]
            .as_str()
            .unwrap()
            .to_owned();
        let vote = Vote::from_hex(&hex).unwrap();
        // vout[1] "OP_RETURN 01000a000000": bits 1, version 10.
        assert_eq!(vote.vote_bits, 1);
        assert_eq!(vote.vote_version, 10);
        assert_eq!(
            vote.ticket.to_string(),
            verbose["vin"][1]["txid"].as_str().unwrap()
        );
        // vout[0] "OP_RETURN <hash> 93000000": the block at height 0x93 = 147.
        assert_eq!(vote.block_height, 147);
        let block_ref = verbose["vout"][0]["scriptPubKey"]["hex"].as_str().unwrap();
        assert_eq!(hex::encode(vote.block.as_bytes()), block_ref[4..68]);
    }

    #[test]
    fn a_wallets_generated_vote_carries_its_bits() {
        let hex = fixture("wallet-generatevote.json")["response"]["result"]["hex"]
            .as_str()
            .unwrap()
            .to_owned();
        let vote = Vote::from_hex(&hex).unwrap();
        let params = &fixture("wallet-generatevote.json")["request"]["params"];
        // generatevote blockhash height tickethash votebits votebitsext
        assert_eq!(vote.block.to_string(), params[0].as_str().unwrap());
        assert_eq!(u64::from(vote.block_height), params[1].as_u64().unwrap());
        assert_eq!(vote.ticket.to_string(), params[2].as_str().unwrap());
        assert_eq!(u64::from(vote.vote_bits), params[3].as_u64().unwrap());
        assert_eq!(format!("{:08x}", vote.vote_version.swap_bytes()), params[4]);
    }

    fn fixture_vote() -> Transaction {
        let hex = fixture("node-getrawtransaction-vote-hex.json")["response"]["result"]
            .as_str()
            .unwrap()
            .to_owned();
        Transaction::from_hex(&hex).unwrap()
    }

    proptest::proptest! {
        #[test]
        fn bits_and_version_read_back(bits: u16, version: u32, extra in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20)) {
            let mut tx = fixture_vote();
            let mut script = vec![OP_RETURN, (6 + extra.len()) as u8];
            script.extend_from_slice(&bits.to_le_bytes());
            script.extend_from_slice(&version.to_le_bytes());
            script.extend_from_slice(&extra);
            tx.outputs[1].pk_script = script;
            let vote = Vote::from_tx(&tx).unwrap();
            proptest::prop_assert_eq!((vote.vote_bits, vote.vote_version), (bits, version));
        }

        #[test]
        fn any_output_scripts_decode_or_fail_without_panic(
            a in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..60),
            b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        ) {
            let mut tx = fixture_vote();
            tx.outputs[0].pk_script = a;
            tx.outputs[1].pk_script = b;
            let _ = Vote::from_tx(&tx);
        }
    }

    #[test]
    fn other_transactions_are_refused() {
        let ticket = fixture("node-getrawtransaction-ticket-hex.json")["response"]["result"]
            .as_str()
            .unwrap()
            .to_owned();
        let err = Vote::from_hex(&ticket).unwrap_err();
        assert!(err.to_string().contains("not a vote"), "{err}");
    }
}
