//! The quality of reported figures: validation rules (a left side, an
//! operator and a right side, each a formula over elements, checked for
//! every unit and period that reported them, such as the monthly identity
//! 上月止累计 + 本月 = 本月止累计, written `#{cum@prev} + #{month} ==
//! #{cum}`), and outliers in a unit's series, by z-score or by the robust
//! modified z-score (Iglewicz and Hoaglin's, on the median absolute
//! deviation), which a single wild value cannot hide by widening the spread.

use crate::compute::Cube;
use crate::expression::{Expression, ExpressionError};
use crate::period::Period;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How two sides compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    #[serde(rename = "==")]
    Equal,
    #[serde(rename = "!=")]
    NotEqual,
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
}

impl Operator {
    pub const ALL: [Operator; 6] = [
        Operator::Equal,
        Operator::NotEqual,
        Operator::Less,
        Operator::LessOrEqual,
        Operator::Greater,
        Operator::GreaterOrEqual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equal => "==",
            Operator::NotEqual => "!=",
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Greater => ">",
            Operator::GreaterOrEqual => ">=",
        }
    }

    pub fn parse(text: &str) -> Option<Operator> {
        Operator::ALL
            .into_iter()
            .find(|o| o.as_str() == text.trim())
    }

    /// Whether `left op right` holds, `tolerance` either way: figures
    /// rounded for publication seldom add up to the last digit.
    fn holds(self, left: f64, right: f64, tolerance: f64) -> bool {
        // Beyond the tolerance asked for, what binary fractions lose.
        let slack = tolerance + 1e-9 * left.abs().max(right.abs()).max(1.0);
        match self {
            Operator::Equal => (left - right).abs() <= slack,
            Operator::NotEqual => (left - right).abs() > slack,
            Operator::Less => left < right + slack,
            Operator::LessOrEqual => left <= right + slack,
            Operator::Greater => left + slack > right,
            Operator::GreaterOrEqual => left + slack >= right,
        }
    }
}

/// A validation rule as written and kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationRule {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub left: String,
    pub operator: Operator,
    pub right: String,
    /// How far the sides may miss each other and still hold.
    pub tolerance: f64,
}

/// Which part of a rule is wrong.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("a rule's code is 1 to 50 letters, digits, '_', '-' or '.': {0:?}")]
    BadCode(String),
    #[error("a rule needs a name")]
    NoName,
    #[error("left side: {0}")]
    Left(ExpressionError),
    #[error("right side: {0}")]
    Right(ExpressionError),
    #[error("the tolerance must be a number of at least zero")]
    Tolerance,
}

impl RuleError {
    /// The message in Chinese, for the pages and problem documents.
    pub fn zh(&self) -> String {
        match self {
            RuleError::BadCode(c) => {
                format!("规则代码须为 1 至 50 个字母、数字、“_”“-”或“.”：“{c}”")
            }
            RuleError::NoName => "请填写规则名称".to_owned(),
            RuleError::Left(e) => format!("左边：{}", e.zh()),
            RuleError::Right(e) => format!("右边：{}", e.zh()),
            RuleError::Tolerance => "容差须为不小于零的数值".to_owned(),
        }
    }
}

/// A rule ready to check.
#[derive(Debug, Clone)]
pub struct Rule {
    pub code: String,
    left: Expression,
    operator: Operator,
    right: Expression,
    tolerance: f64,
}

impl ValidationRule {
    /// The rule checked against the elements `known` knows. A side may be
    /// a plain number (`#{a} >= 0`) but the rule must name an element.
    pub fn checked(&self, known: impl Fn(&str) -> bool) -> Result<Rule, RuleError> {
        if !crate::code::valid_code(&self.code) {
            return Err(RuleError::BadCode(self.code.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(RuleError::NoName);
        }
        let left = Expression::parse(&self.left).map_err(RuleError::Left)?;
        let right = Expression::parse(&self.right).map_err(RuleError::Right)?;
        // Rules and elements have codes of their own: no loop to refuse.
        let side = |e: &Expression| match e.references().is_empty() {
            true => Ok(()),
            false => e.check_references("", &known),
        };
        side(&left).map_err(RuleError::Left)?;
        side(&right).map_err(RuleError::Right)?;
        if left.references().is_empty() && right.references().is_empty() {
            return Err(RuleError::Left(ExpressionError::NoReference));
        }
        if !self.tolerance.is_finite() || self.tolerance < 0.0 {
            return Err(RuleError::Tolerance);
        }
        Ok(Rule {
            code: self.code.clone(),
            left,
            operator: self.operator,
            right,
            tolerance: self.tolerance,
        })
    }
}

/// Where a rule does not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub rule: String,
    pub area: String,
    pub period: Period,
    pub left: f64,
    pub right: f64,
}

impl Rule {
    /// The elements the rule names, on either side.
    pub fn elements(&self) -> BTreeSet<&str> {
        let mut all = self.left.references();
        all.extend(self.right.references());
        all
    }

