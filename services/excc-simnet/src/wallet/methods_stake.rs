//! Stake queries of the wallet: stakepooluserinfo (with the real pool-fee
//! rule), ticketsforaddress, getstakeinfo, gettickets, getbalance.

use std::sync::Arc;

use excc_chain::{Address, Amount, ChainHash, FeeCheck};
use excc_rpc::types::{
    AccountBalance, Balance, PoolTicketStatus, PoolUserTicket, RpcError, StakeInfo,
    StakePoolUserInfo, TicketHashes, TicketList,
};
use serde_json::Value;

use super::Wallet;
use crate::chain::stake_tx::parse_ticket;
use crate::node::methods_sim::{ChainInfo, SimTicket};
use crate::rpc::envelope::{Json, RpcResult, params};

/// Simulated funds of a wallet before it buys tickets (1,000,000 EXCC).
pub const SIM_FUNDS: i64 = 1_000_000 * 100_000_000;

pub async fn chain_info(w: &Wallet) -> Result<ChainInfo, RpcError> {
    let v = w.node_call("simnet_chaininfo", &[]).await?;
    serde_json::from_value(v).map_err(|e| RpcError::new(-1, format!("bad node reply: {e}")))
}

/// Tickets (mined or in the mempool) paying to any of `addrs`.
pub async fn tickets_for(w: &Wallet, addrs: Vec<String>) -> Result<Vec<SimTicket>, RpcError> {
    let v = w.node_call("simnet_tickets", &[Value::from(addrs)]).await?;
    serde_json::from_value(v).map_err(|e| RpcError::new(-1, format!("bad node reply: {e}")))
}

/// The pool-fee check of stake-pool mode; `None` outside pool mode and for
/// tickets that do not vote through an imported script (the wallet's own).
pub fn fee_check(w: &Wallet, t: &SimTicket) -> Option<FeeCheck> {
    let pool = w.settings.pool.as_ref()?;
    let bytes = hex::decode(&t.hex).ok()?;
    let (_, ticket) = parse_ticket(w.state().keys.network(), &bytes)?;
    if !ticket.voting_address.is_p2sh()
        || !w
            .state()
            .scripts
            .contains_key(&ticket.voting_address.hash160())
    {
        return None;
    }
    Some(ticket.check_pool_fee(
        |a: &Address| !a.is_p2sh() && pool.fee_addresses.contains(&a.hash160()),
        i64::from(t.height),
        pool.fee,
    ))
}

/// Tickets the wallet tracks: its own, minus (in pool mode) underpaying ones.
async fn own_tickets(w: &Wallet) -> Result<Vec<SimTicket>, RpcError> {
    let addrs = w.state().owned_addresses();
    let all = tickets_for(w, addrs).await?;
    Ok(all
        .into_iter()
        .filter(|t| t.status == "unmined" || fee_check(w, t).is_none_or(|c| c.is_paid()))
        .collect())
}

fn hash(s: &str) -> ChainHash {
    s.parse().unwrap_or(ChainHash([0; 32]))
}

pub async fn stakepooluserinfo(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "stakepooluserinfo")?;
    let s = params::str_at(p, 0, "user")?;
    if w.settings.pool.is_none() {
        return Err(RpcError::new(
            -4,
            "stake pool mode is off: start the wallet with --stakepoolcoldextkey",
        ));
    }
    let addr = Address::decode_for(s, w.state().keys.network())
        .map_err(|e| RpcError::new(-5, format!("invalid address {s:?}: {e}")))?;
    let mut info = StakePoolUserInfo::default();
    if !w.state().scripts.contains_key(&addr.hash160()) || !addr.is_p2sh() {
        return Ok(Json::of(&info));
    }
    for t in tickets_for(w, vec![s.to_string()]).await? {
        if t.status == "unmined" {
            continue;
        }
        if fee_check(w, &t).is_some_and(|c| !c.is_paid()) {
            info.invalid.push(hash(&t.ticket));
            continue;
        }
        let status: PoolTicketStatus = t.status.parse().unwrap_or(PoolTicketStatus::Live);
        info.tickets.push(PoolUserTicket {
            status,
            ticket: hash(&t.ticket),
            ticketheight: t.height,
            spentby: hash(&t.spentby),
            spentbyheight: t.spentbyheight,
        });
    }
    Ok(Json::of(&info))
}

