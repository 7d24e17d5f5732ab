//! `poolctl plan`: what would change on each voting host.
//!
//! [`prepare`] does everything that needs no host: load pool.toml (secrets resolved), read
//! and verify the programs, open the pool CA and render each host's desired state
//! ([`render`]). [`connect_all`] opens one SSH connection per host in parallel (pinned host
//! keys). [`observe`] reads a host's facts without changing anything ([`facts`], plus the
//! wallet's own answers), and [`diff::diff`] turns desired state and facts into [`Change`]s.
//! Every failure here happens before apply changes anything on any host.

pub mod binaries;
pub mod cold;
pub mod conf;
pub mod db_conf;
pub mod diff;
pub mod facts;
pub mod render;
pub mod resource;
pub mod show;
pub mod web_conf;

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::ca::{CaError, PoolCa};
use crate::config::writeback::{WritebackError, pin_host_key};
use crate::config::{ConfigError, HostEntry, PoolConfig};
use crate::host::{HostError, SshHost};
use crate::runtime::{WalletFacts, WalletLink, wallet_facts};

pub use binaries::{BinaryError, PreparedBinary};
pub use cold::ColdPlan;
pub use diff::{Change, FileChange, HostPlan};
pub use facts::Facts;
pub use resource::{HostDesired, WalletRes};

/// Why planning failed. Each variant displays as one line per problem.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Binary(#[from] BinaryError),
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error(transparent)]
    Writeback(#[from] WritebackError),
    /// One line per host that failed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Hosts(Vec<HostError>),
    #[error(
        "{host}: the voting wallet's account xpub is {found}, but pool.voting_wallet_xpub is {expected}; the wallet was made from another seed: fix secrets.wallet_seed or the xpub"
    )]
    WrongWallet {
        host: String,
        found: String,
        expected: String,
    },
    /// `[cold_wallet]` unreachable, or not the wallet of `pool.cold_wallet_xpub`.
    #[error("{0}")]
    ColdWallet(String),
}

impl From<render::RenderError> for PlanError {
    fn from(e: render::RenderError) -> Self {
        match e {
            render::RenderError::Ca(e) => PlanError::Ca(e),
        }
    }
}

/// pool.toml loaded and every host's desired state rendered.
pub struct Prepared {
    pub config: PoolConfig,
    /// Every voting host, in pool.toml's order.
    pub desired: Vec<HostDesired>,
    /// The web side: the database host (if poolctl installs MariaDB), then the web hosts.
    pub web_desired: Vec<HostDesired>,
    /// What the operator must do outside the voting hosts (a renewed web certificate).
    pub notes: Vec<String>,
}

/// Verifies the programs, opens (on first use creates) the pool CA in `.poolctl/ca/` and
/// renders every host. Touches no host.
pub fn prepare(config: PoolConfig) -> Result<Prepared, PlanError> {
    let binaries = binaries::prepare_all(&config)?;
    let ca = PoolCa::open_or_create(&config.state_dir())?;
    // The web service's gRPC client certificate (`.poolctl/ca/clients/web.{cert,key}`).
    let web = ca.client_cert("web")?;
    let notes = web
        .renewed
        .filter(|_| config.web.is_none())
        .map(|why| {
            let dir = config.state_dir().join("ca/clients");
            format!(
                "note: issued a gRPC client certificate for the web service ({why}): install {}/web.cert and web.key on it (its tls.client_cert and tls.client_key)",
                dir.display(),
            )
        })
        .into_iter()
        .collect();
    let desired = render::render_all(&config, &binaries, &ca)?;
    let web_desired = render::render_web_side(&config, &binaries, &ca)?;
    Ok(Prepared {
        config,
        desired,
        web_desired,
        notes,
    })
}

/// Connects to every voting host in parallel (see [`connect_hosts`]).
pub async fn connect_all(
    config: &mut PoolConfig,
    accept_new: bool,
) -> Result<Vec<Arc<SshHost>>, PlanError> {
    let entries = config.hosts.clone();
    connect_hosts(config, &entries, accept_new).await
}

impl Prepared {
    /// Every host, voting hosts first, then the web side (database host, web hosts).
    pub fn all_desired(&self) -> impl Iterator<Item = &HostDesired> {
        self.desired.iter().chain(&self.web_desired)
    }
}

/// Connects to every host of the pool: the voting hosts, then the web side in
/// [`Prepared::web_desired`]'s order.
pub async fn connect_pool(
    prepared: &mut Prepared,
    accept_new: bool,
) -> Result<Vec<Arc<SshHost>>, PlanError> {
    let entries: Vec<HostEntry> = prepared.all_desired().map(|d| d.host.clone()).collect();
    let hosts = connect_hosts(&mut prepared.config, &entries, accept_new).await?;
    // Keys learned for web-side hosts: keep the rendered entries in step with pool.toml.
    for (d, h) in prepared
        .desired
        .iter_mut()
        .chain(prepared.web_desired.iter_mut())
        .zip(&hosts)
    {
        if let Some(k) = h.learned_host_key() {
            d.host.host_key = Some(k.clone());
        }
    }
    Ok(hosts)
}

