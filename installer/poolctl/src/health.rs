//! "Is this host working?" for each role, as one named failed check or `Ok`: stakepoold's
//! `/healthz` (synced, unlocked, voting) on voting hosts, the web service's `/healthz` and
//! nginx on web hosts, a query on the database host. apply waits for it after changing a
//! host; upgrade gates each host on it and rolls back when it fails.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::host::{Host, RemoteCommand, SshHost};
use crate::plan::resource::HealthCheck;
use crate::runtime::{CALL_TIMEOUT, Health, health};

/// The host's health now: `Err` names the failed check and why.
pub async fn check(ssh: &SshHost, check: HealthCheck) -> Result<(), String> {
    match check {
        HealthCheck::Stakepoold { port } => match health(ssh, port).await {
            Ok(h) => failed_check(&h).map_or(Ok(()), Err),
            Err(e) => Err(format!("health check \"stakepoold answers\" failed: {e}")),
        },
        HealthCheck::Web { port } => web(ssh, port).await,
        HealthCheck::Database => database(ssh).await,
    }
}

/// The unit whose journal explains a failed check.
pub fn checked_unit(check: HealthCheck) -> &'static str {
    match check {
        HealthCheck::Stakepoold { .. } => "stakepoold",
        HealthCheck::Web { .. } => "exccstakepool",
        HealthCheck::Database => "mariadb",
    }
}

/// The first failed check of a `/healthz` answer: `synced`, `unlocked` or `voting`.
pub fn failed_check(h: &Health) -> Option<String> {
    let problems = if h.problems.is_empty() {
        String::new()
    } else {
        format!(": {}", h.problems.join("; "))
    };
    let check = if !h.node_connected || !h.node_synced {
        "synced"
    } else if !h.wallet_connected || !h.wallet_unlocked {
        "unlocked"
    } else if !h.healthy {
        "voting"
    } else {
        return None;
    };
    Some(format!("health check \"{check}\" failed{problems}"))
}

/// One HTTP/1.0 GET to the host's `127.0.0.1:port` through SSH: (status, body).
pub async fn http_get(ssh: &SshHost, port: u16, path: &str) -> Result<(u16, String), String> {
    let call = async {
        let mut stream = ssh
            .open_tcp("127.0.0.1", port)
            .await
            .map_err(|e| e.to_string())?;
        let request =
            format!("GET {path} HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("sending to port {port}: {e}"))?;
        let mut reply = Vec::new();
        stream
            .read_to_end(&mut reply)
            .await
            .map_err(|e| format!("reading from port {port}: {e}"))?;
        if reply.is_empty() {
            return Err(format!("port {port} is closed (not running?)"));
        }
        let text = String::from_utf8_lossy(&reply).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("port {port}: not an HTTP answer"))?;
        Ok((status, body.to_owned()))
    };
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no answer on port {port} within {}s",
                CALL_TIMEOUT.as_secs()
            ))
        })
}

/// The web service's `/healthz` is 200 (database and every voting node reachable), and
/// nginx answers plain HTTP with the redirect to HTTPS.
async fn web(ssh: &SshHost, port: u16) -> Result<(), String> {
    match http_get(ssh, port, "/healthz").await {
        Ok((200, _)) => {}
        Ok((status, body)) => {
            return Err(format!(
                "health check \"web /healthz\" failed: HTTP {status} {}",
                body.trim()
            ));
        }
        Err(e) => return Err(format!("health check \"web service answers\" failed: {e}")),
    }
    match http_get(ssh, 80, "/").await {
        Ok((301, _)) => Ok(()),
        Ok((status, _)) => Err(format!(
            "health check \"nginx\" failed: HTTP on port 80 answered {status}, not the redirect to HTTPS"
        )),
        Err(e) => Err(format!("health check \"nginx\" failed: {e}")),
    }
}

/// The pool's database answers a query (as root over MariaDB's socket).
async fn database(ssh: &SshHost) -> Result<(), String> {
    let out = ssh
        .run(&RemoteCommand::shell(
            r#"mariadb --protocol=socket -N -B -e "SELECT 1" "$1""#,
            [crate::config::DATABASE_NAME],
        ))
        .await
        .map_err(|e| e.to_string())?;
    if out.success() {
        Ok(())
    } else {
        Err(format!(
            "health check \"database\" failed: {}",
            out.stderr_text().trim()
        ))
    }
}
