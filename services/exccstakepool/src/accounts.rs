//! Accounts and their e-mail flows: sign-up with address verification, sign-in, password
//! reset by link, password and e-mail change. With no mail relay configured, accounts are
//! active at sign-up and an e-mail change takes effect at once.
//!
//! Links carry 32 random bytes; the database keeps their SHA-256 only. A link works once
//! (verification, reset) or until it expires. A password or e-mail change ends every older
//! session of the account. Reset requests answer the same for unknown addresses (no
//! account enumeration), and one address gets at most one link mail per [`MAIL_INTERVAL`].

use sha2::{Digest, Sha256};

use crate::db::users::{CreateError, User};
use crate::db::{Db, DbError};
use crate::mail::MailError;
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
    #[error("Enter a valid e-mail address.")]
    InvalidEmail,
    #[error("The password must have at least 8 characters.")]
    ShortPassword,
    #[error("The passwords do not match.")]
    PasswordsDiffer,
    #[error("An account with this e-mail address exists already: sign in.")]
    EmailTaken,
    #[error("Wrong e-mail address or password.")]
    WrongLogin,
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
    #[error("The e-mail could not be sent; try again later.")]
    Mail(#[from] MailError),
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

fn link_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn check_email(email: &str) -> Result<(), AccountError> {
    let ok = email.len() <= 255
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && (domain == "localhost"
                    || domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        });
    ok.then_some(()).ok_or(AccountError::InvalidEmail)
}

fn check_new_password(password: &str, repeat: &str) -> Result<(), AccountError> {
    if password.chars().count() < 8 {
        Err(AccountError::ShortPassword)
    } else if password != repeat {
        Err(AccountError::PasswordsDiffer)
    } else {
        Ok(())
    }
}

/// What a sign-up led to.
#[derive(Debug, PartialEq, Eq)]
pub enum SignUp {
    /// No mail relay: the account can be used now.
    Active(i64),
    /// A verification link was mailed; the account works once it is followed.
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
    check_email(email)?;
    check_new_password(password, repeat)?;
    let id = pool
        .db
        .create_user(email, &passwords::hash(password))
        .await?;
    tracing::info!(user = id, "account created");
    if pool.mailer.is_none() {
        pool.db.set_email_verified(id).await?;
        return Ok(SignUp::Active(id));
    }
    // A failed mail is not fatal: signing in sends a new link.
    if let Err(e) = send_verification(pool, id, email).await {
        tracing::warn!(user = id, "verification mail: {e}");
    }
    Ok(SignUp::VerificationSent)
}

async fn send_verification(pool: &Pool, user: i64, email: &str) -> Result<(), AccountError> {
    let Some(mailer) = &pool.mailer else {
        return Ok(());
    };
    let (token, hash) = new_link();
    let now = Db::now();
    pool.db
        .set_email_token(user, &hash, now + VERIFY_LIFETIME)
        .await?;
    let s = &pool.settings;
    let body = format!(
        "Welcome to the EXCC stake pool at {url}.\n\nConfirm your e-mail address by opening this link within 48 hours:\n\n{url}/emailverify?t={token}\n\nIf you did not sign up, ignore this e-mail.\n",
        url = s.base_url
    );
    if let Err(e) = mailer
        .send(email, "Confirm your e-mail address", body)
        .await
    {
        // No link went out: the next sign-in sends one at once.
        pool.db.set_email_token(user, "", 0).await?;
        return Err(e.into());
    }
    Ok(())
}

