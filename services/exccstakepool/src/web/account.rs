//! Account pages: sign up, sign in/out, e-mail verification, password reset, settings (API
//! token, password and e-mail change). The rules live in [`crate::accounts`]. Signing out
//! ends the account's sessions on the server (next session epoch), so a copied cookie is
//! void too. The settings page shows a working API token: it issues one when none is stored
//! or the stored one no longer verifies (the operator changed `api_secret`), and a new one
//! on request (the old one stops working).

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::render::{
    ERROR, Fields, OK, St, Visit, bad_form, credentials, form_ok, page_struct, redirect, show,
    signed_in,
};
use super::session::Session;
use crate::accounts::{self, AccountError, EmailChange, SignUp};
use crate::db::Db;
use crate::pool::Pool;
use crate::token;

page_struct!(SignupPage, "signup.html" { email: String, min_password: usize });
page_struct!(SigninPage, "signin.html" { email: String });
page_struct!(NoticePage, "notice.html" { title: &'static str, link: (&'static str, &'static str) });
page_struct!(PasswordResetPage, "passwordreset.html" { mail: bool, pool_email: String });
page_struct!(PasswordUpdatePage, "passwordupdate.html" { token: String, usable: bool, min_password: usize });
page_struct!(SettingsPage, "settings.html" { id: i64, email: String, base_url: String, api_token: String, mail: bool, min_password: usize });

/// The `?t=` of a link.
#[derive(serde::Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    t: String,
}

fn field<'a>(f: &'a std::collections::HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("")
}

fn signup_page(v: &Visit, email: String, message: String, class: &'static str) -> SignupPage {
    SignupPage {
        nav: v.nav(),
        message,
        message_class: class,
        email,
        min_password: crate::password_policy::MIN_CHARS,
    }
}

pub async fn signup_form(State(pool): St, headers: HeaderMap) -> Response {
    let v = Visit::of(&pool, &headers).await;
    show(
        &pool,
        &v,
        &signup_page(&v, String::new(), String::new(), OK),
    )
}

pub async fn signup(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let (email, password) = credentials(&f);
    let repeat = field(&f, "password_repeat");
    match accounts::sign_up(&pool, &email, &password, repeat).await {
        Ok(SignUp::Active(id)) => redirect(&pool, &Session::new(id, 0, Db::now()), "/address"),
        Ok(SignUp::VerificationSent) => {
            let message = format!(
                "Almost done: open the link we sent to {email} to confirm your address, then sign in."
            );
            show(&pool, &v, &signup_page(&v, String::new(), message, OK))
        }
        Err(e) => show(&pool, &v, &signup_page(&v, email, e.to_string(), ERROR)),
    }
}

fn signin_page(v: &Visit, email: String, message: String, class: &'static str) -> SigninPage {
    SigninPage {
        nav: v.nav(),
        message,
        message_class: class,
        email,
    }
}

pub async fn signin_form(State(pool): St, headers: HeaderMap) -> Response {
    let v = Visit::of(&pool, &headers).await;
    show(
        &pool,
        &v,
        &signin_page(&v, String::new(), String::new(), OK),
    )
}

pub async fn signin(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let (email, password) = credentials(&f);
    match accounts::sign_in(&pool, &email, &password).await {
        Ok(u) => {
            tracing::info!(user = u.id, "signed in");
            let to = if u.address.is_some() {
                "/tickets"
            } else {
                "/address"
            };
            redirect(&pool, &Session::new(u.id, u.session_epoch, Db::now()), to)
        }
        Err(e) => show(&pool, &v, &signin_page(&v, email, e.to_string(), ERROR)),
    }
}

/// Signs out: every session of the account ends (also a copy of this browser's cookie).
pub async fn logout(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    if let Some(u) = &v.user {
        match pool.db.end_sessions(u.id).await {
            Ok(()) => tracing::info!(user = u.id, "signed out"),
            Err(e) => tracing::error!(user = u.id, "ending the sessions at sign-out: {e}"),
        }
    }
    redirect(&pool, &Session::new(0, 0, Db::now()), "/")
}

/// A page telling how a link went, with where to go next.
fn notice(
    pool: &Pool,
    v: &Visit,
    title: &'static str,
    outcome: Result<String, AccountError>,
    next: (&'static str, &'static str),
) -> Response {
    let (message, class) = match outcome {
        Ok(m) => (m, OK),
        Err(e) => (e.to_string(), ERROR),
    };
    let t = NoticePage {
        nav: v.nav(),
        message,
        message_class: class,
        title,
        link: next,
    };
    show(pool, v, &t)
}

