//! Accounts and their e-mail flows: sign-up with address verification, sign-in, password
//! reset by link, password and e-mail change. With no mail relay configured, accounts are
//! active at sign-up and an e-mail change takes effect at once.
//!
//! Links carry 32 random bytes; the database keeps their SHA-256 only. A link works once
//! (verification, reset) or until it expires. A password or e-mail change ends every older
//! session of the account; a password change or reset also revokes the API token and every
//! pending e-mail change. Mail goes through the [`Outbox`] after the answer. With a relay,
//! sign-up and reset requests answer the same, in the same time, whether or not the address
//! has an account (no account enumeration): a sign-up or e-mail change to a taken address
//! mails its owner instead, and a reset request does its work after the answer. One address gets at most one
//! link mail or notice per [`MAIL_INTERVAL`]. Failed sign-ins are limited per address
//! ([`crate::db::sign_in_failures`]). Passwords follow [`crate::password_policy`]; e-mail
//! addresses [`crate::email_address`].

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::db::users::{CreateError, User};
use crate::db::{Db, DbError};
use crate::outbox::Outbox;
use crate::password_policy::{self, Weakness};
use crate::passwords;
use crate::pool::Pool;

/// How long a verification link works.
pub const VERIFY_LIFETIME: i64 = 48 * 3600;
/// How long a password-reset or e-mail-change link works.
pub const LINK_LIFETIME: i64 = 3600;
/// At most one link mail per address in this time.
pub const MAIL_INTERVAL: i64 = 300;

/// Why an account operation did not happen. `Display` is what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("The pool is closed to new accounts.")]
    Closed,
    #[error("Enter a valid e-mail address: {0}.")]
    InvalidEmail(#[from] crate::email_address::EmailError),
    #[error(
        "The password must have at least {} characters.",
        password_policy::MIN_CHARS
    )]
    ShortPassword,
    #[error(
        "This password is one of the most common ones (or one with digits added): choose another."
    )]
    CommonPassword,
    #[error("The passwords do not match.")]
    PasswordsDiffer,
    #[error("An account with this e-mail address exists already: sign in.")]
    EmailTaken,
    #[error("Wrong e-mail address or password.")]
    WrongLogin,
    #[error(
        "Too many wrong passwords for this e-mail address: try again in {0} minutes, or reset the password."
    )]
    TooManyFailures(i64),
    #[error("The current password is wrong.")]
    WrongPassword,
    #[error(
        "Your e-mail address is not verified yet: follow the link in the e-mail we sent to {0} (a new one is sent at most every 5 minutes)."
    )]
    NotVerified(String),
    #[error("This link is not valid (used already or mistyped).")]
    BadLink,
    #[error("This link has expired: ask for a new one.")]
    ExpiredLink,
    #[error("Something went wrong on our side; try again later.")]
    Db(#[from] DbError),
}

impl From<CreateError> for AccountError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::EmailTaken => AccountError::EmailTaken,
            CreateError::Db(e) => AccountError::Db(e),
        }
    }
}

/// Checked for sign-ins of unknown addresses (a password nobody has).
static UNKNOWN_ACCOUNT_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| passwords::hash(&hex::encode(crate::token::random_bytes::<16>())));

/// A new link token and the hash the database keeps.
fn new_link() -> (String, String) {
    let token = hex::encode(crate::token::random_bytes::<32>());
    let hash = link_hash(&token);
    (token, hash)
}

pub(crate) fn link_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn check_new_password(password: &str, repeat: &str) -> Result<(), AccountError> {
    match password_policy::check(password) {
        Err(Weakness::Short) => Err(AccountError::ShortPassword),
        Err(Weakness::Common) => Err(AccountError::CommonPassword),
        Ok(()) if password != repeat => Err(AccountError::PasswordsDiffer),
        Ok(()) => Ok(()),
    }
}

