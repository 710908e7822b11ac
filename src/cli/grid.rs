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
    /// Routing reports to departments: the rules and the dispatch classifier.
    #[command(subcommand)]
    Routing(RoutingCommand),
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

#[derive(Subcommand, Debug)]
pub enum RoutingCommand {
    /// Load a new version of the routing rules (data/grid/routing.toml's format).
    Load { file: PathBuf },
    /// The rules in force, in the order they are tried.
    Rules,
    /// Bring in past dispatch decisions from a CSV file with the columns
    /// service_code, description, department (its abbreviation, such as
    /// CGZFJ), a header line first; all or none.
    ImportHistory { file: PathBuf },
    /// Train the dispatch classifier on every past decision now; prints its
    /// accuracy on the held-out fifth.
    Train,
    /// Train on the first four fifths of a made-up history of N decisions
    /// and print the accuracy on the last fifth, beside always suggesting
    /// the commonest department; stores nothing.
    Evaluate {
        #[arg(long, default_value_t = egov_grid::routing::store::DEMO_HISTORY)]
        decisions: usize,
        #[arg(long, default_value_t = egov_grid::routing::store::DEMO_SEED)]
        seed: u64,
    },
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
        GridCommand::Routing(command) => routing(db, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn routing(db: &Db, command: RoutingCommand) -> anyhow::Result<()> {
    use egov_grid::routing::store;
    match command {
        RoutingCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)?;
            let version =
                egov_grid::layers::load_routing_rules(db, &Context::system(), &text).await?;
            println!("routing rules version {version} loaded");
        }
        RoutingCommand::Rules => {
            let grid = egov_grid::layers::grid(db).await?;
            println!("# routing rules version {}", grid.routing.version);
            for (i, r) in grid.routing.rules().iter().enumerate() {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    i + 1,
                    r.service.as_deref().unwrap_or("*"),
                    r.area.as_deref().unwrap_or("*"),
                    r.words.join("|"),
                    r.department,
                    r.name
                );
            }
        }
        RoutingCommand::ImportHistory { file } => {
            let grid = egov_grid::layers::grid(db).await?;
            let mut reader = csv::Reader::from_path(&file)?;
            let mut examples = Vec::new();
            for (i, row) in reader.records().enumerate() {
                let row = row?;
                let field = |n: usize| row.get(n).unwrap_or_default();
                let example = store::checked_decision(&grid.classes, field(0), field(1), field(2))
                    .map_err(|problem| {
                        anyhow::anyhow!("line {}: {problem}; nothing stored", i + 2)
                    })?;
                examples.push(example);
            }
            let source = file
                .file_name()
                .map_or_else(|| "import".to_owned(), |n| n.to_string_lossy().into_owned());
            let n = store::import_history(db, &Context::system(), &source, examples).await?;
            println!("past decisions stored: {n}");
        }
        RoutingCommand::Train => {
            let t = store::train(db, &Context::system()).await?;
            println!(
                "model {}: {} decisions ({} overrides); held-out accuracy {}/{} = {:.1}%",
                t.id,
                t.examples,
                t.overrides,
                t.accuracy.correct,
                t.accuracy.total,
                100.0 * t.accuracy.share()
            );
        }
        RoutingCommand::Evaluate { decisions, seed } => {
            let report = tokio::task::spawn_blocking(move || {
                egov_grid::routing::evaluate_demo(decisions, seed)
            })
            .await?;
            println!("{report}");
            // One line for the benchmark harness to read.
            println!(
                "routing decisions={decisions} accuracy={:.4} commonest={:.4} train_s={:.3} suggest_per_s={:.0}",
                report.accuracy.share(),
                report.commonest_share,
                report.training.as_secs_f64(),
                report.suggestions_per_second()
            );
        }
    }
    Ok(())
}