    /// Every unit and period, among those reporting an element the rule
    /// names (and that `wanted` keeps), where the rule does not hold. A
    /// unit and period missing a value the rule needs is not judged: the
    /// completeness of reporting tells of missing values.
    pub fn violations(
        &self,
        cube: &Cube,
        wanted: impl Fn(&str, &Period) -> bool,
    ) -> Vec<Violation> {
        let mut cells: BTreeSet<(&str, Period)> = BTreeSet::new();
        for element in self.elements() {
            cells.extend(
                cube.reports(element)
                    .filter(|(area, period, _)| wanted(area, period))
                    .map(|(area, period, _)| (area, period)),
            );
        }
        cells
            .into_iter()
            .filter_map(|(area, period)| {
                let value = |e: &str| cube.reported(e, area, &period);
                let earlier = |e: &str| earlier_in_year(cube, e, area, &period);
                let left = self.left.evaluate_with(&value, &earlier)?;
                let right = self.right.evaluate_with(&value, &earlier)?;
                (!self.operator.holds(left, right, self.tolerance)).then(|| Violation {
                    rule: self.code.clone(),
                    area: area.to_owned(),
                    period,
                    left,
                    right,
                })
            })
            .collect()
    }
}

/// The element's value in the period just before `period` within its
/// year: the same kind of period, or for a month the combined
/// January–February before March; nought in the year's first period,
/// where a year-to-date figure starts again.
fn earlier_in_year(cube: &Cube, element: &str, area: &str, period: &Period) -> Option<f64> {
    let before = period.previous();
    if before.year() != period.year() {
        return Some(0.0);
    }
    if let Some(v) = cube.reported(element, area, &before) {
        return Some(v);
    }
    match *period {
        Period::Month { year, month } if month >= 3 && month % 2 == 1 => cube.reported(
            element,
            area,
            &Period::BiMonth {
                year,
                first: month - 2,
            },
        ),
        _ => None,
    }
}

/// How outliers are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierMethod {
    /// Distance from the mean in standard deviations.
    ZScore,
    /// Iglewicz and Hoaglin's modified z-score: 0.6745 × distance from the
    /// median over the median absolute deviation.
    Robust,
}

impl OutlierMethod {
    /// The threshold each is usually read with: 3 for the z-score, 3.5 for
    /// the modified one.
    pub fn default_threshold(self) -> f64 {
        match self {
            OutlierMethod::ZScore => 3.0,
            OutlierMethod::Robust => 3.5,
        }
    }
}

/// A value far from the rest of its series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlier {
    pub period: Period,
    pub value: f64,
    pub score: f64,
}

/// The fewest values a series needs before any is called an outlier.
pub const MIN_SERIES: usize = 5;

