//! The queues: a civil servant's tasks and department queue, an applicant's
//! own cases, and the form that opens a case.

use super::cases::{staff_lines, CaseLine};
use crate::case_page::{CaseLink, CasePageExtensions};
use crate::forms::{self, DepartmentOption, FormField};
use crate::views::{LocationInput, NewCaseInput};
use crate::work::cases::{open as open_case, queue_of, Queue};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_cases::access::actings;
use egov_cases::{Acting, ProcessDefinition, Violation};
use egov_identity::{SessionUser, UserKind};
use egov_kernel::Locale;
use egov_web_kit::auth::page_caller;
use egov_web_kit::auth::{CheckedForm, PageUser, ACCOUNT, CITIZEN, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use std::collections::HashMap;
use std::sync::Arc;

const QUEUE_LIMIT: i64 = 200;

#[derive(Template)]
#[template(path = "workbench.html")]
struct Workbench {
    chrome: Chrome,
    tasks: Vec<CaseLine>,
    queue: Vec<CaseLine>,
    alerts: Vec<CaseLine>,
    may_open: bool,
}

fn lines(locale: Locale, rows: &[(egov_cases::Case, Arc<ProcessDefinition>)]) -> Vec<CaseLine> {
    rows.iter()
        .map(|(c, d)| CaseLine::new(locale, c, d))
        .collect()
}

pub async fn workbench(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
) -> Result<Response, ApiError> {
    let tasks = queue_of(&state, &user, Queue::Tasks, false, QUEUE_LIMIT).await?;
    let tasks = staff_lines(&state, locale, &tasks).await?;
    let queue = queue_of(&state, &user, Queue::Department, false, QUEUE_LIMIT).await?;
    let queue = staff_lines(&state, locale, &queue).await?;
    let alerts = queue
        .iter()
        .filter(|c| c.alert != "none")
        .cloned()
        .collect();
    let may_open = !startable(&state, &user).await?.is_empty();
    Ok(render(
        StatusCode::OK,
        &Workbench {
            chrome: Chrome::new(locale, Some(user), "/workbench"),
            tasks,
            queue,
            alerts,
            may_open,
        },
    ))
}

#[derive(Template)]
#[template(path = "my_cases.html")]
struct MyCases {
    chrome: Chrome,
    cases: Vec<CaseLine>,
    /// Work not yet a case, as the systems it belongs to list it (the
    /// hall's unfiled applications).
    drafts: Vec<CaseLink>,
}

pub async fn my_cases(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
) -> Result<Response, ApiError> {
    let rows = queue_of(&state, &user, Queue::Department, true, QUEUE_LIMIT).await?;
    let drafts = state
        .part::<CasePageExtensions>()
        .unfinished(&state, &user, locale)
        .await?;
    Ok(render(
        StatusCode::OK,
        &MyCases {
            chrome: Chrome::new(locale, Some(user), "/cases"),
            cases: lines(locale, &rows),
            drafts,
        },
    ))
}

/// The processes the user may open a case of, with the role they would
/// open it in.
async fn startable(
    state: &AppState,
    user: &SessionUser,
) -> Result<Vec<(Arc<ProcessDefinition>, Vec<Acting>)>, ApiError> {
    let mine = actings(user);
    let mut out = Vec::new();
    for p in egov_cases::registry::list(&state.db).await? {
        let def = state.processes.latest(&state.db, &p.id).await?;
        let acting: Vec<Acting> = mine
            .iter()
            .copied()
            .filter(|a| {
                !matches!(a, Acting::Supervisor { .. }) && def.start_by.contains(&a.actor())
            })
            .collect();
        if !acting.is_empty() {
            out.push((def, acting));
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    chrome: Chrome,
    /// Every process the user may open, as id and name.
    processes: Vec<(String, String)>,
    chosen: String,
    chosen_name: String,
    fields: Vec<FormField>,
    departments: Vec<DepartmentOption>,
    values: HashMap<String, String>,
    error: Option<String>,
}

impl NewCasePage {
    fn value(&self, name: &str) -> &str {
        self.values
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn is_chosen(&self, id: &str) -> bool {
        self.chosen == id
    }

    fn is_department(&self, code: &str) -> bool {
        self.value("department") == code
    }
}

async fn new_page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    values: HashMap<String, String>,
    refusal: Option<(String, Vec<Violation>)>,
) -> Result<Response, ApiError> {
    let choices = startable(state, &user).await?;
    let wanted = values.get("process").map(String::as_str);
    let Some((def, acting)) = choices
        .iter()
        .find(|(d, _)| Some(d.id.as_str()) == wanted)
        .or(choices.first())
    else {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    };
    let (error, violations) = refusal.unwrap_or_default();
    let dir = egov_org::directory(&state.db).await?;
    // Staff open cases in the departments they act for; applicants choose.
    let mut departments = match user.kind {
        UserKind::Staff => acting
            .iter()
            .filter_map(|a| match a {
                Acting::Handler { department_id } | Acting::Dispatcher { department_id } => {
                    dir.department(*department_id)
                }
                _ => None,
            })
            .map(|d| DepartmentOption::of(d, locale))
            .collect(),
        _ => DepartmentOption::all(&dir, locale),
    };
    departments.sort_by(|a, b| a.code.cmp(&b.code));
    departments.dedup_by(|a, b| a.id == b.id);
    Ok(render(
        status,
        &NewCasePage {
            chrome: Chrome::new(locale, Some(user.clone()), "/cases/new"),
            processes: choices
                .iter()
                .map(|(d, _)| {
                    (
                        d.id.clone(),
                        localized(locale, &d.name, d.name_en.as_deref()),
                    )
                })
                .collect(),
            chosen: def.id.clone(),
            chosen_name: localized(locale, &def.name, def.name_en.as_deref()),
            fields: forms::draw(locale, def.start_fields(), &values, &violations),
            departments,
            values,
            error: (!error.is_empty()).then_some(error),
        },
    ))
}

/// The form; `?process=` picks which process's form it is.
pub async fn new_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let values = q.into_iter().filter(|(k, _)| k == "process").collect();
    new_page(&state, locale, user, StatusCode::OK, values, None).await
}

/// Opens a case through the same path as `POST /api/v1/cases`.
pub async fn open(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let get = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or_default();
    let caller = page_caller(&user, origin);
    let refuse = |e: ApiError, v: Vec<Violation>| {
        let values = form.clone();
        let user = user.clone();
        let state = state.clone();
        async move {
            if e.status.is_server_error() {
                return Err(e);
            }
            let msg = error_message(locale, &e);
            new_page(&state, locale, user, e.status, values, Some((msg, v))).await
        }
    };
    let def = match state.processes.latest(&state.db, get("process")).await {
        Ok(d) => d,
        Err(e) => return refuse(e.into(), Vec::new()).await,
    };
    let data = forms::read(def.start_fields(), &form);
    let violations = def.check_start(&data);
    if !violations.is_empty() {
        let e = ApiError::validation("请检查标出的内容", "please check the marked fields");
        return refuse(e, violations).await;
    }
    let location = match (get("lat"), get("lon")) {
        ("", "") => None,
        (lat, lon) => Some(LocationInput {
            lat: lat.parse().unwrap_or(f64::NAN),
            lon: lon.parse().unwrap_or(f64::NAN),
            address: Some(get("address").to_owned()).filter(|a| !a.is_empty()),
        }),
    };
    let input = NewCaseInput {
        process: def.id.clone(),
        department: get("department").to_owned(),
        title: get("title").to_owned(),
        data: Some(data),
        co_departments: Vec::new(),
        location,
    };
    match open_case(&state, &caller, input).await {
        Ok((case, _)) => {
            Ok(Redirect::to(&format!("/cases/{}?done=opened", case.number)).into_response())
        }
        Err(e) => refuse(e, Vec::new()).await,
    }
}
