//! A plan and its nodes as the office writes them, checked before anything
//! is stored: every node has a title, a lead department, a responsible
//! person, a due date inside the plan's year and a measurable outcome; an
//! item sits at the root, a task under an item, a milestone under a task.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

egov_store::text_enum! {
    /// What kind of plan it is.
    pub enum PlanKind {
        /// 年度工作要点: a year's work points.
        Points = "points",
        /// 重点任务: key tasks.
        KeyTasks = "key_tasks",
        /// 领导批示: a leader's written instruction, turned into tasks.
        Instruction = "instruction",
    }
}

impl PlanKind {
    pub fn word(self) -> &'static str {
        match self {
            PlanKind::Points => "年度工作要点",
            PlanKind::KeyTasks => "重点任务",
            PlanKind::Instruction => "领导批示",
        }
    }

    pub fn word_en(self) -> &'static str {
        match self {
            PlanKind::Points => "Annual work points",
            PlanKind::KeyTasks => "Key tasks",
            PlanKind::Instruction => "Leader's instruction",
        }
    }
}

egov_store::text_enum! {
    /// A node's level in the tree.
    pub enum Level {
        /// 要点: one of the plan's items.
        Item = "item",
        /// 任务: a task an item is decomposed into.
        Task = "task",
        /// 节点: a dated milestone of a task.
        Milestone = "milestone",
    }
}

impl Level {
    /// The level a node of this level sits under (`None`: the root).
    pub fn parent(self) -> Option<Level> {
        match self {
            Level::Item => None,
            Level::Task => Some(Level::Item),
            Level::Milestone => Some(Level::Task),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Level::Item => "要点",
            Level::Task => "任务",
            Level::Milestone => "节点",
        }
    }

    pub fn word_en(self) -> &'static str {
        match self {
            Level::Item => "Item",
            Level::Task => "Task",
            Level::Milestone => "Milestone",
        }
    }
}

egov_store::text_enum! {
    /// Where a node stands.
    pub enum NodeState {
        Open = "open",
        /// The lead department asked for it to be closed, with evidence.
        Closing = "closing",
        /// Closed with the office's acceptance.
        Done = "done",
        /// Cancelled with the office's approval.
        Cancelled = "cancelled",
    }
}

/// A plan as the office drafts it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewPlan {
    pub title: String,
    /// `points`, `key_tasks` or `instruction`.
    pub kind: String,
    pub year: i32,
    /// The document it was issued under (e.g. 京信发〔2009〕1号).
    #[serde(default)]
    pub doc_number: Option<String>,
    /// How many months a reporting period is (default from the settings).
    #[serde(default)]
    pub report_months: Option<u32>,
    /// Whether its progress and year-end summary are published to everyone.
    #[serde(default)]
    pub public: bool,
}

/// A node as the office writes it: departments by code.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewNode {
    /// The node it sits under (none for an item).
    #[serde(default)]
    pub parent: Option<i64>,
    /// `item`, `task` or `milestone`.
    pub level: String,
    pub title: String,
    /// The lead department's code (牵头).
    #[serde(default)]
    pub lead: String,
    /// The co-operating departments' codes (配合).
    #[serde(default)]
    pub partners: Vec<String>,
    /// The person answerable for it (责任人).
    #[serde(default)]
    pub responsible: String,
    /// `YYYY-MM-DD`, inside the plan's year.
    #[serde(default)]
    pub due: String,
    /// The measurable outcome (完成标志).
    #[serde(default)]
    pub outcome: String,
}

/// Why a plan or a node was refused; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a title is 2 to 200 characters")]
    Title,
    #[error("unknown kind of plan '{0}'")]
    Kind(String),
    #[error("the year must be between 2000 and 2100")]
    Year,
    #[error("a reporting period is 1 to 12 months")]
    ReportMonths,
    #[error("unknown level '{0}'")]
    Level(String),
    #[error("every node needs a lead department")]
    NoLead,
    #[error("no department '{0}'")]
    UnknownDepartment(String),
    #[error("the lead department is not also a co-operating one")]
    LeadAsPartner,
    #[error("name the person responsible (2 to 40 characters)")]
    Responsible,
    #[error("the due date is not a date (YYYY-MM-DD)")]
    Due,
    #[error("the due date must fall within the plan's year {0}")]
    DueOutsideYear(i32),
    #[error("the due date is after that of the node it belongs to ({0})")]
    DueAfterParent(NaiveDate),
    #[error("a node under it is due later ({0}): move that first")]
    ChildDueLater(NaiveDate),
    #[error("state the measurable outcome (2 to 500 characters)")]
    Outcome,
    #[error("a {0} belongs under a {1}")]
    Parent(&'static str, &'static str),
}

