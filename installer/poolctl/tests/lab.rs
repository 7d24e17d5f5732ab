//! The local lab and the SSH transport against real hosts: `poolctl lab up` boots two
//! systemd-nspawn voting hosts, the `Host` API runs commands, uploads and reads files and
//! starts a hardened transient unit on them, host-key pinning refuses the wrong key, an
//! unreachable address fails fast, and `poolctl lab down` leaves nothing behind.
//!
//! The lab needs root (namespaces, mounts, cgroups). When not root the lab test prints why
//! it skips; as root (CI) it must run to the end. It installs its own packages.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use poolctl::host::{
    Fingerprint, Host, HostError, RemoteCommand, SshHost, SshOptions, SshTarget, UploadOptions,
    sha256_hex,
};
use poolctl::lab::{LabState, is_root};

mod common;
use common::{DIR, LabGuard, expect, machine_wide_turn, poolctl};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// What the lab leaves on this machine: mounts under DIR, lab namespaces, lab cgroups,
/// the bridge, nspawn processes.
fn lab_traces() -> Vec<String> {
    let mut traces = Vec::new();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    traces.extend(
        mountinfo
            .lines()
            .filter(|l| l.contains(DIR) || l.contains("excclab-"))
            .map(|l| format!("mount: {l}")),
    );
    if let Ok(entries) = std::fs::read_dir("/run/netns") {
        traces.extend(
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("excclab-"))
                .map(|n| format!("netns: {n}")),
        );
    }
    for root in [
        "/sys/fs/cgroup/excc-lab",
        "/sys/fs/cgroup/systemd/excc-lab",
        "/sys/fs/cgroup/unified/excc-lab",
    ] {
        if Path::new(root).exists() {
            traces.push(format!("cgroup: {root}"));
        }
    }
    if Path::new("/sys/class/net/excclab0").exists() {
        traces.push("bridge: excclab0".to_owned());
    }
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains("systemd-nspawn") && cmdline.contains(DIR) {
            traces.push(format!("process: {cmdline}"));
        }
    }
    traces
}

/// True while `pid` exists and is not a zombie.
fn process_alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        !state.starts_with('Z') && !state.starts_with('X')
    })
}

