//! The local lab: N voting hosts as systemd-nspawn containers on this machine, each with
//! real systemd and sshd, its own network namespace, overlay root and SSH host key, so that
//! `poolctl` can be tested and rehearsed against real hosts over SSH.
//!
//! Layout (all names are fixed, so there is one lab per machine):
//!
//! | what | where |
//! | --- | --- |
//! | base rootfs (Debian bookworm, built once by mmdebstrap) | `DIR/base`, recipe in `DIR/base.recipe` |
//! | client key (logs in as root everywhere), mode 0600 | `DIR/id_ed25519` (+ `.pub`) |
//! | host *i* (`voting`*i*) | overlay `DIR/hosts/voting`*i*`/{upper,work,root}`, console `…/console.log`, pid `…/nspawn.pid` |
//! | network | bridge `excclab0` = 10.231.0.1/24 (its alias records DIR); host *i* = 10.231.0.(10+*i*) in netns `excclab-voting`*i* via veth `excclab-v`*i* |
//! | cgroups | `/sys/fs/cgroup/{systemd,unified}/excc-lab/voting`*i* (hybrid) or `/sys/fs/cgroup/excc-lab/voting`*i* |
//! | state | `DIR/lab.json` ([`LabState`]), `DIR/known_hosts`, `DIR/ssh_config` |
//!
//! Recipes measured on this kind of machine are in `shared/docs/test-infrastructure.md`:
//! nspawn must run with `--register=no --keep-unit` (no systemd as PID 1 here), each
//! container in its own cgroup, and is stopped with SIGRTMIN+4 to its systemd.

pub mod cgroup;
mod error;
mod machine;
pub mod net;
pub mod pool;
mod rootfs;
mod state;
mod system;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::{Instant, timeout_at};

pub use error::LabError;
pub use state::{LabHost, LabState};
pub use system::is_root;

use crate::host::{Host, HostError, RemoteCommand, SshHost};
use machine::MachinePaths;

/// Where the lab lives unless `--dir` says otherwise.
pub const DEFAULT_DIR: &str = "/var/tmp/excc-lab";
/// Most hosts a lab can have.
pub const MAX_HOSTS: u32 = 50;
/// How long `up` waits for the hosts to reach `running`.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

/// Receives one line per step, for the operator.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// The name of host `index` (1-based): `voting1`, `voting2`, …
pub fn host_name(index: u32) -> String {
    format!("voting{index}")
}

/// Most web hosts a lab can have.
pub const MAX_WEB_HOSTS: u32 = 9;

/// The name of web host `index` (1-based): `web1`, `web2`, …
pub fn web_host_name(index: u32) -> String {
    format!("web{index}")
}

/// The lab's database host (MariaDB).
pub const DATABASE_HOST: &str = "db1";

/// The index of a host name, if it is one of ours: voting hosts 1–50, the database host
/// 90, web hosts 101–109 (addresses 10.231.0.(10 + index)).
fn host_index(name: &str) -> Option<u32> {
    if name == DATABASE_HOST {
        return Some(90);
    }
    if let Some(n) = name.strip_prefix("web") {
        return n
            .parse()
            .ok()
            .filter(|i| (1..=MAX_WEB_HOSTS).contains(i))
            .map(|i: u32| 100 + i);
    }
    name.strip_prefix("voting")?
        .parse()
        .ok()
        .filter(|i| (1..=MAX_HOSTS).contains(i))
}

/// How many hosts of each role `up` brings up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabShape {
    pub voting: u32,
    pub web: u32,
    /// A database host with MariaDB (else the web host uses SQLite).
    pub database: bool,
}

impl LabShape {
    /// Voting hosts only (no web side).
    pub fn voting(n: u32) -> LabShape {
        LabShape {
            voting: n,
            web: 0,
            database: false,
        }
    }

    fn names(&self) -> (Vec<String>, Option<String>, Vec<String>) {
        (
            (1..=self.voting).map(host_name).collect(),
            (self.database && self.web > 0).then(|| DATABASE_HOST.to_owned()),
            (1..=self.web).map(web_host_name).collect(),
        )
    }
}

/// The files of the client key.
pub fn client_key_path(dir: &Path) -> PathBuf {
    dir.join("id_ed25519")
}

/// What `up` did.
#[derive(Clone, Debug)]
pub struct UpReport {
    /// The lab as written to `lab.json`.
    pub state: LabState,
    /// Hosts booted by this call.
    pub started: Vec<String>,
    /// Hosts that were already running and were left alone.
    pub kept: Vec<String>,
    /// Hosts beyond the requested count that were stopped.
    pub removed: Vec<String>,
}

