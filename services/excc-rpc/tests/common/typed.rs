//! Which wire type models the result of each fixture's method.

use excc_chain::ChainHash;
use excc_rpc::types::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fixtures::Fixture;

fn rt<T: DeserializeOwned + Serialize>(v: &Value) -> Result<String, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| format!("deserialise: {e}"))?;
    serde_json::to_string(&t).map_err(|e| format!("serialise: {e}"))
}

/// Deserialises the fixture's `result` into its typed form and serialises it back.
pub fn round_trip_result(f: &Fixture) -> Result<String, String> {
    let p = f.params();
    let r = f.result();
    match f.method() {
        "getbestblock" => rt::<BestBlock>(r),
        "getbestblockhash" | "getblockhash" | "sendrawtransaction" => rt::<ChainHash>(r),
        "getblockcount" => rt::<i64>(r),
        "getblockheader" if p.get(1) == Some(&Value::Bool(false)) => rt::<String>(r),
        "getblockheader" => rt::<BlockHeaderVerbose>(r),
        "getrawtransaction" if p.get(1).and_then(Value::as_i64) == Some(1) => {
            rt::<RawTransaction>(r)
        }
        "getrawtransaction" => rt::<String>(r),
        "gettxout" => rt::<Option<TxOut>>(r),
        "existsliveticket" => rt::<bool>(r),
        "existslivetickets" => {
            let n = p[0].as_array().map_or(0, Vec::len);
            let flags = decode_exists_bitset(r.as_str().ok_or("bitset not a string")?, n)
                .map_err(|e| e.to_string())?;
            Ok(Value::from(encode_exists_bitset(&flags)).to_string())
        }
        "livetickets" | "missedtickets" | "ticketsforaddress" => rt::<TicketList>(r),
        "getstakedifficulty" => rt::<StakeDifficulty>(r),
        "getstakeversions" => rt::<StakeVersions>(r),
        "getvoteinfo" => rt::<VoteInfo>(r),
        "getcurrentnet" => rt::<u32>(r),
        "version" => rt::<VersionMap>(r),
        "generate" | "purchaseticket" => rt::<Vec<ChainHash>>(r),
        "validateaddress" if f.is_wallet() => rt::<WalletValidateAddress>(r),
        "validateaddress" => rt::<NodeValidateAddress>(r),
        "getnewaddress" | "getmasterpubkey" | "help" => rt::<String>(r),
        "createmultisig" => rt::<CreateMultisig>(r),
        "importscript"
        | "accountsyncaddressindex"
        | "walletpassphrase"
        | "walletlock"
        | "addtransaction" => rt::<()>(r),
        "accountaddressindex" => rt::<u32>(r),
        "stakepooluserinfo" => rt::<StakePoolUserInfo>(r),
        "getstakeinfo" => rt::<StakeInfo>(r),
        "walletinfo" => rt::<WalletInfo>(r),
        "getbalance" => rt::<Balance>(r),
        "gettickets" => rt::<TicketHashes>(r),
        "gettransaction" => rt::<WalletTransaction>(r),
        "generatevote" => rt::<GeneratedVote>(r),
        "getaddressesbyaccount" => rt::<Vec<String>>(r),
        "getvotechoices" => rt::<VoteChoices>(r),
        other => Err(format!("no wire type for method {other}")),
    }
}
