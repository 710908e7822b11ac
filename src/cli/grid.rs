//! `egov grid`: the grid's layers and classes, loaded and written out by an
//! operator, the demonstration grid, and opening received reports now (the
//! server does it as they arrive).

use clap::Subcommand;
use egov_grid::coords::Datum;
use egov_grid::map::{areas_from_geojson, Level};
use egov_kernel::Context;
use egov_store::Db;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum GridCommand {
    /// Load areas from a GeoJSON FeatureCollection (each feature's `code`,
    /// 6, 9, 11 or 15 digits, gives its level; `name`; a Polygon or
    /// MultiPolygon). Areas with the same code are replaced; all or none.
    Import {
        file: PathBuf,
        /// The datum the file's coordinates are in: wgs84, or gcj02 (as
        /// drawn by Chinese map apps), converted to WGS 84 on the way in.
        #[arg(long, default_value = "wgs84")]
        datum: String,
    },
    /// Write the grid's areas (one level, or all) as GeoJSON to FILE or
    /// standard output.
    Export {
        #[arg(long)]
        level: Option<String>,
        file: Option<PathBuf>,
    },
    /// The classes of problems (部件 and 事件).
    #[command(subcommand)]
    Classes(ClassesCommand),
    /// Open the reports received and not yet opened as cases; prints how many.
    Open,
    /// Load the demonstration grid (东城区 and 西城区: districts, streets,
    /// 500 m blocks and 100 m cells) unless the grid has areas; prints how
    /// many went in.
    Demo,
}

#[derive(Subcommand, Debug)]
pub enum ClassesCommand {
    /// Load a new version of the classes file (data/grid/classes.toml's format).
    Load { file: PathBuf },
    /// Every sub-class: service code, name, deadline, default department.
    List,
}

pub async fn run(db: &Db, command: GridCommand) -> anyhow::Result<ExitCode> {
    match command {
        GridCommand::Import { file, datum } => {
            let datum = Datum::parse(&datum)
                .ok_or_else(|| anyhow::anyhow!("datum must be wgs84 or gcj02"))?;
            let text = std::fs::read_to_string(&file)?;
            let areas: Vec<_> = areas_from_geojson(&text)?
                .into_iter()
                .map(|a| a.in_wgs84(datum))
                .collect();
            let n = egov_grid::layers::import_areas(db, &Context::system(), areas).await?;
            println!("areas stored: {n}");
        }
        GridCommand::Export { level, file } => {
            let level = match level {
                None => None,
                Some(l) => Some(Level::parse(&l).ok_or_else(|| {
                    anyhow::anyhow!("level must be district, street, community or cell")
                })?),
            };
            let grid = egov_grid::layers::grid(db).await?;
            let text = grid.map.to_geojson(level).to_string();
            match file {
                Some(f) => std::fs::write(f, text)?,
                None => println!("{text}"),
            }
        }
        GridCommand::Classes(ClassesCommand::Load { file }) => {
            let text = std::fs::read_to_string(&file)?;
            let version = egov_grid::layers::load_classes(db, &Context::system(), &text).await?;
            println!("classes version {version} loaded");
        }
        GridCommand::Classes(ClassesCommand::List) => {
            let grid = egov_grid::layers::grid(db).await?;
            println!("# classes version {}", grid.classes.version);
            for s in grid.classes.services() {
                let d = s.sub.deadline;
                println!(
                    "{}\t{}/{}\t{} {:?}\t{}",
                    s.code(),
                    s.class.name,
                    s.sub.name,
                    d.amount,
                    d.unit,
                    s.sub.department
                );
            }
        }
        GridCommand::Demo => {
            let n = egov_grid::demo::load(db).await?;
            println!("demonstration grid areas: {n}");
        }
        GridCommand::Open => {
            let processes = egov_cases::registry::Processes::default();
            let mut total = 0;
            loop {
                let n = egov_grid::intake::open_waiting(db, &processes, egov_grid::intake::BATCH)
                    .await?;
                total += n;
                if (n as i64) < egov_grid::intake::BATCH {
                    break;
                }
            }
            println!("reports opened: {total}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
