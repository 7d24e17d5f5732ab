//! Calls the typed client method matching a fixture's request, with the
//! fixture's parameters, and serialises what it returned.

use excc_chain::{Amount, ChainHash};
use excc_rpc::types::{TicketList, encode_exists_bitset};
use excc_rpc::{Error, GapPolicy, NodeClient, PurchaseTicket, WalletClient};
use serde::Serialize;
use serde_json::Value;

use super::fixtures::Fixture;

fn json<T: Serialize>(t: T) -> String {
    serde_json::to_string(&t).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string param")
}

fn h(v: &Value) -> ChainHash {
    s(v).parse().expect("hash param")
}

fn u(v: &Value) -> u32 {
    v.as_u64().expect("integer param") as u32
}

fn tickets(v: Vec<ChainHash>) -> String {
    json(TicketList { tickets: v })
}

/// Runs the typed exccd call for `f`; `Ok` holds the result as JSON text.
pub async fn node_call(c: &NodeClient, f: &Fixture) -> Result<String, Error> {
    let p = f.params();
    Ok(match f.method() {
        "getbestblock" => json(c.get_best_block().await?),
        "getbestblockhash" => json(c.get_best_block_hash().await?),
        "getblockcount" => json(c.get_block_count().await?),
        "getblockhash" => json(c.get_block_hash(p[0].as_i64().unwrap()).await?),
        "getblockheader" if p[1] == Value::Bool(true) => {
            json(c.get_block_header_verbose(&h(&p[0])).await?)
        }
        "getblockheader" => json(c.get_block_header_hex(&h(&p[0])).await?),
        "getrawtransaction" if p[1] == 1 => json(c.get_raw_transaction_verbose(&h(&p[0])).await?),
        "getrawtransaction" => json(c.get_raw_transaction_hex(&h(&p[0])).await?),
        "sendrawtransaction" => {
            assert_eq!(p.len(), 1);
            json(c.send_raw_transaction(s(&p[0]), false).await?)
        }
        "gettxout" => json(
            c.get_tx_out(
                &h(&p[0]),
                u(&p[1]),
                p[2].as_i64().unwrap() as i8,
                p[3] == true,
            )
            .await?,
        ),
        "existsliveticket" => json(c.exists_live_ticket(&h(&p[0])).await?),
        "existslivetickets" => {
            let hs: Vec<ChainHash> = p[0].as_array().unwrap().iter().map(h).collect();
            json(encode_exists_bitset(&c.exists_live_tickets(&hs).await?))
        }
        "livetickets" => tickets(c.live_tickets().await?),
        "missedtickets" => tickets(c.missed_tickets().await?),
        "ticketsforaddress" => tickets(c.tickets_for_address(s(&p[0])).await?),
        "getstakedifficulty" => json(c.get_stake_difficulty().await?),
        "getstakeversions" => json(c.get_stake_versions(&h(&p[0]), u(&p[1]) as i32).await?),
        "getvoteinfo" => json(c.get_vote_info(u(&p[0])).await?),
        "getcurrentnet" => json(c.get_current_net().await?),
        "version" => json(c.version().await?),
        "generate" => json(c.generate(u(&p[0])).await?),
        "validateaddress" => json(c.validate_address(s(&p[0])).await?),
        // Methods exccd does not have: only the generic call can send them.
        other => json(c.call_raw(other, p.to_vec()).await?),
    })
}

/// Runs the typed exccwallet call for `f`; `Ok` holds the result as JSON text.
pub async fn wallet_call(c: &WalletClient, f: &Fixture) -> Result<String, Error> {
    let p = f.params();
    Ok(match f.method() {
        "accountaddressindex" => json(c.account_address_index(s(&p[0]), u(&p[1])).await?),
        "accountsyncaddressindex" => json(
            c.account_sync_address_index(s(&p[0]), u(&p[1]), u(&p[2]))
                .await?,
        ),
        "createmultisig" => {
            let keys: Vec<String> = p[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| s(k).to_owned())
                .collect();
            json(c.create_multisig(u(&p[0]), &keys).await?)
        }
        "generatevote" => json(
            c.generate_vote(&h(&p[0]), u(&p[1]), &h(&p[2]), u(&p[3]) as u16, s(&p[4]))
                .await?,
        ),
        "getaddressesbyaccount" => json(c.get_addresses_by_account(s(&p[0])).await?),
        "getbalance" => json(c.get_balance(s(&p[0]), u(&p[1])).await?),
        "getmasterpubkey" => json(c.get_master_pub_key(s(&p[0])).await?),
        "getnewaddress" => {
            assert_eq!(p[1], "ignore");
            json(c.get_new_address(s(&p[0]), Some(GapPolicy::Ignore)).await?)
        }
        "getstakeinfo" => json(c.get_stake_info().await?),
        "gettickets" => json(excc_rpc::types::TicketHashes {
            hashes: c.get_tickets(p[0] == true).await?,
        }),
        "help" => json(c.help(Some(s(&p[0]))).await?),
        "importscript" => json(
            c.import_script(s(&p[0]), p[1] == true, p.get(2).map(u))
                .await?,
        ),
        "purchaseticket" => {
            let args = PurchaseTicket {
                from_account: s(&p[0]).to_owned(),
                spend_limit: Amount::from_excc_f64(p[1].as_f64().unwrap()).unwrap(),
                min_conf: u(&p[2]),
                ticket_address: Some(s(&p[3]).to_owned()),
                num_tickets: u(&p[4]),
                pool_address: Some(s(&p[5]).to_owned()),
                pool_fees: p[6].as_f64(),
                expiry: None,
            };
            json(c.purchase_ticket(&args).await?)
        }
        "stakepooluserinfo" => json(c.stake_pool_user_info(s(&p[0])).await?),
        "ticketsforaddress" => tickets(c.tickets_for_address(s(&p[0])).await?),
        "validateaddress" => json(c.validate_address(s(&p[0])).await?),
        "version" => json(c.version().await?),
        "walletinfo" => json(c.wallet_info().await?),
        "walletlock" => json(c.wallet_lock().await?),
        "walletpassphrase" => json(
            c.wallet_passphrase(s(&p[0]), p[1].as_u64().unwrap())
                .await?,
        ),
        other => panic!("{}: no typed wallet call for {other}", f.name),
    })
}
