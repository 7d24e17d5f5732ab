//! The whole pool from one pool.toml on real lab hosts: 2 voting hosts, MariaDB on its own
//! host, 2 web hosts behind nginx, applied from scratch by `poolctl lab up` (which runs
//! `poolctl apply`), then:
//!
//! * `poolctl plan` afterwards has nothing to do (exit 0);
//! * nginx serves HTTPS with a certificate that verifies against the pool CA (curl
//!   `--cacert`), and redirects plain HTTP to HTTPS;
//! * headless Chromium signs up through nginx over HTTPS on web1, submits a public-key
//!   address and sees its ticket address, then continues on web2 with the same cookie and
//!   sees the same ticket address (sessions are not tied to a host; one shared database);
//! * with web1's nginx and service stopped, web2 still serves;
//! * a voting host added to pool.toml (`lab up --hosts 3`) shows up in both web hosts'
//!   `/admin/status` after the apply;
//! * `poolctl status --json` lists the web and database hosts with their role;
//! * backups: the timer's service on db1 takes a verified backup (status shows it);
//!   `poolctl backup` copies one here; a user deleted after it comes back with `poolctl
//!   restore`; a truncated copy is refused and no web service was stopped;
//! * upgrades: a new exccstakepool rolls out over both web hosts, one at a time; one that
//!   never answers `/healthz` is rolled back on web1, `poolctl upgrade` exits 1 naming web1
//!   and the check, and web2 was never touched.
//!
//! Needs root (the lab). Not root: prints why and returns.

use std::path::Path;
use std::process::Command;

use excc_chain::Address;
use excc_chain::hd::ExtendedKey;
use pool_tests::browser::{self, Browser};
use poolctl::lab::{LabState, is_root};

mod common;
use common::{
    DIR, LabGuard, binary_copy, binary_path, build_pool_programs, expect, expect_both,
    machine_wide_turn, ssh_out, with_binary,
};

const PASSWORD: &str = "a long lab password";
const ADMIN: &str = "admin@pool.excc-lab";

/// curl on this machine (the lab bridge reaches every host): (status line + body).
fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sS", "-i", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A user's public-key address: any key the pool does not hold.
fn user_address(pool_toml: &str) -> String {
    let config = pool_tests::lab::load(Path::new(pool_toml));
    let key: ExtendedKey = config.pool.cold_wallet_xpub.parse().unwrap();
    let pubkey = key.child(1).unwrap().child(7).unwrap().pubkey();
    Address::p2pk(config.network, pubkey).encode()
}

