//! Work-plan supervision as data (`data/workplan/workplan.toml`): when a
//! period's report is due, when a department is reminded and warned, and
//! how far behind a task may fall before it shows at risk.

use serde::Deserialize;
use std::sync::OnceLock;

const SHIPPED: &str = include_str!("../../../data/workplan/workplan.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub version: u32,
    /// Working days after a period's end its report is due by.
    pub report_due_workdays: u32,
    /// Working days before a report is due that a department is reminded.
    pub remind_workdays_before: u32,
    /// Working days overdue after which a department is warned.
    pub warn_workdays_after: u32,
    /// Points of progress behind the time passed that put a task at risk.
    pub behind_points: i64,
    /// A new plan's reporting interval in months, unless it says another.
    pub default_report_months: u32,
    pub scoring: Scoring,
}

/// How a department's year-end score is made.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Points, of 100, of a task done by its due date, after it, or not.
    pub done_on_time: f64,
    pub done_late: f64,
    pub not_done: f64,
    /// The weight of a task and of a milestone.
    pub weight_task: f64,
    pub weight_milestone: f64,
    /// Points deducted per late report, per warning, per 督办 order.
    pub per_late_report: f64,
    pub per_warning: f64,
    pub per_order: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the work-plan settings do not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error(
        "default_report_months is 1 to 12, behind_points 1 to 100, report_due_workdays at least 1"
    )]
    Figures,
}

impl Scoring {
    /// Points within 0–100, weights positive, deductions not negative.
    fn sane(&self) -> bool {
        let points = [self.done_on_time, self.done_late, self.not_done];
        let deductions = [self.per_late_report, self.per_warning, self.per_order];
        points.iter().all(|p| (0.0..=100.0).contains(p))
            && self.weight_task > 0.0
            && self.weight_milestone > 0.0
            && deductions.iter().all(|d| *d >= 0.0)
    }
}

impl Settings {
    /// Reads and checks a settings file's text.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        let s: Settings = toml::from_str(text)?;
        if !(1..=12).contains(&s.default_report_months)
            || !(1..=100).contains(&s.behind_points)
            || s.report_due_workdays == 0
            || !s.scoring.sane()
        {
            return Err(SettingsError::Figures);
        }
        Ok(s)
    }

    /// The shipped settings.
    pub fn shipped() -> &'static Settings {
        static S: OnceLock<Settings> = OnceLock::new();
        S.get_or_init(|| Settings::parse(SHIPPED).expect("the shipped work-plan settings check"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_check_and_bad_figures_are_refused() {
        assert_eq!(Settings::shipped().default_report_months, 1);
        let bad = SHIPPED.replace("default_report_months = 1", "default_report_months = 13");
        assert!(matches!(Settings::parse(&bad), Err(SettingsError::Figures)));
        let bad = SHIPPED.replace("weight_task = 1.0", "weight_task = 0.0");
        assert!(matches!(Settings::parse(&bad), Err(SettingsError::Figures)));
    }
}
