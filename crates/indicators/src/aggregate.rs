//! How an element's values add up: over the areas of a larger area, and
//! over the shorter periods of a longer one. A flow (cases received,
//! retail sales) is summed both ways; a level (a price index, an average
//! wage) is averaged both ways; a stock (population, registered
//! unemployed at month end) is summed over areas and over time takes the
//! last period's value.

use crate::period::Period;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Sum,
    Average,
    Last,
}

impl Aggregation {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Average => "average",
            Aggregation::Last => "last",
        }
    }

    pub fn parse(word: &str) -> Option<Aggregation> {
        [Aggregation::Sum, Aggregation::Average, Aggregation::Last]
            .into_iter()
            .find(|a| a.as_str() == word)
    }

    /// The values of one period in several areas, as one.
    pub fn over_areas(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        match self {
            Aggregation::Sum | Aggregation::Last => Some(values.iter().sum()),
            Aggregation::Average => Some(values.iter().sum::<f64>() / values.len() as f64),
        }
    }

    /// One area's values of the shorter periods inside a longer one, as
    /// one; none when there are none.
    pub fn over_time(self, values: &[(Period, f64)]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        match self {
            Aggregation::Sum => Some(values.iter().map(|v| v.1).sum()),
            Aggregation::Average => {
                Some(values.iter().map(|v| v.1).sum::<f64>() / values.len() as f64)
            }
            Aggregation::Last => values.iter().max_by_key(|v| v.0.days().1).map(|v| v.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn flows_add_up_levels_average_and_stocks_keep_the_last() {
        let months = [
            (p("202603"), 30.0),
            (p("202601"), 10.0),
            (p("202602"), 20.0),
        ];
        assert_eq!(Aggregation::Sum.over_time(&months), Some(60.0));
        assert_eq!(Aggregation::Average.over_time(&months), Some(20.0));
        assert_eq!(Aggregation::Last.over_time(&months), Some(30.0));
        assert_eq!(Aggregation::Last.over_areas(&[1.0, 2.0]), Some(3.0));
        assert_eq!(Aggregation::Average.over_areas(&[1.0, 2.0]), Some(1.5));
        assert_eq!(Aggregation::Sum.over_time(&[]), None);
    }
}
