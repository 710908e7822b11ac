//! Work-plan supervision (督查督办), the plan's item (十五): any annual work
//! plan, a set of key tasks or a leader's instruction held as a tree of
//! items, tasks and milestones (`plan.rs`), each with its lead and
//! co-operating departments, person, due date and outcome. The office
//! drafts and changes it (`drafting.rs`), every department with a share
//! confirms or asks for a change (`confirming.rs`), and it is published as
//! versions any two of which compare (`versions.rs`). Departments report
//! on their tasks each period with evidence and ask to close them; the
//! office accepts or sends back, or cancels a task (`reporting.rs`). The
//! board gives every node its status light, rolled up the tree
//! (`board.rs`, on the periods and deadlines of `periods.rs`); a report
//! due is reminded of and one overdue warned of (`alerts.rs`). The 2009
//! informatization work points are the demonstration plan (`demo.rs`).

pub mod alerts;
pub mod board;
pub mod confirming;
pub mod demo;
pub mod drafting;
pub mod figures;
pub mod orders;
pub mod periods;
pub mod plan;
pub mod reporting;
pub mod scoring;
pub mod settings;
pub mod versions;

pub use plan::PlanError;

/// The order process, seeded with the case engine.
pub const PROCESSES: &[egov_cases::registry::Shipped] = &[(
    "workplan-order.toml",
    include_str!("../../../data/processes/workplan-order.toml"),
)];

/// Why a change to a plan was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum WorkplanError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("no such plan or node")]
    NotFound,
    #[error(transparent)]
    Confirm(#[from] confirming::ConfirmError),
    #[error(transparent)]
    Publish(#[from] versions::PublishError),
    #[error(transparent)]
    Report(#[from] reporting::ReportError),
    #[error(transparent)]
    Order(#[from] orders::OrderError),
    #[error(transparent)]
    Case(#[from] egov_cases::CaseError),
    #[error(transparent)]
    Process(#[from] egov_cases::RegistryError),
    #[error(transparent)]
    Store(#[from] egov_store::StoreError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
}
