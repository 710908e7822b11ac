//! What the pages show of a plan: its nodes as rows with their words in
//! the reader's language, and each row's place on the year's timeline.

use chrono::{Datelike, NaiveDate};
use egov_kernel::Locale;
use egov_workplan::board::{Board, Light, Node};
use egov_workplan::drafting::Plan;
use egov_workplan::plan::{Level, NodeState};

/// A department's short name (its name where it has none).
pub fn department_name(directory: &egov_org::Directory, locale: Locale, id: i64) -> String {
    match directory.department(id) {
        Some(d) if locale == Locale::En => d.name_in(locale).to_owned(),
        Some(d) => d.short_name.clone().unwrap_or_else(|| d.name.clone()),
        None => id.to_string(),
    }
}

pub fn light_word(locale: Locale, l: Light) -> &'static str {
    match locale {
        Locale::Zh => l.word(),
        Locale::En => l.word_en(),
    }
}

pub fn level_word(locale: Locale, l: Level) -> &'static str {
    match locale {
        Locale::Zh => l.word(),
        Locale::En => l.word_en(),
    }
}

pub fn state_word(locale: Locale, s: NodeState) -> &'static str {
    match (locale, s) {
        (Locale::Zh, NodeState::Open) => "推进中",
        (Locale::Zh, NodeState::Closing) => "已申请办结，待验收",
        (Locale::Zh, NodeState::Done) => "已办结",
        (Locale::Zh, NodeState::Cancelled) => "已撤销",
        (Locale::En, NodeState::Open) => "In progress",
        (Locale::En, NodeState::Closing) => "Closing asked, awaiting acceptance",
        (Locale::En, NodeState::Done) => "Closed",
        (Locale::En, NodeState::Cancelled) => "Cancelled",
    }
}

pub fn plan_status(locale: Locale, p: &Plan) -> String {
    match (locale, p.version, p.changed) {
        (Locale::Zh, 0, _) => "草稿，待各单位确认后发布".into(),
        (Locale::Zh, v, true) => format!("已发布第 {v} 版；有尚未发布的调整"),
        (Locale::Zh, v, false) => format!("已发布第 {v} 版"),
        (Locale::En, 0, _) => "Draft, to be published once confirmed".into(),
        (Locale::En, v, true) => format!("Version {v} published; changes not yet published"),
        (Locale::En, v, false) => format!("Version {v} published"),
    }
}

/// A node as a row of the board.
pub struct Row {
    pub id: i64,
    pub depth: usize,
    pub level: Level,
    pub level_word: &'static str,
    pub title: String,
    pub lead: String,
    pub partners: String,
    pub responsible: String,
    pub due: NaiveDate,
    pub outcome: String,
    pub progress: i64,
    pub light: &'static str,
    pub light_word: &'static str,
    pub state_word: &'static str,
    /// On the timeline (days of the year, 0-based): the bar's start and
    /// width, the reported part's width.
    pub bar: (i64, i64, i64),
    /// The milestones under it, by day of the year, with their titles.
    pub milestones: Vec<(i64, String)>,
}

impl Row {
    pub fn is_item(&self) -> bool {
        self.level == Level::Item
    }
}

/// Day of `plan`'s year, 0-based, clamped into it.
fn day_of_year(plan: &Plan, d: NaiveDate) -> i64 {
    if d.year() < plan.year() {
        return 0;
    }
    if d.year() > plan.year() {
        return 365;
    }
    i64::from(d.ordinal0())
}

/// The rows for `nodes` of `board`.
pub fn rows(
    directory: &egov_org::Directory,
    locale: Locale,
    board: &Board,
    nodes: &[&Node],
) -> Vec<Row> {
    let plan = &board.plan;
    let start = plan
        .published_on
        .map_or(0, |d| day_of_year(plan, d))
        .min(364);
    nodes
        .iter()
        .map(|n| {
            let end = day_of_year(plan, n.due_on).max(start + 1);
            let width = end - start;
            let milestones = board
                .nodes
                .iter()
                .filter(|m| m.parent_id == Some(n.id) && m.level == Level::Milestone)
                .map(|m| (day_of_year(plan, m.due_on), m.title.clone()))
                .collect();
            Row {
                id: n.id,
                depth: n.depth,
                level: n.level,
                level_word: level_word(locale, n.level),
                title: n.title.clone(),
                lead: department_name(directory, locale, n.lead_department_id),
                partners: n
                    .partners
                    .iter()
                    .map(|d| department_name(directory, locale, *d))
                    .collect::<Vec<_>>()
                    .join(if locale == Locale::Zh { "、" } else { ", " }),
                responsible: n.responsible.clone(),
                due: n.due_on,
                outcome: n.outcome.clone(),
                progress: n.progress,
                light: n.light().as_str(),
                light_word: light_word(locale, n.light()),
                state_word: state_word(locale, n.state),
                bar: (start, width, width * n.progress.clamp(0, 100) / 100),
                milestones,
            }
        })
        .collect()
}