/// The account for an e-mail address and password. An unverified account gets a new
/// verification link (at most every [`MAIL_INTERVAL`]) and is refused.
pub async fn sign_in(pool: &Pool, email: &str, password: &str) -> Result<User, AccountError> {
    let user = pool.db.user_by_email(email).await?;
    let user = match user {
        Some(u) if passwords::verify(password, &u.password_hash) => u,
        Some(_) => return Err(AccountError::WrongLogin),
        None => {
            // As slow as a wrong password: the answer time does not tell who has an account.
            passwords::verify(password, &UNKNOWN_ACCOUNT_HASH);
            return Err(AccountError::WrongLogin);
        }
    };
    if !user.email_verified && pool.mailer.is_some() {
        if verification_mail_due(pool, &user).await? {
            send_verification(pool, user.id, &user.email).await?;
        }
        return Err(AccountError::NotVerified(user.email));
    }
    Ok(user)
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

/// Mails a password-reset link if an account has this address. Answers the same whether
/// or not it has; a failed mail is logged, not shown (it would tell that the account exists).
pub async fn request_password_reset(pool: &Pool, email: &str) -> Result<(), AccountError> {
    let Some(mailer) = &pool.mailer else {
        return Ok(());
    };
    let Some(user) = pool.db.user_by_email(email.trim()).await? else {
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
    if let Err(e) = mailer.send(&user.email, "Reset your password", body).await {
        tracing::warn!(user = user.id, "password-reset mail: {e}");
    }
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

/// Sets a new password through a reset link; ends every session and reset link of the
/// account. Following the link proves the address, so it also counts as verification.
pub async fn reset_password(
    pool: &Pool,
    token: &str,
    password: &str,
    repeat: &str,
) -> Result<(), AccountError> {
    let user = reset_link_user(pool, token).await?;
    check_new_password(password, repeat)?;
    pool.db
        .set_password(user, &passwords::hash(password))
        .await?;
    pool.db.set_email_verified(user).await?;
    tracing::info!(user, "password reset");
    Ok(())
}

/// Changes the password of a signed-in user (the current one must be given); ends the
/// account's other sessions and mails a notice.
pub async fn change_password(
    pool: &Pool,
    user: &User,
    current: &str,
    new: &str,
    repeat: &str,
) -> Result<(), AccountError> {
    if !passwords::verify(current, &user.password_hash) {
        return Err(AccountError::WrongPassword);
    }
    check_new_password(new, repeat)?;
    pool.db.set_password(user.id, &passwords::hash(new)).await?;
    tracing::info!(user = user.id, "password changed");
    notify(
        pool,
        &user.email,
        "Your password was changed",
        "The password of your account was changed.",
    )
    .await;
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
pub async fn change_email(
    pool: &Pool,
    user: &User,
    password: &str,
    new_email: &str,
) -> Result<EmailChange, AccountError> {
    if !passwords::verify(password, &user.password_hash) {
        return Err(AccountError::WrongPassword);
    }
    check_email(new_email)?;
    if pool.db.user_by_email(new_email).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let now = Db::now();
    let Some(mailer) = &pool.mailer else {
        return match pool.db.set_email(user.id, new_email).await? {
            true => Ok(EmailChange::Done),
            false => Err(AccountError::EmailTaken),
        };
    };
    let (token, hash) = new_link();
    pool.db
        .add_email_change(user.id, new_email, &hash, now, now + LINK_LIFETIME)
        .await?;
    let body = format!(
        "Confirm that this is the new e-mail address of your account at {url} by opening this link within an hour:\n\n{url}/emailupdate?t={token}\n\nIf you did not ask for this, ignore this e-mail.\n",
        url = pool.settings.base_url
    );
    mailer
        .send(new_email, "Confirm your new e-mail address", body)
        .await?;
    notify(
        pool,
        &user.email,
        "Your e-mail address is being changed",
        &format!("A change of your account's e-mail address to {new_email} was requested. It happens once the link sent there is opened."),
    )
    .await;
    Ok(EmailChange::LinkSent)
}

/// Follows an e-mail change link: the account's address becomes the new one and every
/// session of the account ends.
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
    if !pool.db.set_email(user, &change.new_email).await? {
        return Err(AccountError::EmailTaken);
    }
    tracing::info!(user, "e-mail address changed");
    Ok(())
}

/// Mails a notice about the account; a failure is only logged.
async fn notify(pool: &Pool, to: &str, subject: &str, what: &str) {
    let Some(mailer) = &pool.mailer else {
        return;
    };
    let s = &pool.settings;
    let contact = if s.pool_email.is_empty() {
        String::new()
    } else {
        format!(" write to {} at once", s.pool_email)
    };
    let body = format!(
        "{what}\n\nPool: {}\n\nIf this was not you, reset your password at {}/passwordreset and{contact}.\n",
        s.base_url, s.base_url
    );
    if let Err(e) = mailer.send(to, subject, body).await {
        tracing::warn!("notice mail: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses() {
        for ok in [
            "a@b.example",
            "first.last+pool@mail.example.org",
            "root@localhost",
        ] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "@b.example",
            "a@",
            "a@b",
            "a@b@c.example",
            "a@b.",
            "a b@c.example",
            "a@b.example\n",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }

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
            check_new_password("long enough", "long enougH"),
            Err(AccountError::PasswordsDiffer)
        ));
        assert!(check_new_password("long enough", "long enough").is_ok());
    }
}