impl PlanError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            PlanError::Title => "标题应为 2 至 200 个字".into(),
            PlanError::Kind(k) => format!("没有“{k}”这种计划类型"),
            PlanError::Year => "年度应在 2000 年至 2100 年之间".into(),
            PlanError::ReportMonths => "报送周期应为 1 至 12 个月".into(),
            PlanError::Level(l) => format!("没有“{l}”这一层级"),
            PlanError::NoLead => "每项任务都必须明确牵头单位".into(),
            PlanError::UnknownDepartment(d) => format!("没有代码为“{d}”的单位"),
            PlanError::LeadAsPartner => "牵头单位不能同时列为配合单位".into(),
            PlanError::Responsible => "请填写责任人（2 至 40 个字）".into(),
            PlanError::Due => "完成时限不是有效日期（年-月-日）".into(),
            PlanError::DueOutsideYear(y) => format!("完成时限必须在计划年度 {y} 年之内"),
            PlanError::DueAfterParent(d) => format!("完成时限不能晚于上级事项的时限（{d}）"),
            PlanError::ChildDueLater(d) => {
                format!("下级事项的时限（{d}）晚于此时限，请先调整下级事项")
            }
            PlanError::Outcome => "请填写可衡量的完成标志（2 至 500 个字）".into(),
            PlanError::Parent(level, parent) => format!("{level}应当归属于一项{parent}"),
        }
    }

    /// The form field it is about.
    pub fn field(&self) -> &'static str {
        match self {
            PlanError::Title => "title",
            PlanError::Kind(_) => "kind",
            PlanError::Year => "year",
            PlanError::ReportMonths => "report_months",
            PlanError::Level(_) | PlanError::Parent(..) => "level",
            PlanError::NoLead => "lead",
            PlanError::UnknownDepartment(_) | PlanError::LeadAsPartner => "partners",
            PlanError::Responsible => "responsible",
            PlanError::Due
            | PlanError::DueOutsideYear(_)
            | PlanError::DueAfterParent(_)
            | PlanError::ChildDueLater(_) => "due",
            PlanError::Outcome => "outcome",
        }
    }
}

fn chars_between(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.chars().count())
}

/// A plan checked.
#[derive(Debug, Clone)]
pub struct CheckedPlan {
    pub title: String,
    pub kind: PlanKind,
    pub year: i32,
    pub doc_number: Option<String>,
    pub report_months: u32,
    pub public: bool,
}

impl NewPlan {
    pub fn check(self, default_report_months: u32) -> Result<CheckedPlan, PlanError> {
        let title = self.title.trim().to_owned();
        if !chars_between(&title, 2, 200) {
            return Err(PlanError::Title);
        }
        let kind = PlanKind::parse(self.kind.trim()).ok_or(PlanError::Kind(self.kind))?;
        if !(2000..=2100).contains(&self.year) {
            return Err(PlanError::Year);
        }
        let report_months = self.report_months.unwrap_or(default_report_months);
        if !(1..=12).contains(&report_months) {
            return Err(PlanError::ReportMonths);
        }
        let doc_number = self
            .doc_number
            .map(|d| d.trim().chars().take(60).collect::<String>())
            .filter(|d| !d.is_empty());
        Ok(CheckedPlan {
            title,
            kind,
            year: self.year,
            doc_number,
            report_months,
            public: self.public,
        })
    }
}

/// A node checked, its departments resolved to ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedNode {
    pub parent: Option<i64>,
    pub level: Level,
    pub title: String,
    pub lead: i64,
    pub partners: Vec<i64>,
    pub responsible: String,
    pub due: NaiveDate,
    pub outcome: String,
}

