//! `GET /healthz` for load balancers and monitoring: 200 when the database answers and at
//! least one voting node's stakepoold reports healthy, else 503. The JSON body tells which
//! part failed (counts only: no host names or errors for the public).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::pool::Pool;

pub async fn healthz(State(pool): State<Arc<Pool>>) -> (StatusCode, Json<Value>) {
    let database = pool.db.user_counts().await.is_ok();
    let statuses = pool.nodes.statuses().await;
    let healthy_nodes = statuses
        .iter()
        .filter(|s| s.health.as_ref().is_ok_and(|(_, h)| h.healthy))
        .count();
    let healthy = database && healthy_nodes > 0;
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
