//! Data sets (报表制度): which elements which units report, how often, by
//! when, and when a period closes to reports. From them come the
//! completeness and timeliness of each unit's reporting, the reminders for
//! reports missing, and the refusal of a late change to a closed period.

use crate::code::valid_code;
use crate::period::Period;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// How often a data set is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    /// Monthly, with January and February reported together (`202601B`),
    /// as much Chinese monthly statistics is because of the Spring Festival.
    MonthlyJanFeb,
    Quarterly,
    Yearly,
}

impl Frequency {
    pub const ALL: [Frequency; 4] = [
        Frequency::Monthly,
        Frequency::MonthlyJanFeb,
        Frequency::Quarterly,
        Frequency::Yearly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::MonthlyJanFeb => "monthly_jan_feb",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }

    pub fn parse(word: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == word)
    }

    /// Whether a period is one this data set is reported for.
    pub fn reports(self, period: &Period) -> bool {
        match (self, period) {
            (Frequency::Monthly, Period::Month { .. }) => true,
            (Frequency::MonthlyJanFeb, Period::Month { month, .. }) => *month >= 3,
            (Frequency::MonthlyJanFeb, Period::BiMonth { first: 1, .. }) => true,
            (Frequency::Quarterly, Period::Quarter { .. }) => true,
            (Frequency::Yearly, Period::Year(_)) => true,
            _ => false,
        }
    }

    /// The periods reported for whose days lie within `from..=to`, in order.
    pub fn periods(self, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
        let mut out = Vec::new();
        let mut month = Period::Month {
            year: from.year(),
            month: from.month(),
        };
        // Every period of these kinds starts on a month's first day.
        while month.days().0 <= to {
            let (year, m) = (month.year(), month.days().0.month());
            let mut candidates = vec![month];
            if m % 2 == 1 {
                candidates.push(Period::BiMonth { year, first: m });
            }
            if m % 3 == 1 {
                candidates.push(Period::Quarter {
                    year,
                    quarter: m.div_ceil(3),
                });
            }
            if m == 1 {
                candidates.push(Period::Year(year));
            }
            out.extend(candidates.into_iter().filter(|p| {
                let (a, b) = p.days();
                from <= a && b <= to && self.reports(p)
            }));
            month = month.shifted(1);
        }
        out
    }
}

/// A data set as the statistics office lays it down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSet {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub frequency: Frequency,
    /// The elements reported, in the order of the form.
    pub elements: Vec<String>,
    /// The units (area codes: divisions or departments) that report it.
    pub units: Vec<String>,
    /// Days after the period's end by which a report is on time (the 5th
    /// of the next month: 5).
    pub due_days: u32,
    /// Days after the period's end after which its figures no longer
    /// change; none for never.
    pub close_days: Option<u32>,
}

/// Which part of a data set is wrong.
#[derive(Debug, thiserror::Error)]
pub enum DataSetError {
    #[error("a data set's code is 1 to 50 letters, digits, '_', '-' or '.': {0:?}")]
    BadCode(String),
    #[error("a data set needs a name")]
    NoName,
    #[error("a data set names at least one element")]
    NoElements,
    #[error("unknown data element {0:?}")]
    UnknownElement(String),
    #[error("a data set names at least one reporting unit")]
    NoUnits,
    #[error("unknown reporting unit {0:?}")]
    UnknownUnit(String),
    #[error("a period closes after its reports are due, not before")]
    ClosesBeforeDue,
    #[error("at most 366 days after the period's end")]
    TooLong,
}

impl DataSetError {
    /// The message in Chinese, for the pages and problem documents.
    pub fn zh(&self) -> String {
        match self {
            DataSetError::BadCode(c) => {
                format!("报表代码须为 1 至 50 个字母、数字、“_”“-”或“.”：“{c}”")
            }
            DataSetError::NoName => "请填写报表名称".to_owned(),
            DataSetError::NoElements => "报表至少包含一个指标项".to_owned(),
            DataSetError::UnknownElement(c) => format!("没有这个指标项：“{c}”"),
            DataSetError::NoUnits => "报表至少有一个填报单位".to_owned(),
            DataSetError::UnknownUnit(c) => format!("没有这个地区或单位：“{c}”"),
            DataSetError::ClosesBeforeDue => "关闭填报的日期不能早于报送截止日期".to_owned(),
            DataSetError::TooLong => "期末后天数最多 366 天".to_owned(),
        }
    }
}

