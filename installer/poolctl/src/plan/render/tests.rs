//! The web side rendered from the sample pool.toml: what each role's host gets.

use std::sync::Arc;

use crate::ca::PoolCa;
use crate::config::{BinaryName, PoolConfig};
use crate::plan::binaries::PreparedBinary;
use crate::plan::resource::{HealthCheck, Role, Secrecy, Service};

use super::{render_all, render_web_side};

fn programs() -> Vec<PreparedBinary> {
    [
        BinaryName::Exccd,
        BinaryName::Exccwallet,
        BinaryName::Stakepoold,
        BinaryName::Exccstakepool,
    ]
    .into_iter()
    .map(|name| PreparedBinary {
        name,
        version: "1".into(),
        simulator: false,
        sha256: format!("{:064x}", name as u8),
        bytes: Arc::new(vec![name as u8]),
    })
    .collect()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn the_sample_renders_a_database_host_and_a_web_host() {
    let dir = tempfile::tempdir().unwrap();
    let config = PoolConfig::load(&crate::config::tests::sample_in(dir.path())).unwrap();
    let ca = PoolCa::open_or_create(&config.state_dir()).unwrap();
    let bins = programs();

    // Voting hosts get the three voting programs only.
    for v in render_all(&config, &bins, &ca).unwrap() {
        let names: Vec<BinaryName> = v.binaries.iter().map(|b| b.name).collect();
        assert_eq!(names, BinaryName::VOTING.to_vec());
    }

    let web_side = render_web_side(&config, &bins, &ca).unwrap();
    let roles: Vec<(Role, &str)> = web_side
        .iter()
        .map(|d| (d.role, d.host.name.as_str()))
        .collect();
    assert_eq!(roles, [(Role::Database, "db1"), (Role::Web, "web1")]);

    let db = &web_side[0];
    assert_eq!(
        db.services,
        [Service::Mariadb, Service::DbSetup, Service::BackupTimer]
    );
    assert_eq!(db.health, HealthCheck::Database);
    let setup = db.file("/etc/mysql/excc-pool/setup.sh").unwrap();
    assert_eq!(
        setup.secrecy,
        Secrecy::Whole,
        "it holds the database password"
    );
    assert_eq!(setup.mode, 0o700);
    assert!(text(&setup.content).contains("'excc_pool'@'192.0.2.21'"));
    let cnf = text(
        &db.file("/etc/mysql/mariadb.conf.d/90-excc-pool.cnf")
            .unwrap()
            .content,
    );
    assert!(cnf.contains("require_secure_transport = ON"), "{cnf}");

    let web = &web_side[1];
    assert_eq!(web.packages, ["nginx"]);
    assert_eq!(web.services, [Service::Exccstakepool, Service::Nginx]);
    let conf = text(
        &web.file("/etc/exccstakepool/exccstakepool.toml")
            .unwrap()
            .content,
    );
    // Voting nodes from [[hosts]], the database over verified TLS, the proxy's header.
    for want in [
        "grpc = \"192.0.2.11:19560\"",
        "grpc = \"192.0.2.12:19560\"",
        "url = \"mysql://excc_pool@192.0.2.30:3306/excc_pool?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/exccstakepool/db-ca.cert\"",
        "password_file = \"/etc/exccstakepool/database.password\"",
        "real_ip_header = \"X-Real-IP\"",
        "base_url = \"https://pool.example.org\"",
    ] {
        assert!(conf.contains(want), "{want} missing from:\n{conf}");
    }
    let nginx = text(
        &web.file("/etc/nginx/conf.d/excc-pool.conf")
            .unwrap()
            .content,
    );
    for want in [
        "return 301 https://pool.example.org$request_uri;",
        "server_name pool.example.org;",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "client_max_body_size 64k;",
    ] {
        assert!(nginx.contains(want), "{want} missing from:\n{nginx}");
    }
    let key = web.file("/etc/nginx/excc-pool/tls.key").unwrap();
    assert_eq!((key.mode, key.secrecy), (0o600, Secrecy::Whole));
    // Without the operator's certificate, the pool CA issued one for the site.
    assert!(
        config
            .state_dir()
            .join("ca/hosts/web1/web-https.cert")
            .exists()
    );
    assert!(web.file("/etc/exccstakepool/web.key").unwrap().secrecy == Secrecy::Whole);
}

#[test]
fn the_operators_certificate_replaces_the_pool_cas() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = PoolConfig::load(&crate::config::tests::sample_in(dir.path())).unwrap();
    let ca = PoolCa::open_or_create(&config.state_dir()).unwrap();
    let web = config.web.as_mut().unwrap();
    web.tls = Some(crate::config::WebTls {
        cert_pem: "-----BEGIN CERTIFICATE-----\noperator\n-----END CERTIFICATE-----\n".into(),
        key: crate::config::Secret::new("operator key"),
    });
    let web_side = render_web_side(&config, &programs(), &ca).unwrap();
    let host = web_side.iter().find(|d| d.role == Role::Web).unwrap();
    let cert = text(&host.file("/etc/nginx/excc-pool/tls.cert").unwrap().content);
    assert!(cert.contains("operator"), "{cert}");
    let key = host.file("/etc/nginx/excc-pool/tls.key").unwrap();
    assert_eq!(text(&key.content), "operator key");
    // No pool-CA certificate was issued for the site.
    assert!(
        !config
            .state_dir()
            .join("ca/hosts/web1/web-https.cert")
            .exists()
    );
}
