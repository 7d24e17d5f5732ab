//! MariaDB: the server named by `mysql://USER@HOST[:PORT]/DB[?socket=…&ssl-mode=…&ssl-ca=…]`
//! (password from a file), reached with the `mariadb-dump` and `mariadb` programs. Their
//! credentials go in a 0600 option file in a private temporary directory
//! (`--defaults-file`, so no `~/.my.cnf` can change host, user or password), never in
//! arguments or the environment. A dump is read line by line (`--skip-extended-insert`: one
//! `INSERT` per row) for its tables, rows and completion trailer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{BackupError, Contents, Refusal, files};

/// A database on a MariaDB server.
pub struct Server {
    user: String,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    socket: Option<PathBuf>,
    pub database: String,
    ssl_ca: Option<PathBuf>,
    ssl_mode: Option<String>,
}

fn url_error(why: impl Into<String>) -> BackupError {
    BackupError::Url(why.into())
}

/// A database or user name we put into SQL and option files: letters, digits, `_`, `$`.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 48
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

impl Server {
    /// Parses the URL; reads the password from `password_file` (mode 0600, one line).
    pub fn from_url(url: &str, password_file: Option<&Path>) -> Result<Server, BackupError> {
        let url = url.replacen("mariadb://", "mysql://", 1);
        if let Some(why) = crate::config::unverified_remote_mysql(&url) {
            return Err(url_error(why));
        }
        let rest = url.strip_prefix("mysql://").ok_or_else(|| {
            url_error("must be sqlite://PATH or mysql://USER@HOST[:PORT]/DATABASE")
        })?;
        let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, database) = main
            .split_once('/')
            .ok_or_else(|| url_error("name the database: mysql://USER@HOST[:PORT]/DATABASE"))?;
        let (user, host_port) = authority
            .rsplit_once('@')
            .ok_or_else(|| url_error("name the user: mysql://USER@HOST[:PORT]/DATABASE"))?;
        if user.contains(':') {
            return Err(url_error(
                "the URL carries a password, which every user of this machine can read in the process list: put it in a file (mode 0600) and pass --password-file FILE",
            ));
        }
        if !plain_name(user) || !plain_name(database) {
            return Err(url_error(
                "the user and database names may only have letters, digits, _ and $ (at most 48)",
            ));
        }
        let (host, port) = match host_port.strip_prefix('[') {
            Some(v6) => {
                let (h, after) = v6
                    .split_once(']')
                    .ok_or_else(|| url_error("an IPv6 host needs its closing ]"))?;
                (h, after.strip_prefix(':'))
            }
            None => match host_port.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            },
        };
        let port = port
            .map(|p| p.parse::<u16>())
            .transpose()
            .map_err(|_| url_error(format!("port {:?} is not a number", port.unwrap_or(""))))?;
        let mut server = Server {
            user: user.to_owned(),
            password: None,
            host: if host.is_empty() { "localhost" } else { host }.to_owned(),
            port,
            socket: None,
            database: database.to_owned(),
            ssl_ca: None,
            ssl_mode: None,
        };
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k.to_ascii_lowercase().as_str() {
                "socket" => server.socket = Some(PathBuf::from(v)),
                "ssl-ca" => server.ssl_ca = Some(PathBuf::from(v)),
                "ssl-mode" => server.ssl_mode = Some(v.to_ascii_uppercase()),
                // sqlx's other settings (statement cache, charset…) mean nothing to the
                // command-line clients.
                _ => {}
            }
        }
        if let Some(path) = password_file {
            server.password = Some(read_password(path)?);
        }
        Ok(server)
    }

    /// The option file for the clients, in a private temporary directory that lives as long
    /// as the returned [`Client`].
    pub fn client(&self) -> Result<Client, BackupError> {
        let dir = tempfile::Builder::new()
            .prefix("exccstakepool-mariadb-")
            .tempdir()
            .map_err(|e| {
                BackupError::io(
                    "cannot create a private directory in",
                    &std::env::temp_dir(),
                    e,
                )
            })?;
        let defaults = dir.path().join("client.cnf");
        let mut text = String::from("[client]\n");
        let quoted = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\"));
        let _ = writeln!(text, "user={}", self.user);
        if let Some(p) = &self.password {
            let _ = writeln!(text, "password={}", quoted(p));
        }
        match &self.socket {
            Some(socket) => {
                let s = socket
                    .to_str()
                    .ok_or_else(|| url_error("socket path is not UTF-8"))?;
                let _ = writeln!(text, "protocol=socket\nsocket={}", quoted(s));
            }
            None => {
                let _ = writeln!(text, "protocol=tcp\nhost={}", self.host);
                if let Some(port) = self.port {
                    let _ = writeln!(text, "port={port}");
                }
            }
        }
        match self.ssl_mode.as_deref() {
            Some("VERIFY_IDENTITY" | "VERIFY_CA") => {
                text.push_str("ssl\nssl-verify-server-cert\n");
            }
            Some("REQUIRED") => text.push_str("ssl\n"),
            Some("DISABLED") => text.push_str("skip-ssl\n"),
            _ => {}
        }
        if let Some(ca) = &self.ssl_ca {
            let ca = ca
                .to_str()
                .ok_or_else(|| url_error("ssl-ca path is not UTF-8"))?;
            let _ = writeln!(text, "ssl-ca={}", quoted(ca));
        }
        let mut f = files::create_private(&defaults)?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| BackupError::io("cannot write", &defaults, e))?;
        Ok(Client {
            _dir: dir,
            defaults,
            database: self.database.clone(),
        })
    }
}

