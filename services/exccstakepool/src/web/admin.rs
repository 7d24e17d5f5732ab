//! Admin pages (accounts named in `admin_emails` or made admins with `exccstakepool admin
//! add`, see [`crate::pool::PoolSettings::is_admin`]): the voting nodes' status and the
//! low-fee tickets to vote anyway. Anyone else gets 403.

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::render::{ERROR, OK, St, Visit, bad_form, form_ok, page_struct, show, signed_in};
use crate::db::Db;
use crate::db::users::User;
use crate::low_fee;
use crate::pool::Pool;

/// One voting node on the status page.
pub struct NodeRow {
    name: String,
    /// `None`: it did not answer (`problems` says why).
    version: Option<String>,
    healthy: bool,
    synced: bool,
    unlocked: bool,
    height: i64,
    vote_version: u32,
    live_tickets: u64,
    last_vote: String,
    problems: String,
}

page_struct!(StatusPage, "admin_status.html" { nodes: Vec<NodeRow>, users: i64, active: i64, mail: bool, added: usize });
page_struct!(TicketsPage, "admin_tickets.html" { ignored: Vec<(String, String)>, added: Vec<(String, String, i64)>, ignored_error: String });

/// The signed-in admin, a redirect to sign in, or 403.
pub(super) async fn admin(pool: &Pool, headers: &HeaderMap) -> Result<(Visit, User), Response> {
    let (v, u) = signed_in(pool, headers).await?;
    if !v.admin {
        tracing::warn!(user = u.id, "admin page refused");
        return Err((
            StatusCode::FORBIDDEN,
            "Forbidden: this page is for the pool's admins.",
        )
            .into_response());
    }
    Ok((v, u))
}

fn ago(unix: i64, now: i64) -> String {
    match now - unix {
        _ if unix == 0 => "never".to_owned(),
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s => format!("{} h ago", s / 3600),
    }
}

pub async fn status(State(pool): St, headers: HeaderMap) -> Response {
    let (v, _) = match admin(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = Db::now();
    let nodes = pool
        .nodes
        .statuses()
        .await
        .into_iter()
        .map(|s| match s.health {
            Ok((version, h)) => NodeRow {
                name: s.name,
                version: Some(version),
                healthy: h.healthy,
                synced: h.node_synced,
                unlocked: h.wallet_unlocked,
                height: h.best_height,
                vote_version: h.vote_version,
                live_tickets: h.live_tickets,
                last_vote: ago(h.last_vote_unix, now),
                problems: h.problems.join("; "),
            },
            Err(why) => NodeRow {
                name: s.name,
                version: None,
                healthy: false,
                synced: false,
                unlocked: false,
                height: 0,
                vote_version: 0,
                live_tickets: 0,
                last_vote: String::new(),
                problems: format!("not answering: {why}"),
            },
        })
        .collect();
    let (users, active) = pool.db.user_counts().await.unwrap_or((0, 0));
    let added = pool
        .db
        .low_fee_tickets(now)
        .await
        .map(|t| t.len())
        .unwrap_or(0);
    let t = StatusPage {
        nav: v.nav(),
        message: String::new(),
        message_class: OK,
        nodes,
        users,
        active,
        mail: pool.mailer.is_some(),
        added,
    };
    show(&pool, &v, &t)
}

async fn tickets_page(pool: &Pool, v: &Visit, message: String, class: &'static str) -> TicketsPage {
    let (ignored, ignored_error) = match pool.nodes.ignored_low_fee_tickets().await {
        Ok(t) => (
            t.into_iter()
                .map(|t| (t.hash, t.multisig_address))
                .collect(),
            String::new(),
        ),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let now = Db::now();
    let added = pool
        .db
        .low_fee_tickets(now)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.hash, t.address, (t.expires - now) / 86_400))
        .collect();
    TicketsPage {
        nav: v.nav(),
        message,
        message_class: class,
        ignored,
        added,
        ignored_error,
    }
}

pub async fn tickets(State(pool): St, headers: HeaderMap) -> Response {
    let (v, _) = match admin(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = tickets_page(&pool, &v, String::new(), OK).await;
    show(&pool, &v, &t)
}

pub async fn tickets_post(
    State(pool): St,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (v, u) = match admin(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let fields: HashMap<String, String> = pairs.iter().cloned().collect();
    if !form_ok(&pool, &v, &headers, &fields) {
        return bad_form();
    }
    let hashes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "tickets")
        .map(|(_, h)| h.trim().to_ascii_lowercase())
        .collect();
    let outcome = match fields.get("action").map(String::as_str) {
        Some("add") => low_fee::add(&pool, u.id, &hashes)
            .await
            .map(|n| format!("{n} ticket(s) added: the voting nodes vote them.")),
        Some("remove") => low_fee::remove(&pool, u.id, &hashes)
            .await
            .map(|n| format!("{n} ticket(s) removed: the voting nodes no longer vote them.")),
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                "Unknown action: the form sends action=add or action=remove.",
            )
                .into_response();
        }
    };
    let (message, class) = match outcome {
        Ok(m) => (m, OK),
        Err(e) => (format!("Nothing changed: {e}."), ERROR),
    };
    let t = tickets_page(&pool, &v, message, class).await;
    show(&pool, &v, &t)
}
