//! One cgroup per lab host.
//!
//! With `--keep-unit` (needed because this machine's PID 1 is not systemd), systemd-nspawn
//! puts the container under the caller's cgroup. Containers started from one process would
//! then share cgroups such as `system.slice/ssh.service` and collide at boot
//! (`status=219/CGROUP`, state `degraded`). So each container is started from a process that
//! first moves itself into `excc-lab/NAME` of every hierarchy systemd uses: `name=systemd`
//! and `unified` on a hybrid layout, or the one cgroup2 tree.

use std::path::{Path, PathBuf};

use super::LabError;

/// The lab's cgroup under each hierarchy root.
pub const GROUP: &str = "excc-lab";

/// The hierarchies systemd uses on this machine.
pub fn roots() -> Vec<PathBuf> {
    let base = Path::new("/sys/fs/cgroup");
    if base.join("cgroup.controllers").exists() {
        return vec![base.to_owned()];
    }
    ["systemd", "unified"]
        .iter()
        .map(|h| base.join(h))
        .filter(|p| p.join("cgroup.procs").exists())
        .collect()
}

/// The cgroups of host `name`, one per hierarchy.
pub fn host_cgroups(name: &str) -> Vec<PathBuf> {
    roots()
        .into_iter()
        .map(|r| r.join(GROUP).join(name))
        .collect()
}

/// Creates host `name`'s cgroups.
pub fn create(name: &str) -> Result<Vec<PathBuf>, LabError> {
    let groups = host_cgroups(name);
    if groups.is_empty() {
        return Err(LabError::Conflict(
            "no systemd cgroup hierarchy under /sys/fs/cgroup (neither cgroup2 nor name=systemd); the lab needs one".to_owned(),
        ));
    }
    for g in &groups {
        std::fs::create_dir_all(g).map_err(LabError::io("cannot create the cgroup", g))?;
    }
    Ok(groups)
}

/// Every directory under `dir`, children before parents.
fn subtree_depth_first(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                subtree_depth_first(&e.path(), out);
            }
        }
    }
    out.push(dir.to_owned());
}

/// The processes in a cgroup and all its descendants.
pub fn processes(group: &Path) -> Vec<i32> {
    let mut dirs = Vec::new();
    subtree_depth_first(group, &mut dirs);
    let mut pids: Vec<i32> = dirs
        .iter()
        .filter_map(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// The processes of host `name` in any hierarchy.
pub fn host_processes(name: &str) -> Vec<i32> {
    let mut pids: Vec<i32> = host_cgroups(name)
        .iter()
        .flat_map(|g| processes(g))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Names of hosts that have a cgroup (running or left over).
pub fn hosts_with_cgroups() -> Vec<String> {
    let mut names: Vec<String> = roots()
        .iter()
        .flat_map(|r| {
            std::fs::read_dir(r.join(GROUP))
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Removes `group` and its descendants (they must hold no process). Returns how many
/// cgroups were removed.
pub fn remove_tree(group: &Path) -> Result<usize, LabError> {
    if !group.exists() {
        return Ok(0);
    }
    let mut dirs = Vec::new();
    subtree_depth_first(group, &mut dirs);
    for d in &dirs {
        std::fs::remove_dir(d).map_err(LabError::io("cannot remove the cgroup", d))?;
    }
    Ok(dirs.len())
}

/// Removes the lab's cgroup `excc-lab` in every hierarchy if it has no children left.
pub fn remove_lab_group() {
    for r in roots() {
        let _ = std::fs::remove_dir(r.join(GROUP));
    }
}