/// What a sign-up led to.
#[derive(Debug, PartialEq, Eq)]
pub enum SignUp {
    /// No mail relay: the account can be used now.
    Active(i64),
    /// Mail is on its way: a verification link for a new account, a notice to the owner of
    /// a taken address (the same answer, so it tells nothing about who has an account).
    VerificationSent,
}

pub async fn sign_up(
    pool: &Pool,
    email: &str,
    password: &str,
    repeat: &str,
) -> Result<SignUp, AccountError> {
    if pool.settings.closed {
        return Err(AccountError::Closed);
    }
    let email = crate::email_address::parse(email)?;
    check_new_password(password, repeat)?;
    let hash = passwords::hash_async(password).await;
    let Some(outbox) = &pool.mailer else {
        // Without mail nothing can be hidden: the account is usable at once.
        let id = pool.db.create_user(&email, &hash).await?;
        tracing::info!(user = id, "account created");
        pool.db.set_email_verified(id).await?;
        return Ok(SignUp::Active(id));
    };
    // The link is stored with the account: one write, as many as a taken address costs.
    let (token, link) = new_link();
    let expires = Db::now() + VERIFY_LIFETIME;
    let created = pool
        .db
        .create_user_with_link(&email, &hash, &link, expires)
        .await;
    match created {
        Ok(id) => {
            tracing::info!(user = id, "account created");
            verification_mail(pool, outbox, &email, &token);
        }
        Err(CreateError::EmailTaken) => signup_of_taken_address(pool, outbox, &email).await?,
        Err(CreateError::Db(e)) => return Err(e.into()),
    }
    Ok(SignUp::VerificationSent)
}

/// A sign-up with an address that has an account: an unverified one gets a new link (when
/// due), a verified one's owner is told (at most every [`MAIL_INTERVAL`]).
async fn signup_of_taken_address(
    pool: &Pool,
    outbox: &Outbox,
    email: &str,
) -> Result<(), AccountError> {
    let Some(user) = pool.db.user_by_email(email).await? else {
        return Ok(());
    };
    if !user.email_verified {
        if verification_mail_due(pool, &user).await? {
            send_verification(pool, outbox, user.id, &user.email).await?;
        }
        return Ok(());
    }
    let what = format!(
        "Someone tried to sign up at {} with this e-mail address, which has an account there already. Nothing was changed. If it was you, sign in instead (or reset your password there).",
        pool.settings.base_url
    );
    tell_owner(
        pool,
        &user,
        "Someone tried to sign up with your address",
        &what,
    )
    .await
}

/// Mails the owner of an address that someone tried to use for another account (at most
/// every [`MAIL_INTERVAL`]).
async fn tell_owner(
    pool: &Pool,
    owner: &User,
    subject: &str,
    what: &str,
) -> Result<(), AccountError> {
    if pool
        .db
        .take_taken_address_notice(owner.id, Db::now(), MAIL_INTERVAL)
        .await?
    {
        tracing::info!(
            user = owner.id,
            subject,
            "its address was tried for another account"
        );
        notify(pool, &owner.email, subject, what);
    }
    Ok(())
}

async fn send_verification(
    pool: &Pool,
    outbox: &Outbox,
    user: i64,
    email: &str,
) -> Result<(), AccountError> {
    let (token, hash) = new_link();
    pool.db
        .set_email_token(user, &hash, Db::now() + VERIFY_LIFETIME)
        .await?;
    verification_mail(pool, outbox, email, &token);
    Ok(())
}

/// Queues the mail with the verification link `token`.
fn verification_mail(pool: &Pool, outbox: &Outbox, email: &str, token: &str) {
    let body = format!(
        "Welcome to the EXCC stake pool at {url}.\n\nConfirm your e-mail address by opening this link within 48 hours:\n\n{url}/emailverify?t={token}\n\nIf you did not sign up, ignore this e-mail.\n",
        url = pool.settings.base_url
    );
    outbox.send(email, "Confirm your e-mail address", body);
}

