//! Loading the web side of pool.toml: the sample's web part loads (generated secrets made
//! once, 0600), and each mistake is one problem with its key and line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::tests::{private, sample_in};
use super::*;

const WEB_HOST_KEY: &str = "host_key = \"SHA256:hUa8fJk6oM0yVqYQ7nYt4c3o9cXb0KqYw9m3v6Qp2sE\"";
const DB_HOST: &str = "name = \"db1\"                # the database host, like a [[hosts]] entry
address = \"192.0.2.30\"
ssh_user = \"root\"
ssh_port = 22
host_key = \"SHA256:5gAEhkQ2dKz5yQ7b0cW1m8XqkqzZb9q6kq1uT6fJ0pA\"
";

/// The sample in a temporary directory, edited by `edit`, and its text.
fn sample_with(dir: &Path, edit: impl FnOnce(String) -> String) -> (std::path::PathBuf, String) {
    let path = sample_in(dir);
    let text = edit(std::fs::read_to_string(&path).unwrap());
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// The first line that is not a comment and contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| !l.trim_start().starts_with('#') && l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the file"))
        + 1
}

/// Loading fails with exactly one problem: `key` at `line`; returns its reason.
fn one_problem(path: &Path, key: &str, line: usize) -> String {
    let err = PoolConfig::load(path).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!((p.key.as_str(), p.line), (key, line), "{err}");
    p.reason.clone()
}

fn certificate(dir: &Path, name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["pool.example.org".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    std::fs::create_dir_all(dir.join("certs")).unwrap();
    std::fs::write(dir.join("certs").join(name), &cert).unwrap();
    (cert, key.serialize_pem())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn sample_web_side_loads_with_generated_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    let c = PoolConfig::load(&path).unwrap();
    let web = c.web.as_ref().expect("the sample declares the web side");
    assert_eq!(web.site.base_url, "https://pool.example.org");
    assert_eq!(web.site.server_name, "pool.example.org");
    assert_eq!(web.site.pool_email, "admin@pool.example.org");
    assert!(!web.site.closed);
    assert_eq!(web.site.admin_emails, ["you@example.org"]);
    assert_eq!(
        (
            web.site.sync_interval_secs,
            web.site.voting_node_timeout_secs
        ),
        (300, 10)
    );
    assert_eq!(web.site.limits.len(), 9);
    assert_eq!(web.site.limits[0], ("form_posts_per_minute".to_owned(), 20));
    assert_eq!(web.site.smtp, None);
    assert!(web.tls.is_none());
    assert_eq!(web.backup, BackupSettings::default());
    assert_eq!(c.web_hosts().len(), 1);
    assert_eq!(c.web_hosts()[0].name, "web1");
    assert!(c.web_hosts()[0].host_key.is_some());
    let db = c.database_host().expect("kind = mariadb");
    assert_eq!(
        (db.name.as_str(), db.address.as_str()),
        ("db1", "192.0.2.30")
    );
    assert!(db.host_key.is_some());
    let Database::Mariadb { password, .. } = &web.database else {
        panic!("{:?}", web.database)
    };
    // Both secrets generated next to pool.toml, private, and reused by the next load.
    for (name, value) in [
        ("web_api_secret", &web.api_secret),
        ("database_password", password),
    ] {
        let file = generated_secret_path(dir.path(), name);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap().trim(),
            value.expose()
        );
        assert_eq!(value.expose().len(), 64);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }
    assert_ne!(web.api_secret, *password);
    let again = PoolConfig::load(&path).unwrap();
    let again = again.web.unwrap();
    assert_eq!(again.api_secret, web.api_secret);
    assert!(matches!(&again.database, Database::Mariadb { password: p, .. } if p == password));
    let binary = c.binary(BinaryName::Exccstakepool);
    assert!(binary.source.ends_with("target/release/exccstakepool"));
}

#[test]
fn without_web_part_there_is_no_web_side() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = sample_with(dir.path(), |t| t[..t.find("# ─────").unwrap()].to_owned());
    let c = PoolConfig::load(&path).unwrap();
    assert!(c.web.is_none());
    assert_eq!(c.binaries.len(), 3);
    assert!(c.web_hosts().is_empty() && c.database_host().is_none());
    assert!(!dir.path().join(".poolctl/secrets").exists());
}

#[test]
fn wrong_web_host_key_is_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = sample_with(dir.path(), |t| {
        t.replace(WEB_HOST_KEY, "host_key = \"SHA256:not-a-key\"")
    });
    let why = one_problem(
        &path,
        "web_hosts[1].host_key",
        line_of(&text, "SHA256:not-a-key"),
    );
    assert!(why.contains("ssh-keygen -lf"), "{why}");
}

