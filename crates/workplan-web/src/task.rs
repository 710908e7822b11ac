//! A task's (or a milestone's) page: what it is, its reports with their
//! evidence, and what the viewer may do — the lead department reports
//! (a form that works on a phone) and gives files as evidence; the office
//! accepts a closing, sends it back or cancels the task, and changes it.

use crate::pages::{department_choices, NodeForm};
use crate::views::{self, department_name, Row};
use crate::{api, errors, work};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::SessionUser;
use egov_kernel::{time, Locale};
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::download::{private_file, Disposition};
use egov_web_kit::page::{error_message, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use egov_workplan::board::{Board, Node};
use egov_workplan::drafting;
use egov_workplan::periods::Period;
use egov_workplan::plan::{Level, NodeState};
use egov_workplan::reporting::{self, NewReport, Report, Verdict};
use egov_workplan::WorkplanError;
use serde::Deserialize;

/// A report as the page shows it.
struct ReportRow {
    r: Report,
    department: String,
    at: String,
    links: Vec<(String, String)>,
}

/// The report form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    period: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    problems: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    links: String,
    #[serde(default)]
    close: Option<String>,
}

#[derive(Template)]
#[template(path = "workplans_task.html")]
struct TaskPage {
    chrome: Chrome,
    plan_id: i64,
    plan_title: String,
    row: Row,
    parent: Option<(i64, String)>,
    state: NodeState,
    reports: Vec<ReportRow>,
    /// The viewer's department leads it and may report now.
    may_report: bool,
    /// The viewer's department leads it (it gives evidence).
    leads: bool,
    office_view: bool,
    periods: Vec<String>,
    f: ReportForm,
    error: Option<String>,
    field: &'static str,
    done: String,
    edit: NodeForm,
    departments: Vec<(String, String)>,
    /// Reminders and warnings raised: (period, word, is a warning, on).
    alerts: Vec<(String, &'static str, bool, String)>,
    orders: Vec<OrderRow>,
}

/// A 督办 order as the task page shows it.
struct OrderRow {
    number: String,
    state: String,
    state_name: String,
    due: String,
    closed: bool,
}

/// Node `id` on its plan's board, for someone who may see the plan.
async fn node_on_board(
    state: &AppState,
    user: &SessionUser,
    id: i64,
) -> Result<(Board, usize), ApiError> {
    let missing = || ApiError::not_found("没有这项任务", "no such task");
    let plan = drafting::plan_of_node(&state.db, id)
        .await?
        .ok_or_else(missing)?;
    let board = api::visible_board(state, Some(user), plan).await?;
    let at = board
        .nodes
        .iter()
        .position(|n| n.id == id)
        .ok_or_else(missing)?;
    if board.nodes[at].level == Level::Item {
        return Err(missing());
    }
    Ok((board, at))
}

/// How a link given as evidence is shown: (href, text).
fn link_target(link: &str) -> (String, String) {
    let href = match link {
        l if l.starts_with('/') || l.to_ascii_lowercase().starts_with("http") => l.to_owned(),
        number => format!("/cases/{number}"),
    };
    (href, link.to_owned())
}

struct Refused {
    message: String,
    field: &'static str,
}

#[allow(clippy::too_many_arguments)]
async fn task_page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    board: Board,
    at: usize,
    f: Option<ReportForm>,
    edit: Option<NodeForm>,
    refused: Option<Refused>,
    done: String,
) -> Result<Response, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let node: &Node = &board.nodes[at];
    let row = views::rows(&directory, locale, &board, &[node]).remove(0);
    let parent = node.parent_id.and_then(|p| {
        board
            .nodes
            .iter()
            .find(|n| n.id == p)
            .map(|n| (n.id, n.title.clone()))
    });
    let leads = work::departments(&user).contains(&node.lead_department_id);
    let office_view = work::is_office(&user, &board.plan);
    let reports = reporting::of_node(&state.db, node.id)
        .await?
        .into_iter()
        .map(|r| ReportRow {
            department: department_name(&directory, locale, r.department_id),
            at: egov_web_kit::page::beijing_marked(locale, r.reported_at),
            links: r.links().iter().map(|l| link_target(l)).collect(),
            r,
        })
        .collect();
    let today = time::beijing_today();
    let months = u32::try_from(board.plan.report_months).unwrap_or(1);
    let periods: Vec<String> = Period::of_year(board.plan.year(), months)
        .into_iter()
        .filter(|p| p.start <= today)
        .map(|p| p.label())
        .rev()
        .collect();
    let current = periods.first().cloned().unwrap_or_default();
    let f = f.unwrap_or(ReportForm {
        period: current,
        progress: node.progress.to_string(),
        ..ReportForm::default()
    });
    let edit = edit.unwrap_or_else(|| {
        let code = |d: Option<&i64>| d.map(|d| directory.code_of(*d)).unwrap_or_default();
        NodeForm {
            parent: String::new(),
            level: node.level.as_str().into(),
            title: node.title.clone(),
            lead: directory.code_of(node.lead_department_id),
            partner1: code(node.partners.first()),
            partner2: code(node.partners.get(1)),
            partner3: code(node.partners.get(2)),
            responsible: node.responsible.clone(),
            due: node.due_on.to_string(),
            outcome: node.outcome.clone(),
        }
    });
    let (error, field) = match refused {
        Some(r) => (Some(r.message), r.field),
        None => (None, ""),
    };
    let page = TaskPage {
        plan_id: board.plan.id,
        plan_title: board.plan.title.clone(),
        may_report: leads && board.plan.is_published() && node.state == NodeState::Open,
        leads,
        office_view,
        state: node.state,
        parent,
        reports,
        periods,
        f,
        error,
        field,
        done,
        edit,
        departments: department_choices(&directory, locale),
        alerts: egov_workplan::alerts::of_node(&state.db, node.id)
            .await?
            .into_iter()
            .map(|(period, kind, on)| {
                let warning = kind == "warning";
                let word = match (locale, warning) {
                    (Locale::Zh, true) => "督查预警：逾期未报",
                    (Locale::Zh, false) => "报送提醒",
                    (Locale::En, true) => "Warning: report overdue",
                    (Locale::En, false) => "Reminder",
                };
                (period, word, warning, on.to_string())
            })
            .collect(),
        orders: order_rows(state, locale, node.id).await?,
        chrome: Chrome::new(locale, Some(user), format!("/workplans/tasks/{}", node.id)),
        row,
    };
    Ok(render_form(page.error.is_some(), &page))
}

