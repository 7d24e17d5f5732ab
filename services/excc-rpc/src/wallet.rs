//! Typed exccwallet calls (section 3.2 of shared/docs/excc-chain-and-rpc.md).
//! Unknown methods are passed through to exccd by the wallet, so node calls can
//! also go here via [`WalletClient::call_raw`].

use excc_chain::{Amount, ChainHash};
use serde_json::Value;

use crate::client::RpcClient;
use crate::config::ClientConfig;
use crate::error::Error;
use crate::params::{params, v};
use crate::transport::ws::session::WsSession;
use crate::types::*;

/// `getnewaddress` gap policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapPolicy {
    /// Fail when the gap limit would be exceeded.
    Error,
    /// Ignore the gap limit.
    Ignore,
    /// Wrap around to the start of the gap.
    Wrap,
}

impl GapPolicy {
    fn as_str(self) -> &'static str {
        match self {
            GapPolicy::Error => "error",
            GapPolicy::Ignore => "ignore",
            GapPolicy::Wrap => "wrap",
        }
    }
}

/// `purchaseticket` arguments. Optional trailing arguments left `None` are not
/// sent; a `None` before a set argument is sent as `null`.
#[derive(Clone, Debug, PartialEq)]
pub struct PurchaseTicket {
    /// Account to pay from.
    pub from_account: String,
    /// Highest ticket price accepted.
    pub spend_limit: Amount,
    /// Minimum confirmations of the funding outputs.
    pub min_conf: u32,
    /// Voting address (the user's 1-of-2 P2SH for a pool ticket).
    pub ticket_address: Option<String>,
    /// Number of tickets.
    pub num_tickets: u32,
    /// Pool fee address.
    pub pool_address: Option<String>,
    /// Pool fee percent (e.g. 7.5).
    pub pool_fees: Option<f64>,
    /// Expiry height of the purchase transactions.
    pub expiry: Option<u32>,
}

impl PurchaseTicket {
    fn to_params(&self) -> Vec<Value> {
        let spend = GoFloat(self.spend_limit.to_excc_f64());
        let mut p = params![&self.from_account, spend, self.min_conf];
        let optional = [
            self.ticket_address.as_ref().map(v),
            Some(v(self.num_tickets)),
            self.pool_address.as_ref().map(v),
            self.pool_fees.map(|f| v(GoFloat(f))),
            self.expiry.map(v),
        ];
        let last = optional.iter().rposition(Option::is_some).unwrap_or(0);
        p.extend(
            optional
                .into_iter()
                .take(last + 1)
                .map(|o| o.unwrap_or(Value::Null)),
        );
        p
    }
}

/// A client for exccwallet.
#[derive(Clone)]
pub struct WalletClient {
    rpc: RpcClient,
}

impl WalletClient {
    /// Posts to `https://addr/`.
    pub fn new(cfg: ClientConfig) -> Self {
        WalletClient {
            rpc: RpcClient::http(cfg, "exccwallet"),
        }
    }

    /// Sends requests over `session`'s websocket (start it with
    /// [`WsSession::start_labelled`], `"exccwallet"`, no subscriptions).
    pub fn over_websocket(session: &WsSession) -> Self {
        WalletClient {
            rpc: RpcClient::websocket(session),
        }
    }

    /// The underlying generic client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// Any method (including node methods the wallet passes through), raw result.
    pub async fn call_raw(&self, method: &str, params: Vec<Value>) -> Result<Value, Error> {
        self.rpc.call_raw(method, params).await
    }

    /// `getnewaddress "account" ["gappolicy"]`.
    pub async fn get_new_address(
        &self,
        account: &str,
        gap_policy: Option<GapPolicy>,
    ) -> Result<String, Error> {
        let mut p = params![account];
        p.extend(gap_policy.map(|g| v(g.as_str())));
        self.rpc.call("getnewaddress", p).await
    }

