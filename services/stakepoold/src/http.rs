//! The HTTP side port: `/healthz` (JSON, 200 when healthy, 503 otherwise) and
//! `/metrics` (Prometheus text). Never blocks on exccd or exccwallet: it only
//! reads facts the daemon keeps current.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json};
use axum::routing::get;

use crate::daemon::Shared;
use crate::health::HealthReport;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

async fn healthz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let report = HealthReport::from(shared.health_facts());
    let status = if report.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report))
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let body = shared.metrics.render(shared.ticket_counts());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
