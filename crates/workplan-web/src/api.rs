//! Work plans over the API, for the office's and the departments' own
//! systems: plans and their boards (every node with its status light),
//! drafting, confirming and publishing versions with their diffs, reports
//! with evidence, and the office's decisions on closing.

use crate::{errors, work};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use egov_kernel::time::{self, Timestamp};
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery};
use egov_web_kit::auth::{require_user, ApiCaller};
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use egov_workplan::board::{self, Board};
use egov_workplan::plan::{NewNode, NewPlan};
use egov_workplan::reporting::{self, NewReport, Reporter, Verdict};
use egov_workplan::{confirming, drafting, versions};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const TAG_WORKPLANS: &str = "workplans";

/// A plan in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub title: String,
    /// `points` (年度工作要点), `key_tasks` (重点任务) or `instruction` (领导批示).
    pub kind: String,
    pub year: i64,
    pub doc_number: Option<String>,
    /// The office's department code.
    pub office: String,
    pub report_months: i64,
    pub public: bool,
    /// The last published version (0: a draft).
    pub version: i64,
    /// Changed since the last version.
    pub changed: bool,
}

fn plan_view(directory: &egov_org::Directory, p: &drafting::Plan) -> PlanView {
    PlanView {
        id: p.id,
        title: p.title.clone(),
        kind: p.kind.as_str().to_owned(),
        year: p.year,
        doc_number: p.doc_number.clone(),
        office: directory.code_of(p.office_department_id),
        report_months: p.report_months,
        public: p.public,
        version: p.version,
        changed: p.changed,
    }
}

/// A node on the board.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeView {
    pub id: i64,
    pub parent: Option<i64>,
    /// `item`, `task` or `milestone`.
    pub level: String,
    pub title: String,
    /// The lead department's code.
    pub lead: String,
    /// The co-operating departments' codes.
    pub partners: Vec<String>,
    pub responsible: String,
    #[schema(value_type = String, format = Date)]
    pub due: NaiveDate,
    pub outcome: String,
    /// `open`, `closing`, `done` or `cancelled`.
    pub state: String,
    /// Reported progress in per cent (an item: its tasks' mean).
    pub progress: i64,
    /// `on_track`, `at_risk`, `late`, `done` or `cancelled`.
    pub light: String,
}

/// A department's word on its share.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationView {
    pub department: String,
    /// `confirmed` or `change_requested`.
    pub decision: String,
    pub reason: Option<String>,
}

/// A published version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub note: String,
    #[schema(value_type = String, format = DateTime)]
    pub published_at: Timestamp,
}

/// A plan's board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardView {
    pub plan: PlanView,
    /// The day the lights are for (a past year's plan: its last day).
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    /// Depth first, in the office's order.
    pub nodes: Vec<NodeView>,
    pub confirmations: Vec<ConfirmationView>,
    pub versions: Vec<VersionView>,
}

fn node_view(directory: &egov_org::Directory, n: &board::Node) -> NodeView {
    NodeView {
        id: n.id,
        parent: n.parent_id,
        level: n.level.as_str().to_owned(),
        title: n.title.clone(),
        lead: directory.code_of(n.lead_department_id),
        partners: n.partners.iter().map(|d| directory.code_of(*d)).collect(),
        responsible: n.responsible.clone(),
        due: n.due_on,
        outcome: n.outcome.clone(),
        state: n.state.as_str().to_owned(),
        progress: n.progress,
        light: n.light().as_str().to_owned(),
    }
}

/// Who a call is from, refused unless signed in as a person.
fn person(caller: &ApiCaller) -> Result<&egov_identity::SessionUser, ApiError> {
    require_user(caller)
}

/// The person behind a call, if one is signed in.
fn signed_in(caller: &ApiCaller) -> Option<&egov_identity::SessionUser> {
    match &caller.principal {
        egov_identity::Principal::User(u) => Some(u),
        _ => None,
    }
}