/// The account for an e-mail address and password. An unverified account gets a new
/// verification link (at most every [`MAIL_INTERVAL`]) and is refused. After
/// [`crate::db::sign_in_failures::MAX_FAILURES`] wrong passwords for an address, it waits
/// for the end of the window, whoever tries.
pub async fn sign_in(pool: &Pool, email: &str, password: &str) -> Result<User, AccountError> {
    let now = Db::now();
    if let Some(wait) = pool.db.sign_in_wait(email, now).await? {
        tracing::info!("sign-in refused: too many failures for the address");
        return Err(AccountError::TooManyFailures((wait + 59) / 60));
    }
    let user = pool.db.user_by_email(email).await?;
    // An unknown address costs the same password check: the time tells nobody who has one.
    let stored = user
        .as_ref()
        .map_or(UNKNOWN_ACCOUNT_HASH.as_str(), |u| &u.password_hash);
    let matches = passwords::verify_async(password, stored).await;
    let user = match user {
        Some(u) if matches => u,
        _ => {
            pool.db.add_sign_in_failure(email, now).await?;
            return Err(AccountError::WrongLogin);
        }
    };
    pool.db.clear_sign_in_failures(email).await?;
    if passwords::is_legacy(&user.password_hash) {
        upgrade_legacy_hash(pool, &user, password).await?;
    }
    if !user.email_verified
        && let Some(outbox) = &pool.mailer
    {
        if verification_mail_due(pool, &user).await? {
            send_verification(pool, outbox, user.id, &user.email).await?;
        }
        return Err(AccountError::NotVerified(user.email));
    }
    Ok(user)
}

/// Replaces a legacy bcrypt hash (an account moved from the Go pool) by an Argon2id hash of
/// the password it just matched.
async fn upgrade_legacy_hash(pool: &Pool, user: &User, password: &str) -> Result<(), AccountError> {
    let hash = passwords::hash_async(password).await;
    if pool
        .db
        .upgrade_password_hash(user.id, &user.password_hash, &hash)
        .await?
    {
        tracing::info!(
            user = user.id,
            "legacy bcrypt password hash replaced by Argon2id"
        );
    }
    Ok(())
}

async fn verification_mail_due(pool: &Pool, user: &User) -> Result<bool, AccountError> {
    let last_sent = pool
        .db
        .email_token_expiry(user.id)
        .await?
        .map(|expires| expires - VERIFY_LIFETIME);
    Ok(last_sent.is_none_or(|sent| Db::now() - sent >= MAIL_INTERVAL))
}

/// Follows a verification link.
pub async fn verify_email(pool: &Pool, token: &str) -> Result<(), AccountError> {
    let (user, expires) = pool
        .db
        .email_token(&link_hash(token))
        .await?
        .ok_or(AccountError::BadLink)?;
    if expires <= Db::now() {
        return Err(AccountError::ExpiredLink);
    }
    pool.db.set_email_verified(user).await?;
    tracing::info!(user, "e-mail address verified");
    Ok(())
}

/// Mails a password-reset link if an account has this address. Returns at once: the lookup
/// and the mail happen after the answer, so neither the answer nor its time tells whether
/// the address has an account.
pub fn request_password_reset(pool: &Arc<Pool>, email: &str) {
    if pool.mailer.is_none() {
        return;
    }
    let (pool, email) = (Arc::clone(pool), email.to_owned());
    tokio::spawn(async move {
        if let Err(e) = mail_reset_link(&pool, &email).await {
            tracing::warn!("password reset: {e:?}");
        }
    });
}

