//! The daemon's shared state and its links to exccd and exccwallet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use excc_chain::{Address, ChainHash};
use excc_rpc::{ClientConfig, NodeClient, PinnedCert, WalletClient};

use crate::config::{Config, RpcEndpoint};
use crate::fees::{FeeAddresses, evaluate_ticket};
use crate::health::{Health, HealthFacts};
use crate::metrics::Metrics;
use crate::prefs::{PrefsBook, WalletVoteDefaults};
use crate::store::{PersistedState, Store, StoreError};
use crate::tickets::{TicketBook, TicketCounts, Verdict};

/// Everything the tasks of one stakepoold share.
pub struct Shared {
    pub config: Config,
    pub fees: FeeAddresses,
    pub node: NodeClient,
    pub wallet: WalletClient,
    pub tickets: RwLock<TicketBook>,
    pub prefs: RwLock<PrefsBook>,
    /// Wallet defaults from `walletinfo`; `None` until the wallet answered once.
    pub defaults: RwLock<Option<WalletVoteDefaults>>,
    pub health: Health,
    pub metrics: Metrics,
    pub journal: crate::journal::Journal,
    /// exccd's transaction index: 0 unknown, 1 present, 2 absent (tickets are
    /// then read through the wallet).
    node_txindex: std::sync::atomic::AtomicU8,
    /// Held for writing while tickets are being classified (startup, reconnects,
    /// `newtickets`); voters take it for reading, so a ticket that matures in a
    /// block and wins in the same block is classified before it is looked up.
    pub book_gate: Arc<tokio::sync::RwLock<()>>,
    /// Rescans requested (startup, reconnects, failed classifications) and the
    /// request number the last complete scan served: a scan is due while they differ.
    resync_requested: std::sync::atomic::AtomicU64,
    resync_completed: std::sync::atomic::AtomicU64,
    store: Store,
    /// Serialises writes of the state file.
    store_lock: Mutex<()>,
    /// Block hash → height, for the fee check's ticket heights.
    heights: Mutex<HashMap<ChainHash, i64>>,
    /// Hash160s of the wallet's imported scripts: tickets voting through them are the pool's.
    pool_scripts: RwLock<std::collections::HashSet<[u8; 20]>>,
    scripts_refreshed: Mutex<std::time::Instant>,
}

/// Builds an RPC client configuration from a config section.
pub fn client_config(
    ep: &RpcEndpoint,
    timeout: std::time::Duration,
) -> anyhow::Result<ClientConfig> {
    let cert = PinnedCert::from_pem_file(&ep.cert)?;
    Ok(ClientConfig::new(
        ep.address.clone(),
        ep.user.clone(),
        ep.password.clone(),
        cert,
    )
    .with_timeout(timeout))
}

/// Why a full ticket scan did not complete; the scan is retried.
#[derive(Debug, thiserror::Error)]
pub enum ResyncError {
    #[error(transparent)]
    Rpc(#[from] excc_rpc::Error),
    #[error("{0} ticket(s) could not be classified")]
    Incomplete(usize),
}

/// Outcome of classifying one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classified {
    Live,
    Ignored,
    /// Not a ticket of this wallet (another pool's or a solo ticket).
    NotOurs,
}