/// Plan `id`'s board as of today, for someone who may see it.
pub async fn visible_board(
    state: &AppState,
    user: Option<&egov_identity::SessionUser>,
    id: i64,
) -> Result<Board, ApiError> {
    let plan = work::plan(state, id).await?;
    let calendar = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let board = board::load(&state.db, &calendar, plan, time::beijing_today()).await?;
    if !work::may_see(user, &board.plan, &board.departments()) {
        return Err(match user {
            Some(_) => ApiError::forbidden(),
            None => ApiError::unauthorized(),
        });
    }
    Ok(board)
}

/// The plans the caller may see, newest year first.
#[utoipa::path(get, operation_id = "workplans_list", path = "/api/v1/workplans", tag = TAG_WORKPLANS,
    responses((status = 200, body = Vec<PlanView>), answers::Unauthorized))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Vec<PlanView>>, ApiError> {
    let user = person(&caller)?;
    let directory = egov_org::directory(&state.db).await?;
    let mine = work::departments(user);
    let shared = board::plans_of(&state.db, &mine).await?;
    let plans = drafting::plans(&state.db).await?;
    Ok(ApiJson(
        plans
            .iter()
            .filter(|p| {
                (p.public && p.is_published())
                    || work::is_office(user, p)
                    || (user.kind == egov_identity::UserKind::Staff && p.is_published())
                    || shared.iter().any(|s| s.id == p.id)
            })
            .map(|p| plan_view(&directory, p))
            .collect(),
    ))
}

/// Drafts a plan, owned by the caller's office (a supervisor's department).
#[utoipa::path(post, operation_id = "workplans_create", path = "/api/v1/workplans", tag = TAG_WORKPLANS,
    request_body(content = Object, content_type = "application/json",
        description = "title, kind (points, key_tasks, instruction), year, doc_number, report_months (default 1), public"),
    responses((status = 201, body = Created), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::UnsupportedMediaType, answers::Unprocessable))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(plan): ApiJson<NewPlan>,
) -> Result<(StatusCode, ApiJson<Created>), ApiError> {
    let user = person(&caller)?;
    let office = work::office_department(user).ok_or_else(ApiError::forbidden)?;
    let directory = egov_org::directory(&state.db).await?;
    let id = drafting::create_plan(&state.db, &caller.context, office, Some(user.user_id), plan)
        .await
        .map_err(|e| errors::problem(e, work::namer(&directory)))?;
    Ok((StatusCode::CREATED, ApiJson(Created { id })))
}

/// Something made, by its id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// A plan's board: every node with its status light, the departments'
/// confirmations and the published versions. Anyone may read a public
/// published plan; staff any published one; a draft its office and the
/// departments with a share.
#[utoipa::path(get, operation_id = "workplans_get", path = "/api/v1/workplans/{id}", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The plan")),
    responses((status = 200, body = BoardView), answers::Unauthorized, answers::Forbidden, answers::NotFound))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<BoardView>, ApiError> {
    let user = signed_in(&caller);
    let board = visible_board(&state, user, id).await?;
    let directory = egov_org::directory(&state.db).await?;
    let confirmations = confirming::of_plan(&state.db, id).await?;
    let published = versions::of_plan(&state.db, id).await?;
    Ok(ApiJson(BoardView {
        plan: plan_view(&directory, &board.plan),
        as_of: board.as_of,
        nodes: board
            .nodes
            .iter()
            .map(|n| node_view(&directory, n))
            .collect(),
        confirmations: confirmations
            .into_iter()
            .map(|c| ConfirmationView {
                department: directory.code_of(c.department_id),
                decision: c.decision.as_str().to_owned(),
                reason: c.reason,
            })
            .collect(),
        versions: published
            .into_iter()
            .map(|v| VersionView {
                version: v.version,
                note: v.note,
                published_at: v.published_at,
            })
            .collect(),
    }))
}

