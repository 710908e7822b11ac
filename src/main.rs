//! `egov`: the city e-government platform in one binary.

mod cli;
mod config;
mod database;
mod serve;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = <cli::Cli as clap::Parser>::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) => {
            // One clear line, with the cause chain, instead of a panic.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
