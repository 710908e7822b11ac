//! The command centre (监督指挥中心): the reports waiting to be filed and the
//! open grid cases, on a map and in a list, kept current without reloading.
//! The page listens to a stream of server-sent events that says "something
//! moved" whenever a report comes in or any case takes a step (read from
//! the database, so what happens on any node counts) and fetches the list
//! again. Filing happens on each report's page, dispatching and checking on
//! each case's page; the list links to them.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use egov_grid::intake::PROCESS;
use egov_grid::layers::grid;
use egov_grid::requests::{steps_version, worklist, Worked};
use egov_identity::{Permission, SessionUser};
use egov_kernel::Locale;
use egov_web_kit::auth::{PageUser, WORKBENCH};
use egov_web_kit::context::Lang;
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Serialize;
use std::convert::Infallible;
use std::time::Duration;

/// The most cases the map and list show.
const SHOWN: i64 = 1000;
/// How often the stream looks for steps.
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// Dispatchers and supervisors run the centre.
fn runs_the_centre(user: &SessionUser) -> bool {
    egov_identity::allows(
        &egov_identity::Principal::User(user.clone()),
        Permission::OpenCommandCentre,
    )
}

/// A report or case as the page draws it.
#[derive(Serialize)]
pub struct Row {
    /// The case number, or the report's id while it waits to be filed.
    pub number: String,
    /// Its page: the report's (to file it) or the case's.
    pub href: String,
    pub kind: String,
    pub state: String,
    pub state_name: String,
    pub place: String,
    pub received: String,
    pub due: String,
    pub late: bool,
    pub lat: f64,
    pub lon: f64,
}

async fn rows(state: &AppState, locale: Locale, chrome: &Chrome) -> Result<Vec<Row>, ApiError> {
    let g = grid(&state.db).await.map_err(ApiError::internal)?;
    let def = state
        .processes
        .latest(&state.db, PROCESS)
        .await
        .map_err(ApiError::internal)?;
    let cases: Vec<Worked> = worklist(&state.db, &state.processes, &state.calendar, SHOWN)
        .await
        .map_err(ApiError::internal)?;
    let now = egov_kernel::time::now();
    Ok(cases
        .into_iter()
        .map(|c| {
            let kind = g.classes.service(&c.service_code).map_or_else(
                || c.service_code.clone(),
                |s| match locale {
                    Locale::En if !s.sub.name_en.is_empty() => s.sub.name_en.clone(),
                    _ => s.sub.name.clone(),
                },
            );
            let state = c.state.clone().unwrap_or_else(|| def.initial.clone());
            let state_name = def.state(&state).map_or(state.clone(), |s| match locale {
                Locale::En => s.name_en.clone().unwrap_or_else(|| s.name.clone()),
                Locale::Zh => s.name.clone(),
            });
            let street = c
                .street
                .as_deref()
                .and_then(|code| g.map.area(code))
                .map(|a| a.name.clone());
            Row {
                place: c.address.clone().or(street).unwrap_or_default(),
                received: chrome.beijing(&c.received_at),
                due: c.due_at.map(|d| chrome.beijing(&d)).unwrap_or_default(),
                late: c.due_at.is_some_and(|d| d < now),
                href: match &c.number {
                    Some(n) => format!("/cases/{n}"),
                    None => format!("/grid/reports/{}", c.report),
                },
                number: c.number.unwrap_or_else(|| c.report.to_string()),
                kind,
                state,
                state_name,
                lat: c.lat,
                lon: c.lon,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "grid_centre.html")]
struct CentrePage {
    chrome: Chrome,
    rows: Vec<Row>,
}

/// `GET /grid/centre`
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
) -> Result<Response, ApiError> {
    if !runs_the_centre(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let chrome = Chrome::new(locale, Some(user), "/grid/centre");
    let rows = rows(&state, locale, &chrome).await?;
    Ok(render(StatusCode::OK, &CentrePage { chrome, rows }))
}

/// `GET /grid/centre/cases.json`: the open cases, as the page redraws them.
pub async fn cases(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
) -> Result<Response, ApiError> {
    if !runs_the_centre(&user) {
        return Err(ApiError::forbidden());
    }
    let chrome = Chrome::new(locale, Some(user), "/grid/centre");
    Ok(Json(rows(&state, locale, &chrome).await?).into_response())
}

/// `GET /grid/centre/events`: to an event stream (`Accept:
/// text/event-stream`, as a browser's `EventSource` asks), an event named
/// `changed` at once, then again whenever a case has taken a step since;
/// to anything else, the current version once, as JSON.
pub async fn events(
    State(state): State<AppState>,
    Lang(locale): Lang,
    headers: HeaderMap,
    PageUser(user): PageUser<WORKBENCH>,
) -> Response {
    if !runs_the_centre(&user) {
        return error_page(locale, StatusCode::FORBIDDEN);
    }
    let streams = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !streams {
        return match steps_version(&state.db).await {
            Ok(v) => Json(serde_json::json!({ "version": v })).into_response(),
            Err(e) => ApiError::internal(e).into_response(),
        };
    }
    let stream = futures_util::stream::unfold(
        (state, None),
        |(state, last): (AppState, Option<i64>)| async move {
            loop {
                if last.is_some() {
                    tokio::time::sleep(LOOK_EVERY).await;
                }
                match steps_version(&state.db).await {
                    Ok(v) if Some(v) != last => {
                        let event = Event::default().event("changed").data(v.to_string());
                        return Some((Ok::<_, Infallible>(event), (state, Some(v))));
                    }
                    Ok(_) => {}
                    // The database out of reach: the page keeps what it has and
                    // the stream tries again.
                    Err(e) => {
                        tracing::warn!(error = %egov_kernel::error::Chain(&e), "the centre's stream could not look")
                    }
                }
                if last.is_none() {
                    tokio::time::sleep(LOOK_EVERY).await;
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
