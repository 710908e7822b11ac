//! The year-end score: each task and milestone a department leads ends
//! done on time, done late, not done, or cancelled with approval (not
//! counted); its points, weighted by level, average to the department's
//! completion score, from which late reports, warnings and 督办 orders are
//! deducted (`data/workplan/workplan.toml`, `[scoring]`). Departments are
//! ranked by it. The summary (工作要点落实情况通报) is written from it as an
//! official letter and as a spreadsheet.

use crate::board::{Board, Node};
use crate::plan::{Level, NodeState};
use crate::settings::Scoring;
use egov_documents::sheet::Cell;
use egov_documents::{Block, Letter};
use egov_store::{run, Db, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

egov_store::text_enum! {
    /// How a task ended (or stands, before its due date).
    pub enum Outcome {
        OnTime = "on_time",
        Late = "late",
        NotDone = "not_done",
        Cancelled = "cancelled",
        /// Not due yet in a running year: not scored.
        Pending = "pending",
    }
}

/// How node `n` ended as of `board.as_of`.
pub fn outcome(board: &Board, n: &Node) -> Outcome {
    match n.state {
        NodeState::Cancelled => Outcome::Cancelled,
        NodeState::Done => match n.closed_on.is_some_and(|c| c > n.due_on) {
            true => Outcome::Late,
            false => Outcome::OnTime,
        },
        NodeState::Open | NodeState::Closing if board.as_of > n.due_on || board.year_over => {
            Outcome::NotDone
        }
        NodeState::Open | NodeState::Closing => Outcome::Pending,
    }
}

/// A department's line of the ranking.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub department_id: i64,
    pub tasks: usize,
    pub on_time: usize,
    pub late: usize,
    pub not_done: usize,
    pub cancelled: usize,
    pub pending: usize,
    pub late_reports: i64,
    pub warnings: i64,
    pub orders: i64,
    /// Done (on time or late) among the tasks scored, per cent.
    pub completion: f64,
    /// The weighted points less the deductions, 0–100, one decimal.
    pub score: f64,
    /// 1 for the best; equal scores share a rank.
    pub rank: usize,
}

/// What is deducted for, per department: (late reports, warnings, orders).
pub type Deductions = BTreeMap<i64, (i64, i64, i64)>;

/// The deductions of plan `plan_id` as recorded.
pub async fn deductions(db: &Db, plan_id: i64) -> Result<Deductions, StoreError> {
    let mut r = db.reader().await?;
    let late: Vec<(i64, i64)> = run!(r, |c| sqlx::query_as(
        "SELECT r.department_id, COUNT(*) FROM workplan_reports r \
         JOIN workplan_nodes n ON n.id = r.node_id \
         WHERE n.plan_id = $1 AND r.late GROUP BY r.department_id"
    )
    .bind(plan_id)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let warnings = crate::alerts::warnings(db, plan_id).await?;
    let orders = crate::orders::counts(db, plan_id).await?;
    let mut out = Deductions::new();
    for (d, n) in late {
        out.entry(d).or_default().0 = n;
    }
    for (d, n) in warnings {
        out.entry(d).or_default().1 = n;
    }
    for (d, n) in orders {
        out.entry(d).or_default().2 = n;
    }
    Ok(out)
}

/// Every department leading a task or milestone of `board`, scored and
/// ranked, best first.
pub fn rank(board: &Board, rules: &Scoring, deductions: &Deductions) -> Vec<Score> {
    // department -> (score line, weighted points, weights)
    let mut lines: BTreeMap<i64, (Score, f64, f64)> = BTreeMap::new();
    for n in board.nodes.iter().filter(|n| n.level != Level::Item) {
        let (line, points, weights) = lines.entry(n.lead_department_id).or_insert_with(|| {
            let (late_reports, warnings, orders) = deductions
                .get(&n.lead_department_id)
                .copied()
                .unwrap_or_default();
            (
                Score {
                    department_id: n.lead_department_id,
                    tasks: 0,
                    on_time: 0,
                    late: 0,
                    not_done: 0,
                    cancelled: 0,
                    pending: 0,
                    late_reports,
                    warnings,
                    orders,
                    completion: 0.0,
                    score: 0.0,
                    rank: 0,
                },
                0.0,
                0.0,
            )
        });
        line.tasks += 1;
        let weight = match n.level {
            Level::Milestone => rules.weight_milestone,
            _ => rules.weight_task,
        };
        let earned = match outcome(board, n) {
            Outcome::OnTime => {
                line.on_time += 1;
                rules.done_on_time
            }
            Outcome::Late => {
                line.late += 1;
                rules.done_late
            }
            Outcome::NotDone => {
                line.not_done += 1;
                rules.not_done
            }
            Outcome::Cancelled => {
                line.cancelled += 1;
                continue;
            }
            Outcome::Pending => {
                line.pending += 1;
                continue;
            }
        };
        *points += weight * earned;
        *weights += weight;
    }
    let mut scores: Vec<Score> = lines
        .into_values()
        .map(|(mut s, points, weights)| {
            let scored = s.on_time + s.late + s.not_done;
            s.completion = match scored {
                0 => 0.0,
                n => round1(100.0 * (s.on_time + s.late) as f64 / n as f64),
            };
            let base = if weights > 0.0 {
                points / weights
            } else {
                100.0
            };
            let deducted = rules.per_late_report * s.late_reports as f64
                + rules.per_warning * s.warnings as f64
                + rules.per_order * s.orders as f64;
            s.score = round1((base - deducted).clamp(0.0, 100.0));
            s
        })
        .collect();
    scores.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.department_id.cmp(&b.department_id))
    });
    for i in 0..scores.len() {
        scores[i].rank = match i {
            0 => 1,
            _ if scores[i].score == scores[i - 1].score => scores[i - 1].rank,
            _ => i + 1,
        };
    }
    scores
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The plan's tally: (on time, late, not done, cancelled, pending) over
/// its tasks (milestones aside).
pub fn tally(board: &Board) -> [usize; 5] {
    let mut t = [0; 5];
    for n in board.nodes.iter().filter(|n| n.level == Level::Task) {
        let i = match outcome(board, n) {
            Outcome::OnTime => 0,
            Outcome::Late => 1,
            Outcome::NotDone => 2,
            Outcome::Cancelled => 3,
            Outcome::Pending => 4,
        };
        t[i] += 1;
    }
    t
}

