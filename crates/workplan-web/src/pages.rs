//! The work plans' pages: the list (and the office's form to draft one),
//! a plan's board — the tree with a status light per node, filters by
//! department and item, the year's timeline, the departments' word, and
//! for the office the forms to add a node and publish — the diff between
//! versions, and a department's own tasks with what it owes this week.

use crate::views::{self, department_name, Row};
use crate::{api, errors, work};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use egov_identity::{SessionUser, UserKind};
use egov_kernel::{time, Locale};
use egov_web_kit::auth::{page_caller, CheckedForm, MaybeUser, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, render, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use egov_workplan::board::{self, Board, OwedKind};
use egov_workplan::confirming::{self, Decision};
use egov_workplan::drafting::{self, Plan};
use egov_workplan::plan::{Level, NewNode, NewPlan, PlanKind};
use egov_workplan::versions::{self, ChangeKind};
use egov_workplan::WorkplanError;
use serde::Deserialize;

/// A plan in the list.
struct Listed {
    plan: Plan,
    kind: &'static str,
    status: String,
}

#[derive(Template)]
#[template(path = "workplans_list.html")]
struct ListPage {
    chrome: Chrome,
    plans: Vec<Listed>,
    may_draft: bool,
    reports: bool,
    kinds: Vec<(&'static str, &'static str)>,
    f: PlanForm,
    error: Option<String>,
    field: &'static str,
}

/// The form to draft a plan, as typed.
#[derive(Debug, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    doc_number: String,
    #[serde(default)]
    report_months: String,
    #[serde(default)]
    public: Option<String>,
}

impl Default for PlanForm {
    fn default() -> Self {
        PlanForm {
            title: String::new(),
            kind: PlanKind::Points.as_str().into(),
            year: time::beijing_today().year().to_string(),
            doc_number: String::new(),
            report_months: "1".into(),
            public: None,
        }
    }
}

fn kind_word(locale: Locale, k: PlanKind) -> &'static str {
    match locale {
        Locale::Zh => k.word(),
        Locale::En => k.word_en(),
    }
}

/// The plans `user` may see.
async fn visible_plans(state: &AppState, user: &SessionUser) -> Result<Vec<Plan>, ApiError> {
    let shared = board::plans_of(&state.db, &work::departments(user)).await?;
    let plans = drafting::plans(&state.db).await?;
    Ok(plans
        .into_iter()
        .filter(|p| {
            (p.public && p.is_published())
                || work::is_office(user, p)
                || (user.kind == UserKind::Staff && p.is_published())
                || shared.iter().any(|s| s.id == p.id)
        })
        .collect())
}

async fn list_page(
    state: &AppState,
    locale: Locale,
    user: Option<SessionUser>,
    f: PlanForm,
    error: Option<(String, &'static str)>,
) -> Result<Response, ApiError> {
    let plans = match &user {
        Some(u) => visible_plans(state, u).await?,
        None => drafting::plans(&state.db)
            .await?
            .into_iter()
            .filter(|p| p.public && p.is_published())
            .collect(),
    };
    let plans = plans
        .into_iter()
        .map(|p| Listed {
            kind: kind_word(locale, p.kind),
            status: views::plan_status(locale, &p),
            plan: p,
        })
        .collect();
    let (error, field) = match error {
        Some((m, f)) => (Some(m), f),
        None => (None, ""),
    };
    let page = ListPage {
        may_draft: user.as_ref().and_then(work::office_department).is_some(),
        reports: user
            .as_ref()
            .is_some_and(|u| !work::departments(u).is_empty()),
        chrome: Chrome::new(locale, user, "/workplans"),
        plans,
        kinds: PlanKind::ALL
            .iter()
            .map(|k| (k.as_str(), kind_word(locale, *k)))
            .collect(),
        f,
        error,
        field,
    };
    Ok(render_form(page.error.is_some(), &page))
}

/// `GET /workplans`: the plans one may see (a visitor: the public ones);
/// the office's form to draft one.
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
) -> Result<Response, ApiError> {
    list_page(&state, locale, user, PlanForm::default(), None).await
}

