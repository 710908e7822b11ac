//! The case engine: work that moves between departments under statutory
//! deadlines. Process definitions are data (versioned TOML files, kept by
//! version in the database); a definition that could strand a case is
//! refused when it is loaded, not when a case runs into it. Around the
//! engine: attachments and comments, electronic supervision (warnings,
//! yellow and red cards, supervision orders), ratings and metrics.

pub mod access;
pub mod acting;
pub mod case;
pub(crate) mod clock;
pub mod definition;
pub mod engine;
pub mod error;
mod notices;
pub mod opening;
pub mod plan;
pub mod schema;

pub use acting::{actions_open_to, may_act, Acting};
pub use case::{
    branches, branches_on_record, by_number, get, timeline, AlertLevel, Branch, BranchStatus, Case,
    CaseEvent, Location,
};
pub use clock::first_due;
pub use definition::{
    Action, Actor, Clock, Deadline, DefinitionError, Parallel, ProcessDefinition, State,
    Supervision,
};
pub use engine::{act, start, start_in, NewCase};
pub use error::{CaseError, Refusal};
pub use opening::open_all;
pub use schema::{FieldSchema, Rule, SchemaError, Violation};

pub mod attachments;
pub mod comments;
pub mod corrections;
pub mod figures;
pub mod lapse;
pub mod metrics;
pub mod orders;
pub mod rating;
pub mod registry;
pub mod supervision;

pub use registry::{Processes, RegistryError};
