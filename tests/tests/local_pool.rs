//! The README's first command: `local-pool` brings up a pool on lab hosts provisioned by
//! `poolctl lab up` (2 voting hosts, web1 with nginx, MariaDB on db1), signs a demo user up
//! on web1 over HTTPS and gets its ticket address through the JSON API there, prints the
//! web service's URL and the pool CA: the URL serves `/` over HTTPS verified against that
//! CA (curl `--cacert`), local-pool runs no web service of its own, the demo user's tickets
//! are voted, and SIGTERM stops it and tears the lab down.
//! Its own check: no pool ticket was missed (else it exits non-zero).
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.
//!
//! `local-pool --processes` needs no root (as root, the test runs it as `nobody`): the
//! simulator, stakepoold and the web service as plain processes; the printed web service
//! answers `/`, `/stats` and `/healthz`, and SIGTERM stops every process it started.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pool_tests::http::request;
use pool_tests::lab::{TEST_LAB_DIR, machine_wide_turn};
use pool_tests::proc::bin;
use pool_tests::test_dir;

#[test]
fn local_pool_comes_up_votes_and_goes_away() {
    if !poolctl::lab::is_root() {
        eprintln!("SKIPPED local_pool_comes_up_votes_and_goes_away: not root (CI runs it as root)");
        return;
    }
    let _turn = machine_wide_turn();
    // From a clean machine: a lab left up (e.g. by an interrupted run) would be kept.
    let down = Command::new(bin("poolctl"))
        .args(["lab", "down", "--dir", TEST_LAB_DIR])
        .output()
        .expect("run poolctl");
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let tmp = test_dir("local-pool-lab");
    let stderr_path = tmp.path().join("local-pool.stderr");
    let mut child = Running(
        Command::new(bin("local-pool"))
            .args(["--hosts", "2", "--dir", TEST_LAB_DIR, "--block-secs", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .expect("run local-pool"),
    );
    let pid = child.0.id();
    let lines = read_lines(&mut child.0);
    let mut seen = String::new();

    let t = Instant::now();
    let up = wait_line(&lines, &mut seen, 1500, "the summary", |l| {
        l.starts_with("pool is up")
    });
    eprintln!("local-pool (lab) up in {:.1}s", t.elapsed().as_secs_f32());
    assert!(up.contains("2 voting hosts, 1 web host"), "{up}");
    let web = wait_line(&lines, &mut seen, 10, "the web service", |l| {
        l.trim_start().starts_with("web service")
    });
    // The web host poolctl deployed, behind nginx over HTTPS.
    assert!(
        web.contains("https://10.231.0.111 (web1: nginx + exccstakepool, MariaDB on db1)"),
        "{web}"
    );
    let url = "https://10.231.0.111";
    let ca_line = wait_line(&lines, &mut seen, 10, "the pool CA", |l| {
        l.trim_start().starts_with("pool CA")
    });
    let ca = ca_line
        .split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no CA path in {ca_line:?}"))
        .to_owned();
    assert_eq!(
        ca,
        format!("{TEST_LAB_DIR}/pool/.poolctl/ca/ca.cert"),
        "{ca_line}"
    );
    wait_line(&lines, &mut seen, 10, "how to trust the CA", |l| {
        l.contains(&format!("curl --cacert {ca} {url}/"))
    });
    let demo = wait_line(&lines, &mut seen, 10, "the demo user", |l| {
        l.contains("sign in at")
    });
    assert!(
        demo.contains(&format!(
            "{url}/signin as admin@pool.excc-lab / demo-pool-password"
        )),
        "{demo}"
    );

    // The printed URL serves `/` over HTTPS verified against the printed CA (and does not
    // verify without it).
    let page = curl(&["--cacert", &ca, &format!("{url}/")]);
    assert!(
        page.status.success(),
        "curl --cacert {ca} {url}/: {}",
        page.stderr
    );
    assert_eq!(page.stdout, "200", "GET {url}/ over HTTPS");
    let untrusted = curl(&[&format!("{url}/")]);
    assert!(
        !untrusted.status.success(),
        "{url}/ verified without the pool CA"
    );
    // No web service of its own: the demo user was made on web1.
    let names: Vec<String> = descendants(pid).into_values().map(|(_, n)| n).collect();
    assert!(
        !names.iter().any(|n| n == "exccstakepool"),
        "local-pool started a web service of its own: {names:?}"
    );

    // The demo user's tickets get voted: blocks until one has pool votes.
    wait_line(&lines, &mut seen, 600, "a block with pool votes", |l| {
        l.starts_with("block ") && !l.contains(": 0 pool votes")
    });
    // SIGTERM: local-pool stops mining, checks nothing was missed and tears the lab down.
    child.terminate();
    let status = wait_exit(&mut child, 300);
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        seen.push_str(&line);
        seen.push('\n');
    }
    let errors = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        status.success(),
        "local-pool exited with {status}:\n{seen}\n{errors}"
    );
    let blocks: Vec<&str> = seen.lines().filter(|l| l.starts_with("block ")).collect();
    assert!(!blocks.is_empty(), "{seen}");
    assert!(blocks.iter().all(|l| l.ends_with(", 0 missed")), "{seen}");
    assert!(
        !std::path::Path::new(TEST_LAB_DIR).join("lab.json").exists(),
        "the lab was not torn down:\n{seen}"
    );
}

