//! The plan board: the tree in order, each node with its status light —
//! done, cancelled, late (past its due date and not closed with the
//! office's acceptance), at risk (a period's report overdue, or progress
//! well behind the time passed), on track — rolled up so that an item
//! shows the worst of its tasks; and what a department owes this week.

use crate::drafting::{self, Plan};
use crate::periods::Period;
use crate::plan::{Level, NodeState};
use crate::settings::Settings;
use chrono::{Datelike, Duration, NaiveDate};
use egov_calendar::WorkCalendar;
use egov_store::{in_list, run, Db, StoreError};
use serde::Serialize;

egov_store::text_enum! {
    /// A node's status light.
    pub enum Light {
        OnTrack = "on_track",
        AtRisk = "at_risk",
        Late = "late",
        Done = "done",
        Cancelled = "cancelled",
    }
}

impl Light {
    /// How much it calls for attention (a parent shows its children's worst).
    fn rank(self) -> u8 {
        match self {
            Light::Late => 4,
            Light::AtRisk => 3,
            Light::OnTrack => 2,
            Light::Done => 1,
            Light::Cancelled => 0,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Light::OnTrack => "正常推进",
            Light::AtRisk => "存在风险",
            Light::Late => "已逾期",
            Light::Done => "已完成",
            Light::Cancelled => "已撤销",
        }
    }

    pub fn word_en(self) -> &'static str {
        match self {
            Light::OnTrack => "On track",
            Light::AtRisk => "At risk",
            Light::Late => "Late",
            Light::Done => "Done",
            Light::Cancelled => "Cancelled",
        }
    }
}

/// A node as the board shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Node {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub level: Level,
    pub position: i64,
    pub title: String,
    pub lead_department_id: i64,
    pub responsible: String,
    pub due_on: NaiveDate,
    pub outcome: String,
    pub state: NodeState,
    /// The latest reported progress, 0–100 (an item: its tasks' mean).
    pub progress: i64,
    /// The latest period reported on.
    pub last_period: Option<String>,
    pub closed_on: Option<NaiveDate>,
    #[sqlx(skip)]
    pub partners: Vec<i64>,
    /// How deep in the tree (an item 0).
    #[sqlx(skip)]
    pub depth: usize,
    #[sqlx(skip)]
    pub light: Option<Light>,
}

impl Node {
    pub fn light(&self) -> Light {
        self.light.unwrap_or(Light::OnTrack)
    }

    /// Whether `department` has a share in it.
    pub fn involves(&self, department: i64) -> bool {
        self.lead_department_id == department || self.partners.contains(&department)
    }
}

/// A plan's board.
#[derive(Debug, Clone)]
pub struct Board {
    pub plan: Plan,
    /// Depth first, in the office's order.
    pub nodes: Vec<Node>,
    /// The day the lights are for: today, or the plan year's last day for
    /// a past year's plan.
    pub as_of: NaiveDate,
    /// The plan's year is over: what is not closed is late, not done.
    pub year_over: bool,
}

