//! Keeping every voting node consistent with the database, at start and periodically
//! (legacy "RPCSync", fixed to run per node and not only at start): a node whose wallet
//! lacks some users' redeem scripts imports them (one rescan from the earliest of their
//! registration heights), and every node gets the whole set of voting preferences and of
//! admin-added low-fee tickets. Nodes are synced at once, each call within the
//! voting-node deadline; a node that fails is reported and retried next round, and costs
//! the others nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use stakepoold_proto::v1 as pb;

use crate::db::users::VotingUser;
use crate::pool::Pool;

/// What one round did on one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSync {
    pub node: String,
    /// Scripts it lacked and imported.
    pub imported: usize,
    /// `Err(why)` when the node could not be synced this round.
    pub result: Result<(), String>,
}

/// Syncs every node at once; one report per node (configuration order).
pub async fn sync_nodes(pool: &Pool) -> Result<Vec<NodeSync>, crate::db::DbError> {
    let users = pool.db.voting_users().await?;
    let low_fee = crate::low_fee::current(&pool.db).await?;
    let each = (0..pool.nodes.names().count()).map(|i| sync_one(pool, i, &users, &low_fee));
    Ok(futures_util::future::join_all(each).await)
}

/// Syncs node `index`, logging what happened.
async fn sync_one(
    pool: &Pool,
    index: usize,
    users: &[VotingUser],
    low_fee: &[pb::Ticket],
) -> NodeSync {
    let name = pool.nodes.names().nth(index).unwrap_or("?").to_owned();
    let mut imported = 0;
    let result = sync_node(pool, index, users, low_fee, &mut imported).await;
    if let Err(e) = &result {
        tracing::warn!(node = name, "sync failed: {e}");
    } else if imported > 0 {
        tracing::info!(node = name, imported, "imported missing scripts");
    }
    NodeSync {
        node: name,
        imported,
        result,
    }
}

/// The periodic duties, each on its own so a slow voting node delays nothing else: one
/// sync loop per node (at once, then every `interval`) and the deletion of expired links
/// and tickets. They end when the pool is dropped.
pub fn spawn(pool: &Arc<Pool>, interval: Duration) {
    for index in 0..pool.nodes.names().count() {
        crate::pool::every(pool, interval, move |pool| async move {
            let rows = async {
                let users = pool.db.voting_users().await?;
                let low_fee = crate::low_fee::current(&pool.db).await?;
                Ok::<_, crate::db::DbError>((users, low_fee))
            };
            match rows.await {
                Ok((users, low_fee)) => {
                    sync_one(&pool, index, &users, &low_fee).await;
                }
                Err(e) => tracing::warn!("voting-node sync: {e}"),
            }
        });
    }
    crate::pool::every(pool, interval, |pool| async move {
        match pool.db.prune_expired(crate::db::Db::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                rows = n,
                "expired links, tickets and unverified accounts deleted"
            ),
            Err(e) => tracing::warn!("deleting expired links: {e}"),
        }
    });
}

async fn sync_node(
    pool: &Pool,
    index: usize,
    users: &[VotingUser],
    low_fee: &[pb::Ticket],
    imported: &mut usize,
) -> Result<(), String> {
    let nodes = &pool.nodes;
    let have: HashSet<String> = nodes
        .on(index, "ListImportedAddresses", |mut c| async move {
            c.list_imported_addresses(pb::ListImportedAddressesRequest {})
                .await
        })
        .await
        .map_err(|e| format!("listing its scripts: {e}"))?
        .addresses
        .into_iter()
        .collect();
    let missing: Vec<&VotingUser> = users
        .iter()
        .filter(|u| !have.contains(&u.multisig_address))
        .collect();
    if !missing.is_empty() {
        let scripts = missing
            .iter()
            .map(|u| {
                hex::decode(&u.multisig_script)
                    .map_err(|e| format!("user {}'s stored script is not hex: {e}", u.id))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rescan_height = missing
            .iter()
            .map(|u| u.height_registered)
            .min()
            .unwrap_or(0);
        nodes
            .on(index, "ImportMissingScripts", |mut c| async move {
                c.import_missing_scripts(pb::ImportMissingScriptsRequest {
                    scripts,
                    rescan_height,
                })
                .await
            })
            .await
            .map_err(|e| format!("importing {} scripts: {e}", missing.len()))?;
        *imported = missing.len();
    }
    let prefs = users
        .iter()
        .map(|u| pb::UserVotingPrefs {
            user_id: u.id,
            multisig_address: u.multisig_address.clone(),
            vote_bits: u32::from(u.vote_bits),
            vote_bits_version: u.vote_bits_version,
        })
        .collect();
    nodes
        .on(index, "SetUserVotingPrefs", |mut c| async move {
            c.set_user_voting_prefs(pb::SetUserVotingPrefsRequest { users: prefs })
                .await
        })
        .await
        .map_err(|e| format!("setting voting preferences: {e}"))?;
    let tickets = low_fee.to_vec();
    nodes
        .on(index, "SetAddedLowFeeTickets", |mut c| async move {
            c.set_added_low_fee_tickets(pb::SetAddedLowFeeTicketsRequest { tickets })
                .await
        })
        .await
        .map_err(|e| format!("setting the added low-fee tickets: {e}"))?;
    Ok(())
}