/// What curl said: its exit status, what it printed (`-w %{http_code}`), its errors.
struct Curl {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

/// `curl -sS -o /dev/null -w %{http_code} ARGS` on this machine (the lab bridge reaches
/// every host).
fn curl(args: &[&str]) -> Curl {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "20",
        ])
        .args(args)
        .output()
        .expect("run curl");
    Curl {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// local-pool's stdout, line by line, from a thread.
fn read_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Waits up to `secs` for local-pool to exit; its status.
fn wait_exit(child: &mut Running, secs: u64) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "local-pool still running {secs} s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `nobody`: the processes mode must work for a user without any privilege.
const NOBODY: u32 = 65534;

/// local-pool, stopped with SIGTERM when dropped (also when an assertion fails half-way),
/// so no process of a failed run is left behind.
struct Running(Child);

impl Running {
    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            self.terminate();
            let _ = self.0.wait();
        }
    }
}

/// `/proc/PID/stat`: (parent pid, start time in clock ticks, state), or `None` when gone.
fn stat(pid: u32) -> Option<(u32, u64, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the `(comm)` field: state, ppid, …; starttime is field 22 (the 20th after it).
    let rest: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    Some((
        rest.get(1)?.parse().ok()?,
        rest.get(19)?.parse().ok()?,
        rest.first()?.chars().next()?,
    ))
}

/// Every living descendant of `root`: pid → (start time, program name).
fn descendants(root: u32) -> BTreeMap<u32, (u64, String)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some((ppid, start, _)) = stat(pid) {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            all.push((pid, ppid, start, comm.trim().to_owned()));
        }
    }
    let mut found = BTreeMap::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for (pid, ppid, start, comm) in &all {
            if *ppid == parent && !found.contains_key(pid) {
                found.insert(*pid, (*start, comm.clone()));
                parents.push(*pid);
            }
        }
    }
    found
}

/// True while the process `pid` that started at `start` exists and is not a zombie.
fn still_running(pid: u32, start: u64) -> bool {
    stat(pid).is_some_and(|(_, s, state)| s == start && state != 'Z' && state != 'X')
}

/// Waits for a line of local-pool's output that satisfies `want`; every line read goes to
/// `seen` (and the test log).
fn wait_line(
    lines: &mpsc::Receiver<String>,
    seen: &mut String,
    secs: u64,
    what: &str,
    want: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                eprintln!("local-pool: {line}");
                seen.push_str(&line);
                seen.push('\n');
                if want(&line) {
                    return line;
                }
            }
            Err(e) => {
                panic!("no {what} from local-pool within {secs} s ({e:?}); its output:\n{seen}")
            }
        }
    }
}

#[test]
fn local_pool_processes_serves_the_web_service_and_stops_everything() {
    let tmp = test_dir("local-pool-processes");
    let dir = tmp.path().join("pool");
    let stderr_path = tmp.path().join("local-pool.stderr");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut cmd = if poolctl::lab::is_root() {
        // Prove it needs no privilege: run it as nobody, in a directory nobody owns.
        std::os::unix::fs::chown(tmp.path(), Some(NOBODY), Some(NOBODY)).unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin("local-pool"))
            .env("HOME", tmp.path());
        c
    } else {
        Command::new(bin("local-pool"))
    };
    cmd.arg("--processes")
        .arg("--dir")
        .arg(&dir)
        .args(["--block-secs", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut child = Running(cmd.spawn().expect("run local-pool"));
    let pid = child.0.id();
    let lines = read_lines(&mut child.0);

    let mut seen = String::new();
    let t = Instant::now();
    let web_line = wait_line(&lines, &mut seen, 600, "web service URL", |l| {
        l.trim_start().starts_with("web service")
    });
    eprintln!(
        "local-pool --processes up in {:.1}s",
        t.elapsed().as_secs_f32()
    );
    let url = web_line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {web_line:?}"));
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let demo = wait_line(&lines, &mut seen, 10, "demo user", |l| {
        l.trim_start().starts_with("demo user")
    });
    assert!(
        demo.contains(&format!(
            "{url}/signin as demo@localhost / demo-pool-password"
        )),
        "{demo}"
    );
    // It mines.
    wait_line(&lines, &mut seen, 60, "a block", |l| {
        l.starts_with("block ")
    });

    let children = descendants(pid);
    let names: Vec<&str> = children.values().map(|(_, n)| n.as_str()).collect();
    for program in ["exccstakepool", "stakepoold", "excc-simnet"] {
        assert!(
            names.contains(&program),
            "no {program} among local-pool's children: {names:?}"
        );
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    for path in ["/", "/stats", "/healthz"] {
        let answer = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), request(addr, "GET", path, &[], "")).await
        });
        let (status, body) = answer
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("GET {url}{path}: no answer"));
        assert_eq!(status, 200, "GET {url}{path}: {body}");
    }

    // SIGTERM: local-pool stops everything it started and exits cleanly.
    child.terminate();
    let status = wait_exit(&mut child, 60);
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        seen.push_str(&line);
        seen.push('\n');
    }
    let errors = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        status.success(),
        "local-pool exited with {status}:\n{seen}\n{errors}"
    );
    assert!(seen.contains("\nstopping\n"), "{seen}");
    let left: Vec<String> = children
        .iter()
        .filter(|(pid, (start, _))| still_running(**pid, *start))
        .map(|(pid, (_, name))| format!("{pid} {name}"))
        .collect();
    assert!(
        left.is_empty(),
        "still running after local-pool stopped: {left:?}"
    );
}