/// The summary (工作要点落实情况通报) as a letter from the plan's office,
/// dated `date`; `name` names a department.
pub fn summary(
    board: &Board,
    scores: &[Score],
    office: &str,
    date: &str,
    name: impl Fn(i64) -> String,
) -> Letter {
    let plan = &board.plan;
    let [on_time, late, not_done, cancelled, pending] = tally(board);
    let total = on_time + late + not_done + cancelled + pending;
    let scored = on_time + late + not_done;
    let rate = match scored {
        0 => 0.0,
        n => round1(100.0 * on_time as f64 / n as f64),
    };
    let mut body = vec![
        Block::Paragraph(format!(
            "根据《{}》{}的分工，现将截至{}的落实情况通报如下。",
            plan.title,
            plan.doc_number
                .as_deref()
                .map(|n| format!("（{n}）"))
                .unwrap_or_default(),
            board.as_of.format("%Y年%-m月%-d日")
        )),
        Block::Heading("一、总体情况".into()),
        Block::Paragraph(format!(
            "计划分解任务{total}项。其中按期完成{on_time}项，逾期完成{late}项，未完成{not_done}项，经批准撤销{cancelled}项{}；按期完成率{rate}%。",
            match pending {
                0 => String::new(),
                n => format!("，尚未到期{n}项"),
            }
        )),
        Block::Heading("二、各单位落实情况和排名".into()),
    ];
    for s in scores {
        body.push(Block::Paragraph(format!(
            "第{}名，{}，得分{:.1}。牵头任务{}项，按期完成{}项，逾期完成{}项，未完成{}项；逾期报送{}次，督查预警{}次，督办{}次。",
            s.rank,
            name(s.department_id),
            s.score,
            s.tasks,
            s.on_time,
            s.late,
            s.not_done,
            s.late_reports,
            s.warnings,
            s.orders
        )));
    }
    let unfinished: Vec<&Node> = board
        .nodes
        .iter()
        .filter(|n| n.level == Level::Task && outcome(board, n) == Outcome::NotDone)
        .collect();
    if !unfinished.is_empty() {
        body.push(Block::Heading("三、未完成的任务".into()));
        for n in unfinished {
            body.push(Block::Paragraph(format!(
                "{}（牵头单位：{}，时限{}，进度{}%）。",
                n.title,
                name(n.lead_department_id),
                n.due_on.format("%Y年%-m月%-d日"),
                n.progress
            )));
        }
    }
    body.push(Block::Heading(
        match body
            .iter()
            .any(|b| matches!(b, Block::Heading(h) if h.starts_with("三")))
        {
            true => "四、有关要求".into(),
            false => "三、有关要求".into(),
        },
    ));
    body.push(Block::Paragraph(
        "各单位要对照任务分工，认真查找差距，未完成的任务要明确整改措施和完成时限，按月报送进展；督查部门将继续跟踪督办。".into(),
    ));
    Letter {
        issuer: office.to_owned(),
        number: String::new(),
        title: format!("关于《{}》落实情况的通报", plan.title),
        addressee: "各有关单位".into(),
        body,
        date: date.to_owned(),
        seal: None,
    }
}

