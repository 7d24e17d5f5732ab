//! Secrets by reference: `{ file = "…" }` (mode 0600), `{ env = "VAR" }` or
//! `{ command = ["prog", "arg"] }`; never inline in `pool.toml`.

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a secret comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretRef {
    /// A file readable only by its owner (no group/other permission bits).
    File(PathBuf),
    /// An environment variable of the `poolctl` process.
    Env(String),
    /// A command whose standard output (trailing newline removed) is the secret.
    Command(Vec<String>),
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::File(p) => write!(f, "file {}", p.display()),
            SecretRef::Env(v) => write!(f, "environment variable {v}"),
            SecretRef::Command(c) => write!(f, "command `{}`", c.join(" ")),
        }
    }
}

/// A secret value. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value (tests, generated secrets).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl SecretRef {
    /// Reads the secret; a command runs in `dir` (pool.toml's directory). Errors are one
    /// line saying what to do; they never contain the value.
    pub fn resolve(&self, dir: &Path) -> Result<Secret, String> {
        let value = self.read(dir)?;
        let value = value.trim_end_matches(['\n', '\r']).to_owned();
        if value.is_empty() {
            return Err(format!("{self} gives an empty secret"));
        }
        if value.contains('\n') {
            return Err(format!(
                "{self} gives a secret of several lines; a secret is one line"
            ));
        }
        Ok(Secret(value))
    }

    /// Like [`resolve`](Self::resolve) for a secret of several lines (a PEM private key):
    /// the text as given, with one final newline.
    pub fn resolve_text(&self, dir: &Path) -> Result<Secret, String> {
        let value = self.read(dir)?;
        let value = value.trim_end_matches(['\n', '\r']);
        if value.trim().is_empty() {
            return Err(format!("{self} gives an empty secret"));
        }
        Ok(Secret(format!("{value}\n")))
    }

    fn read(&self, dir: &Path) -> Result<String, String> {
        match self {
            SecretRef::File(path) => read_private_file(path),
            SecretRef::Env(var) => std::env::var(var).map_err(|_| {
                format!("environment variable {var} is not set (export it before running poolctl)")
            }),
            SecretRef::Command(argv) => run_command(argv, dir),
        }
    }
}

fn read_private_file(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "cannot read secret file {}: {} (create it with mode 0600)",
            path.display(),
            short_io(&e)
        )
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "secret file {} has mode {mode:04o}; run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read secret file {}: {}",
            path.display(),
            short_io(&e)
        )
    })
}

fn run_command(argv: &[String], dir: &Path) -> Result<String, String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "the secret command is empty".to_owned())?;
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run secret command `{program}`: {}", short_io(&e)))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no error output");
        return Err(format!(
            "secret command `{}` failed ({}): {}",
            argv.join(" "),
            out.status,
            first.trim()
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| format!("secret command `{}` printed invalid UTF-8", argv.join(" ")))
}

/// `No such file or directory (os error 2)` → `no such file or directory`.
pub(crate) fn short_io(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_secret_needs_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "hunter2\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretRef::File(path.clone())
            .resolve(dir.path())
            .unwrap_err();
        assert!(
            err.contains("mode 0644") && err.contains("chmod 600"),
            "{err}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let s = SecretRef::File(path).resolve(dir.path()).unwrap();
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(format!("{s} {s:?}"), "<secret> <secret>");
        let err = SecretRef::File(dir.path().join("missing"))
            .resolve(Path::new("/"))
            .unwrap_err();
        assert!(err.contains("no such file"), "{err}");
    }

    #[test]
    fn env_and_command_secrets() {
        let err = SecretRef::Env("POOLCTL_TEST_SURELY_UNSET".into())
            .resolve(Path::new("/"))
            .unwrap_err();
        assert!(err.contains("is not set"), "{err}");
        let s = SecretRef::Command(vec!["echo".into(), "abc".into()])
            .resolve(Path::new("/"))
            .unwrap();
        assert_eq!(s.expose(), "abc");
        let err = SecretRef::Command(vec!["false".into()])
            .resolve(Path::new("/"))
            .unwrap_err();
        assert!(err.contains("failed"), "{err}");
    }
}
