//! The database host: MariaDB from the distribution's packages, TLS with a pool-CA
//! certificate, the pool's database and the web hosts' accounts (a setup oneshot), and a
//! timer that takes verified backups (with the web service's program, `exccstakepool backup`).

use crate::ca::{PoolCa, host_sans};
use crate::config::{BinaryName, HostEntry, PoolConfig, WebSide};

use super::super::binaries::PreparedBinary;
use super::super::db_conf::{self, BACKUP_DIR, MARIADB_DIR};
use super::super::resource::{HealthCheck, HostDesired, Role, Secrecy, Service};
use super::{RenderError, backup_units, dir, file, programs, unit_path};
use crate::plan::resource::{POOL_LIB, POOL_STATE};

pub(super) fn render_host(
    _config: &PoolConfig,
    web: &WebSide,
    binaries: &[PreparedBinary],
    ca: &PoolCa,
    host: &HostEntry,
) -> Result<HostDesired, RenderError> {
    use Service::*;
    let password = match &web.database {
        crate::config::Database::Mariadb { password, .. } => password,
        _ => unreachable!("render_web_side renders a database host only for kind = mariadb"),
    };
    let dirs = vec![
        dir(POOL_LIB, "root", "root", 0o755),
        dir(POOL_STATE, "root", "root", 0o700),
        dir(&format!("{POOL_LIB}/exccstakepool"), "root", "root", 0o755),
        dir(MARIADB_DIR, "root", "mysql", 0o750),
        dir(BACKUP_DIR, "root", "root", 0o700),
    ];
    let mine: Vec<PreparedBinary> = binaries
        .iter()
        .filter(|b| b.name == BinaryName::Exccstakepool)
        .cloned()
        .collect();
    // The program is for the backups; no service runs it here.
    let (bins, mut files) = programs(&mine);
    for f in &mut files {
        f.restarts.clear();
    }
    let server = ca.server_cert(&host.name, "mariadb", &host_sans(&host.name, &host.address))?;
    files.push(
        file(
            &format!("{MARIADB_DIR}/ca.cert"),
            "root",
            0o644,
            ca.cert_pem(),
        )
        .restarts(Mariadb),
    );
    files.push(
        file(
            &format!("{MARIADB_DIR}/server.cert"),
            "root",
            0o644,
            server.cert_pem,
        )
        .restarts(Mariadb),
    );
    files.push(
        file(
            &format!("{MARIADB_DIR}/server.key"),
            "mysql",
            0o600,
            server.key_pem,
        )
        .secret(Secrecy::Whole)
        .restarts(Mariadb),
    );
    files.push(
        file(
            "/etc/mysql/mariadb.conf.d/90-excc-pool.cnf",
            "root",
            0o644,
            db_conf::mariadb_cnf(host),
        )
        .restarts(Mariadb),
    );
    let addresses: Vec<String> = web.hosts.iter().map(|h| h.address.clone()).collect();
    files.push(
        file(
            &format!("{MARIADB_DIR}/setup.sh"),
            "root",
            0o700,
            db_conf::setup_script(&addresses, password),
        )
        .secret(Secrecy::Whole)
        .restarts(DbSetup),
    );
    files.push(file(&unit_path(DbSetup), "root", 0o644, db_conf::DB_SETUP_UNIT).restarts(DbSetup));
    files.extend(backup_units(
        &db_conf::local_mariadb_url(),
        "root",
        &web.backup,
    ));
    Ok(HostDesired {
        host: host.clone(),
        role: Role::Database,
        packages: vec!["mariadb-server".to_owned(), "mariadb-client".to_owned()],
        users: Vec::new(),
        dirs,
        binaries: bins,
        files,
        services: vec![Mariadb, DbSetup, BackupTimer],
        wallet: None,
        health: HealthCheck::Database,
    })
}
