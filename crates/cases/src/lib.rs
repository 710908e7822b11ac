//! The case engine: work that moves between departments under statutory
//! deadlines. This first part holds the process definitions, which are data
//! (versioned TOML files), and the subset of JSON Schema that describes the
//! fields each action requires. A definition that could strand a case is
//! refused when it is loaded, not when a case runs into it.

pub mod definition;
pub mod engine;
pub mod schema;

pub use definition::{
    Action, Actor, Clock, Deadline, DefinitionError, Parallel, ProcessDefinition, State,
};
pub use engine::{
    act, branches, get, start, timeline, Acting, Branch, Case, CaseError, CaseEvent, NewCase,
};
pub use schema::{FieldSchema, SchemaError, Violation};
