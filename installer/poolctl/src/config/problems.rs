//! Problems found while loading `pool.toml`, each with its place in the file.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with `pool.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, 0 when the problem has no place (e.g. a missing table).
    pub line: usize,
    /// Dotted key path: `hosts[2].host_key`, `secrets.wallet_seed`.
    pub key: String,
    /// What is wrong and what to do.
    pub reason: String,
}

/// Every problem of one load of `pool.toml`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl ConfigError {
    /// A failure to read the file at all.
    pub fn unreadable(file: PathBuf, reason: String) -> Self {
        Self {
            file,
            problems: vec![Problem {
                line: 0,
                key: String::new(),
                reason,
            }],
        }
    }
}

impl fmt::Display for ConfigError {
    /// One line per problem: `pool.toml:12: hosts[1].address: reason`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file.display())?;
            if p.line > 0 {
                write!(f, ":{}", p.line)?;
            }
            if p.key.is_empty() {
                write!(f, ": {}", p.reason)?;
            } else {
                write!(f, ": {}: {}", p.key, p.reason)?;
            }
        }
        Ok(())
    }
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_one_line_per_problem() {
        let e = ConfigError {
            file: "pool.toml".into(),
            problems: vec![
                Problem {
                    line: 3,
                    key: "pool.fee_percent".into(),
                    reason: "must be 0.01–100".into(),
                },
                Problem {
                    line: 0,
                    key: "hosts".into(),
                    reason: "no host".into(),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "pool.toml:3: pool.fee_percent: must be 0.01–100\npool.toml: hosts: no host"
        );
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 0), 1);
    }
}
