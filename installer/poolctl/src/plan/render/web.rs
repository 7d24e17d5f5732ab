//! A web host: nginx (HTTPS) in front of the web service, its config rendered from
//! pool.toml (voting nodes from `[[hosts]]`), the pool CA's client certificate for gRPC, and
//! (with SQLite) the database's backup timer.

use crate::ca::{PoolCa, host_sans};
use crate::config::{BinaryName, Database, HostEntry, PoolConfig, WebSide};

use super::super::binaries::PreparedBinary;
use super::super::db_conf::BACKUP_DIR;
use super::super::resource::{HealthCheck, HostDesired, Role, Secrecy, Service, UserRes};
use super::super::web_conf::{self, NGINX_TLS_DIR, WEB_DIR};
use super::{RenderError, backup_units, dir, file, pool_dirs, ports, programs, unit_path};

pub use super::super::web_conf::WEB_LISTEN_PORT;

/// The web service's config file.
pub const WEB_CONF: &str = "/etc/exccstakepool/exccstakepool.toml";

const WEB_UNIT: &str = include_str!("../../../../../systemd/exccstakepool.service");

pub(super) fn render_host(
    config: &PoolConfig,
    web: &WebSide,
    binaries: &[PreparedBinary],
    ca: &PoolCa,
    host: &HostEntry,
) -> Result<HostDesired, RenderError> {
    use Service::*;
    let svc = "exccstakepool";
    let ports = ports(config);
    let mut dirs = pool_dirs(&[BinaryName::Exccstakepool]);
    dirs.push(dir(NGINX_TLS_DIR, "root", "root", 0o700));
    let mine: Vec<PreparedBinary> = binaries
        .iter()
        .filter(|b| b.name == BinaryName::Exccstakepool)
        .cloned()
        .collect();
    let (bins, mut files) = programs(&mine);

    let toml = web_conf::exccstakepool_toml(config, web, host, &ports);
    files.push(file(WEB_CONF, svc, 0o600, toml).restarts(Exccstakepool));
    files.push(
        file(
            &format!("{WEB_DIR}/api.secret"),
            svc,
            0o600,
            web.api_secret.expose(),
        )
        .secret(Secrecy::Whole)
        .restarts(Exccstakepool),
    );
    let client = ca.client_cert("web")?;
    files.push(
        file(
            &format!("{WEB_DIR}/pool-ca.cert"),
            svc,
            0o644,
            ca.cert_pem(),
        )
        .restarts(Exccstakepool),
    );
    files.push(
        file(&format!("{WEB_DIR}/web.cert"), svc, 0o644, client.cert_pem).restarts(Exccstakepool),
    );
    files.push(
        file(&format!("{WEB_DIR}/web.key"), svc, 0o600, client.key_pem)
            .secret(Secrecy::Whole)
            .restarts(Exccstakepool),
    );
    let (db_password, db_ca) = match &web.database {
        Database::Sqlite => (None, None),
        Database::Mariadb { password, .. } => (Some(password), Some(ca.cert_pem().to_owned())),
        Database::External {
            password, ca_pem, ..
        } => (Some(password), Some(ca_pem.clone())),
    };
    if let (Some(password), Some(db_ca)) = (db_password, db_ca) {
        files.push(
            file(
                &format!("{WEB_DIR}/database.password"),
                svc,
                0o600,
                password.expose(),
            )
            .secret(Secrecy::Whole)
            .restarts(Exccstakepool),
        );
        files.push(
            file(&format!("{WEB_DIR}/db-ca.cert"), svc, 0o644, db_ca).restarts(Exccstakepool),
        );
    }
    if let Some(pw) = web.site.smtp.as_ref().and_then(|s| s.password.as_ref()) {
        files.push(
            file(&format!("{WEB_DIR}/smtp.password"), svc, 0o600, pw.expose())
                .secret(Secrecy::Whole)
                .restarts(Exccstakepool),
        );
    }
    files.push(file(&unit_path(Exccstakepool), "root", 0o644, WEB_UNIT).restarts(Exccstakepool));

    // nginx: the site's certificate (the operator's, or the pool CA's for labs).
    let (cert, key) = match &web.tls {
        Some(tls) => (tls.cert_pem.clone(), tls.key.expose().to_owned()),
        None => {
            let mut sans = vec![web.site.server_name.clone()];
            sans.extend(host_sans(&host.name, &host.address));
            sans.dedup();
            let issued = ca.server_cert(&host.name, "web-https", &sans)?;
            (issued.cert_pem, issued.key_pem)
        }
    };
    files.push(file(&format!("{NGINX_TLS_DIR}/tls.cert"), "root", 0o644, cert).restarts(Nginx));
    files.push(
        file(&format!("{NGINX_TLS_DIR}/tls.key"), "root", 0o600, key)
            .secret(Secrecy::Whole)
            .restarts(Nginx),
    );
    files.push(
        file(
            "/etc/nginx/conf.d/excc-pool.conf",
            "root",
            0o644,
            web_conf::nginx_site(web, host),
        )
        .restarts(Nginx),
    );
    files.push(
        file(
            "/etc/nginx/sites-enabled/default",
            "root",
            0o644,
            web_conf::NGINX_DEFAULT_SITE,
        )
        .restarts(Nginx),
    );

    let mut services = vec![Exccstakepool, Nginx];
    if matches!(web.database, Database::Sqlite) {
        dirs.push(dir(BACKUP_DIR, svc, svc, 0o700));
        let url = web_conf::database_url(web);
        files.extend(backup_units(&url, svc, &web.backup));
        services.push(BackupTimer);
    }

    Ok(HostDesired {
        host: host.clone(),
        role: Role::Web,
        packages: vec!["nginx".to_owned()],
        users: vec![UserRes { name: svc.into() }],
        dirs,
        binaries: bins,
        files,
        services,
        wallet: None,
        health: HealthCheck::Web {
            port: WEB_LISTEN_PORT,
        },
    })
}
