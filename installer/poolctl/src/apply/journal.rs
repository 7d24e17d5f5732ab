//! The local state of applies, next to pool.toml in `.poolctl/`: an exclusive lock against
//! concurrent applies, `journal.jsonl` (one JSON line per step start/end per host, across
//! runs) and `logs/apply-UNIXTIME.log` (the progress lines of one run).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Why the state directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot {action} {}: {cause}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        cause: String,
    },
    #[error(
        "another poolctl apply holds {} (one apply per pool.toml at a time); wait for it to finish",
        path.display()
    )]
    Busy { path: PathBuf },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> JournalError + 'a {
    move |e| JournalError::Io {
        action,
        path: path.to_owned(),
        cause: e.to_string(),
    }
}

/// Holds `.poolctl/apply.lock` while alive.
pub struct ApplyLock {
    _file: File,
}

/// Takes the apply lock without waiting.
pub fn lock(state_dir: &Path) -> Result<ApplyLock, JournalError> {
    {
        use std::os::unix::fs::DirBuilderExt;
        // The CA key lives below: keep the whole state directory private.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(io("create", state_dir))?;
    }
    let path = state_dir.join("apply.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io("open", &path))?;
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(JournalError::Busy { path });
    }
    Ok(ApplyLock { _file: file })
}

/// One journal line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The run (its start, unix seconds).
    pub run: u64,
    pub host: String,
    pub step: String,
    /// `start`, `ok` or `failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Appends to `journal.jsonl`.
pub struct Journal {
    run: u64,
    file: Mutex<File>,
    path: PathBuf,
}

impl Journal {
    pub fn open(state_dir: &Path) -> Result<Journal, JournalError> {
        let path = state_dir.join("journal.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io("open", &path))?;
        let run = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Ok(Journal {
            run,
            file: Mutex::new(file),
            path,
        })
    }

    pub fn run(&self) -> u64 {
        self.run
    }

    pub fn record(&self, host: &str, step: &str, status: &str, detail: &str) {
        let entry = Entry {
            run: self.run,
            host: host.to_owned(),
            step: step.to_owned(),
            status: status.to_owned(),
            detail: detail.to_owned(),
        };
        let line = serde_json::to_string(&entry).expect("entry serialises");
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(f, "{line}");
        let _ = f.sync_data();
    }

    /// The step each host was in when the previous run stopped without finishing it:
    /// `(host, step, detail)` for every host whose last entry is not `ok`.
    pub fn unfinished(&self) -> Vec<(String, String, String)> {
        let Ok(file) = File::open(&self.path) else {
            return Vec::new();
        };
        let entries: Vec<Entry> = BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .filter(|e: &Entry| e.run != self.run)
            .collect();
        let Some(last_run) = entries.iter().map(|e| e.run).max() else {
            return Vec::new();
        };
        let mut last: Vec<Entry> = Vec::new();
        for e in entries.into_iter().filter(|e| e.run == last_run) {
            last.retain(|x| x.host != e.host);
            last.push(e);
        }
        last.into_iter()
            .filter(|e| e.status != "ok" || e.step != "done")
            .map(|e| (e.host, e.step, e.detail))
            .collect()
    }
}

/// Creates `logs/apply-RUN.log` (mode 0600).
pub fn log_file(state_dir: &Path, run: u64) -> Result<(File, PathBuf), JournalError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = state_dir.join("logs");
    std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
    let path = dir.join(format!("apply-{run}.log"));
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .map_err(io("open", &path))?;
    Ok((file, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_hosts_of_the_last_run() {
        let dir = tempfile::tempdir().unwrap();
        let old = "{\"run\":1,\"host\":\"voting1\",\"step\":\"files\",\"status\":\"failed\"}\n\
{\"run\":2,\"host\":\"voting1\",\"step\":\"done\",\"status\":\"ok\"}\n\
{\"run\":2,\"host\":\"voting2\",\"step\":\"binaries\",\"status\":\"start\"}\n";
        std::fs::write(dir.path().join("journal.jsonl"), old).unwrap();
        let j = Journal::open(dir.path()).unwrap();
        assert_eq!(
            j.unfinished(),
            [("voting2".to_owned(), "binaries".to_owned(), String::new())]
        );
        let _l = lock(dir.path()).unwrap();
        assert!(matches!(lock(dir.path()), Err(JournalError::Busy { .. })));
    }
}
