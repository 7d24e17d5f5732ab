//! The JSON API wallets call (`/api/v1/CMD` and `/api/v2/CMD`, identical), compatible with
//! the legacy pool's: `GET getpurchaseinfo`, `GET stats`, `POST address`, `POST voting`.
//! Every answer is `{"status","code","message"[,"data"]}` with HTTP 200 for known commands
//! (code = gRPC status code). Fixed legacy bugs: tokens must match the stored one, other
//! HTTP methods get 405 instead of a fake success, `VoteBits` above 65535 is refused, and
//! `VoteBitsVersion` is the user's.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::address::{self, AddressError};
use crate::db::Db;
use crate::db::users::User;
use crate::pool::{Pool, PoolSettings};
use crate::token;
use crate::voting::VotingError;

/// API versions this service answers.
pub const VERSIONS: [u32; 2] = [1, 2];

/// gRPC status codes the API uses.
mod code {
    pub const OK: i64 = 0;
    pub const INVALID_ARGUMENT: i64 = 3;
    pub const ALREADY_EXISTS: i64 = 6;
    pub const FAILED_PRECONDITION: i64 = 9;
    pub const INTERNAL: i64 = 13;
    pub const UNAVAILABLE: i64 = 14;
    pub const UNAUTHENTICATED: i64 = 16;
}

/// One API answer.
struct Reply {
    http: StatusCode,
    code: i64,
    message: String,
    /// `None`: no `data` key (POST commands); `Some(Null)` for GET errors.
    data: Option<Value>,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut body = json!({
            "status": if self.code == code::OK { "success" } else { "error" },
            "code": self.code,
            "message": self.message,
        });
        if let Some(d) = self.data {
            body["data"] = d;
        }
        let mut text = body.to_string();
        text.push('\n');
        (
            self.http,
            [("content-type", "application/json; charset=utf-8")],
            text,
        )
            .into_response()
    }
}

fn ok(message: &str, data: Option<Value>) -> Reply {
    Reply {
        http: StatusCode::OK,
        code: code::OK,
        message: message.to_owned(),
        data,
    }
}

/// `"<context> - <detail>"` with `data: null` for GET commands.
fn error(get: bool, code: i64, context: &str, detail: impl std::fmt::Display) -> Reply {
    Reply {
        http: StatusCode::OK,
        code,
        message: format!("{context} - {detail}"),
        data: get.then_some(Value::Null),
    }
}

fn unknown(http: StatusCode) -> Reply {
    Reply {
        http,
        code: code::INVALID_ARGUMENT,
        message: "invalid API command or version".to_owned(),
        data: None,
    }
}

/// The routes under `/api`.
pub fn router(pool: Arc<Pool>) -> Router {
    let api = Router::new()
        .route("/{version}/{cmd}", axum::routing::any(dispatch))
        .fallback(|| async { unknown(StatusCode::NOT_FOUND) })
        .with_state(pool);
    Router::new().nest("/api", api)
}

/// The user a valid `Authorization: Bearer` token belongs to.
async fn api_user(db: &Db, s: &PoolSettings, headers: &HeaderMap) -> Option<User> {
    let presented = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .trim();
    let legacy = s.legacy_api_secret.as_deref();
    let id = token::user_of_any(&s.api_secret, legacy, presented, Db::now())?;
    let user = db.user(id).await.ok()??;
    (!user.api_token.is_empty() && token::same(&user.api_token, presented)).then_some(user)
}

async fn dispatch(
    State(pool): State<Arc<Pool>>,
    Path((version, cmd)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> Reply {
    let known_version = version
        .strip_prefix('v')
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|v| VERSIONS.contains(&v));
    let get = match (cmd.as_str(), &method) {
        ("getpurchaseinfo" | "stats", &Method::GET | &Method::HEAD) => true,
        ("address" | "voting", &Method::POST) => false,
        ("getpurchaseinfo" | "stats" | "address" | "voting", _) if known_version => {
            return unknown(StatusCode::METHOD_NOT_ALLOWED);
        }
        _ => return unknown(StatusCode::NOT_FOUND),
    };
    if !known_version {
        return unknown(StatusCode::NOT_FOUND);
    }
    // Parameters: the query string, overridden by a form-encoded body. Any other body
    // (JSON, multipart) is refused rather than silently ignored.
    if !body.trim().is_empty() && !form_encoded(&headers) {
        return Reply {
            http: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: code::INVALID_ARGUMENT,
            message: "send the parameters form-encoded (Content-Type: application/x-www-form-urlencoded) or in the query string".to_owned(),
            data: None,
        };
    }
    let mut params = query;
    params.extend(form_pairs(&body));
    let user = api_user(&pool.db, &pool.settings, &headers).await;
    match cmd.as_str() {
        "stats" => stats(&pool).await,
        "getpurchaseinfo" => purchase_info(&pool, user),
        "address" => submit_address(&pool, user, &params).await,
        _ => voting(&pool, user, &params).await,
    }
    .unwrap_or_else(|e| e)
    .with_get(get)
}

impl Reply {
    fn with_get(mut self, get: bool) -> Reply {
        if !get {
            self.data = None;
        }
        self
    }
}

/// True when the request says its body is `application/x-www-form-urlencoded`.
fn form_encoded(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `a=1&b=2` pairs (percent-decoded); malformed pairs are skipped.
fn form_pairs(body: &str) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{body}").parse().unwrap_or_default(),
    )
    .map(|q| q.0)
    .unwrap_or_default()
}

