//! The pool's pages: home, ticket address, tickets, voting preferences.

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::render::{
    ERROR, Fields, OK, St, Visit, bad_form, form_ok, page_struct, redirect, show, signed_in,
};
use crate::address::{self, AddressError};
use crate::db::users::User;
use crate::tickets::{self, TicketLists};
use crate::{votebits, voting};
use stakepoold_proto::v1 as pb;

page_struct!(IndexPage, "index.html" { network: String, fee: String, users: i64, active: i64, closed: bool });
page_struct!(AddressPage, "address.html" { has_address: bool });
page_struct!(VotingPage, "voting.html" { vote_bits: u16, vote_version: u32, agendas_empty: bool });

/// Purchase information shown on the tickets page.
pub struct PurchaseInfo {
    ticket_address: String,
    fee_address: String,
    fee: String,
    script: String,
}
page_struct!(TicketsPage, "tickets.html" { info: Option<PurchaseInfo>, lists: TicketLists, hidden_voted: usize });
page_struct!(StatsPage, "stats.html" { network: String, fee: String, closed: bool, users: i64, active: i64, pool_email: String, stake: Option<pb::GetStakeInfoResponse> });

pub async fn index(State(pool): St, headers: HeaderMap) -> Response {
    let v = Visit::of(&pool, &headers).await;
    let (users, active) = pool.db.user_counts().await.unwrap_or((0, 0));
    let s = &pool.settings;
    let t = IndexPage {
        nav: v.nav(),
        message: String::new(),
        message_class: OK,
        network: s.network.name().to_owned(),
        fee: s.pool_fees.to_string(),
        users,
        active,
        closed: s.closed,
    };
    show(&pool, &v, &t)
}

pub async fn address_form(State(pool): St, headers: HeaderMap) -> Response {
    let (v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = AddressPage {
        nav: v.nav(),
        message: String::new(),
        message_class: OK,
        has_address: u.address.is_some(),
    };
    show(&pool, &v, &t)
}

pub async fn address_post(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let (v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let text = f.get("UserPubKeyAddr").map(String::as_str).unwrap_or("");
    let message = match address::submit(&pool, &u, text).await {
        Ok(_) => return redirect(&pool, &v.session, "/tickets"),
        Err(AddressError::System(why)) => {
            tracing::error!(user = u.id, "address: {why}");
            "The voting nodes could not process your address; try again later.".to_owned()
        }
        Err(e) => {
            let text = e.to_string();
            let mut c = text.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    };
    let t = AddressPage {
        nav: v.nav(),
        message,
        message_class: ERROR,
        has_address: u.address.is_some(),
    };
    show(&pool, &v, &t)
}

pub async fn tickets(State(pool): St, headers: HeaderMap) -> Response {
    let (v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut message = String::new();
    let mut lists = TicketLists::default();
    if let Some(a) = &u.address {
        match pool.nodes.user_tickets(&a.multisig_address).await {
            Ok(r) => lists = tickets::classify(pool.settings.network, r),
            Err(e) => {
                tracing::warn!("tickets of user {}: {e}", u.id);
                message =
                    "Your tickets cannot be listed right now (no voting node answered).".to_owned();
            }
        }
    }
    let info = u.address.as_ref().map(|a| PurchaseInfo {
        ticket_address: a.multisig_address.clone(),
        fee_address: a.fee_address.clone(),
        fee: pool.settings.pool_fees.to_string(),
        script: a.multisig_script.clone(),
    });
    let t = TicketsPage {
        nav: v.nav(),
        message,
        message_class: ERROR,
        info,
        hidden_voted: lists.voted_count - lists.voted.len(),
        lists,
    };
    show(&pool, &v, &t)
}

pub async fn stats(State(pool): St, headers: HeaderMap) -> Response {
    let v = Visit::of(&pool, &headers).await;
    let (users, active) = pool.db.user_counts().await.unwrap_or((0, 0));
    let (stake, message) = match pool.nodes.stake_info().await {
        Ok(s) => (Some(s), String::new()),
        Err(e) => {
            tracing::warn!("stats: {e}");
            (
                None,
                "The voting nodes are not answering right now, so ticket statistics are missing."
                    .to_owned(),
            )
        }
    };
    let s = &pool.settings;
    let t = StatsPage {
        nav: v.nav(),
        message,
        message_class: ERROR,
        network: s.network.name().to_owned(),
        fee: s.pool_fees.to_string(),
        closed: s.closed,
        users,
        active,
        pool_email: s.pool_email.clone(),
        stake,
    };
    show(&pool, &v, &t)
}

fn voting_page(v: &Visit, u: &User, message: String, class: &'static str) -> VotingPage {
    VotingPage {
        nav: v.nav(),
        message,
        message_class: class,
        vote_bits: u.vote_bits,
        vote_version: u.vote_bits_version,
        agendas_empty: votebits::agendas(u.vote_bits_version).is_empty(),
    }
}

pub async fn voting_form(State(pool): St, headers: HeaderMap) -> Response {
    let (v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    show(&pool, &v, &voting_page(&v, &u, String::new(), OK))
}

pub async fn voting_post(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let (v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let text = f.get("VoteBits").map(String::as_str).unwrap_or("");
    let (message, class) = match voting::set_vote_bits(&pool, &u, text).await {
        Ok(_) => ("Voting preferences saved.".to_owned(), OK),
        Err(e) => (format!("Not saved: {e}."), ERROR),
    };
    let u = pool.db.user(u.id).await.ok().flatten().unwrap_or(u);
    show(&pool, &v, &voting_page(&v, &u, message, class))
}
