//! Reporting periods: a plan's year cut into periods of its interval
//! (monthly by default), each named by its first month (`2009-03`), and
//! each period's report due a number of working days after it ends.

use chrono::{Datelike, Months, NaiveDate};
use egov_calendar::WorkCalendar;

/// One reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// The period of an interval of `months` that holds `date`.
    pub fn of(date: NaiveDate, months: u32) -> Period {
        let months = months.clamp(1, 12);
        let first = (date.month0() / months) * months + 1;
        let start = NaiveDate::from_ymd_opt(date.year(), first, 1).expect("a month's first day");
        Period::from_start(start, months)
    }

    fn from_start(start: NaiveDate, months: u32) -> Period {
        let next = start + Months::new(months);
        Period {
            start,
            end: next.pred_opt().expect("a day before"),
        }
    }

    /// The period named `label` (`YYYY-MM`), if a period of `months` starts then.
    pub fn parse(label: &str, months: u32) -> Option<Period> {
        let start = NaiveDate::parse_from_str(&format!("{}-01", label.trim()), "%Y-%m-%d").ok()?;
        let p = Period::of(start, months);
        (p.start == start).then_some(p)
    }

    /// Its name: its first month.
    pub fn label(&self) -> String {
        self.start.format("%Y-%m").to_string()
    }

    /// The day its report is due: `workdays` working days after it ends.
    pub fn deadline(&self, calendar: &WorkCalendar, workdays: u32) -> NaiveDate {
        calendar.add_workdays(self.end, workdays).date()
    }

    /// The periods of `year`, in order.
    pub fn of_year(year: i32, months: u32) -> Vec<Period> {
        let mut out = Vec::new();
        let Some(mut d) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return out;
        };
        while d.year() == year {
            let p = Period::of(d, months);
            out.push(p);
            d = p.end.succ_opt().expect("a day after");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn periods_cut_the_year_by_the_interval() {
        assert_eq!(Period::of_year(2009, 1).len(), 12);
        let q = Period::of_year(2009, 3);
        assert_eq!(q.len(), 4);
        assert_eq!((q[1].start, q[1].end), (day(2009, 4, 1), day(2009, 6, 30)));
        assert_eq!(Period::of(day(2009, 2, 14), 1).end, day(2009, 2, 28));
        assert_eq!(Period::parse("2009-04", 3), Some(q[1]));
        assert_eq!(Period::parse("2009-05", 3), None);
        assert_eq!(Period::parse("2009-13", 1), None);
        assert_eq!(q[3].label(), "2009-10");
    }
}
