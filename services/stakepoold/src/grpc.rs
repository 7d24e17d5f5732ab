//! The gRPC API (`proto/stakepoold.proto`): voting preferences, low-fee ticket
//! decisions, and every wallet operation the web service needs. Handlers read
//! and write in-memory state under short locks and never wait on voting.

use std::collections::HashSet;
use std::sync::Arc;

use excc_chain::{Address, ChainHash};
use stakepoold_proto::v1 as pb;
use stakepoold_proto::v1::stakepoold_service_server::StakepooldService;
use stakepoold_proto::v1::version_service_server::VersionService;
use tonic::{Request, Response, Status};

use crate::daemon::{Classified, Shared};
use crate::health::HealthReport;
use crate::prefs::UserPrefs;

pub struct Api(pub Arc<Shared>);

type Reply<T> = Result<Response<T>, Status>;

/// Maps a wallet/node error to a gRPC status whose message says what failed.
fn rpc_status(e: excc_rpc::Error) -> Status {
    if e.is_transport() {
        Status::unavailable(e.to_string())
    } else if e.is_wallet_locked() {
        Status::failed_precondition(e.to_string())
    } else {
        Status::invalid_argument(e.to_string())
    }
}

fn parse_hash(s: &str) -> Result<ChainHash, Status> {
    s.parse()
        .map_err(|e| Status::invalid_argument(format!("ticket hash {s:?}: {e}")))
}

impl Api {
    fn address(&self, field: &str, s: &str) -> Result<Address, Status> {
        Address::decode_for(s, self.0.config.network)
            .map_err(|e| Status::invalid_argument(format!("{field} {s:?}: {e}")))
    }

    fn prefs_entries(
        &self,
        users: Vec<pb::UserVotingPrefs>,
    ) -> Result<Vec<(String, UserPrefs)>, Status> {
        users
            .into_iter()
            .map(|u| {
                let addr = self.address("multisig_address", &u.multisig_address)?;
                let vote_bits = u16::try_from(u.vote_bits).map_err(|_| {
                    Status::invalid_argument(format!(
                        "vote_bits {} of user {} does not fit in 16 bits",
                        u.vote_bits, u.user_id
                    ))
                })?;
                Ok((
                    addr.to_string(),
                    UserPrefs {
                        user_id: u.user_id,
                        vote_bits,
                        vote_bits_version: u.vote_bits_version,
                    },
                ))
            })
            .collect()
    }

    /// Journals the preferences that differ from what this node had.
    fn journal_changes(&self, entries: &[(String, UserPrefs)]) {
        let height = self.0.health.snapshot().best_height;
        let prefs = self.0.prefs.read().expect("prefs lock");
        for (address, p) in entries {
            let before = prefs.get(address);
            if before.map(|b| (b.vote_bits, b.vote_bits_version))
                != Some((p.vote_bits, p.vote_bits_version))
            {
                self.0.journal.append(&crate::journal::Entry::Prefs {
                    unix: crate::journal::unix_now(),
                    height,
                    address: address.clone(),
                    vote_bits: p.vote_bits,
                    vote_version: p.vote_bits_version,
                });
            }
        }
    }

    fn persist(&self) -> Result<(), Status> {
        self.0
            .persist()
            .map_err(|e| Status::internal(format!("state not saved: {e}")))
    }
}

