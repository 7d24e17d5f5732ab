//! A private MariaDB server for one test: its own data directory (temporary), socket and
//! TCP port on 127.0.0.1, a database and a user with a password. Never the system
//! instance. Needs `mariadb-server` installed (tests/run installs it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::proc::free_port;

pub struct MariaDb {
    child: Child,
    pub dir: PathBuf,
    pub port: u16,
    /// `mysql://pool:PASSWORD@127.0.0.1:PORT/pool`
    pub url: String,
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// True when the MariaDB server programs are installed.
pub fn available() -> bool {
    Path::new("/usr/sbin/mariadbd").exists() && Path::new("/usr/bin/mariadb-install-db").exists()
}

impl MariaDb {
    /// Initialises a data directory under `dir`, starts the server and creates the `pool`
    /// database and user.
    pub fn start(dir: &Path) -> MariaDb {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        // mariadbd refuses to run as root unless told the user; the data must be its own.
        let user = if poolctl::lab::is_root() { "root" } else { "" };
        let mut install = Command::new("mariadb-install-db");
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg("--auth-root-authentication-method=socket")
            .arg("--skip-test-db");
        if !user.is_empty() {
            install.arg(format!("--user={user}"));
        }
        run(&mut install, "mariadb-install-db");
        let port = free_port();
        let socket = dir.join("mysqld.sock");
        let mut server = Command::new("/usr/sbin/mariadbd");
        server
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if !user.is_empty() {
            server.arg(format!("--user={user}"));
        }
        let child = server.spawn().expect("start mariadbd");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() || std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mariadbd did not start: {}",
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let password = hex::encode(std::process::id().to_le_bytes()) + "-pw";
        run(
            Command::new("mariadb")
                .arg("--no-defaults")
                .arg(format!("--socket={}", socket.display()))
                .arg("-uroot")
                .arg("-e")
                .arg(format!(
                    "CREATE DATABASE pool; CREATE USER 'pool'@'127.0.0.1' IDENTIFIED BY '{password}'; GRANT ALL ON pool.* TO 'pool'@'127.0.0.1';"
                )),
            "creating the pool database",
        );
        MariaDb {
            child,
            dir: dir.to_owned(),
            port,
            url: format!("mysql://pool:{password}@127.0.0.1:{port}/pool"),
        }
    }
}

impl MariaDb {
    /// Another empty database on this server for the same user; its URL.
    pub fn create_database(&self, name: &str) -> String {
        run(
            Command::new("mariadb")
                .arg("--no-defaults")
                .arg(format!(
                    "--socket={}",
                    self.dir.join("mysqld.sock").display()
                ))
                .arg("-uroot")
                .arg("-e")
                .arg(format!(
                    "CREATE DATABASE {name}; GRANT ALL ON {name}.* TO 'pool'@'127.0.0.1';"
                )),
            "creating a database",
        );
        self.url.replacen(
            &format!(":{}/pool", self.port),
            &format!(":{}/{name}", self.port),
            1,
        )
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
