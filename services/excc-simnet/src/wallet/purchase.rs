//! `purchaseticket`: builds tickets in the real format (pool tickets commit
//! the pool fee to `vout[1]` with `StakePoolTicketFee` at the tip height, the
//! user's share to `vout[3]`) and sends them to the node. Funding inputs are
//! simulated outpoints signed by the wallet; the node does not track UTXOs.

use std::sync::Arc;

use excc_chain::{Address, Amount, ChainHash, PoolFeePercent, stake_pool_ticket_fee};
use excc_rpc::types::RpcError;
use serde_json::Value;

use super::methods_stake::chain_info;
use super::{Wallet, locked_error};
use crate::chain::sigcheck::{p2pkh_sig_script, sign_input};
use crate::chain::stake_tx::{Contribution, build_ticket};
use crate::chain::wire::{WireIn, WireTx};
use crate::rpc::envelope::{Json, RpcResult, params};

/// exccwallet's default relay fee: 0.001 EXCC per kB = 100 atoms per byte.
pub const FEE_PER_BYTE: i64 = 100;

fn funding_input(id: ChainHash, value: i64, height: u32) -> WireIn {
    WireIn {
        prev_hash: id,
        prev_index: 0,
        tree: 0,
        sequence: u32::MAX,
        value_in: value,
        block_height: height,
        block_index: 1,
        // Placeholder of a real signature script's size, for the fee estimate.
        sig_script: vec![0; 107],
    }
}

pub async fn purchaseticket(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 2, "purchaseticket")?;
    let spend_limit = p[1]
        .as_f64()
        .ok_or_else(|| params::invalid("parameter #2 'spendlimit' must be a number"))?;
    let ticket_addr = params::opt_str(p, 3).filter(|s| !s.is_empty());
    let num = params::opt_i64(p, 4).unwrap_or(1).max(1);
    let pool_addr = params::opt_str(p, 5).filter(|s| !s.is_empty());
    let pool_fees = params::opt_f64(p, 6).unwrap_or(0.0);
    if !w.state().unlocked {
        return Err(locked_error("wallet.PurchaseTickets"));
    }
    let ci = chain_info(w).await?;
    let price = ci.ticketprice;
    if Amount(price).to_excc_f64() > spend_limit {
        return Err(RpcError::new(
            -4,
            format!(
                "wallet.PurchaseTickets: ticket price {} above spend limit {spend_limit}",
                Amount(price)
            ),
        ));
    }
    let net = w.state().keys.network();
    let decode = |s: &str| {
        Address::decode_for(s, net)
            .map_err(|e| RpcError::new(-5, format!("invalid address {s:?}: {e}")))
    };
    let voting_fixed = ticket_addr.map(decode).transpose()?;
    let pool = match pool_addr {
        Some(a) => {
            let fee = PoolFeePercent::from_hundredths((pool_fees * 100.0).round().max(0.0) as u32)
                .map_err(|e| RpcError::new(-8, e.to_string()))?;
            Some((decode(a)?, fee))
        }
        None => None,
    };
    let mut hashes = Vec::new();
    for _ in 0..num {
        let tx = {
            let mut st = w.state();
            let voting = match voting_fixed {
                Some(a) => a,
                None => {
                    let i = (st.file.last_index[0] + 1) as u32;
                    st.file.last_index[0] = i64::from(i);
                    st.keys.address(0, i)
                }
            };
            let change_index = (st.file.last_index[1] + 1) as u32;
            st.file.last_index[1] = i64::from(change_index);
            let user_addr = st.keys.address(1, change_index);
            let mut fund = |value: i64| {
                st.file.spends += 1;
                let mut seed = b"excc-simnet funding".to_vec();
                seed.extend_from_slice(st.file.seed.as_bytes());
                seed.extend_from_slice(&st.file.spends.to_le_bytes());
                funding_input(ChainHash::of(&seed), value, ci.height)
            };
            let build = |fee: i64, pool_fee: i64, fund: &mut dyn FnMut(i64) -> WireIn| -> WireTx {
                let mut parts = Vec::new();
                if let Some((pool_addr, _)) = &pool {
                    parts.push(Contribution {
                        input: fund(pool_fee),
                        commit_to: *pool_addr,
                        commitment: pool_fee,
                    });
                }
                parts.push(Contribution {
                    input: fund(price + fee - pool_fee),
                    commit_to: user_addr,
                    commitment: price + fee - pool_fee,
                });
                build_ticket(&voting, price, &parts)
            };
            let size = build(0, 0, &mut |v| funding_input(ChainHash([0; 32]), v, 0))
                .serialize()
                .len() as i64;
            let fee = size * FEE_PER_BYTE;
            let pool_fee = match &pool {
                Some((_, pf)) => {
                    let f = stake_pool_ticket_fee(
                        net.params(),
                        Amount(price),
                        Amount(fee),
                        i64::from(ci.height),
                        *pf,
                    );
                    if f.atoms() <= 0 {
                        return Err(RpcError::new(
                            -4,
                            format!(
                                "wallet.PurchaseTickets: the pool fee at height {} is zero (no vote subsidy before StakeValidationHeight-1); mine to height {} first",
                                ci.height,
                                net.params().stake.stake_validation_height - 1
                            ),
                        ));
                    }
                    f.atoms()
                }
                None => 0,
            };
            let mut tx = build(fee, pool_fee, &mut fund);
            let secret = st
                .keys
                .secret(1, change_index)
                .ok_or_else(|| RpcError::new(-4, "cannot derive signing key"))?;
            let key = st.keys.pubkey(1, change_index);
            for i in 0..tx.inputs.len() {
                let sig = sign_input(&tx, i, &secret).map_err(|e| RpcError::new(-4, e))?;
                tx.inputs[i].sig_script = p2pkh_sig_script(&sig, &key);
            }
            st.save(&w.settings)?;
            tx
        };
        let id = w
            .node_call(
                "sendrawtransaction",
                &[Value::from(hex::encode(tx.serialize()))],
            )
            .await?;
        hashes.push(id);
    }
    Ok(Json::of(&hashes))
}
