//! The reporter's contact for the call-back (回访): the case's command
//! centre's dispatchers and the department handling it see it masked, and
//! whole on asking, which is audited before the page shows it. Once the
//! case is closed, the centre's dispatchers record here how satisfied the
//! reporter said they were (the hotline's 满意率 counts these); the
//! department that did the work does not grade itself. The case page of a
//! grid case links here for civil servants.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_cases::Case;
use egov_grid::contact::{self, ReportContact};
use egov_grid::intake::Channel;
use egov_grid::satisfaction;
use egov_identity::{Role, SessionUser};
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

use crate::duplicates::{grid_case, CsrfOnly};
use serde::Deserialize;

/// Whether `user` dispatches for the case's command centre: who calls the
/// reporter back and records their rating.
fn calls_back(user: &SessionUser, case: &Case) -> bool {
    user.roles
        .iter()
        .any(|g| g.role == Role::Dispatcher && g.department_id == Some(case.department_id))
}

/// Whether `user`'s role needs the reporter's contact: a dispatcher of the
/// case's command centre, or a handler of the department it was sent to.
fn needs_contact(user: &SessionUser, case: &Case) -> bool {
    user.roles.iter().any(|g| match g.role {
        Role::Dispatcher => g.department_id == Some(case.department_id),
        Role::Handler => {
            g.department_id.is_some() && g.department_id == case.assigned_department_id
        }
        _ => false,
    })
}

#[derive(Template)]
#[template(path = "grid_contact.html")]
struct ContactPage {
    chrome: Chrome,
    number: String,
    channel: String,
    contact: Option<ReportContact>,
    whole: bool,
    /// The rating on record: its grade's name, and whether the call-back
    /// gave it.
    rating: Option<(String, bool)>,
    /// Closed, not rated, and the viewer calls back for the centre.
    may_record: bool,
    grades: Vec<(i16, String)>,
    recorded_now: bool,
    error: Option<String>,
    kept_comment: String,
}

/// What a page shows beside the contact.
#[derive(Default)]
struct Beside {
    reveal: Option<Origin>,
    recorded_now: bool,
    error: Option<String>,
    kept_comment: String,
}

async fn shown(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    number: String,
    beside: Beside,
) -> Result<Response, ApiError> {
    let case = match grid_case(state, &number).await? {
        Ok(case) => case,
        Err(status) => return Ok(error_page(locale, status)),
    };
    if !needs_contact(&user, &case) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let whole = beside.reveal.is_some();
    let contact = match beside.reveal {
        Some(origin) => {
            let caller = page_caller(&user, origin);
            contact::reveal(&state.db, &caller.context, case.id, &case.number).await
        }
        None => contact::masked(&state.db, case.id).await,
    }
    .map_err(ApiError::internal)?;
    let channel = match contact.as_ref().map(|c| c.channel) {
        Some(Channel::Hotline) => "grid.report.channel_hotline",
        Some(Channel::Patroller) => "grid.report.channel_patroller",
        Some(Channel::Open311) => "grid.contact.channel_open311",
        Some(Channel::Citizen) => "grid.contact.channel_citizen",
        None => "grid.contact.channel_none",
    };
    let rating = egov_cases::rating::of(&state.db, case.id)
        .await
        .map_err(ApiError::internal)?;
    let may_record = rating.is_none() && !case.is_open() && calls_back(&user, &case);
    let rating = rating.map(|r| {
        (
            crate::follow::grade_name(locale, r.grade),
            r.rated_via == egov_cases::rating::Via::Callback,
        )
    });
    let chrome = Chrome::new(
        locale,
        Some(user),
        format!("/grid/requests/{number}/reporter"),
    );
    let status = match beside.error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let page = ContactPage {
        channel: chrome.t(channel).to_owned(),
        chrome,
        number,
        contact,
        whole,
        rating,
        may_record,
        grades: crate::follow::grades(locale),
        recorded_now: beside.recorded_now,
        error: beside.error,
        kept_comment: beside.kept_comment,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
pub struct ContactQuery {
    recorded: Option<String>,
}

/// `GET /grid/requests/{number}/reporter`: the contact, masked.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
    Query(q): Query<ContactQuery>,
) -> Result<Response, ApiError> {
    let beside = Beside {
        recorded_now: q.recorded.is_some(),
        ..Beside::default()
    };
    shown(&state, locale, user, number, beside).await
}

/// `POST /grid/requests/{number}/reporter`: the contact, whole, audited.
pub async fn reveal(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
    CheckedForm(_): CheckedForm<CsrfOnly>,
) -> Result<Response, ApiError> {
    let beside = Beside {
        reveal: Some(origin),
        ..Beside::default()
    };
    shown(&state, locale, user, number, beside).await
}

#[derive(Deserialize)]
pub struct CallbackForm {
    #[serde(default)]
    grade: String,
    #[serde(default)]
    comment: String,
}

/// `POST /grid/requests/{number}/callback`: a dispatcher of the case's
/// command centre records the rating the reporter gave on the call-back.
pub async fn record_callback(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<CallbackForm>,
) -> Result<Response, ApiError> {
    let case = match grid_case(&state, &number).await? {
        Ok(case) => case,
        Err(status) => return Ok(error_page(locale, status)),
    };
    if !calls_back(&user, &case) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let caller = page_caller(&user, origin);
    let result = match form.grade.trim().parse::<i16>() {
        Ok(grade) => {
            satisfaction::record_callback(
                &state.db,
                &caller.context,
                &state.processes,
                &case,
                user.user_id,
                grade,
                &form.comment,
            )
            .await
        }
        Err(_) => Err(satisfaction::SatisfactionError::Case(
            egov_cases::Refusal::Grade.into(),
        )),
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/grid/requests/{number}/reporter?recorded=1")).into_response(),
        ),
        Err(e) => match crate::follow::rating_refusal(locale, &e) {
            Some(message) => {
                let beside = Beside {
                    error: Some(message),
                    kept_comment: form.comment,
                    ..Beside::default()
                };
                shown(&state, locale, user, number, beside).await
            }
            None => Err(ApiError::internal(e)),
        },
    }
}