impl DataSet {
    /// Checks the data set against the elements and units known.
    pub fn check(
        &self,
        element_known: impl Fn(&str) -> bool,
        unit_known: impl Fn(&str) -> bool,
    ) -> Result<(), DataSetError> {
        if !valid_code(&self.code) {
            return Err(DataSetError::BadCode(self.code.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(DataSetError::NoName);
        }
        if self.elements.is_empty() {
            return Err(DataSetError::NoElements);
        }
        if let Some(e) = self.elements.iter().find(|e| !element_known(e)) {
            return Err(DataSetError::UnknownElement(e.clone()));
        }
        if self.units.is_empty() {
            return Err(DataSetError::NoUnits);
        }
        if let Some(u) = self.units.iter().find(|u| !unit_known(u)) {
            return Err(DataSetError::UnknownUnit(u.clone()));
        }
        if self.due_days > 366 || self.close_days.is_some_and(|c| c > 366) {
            return Err(DataSetError::TooLong);
        }
        if self.close_days.is_some_and(|c| c < self.due_days) {
            return Err(DataSetError::ClosesBeforeDue);
        }
        Ok(())
    }

    /// The last day a report for `period` is on time.
    pub fn due(&self, period: &Period) -> NaiveDate {
        period.days().1 + Duration::days(i64::from(self.due_days))
    }

    /// The last day `period` takes reports, if it closes.
    pub fn closes(&self, period: &Period) -> Option<NaiveDate> {
        self.close_days
            .map(|c| period.days().1 + Duration::days(i64::from(c)))
    }

    /// Whether the set's element `element` for `period` is closed on `today`.
    pub fn closed_for(
        &self,
        element: &str,
        period: &Period,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        if !self.frequency.reports(period) || !self.elements.iter().any(|e| e == element) {
            return None;
        }
        self.closes(period).filter(|last| *last < today)
    }
}

/// One unit's reporting over the periods asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitReporting {
    pub unit: String,
    /// Periods due by today.
    pub expected: usize,
    pub reported: usize,
    pub on_time: usize,
    /// The periods due and not reported, oldest first.
    pub missing: Vec<Period>,
}

impl UnitReporting {
    /// Reported over expected, in per cent; none when nothing was due.
    pub fn completeness(&self) -> Option<f64> {
        percent(self.reported, self.expected)
    }

