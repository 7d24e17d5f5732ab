//! `poolctl lab up|down|status`: the local lab of real test hosts (see `poolctl::lab`).

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use poolctl::apply::{ApplyOptions, apply};
use poolctl::lab::{self, LabState};

use crate::cli::LabCommand;

pub fn run(cmd: LabCommand, out: &mut impl Write) -> anyhow::Result<()> {
    let runtime = super::runtime()?;
    let started = Instant::now();
    // Progress goes to stderr, one line per step; results go to stdout.
    let progress = move |line: &str| {
        eprintln!(
            "poolctl lab [{:5.1}s] {line}",
            started.elapsed().as_secs_f32()
        );
    };
    match cmd {
        LabCommand::Up {
            hosts,
            web_hosts,
            database,
            dir,
            no_pool,
            no_apply,
        } => {
            let shape = lab::LabShape {
                voting: hosts,
                web: web_hosts,
                database: database == "mariadb",
            };
            let report = runtime.block_on(lab::up_shape(&dir, shape, &progress))?;
            print_hosts(out, &report.state)?;
            writeln!(
                out,
                "lab up: {} running ({} started, {} already running{}) in {:.1}s; state in {}",
                report.state.hosts.len(),
                report.started.len(),
                report.kept.len(),
                if report.removed.is_empty() {
                    String::new()
                } else {
                    format!(", {} stopped", report.removed.len())
                },
                started.elapsed().as_secs_f32(),
                LabState::path(&report.state.dir).display()
            )?;
            writeln!(
                out,
                "log in with: ssh -F {} {}",
                report.state.dir.join("ssh_config").display(),
                report.state.hosts[0].name
            )?;
            if !no_pool {
                let pool_toml = lab::pool::write_pool_toml(&report.state)?;
                if no_apply {
                    writeln!(
                        out,
                        "lab pool: {} written; poolctl plan -f {0}",
                        pool_toml.display()
                    )?;
                    return Ok(());
                }
                progress(&format!("applying {}", pool_toml.display()));
                out.flush()?;
                let applied = runtime
                    .block_on(apply(&pool_toml, &ApplyOptions::default()))
                    .context("lab pool")?;
                writeln!(
                    out,
                    "lab pool: {} hosts healthy; poolctl status -f {} (apply log {})",
                    applied.plans.len(),
                    pool_toml.display(),
                    applied.log.display()
                )?;
                if let Some(web) = report.state.web_hosts.first() {
                    writeln!(
                        out,
                        "web: https://{} (nginx, certificate from the lab's pool CA: {})",
                        web.address,
                        pool_toml
                            .parent()
                            .unwrap_or(&report.state.dir)
                            .join(".poolctl/ca/ca.cert")
                            .display()
                    )?;
                }
            }
        }
        LabCommand::Down { dir } => {
            let report = runtime.block_on(lab::down(&dir, &progress))?;
            if report.is_empty() {
                writeln!(out, "lab down: nothing was running")?;
            } else {
                writeln!(
                    out,
                    "lab down: stopped {} host(s), removed {} mount(s), {} netns, {} cgroup(s){} in {:.1}s",
                    report.hosts.len(),
                    report.mounts,
                    report.netns,
                    report.cgroups,
                    if report.bridge { " and the bridge" } else { "" },
                    started.elapsed().as_secs_f32()
                )?;
            }
        }
        LabCommand::Status { dir } => {
            let statuses = runtime.block_on(lab::status(&dir))?;
            let mut down = Vec::new();
            for s in &statuses {
                let state = match &s.system {
                    Ok(state) => state.clone(),
                    Err(why) => format!("unreachable: {why}"),
                };
                writeln!(
                    out,
                    "{:<9} {:<15} {:<5} {}  {}",
                    s.host.name,
                    s.host.address,
                    s.host.ssh_port,
                    s.host.host_key_fingerprint,
                    state
                )?;
                if !s.is_running() {
                    down.push(s.host.name.clone());
                }
            }
            if !down.is_empty() {
                out.flush()?;
                anyhow::bail!(
                    "{} not running; run `poolctl lab up --dir {}`",
                    down.join(", "),
                    dir.display()
                );
            }
        }
    }
    Ok(())
}

fn print_hosts(out: &mut impl Write, state: &LabState) -> std::io::Result<()> {
    for h in state.all_hosts() {
        writeln!(
            out,
            "{:<9} {:<15} {:<5} {}",
            h.name, h.address, h.ssh_port, h.host_key_fingerprint
        )?;
    }
    Ok(())
}
