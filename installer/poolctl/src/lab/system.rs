//! The local machine: running tools, root, the lab lock, installing packages.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use super::{LabError, Progress};
use crate::host::shell_quote;

/// True when running as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Fails with [`LabError::NotRoot`] unless running as root.
pub fn require_root() -> Result<(), LabError> {
    if is_root() {
        Ok(())
    } else {
        Err(LabError::NotRoot)
    }
}

/// The directories a root shell searches, so tools are found (and can find theirs, e.g.
/// dpkg's ldconfig) even when this process runs with a minimal PATH (sudo, CI).
pub fn search_path() -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for d in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        if !dirs.iter().any(|x| x == Path::new(d)) {
            dirs.push(d.into());
        }
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command for `program`, found on [`search_path`], which its children inherit.
pub fn command(program: &str) -> Command {
    let mut cmd = Command::new(find_program(program).unwrap_or_else(|| program.into()));
    cmd.env("PATH", search_path());
    cmd
}

/// The command line of `cmd`, quoted as a shell would need it.
fn describe(program: &OsStr, args: &[&OsStr]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `program args…`, waits, and returns its stdout. On failure the error quotes the
/// command, the last line of its stderr and `hint` (what the operator should do).
pub async fn run<S: AsRef<OsStr>>(
    program: &str,
    args: &[S],
    hint: &str,
) -> Result<String, LabError> {
    let args: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
    let line = describe(OsStr::new(program), &args);
    let out = command(program)
        .args(&args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| LabError::Command {
            command: line.clone(),
            cause: e.to_string(),
            hint: hint.to_owned(),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("no error output");
        return Err(LabError::Command {
            command: line,
            cause: format!("{last} ({})", out.status),
            hint: hint.to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a command whose failure is expected and harmless (cleanup of what may be gone).
pub async fn run_quiet<S: AsRef<OsStr>>(program: &str, args: &[S]) -> bool {
    command(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// An exclusive lock on `DIR/lab.lock`, released when dropped.
pub struct LabLock {
    _file: File,
}

/// Takes the lab's lock without waiting; [`LabError::Busy`] if another command holds it.
pub fn lock(dir: &Path) -> Result<LabLock, LabError> {
    let path = dir.join("lab.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(LabError::io("cannot open the lock file", &path))?;
    // SAFETY: flock on a file descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Err(LabError::Busy {
                dir: dir.to_owned(),
                lock: path,
            });
        }
        return Err(LabError::io("cannot lock", path)(err));
    }
    Ok(LabLock { _file: file })
}

/// Finds `name` in the usual binary directories (PATH may be minimal under sudo or CI).
pub fn find_program(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&search_path())
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Debian packages the lab needs on this machine, each with a program that proves it is there.
const PACKAGES: &[(&str, &str)] = &[
    ("systemd-container", "systemd-nspawn"),
    ("mmdebstrap", "mmdebstrap"),
    ("iproute2", "ip"),
    ("openssh-client", "ssh-keygen"),
];

const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

/// Installs the lab's packages with apt if any is missing. Before installing, creates
/// `/usr/sbin/policy-rc.d` (exit 101) if absent so that no package starts a service here.
pub async fn ensure_packages(progress: Progress<'_>) -> Result<(), LabError> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, program)| find_program(program).is_none())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if find_program("apt-get").is_none() {
        return Err(LabError::Conflict(format!(
            "the lab needs the Debian packages {} and this machine has no apt-get; install them by hand",
            missing.join(", ")
        )));
    }
    if !Path::new(POLICY_RC_D).exists() {
        std::fs::write(
            POLICY_RC_D,
            "#!/bin/sh\n# Keep package scripts from starting services.\nexit 101\n",
        )
        .and_then(|()| {
            std::fs::set_permissions(POLICY_RC_D, std::fs::Permissions::from_mode(0o755))
        })
        .map_err(LabError::io("cannot write", POLICY_RC_D))?;
    }
    progress(&format!("installing {}", missing.join(" ")));
    let hint = "check the apt sources and network of this machine, then retry";
    run(
        "apt-get",
        &["-o", "DPkg::Lock::Timeout=300", "update", "-q"],
        hint,
    )
    .await?;
    let mut args = vec![
        "-o",
        "DPkg::Lock::Timeout=300",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
    ];
    args.extend(&missing);
    let out = command("apt-get")
        .args(&args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(LabError::io("cannot run", "apt-get"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(LabError::Command {
            command: format!("apt-get {}", args.join(" ")),
            cause: format!("{} ({})", line.trim(), out.status),
            hint: hint.to_owned(),
        });
    }
    Ok(())
}
