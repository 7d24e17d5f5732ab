//! Per-client rate limits (token buckets by IP address, IPv6 by /64: one subscriber's
//! network): form posts (sign-in, sign-up, password reset, settings: what password
//! guessing and mail bombing need), the other posts (signed-in pages, sign out, admin) and
//! the JSON API each have their own budget. Over it, a request gets 429 with `Retry-After`.
//!
//! The client's address is the TCP peer, or with `real_ip_header` set (behind a reverse
//! proxy) the address the proxy wrote: the header's last entry (a proxy appends the peer
//! to `X-Forwarded-For`; entries before it are the client's own words). A request without
//! the header counts as one shared client.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
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
    /// Other posts per minute (signed-in pages, sign out, admin; burst: the same number).
    pub signed_in_posts_per_minute: u32,
    /// The header a reverse proxy puts the client's address in (e.g. `X-Real-IP`).
    pub real_ip_header: Option<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            form_posts_per_minute: 20,
            api_requests_per_minute: 120,
            signed_in_posts_per_minute: 60,
            real_ip_header: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Class {
    Form,
    SignedIn,
    Api,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// Its class's size (requests per minute) when it was last used.
    capacity: f64,
}

impl Bucket {
    /// Its tokens at `now`, refilled at `capacity` per minute.
    fn tokens_at(&self, now: Instant) -> f64 {
        (self.tokens + now.duration_since(self.at).as_secs_f64() * self.capacity / 60.0)
            .min(self.capacity)
    }
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
            // Full buckets are forgotten: each judged by its own class's size.
            buckets.retain(|_, b| b.tokens_at(now) < b.capacity);
        }
        let b = buckets.entry((class, client.to_owned())).or_insert(Bucket {
            tokens: capacity,
            at: now,
            capacity,
        });
        b.capacity = capacity;
        b.tokens = b.tokens_at(now);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }
}

/// Which budget a request spends, if any: every API call and every post (forms that
/// guess passwords or send mail have the smallest budget).
fn class_of(method: &Method, path: &str) -> Option<Class> {
    if path.starts_with("/api/") || path == "/api" {
        return Some(Class::Api);
    }
    let guessing = [
        "/signin",
        "/signup",
        "/passwordreset",
        "/passwordupdate",
        "/settings",
    ];
    match *method {
        Method::POST if guessing.contains(&path) => Some(Class::Form),
        Method::POST => Some(Class::SignedIn),
        _ => None,
    }
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 (an IPv4-mapped one as IPv4).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The client's key: the TCP peer's, or behind a proxy the last entry of the proxy's header.
fn client_of(req: &Request, limits: &Limits) -> String {
    match &limits.real_ip_header {
        Some(h) => {
            let last = req
                .headers()
                .get_all(h.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .next_back()
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .unwrap_or_default();
            match last.parse::<IpAddr>() {
                Ok(ip) => client_key(ip),
                Err(_) => last.to_owned(),
            }
        }
        None => req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| client_key(c.0.ip()))
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
        Class::SignedIn => limits.signed_in_posts_per_minute,
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
        assert_eq!(class_of(&Method::POST, "/voting"), Some(Class::SignedIn));
        assert_eq!(class_of(&Method::POST, "/logout"), Some(Class::SignedIn));
        assert_eq!(
            class_of(&Method::POST, "/admin/tickets"),
            Some(Class::SignedIn)
        );
        assert_eq!(class_of(&Method::GET, "/api/v2/stats"), Some(Class::Api));
        assert_eq!(class_of(&Method::GET, "/apix"), None);
    }

    #[test]
    fn pruning_judges_each_bucket_by_its_own_size() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        // An API client used 50 of its 120 requests.
        for _ in 0..50 {
            l.take(Class::Api, "api", 120, t0).unwrap();
        }
        // Enough form clients (3 a minute, one used each) that the next take prunes.
        for i in 0..=PRUNE_ABOVE {
            l.take(Class::Form, &format!("f{i}"), 3, t0).unwrap();
        }
        l.take(Class::Form, "last", 3, t0).unwrap();
        // The API client kept its bucket: 70 left, not a fresh 120.
        for _ in 0..70 {
            assert!(l.take(Class::Api, "api", 120, t0).is_ok());
        }
        assert!(l.take(Class::Api, "api", 120, t0).is_err());
    }

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().uri("/signin");
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn behind_a_proxy_the_client_is_what_the_proxy_appended() {
        let limits = Limits {
            real_ip_header: Some("X-Forwarded-For".into()),
            ..Default::default()
        };
        let spoofed = request(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7")]);
        assert_eq!(client_of(&spoofed, &limits), "198.51.100.7");
        let two_lines = request(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(client_of(&two_lines, &limits), "198.51.100.7");
        let v6 = request(&[("x-forwarded-for", "1.2.3.4,2001:db8:1:2:abcd::1")]);
        assert_eq!(client_of(&v6, &limits), "2001:db8:1:2::/64");
        assert_eq!(client_of(&request(&[]), &limits), "");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:fffe")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
    }
}