fn ticket(hash: &ChainHash, address: Option<Address>) -> pb::Ticket {
    pb::Ticket {
        hash: hash.to_string(),
        multisig_address: address.map(|a| a.to_string()).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl VersionService for Api {
    async fn version(&self, _: Request<pb::VersionRequest>) -> Reply<pb::VersionResponse> {
        Ok(Response::new(stakepoold_proto::version_response()))
    }
}

#[tonic::async_trait]
impl StakepooldService for Api {
    async fn health(&self, _: Request<pb::HealthRequest>) -> Reply<pb::HealthResponse> {
        let r = HealthReport::from(self.0.health_facts());
        Ok(Response::new(pb::HealthResponse {
            healthy: r.healthy,
            node_connected: r.facts.node_connected,
            node_synced: r.facts.node_synced,
            wallet_connected: r.facts.wallet_connected,
            wallet_unlocked: r.facts.wallet_unlocked,
            vote_version: r.facts.vote_version,
            live_tickets: r.facts.live_tickets,
            best_height: r.facts.best_height,
            last_vote_unix: r.facts.last_vote.map(|v| v.unix).unwrap_or(0),
            problems: r.problems,
        }))
    }

    async fn set_user_voting_prefs(
        &self,
        req: Request<pb::SetUserVotingPrefsRequest>,
    ) -> Reply<pb::SetUserVotingPrefsResponse> {
        let entries = self.prefs_entries(req.into_inner().users)?;
        let n = entries.len();
        self.journal_changes(&entries);
        self.0
            .prefs
            .write()
            .expect("prefs lock")
            .replace_all(entries);
        self.persist()?;
        tracing::info!(users = n, "voting preferences replaced");
        Ok(Response::new(pb::SetUserVotingPrefsResponse {}))
    }

    async fn update_user_voting_prefs(
        &self,
        req: Request<pb::UpdateUserVotingPrefsRequest>,
    ) -> Reply<pb::UpdateUserVotingPrefsResponse> {
        let entries = self.prefs_entries(req.into_inner().users)?;
        let n = entries.len();
        self.journal_changes(&entries);
        self.0.prefs.write().expect("prefs lock").update(entries);
        self.persist()?;
        tracing::info!(users = n, "voting preferences updated");
        Ok(Response::new(pb::UpdateUserVotingPrefsResponse {}))
    }

    async fn get_user_voting_prefs(
        &self,
        _: Request<pb::GetUserVotingPrefsRequest>,
    ) -> Reply<pb::GetUserVotingPrefsResponse> {
        let prefs = self.0.prefs.read().expect("prefs lock");
        let mut users: Vec<pb::UserVotingPrefs> = prefs
            .iter()
            .map(|(address, p)| pb::UserVotingPrefs {
                user_id: p.user_id,
                multisig_address: address.clone(),
                vote_bits: u32::from(p.vote_bits),
                vote_bits_version: p.vote_bits_version,
            })
            .collect();
        users.sort_by_key(|u| u.user_id);
        Ok(Response::new(pb::GetUserVotingPrefsResponse { users }))
    }

    async fn set_added_low_fee_tickets(
        &self,
        req: Request<pb::SetAddedLowFeeTicketsRequest>,
    ) -> Reply<pb::SetAddedLowFeeTicketsResponse> {
        let hashes = req
            .into_inner()
            .tickets
            .iter()
            .map(|t| parse_hash(&t.hash))
            .collect::<Result<HashSet<_>, _>>()?;
        let n = hashes.len();
        self.0
            .tickets
            .write()
            .expect("tickets lock")
            .set_added(hashes);
        self.persist()?;
        tracing::info!(tickets = n, "admin-added low-fee tickets replaced");
        Ok(Response::new(pb::SetAddedLowFeeTicketsResponse {}))
    }

    async fn get_added_low_fee_tickets(
        &self,
        _: Request<pb::GetAddedLowFeeTicketsRequest>,
    ) -> Reply<pb::TicketsResponse> {
        let book = self.0.tickets.read().expect("tickets lock");
        let tickets = book.added().map(|(h, a)| ticket(h, a)).collect();
        Ok(Response::new(pb::TicketsResponse { tickets }))
    }

    async fn get_ignored_low_fee_tickets(
        &self,
        _: Request<pb::GetIgnoredLowFeeTicketsRequest>,
    ) -> Reply<pb::TicketsResponse> {
        let book = self.0.tickets.read().expect("tickets lock");
        let tickets = book
            .ignored()
            .map(|(h, t)| ticket(h, Some(t.address)))
            .collect();
        Ok(Response::new(pb::TicketsResponse { tickets }))
    }

    async fn get_live_tickets(
        &self,
        _: Request<pb::GetLiveTicketsRequest>,
    ) -> Reply<pb::TicketsResponse> {
        let book = self.0.tickets.read().expect("tickets lock");
        let tickets = book.live().map(|(h, a)| ticket(h, Some(*a))).collect();
        Ok(Response::new(pb::TicketsResponse { tickets }))
    }

    async fn add_missing_ticket(
        &self,
        req: Request<pb::AddMissingTicketRequest>,
    ) -> Reply<pb::AddMissingTicketResponse> {
        let hash = parse_hash(&req.into_inner().hash)?;
        if !self
            .0
            .node
            .exists_live_ticket(&hash)
            .await
            .map_err(rpc_status)?
        {
            return Err(Status::failed_precondition(format!(
                "ticket {hash} is not live on chain"
            )));
        }
        let raw = self
            .0
            .node
            .get_raw_transaction_verbose(&hash)
            .await
            .map_err(rpc_status)?;
        let block = raw.blockhash.ok_or_else(|| {
            Status::failed_precondition(format!("ticket {hash} is not mined yet"))
        })?;
        self.0
            .wallet
            .add_transaction(&block, &raw.hex)
            .await
            .map_err(rpc_status)?;
        match self.0.classify(hash).await.map_err(rpc_status)? {
            Classified::NotOurs => Err(Status::failed_precondition(format!(
                "ticket {hash} does not pay to a script this wallet holds: import the user's script first"
            ))),
            _ => Ok(Response::new(pb::AddMissingTicketResponse {})),
        }
    }

    async fn validate_address(
        &self,
        req: Request<pb::ValidateAddressRequest>,
    ) -> Reply<pb::ValidateAddressResponse> {
        let address = req.into_inner().address;
        self.address("address", &address)?;
        let r = self
            .0
            .wallet
            .validate_address(&address)
            .await
            .map_err(rpc_status)?;
        Ok(Response::new(pb::ValidateAddressResponse {
            is_valid: r.isvalid,
            is_mine: r.ismine,
            pubkey_addr: r.pubkeyaddr,
            redeem_script: if r.isscript { r.hex } else { String::new() },
        }))
    }

    async fn create_multisig(
        &self,
        req: Request<pb::CreateMultisigRequest>,
    ) -> Reply<pb::CreateMultisigResponse> {
        let addresses = req.into_inner().addresses;
        if addresses.len() != 2 {
            return Err(Status::invalid_argument(format!(
                "give exactly two addresses (pool key first, then the user's), got {}",
                addresses.len()
            )));
        }
        for a in &addresses {
            Address::decode_pubkey_for(a, self.0.config.network)
                .map_err(|e| Status::invalid_argument(format!("address {a:?}: {e}")))?;
        }
        let r = self
            .0
            .wallet
            .create_multisig(1, &addresses)
            .await
            .map_err(rpc_status)?;
        Ok(Response::new(pb::CreateMultisigResponse {
            redeem_script: r.redeem_script,
            address: r.address,
        }))
    }

    async fn import_new_script(
        &self,
        req: Request<pb::ImportNewScriptRequest>,
    ) -> Reply<pb::ImportNewScriptResponse> {
        let script = hex::encode(req.into_inner().script);
        let tip = self.0.wallet.get_best_block().await.map_err(rpc_status)?;
        self.0
            .wallet
            .import_script(&script, false, None)
            .await
            .map_err(rpc_status)?;
        self.0.refresh_pool_scripts().await.map_err(rpc_status)?;
        Ok(Response::new(pb::ImportNewScriptResponse {
            height_imported: tip.height,
        }))
    }

    async fn import_missing_scripts(
        &self,
        req: Request<pb::ImportMissingScriptsRequest>,
    ) -> Reply<pb::ImportMissingScriptsResponse> {
        let req = req.into_inner();
        let from = u32::try_from(req.rescan_height).map_err(|_| {
            Status::invalid_argument(format!("rescan_height {} is negative", req.rescan_height))
        })?;
        let n = req.scripts.len();
        // One rescan for all of them: import without rescans, rescan with the last.
        for (i, script) in req.scripts.iter().enumerate() {
            let last = i + 1 == n;
            let from = last.then_some(from);
            self.0
                .wallet
                .import_script(&hex::encode(script), last, from)
                .await
                .map_err(rpc_status)?;
        }
        self.0.refresh_pool_scripts().await.map_err(rpc_status)?;
        // The rescan found the scripts' tickets in the wallet: rebuild the ticket list
        // (the health poller does it shortly; winners wait for it).
        if n > 0 {
            self.0.request_resync();
        }
        tracing::info!(scripts = n, rescan_from = from, "imported missing scripts");
        Ok(Response::new(pb::ImportMissingScriptsResponse {}))
    }

    async fn list_imported_addresses(
        &self,
        _: Request<pb::ListImportedAddressesRequest>,
    ) -> Reply<pb::ListImportedAddressesResponse> {
        let addresses = self
            .0
            .wallet
            .get_addresses_by_account("imported")
            .await
            .map_err(rpc_status)?;
        Ok(Response::new(pb::ListImportedAddressesResponse {
            addresses,
        }))
    }

    async fn stake_pool_user_info(
        &self,
        req: Request<pb::StakePoolUserInfoRequest>,
    ) -> Reply<pb::StakePoolUserInfoResponse> {
        let address = req.into_inner().multisig_address;
        self.address("multisig_address", &address)?;
        let r = self
            .0
            .wallet
            .stake_pool_user_info(&address)
            .await
            .map_err(rpc_status)?;
        // exccwallet keeps a low-fee ticket under `invalid` even after it was
        // voted (an admin added it): report those as voted.
        let (voted_low_fee, invalid): (Vec<_>, Vec<_>) = r
            .invalid
            .iter()
            .map(|t| (t, self.0.journal.voted(&t.to_string())))
            .partition(|(_, v)| v.is_some());
        let voted_low_fee = voted_low_fee.into_iter().filter_map(|(t, v)| {
            let v = v?;
            Some(pb::StakePoolUserTicket {
                status: "voted".into(),
                ticket: t.to_string(),
                ticket_height: 0,
                spent_by: v.vote.unwrap_or_default(),
                spent_by_height: v.height + 1,
            })
        });
        Ok(Response::new(pb::StakePoolUserInfoResponse {
            tickets: r
                .tickets
                .into_iter()
                .map(|t| pb::StakePoolUserTicket {
                    status: t.status.as_str().to_string(),
                    ticket: t.ticket.to_string(),
                    ticket_height: t.ticketheight,
                    spent_by: if t.spentby.is_zero() {
                        String::new()
                    } else {
                        t.spentby.to_string()
                    },
                    spent_by_height: t.spentbyheight,
                })
                .chain(voted_low_fee)
                .collect(),
            invalid_tickets: invalid.iter().map(|(t, _)| t.to_string()).collect(),
        }))
    }

    async fn get_stake_info(
        &self,
        _: Request<pb::GetStakeInfoRequest>,
    ) -> Reply<pb::GetStakeInfoResponse> {
        let s = self.0.wallet.get_stake_info().await.map_err(rpc_status)?;
        Ok(Response::new(pb::GetStakeInfoResponse {
            block_height: s.blockheight,
            difficulty: s.difficulty.to_excc_f64(),
            total_subsidy: s.totalsubsidy.to_excc_f64(),
            own_mempool_tix: s.ownmempooltix,
            immature: s.immature,
            unspent: s.unspent,
            voted: s.voted,
            revoked: s.revoked,
            unspent_expired: s.unspentexpired,
            pool_size: s.poolsize,
            all_mempool_tix: s.allmempooltix,
            live: s.live,
            proportion_live: s.proportionlive,
            missed: s.missed,
            proportion_missed: s.proportionmissed,
            expired: s.expired,
        }))
    }

    async fn wallet_info(
        &self,
        _: Request<pb::WalletInfoRequest>,
    ) -> Reply<pb::WalletInfoResponse> {
        let w = self.0.wallet.wallet_info().await.map_err(rpc_status)?;
        Ok(Response::new(pb::WalletInfoResponse {
            vote_version: w.voteversion,
            daemon_connected: w.daemonconnected,
            unlocked: w.unlocked,
            voting: w.voting,
        }))
    }

    async fn get_tickets(
        &self,
        req: Request<pb::GetTicketsRequest>,
    ) -> Reply<pb::GetTicketsResponse> {
        let tickets = self
            .0
            .wallet
            .get_tickets(req.into_inner().include_immature)
            .await
            .map_err(rpc_status)?;
        Ok(Response::new(pb::GetTicketsResponse {
            tickets: tickets.iter().map(ToString::to_string).collect(),
        }))
    }

    async fn account_sync_address_index(
        &self,
        req: Request<pb::AccountSyncAddressIndexRequest>,
    ) -> Reply<pb::AccountSyncAddressIndexResponse> {
        let r = req.into_inner();
        self.0
            .wallet
            .account_sync_address_index(&r.account, r.branch, r.index)
            .await
            .map_err(rpc_status)?;
        Ok(Response::new(pb::AccountSyncAddressIndexResponse {}))
    }

    async fn get_cold_wallet_ext_pub(
        &self,
        _: Request<pb::GetColdWalletExtPubRequest>,
    ) -> Reply<pb::GetColdWalletExtPubResponse> {
        Ok(Response::new(pb::GetColdWalletExtPubResponse {
            cold_wallet_ext_pub: self.0.config.cold_wallet_ext_pub.to_string(),
        }))
    }
}
