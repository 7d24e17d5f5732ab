//! The text of a web host's files: the web service's exccstakepool.toml and nginx's site.
//! Pure functions of pool.toml, tested here without hosts.

use crate::config::{DATABASE_NAME, DATABASE_USER, Database, HostEntry, PoolConfig, WebSide};

use super::render::Ports;

/// Where the web service listens (nginx proxies to it; nothing else reaches it).
pub const WEB_LISTEN_PORT: u16 = 8000;
/// The header nginx puts the client's address in; the service's `real_ip_header`.
pub const REAL_IP_HEADER: &str = "X-Real-IP";
/// The web service's files on a web host.
pub const WEB_DIR: &str = "/etc/exccstakepool";
/// The SQLite database (`[database] kind = "sqlite"`), in the unit's StateDirectory.
pub const SQLITE_PATH: &str = "/var/lib/exccstakepool/pool.db";
/// nginx's certificate and key for the site.
pub const NGINX_TLS_DIR: &str = "/etc/nginx/excc-pool";
/// The port of an installed MariaDB.
pub const MARIADB_PORT: u16 = 3306;

/// A TOML string (quoted and escaped).
pub fn q(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_owned()
}

/// The database URL the web service connects with (no password: that is a file).
pub fn database_url(web: &WebSide) -> String {
    match &web.database {
        Database::Sqlite => format!("sqlite://{SQLITE_PATH}"),
        Database::Mariadb { host, .. } => format!(
            "mysql://{DATABASE_USER}@{}:{MARIADB_PORT}/{DATABASE_NAME}?ssl-mode=VERIFY_IDENTITY&ssl-ca={WEB_DIR}/db-ca.cert",
            host.address
        ),
        Database::External { url, .. } => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}ssl-mode=VERIFY_IDENTITY&ssl-ca={WEB_DIR}/db-ca.cert")
        }
    }
}

/// exccstakepool.toml of `host`.
pub fn exccstakepool_toml(
    config: &PoolConfig,
    web: &WebSide,
    host: &HostEntry,
    ports: &Ports,
) -> String {
    let site = &web.site;
    let mut t = format!(
        "# exccstakepool.toml on {}, written by poolctl from pool.toml; local edits are overwritten.\n",
        host.name
    );
    let admins: Vec<String> = site.admin_emails.iter().map(|a| q(a)).collect();
    t.push_str(&format!(
        "network = {}\nlisten = \"127.0.0.1:{WEB_LISTEN_PORT}\"\nbase_url = {}\npool_email = {}\nclosed = {}\nadmin_emails = [{}]\nsync_interval_secs = {}\nvoting_node_timeout_secs = {}\napi_secret_file = \"{WEB_DIR}/api.secret\"\n",
        q(config.network.name()),
        q(&site.base_url),
        q(&site.pool_email),
        site.closed,
        admins.join(", "),
        site.sync_interval_secs,
        site.voting_node_timeout_secs,
    ));
    t.push_str(&format!("\n[database]\nurl = {}\n", q(&database_url(web))));
    if !matches!(web.database, Database::Sqlite) {
        t.push_str(&format!(
            "password_file = \"{WEB_DIR}/database.password\"\n"
        ));
    }
    let pool = &config.pool;
    t.push_str(&format!(
        "\n[pool]\nfee_percent = {}\ncold_wallet_xpub = {}\nvoting_wallet_xpub = {}\nmax_users = {}\n",
        pool.fee_text,
        q(&pool.cold_wallet_xpub),
        q(&pool.voting_wallet_xpub),
        pool.voting_address_count.min(pool.fee_address_count),
    ));
    t.push_str(&format!(
        "\n[tls]\nca = \"{WEB_DIR}/pool-ca.cert\"\nclient_cert = \"{WEB_DIR}/web.cert\"\nclient_key = \"{WEB_DIR}/web.key\"\n"
    ));
    for v in &config.hosts {
        t.push_str(&format!(
            "\n[[voting_nodes]]\nname = {}\ngrpc = {}\n",
            q(&v.name),
            q(&grpc_address(&v.address, ports.grpc)),
        ));
    }
    t.push_str("\n[limits]\n");
    for (k, v) in &site.limits {
        t.push_str(&format!("{k} = {v}\n"));
    }
    t.push_str(&format!("real_ip_header = {}\n", q(REAL_IP_HEADER)));
    if let Some(smtp) = &site.smtp {
        t.push_str(&format!(
            "\n[smtp]\nhost = {}\nsecurity = {}\nport = {}\nfrom = {}\n",
            q(&smtp.host),
            q(&smtp.security),
            smtp.port,
            q(&smtp.from),
        ));
        if let Some(user) = &smtp.user {
            t.push_str(&format!(
                "user = {}\npassword_file = \"{WEB_DIR}/smtp.password\"\n",
                q(user)
            ));
        }
    }
    t
}

