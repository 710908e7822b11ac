//! Deadline arithmetic over the schedule.

use crate::schedule::{WorkingHours, YearSchedule};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum DayKind {
    Workday,
    Weekend,
    Holiday(String),
    /// A Saturday or Sunday declared a working day (调休).
    Makeup,
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday(_) => "holiday",
            DayKind::Makeup => "makeup",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Workday,
    Day,
    Hour,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Workday => "workday",
            Unit::Day => "day",
            Unit::Hour => "hour",
        }
    }

    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "workday" | "workdays" => Some(Unit::Workday),
            "day" | "days" => Some(Unit::Day),
            "hour" | "hours" => Some(Unit::Hour),
            _ => None,
        }
    }
}

/// A computed deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// The moment the period ends: the end of the last day for day units,
    /// the exact working minute for hours.
    pub at: NaiveDateTime,
    /// True when the computation ran into a year whose holiday notice is
    /// not loaded: recompute when it is.
    pub provisional: bool,
    /// The unpublished years the computation touched.
    pub unpublished_years: Vec<i32>,
}

impl Due {
    pub fn date(&self) -> NaiveDate {
        self.at.date()
    }
}

#[derive(Debug, Clone)]
pub struct WorkCalendar {
    holidays: BTreeMap<NaiveDate, String>,
    makeup: BTreeSet<NaiveDate>,
    published: BTreeSet<i32>,
    hours: WorkingHours,
}

/// Tracks unpublished years met while walking days.
struct Walk<'a> {
    cal: &'a WorkCalendar,
    unpublished: BTreeSet<i32>,
}

impl Walk<'_> {
    fn is_workday(&mut self, d: NaiveDate) -> bool {
        if !self.cal.is_published(d.year()) {
            self.unpublished.insert(d.year());
        }
        self.cal.is_workday(d)
    }

    fn due(self, at: NaiveDateTime) -> Due {
        Due {
            at,
            provisional: !self.unpublished.is_empty(),
            unpublished_years: self.unpublished.into_iter().collect(),
        }
    }
}

impl WorkCalendar {
    pub fn new(years: &[YearSchedule], hours: WorkingHours) -> Self {
        let mut holidays = BTreeMap::new();
        let mut makeup = BTreeSet::new();
        let mut published = BTreeSet::new();
        for y in years {
            published.insert(y.year);
            for p in &y.holidays {
                for d in &p.days {
                    holidays.insert(*d, p.name.clone());
                }
            }
            makeup.extend(y.makeup_workdays.iter().copied());
        }
        WorkCalendar {
            holidays,
            makeup,
            published,
            hours,
        }
    }

    pub fn is_published(&self, year: i32) -> bool {
        self.published.contains(&year)
    }

    pub fn published_years(&self) -> Vec<i32> {
        self.published.iter().copied().collect()
    }

    pub fn working_hours(&self) -> &WorkingHours {
        &self.hours
    }

    /// What kind of day this is. In an unpublished year only weekends are known.
    pub fn day_kind(&self, d: NaiveDate) -> DayKind {
        if let Some(name) = self.holidays.get(&d) {
            return DayKind::Holiday(name.clone());
        }
        if self.makeup.contains(&d) {
            return DayKind::Makeup;
        }
        match d.weekday() {
            Weekday::Sat | Weekday::Sun => DayKind::Weekend,
            _ => DayKind::Workday,
        }
    }

    pub fn is_workday(&self, d: NaiveDate) -> bool {
        matches!(self.day_kind(d), DayKind::Workday | DayKind::Makeup)
    }

    fn end_of(d: NaiveDate) -> NaiveDateTime {
        d.and_hms_opt(23, 59, 59).expect("valid time")
    }

