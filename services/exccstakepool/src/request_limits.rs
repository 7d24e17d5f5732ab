//! Per-request limits: a body is at most [`BODY_LIMIT`] (every body here is a form) and
//! must arrive within `body_timeout`; only then does the request take one of the
//! `requests_in_flight` turns, so slow senders hold memory but no turn; the handler must
//! answer within `request_timeout` (its wait for a turn included).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::serve::ServerLimits;

/// The largest request body accepted (form posts and API calls).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The shared turns and the limits.
pub struct RequestLimits {
    turns: Semaphore,
    limits: ServerLimits,
}

impl RequestLimits {
    pub fn new(limits: &ServerLimits) -> Arc<RequestLimits> {
        Arc::new(RequestLimits {
            turns: Semaphore::new(limits.requests_in_flight.max(1)),
            limits: limits.clone(),
        })
    }
}

fn refuse(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONNECTION, "close")], text).into_response()
}

/// The middleware: the body received in time, then a turn, then the handler in time.
pub async fn limit(State(l): State<Arc<RequestLimits>>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large (at most 64 KiB).\n",
        );
    }
    let (parts, body) = req.into_parts();
    let body = match tokio::time::timeout(
        l.limits.body_timeout,
        axum::body::to_bytes(body, BODY_LIMIT),
    )
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large (at most 64 KiB) or broken off.\n",
            );
        }
        Err(_) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                "The request body did not arrive in time.\n",
            );
        }
    };
    let req = Request::from_parts(parts, Body::from(body));
    let answer = tokio::time::timeout(l.limits.request_timeout, async {
        let _turn = l.turns.acquire().await;
        next.run(req).await
    });
    match answer.await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(
                "a request was not answered within {:?}",
                l.limits.request_timeout
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                "The pool is busy: try again in a few seconds.\n",
            )
                .into_response()
        }
    }
}