/// A throwaway ed25519 client key, for connections that never get as far as logging in.
fn throwaway_key(dir: &Path) -> std::path::PathBuf {
    use russh::keys::PrivateKey;
    use russh::keys::ssh_key::LineEnding;
    use russh::keys::ssh_key::private::Ed25519Keypair;
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
    let path = dir.join("throwaway_ed25519");
    std::fs::write(&path, key.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
    path
}

#[test]
fn no_ssh_server_fails_fast_with_one_line() {
    // Needs neither root nor the lab. (An outside address is no good here: the sandbox's
    // network may accept any outbound TCP connection.)
    let tmp = std::env::temp_dir().join(format!("poolctl-unreachable-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let key = throwaway_key(&tmp);
    let options = SshOptions::new(&key).connect_timeout(Duration::from_secs(2));
    let rt = runtime();

    // Nothing listens: refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let started = Instant::now();
    let err = rt
        .block_on(SshHost::connect(
            SshTarget::new("voting9", "127.0.0.1").port(port),
            None,
            &options,
        ))
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        err.to_string(),
        format!("cannot reach voting9 (127.0.0.1:{port}): connection refused")
    );

    // Something accepts TCP but never speaks SSH: the connect timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let err = rt
        .block_on(SshHost::connect(
            SshTarget::new("voting9", "127.0.0.1").port(port),
            None,
            &options,
        ))
        .unwrap_err();
    let elapsed = started.elapsed();
    drop(silent);
    std::fs::remove_dir_all(&tmp).unwrap();
    assert_eq!(
        err.to_string(),
        format!("SSH handshake with voting9 (127.0.0.1:{port}) failed: no SSH handshake within 2s")
    );
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(3),
        "took {elapsed:?} with a 2 s connect timeout"
    );
}

#[test]
fn lab_end_to_end() {
    if !is_root() {
        eprintln!(
            "SKIPPED lab_end_to_end: not root; the lab needs root for network namespaces, overlay mounts and containers (CI runs it as root)"
        );
        return;
    }
    // Test runs of other checkouts on this machine share DIR and the lab's fixed names:
    // take turns for the whole test.
    let _turn = machine_wide_turn();
    // An earlier aborted run may have left a lab behind.
    expect(0, &["lab", "down", "--dir", DIR]);
    let _guard = LabGuard;

    let t = Instant::now();
    let out = expect(
        0,
        &[
            "lab",
            "up",
            "--no-pool",
            "--web-hosts",
            "0",
            "--hosts",
            "2",
            "--dir",
            DIR,
        ],
    );
    eprintln!(
        "lab up (2 hosts) took {:.1}s:\n{out}",
        t.elapsed().as_secs_f32()
    );
    assert!(out.contains("voting1   10.231.0.11"), "{out}");
    assert!(out.contains("voting2   10.231.0.12"), "{out}");

    let state = LabState::load(Path::new(DIR)).unwrap();
    assert_eq!(state.hosts.len(), 2);
    for (i, h) in state.hosts.iter().enumerate() {
        assert_eq!(h.name, format!("voting{}", i + 1));
        assert_eq!(h.address, format!("10.231.0.{}", 11 + i));
        assert_eq!(h.ssh_port, 22);
        assert!(
            h.host_key_fingerprint.to_string().starts_with("SHA256:"),
            "{}",
            h.host_key_fingerprint
        );
    }
    assert_ne!(
        state.hosts[0].host_key_fingerprint, state.hosts[1].host_key_fingerprint,
        "each host has its own host key"
    );
    let mode = std::fs::metadata(&state.client_key).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    // A second `up` finds both hosts running and changes nothing.
    let again = expect(
        0,
        &[
            "lab",
            "up",
            "--no-pool",
            "--web-hosts",
            "0",
            "--hosts",
            "2",
            "--dir",
            DIR,
        ],
    );
    assert!(
        again.contains("0 started, 2 already running"),
        "second up was not a no-op: {again}"
    );
    assert_eq!(LabState::load(Path::new(DIR)).unwrap(), state);
    let status = expect(0, &["lab", "status", "--dir", DIR]);
    assert_eq!(
        status.lines().filter(|l| l.ends_with("running")).count(),
        2,
        "{status}"
    );

    runtime().block_on(exercise_hosts(&state));

    // Shrinking stops the extra host; growing boots it afresh (with a new host key).
    let out = expect(
        0,
        &[
            "lab",
            "up",
            "--no-pool",
            "--web-hosts",
            "0",
            "--hosts",
            "1",
            "--dir",
            DIR,
        ],
    );
    assert!(
        out.contains("1 running (0 started, 1 already running, 1 stopped)"),
        "{out}"
    );
    assert!(!Path::new("/run/netns/excclab-voting2").exists());
    assert_eq!(LabState::load(Path::new(DIR)).unwrap().hosts.len(), 1);
    let out = expect(
        0,
        &[
            "lab",
            "up",
            "--no-pool",
            "--web-hosts",
            "0",
            "--hosts",
            "2",
            "--dir",
            DIR,
        ],
    );
    assert!(
        out.contains("2 running (1 started, 1 already running)"),
        "{out}"
    );
    let regrown = LabState::load(Path::new(DIR)).unwrap();
    assert_eq!(
        regrown.hosts[0].host_key_fingerprint,
        state.hosts[0].host_key_fingerprint
    );
    assert_ne!(
        regrown.hosts[1].host_key_fingerprint,
        state.hosts[1].host_key_fingerprint
    );

    // A crashed host (its systemd-nspawn killed) shows in `status`, and `up` boots it again.
    let pid = std::fs::read_to_string(Path::new(DIR).join("hosts/voting2/nspawn.pid")).unwrap();
    let pid = pid.trim();
    assert!(
        Command::new("kill")
            .args(["-9", pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(pid) {
        assert!(
            Instant::now() < deadline,
            "systemd-nspawn {pid} survived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = poolctl(&["lab", "status", "--dir", DIR]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("container not running"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!("poolctl: error: voting2 not running; run `poolctl lab up --dir {DIR}`\n")
    );
    let out = expect(
        0,
        &[
            "lab",
            "up",
            "--no-pool",
            "--web-hosts",
            "0",
            "--hosts",
            "2",
            "--dir",
            DIR,
        ],
    );
    assert!(
        out.contains("2 running (1 started, 1 already running)"),
        "{out}"
    );

    // Not root: refused in one line.
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_poolctl"))
        .args(["lab", "up", "--no-pool", "--web-hosts", "0", "--dir", DIR])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "poolctl: error: poolctl lab needs root: it creates network namespaces, overlay mounts and containers; run it as root (e.g. with sudo)\n"
    );

    // A bad host count is refused in one line, before anything changes.
    let out = poolctl(&[
        "lab",
        "up",
        "--no-pool",
        "--web-hosts",
        "0",
        "--hosts",
        "0",
        "--dir",
        DIR,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "poolctl: error: --hosts must be between 1 and 50, not 0\n"
    );

    let t = Instant::now();
    let down = expect(0, &["lab", "down", "--dir", DIR]);
    eprintln!("lab down took {:.1}s: {down}", t.elapsed().as_secs_f32());
    assert!(down.contains("stopped 2 host(s)"), "{down}");
    let traces = lab_traces();
    assert!(traces.is_empty(), "lab down left: {traces:#?}");
    assert!(!LabState::path(Path::new(DIR)).exists());

    // Without a lab, status fails with one line that says what to do.
    let out = poolctl(&["lab", "status", "--dir", DIR]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no lab in /var/tmp/excc-lab-test"), "{err}");
    eprintln!("lab_end_to_end ran as root against real hosts");
}

async fn exercise_hosts(state: &LabState) {
    let (h1, h2) = (&state.hosts[0], &state.hosts[1]);

    // Connect to each host with its pinned key and run a command.
    let mut hosts = Vec::new();
    for h in &state.hosts {
        let host = h.connect().await.unwrap();
        assert_eq!(host.host_key(), &h.host_key_fingerprint);
        assert_eq!(host.learned_host_key(), None);
        let out = host.run(&RemoteCommand::new("hostname")).await.unwrap();
        assert!(out.success());
        assert_eq!(out.stdout_text().trim(), h.name);
        hosts.push(host);
    }
    let v1 = &hosts[0];

    // The base carries the distribution's nginx and MariaDB (for web and database hosts),
    // disabled: no voting host starts them, and systemd is `running`, not `degraded`.
    for host in &hosts {
        let run = |cmd: &'static str| async move {
            host.run(&RemoteCommand::shell(cmd, [""; 0]))
                .await
                .unwrap()
                .stdout_text()
        };
        assert_eq!(
            // dash's `command -v` looks at its first name only: one per call.
            run("command -v nginx; command -v mariadbd").await,
            "/usr/sbin/nginx\n/usr/sbin/mariadbd\n"
        );
        assert_eq!(
            run("systemctl is-enabled nginx.service mariadb.service").await,
            "disabled\ndisabled\n"
        );
        assert_eq!(
            run("systemctl is-active nginx.service mariadb.service").await,
            "inactive\ninactive\n"
        );
        assert_eq!(run("systemctl is-system-running").await, "running\n");
    }

    // Exit status and stderr are captured; a failure is not a transport error.
    let out = v1
        .run(&RemoteCommand::shell(
            "echo out; echo err >&2; exit 3",
            [""; 0],
        ))
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.stdout_text(), "out\n");
    assert_eq!(out.stderr_text(), "err\n");
    // Arguments reach the remote program unchanged; stdin is fed.
    let odd = "it's $HOME; `x` \"y\"";
    let out = v1
        .run(&RemoteCommand::new("printf").arg("%s").arg(odd))
        .await
        .unwrap();
    assert_eq!(out.stdout_text(), odd);
    let out = v1
        .run(
            &RemoteCommand::new("wc")
                .arg("-c")
                .stdin(vec![b'x'; 100_000]),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout_text().trim(), "100000");
    // Several commands at once over one connection.
    let [ca, cb, cc] = ["a", "b", "c"].map(|x| RemoteCommand::new("echo").arg(x));
    let (a, b, c) = tokio::join!(v1.run(&ca), v1.run(&cb), v1.run(&cc));
    assert_eq!(
        [a, b, c].map(|r| r.unwrap().stdout_text()),
        ["a\n", "b\n", "c\n"]
    );

    // Upload atomically with mode and owner, read back, checksum.
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let path = "/etc/excc-lab-test/sub/payload.bin";
    for host in &hosts {
        host.upload(
            &content,
            path,
            &UploadOptions::default()
                .mode(0o640)
                .owner("root")
                .group("daemon")
                .create_parents(true),
        )
        .await
        .unwrap();
        assert_eq!(host.read_file(path).await.unwrap(), content);
        let stat = host
            .run(&RemoteCommand::new("stat").args(["-c", "%a %U %G", path]))
            .await
            .unwrap()
            .check(host.name(), "stat")
            .unwrap();
        assert_eq!(stat.stdout_text().trim(), "640 root daemon");
        assert_eq!(host.sha256(path).await.unwrap(), Some(sha256_hex(&content)));
        // No temporary file is left next to it.
        let ls = host
            .run(&RemoteCommand::new("ls").args(["-A", "/etc/excc-lab-test/sub"]))
            .await
            .unwrap();
        assert_eq!(ls.stdout_text(), "payload.bin\n");
    }
    // Replacing keeps the path and applies the new mode.
    v1.upload(b"second\n", path, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(v1.read_file(path).await.unwrap(), b"second\n");
    let stat = v1
        .run(&RemoteCommand::new("stat").args(["-c", "%a %U", path]))
        .await
        .unwrap();
    assert_eq!(stat.stdout_text().trim(), "600 root");
    assert_eq!(v1.sha256("/etc/no-such-file").await.unwrap(), None);
    let err = v1.read_file("/etc/no-such-file").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "voting1: reading /etc/no-such-file failed: cat: /etc/no-such-file: No such file or directory (exit status 1)"
    );
    let err = v1
        .upload(b"x", "/no/such/dir/file", &UploadOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("voting1: uploading /no/such/dir/file failed: "),
        "{err}"
    );

    // A binary built on this machine runs on the host (same Debian: glibc, libgcc_s).
    let binary = std::fs::read(env!("CARGO_BIN_EXE_poolctl")).unwrap();
    let t = Instant::now();
    v1.upload(
        &binary,
        "/usr/local/bin/poolctl",
        &UploadOptions::default().mode(0o755),
    )
    .await
    .unwrap();
    eprintln!(
        "uploaded {} MB in {:.1}s",
        binary.len() / 1_000_000,
        t.elapsed().as_secs_f32()
    );
    let out = v1
        .run(&RemoteCommand::new("/usr/local/bin/poolctl").arg("--version"))
        .await
        .unwrap()
        .check("voting1", "poolctl --version")
        .unwrap();
    assert!(out.stdout_text().starts_with("poolctl "), "{out:?}");

    // A hardened transient unit runs under systemd on the host.
    let unit = RemoteCommand::new("systemd-run").args([
        "--wait",
        "--pipe",
        "--quiet",
        "--collect",
        "--unit=excc-lab-hardened",
        "-p",
        "DynamicUser=yes",
        "-p",
        "StateDirectory=excc-lab-test",
        "-p",
        "ProtectSystem=strict",
        "-p",
        "ProtectHome=yes",
        "-p",
        "PrivateTmp=yes",
        "-p",
        "PrivateDevices=yes",
        "-p",
        "NoNewPrivileges=yes",
        "-p",
        "SystemCallFilter=@system-service",
        "-p",
        "MemoryMax=64M",
        "sh",
        "-c",
        "echo uid=$(id -u); echo state > /var/lib/excc-lab-test/ok && echo state=ok; \
         touch /etc/excc-lab-forbidden 2>/dev/null && echo etc=writable || echo etc=readonly",
    ]);
    for host in &hosts {
        let out = host
            .run(&unit)
            .await
            .unwrap()
            .check(host.name(), "systemd-run")
            .unwrap();
        let text = out.stdout_text();
        let uid: u32 = text
            .lines()
            .find_map(|l| l.strip_prefix("uid="))
            .and_then(|u| u.parse().ok())
            .unwrap_or_else(|| panic!("no uid in {text:?}"));
        assert!(
            uid >= 61184,
            "DynamicUser gives a uid in 61184–65519, got {uid}"
        );
        assert!(text.contains("state=ok"), "{text}");
        assert!(text.contains("etc=readonly"), "{text}");
    }

    // The wrong pinned key is refused, with the one-line reason.
    let wrong = SshHost::connect(
        h2.ssh_target(),
        Some(&h1.host_key_fingerprint),
        &h2.ssh_options().accept_new_host_key(true),
    )
    .await
    .unwrap_err();
    assert_eq!(
        wrong.to_string(),
        format!(
            "refusing: host key of voting2 (10.231.0.12:22) changed from {} to {}; if the change is intended, update pool.toml",
            h1.host_key_fingerprint, h2.host_key_fingerprint
        )
    );
    // An unknown key is refused unless the caller opts in; then it is learned.
    let unknown = SshHost::connect(h2.ssh_target(), None, &h2.ssh_options())
        .await
        .unwrap_err();
    assert_eq!(
        unknown.to_string(),
        format!(
            "refusing: host key of voting2 (10.231.0.12:22) is not pinned (it presented {}); pin it in pool.toml or rerun with --accept-new-host-keys",
            h2.host_key_fingerprint
        )
    );
    let learned = SshHost::connect(
        h2.ssh_target(),
        None,
        &h2.ssh_options().accept_new_host_key(true),
    )
    .await
    .unwrap();
    assert_eq!(learned.learned_host_key(), Some(&h2.host_key_fingerprint));
    learned.close().await;
    // A bad fingerprint string never parses into a pin.
    assert!("SHA256:nope".parse::<Fingerprint>().is_err());

    // A wrong client key is refused after the host key was accepted.
    let tmp = Path::new(DIR).join("throwaway");
    std::fs::create_dir_all(&tmp).unwrap();
    let stranger = throwaway_key(&tmp);
    let err = SshHost::connect(
        h1.ssh_target(),
        Some(&h1.host_key_fingerprint),
        &SshOptions::new(&stranger),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, HostError::AuthRejected { .. }),
        "expected AuthRejected, got {err:?}"
    );
    std::fs::remove_dir_all(&tmp).unwrap();

    // Unreachable in the lab subnet (no host at .250) and a closed port fail fast.
    let options = h1.ssh_options().connect_timeout(Duration::from_secs(2));
    let t = Instant::now();
    let err = SshHost::connect(SshTarget::new("voting99", "10.231.0.250"), None, &options)
        .await
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(3000),
        "{:?}",
        t.elapsed()
    );
    assert!(
        err.to_string()
            .starts_with("cannot reach voting99 (10.231.0.250:22): "),
        "{err}"
    );
    let t = Instant::now();
    let err = SshHost::connect(h1.ssh_target().port(2222), None, &options)
        .await
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(3000),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(
        err.to_string(),
        "cannot reach voting1 (10.231.0.11:2222): connection refused"
    );

    for host in hosts {
        host.close().await;
    }
}
