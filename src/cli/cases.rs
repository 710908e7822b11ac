//! The case engine's commands: process definitions and the supervision
//! scan.

use crate::config::Settings;
use anyhow::Context as _;
use clap::Subcommand;
use egov_kernel::Context;
use egov_store::Db;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum ProcessCommand {
    /// Check a process definition file; exit 1 naming what is wrong.
    Check { file: PathBuf },
    /// Load a definition file as a new version; running cases keep theirs.
    Load { file: PathBuf },
    /// The newest version of every loaded process.
    List,
}

#[derive(Subcommand, Debug)]
pub enum SupervisionCommand {
    /// Raise every warning and card that is due now, once, and exit.
    Scan,
}

/// What needs no database (checking a file); `None` for the rest.
pub fn check(command: &ProcessCommand) -> anyhow::Result<Option<ExitCode>> {
    let ProcessCommand::Check { file } = command else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let d = egov_cases::ProcessDefinition::parse(&text)?;
    println!(
        "ok: {} version {} ({}, {} states)",
        d.id,
        d.version,
        d.name,
        d.states().count()
    );
    Ok(Some(ExitCode::SUCCESS))
}

/// `egov process load|list`
pub async fn process(db: &Db, command: ProcessCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProcessCommand::Check { .. } => unreachable!("handled before configuration"),
        ProcessCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let (d, new) = egov_cases::registry::load(db, &Context::system(), &text).await?;
            match new {
                true => println!("loaded {} version {}", d.id, d.version),
                false => println!("{} version {} was already loaded", d.id, d.version),
            }
        }
        ProcessCommand::List => {
            for p in egov_cases::registry::list(db).await? {
                println!("{}\t{}\t{}", p.id, p.version, p.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `egov supervision scan`
pub async fn supervision(
    db: &Db,
    settings: &Settings,
    command: SupervisionCommand,
) -> anyhow::Result<ExitCode> {
    let SupervisionCommand::Scan = command;
    let node = settings.node();
    let batch = settings.supervision_scan_batch.max(1);
    let r = egov_cases::supervision::scan(db, &node, egov_kernel::time::now(), batch).await?;
    println!(
        "examined {} cases: {} warnings, {} yellow cards, {} red cards",
        r.examined, r.warnings, r.yellow_cards, r.red_cards
    );
    Ok(ExitCode::SUCCESS)
}
