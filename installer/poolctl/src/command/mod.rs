//! One file per subcommand.

mod key;
mod lab;

use std::io::Write;

use crate::cli::Command;

pub fn run(command: Command, out: &mut impl Write) -> anyhow::Result<()> {
    match command {
        Command::Key(cmd) => key::run(cmd, out),
        Command::Lab(cmd) => lab::run(cmd, out),
    }
}
