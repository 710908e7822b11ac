//! The calendar file format (see `data/calendar/README.md`).

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("the calendar file is not valid: {0}")]
    Parse(String),
    #[error("{year}: {message}")]
    Year { year: i32, message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HolidayPeriod {
    pub name: String,
    pub name_en: Option<String>,
    pub days: Vec<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct YearSchedule {
    pub year: i32,
    pub notice: Option<String>,
    pub published: Option<NaiveDate>,
    pub holidays: Vec<HolidayPeriod>,
    pub makeup_workdays: Vec<NaiveDate>,
}

impl YearSchedule {
    /// Every holiday day inside the year, no make-up day that is not a
    /// weekend day, and no day both.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let err = |message: String| ScheduleError::Year {
            year: self.year,
            message,
        };
        let mut off = BTreeSet::new();
        for p in &self.holidays {
            for d in &p.days {
                if d.year() != self.year {
                    return Err(err(format!("{d} ({}) is not in {}", p.name, self.year)));
                }
                off.insert(*d);
            }
        }
        for d in &self.makeup_workdays {
            if d.year() != self.year {
                return Err(err(format!("make-up day {d} is not in {}", self.year)));
            }
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(err(format!("make-up day {d} is not a Saturday or Sunday")));
            }
            if off.contains(d) {
                return Err(err(format!(
                    "{d} is both a holiday and a make-up working day"
                )));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WorkingHoursSpec {
    pub periods: Vec<String>,
    pub timezone: Option<String>,
}

/// Office hours on a working day, as half-open periods in local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    pub periods: Vec<(NaiveTime, NaiveTime)>,
}

impl WorkingHours {
    pub fn parse(spec: &WorkingHoursSpec) -> Result<Self, ScheduleError> {
        let mut periods = Vec::new();
        for p in &spec.periods {
            let bad = || {
                ScheduleError::Parse(format!(
                    "working hours period '{p}' must look like 09:00-12:00"
                ))
            };
            let (a, b) = p.split_once('-').ok_or_else(bad)?;
            let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
            let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
            if a >= b || periods.last().is_some_and(|(_, end)| *end > a) {
                return Err(bad());
            }
            periods.push((a, b));
        }
        if periods.is_empty() {
            return Err(ScheduleError::Parse(
                "working hours need at least one period".into(),
            ));
        }
        Ok(WorkingHours { periods })
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        WorkingHours {
            periods: vec![(t(9, 0), t(12, 0)), (t(13, 30), t(17, 30))],
        }
    }
}

/// A calendar file: any number of years, optionally the working hours.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarFile {
    pub version: String,
    pub jurisdiction: Option<String>,
    pub source: Option<String>,
    pub working_hours: Option<WorkingHoursSpec>,
    #[serde(default)]
    pub year: Vec<YearSchedule>,
}

impl CalendarFile {
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let file: CalendarFile =
            toml::from_str(text).map_err(|e| ScheduleError::Parse(e.to_string()))?;
        let mut seen = BTreeSet::new();
        for y in &file.year {
            if !seen.insert(y.year) {
                return Err(ScheduleError::Year {
                    year: y.year,
                    message: "listed twice".into(),
                });
            }
            y.validate()?;
        }
        if let Some(h) = &file.working_hours {
            WorkingHours::parse(h)?;
        }
        Ok(file)
    }
}
