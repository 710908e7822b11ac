//! Service items (政务服务事项): each item's 办事指南 as versioned data
//! (`guide.rs`), kept in the database with the version on offer
//! (`registry.rs`), and applying for one online (`application.rs`), which
//! hands the filed application to the case engine; the decision's result
//! document with its verification code (`result.rs`, laid out by the document engine).

pub mod application;
pub mod certificates;
pub mod guide;
pub mod registry;
pub mod result;
pub mod search;

pub use guide::{
    Audience, Guide, GuideEnglish, GuideError, Material, AUDIENCES, KINDS, LIFE_EVENTS,
};
pub use registry::{ItemStatus, RegistryError, ServiceItem};

/// The processes the hall's items run under, seeded with the case engine
/// (`egov_cases::registry::seed`).
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[
    (
        "administrative-license.toml",
        include_str!("../../../data/processes/administrative-license.toml"),
    ),
    (
        "joint-approval.toml",
        include_str!("../../../data/processes/joint-approval.toml"),
    ),
];
