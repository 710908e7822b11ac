//! Periods, written as DHIS2 writes them so that tools speaking its
//! dataValueSets exchange them unchanged: `20260115` a day, `202601` a
//! month, `202601B` the two months January–February (the combined
//! period many Chinese monthly statistics are published for, as the
//! Spring Festival moves between them), `2026Q1` a quarter, `2026` a year.
//!
//! Every period is a run of whole days; one period contains another when
//! its days do. A month's value may be summed into its quarter and year;
//! the combined January–February stands where January and February would.

use chrono::{Datelike, NaiveDate};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Day(NaiveDate),
    Month {
        year: i32,
        month: u32,
    },
    /// Two months from an odd month: `202601B` is January–February.
    BiMonth {
        year: i32,
        first: u32,
    },
    Quarter {
        year: i32,
        quarter: u32,
    },
    Year(i32),
}

/// How long a period is, from the shortest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodType {
    Daily,
    Monthly,
    BiMonthly,
    Quarterly,
    Yearly,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("'{0}' is not a period (20260115, 202601, 202601B, 2026Q1 or 2026)")]
    Unreadable(String),
}

impl Period {
    /// Reads a DHIS2 period identifier.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let bad = || PeriodError::Unreadable(text.to_owned());
        let t = text.trim();
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let year = |s: &str| -> Result<i32, PeriodError> {
            match s.parse::<i32>() {
                Ok(y) if digits(s) && s.len() == 4 && y >= 1900 => Ok(y),
                _ => Err(bad()),
            }
        };
        if let Some((y, q)) = t.split_once('Q') {
            let quarter: u32 = q.parse().map_err(|_| bad())?;
            if !digits(q) || q.len() != 1 || !(1..=4).contains(&quarter) {
                return Err(bad());
            }
            return Ok(Period::Quarter {
                year: year(y)?,
                quarter,
            });
        }
        if let Some(ym) = t.strip_suffix('B') {
            if ym.len() != 6 || !digits(ym) {
                return Err(bad());
            }
            let first: u32 = ym[4..].parse().map_err(|_| bad())?;
            if !(1..=11).contains(&first) || first.is_multiple_of(2) {
                return Err(bad());
            }
            return Ok(Period::BiMonth {
                year: year(&ym[..4])?,
                first,
            });
        }
        if !digits(t) {
            return Err(bad());
        }
        match t.len() {
            4 => Ok(Period::Year(year(t)?)),
            6 => {
                let month: u32 = t[4..].parse().map_err(|_| bad())?;
                if !(1..=12).contains(&month) {
                    return Err(bad());
                }
                Ok(Period::Month {
                    year: year(&t[..4])?,
                    month,
                })
            }
            8 => {
                year(&t[..4])?;
                NaiveDate::parse_from_str(t, "%Y%m%d")
                    .map(Period::Day)
                    .map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    }

    pub fn kind(&self) -> PeriodType {
        match self {
            Period::Day(_) => PeriodType::Daily,
            Period::Month { .. } => PeriodType::Monthly,
            Period::BiMonth { .. } => PeriodType::BiMonthly,
            Period::Quarter { .. } => PeriodType::Quarterly,
            Period::Year(_) => PeriodType::Yearly,
        }
    }

    /// The first and the last day.
    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).expect("a checked month");
        let last_of = |y: i32, m: u32| {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            first_of(ny, nm).pred_opt().expect("a day before the first")
        };
        match *self {
            Period::Day(d) => (d, d),
            Period::Month { year, month } => (first_of(year, month), last_of(year, month)),
            Period::BiMonth { year, first } => (first_of(year, first), last_of(year, first + 1)),
            Period::Quarter { year, quarter } => {
                let m = 3 * quarter - 2;
                (first_of(year, m), last_of(year, m + 2))
            }
            Period::Year(y) => (first_of(y, 1), last_of(y, 12)),
        }
    }

    /// Whether every day of `other` is a day of this period.
    pub fn contains(&self, other: &Period) -> bool {
        let (a, b) = self.days();
        let (c, d) = other.days();
        a <= c && d <= b
    }

    pub fn year(&self) -> i32 {
        self.days().0.year()
    }

    /// The period of the same kind just before.
    pub fn previous(&self) -> Period {
        self.shifted(-1)
    }

    /// The same period a year earlier (29 February falls back to the 28th).
    pub fn a_year_earlier(&self) -> Period {
        match *self {
            Period::Day(d) => Period::Day(
                d.with_year(d.year() - 1)
                    .or_else(|| NaiveDate::from_ymd_opt(d.year() - 1, 2, 28))
                    .expect("a day a year earlier"),
            ),
            Period::Month { year, month } => Period::Month {
                year: year - 1,
                month,
            },
            Period::BiMonth { year, first } => Period::BiMonth {
                year: year - 1,
                first,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year: year - 1,
                quarter,
            },
            Period::Year(y) => Period::Year(y - 1),
        }
    }

    /// The period `n` steps of its own kind away (back when negative).
    pub fn shifted(&self, n: i32) -> Period {
        let months = |year: i32, month: u32, step: i32| {
            let index = year * 12 + month as i32 - 1 + step;
            (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
        };
        match *self {
            Period::Day(d) => Period::Day(d + chrono::Duration::days(i64::from(n))),
            Period::Month { year, month } => {
                let (year, month) = months(year, month, n);
                Period::Month { year, month }
            }
            Period::BiMonth { year, first } => {
                let (year, first) = months(year, first, 2 * n);
                Period::BiMonth { year, first }
            }
            Period::Quarter { year, quarter } => {
                let (year, month) = months(year, 3 * quarter - 2, 3 * n);
                Period::Quarter {
                    year,
                    quarter: month.div_ceil(3),
                }
            }
            Period::Year(y) => Period::Year(y + n),
        }
    }

    /// The month `day` falls in.
    pub fn month_of(day: NaiveDate) -> Period {
        Period::Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// The quarter `day` falls in.
    pub fn quarter_of(day: NaiveDate) -> Period {
        Period::Quarter {
            year: day.year(),
            quarter: day.month().div_ceil(3),
        }
    }

    /// The period of kind `kind` that begins on `day`, if one does (a
    /// month on the 1st, a quarter on 1 January, April, July or October).
    pub fn starting(day: NaiveDate, kind: PeriodType) -> Option<Period> {
        let (year, month) = (day.year(), day.month());
        let first = day.day() == 1;
        match kind {
            PeriodType::Daily => Some(Period::Day(day)),
            PeriodType::Monthly if first => Some(Period::Month { year, month }),
            PeriodType::BiMonthly if first && month % 2 == 1 => {
                Some(Period::BiMonth { year, first: month })
            }
            PeriodType::Quarterly if first && (month - 1).is_multiple_of(3) => {
                Some(Period::Quarter {
                    year,
                    quarter: month.div_ceil(3),
                })
            }
            PeriodType::Yearly if first && month == 1 => Some(Period::Year(year)),
            _ => None,
        }
    }

    /// The periods of kind `kind` that make up this one, in order (a
    /// quarter's months; a year's quarters). Empty when `kind` is not
    /// shorter or does not divide it (a quarter has no bimonths).
    pub fn parts(&self, kind: PeriodType) -> Vec<Period> {
        let (first, last) = self.days();
        let mut out = Vec::new();
        let mut p = match kind {
            PeriodType::Daily => Period::Day(first),
            PeriodType::Monthly => Period::Month {
                year: first.year(),
                month: first.month(),
            },
            PeriodType::BiMonthly if first.month() % 2 == 1 => Period::BiMonth {
                year: first.year(),
                first: first.month(),
            },
            PeriodType::Quarterly if (first.month() - 1).is_multiple_of(3) => Period::Quarter {
                year: first.year(),
                quarter: first.month().div_ceil(3),
            },
            PeriodType::Yearly if first.month() == 1 && first.day() == 1 => {
                Period::Year(first.year())
            }
            _ => return out,
        };
        if kind >= self.kind() {
            return out;
        }
        while p.days().1 <= last {
            out.push(p);
            p = p.shifted(1);
        }
        if out.last().map(|p| p.days().1) != Some(last) {
            out.clear();
        }
        out
    }

    /// The periods of this one's kind from the start of its year to it,
    /// inclusive: what a year-to-date figure adds up.
    pub fn year_to_date(&self) -> Vec<Period> {
        let start = Period::Year(self.year())
            .parts(self.kind())
            .first()
            .copied()
            .unwrap_or(*self);
        let mut out = vec![start];
        while out.last() != Some(self) && out.len() < 400 {
            let next = out.last().expect("one at least").shifted(1);
            out.push(next);
        }
        out
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Day(d) => write!(f, "{}", d.format("%Y%m%d")),
            Period::Month { year, month } => write!(f, "{year}{month:02}"),
            Period::BiMonth { year, first } => write!(f, "{year}{first:02}B"),
            Period::Quarter { year, quarter } => write!(f, "{year}Q{quarter}"),
            Period::Year(y) => write!(f, "{y}"),
        }
    }
}