/// The values of `series` whose score is beyond `threshold` either way.
pub fn outliers(series: &[(Period, f64)], method: OutlierMethod, threshold: f64) -> Vec<Outlier> {
    if series.len() < MIN_SERIES {
        return Vec::new();
    }
    let values: Vec<f64> = series.iter().map(|(_, v)| *v).collect();
    let score: Box<dyn Fn(f64) -> f64> = match method {
        OutlierMethod::ZScore => {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            if sd == 0.0 {
                return Vec::new();
            }
            Box::new(move |v| (v - mean) / sd)
        }
        OutlierMethod::Robust => {
            let centre = median(values.clone());
            let mad = median(values.iter().map(|v| (v - centre).abs()).collect());
            if mad > 0.0 {
                Box::new(move |v| 0.6745 * (v - centre) / mad)
            } else {
                // More than half the values equal: the mean absolute
                // deviation stands in, scaled to match a normal spread.
                let meanad =
                    values.iter().map(|v| (v - centre).abs()).sum::<f64>() / values.len() as f64;
                if meanad == 0.0 {
                    return Vec::new();
                }
                Box::new(move |v| (v - centre) / (1.253314 * meanad))
            }
        }
    };
    series
        .iter()
        .filter_map(|&(period, value)| {
            let score = score(value);
            (score.abs() > threshold).then_some(Outlier {
                period,
                value,
                score,
            })
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n % 2 {
        1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregation;
    use std::collections::HashMap;

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn rule(left: &str, op: Operator, right: &str) -> Rule {
        ValidationRule {
            code: "r".into(),
            name: "规则".into(),
            name_en: None,
            left: left.into(),
            operator: op,
            right: right.into(),
            tolerance: 0.0,
        }
        .checked(|c| ["month", "cum", "part", "whole"].contains(&c))
        .unwrap()
    }

    fn cube(values: &[(&str, &str, &str, f64)]) -> Cube {
        let mut cube = Cube::new(HashMap::from([
            ("month".to_owned(), Aggregation::Sum),
            ("cum".to_owned(), Aggregation::Last),
        ]));
        for (e, a, period, v) in values {
            cube.add_value(e, a, p(period), *v);
        }
        cube
    }

    #[test]
    fn the_monthly_identity_holds_across_a_combined_january_february() {
        let identity = rule("#{cum@prev} + #{month}", Operator::Equal, "#{cum}");
        let c = cube(&[
            // Jan–Feb combined, then March and April; the year starts again.
            ("month", "110101", "202601B", 20.0),
            ("cum", "110101", "202601B", 20.0),
            ("month", "110101", "202603", 12.0),
            ("cum", "110101", "202603", 32.0),
            ("month", "110101", "202604", 10.0),
            ("cum", "110101", "202604", 41.0),
            ("month", "110101", "202701", 5.0),
            ("cum", "110101", "202701", 5.0),
            // Another unit without its cumulative figure: not judged.
            ("month", "110102", "202603", 9.0),
        ]);
        let broken = identity.violations(&c, |_, _| true);
        assert_eq!(
            broken,
            vec![Violation {
                rule: "r".into(),
                area: "110101".into(),
                period: p("202604"),
                left: 42.0,
                right: 41.0,
            }]
        );
        assert!(identity.violations(&c, |a, _| a == "110102").is_empty());
    }

    #[test]
    fn operators_and_tolerance() {
        let c = cube(&[("month", "1", "202601", 10.0), ("cum", "1", "202601", 10.4)]);
        assert!(rule("#{month}", Operator::LessOrEqual, "#{cum}")
            .violations(&c, |_, _| true)
            .is_empty());
        assert_eq!(
            rule("#{month}", Operator::Greater, "#{cum}")
                .violations(&c, |_, _| true)
                .len(),
            1
        );
        let mut loose = ValidationRule {
            code: "r".into(),
            name: "r".into(),
            name_en: None,
            left: "#{month}".into(),
            operator: Operator::Equal,
            right: "#{cum}".into(),
            tolerance: 0.5,
        };
        let known = |c: &str| c == "month" || c == "cum";
        assert!(loose
            .checked(known)
            .unwrap()
            .violations(&c, |_, _| true)
            .is_empty());
        loose.tolerance = 0.1;
        assert_eq!(
            loose
                .checked(known)
                .unwrap()
                .violations(&c, |_, _| true)
                .len(),
            1
        );
        assert!(rule("#{month}", Operator::GreaterOrEqual, "0")
            .violations(&c, |_, _| true)
            .is_empty());
        assert_eq!(Operator::parse(" <= "), Some(Operator::LessOrEqual));
    }

    #[test]
    fn bad_rules_say_which_side() {
        let known = |c: &str| c == "month";
        let base = ValidationRule {
            code: "r".into(),
            name: "r".into(),
            name_en: None,
            left: "#{month}".into(),
            operator: Operator::Equal,
            right: "#{nope}".into(),
            tolerance: 0.0,
        };
        assert!(matches!(
            base.checked(known),
            Err(RuleError::Right(ExpressionError::Unknown(_)))
        ));
        let numbers = ValidationRule {
            left: "1".into(),
            right: "2".into(),
            ..base.clone()
        };
        assert!(matches!(numbers.checked(known), Err(RuleError::Left(_))));
        let negative = ValidationRule {
            right: "0".into(),
            tolerance: -1.0,
            ..base.clone()
        };
        assert!(matches!(negative.checked(known), Err(RuleError::Tolerance)));
        let bad = ValidationRule {
            left: "#{month@last}".into(),
            ..base
        };
        assert!(matches!(
            bad.checked(known),
            Err(RuleError::Left(ExpressionError::Syntax { .. }))
        ));
    }

    fn series(values: &[f64]) -> Vec<(Period, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (p("202601").shifted(i as i32), *v))
            .collect()
    }

    #[test]
    fn a_wild_value_hides_from_the_z_score_in_a_short_series_but_not_from_the_robust_one() {
        let s = series(&[100.0, 102.0, 98.0, 101.0, 99.0, 100.0, 1000.0]);
        // With seven values one wild value can reach at most (n-1)/√n ≈ 2.27 sd.
        assert!(outliers(&s, OutlierMethod::ZScore, 3.0).is_empty());
        let robust = outliers(&s, OutlierMethod::Robust, 3.5);
        assert_eq!(robust.len(), 1);
        assert_eq!(robust[0].period, p("202607"));
        assert!(robust[0].score > 100.0);
        // A longer steady series and the z-score sees it too.
        let mut long: Vec<f64> = (0..30).map(|i| 100.0 + f64::from(i % 5)).collect();
        long.push(1000.0);
        let z = outliers(&series(&long), OutlierMethod::ZScore, 3.0);
        assert_eq!(z.iter().map(|o| o.value).collect::<Vec<_>>(), vec![1000.0]);
    }

    #[test]
    fn flat_and_short_series_have_no_outliers_and_ties_fall_back_to_the_mean_deviation() {
        assert!(outliers(&series(&[5.0; 10]), OutlierMethod::Robust, 3.5).is_empty());
        assert!(outliers(&series(&[5.0; 10]), OutlierMethod::ZScore, 3.0).is_empty());
        assert!(outliers(&series(&[1.0, 1.0, 90.0]), OutlierMethod::Robust, 3.5).is_empty());
        // Most values equal: the median deviation is nought.
        let s = series(&[5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 6.0, 50.0]);
        let found = outliers(&s, OutlierMethod::Robust, 3.5);
        assert_eq!(
            found.iter().map(|o| o.value).collect::<Vec<_>>(),
            vec![50.0]
        );
    }
}
