//! `egov workplan`: work-plan supervision's passes, run now (the server
//! runs the reminders every hour), for an operator catching up on a day
//! the server was down or a scheduler of their own.

use clap::Subcommand;
use egov_store::Db;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum WorkplanCommand {
    /// Remind lead departments of reports coming due and warn those
    /// overdue, as of today or of --on (a day missed); each once, so a run
    /// again raises nothing new. Prints how many were raised.
    Remind {
        /// The day to raise them as of (YYYY-MM-DD); default today.
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
    /// Load the demonstration plan (the 2009 work points with a year of
    /// reports) unless a plan is there; prints how many reports it made.
    Demo,
}

pub async fn run(db: &Db, command: WorkplanCommand) -> anyhow::Result<ExitCode> {
    match command {
        WorkplanCommand::Remind { on } => {
            let day = on.unwrap_or_else(egov_kernel::time::beijing_today);
            let n = egov_workplan::alerts::run(db, day).await?;
            println!("reminders and warnings raised: {n}");
        }
        WorkplanCommand::Demo => {
            let n = egov_workplan::demo::load(db).await?;
            println!("demonstration reports: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