/// Adds an item, a task under an item or a milestone under a task (the
/// office). A node needs a lead department and a due date inside the
/// plan's year; it clears the confirmations of the departments it names.
#[utoipa::path(post, operation_id = "workplans_add_node", path = "/api/v1/workplans/{id}/nodes", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The plan")),
    request_body(content = Object, content_type = "application/json",
        description = "parent (a node id; none for an item), level (item, task, milestone), title, lead (department code), partners (codes), responsible, due (YYYY-MM-DD), outcome"),
    responses((status = 201, body = Created), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound, answers::UnsupportedMediaType, answers::Unprocessable))]
pub async fn add_node(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(node): ApiJson<NewNode>,
) -> Result<(StatusCode, ApiJson<Created>), ApiError> {
    let user = person(&caller)?;
    let plan = work::plan(&state, id).await?;
    work::require_office(user, &plan)?;
    let directory = egov_org::directory(&state.db).await?;
    let id = drafting::add_node(&state.db, &caller.context, id, node)
        .await
        .map_err(|e| errors::problem(e, work::namer(&directory)))?;
    Ok((StatusCode::CREATED, ApiJson(Created { id })))
}

/// The plan a node belongs to, for its office's checks.
async fn plan_of_node(state: &AppState, node: i64) -> Result<drafting::Plan, ApiError> {
    let plan_id = drafting::plan_of_node(&state.db, node)
        .await?
        .ok_or_else(|| ApiError::not_found("没有这项任务", "no such node"))?;
    work::plan(state, plan_id).await
}

/// Changes a node's title, departments, person, due date and outcome (the
/// office); its level and place stay.
#[utoipa::path(put, operation_id = "workplans_edit_node", path = "/api/v1/workplan-nodes/{id}", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The node")),
    request_body(content = Object, content_type = "application/json",
        description = "title, lead, partners, responsible, due, outcome (level and parent are ignored)"),
    responses((status = 204), answers::BadRequest, answers::Unauthorized, answers::Forbidden,
              answers::NotFound, answers::UnsupportedMediaType, answers::Unprocessable))]
pub async fn edit_node(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(node): ApiJson<NewNode>,
) -> Result<StatusCode, ApiError> {
    let user = person(&caller)?;
    let plan = plan_of_node(&state, id).await?;
    work::require_office(user, &plan)?;
    let directory = egov_org::directory(&state.db).await?;
    drafting::edit_node(&state.db, &caller.context, id, node)
        .await
        .map_err(|e| errors::problem(e, work::namer(&directory)))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a node and what sits under it (the office).
#[utoipa::path(delete, operation_id = "workplans_remove_node", path = "/api/v1/workplan-nodes/{id}", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The node")),
    responses((status = 204), answers::Unauthorized, answers::Forbidden, answers::NotFound))]
pub async fn remove_node(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let user = person(&caller)?;
    let plan = plan_of_node(&state, id).await?;
    work::require_office(user, &plan)?;
    let directory = egov_org::directory(&state.db).await?;
    drafting::remove_node(&state.db, &caller.context, id)
        .await
        .map_err(|e| errors::problem(e, work::namer(&directory)))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A department's word on its share.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Word {
    /// The department's code: one the caller works for.
    pub department: String,
    /// `confirmed` or `change_requested`.
    pub decision: String,
    /// What should change and why (asked for a change).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A department confirms its share of the plan as it stands, or asks for
/// a change with its reasons.
#[utoipa::path(post, operation_id = "workplans_confirm", path = "/api/v1/workplans/{id}/confirmations", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The plan")),
    request_body = Word,
    responses((status = 204), answers::BadRequest, answers::Unauthorized, answers::Forbidden,
              answers::NotFound, answers::UnsupportedMediaType, answers::Unprocessable))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(word): ApiJson<Word>,
) -> Result<StatusCode, ApiError> {
    let user = person(&caller)?;
    work::plan(&state, id).await?;
    let directory = egov_org::directory(&state.db).await?;
    let department = directory
        .by_code(word.department.trim())
        .map(|d| d.id)
        .filter(|d| work::departments(user).contains(d))
        .ok_or_else(ApiError::forbidden)?;
    confirming::decide(
        &state.db,
        &caller.context,
        id,
        department,
        Some(user.user_id),
        &word.decision,
        word.reason,
    )
    .await
    .map_err(|e| errors::problem(e, work::namer(&directory)))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A version to publish.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Publication {
    /// What this version is (e.g. 领导小组审定印发).
    pub note: String,
}

/// The version published.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub version: i64,
}

