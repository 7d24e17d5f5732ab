//! Typed exccd calls (section 3.3 of shared/docs/excc-chain-and-rpc.md).

use excc_chain::ChainHash;
use serde_json::Value;

use crate::client::RpcClient;
use crate::config::ClientConfig;
use crate::error::Error;
use crate::params::params;
use crate::transport::ws::session::WsSession;
use crate::types::*;

/// A client for exccd. Over HTTPS POST ([`NodeClient::new`]) or an existing
/// websocket session ([`NodeClient::over_websocket`]).
#[derive(Clone)]
pub struct NodeClient {
    rpc: RpcClient,
}

impl NodeClient {
    /// Posts to `https://addr/`.
    pub fn new(cfg: ClientConfig) -> Self {
        NodeClient {
            rpc: RpcClient::http(cfg, "exccd"),
        }
    }

    /// Sends requests over `session`'s websocket.
    pub fn over_websocket(session: &WsSession) -> Self {
        NodeClient {
            rpc: RpcClient::websocket(session),
        }
    }

    /// The underlying generic client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// Any method, raw result.
    pub async fn call_raw(&self, method: &str, params: Vec<Value>) -> Result<Value, Error> {
        self.rpc.call_raw(method, params).await
    }

    /// `getbestblock`.
    pub async fn get_best_block(&self) -> Result<BestBlock, Error> {
        self.rpc.call("getbestblock", vec![]).await
    }

    /// `getbestblockhash`.
    pub async fn get_best_block_hash(&self) -> Result<ChainHash, Error> {
        self.rpc.call("getbestblockhash", vec![]).await
    }

    /// `getblockcount`.
    pub async fn get_block_count(&self) -> Result<i64, Error> {
        self.rpc.call("getblockcount", vec![]).await
    }

    /// `getblockhash height`.
    pub async fn get_block_hash(&self, height: i64) -> Result<ChainHash, Error> {
        self.rpc.call("getblockhash", params![height]).await
    }

    /// `getblockheader "hash" true`.
    pub async fn get_block_header_verbose(
        &self,
        hash: &ChainHash,
    ) -> Result<BlockHeaderVerbose, Error> {
        self.rpc.call("getblockheader", params![hash, true]).await
    }

    /// `getblockheader "hash" false`: the 280-byte header as hex (see [`BlockHeader::from_hex`]).
    pub async fn get_block_header_hex(&self, hash: &ChainHash) -> Result<String, Error> {
        self.rpc.call("getblockheader", params![hash, false]).await
    }

    /// `getrawtransaction "txid" 0`: the transaction hex.
    pub async fn get_raw_transaction_hex(&self, txid: &ChainHash) -> Result<String, Error> {
        self.rpc.call("getrawtransaction", params![txid, 0]).await
    }

    /// `getrawtransaction "txid" 1`. Confirmed non-wallet transactions need exccd `--txindex`.
    pub async fn get_raw_transaction_verbose(
        &self,
        txid: &ChainHash,
    ) -> Result<RawTransaction, Error> {
        self.rpc.call("getrawtransaction", params![txid, 1]).await
    }

    /// `sendrawtransaction "hex" [true]` (the flag is sent only when set).
    pub async fn send_raw_transaction(
        &self,
        tx_hex: &str,
        allow_high_fees: bool,
    ) -> Result<ChainHash, Error> {
        let mut p = params![tx_hex];
        if allow_high_fees {
            p.push(Value::Bool(true));
        }
        self.rpc.call("sendrawtransaction", p).await
    }

    /// `gettxout "txid" vout tree includemempool` (2.7.6 list, with `tree`:
    /// 0 regular, 1 stake). `None` when spent or unknown.
    pub async fn get_tx_out(
        &self,
        txid: &ChainHash,
        vout: u32,
        tree: i8,
        include_mempool: bool,
    ) -> Result<Option<TxOut>, Error> {
        self.rpc
            .call("gettxout", params![txid, vout, tree, include_mempool])
            .await
    }

