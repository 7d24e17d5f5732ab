//! `poolctl`: the operator's tool for an EXCC stake pool.

mod cli;
mod command;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return cli::report_usage_error(err),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match command::run(cli.command, &mut out).and_then(|code| Ok((code, out.flush()?))) {
        Ok((code, ())) => ExitCode::from(code),
        Err(err) => {
            // One line: the reason and its causes, outermost first.
            eprintln!("poolctl: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
