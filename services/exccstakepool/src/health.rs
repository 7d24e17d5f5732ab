//! `GET /healthz` for load balancers and monitoring: 200 when the database answers and
//! every voting node's stakepoold reported healthy at its last poll, else 503 (a pool that
//! cannot reach a voting node cannot register addresses or save voting preferences). The
//! nodes are polled in the background ([`spawn_poll`]), so the answer never waits on a
//! node. The JSON body tells which part failed (counts only: no host names or errors for
//! the public).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::pool::Pool;

/// How often every voting node is asked for its health.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// The database's share of an answer: one small query within this time.
const DATABASE_DEADLINE: Duration = Duration::from_secs(1);

pub async fn healthz(State(pool): State<Arc<Pool>>) -> (StatusCode, Json<Value>) {
    let database = tokio::time::timeout(DATABASE_DEADLINE, pool.db.user_counts())
        .await
        .is_ok_and(|r| r.is_ok());
    let statuses = pool.nodes.last_statuses();
    let healthy_nodes = statuses
        .iter()
        .filter(|s| s.as_ref().is_some_and(|s| s.healthy()))
        .count();
    let healthy = database && healthy_nodes == statuses.len();
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "healthy": healthy,
            "database": database,
            "voting_nodes": statuses.len(),
            "voting_nodes_healthy": healthy_nodes,
        })),
    )
}

/// Polls every voting node on its own (a node that hangs delays no other's status) every
/// [`POLL_INTERVAL`], each poll within the voting-node deadline; logs every change between
/// healthy and not, with the reason (e.g. an incompatible API version).
pub fn spawn_poll(pool: &Arc<Pool>) {
    for index in 0..pool.nodes.names().count() {
        crate::pool::every(pool, POLL_INTERVAL, move |pool| async move {
            let Some((s, true)) = pool.nodes.poll(index).await else {
                return;
            };
            match &s.health {
                Ok((version, h)) if h.healthy => {
                    tracing::info!(node = s.name, version, "voting node healthy")
                }
                Ok((_, h)) => {
                    tracing::warn!(node = s.name, problems = ?h.problems, "voting node unhealthy")
                }
                Err(why) => tracing::warn!(node = s.name, "voting node not answering: {why}"),
            }
        });
    }
}