impl NewNode {
    /// Checks the node for a plan of `year`; `department` resolves a code.
    pub fn check(
        self,
        year: i32,
        department: impl Fn(&str) -> Option<i64>,
    ) -> Result<CheckedNode, PlanError> {
        let level = Level::parse(self.level.trim()).ok_or(PlanError::Level(self.level))?;
        let title = self.title.trim().to_owned();
        if !chars_between(&title, 2, 200) {
            return Err(PlanError::Title);
        }
        let lead_code = self.lead.trim();
        if lead_code.is_empty() {
            return Err(PlanError::NoLead);
        }
        let lead = department(lead_code)
            .ok_or_else(|| PlanError::UnknownDepartment(lead_code.to_owned()))?;
        let mut partners = Vec::new();
        for code in self
            .partners
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
        {
            let id = department(code).ok_or_else(|| PlanError::UnknownDepartment(code.into()))?;
            if id == lead {
                return Err(PlanError::LeadAsPartner);
            }
            if !partners.contains(&id) {
                partners.push(id);
            }
        }
        let responsible = self.responsible.trim().to_owned();
        if !chars_between(&responsible, 2, 40) {
            return Err(PlanError::Responsible);
        }
        let due =
            NaiveDate::parse_from_str(self.due.trim(), "%Y-%m-%d").map_err(|_| PlanError::Due)?;
        if due.year() != year {
            return Err(PlanError::DueOutsideYear(year));
        }
        let outcome = self.outcome.trim().to_owned();
        if !chars_between(&outcome, 2, 500) {
            return Err(PlanError::Outcome);
        }
        Ok(CheckedNode {
            parent: self.parent,
            level,
            title,
            lead,
            partners,
            responsible,
            due,
            outcome,
        })
    }
}

impl CheckedNode {
    /// Checks its place under `parent` (its level and due date), or at the
    /// root when `None`.
    pub fn fits_under(&self, parent: Option<(Level, NaiveDate)>) -> Result<(), PlanError> {
        let wrong = || match self.level.parent() {
            Some(p) => PlanError::Parent(self.level.word(), p.word()),
            None => PlanError::Parent(self.level.word(), "计划"),
        };
        match (self.level.parent(), parent) {
            (None, None) => Ok(()),
            (Some(want), Some((level, due))) if want == level => match self.due > due {
                true => Err(PlanError::DueAfterParent(due)),
                false => Ok(()),
            },
            _ => Err(wrong()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(code: &str) -> Option<i64> {
        match code {
            "A" => Some(1),
            "B" => Some(2),
            _ => None,
        }
    }

    fn task() -> NewNode {
        NewNode {
            parent: Some(7),
            level: "task".into(),
            title: "完成有线政务网络升级改造".into(),
            lead: "A".into(),
            partners: vec!["B".into()],
            responsible: "张明".into(),
            due: "2009-11-30".into(),
            outcome: "升级改造通过验收".into(),
        }
    }

    #[test]
    fn a_task_without_a_lead_is_refused() {
        let n = NewNode {
            lead: " ".into(),
            ..task()
        };
        assert_eq!(n.check(2009, lookup), Err(PlanError::NoLead));
    }

    #[test]
    fn a_due_date_outside_the_year_is_refused() {
        let n = NewNode {
            due: "2010-01-15".into(),
            ..task()
        };
        assert_eq!(n.check(2009, lookup), Err(PlanError::DueOutsideYear(2009)));
        let n = NewNode {
            due: "2009-02-30".into(),
            ..task()
        };
        assert_eq!(n.check(2009, lookup), Err(PlanError::Due));
    }

    #[test]
    fn departments_resolve_and_the_lead_is_not_a_partner() {
        let n = task().check(2009, lookup).unwrap();
        assert_eq!((n.lead, n.partners.clone()), (1, vec![2]));
        let n = NewNode {
            partners: vec!["A".into()],
            ..task()
        };
        assert_eq!(n.check(2009, lookup), Err(PlanError::LeadAsPartner));
        let n = NewNode {
            partners: vec!["Z".into()],
            ..task()
        };
        assert_eq!(
            n.check(2009, lookup),
            Err(PlanError::UnknownDepartment("Z".into()))
        );
    }

    #[test]
    fn a_node_fits_only_under_the_level_above_and_within_its_date() {
        let n = task().check(2009, lookup).unwrap();
        let item_due = NaiveDate::from_ymd_opt(2009, 12, 31).unwrap();
        assert_eq!(n.fits_under(Some((Level::Item, item_due))), Ok(()));
        assert!(matches!(
            n.fits_under(Some((Level::Task, item_due))),
            Err(PlanError::Parent(..))
        ));
        assert!(matches!(n.fits_under(None), Err(PlanError::Parent(..))));
        let early = NaiveDate::from_ymd_opt(2009, 6, 30).unwrap();
        assert_eq!(
            n.fits_under(Some((Level::Item, early))),
            Err(PlanError::DueAfterParent(early))
        );
    }
}
