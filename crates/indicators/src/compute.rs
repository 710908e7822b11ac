//! Values worked out when asked, as DHIS2 does: an element's value for an
//! area and a period is the one reported for exactly that, else the sum
//! (or average, or last) of what its sub-areas or shorter periods report;
//! an indicator is its numerator over its denominator times its factor,
//! each worked out the same way.

use crate::aggregate::Aggregation;
use crate::expression::Expression;
use crate::growth::{growth, percent_change, Growth};
use crate::period::{Period, PeriodType};
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;

/// An indicator: numerator / denominator × factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub code: String,
    pub numerator: Expression,
    pub denominator: Expression,
    pub factor: f64,
}

impl Indicator {
    /// The elements its numerator and denominator name: what a cube for it
    /// must hold.
    pub fn elements(&self) -> std::collections::BTreeSet<&str> {
        let mut all = self.numerator.references();
        all.extend(self.denominator.references());
        all
    }
}

/// The reported values at hand (category totals), the areas' tree and how
/// each element adds up.
#[derive(Debug, Default)]
pub struct Cube {
    /// Element → area → period: a lookup borrows the names, and hashes
    /// only the period, thousands of times for one answer.
    values: HashMap<String, HashMap<String, HashMap<Period, f64>>>,
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

    /// Whether the element is one the cube was made for.
    pub fn knows(&self, element: &str) -> bool {
        self.aggregation.contains_key(element)
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
            .entry(element.to_owned())
            .or_default()
            .entry(area.to_owned())
            .or_default()
            .insert(period, value);
    }

    /// The value reported for exactly this element, area and period.
    pub fn reported(&self, element: &str, area: &str, period: &Period) -> Option<f64> {
        self.values.get(element)?.get(area)?.get(period).copied()
    }

    /// Every area and period an element was reported for, with the value.
    pub fn reports<'a>(
        &'a self,
        element: &str,
    ) -> impl Iterator<Item = (&'a str, Period, f64)> + 'a {
        self.values.get(element).into_iter().flat_map(|areas| {
            areas
                .iter()
                .flat_map(|(area, series)| series.iter().map(move |(p, v)| (area.as_str(), *p, *v)))
        })
    }

    /// The element's value for the area and period: reported, or made of
    /// shorter periods reported in the area that cover it whole (a quarter
    /// from January–February and March), or of its sub-areas' values as
    /// far as they are reported (DHIS2's rule; completeness is told apart).
    pub fn element(&self, element: &str, area: &str, period: &Period) -> Option<f64> {
        let (from, to) = period.days();
        self.span(element, area, from, to, period.kind(), 0)
    }

    /// The element over the days `from..=to`, from periods shorter than
    /// `within` (or exactly the span, where one was reported).
    fn span(
        &self,
        element: &str,
        area: &str,
        from: NaiveDate,
        to: NaiveDate,
        within: PeriodType,
        depth: u8,
    ) -> Option<f64> {
        let series = self.values.get(element).and_then(|a| a.get(area));
        let exact = |p: Period| series.and_then(|s| s.get(&p));
        // The span itself, reported as one period.
        for kind in [within].into_iter().chain(FINER) {
            if let Some(p) = Period::starting(from, kind).filter(|p| p.days() == (from, to)) {
                if let Some(v) = exact(p) {
                    return Some(*v);
                }
            }
        }
        // An area tree deeper than this is a loop in the data, not a city.
        if depth > 12 {
            return None;
        }
        let how = *self.aggregation.get(element)?;
        // Shorter periods reported in this area that cover the span whole,
        // the longest first at each step.
        let mut parts = Vec::new();
        let mut at = from;
        while at <= to {
            let next = FINER
                .into_iter()
                .filter(|k| *k < within)
                .filter_map(|k| Period::starting(at, k))
                .filter(|p| p.days().1 <= to)
                .find_map(|p| exact(p).map(|v| (p, *v)));
            match next {
                Some((p, v)) => {
                    parts.push((p, v));
                    at = p.days().1 + Duration::days(1);
                }
                None => {
                    parts.clear();
                    break;
                }
            }
        }
        if !parts.is_empty() {
            return how.over_time(&parts);
        }
        // Else the sub-areas' values for the span.
        let values: Vec<f64> = self
            .children
            .get(area)?
            .iter()
            .filter_map(|child| self.span(element, child, from, to, within, depth + 1))
            .collect();
        how.over_areas(&values)
    }

    /// The indicator's value for the area and period.
    pub fn indicator(&self, indicator: &Indicator, area: &str, period: &Period) -> Option<f64> {
        let (from, to) = period.days();
        self.indicator_span(indicator, area, from, to, period.kind())
    }

    fn indicator_span(
        &self,
        indicator: &Indicator,
        area: &str,
        from: NaiveDate,
        to: NaiveDate,
        within: PeriodType,
    ) -> Option<f64> {
        let value = |code: &str| self.span(code, area, from, to, within, 0);
        let n = indicator.numerator.evaluate(&value)?;
        let d = indicator.denominator.evaluate(&value)?;
        (d != 0.0).then(|| n / d * indicator.factor)
    }

    /// The indicator's growth for the area and period. The year so far is
    /// the indicator over the days from 1 January to the period's end (a
    /// ratio of the sums, for a ratio), against the same days a year
    /// earlier; for a level or a stock it is the year-on-year growth.
    pub fn indicator_growth(&self, indicator: &Indicator, area: &str, period: &Period) -> Growth {
        let mut g = growth(period, |p| self.indicator(indicator, area, p));
        let flows = indicator
            .numerator
            .references()
            .into_iter()
            .chain(indicator.denominator.references())
            .all(|c| self.aggregation.get(c) == Some(&Aggregation::Sum));
        if flows {
            let so_far = |p: &Period| {
                let to = p.days().1;
                let from = Period::Year(p.year()).days().0;
                self.indicator_span(indicator, area, from, to, PeriodType::Yearly)
            };
            g.year_to_date = match (so_far(period), so_far(&period.a_year_earlier())) {
                (Some(now), Some(before)) => percent_change(now, before),
                _ => None,
            };
        }
        g
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
    fn the_combined_january_february_stands_for_its_months_in_a_quarter_and_the_year_so_far() {
        let mut cube = Cube::new(HashMap::from([("sales".to_owned(), Aggregation::Sum)]));
        for (period, value) in [
            ("202501B", 180.0),
            ("202503", 100.0),
            ("202601B", 200.0),
            ("202603", 130.0),
        ] {
            cube.add_value("sales", "110000", p(period), value);
        }
        assert_eq!(cube.element("sales", "110000", &p("2026Q1")), Some(330.0));
        assert_eq!(cube.element("sales", "110000", &p("202601")), None);
        let sales = Indicator {
            code: "sales".into(),
            numerator: Expression::parse("#{sales}").unwrap(),
            denominator: Expression::parse("1").unwrap(),
            factor: 1.0,
        };
        let g = cube.indicator_growth(&sales, "110000", &p("202603"));
        assert!((g.year_on_year.unwrap() - 30.0).abs() < 1e-9);
        assert!((g.year_to_date.unwrap() - 17.857142857142858).abs() < 1e-9);
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