/// `HOST:PORT`, with brackets for an IPv6 address.
fn grpc_address(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// nginx's site (`/etc/nginx/conf.d/excc-pool.conf`): HTTP redirected to HTTPS, modern TLS
/// (Mozilla's "intermediate" profile), limits and timeouts matching the service's, and the
/// client's address in [`REAL_IP_HEADER`] (set here, so a client cannot choose it).
pub fn nginx_site(web: &WebSide, host: &HostEntry) -> String {
    let site = &web.site;
    let limit = |key: &str, default: i64| {
        site.limits
            .iter()
            .find(|(k, _)| k == key)
            .map_or(default, |(_, v)| *v)
    };
    let header_timeout = limit("header_timeout_secs", 10);
    let body_timeout = limit("body_timeout_secs", 10);
    let request_timeout = limit("request_timeout_secs", 30);
    let authority = site
        .base_url
        .strip_prefix("https://")
        .unwrap_or(&site.base_url);
    let https_port = authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .filter(|_| !authority.ends_with(']'))
        .unwrap_or(443);
    format!(
        r#"# The pool's site on {host}, written by poolctl from pool.toml; local edits are overwritten.
server_tokens off;
client_max_body_size 64k;
client_body_buffer_size 64k;
client_header_buffer_size 1k;
large_client_header_buffers 4 8k;
client_header_timeout {header_timeout}s;
client_body_timeout {body_timeout}s;
send_timeout 30s;
keepalive_timeout 30s;

upstream exccstakepool {{
    server 127.0.0.1:{WEB_LISTEN_PORT};
    keepalive 32;
}}

server {{
    listen 80 default_server;
    server_name _;
    location / {{
        return 301 https://{authority}$request_uri;
    }}
}}

server {{
    listen {https_port} ssl http2 default_server;
    server_name {server_name};
    ssl_certificate {NGINX_TLS_DIR}/tls.cert;
    ssl_certificate_key {NGINX_TLS_DIR}/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_timeout 1d;
    ssl_session_cache shared:exccpool:10m;
    ssl_session_tickets off;
    add_header Strict-Transport-Security "max-age=63072000" always;

    location / {{
        proxy_pass http://exccstakepool;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header {REAL_IP_HEADER} $remote_addr;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto https;
        proxy_connect_timeout 5s;
        proxy_send_timeout {request_timeout}s;
        proxy_read_timeout {read_timeout}s;
    }}
}}
"#,
        host = host.name,
        server_name = site.server_name,
        read_timeout = request_timeout + 5,
    )
}

/// What replaces Debian's default site (it would take port 80 from ours).
pub const NGINX_DEFAULT_SITE: &str = "# Debian's default site, replaced by poolctl: the pool's site is /etc/nginx/conf.d/excc-pool.conf.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_are_escaped() {
        for s in ["plain", "a\"b", "it's", "x'\"y", "new\nline", "back\\slash"] {
            let doc: toml_edit::DocumentMut = format!("k = {}\n", q(s)).parse().unwrap();
            assert_eq!(doc["k"].as_str(), Some(s));
        }
    }

    #[test]
    fn ipv6_grpc_addresses_get_brackets() {
        assert_eq!(grpc_address("fd00::1", 19560), "[fd00::1]:19560");
        assert_eq!(grpc_address("10.0.0.1", 19560), "10.0.0.1:19560");
    }
}
