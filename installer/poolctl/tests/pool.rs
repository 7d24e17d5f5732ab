//! `poolctl plan`/`apply`/`status` against three real lab hosts (systemd-nspawn containers
//! with sshd and systemd), driven through the `poolctl` binary like an operator would:
//!
//! * `lab up --hosts 3` ends with a working pool: apply from scratch reaches healthy
//!   stakepoold on all three; `plan` right after exits 0; `status` says healthy.
//! * A wallet restarted behind poolctl's back is locked: status says so, plan wants only the
//!   unlock, apply unlocks it.
//! * Editing pool.toml (the pool fee, then a program version) gives exactly the expected plan
//!   (diffs, restarts) and apply converges (plan exits 0 again).
//! * Killing apply mid-upload (its SSH connections die) and re-running converges; the
//!   previous program version and replaced files stay on the host for a rollback.
//! * A wrong host key, a missing secret file, a binary with the wrong sha256 and an
//!   unreachable host each fail with a one-line reason before any host is changed.
//! * `--accept-new-host-keys` pins an unknown key into pool.toml, keeping comments.
//! * The pool CA's certificates: stakepoold's gRPC proves the host's name and address to
//!   the web service's client certificate and refuses a client without one.
//!
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.
//! Builds `excc-simnet` and `stakepoold` next to poolctl first (cargo, same profile).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use poolctl::lab::is_root;

mod common;
use common::{
    DIR, expect, healthy_on, lab_pool, poolctl, set_in_table, sha256_file, ssh_run,
    stakepoold_copy, stakepoold_path, text,
};

/// Runs `script` on `host`; true on exit status 0.
fn ssh_ok(state: &poolctl::lab::LabState, host: &str, script: &str) -> bool {
    ssh_run(state, host, script).0
}

/// The change lines (not diff lines) of one host's block in a plan.
fn host_changes(plan: &str, host: &str) -> Vec<String> {
    let mut lines = plan
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{host} ")));
    let _header = lines.next();
    lines
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("      "))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// The `-`/`+` lines of the diffs in one host's block (headers excluded).
fn host_diff(plan: &str, host: &str) -> Vec<String> {
    let mut lines = plan
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{host} ")));
    let _header = lines.next();
    lines
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.strip_prefix("      "))
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .map(str::to_owned)
        .collect()
}

/// Speaks TLS to stakepoold's gRPC port at `addr` as the web service would: the server's
/// certificate must chain to the pool CA and name `name`; `client` is the client certificate
/// and key (PEM). Sends the HTTP/2 preface and returns once the server answers, so a
/// refused client certificate (reported after the TLS 1.3 handshake) is an error too.
async fn grpc_mutual_tls(
    addr: &str,
    name: &str,
    ca_pem: &[u8],
    client: Option<(&[u8], &[u8])>,
) -> Result<(), String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut cfg = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert).unwrap()],
                PrivateKeyDer::from_pem_slice(key).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let server = ServerName::try_from(name.to_owned()).unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(server, tcp)
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await;
    match read {
        Ok(Ok(n)) if n > 0 => Ok(()),
        Ok(Ok(_)) => Err("closed".to_owned()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer".to_owned()),
    }
}

