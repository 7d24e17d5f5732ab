//! The text of the database side's files: MariaDB's settings, the setup script that
//! creates the database and its user, and the backup's service and timer. Pure functions
//! of pool.toml.

use crate::config::{BackupSettings, DATABASE_NAME, DATABASE_USER, HostEntry, Secret};

/// The installed MariaDB's TLS files and the setup script.
pub const MARIADB_DIR: &str = "/etc/mysql/excc-pool";
/// Where backups are kept on the database host (the web host for SQLite).
pub const BACKUP_DIR: &str = "/var/backups/excc-pool";
/// The backup program's report of its last verification (read by `poolctl status`).
pub const LAST_VERIFICATION: &str = "/var/backups/excc-pool/last-verification.json";
/// The database the backup on an installed MariaDB reads (root over the local socket).
pub fn local_mariadb_url() -> String {
    format!("mysql://root@localhost/{DATABASE_NAME}?socket=/run/mysqld/mysqld.sock")
}

/// `/etc/mysql/mariadb.conf.d/90-excc-pool.cnf`: TLS required for every connection. The
/// server listens on every address; only the web hosts' addresses have an account.
pub fn mariadb_cnf(host: &HostEntry) -> String {
    format!(
        "# MariaDB settings of the pool's database on {}, written by poolctl; local edits are overwritten.\n[mariadbd]\nbind-address = 0.0.0.0\nskip-name-resolve = ON\nssl_cert = {MARIADB_DIR}/server.cert\nssl_key = {MARIADB_DIR}/server.key\nssl_ca = {MARIADB_DIR}/ca.cert\nrequire_secure_transport = ON\ncharacter-set-server = utf8mb4\ncollation-server = utf8mb4_unicode_ci\n",
        host.name
    )
}

/// A SQL string literal.
fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// The setup script (run as root by `excc-pool-db-setup.service` after MariaDB starts, and
/// again whenever it changes): the database, one account per web host address (TLS
/// required, the pool's password, rights on the pool's database only), accounts of
/// addresses no longer listed dropped. Idempotent. Holds the password: mode 0700, root.
pub fn setup_script(web_addresses: &[String], password: &Secret) -> String {
    let mut sql = format!(
        "CREATE DATABASE IF NOT EXISTS {DATABASE_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n"
    );
    for a in web_addresses {
        let account = format!("{}@{}", sql_str(DATABASE_USER), sql_str(a));
        let pw = sql_str(password.expose());
        sql.push_str(&format!(
            "CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {pw} REQUIRE SSL;\nALTER USER {account} IDENTIFIED BY {pw} REQUIRE SSL;\nGRANT ALL PRIVILEGES ON {DATABASE_NAME}.* TO {account};\n"
        ));
    }
    let keep: Vec<String> = web_addresses.iter().map(|a| sql_str(a)).collect();
    let keep = if keep.is_empty() {
        "''".to_owned()
    } else {
        keep.join(", ")
    };
    format!(
        r#"#!/bin/sh
# Written by poolctl: the pool's database and the web hosts' accounts. Re-run on change.
set -eu
mariadb --protocol=socket <<'SQL'
{sql}SQL
mariadb --protocol=socket -N -B -e "SELECT Host FROM mysql.user WHERE User = '{DATABASE_USER}' AND Host NOT IN ({keep})" |
while read -r stale; do
  mariadb --protocol=socket -e "DROP USER '{DATABASE_USER}'@'$stale'"
done
"#
    )
}

/// `excc-pool-db-setup.service`.
pub const DB_SETUP_UNIT: &str = "\
# Creates the pool's database and the web hosts' accounts (written by poolctl).
[Unit]
Description=EXCC pool database setup
Requires=mariadb.service
After=mariadb.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /etc/mysql/excc-pool/setup.sh
PrivateTmp=true
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
";

/// `excc-pool-backup.service`: one verified backup (`exccstakepool backup create`), run by
/// the timer. `user`: who runs it (`root` for MariaDB's socket, the service user for
/// SQLite).
pub fn backup_service(database_url: &str, user: &str, backup: &BackupSettings) -> String {
    let after = if user == "root" {
        "\nRequires=mariadb.service\nAfter=mariadb.service"
    } else {
        ""
    };
    format!(
        r#"# One verified backup of the pool's database into {BACKUP_DIR} (written by poolctl).
[Unit]
Description=EXCC pool database backup{after}

[Service]
Type=oneshot
User={user}
ExecStart=/usr/local/bin/exccstakepool backup create --database {database_url} --dir {BACKUP_DIR} --keep {keep}
ProtectSystem=strict
ReadWritePaths={BACKUP_DIR}{sqlite_rw}
ProtectHome=true
PrivateTmp=true
PrivateDevices=true
NoNewPrivileges=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectControlGroups=true
RestrictSUIDSGID=true
LockPersonality=true
SystemCallArchitectures=native
UMask=0077
"#,
        keep = backup.keep,
        // A SQLite reader writes the database's -shm/-wal files.
        sqlite_rw = if database_url.starts_with("sqlite://") {
            " /var/lib/exccstakepool"
        } else {
            ""
        },
    )
}

/// `excc-pool-backup.timer`.
pub fn backup_timer(backup: &BackupSettings) -> String {
    format!(
        "# Backs up the pool's database every {h} hours (written by poolctl).\n[Unit]\nDescription=EXCC pool database backup every {h} hours\n\n[Timer]\nOnBootSec=15min\nOnUnitActiveSec={h}h\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n",
        h = backup.every_hours
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_strings_cannot_break_out() {
        assert_eq!(sql_str("it's"), "'it''s'");
        assert_eq!(sql_str("a\\'"), "'a\\\\'''");
    }

    #[test]
    fn setup_drops_accounts_of_addresses_no_longer_listed() {
        let s = setup_script(
            &["10.0.0.21".into(), "10.0.0.22".into()],
            &Secret::new("pw"),
        );
        assert!(s.contains("Host NOT IN ('10.0.0.21', '10.0.0.22')"));
        assert!(s.contains(
            "CREATE USER IF NOT EXISTS 'excc_pool'@'10.0.0.22' IDENTIFIED BY 'pw' REQUIRE SSL"
        ));
    }
}
