//! Page handlers. Each renders a template with the navigation (signed in or not, the CSRF
//! token) and an optional message, and (re)sets the session cookie.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::session::{self, Session};
use crate::address::{self, AddressError};
use crate::db::Db;
use crate::db::users::{CreateError, User};
use crate::pool::Pool;
use crate::{passwords, token, votebits, voting};

pub struct Nav {
    pub signed_in: bool,
    pub csrf: String,
}

/// The request's session (a new anonymous one if it has none) and the signed-in user.
struct Visit {
    session: Session,
    user: Option<User>,
}

impl Visit {
    async fn of(pool: &Pool, headers: &HeaderMap) -> Visit {
        let key = session::key(&pool.settings.api_secret);
        let now = Db::now();
        let session =
            Session::from_headers(headers, &key, now).unwrap_or_else(|| Session::new(0, now));
        let user = if session.user > 0 {
            pool.db.user(session.user).await.ok().flatten()
        } else {
            None
        };
        Visit { session, user }
    }

    fn nav(&self) -> Nav {
        Nav {
            signed_in: self.user.is_some(),
            csrf: self.session.csrf.clone(),
        }
    }
}

fn secure(pool: &Pool) -> bool {
    pool.settings.base_url.starts_with("https://")
}

/// A rendered page with the session cookie.
fn page(pool: &Pool, session: &Session, status: StatusCode, t: &impl Template) -> Response {
    let key = session::key(&pool.settings.api_secret);
    match t.render() {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (header::SET_COOKIE, session.cookie(&key, secure(pool))),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("rendering a page: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "page error").into_response()
        }
    }
}

/// A redirect that also sets `session`'s cookie.
fn redirect(pool: &Pool, session: &Session, to: &str) -> Response {
    let key = session::key(&pool.settings.api_secret);
    (
        [(header::SET_COOKIE, session.cookie(&key, secure(pool)))],
        Redirect::to(to),
    )
        .into_response()
}

/// A form post is accepted only with the session's CSRF token and from the same site: a
/// browser's `Origin` must be the pool's public URL (behind a reverse proxy) or this
/// server's own host.
fn form_ok(
    pool: &Pool,
    visit: &Visit,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none");
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let public = pool.settings.base_url.trim_end_matches('/');
    let foreign_origin = headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o != public && o.split_once("://").map(|(_, h)| h) != Some(host));
    let token = form.get("csrf_token").map(String::as_str).unwrap_or("");
    !cross_site && !foreign_origin && visit.session.csrf_ok(token)
}

/// The e-mail address (trimmed) and password of a sign-up or sign-in form.
fn credentials(f: &HashMap<String, String>) -> (String, String) {
    let email = f
        .get("email")
        .map(|e| e.trim().to_owned())
        .unwrap_or_default();
    (email, f.get("password").cloned().unwrap_or_default())
}

fn bad_form() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "Invalid CSRF token: reload the page and submit the form again.",
    )
        .into_response()
}