/// `POST /workplans`: a plan drafted (on to its board), or the form again.
pub async fn create(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    CheckedForm(f): CheckedForm<PlanForm>,
) -> Result<Response, ApiError> {
    let office = work::office_department(&user).ok_or_else(ApiError::forbidden)?;
    let caller = page_caller(&user, origin);
    let plan = NewPlan {
        title: f.title.clone(),
        kind: f.kind.clone(),
        year: f.year.trim().parse().unwrap_or(0),
        doc_number: Some(f.doc_number.clone()),
        report_months: f.report_months.trim().parse().ok(),
        public: f.public.is_some(),
    };
    match drafting::create_plan(&state.db, &caller.context, office, Some(user.user_id), plan).await
    {
        Ok(id) => Ok(Redirect::to(&format!("/workplans/{id}?done=drafted")).into_response()),
        Err(egov_workplan::WorkplanError::Plan(p)) => {
            let at = p.field();
            let e = errors::problem(p.into(), |d| d.to_string());
            let message = error_message(locale, &e);
            list_page(&state, locale, Some(user), f, Some((message, at))).await
        }
        Err(e) => Err(errors::problem(e, |d| d.to_string())),
    }
}

/// The words key of the note shown after a step (`done`), if any.
pub fn done_key(done: Option<&str>) -> String {
    done.map(|d| format!("workplans.done.{d}"))
        .filter(|key| egov_web_kit::i18n::lookup(Locale::Zh, key).is_some())
        .unwrap_or_default()
}

/// The most nodes the board shows whole, unfiltered.
const WHOLE_TREE: usize = 500;

/// The board's filters.
#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    done: Option<String>,
}

/// A department's word, as the board shows it.
struct WordRow {
    department: String,
    word: &'static str,
    changed: bool,
    reason: String,
}

#[derive(Template)]
#[template(path = "workplans_board.html")]
struct BoardPage {
    chrome: Chrome,
    plan: Plan,
    kind: &'static str,
    status: String,
    office: String,
    as_of: String,
    done: String,
    tally: Vec<(&'static str, &'static str, usize)>,
    rows: Vec<Row>,
    departments: Vec<(String, String)>,
    items: Vec<(i64, String)>,
    department: String,
    item: String,
    /// Only the items are shown (a large plan, unfiltered).
    items_only: bool,
    /// Month boundaries on the timeline (day of the year, label).
    months: Vec<(i64, String)>,
    /// Today on the timeline, if in the plan's year.
    today: Option<i64>,
    words: Vec<WordRow>,
    /// Departments with a share that have not confirmed.
    waiting: Vec<String>,
    /// The viewer's departments with a share: (code, name, confirmed).
    mine: Vec<(String, String, bool)>,
    office_view: bool,
    versions: Vec<versions::Version>,
    node_form: NodeFormView,
    /// The field a refusal is about.
    field: &'static str,
}

/// The office's form to add a node, as typed, with its choices.
pub struct NodeFormView {
    pub f: NodeForm,
    pub parents: Vec<(i64, String)>,
    pub levels: Vec<(&'static str, &'static str)>,
    pub departments: Vec<(String, String)>,
    pub error: Option<String>,
    pub field: &'static str,
}

/// A node as the office types it.
#[derive(Debug, Default, Deserialize)]
pub struct NodeForm {
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub lead: String,
    #[serde(default)]
    pub partner1: String,
    #[serde(default)]
    pub partner2: String,
    #[serde(default)]
    pub partner3: String,
    #[serde(default)]
    pub responsible: String,
    #[serde(default)]
    pub due: String,
    #[serde(default)]
    pub outcome: String,
}

impl NodeForm {
    pub fn node(&self) -> NewNode {
        NewNode {
            parent: self.parent.trim().parse().ok(),
            level: self.level.clone(),
            title: self.title.clone(),
            lead: self.lead.clone(),
            partners: [&self.partner1, &self.partner2, &self.partner3]
                .iter()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
            responsible: self.responsible.clone(),
            due: self.due.clone(),
            outcome: self.outcome.clone(),
        }
    }
}

/// The departments a node may name, for the selects.
pub fn department_choices(
    directory: &egov_org::Directory,
    locale: Locale,
) -> Vec<(String, String)> {
    directory
        .municipal_agencies()
        .map(|d| (d.code.clone(), department_name(directory, locale, d.id)))
        .collect()
}

