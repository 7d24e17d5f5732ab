//! `poolctl import`: pool.toml on standard output, secret files in --secrets-dir, a summary
//! on standard error.

use std::io::Write;

use poolctl::import::{ImportOptions, import};

pub fn run(opts: ImportOptions, out: &mut impl Write) -> anyhow::Result<()> {
    let imported = import(&opts)?;
    out.write_all(imported.toml.as_bytes())?;
    eprintln!(
        "poolctl import: {} secret file(s) in {} (mode 0600); {} TODO(s) listed at the top of the output",
        imported.secret_files.len(),
        opts.secrets_dir.display(),
        imported.todos.len()
    );
    Ok(())
}