async fn order_rows(
    state: &AppState,
    locale: Locale,
    node: i64,
) -> Result<Vec<OrderRow>, ApiError> {
    let def = state
        .processes
        .latest(&state.db, egov_workplan::orders::PROCESS)
        .await?;
    Ok(egov_workplan::orders::of_node(&state.db, node)
        .await?
        .into_iter()
        .map(|o| OrderRow {
            state_name: def.state(&o.state).map_or_else(
                || o.state.clone(),
                |s| egov_web_kit::page::localized(locale, &s.name, s.name_en.as_deref()),
            ),
            due: match (o.closed, o.due_at) {
                (false, Some(d)) => egov_web_kit::page::beijing_marked(locale, d),
                _ => String::new(),
            },
            number: o.number,
            state: o.state,
            closed: o.closed,
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /workplans/tasks/{id}`
pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, ApiError> {
    let (board, at) = node_on_board(&state, &user, id).await?;
    let done = crate::pages::done_key(q.done.as_deref());
    task_page(&state, locale, user, board, at, None, None, None, done).await
}

impl ReportForm {
    /// The report the form says; `None` for a progress that is not a number.
    fn report(&self) -> Option<NewReport> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Some(NewReport {
            period: some(&self.period),
            progress: self.progress.trim().trim_end_matches('%').parse().ok()?,
            text: self.text.clone(),
            problems: some(&self.problems),
            reason: some(&self.reason),
            links: self
                .links
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
            close: self.close.is_some(),
        })
    }
}

/// The task's page to show again, with what the person typed.
struct Again {
    board: Board,
    at: usize,
    report: Option<ReportForm>,
    edit: Option<NodeForm>,
}

/// A refusal as a problem, with the form field it is about.
fn refusal(e: WorkplanError, directory: &egov_org::Directory) -> (ApiError, &'static str) {
    let field = errors::field(&e);
    (errors::problem(e, work::namer(directory)), field)
}

/// Where a step on a task's page lands: `to` once taken; else the page
/// again, as typed, with the message of a refusal of the input (413, 415,
/// 422); any other problem as it is.
async fn task_after<T>(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    again: Again,
    done: Result<T, (ApiError, &'static str)>,
    to: impl FnOnce(T) -> String,
) -> Result<Response, ApiError> {
    let (problem, field) = match done {
        Ok(t) => return Ok(Redirect::to(&to(t)).into_response()),
        Err(e) => e,
    };
    if !matches!(problem.status.as_u16(), 413 | 415 | 422) {
        return Err(problem);
    }
    let refused = Refused {
        message: error_message(locale, &problem),
        field,
    };
    let Again {
        board,
        at,
        report,
        edit,
    } = again;
    task_page(
        state,
        locale,
        user,
        board,
        at,
        report,
        edit,
        Some(refused),
        String::new(),
    )
    .await
}

/// `POST /workplans/tasks/{id}/report`: taken (the page again, saying
/// whether it was late), or the form again as typed with the message.
pub async fn report(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm<ReportForm>,
) -> Result<Response, ApiError> {
    let (board, at) = node_on_board(&state, &user, id).await?;
    let caller = page_caller(&user, origin);
    let directory = egov_org::directory(&state.db).await?;
    let taken = match f.report() {
        None => Err(reporting::ReportError::Percent.into()),
        Some(r) => {
            let calendar = state
                .calendar
                .get(&state.db)
                .await
                .map_err(ApiError::internal)?;
            reporting::submit(
                &state.db,
                &caller.context,
                calendar,
                &api::reporter(&user),
                id,
                r,
                time::now(),
            )
            .await
        }
    };
    let again = Again {
        board,
        at,
        report: Some(f),
        edit: None,
    };
    let taken = taken.map_err(|e| refusal(e, &directory));
    let to = |s: reporting::Submitted| {
        let done = if s.late { "reported_late" } else { "reported" };
        format!("/workplans/tasks/{id}?done={done}#reports")
    };
    task_after(&state, locale, user, again, taken, to).await
}

/// `POST /workplans/reports/{id}/evidence`: a file given with a report
/// (the form carries its CSRF token), back to the task; a file refused
/// (its type, its size) shows the task again with the message.
pub async fn evidence(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let upload = api::read_upload(&state, multipart, Some(&user.csrf_token)).await?;
    let missing = || ApiError::not_found("没有这份报告", "no such report");
    let (node, _) = reporting::report_head(&state.db, id)
        .await?
        .ok_or_else(missing)?;
    let (board, at) = node_on_board(&state, &user, node).await?;
    let again = Again {
        board,
        at,
        report: None,
        edit: None,
    };
    let done = api::attach(&state, &caller, &user, id, upload)
        .await
        .map_err(|e| (e, "file"));
    let to = |node| format!("/workplans/tasks/{node}?done=evidence#reports");
    task_after(&state, locale, user, again, done, to).await
}

/// The office's decision as the form posts it.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    reason: String,
}

/// `POST /workplans/tasks/{id}/decide`: the office accepts the closing,
/// sends it back or cancels the task.
pub async fn decide(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm<DecisionForm>,
) -> Result<Response, ApiError> {
    let (board, at) = node_on_board(&state, &user, id).await?;
    work::require_office(&user, &board.plan)?;
    let verdict = Verdict::parse(f.verdict.trim()).ok_or_else(|| {
        ApiError::validation(
            "决定应为验收通过、退回或撤销",
            "verdict is accept, send_back or cancel",
        )
    })?;
    let caller = page_caller(&user, origin);
    let directory = egov_org::directory(&state.db).await?;
    let reason = Some(f.reason.clone()).filter(|r| !r.trim().is_empty());
    let again = Again {
        board,
        at,
        report: None,
        edit: None,
    };
    let done = reporting::decide(&state.db, &caller.context, id, verdict, reason)
        .await
        .map_err(|e| refusal(e, &directory));
    let to = |_| format!("/workplans/tasks/{id}?done={}", verdict.as_str());
    task_after(&state, locale, user, again, done, to).await
}

/// `POST /workplans/tasks/{id}/edit`: the office changes the task (its
/// departments confirm again before the next version).
pub async fn edit(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm<NodeForm>,
) -> Result<Response, ApiError> {
    let (board, at) = node_on_board(&state, &user, id).await?;
    work::require_office(&user, &board.plan)?;
    let caller = page_caller(&user, origin);
    let directory = egov_org::directory(&state.db).await?;
    let node = f.node();
    let again = Again {
        board,
        at,
        report: None,
        edit: Some(f),
    };
    let done = drafting::edit_node(&state.db, &caller.context, id, node)
        .await
        .map_err(|e| refusal(e, &directory));
    let to = |()| format!("/workplans/tasks/{id}?done=changed");
    task_after(&state, locale, user, again, done, to).await
}

/// `GET /workplans/evidence/{id}`: an evidence file, for those who may see
/// the plan.
pub async fn evidence_file(
    State(state): State<AppState>,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("没有这份材料", "no such file");
    let (file, node) = reporting::evidence(&state.db, id)
        .await?
        .ok_or_else(missing)?;
    if user.kind != egov_identity::UserKind::Staff {
        return Err(ApiError::forbidden());
    }
    node_on_board(&state, &user, node).await?;
    let bytes = state
        .files
        .read_digest(&file.sha256)
        .await
        .map_err(ApiError::internal)?;
    private_file(bytes, &file.media_type, Disposition::Attachment, &file.name)
}

/// The office's order as its form posts it.
#[derive(Debug, Default, Deserialize)]
pub struct OrderForm {
    #[serde(default)]
    what: String,
    #[serde(default)]
    days: String,
}

/// `POST /workplans/tasks/{id}/orders`: the office orders the department
/// to act (a case it answers), or the page again with why not.
pub async fn order(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm<OrderForm>,
) -> Result<Response, ApiError> {
    let (board, at) = node_on_board(&state, &user, id).await?;
    work::require_office(&user, &board.plan)?;
    let caller = page_caller(&user, origin);
    let days = f.days.trim().parse().unwrap_or(0);
    let again = Again {
        board,
        at,
        report: None,
        edit: None,
    };
    let done = api::issue_order(&state, &caller, &user, id, f.what.clone(), days)
        .await
        .map_err(|e| (e, "what"));
    let to = |_| format!("/workplans/tasks/{id}?done=ordered#orders");
    task_after(&state, locale, user, again, done, to).await
}

/// The office's step on an order as its form posts it.
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    visited_on: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    measures: String,
}

/// `POST /workplans/orders/{number}/step`: the office's step on an order,
/// back to the task (or the task again with why not).
pub async fn order_step(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    CheckedForm(f): CheckedForm<StepForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let missing = || ApiError::not_found("没有这件督办事项", "no such order");
    let node = egov_workplan::orders::node_of(&state.db, &number)
        .await?
        .ok_or_else(missing)?;
    let (board, at) = node_on_board(&state, &user, node).await?;
    let fields = match f.action.as_str() {
        "send_back" | "escalate" => serde_json::json!({ "reason": f.reason.trim() }),
        "record_visit" => serde_json::json!({
            "visited_on": f.visited_on.trim(), "place": f.place.trim(),
            "findings": f.findings.trim(), "measures": f.measures.trim(),
        }),
        _ => serde_json::json!({}),
    };
    let again = Again {
        board,
        at,
        report: None,
        edit: None,
    };
    let done = api::take_order_step(&state, &caller, &user, &number, &f.action, fields)
        .await
        .map_err(|e| (e, "reason"));
    let to = |_| format!("/workplans/tasks/{node}?done=order_{}#orders", f.action);
    task_after(&state, locale, user, again, done, to).await
}
