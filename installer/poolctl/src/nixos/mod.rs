//! `poolctl nixos render`: one host of pool.toml as NixOS configuration for the modules in
//! `nixos/modules/` (voting hosts: `services.excc-pool.votingNode`; web hosts:
//! `services.excc-pool.webHost` + `services.exccstakepool`), with the same settings,
//! certificates and secrets `apply` installs on a Debian host. The modules write the same
//! exccd.conf, exccwallet.conf and stakepoold.toml as [`crate::plan::conf`]
//! (`tests/nixos.rs` evaluates them with nix and compares).
//!
//! Output directory: `excc-pool.nix` (the host's module), `configuration.nix` (imports the
//! pool's modules, it and `hardware-configuration.nix`), `certs/` (public, copied into the
//! Nix store) and `secrets/` (0700, files 0600: copy them to [`SECRETS_DIR`] on the host;
//! they never enter the Nix store).

mod nix;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::ca::{CaError, PoolCa, host_sans};
use crate::config::{BinaryName, Database, HostEntry, PoolConfig, WebSide};
use crate::plan::render::ports;
use crate::plan::web_conf;

/// Where the rendered configurations expect the secret files on the host
/// (`services.excc-pool.secretsDir`).
pub const SECRETS_DIR: &str = "/var/lib/excc-pool/secrets";
/// The config files' header says they were written by this.
pub const GENERATED_BY: &str = "poolctl from pool.toml";

/// A host's rendered configuration: files relative to the output directory.
#[derive(Debug)]
pub struct Rendered {
    pub host: String,
    pub files: Vec<OutFile>,
}

#[derive(Debug)]
pub struct OutFile {
    pub path: PathBuf,
    pub content: Vec<u8>,
    /// Written 0600 under `secrets/`.
    pub secret: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum NixosError {
    #[error("--host {name}: no [[hosts]] or [[web_hosts]] entry has that name (known: {known})")]
    UnknownHost { name: String, known: String },
    #[error(
        "--host {0}: the database host is not rendered for NixOS (voting and web hosts are); use kind = \"external\" with a database you run on NixOS"
    )]
    DatabaseHost(String),
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Renders host `name` of `config`.
pub fn render(config: &PoolConfig, ca: &PoolCa, name: &str) -> Result<Rendered, NixosError> {
    if let Some(host) = config.hosts.iter().find(|h| h.name == name) {
        return voting(config, ca, host);
    }
    if let Some(web) = &config.web
        && let Some(host) = web.hosts.iter().find(|h| h.name == name)
    {
        return web_host(config, web, ca, host);
    }
    if config.database_host().is_some_and(|h| h.name == name) {
        return Err(NixosError::DatabaseHost(name.to_owned()));
    }
    let known: Vec<&str> = config
        .hosts
        .iter()
        .chain(config.web_hosts())
        .map(|h| h.name.as_str())
        .collect();
    Err(NixosError::UnknownHost {
        name: name.to_owned(),
        known: known.join(", "),
    })
}

/// Writes `rendered` into `out` (created; secrets 0700/0600).
pub fn write(rendered: &Rendered, out: &Path) -> Result<(), NixosError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| NixosError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    for f in &rendered.files {
        let path = out.join(&f.path);
        let parent = path.parent().unwrap_or(out);
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true)
            .mode(if f.secret { 0o700 } else { 0o755 });
        dirs.create(parent).map_err(io(parent))?;
        if f.secret {
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700))
                .map_err(io(parent))?;
        }
        let tmp = parent.join(format!(
            ".{}.tmp",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if f.secret { 0o600 } else { 0o644 })
            .open(&tmp)
            .map_err(io(&tmp))?;
        std::io::Write::write_all(&mut file, &f.content).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
    }
    Ok(())
}

struct Out(Vec<OutFile>);

