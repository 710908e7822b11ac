//! The demonstration plan (`data/workplan/2009.toml`): the 2009
//! informatization work points, drafted, confirmed by every department
//! with a share and published on the notice's date through the same
//! checked steps as any plan, then a year of monthly reports — most on
//! time, some late, some missing — with tasks closed on time, closed late,
//! left undone and one cancelled, so the board and the ranking show what
//! a real year looks like.

use crate::drafting;
use crate::plan::{NewNode, NewPlan};
use crate::reporting::{self, NewReport, Reporter, Verdict};
use crate::{confirming, versions, WorkplanError};
use chrono::{Datelike, NaiveDate};
use egov_calendar::WorkCalendar;
use egov_kernel::{time, Context};
use egov_store::{run, Db};
use serde::Deserialize;
use std::sync::Arc;

const DEMO: &str = include_str!("../../../data/workplan/2009.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    title: String,
    kind: String,
    year: i32,
    doc_number: String,
    office: String,
    published_on: NaiveDate,
    public: bool,
    item: Vec<DemoItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoItem {
    title: String,
    lead: String,
    partners: Vec<String>,
    responsible: String,
    tasks: Vec<DemoTask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoTask {
    title: String,
    due: NaiveDate,
    outcome: String,
    lead: Option<String>,
    partners: Option<Vec<String>>,
    #[serde(default)]
    milestones: Vec<DemoMilestone>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMilestone {
    title: String,
    due: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demonstration plan does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("no department '{0}'")]
    Department(String),
    #[error(transparent)]
    Workplan(#[from] WorkplanError),
    #[error(transparent)]
    Store(#[from] egov_store::StoreError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
}

/// How a task's year goes in the demonstration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Course {
    /// Reported on time each month, closed before its due date.
    OnTime,
    /// Reported on time, closed after its due date.
    ClosedLate,
    /// Reported late each month, closed on time.
    ReportsLate,
    /// Slowing down, some months unreported, not done by the year's end.
    NotDone,
    /// Cancelled in the autumn with the office's approval.
    Cancelled,
}

fn course(i: usize) -> Course {
    match i % 7 {
        0 | 3 => Course::OnTime,
        1 => Course::ReportsLate,
        2 | 5 => Course::NotDone,
        4 => Course::ClosedLate,
        _ if i == 13 => Course::Cancelled,
        _ => Course::OnTime,
    }
}

/// Loads the demonstration plan unless a plan exists; answers how many
/// reports it made.
pub async fn load(db: &Db) -> Result<usize, DemoError> {
    let mut r = db.reader().await?;
    let held: i64 = run!(r, |c| sqlx::query_scalar("SELECT COUNT(*) FROM workplans")
        .fetch_one(&mut *c)
        .await)
    .map_err(egov_store::StoreError::from)?;
    drop(r);
    if held > 0 {
        return Ok(0);
    }
    let demo: Demo = toml::from_str(DEMO)?;
    let directory = egov_org::directory(db).await?;
    let id_of = |code: &str| {
        directory
            .by_code(code)
            .map(|d| d.id)
            .ok_or_else(|| DemoError::Department(code.to_owned()))
    };
    let ctx = Context::system();
    let office = id_of(&demo.office)?;
    let plan = drafting::create_plan(
        db,
        &ctx,
        office,
        None,
        NewPlan {
            title: demo.title.clone(),
            kind: demo.kind.clone(),
            year: demo.year,
            doc_number: Some(demo.doc_number.clone()),
            report_months: None,
            public: demo.public,
        },
    )
    .await?;
    let year_end = NaiveDate::from_ymd_opt(demo.year, 12, 31).expect("a year's last day");
    // (task id, its lead, its due date, its milestones)
    let mut tasks: Vec<(i64, i64, NaiveDate, Vec<i64>)> = Vec::new();
    for item in &demo.item {
        let item_id = drafting::add_node(
            db,
            &ctx,
            plan,
            NewNode {
                parent: None,
                level: "item".into(),
                title: item.title.clone(),
                lead: item.lead.clone(),
                partners: item.partners.clone(),
                responsible: item.responsible.clone(),
                due: year_end.to_string(),
                outcome: "所属任务全部按期完成".into(),
            },
        )
        .await?;
        for t in &item.tasks {
            let lead = t.lead.clone().unwrap_or_else(|| item.lead.clone());
            let task = drafting::add_node(
                db,
                &ctx,
                plan,
                NewNode {
                    parent: Some(item_id),
                    level: "task".into(),
                    title: t.title.clone(),
                    lead: lead.clone(),
                    partners: t.partners.clone().unwrap_or_else(|| item.partners.clone()),
                    responsible: item.responsible.clone(),
                    due: t.due.to_string(),
                    outcome: t.outcome.clone(),
                },
            )
            .await?;
            let mut milestones = Vec::new();
            for m in &t.milestones {
                let id = drafting::add_node(
                    db,
                    &ctx,
                    plan,
                    NewNode {
                        parent: Some(task),
                        level: "milestone".into(),
                        title: m.title.clone(),
                        lead: lead.clone(),
                        partners: Vec::new(),
                        responsible: item.responsible.clone(),
                        due: m.due.to_string(),
                        outcome: m.title.clone(),
                    },
                )
                .await?;
                milestones.push(id);
            }
            tasks.push((task, id_of(&lead)?, t.due, milestones));
        }
    }
    let board = crate::board::nodes(db, plan).await?;
    let mut departments: Vec<i64> = board
        .iter()
        .flat_map(|n| std::iter::once(n.lead_department_id).chain(n.partners.iter().copied()))
        .collect();
    departments.sort_unstable();
    departments.dedup();
    for d in departments {
        confirming::decide(db, &ctx, plan, d, None, "confirmed", None).await?;
    }
    versions::publish(
        db,
        &ctx,
        plan,
        None,
        "市信息化工作领导小组审定印发",
        demo.published_on,
    )
    .await?;
    let calendar = egov_calendar::load_calendar(db).await?;
    let calendar = Arc::new(calendar);
    let mut events = Vec::new();
    for (i, (task, lead, due, milestones)) in tasks.into_iter().enumerate() {
        events.extend(year_of(&calendar, i, task, lead, due, &milestones));
    }
    // The year as it happened: each week's reports and decisions, then the
    // week's reminders and warnings as the hourly sweep raised them.
    events.sort_by_key(|e| e.on);
    let mut made = 0;
    let mut next = 0;
    let mut day = demo.published_on;
    let last = events.last().map_or(year_end, |e| e.on);
    while day <= last {
        while next < events.len() && events[next].on <= day {
            made += happen(db, &ctx, &calendar, &events[next]).await?;
            next += 1;
        }
        crate::alerts::sweep(db, &calendar, day).await?;
        day += chrono::Duration::days(7);
    }
    for e in &events[next..] {
        made += happen(db, &ctx, &calendar, e).await?;
    }
    Ok(made)
}

/// Something that happens on a task in the demonstration year.
struct Event {
    on: NaiveDate,
    node: i64,
    lead: i64,
    what: What,
}

enum What {
    /// A report, and for a closing the office's acceptance.
    Report(NewReport),
    /// The office cancels the task.
    Cancel,
}

/// Makes event `e` happen; answers how many reports it made.
async fn happen(
    db: &Db,
    ctx: &Context,
    calendar: &Arc<WorkCalendar>,
    e: &Event,
) -> Result<usize, DemoError> {
    let at = time::from_beijing(e.on.and_hms_opt(10, 0, 0).expect("a time"));
    match &e.what {
        What::Report(r) => {
            let reporter = Reporter {
                user_id: None,
                departments: vec![e.lead],
            };
            reporting::submit(db, ctx, calendar.clone(), &reporter, e.node, r.clone(), at).await?;
            if r.close {
                reporting::decide(db, ctx, e.node, Verdict::Accept, None).await?;
            }
            Ok(1)
        }
        What::Cancel => {
            let why = "经市信息化工作领导小组同意，并入明年重点任务".to_owned();
            reporting::decide(db, ctx, e.node, Verdict::Cancel, Some(why)).await?;
            Ok(0)
        }
    }
}

/// A year of events on one task, as its course goes.
fn year_of(
    calendar: &WorkCalendar,
    i: usize,
    task: i64,
    lead: i64,
    due: NaiveDate,
    milestones: &[i64],
) -> Vec<Event> {
    let course = course(i);
    let settings = crate::settings::Settings::shipped();
    // Months from February (the plan was published mid-February) to the
    // month the task is due, or the year's end for one not done.
    let last_month = match course {
        Course::ClosedLate => (due.month() + 1).min(12),
        Course::NotDone => 12,
        Course::Cancelled => 9,
        _ => due.month(),
    };
    let months: Vec<u32> = (2..=last_month).collect();
    let mut out = Vec::new();
    for (k, &month) in months.iter().enumerate() {
        let last = k + 1 == months.len();
        if course == Course::NotDone && month % 4 == 0 {
            continue; // a month not reported
        }
        let share = (k + 1) as i64 * 100 / months.len() as i64;
        let progress = match course {
            Course::NotDone => (share * 6 / 10).min(70),
            Course::ClosedLate if !last => share * 9 / 10,
            _ => share,
        };
        let period = crate::periods::Period::of(
            NaiveDate::from_ymd_opt(2009, month, 1).expect("a month"),
            1,
        );
        let deadline = period.deadline(calendar, settings.report_due_workdays);
        let day = match course {
            Course::ReportsLate => deadline + chrono::Duration::days(6),
            _ => deadline - chrono::Duration::days(2),
        };
        let close = last
            && matches!(
                course,
                Course::OnTime | Course::ReportsLate | Course::ClosedLate
            );
        // Closing comes with the month's work, before its due date for a
        // task closed on time.
        let on = match close {
            true if course != Course::ClosedLate => day.min(due),
            _ => day,
        };
        out.push(Event {
            on,
            node: task,
            lead,
            what: What::Report(NewReport {
                period: Some(period.label()),
                progress: if close { 100 } else { progress },
                text: demo_text(course, progress, close),
                problems: (course == Course::NotDone && k > 3)
                    .then(|| "跨部门数据共享尚未落实，需市级层面协调".to_owned()),
                reason: None,
                links: match close {
                    true => vec!["/disclosure".to_owned()],
                    false => Vec::new(),
                },
                close,
            }),
        });
    }
    if course != Course::NotDone {
        for &m in milestones {
            out.push(Event {
                on: NaiveDate::from_ymd_opt(2009, 4, 28).expect("a day"),
                node: m,
                lead,
                what: What::Report(NewReport {
                    period: Some("2009-04".into()),
                    progress: 100,
                    text: "节点目标已实现".into(),
                    links: vec!["/disclosure".into()],
                    close: true,
                    ..NewReport::default()
                }),
            });
        }
    }
    if course == Course::Cancelled {
        out.push(Event {
            on: NaiveDate::from_ymd_opt(2009, 10, 23).expect("a day"),
            node: task,
            lead,
            what: What::Cancel,
        });
    }
    out
}

fn demo_text(course: Course, progress: i64, close: bool) -> String {
    match (close, course) {
        (true, _) => "任务已完成，完成标志已达到，佐证材料已公开。".into(),
        (false, Course::NotDone) if progress > 40 => {
            "推进较慢：方案已形成，部分部门数据尚未接入。".into()
        }
        _ => format!("按计划推进，累计完成约{progress}%。"),
    }
}