#[test]
fn two_web_hosts_share_one_mariadb_behind_nginx() {
    if !is_root() {
        eprintln!("SKIPPED: the lab needs root");
        return;
    }
    if !browser::available() {
        eprintln!("SKIPPED: chromium is not installed (tests/run installs it)");
        return;
    }
    build_pool_programs();
    let _turn = machine_wide_turn();
    expect(0, &["lab", "down", "--dir", DIR]);
    let _guard = LabGuard;
    let up = |voting: &str| {
        expect(
            0,
            &[
                "lab",
                "up",
                "--hosts",
                voting,
                "--web-hosts",
                "2",
                "--database",
                "mariadb",
                "--dir",
                DIR,
            ],
        )
    };
    let out = up("2");
    assert!(out.contains("lab pool: 5 hosts healthy"), "{out}");
    let pool_toml = format!("{DIR}/pool/pool.toml");
    let plan = expect(0, &["plan", "-f", &pool_toml]);
    assert!(plan.contains("web1") && plan.contains("db1"), "{plan}");

    let state = LabState::load(Path::new(DIR)).unwrap();
    wrong_web_host_key(&state, &pool_toml);
    let (web1, web2) = (
        state.host("web1").unwrap().address.clone(),
        state.host("web2").unwrap().address.clone(),
    );
    let ca = format!("{DIR}/pool/.poolctl/ca/ca.cert");
    let home = curl(&["--cacert", &ca, &format!("https://{web1}/")]);
    assert!(
        home.starts_with("HTTP/2 200") || home.starts_with("HTTP/1.1 200"),
        "{home}"
    );
    let redirect = curl(&[&format!("http://{web2}/stats")]);
    assert!(redirect.starts_with("HTTP/1.1 301"), "{redirect}");
    assert!(
        redirect.contains(&format!("Location: https://{web1}/stats")),
        "the redirect goes to the pool's public URL: {redirect}"
    );

    let address = user_address(&pool_toml);
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime();
    rt.block_on(async {
        let mut b = Browser::start_with(dir.path(), &["--ignore-certificate-errors"]).await;
        b.open(&format!("https://{web1}/signup"), "/signup").await;
        b.fill("email", ADMIN).await;
        b.fill("password", PASSWORD).await;
        b.fill("password_repeat", PASSWORD).await;
        b.click("submit").await;
        b.wait_for_page("/address").await;
        b.fill("pubkeyaddr", &address).await;
        b.click("submit").await;
        b.wait_for_page("/tickets").await;
        let on_web1 = b
            .eval("document.getElementById('ticket-address').innerText")
            .await;
        let on_web1 = on_web1
            .as_str()
            .expect("a ticket address on web1")
            .to_owned();
        assert!(!on_web1.is_empty());

        // The same cookie on web2: the same signed-in user, from the same database.
        let cookies = b.cookies().await;
        let mine: Vec<_> = cookies
            .iter()
            .filter(|c| c["domain"] == web1.as_str())
            .collect();
        assert!(!mine.is_empty(), "no cookie for {web1}: {cookies:?}");
        for c in mine {
            b.copy_cookie_to(c, &format!("https://{web2}/")).await;
        }
        b.open(&format!("https://{web2}/tickets"), "/tickets").await;
        let on_web2 = b
            .eval("document.getElementById('ticket-address').innerText")
            .await;
        assert_eq!(on_web2.as_str(), Some(on_web1.as_str()));
    });

    // One web host down: the other serves.
    ssh_out(&state, "web1", "systemctl stop nginx exccstakepool");
    let still = curl(&["--cacert", &ca, &format!("https://{web2}/stats")]);
    assert!(still.contains(" 200"), "{still}");
    ssh_out(&state, "web1", "systemctl start exccstakepool nginx");

    // A third voting host in pool.toml: both web hosts know it after the apply.
    let out = up("3");
    assert!(out.contains("lab pool: 6 hosts healthy"), "{out}");
    rt.block_on(async {
        // A second browser, with its own profile: signs in on each web host.
        let admin = dir.path().join("admin");
        let mut b = Browser::start_with(&admin, &["--ignore-certificate-errors"]).await;
        for web in [&web1, &web2] {
            b.open(&format!("https://{web}/signin"), "/signin").await;
            b.fill("email", ADMIN).await;
            b.fill("password", PASSWORD).await;
            b.click("submit").await;
            b.wait_for_text(
                "document.readyState === 'complete' && location.pathname !== '/signin' ? location.pathname : null",
            )
            .await;
            let status = b.open(&format!("https://{web}/admin/status"), "/admin/status").await;
            for node in ["voting1", "voting2", "voting3"] {
                assert!(status.contains(node), "{web}: {node} missing: {status}");
            }
        }
    });

    let status = expect(0, &["status", "-f", &pool_toml, "--json"]);
    let hosts: serde_json::Value = serde_json::from_str(&status).unwrap();
    let roles: Vec<(&str, &str)> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["host"].as_str().unwrap(), h["role"].as_str().unwrap()))
        .collect();
    assert!(roles.contains(&("db1", "database")), "{roles:?}");
    assert!(roles.contains(&("web2", "web")), "{roles:?}");
    let web2_status = hosts
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "web2")
        .unwrap();
    assert_eq!(
        web2_status["web"]["voting_nodes_healthy"], 3,
        "{web2_status}"
    );
    assert_eq!(web2_status["web"]["database"], true, "{web2_status}");

    backups(&state, &pool_toml, dir.path());
    upgrades(&state, &pool_toml);
}

/// A changed web host key stops apply with one line naming the host, before any host
/// changes (web1's service keeps running, not restarted).
fn wrong_web_host_key(state: &LabState, pool_toml: &str) {
    let good = std::fs::read_to_string(pool_toml).unwrap();
    let web2 = state.host("web2").unwrap().host_key_fingerprint.to_string();
    let other = state
        .host("voting1")
        .unwrap()
        .host_key_fingerprint
        .to_string();
    assert_eq!(good.matches(&web2).count(), 1);
    std::fs::write(pool_toml, good.replace(&web2, &other)).unwrap();
    let pid = main_pid(state, "web1", "exccstakepool");
    let (_, err) = expect_both(1, &["apply", "-f", pool_toml]);
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("poolctl: error"))
        .collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("web2"), "{err}");
    assert_eq!(main_pid(state, "web1", "exccstakepool"), pid);
    std::fs::write(pool_toml, good).unwrap();
}

/// Runs SQL on db1's MariaDB (as root over the socket): the output.
fn sql(state: &LabState, query: &str) -> String {
    ssh_out(
        state,
        "db1",
        &format!("mariadb --protocol=socket -N -B -e \"{query}\" excc_pool"),
    )
    .trim()
    .to_owned()
}