    /// `validateaddress "addr"` (wallet form).
    pub async fn validate_address(&self, address: &str) -> Result<WalletValidateAddress, Error> {
        self.rpc.call("validateaddress", params![address]).await
    }

    /// `createmultisig n ["key",…]` (does not import).
    pub async fn create_multisig(
        &self,
        n_required: u32,
        keys: &[String],
    ) -> Result<CreateMultisig, Error> {
        self.rpc
            .call("createmultisig", params![n_required, keys])
            .await
    }

    /// `importscript "hex" rescan [scanfrom]` (re-importing a known script is fine).
    pub async fn import_script(
        &self,
        script_hex: &str,
        rescan: bool,
        scan_from: Option<u32>,
    ) -> Result<(), Error> {
        let mut p = params![script_hex, rescan];
        p.extend(scan_from.map(v));
        self.rpc.call("importscript", p).await
    }

    /// `getmasterpubkey "account"`.
    pub async fn get_master_pub_key(&self, account: &str) -> Result<String, Error> {
        self.rpc.call("getmasterpubkey", params![account]).await
    }

    /// `accountsyncaddressindex "account" branch index`.
    pub async fn account_sync_address_index(
        &self,
        account: &str,
        branch: u32,
        index: u32,
    ) -> Result<(), Error> {
        self.rpc
            .call("accountsyncaddressindex", params![account, branch, index])
            .await
    }

    /// `accountaddressindex "account" branch`.
    pub async fn account_address_index(&self, account: &str, branch: u32) -> Result<u32, Error> {
        self.rpc
            .call("accountaddressindex", params![account, branch])
            .await
    }

    /// `stakepooluserinfo "P2SH address"` (needs `--stakepoolcoldextkey`).
    pub async fn stake_pool_user_info(&self, address: &str) -> Result<StakePoolUserInfo, Error> {
        self.rpc.call("stakepooluserinfo", params![address]).await
    }

    /// `ticketsforaddress "addr"`: tickets voting with `addr`, immature included.
    pub async fn tickets_for_address(&self, address: &str) -> Result<Vec<ChainHash>, Error> {
        let t: TicketList = self.rpc.call("ticketsforaddress", params![address]).await?;
        Ok(t.tickets)
    }

    /// `getstakeinfo`.
    pub async fn get_stake_info(&self) -> Result<StakeInfo, Error> {
        self.rpc.call("getstakeinfo", vec![]).await
    }

    /// `walletinfo`.
    pub async fn wallet_info(&self) -> Result<WalletInfo, Error> {
        self.rpc.call("walletinfo", vec![]).await
    }

    /// `getbalance "account" minconf`.
    pub async fn get_balance(&self, account: &str, min_conf: u32) -> Result<Balance, Error> {
        self.rpc
            .call("getbalance", params![account, min_conf])
            .await
    }

    /// `getbestblock` (the wallet's tip).
    pub async fn get_best_block(&self) -> Result<BestBlock, Error> {
        self.rpc.call("getbestblock", vec![]).await
    }

    /// `getbestblockhash` (the wallet's tip).
    pub async fn get_best_block_hash(&self) -> Result<ChainHash, Error> {
        self.rpc.call("getbestblockhash", vec![]).await
    }

    /// `getblockcount` (the wallet's tip height).
    pub async fn get_block_count(&self) -> Result<i64, Error> {
        self.rpc.call("getblockcount", vec![]).await
    }

    /// `gettickets includeimmature` (`false`: live only).
    pub async fn get_tickets(&self, include_immature: bool) -> Result<Vec<ChainHash>, Error> {
        let t: TicketHashes = self
            .rpc
            .call("gettickets", params![include_immature])
            .await?;
        Ok(t.hashes)
    }

