//! How the pool's daemons (`stakepoold`, `exccstakepool`) log. Under systemd — `JOURNAL_STREAM`
//! names the device and inode of our stderr, or, without it, `INVOCATION_ID` is set — records
//! go to journald natively (fields and levels intact). Otherwise they go to stderr, with
//! terminal colour codes only when stderr is a terminal: a log file or a pipe never gets
//! escape sequences.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use tracing_subscriber::prelude::*;

/// Where the records go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    Journal,
    Stderr { ansi: bool },
}

/// The destination for this environment. `journal_stream` is `JOURNAL_STREAM`
/// (`DEVICE:INODE`, decimal), `invocation_id` is `INVOCATION_ID`, `stderr` the device and
/// inode of file descriptor 2 (`None` when it is closed).
pub fn destination(
    journal_stream: Option<&OsStr>,
    invocation_id: Option<&OsStr>,
    stderr: Option<(u64, u64)>,
    stderr_is_terminal: bool,
) -> Destination {
    let journal = match journal_stream {
        // systemd sets it for the service's own stderr; a child whose stderr was redirected
        // (a pipe, a file) inherits the variable but not the stream.
        Some(stream) => stream
            .to_str()
            .and_then(|s| s.split_once(':'))
            .and_then(|(dev, ino)| Some((dev.parse().ok()?, ino.parse().ok()?)))
            .is_some_and(|ids: (u64, u64)| Some(ids) == stderr),
        None => invocation_id.is_some_and(|id| !id.is_empty()),
    };
    if journal {
        Destination::Journal
    } else {
        Destination::Stderr {
            ansi: stderr_is_terminal,
        }
    }
}

/// Device and inode of our stderr.
fn stderr_ids() -> Option<(u64, u64)> {
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    Some((meta.dev(), meta.ino()))
}

/// The destination for this process.
pub fn current_destination() -> Destination {
    destination(
        std::env::var_os("JOURNAL_STREAM").as_deref(),
        std::env::var_os("INVOCATION_ID").as_deref(),
        stderr_ids(),
        std::io::stderr().is_terminal(),
    )
}

/// Installs the global subscriber: `RUST_LOG` if set, else `default_filter` (e.g. `info`).
/// Falls back to plain stderr when journald cannot be reached.
pub fn init(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let ansi = match current_destination() {
        Destination::Journal => match tracing_journald::layer() {
            Ok(journald) => {
                tracing_subscriber::registry()
                    .with(filter)
                    .with(journald)
                    .init();
                return;
            }
            Err(_) => false,
        },
        Destination::Stderr { ansi } => ansi,
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi),
        )
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    const ERR: Option<(u64, u64)> = Some((8, 12345));

    #[test]
    fn the_journal_only_when_stderr_is_its_stream() {
        let d = |stream: Option<&str>, id: Option<&str>, tty| {
            destination(stream.map(OsStr::new), id.map(OsStr::new), ERR, tty)
        };
        assert_eq!(d(Some("8:12345"), None, false), Destination::Journal);
        assert_eq!(d(Some("8:12345"), Some("abc"), false), Destination::Journal);
        // Inherited by a process whose stderr is a pipe or a file.
        let plain = Destination::Stderr { ansi: false };
        assert_eq!(d(Some("8:999"), Some("abc"), false), plain);
        assert_eq!(d(Some("garbage"), None, false), plain);
        // Without JOURNAL_STREAM (StandardError=journal not set up), a unit's invocation.
        assert_eq!(d(None, Some("0123abcd"), false), Destination::Journal);
        assert_eq!(d(None, Some(""), false), plain);
        assert_eq!(d(None, None, false), plain);
        assert_eq!(d(None, None, true), Destination::Stderr { ansi: true });
        assert_eq!(
            destination(Some(OsStr::new("8:12345")), None, None, false),
            plain
        );
    }
}
