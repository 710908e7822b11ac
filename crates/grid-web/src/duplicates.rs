//! Duplicates on the case pages: a dispatcher sees the open cases of the
//! same kind near a case still to dispatch and merges it into one of them
//! (a report not yet filed is merged from its own page, `reports.rs`). The case page of a grid
//! case that may still be merged links here (for civil servants).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_cases::Case;
use egov_cases_web::case_page::{
    Additions, CaseAdditions, CaseLink, CaseOnPage, CasePageExtension,
};
use egov_grid::coords::Point;
use egov_grid::duplicates::{self, DuplicateError, Nearby};
use egov_grid::intake::PROCESS;
use egov_grid::layers::grid;
use egov_identity::{Role, SessionUser};
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// The states a grid case may still be merged in (the process's `merge`).
const MERGEABLE: [&str; 2] = ["reported", DISPATCHABLE];
/// The state a case is dispatched from (the process's `dispatch`), when
/// its page links to the routing advice.
pub(crate) const DISPATCHABLE: &str = "dispatching";

/// Grid management's addition to the page of one of its cases.
pub struct GridCases;

impl CasePageExtension for GridCases {
    fn additions<'a>(&'a self, _state: &'a AppState, on_page: CaseOnPage<'a>) -> Additions<'a> {
        Box::pin(async move {
            let case = on_page.case;
            if case.process_id != PROCESS {
                return Ok(CaseAdditions::default());
            }
            let link = |href: String, key: &str| CaseLink {
                href,
                label: egov_web_kit::i18n::translate(on_page.locale, key).to_owned(),
                download: false,
                staff_only: true,
            };
            let mut links = Vec::new();
            if case.state == DISPATCHABLE {
                links.push(link(
                    format!("/grid/requests/{}/dispatch", case.number),
                    "grid.dispatch.link",
                ));
            }
            if MERGEABLE.contains(&case.state.as_str()) {
                links.push(link(
                    format!("/grid/requests/{}/duplicates", case.number),
                    "grid.dup.link",
                ));
            }
            // A resident who reported signed in is the case's applicant, whose
            // contact the case page itself shows to those who need it.
            if case.data["channel"]
                .as_str()
                .is_some_and(|c| c != "citizen")
            {
                links.push(link(
                    format!("/grid/requests/{}/reporter", case.number),
                    "grid.contact.link",
                ));
            }
            Ok(CaseAdditions {
                links,
                ..CaseAdditions::default()
            })
        })
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {}

/// Whether `user` dispatches for the case's command centre.
fn dispatches(user: &SessionUser, case: &Case) -> bool {
    user.roles
        .iter()
        .any(|g| g.role == Role::Dispatcher && g.department_id == Some(case.department_id))
}

pub struct NearbyRow {
    pub number: String,
    pub state: String,
    pub description: String,
    pub received: String,
    pub distance: String,
}

#[derive(Template)]
#[template(path = "grid_duplicates.html")]
struct DuplicatesPage {
    chrome: Chrome,
    number: String,
    title: String,
    description: String,
    radius: u32,
    nearby: Vec<NearbyRow>,
    error: Option<String>,
}