    /// `existsliveticket "hash"`.
    pub async fn exists_live_ticket(&self, ticket: &ChainHash) -> Result<bool, Error> {
        self.rpc.call("existsliveticket", params![ticket]).await
    }

    /// `existslivetickets ["hash",…]`, decoded: `result[i]` ⇔ `tickets[i]` is live.
    pub async fn exists_live_tickets(&self, tickets: &[ChainHash]) -> Result<Vec<bool>, Error> {
        self.exists_bitset("existslivetickets", tickets).await
    }

    /// `existsmissedtickets ["hash",…]`, decoded like [`Self::exists_live_tickets`].
    pub async fn exists_missed_tickets(&self, tickets: &[ChainHash]) -> Result<Vec<bool>, Error> {
        self.exists_bitset("existsmissedtickets", tickets).await
    }

    /// `existsexpiredtickets ["hash",…]`, decoded like [`Self::exists_live_tickets`].
    pub async fn exists_expired_tickets(&self, tickets: &[ChainHash]) -> Result<Vec<bool>, Error> {
        self.exists_bitset("existsexpiredtickets", tickets).await
    }

    async fn exists_bitset(&self, method: &str, tickets: &[ChainHash]) -> Result<Vec<bool>, Error> {
        let hex: String = self.rpc.call(method, params![tickets]).await?;
        decode_exists_bitset(&hex, tickets.len()).map_err(|e| Error::BadResponse {
            server: self.rpc.server().to_owned(),
            method: method.to_owned(),
            reason: e.to_string(),
        })
    }

    /// `livetickets`.
    pub async fn live_tickets(&self) -> Result<Vec<ChainHash>, Error> {
        let t: TicketList = self.rpc.call("livetickets", vec![]).await?;
        Ok(t.tickets)
    }

    /// `missedtickets`.
    pub async fn missed_tickets(&self) -> Result<Vec<ChainHash>, Error> {
        let t: TicketList = self.rpc.call("missedtickets", vec![]).await?;
        Ok(t.tickets)
    }

    /// `ticketsforaddress "addr"`: exccd lists only **live** tickets of the address.
    pub async fn tickets_for_address(&self, address: &str) -> Result<Vec<ChainHash>, Error> {
        let t: TicketList = self.rpc.call("ticketsforaddress", params![address]).await?;
        Ok(t.tickets)
    }

    /// `getstakedifficulty`.
    pub async fn get_stake_difficulty(&self) -> Result<StakeDifficulty, Error> {
        self.rpc.call("getstakedifficulty", vec![]).await
    }

    /// `getstakeversions "hash" count`.
    pub async fn get_stake_versions(
        &self,
        hash: &ChainHash,
        count: i32,
    ) -> Result<StakeVersions, Error> {
        self.rpc
            .call("getstakeversions", params![hash, count])
            .await
    }

    /// `getvoteinfo version` (EXCC 2.7.6 answers -8: no deployments).
    pub async fn get_vote_info(&self, version: u32) -> Result<VoteInfo, Error> {
        self.rpc.call("getvoteinfo", params![version]).await
    }

    /// `getcurrentnet`: the network magic (simnet `3162994431`).
    pub async fn get_current_net(&self) -> Result<u32, Error> {
        self.rpc.call("getcurrentnet", vec![]).await
    }

    /// `version`.
    pub async fn version(&self) -> Result<VersionMap, Error> {
        self.rpc.call("version", vec![]).await
    }

    /// `generate n` (simnet/regnet with `--miningaddr`).
    pub async fn generate(&self, blocks: u32) -> Result<Vec<ChainHash>, Error> {
        self.rpc.call("generate", params![blocks]).await
    }

    /// `validateaddress "addr"` (node form).
    pub async fn validate_address(&self, address: &str) -> Result<NodeValidateAddress, Error> {
        self.rpc.call("validateaddress", params![address]).await
    }

    /// `rebroadcastwinners` (websocket only): re-sends the tip's `winningtickets`.
    pub async fn rebroadcast_winners(&self) -> Result<(), Error> {
        self.rpc.call("rebroadcastwinners", vec![]).await
    }
}