/// Publishes the plan as it stands as its next version (the office), once
/// every department with a share has confirmed it (409 naming those that
/// have not).
#[utoipa::path(post, operation_id = "workplans_publish", path = "/api/v1/workplans/{id}/versions", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The plan")),
    request_body = Publication,
    responses((status = 201, body = Published), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound, answers::Conflict, answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn publish(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<Publication>,
) -> Result<(StatusCode, ApiJson<Published>), ApiError> {
    let user = person(&caller)?;
    let plan = work::plan(&state, id).await?;
    work::require_office(user, &plan)?;
    let directory = egov_org::directory(&state.db).await?;
    let version = versions::publish(
        &state.db,
        &caller.context,
        id,
        Some(user.user_id),
        &p.note,
        time::beijing_today(),
    )
    .await
    .map_err(|e| errors::problem(e, work::namer(&directory)))?;
    Ok((StatusCode::CREATED, ApiJson(Published { version })))
}

/// Two versions to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// The earlier version (0: the empty plan; default: the one before `to`).
    pub from: Option<i64>,
    /// The later version (default: the latest).
    pub to: Option<i64>,
}

/// A node's difference between two versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// `added`, `removed` or `changed`.
    pub kind: String,
    pub id: i64,
    pub title: String,
    /// The fields that changed.
    pub fields: Vec<String>,
}

/// What changed between two published versions of a plan.
#[utoipa::path(get, operation_id = "workplans_diff", path = "/api/v1/workplans/{id}/diff", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The plan"), DiffParams),
    responses((status = 200, body = Vec<ChangeView>), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound))]
pub async fn diff(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffParams>,
) -> Result<ApiJson<Vec<ChangeView>>, ApiError> {
    let board = visible_board(&state, signed_in(&caller), id).await?;
    let to = q.to.unwrap_or(board.plan.version);
    let from = q.from.unwrap_or(to.saturating_sub(1)).max(0);
    let changes = crate::diffs::between(&state, id, from, to).await?;
    Ok(ApiJson(
        changes
            .into_iter()
            .map(|c| {
                let e = c.after.as_ref().or(c.before.as_ref()).expect("a side");
                ChangeView {
                    kind: c.kind.as_str().to_owned(),
                    id: e.id,
                    title: e.title.clone(),
                    fields: c.fields.iter().map(|f| (*f).to_owned()).collect(),
                }
            })
            .collect(),
    ))
}

/// A report taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedView {
    pub id: i64,
    /// The period reported on (`YYYY-MM`).
    pub period: String,
    /// Made after the period's deadline.
    pub late: bool,
    #[schema(value_type = String, format = Date)]
    pub deadline: NaiveDate,
}

/// The reporter the caller is.
pub fn reporter(user: &egov_identity::SessionUser) -> Reporter {
    Reporter {
        user_id: Some(user.user_id),
        departments: work::departments(user),
    }
}

/// Reports progress on a task or milestone the caller's department leads:
/// what was done, the percentage (not lower than the last without a
/// reason), problems, links as evidence; `close` asks the office to close
/// it (100, with evidence). Late after the period's deadline.
#[utoipa::path(post, operation_id = "workplans_report", path = "/api/v1/workplan-nodes/{id}/reports", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The task or milestone")),
    request_body(content = Object, content_type = "application/json",
        description = "period (YYYY-MM, default the current), progress (0-100), text, problems, reason (when progress goes back), links (case numbers, /pages, http(s) addresses), close"),
    responses((status = 201, body = SubmittedView), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound, answers::Conflict, answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn report(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<NewReport>,
) -> Result<(StatusCode, ApiJson<SubmittedView>), ApiError> {
    let user = person(&caller)?;
    let s = submit(&state, &caller, user, id, r).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(SubmittedView {
            id: s.id,
            period: s.period,
            late: s.late,
            deadline: s.deadline,
        }),
    ))
}