impl Out {
    /// A public file in `certs/`; returns the Nix path expression naming it.
    fn cert(&mut self, name: &str, content: &str) -> String {
        self.0.push(OutFile {
            path: Path::new("certs").join(name),
            content: content.as_bytes().to_vec(),
            secret: false,
        });
        format!("./certs/{name}")
    }

    /// A secret file in `secrets/`; returns the Nix expression of its path on the host.
    fn secret(&mut self, name: &str, content: &str) -> String {
        self.0.push(OutFile {
            path: Path::new("secrets").join(name),
            content: content.as_bytes().to_vec(),
            secret: true,
        });
        format!("secret {}", nix::str(name))
    }
}

fn head(host: &HostEntry, network: &str, role: &str) -> String {
    format!(
        "# {name}'s NixOS configuration in the EXCC pool ({role}), written by `poolctl nixos render`
# from pool.toml; local edits are overwritten. Import it beside the pool's modules (the flake's
# nixosModules.default, or nixos/modules): configuration.nix does. The files of secrets/ go to
# {SECRETS_DIR}/ on the host (root, directory 0700, files 0600); they never enter the Nix store.
{{ config, ... }}:
let
  secret = name: \"${{config.services.excc-pool.secretsDir}}/${{name}}\";
in
{{
  networking.hostName = {n};
  services.excc-pool = {{
    network = {net};
    hostName = {n};
    generatedBy = {by};
  }};
",
        name = host.name,
        n = nix::str(&host.name),
        net = nix::str(network),
        by = nix::str(GENERATED_BY),
    )
}

fn configuration_nix(host: &str) -> String {
    format!(
        "# {host}: the pool's modules, the host's pool settings (excc-pool.nix, from pool.toml) and its
# hardware (write hardware-configuration.nix with `nixos-generate-config` on the machine).
# <excc-pool> is a checkout of the pool's repository (NIX_PATH=excc-pool=/path/to/it); with
# flakes use its nixosModules.default instead.
{{ ... }}:
{{
  imports = [
    <excc-pool/nixos/modules>
    ./excc-pool.nix
    ./hardware-configuration.nix
  ];
  services.openssh.enable = true;
  system.stateVersion = \"25.05\";
}}
"
    )
}

fn voting(config: &PoolConfig, ca: &PoolCa, host: &HostEntry) -> Result<Rendered, NixosError> {
    let p = ports(config);
    let sans = host_sans(&host.name, &host.address);
    let node = ca.server_cert(&host.name, "exccd-rpc", &sans)?;
    let wallet = ca.server_cert(&host.name, "exccwallet-rpc", &sans)?;
    let grpc = ca.server_cert(&host.name, "stakepoold-grpc", &sans)?;
    let s = &config.secrets;
    let simulator = config.binary(BinaryName::Exccd).simulator;
    let leader = &config.hosts[0];
    let mut out = Out(Vec::new());
    let mut t = head(host, config.network.name(), "voting node");
    let pool = &config.pool;
    let _ = write!(
        t,
        "  services.excc-pool.votingNode = {{
    enable = true;
    simulator = {simulator};
    pool = {{
      feePercent = {fee};
      coldWalletXpub = {cold};
      feeAddressCount = {fc};
      votingAddressCount = {vc};
    }};
    secrets = {{
      exccdRpcPasswordFile = {s1};
      walletRpcPasswordFile = {s2};
      walletPassphraseFile = {s3};
      walletSeedFile = {s4};
    }};
    certificates = {{
      poolCa = {ca_cert};
      clientCrl = {crl};
      exccdRpc = {{ cert = {nc}; keyFile = {nk}; }};
      walletRpc = {{ cert = {wc}; keyFile = {wk}; }};
      grpc = {{ cert = {gc}; keyFile = {gk}; }};
    }};
",
        fee = nix::str(&pool.fee_percent.to_string()),
        cold = nix::str(&pool.cold_wallet_xpub),
        fc = pool.fee_address_count,
        vc = pool.voting_address_count,
        s1 = out.secret("exccd-rpc.password", s.exccd_rpc_password.expose()),
        s2 = out.secret(
            "exccwallet-rpc.password",
            s.exccwallet_rpc_password.expose()
        ),
        s3 = out.secret("wallet.passphrase", s.wallet_passphrase.expose()),
        s4 = out.secret("wallet.seed", s.wallet_seed.expose()),
        ca_cert = out.cert("pool-ca.cert", ca.cert_pem()),
        crl = out.cert("clients.crl", &ca.crl_pem()?),
        nc = out.cert("exccd-rpc.cert", &node.cert_pem),
        nk = out.secret("exccd-rpc.key", &node.key_pem),
        wc = out.cert("exccwallet-rpc.cert", &wallet.cert_pem),
        wk = out.secret("exccwallet-rpc.key", &wallet.key_pem),
        gc = out.cert("stakepoold-grpc.cert", &grpc.cert_pem),
        gk = out.secret("stakepoold-grpc.key", &grpc.key_pem),
    );
    if simulator && leader.name != host.name {
        let leader_cert = ca.server_cert(
            &leader.name,
            "exccd-rpc",
            &host_sans(&leader.name, &leader.address),
        )?;
        let _ = writeln!(
            t,
            "    follow = {{ name = {}; address = {}; port = {}; cert = {}; }};",
            nix::str(&leader.name),
            nix::str(&leader.address),
            p.node_rpc,
            out.cert("leader-exccd-rpc.cert", &leader_cert.cert_pem),
        );
    }
    let _ = write!(
        t,
        "    exccdSettings = {};\n    exccwalletSettings = {};\n  }};\n}}\n",
        nix::settings(&config.exccd_settings),
        nix::settings(&config.exccwallet_settings),
    );
    Ok(finish(host, t, out))
}

fn finish(host: &HostEntry, module: String, mut out: Out) -> Rendered {
    out.0.insert(
        0,
        OutFile {
            path: "excc-pool.nix".into(),
            content: module.into_bytes(),
            secret: false,
        },
    );
    out.0.insert(
        1,
        OutFile {
            path: "configuration.nix".into(),
            content: configuration_nix(&host.name).into_bytes(),
            secret: false,
        },
    );
    Rendered {
        host: host.name.clone(),
        files: out.0,
    }
}

/// `form_posts_per_minute` → `formPostsPerMinute`.
fn camel(key: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn web_host(
    config: &PoolConfig,
    web: &WebSide,
    ca: &PoolCa,
    host: &HostEntry,
) -> Result<Rendered, NixosError> {
    let p = ports(config);
    let site = &web.site;
    let mut out = Out(Vec::new());
    let mut t = head(host, config.network.name(), "web host");
    let (site_cert, site_key) = match &web.tls {
        Some(tls) => (tls.cert_pem.clone(), tls.key.expose().to_owned()),
        None => {
            let mut sans = vec![site.server_name.clone()];
            sans.extend(host_sans(&host.name, &host.address));
            sans.dedup();
            let issued = ca.server_cert(&host.name, "web-https", &sans)?;
            (issued.cert_pem, issued.key_pem)
        }
    };
    let _ = write!(
        t,
        "  services.excc-pool.webHost = {{
    enable = true;
    serverName = {server};
    tls = {{ cert = {c}; keyFile = {k}; }};
  }};
",
        server = nix::str(&site.server_name),
        c = out.cert("site.cert", &site_cert),
        k = out.secret("site.key", &site_key),
    );
    let (password, db_ca) = match &web.database {
        Database::Sqlite => (None, None),
        Database::Mariadb { password, .. } => (Some(password), Some(ca.cert_pem().to_owned())),
        Database::External {
            password, ca_pem, ..
        } => (Some(password), Some(ca_pem.clone())),
    };
    let password = match password {
        Some(pw) => out.secret("database.password", pw.expose()),
        None => "null".to_owned(),
    };
    let db_ca = match db_ca {
        Some(pem) => out.cert("db-ca.cert", &pem),
        None => "null".to_owned(),
    };
    let client = ca.client_cert("web")?;
    let admins: Vec<String> = site.admin_emails.iter().map(|a| nix::str(a)).collect();
    let pool = &config.pool;
    let _ = write!(
        t,
        "  services.exccstakepool = {{
    baseUrl = {base};
    poolEmail = {email};
    closed = {closed};
    adminEmails = [ {admins} ];
    syncIntervalSecs = {sync};
    votingNodeTimeoutSecs = {vnt};
    apiSecretFile = {api};
    database = {{ url = {url}; passwordFile = {password}; caCert = {db_ca}; }};
    pool = {{
      feePercent = {fee};
      coldWalletXpub = {cold};
      votingWalletXpub = {voting};
      maxUsers = {max};
    }};
    tls = {{ ca = {ca_cert}; clientCert = {cc}; clientKeyFile = {ck}; }};
    votingNodes = [
",
        base = nix::str(&site.base_url),
        email = nix::str(&site.pool_email),
        closed = site.closed,
        admins = admins.join(" "),
        sync = site.sync_interval_secs,
        vnt = site.voting_node_timeout_secs,
        api = out.secret("web-api.secret", web.api_secret.expose()),
        url = nix::str(&web_conf::database_url(web)),
        fee = nix::str(&pool.fee_text),
        cold = nix::str(&pool.cold_wallet_xpub),
        voting = nix::str(&pool.voting_wallet_xpub),
        max = pool.voting_address_count.min(pool.fee_address_count),
        ca_cert = out.cert("pool-ca.cert", ca.cert_pem()),
        cc = out.cert("web.cert", &client.cert_pem),
        ck = out.secret("web.key", &client.key_pem),
    );
    for v in &config.hosts {
        let _ = writeln!(
            t,
            "      {{ name = {}; address = {}; port = {}; }}",
            nix::str(&v.name),
            nix::str(&v.address),
            p.grpc
        );
    }
    t.push_str("    ];\n    limits = {\n");
    for (k, v) in &site.limits {
        let _ = writeln!(t, "      {} = {v};", camel(k));
    }
    t.push_str("    };\n");
    match &site.smtp {
        None => t.push_str("    smtp = null;\n"),
        Some(smtp) => {
            let (user, pw) = match (&smtp.user, &smtp.password) {
                (Some(u), Some(pw)) => (nix::str(u), out.secret("smtp.password", pw.expose())),
                _ => ("null".to_owned(), "null".to_owned()),
            };
            let _ = writeln!(
                t,
                "    smtp = {{ host = {}; security = {}; port = {}; from = {}; user = {user}; passwordFile = {pw}; }};",
                nix::str(&smtp.host),
                nix::str(&smtp.security),
                smtp.port,
                nix::str(&smtp.from),
            );
        }
    }
    t.push_str("  };\n}\n");
    Ok(finish(host, t, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_keys_become_option_names() {
        assert_eq!(camel("form_posts_per_minute"), "formPostsPerMinute");
        assert_eq!(camel("max_connections"), "maxConnections");
    }

    #[test]
    fn secrets_and_certificates_are_apart() {
        let dir = tempfile::tempdir().unwrap();
        let config = PoolConfig::load(&crate::config::tests::sample_in(dir.path())).unwrap();
        let ca = PoolCa::open_or_create(&config.state_dir()).unwrap();
        let r = render(&config, &ca, "voting2").unwrap();
        for f in &r.files {
            let text = String::from_utf8_lossy(&f.content);
            assert_eq!(
                f.secret,
                f.path.starts_with("secrets"),
                "{}",
                f.path.display()
            );
            if !f.secret {
                assert!(!text.contains("PRIVATE KEY"), "{}", f.path.display());
            }
        }
        let err = render(&config, &ca, "db1").unwrap_err().to_string();
        assert!(err.contains("database host"), "{err}");
        let err = render(&config, &ca, "nope").unwrap_err().to_string();
        assert!(err.contains("voting1, voting2, web1"), "{err}");
    }
}
