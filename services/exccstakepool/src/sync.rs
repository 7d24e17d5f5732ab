//! Keeping every voting node consistent with the database, at start and periodically
//! (legacy "RPCSync", fixed to run per node and not only at start): a node whose wallet
//! lacks some users' redeem scripts imports them (one rescan from the earliest of their
//! registration heights), and every node gets the whole set of voting preferences and of
//! admin-added low-fee tickets. A
//! node that fails is reported and retried next round; the others are synced anyway.

use std::collections::HashSet;

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

/// Syncs every node; one report per node.
pub async fn sync_nodes(pool: &Pool) -> Result<Vec<NodeSync>, crate::db::DbError> {
    let users = pool.db.voting_users().await?;
    let low_fee = crate::low_fee::current(&pool.db).await?;
    let mut reports = Vec::new();
    for (name, client) in pool.nodes.each() {
        let mut imported = 0;
        let result = sync_node(client, &users, &low_fee, &mut imported).await;
        if let Err(e) = &result {
            tracing::warn!(node = name, "sync failed: {e}");
        } else if imported > 0 {
            tracing::info!(node = name, imported, "imported missing scripts");
        }
        reports.push(NodeSync {
            node: name.to_owned(),
            imported,
            result,
        });
    }
    Ok(reports)
}

async fn sync_node(
    mut c: stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient<
        tonic::transport::Channel,
    >,
    users: &[VotingUser],
    low_fee: &[pb::Ticket],
    imported: &mut usize,
) -> Result<(), String> {
    let have: HashSet<String> = c
        .list_imported_addresses(pb::ListImportedAddressesRequest {})
        .await
        .map_err(|s| format!("listing its scripts: {}", s.message()))?
        .into_inner()
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
        c.import_missing_scripts(pb::ImportMissingScriptsRequest {
            scripts,
            rescan_height,
        })
        .await
        .map_err(|s| format!("importing {} scripts: {}", missing.len(), s.message()))?;
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
    c.set_user_voting_prefs(pb::SetUserVotingPrefsRequest { users: prefs })
        .await
        .map_err(|s| format!("setting voting preferences: {}", s.message()))?;
    c.set_added_low_fee_tickets(pb::SetAddedLowFeeTicketsRequest {
        tickets: low_fee.to_vec(),
    })
    .await
    .map_err(|s| format!("setting the added low-fee tickets: {}", s.message()))?;
    Ok(())
}