    /// Reported on time over expected, in per cent.
    pub fn timeliness(&self) -> Option<f64> {
        percent(self.on_time, self.expected)
    }
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// Each unit's reporting of the set over `periods`: a period counts once
/// it is due (`today` after its due day); a unit reported a period when it
/// gave any of the set's elements for it, on time when its first value
/// came by the due day. `first_reported` tells the day a unit first
/// reported a period, if it did.
pub fn reporting(
    set: &DataSet,
    periods: &[Period],
    today: NaiveDate,
    first_reported: impl Fn(&str, &Period) -> Option<NaiveDate>,
) -> Vec<UnitReporting> {
    let due: Vec<&Period> = periods.iter().filter(|p| set.due(p) < today).collect();
    set.units
        .iter()
        .map(|unit| {
            let mut line = UnitReporting {
                unit: unit.clone(),
                expected: due.len(),
                reported: 0,
                on_time: 0,
                missing: Vec::new(),
            };
            for p in &due {
                match first_reported(unit, p) {
                    Some(day) => {
                        line.reported += 1;
                        if day <= set.due(p) {
                            line.on_time += 1;
                        }
                    }
                    None => line.missing.push(**p),
                }
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn set(frequency: Frequency) -> DataSet {
        DataSet {
            code: "retail".into(),
            name: "社会消费品零售额月报".into(),
            name_en: None,
            frequency,
            elements: vec!["retail".into(), "retail_cum".into()],
            units: vec!["110101".into(), "110102".into()],
            due_days: 5,
            close_days: Some(60),
        }
    }

    #[test]
    fn a_year_of_months_with_january_and_february_together_is_eleven_reports() {
        let year = Frequency::MonthlyJanFeb.periods(day(2026, 1, 1), day(2026, 12, 31));
        assert_eq!(year.len(), 11);
        assert_eq!(year[0].to_string(), "202601B");
        assert_eq!(year[1].to_string(), "202603");
        assert_eq!(
            Frequency::Monthly
                .periods(day(2026, 1, 1), day(2026, 3, 31))
                .len(),
            3
        );
        let quarters = Frequency::Quarterly.periods(day(2025, 11, 1), day(2026, 12, 31));
        assert_eq!(
            quarters.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            vec!["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
        );
        assert_eq!(
            Frequency::Yearly.periods(day(2026, 1, 1), day(2026, 12, 30)),
            vec![]
        );
    }

    #[test]
    fn a_period_is_due_five_days_on_and_closes_sixty_days_on() {
        let s = set(Frequency::MonthlyJanFeb);
        let march = Period::parse("202603").unwrap();
        assert_eq!(s.due(&march), day(2026, 4, 5));
        assert_eq!(s.closes(&march), Some(day(2026, 5, 30)));
        assert_eq!(s.closed_for("retail", &march, day(2026, 5, 30)), None);
        assert_eq!(
            s.closed_for("retail", &march, day(2026, 5, 31)),
            Some(day(2026, 5, 30))
        );
        // Another element, or a period of another kind: not this set's to close.
        assert_eq!(s.closed_for("cpi", &march, day(2027, 1, 1)), None);
        let q1 = Period::parse("2026Q1").unwrap();
        assert_eq!(s.closed_for("retail", &q1, day(2027, 1, 1)), None);
    }

    #[test]
    fn completeness_counts_what_was_due_and_timeliness_what_came_by_the_due_day() {
        let s = set(Frequency::Monthly);
        let periods = Frequency::Monthly.periods(day(2026, 1, 1), day(2026, 4, 30));
        let first = |unit: &str, p: &Period| match (unit, p.to_string().as_str()) {
            ("110101", "202601") => Some(day(2026, 2, 3)),
            ("110101", "202602") => Some(day(2026, 3, 9)),
            ("110101", "202603") => Some(day(2026, 4, 5)),
            ("110102", "202601") => Some(day(2026, 2, 1)),
            _ => None,
        };
        // On 10 April March is due; April is not.
        let lines = reporting(&s, &periods, day(2026, 4, 10), first);
        assert_eq!(lines[0].expected, 3);
        assert_eq!((lines[0].reported, lines[0].on_time), (3, 2));
        assert_eq!(lines[0].completeness(), Some(100.0));
        assert!((lines[0].timeliness().unwrap() - 66.666).abs() < 0.01);
        assert_eq!(
            lines[1]
                .missing
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            vec!["202602", "202603"]
        );
        let early = reporting(&s, &periods, day(2026, 2, 5), first);
        assert_eq!(early[1].expected, 0);
        assert_eq!(early[1].completeness(), None);
    }

    #[test]
    fn a_data_set_is_checked_whole() {
        let known = |c: &str| c.starts_with("retail");
        let unit = |c: &str| c.starts_with("1101");
        assert!(set(Frequency::Monthly).check(known, unit).is_ok());
        let mut s = set(Frequency::Monthly);
        s.elements.push("cpi".into());
        assert!(matches!(s.check(known, unit), Err(DataSetError::UnknownElement(c)) if c == "cpi"));
        let mut s = set(Frequency::Monthly);
        s.units = vec![];
        assert!(matches!(s.check(known, unit), Err(DataSetError::NoUnits)));
        let mut s = set(Frequency::Monthly);
        s.close_days = Some(3);
        assert!(matches!(
            s.check(known, unit),
            Err(DataSetError::ClosesBeforeDue)
        ));
        assert_eq!(
            Frequency::parse("monthly_jan_feb"),
            Some(Frequency::MonthlyJanFeb)
        );
    }
}
