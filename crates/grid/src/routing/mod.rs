//! Routing a report to the department that handles it (派遣).
//!
//! Three parts, from the one that decides to the one that only advises:
//!
//! - `rules`: ordered, first-match rules from a versioned data file
//!   (`data/grid/routing.toml`) by service-code prefix, area prefix and
//!   words of the description; when none holds, the sub-class's default
//!   department in `data/grid/classes.toml` does ([`RoutingRules::destination`]).
//! - `classifier`: a TF-IDF and softmax model trained on past dispatch
//!   decisions, which suggests a department with its probability, for the
//!   dispatcher to take or leave.
//! - `history`: a made-up dispatch history to demonstrate and test the
//!   classifier with, until a city has its own.
//!
//! Nothing here reads the database or speaks HTTP; the callers store the
//! rules' versions and the trained model's bytes.

pub mod classifier;
pub mod history;
pub mod rules;

pub use classifier::{Accuracy, Classifier, Example, ModelError, Suggestion};
pub use history::{demo_history, split};
pub use rules::{Destination, Rule, RoutingRules, RulesError};