/// Takes a report by `user` (the pages call this too).
pub async fn submit(
    state: &AppState,
    caller: &ApiCaller,
    user: &egov_identity::SessionUser,
    node: i64,
    r: NewReport,
) -> Result<reporting::Submitted, ApiError> {
    let calendar = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let directory = egov_org::directory(&state.db).await?;
    reporting::submit(
        &state.db,
        &caller.context,
        calendar,
        &reporter(user),
        node,
        r,
        time::now(),
    )
    .await
    .map_err(|e| errors::problem(e, work::namer(&directory)))
}

/// A report as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub department: String,
    pub period: String,
    pub progress: i64,
    pub text: String,
    pub problems: Option<String>,
    pub reason: Option<String>,
    pub links: Vec<String>,
    pub late: bool,
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: Timestamp,
    /// The evidence files' names.
    pub files: Vec<String>,
}

/// The reports on a task or milestone, newest first (staff who may see
/// the plan).
#[utoipa::path(get, operation_id = "workplans_reports", path = "/api/v1/workplan-nodes/{id}/reports", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The task or milestone")),
    responses((status = 200, body = Vec<ReportView>), answers::Unauthorized, answers::Forbidden, answers::NotFound))]
pub async fn reports(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Vec<ReportView>>, ApiError> {
    let user = person(&caller)?;
    let plan = plan_of_node(&state, id).await?;
    let shared = board::nodes(&state.db, plan.id).await?;
    let share: Vec<i64> = shared
        .iter()
        .flat_map(|n| std::iter::once(n.lead_department_id).chain(n.partners.iter().copied()))
        .collect();
    if user.kind != egov_identity::UserKind::Staff || !work::may_see(Some(user), &plan, &share) {
        return Err(ApiError::forbidden());
    }
    let directory = egov_org::directory(&state.db).await?;
    let list = reporting::of_node(&state.db, id).await?;
    Ok(ApiJson(
        list.into_iter()
            .map(|r| ReportView {
                id: r.id,
                department: directory.code_of(r.department_id),
                links: r.links(),
                period: r.period,
                progress: r.progress,
                text: r.text,
                problems: r.problems,
                reason: r.reason,
                late: r.late,
                reported_at: r.reported_at,
                files: r.evidence.into_iter().map(|e| e.name).collect(),
            })
            .collect(),
    ))
}

/// The office's decision on a task.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Decision {
    /// `accept` (the closing: done), `send_back` (the closing, with the
    /// reason) or `cancel` (with the reason for the approval).
    pub verdict: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Where a node stands after a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateView {
    /// `open`, `closing`, `done` or `cancelled`.
    pub state: String,
}

/// The office accepts a task's closing, sends it back, or cancels it.
#[utoipa::path(post, operation_id = "workplans_decide", path = "/api/v1/workplan-nodes/{id}/decisions", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The task or milestone")),
    request_body = Decision,
    responses((status = 200, body = StateView), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound, answers::Conflict, answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn decide(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<Decision>,
) -> Result<ApiJson<StateView>, ApiError> {
    let user = person(&caller)?;
    let plan = plan_of_node(&state, id).await?;
    work::require_office(user, &plan)?;
    let verdict = Verdict::parse(d.verdict.trim()).ok_or_else(|| {
        ApiError::validation(
            "决定应为验收通过、退回或撤销",
            "verdict is accept, send_back or cancel",
        )
    })?;
    let directory = egov_org::directory(&state.db).await?;
    let next = reporting::decide(&state.db, &caller.context, id, verdict, d.reason)
        .await
        .map_err(|e| errors::problem(e, work::namer(&directory)))?;
    Ok(ApiJson(StateView {
        state: next.as_str().to_owned(),
    }))
}

/// Gives a file (PDF, PNG or JPEG, checked by its content) as evidence
/// with a report, by the department that made it.
#[utoipa::path(post, operation_id = "workplans_evidence", path = "/api/v1/workplan-reports/{id}/evidence", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The report")),
    request_body(content = Object, content_type = "multipart/form-data", description = "file"),
    responses((status = 201, body = Created), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound, answers::Conflict, answers::PayloadTooLarge,
              answers::UnsupportedMediaType, answers::Unprocessable))]
