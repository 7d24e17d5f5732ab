//! One lab host: its overlay root, keys, container process, and how it is stopped.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::system::{find_program, run};
use super::{LabError, cgroup, net, rootfs};
use crate::host::Fingerprint;

/// Files of host `name` under `DIR/hosts/NAME`.
#[derive(Clone, Debug)]
pub struct MachinePaths {
    pub dir: PathBuf,
    /// Overlay upper layer: everything the host changed or was given (hostname, keys).
    pub upper: PathBuf,
    pub work: PathBuf,
    /// The mounted overlay, the container's `/`.
    pub root: PathBuf,
    /// systemd-nspawn's output (the container console).
    pub console: PathBuf,
    pub pid_file: PathBuf,
}

impl MachinePaths {
    pub fn new(dir: &Path, name: &str) -> Self {
        let d = dir.join("hosts").join(name);
        Self {
            upper: d.join("upper"),
            work: d.join("work"),
            root: d.join("root"),
            console: d.join("console.log"),
            pid_file: d.join("nspawn.pid"),
            dir: d,
        }
    }

    /// The host's public SSH host key.
    pub fn host_key_pub(&self) -> PathBuf {
        self.upper.join("etc/ssh/ssh_host_ed25519_key.pub")
    }
}

/// `(state, parent pid)` of a process from `/proc/PID/stat`.
fn stat(pid: i32) -> Option<(char, i32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …": comm may contain anything, so split after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut words = rest.split_whitespace();
    let state = words.next()?.chars().next()?;
    let ppid = words.next()?.parse().ok()?;
    Some((state, ppid))
}

/// True if `pid` exists and has not exited (a zombie counts as exited).
pub fn alive(pid: i32) -> bool {
    matches!(stat(pid), Some((state, _)) if state != 'Z' && state != 'X')
}

fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn children(pid: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| stat(p).is_some_and(|(_, ppid)| ppid == pid))
        .collect()
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) with a pid we identified; failure (already gone) is fine.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// The running systemd-nspawn of host `name`, if any: the recorded pid, still alive and
/// still booting this host's root (guards against a recycled pid).
pub fn nspawn_pid(dir: &Path, name: &str) -> Option<i32> {
    let paths = MachinePaths::new(dir, name);
    let pid: i32 = std::fs::read_to_string(&paths.pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let root = paths.root.to_string_lossy().into_owned();
    let args = cmdline(pid);
    // An empty command line is a process in the middle of execve (the launch shell becoming
    // systemd-nspawn): its new image has no arguments yet for a moment. Seen as "exited"
    // once under load, so it counts as ours; a zombie also has none, but is not alive.
    let ours = args.is_empty() || is_nspawn_of(&args, &root);
    (ours && alive(pid)).then_some(pid)
}

/// True if `args` (a command line) is systemd-nspawn, or the shell launching it, for `root`.
fn is_nspawn_of(args: &[String], root: &str) -> bool {
    args.iter().any(|a| a.ends_with("systemd-nspawn")) && args.iter().any(|a| a == root)
}

/// Reads a host's public host key and its fingerprint.
pub fn host_key(paths: &MachinePaths) -> Result<(String, Fingerprint), LabError> {
    let path = paths.host_key_pub();
    let line = std::fs::read_to_string(&path).map_err(LabError::io("cannot read", &path))?;
    let fp = Fingerprint::of_openssh_public_key(&line).map_err(|cause| LabError::BadState {
        path: path.clone(),
        dir: paths.dir.clone(),
        cause,
    })?;
    Ok((line.trim().to_owned(), fp))
}

/// Generates an ed25519 key pair at `path` (and `path.pub`) with ssh-keygen.
pub async fn keygen(path: &Path, comment: &str) -> Result<(), LabError> {
    let path_s = path.to_string_lossy();
    run(
        "ssh-keygen",
        &[
            "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", &path_s,
        ],
        "check that openssh-client is installed",
    )
    .await?;
    Ok(())
}

fn mkdir(path: &Path, mode: u32) -> Result<(), LabError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(LabError::io("cannot create", path))
}

fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), LabError> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(LabError::io("cannot write", path))
}

/// Moves the shell into each of the host's cgroups, then becomes systemd-nspawn.
const LAUNCH: &str = r#"for cg in $1; do echo $$ > "$cg/cgroup.procs" || exit 125; done
shift
exec "$@""#;

/// Prepares and boots host `index` (named `name`): a fresh overlay on the base, its
/// hostname, a new SSH host key, root's authorized_keys, its namespace on the bridge, its
/// cgroups, then systemd-nspawn in the background. Returns the host-key fingerprint; the
/// caller waits for the boot. Whatever of the host existed before must have been removed.
pub async fn start(
    dir: &Path,
    index: u32,
    name: &str,
    authorized_key: &str,
) -> Result<Fingerprint, LabError> {
    let paths = MachinePaths::new(dir, name);
    if paths.dir.exists() {
        std::fs::remove_dir_all(&paths.dir).map_err(LabError::io("cannot remove", &paths.dir))?;
    }
    mkdir(&paths.upper.join("etc/ssh"), 0o755)?;
    mkdir(&paths.upper.join("root/.ssh"), 0o700)?;
    std::fs::set_permissions(
        paths.upper.join("root"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .map_err(LabError::io("cannot chmod", paths.upper.join("root")))?;
    mkdir(&paths.work, 0o755)?;
    mkdir(&paths.root, 0o755)?;
    write_file(
        &paths.upper.join("etc/hostname"),
        &format!("{name}\n"),
        0o644,
    )?;
    write_file(
        &paths.upper.join("root/.ssh/authorized_keys"),
        &format!("{}\n", authorized_key.trim()),
        0o600,
    )?;
    keygen(
        &paths.upper.join("etc/ssh/ssh_host_ed25519_key"),
        &format!("root@{name}"),
    )
    .await?;
    let (_, fingerprint) = host_key(&paths)?;

    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        rootfs::base_dir(dir).display(),
        paths.upper.display(),
        paths.work.display()
    );
    let root_s = paths.root.to_string_lossy().into_owned();
    run(
        "mount",
        &["-t", "overlay", "overlay", "-o", &options, &root_s],
        "check that the kernel has overlayfs and DIR is on a local filesystem (ext4, xfs, btrfs)",
    )
    .await?;

    net::add_host(name, index).await?;
    let groups = cgroup::create(name)?;
    let groups = groups
        .iter()
        .map(|g| g.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");

    let nspawn = find_program("systemd-nspawn").ok_or_else(|| {
        LabError::Conflict(
            "systemd-nspawn is missing; install the Debian package systemd-container".to_owned(),
        )
    })?;
    let console = std::fs::File::create(&paths.console)
        .map_err(LabError::io("cannot create", &paths.console))?;
    let console_err = console
        .try_clone()
        .map_err(LabError::io("cannot reopen", &paths.console))?;
    let mut command = std::process::Command::new("/bin/sh");
    command
        .env("PATH", super::system::search_path())
        .arg("-c")
        .arg(LAUNCH)
        .arg("sh")
        .arg(&groups)
        .arg(&nspawn)
        .arg("-D")
        .arg(&paths.root)
        .arg("-b")
        .arg("-M")
        .arg(name)
        // No systemd, machined or D-Bus on this machine: don't register, stay in our cgroup.
        .arg("--register=no")
        .arg("--keep-unit")
        .arg(format!(
            "--network-namespace-path={}",
            net::netns_path(name)
        ))
        .stdin(Stdio::null())
        .stdout(console)
        .stderr(console_err);
    // SAFETY: setsid() is async-signal-safe; the container outlives this process and must
    // not get its terminal's hangup.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let child = command
        .spawn()
        .map_err(LabError::io("cannot start systemd-nspawn for", &paths.root))?;
    write_file(&paths.pid_file, &format!("{}\n", child.id()), 0o644)?;
    // The child is not waited for: it runs until `lab down`.
    drop(child);
    Ok(fingerprint)
}

/// Stops the given hosts: asks each container's systemd to power off (SIGRTMIN+4), waits
/// up to `grace` for all of them, then kills whatever is left in their cgroups.
pub async fn stop(dir: &Path, names: &[String], grace: Duration) {
    let mut nspawns = Vec::new();
    for name in names {
        // The recorded pid, or (its pid file lost in a crash) any nspawn in the host's cgroups.
        let mut pids: Vec<i32> = nspawn_pid(dir, name).into_iter().collect();
        pids.extend(cgroup::host_processes(name).into_iter().filter(|&p| {
            alive(p)
                && cmdline(p)
                    .first()
                    .is_some_and(|a| a.ends_with("systemd-nspawn"))
        }));
        pids.sort_unstable();
        pids.dedup();
        nspawns.extend(pids);
    }
    for &pid in &nspawns {
        let kids = children(pid);
        let leader = kids
            .iter()
            .copied()
            .find(|&c| cmdline(c).first().is_some_and(|a| a.contains("systemd")))
            .or(kids.first().copied());
        if let Some(leader) = leader {
            signal(leader, libc::SIGRTMIN() + 4);
        }
    }
    let deadline = Instant::now() + grace;
    while nspawns.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Whatever did not stop in time, and anything left in the hosts' cgroups.
    let kill_deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut left: Vec<i32> = nspawns.iter().copied().filter(|&p| alive(p)).collect();
        for name in names {
            left.extend(
                cgroup::host_processes(name)
                    .into_iter()
                    .filter(|&p| alive(p)),
            );
        }
        if left.is_empty() || Instant::now() >= kill_deadline {
            break;
        }
        for p in left {
            signal(p, libc::SIGKILL);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Mount points under `DIR/hosts/`, deepest first.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let prefix = dir.join("hosts");
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape_mount_path(p)))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points.dedup();
    points
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mount_path(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unmounts `point` (lazily if it is still busy).
pub async fn unmount(point: &Path) -> Result<(), LabError> {
    let p = point.to_string_lossy().into_owned();
    if run("umount", &[&p], "").await.is_ok() {
        return Ok(());
    }
    run(
        "umount",
        &["-l", &p],
        "find what still uses it with `fuser -vm` and stop it",
    )
    .await?;
    Ok(())
}

/// Removes what systemd-nspawn leaves in /run for a machine (it cannot clean it itself
/// because /run is not a tmpfs here).
pub fn remove_runtime_leftovers(name: &str) {
    for d in ["propagate", "unix-export"] {
        let p = Path::new("/run/systemd/nspawn").join(d).join(name);
        if p.exists() {
            let _ = std::fs::remove_dir_all(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_unescaping() {
        assert_eq!(unescape_mount_path("/a\\040b/c"), "/a b/c");
        assert_eq!(unescape_mount_path("/plain"), "/plain");
        assert_eq!(unescape_mount_path("/x\\134y"), "/x\\y");
    }

    #[test]
    fn recognises_the_launch_shell_and_nspawn_of_this_root_only() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let root = "/lab/hosts/voting2/root";
        let nspawn = args(&["/usr/bin/systemd-nspawn", "-D", root, "-b"]);
        let shell = args(&[
            "/bin/sh",
            "-c",
            "…",
            "sh",
            "/cg",
            "/usr/bin/systemd-nspawn",
            "-D",
            root,
        ]);
        assert!(is_nspawn_of(&nspawn, root));
        assert!(is_nspawn_of(&shell, root));
        assert!(!is_nspawn_of(&nspawn, "/lab/hosts/voting1/root"));
        assert!(!is_nspawn_of(&args(&["sleep", root]), root));
    }

    #[test]
    fn own_process_is_alive_and_parsed() {
        let me = std::process::id() as i32;
        assert!(alive(me));
        assert!(stat(me).is_some());
        assert!(!cmdline(me).is_empty());
    }
}
