//! The office's supervision board (`/workplans/office`): across the plans
//! it supervises, what waits on it — closings to accept, 督办 answers to
//! review, orders overdue or under a special inspection — and what has
//! gone wrong: late tasks and the warnings of the last 30 days.

use crate::views::department_name;
use crate::work;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use egov_kernel::time;
use egov_web_kit::auth::{PageUser, ACCOUNT};
use egov_web_kit::context::Lang;
use egov_web_kit::page::{localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use egov_workplan::board::{self, Light};
use egov_workplan::drafting::{self, Plan};
use egov_workplan::plan::{Level, NodeState};

/// A task on the office's board.
struct TaskLine {
    id: i64,
    title: String,
    lead: String,
    due: String,
    progress: i64,
}

/// An order on the office's board.
struct OrderLine {
    number: String,
    node: i64,
    task: String,
    state: String,
    due: String,
    overdue: bool,
}

/// A warning on the office's board.
struct WarningLine {
    node: i64,
    task: String,
    department: String,
    period: String,
    on: String,
}

/// One plan's share of the office's board.
struct PlanLines {
    plan: Plan,
    closing: Vec<TaskLine>,
    orders: Vec<OrderLine>,
    late: Vec<TaskLine>,
    warnings: Vec<WarningLine>,
}

#[derive(Template)]
#[template(path = "workplans_office.html")]
struct OfficePage {
    chrome: Chrome,
    plans: Vec<PlanLines>,
}

/// How many late tasks a plan's part lists.
const LATE_LISTED: usize = 50;

/// `GET /workplans/office`: what waits on the office, plan by plan.
pub async fn board_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
) -> Result<Response, ApiError> {
    if work::office_department(&user).is_none() {
        return Err(ApiError::forbidden().with_detail(
            "督查工作台供计划的督查部门使用",
            "the supervision board is the plan office's",
        ));
    }
    let directory = egov_org::directory(&state.db).await?;
    let calendar = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let def = state
        .processes
        .latest(&state.db, egov_workplan::orders::PROCESS)
        .await?;
    let today = time::beijing_today();
    let now = time::now();
    let name = |d: i64| department_name(&directory, locale, d);
    let mut plans = Vec::new();
    for plan in drafting::plans(&state.db).await? {
        if !plan.is_published() || !work::is_office(&user, &plan) {
            continue;
        }
        let b = board::load(&state.db, &calendar, plan, today).await?;
        let title_of = |id: i64| {
            b.nodes
                .iter()
                .find(|n| n.id == id)
                .map_or_else(String::new, |n| n.title.clone())
        };
        let line = |n: &board::Node| TaskLine {
            id: n.id,
            title: n.title.clone(),
            lead: name(n.lead_department_id),
            due: n.due_on.to_string(),
            progress: n.progress,
        };
        let closing = b
            .nodes
            .iter()
            .filter(|n| n.state == NodeState::Closing)
            .map(line)
            .collect();
        let late = b
            .nodes
            .iter()
            .filter(|n| n.level != Level::Item && n.light() == Light::Late)
            .take(LATE_LISTED)
            .map(line)
            .collect();
        let orders = egov_workplan::orders::open_of_plan(&state.db, b.plan.id)
            .await?
            .into_iter()
            .map(|o| OrderLine {
                task: title_of(o.node_id),
                node: o.node_id,
                state: def.state(&o.state).map_or_else(
                    || o.state.clone(),
                    |s| localized(locale, &s.name, s.name_en.as_deref()),
                ),
                due: o
                    .due_at
                    .map(|d| egov_web_kit::page::beijing_marked(locale, d))
                    .unwrap_or_default(),
                overdue: o.state == "ordered" && o.due_at.is_some_and(|d| d < now),
                number: o.number,
            })
            .collect();
        let since = today - chrono::Duration::days(30);
        let warnings = egov_workplan::alerts::warnings_since(&state.db, b.plan.id, since)
            .await?
            .into_iter()
            .map(|(node, period, department, on)| WarningLine {
                task: title_of(node),
                node,
                department: name(department),
                period,
                on: on.to_string(),
            })
            .collect();
        plans.push(PlanLines {
            plan: b.plan.clone(),
            closing,
            orders,
            late,
            warnings,
        });
    }
    let page = OfficePage {
        chrome: Chrome::new(locale, Some(user), "/workplans/office"),
        plans,
    };
    Ok(render(StatusCode::OK, &page))
}
