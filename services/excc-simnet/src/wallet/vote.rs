//! `generatevote` (sign a vote with the wallet's key of the ticket's voting
//! script) and automatic voting (`--enablevoting`).

use std::sync::Arc;
use std::time::Duration;

use excc_chain::ChainHash;
use excc_chain::script::parse_multisig;
use excc_chain::subsidy::vote_subsidy;
use excc_chain::{AddressKind, Ticket, Transaction};
use excc_rpc::types::{GeneratedVote, RpcError};
use serde_json::Value;
use tracing::{info, warn};

use super::Wallet;
use super::methods_stake::chain_info;
use crate::chain::sigcheck::{p2pkh_sig_script, p2sh_sig_script, sign_input};
use crate::chain::stake_tx::build_vote;
use crate::chain::wire::push_data;
use crate::rpc::envelope::{Json, RpcResult, params};

fn locked() -> RpcError {
    RpcError::new(
        -4,
        "wallet.GenerateVoteTx: transaction script fails to execute:: txscript.SignTxOutput:: wallet locked: default",
    )
}

/// Builds and signs a vote of `ticket` on (`block`, `height`).
pub async fn make_vote(
    w: &Wallet,
    block: ChainHash,
    height: u32,
    ticket: ChainHash,
    vote_bits: u16,
    ext: &[u8],
) -> Result<String, RpcError> {
    let raw = w
        .node_call(
            "simnet_getrawtransaction",
            &[Value::from(ticket.to_string()), Value::from(0)],
        )
        .await?;
    let bytes = hex::decode(raw.as_str().unwrap_or_default())
        .map_err(|e| RpcError::new(-22, format!("bad ticket hex: {e}")))?;
    let net = w.state().keys.network();
    let tx = Transaction::parse(&bytes).map_err(|e| RpcError::new(-22, e.to_string()))?;
    let t = Ticket::from_tx(net, &tx)
        .map_err(|e| RpcError::new(-8, format!("{ticket} is not a ticket: {e}")))?;
    let mut vote = build_vote(
        ticket,
        &t,
        (block, height),
        vote_bits,
        ext,
        vote_subsidy(net.params(), i64::from(height) + 1),
    );
    let st = w.state();
    let not_ours = || {
        RpcError::new(
            -4,
            format!(
                "wallet.GenerateVoteTx: ticket {ticket} is not controlled by this wallet (no key of its voting address)"
            ),
        )
    };
    let script = match t.voting_address.kind {
        AddressKind::P2sh(h) => {
            let redeem = st.scripts.get(&h).ok_or_else(not_ours)?;
            let (_, keys) = parse_multisig(redeem).map_err(|_| not_ours())?;
            let (b, i) = keys
                .iter()
                .find_map(|k| st.keys.lookup_pub(k))
                .ok_or_else(not_ours)?;
            if !st.unlocked {
                // exccwallet 2.7.6: no error, the redeem script alone (unsigned).
                let mut unsigned = Vec::new();
                push_data(&mut unsigned, redeem);
                vote.inputs[1].sig_script = unsigned;
                return Ok(hex::encode(vote.serialize()));
            }
            let secret = st.keys.secret(b, i).ok_or_else(not_ours)?;
            let sig = sign_input(&vote, 1, &secret).map_err(|e| RpcError::new(-4, e))?;
            p2sh_sig_script(&sig, redeem)
        }
        AddressKind::P2pkh(h) => {
            let (b, i) = st.keys.lookup_hash(&h).ok_or_else(not_ours)?;
            if !st.unlocked {
                return Err(locked());
            }
            let secret = st.keys.secret(b, i).ok_or_else(not_ours)?;
            let key = st.keys.lookup_pub_by_index(b, i).ok_or_else(not_ours)?;
            let sig = sign_input(&vote, 1, &secret).map_err(|e| RpcError::new(-4, e))?;
            p2pkh_sig_script(&sig, &key)
        }
        _ => return Err(not_ours()),
    };
    vote.inputs[1].sig_script = script;
    Ok(hex::encode(vote.serialize()))
}

pub async fn generatevote(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 5, "generatevote")?;
    let parse = |s: &str| -> Result<ChainHash, RpcError> {
        s.parse()
            .map_err(|_| RpcError::new(-8, format!("invalid hash {s:?}")))
    };
    let block = parse(params::str_at(p, 0, "blockhash")?)?;
    let height = params::i64_at(p, 1, "height")? as u32;
    let ticket = parse(params::str_at(p, 2, "tickethash")?)?;
    let bits = params::i64_at(p, 3, "votebits")? as u16;
    let ext = hex::decode(params::str_at(p, 4, "votebitsext")?)
        .map_err(|e| RpcError::new(-8, format!("votebitsext is not hex: {e}")))?;
    let hex_vote = make_vote(w, block, height, ticket, bits, &ext).await?;
    Ok(Json::of(&GeneratedVote { hex: hex_vote }))
}

/// `--enablevoting`: watches the node's tip and votes with every winner the
/// wallet can sign for (vote bits 1, vote version 10).
pub async fn voting_loop(w: Arc<Wallet>) {
    let mut last = String::new();
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let Ok(ci) = chain_info(&w).await else {
            continue;
        };
        if ci.hash == last || !w.state().unlocked {
            continue;
        }
        last = ci.hash.clone();
        let Ok(block) = ci.hash.parse::<ChainHash>() else {
            continue;
        };
        for t in &ci.winners {
            let Ok(ticket) = t.parse::<ChainHash>() else {
                continue;
            };
            match make_vote(&w, block, ci.height, ticket, 1, &[10, 0, 0, 0]).await {
                Ok(hex_vote) => match w
                    .node_call("sendrawtransaction", &[Value::from(hex_vote)])
                    .await
                {
                    Ok(_) => {
                        info!(block = %block, ticket = %ticket, "Voting on block {block} (height {}) using ticket {ticket}", ci.height)
                    }
                    Err(e) => warn!(ticket = %ticket, error = %e, "vote rejected"),
                },
                Err(e) if e.code == -4 && e.message.contains("not controlled") => {}
                Err(e) => warn!(ticket = %ticket, error = %e, "cannot vote"),
            }
        }
    }
}
