//! Per-client rate limits (token buckets by IP address): form posts (sign-in, sign-up,
//! password reset, settings: what password guessing and mail bombing need) and the JSON
//! API each have their own budget. Over it, a request gets 429 with `Retry-After`.
//!
//! The client's address is the TCP peer, or with `real_ip_header` set (behind a reverse
//! proxy) that header's value; a request without it counts as one shared client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::pool::Pool;

/// What the operator allows per client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Form posts per minute (burst: the same number).
    pub form_posts_per_minute: u32,
    /// API requests per minute (burst: the same number).
    pub api_requests_per_minute: u32,
    /// The header a reverse proxy puts the client's address in (e.g. `X-Real-IP`).
    pub real_ip_header: Option<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            form_posts_per_minute: 20,
            api_requests_per_minute: 120,
            real_ip_header: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Class {
    Form,
    Api,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every client seen lately.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<(Class, String), Bucket>>,
}

/// Clients kept before idle ones (full buckets) are forgotten.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    /// Takes one token of `client`'s bucket (`per_minute` tokens, refilled continuously);
    /// `Err(wait)` when it is empty.
    fn take(
        &self,
        class: Class,
        client: &str,
        per_minute: u32,
        now: Instant,
    ) -> Result<(), Duration> {
        let capacity = f64::from(per_minute.max(1));
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().expect("rate-limit lock");
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < capacity
            });
        }
        let b = buckets.entry((class, client.to_owned())).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }
}

/// Which budget a request spends, if any: every API call, and every form post but the
/// signed-in pages' own (address, voting) and signing out.
fn class_of(method: &Method, path: &str) -> Option<Class> {
    if path.starts_with("/api/") || path == "/api" {
        return Some(Class::Api);
    }
    let limited = [
        "/signin",
        "/signup",
        "/passwordreset",
        "/passwordupdate",
        "/settings",
    ];
    (method == Method::POST && limited.contains(&path)).then_some(Class::Form)
}

fn client_of(req: &Request, limits: &Limits) -> String {
    match &limits.real_ip_header {
        Some(h) => req
            .headers()
            .get(h.as_str())
            .and_then(|v| v.to_str().ok())
            // X-Forwarded-For: the first address is the client's.
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .unwrap_or_default(),
        None => req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default(),
    }
}

/// The middleware: lets the request through or answers 429.
pub async fn limit(State(pool): State<Arc<Pool>>, req: Request, next: Next) -> Response {
    let Some(class) = class_of(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let limits = &pool.settings.limits;
    let per_minute = match class {
        Class::Form => limits.form_posts_per_minute,
        Class::Api => limits.api_requests_per_minute,
    };
    let client = client_of(&req, limits);
    match pool
        .limiter
        .take(class, &client, per_minute, Instant::now())
    {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let secs = wait.as_secs() + 1;
            tracing::warn!(client, ?class, "rate limited");
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, secs.to_string())],
                format!("Too many requests: try again in {secs} s.\n"),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_a_minute_of_requests_and_refill() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take(Class::Form, "a", 3, t0).is_ok());
        }
        let wait = l.take(Class::Form, "a", 3, t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // Another client and another class have their own buckets.
        assert!(l.take(Class::Form, "b", 3, t0).is_ok());
        assert!(l.take(Class::Api, "a", 3, t0).is_ok());
        // 20 s later one request is allowed again, not two.
        let t1 = t0 + Duration::from_secs(20);
        assert!(l.take(Class::Form, "a", 3, t1).is_ok());
        assert!(l.take(Class::Form, "a", 3, t1).is_err());
    }

    #[test]
    fn what_is_limited() {
        assert_eq!(class_of(&Method::POST, "/signin"), Some(Class::Form));
        assert_eq!(class_of(&Method::POST, "/passwordreset"), Some(Class::Form));
        assert_eq!(class_of(&Method::GET, "/signin"), None);
        assert_eq!(class_of(&Method::POST, "/voting"), None);
        assert_eq!(class_of(&Method::GET, "/api/v2/stats"), Some(Class::Api));
        assert_eq!(class_of(&Method::GET, "/apix"), None);
    }
}
