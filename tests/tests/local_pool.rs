//! The README's first command: `local-pool` brings up a pool on lab hosts provisioned by
//! `poolctl lab up`, starts the web service in front of them, gets a demo user's ticket
//! address through the web service's JSON API, mines until its tickets are voted, and (with `--blocks N`) stops after N more blocks and tears the lab down.
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
    let out = Command::new(bin("local-pool"))
        .args(["--hosts", "2", "--dir", TEST_LAB_DIR])
        .args(["--block-secs", "1", "--blocks", "4"])
        .output()
        .expect("run local-pool");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "local-pool failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("pool is up (simnet), 2 voting hosts"),
        "{stdout}"
    );
    let blocks: Vec<&str> = stdout.lines().filter(|l| l.starts_with("block ")).collect();
    assert_eq!(blocks.len(), 4, "{stdout}");
    assert!(blocks.iter().all(|l| l.ends_with(", 0 missed")), "{stdout}");
    assert!(
        blocks.iter().any(|l| !l.contains(": 0 pool votes")),
        "no pool ticket won in 4 blocks:\n{stdout}"
    );
    assert!(
        !std::path::Path::new(TEST_LAB_DIR).join("lab.json").exists(),
        "the lab was not torn down"
    );
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
    let stdout = child.0.stdout.take().unwrap();
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
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "local-pool still running 60 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
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