/// The pool CA's certificates work as the web service needs them: stakepoold on voting1
/// proves its name and address, and serves only clients the CA certified.
fn check_pool_ca() {
    let ca = std::fs::read(format!("{DIR}/pool/.poolctl/ca/ca.cert")).unwrap();
    let cert = std::fs::read(format!("{DIR}/pool/.poolctl/ca/clients/web.cert")).unwrap();
    let key = std::fs::read(format!("{DIR}/pool/.poolctl/ca/clients/web.key")).unwrap();
    let web = Some((cert.as_slice(), key.as_slice()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr = "10.231.0.11:19560";
    for name in ["voting1", "10.231.0.11"] {
        rt.block_on(grpc_mutual_tls(addr, name, &ca, web))
            .unwrap_or_else(|e| panic!("web client to voting1 as {name}: {e}"));
    }
    let wrong_name = rt.block_on(grpc_mutual_tls(addr, "voting2", &ca, web));
    assert!(
        wrong_name.is_err(),
        "voting1's certificate must not name voting2"
    );
    let anonymous = rt.block_on(grpc_mutual_tls(addr, "voting1", &ca, None));
    assert!(
        anonymous.is_err(),
        "stakepoold served a client without a certificate"
    );
}

/// `poolctl ca revoke --client web`: the next plan uploads the revocation list and restarts
/// stakepoold everywhere, and names the new web certificate; after apply stakepoold refuses
/// the revoked certificate and serves the new one.
fn revoke_web_certificate(pool: &str, hosts: &[&str]) {
    let read = |f: &str| std::fs::read(format!("{DIR}/pool/.poolctl/ca/{f}")).unwrap();
    let (ca, old_cert, old_key) = (
        read("ca.cert"),
        read("clients/web.cert"),
        read("clients/web.key"),
    );
    expect(0, &["ca", "revoke", "-f", pool, "--client", "web"]);
    let plan = expect(2, &["plan", "-f", pool]);
    for h in hosts {
        assert_eq!(
            host_changes(&plan, h),
            [
                "~ file /etc/stakepoold/client.crl (stakepoold:stakepoold 0644)",
                "* restart stakepoold (its program, config or unit changed)",
            ],
            "{plan}"
        );
    }
    assert!(
        plan.contains("note: issued a gRPC client certificate for the web service (new)"),
        "{plan}"
    );
    expect(0, &["apply", "-f", pool]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let old = Some((old_cert.as_slice(), old_key.as_slice()));
    let refused = rt.block_on(grpc_mutual_tls("10.231.0.11:19560", "voting1", &ca, old));
    assert!(
        refused.is_err(),
        "stakepoold served a revoked web certificate"
    );
    check_pool_ca();
    assert!(expect(0, &["plan", "-f", pool]).contains("Plan: 0 of 3"));
}

#[test]
fn pool_on_three_lab_hosts() {
    if !is_root() {
        eprintln!(
            "SKIPPED pool_on_three_lab_hosts: not root; the lab needs root (CI runs it as root)"
        );
        return;
    }
    let hosts = ["voting1", "voting2", "voting3"];
    // From scratch: lab up boots three hosts and applies the generated pool.
    let (_turn, _guard, state, pool) = lab_pool(3);
    let plan = expect(0, &["plan", "-f", &pool]);
    assert!(plan.contains("Plan: 0 of 3 hosts to change."), "{plan}");
    let status = expect(0, &["status", "-f", &pool, "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    for (i, h) in hosts.iter().enumerate() {
        let s = &status[i];
        assert_eq!(s["host"], *h);
        assert_eq!(s["health"]["healthy"], true, "{s}");
        assert_eq!(s["health"]["wallet_unlocked"], true, "{s}");
        assert_eq!(s["versions"]["stakepoold"], "dev", "{s}");
        assert_eq!(s["services"]["exccd"], "active", "{s}");
    }
    check_pool_ca();
    // Once the wallets exist, neither the seed nor the private passphrase stays on a host
    // (nor a previous copy of them); the plan above was already empty.
    for h in hosts {
        assert!(
            ssh_ok(
                &state,
                h,
                "test -f /var/lib/exccwallet/simnet/wallet.json && ! test -e /etc/exccwallet/seed \
                 && ! grep -rqs '^privpass=' /etc/exccwallet /var/lib/excc-pool/previous \
                 && ! ls /var/lib/excc-pool/previous | grep -q seed"
            ),
            "{h} keeps the wallet seed or privpass"
        );
    }
    revoke_web_certificate(&pool, &hosts);
    // Secrets reached the hosts as 0600 files of the service user; plan never shows them.
    assert!(ssh_ok(
        &state,
        "voting2",
        "test \"$(stat -c '%a %U' /etc/stakepoold/exccwallet.password)\" = '600 stakepoold'"
    ));

    // A wallet restarted behind poolctl's back comes up locked: status says so, plan wants
    // only the unlock, apply does it and waits for health.
    assert!(ssh_ok(
        &state,
        "voting3",
        "systemctl restart exccwallet.service"
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    let locked = loop {
        let out = poolctl(&["status", "-f", &pool]);
        let lines = text(&out.stdout);
        let v3 = lines
            .lines()
            .find(|l| l.starts_with("voting3"))
            .unwrap_or("")
            .to_owned();
        if v3.contains("wallet LOCKED") || Instant::now() > deadline {
            assert_eq!(out.status.code(), Some(1), "{lines}");
            break v3;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        locked.contains("wallet LOCKED") && locked.contains("UNHEALTHY"),
        "{locked}"
    );
    let plan = expect(2, &["plan", "-f", &pool]);
    assert_eq!(
        host_changes(&plan, "voting3"),
        ["* unlock the voting wallet (walletpassphrase)"],
        "{plan}"
    );
    assert!(plan.contains("Plan: 1 of 3 hosts to change."), "{plan}");
    expect(0, &["apply", "-f", &pool]);
    expect(0, &["status", "-f", &pool]);

    // An exccd setting: exccd.conf changes, exccd restarts (and with it, by the units'
    // Requires=, the wallet, which must then be unlocked again).
    let good = std::fs::read_to_string(&pool).unwrap();
    let debug = good.replace(
        "lotteryseed = \"excc-lab\"\n",
        "lotteryseed = \"excc-lab\"\ndebuglevel = \"debug\"\n",
    );
    assert_ne!(debug, good);
    std::fs::write(&pool, &debug).unwrap();
    let plan = expect(2, &["plan", "-f", &pool]);
    for h in hosts {
        assert_eq!(
            host_changes(&plan, h),
            [
                "~ file /etc/exccd/exccd.conf (exccd:exccd 0600)",
                "* restart exccd (its program, config or unit changed; exccwallet and stakepoold restart with it)",
                "* unlock the voting wallet (walletpassphrase)",
            ],
            "{plan}"
        );
        assert_eq!(host_diff(&plan, h), ["+debuglevel=debug"], "{plan}");
    }
    expect(0, &["apply", "-f", &pool]);
    std::fs::write(&pool, &good).unwrap();
    expect(0, &["apply", "-f", &pool]);

    // Edit the pool fee: exactly the wallet and stakepoold configs change.
    let fee5 = set_in_table(&good, "pool", "fee_percent", "5");
    std::fs::write(&pool, &fee5).unwrap();
    let plan = expect(2, &["plan", "-f", &pool]);
    for h in hosts {
        assert_eq!(
            host_changes(&plan, h),
            [
                "~ file /etc/exccwallet/exccwallet.conf (exccwallet:exccwallet 0600)",
                "~ file /etc/stakepoold/stakepoold.toml (stakepoold:stakepoold 0600)",
                "* restart exccwallet (its program, config or unit changed; stakepoold restarts with it)",
                "* restart stakepoold (its program, config or unit changed)",
                "* unlock the voting wallet (walletpassphrase)",
            ],
            "{plan}"
        );
        assert_eq!(
            host_diff(&plan, h),
            [
                "-poolfees=7.50",
                "+poolfees=5.00",
                "-pool_fees = 7.50",
                "+pool_fees = 5.00"
            ],
            "{plan}"
        );
    }
    let secret = std::fs::read_to_string(format!("{DIR}/pool/secrets/wallet.passphrase")).unwrap();
    assert!(
        !plan.contains(secret.trim()),
        "a secret leaked into the plan"
    );
    expect(0, &["apply", "-f", &pool]);
    assert!(expect(0, &["plan", "-f", &pool]).contains("Plan: 0 of 3"));

    // A new stakepoold version: one binary, its wrapper, one restart per host.
    let current = stakepoold_path(&good);
    let v2 = stakepoold_copy(&current, "v2");
    let (old_sha, new_sha) = (
        sha256_file(Path::new(&current)),
        sha256_file(Path::new(&v2)),
    );
    let mut edited = set_in_table(&fee5, "binaries.stakepoold", "version", "\"v2\"");
    edited = set_in_table(&edited, "binaries.stakepoold", "path", &format!("\"{v2}\""));
    edited = set_in_table(
        &edited,
        "binaries.stakepoold",
        "sha256",
        &format!("\"{new_sha}\""),
    );
    std::fs::write(&pool, &edited).unwrap();
    let plan = expect(2, &["plan", "-f", &pool]);
    for h in hosts {
        let changes = host_changes(&plan, h);
        assert_eq!(changes.len(), 3, "{plan}");
        assert!(
            changes[0].starts_with(&format!(
                "+ binary stakepoold dev → v2 (sha256 {}…",
                &new_sha[..16]
            )),
            "{plan}"
        );
        assert_eq!(
            changes[1],
            "~ file /usr/local/bin/stakepoold (root:root 0755)"
        );
        assert_eq!(
            changes[2],
            "* restart stakepoold (its program, config or unit changed)"
        );
        let diff = host_diff(&plan, h);
        assert_eq!(diff.len(), 4, "{plan}");
        assert!(diff[0].starts_with("-# stakepoold dev (sha256 ") && diff[0].contains(&old_sha));
        assert!(diff[1].starts_with("-exec ") && diff[1].contains(&old_sha));
        assert!(diff[2].starts_with("+# stakepoold v2 (sha256 ") && diff[2].contains(&new_sha));
        assert!(diff[3].starts_with("+exec ") && diff[3].contains(&new_sha));
    }

    // Kill apply while it uploads: its SSH connections die mid-transfer.
    let mut child = Command::new(env!("CARGO_BIN_EXE_poolctl"))
        .args(["apply", "-f", &pool])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("uploading stakepoold v2") {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "apply finished before it could be killed: {seen:?}"
    );
    let plan = expect(2, &["plan", "-f", &pool]);
    assert!(plan.contains("+ binary stakepoold dev → v2"), "{plan}");
    let out = poolctl(&["apply", "-f", &pool]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("3 of 3 hosts changed and healthy"),
        "{stdout}"
    );
    // The journal tells where the killed run stopped; the run's log has every step.
    assert!(
        stderr.contains("the previous apply stopped in step binaries"),
        "{stderr}"
    );
    let log = stdout.trim().rsplit(' ').next().unwrap();
    let log = std::fs::read_to_string(log).unwrap();
    for h in hosts {
        assert!(
            log.contains(&format!("{h}: uploading stakepoold v2")),
            "{log}"
        );
        assert!(
            log.contains(&format!("{h}: restarting stakepoold")),
            "{log}"
        );
        assert!(log.contains(&format!("{h}: done: healthy")), "{log}");
    }
    assert!(expect(0, &["plan", "-f", &pool]).contains("Plan: 0 of 3"));
    let status = expect(0, &["status", "-f", &pool]);
    assert_eq!(healthy_on(&status, "v2"), 3, "{status}");
    // Rollback material: the previous program and the replaced wrapper stay.
    assert!(ssh_ok(
        &state,
        "voting1",
        &format!(
            "test -x /usr/local/lib/excc-pool/stakepoold/{old_sha} && grep -q {old_sha} /var/lib/excc-pool/previous/usr%local%bin%stakepoold && ! ls /usr/local/lib/excc-pool/stakepoold/.poolctl-upload.* 2>/dev/null"
        )
    ));

    // Faults found before any host is changed: each fails with one line, and a plan of the
    // applied file afterwards still shows nothing to do (the fee change was never made).
    let applied = edited.clone();
    let fee3 = set_in_table(&applied, "pool", "fee_percent", "3");
    let other_key = "SHA256:OQ0yuLWsS47v9xUBobkyFSyuKVFLlNYkjx9578rPNJQ";
    let voting2_key = state
        .host("voting2")
        .unwrap()
        .host_key_fingerprint
        .to_string();
    let faults: Vec<(&str, String, String)> = vec![
        (
            "wrong host key",
            fee3.replace(&voting2_key, other_key),
            format!(
                "refusing: host key of voting2 (10.231.0.12:22) changed from {other_key} to {voting2_key}"
            ),
        ),
        (
            "missing secret file",
            fee3.replace("secrets/wallet.seed", "secrets/gone.seed"),
            "secrets.wallet_seed: cannot read secret file".to_owned(),
        ),
        (
            "wrong sha256",
            set_in_table(
                &fee3,
                "binaries.stakepoold",
                "sha256",
                &format!("\"{old_sha}\""),
            ),
            format!("binaries.stakepoold: {v2} has sha256 {new_sha}, but pool.toml pins {old_sha}"),
        ),
        (
            "unreachable host",
            format!(
                "{fee3}\n[[hosts]]\nname = \"voting9\"\naddress = \"10.231.0.99\"\nhost_key = \"{other_key}\"\n"
            ),
            "cannot reach voting9 (10.231.0.99:22)".to_owned(),
        ),
    ];
    for (what, toml, reason) in faults {
        std::fs::write(&pool, &toml).unwrap();
        let t = Instant::now();
        let out = poolctl(&["apply", "-f", &pool]);
        let stderr = text(&out.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("poolctl: error:"))
            .collect();
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert_eq!(errors.len(), 1, "{what}: {stderr}");
        assert!(
            stderr.lines().last() == Some(errors[0]) && errors[0].contains(&reason),
            "{what}: expected {reason:?} in one line, got:\n{stderr}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "{what} took {:?}",
            t.elapsed()
        );
    }
    std::fs::write(&pool, &applied).unwrap();
    assert!(expect(0, &["plan", "-f", &pool]).contains("Plan: 0 of 3"));

    // An unknown host key is refused, then learned on request; the file keeps its comments.
    let voting3_key = state
        .host("voting3")
        .unwrap()
        .host_key_fingerprint
        .to_string();
    let unpinned = applied
        .replace(&format!("host_key = \"{voting3_key}\"\n"), "")
        .replace(
            "[[hosts]]\nname = \"voting3\"",
            "[[hosts]]\n# the third host\nname = \"voting3\"",
        );
    std::fs::write(&pool, &unpinned).unwrap();
    let out = poolctl(&["plan", "-f", &pool]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("host key of voting3 (10.231.0.13:22) is not pinned"),
        "{}",
        text(&out.stderr)
    );
    expect(0, &["plan", "-f", &pool, "--accept-new-host-keys"]);
    let learned = std::fs::read_to_string(&pool).unwrap();
    assert!(
        learned.contains("# the third host\nname = \"voting3\""),
        "{learned}"
    );
    assert!(
        learned.contains(&format!("host_key = \"{voting3_key}\"")),
        "{learned}"
    );
    assert_eq!(learned.lines().count(), unpinned.lines().count() + 1);
    std::fs::remove_file(&v2).unwrap();
}
