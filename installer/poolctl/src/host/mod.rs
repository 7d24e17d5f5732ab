//! The host layer: what `poolctl` can do to a machine, and the SSH transport that does it.
//!
//! Deployment logic talks to a [`Host`] and never knows how commands travel. The one real
//! implementation is [`SshHost`] (see `ssh.rs` for why it is built on `russh`); the file
//! operations ([`Host::upload`], [`Host::read_file`], [`Host::sha256`]) have default
//! implementations written on top of [`Host::run`] with POSIX tools every voting host has
//! (`sh`, coreutils), so a new transport only has to run commands.
//!
//! Host keys are never trusted blindly: [`SshHost::connect`] takes the expected fingerprint
//! (pinned in `pool.toml`) and refuses a changed key; an unknown key is learned only when the
//! caller opts in.

mod error;
mod fingerprint;
mod forward;
mod ssh;

use std::future::Future;

use sha2::{Digest, Sha256};

pub use error::HostError;
pub use fingerprint::Fingerprint;
pub use forward::{LocalForward, forward_local};
pub use ssh::{SshHost, SshOptions, SshTarget};

use error::first_line;

/// A command to run on a host: a program and its arguments (each quoted for the remote
/// shell), or a shell script, plus optional standard input.
#[derive(Clone, Debug)]
pub struct RemoteCommand {
    line: String,
    stdin: Vec<u8>,
}

impl RemoteCommand {
    /// `program` with no arguments yet; add them with [`arg`](Self::arg).
    pub fn new(program: &str) -> Self {
        Self {
            line: shell_quote(program),
            stdin: Vec::new(),
        }
    }

    /// Runs `script` with `sh -c`; the script sees `args` as `$1`, `$2`, …
    pub fn shell<I, S>(script: &str, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new("sh").arg("-c").arg(script).arg("sh").args(args)
    }

    /// Appends one argument, quoted so that the remote shell passes it unchanged.
    pub fn arg(mut self, arg: impl AsRef<str>) -> Self {
        self.line.push(' ');
        self.line.push_str(&shell_quote(arg.as_ref()));
        self
    }

    /// Appends several arguments.
    pub fn args<I, S>(self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        args.into_iter().fold(self, |cmd, a| cmd.arg(a))
    }

    /// Feeds `input` to the command's standard input (then end-of-file).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = input.into();
        self
    }

    /// The command line as sent to the remote shell.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The bytes fed to standard input.
    pub fn input(&self) -> &[u8] {
        &self.stdin
    }
}

/// Quotes `s` for a POSIX shell: bare if it is made of safe characters, else in single quotes.
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// What a finished remote command left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// Everything written to standard output.
    pub stdout: Vec<u8>,
    /// Everything written to standard error.
    pub stderr: Vec<u8>,
    /// The exit status; `None` if the command was killed by a signal (see `signal`).
    pub exit_code: Option<u32>,
    /// The signal that killed the command, e.g. `KILL`.
    pub signal: Option<String>,
}

impl CommandOutput {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// Standard output as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// `Ok(self)` on exit status 0; otherwise a one-line [`HostError::Remote`] with the exit
    /// status and the first line of stderr.
    pub fn check(self, host: &str, action: &str) -> Result<Self, HostError> {
        if self.success() {
            return Ok(self);
        }
        let status = match (&self.exit_code, &self.signal) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            (None, None) => "no exit status".to_owned(),
        };
        Err(HostError::Remote {
            host: host.to_owned(),
            action: action.to_owned(),
            detail: format!("{} ({status})", first_line(&self.stderr, "no error output")),
        })
    }
}

/// How [`Host::upload`] installs a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadOptions {
    /// Permission bits of the installed file. Default `0o600`.
    pub mode: u32,
    /// Owner (user name or uid) of the installed file; `None` keeps the login user.
    pub owner: Option<String>,
    /// Group (name or gid) of the installed file; `None` keeps the login user's group.
    pub group: Option<String>,
    /// Create missing parent directories (mode 0755). Default `false`.
    pub create_parents: bool,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            mode: 0o600,
            owner: None,
            group: None,
            create_parents: false,
        }
    }
}

