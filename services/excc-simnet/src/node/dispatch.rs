//! Method table of the simulated exccd.

use std::sync::Arc;

use excc_rpc::types::RpcError;
use serde_json::Value;

use super::{Node, generate, methods_chain as c, methods_sim as sim, methods_stake as s, methods_tx as t};
use crate::rpc::envelope::RpcResult;

/// Decred wallet RPC names exccd refuses with "does not implement wallet commands".
const WALLET_METHODS: &[&str] = &[
    "accountaddressindex", "accountsyncaddressindex", "addmultisigaddress", "addticket",
    "addtransaction", "backupwallet", "createencryptedwallet", "createmultisig",
    "createnewaccount", "dumpprivkey", "dumpwallet", "encryptwallet", "generatevote",
    "getaccount", "getaccountaddress", "getaddressesbyaccount", "getbalance",
    "getmasterpubkey", "getnewaddress", "getrawchangeaddress", "getreceivedbyaccount",
    "getreceivedbyaddress", "getstakeinfo", "getticketfee", "gettickets", "gettransaction",
    "getunconfirmedbalance", "getvotechoices", "getwalletfee", "importprivkey",
    "importscript", "importwallet", "keypoolrefill", "listaccounts", "listaddressgroupings",
    "listlockunspent", "listreceivedbyaccount", "listreceivedbyaddress", "listscripts",
    "listsinceblock", "listtransactions", "listunspent", "lockunspent", "move",
    "purchaseticket", "redeemmultisigout", "redeemmultisigouts", "renameaccount",
    "revoketickets", "sendfrom", "sendmany", "sendtoaddress", "sendtomultisig",
    "setticketfee", "settxfee", "setvotechoice", "signmessage", "signrawtransaction",
    "signrawtransactions", "stakepooluserinfo", "ticketinfo", "walletinfo", "walletlock",
    "walletpassphrase", "walletpassphrasechange",
];

pub async fn dispatch(node: &Arc<Node>, method: &str, p: &[Value]) -> RpcResult {
    match method {
        "version" => c::version(),
        "getcurrentnet" => c::getcurrentnet(node),
        "getbestblock" => c::getbestblock(node),
        "getbestblockhash" => c::getbestblockhash(node),
        "getblockcount" => c::getblockcount(node),
        "getblockhash" => c::getblockhash(node, p),
        "getblockheader" => c::getblockheader(node, p),
        "validateaddress" => c::validateaddress(node, p),
        "ping" => Ok(crate::rpc::envelope::Json::null()),
        "generate" => generate::generate(node, p).await,
        "getrawtransaction" => t::getrawtransaction(node, p),
        "sendrawtransaction" => t::sendrawtransaction(node, p),
        "gettxout" => t::gettxout(node, p),
        "getrawmempool" => t::getrawmempool(node, p),
        "existsliveticket" => s::existsliveticket(node, p),
        "existslivetickets" => s::exists_bitset(node, p, s::Which::Live),
        "existsmissedtickets" => s::exists_bitset(node, p, s::Which::Missed),
        "existsexpiredtickets" => s::exists_bitset(node, p, s::Which::Expired),
        "livetickets" => s::livetickets(node),
        "missedtickets" => s::missedtickets(node),
        "ticketsforaddress" => s::ticketsforaddress(node, p),
        "getstakedifficulty" => s::getstakedifficulty(node),
        "getstakeversions" => s::getstakeversions(node, p),
        "getvoteinfo" => s::getvoteinfo(p),
        m if m.starts_with("simnet_") => sim::dispatch(node, m, p).await,
        m if WALLET_METHODS.contains(&m) => Err(RpcError::new(
            -1,
            "This implementation does not implement wallet commands",
        )),
        _ => Err(RpcError::new(-32601, "Method not found")),
    }
}
