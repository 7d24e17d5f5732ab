//! `exccstakepool admin add|remove EMAIL --config FILE`: makes an account an admin (or no
//! longer one) in the pool's database. Besides these, the accounts named in the config's
//! `admin_emails` (and, deprecated, `admin_user_ids`) are admins; a fresh pool has none.

use crate::config::{Config, ConfigError};
use crate::db::{Db, DbError};

/// Why the command did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("usage: exccstakepool admin add|remove EMAIL --config FILE")]
    Usage,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no account has the e-mail address {0}: sign up with it first, then run this again")]
    NoAccount(String),
}

/// Runs `add|remove EMAIL --config FILE` (the arguments after `admin`); says what it did.
pub async fn command(args: &[String]) -> Result<String, AdminError> {
    let [action, email, flag, path] = args else {
        return Err(AdminError::Usage);
    };
    let admin = match action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AdminError::Usage),
    };
    if flag != "--config" {
        return Err(AdminError::Usage);
    }
    let config = Config::load(std::path::Path::new(path))?;
    let db = Db::open(&config.database_url).await?;
    let done = db.set_admin(email, admin).await;
    db.pool_close().await;
    if !done? {
        return Err(AdminError::NoAccount(email.clone()));
    }
    tracing::info!(admin, "admin flag set from the command line");
    Ok(if admin {
        format!("{email} is an admin now")
    } else {
        format!("{email} is no admin any more (unless the config names it)")
    })
}
