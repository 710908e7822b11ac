//! `egov catalogue`: the information resource catalogue for operators:
//! a resource's data loaded from a file as its next version, a machine
//! client bound to the department it acts for in the exchange, a sharing
//! request made for a department, and the demonstration catalogue.

use clap::Subcommand;
use egov_catalogue::cells::{check_table, csv_table, xlsx_table};
use egov_catalogue::hosted::{self, LoadMode};
use egov_catalogue::sharing::{self, Request, Requested};
use egov_catalogue::Catalogue;
use egov_kernel::Context;
use egov_store::Db;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum CatalogueCommand {
    /// Load a resource's data from a CSV (UTF-8) or XLSX file whose header
    /// names its 信息项: the whole table, or rows appended with --append.
    /// Every cell is checked first; one bad cell loads nothing.
    Load {
        code: String,
        file: PathBuf,
        #[arg(long)]
        append: bool,
    },
    /// Bind a single sign-on client (one that may use the client
    /// credentials grant) to the department it acts for in the exchange.
    BindClient {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        department: String,
    },
    /// Ask, for department CONSUMER, for a resource: granted at once when it
    /// is shared unconditionally, a case for its provider otherwise.
    Request {
        #[arg(long)]
        resource: String,
        #[arg(long)]
        consumer: String,
        /// The 信息项 needed, comma-separated.
        #[arg(long)]
        fields: String,
        #[arg(long)]
        purpose: String,
        /// Until when (YYYY-MM-DD).
        #[arg(long)]
        until: chrono::NaiveDate,
    },
    /// Load the demonstration catalogue unless the catalogue has resources.
    Demo,
}

pub async fn run(db: &Db, command: CatalogueCommand) -> anyhow::Result<ExitCode> {
    let ctx = Context::system();
    match command {
        CatalogueCommand::Load { code, file, append } => {
            let catalogue = Catalogue::get(db).await?;
            let resource = catalogue
                .by_code(&code)
                .ok_or_else(|| anyhow::anyhow!("no resource {code}"))?;
            let bytes = std::fs::read(&file)?;
            let is_xlsx = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let table = if is_xlsx {
                xlsx_table(&bytes)?
            } else {
                csv_table(&bytes)?
            };
            let records = check_table(&resource.items, &table)?;
            let mode = if append {
                LoadMode::Append
            } else {
                LoadMode::Replace
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let loaded = hosted::load(db, &ctx, &code, mode, records, &name, None).await?;
            println!("version {}: {} rows", loaded.version, loaded.rows);
        }
        CatalogueCommand::BindClient {
            client_id,
            department,
        } => {
            // Only a confidential client takes client-credentials tokens.
            if egov_oidc::find_client(db, &client_id)
                .await?
                .is_none_or(|c| c.public)
            {
                anyhow::bail!("no confidential single sign-on client '{client_id}'");
            }
            sharing::bind_client(db, &ctx, &client_id, &department).await?;
            println!("client {client_id} acts for {department} in the exchange");
        }
        CatalogueCommand::Request {
            resource,
            consumer,
            fields,
            purpose,
            until,
        } => {
            let directory = egov_org::directory(db).await?;
            let consumer_id = directory
                .by_code(&consumer)
                .ok_or_else(|| anyhow::anyhow!("no department {consumer}"))?
                .id;
            let req = Request {
                resource,
                consumer_id,
                purpose,
                fields: fields
                    .split(',')
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty())
                    .collect(),
                until,
                user_id: None,
            };
            let processes = egov_cases::registry::Processes::default();
            match sharing::request(db, &ctx, &processes, req).await? {
                Requested::Granted(id) => println!("granted: {id}"),
                Requested::Pending(number) => println!("pending: case {number}"),
            }
        }
        CatalogueCommand::Demo => {
            let n = egov_catalogue::demo::load(db).await?;
            println!("demonstration resources: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