/// What `down` removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DownReport {
    pub hosts: Vec<String>,
    pub mounts: usize,
    pub netns: usize,
    pub cgroups: usize,
    pub bridge: bool,
}

impl DownReport {
    /// True when there was nothing to tear down.
    pub fn is_empty(&self) -> bool {
        *self == DownReport::default()
    }
}

/// One host's state as `status` sees it.
#[derive(Clone, Debug)]
pub struct HostStatus {
    pub host: LabHost,
    /// The container process is running.
    pub container: bool,
    /// `systemctl is-system-running` over SSH, or why it could not be asked.
    pub system: Result<String, String>,
}

impl HostStatus {
    /// True when the container runs and systemd says `running`.
    pub fn is_running(&self) -> bool {
        self.container && self.system.as_deref() == Ok("running")
    }
}

/// Makes `dir` absolute and checks it can be used in overlay mount options.
fn absolute_dir(dir: &Path) -> Result<PathBuf, LabError> {
    let dir = if dir.is_absolute() {
        dir.to_owned()
    } else {
        std::env::current_dir()
            .map_err(LabError::io("cannot resolve", dir))?
            .join(dir)
    };
    let s = dir.to_string_lossy();
    if s.contains([',', ':', '\n', ' ', '\t']) {
        return Err(LabError::Invalid(format!(
            "the lab directory {s:?} must not contain commas, colons or whitespace (overlayfs options); choose another --dir"
        )));
    }
    Ok(dir)
}

/// One lab per machine: the bridge's alias names the directory that owns it. A lab of
/// another directory that still has containers running is in the way; one whose containers
/// are all gone (crash, reboot, killed session) is cleaned up.
async fn check_owner(dir: &Path, progress: Progress<'_>) -> Result<(), LabError> {
    let Some(owner) = net::bridge_owner().filter(|o| !o.is_empty() && Path::new(o) != dir) else {
        return Ok(());
    };
    let live = cgroup::hosts_with_cgroups()
        .iter()
        .any(|name| !cgroup::host_processes(name).is_empty());
    if live {
        return Err(LabError::Conflict(format!(
            "a lab from {owner} is running on this machine (bridge {}); stop it with `poolctl lab down --dir {owner}` (one lab per machine)",
            net::BRIDGE
        )));
    }
    progress(&format!(
        "removing what the stopped lab of {owner} left behind (no container of it runs)"
    ));
    teardown(Path::new(&owner), progress).await?;
    Ok(())
}