/// The ranking as a spreadsheet's header and rows.
pub fn sheet_rows(
    scores: &[Score],
    name: impl Fn(i64) -> String,
) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let header = vec![
        "排名",
        "单位",
        "牵头任务",
        "按期完成",
        "逾期完成",
        "未完成",
        "经批准撤销",
        "尚未到期",
        "逾期报送",
        "督查预警",
        "督办",
        "完成率（%）",
        "得分",
    ];
    let rows = scores
        .iter()
        .map(|s| {
            let n = |x: usize| Cell::Number(x as f64);
            vec![
                n(s.rank),
                Cell::Text(name(s.department_id)),
                n(s.tasks),
                n(s.on_time),
                n(s.late),
                n(s.not_done),
                n(s.cancelled),
                n(s.pending),
                Cell::Number(s.late_reports as f64),
                Cell::Number(s.warnings as f64),
                Cell::Number(s.orders as f64),
                Cell::Number(s.completion),
                Cell::Number(s.score),
            ]
        })
        .collect();
    (header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drafting::Plan;
    use crate::plan::PlanKind;
    use chrono::NaiveDate;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2009, m, d).unwrap()
    }

    fn task(
        id: i64,
        lead: i64,
        state: NodeState,
        due: NaiveDate,
        closed: Option<NaiveDate>,
    ) -> Node {
        Node {
            id,
            parent_id: None,
            level: Level::Task,
            position: id,
            title: format!("任务{id}"),
            lead_department_id: lead,
            responsible: "张明".into(),
            due_on: due,
            outcome: "完成".into(),
            state,
            progress: 50,
            last_period: None,
            closed_on: closed,
            partners: vec![],
            depth: 1,
            light: None,
        }
    }

    fn board(nodes: Vec<Node>) -> Board {
        Board {
            plan: Plan {
                id: 1,
                title: "要点".into(),
                kind: PlanKind::Points,
                year: 2009,
                doc_number: None,
                office_department_id: 9,
                report_months: 1,
                public: true,
                version: 1,
                published_on: Some(day(2, 16)),
                changed: false,
                created_at: egov_kernel::time::now(),
            },
            nodes,
            as_of: day(12, 31),
            year_over: true,
        }
    }

    #[test]
    fn outcomes_weigh_into_scores_less_deductions_and_rank() {
        let b = board(vec![
            task(1, 10, NodeState::Done, day(6, 30), Some(day(6, 20))),
            task(2, 10, NodeState::Done, day(6, 30), Some(day(7, 10))),
            task(3, 20, NodeState::Open, day(9, 30), None),
            task(4, 20, NodeState::Done, day(9, 30), Some(day(9, 1))),
            task(5, 20, NodeState::Cancelled, day(9, 30), None),
            task(6, 30, NodeState::Done, day(3, 31), Some(day(3, 1))),
        ]);
        let rules = &crate::settings::Settings::shipped().scoring;
        let mut d = Deductions::new();
        d.insert(30, (0, 0, 0));
        d.insert(10, (2, 1, 0));
        let scores = rank(&b, rules, &d);
        let got: Vec<(i64, f64, usize)> = scores
            .iter()
            .map(|s| (s.department_id, s.score, s.rank))
            .collect();
        // 10: (100 + 70) / 2 = 85, less 2 × 0.5 and 1 × 1 = 83.
        // 20: (0 + 100) / 2 = 50 (the cancelled one not counted).
        assert_eq!(got, vec![(30, 100.0, 1), (10, 83.0, 2), (20, 50.0, 3)]);
        assert_eq!(scores[2].cancelled, 1);
        assert_eq!(scores[1].completion, 100.0);
        assert_eq!(tally(&b), [3, 1, 1, 1, 0]);
        let letter = summary(
            &b,
            &scores,
            "市经济和信息化局",
            "2010年1月15日",
            |d| format!("单位{d}"),
        );
        let text = format!("{:?}", letter.body);
        assert!(
            text.contains("按期完成3项，逾期完成1项，未完成1项，经批准撤销1项"),
            "{text}"
        );
        assert!(text.contains("第1名，单位30，得分100.0"), "{text}");
        assert!(text.contains("任务3（牵头单位：单位20"), "{text}");
    }
}
