//! `gettransaction`: the wallet's view of one of its transactions. The simulator
//! answers for tickets whose voting address the wallet controls (its own keys or
//! an imported script), which is what the pool asks for; anything else is
//! `-5 No information for transaction`, as exccwallet says for foreign txids.

use std::sync::Arc;

use excc_chain::{Address, Amount, Transaction};
use excc_rpc::types::{RawTransaction, RpcError, TransactionDetail, WalletTransaction};
use serde_json::Value;

use super::Wallet;
use crate::rpc::envelope::{Json, RpcResult, params};

fn no_information() -> RpcError {
    RpcError::new(-5, "No information for transaction")
}

pub async fn gettransaction(w: &Arc<Wallet>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "gettransaction")?;
    let txid = params::str_at(p, 0, "txid")?;
    let raw = w
        .node_call("getrawtransaction", &[Value::from(txid), Value::from(1)])
        .await
        .map_err(|_| no_information())?;
    let raw: RawTransaction = serde_json::from_value(raw).map_err(|_| no_information())?;
    let network = w.state().keys.network();
    let tx = Transaction::from_hex(&raw.hex).map_err(|_| no_information())?;
    let ticket = excc_chain::Ticket::from_tx(network, &tx).map_err(|_| no_information())?;
    let voting = ticket.voting_address;
    let (owned, account) = {
        let state = w.state();
        if voting.is_p2sh() && state.scripts.contains_key(&voting.hash160()) {
            (true, "imported")
        } else {
            (
                state.keys.lookup_hash(&voting.hash160()).is_some(),
                "default",
            )
        }
    };
    if !owned {
        return Err(no_information());
    }
    let detail = TransactionDetail {
        account: account.into(),
        address: Address::encode(&voting),
        amount: ticket.price,
        category: "ticket".into(),
        involveswatchonly: account == "imported",
        fee: None,
        vout: 0,
    };
    Ok(Json::of(&WalletTransaction {
        amount: Amount::ZERO,
        fee: ticket.tx_fee,
        confirmations: raw.confirmations,
        blockhash: raw.blockhash,
        blockindex: i64::from(raw.blockindex),
        blocktime: raw.blocktime,
        txid: raw.txid,
        walletconflicts: vec![],
        time: raw.time,
        timereceived: raw.time,
        details: vec![detail],
        hex: raw.hex,
        kind: "ticket".into(),
        ticketstatus: if raw.blockhash.is_some() {
            "live".into()
        } else {
            "unmined".into()
        },
    }))
}
