//! `[binaries.NAME]`: where each program comes from and its pinned sha256. The voting
//! hosts' three are required; `exccstakepool` is optional here (the web side requires it
//! with `[[web_hosts]]`) and listed only when declared.

use toml_edit::TableLike;

use super::Loader;
use crate::config::model::{BinaryName, BinarySource};

impl Loader<'_> {
    pub(super) fn binaries(&mut self, root: &dyn TableLike) -> Vec<BinarySource> {
        let Some(t) = self.table(root, "", "binaries", true) else {
            return Vec::new();
        };
        self.unknown(
            t,
            "binaries",
            &["exccd", "exccwallet", "stakepoold", "exccstakepool"],
        );
        let web = t
            .contains_key(BinaryName::Exccstakepool.as_str())
            .then_some(BinaryName::Exccstakepool);
        let mut out = Vec::new();
        for name in BinaryName::VOTING.into_iter().chain(web) {
            let prefix = format!("binaries.{name}");
            let Some(b) = self.table(t, "binaries", name.as_str(), true) else {
                continue;
            };
            self.unknown(
                b,
                &prefix,
                &[
                    "version",
                    "path",
                    "archive",
                    "member",
                    "sha256",
                    "simulator",
                ],
            );
            let version = self.string(b, &prefix, "version", None);
            let (source, member) = match (b.get("path"), b.get("archive")) {
                (Some(_), None) => (self.string(b, &prefix, "path", None), None),
                (None, Some(_)) => (
                    self.string(b, &prefix, "archive", None),
                    self.string(b, &prefix, "member", None),
                ),
                _ => {
                    self.push(
                        0,
                        prefix.clone(),
                        "set exactly one of `path` (an executable) or `archive` (a .tar.gz, with `member`)",
                    );
                    (None, None)
                }
            };
            let sha = self.string(b, &prefix, "sha256", None);
            let sha = sha.and_then(|(s, line)| {
                let ok = s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit());
                if ok {
                    Some((s.to_ascii_lowercase(), line))
                } else {
                    self.push(
                        line,
                        format!("{prefix}.sha256"),
                        "must be 64 hex digits (`sha256sum FILE`)",
                    );
                    None
                }
            });
            let simulator = self.boolean(b, &prefix, "simulator");
            if simulator && name.simulator_mode().is_none() {
                self.push(
                    0,
                    format!("{prefix}.simulator"),
                    "only exccd and exccwallet have a simulator",
                );
            }
            let source = source.map(|(s, line)| (self.path(&s), line));
            if let Some((p, line)) = &source
                && !p.is_file()
            {
                let line = *line;
                self.push(
                    line,
                    format!(
                        "{prefix}.{}",
                        if member.is_some() { "archive" } else { "path" }
                    ),
                    format!("{} is not a file (build or download it first)", p.display()),
                );
            }
            if let (Some((version, _)), Some((source, _)), Some((sha256, line))) =
                (version, source, sha)
            {
                out.push(BinarySource {
                    name,
                    version,
                    source,
                    member: member.map(|(m, _)| m),
                    sha256,
                    simulator,
                    line,
                });
            }
        }
        out
    }
}