macro_rules! page_struct {
    ($name:ident, $path:literal { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name {
            nav: Nav,
            message: String,
            message_class: &'static str,
            $($field: $ty),*
        }
    };
}

page_struct!(IndexPage, "index.html" { network: String, fee: String, users: i64, active: i64, closed: bool });
page_struct!(SignupPage, "signup.html" { email: String });
page_struct!(SigninPage, "signin.html" { email: String });
page_struct!(AddressPage, "address.html" { has_address: bool });
page_struct!(SettingsPage, "settings.html" { email: String, base_url: String, api_token: String });
page_struct!(VotingPage, "voting.html" { vote_bits: u16, vote_version: u32, agendas_empty: bool });

/// Purchase information shown on the tickets page.
pub struct PurchaseInfo {
    ticket_address: String,
    fee_address: String,
    fee: String,
    script: String,
}
page_struct!(TicketsPage, "tickets.html" { info: Option<PurchaseInfo>, tickets: Vec<(String, String, u32)> });

const ERROR: &str = "error";
const OK: &str = "ok";

pub fn router(pool: Arc<Pool>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/signup", get(signup_form).post(signup))
        .route("/signin", get(signin_form).post(signin))
        .route("/logout", axum::routing::post(logout))
        .route("/settings", get(settings))
        .route("/address", get(address_form).post(address_post))
        .route("/tickets", get(tickets))
        .route("/voting", get(voting_form).post(voting_post))
        .with_state(pool)
}

type St = State<Arc<Pool>>;
type Fields = Form<HashMap<String, String>>;

async fn index(State(pool): St, headers: HeaderMap) -> Response {
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
    page(&pool, &v.session, StatusCode::OK, &t)
}

async fn signup_form(State(pool): St, headers: HeaderMap) -> Response {
    let v = Visit::of(&pool, &headers).await;
    let t = SignupPage {
        nav: v.nav(),
        message: String::new(),
        message_class: OK,
        email: String::new(),
    };
    page(&pool, &v.session, StatusCode::OK, &t)
}

async fn signup(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let (email, password) = credentials(&f);
    let problem = if pool.settings.closed {
        Some("The pool is closed to new accounts.")
    } else if email.len() > 255
        || !email.contains('@')
        || email.starts_with('@')
        || email.ends_with('@')
    {
        Some("Enter a valid e-mail address.")
    } else if password.chars().count() < 8 {
        Some("The password must have at least 8 characters.")
    } else if f.get("password_repeat") != Some(&password) {
        Some("The passwords do not match.")
    } else {
        None
    };
    let again = |message: &str| {
        let t = SignupPage {
            nav: v.nav(),
            message: message.to_owned(),
            message_class: ERROR,
            email: email.clone(),
        };
        page(&pool, &v.session, StatusCode::OK, &t)
    };
    if let Some(p) = problem {
        return again(p);
    }
    match pool
        .db
        .create_user(&email, &passwords::hash(&password))
        .await
    {
        Ok(id) => {
            // E-mail verification is not built yet: accounts are usable at once.
            let _ = pool.db.set_email_verified(id).await;
            tracing::info!(user = id, "account created");
            redirect(&pool, &Session::new(id, Db::now()), "/address")
        }
        Err(CreateError::EmailTaken) => {
            again("An account with this e-mail address exists already: sign in.")
        }
        Err(e) => {
            tracing::error!("sign-up: {e}");
            again("The account could not be created; try again later.")
        }
    }
}

async fn signin_form(State(pool): St, headers: HeaderMap) -> Response {
    let v = Visit::of(&pool, &headers).await;
    let t = SigninPage {
        nav: v.nav(),
        message: String::new(),
        message_class: OK,
        email: String::new(),
    };
    page(&pool, &v.session, StatusCode::OK, &t)
}

async fn signin(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let (email, password) = credentials(&f);
    let user = pool.db.user_by_email(&email).await.ok().flatten();
    match user {
        Some(u) if passwords::verify(&password, &u.password_hash) => {
            tracing::info!(user = u.id, "signed in");
            let to = if u.address.is_some() {
                "/tickets"
            } else {
                "/address"
            };
            redirect(&pool, &Session::new(u.id, Db::now()), to)
        }
        _ => {
            let t = SigninPage {
                nav: v.nav(),
                message: "Wrong e-mail address or password.".to_owned(),
                message_class: ERROR,
                email,
            };
            page(&pool, &v.session, StatusCode::OK, &t)
        }
    }
}

async fn logout(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    redirect(&pool, &Session::new(0, Db::now()), "/")
}

/// The signed-in visit, or a redirect to the sign-in page.
async fn signed_in(pool: &Pool, headers: &HeaderMap) -> Result<(Visit, User), Response> {
    let v = Visit::of(pool, headers).await;
    match v.user.clone() {
        Some(u) => Ok((v, u)),
        None => Err(redirect(pool, &v.session, "/signin")),
    }
}

async fn settings(State(pool): St, headers: HeaderMap) -> Response {
    let (v, mut u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if u.api_token.is_empty() {
        u.api_token = token::issue(
            &pool.settings.api_secret,
            &pool.settings.base_url,
            u.id,
            Db::now(),
        );
        if let Err(e) = pool.db.set_api_token(u.id, &u.api_token).await {
            tracing::error!("storing an API token: {e}");
        }
    }
    let t = SettingsPage {
        nav: v.nav(),
        message: String::new(),
        message_class: OK,
        email: u.email,
        base_url: pool.settings.base_url.clone(),
        api_token: u.api_token,
    };
    page(&pool, &v.session, StatusCode::OK, &t)
}

async fn address_form(State(pool): St, headers: HeaderMap) -> Response {
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
    page(&pool, &v.session, StatusCode::OK, &t)
}

async fn address_post(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
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
    page(&pool, &v.session, StatusCode::OK, &t)
}

async fn tickets(State(pool): St, headers: HeaderMap) -> Response {
    let (v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut message = String::new();
    let mut list = Vec::new();
    if let Some(a) = &u.address {
        match pool.nodes.user_tickets(&a.multisig_address).await {
            Ok(r) => {
                list = r
                    .tickets
                    .into_iter()
                    .map(|t| (t.ticket, t.status, t.ticket_height))
                    .collect()
            }
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
        tickets: list,
    };
    page(&pool, &v.session, StatusCode::OK, &t)
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

async fn voting_form(State(pool): St, headers: HeaderMap) -> Response {
    let (v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    page(
        &pool,
        &v.session,
        StatusCode::OK,
        &voting_page(&v, &u, String::new(), OK),
    )
}

async fn voting_post(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
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
    page(
        &pool,
        &v.session,
        StatusCode::OK,
        &voting_page(&v, &u, message, class),
    )
}