    /// `n` working days after `start`; the start day itself is not counted.
    pub fn add_workdays(&self, start: NaiveDate, n: u32) -> Due {
        let mut walk = Walk {
            cal: self,
            unpublished: BTreeSet::new(),
        };
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if walk.is_workday(d) {
                left -= 1;
            }
        }
        walk.due(Self::end_of(d))
    }

    /// `n` calendar days after `start`. A period whose last day is a
    /// statutory holiday or rest day ends on the next working day
    /// (民法典 art. 203).
    pub fn add_days(&self, start: NaiveDate, n: u32) -> Due {
        let mut walk = Walk {
            cal: self,
            unpublished: BTreeSet::new(),
        };
        let mut d = start + Duration::days(i64::from(n));
        while !walk.is_workday(d) {
            d += Duration::days(1);
        }
        walk.due(Self::end_of(d))
    }

    /// `n` working hours after `start`, inside office hours of working days.
    pub fn add_working_hours(&self, start: NaiveDateTime, n: u32) -> Due {
        let mut walk = Walk {
            cal: self,
            unpublished: BTreeSet::new(),
        };
        let mut left = Duration::hours(i64::from(n));
        let mut t = start;
        loop {
            let day = t.date();
            if walk.is_workday(day) {
                for (a, b) in &self.hours.periods {
                    let (a, b) = (day.and_time(*a), day.and_time(*b));
                    if t >= b {
                        continue;
                    }
                    let begin = t.max(a);
                    let available = b - begin;
                    if left <= available {
                        return walk.due(begin + left);
                    }
                    left -= available;
                    t = b;
                }
            }
            t = (day + Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .expect("midnight");
        }
    }

    /// Working days strictly after `from` up to and including `to`.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut d = from;
        let mut n = 0;
        while d < to {
            d += Duration::days(1);
            if self.is_workday(d) {
                n += 1;
            }
        }
        n
    }

    /// Office time between two moments, in seconds: the working time a
    /// piece of work took.
    pub fn working_seconds_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        let mut total = 0;
        let mut day = from.date();
        while day <= to.date() {
            if self.is_workday(day) {
                for (a, b) in &self.hours.periods {
                    let begin = day.and_time(*a).max(from);
                    let end = day.and_time(*b).min(to);
                    if end > begin {
                        total += (end - begin).num_seconds();
                    }
                }
            }
            day += Duration::days(1);
        }
        total
    }

    pub fn due(&self, start: NaiveDateTime, n: u32, unit: Unit) -> Due {
        match unit {
            Unit::Workday => self.add_workdays(start.date(), n),
            Unit::Day => self.add_days(start.date(), n),
            Unit::Hour => self.add_working_hours(start, n),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn working_time_counts_office_hours_of_working_days_only() {
        let cal = WorkCalendar::new(&[year_2026_autumn()], WorkingHours::default());
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // Friday 2026-11-13 16:00 to Monday 09:30: the rest of Friday's
        // afternoon and half an hour on Monday.
        let secs = cal.working_seconds_between(at("2026-11-13 16:00"), at("2026-11-16 09:30"));
        let friday = cal.working_hours().periods.last().unwrap().1;
        let expected = (at("2026-11-13 00:00").date().and_time(friday) - at("2026-11-13 16:00"))
            .num_seconds()
            + 30 * 60;
        assert_eq!(secs, expected);
        // The National Day holiday counts for nothing.
        assert_eq!(
            cal.working_seconds_between(at("2026-10-01 00:00"), at("2026-10-07 23:59")),
            0
        );
    }

    use super::*;
    use crate::schedule::HolidayPeriod;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn year_2026_autumn() -> YearSchedule {
        let days = |from: &str, n: i64| (0..n).map(|i| d(from) + Duration::days(i)).collect();
        YearSchedule {
            year: 2026,
            notice: None,
            published: None,
            holidays: vec![
                HolidayPeriod {
                    name: "中秋节".into(),
                    name_en: None,
                    days: days("2026-09-25", 3),
                },
                HolidayPeriod {
                    name: "国庆节".into(),
                    name_en: None,
                    days: days("2026-10-01", 7),
                },
            ],
            makeup_workdays: vec![d("2026-09-20"), d("2026-10-10")],
        }
    }

    #[test]
    fn kinds_of_days() {
        let cal = WorkCalendar::new(&[year_2026_autumn()], WorkingHours::default());
        assert_eq!(
            cal.day_kind(d("2026-10-01")),
            DayKind::Holiday("国庆节".into())
        );
        assert_eq!(cal.day_kind(d("2026-10-10")), DayKind::Makeup);
        assert_eq!(cal.day_kind(d("2026-10-11")), DayKind::Weekend);
        assert_eq!(cal.day_kind(d("2026-10-12")), DayKind::Workday);
    }

    #[test]
    fn working_days_skip_holidays_and_count_makeup_days() {
        let cal = WorkCalendar::new(&[year_2026_autumn()], WorkingHours::default());
        // Thursday 24 Sep; 25-27 off; 28-30 work (3); Oct 1-7 off; 8, 9 (5); 10 makeup (6).
        assert_eq!(cal.add_workdays(d("2026-09-24"), 6).date(), d("2026-10-10"));
        assert!(!cal.add_workdays(d("2026-09-24"), 6).provisional);
        assert_eq!(cal.add_workdays(d("2026-09-24"), 0).date(), d("2026-09-24"));
    }

    #[test]
    fn calendar_days_end_on_a_working_day() {
        let cal = WorkCalendar::new(&[year_2026_autumn()], WorkingHours::default());
        assert_eq!(cal.add_days(d("2026-09-01"), 30).date(), d("2026-10-08"));
        assert_eq!(cal.add_days(d("2026-09-01"), 14).date(), d("2026-09-15"));
    }

    #[test]
    fn working_hours_follow_office_hours() {
        let cal = WorkCalendar::new(&[year_2026_autumn()], WorkingHours::default());
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
        assert_eq!(
            cal.add_working_hours(t("2026-09-22T10:00"), 2).at,
            t("2026-09-22T12:00")
        );
        assert_eq!(
            cal.add_working_hours(t("2026-09-22T11:00"), 2).at,
            t("2026-09-22T14:30")
        );
        // Evening report: counts from the next morning.
        assert_eq!(
            cal.add_working_hours(t("2026-09-22T20:00"), 4).at,
            t("2026-09-23T14:30")
        );
        // Thursday afternoon over the Mid-Autumn holiday to Monday.
        assert_eq!(
            cal.add_working_hours(t("2026-09-24T16:30"), 4).at,
            t("2026-09-28T12:00")
        );
    }

    #[test]
    fn running_into_an_unpublished_year_is_provisional() {
        let cal = WorkCalendar::new(&[year_2026_autumn()], WorkingHours::default());
        let due = cal.add_workdays(d("2026-12-20"), 20);
        assert!(due.provisional);
        assert_eq!(due.unpublished_years, vec![2027]);
        assert!(cal
            .add_workdays(d("2026-10-12"), 5)
            .unpublished_years
            .is_empty());
    }
}
