//! A report waiting to be filed, as the command centre decides on it
//! (立案审核): what was reported, where, with its photos and how late it is
//! to be filed; where the routing rules and the classifier would send it;
//! the open cases of its kind nearby to merge it into; and the forms that
//! file it, refuse it (不予立案) or say it is not a city-management matter.
//! Whichever is decided opens its case (`egov_grid::filing`), and the
//! dispatcher goes on from the case. A resident signed in may also follow a
//! report here instead of reporting the same problem again.

use crate::dispatch::{advice, Advice};
use crate::duplicates::CsrfOnly;
use crate::pages::localized;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_grid::coords::Point;
use egov_grid::duplicates::{self, DuplicateError};
use egov_grid::filing::{self, Decider, Decision, FilingError, Report};
use egov_grid::intake::PROCESS;
use egov_grid::layers::grid;
use egov_identity::{Role, SessionUser};
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, ACCOUNT, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// An open case nearby, offered to merge into.
pub struct NearbyCase {
    pub number: String,
    pub state: String,
    pub description: String,
    pub distance: String,
}

#[derive(Template)]
#[template(path = "grid_filing.html")]
struct FilingPage {
    chrome: Chrome,
    id: i64,
    service: String,
    description: String,
    place: String,
    cell: String,
    channel: String,
    received: String,
    due: String,
    late: bool,
    thumbs: Vec<(String, String)>,
    advice: Advice,
    radius: u32,
    nearby: Vec<NearbyCase>,
    /// A dispatcher of the report's centre (a supervisor only looks).
    may_decide: bool,
    /// Why the last decision was refused, with the form it came from.
    error: Option<String>,
    form: DecideForm,
}

/// Whether `user` dispatches for department `centre`.
fn dispatches_for(user: &SessionUser, centre: i64) -> bool {
    user.roles
        .iter()
        .any(|g| g.role == Role::Dispatcher && g.department_id == Some(centre))
}

/// The report and its command centre, if `user` may see it here: its
/// centre's dispatchers decide, whoever runs the centre's list looks on.
async fn for_the_centre(
    state: &AppState,
    user: &SessionUser,
    id: i64,
) -> Result<Result<(Report, i64), StatusCode>, ApiError> {
    let Some(report) = filing::report(&state.db, id)
        .await
        .map_err(ApiError::internal)?
    else {
        return Ok(Err(StatusCode::NOT_FOUND));
    };
    let directory = egov_org::directory(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let Some(centre) = egov_grid::intake::command_centre(&directory, &report.district) else {
        return Ok(Err(StatusCode::NOT_FOUND));
    };
    let looks_on = egov_identity::allows(
        &egov_identity::Principal::User(user.clone()),
        egov_identity::Permission::OpenCommandCentre,
    );
    if !dispatches_for(user, centre) && !looks_on {
        return Ok(Err(StatusCode::FORBIDDEN));
    }
    Ok(Ok((report, centre)))
}

async fn show(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    report: Report,
    centre: i64,
    error: Option<String>,
    form: DecideForm,
) -> Result<Response, ApiError> {
    let g = grid(&state.db).await.map_err(ApiError::internal)?;
    let def = state
        .processes
        .latest(&state.db, PROCESS)
        .await
        .map_err(ApiError::internal)?;
    let directory = egov_org::directory(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let model = egov_grid::routing::store::routing(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let routed = filing::route(&g, model, &report).await;
    let district = directory
        .department(centre)
        .map(|d| d.division_code.clone())
        .unwrap_or_default();
    let radius = g.classes.duplicate_radius_m;
    let point = Point {
        lat: report.lat,
        lon: report.lon,
    };
    let nearby = duplicates::nearby(
        &state.db,
        &report.service_code,
        point,
        f64::from(radius),
        None,
        20,
    )
    .await
    .map_err(ApiError::internal)?;
    let photos = egov_grid::requests::photos_of(&state.db, report.id)
        .await
        .map_err(ApiError::internal)?;
    let service = g.classes.service(&report.service_code).map_or_else(
        || report.service_code.clone(),
        |s| {
            format!(
                "{}／{}",
                localized(locale, &s.class.name, &s.class.name_en),
                localized(locale, &s.sub.name, &s.sub.name_en)
            )
        },
    );
    let street = report
        .street
        .as_deref()
        .and_then(|code| g.map.area(code))
        .map(|a| a.name.clone());
    let place = [report.address.clone(), street]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let calendar = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let due = egov_cases::first_due(&def, &calendar, report.received_at);
    let chrome = Chrome::new(
        locale,
        Some(user.clone()),
        format!("/grid/reports/{}", report.id),
    );
    let state_name = |s: &str| {
        def.state(s).map_or(s.to_owned(), |st| match locale {
            Locale::En => st.name_en.clone().unwrap_or_else(|| st.name.clone()),
            Locale::Zh => st.name.clone(),
        })
    };
    let page = FilingPage {
        id: report.id,
        service,
        description: report.description.clone(),
        place,
        cell: report.cell.clone().unwrap_or_default(),
        channel: egov_web_kit::i18n::translate(
            locale,
            &format!("grid.contact.channel_{}", report.channel.as_str()),
        )
        .to_owned(),
        received: chrome.beijing(&report.received_at),
        due: due.map(|d| chrome.beijing(&d)).unwrap_or_default(),
        late: due.is_some_and(|d| d < egov_kernel::time::now()),
        thumbs: photos
            .iter()
            .map(|(full, thumb)| (crate::photos::path(full), crate::photos::path(thumb)))
            .collect(),
        advice: advice(&directory, locale, &district, routed),
        radius,
        nearby: nearby
            .into_iter()
            .map(|n| NearbyCase {
                state: state_name(&n.state),
                distance: format!("{:.0}", n.distance_m),
                number: n.number,
                description: n.description,
            })
            .collect(),
        may_decide: dispatches_for(&user, centre) && !user.view_only,
        error,
        form,
        chrome,
    };
    let status = match page.error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    Ok(render(status, &page))
}

/// `GET /grid/reports/{id}`: a report waiting to be filed, for its command
/// centre; once decided, its case.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (report, centre) = match for_the_centre(&state, &user, id).await? {
        Ok(found) => found,
        Err(status) => return Ok(error_page(locale, status)),
    };
    if let Some(number) = &report.case_number {
        return Ok(Redirect::to(&format!("/cases/{number}")).into_response());
    }
    show(
        &state,
        locale,
        user,
        report,
        centre,
        None,
        DecideForm::default(),
    )
    .await
}

/// What a dispatcher decides on the report page.
#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    /// `file`, `refuse`, `not_ours` or `merge`.
    #[serde(default)]
    pub decision: String,
    /// Why it is refused, or who is responsible instead.
    #[serde(default)]
    pub reasons: String,
    /// The case to merge it into.
    #[serde(default)]
    pub into: String,
    #[serde(default)]
    pub reason: String,
}