/// The nodes of plan `plan_id` as stored (not removed), in no order.
pub async fn nodes(db: &Db, plan_id: i64) -> Result<Vec<Node>, StoreError> {
    let mut r = db.reader().await?;
    let mut nodes: Vec<Node> = run!(r, |c| {
        sqlx::query_as(
        "SELECT id, parent_id, level, position, title, lead_department_id, responsible, due_on, \
         outcome, state, progress, last_period, closed_on FROM workplan_nodes \
         WHERE plan_id = $1 AND NOT removed"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await
    })?;
    let partners: Vec<(i64, i64)> = run!(r, |c| sqlx::query_as(
        "SELECT p.node_id, p.department_id FROM workplan_partners p \
         JOIN workplan_nodes n ON n.id = p.node_id WHERE n.plan_id = $1 AND NOT n.removed \
         ORDER BY p.node_id, p.department_id"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await)?;
    let index: std::collections::HashMap<i64, usize> =
        nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    for (node, department) in partners {
        if let Some(&i) = index.get(&node) {
            nodes[i].partners.push(department);
        }
    }
    Ok(nodes)
}

/// Plan `plan`'s board as of `today`.
pub async fn load(
    db: &Db,
    calendar: &WorkCalendar,
    plan: Plan,
    today: NaiveDate,
) -> Result<Board, StoreError> {
    let nodes = nodes(db, plan.id).await?;
    Ok(build(calendar, Settings::shipped(), plan, nodes, today))
}

/// Orders `nodes` as a tree and lights them.
pub fn build(
    calendar: &WorkCalendar,
    settings: &Settings,
    plan: Plan,
    nodes: Vec<Node>,
    today: NaiveDate,
) -> Board {
    let year_end = NaiveDate::from_ymd_opt(plan.year(), 12, 31).unwrap_or(today);
    let as_of = today.min(year_end);
    let year_over = today > year_end;
    let mut nodes = in_tree_order(nodes);
    light(&mut nodes, calendar, settings, &plan, as_of, year_over);
    Board {
        plan,
        nodes,
        as_of,
        year_over,
    }
}

/// Depth first, children in position order; nodes whose parent is gone
/// are left out.
fn in_tree_order(mut nodes: Vec<Node>) -> Vec<Node> {
    nodes.sort_by_key(|n| n.position);
    let mut children: std::collections::HashMap<Option<i64>, Vec<usize>> = Default::default();
    for (i, n) in nodes.iter().enumerate() {
        children.entry(n.parent_id).or_default().push(i);
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|c| c.iter().rev().map(|&i| (i, 0)).collect())
        .unwrap_or_default();
    while let Some((i, depth)) = stack.pop() {
        order.push((i, depth));
        if let Some(c) = children.get(&Some(nodes[i].id)) {
            stack.extend(c.iter().rev().map(|&j| (j, depth + 1)));
        }
    }
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(i, depth)| {
            let mut n = slots[i].take()?;
            n.depth = depth;
            Some(n)
        })
        .collect()
}

/// The reporting periods of `plan` after its first publication, each with
/// the day its report is due: the same for every task, worked out once.
pub fn schedule(
    calendar: &WorkCalendar,
    settings: &Settings,
    plan: &Plan,
) -> Vec<(Period, NaiveDate)> {
    let Some(first) = plan.published_on else {
        return Vec::new();
    };
    let months = u32::try_from(plan.report_months).unwrap_or(1);
    Period::of_year(plan.year(), months)
        .into_iter()
        .filter(|p| p.end >= first)
        .map(|p| (p, p.deadline(calendar, settings.report_due_workdays)))
        .collect()
}

/// A node's own light, before its children are considered.
fn own_light(
    n: &Node,
    schedule: &[(Period, NaiveDate)],
    settings: &Settings,
    plan: &Plan,
    as_of: NaiveDate,
    year_over: bool,
) -> Light {
    match n.state {
        NodeState::Done => return Light::Done,
        NodeState::Cancelled => return Light::Cancelled,
        NodeState::Open | NodeState::Closing => {}
    }
    if as_of > n.due_on || year_over {
        return Light::Late;
    }
    let Some(first) = plan.published_on else {
        return Light::OnTrack;
    };
    if n.level == Level::Task {
        // The latest period not after the task's due date whose report was
        // due before today.
        let overdue = schedule
            .iter()
            .filter(|(p, _)| p.start <= n.due_on)
            .take_while(|(_, deadline)| *deadline < as_of)
            .last();
        if let Some((p, _)) = overdue {
            if n.last_period.as_deref() < Some(p.label().as_str()) {
                return Light::AtRisk;
            }
        }
    }
    if n.level != Level::Item {
        let total = (n.due_on - first).num_days().max(1);
        let passed = (as_of - first).num_days().clamp(0, total);
        let expected = passed * 100 / total;
        if n.progress + settings.behind_points < expected {
            return Light::AtRisk;
        }
    }
    Light::OnTrack
}

/// Lights every node and rolls the lights and the progress up the tree
/// (`nodes` in tree order: children after their parent).
fn light(
    nodes: &mut [Node],
    calendar: &WorkCalendar,
    settings: &Settings,
    plan: &Plan,
    as_of: NaiveDate,
    year_over: bool,
) {
    let schedule = schedule(calendar, settings, plan);
    for n in nodes.iter_mut() {
        n.light = Some(own_light(n, &schedule, settings, plan, as_of, year_over));
    }
    // Children come after their parent: walk backwards, folding each
    // child into its parent.
    let index: std::collections::HashMap<i64, usize> =
        nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut kids: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        if let Some(p) = n.parent_id.and_then(|p| index.get(&p)) {
            kids[*p].push(i);
        }
    }
    for i in (0..nodes.len()).rev() {
        if kids[i].is_empty() {
            continue;
        }
        let lights: Vec<Light> = kids[i].iter().map(|&k| nodes[k].light()).collect();
        let worst = lights.iter().copied().max_by_key(|l| l.rank());
        let n = &mut nodes[i];
        if n.level == Level::Item {
            let counted: Vec<i64> = kids[i]
                .iter()
                .map(|&k| (nodes[k].light(), nodes[k].progress))
                .filter(|(l, _)| *l != Light::Cancelled)
                .map(|(l, p)| if l == Light::Done { 100 } else { p })
                .collect();
            let n = &mut nodes[i];
            n.progress = match counted.len() {
                0 => 0,
                c => counted.iter().sum::<i64>() / c as i64,
            };
            n.light = worst;
            continue;
        }
        if matches!(n.state, NodeState::Done | NodeState::Cancelled) {
            continue;
        }
        if let Some(w) = worst.filter(|w| w.rank() > n.light().rank()) {
            n.light = Some(w);
        }
    }
}