/// Grid case `number`, or not found (no case, or another system's).
pub(crate) async fn grid_case(
    state: &AppState,
    number: &str,
) -> Result<Result<Case, StatusCode>, ApiError> {
    match egov_cases::case::by_number(&state.db, number).await {
        Ok(c) if c.process_id == PROCESS => Ok(Ok(c)),
        Ok(_) | Err(egov_cases::CaseError::NotFound) => Ok(Err(StatusCode::NOT_FOUND)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The case a dispatcher is looking at: a grid case, theirs.
pub(crate) async fn dispatchers_case(
    state: &AppState,
    user: &SessionUser,
    number: &str,
) -> Result<Result<Case, StatusCode>, ApiError> {
    let case = match grid_case(state, number).await? {
        Ok(case) => case,
        Err(status) => return Ok(Err(status)),
    };
    if !dispatches(user, &case) {
        return Ok(Err(StatusCode::FORBIDDEN));
    }
    Ok(Ok(case))
}

async fn show(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    case: Case,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let g = grid(&state.db).await.map_err(ApiError::internal)?;
    let radius = g.classes.duplicate_radius_m;
    let service = case.data["service_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let nearby: Vec<Nearby> = match &case.location {
        Some(l) => duplicates::nearby(
            &state.db,
            &service,
            Point {
                lat: l.lat,
                lon: l.lon,
            },
            f64::from(radius),
            Some(&case.number),
            20,
        )
        .await
        .map_err(ApiError::internal)?,
        None => Vec::new(),
    };
    let def = state
        .processes
        .get(&state.db, PROCESS, case.process_version as u32)
        .await
        .map_err(ApiError::internal)?;
    let chrome = Chrome::new(
        locale,
        Some(user),
        format!("/grid/requests/{}/duplicates", case.number),
    );
    let nearby = nearby
        .into_iter()
        .map(|n| NearbyRow {
            state: def
                .state(&n.state)
                .map_or(n.state.clone(), |s| match locale {
                    Locale::En => s.name_en.clone().unwrap_or_else(|| s.name.clone()),
                    Locale::Zh => s.name.clone(),
                }),
            received: chrome.beijing(&n.received_at),
            distance: format!("{:.0}", n.distance_m),
            number: n.number,
            description: n.description,
        })
        .collect();
    let page = DuplicatesPage {
        chrome,
        number: case.number.clone(),
        title: case.title.clone(),
        description: case.data["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        radius,
        nearby,
        error,
    };
    Ok(render(status, &page))
}

/// `GET /grid/requests/{number}/duplicates`: the open cases of the same
/// kind near this one, for its command centre's dispatchers.
pub async fn duplicates_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    match dispatchers_case(&state, &user, &number).await? {
        Ok(case) => show(&state, locale, user, case, None, StatusCode::OK).await,
        Err(status) => Ok(error_page(locale, status)),
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    into: String,
    #[serde(default)]
    reason: String,
}

/// `POST /grid/requests/{number}/merge`: merges this case into `into`.
pub async fn merge(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<MergeForm>,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let case = match dispatchers_case(&state, &user, &number).await? {
        Ok(case) => case,
        Err(status) => return Ok(error_page(locale, status)),
    };
    let caller = page_caller(&user, origin);
    let into = form.into.trim();
    let result = duplicates::merge(
        &state.db,
        &caller.context,
        &state.processes,
        &number,
        into,
        case.department_id,
        &form.reason,
    )
    .await;
    let said = |zh: String, en: String| match locale {
        Locale::Zh => zh,
        Locale::En => en,
    };
    let refused = match result {
        Ok(_) => return Ok(Redirect::to(&format!("/cases/{into}?done=merged")).into_response()),
        Err(DuplicateError::NotFound(n)) => said(
            format!("没有网格案件 {n}"),
            format!("there is no grid case {n}"),
        ),
        Err(DuplicateError::Closed(n)) => said(
            format!("案件 {n} 已办结，不能并入"),
            format!("case {n} is closed"),
        ),
        Err(DuplicateError::Itself) => said(
            "不能并入本案件".into(),
            "a case cannot be merged into itself".into(),
        ),
        Err(DuplicateError::TooLate(_)) => said(
            "本案件已派遣处置，不能再并案".into(),
            "this case has been dispatched and can no longer be merged".into(),
        ),
        Err(DuplicateError::Case(egov_cases::CaseError::Conflict { .. })) => said(
            "本案件刚被他人办理，请刷新后重试".into(),
            "someone acted on this case meanwhile; look again".into(),
        ),
        Err(DuplicateError::NotDispatcher) => return Ok(error_page(locale, StatusCode::FORBIDDEN)),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let case = egov_cases::case::by_number(&state.db, &number)
        .await
        .map_err(ApiError::internal)?;
    show(
        &state,
        locale,
        user,
        case,
        Some(refused),
        StatusCode::BAD_REQUEST,
    )
    .await
}
