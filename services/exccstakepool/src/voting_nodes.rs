//! The voting nodes as the web service sees them: stakepoold on each, over gRPC with mutual
//! TLS (the pool CA's certificate for the node, the web service's client certificate).
//! Wallet operations run on every node at once and their answers must agree; reads ask
//! every node at once and take the first answer. Every call has one deadline covering
//! connection, TLS handshake and answer, so a node that accepts TCP and never answers
//! costs at most that deadline (a lazily connected channel would otherwise wait in its TLS
//! handshake for ever).

use std::time::Duration;

use stakepoold_proto::v1 as pb;
use stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient;
use stakepoold_proto::v1::version_service_client::VersionServiceClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// Where a voting node's stakepoold listens, and the name its certificate carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeAddress {
    pub name: String,
    /// `host:port`.
    pub grpc: String,
}

/// The mutual-TLS material (PEM).
#[derive(Clone)]
pub struct NodeTls {
    pub ca_pem: Vec<u8>,
    pub client_cert_pem: Vec<u8>,
    pub client_key_pem: Vec<u8>,
}

/// A voting-node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("voting node {node}: {what}: {status}")]
    Call {
        node: String,
        what: &'static str,
        status: String,
    },
    #[error(
        "voting node {node}: {what}: no answer within {secs} s (connect, TLS and reply; voting_node_timeout_secs)"
    )]
    Deadline {
        node: String,
        what: &'static str,
        secs: u64,
    },
    #[error("voting nodes disagree on {what}: {a} answered {a_says}, {b} answered {b_says}")]
    Disagree {
        what: &'static str,
        a: String,
        a_says: String,
        b: String,
        b_says: String,
    },
    #[error("no voting node answered {what}: {errors}")]
    NoneAnswered { what: &'static str, errors: String },
    #[error("voting node {node}: {0}", node = .0.endpoint)]
    Version(#[from] stakepoold_proto::IncompatibleVersion),
}

struct Node {
    name: String,
    endpoint: Endpoint,
    /// Connected lazily; replaced by a fresh one when a call misses its deadline, so a
    /// connection stuck in its TLS handshake does not hold the node down after it is back.
    channel: std::sync::Mutex<Channel>,
    /// The last background health poll ([`VotingNodes::poll`]); `None` before the first.
    last: std::sync::Mutex<Option<NodeStatus>>,
}

impl Node {
    fn channel(&self) -> Channel {
        self.channel.lock().expect("channel lock").clone()
    }

    fn renew(&self) {
        *self.channel.lock().expect("channel lock") = self.endpoint.connect_lazy();
    }
}

/// One node's answer to [`VotingNodes::statuses`].
#[derive(Clone, Debug)]
pub struct NodeStatus {
    pub name: String,
    /// (stakepoold's version, its health) or why it did not answer.
    pub health: Result<(String, pb::HealthResponse), String>,
}

impl NodeStatus {
    pub fn healthy(&self) -> bool {
        self.health.as_ref().is_ok_and(|(_, h)| h.healthy)
    }
}

/// Every voting node's stakepoold.
pub struct VotingNodes {
    nodes: Vec<Node>,
    /// One deadline per call, covering connection, TLS handshake and answer.
    deadline: Duration,
    /// The last stake statistics and when they were read ([`STAKE_INFO_TTL`]).
    stake_info: std::sync::Mutex<Option<(std::time::Instant, pb::GetStakeInfoResponse)>>,
}

/// How long stake statistics are reused: every page view and API call need not ask a node.
pub const STAKE_INFO_TTL: Duration = Duration::from_secs(30);

/// The default of `voting_node_timeout_secs`.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

fn spd(c: Channel) -> StakepooldServiceClient<Channel> {
    StakepooldServiceClient::new(c)
}

impl VotingNodes {
    /// Channels to every node (connected lazily, so a node that is down does not stop the
    /// web service; calls to it fail until it is back). Every call gets `deadline`.
    pub fn new(
        addresses: &[NodeAddress],
        tls: &NodeTls,
        deadline: Duration,
    ) -> Result<VotingNodes, String> {
        let mut nodes = Vec::new();
        for a in addresses {
            let endpoint = endpoint(a, tls)?;
            nodes.push(Node {
                name: a.name.clone(),
                channel: std::sync::Mutex::new(endpoint.connect_lazy()),
                endpoint,
                last: Default::default(),
            });
        }
        Ok(VotingNodes {
            nodes,
            deadline,
            stake_info: Default::default(),
        })
    }

    /// The nodes' names, in configuration order (indexes for [`VotingNodes::on`]).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.name.as_str())
    }

    /// One call to node `n` within the deadline. A missed deadline renews its channel.
    async fn call<T, F, Fut>(&self, n: &Node, what: &'static str, f: F) -> Result<T, NodeError>
    where
        F: FnOnce(Channel) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        match tokio::time::timeout(self.deadline, f(n.channel())).await {
            Ok(Ok(r)) => Ok(r.into_inner()),
            Ok(Err(s)) => Err(call(&n.name, what, s.message())),
            Err(_) => {
                n.renew();
                Err(NodeError::Deadline {
                    node: n.name.clone(),
                    what,
                    secs: self.deadline.as_secs(),
                })
            }
        }
    }

    /// A call to the node at `index` (see [`VotingNodes::names`]), within the deadline.
    pub async fn on<T, F, Fut>(
        &self,
        index: usize,
        what: &'static str,
        f: F,
    ) -> Result<T, NodeError>
    where
        F: FnOnce(StakepooldServiceClient<Channel>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let n = self.nodes.get(index).ok_or(NodeError::NoneAnswered {
            what,
            errors: format!("there is no voting node {index}"),
        })?;
        self.call(n, what, |c| f(spd(c))).await
    }

    /// Every node speaks a compatible API version (all asked at once).
    pub async fn check_versions(&self) -> Result<(), NodeError> {
        let each = self.nodes.iter().map(|n| async move {
            let v = self
                .call(n, "version", |c| async move {
                    VersionServiceClient::new(c)
                        .version(pb::VersionRequest {})
                        .await
                })
                .await?;
            stakepoold_proto::check_compatible(&n.name, &v, stakepoold_proto::API_MINOR)?;
            Ok(())
        });
        futures_util::future::join_all(each)
            .await
            .into_iter()
            .collect()
    }

    /// The same call on every node at once; their answers (by `key`) must agree.
    async fn on_all<T, F, Fut>(
        &self,
        what: &'static str,
        f: F,
        key: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, NodeError>
    where
        F: Fn(StakepooldServiceClient<Channel>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let calls = self.nodes.iter().map(|n| self.call(n, what, |c| f(spd(c))));
        let results = futures_util::future::join_all(calls).await;
        let mut out: Vec<T> = Vec::new();
        for (n, r) in self.nodes.iter().zip(results) {
            let v = r?;
            if let Some(first) = out.first()
                && key(first) != key(&v)
            {
                return Err(NodeError::Disagree {
                    what,
                    a: self.nodes[0].name.clone(),
                    a_says: key(first),
                    b: n.name.clone(),
                    b_says: key(&v),
                });
            }
            out.push(v);
        }
        Ok(out)
    }

    /// The first answer that succeeds; every node is asked at once, so a node that hangs
    /// costs nothing while another answers.
    async fn first<T, F, Fut>(&self, what: &'static str, f: F) -> Result<T, NodeError>
    where
        F: Fn(StakepooldServiceClient<Channel>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        use futures_util::StreamExt;
        let mut calls: futures_util::stream::FuturesUnordered<_> = self
            .nodes
            .iter()
            .map(|n| self.call(n, what, |c| f(spd(c))))
            .collect();
        let mut errors = Vec::new();
        while let Some(r) = calls.next().await {
            match r {
                Ok(v) => return Ok(v),
                Err(e) => errors.push(e.to_string()),
            }
        }
        if errors.is_empty() {
            errors.push("no voting node is configured".into());
        }
        Err(NodeError::NoneAnswered {
            what,
            errors: errors.join("; "),
        })
    }
    /// `createmultisig 1 [addresses]` on every node: (redeem script hex, P2SH address).
    pub async fn create_multisig(
        &self,
        addresses: &[String],
    ) -> Result<(String, String), NodeError> {
        let r = self
            .on_all(
                "createmultisig",
                |mut c| {
                    let addresses = addresses.to_vec();
                    async move {
                        c.create_multisig(pb::CreateMultisigRequest { addresses })
                            .await
                    }
                },
                |r: &pb::CreateMultisigResponse| format!("{} {}", r.address, r.redeem_script),
            )
            .await?;
        let r = r.into_iter().next().ok_or(NodeError::NoneAnswered {
            what: "createmultisig",
            errors: "no voting node is configured".into(),
        })?;
        Ok((r.redeem_script, r.address))
    }

    /// Imports the redeem script on every node; the highest height any imported at.
    pub async fn import_script(&self, script: &[u8]) -> Result<i64, NodeError> {
        let r = self
            .on_all(
                "importscript",
                |mut c| {
                    let script = script.to_vec();
                    async move {
                        c.import_new_script(pb::ImportNewScriptRequest { script })
                            .await
                    }
                },
                |_| String::new(),
            )
            .await?;
        Ok(r.iter().map(|r| r.height_imported).max().unwrap_or(0))
    }

    /// Adds or updates these users' voting preferences on every node.
    pub async fn update_prefs(&self, users: Vec<pb::UserVotingPrefs>) -> Result<(), NodeError> {
        self.on_all(
            "voting preferences",
            |mut c| {
                let users = users.clone();
                async move {
                    c.update_user_voting_prefs(pb::UpdateUserVotingPrefsRequest { users })
                        .await
                }
            },
            |_| String::new(),
        )
        .await
        .map(|_| ())
    }

    /// The wallets' vote version; every node must report the same.
    pub async fn vote_version(&self) -> Result<u32, NodeError> {
        let r = self
            .on_all(
                "the wallet's vote version",
                |mut c| async move { c.wallet_info(pb::WalletInfoRequest {}).await },
                |r: &pb::WalletInfoResponse| r.vote_version.to_string(),
            )
            .await?;
        Ok(r.first().map(|r| r.vote_version).unwrap_or(0))
    }

    /// A user's tickets (`stakepooluserinfo`) from the first node that answers.
    pub async fn user_tickets(
        &self,
        multisig_address: &str,
    ) -> Result<pb::StakePoolUserInfoResponse, NodeError> {
        self.first("stakepooluserinfo", |mut c| {
            let multisig_address = multisig_address.to_owned();
            async move {
                c.stake_pool_user_info(pb::StakePoolUserInfoRequest { multisig_address })
                    .await
            }
        })
        .await
    }

    /// The low-fee tickets the first answering node is not voting (fee below the pool's).
    pub async fn ignored_low_fee_tickets(&self) -> Result<Vec<pb::Ticket>, NodeError> {
        let r = self
            .first("the ignored low-fee tickets", |mut c| async move {
                c.get_ignored_low_fee_tickets(pb::GetIgnoredLowFeeTicketsRequest {})
                    .await
            })
            .await?;
        Ok(r.tickets)
    }

    /// Tells every node which low-fee tickets to vote anyway (the whole set).
    pub async fn set_added_low_fee_tickets(
        &self,
        tickets: Vec<pb::Ticket>,
    ) -> Result<(), NodeError> {
        self.on_all(
            "the added low-fee tickets",
            |mut c| {
                let tickets = tickets.clone();
                async move {
                    c.set_added_low_fee_tickets(pb::SetAddedLowFeeTicketsRequest { tickets })
                        .await
                }
            },
            |_| String::new(),
        )
        .await
        .map(|_| ())
    }

    /// One node's version and health (or why it did not answer) within one deadline; an
    /// incompatible API version counts as not answering.
    async fn status(&self, n: &Node) -> NodeStatus {
        let version = self.call(n, "version", |c| async move {
            VersionServiceClient::new(c)
                .version(pb::VersionRequest {})
                .await
        });
        let health = self.call(n, "health", |c| async move {
            spd(c).health(pb::HealthRequest {}).await
        });
        let (version, health) = tokio::join!(version, health);
        let version = version.and_then(|v| {
            stakepoold_proto::check_compatible(&n.name, &v, stakepoold_proto::API_MINOR)?;
            Ok(v.version_string)
        });
        NodeStatus {
            name: n.name.clone(),
            health: match (version, health) {
                (Ok(v), Ok(h)) => Ok((v, h)),
                (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
            },
        }
    }

    /// Every node's version and health now, or why it did not answer (in configuration
    /// order; all asked at once).
    pub async fn statuses(&self) -> Vec<NodeStatus> {
        futures_util::future::join_all(self.nodes.iter().map(|n| self.status(n))).await
    }

    /// Asks node `index` for its status and keeps the answer for [`VotingNodes::last_statuses`];
    /// returns it with whether it changed from healthy to not or back.
    pub async fn poll(&self, index: usize) -> Option<(NodeStatus, bool)> {
        let n = self.nodes.get(index)?;
        let s = self.status(n).await;
        let before = n.last.lock().expect("status lock").replace(s.clone());
        let changed = before.is_none_or(|b| b.healthy() != s.healthy());
        Some((s, changed))
    }

    /// The last polled status of every node (`None`: not polled yet), in configuration order.
    pub fn last_statuses(&self) -> Vec<Option<NodeStatus>> {
        self.nodes
            .iter()
            .map(|n| n.last.lock().expect("status lock").clone())
            .collect()
    }

    /// Stake statistics of the first node that answers, at most [`STAKE_INFO_TTL`] old.
    pub async fn stake_info(&self) -> Result<pb::GetStakeInfoResponse, NodeError> {
        let cached = *self.stake_info.lock().expect("stake info lock");
        if let Some((at, info)) = cached
            && at.elapsed() < STAKE_INFO_TTL
        {
            return Ok(info);
        }
        let info = self
            .first("getstakeinfo", |mut c| async move {
                c.get_stake_info(pb::GetStakeInfoRequest {}).await
            })
            .await?;
        *self.stake_info.lock().expect("stake info lock") = Some((std::time::Instant::now(), info));
        Ok(info)
    }
}

/// The TLS endpoint of a node's stakepoold: the pool CA, the web client certificate, the
/// node's name as the server name to verify.
fn endpoint(a: &NodeAddress, tls: &NodeTls) -> Result<Endpoint, String> {
    let config = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&tls.ca_pem))
        .identity(Identity::from_pem(
            &tls.client_cert_pem,
            &tls.client_key_pem,
        ))
        .domain_name(&a.name);
    Endpoint::from_shared(format!("https://{}", a.grpc))
        .map_err(|e| format!("voting node {} ({}): {e}", a.name, a.grpc))?
        .connect_timeout(Duration::from_secs(5))
        .tls_config(config)
        .map_err(|e| format!("voting node {}: TLS: {e}", a.name))
}

fn call(node: &str, what: &'static str, e: impl std::fmt::Display) -> NodeError {
    NodeError::Call {
        node: node.to_owned(),
        what,
        status: e.to_string(),
    }
}
