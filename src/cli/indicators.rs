//! `egov indicators`: the indicators engine's passes, run now (the server
//! runs them every hour), for an operator who has just loaded figures or a
//! scheduler of their own.

use clap::Subcommand;
use egov_store::Db;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum IndicatorsCommand {
    /// Read every watched warning light's latest period and tell the
    /// subscribers of each light that changed; prints how many changed.
    Watch,
    /// Remind units of statistical reports missing past their due day;
    /// prints how many reminders went out.
    Remind,
    /// Compute every system's figures for this month and the last (cases,
    /// grid management, the catalogue and exchange) into the indicators
    /// engine, as the server does every hour.
    Figures,
    /// Load the demonstration series (ten years for the city and its
    /// districts) unless they are there; prints how many values went in.
    Demo,
}

pub async fn run(db: &Db, command: IndicatorsCommand) -> anyhow::Result<ExitCode> {
    let today = egov_kernel::time::beijing_today();
    match command {
        IndicatorsCommand::Watch => {
            let n = egov_indicators_web::watch::watch(db, today).await?;
            println!("lights changed: {n}");
        }
        IndicatorsCommand::Remind => {
            let n = egov_indicators_web::reporting::remind(db, today).await?;
            println!("reminders: {n}");
        }
        IndicatorsCommand::Figures => {
            let failed = crate::serve::publish_figures(db, today).await;
            if failed > 0 {
                anyhow::bail!("{failed} of the systems' figures failed (see the log)");
            }
            println!("figures published for this month and the last");
        }
        IndicatorsCommand::Demo => {
            let n = egov_indicators_web::demo::load(db).await?;
            println!("demonstration values: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