type Handled = Result<Reply, Reply>;

fn purchase_info(pool: &Pool, user: Option<User>) -> Handled {
    const CONTEXT: &str = "purchaseinfo error";
    let user =
        user.ok_or_else(|| error(true, code::UNAUTHENTICATED, CONTEXT, "invalid api token"))?;
    let a = user.address.as_ref().ok_or_else(|| {
        error(
            true,
            code::FAILED_PRECONDITION,
            CONTEXT,
            "no address submitted",
        )
    })?;
    Ok(ok(
        "purchaseinfo successfully retrieved",
        Some(json!({
            "PoolAddress": a.fee_address,
            "PoolFees": pool_fees(pool),
            "Script": a.multisig_script,
            "TicketAddress": a.multisig_address,
            "VoteBits": user.vote_bits,
            "VoteBitsVersion": user.vote_bits_version,
        })),
    ))
}

async fn stats(pool: &Pool) -> Handled {
    const CONTEXT: &str = "stats error";
    let s = &pool.settings;
    let info = pool.nodes.stake_info().await.map_err(|e| {
        tracing::warn!("stats: {e}");
        error(true, code::UNAVAILABLE, CONTEXT, "RPC server error")
    })?;
    let (users, active) = pool.db.user_counts().await.map_err(|e| {
        tracing::warn!("stats: {e}");
        error(true, code::INTERNAL, CONTEXT, "database error")
    })?;
    Ok(ok(
        "stats successfully retrieved",
        Some(json!({
            "AllMempoolTix": info.all_mempool_tix,
            "APIVersionsSupported": VERSIONS,
            "BlockHeight": info.block_height,
            "Difficulty": info.difficulty,
            "Expired": info.expired,
            "Immature": info.immature,
            "Live": info.live,
            "Missed": info.missed,
            "OwnMempoolTix": info.own_mempool_tix,
            "PoolSize": info.pool_size,
            "ProportionLive": info.proportion_live,
            "ProportionMissed": info.proportion_missed,
            "Revoked": info.revoked,
            "TotalSubsidy": info.total_subsidy,
            "Voted": info.voted,
            "Network": s.network.name(),
            "PoolEmail": s.pool_email,
            "PoolFees": pool_fees(pool),
            "PoolStatus": if s.closed { "Closed" } else { "Open" },
            "UserCount": users,
            "UserCountActive": active,
            "Version": env!("CARGO_PKG_VERSION"),
        })),
    ))
}

fn pool_fees(pool: &Pool) -> f64 {
    pool.settings.pool_fees.to_string().parse().unwrap_or(0.0)
}

async fn submit_address(
    pool: &Pool,
    user: Option<User>,
    params: &HashMap<String, String>,
) -> Handled {
    const CONTEXT: &str = "address error";
    let user =
        user.ok_or_else(|| error(false, code::UNAUTHENTICATED, CONTEXT, "invalid api token"))?;
    let text = params
        .get("UserPubKeyAddr")
        .map(String::as_str)
        .unwrap_or("");
    match address::submit(pool, &user, text).await {
        Ok(_) => Ok(ok("address successfully imported", None)),
        Err(AddressError::AlreadySubmitted) => Err(error(
            false,
            code::ALREADY_EXISTS,
            CONTEXT,
            AddressError::AlreadySubmitted,
        )),
        Err(AddressError::System(why)) => {
            tracing::error!(user = user.id, "address: {why}");
            Err(error(
                false,
                code::UNAVAILABLE,
                "system error",
                "unable to process wallet commands",
            ))
        }
        Err(e) => Err(error(false, code::INVALID_ARGUMENT, CONTEXT, e)),
    }
}

async fn voting(pool: &Pool, user: Option<User>, params: &HashMap<String, String>) -> Handled {
    const CONTEXT: &str = "voting error";
    let user =
        user.ok_or_else(|| error(false, code::UNAUTHENTICATED, CONTEXT, "invalid api token"))?;
    let text = params.get("VoteBits").map(String::as_str).unwrap_or("");
    match crate::voting::set_vote_bits(pool, &user, text).await {
        Ok(_) => Ok(ok("successfully updated voting preferences", None)),
        Err(e) => {
            let code = match &e {
                VotingError::NotANumber | VotingError::Invalid => code::INVALID_ARGUMENT,
                VotingError::Nodes(why) => {
                    tracing::warn!("voting: {why}");
                    code::UNAVAILABLE
                }
                VotingError::Db(why) => {
                    tracing::error!("voting: {why}");
                    code::INTERNAL
                }
            };
            Err(error(false, code, CONTEXT, e))
        }
    }
}