async fn mail_reset_link(pool: &Pool, email: &str) -> Result<(), AccountError> {
    let Some(outbox) = &pool.mailer else {
        return Ok(());
    };
    let Some(user) = pool.db.user_by_email(email).await? else {
        tracing::info!("password reset asked for an unknown address");
        return Ok(());
    };
    let now = Db::now();
    if pool
        .db
        .last_password_reset(user.id)
        .await?
        .is_some_and(|t| now - t < MAIL_INTERVAL)
    {
        tracing::info!(
            user = user.id,
            "password reset asked again too soon: no mail"
        );
        return Ok(());
    }
    let (token, hash) = new_link();
    pool.db
        .add_password_reset(user.id, &hash, now, now + LINK_LIFETIME)
        .await?;
    let body = format!(
        "Someone (hopefully you) asked to reset the password of your account at {url}.\n\nChoose a new password within an hour here:\n\n{url}/passwordupdate?t={token}\n\nIf it was not you, ignore this e-mail: your password stays as it is.\n",
        url = pool.settings.base_url
    );
    outbox.send(&user.email, "Reset your password", body);
    Ok(())
}

/// The user a password-reset link is for, if it still works.
pub async fn reset_link_user(pool: &Pool, token: &str) -> Result<i64, AccountError> {
    let link = pool
        .db
        .password_reset(&link_hash(token))
        .await?
        .ok_or(AccountError::BadLink)?;
    if link.expires <= Db::now() {
        return Err(AccountError::ExpiredLink);
    }
    Ok(link.user_id)
}

/// Sets a new password through a reset link; ends every session, reset link, pending e-mail
/// change and the API token of the account. Following the link proves the address, so it
/// also counts as verification.
pub async fn reset_password(
    pool: &Pool,
    token: &str,
    password: &str,
    repeat: &str,
) -> Result<(), AccountError> {
    let user = reset_link_user(pool, token).await?;
    check_new_password(password, repeat)?;
    pool.db
        .set_password(user, &passwords::hash_async(password).await)
        .await?;
    pool.db.set_email_verified(user).await?;
    tracing::info!(user, "password reset");
    Ok(())
}

/// Changes the password of a signed-in user (the current one must be given); ends the
/// account's other sessions, revokes its API token and mails a notice.
pub async fn change_password(
    pool: &Pool,
    user: &User,
    current: &str,
    new: &str,
    repeat: &str,
) -> Result<(), AccountError> {
    if !passwords::verify_async(current, &user.password_hash).await {
        return Err(AccountError::WrongPassword);
    }
    check_new_password(new, repeat)?;
    pool.db
        .set_password(user.id, &passwords::hash_async(new).await)
        .await?;
    tracing::info!(user = user.id, "password changed");
    notify(
        pool,
        &user.email,
        "Your password was changed",
        "The password of your account was changed.",
    );
    Ok(())
}

/// What an e-mail change request led to.
#[derive(Debug, PartialEq, Eq)]
pub enum EmailChange {
    /// No mail relay: the address is changed.
    Done,
    /// A confirmation link went to the new address.
    LinkSent,
}

/// Starts (or, without a mail relay, makes) a change of a signed-in user's e-mail address.
/// With a relay, an address that has an account gets the answer a free one gets (so the
/// form tells nobody who has an account) and its owner a notice instead of a link.
pub async fn change_email(
    pool: &Pool,
    user: &User,
    password: &str,
    new_email: &str,
) -> Result<EmailChange, AccountError> {
    if !passwords::verify_async(password, &user.password_hash).await {
        return Err(AccountError::WrongPassword);
    }
    let new_email = crate::email_address::parse(new_email)?;
    let owner = pool.db.user_by_email(&new_email).await?;
    let now = Db::now();
    let Some(outbox) = &pool.mailer else {
        if owner.is_some() {
            return Err(AccountError::EmailTaken);
        }
        return match pool.db.set_email(user.id, &new_email).await? {
            true => Ok(EmailChange::Done),
            false => Err(AccountError::EmailTaken),
        };
    };
    if let Some(owner) = owner {
        if owner.id != user.id {
            let what = format!(
                "Someone tried to make this e-mail address the address of another account at {}. Nothing was changed.",
                pool.settings.base_url
            );
            let subject = "Someone tried to use your address for another account";
            tell_owner(pool, &owner, subject, &what).await?;
        }
        return Ok(EmailChange::LinkSent);
    }
    let (token, hash) = new_link();
    pool.db
        .add_email_change(user.id, &new_email, &hash, now, now + LINK_LIFETIME)
        .await?;
    let body = format!(
        "Confirm that this is the new e-mail address of your account at {url} by opening this link within an hour:\n\n{url}/emailupdate?t={token}\n\nIf you did not ask for this, ignore this e-mail.\n",
        url = pool.settings.base_url
    );
    outbox.send(&new_email, "Confirm your new e-mail address", body);
    notify(
        pool,
        &user.email,
        "Your e-mail address is being changed",
        &format!(
            "A change of your account's e-mail address to {new_email} was requested. It happens once the link sent there is opened."
        ),
    );
    Ok(EmailChange::LinkSent)
}

