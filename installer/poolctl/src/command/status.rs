//! `poolctl status [--json]`: one line (or JSON object) per host; exit 1 unless all are healthy.

use std::io::Write;
use std::path::Path;

use poolctl::config::PoolConfig;
use poolctl::status::status_all;

pub fn run(file: &Path, json: bool, out: &mut impl Write) -> anyhow::Result<u8> {
    let config = PoolConfig::load(file)?;
    let statuses = super::runtime()?.block_on(status_all(&config));
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&statuses)?)?;
    } else {
        for s in &statuses {
            writeln!(out, "{}", s.line())?;
        }
    }
    Ok(if statuses.iter().all(|s| s.healthy()) {
        0
    } else {
        1
    })
}
