//! The information resource catalogue (政务信息资源目录, the plan's item
//! 十八): what information each department holds, described with the core
//! metadata of GB/T 21063.3 and the 2017 cataloguing guide (`resource.rs`,
//! classes as data in `classes.rs`), registered and kept by the departments
//! (`registry.rs`, with the catalogue in memory and in the shared search),
//! the data a department hosts here, loaded by version and checked against
//! its 信息项 (`cells.rs` the types, `hosted.rs` the loads and queries),
//! sharing between departments by grant (`sharing.rs`), the exchange's
//! checked, logged and signed calls (`exchange.rs`), and the
//! demonstration catalogue (`demo.rs`).

pub mod cells;
pub mod classes;
pub mod demo;
pub mod exchange;
pub mod figures;
pub mod hosted;
pub mod registry;
pub mod resource;
pub mod sharing;

/// The process sharing requests run under, seeded with the case engine.
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[(
    "data-sharing-request.toml",
    include_str!("../../../data/processes/data-sharing-request.toml"),
)];

pub use registry::{Catalogue, CatalogueError};
pub use resource::{Item, ItemType, NewResource, OpenType, Resource, ResourceError, Sharing};