fn read_password(path: &Path) -> Result<String, BackupError> {
    let fail = |why: String| BackupError::PasswordFile {
        path: path.to_owned(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(fail("is readable by others: chmod 600 it".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let password = text.strip_suffix('\n').unwrap_or(&text);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() || password.contains(['\n', '\r', '"']) {
        return Err(fail(
            "must hold the password on one line (no double quote)".into(),
        ));
    }
    Ok(password.to_owned())
}

/// Runs the MariaDB programs with the option file.
pub struct Client {
    _dir: tempfile::TempDir,
    defaults: PathBuf,
    pub database: String,
}

/// An identifier in backquotes.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl Client {
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        // Must come first.
        c.arg(format!("--defaults-file={}", self.defaults.display()));
        c
    }

    fn run(
        &self,
        program: &'static str,
        mut cmd: Command,
        stdin: Stdio,
        stdout: Stdio,
    ) -> Result<String, BackupError> {
        let out = cmd
            .stdin(stdin)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| BackupError::Tool {
                program,
                detail: format!("cannot run it ({e}): install the MariaDB client (mariadb-client)"),
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let detail = stderr.trim().lines().last().unwrap_or("").to_owned();
            return Err(BackupError::Tool {
                program,
                detail: format!("{} ({})", detail, out.status),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs SQL statements (in `database` when given); the rows, tab-separated.
    pub fn sql(&self, database: Option<&str>, sql: &str) -> Result<String, BackupError> {
        let mut cmd = self.command("mariadb");
        cmd.args(["--batch", "--skip-column-names"]);
        if let Some(db) = database {
            cmd.arg(format!("--database={db}"));
        }
        cmd.arg("--execute").arg(sql);
        self.run("mariadb", cmd, Stdio::null(), Stdio::piped())
    }

    /// A consistent dump of the database (one transaction, one `INSERT` per row) into `out`.
    pub fn dump(&self, out: std::fs::File) -> Result<(), BackupError> {
        let mut cmd = self.command("mariadb-dump");
        cmd.args([
            "--single-transaction",
            "--skip-extended-insert",
            "--no-tablespaces",
            "--default-character-set=utf8mb4",
            "--routines",
            "--triggers",
        ])
        .arg(&self.database);
        self.run("mariadb-dump", cmd, Stdio::null(), Stdio::from(out))
            .map(drop)
    }

    /// Loads a dump into `database`.
    pub fn load(&self, database: &str, dump: &Path) -> Result<(), BackupError> {
        let input =
            std::fs::File::open(dump).map_err(|e| BackupError::io("cannot read", dump, e))?;
        let mut cmd = self.command("mariadb");
        cmd.arg("--batch").arg(format!("--database={database}"));
        self.run("mariadb", cmd, Stdio::from(input), Stdio::piped())
            .map(drop)
    }

    /// The tables of `database`.
    pub fn tables(&self, database: &str) -> Result<Vec<String>, BackupError> {
        Ok(self
            .sql(Some(database), "SHOW TABLES")?
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// Rows per table of `database`.
    pub fn counts(&self, database: &str) -> Result<BTreeMap<String, u64>, BackupError> {
        let tables = self.tables(database)?;
        if tables.is_empty() {
            return Ok(BTreeMap::new());
        }
        let columns: Vec<String> = tables
            .iter()
            .map(|t| format!("(SELECT COUNT(*) FROM {})", quote(t)))
            .collect();
        let row = self.sql(Some(database), &format!("SELECT {}", columns.join(", ")))?;
        let counts: Vec<u64> = row
            .trim_end()
            .split('\t')
            .map(|n| n.parse().unwrap_or(u64::MAX))
            .collect();
        Ok(tables.into_iter().zip(counts).collect())
    }

    /// The scratch database's name for `database`.
    pub fn scratch(&self) -> String {
        format!("{}_verify", self.database)
    }

    /// An empty scratch database (dropped first if a run before left it).
    pub fn create_scratch(&self) -> Result<String, BackupError> {
        let scratch = self.scratch();
        let q = quote(&scratch);
        self.sql(
            None,
            &format!("DROP DATABASE IF EXISTS {q}; CREATE DATABASE {q} CHARACTER SET utf8mb4"),
        )?;
        Ok(scratch)
    }

    pub fn drop_scratch(&self) -> Result<(), BackupError> {
        self.sql(
            None,
            &format!("DROP DATABASE IF EXISTS {}", quote(&self.scratch())),
        )
        .map(drop)
    }

    /// Moves the scratch database's tables into the database in one atomic `RENAME TABLE`:
    /// the database's tables of the same names and `ours` (the service's tables) are moved
    /// aside first in the same statement, then dropped. Until the rename the old data is
    /// untouched; after it the new data is complete.
    pub fn swap_in_scratch(&self, ours: &[&str]) -> Result<(), BackupError> {
        let (db, scratch) = (self.database.as_str(), self.scratch());
        let incoming = self.tables(&scratch)?;
        let present = self.tables(db)?;
        let aside: Vec<&String> = present
            .iter()
            .filter(|t| incoming.contains(t) || ours.contains(&t.as_str()))
            .collect();
        let aside_name = |t: &str| format!("{t}__pre_restore");
        let full = |d: &str, t: &str| format!("{}.{}", quote(d), quote(t));
        if !aside.is_empty() {
            let leftovers: Vec<String> = aside.iter().map(|t| full(db, &aside_name(t))).collect();
            self.sql(
                None,
                &format!("DROP TABLE IF EXISTS {}", leftovers.join(", ")),
            )?;
        }
        let renames: Vec<String> = aside
            .iter()
            .map(|t| format!("{} TO {}", full(db, t), full(db, &aside_name(t))))
            .chain(
                incoming
                    .iter()
                    .map(|t| format!("{} TO {}", full(&scratch, t), full(db, t))),
            )
            .collect();
        if !renames.is_empty() {
            self.sql(None, &format!("RENAME TABLE {}", renames.join(", ")))?;
        }
        if !aside.is_empty() {
            let old: Vec<String> = aside.iter().map(|t| full(db, &aside_name(t))).collect();
            self.sql(None, &format!("DROP TABLE {}", old.join(", ")))?;
        }
        self.drop_scratch()
    }
}

/// What a dump file holds, read without a server.
pub fn read_dump(file: &Path) -> Result<Contents, BackupError> {
    let io = |e| BackupError::io("cannot read", file, e);
    let reader = std::io::BufReader::new(std::fs::File::open(file).map_err(io)?);
    let mut tables: BTreeMap<String, u64> = BTreeMap::new();
    let mut schema_version = 0u32;
    let mut last = Vec::new();
    for line in reader.split(b'\n') {
        let line = line.map_err(io)?;
        if let Some(rest) = line.strip_prefix(b"CREATE TABLE `") {
            if let Some(name) = name_before_backquote(rest) {
                tables.entry(name).or_insert(0);
            }
        } else if let Some(rest) = line.strip_prefix(b"INSERT INTO `")
            && let Some(name) = name_before_backquote(rest)
        {
            if name == "schema_version" {
                schema_version = schema_version.max(first_number(rest).unwrap_or(0));
            }
            *tables.entry(name).or_insert(0) += 1;
        }
        if !line.trim_ascii().is_empty() {
            last = line;
        }
    }
    if !last.starts_with(b"-- Dump completed") {
        return Err(Refusal::Truncated {
            file: file.to_owned(),
            detail: "mariadb-dump's closing \"-- Dump completed\" line is missing".into(),
        }
        .into());
    }
    Ok(Contents {
        schema_version,
        tables,
    })
}

fn name_before_backquote(rest: &[u8]) -> Option<String> {
    let end = rest.iter().position(|&b| b == b'`')?;
    String::from_utf8(rest[..end].to_vec()).ok()
}

/// The first number after `VALUES (` (the version of a `schema_version` row).
fn first_number(rest: &[u8]) -> Option<u32> {
    let at = rest.windows(8).position(|w| w == b"VALUES (")? + 8;
    let digits: Vec<u8> = rest[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Does the file start like a `mariadb-dump` (or `mysqldump`) output? Newer versions put a
/// sandbox-mode comment before the header.
pub fn looks_like_dump(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .take(3)
        .any(|l| l.starts_with(b"-- MariaDB dump") || l.starts_with(b"-- MySQL dump"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let s = Server::from_url("mysql://pool@127.0.0.1:3307/pool", None).unwrap();
        assert_eq!(
            (
                s.user.as_str(),
                s.host.as_str(),
                s.port,
                s.database.as_str()
            ),
            ("pool", "127.0.0.1", Some(3307), "pool")
        );
        let s = Server::from_url(
            "mariadb://root@localhost/pool?socket=/run/mysqld/mysqld.sock",
            None,
        )
        .unwrap();
        assert_eq!(s.socket, Some(PathBuf::from("/run/mysqld/mysqld.sock")));
        for (url, why) in [
            ("mysql://pool:secret@127.0.0.1/pool", "--password-file"),
            ("mysql://127.0.0.1/pool", "name the user"),
            ("mysql://pool@127.0.0.1", "name the database"),
            ("mysql://pool@127.0.0.1/po`ol", "letters, digits"),
            ("mysql://pool@db.example.org/pool", "verified TLS"),
            ("mysql://pool@127.0.0.1:x/pool", "not a number"),
        ] {
            let e = Server::from_url(url, None).err().unwrap().to_string();
            assert!(e.contains(why), "{url}: {e}");
            assert!(!e.contains("secret"), "{e}");
        }
    }

    #[test]
    fn dump_headers() {
        assert!(looks_like_dump(
            b"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib"
        ));
        assert!(looks_like_dump(b"-- MySQL dump 10.13"));
        assert!(!looks_like_dump(b"SQLite format 3\0"));
    }
}
