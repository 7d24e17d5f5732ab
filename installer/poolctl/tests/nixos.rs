//! The NixOS modules of `nixos/`, evaluated with nix (Debian's `nix-bin`) against the vendored
//! nixpkgs `lib/` and the test-only NixOS options (`nixos/tests/`): every file parses, the
//! examples evaluate, wrong values fail naming their option, the units' [Service] settings
//! are those of `systemd/`, and `poolctl nixos render` of the sample pool yields the same
//! config files as `poolctl plan`'s renderer.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use poolctl::config::PoolConfig;
use poolctl::plan::{conf, render, web_conf};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn nix_instantiate() -> Command {
    let mut c = Command::new("nix-instantiate");
    // No daemon and no store writes: paths are hashed, not copied.
    c.arg("--readonly-mode")
        .env("NIX_REMOTE", "")
        .current_dir(repo().join("nixos"));
    c
}

/// Evaluates `attr` of nixos/tests/eval.nix with `modules` (a Nix list expression).
fn eval(modules: &str, attr: &str) -> Result<Value, String> {
    let out = nix_instantiate()
        .args([
            "--eval",
            "--strict",
            "--json",
            "tests/eval.nix",
            "--arg",
            "modules",
        ])
        .arg(modules)
        .args(["-A", attr])
        .output()
        .expect("nix-instantiate runs (apt-get install nix-bin)");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

const VOTING: &str = "./examples/voting-node.nix";
const WEB: &str = "./examples/web-host.nix";

#[test]
fn every_nix_file_parses() {
    let mut files = vec![repo().join("flake.nix")];
    let mut dirs = vec![repo().join("nixos")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.ends_with("vendor") {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "nix") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 12, "{files:?}");
    for f in files {
        let out = nix_instantiate().arg("--parse").arg(&f).output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn examples_evaluate_with_services_users_and_firewall() {
    let voting = eval(&format!("[ {VOTING} ./examples/hardware.nix ]"), "services").unwrap();
    for s in ["exccd", "exccwallet", "stakepoold"] {
        assert_eq!(voting[s]["serviceConfig"]["User"], s, "{voting}");
    }
    let users = eval(&format!("[ {VOTING} ]"), "users").unwrap();
    assert_eq!(users["users"]["stakepoold"]["isSystemUser"], true);
    assert!(users["groups"]["exccwallet"].is_object());
    let fw = eval(&format!("[ {VOTING} ]"), "firewall").unwrap();
    assert_eq!(fw["allowedTCPPorts"], serde_json::json!([9113]));

    let web = eval(&format!("[ {WEB} ./examples/hardware.nix ]"), "services").unwrap();
    assert_eq!(
        web["exccstakepool"]["serviceConfig"]["LimitNOFILE"],
        "65536"
    );
    let fw = eval(&format!("[ {WEB} ]"), "firewall").unwrap();
    assert_eq!(fw["allowedTCPPorts"], serde_json::json!([80, 443]));
    let nginx = eval(
        &format!("[ {WEB} ]"),
        "config.services.nginx.appendHttpConfig",
    )
    .unwrap();
    assert!(
        nginx
            .as_str()
            .unwrap()
            .contains("proxy_set_header X-Real-IP $remote_addr;")
    );
    // The unlock service exists only when asked for.
    let unlock = eval(
        &format!("[ {VOTING} {{ services.excc-pool.votingNode.unlockAtStart = true; }} ]"),
        "config.systemd.services.exccwallet-unlock.script",
    )
    .unwrap();
    assert!(unlock.as_str().unwrap().contains("walletpassphrase"));
}

#[test]
fn wrong_values_fail_naming_the_option() {
    for (module, option) in [
        (
            "{ services.exccd.rpc.port = 70000; }",
            "services.exccd.rpc.port",
        ),
        (
            "{ services.stakepoold.http.port = -1; }",
            "services.stakepoold.http.port",
        ),
        (
            "({ lib, ... }: { services.excc-pool.network = lib.mkForce \"bitcoin\"; })",
            "services.excc-pool.network",
        ),
        (
            "{ services.excc-pool.votingNode.secrets.walletSeedFile = \"secrets/wallet.seed\"; }",
            "services.excc-pool.votingNode.secrets.walletSeedFile",
        ),
        (
            "({ lib, ... }: { services.exccd.tls.keyFile = lib.mkForce \"/nix/store/x-rpc.key\"; })",
            "services.exccd.tls.keyFile",
        ),
        (
            "({ lib, ... }: { services.excc-pool.votingNode.pool.feePercent = lib.mkForce \"7.5\"; })",
            "services.excc-pool.votingNode.pool.feePercent",
        ),
        (
            "{ services.exccwallet.enableVoting = true; }",
            "services.exccwallet.enableVoting is true beside services.stakepoold",
        ),
        (
            "({ lib, ... }: { services.excc-pool.network = lib.mkForce \"simnet\"; })",
            "services.stakepoold.coldWalletXpub is not a simnet account xpub",
        ),
        (
            "{ services.exccd.settings = [ { key = \"rpcpass\"; value = \"x\"; } ]; }",
            "services.exccd.settings: rpcpass is written by the module",
        ),
    ] {
        let err = eval(&format!("[ {VOTING} {module} ]"), "services")
            .expect_err(&format!("{module} must not evaluate"));
        assert!(err.contains(option), "{module}: {err}");
    }
    // A missing secret path: the option has no default.
    let err = eval(
        "[ { services.excc-pool.network = \"simnet\"; networking.hostName = \"x\"; services.exccd = { enable = true; package = { type = \"derivation\"; outPath = \"/nix/store/x\"; name = \"x\"; }; tls.cert = \"/c\"; tls.keyFile = \"/k\"; }; } ]",
        "services",
    )
    .unwrap_err();
    assert!(
        err.contains("services.exccd.rpc.passwordFile") && err.contains("no value defined"),
        "{err}"
    );
}

/// `systemd/NAME.service`'s [Service] lines without Exec*, repeated keys as lists.
fn unit_service(name: &str) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(repo().join(format!("systemd/{name}.service"))).unwrap();
    let mut section = "";
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[') {
            section = s.trim_end_matches(']');
            continue;
        }
        let (k, v) = line.split_once('=').unwrap();
        if section == "Service" && !k.starts_with("Exec") {
            out.entry(k.to_owned()).or_default().push(v.to_owned());
        }
    }
    out
}

#[test]
fn service_settings_equal_the_systemd_units() {
    let voting = eval(&format!("[ {VOTING} ]"), "services").unwrap();
    let web = eval(&format!("[ {WEB} ]"), "services").unwrap();
    for (name, services) in [
        ("exccd", &voting),
        ("exccwallet", &voting),
        ("stakepoold", &voting),
        ("exccstakepool", &web),
    ] {
        let unit = unit_service(name);
        assert!(
            unit.contains_key("ProtectSystem") && unit.len() > 30,
            "{name}: {unit:?}"
        );
        let sc = services[name]["serviceConfig"].as_object().unwrap();
        let nix: BTreeMap<String, Vec<String>> = sc
            .iter()
            .filter(|(k, _)| !k.starts_with("Exec"))
            .map(|(k, v)| {
                let vals = match v {
                    Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                    v => vec![v.as_str().unwrap().to_owned()],
                };
                (k.clone(), vals)
            })
            .collect();
        assert_eq!(nix, unit, "{name}");
        // The programs run from the package, after the module's file installation (as root).
        let pre = sc["ExecStartPre"].as_array().unwrap();
        assert!(
            pre[0].as_str().unwrap().starts_with("+/nix/store/"),
            "{name}: {pre:?}"
        );
    }
}

fn private(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The sample pool.toml with its files made in `dir` (as poolctl's config tests do).
fn sample_in(dir: &Path) -> PathBuf {
    for f in [
        "downloads/exccd-linux-amd64-v2.7.6.tar.gz",
        "downloads/exccwallet-linux-amd64-v2.7.6.tar.gz",
        "target/release/stakepoold",
        "target/release/exccstakepool",
    ] {
        private(&dir.join(f), "x");
    }
    private(&dir.join("secrets/exccd-rpc.password"), "pw1\n");
    // A password with characters a shell or Nix would interpret.
    private(
        &dir.join("secrets/wallet-rpc.password"),
        "a'b\"c$d`e\\f ${g}\n",
    );
    private(&dir.join("secrets/wallet.passphrase"), "pass\n");
    private(
        &dir.join("secrets/wallet.seed"),
        &format!("{}\n", "ab".repeat(32)),
    );
    let sample = std::fs::read_to_string(repo().join("sample-configs/pool.toml")).unwrap();
    let sample = sample
        .replace(
            "{ env = \"EXCC_WALLET_RPC_PASSWORD\" }",
            "{ file = \"secrets/wallet-rpc.password\" }",
        )
        .replace(
            "[exccd.settings]\n",
            "[exccd.settings]\nlotteryseed = \"my pool\"\n",
        );
    let path = dir.join("pool.toml");
    std::fs::write(&path, sample).unwrap();
    path
}

/// Runs `poolctl nixos render` for `host`, then evaluates the rendered module with the secrets
/// directory pointed at the rendered secrets/, and runs each config file's script.
fn rendered_files(pool: &Path, out: &Path, host: &str) -> BTreeMap<String, String> {
    let status = Command::new(env!("CARGO_BIN_EXE_poolctl"))
        .args(["nixos", "render", "-f"])
        .arg(pool)
        .args(["--host", host, "--out"])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
    let secrets = out.join("secrets");
    for e in std::fs::read_dir(&secrets).unwrap() {
        let mode = e.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let modules = format!(
        "[ {}/excc-pool.nix ({{ lib, ... }}: {{ services.excc-pool.secretsDir = lib.mkForce \"{}\"; }}) ]",
        out.display(),
        secrets.display()
    );
    let scripts = eval(&modules, "scripts").unwrap_or_else(|e| panic!("{host}: {e}"));
    scripts
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, script)| {
            let run = Command::new("sh")
                .arg("-c")
                .arg(script.as_str().unwrap())
                .output()
                .unwrap();
            assert!(
                run.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&run.stderr)
            );
            (name.clone(), String::from_utf8(run.stdout).unwrap())
        })
        .collect()
}

#[test]
fn rendered_hosts_write_the_files_plan_renders() {
    let dir = tempfile::tempdir().unwrap();
    let pool = sample_in(dir.path());
    let config = PoolConfig::load(&pool).unwrap();
    let ports = render::ports(&config);

    for host in &config.hosts {
        let files = rendered_files(&pool, &dir.path().join(&host.name), &host.name);
        let mut exccd = conf::exccd(&config, host, &ports);
        conf::push_settings(&mut exccd, &config.exccd_settings);
        assert!(exccd.contains("lotteryseed=my pool"));
        assert_eq!(files["exccd"], exccd, "{}", host.name);
        assert_eq!(files["exccwallet"], conf::exccwallet(&config, host, &ports));
        assert_eq!(
            files["exccwallet-creating"],
            conf::exccwallet_creating(&config, host, &ports)
        );
        assert!(files["exccwallet"].contains("password=a'b\"c$d`e\\f ${g}\n"));
        assert_eq!(files["stakepoold"], conf::stakepoold(&config, host, &ports));
    }

    let web = config.web.as_ref().unwrap();
    let host = &web.hosts[0];
    let files = rendered_files(&pool, &dir.path().join(&host.name), &host.name);
    assert_eq!(
        files["exccstakepool"],
        web_conf::exccstakepool_toml(&config, web, host, &ports)
    );
    // Certificates are beside the module, keys only among the secrets.
    let out = dir.path().join(&host.name);
    assert!(
        std::fs::read_to_string(out.join("certs/web.cert"))
            .unwrap()
            .contains("CERTIFICATE")
    );
    assert!(
        std::fs::read_to_string(out.join("secrets/web.key"))
            .unwrap()
            .contains("PRIVATE KEY")
    );
}
