//! The one place that prints progress: `[  1.2s] voting1: step` lines on stderr, each also
//! appended to the run's log file (secrets never reach either: steps describe, they do not
//! quote values).

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Receives progress lines from parallel host tasks.
pub struct Progress {
    started: Instant,
    log: Option<Mutex<File>>,
    quiet: bool,
}

impl Progress {
    /// Prints to stderr (unless `quiet`) and appends to `log`.
    pub fn new(log: Option<File>, quiet: bool) -> Self {
        Self {
            started: Instant::now(),
            log: log.map(Mutex::new),
            quiet,
        }
    }

    /// One line about `host` (or the whole run when `host` is empty).
    pub fn line(&self, host: &str, text: &str) {
        let t = self.started.elapsed().as_secs_f32();
        let line = if host.is_empty() {
            format!("[{t:6.1}s] {text}")
        } else {
            format!("[{t:6.1}s] {host}: {text}")
        };
        if !self.quiet {
            eprintln!("{line}");
        }
        if let Some(log) = &self.log {
            let mut f = log.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(f, "{line}");
        }
    }

    /// Seconds since the run started.
    pub fn elapsed(&self) -> f32 {
        self.started.elapsed().as_secs_f32()
    }
}
