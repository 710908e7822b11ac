//! Growth as statistics offices publish it: 同比 against the same period a
//! year earlier, 环比 against the period just before, and 累计同比 of the
//! year so far against the same part of the year before, each in per cent.

use crate::period::Period;

/// The change from `before` to `now` in per cent; none without a base.
pub fn percent_change(now: f64, before: f64) -> Option<f64> {
    (before != 0.0).then(|| (now - before) / before.abs() * 100.0)
}

/// The three growth rates of `period`, given each period's value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Growth {
    /// 同比.
    pub year_on_year: Option<f64>,
    /// 环比.
    pub period_on_period: Option<f64>,
    /// 累计同比: the year so far against the same months a year earlier.
    pub year_to_date: Option<f64>,
}

/// Growth of `period`, with `value` giving any period's value. The year
/// so far is taken as the year-on-year growth, which it is for a level or
/// a stock; a flow's is the sum since January against the same months a
/// year earlier, which the caller works out over those days
/// (`Cube::indicator_growth`).
pub fn growth(period: &Period, value: impl Fn(&Period) -> Option<f64>) -> Growth {
    let change = |a: Option<f64>, b: Option<f64>| percent_change(a?, b?);
    let now = value(period);
    let year_on_year = change(now, value(&period.a_year_earlier()));
    Growth {
        year_on_year,
        period_on_period: change(now, value(&period.previous())),
        year_to_date: year_on_year,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn year_on_year_and_period_on_period() {
        let value = |q: &Period| match q.to_string().as_str() {
            "202501" => Some(100.0),
            "202502" => Some(100.0),
            "202601" => Some(110.0),
            "202602" => Some(132.0),
            _ => None,
        };
        let g = growth(&p("202602"), value);
        assert!((g.year_on_year.unwrap() - 32.0).abs() < 1e-9);
        assert!((g.period_on_period.unwrap() - 20.0).abs() < 1e-9);
        assert_eq!(g.year_to_date, g.year_on_year);
        // No base, no rate: January has no December here.
        assert_eq!(growth(&p("202601"), value).period_on_period, None);
        assert_eq!(percent_change(5.0, 0.0), None);
    }
}