    /// `gettransaction "txid" [true]` (the flag is sent only when set).
    pub async fn get_transaction(
        &self,
        txid: &ChainHash,
        include_watch_only: bool,
    ) -> Result<WalletTransaction, Error> {
        let mut p = params![txid];
        if include_watch_only {
            p.push(Value::Bool(true));
        }
        self.rpc.call("gettransaction", p).await
    }

    /// `generatevote "blockhash" height "tickethash" votebits "votebitsext"`:
    /// the signed vote, to be sent with exccd `sendrawtransaction`.
    pub async fn generate_vote(
        &self,
        block_hash: &ChainHash,
        height: u32,
        ticket: &ChainHash,
        vote_bits: u16,
        vote_bits_ext: &str,
    ) -> Result<GeneratedVote, Error> {
        self.rpc
            .call(
                "generatevote",
                params![block_hash, height, ticket, vote_bits, vote_bits_ext],
            )
            .await
    }

    /// `addtransaction "blockhash" "txhex"`.
    pub async fn add_transaction(&self, block_hash: &ChainHash, tx_hex: &str) -> Result<(), Error> {
        self.rpc
            .call("addtransaction", params![block_hash, tx_hex])
            .await
    }

    /// `getaddressesbyaccount "account"` (`"imported"` lists imported scripts).
    pub async fn get_addresses_by_account(&self, account: &str) -> Result<Vec<String>, Error> {
        self.rpc
            .call("getaddressesbyaccount", params![account])
            .await
    }

    /// `purchaseticket …`: the ticket hashes.
    pub async fn purchase_ticket(&self, args: &PurchaseTicket) -> Result<Vec<ChainHash>, Error> {
        self.rpc.call("purchaseticket", args.to_params()).await
    }

    /// `walletpassphrase "passphrase" timeout` (0 = until locked).
    pub async fn wallet_passphrase(
        &self,
        passphrase: &str,
        timeout_secs: u64,
    ) -> Result<(), Error> {
        self.rpc
            .call("walletpassphrase", params![passphrase, timeout_secs])
            .await
    }

    /// `walletlock`.
    pub async fn wallet_lock(&self) -> Result<(), Error> {
        self.rpc.call("walletlock", vec![]).await
    }

    /// `getvotechoices ["tickethash"]`.
    pub async fn get_vote_choices(&self, ticket: Option<&ChainHash>) -> Result<VoteChoices, Error> {
        let p = ticket.map(v).into_iter().collect();
        self.rpc.call("getvotechoices", p).await
    }

    /// `help ["method"]`: the usage text.
    pub async fn help(&self, method: Option<&str>) -> Result<String, Error> {
        let p = method.map(v).into_iter().collect();
        self.rpc.call("help", p).await
    }

    /// `version`.
    pub async fn version(&self) -> Result<VersionMap, Error> {
        self.rpc.call("version", vec![]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchaseticket_params_like_go() {
        let mut args = PurchaseTicket {
            from_account: "default".into(),
            spend_limit: Amount::from_atoms(100_000_000_000),
            min_conf: 1,
            ticket_address: Some("ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC".into()),
            num_tickets: 1,
            pool_address: Some("Ssc6h7MzA19EDXa1hbf2jha6Kmj9XSZULnc".into()),
            pool_fees: Some(7.5),
            expiry: None,
        };
        assert_eq!(
            serde_json::to_string(&args.to_params()).unwrap(),
            r#"["default",1000,1,"ScenwhRsEVctDR5xXPzDoenWDvitZHq4bhC",1,"Ssc6h7MzA19EDXa1hbf2jha6Kmj9XSZULnc",7.5]"#
        );
        args.pool_fees = Some(1.0);
        args.ticket_address = None;
        args.pool_address = None;
        assert_eq!(
            serde_json::to_string(&args.to_params()).unwrap(),
            r#"["default",1000,1,null,1,null,1]"#
        );
        args.pool_fees = None;
        assert_eq!(
            serde_json::to_string(&args.to_params()).unwrap(),
            r#"["default",1000,1,null,1]"#
        );
    }
}