impl Shared {
    pub fn new(config: Config, fees: FeeAddresses) -> anyhow::Result<Arc<Self>> {
        let store = Store::open(&config.state_dir)?;
        let journal = crate::journal::Journal::open(&config.state_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot open the vote journal in {}: {e} (check state_dir and its permissions)",
                config.state_dir.display()
            )
        })?;
        let persisted = store.load()?;
        let mut tickets = TicketBook::default();
        tickets.set_added(persisted.added_tickets.iter().copied());
        let node = NodeClient::new(client_config(&config.node, config.rpc_timeout)?);
        let wallet = WalletClient::new(client_config(&config.wallet, config.rpc_timeout)?);
        Ok(Arc::new(Shared {
            fees,
            node,
            wallet,
            tickets: RwLock::new(tickets),
            prefs: RwLock::new(persisted.prefs),
            defaults: RwLock::new(None),
            health: Health::default(),
            metrics: Metrics::default(),
            journal,
            node_txindex: std::sync::atomic::AtomicU8::new(0),
            book_gate: Arc::new(tokio::sync::RwLock::new(())),
            resync_requested: std::sync::atomic::AtomicU64::new(1),
            resync_completed: std::sync::atomic::AtomicU64::new(0),
            store,
            store_lock: Mutex::new(()),
            heights: Mutex::new(HashMap::new()),
            pool_scripts: RwLock::new(Default::default()),
            scripts_refreshed: Mutex::new(std::time::Instant::now()),
            config,
        }))
    }

    pub fn health_facts(&self) -> HealthFacts {
        let mut f = self.health.snapshot();
        f.live_tickets = self.ticket_counts().live as u64;
        f
    }

    pub fn ticket_counts(&self) -> TicketCounts {
        self.tickets.read().expect("tickets lock").counts()
    }

    /// Writes preferences and the admin-added set to the state directory.
    pub fn persist(&self) -> Result<(), StoreError> {
        let _guard = self.store_lock.lock().expect("store lock");
        let state = PersistedState {
            schema: 0,
            prefs: self.prefs.read().expect("prefs lock").clone(),
            added_tickets: self
                .tickets
                .read()
                .expect("tickets lock")
                .added_hashes()
                .copied()
                .collect(),
        };
        self.store.save(&state)
    }

    async fn block_height(&self, hash: &ChainHash) -> Result<i64, excc_rpc::Error> {
        if let Some(h) = self.heights.lock().expect("heights lock").get(hash) {
            return Ok(*h);
        }
        let header = self.node.get_block_header_verbose(hash).await?;
        let height = i64::from(header.height);
        let mut cache = self.heights.lock().expect("heights lock");
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(*hash, height);
        Ok(height)
    }

    /// The raw ticket and the height of its block: from exccd's transaction
    /// index (one call), or, where exccd runs without `txindex`, from the
    /// wallet (`gettransaction`) and the block header. `None` when unmined or
    /// unknown to both.
    async fn ticket_tx(
        &self,
        ticket: &ChainHash,
    ) -> Result<Option<(String, i64)>, excc_rpc::Error> {
        use std::sync::atomic::Ordering;
        if self.node_txindex.load(Ordering::Relaxed) != 2 {
            match self.node.get_raw_transaction_verbose(ticket).await {
                Ok(raw) if raw.blockhash.is_some() => {
                    self.note_txindex(true);
                    return Ok(Some((raw.hex, raw.blockheight)));
                }
                Ok(_) => return Ok(None),
                // -5: not in exccd's index (e.g. a wallet-only transaction).
                Err(e) if e.rpc_code() == Some(-5) => {}
                Err(e) if e.is_no_txindex() => self.note_txindex(false),
                Err(e) => return Err(e),
            }
        }
        let tx = match self.wallet.get_transaction(ticket, true).await {
            Ok(tx) => tx,
            // -5: "No information for transaction": not a wallet transaction.
            Err(e) if e.rpc_code() == Some(-5) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(block) = tx.blockhash else {
            return Ok(None);
        };
        Ok(Some((tx.hex, self.block_height(&block).await?)))
    }

    /// Checks exccd's and exccwallet's JSON-RPC API versions (at start and after
    /// reconnects); the verdict is kept in the health facts. `Err` only for an
    /// incompatible daemon: an unreachable one is checked again later.
    pub async fn check_api_versions(&self) -> Result<(), String> {
        use crate::api_version::{NODE_API, WALLET_API, check};
        let node = self.node.version().await;
        let wallet = self.wallet.version().await;
        let mut verdict = Ok(());
        for (answer, api) in [(node, NODE_API), (wallet, WALLET_API)] {
            if let Ok(v) = answer
                && let Err(e) = check(&v, api)
            {
                verdict = Err(e);
            }
        }
        let problem = verdict.as_ref().err().cloned();
        if let Some(e) = &problem {
            tracing::error!(error = %e, "incompatible daemon; not voting");
        }
        self.health.update(|f| f.incompatible_api = problem);
        verdict
    }

    /// Records whether exccd has a transaction index; warns once when it has none.
    fn note_txindex(&self, present: bool) {
        use std::sync::atomic::Ordering;
        let new = if present { 1 } else { 2 };
        if self.node_txindex.swap(new, Ordering::Relaxed) != new {
            self.health.update(|f| f.node_txindex = Some(present));
            if !present {
                tracing::warn!(
                    "exccd runs without a transaction index: tickets are read through exccwallet instead (slower start). Set txindex=1 in exccd.conf and restart exccd"
                );
            }
        }
    }

    /// Hash160s of the wallet's imported scripts (the users' 1-of-2 addresses).
    pub async fn refresh_pool_scripts(&self) -> Result<(), excc_rpc::Error> {
        let addrs = self.wallet.get_addresses_by_account("imported").await?;
        let set = addrs
            .iter()
            .filter_map(|a| excc_chain::Address::decode_for(a, self.config.network).ok())
            .filter(|a| a.is_p2sh())
            .map(|a| a.hash160())
            .collect();
        *self.pool_scripts.write().expect("scripts lock") = set;
        Ok(())
    }

    fn is_pool_script(&self, address: &Address) -> bool {
        address.is_p2sh()
            && self
                .pool_scripts
                .read()
                .expect("scripts lock")
                .contains(&address.hash160())
    }

    /// Reads a ticket and, if it votes through one of the wallet's imported
    /// scripts, records its fee verdict. The fee is checked at the height of the
    /// block the ticket was mined in, as the wallet does.
    pub async fn classify(&self, ticket: ChainHash) -> Result<Classified, excc_rpc::Error> {
        let Some((hex, height)) = self.ticket_tx(&ticket).await? else {
            return Ok(Classified::NotOurs);
        };
        let evaluated = evaluate_ticket(
            &hex,
            height,
            &self.fees,
            self.config.pool_fees,
            self.config.network,
        );
        let (address, verdict) = match evaluated {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(%ticket, error = %e, "not a readable ticket; not voting it");
                return Ok(Classified::NotOurs);
            }
        };
        if !self.is_pool_script(&address) {
            // A script imported since the last refresh? (At most one refresh a
            // second: most tickets on a real network are other people's.)
            let stale = {
                let mut last = self.scripts_refreshed.lock().expect("refresh lock");
                let stale = last.elapsed() >= std::time::Duration::from_secs(1);
                if stale {
                    *last = std::time::Instant::now();
                }
                stale
            };
            if stale {
                self.refresh_pool_scripts().await?;
            }
            if !self.is_pool_script(&address) {
                return Ok(Classified::NotOurs);
            }
        }
        if let Verdict::Ignored(reason) = verdict {
            tracing::info!(%ticket, %address, ?reason, "low-fee ticket: not voted unless an admin adds it");
        }
        let mut book = self.tickets.write().expect("tickets lock");
        book.classify(ticket, address, verdict);
        Ok(if book.votable(&ticket).is_some() {
            Classified::Live
        } else {
            Classified::Ignored
        })
    }

    /// Classifies many tickets with bounded concurrency; returns (live, ignored, not ours, errors).
    pub async fn classify_all(
        self: &Arc<Self>,
        tickets: Vec<ChainHash>,
    ) -> (usize, usize, usize, usize) {
        use futures_util::StreamExt;
        let results: Vec<_> = futures_util::stream::iter(tickets)
            .map(|t| {
                let me = self.clone();
                async move { (t, me.classify(t).await) }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        let mut counts = (0, 0, 0, 0);
        for (t, r) in results {
            match r {
                Ok(Classified::Live) => counts.0 += 1,
                Ok(Classified::Ignored) => counts.1 += 1,
                Ok(Classified::NotOurs) => counts.2 += 1,
                Err(e) => {
                    counts.3 += 1;
                    self.metrics
                        .classify_errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(ticket = %t, error = %e, "could not classify ticket");
                }
            }
        }
        counts
    }

    /// Rebuilds the ticket book from the wallet's live tickets (startup and after reconnects).
    /// Repeats while the chain tip moves during the scan.
    pub async fn resync(self: &Arc<Self>) -> Result<(), ResyncError> {
        for _ in 0..5 {
            let before = self.node.get_best_block_hash().await?;
            self.refresh_pool_scripts().await?;
            let live = self.live_pool_tickets().await?;
            let started = std::time::Instant::now();
            self.tickets
                .write()
                .expect("tickets lock")
                .clear_chain_view();
            let (l, i, n, e) = self.classify_all(live).await;
            let counts = self.ticket_counts();
            tracing::info!(
                live = l,
                ignored = i,
                not_ours = n,
                errors = e,
                added = counts.added,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "tickets loaded"
            );
            if e > 0 {
                return Err(ResyncError::Incomplete(e));
            }
            if self.node.get_best_block_hash().await? == before {
                return Ok(());
            }
        }
        tracing::warn!(
            "chain tip kept moving during the ticket scan; continuing with the last scan"
        );
        Ok(())
    }

    /// Asks for a full rescan of the ticket book.
    pub fn request_resync(&self) {
        self.resync_requested
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// True while a requested rescan has not completed.
    pub fn resync_pending(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.resync_completed.load(Ordering::SeqCst) < self.resync_requested.load(Ordering::SeqCst)
    }

    /// Rebuilds the ticket book if a rescan is due, holding the book gate so
    /// voters wait for it. A failed scan stays due; the health poller retries.
    pub async fn resync_if_needed(self: &Arc<Self>) {
        if !self.resync_pending() {
            return;
        }
        let _gate = self.book_gate.clone().write_owned().await;
        self.resync_holding_gate().await;
    }

    /// The scan itself, if still due; the caller holds `book_gate` for writing.
    pub async fn resync_holding_gate(self: &Arc<Self>) {
        use std::sync::atomic::Ordering;
        let wanted = self.resync_requested.load(Ordering::SeqCst);
        if self.resync_completed.load(Ordering::SeqCst) >= wanted {
            return;
        }
        match self.resync().await {
            Ok(()) => {
                self.resync_completed.fetch_max(wanted, Ordering::SeqCst);
                self.health.update(|f| f.ticket_scan_error = None);
            }
            Err(e) => {
                tracing::warn!(error = %e, "ticket scan incomplete; retrying shortly");
                self.health
                    .update(|f| f.ticket_scan_error = Some(e.to_string()));
            }
        }
    }

    /// Live tickets of the pool: the wallet's (`gettickets`, fee-paying only in
    /// stake-pool mode) plus every live ticket of a known user's multisig
    /// address (`ticketsforaddress` on exccd), which finds the low-fee ones too.
    async fn live_pool_tickets(&self) -> Result<Vec<ChainHash>, excc_rpc::Error> {
        use futures_util::StreamExt;
        let mut all: std::collections::HashSet<ChainHash> =
            self.wallet.get_tickets(false).await?.into_iter().collect();
        let users: Vec<String> = self
            .prefs
            .read()
            .expect("prefs lock")
            .addresses()
            .cloned()
            .collect();
        let per_user: Vec<_> = futures_util::stream::iter(users)
            .map(|a| async move { self.node.tickets_for_address(&a).await })
            .buffer_unordered(32)
            .collect()
            .await;
        for tickets in per_user {
            all.extend(tickets?);
        }
        Ok(all.into_iter().collect())
    }

    /// The multisig address and vote bits for a winning ticket, if this node votes it.
    pub fn vote_plan(
        &self,
        ticket: &ChainHash,
    ) -> Option<(Address, u16, crate::prefs::BitsSource, String)> {
        let address = self.tickets.read().expect("tickets lock").votable(ticket)?;
        let defaults = self.defaults.read().expect("defaults lock").clone()?;
        let (bits, source) = self
            .prefs
            .read()
            .expect("prefs lock")
            .vote_bits_for(&address.to_string(), &defaults);
        Some((address, bits, source, defaults.vote_bits_extended))
    }
}
