//! Values worked out when asked, as DHIS2 does: an element's value for an
//! area and a period is the one reported for exactly that, else the sum
//! (or average, or last) of what its sub-areas or shorter periods report;
//! an indicator is its numerator over its denominator times its factor,
//! each worked out the same way.

use crate::aggregate::Aggregation;
use crate::expression::Expression;
use crate::growth::{growth, Growth};
use crate::period::{Period, PeriodType};
use std::collections::HashMap;

/// An indicator: numerator / denominator × factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub code: String,
    pub numerator: Expression,
    pub denominator: Expression,
    pub factor: f64,
}

/// The reported values at hand (category totals), the areas' tree and how
/// each element adds up.
#[derive(Debug, Default)]
pub struct Cube {
    values: HashMap<(String, String, Period), f64>,
    children: HashMap<String, Vec<String>>,
    aggregation: HashMap<String, Aggregation>,
}

/// The shorter periods a value may be made of, longest first.
const FINER: [PeriodType; 4] = [
    PeriodType::Quarterly,
    PeriodType::BiMonthly,
    PeriodType::Monthly,
    PeriodType::Daily,
];

impl Cube {
    pub fn new(aggregation: HashMap<String, Aggregation>) -> Cube {
        Cube {
            aggregation,
            ..Cube::default()
        }
    }

    /// `child` lies within `parent` (a district in the city).
    pub fn add_area(&mut self, parent: &str, child: &str) {
        self.children
            .entry(parent.to_owned())
            .or_default()
            .push(child.to_owned());
    }

    pub fn add_value(&mut self, element: &str, area: &str, period: Period, value: f64) {
        self.values
            .insert((element.to_owned(), area.to_owned(), period), value);
    }

    /// The element's value for the area and period: reported, or made of
    /// its shorter periods, or of its sub-areas.
    pub fn element(&self, element: &str, area: &str, period: &Period) -> Option<f64> {
        self.element_at(element, area, period, 0)
    }

    fn element_at(&self, element: &str, area: &str, period: &Period, depth: u8) -> Option<f64> {
        if let Some(v) = self
            .values
            .get(&(element.to_owned(), area.to_owned(), *period))
        {
            return Some(*v);
        }
        // An area tree deeper than this is a loop in the data, not a city.
        if depth > 12 {
            return None;
        }
        let how = *self.aggregation.get(element)?;
        // The period from its parts, reported in this area (a quarter from
        // its months; January–February stands for its two months).
        for kind in FINER.into_iter().filter(|k| *k < period.kind()) {
            let parts = period.parts(kind);
            let values: Option<Vec<(Period, f64)>> = parts
                .iter()
                .map(|p| {
                    self.values
                        .get(&(element.to_owned(), area.to_owned(), *p))
                        .map(|v| (*p, *v))
                })
                .collect();
            if let Some(values) = values.filter(|v| !v.is_empty()) {
                return how.over_time(&values);
            }
        }
        // Else the sub-areas' values for the period, as far as reported.
        let values: Vec<f64> = self
            .children
            .get(area)?
            .iter()
            .filter_map(|child| self.element_at(element, child, period, depth + 1))
            .collect();
        how.over_areas(&values)
    }

    /// The indicator's value for the area and period.
    pub fn indicator(&self, indicator: &Indicator, area: &str, period: &Period) -> Option<f64> {
        let value = |code: &str| self.element(code, area, period);
        let n = indicator.numerator.evaluate(&value)?;
        let d = indicator.denominator.evaluate(&value)?;
        (d != 0.0).then(|| n / d * indicator.factor)
    }

    /// The indicator's growth for the area and period; the year so far
    /// is summed where every element it refers to is a flow.
    pub fn indicator_growth(&self, indicator: &Indicator, area: &str, period: &Period) -> Growth {
        let flows = indicator
            .numerator
            .references()
            .into_iter()
            .chain(indicator.denominator.references())
            .all(|c| self.aggregation.get(c) == Some(&Aggregation::Sum));
        // A ratio's year so far is the ratio of the sums, not a sum of ratios.
        let summed = flows && indicator.denominator == Expression::Number(1.0);
        growth(period, summed, |p| self.indicator(indicator, area, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    fn city() -> Cube {
        let mut cube = Cube::new(HashMap::from([
            ("vacancies".to_owned(), Aggregation::Sum),
            ("seekers".to_owned(), Aggregation::Sum),
            ("cpi".to_owned(), Aggregation::Average),
        ]));
        cube.add_area("110000", "110101");
        cube.add_area("110000", "110102");
        for (area, month, vacancies, seekers) in [
            ("110101", "202601", 120.0, 100.0),
            ("110101", "202602", 130.0, 100.0),
            ("110101", "202603", 140.0, 100.0),
            ("110102", "202601", 80.0, 100.0),
            ("110102", "202602", 90.0, 100.0),
            ("110102", "202603", 100.0, 100.0),
        ] {
            cube.add_value("vacancies", area, p(month), vacancies);
            cube.add_value("seekers", area, p(month), seekers);
        }
        cube.add_value("cpi", "110101", p("202603"), 101.0);
        cube.add_value("cpi", "110102", p("202603"), 103.0);
        cube
    }

    #[test]
    fn an_element_adds_up_over_areas_and_periods_as_it_aggregates() {
        let cube = city();
        assert_eq!(
            cube.element("vacancies", "110000", &p("202601")),
            Some(200.0)
        );
        assert_eq!(
            cube.element("vacancies", "110101", &p("2026Q1")),
            Some(390.0)
        );
        assert_eq!(
            cube.element("vacancies", "110000", &p("2026Q1")),
            Some(660.0)
        );
        assert_eq!(cube.element("cpi", "110000", &p("202603")), Some(102.0));
        assert_eq!(cube.element("vacancies", "110000", &p("202604")), None);
        // A reported figure wins over what its parts add up to.
        let mut cube = cube;
        cube.add_value("vacancies", "110000", p("202601"), 205.0);
        assert_eq!(
            cube.element("vacancies", "110000", &p("202601")),
            Some(205.0)
        );
    }

    #[test]
    fn a_ratio_indicator_is_worked_out_per_area_and_period_with_its_growth() {
        let cube = city();
        let ratio = Indicator {
            code: "jobs_ratio".into(),
            numerator: Expression::parse("#{vacancies}").unwrap(),
            denominator: Expression::parse("#{seekers}").unwrap(),
            factor: 1.0,
        };
        assert_eq!(cube.indicator(&ratio, "110000", &p("202601")), Some(1.0));
        assert_eq!(cube.indicator(&ratio, "110101", &p("2026Q1")), Some(1.3));
        let g = cube.indicator_growth(&ratio, "110000", &p("202602"));
        assert!((g.period_on_period.unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(g.year_on_year, None, "no 2025 values");
    }
}