#[test]
fn tls_cert_needs_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path(), "site.pem");
    let (path, text) = sample_with(dir.path(), |t| {
        t.replace(
            "# tls_cert = \"certs/pool.example.org.fullchain.pem\"",
            "tls_cert = \"certs/site.pem\"",
        )
    });
    let why = one_problem(
        &path,
        "secrets.web_tls_key",
        line_of(&text, "tls_cert = \"certs/site.pem\""),
    );
    assert!(why.starts_with("missing"), "{why}");
    // A reference to a key file that is not there: one problem at the reference.
    let with_key = text.replace(
        "[secrets]\n",
        "[secrets]\nweb_tls_key = { file = \"secrets/site.key\" }\n",
    );
    std::fs::write(&path, &with_key).unwrap();
    let why = one_problem(
        &path,
        "secrets.web_tls_key",
        line_of(&with_key, "web_tls_key ="),
    );
    assert!(why.contains("no such file"), "{why}");
    // With the key (PEM, several lines) the site has the operator's certificate.
    private(&dir.path().join("secrets/site.key"), &key);
    let tls = PoolConfig::load(&path).unwrap().web.unwrap().tls.unwrap();
    assert_eq!(tls.cert_pem, cert);
    assert_eq!(tls.key.expose(), key);
}

#[test]
fn sqlite_with_two_web_hosts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = sample_with(dir.path(), |t| {
        t.replace("kind = \"mariadb\"", "kind = \"sqlite\"")
            .replace(DB_HOST, "")
            + "\n[[web_hosts]]\nname = \"web2\"\naddress = \"192.0.2.22\"\n"
    });
    let why = one_problem(&path, "database.kind", line_of(&text, "kind = \"sqlite\""));
    assert!(
        why.contains("2 web hosts cannot share it") && why.contains("\"mariadb\""),
        "{why}"
    );
    // One web host on sqlite is fine.
    let one = text.replace(
        "[[web_hosts]]\nname = \"web2\"\naddress = \"192.0.2.22\"\n",
        "",
    );
    std::fs::write(&path, one).unwrap();
    let c = PoolConfig::load(&path).unwrap();
    assert!(matches!(c.web.unwrap().database, Database::Sqlite));
    assert!(!generated_secret_path(dir.path(), "database_password").exists());
}

#[test]
fn external_database_needs_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _) = certificate(dir.path(), "db-ca.pem");
    let external = "kind = \"external\"\nurl = \"mysql://excc_pool@db.example.org:3306/excc_pool\"\nca = \"certs/db-ca.pem\"\n";
    let (path, text) = sample_with(dir.path(), |t| {
        t.replace("kind = \"mariadb\"\n", external)
            .replace(DB_HOST, "")
    });
    let why = one_problem(
        &path,
        "secrets.database_password",
        line_of(&text, "kind = \"external\""),
    );
    assert!(why.starts_with("missing"), "{why}");
    // No password is ever generated for a server poolctl does not run.
    assert!(!generated_secret_path(dir.path(), "database_password").exists());
    let with_password = text.replace(
        "[secrets]\n",
        "[secrets]\ndatabase_password = { file = \"secrets/db.password\" }\n",
    );
    std::fs::write(&path, &with_password).unwrap();
    private(&dir.path().join("secrets/db.password"), "db-pw\n");
    let c = PoolConfig::load(&path).unwrap();
    assert!(c.database_host().is_none());
    let Database::External {
        url,
        ca_pem,
        password,
    } = c.web.unwrap().database
    else {
        panic!("not external")
    };
    assert_eq!(url, "mysql://excc_pool@db.example.org:3306/excc_pool");
    assert_eq!(ca_pem, ca);
    assert_eq!(password.expose(), "db-pw");
    // A password in the URL is refused without being repeated.
    let leaked = with_password.replace("mysql://excc_pool@", "mysql://excc_pool:hunter2@");
    std::fs::write(&path, &leaked).unwrap();
    let why = one_problem(&path, "database.url", line_of(&leaked, "url = \"mysql"));
    assert!(
        why.contains("password") && !why.contains("hunter2"),
        "{why}"
    );
}

#[test]
fn unknown_key_under_web_is_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = sample_with(dir.path(), |t| {
        t.replace(
            "pool_email = \"admin@pool.example.org\"\n",
            "pool_email = \"admin@pool.example.org\"\ncolour = \"blue\"\n",
        )
    });
    let why = one_problem(&path, "web.colour", line_of(&text, "colour = "));
    assert!(why.starts_with("unknown key"), "{why}");
}