impl Board {
    /// The nodes a filter keeps: those `department` has a share in (with
    /// the nodes above them), under item `item`.
    pub fn filtered(&self, department: Option<i64>, item: Option<i64>) -> Vec<&Node> {
        let index: std::collections::HashMap<i64, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id, i))
            .collect();
        let mut keep = vec![department.is_none(); self.nodes.len()];
        if let Some(d) = department {
            for (i, n) in self.nodes.iter().enumerate() {
                if n.involves(d) {
                    let mut at = Some(i);
                    while let Some(j) = at {
                        keep[j] = true;
                        at = self.nodes[j].parent_id.and_then(|p| index.get(&p).copied());
                    }
                }
            }
        }
        let mut current_item = None;
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| {
                if n.level == Level::Item {
                    current_item = Some(n.id);
                }
                keep[*i] && item.is_none_or(|it| current_item == Some(it))
            })
            .map(|(_, n)| n)
            .collect()
    }

    /// How many nodes of each light there are, at the level of tasks.
    pub fn tally(&self) -> Vec<(Light, usize)> {
        Light::ALL
            .iter()
            .map(|l| {
                let n = self
                    .nodes
                    .iter()
                    .filter(|n| n.level == Level::Task && n.light() == *l)
                    .count();
                (*l, n)
            })
            .collect()
    }

    /// The departments with a share in the plan.
    pub fn departments(&self) -> Vec<i64> {
        let mut out: Vec<i64> = self
            .nodes
            .iter()
            .flat_map(|n| std::iter::once(n.lead_department_id).chain(n.partners.iter().copied()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// What `department` owes by the end of this week (`today`'s, Monday
    /// to Sunday): a report on each task it leads whose period's report is
    /// due by then and not made, and the tasks and milestones it leads
    /// that fall due by then, not closed.
    pub fn owed(&self, calendar: &WorkCalendar, department: i64, today: NaiveDate) -> Vec<Owed> {
        let settings = Settings::shipped();
        let week_end =
            today + Duration::days(i64::from(6 - today.weekday().num_days_from_monday()));
        let schedule = schedule(calendar, settings, &self.plan);
        let mut out = Vec::new();
        for n in &self.nodes {
            if n.lead_department_id != department
                || n.level == Level::Item
                || matches!(n.state, NodeState::Done | NodeState::Cancelled)
            {
                continue;
            }
            if n.due_on <= week_end {
                out.push(Owed {
                    node_id: n.id,
                    title: n.title.clone(),
                    what: OwedKind::Close,
                    by: n.due_on,
                    overdue: n.due_on < today,
                });
            }
            if n.level != Level::Task || n.state == NodeState::Closing {
                continue;
            }
            let due = schedule
                .iter()
                .filter(|(p, _)| p.start <= n.due_on && p.end < today)
                .filter(|(_, d)| *d <= week_end)
                .rfind(|(p, _)| n.last_period.as_deref() < Some(p.label().as_str()));
            if let Some((p, by)) = due {
                out.push(Owed {
                    node_id: n.id,
                    title: n.title.clone(),
                    what: OwedKind::Report(p.label()),
                    by: *by,
                    overdue: *by < today,
                });
            }
        }
        out.sort_by_key(|o| o.by);
        out
    }
}

/// Something a department owes.
#[derive(Debug, Clone, Serialize)]
pub struct Owed {
    pub node_id: i64,
    pub title: String,
    pub what: OwedKind,
    pub by: NaiveDate,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "period", rename_all = "snake_case")]
pub enum OwedKind {
    /// A progress report for the period named.
    Report(String),
    /// The task or milestone itself, to be closed with evidence.
    Close,
}

/// The published plans in which `department` leads or co-operates on a
/// node, newest year first.
pub async fn plans_of(db: &Db, department: &[i64]) -> Result<Vec<Plan>, StoreError> {
    if department.is_empty() {
        return Ok(Vec::new());
    }
    let list = in_list(1, department.len());
    let sql = format!(
        "SELECT DISTINCT n.plan_id FROM workplan_nodes n \
         LEFT JOIN workplan_partners p ON p.node_id = n.id \
         WHERE NOT n.removed AND (n.lead_department_id IN ({list}) OR p.department_id IN ({list}))"
    );
    let ids: Vec<i64> = {
        let mut r = db.reader().await?;
        run!(r, |c| {
            let mut q = sqlx::query_scalar(&sql);
            for d in department {
                q = q.bind(*d);
            }
            q.fetch_all(&mut *c).await
        })?
    };
    let mut plans = drafting::plans(db).await?;
    plans.retain(|p| ids.contains(&p.id));
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanKind;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2009, m, d).unwrap()
    }

    fn plan() -> Plan {
        Plan {
            id: 1,
            title: "要点".into(),
            kind: PlanKind::Points,
            year: 2009,
            doc_number: None,
            office_department_id: 1,
            report_months: 1,
            public: true,
            version: 1,
            published_on: Some(day(1, 5)),
            changed: false,
            created_at: egov_kernel::time::now(),
        }
    }

    fn node(id: i64, parent: Option<i64>, level: Level, due: NaiveDate) -> Node {
        Node {
            id,
            parent_id: parent,
            level,
            position: id,
            title: format!("节点{id}"),
            lead_department_id: 10 + id,
            responsible: "张明".into(),
            due_on: due,
            outcome: "完成".into(),
            state: NodeState::Open,
            progress: 0,
            last_period: None,
            closed_on: None,
            partners: vec![],
            depth: 0,
            light: None,
        }
    }

    fn calendar() -> WorkCalendar {
        let file = egov_calendar::CalendarFile::parse(egov_calendar::BUILTIN).unwrap();
        WorkCalendar::new(&file.year, Default::default())
    }

    #[test]
    fn lights_roll_up_to_the_worst_and_items_average_progress() {
        let cal = calendar();
        let mut on_track = node(2, Some(1), Level::Task, day(12, 31));
        on_track.progress = 40;
        on_track.last_period = Some("2009-04".into());
        let mut late = node(3, Some(1), Level::Task, day(4, 30));
        late.progress = 80;
        late.last_period = Some("2009-04".into());
        let mut done = node(5, Some(4), Level::Task, day(3, 31));
        done.state = NodeState::Done;
        let nodes = vec![
            late.clone(),
            node(1, None, Level::Item, day(12, 31)),
            on_track,
            node(4, None, Level::Item, day(12, 31)),
            done,
        ];
        let b = build(&cal, Settings::shipped(), plan(), nodes, day(5, 20));
        let ids: Vec<i64> = b.nodes.iter().map(|n| n.id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5], "depth first in position order");
        let lights: Vec<Light> = b.nodes.iter().map(Node::light).collect();
        assert_eq!(
            lights,
            vec![
                Light::Late,
                Light::OnTrack,
                Light::Late,
                Light::Done,
                Light::Done
            ]
        );
        assert_eq!(b.nodes[0].progress, 60);
        assert_eq!(b.nodes[1].depth, 1);
    }

    #[test]
    fn an_overdue_report_or_slow_progress_puts_a_task_at_risk() {
        let cal = calendar();
        // April's report was due 5 working days after 30 April, early in
        // May; on 20 May it is overdue.
        let mut owing = node(2, Some(1), Level::Task, day(12, 31));
        owing.progress = 40;
        owing.last_period = Some("2009-03".into());
        let mut slow = node(3, Some(1), Level::Task, day(6, 30));
        slow.progress = 20;
        slow.last_period = Some("2009-04".into());
        let nodes = vec![node(1, None, Level::Item, day(12, 31)), owing, slow];
        let b = build(&cal, Settings::shipped(), plan(), nodes, day(5, 20));
        assert_eq!(b.nodes[1].light(), Light::AtRisk, "April not reported");
        assert_eq!(
            b.nodes[2].light(),
            Light::AtRisk,
            "20% with most of the time gone"
        );
        let owed = b.owed(&cal, 12, day(5, 20));
        assert_eq!(owed.len(), 1);
        assert_eq!(owed[0].what, OwedKind::Report("2009-04".into()));
        assert!(owed[0].overdue);
        assert!(b.filtered(Some(13), None).iter().map(|n| n.id).eq([1, 3]));
    }
}
