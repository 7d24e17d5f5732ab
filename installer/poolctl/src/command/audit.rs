//! `poolctl audit votes -f pool.toml [--from H] [--to H] [--json]`: one line (or JSON object)
//! per pool ticket that won in the range, then the summary; exit 1 on any missed pool vote
//! or bit mismatch.

use std::io::Write;
use std::path::Path;

use poolctl::audit::HeightRange;
use poolctl::audit::hosts::audit_pool;
use poolctl::config::PoolConfig;

pub fn votes(
    file: &Path,
    range: HeightRange,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<u8> {
    if let (Some(from), Some(to)) = (range.from, range.to)
        && from > to
    {
        anyhow::bail!("--from {from} is above --to {to}: the range is empty");
    }
    let config = PoolConfig::load(file)?;
    let audit = super::runtime()?.block_on(audit_pool(&config, range))?;
    let report = &audit.report;
    if json {
        for t in &report.tickets {
            writeln!(out, "{}", serde_json::to_string(t)?)?;
        }
        writeln!(
            out,
            "{}",
            serde_json::to_string(
                &serde_json::json!({ "summary": report.summary, "range": report.range, "read_through": audit.read_through })
            )?
        )?;
    } else {
        writeln!(out, "{}", audit.sources_line())?;
        for t in &report.tickets {
            writeln!(out, "{}", t.line())?;
        }
        writeln!(out, "{}", report.summary_line())?;
    }
    Ok(if report.clean() { 0 } else { 1 })
}