pub async fn evidence(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    multipart: Multipart,
) -> Result<(StatusCode, ApiJson<Created>), ApiError> {
    let user = person(&caller)?;
    let upload = read_upload(&state, multipart, None).await?;
    let file = attach(&state, &caller, user, id, upload).await?;
    Ok((StatusCode::CREATED, ApiJson(Created { id: file })))
}

/// Reads a multipart upload; a page's form carries its CSRF token
/// (`form_csrf`: the session's), checked before anything else.
pub async fn read_upload(
    state: &AppState,
    multipart: Multipart,
    form_csrf: Option<&str>,
) -> Result<(String, Vec<u8>), ApiError> {
    let max = state.settings.max_upload_bytes;
    let posted = egov_web_kit::upload::read(multipart, max, &["csrf"]).await?;
    if form_csrf.is_some_and(|t| t != posted.field("csrf")) {
        return Err(ApiError::forbidden());
    }
    Ok(posted.file)
}

/// Gives the file `(name, bytes)` as evidence with report `report`, by
/// `user` of the department that made it; checked by its content and
/// stored first. Answers the node the report is on.
pub async fn attach(
    state: &AppState,
    caller: &ApiCaller,
    user: &egov_identity::SessionUser,
    report: i64,
    (name, bytes): (String, Vec<u8>),
) -> Result<i64, ApiError> {
    let (_, by) = reporting::report_head(&state.db, report)
        .await?
        .ok_or_else(|| ApiError::not_found("没有这份报告", "no such report"))?;
    if !work::departments(user).contains(&by) {
        return Err(ApiError::forbidden().with_detail(
            "只能为本单位的报告提供佐证材料",
            "evidence is given by the department that reported",
        ));
    }
    let max = state.settings.max_upload_bytes;
    let stored = egov_cases::attachments::store(&state.files, &name, bytes, max)
        .await
        .map_err(attach_error)?;
    let directory = egov_org::directory(&state.db).await?;
    reporting::attach(&state.db, &caller.context, &reporter(user), report, stored)
        .await
        .map_err(|e| errors::problem(e, work::namer(&directory)))
}

fn attach_error(e: egov_cases::attachments::AttachError) -> ApiError {
    match e {
        egov_cases::attachments::AttachError::Upload(u) => egov_web_kit::upload::upload_error(u),
        other => ApiError::internal(other),
    }
}

/// An order as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// Its case number: the department answers it as a case.
    pub number: String,
    /// `ordered`, `answered`, `inspection`, `accepted` or `inspected`.
    pub state: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: Timestamp,
}

/// An order as the office issues it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderBody {
    /// What the department must do.
    pub what: String,
    /// Within how many working days it answers (1–30).
    pub days: u32,
}

/// The case an order opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct Issued {
    pub number: String,
}