/// Written as its identifier, as DHIS2 does.
impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn identifiers_read_back_as_written() {
        for id in ["20260115", "202601", "202601B", "2026Q3", "2026", "202612"] {
            assert_eq!(p(id).to_string(), id);
        }
        for bad in [
            "2026Q5", "202613", "202602B", "20260230", "26", "2026-01", "x", "2026Q", "",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} was read");
        }
    }

    #[test]
    fn the_combined_january_february_holds_both_months_and_sits_in_the_first_quarter() {
        let jan_feb = p("202601B");
        assert!(jan_feb.contains(&p("202601")) && jan_feb.contains(&p("202602")));
        assert!(!jan_feb.contains(&p("202603")));
        assert!(p("2026Q1").contains(&jan_feb));
        assert_eq!(
            jan_feb.days().1,
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert_eq!(
            p("202401B").days().1,
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn steps_cross_years_both_ways() {
        assert_eq!(p("202601").previous(), p("202512"));
        assert_eq!(p("2026Q1").previous(), p("2025Q4"));
        assert_eq!(p("202511B").shifted(1), p("202601B"));
        assert_eq!(p("20260101").previous(), p("20251231"));
        assert_eq!(p("2026Q4").shifted(1), p("2027Q1"));
        assert_eq!(p("202603").a_year_earlier(), p("202503"));
        assert_eq!(p("20240229").a_year_earlier(), p("20230228"));
    }

    #[test]
    fn a_year_is_made_of_its_quarters_and_months_and_the_year_so_far_counts_from_january() {
        assert_eq!(p("2026").parts(PeriodType::Quarterly).len(), 4);
        assert_eq!(
            p("2026Q2").parts(PeriodType::Monthly),
            vec![p("202604"), p("202605"), p("202606")]
        );
        assert!(p("2026Q1").parts(PeriodType::BiMonthly).is_empty());
        assert!(p("202601").parts(PeriodType::Yearly).is_empty());
        assert_eq!(
            p("202603").year_to_date(),
            vec![p("202601"), p("202602"), p("202603")]
        );
        assert_eq!(p("2026Q2").year_to_date(), vec![p("2026Q1"), p("2026Q2")]);
        assert_eq!(
            p("202603B").year_to_date(),
            vec![p("202601B"), p("202603B")]
        );
    }
}