pub async fn email_verify(
    State(pool): St,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Response {
    let v = Visit::of(&pool, &headers).await;
    let outcome = accounts::verify_email(&pool, &q.t)
        .await
        .map(|()| "Your e-mail address is confirmed: you can sign in now.".to_owned());
    notice(&pool, &v, "E-mail address", outcome, ("/signin", "Sign in"))
}

pub async fn email_update(
    State(pool): St,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Response {
    let mut v = Visit::of(&pool, &headers).await;
    let outcome = accounts::confirm_email_change(&pool, &q.t).await;
    if outcome.is_ok() {
        // Every session of the account ended, this browser's too.
        v = Visit::anonymous(Db::now());
    }
    let outcome =
        outcome.map(|()| "Your e-mail address is changed: sign in with the new one.".to_owned());
    notice(&pool, &v, "E-mail address", outcome, ("/signin", "Sign in"))
}

fn reset_page(pool: &Pool, v: &Visit, message: String, class: &'static str) -> PasswordResetPage {
    PasswordResetPage {
        nav: v.nav(),
        message,
        message_class: class,
        mail: pool.mailer.is_some(),
        pool_email: pool.settings.pool_email.clone(),
    }
}

pub async fn password_reset_form(State(pool): St, headers: HeaderMap) -> Response {
    let v = Visit::of(&pool, &headers).await;
    show(&pool, &v, &reset_page(&pool, &v, String::new(), OK))
}

pub async fn password_reset(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let email = field(&f, "email").trim().to_owned();
    accounts::request_password_reset(&pool, &email);
    let message = format!(
        "If {email} belongs to an account here, a link to choose a new password is on its way (valid for an hour)."
    );
    show(&pool, &v, &reset_page(&pool, &v, message, OK))
}

fn update_page(
    v: &Visit,
    token: String,
    outcome: Result<String, AccountError>,
) -> PasswordUpdatePage {
    let usable = outcome.is_ok();
    let (message, class) = match outcome {
        Ok(m) => (m, OK),
        Err(e) => (e.to_string(), ERROR),
    };
    PasswordUpdatePage {
        nav: v.nav(),
        message,
        message_class: class,
        token,
        usable,
        min_password: crate::password_policy::MIN_CHARS,
    }
}

pub async fn password_update_form(
    State(pool): St,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Response {
    let v = Visit::of(&pool, &headers).await;
    let outcome = accounts::reset_link_user(&pool, &q.t)
        .await
        .map(|_| String::new());
    show(&pool, &v, &update_page(&v, q.t, outcome))
}

pub async fn password_update(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let v = Visit::of(&pool, &headers).await;
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let token = field(&f, "t").to_owned();
    let done = accounts::reset_password(
        &pool,
        &token,
        field(&f, "password"),
        field(&f, "password_repeat"),
    )
    .await;
    match done {
        Ok(()) => notice(
            &pool,
            &v,
            "Password",
            Ok("Your password is changed: sign in with it.".to_owned()),
            ("/signin", "Sign in"),
        ),
        // The link still works: the form stays for another try.
        Err(
            e @ (AccountError::ShortPassword
            | AccountError::CommonPassword
            | AccountError::PasswordsDiffer),
        ) => {
            let mut page = update_page(&v, token, Ok(String::new()));
            (page.message, page.message_class) = (e.to_string(), ERROR);
            show(&pool, &v, &page)
        }
        Err(e) => show(&pool, &v, &update_page(&v, token, Err(e))),
    }
}

/// A new API token for `user`, stored (so the old one stops working).
async fn new_api_token(pool: &Pool, user: i64) -> String {
    let s = &pool.settings;
    let t = token::issue(&s.api_secret, &s.base_url, user, Db::now());
    if let Err(e) = pool.db.set_api_token(user, &t).await {
        tracing::error!(user, "storing an API token: {e}");
    }
    t
}

/// The settings page of the visit's user, with a working API token: made when none is
/// stored or the stored one no longer verifies (the pool's `api_secret` changed).
async fn settings_page(
    pool: &Pool,
    v: &Visit,
    message: String,
    class: &'static str,
) -> Option<SettingsPage> {
    let mut u = pool.db.user(v.user.as_ref()?.id).await.ok().flatten()?;
    let s = &pool.settings;
    let legacy = s.legacy_api_secret.as_deref();
    let verifies = token::user_of_any(&s.api_secret, legacy, &u.api_token, Db::now());
    if verifies != Some(u.id) {
        if !u.api_token.is_empty() {
            tracing::info!(user = u.id, "stored API token no longer verifies: replaced");
        }
        u.api_token = new_api_token(pool, u.id).await;
    }
    Some(SettingsPage {
        nav: v.nav(),
        message,
        message_class: class,
        id: u.id,
        email: u.email,
        base_url: pool.settings.base_url.clone(),
        api_token: u.api_token,
        mail: pool.mailer.is_some(),
        min_password: crate::password_policy::MIN_CHARS,
    })
}

pub async fn settings(State(pool): St, headers: HeaderMap) -> Response {
    let (v, _) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match settings_page(&pool, &v, String::new(), OK).await {
        Some(t) => show(&pool, &v, &t),
        None => redirect(&pool, &v.session, "/signin"),
    }
}

pub async fn settings_post(State(pool): St, headers: HeaderMap, Form(f): Fields) -> Response {
    let (mut v, u) = match signed_in(&pool, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !form_ok(&pool, &v, &headers, &f) {
        return bad_form();
    }
    let password = field(&f, "password");
    let outcome = match field(&f, "change") {
        "password" => accounts::change_password(
            &pool,
            &u,
            password,
            field(&f, "new_password"),
            field(&f, "new_password_repeat"),
        )
        .await
        .map(|()| "Password changed; you were signed out everywhere else.".to_owned()),
        "email" => {
            let new_email = field(&f, "new_email").trim();
            accounts::change_email(&pool, &u, password, new_email)
                .await
                .map(|c| match c {
                    EmailChange::Done => format!("Your e-mail address is now {new_email}; you were signed out everywhere else."),
                    EmailChange::LinkSent => format!("Open the link we sent to {new_email} within an hour to make it your address."),
                })
        }
        "token" => {
            new_api_token(&pool, u.id).await;
            tracing::info!(user = u.id, "API token replaced");
            Ok("Here is your new API token; the old one no longer works.".to_owned())
        }
        _ => return bad_form(),
    };
    let (message, class) = match outcome {
        Ok(m) => {
            // The change ended older sessions; this browser continues in a new one.
            if let Ok(Some(changed)) = pool.db.user(u.id).await {
                v.session = Session::new(u.id, changed.session_epoch, Db::now());
            }
            (m, OK)
        }
        Err(e) => (e.to_string(), ERROR),
    };
    match settings_page(&pool, &v, message, class).await {
        Some(t) => show(&pool, &v, &t),
        None => redirect(&pool, &v.session, "/signin"),
    }
}