/// The main PID of a unit on a host (changes when it restarts).
fn main_pid(state: &LabState, host: &str, unit: &str) -> String {
    ssh_out(
        state,
        host,
        &format!("systemctl show -p MainPID --value {unit}"),
    )
    .trim()
    .to_owned()
}

fn backups(state: &LabState, pool_toml: &str, dir: &Path) {
    let admins = format!("SELECT COUNT(*) FROM users WHERE email = '{ADMIN}'");
    assert_eq!(sql(state, &admins), "1");
    // What the timer runs.
    ssh_out(state, "db1", "systemctl start excc-pool-backup.service");
    let status = expect(0, &["status", "-f", pool_toml, "--json"]);
    let hosts: serde_json::Value = serde_json::from_str(&status).unwrap();
    let db1 = hosts
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "db1")
        .unwrap();
    assert_eq!(db1["backup"]["ok"], true, "{db1}");

    let out = dir.join("backups");
    let said = expect(
        0,
        &["backup", "-f", pool_toml, "--out", out.to_str().unwrap()],
    );
    assert!(said.contains("backup verified"), "{said}");
    let file = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "sql"))
        .expect("the backup copied here");

    sql(state, &format!("DELETE FROM users WHERE email = '{ADMIN}'"));
    assert_eq!(sql(state, &admins), "0");

    // A truncated copy is refused before anything stops.
    let pids = [
        main_pid(state, "web1", "exccstakepool"),
        main_pid(state, "web2", "exccstakepool"),
    ];
    let bytes = std::fs::read(&file).unwrap();
    let truncated = dir.join("truncated.sql");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::copy(
        format!("{}.json", file.display()),
        format!("{}.json", truncated.display()),
    )
    .unwrap();
    let (_, err) = expect_both(
        1,
        &["restore", "-f", pool_toml, truncated.to_str().unwrap()],
    );
    assert!(err.contains("nothing was stopped"), "{err}");
    assert_eq!(
        [
            main_pid(state, "web1", "exccstakepool"),
            main_pid(state, "web2", "exccstakepool"),
        ],
        pids,
        "a refused restore stops no web service"
    );

    let said = expect(0, &["restore", "-f", pool_toml, file.to_str().unwrap()]);
    assert!(said.contains("every web host is healthy"), "{said}");
    assert_eq!(sql(state, &admins), "1", "the deleted user is back");
}

fn upgrades(state: &LabState, pool_toml: &str) {
    let original = std::fs::read_to_string(pool_toml).unwrap();
    let current = binary_path(&original, "exccstakepool");
    let wrapper = |host: &str| ssh_out(state, host, "sed -n 2p /usr/local/bin/exccstakepool");

    // A new build rolls out over both web hosts.
    let next = binary_copy(&current, "exccstakepool", "next");
    std::fs::write(
        pool_toml,
        with_binary(&original, "exccstakepool", &next, "next"),
    )
    .unwrap();
    let (_, progress) = expect_both(0, &["upgrade", "-f", pool_toml]);
    let order: Vec<&str> = progress
        .lines()
        .filter(|l| l.contains("upgraded: healthy"))
        .collect();
    assert_eq!(
        order.len(),
        3,
        "db1 (the program for backups), web1, web2: {progress}"
    );
    for web in ["web1", "web2"] {
        assert!(wrapper(web).contains("exccstakepool next"), "{web}");
    }

    // One that never answers /healthz: web1 rolls back, web2 is not touched.
    let broken = format!("{DIR}/exccstakepool-broken");
    std::fs::write(
        &broken,
        "#!/bin/sh\n# an exccstakepool that starts but never serves\ncase \"$*\" in *--check-config*) exit 0 ;; esac\nexec sleep 3600\n",
    )
    .unwrap();
    std::fs::set_permissions(&broken, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let web2_pid = main_pid(state, "web2", "exccstakepool");
    let with_broken = with_binary(&original, "exccstakepool", &broken, "broken");
    std::fs::write(pool_toml, &with_broken).unwrap();
    let (_, err) = expect_both(1, &["upgrade", "-f", pool_toml, "--health-timeout", "15"]);
    assert!(
        err.contains("upgrade of web1 failed") && err.contains("rolled back"),
        "{err}"
    );
    assert!(
        err.contains("health check"),
        "the failed check is named: {err}"
    );
    assert!(
        wrapper("web1").contains("exccstakepool next"),
        "web1 rolled back"
    );
    assert!(
        wrapper("web2").contains("exccstakepool next"),
        "web2 untouched"
    );
    assert_eq!(
        main_pid(state, "web2", "exccstakepool"),
        web2_pid,
        "web2 untouched"
    );
    std::fs::write(
        pool_toml,
        with_binary(&original, "exccstakepool", &next, "next"),
    )
    .unwrap();
}