/// Connects to `entries` in parallel. A host without a pinned key is accepted only with
/// `accept_new`, and its key is then written to pool.toml (comments kept). All failures
/// are reported together.
pub async fn connect_hosts(
    config: &mut PoolConfig,
    entries: &[HostEntry],
    accept_new: bool,
) -> Result<Vec<Arc<SshHost>>, PlanError> {
    let options = config.ssh_options().accept_new_host_key(accept_new);
    let mut tasks = JoinSet::new();
    for (i, h) in entries.iter().enumerate() {
        let (target, key, options) = (h.ssh_target(), h.host_key.clone(), options.clone());
        tasks.spawn(async move { (i, SshHost::connect(target, key.as_ref(), &options).await) });
    }
    let mut hosts: Vec<Option<Arc<SshHost>>> = vec![None; entries.len()];
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = joined.expect("connect task panicked");
        match result {
            Ok(ssh) => hosts[i] = Some(Arc::new(ssh)),
            Err(e) => errors.push((i, e)),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|(i, _)| *i);
        return Err(PlanError::Hosts(
            errors.into_iter().map(|(_, e)| e).collect(),
        ));
    }
    let hosts: Vec<Arc<SshHost>> = hosts.into_iter().map(|h| h.expect("connected")).collect();
    for (entry, ssh) in entries.iter().zip(&hosts) {
        if let Some(learned) = ssh.learned_host_key() {
            pin_host_key(&config.path, &entry.name, learned)?;
            if let Some(h) = config.hosts.iter_mut().find(|h| h.name == entry.name) {
                h.host_key = Some(learned.clone());
            }
        }
    }
    Ok(hosts)
}

/// What one host looks like now.
#[derive(Clone, Debug)]
pub struct Observed {
    pub facts: Facts,
    /// The wallet's answers; `None` when it is not running or did not answer.
    pub wallet: Option<WalletFacts>,
}

/// Reads a host's facts and, when its wallet runs, the wallet's state. Changes nothing.
pub async fn observe(
    ssh: Arc<SshHost>,
    desired: &HostDesired,
    config: &PoolConfig,
) -> Result<Observed, PlanError> {
    let facts = facts::gather(&*ssh, desired)
        .await
        .map_err(|e| PlanError::Hosts(vec![e]))?;
    let Some(desired_wallet) = &desired.wallet else {
        return Ok(Observed {
            facts,
            wallet: None,
        });
    };
    let wallet_active = facts
        .services
        .get(&resource::Service::Exccwallet)
        .is_some_and(|s| s.active == "active");
    let wallet = if wallet_active {
        match WalletLink::open(ssh, desired_wallet, &config.secrets.exccwallet_rpc_password).await {
            Ok(link) => wallet_facts(&link).await.ok(),
            Err(_) => None,
        }
    } else {
        None
    };
    if let Some(w) = &wallet
        && w.master_pubkey != desired_wallet.voting_xpub
    {
        return Err(PlanError::WrongWallet {
            host: desired.host.name.clone(),
            found: w.master_pubkey.clone(),
            expected: desired_wallet.voting_xpub.clone(),
        });
    }
    Ok(Observed { facts, wallet })
}

/// Plans every host (`hosts` from [`connect_pool`], or only the voting hosts from
/// [`connect_all`]) in parallel, then the restores (from healthy peers) a voting host needs.
pub async fn plan_all(
    prepared: &Prepared,
    hosts: &[Arc<SshHost>],
) -> Result<Vec<HostPlan>, PlanError> {
    let config = Arc::new(prepared.config.clone());
    let mut tasks = JoinSet::new();
    for (i, (ssh, desired)) in hosts.iter().zip(prepared.all_desired()).enumerate() {
        let (ssh, desired, config) = (Arc::clone(ssh), desired.clone(), Arc::clone(&config));
        tasks.spawn(async move {
            let observed = observe(ssh, &desired, &config).await;
            (
                i,
                observed.map(|o| {
                    (
                        diff::diff(&desired, &o.facts, o.wallet.as_ref()),
                        o.facts.wallet_files.is_empty(),
                    )
                }),
            )
        });
    }
    let mut plans: Vec<Option<(HostPlan, bool)>> = vec![None; hosts.len()];
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, result) = joined.expect("plan task panicked");
        match result {
            Ok(p) => plans[i] = Some(p),
            Err(e) => errors.push((i, e)),
        }
    }
    if let Some(pos) = errors.iter().map(|(i, _)| *i).min() {
        let (_, e) = errors
            .into_iter()
            .find(|(i, _)| *i == pos)
            .expect("min exists");
        return Err(e);
    }
    let (mut plans, new_wallet): (Vec<HostPlan>, Vec<bool>) =
        plans.into_iter().map(|p| p.expect("planned")).unzip();
    let reach = crate::restore::Reach::new(&prepared.config, hosts)?;
    let voting = prepared.desired.len();
    add_restores(&reach, &mut plans[..voting], &new_wallet[..voting]).await;
    Ok(plans)
}

/// Adds [`Change::Restore`] to the plans of hosts that lack what a healthy peer holds
/// (`new_wallet`: the host's wallet is created by this apply, i.e. it was rebuilt).
pub async fn add_restores(
    reach: &crate::restore::Reach,
    plans: &mut [HostPlan],
    new_wallet: &[bool],
) {
    use crate::restore::{plan_restores, survey};
    let names: Vec<String> = reach.hosts.iter().map(|(n, _)| n.clone()).collect();
    let survey = survey(reach).await;
    for (plan, restore) in plans
        .iter_mut()
        .zip(plan_restores(&names, &survey, new_wallet))
    {
        if let Some(r) = restore {
            let at = plan
                .changes
                .iter()
                .position(|c| matches!(c, Change::ForgetWalletSecrets))
                .unwrap_or(plan.changes.len());
            plan.changes.insert(at, Change::Restore(r));
        }
    }
}