fn month_marks(plan: &Plan, locale: Locale) -> Vec<(i64, String)> {
    (1..=12)
        .filter_map(|m| {
            let d = chrono::NaiveDate::from_ymd_opt(plan.year(), m, 1)?;
            let label = match locale {
                Locale::Zh => format!("{m}月"),
                Locale::En => d.format("%b").to_string(),
            };
            Some((i64::from(d.ordinal0()), label))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn board_page(
    state: &AppState,
    locale: Locale,
    user: Option<SessionUser>,
    board: Board,
    q: BoardQuery,
    node_form: Option<NodeForm>,
    error: Option<(String, &'static str)>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let plan = board.plan.clone();
    let department = directory.by_code(q.department.trim()).map(|d| d.id);
    let item: Option<i64> = q.item.trim().parse().ok();
    // A large plan shows its items (with their tasks' lights rolled up)
    // until a department or an item is chosen.
    let items_only = department.is_none() && item.is_none() && board.nodes.len() > WHOLE_TREE;
    let shown = match items_only {
        true => board
            .nodes
            .iter()
            .filter(|n| n.level == Level::Item)
            .collect(),
        false => board.filtered(department, item),
    };
    let rows = views::rows(&directory, locale, &board, &shown);
    let share = board.departments();
    let words = confirming::of_plan(&state.db, plan.id).await?;
    let confirmed = |d: i64| {
        words
            .iter()
            .any(|w| w.department_id == d && w.decision == Decision::Confirmed)
    };
    let waiting = share
        .iter()
        .filter(|d| !confirmed(**d))
        .map(|d| department_name(&directory, locale, *d))
        .collect();
    let mine = user
        .as_ref()
        .map(work::departments)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| share.contains(d))
        .map(|d| {
            (
                directory.code_of(d),
                department_name(&directory, locale, d),
                confirmed(d),
            )
        })
        .collect();
    let office_view = user.as_ref().is_some_and(|u| work::is_office(u, &plan));
    let today = time::beijing_today();
    let (error, field) = match error {
        Some((m, f)) => (Some(m), f),
        None => (None, ""),
    };
    let node_form = NodeFormView {
        f: node_form.unwrap_or_else(|| NodeForm {
            level: Level::Task.as_str().into(),
            due: format!("{}-12-31", plan.year()),
            ..NodeForm::default()
        }),
        parents: board
            .nodes
            .iter()
            .filter(|n| n.level != Level::Milestone)
            .map(|n| (n.id, n.title.clone()))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.as_str(), views::level_word(locale, *l)))
            .collect(),
        departments: department_choices(&directory, locale),
        error,
        field,
    };
    let page = BoardPage {
        kind: kind_word(locale, plan.kind),
        status: views::plan_status(locale, &plan),
        office: department_name(&directory, locale, plan.office_department_id),
        as_of: board.as_of.to_string(),
        done: done_key(q.done.as_deref()),
        tally: board
            .tally()
            .into_iter()
            .map(|(l, n)| (l.as_str(), views::light_word(locale, l), n))
            .collect(),
        departments: share
            .iter()
            .map(|d| {
                (
                    directory.code_of(*d),
                    department_name(&directory, locale, *d),
                )
            })
            .collect(),
        items: board
            .nodes
            .iter()
            .filter(|n| n.level == Level::Item)
            .map(|n| (n.id, n.title.clone()))
            .collect(),
        department: q.department,
        item: q.item,
        months: month_marks(&plan, locale),
        items_only,
        today: (today.year() == plan.year()).then(|| i64::from(today.ordinal0())),
        words: words
            .iter()
            .map(|w| WordRow {
                department: department_name(&directory, locale, w.department_id),
                word: match (locale, w.decision) {
                    (Locale::Zh, Decision::Confirmed) => "已确认",
                    (Locale::Zh, Decision::ChangeRequested) => "申请调整",
                    (Locale::En, Decision::Confirmed) => "Confirmed",
                    (Locale::En, Decision::ChangeRequested) => "Change asked",
                },
                changed: w.decision == Decision::ChangeRequested,
                reason: w.reason.clone().unwrap_or_default(),
            })
            .collect(),
        waiting,
        mine,
        office_view,
        versions: versions::of_plan(&state.db, plan.id).await?,
        field: node_form.field,
        node_form,
        chrome: Chrome::new(locale, user, format!("/workplans/{}", plan.id)),
        plan,
        rows,
    };
    Ok(match status {
        StatusCode::OK => render(status, &page),
        _ => render_form(true, &page),
    })
}

/// Where a form posted on the board lands: `to` once done; else the board
/// again, the node form as typed, with the message of a refusal of the
/// input (422) or of the plan's state (409); any other problem as it is.
#[allow(clippy::too_many_arguments)]
async fn board_after<T>(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    id: i64,
    done: Result<T, WorkplanError>,
    to: impl FnOnce(T) -> String,
    form: Option<NodeForm>,
) -> Result<Response, ApiError> {
    let e = match done {
        Ok(t) => return Ok(Redirect::to(&to(t)).into_response()),
        Err(e) => e,
    };
    let field = errors::field(&e);
    let directory = egov_org::directory(&state.db).await?;
    let problem = errors::problem(e, work::namer(&directory));
    if !matches!(problem.status.as_u16(), 409 | 422) {
        return Err(problem);
    }
    let message = error_message(locale, &problem);
    let board = api::visible_board(state, Some(&user), id).await?;
    board_page(
        state,
        locale,
        Some(user),
        board,
        BoardQuery::default(),
        form,
        Some((message, field)),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `GET /workplans/{id}`: the plan's board; a public plan's for anyone.
pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, ApiError> {
    let board = match api::visible_board(&state, user.as_ref(), id).await {
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return Ok(Redirect::to(&format!("/login?next=/workplans/{id}")).into_response())
        }
        other => other?,
    };
    board_page(&state, locale, user, board, q, None, None, StatusCode::OK).await
}

/// `POST /workplans/{id}/nodes`: a node added (the office), or the board
/// again with the form as typed and the message.
pub async fn add_node(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm<NodeForm>,
) -> Result<Response, ApiError> {
    let plan = work::plan(&state, id).await?;
    work::require_office(&user, &plan)?;
    let caller = page_caller(&user, origin);
    let node = f.node();
    let done = drafting::add_node(&state.db, &caller.context, id, node).await;
    let to = |node| format!("/workplans/{id}?done=added#node-{node}");
    board_after(&state, locale, user, id, done, to, Some(f)).await
}

/// A department's word as a form posts it.
#[derive(Debug, Deserialize)]
pub struct WordForm {
    #[serde(default)]
    department: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `POST /workplans/{id}/confirm`: a department's word on its share.
pub async fn confirm(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm<WordForm>,
) -> Result<Response, ApiError> {
    work::plan(&state, id).await?;
    let directory = egov_org::directory(&state.db).await?;
    let department = directory
        .by_code(f.department.trim())
        .map(|d| d.id)
        .filter(|d| work::departments(&user).contains(d))
        .ok_or_else(ApiError::forbidden)?;
    let caller = page_caller(&user, origin);
    let reason = Some(f.reason.clone()).filter(|r| !r.trim().is_empty());
    let done = confirming::decide(
        &state.db,
        &caller.context,
        id,
        department,
        Some(user.user_id),
        &f.decision,
        reason,
    )
    .await;
    let to = |()| format!("/workplans/{id}?done={}", f.decision.trim());
    board_after(&state, locale, user, id, done, to, None).await
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    note: String,
}

/// `POST /workplans/{id}/publish`: published as the next version (the
/// office), or the board again with why not.
pub async fn publish(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm<PublishForm>,
) -> Result<Response, ApiError> {
    let plan = work::plan(&state, id).await?;
    work::require_office(&user, &plan)?;
    let caller = page_caller(&user, origin);
    let done = versions::publish(
        &state.db,
        &caller.context,
        id,
        Some(user.user_id),
        &f.note,
        time::beijing_today(),
    )
    .await;
    let to = |_| format!("/workplans/{id}?done=published");
    board_after(&state, locale, user, id, done, to, None).await
}

/// A change between versions, as the diff page shows it.
struct ChangeRow {
    kind: &'static str,
    kind_word: &'static str,
    title: String,
    /// (the field's words key, before, after)
    fields: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "workplans_diff.html")]
struct DiffPage {
    chrome: Chrome,
    plan: Plan,
    from: i64,
    to: i64,
    changes: Vec<ChangeRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /workplans/{id}/diff`: what changed between two versions (by
/// default the latest and the one before).
pub async fn diff(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, ApiError> {
    let board = api::visible_board(&state, user.as_ref(), id).await?;
    let to = q.to.unwrap_or(board.plan.version);
    let from = q.from.unwrap_or(to.saturating_sub(1)).max(0);
    let changes = crate::diffs::between(&state, id, from, to).await?;
    let directory = egov_org::directory(&state.db).await?;
    let name = |d: i64| department_name(&directory, locale, d);
    let names = |ds: &[i64]| ds.iter().map(|d| name(*d)).collect::<Vec<_>>().join("、");
    let rows = changes
        .into_iter()
        .map(|c| {
            let shown = c.after.as_ref().or(c.before.as_ref()).expect("a side");
            let fields = match (&c.before, &c.after) {
                (Some(b), Some(a)) => c
                    .fields
                    .iter()
                    .map(|f| {
                        let (x, y) = match *f {
                            "title" => (b.title.clone(), a.title.clone()),
                            "lead" => (name(b.lead), name(a.lead)),
                            "partners" => (names(&b.partners), names(&a.partners)),
                            "responsible" => (b.responsible.clone(), a.responsible.clone()),
                            "due" => (b.due.to_string(), a.due.to_string()),
                            "outcome" => (b.outcome.clone(), a.outcome.clone()),
                            _ => (String::new(), String::new()),
                        };
                        (format!("workplans.field.{f}"), x, y)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            ChangeRow {
                kind: c.kind.as_str(),
                kind_word: match (locale, c.kind) {
                    (Locale::Zh, ChangeKind::Added) => "新增",
                    (Locale::Zh, ChangeKind::Removed) => "删除",
                    (Locale::Zh, ChangeKind::Changed) => "调整",
                    (Locale::En, ChangeKind::Added) => "Added",
                    (Locale::En, ChangeKind::Removed) => "Removed",
                    (Locale::En, ChangeKind::Changed) => "Changed",
                },
                title: shown.title.clone(),
                fields,
            }
        })
        .collect();
    let page = DiffPage {
        chrome: Chrome::new(locale, user, format!("/workplans/{id}")),
        plan: board.plan,
        from,
        to,
        changes: rows,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Something a department owes, as its list shows it.
struct OwedRow {
    node_id: i64,
    title: String,
    what: String,
    by: String,
    overdue: bool,
}

/// One plan's share of a department's tasks.
struct MinePlan {
    plan: Plan,
    department: String,
    owed: Vec<OwedRow>,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "workplans_mine.html")]
struct MinePage {
    chrome: Chrome,
    plans: Vec<MinePlan>,
}

/// `GET /workplans/mine`: the tasks the viewer's departments lead, plan by
/// plan, with what they owe by the end of this week.
pub async fn mine(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
) -> Result<Response, ApiError> {
    let departments = work::departments(&user);
    if departments.is_empty() {
        return Err(ApiError::forbidden().with_detail(
            "只有承担任务的单位工作人员有“本单位任务”",
            "only staff of departments with tasks have a task list",
        ));
    }
    let directory = egov_org::directory(&state.db).await?;
    let calendar = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let today = time::beijing_today();
    let mut plans = Vec::new();
    for plan in board::plans_of(&state.db, &departments).await? {
        if !plan.is_published() {
            continue;
        }
        let b = board::load(&state.db, &calendar, plan.clone(), today).await?;
        for d in &departments {
            let led: Vec<&board::Node> = b
                .nodes
                .iter()
                .filter(|n| n.lead_department_id == *d && n.level != Level::Item)
                .collect();
            if led.is_empty() {
                continue;
            }
            let owed = b
                .owed(&calendar, *d, today)
                .into_iter()
                .map(|o| OwedRow {
                    node_id: o.node_id,
                    title: o.title,
                    what: match (locale, o.what) {
                        (Locale::Zh, OwedKind::Report(p)) => format!("报送 {p} 进展"),
                        (Locale::Zh, OwedKind::Close) => "到期办结".into(),
                        (Locale::En, OwedKind::Report(p)) => format!("Report for {p}"),
                        (Locale::En, OwedKind::Close) => "Due to be closed".into(),
                    },
                    by: o.by.to_string(),
                    overdue: o.overdue,
                })
                .collect();
            plans.push(MinePlan {
                department: department_name(&directory, locale, *d),
                rows: views::rows(&directory, locale, &b, &led),
                owed,
                plan: plan.clone(),
            });
        }
    }
    let page = MinePage {
        chrome: Chrome::new(locale, Some(user), "/workplans/mine"),
        plans,
    };
    Ok(render(StatusCode::OK, &page))
}