impl UploadOptions {
    /// Sets the permission bits.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the owning user.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Sets the owning group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Creates missing parent directories.
    pub fn create_parents(mut self, yes: bool) -> Self {
        self.create_parents = yes;
        self
    }
}

/// The hex SHA-256 of `data`, as `sha256sum` prints it.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Installs stdin at `$1` atomically: a temporary file in the same directory, checked
/// against the expected digest, given owner and mode, flushed, then renamed over the target.
/// The digest is stdin's first line (`read` takes no more than that line from a pipe), the
/// content follows: for a one-line secret file the digest is an unsalted hash of the secret,
/// so it must not be an argument, which `ps` shows to every user of the host.
const UPLOAD_SCRIPT: &str = r#"set -eu
path=$1 mode=$2 owner=$3 parents=$4
IFS= read -r sum
dir=$(dirname -- "$path")
if [ "$parents" = 1 ]; then mkdir -p -m 0755 -- "$dir"; fi
tmp=$(mktemp -- "$dir/.poolctl-upload.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
got=$(sha256sum -- "$tmp")
got=${got%% *}
if [ "$got" != "$sum" ]; then
    echo "content changed in transit (sha256 $got, expected $sum)" >&2
    exit 3
fi
if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
chmod -- "$mode" "$tmp"
sync -- "$tmp"
mv -f -- "$tmp" "$path"
trap - EXIT
"#;

/// The command [`Host::upload`] runs: the digest travels on stdin before the content, never
/// in the command line.
fn upload_command(contents: &[u8], path: &str, options: &UploadOptions) -> RemoteCommand {
    let owner = match (&options.owner, &options.group) {
        (Some(u), Some(g)) => format!("{u}:{g}"),
        (Some(u), None) => u.clone(),
        (None, Some(g)) => format!(":{g}"),
        (None, None) => String::new(),
    };
    let mut input = format!("{}\n", sha256_hex(contents)).into_bytes();
    input.extend_from_slice(contents);
    RemoteCommand::shell(
        UPLOAD_SCRIPT,
        [
            path,
            &format!("{:o}", options.mode),
            &owner,
            if options.create_parents { "1" } else { "0" },
        ],
    )
    .stdin(input)
}

/// Prints `absent` or the file's digest.
const SHA256_SCRIPT: &str = r#"if [ -e "$1" ]; then sha256sum -- "$1"; else echo absent; fi"#;

/// A machine `poolctl` manages. All methods take `&self`, so one connection can serve several
/// concurrent operations (each runs in its own SSH channel).
///
/// Only [`run`](Host::run) and [`name`](Host::name) must be implemented; the file operations
/// default to small POSIX shell scripts run through `run`.
pub trait Host: Send + Sync {
    /// The host's name in `pool.toml` (e.g. `voting2`), used in every message about it.
    fn name(&self) -> &str;

    /// Runs `command` to completion and returns its exit status, stdout and stderr.
    ///
    /// A non-zero exit status is *not* an error here (inspect [`CommandOutput::success`] or
    /// call [`CommandOutput::check`]); `Err` means the command could not be run or its result
    /// could not be received (connection lost, channel refused).
    fn run(
        &self,
        command: &RemoteCommand,
    ) -> impl Future<Output = Result<CommandOutput, HostError>> + Send;

    /// Installs `contents` at the absolute path `path` atomically: readers see either the old
    /// file or the complete new one, never a partial file. The data are written to a
    /// temporary file next to `path`, verified against their SHA-256, given `options.owner`,
    /// `options.group` and `options.mode`, flushed to disk, then renamed over `path`.
    /// The parent directory must exist unless `options.create_parents` is set.
    fn upload(
        &self,
        contents: &[u8],
        path: &str,
        options: &UploadOptions,
    ) -> impl Future<Output = Result<(), HostError>> + Send {
        let action = format!("uploading {path}");
        let command = upload_command(contents, path, options);
        let absolute = path.starts_with('/');
        async move {
            if !absolute {
                return Err(HostError::Remote {
                    host: self.name().to_owned(),
                    action,
                    detail: "the remote path must be absolute".to_owned(),
                });
            }
            self.run(&command).await?.check(self.name(), &action)?;
            Ok(())
        }
    }

    /// Returns the whole content of the remote file `path`.
    fn read_file(&self, path: &str) -> impl Future<Output = Result<Vec<u8>, HostError>> + Send {
        let command = RemoteCommand::new("cat").arg("--").arg(path);
        let action = format!("reading {path}");
        async move {
            let out = self.run(&command).await?.check(self.name(), &action)?;
            Ok(out.stdout)
        }
    }

    /// Returns the SHA-256 of the remote file `path` as 64 lowercase hex digits (as
    /// `sha256sum` prints it), or `None` if the file does not exist.
    fn sha256(&self, path: &str) -> impl Future<Output = Result<Option<String>, HostError>> + Send {
        let command = RemoteCommand::shell(SHA256_SCRIPT, [path]);
        let action = format!("computing the sha256 of {path}");
        async move {
            let out = self.run(&command).await?.check(self.name(), &action)?;
            let text = out.stdout_text();
            let word = text.split_whitespace().next().unwrap_or("");
            if word == "absent" {
                return Ok(None);
            }
            if word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(Some(word.to_ascii_lowercase()));
            }
            Err(HostError::Remote {
                host: self.name().to_owned(),
                action,
                detail: format!("unexpected sha256sum output {:?}", text.trim()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("systemctl"), "systemctl");
        assert_eq!(shell_quote("/etc/x.conf"), "/etc/x.conf");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("$(reboot)"), "'$(reboot)'");
        let cmd = RemoteCommand::new("echo").arg("a b").args(["c", "d;e"]);
        assert_eq!(cmd.line(), "echo 'a b' c 'd;e'");
        let sh = RemoteCommand::shell("echo \"$1\"", ["x y"]);
        assert_eq!(sh.line(), "sh -c 'echo \"$1\"' sh 'x y'");
    }

    #[test]
    fn quoted_line_survives_a_real_shell() {
        let nasty = "it's a \"test\" $(false) `x` \\ \n end";
        let cmd = RemoteCommand::new("printf").arg("%s").arg(nasty);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd.line())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), nasty);
    }

    #[test]
    fn check_reports_first_stderr_line_and_status() {
        let out = CommandOutput {
            stderr: b"\ncat: /x: No such file or directory\nmore\n".to_vec(),
            exit_code: Some(1),
            ..Default::default()
        };
        let err = out.check("voting1", "reading /x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "voting1: reading /x failed: cat: /x: No such file or directory (exit status 1)"
        );
    }

    /// Runs `cmd` as the remote shell would: its line by `sh -c`, its input on stdin.
    fn run_locally(cmd: &RemoteCommand) -> std::process::Output {
        use std::io::Write;
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd.line())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(cmd.input()).unwrap();
        child.wait_with_output().unwrap()
    }

    #[test]
    fn upload_keeps_the_secret_digest_off_the_command_line() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exccd.password");
        let path = path.to_str().unwrap();
        // A one-line secret without a newline, then content with newlines and no final one.
        for secret in [&b"hunter2"[..], b"a\nb\n\nc"] {
            let cmd = upload_command(secret, path, &UploadOptions::default());
            let digest = sha256_hex(secret);
            assert!(!cmd.line().contains(&digest), "{}", cmd.line());
            assert!(!cmd.line().contains(&digest[..16]), "{}", cmd.line());
            let out = run_locally(&cmd);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(std::fs::read(path).unwrap(), secret);
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The digest on stdin is still checked: content that does not match is refused.
        let mut cmd = upload_command(b"new", path, &UploadOptions::default());
        let mut input = cmd.input().to_vec();
        input.push(b'!');
        cmd = cmd.stdin(input);
        let out = run_locally(&cmd);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("content changed in transit"));
        assert_eq!(std::fs::read(path).unwrap(), b"a\nb\n\nc");
    }

    #[test]
    fn digest_matches_sha256sum() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
