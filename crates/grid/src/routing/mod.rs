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
//! - `store`: the rules' versions live with the grid's areas and classes;
//!   here are the past decisions trained on, the trained classifiers with
//!   their held-out accuracy, and the suggestion for a report.
//!
//! Only `store` reads the database; none of it speaks HTTP.

pub mod classifier;
pub mod history;
pub mod rules;
pub mod store;

pub use classifier::{Accuracy, Classifier, Example, ModelError, Suggestion};
pub use history::{demo_history, split};
pub use rules::{Destination, RoutingRules, Rule, RulesError, SHIPPED as SHIPPED_RULES};

/// What the classifier scores on a made-up history it did not learn from.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation {
    pub trained_on: usize,
    pub accuracy: Accuracy,
    /// The share right when always suggesting the department most of the
    /// training decisions went to.
    pub commonest_share: f64,
    /// How long training took, and suggesting for every held-out decision
    /// (one thread each).
    pub training: std::time::Duration,
    pub suggesting: std::time::Duration,
}

impl Evaluation {
    /// Suggestions made a second on one thread.
    pub fn suggestions_per_second(&self) -> f64 {
        self.accuracy.total as f64 / self.suggesting.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "trained on {} decisions; held-out accuracy {}/{} = {:.1}% \
             (always the commonest department: {:.1}%); trained in {:.2} s, \
             {:.0} suggestions/s on one thread",
            self.trained_on,
            self.accuracy.correct,
            self.accuracy.total,
            100.0 * self.accuracy.share(),
            100.0 * self.commonest_share,
            self.training.as_secs_f64(),
            self.suggestions_per_second()
        )
    }
}

/// Trains on the first four fifths of `demo_history(n, seed)` (see
/// [`split`]) and measures on the rest. CPU work.
pub fn evaluate_demo(n: usize, seed: u64) -> Evaluation {
    let (train, test) = split(demo_history(n, seed), store::HELD_OUT_SHARE);
    let started = std::time::Instant::now();
    let classifier = Classifier::train(&train);
    let training = started.elapsed();
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in &train {
        *counts.entry(e.department.as_str()).or_default() += 1;
    }
    let commonest = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(d, _)| *d)
        .unwrap_or_default();
    let right = test.iter().filter(|e| e.department == commonest).count();
    let started = std::time::Instant::now();
    let accuracy = classifier.evaluate(&test);
    let suggesting = started.elapsed();
    Evaluation {
        trained_on: train.len(),
        accuracy,
        training,
        suggesting,
        commonest_share: if test.is_empty() {
            0.0
        } else {
            right as f64 / test.len() as f64
        },
    }
}