/// The longest reasons a dispatcher gives.
const REASONS_LIMIT: usize = 2000;

/// `POST /grid/reports/{id}/decide`: files, refuses, redirects or merges
/// the report; on success the dispatcher goes on from its case.
pub async fn decide(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<DecideForm>,
) -> Result<Response, ApiError> {
    let (report, centre) = match for_the_centre(&state, &user, id).await? {
        Ok(found) => found,
        Err(status) => return Ok(error_page(locale, status)),
    };
    if user.view_only || !dispatches_for(&user, centre) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let said = |zh: &str, en: &str| localized(locale, zh, en);
    let reasons = form.reasons.trim().to_owned();
    let decision = match form.decision.as_str() {
        "file" => Ok(Decision::File),
        "refuse" | "not_ours" if reasons.is_empty() => Err(said(
            "请填写理由，将告知反映人。",
            "Give the reasons: the reporter is told them.",
        )),
        "refuse" | "not_ours" | "merge"
            if reasons.chars().count() > REASONS_LIMIT
                || form.reason.chars().count() > REASONS_LIMIT =>
        {
            Err(said(
                "理由不能超过 2000 字。",
                "Reasons are at most 2,000 characters.",
            ))
        }
        "refuse" => Ok(Decision::Refuse { reasons }),
        "not_ours" => Ok(Decision::NotOurs { reasons }),
        "merge" if form.into.trim().is_empty() => Err(said(
            "请选择要并入的案件。",
            "Choose the case to merge it into.",
        )),
        "merge" => Ok(Decision::Merge {
            into: form.into.trim().to_owned(),
            reason: form.reason.trim().to_owned(),
        }),
        _ => Err(said("请选择处理方式。", "Choose what to do with it.")),
    };
    let decision = match decision {
        Ok(d) => d,
        Err(message) => {
            return show(&state, locale, user, report, centre, Some(message), form).await;
        }
    };
    let caller = page_caller(&user, origin);
    let merging = matches!(decision, Decision::Merge { .. });
    let result = filing::decide(
        &state.db,
        &caller.context,
        &state.processes,
        id,
        Decider::Dispatcher {
            department_id: centre,
        },
        decision,
    )
    .await;
    let refused = match result {
        Ok(_) if merging => {
            let into = form.into.trim();
            return Ok(Redirect::to(&format!("/cases/{into}?done=merged")).into_response());
        }
        Ok(case) if case.state == crate::duplicates::DISPATCHABLE => {
            return Ok(
                Redirect::to(&format!("/grid/requests/{}/dispatch", case.number)).into_response(),
            );
        }
        Ok(case) => return Ok(Redirect::to(&format!("/cases/{}", case.number)).into_response()),
        // Someone else decided first: show what they decided.
        Err(FilingError::Decided) => {
            return Ok(Redirect::to(&format!("/grid/reports/{id}")).into_response());
        }
        Err(FilingError::NotDispatcher) => {
            return Ok(error_page(locale, StatusCode::FORBIDDEN));
        }
        Err(FilingError::Duplicate(e)) => match e {
            DuplicateError::NotFound(n) => said(
                &format!("没有网格案件 {n}"),
                &format!("there is no grid case {n}"),
            ),
            DuplicateError::Closed(n) => said(
                &format!("案件 {n} 已办结，不能并入"),
                &format!("case {n} is closed"),
            ),
            e => return Err(ApiError::internal(e)),
        },
        Err(e) => return Err(ApiError::internal(e)),
    };
    show(&state, locale, user, report, centre, Some(refused), form).await
}

/// `POST /grid/reports/{id}/follow`: the signed-in resident follows a
/// report (or its case) instead of reporting the same problem again.
pub async fn follow(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(_): CheckedForm<CsrfOnly>,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let caller = page_caller(&user, origin);
    match duplicates::follow_report(&state.db, &caller.context, id, user.user_id).await {
        Ok(link) => Ok(Redirect::to(&format!("{link}?followed=1")).into_response()),
        Err(DuplicateError::NotFound(_)) => Ok(error_page(locale, StatusCode::NOT_FOUND)),
        Err(DuplicateError::Closed(_)) => Ok(error_page(locale, StatusCode::CONFLICT)),
        Err(e) => Err(ApiError::internal(e)),
    }
}