/// Hosts that exist in some form for `dir`: host directories, cgroups, namespaces.
fn existing_hosts(dir: &Path) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = std::fs::read_dir(dir.join("hosts"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.extend(cgroup::hosts_with_cgroups());
    names.extend(
        net::leftover_netns()
            .iter()
            .filter_map(|n| n.strip_prefix(net::NETNS_PREFIX).map(str::to_owned)),
    );
    names
}

/// Stops the hosts `names` and removes everything they had: container, mounts, namespace,
/// veth, cgroups, runtime files, host directory. Tolerates any partial state.
async fn remove_hosts(
    dir: &Path,
    names: &[String],
    report: &mut DownReport,
) -> Result<(), LabError> {
    if names.is_empty() {
        return Ok(());
    }
    machine::stop(dir, names, Duration::from_secs(20)).await;
    for name in names {
        let paths = MachinePaths::new(dir, name);
        for point in machine::mounts_under(dir)
            .into_iter()
            .filter(|p| p.starts_with(&paths.dir))
        {
            machine::unmount(&point).await?;
            report.mounts += 1;
        }
        let ns = net::netns(name);
        if Path::new("/run/netns").join(&ns).exists() {
            net::delete_netns(&ns).await?;
            report.netns += 1;
        }
        if let Some(index) = host_index(name) {
            net::delete_link(&net::veth(index)).await?;
        }
        machine::remove_runtime_leftovers(name);
        for group in cgroup::host_cgroups(name) {
            report.cgroups += cgroup::remove_tree(&group)?;
        }
        if paths.dir.exists() {
            std::fs::remove_dir_all(&paths.dir)
                .map_err(LabError::io("cannot remove", &paths.dir))?;
        }
        report.hosts.push(name.clone());
    }
    Ok(())
}

/// Brings the lab in `dir` to `hosts` running hosts: installs missing packages, builds the
/// base rootfs once, boots the hosts that are not running (stopping any beyond `hosts`),
/// waits until each says `running` over SSH, and writes `lab.json`. Hosts already running
/// are left alone, so a second `up` is a no-op.
pub async fn up(dir: &Path, hosts: u32, progress: Progress<'_>) -> Result<UpReport, LabError> {
    up_shape(dir, LabShape::voting(hosts), progress).await
}

/// [`up`] with web hosts and a database host too.
pub async fn up_shape(
    dir: &Path,
    shape: LabShape,
    progress: Progress<'_>,
) -> Result<UpReport, LabError> {
    system::require_root()?;
    let hosts = shape.voting;
    if !(1..=MAX_HOSTS).contains(&hosts) {
        return Err(LabError::Invalid(format!(
            "--hosts must be between 1 and {MAX_HOSTS}, not {hosts}"
        )));
    }
    if shape.web > MAX_WEB_HOSTS {
        return Err(LabError::Invalid(format!(
            "--web-hosts must be between 0 and {MAX_WEB_HOSTS}, not {}",
            shape.web
        )));
    }
    if shape.web > 1 && !shape.database {
        return Err(LabError::Invalid(
            "several web hosts share one MariaDB: use --database mariadb (SQLite serves one web host)".into(),
        ));
    }
    let dir = absolute_dir(dir)?;
    std::fs::create_dir_all(&dir).map_err(LabError::io("cannot create", &dir))?;
    let _lock = system::lock(&dir)?;
    system::ensure_packages(progress).await?;
    check_owner(&dir, progress).await?;
    if !net::bridge_exists() {
        net::check_subnet_free().await?;
    }

    let client_key = client_key_path(&dir);
    if !client_key.exists() {
        machine::keygen(&client_key, "poolctl-lab").await?;
    }
    std::fs::set_permissions(
        &client_key,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .map_err(LabError::io("cannot chmod", &client_key))?;
    let client_pub_path = client_key.with_extension("pub");
    let client_pub = std::fs::read_to_string(&client_pub_path)
        .map_err(LabError::io("cannot read", &client_pub_path))?;

    let (voting_names, db_name, web_names) = shape.names();
    let wanted: Vec<String> = voting_names
        .iter()
        .chain(db_name.iter())
        .chain(web_names.iter())
        .cloned()
        .collect();
    let running: BTreeSet<String> = existing_hosts(&dir)
        .into_iter()
        .filter(|n| machine::nspawn_pid(&dir, n).is_some())
        .collect();
    if !running.is_empty() && !rootfs::is_current(&dir) {
        return Err(LabError::Conflict(format!(
            "the base rootfs in {} is outdated but hosts are running on it; run `poolctl lab down --dir {}` first",
            rootfs::base_dir(&dir).display(),
            dir.display()
        )));
    }
    rootfs::ensure(&dir, progress).await?;
    net::ensure_bridge(&dir.to_string_lossy()).await?;

    // Hosts beyond the wanted count, and wanted hosts that are not running (left over from a
    // crash or never started), are removed first; the latter are then booted afresh.
    let mut cleanup = DownReport::default();
    let extra: Vec<String> = existing_hosts(&dir)
        .into_iter()
        .filter(|n| !wanted.contains(n))
        .collect();
    if !extra.is_empty() {
        progress(&format!("stopping {}", extra.join(" ")));
    }
    remove_hosts(&dir, &extra, &mut cleanup).await?;
    let to_start: Vec<String> = wanted
        .iter()
        .filter(|n| !running.contains(*n))
        .cloned()
        .collect();
    remove_hosts(&dir, &to_start, &mut DownReport::default()).await?;

    if !to_start.is_empty() {
        progress(&format!("booting {}", to_start.join(" ")));
    }
    for name in &to_start {
        let index = host_index(name).expect("wanted names are ours");
        machine::start(&dir, index, name, &client_pub).await?;
    }

    let mut state = LabState {
        version: state::FORMAT_VERSION,
        dir: dir.clone(),
        bridge: net::BRIDGE.to_owned(),
        subnet: net::subnet(),
        gateway: net::gateway().to_string(),
        client_key: client_key.clone(),
        hosts: Vec::new(),
        web_hosts: Vec::new(),
        database: None,
    };
    let lab_host = |name: &String| -> Result<LabHost, LabError> {
        let index = host_index(name).expect("wanted names are ours");
        let (host_key, fingerprint) = machine::host_key(&MachinePaths::new(&dir, name))?;
        Ok(LabHost {
            name: name.clone(),
            address: net::host_address(index).to_string(),
            ssh_port: 22,
            user: "root".to_owned(),
            host_key_fingerprint: fingerprint,
            host_key,
            client_key: client_key.clone(),
            netns: net::netns(name),
        })
    };
    state.hosts = voting_names
        .iter()
        .map(lab_host)
        .collect::<Result<_, _>>()?;
    state.database = db_name.as_ref().map(lab_host).transpose()?;
    state.web_hosts = web_names.iter().map(lab_host).collect::<Result<_, _>>()?;

    // Wait for every host (kept ones answer at once) in parallel.
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let mut waits = tokio::task::JoinSet::new();
    for host in state.all_hosts() {
        let (dir, host) = (dir.clone(), host.clone());
        waits.spawn(async move { wait_running(&dir, &host, deadline).await });
    }
    let mut first_error = None;
    while let Some(result) = waits.join_next().await {
        let result = result.unwrap_or_else(|e| {
            Err(LabError::Invalid(format!(
                "waiting for a host panicked: {e}"
            )))
        });
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    state.save()?;
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(UpReport {
        state,
        kept: wanted
            .iter()
            .filter(|n| running.contains(*n))
            .cloned()
            .collect(),
        started: to_start,
        removed: cleanup.hosts,
    })
}

/// Waits until `host` accepts SSH with its pinned key and its systemd reports `running`.
async fn wait_running(dir: &Path, host: &LabHost, deadline: Instant) -> Result<(), LabError> {
    let console = MachinePaths::new(dir, &host.name).console;
    let boot_error = |reason: String| LabError::Boot {
        host: host.name.clone(),
        reason,
        console: console.clone(),
    };
    let options = host.ssh_options().connect_timeout(Duration::from_secs(2));
    loop {
        if machine::nspawn_pid(dir, &host.name).is_none() {
            let text = std::fs::read_to_string(&console).unwrap_or_default();
            let last = text
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("no output");
            return Err(boot_error(format!(
                "systemd-nspawn exited ({})",
                last.trim()
            )));
        }
        let ssh = match SshHost::connect(
            host.ssh_target(),
            Some(&host.host_key_fingerprint),
            &options,
        )
        .await
        {
            Ok(ssh) => ssh,
            Err(HostError::Unreachable { .. } | HostError::Handshake { .. })
                if Instant::now() + Duration::from_millis(100) < deadline =>
            {
                // sshd is not listening yet: poll again shortly.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(e @ (HostError::Unreachable { .. } | HostError::Handshake { .. })) => {
                return Err(boot_error(format!(
                    "no SSH login within {}s ({e})",
                    BOOT_TIMEOUT.as_secs()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let cmd = RemoteCommand::new("systemctl")
            .arg("is-system-running")
            .arg("--wait");
        let out = match timeout_at(deadline, ssh.run(&cmd)).await {
            Ok(out) => out?,
            Err(_) => {
                return Err(boot_error(format!(
                    "systemd still starting after {}s",
                    BOOT_TIMEOUT.as_secs()
                )));
            }
        };
        let system = out.stdout_text().trim().to_owned();
        if system == "running" {
            ssh.close().await;
            return Ok(());
        }
        let failed = ssh
            .run(&RemoteCommand::shell(
                "systemctl --failed --plain --no-legend | cut -d' ' -f1 | paste -sd' '",
                [""; 0],
            ))
            .await
            .map(|o| o.stdout_text().trim().to_owned())
            .unwrap_or_default();
        ssh.close().await;
        return Err(boot_error(if failed.is_empty() {
            format!("systemd reports {system:?}")
        } else {
            format!("systemd reports {system:?}; failed units: {failed}")
        }));
    }
}

/// Tears the lab in `dir` down: stops every container (SIGRTMIN+4, then SIGKILL after a
/// grace period), unmounts the overlays, deletes the namespaces, veths, cgroups and bridge,
/// and removes the hosts' directories, the lab pool (`DIR/pool`) and `lab.json`. Works from any partial state (after a
/// crash too). Keeps the cached base rootfs and the client key.
pub async fn down(dir: &Path, progress: Progress<'_>) -> Result<DownReport, LabError> {
    system::require_root()?;
    let dir = absolute_dir(dir)?;
    let _lock = if dir.exists() {
        Some(system::lock(&dir)?)
    } else {
        None
    };
    check_owner(&dir, progress).await?;
    teardown(&dir, progress).await
}

/// The work of [`down`] for `dir`, without the checks.
async fn teardown(dir: &Path, progress: Progress<'_>) -> Result<DownReport, LabError> {
    let dir = dir.to_owned();
    let names: Vec<String> = existing_hosts(&dir).into_iter().collect();
    let mut report = DownReport::default();
    if !names.is_empty() {
        progress(&format!("stopping {}", names.join(" ")));
    }
    remove_hosts(&dir, &names, &mut report).await?;
    // Anything still left over from an earlier crash.
    for point in machine::mounts_under(&dir) {
        machine::unmount(&point).await?;
        report.mounts += 1;
    }
    for ns in net::leftover_netns() {
        net::delete_netns(&ns).await?;
        report.netns += 1;
    }
    for veth in net::leftover_veths() {
        net::delete_link(&veth).await?;
    }
    cgroup::remove_lab_group();
    if net::bridge_exists() {
        net::delete_link(net::BRIDGE).await?;
        report.bridge = true;
    }
    // The hosts' directories, and the lab pool (its CA, journal and secrets were for them).
    for sub in ["hosts", "pool"] {
        let d = dir.join(sub);
        if d.exists() {
            std::fs::remove_dir_all(&d).map_err(LabError::io("cannot remove", &d))?;
        }
    }
    LabState::remove(&dir);

    let mut left = Vec::new();
    left.extend(
        machine::mounts_under(&dir)
            .iter()
            .map(|p| format!("mount {}", p.display())),
    );
    left.extend(net::leftover_netns().iter().map(|n| format!("netns {n}")));
    left.extend(
        cgroup::hosts_with_cgroups()
            .iter()
            .map(|n| format!("cgroup {}/{n}", cgroup::GROUP)),
    );
    if net::bridge_exists() {
        left.push(format!("bridge {}", net::BRIDGE));
    }
    if !left.is_empty() {
        return Err(LabError::Conflict(format!(
            "lab down left {} behind; remove by hand",
            left.join(", ")
        )));
    }
    Ok(report)
}

/// Reads `lab.json` and asks each host over SSH how its systemd is doing.
pub async fn status(dir: &Path) -> Result<Vec<HostStatus>, LabError> {
    system::require_root()?;
    let dir = absolute_dir(dir)?;
    let state = LabState::load(&dir)?;
    let mut checks = tokio::task::JoinSet::new();
    for (i, host) in state.all_hosts().enumerate() {
        let (dir, host) = (dir.clone(), host.clone());
        checks.spawn(async move {
            let container = machine::nspawn_pid(&dir, &host.name).is_some();
            let system = if container {
                ask_state(&host).await
            } else {
                Err("container not running".to_owned())
            };
            (
                i,
                HostStatus {
                    host,
                    container,
                    system,
                },
            )
        });
    }
    let mut statuses = Vec::new();
    while let Some(r) = checks.join_next().await {
        statuses.push(r.map_err(|e| LabError::Invalid(format!("status check panicked: {e}")))?);
    }
    statuses.sort_by_key(|(i, _)| *i);
    Ok(statuses.into_iter().map(|(_, s)| s).collect())
}

async fn ask_state(host: &LabHost) -> Result<String, String> {
    let options = host.ssh_options().connect_timeout(Duration::from_secs(3));
    let ssh = SshHost::connect(
        host.ssh_target(),
        Some(&host.host_key_fingerprint),
        &options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let out = ssh
        .run(&RemoteCommand::new("systemctl").arg("is-system-running"))
        .await
        .map_err(|e| e.to_string())?;
    ssh.close().await;
    Ok(out.stdout_text().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses() {
        assert_eq!(host_name(2), "voting2");
        assert_eq!(host_index("voting2"), Some(2));
        assert_eq!(host_index("voting0"), None);
        assert_eq!(host_index("db"), None);
        assert_eq!(host_index("db1"), Some(90));
        assert_eq!(host_index("web2"), Some(102));
        assert_eq!(host_index("web10"), None);
        assert_eq!(net::host_address(1).to_string(), "10.231.0.11");
        assert_eq!(net::host_address(2).to_string(), "10.231.0.12");
        assert_eq!(net::netns("voting1"), "excclab-voting1");
        assert!(
            net::veth(MAX_HOSTS).len() <= 15,
            "interface names are at most 15 bytes"
        );
        assert_eq!(net::subnet(), "10.231.0.0/24");
    }

    #[test]
    fn dir_must_suit_overlay_options() {
        assert!(absolute_dir(Path::new("/var/tmp/excc-lab")).is_ok());
        let err = absolute_dir(Path::new("/tmp/a,b")).unwrap_err();
        assert!(err.to_string().contains("commas"), "{err}");
        assert!(absolute_dir(Path::new("rel")).unwrap().is_absolute());
    }
}