/// The office orders the department leading a task to act on it (督办):
/// a case of the `workplan_order` process, answered by the department
/// within the working days given (`/api/v1/cases/{number}/actions`,
/// action `answer`).
#[utoipa::path(post, operation_id = "workplans_order", path = "/api/v1/workplan-nodes/{id}/orders", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The task or milestone")),
    request_body = OrderBody,
    responses((status = 201, body = Issued), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound, answers::Conflict, answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn order(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(o): ApiJson<OrderBody>,
) -> Result<(StatusCode, ApiJson<Issued>), ApiError> {
    let user = person(&caller)?;
    let number = issue_order(&state, &caller, user, id, o.what, o.days).await?;
    Ok((StatusCode::CREATED, ApiJson(Issued { number })))
}

/// Issues an order by `user`, the office of the node's plan (the pages
/// call this too).
pub async fn issue_order(
    state: &AppState,
    caller: &ApiCaller,
    user: &egov_identity::SessionUser,
    node: i64,
    what: String,
    days: u32,
) -> Result<String, ApiError> {
    let plan = plan_of_node(state, node).await?;
    work::require_office(user, &plan)?;
    let calendar = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let directory = egov_org::directory(&state.db).await?;
    egov_workplan::orders::issue(
        &state.db,
        &caller.context,
        &state.processes,
        &calendar,
        node,
        egov_workplan::orders::NewOrder { what, days },
    )
    .await
    .map_err(|e| errors::problem(e, work::namer(&directory)))
}

/// The orders on a task, newest first (staff who may see the plan).
#[utoipa::path(get, operation_id = "workplans_orders", path = "/api/v1/workplan-nodes/{id}/orders", tag = TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The task or milestone")),
    responses((status = 200, body = Vec<OrderView>), answers::Unauthorized, answers::Forbidden, answers::NotFound))]
pub async fn orders(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Vec<OrderView>>, ApiError> {
    let user = person(&caller)?;
    let plan = plan_of_node(&state, id).await?;
    if user.kind != egov_identity::UserKind::Staff
        || !work::may_see(Some(user), &plan, &work::departments(user))
    {
        return Err(ApiError::forbidden());
    }
    let list = egov_workplan::orders::of_node(&state.db, id).await?;
    Ok(ApiJson(
        list.into_iter()
            .map(|o| OrderView {
                number: o.number,
                state: o.state,
                due_at: o.due_at,
                issued_at: o.issued_at,
            })
            .collect(),
    ))
}

/// The office's step on an order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderStep {
    /// `accept`, `send_back` (with `reason`), `escalate` (with `reason`)
    /// or `record_visit` (with `visited_on`, `place`, `findings`, `measures`).
    pub action: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
}

/// The office accepts an order's answer, sends it back, escalates it to a
/// 专项督查, or records the field visit that closes one.
#[utoipa::path(post, operation_id = "workplans_order_step", path = "/api/v1/workplan-orders/{number}/steps", tag = TAG_WORKPLANS,
    params(("number" = String, Path, description = "The order's case number")),
    request_body = OrderStep,
    responses((status = 200, body = StateView), answers::BadRequest, answers::Unauthorized,
              answers::Forbidden, answers::NotFound, answers::Conflict, answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn order_step(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(s): ApiJson<OrderStep>,
) -> Result<ApiJson<StateView>, ApiError> {
    let user = person(&caller)?;
    let state_reached =
        take_order_step(&state, &caller, user, &number, &s.action, s.fields).await?;
    Ok(ApiJson(StateView {
        state: state_reached,
    }))
}

/// Takes the office's step on order `number` as `user` (the pages call
/// this too).
pub async fn take_order_step(
    state: &AppState,
    caller: &ApiCaller,
    user: &egov_identity::SessionUser,
    number: &str,
    action: &str,
    fields: serde_json::Value,
) -> Result<String, ApiError> {
    let node = egov_workplan::orders::node_of(&state.db, number)
        .await?
        .ok_or_else(|| ApiError::not_found("没有这件督办事项", "no such order"))?;
    let plan = plan_of_node(state, node).await?;
    work::require_office(user, &plan)?;
    let calendar = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let directory = egov_org::directory(&state.db).await?;
    let fields = match fields {
        serde_json::Value::Null => serde_json::json!({}),
        f => f,
    };
    egov_workplan::orders::step(
        &state.db,
        &caller.context,
        &state.processes,
        &calendar,
        number,
        action,
        fields,
    )
    .await
    .map_err(|e| errors::problem(e, work::namer(&directory)))
}
