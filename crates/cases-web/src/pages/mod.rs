//! The case engine's pages: thin handlers over [`crate::work`] that draw
//! its views with the web kit's page shell.

pub mod cases;
pub mod supervision;
pub mod workbench;

pub use cases::{beijing, CaseLine};
pub use supervision::MetricsRow;