#[test]
fn every_web_problem_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = sample_with(dir.path(), |t| {
        t.replace("https://pool.example.org", "http://pool.example.org/x")
            .replace("admin@pool.example.org\"", "admin\"")
            .replace("max_connections = 4096", "max_connections = 0")
            .replace("request_timeout_secs = 30", "request_timeout_secs = 30\nreal_ip_header = \"X-Real-IP\"")
            .replace("every_hours = 24", "every_hours = 500")
            .replace("name = \"web1\"", "name = \"voting2\"  # clash")
            .replace(
                "# [web.smtp]\n# host = \"smtp.example.org\"",
                "[web.smtp]\nhost = \"smtp.example.org\"\nsecurity = \"ssl\"\nuser = \"pool\"\nfrom = \"pool@example.org\"",
            )
    });
    let err = PoolConfig::load(&path).unwrap_err();
    let expect = [
        (line_of(&text, "base_url = "), "web.base_url"),
        (line_of(&text, "pool_email = "), "web.pool_email"),
        (
            line_of(&text, "max_connections = 0"),
            "web.limits.max_connections",
        ),
        (
            line_of(&text, "real_ip_header = "),
            "web.limits.real_ip_header",
        ),
        (line_of(&text, "every_hours = 500"), "backup.every_hours"),
        (line_of(&text, "# clash"), "web_hosts[1].name"),
        (line_of(&text, "security = \"ssl\""), "web.smtp.security"),
        (line_of(&text, "user = \"pool\""), "secrets.smtp_password"),
    ];
    for (line, key) in expect {
        assert!(
            err.problems.iter().any(|p| p.line == line && p.key == key),
            "no problem for {key} at line {line} in:\n{err}"
        );
    }
    assert_eq!(err.problems.len(), expect.len(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("voting2 is already the name of a [[hosts]] entry"),
        "{text}"
    );
}

#[test]
fn web_and_web_hosts_go_together() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = sample_with(dir.path(), |t| {
        let start = t.find("\n[[web_hosts]]\n").unwrap();
        let end = t.find("# Secrets of the web side").unwrap();
        format!("{}{}", &t[..start], &t[end..])
    });
    let why = one_problem(&path, "web_hosts", line_of(&text, "[web]"));
    assert!(why.contains("at least one [[web_hosts]]"), "{why}");
    // Web secrets without a web side are leftovers.
    let base = text[..text.find("# ─────").unwrap()].replace(
        "[secrets]\n",
        "[secrets]\nsmtp_password = { file = \"secrets/smtp.password\" }\n",
    );
    std::fs::write(&path, &base).unwrap();
    let why = one_problem(
        &path,
        "secrets.smtp_password",
        line_of(&base, "smtp_password ="),
    );
    assert!(why.contains("no web side"), "{why}");
}

#[test]
fn smtp_with_user_and_password() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = sample_with(dir.path(), |t| {
        t.replace(
            "# [web.smtp]\n# host = \"smtp.example.org\"\n# security = \"starttls\"\n# port = 587\n# user = \"pool@example.org\"\n# from",
            "[web.smtp]\nhost = \"smtp.example.org\"\nsecurity = \"tls\"\nuser = \"pool@example.org\"\nfrom",
        )
        .replace(
            "[secrets]\n",
            "[secrets]\nsmtp_password = { file = \"secrets/smtp.password\" }\n",
        )
    });
    private(&dir.path().join("secrets/smtp.password"), "mail-pw\n");
    let smtp = PoolConfig::load(&path)
        .unwrap()
        .web
        .unwrap()
        .site
        .smtp
        .unwrap();
    assert_eq!(smtp.host, "smtp.example.org");
    assert_eq!((smtp.security.as_str(), smtp.port), ("tls", 465));
    assert_eq!(smtp.user.as_deref(), Some("pool@example.org"));
    assert_eq!(smtp.password.unwrap().expose(), "mail-pw");
    assert_eq!(smtp.from, "EXCC stake pool <pool@example.org>");
}

#[test]
fn secret_generation_failure_is_a_load_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_in(dir.path());
    // .poolctl is a file: nothing can be generated under it.
    std::fs::write(dir.path().join(".poolctl"), "").unwrap();
    let err = PoolConfig::load(&path).unwrap_err();
    let mut keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["secrets.database_password", "secrets.web_api_secret"],
        "{err}"
    );
    assert!(err.to_string().contains("cannot generate"), "{err}");
}