pub async fn ticketsforaddress(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "ticketsforaddress")?;
    let s = params::str_at(p, 0, "address")?;
    Address::decode_for(s, w.state().keys.network())
        .map_err(|e| RpcError::new(-5, format!("invalid address {s:?}: {e}")))?;
    let tickets = tickets_for(w, vec![s.to_string()])
        .await?
        .into_iter()
        .filter(|t| matches!(t.status.as_str(), "immature" | "live"))
        .filter(|t| fee_check(w, t).is_none_or(|c| c.is_paid()))
        .map(|t| hash(&t.ticket))
        .collect();
    Ok(Json::of(&TicketList { tickets }))
}

pub async fn getstakeinfo(w: &Arc<Wallet>) -> RpcResult {
    let ci = chain_info(w).await?;
    let own = own_tickets(w).await?;
    let count = |f: &dyn Fn(&SimTicket) -> bool| own.iter().filter(|t| f(t)).count() as u32;
    let live = count(&|t| t.status == "live");
    let voted = count(&|t| t.status == "voted");
    let missed = count(&|t| t.status == "missed" || t.status == "expired");
    let expired = count(&|t| t.status == "expired");
    let revoked = count(&|t| t.revoked);
    let poolsize = ci.poolsize as u32;
    Ok(Json::of(&StakeInfo {
        blockheight: i64::from(ci.height),
        difficulty: Amount(ci.ticketprice),
        totalsubsidy: Amount(i64::from(voted) * ci.votesubsidy),
        ownmempooltix: count(&|t| t.status == "unmined"),
        immature: count(&|t| t.status == "immature"),
        unspent: live,
        voted,
        revoked,
        unspentexpired: 0,
        poolsize,
        // exccwallet 2.7.6 reported no `allmempooltix` in both captures (even with
        // its own tickets in the mempool); keep that observed behaviour.
        allmempooltix: 0,
        live,
        proportionlive: if poolsize > 0 {
            f64::from(live) / f64::from(poolsize)
        } else {
            0.0
        },
        missed,
        proportionmissed: if voted + missed > 0 {
            f64::from(missed) / f64::from(voted + missed)
        } else {
            0.0
        },
        expired,
    }))
}

pub async fn gettickets(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    let immature = params::opt_bool(p, 0).unwrap_or(false);
    let hashes = own_tickets(w)
        .await?
        .into_iter()
        .filter(|t| t.status == "live" || (immature && t.status == "immature"))
        .map(|t| hash(&t.ticket))
        .collect();
    Ok(Json::of(&TicketHashes { hashes }))
}

pub async fn getbalance(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    let account = params::opt_str(p, 0).unwrap_or("*");
    if account != "*" && account != "default" {
        return Err(RpcError::new(
            -4,
            format!("account {account:?} does not exist"),
        ));
    }
    let ci = chain_info(w).await?;
    let own = own_tickets(w).await?;
    let sum = |f: &dyn Fn(&SimTicket) -> bool| -> i64 {
        own.iter()
            .filter(|t| f(t))
            .filter_map(|t| hex::decode(&t.hex).ok())
            .filter_map(|b| parse_ticket(w.state().keys.network(), &b))
            .map(|(_, tk)| tk.price.atoms())
            .sum()
    };
    let locked = sum(&|t| t.status == "immature" || t.status == "live");
    let unconfirmed = sum(&|t| t.status == "unmined");
    let spendable = (SIM_FUNDS - locked - unconfirmed).max(0);
    let bal = AccountBalance {
        accountname: "default".into(),
        immaturecoinbaserewards: Amount(0),
        immaturestakegeneration: Amount(0),
        lockedbytickets: Amount(locked),
        spendable: Amount(spendable),
        total: Amount(spendable + locked),
        unconfirmed: Amount(unconfirmed),
        votingauthority: Amount(locked),
    };
    Ok(Json::of(&Balance {
        balances: vec![bal],
        blockhash: hash(&ci.hash),
        totalimmaturecoinbaserewards: Amount(0),
        totalimmaturestakegeneration: Amount(0),
        totallockedbytickets: Amount(0),
        totalspendable: Amount(0),
        cumulativetotal: Amount(0),
        totalunconfirmed: Amount(0),
        totalvotingauthority: Amount(0),
    }))
}
