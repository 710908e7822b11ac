//! The reporter's contact for the call-back (回访): the case's command
//! centre's dispatchers and the department handling it see it masked, and
//! whole on asking, which is audited before the page shows it. The case
//! page of a grid case links here for civil servants.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_cases::Case;
use egov_grid::contact::{self, ReportContact};
use egov_grid::intake::Channel;
use egov_identity::{Role, SessionUser};
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

use crate::duplicates::{grid_case, CsrfOnly};

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
}

async fn shown(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    number: String,
    reveal: Option<Origin>,
) -> Result<Response, ApiError> {
    let case = match grid_case(state, &number).await? {
        Ok(case) => case,
        Err(status) => return Ok(error_page(locale, status)),
    };
    if !needs_contact(&user, &case) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let whole = reveal.is_some();
    let contact = match reveal {
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
    let chrome = Chrome::new(
        locale,
        Some(user),
        format!("/grid/requests/{number}/reporter"),
    );
    let page = ContactPage {
        channel: chrome.t(channel).to_owned(),
        chrome,
        number,
        contact,
        whole,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /grid/requests/{number}/reporter`: the contact, masked.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    shown(&state, locale, user, number, None).await
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
    shown(&state, locale, user, number, Some(origin)).await
}
