//! The base root filesystem every lab host boots from (read-only lower layer of its overlay).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use super::{LabError, Progress};

/// Debian release of the lab hosts: the same as the machines the project builds on, so our
/// dynamically linked binaries (glibc, libgcc_s) run there unchanged.
pub const SUITE: &str = "bookworm";

/// Packages on top of `minbase`: an init and D-Bus for real systemd units, sshd for the
/// transport, iproute2 for addresses. `libc6` and `libgcc-s1` (what our Rust binaries link
/// against) are part of minbase; `libgcc-s1` is named to make that dependency explicit.
/// `nginx` and `mariadb-server` are the distribution's packages a web host's HTTPS front
/// and a database host need: installed in the base so every lab host (one base for all)
/// can take either role without downloading anything, but disabled ([`DISABLED_UNITS`]).
pub const PACKAGES: &[&str] = &[
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "iproute2",
    "libgcc-s1",
    "nginx",
    "mariadb-server",
];

/// Units the packages above enable that no lab host runs until poolctl gives it the role:
/// voting hosts never start nginx or MariaDB at boot.
pub const DISABLED_UNITS: &[&str] = &["nginx.service", "mariadb.service"];

/// sshd settings of every lab host: key-only root login with the host's own ed25519 key.
const SSHD_CONFIG: &str = "\
# Written by poolctl lab. Each host has its own key in its overlay.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
";

/// Bump when the customisation below changes, so cached bases are rebuilt.
const CUSTOMISATION_VERSION: u32 = 2;

/// What the cached base was built from; a different recipe means a rebuild.
pub fn recipe() -> String {
    format!(
        "suite={SUITE}\nvariant=minbase\ninclude={}\ncustomisation={CUSTOMISATION_VERSION}\n",
        PACKAGES.join(",")
    )
}

/// `DIR/base`.
pub fn base_dir(dir: &Path) -> PathBuf {
    dir.join("base")
}

fn recipe_path(dir: &Path) -> PathBuf {
    dir.join("base.recipe")
}

/// True when `DIR/base` is complete and built from the current recipe.
pub fn is_current(dir: &Path) -> bool {
    std::fs::read_to_string(recipe_path(dir)).is_ok_and(|r| r == recipe())
        && base_dir(dir).join("usr/lib/systemd/systemd").exists()
}

/// Builds `DIR/base` with mmdebstrap unless a current one is cached. The build goes to
/// `DIR/base.partial` and is renamed into place only when complete, so an interrupted build
/// never leaves a half rootfs that looks usable.
pub async fn ensure(dir: &Path, progress: Progress<'_>) -> Result<(), LabError> {
    if is_current(dir) {
        return Ok(());
    }
    let partial = dir.join("base.partial");
    let base = base_dir(dir);
    let log = dir.join("mmdebstrap.log");
    for stale in [&partial, &base] {
        if stale.exists() {
            std::fs::remove_dir_all(stale).map_err(LabError::io("cannot remove", stale))?;
        }
    }
    let _ = std::fs::remove_file(recipe_path(dir));
    progress(&format!(
        "building the {SUITE} base rootfs with mmdebstrap (once; cached in {})",
        base.display()
    ));
    let started = Instant::now();
    let log_file = std::fs::File::create(&log).map_err(LabError::io("cannot create", &log))?;
    let log_err = log_file
        .try_clone()
        .map_err(LabError::io("cannot reopen", &log))?;
    let status = super::system::command("mmdebstrap")
        .arg("--variant=minbase")
        // dpkg's fsync per file more than doubles the build time; one syncfs below instead.
        .arg("--dpkgopt=force-unsafe-io")
        .arg(format!("--include={}", PACKAGES.join(",")))
        // The guest's own systemctl, offline in the finished rootfs (the packages' postinst
        // enabled them; mmdebstrap's policy-rc.d kept them from starting during the build).
        .arg(format!(
            "--customize-hook=chroot \"$1\" systemctl disable --quiet {}",
            DISABLED_UNITS.join(" ")
        ))
        .arg(SUITE)
        .arg(&partial)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .status()
        .await
        .map_err(LabError::io("cannot run mmdebstrap for", &partial))?;
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let last = text
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("no output");
        return Err(LabError::Command {
            command: format!("mmdebstrap --variant=minbase {SUITE} {}", partial.display()),
            cause: format!("{} ({status})", last.trim()),
            hint: format!(
                "see {}; check this machine's apt sources (mmdebstrap uses them)",
                log.display()
            ),
        });
    }
    customise(&partial)?;
    let partial_s = partial.to_string_lossy().into_owned();
    super::system::run(
        "sync",
        &["-f", &partial_s],
        "check the filesystem of the lab directory",
    )
    .await?;
    std::fs::rename(&partial, &base).map_err(LabError::io("cannot rename to base", &partial))?;
    std::fs::write(recipe_path(dir), recipe())
        .map_err(LabError::io("cannot write", recipe_path(dir)))?;
    progress(&format!(
        "base rootfs built in {:.1}s",
        started.elapsed().as_secs_f32()
    ));
    Ok(())
}

/// Makes the fresh rootfs a neutral base: no host keys (each host gets its own), our sshd
/// settings, a placeholder hostname (mmdebstrap copies this machine's), an empty machine-id
/// (systemd-nspawn gives each container its own); checks [`DISABLED_UNITS`] are disabled.
fn customise(root: &Path) -> Result<(), LabError> {
    let ssh = root.join("etc/ssh");
    let entries = std::fs::read_dir(&ssh).map_err(LabError::io("cannot list", &ssh))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("ssh_host_") {
            std::fs::remove_file(entry.path())
                .map_err(LabError::io("cannot remove", entry.path()))?;
        }
    }
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(LabError::io("cannot create", parent))?;
        }
        std::fs::write(&path, text).map_err(LabError::io("cannot write", &path))
    };
    write("etc/ssh/sshd_config.d/excc-lab.conf", SSHD_CONFIG)?;
    write("etc/hostname", "excc-lab-base\n")?;
    write("etc/machine-id", "")?;
    // The hook above must have disabled them: a base that would start them on every voting
    // host is refused.
    let wants = root.join("etc/systemd/system/multi-user.target.wants");
    if let Some(unit) = DISABLED_UNITS.iter().find(|u| wants.join(u).exists()) {
        return Err(LabError::Command {
            command: format!("systemctl disable {unit} (in the base rootfs)"),
            cause: format!("{} still exists", wants.join(unit).display()),
            hint: "check the mmdebstrap log in the lab directory".into(),
        });
    }
    Ok(())
}
