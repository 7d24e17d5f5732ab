//! Which wire type models the result of each fixture's method.

use excc_chain::ChainHash;
use excc_rpc::types::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fixtures::Fixture;

fn typed<T: DeserializeOwned + Serialize>(v: &Value, id: &Value) -> Result<String, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| format!("deserialise: {e}"))?;
    encode_reply(id, &t).map_err(|e| format!("serialise: {e}"))
}

/// Deserialises the fixture's `result` into its typed form and writes the
/// whole reply back with [`encode_reply`].
pub fn round_trip_reply(f: &Fixture) -> Result<String, String> {
    let p = f.params();
    let r = f.result();
    let id = &Value::from(f.request_id());

    match f.method() {
        "getbestblock" => typed::<BestBlock>(r, id),
        "getbestblockhash" | "getblockhash" | "sendrawtransaction" => typed::<ChainHash>(r, id),
        "getblockcount" => typed::<i64>(r, id),
        "getblockheader" if p.get(1) == Some(&Value::Bool(false)) => typed::<String>(r, id),
        "getblockheader" => typed::<BlockHeaderVerbose>(r, id),
        "getrawtransaction" if p.get(1).and_then(Value::as_i64) == Some(1) => {
            typed::<RawTransaction>(r, id)
        }
        "getrawtransaction" => typed::<String>(r, id),
        "gettxout" => typed::<Option<TxOut>>(r, id),
        "existsliveticket" => typed::<bool>(r, id),
        "existslivetickets" => {
            let n = p[0].as_array().map_or(0, Vec::len);
            let flags = decode_exists_bitset(r.as_str().ok_or("bitset not a string")?, n)
                .map_err(|e| e.to_string())?;
            encode_reply(id, &encode_exists_bitset(&flags)).map_err(|e| e.to_string())
        }
        "livetickets" | "missedtickets" | "ticketsforaddress" => typed::<TicketList>(r, id),
        "getstakedifficulty" => typed::<StakeDifficulty>(r, id),
        "getstakeversions" => typed::<StakeVersions>(r, id),
        "getvoteinfo" => typed::<VoteInfo>(r, id),
        "getcurrentnet" => typed::<u32>(r, id),
        "version" => typed::<VersionMap>(r, id),
        "generate" | "purchaseticket" => typed::<Vec<ChainHash>>(r, id),
        "validateaddress" if f.is_wallet() => typed::<WalletValidateAddress>(r, id),
        "validateaddress" => typed::<NodeValidateAddress>(r, id),
        "getnewaddress" | "getmasterpubkey" | "help" => typed::<String>(r, id),
        "createmultisig" => typed::<CreateMultisig>(r, id),
        "importscript"
        | "accountsyncaddressindex"
        | "walletpassphrase"
        | "walletlock"
        | "addtransaction" => typed::<()>(r, id),
        "accountaddressindex" => typed::<u32>(r, id),
        "stakepooluserinfo" => typed::<StakePoolUserInfo>(r, id),
        "getstakeinfo" => typed::<StakeInfo>(r, id),
        "walletinfo" => typed::<WalletInfo>(r, id),
        "getbalance" => typed::<Balance>(r, id),
        "gettickets" => typed::<TicketHashes>(r, id),
        "gettransaction" => typed::<WalletTransaction>(r, id),
        "generatevote" => typed::<GeneratedVote>(r, id),
        "getaddressesbyaccount" => typed::<Vec<String>>(r, id),
        "getvotechoices" => typed::<VoteChoices>(r, id),
        other => Err(format!("no wire type for method {other}")),
    }
}
