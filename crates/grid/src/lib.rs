//! Grid city management (网格化城市管理), after the Dongcheng model: the
//! grid and its layers with a spatial index (`map.rs`, `layers.rs`), points
//! from Chinese map apps brought back to WGS 84 (`coords.rs`), the classes
//! of problems as versioned data (`classes.rs`), reports taken in durably
//! (`intake.rs`) and opened as cases of the grid process when the command
//! centre decides on them (`filing.rs`), and reports as service requests
//! (`requests.rs`, Open311's view of them).

pub mod build;
pub mod classes;
pub mod contact;
pub mod coords;
pub mod demo;
pub mod duplicates;
pub mod figures;
pub mod filing;
pub mod intake;
pub mod layers;
pub mod map;
pub mod photos;
pub mod reopen;
pub mod requests;
pub mod routing;
pub mod satisfaction;

/// The process grid reports run under, seeded with the case engine.
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[(
    "city-grid-case.toml",
    include_str!("../../../data/processes/city-grid-case.toml"),
)];
