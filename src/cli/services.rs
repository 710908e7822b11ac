//! The service hall's commands: service items and the search index.

use crate::config::Settings;
use anyhow::Context as _;
use clap::Subcommand;
use egov_kernel::Context;
use egov_store::Db;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SearchCommand {
    /// Rebuild the search index from the database (in `search_dir`, with
    /// the server stopped; without one, build it in memory as a check) and
    /// print what it holds.
    Rebuild,
}

#[derive(Subcommand, Debug)]
pub enum ServiceCommand {
    /// Check a guide file; exit 1 naming what is wrong.
    Check { file: PathBuf },
    /// Load a guide file as a new version (a draft until published).
    Load {
        file: PathBuf,
        /// Publish it at once.
        #[arg(long)]
        publish: bool,
    },
    /// Offer the newest loaded version of an item.
    Publish { code: String },
    /// Stop offering an item; applications filed go on.
    Withdraw { code: String },
    /// Every item: code, version, status, name.
    List,
}

/// `egov service load|publish|withdraw|list`
pub async fn service(db: &Db, command: ServiceCommand) -> anyhow::Result<ExitCode> {
    use egov_services::registry::{self, Browse, Loaded};
    let ctx = Context::system();
    match command {
        ServiceCommand::Check { .. } => unreachable!("handled before configuration"),
        ServiceCommand::Load { file, publish } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let (g, loaded) = registry::load(db, &ctx, &text).await?;
            match loaded {
                Loaded::New => println!("loaded {} version {}", g.code, g.version),
                Loaded::Unchanged => {
                    println!("{} version {} was already loaded", g.code, g.version)
                }
            }
            if publish {
                registry::publish(db, &ctx, &g.code).await?;
                println!("published {} version {}", g.code, g.version);
            }
        }
        ServiceCommand::Publish { code } => {
            let g = registry::publish(db, &ctx, &code).await?;
            println!("published {} version {}", g.code, g.version);
        }
        ServiceCommand::Withdraw { code } => {
            registry::withdraw(db, &ctx, &code).await?;
            println!("withdrew {code}");
        }
        ServiceCommand::List => {
            let all = Browse {
                all: true,
                ..Browse::default()
            };
            for item in registry::browse(db, &all).await? {
                println!(
                    "{}\t{}\t{:?}\t{}",
                    item.guide.code, item.guide.version, item.status, item.guide.name
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What needs no database (checking a file); `None` for the rest.
pub fn check(command: &ServiceCommand) -> anyhow::Result<Option<ExitCode>> {
    let ServiceCommand::Check { file } = command else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let g = egov_services::Guide::parse(&text)?;
    println!("ok: {} version {} ({})", g.code, g.version, g.name);
    Ok(Some(ExitCode::SUCCESS))
}

/// `egov search rebuild`
pub async fn search(
    db: &Db,
    settings: &Settings,
    command: SearchCommand,
) -> anyhow::Result<ExitCode> {
    let SearchCommand::Rebuild = command;
    let index = match &settings.search_dir {
        Some(dir) => egov_search::SearchIndex::open(dir)
            .with_context(|| format!("opening the search index in {}", dir.display()))?,
        None => egov_search::SearchIndex::in_memory()?,
    };
    let search = egov_services::search::ServiceSearch::new(index);
    let started = std::time::Instant::now();
    search.catch_up(db).await?;
    println!(
        "indexed {} service items in {:.2} s",
        search.index().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
