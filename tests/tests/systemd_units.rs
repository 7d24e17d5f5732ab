//! The hardened units in `systemd/` pass `systemd-analyze verify` with no
//! output at all (it only warns, rc 0, on unknown keys or bad values) and keep
//! an exposure score of at most 2.0 in `systemd-analyze security`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn units() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../systemd");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "service"))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "units missing in {}", dir.display());
    v
}

/// Copies the units with their ExecStart binaries mapped to /bin/true (the
/// real binaries are installed by poolctl on voting hosts, not here).
fn staged() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for u in units() {
        let text = std::fs::read_to_string(&u).unwrap();
        let mapped: String = text
            .lines()
            .map(|l| match l.split_once("/usr/local/bin/") {
                Some((head, rest)) => {
                    let args = rest.split_once(' ').map(|(_, a)| a).unwrap_or("");
                    format!("{head}/bin/true {args}\n")
                }
                None => format!("{l}\n"),
            })
            .collect();
        let dest = dir.path().join(u.file_name().unwrap());
        std::fs::write(&dest, mapped).unwrap();
        out.push(dest);
    }
    (dir, out)
}

#[test]
fn units_verify_cleanly_and_are_hardened() {
    let (_dir, staged) = staged();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&staged)
        .output()
        .expect("systemd-analyze (Debian package systemd) must be installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.trim().is_empty(),
        "systemd-analyze verify:\n{text}"
    );
    for unit in &staged {
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=yes"])
            .arg(unit)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let score: f64 = text
            .lines()
            .find_map(|l| l.split("Overall exposure level for ").nth(1))
            .and_then(|l| l.split(": ").nth(1))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no exposure score for {}:\n{text}", unit.display()));
        assert!(score <= 2.0, "{}: exposure {score} > 2.0", unit.display());
    }
}