/// Follows an e-mail change link: the account's address becomes the new one, every session
/// of the account ends, and the old address is told.
pub async fn confirm_email_change(pool: &Pool, token: &str) -> Result<(), AccountError> {
    let change = pool
        .db
        .email_change(&link_hash(token))
        .await?
        .ok_or(AccountError::BadLink)?;
    if change.link.expires <= Db::now() {
        return Err(AccountError::ExpiredLink);
    }
    let user = change.link.user_id;
    let old = pool.db.user(user).await?.ok_or(AccountError::BadLink)?;
    if !pool.db.set_email(user, &change.new_email).await? {
        return Err(AccountError::EmailTaken);
    }
    tracing::info!(user, "e-mail address changed");
    let what = format!(
        "The e-mail address of your account was changed to {}: this address gets no more mail about it.",
        change.new_email
    );
    let mut advice = "someone who knew your password took the account over".to_owned();
    if !pool.settings.pool_email.is_empty() {
        advice += &format!(": write to {} at once", pool.settings.pool_email);
    }
    notice(
        pool,
        &old.email,
        "Your e-mail address was changed",
        &what,
        &advice,
    );
    Ok(())
}

/// Queues a notice about the account, with what to do if it was not its owner.
fn notify(pool: &Pool, to: &str, subject: &str, what: &str) {
    let s = &pool.settings;
    let mut advice = format!("reset your password at {}/passwordreset", s.base_url);
    if !s.pool_email.is_empty() {
        advice += &format!(" and write to {} at once", s.pool_email);
    }
    notice(pool, to, subject, what, &advice);
}

/// Queues a notice: `what` happened, and `advice` if it was not the address's owner.
fn notice(pool: &Pool, to: &str, subject: &str, what: &str, advice: &str) {
    let Some(outbox) = &pool.mailer else {
        return;
    };
    let body = format!(
        "{what}\n\nPool: {}\n\nIf this was not you, {advice}.\n",
        pool.settings.base_url
    );
    outbox.send(to, subject, body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_random_and_stored_hashed() {
        let (t1, h1) = new_link();
        let (t2, _) = new_link();
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 64);
        assert_eq!(h1, link_hash(&t1));
        assert_ne!(h1, t1);
    }

    #[test]
    fn new_passwords() {
        assert!(matches!(
            check_new_password("short", "short"),
            Err(AccountError::ShortPassword)
        ));
        assert!(matches!(
            check_new_password("long enough", "long enough"),
            Err(AccountError::ShortPassword)
        ));
        assert!(matches!(
            check_new_password("qwerty123456", "qwerty123456"),
            Err(AccountError::CommonPassword)
        ));
        assert!(matches!(
            check_new_password("a long password", "a long passworD"),
            Err(AccountError::PasswordsDiffer)
        ));
        assert!(check_new_password("a long password", "a long password").is_ok());
    }
}
