//! The working-day calendar over HTTP: a year's days, deadline arithmetic,
//! and loading a newly published year (system administrators).

use crate::api::{ApiJson, ApiPath, ApiQuery, TAG_CALENDAR};
use crate::auth::ApiCaller;
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use egov_calendar::{LoadError, Unit};
use egov_identity::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct CalendarDay {
    #[schema(value_type = String, example = "2026-10-01")]
    pub date: NaiveDate,
    /// `workday`, `weekend`, `holiday` or `makeup` (a weekend working day).
    pub kind: String,
    /// The holiday's name, e.g. 国庆节.
    pub holiday: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarYear {
    pub year: i32,
    /// False when the year's holiday notice is not loaded: only weekends are known.
    pub published: bool,
    pub days: Vec<CalendarDay>,
}

fn calendar_error(e: LoadError) -> ApiError {
    match e {
        LoadError::Schedule(s) => ApiError::validation(format!("日历文件无效：{s}"), s.to_string()),
        LoadError::Store(s) => ApiError::internal(s),
    }
}

/// Every day of a year and what kind of day it is.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = TAG_CALENDAR,
    params(("year" = i32, Path, minimum = 1900, maximum = 2200, example = 2026)),
    responses((status = 200, body = CalendarYear),
              answers::BadRequest))]
pub async fn year(
    State(state): State<AppState>,
    ApiPath(year): ApiPath<i32>,
) -> Result<ApiJson<CalendarYear>, ApiError> {
    let Some(mut d) = NaiveDate::from_ymd_opt(year, 1, 1).filter(|_| (1900..=2200).contains(&year))
    else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_path")
            .with_detail("年份须在 1900 至 2200 之间", "year must be 1900-2200"));
    };
    let cal = state
        .calendar
        .get(&state.db)
        .await
        .map_err(calendar_error)?;
    let mut days = Vec::with_capacity(366);
    while d.year() == year {
        let kind = cal.day_kind(d);
        days.push(CalendarDay {
            date: d,
            kind: kind.to_string(),
            holiday: match kind {
                egov_calendar::DayKind::Holiday(name) => Some(name),
                _ => None,
            },
        });
        d = d.succ_opt().expect("within range");
    }
    Ok(ApiJson(CalendarYear {
        year,
        published: cal.is_published(year),
        days,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// `2026-09-24`, or `2026-09-24T10:30` for hours. The start itself is not counted.
    #[param(
        pattern = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$",
        example = "2026-09-24"
    )]
    pub start: String,
    /// How many units after the start (at most ten years' worth).
    #[param(minimum = 0, maximum = 3660, example = 20)]
    pub n: u32,
    /// `workday` (default), `day` or `hour`.
    #[param(pattern = "^(workday|day|hour)$")]
    pub unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DueAnswer {
    #[schema(value_type = String, example = "2026-10-29T23:59:59")]
    pub due: NaiveDateTime,
    /// True when the period runs into a year whose holiday notice is not loaded.
    pub provisional: bool,
    pub unpublished_years: Vec<i32>,
}

/// A statutory deadline: N working days, calendar days or working hours after START.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = TAG_CALENDAR, params(DueQuery),
    responses((status = 200, body = DueAnswer),
              answers::BadRequest))]
pub async fn due(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<ApiJson<DueAnswer>, ApiError> {
    let bad = |zh: &str, en: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").with_detail(zh, en)
    };
    let unit = Unit::parse(q.unit.as_deref().unwrap_or("workday")).ok_or_else(|| {
        bad(
            "unit 须为 workday、day 或 hour",
            "unit must be workday, day or hour",
        )
    })?;
    let start = NaiveDateTime::parse_from_str(&q.start, "%Y-%m-%dT%H:%M")
        .or_else(|_| {
            NaiveDate::parse_from_str(&q.start, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight"))
        })
        .map_err(|_| {
            bad(
                "start 须为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM",
                "start must be YYYY-MM-DD or YYYY-MM-DDTHH:MM",
            )
        })?;
    if q.n > 3660 {
        return Err(bad("n 过大", "n is too large"));
    }
    let cal = state
        .calendar
        .get(&state.db)
        .await
        .map_err(calendar_error)?;
    let due = cal.due(start, q.n, unit);
    Ok(ApiJson(DueAnswer {
        due: due.at,
        provisional: due.provisional,
        unpublished_years: due.unpublished_years,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Loaded {
    pub years: Vec<i32>,
    /// Open cases whose provisional deadlines were recomputed.
    pub recomputed: u64,
}

/// Load a calendar file (TOML, as in `data/calendar/`): a newly published
/// year or corrections. System administrators, or a key with `reference:write`.
#[utoipa::path(post, path = "/api/v1/calendar", tag = TAG_CALENDAR,
    request_body(content = String, content_type = "application/toml"),
    security(("api_key" = [])),
    responses((status = 200, body = Loaded),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Unprocessable))]
pub async fn load(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Result<ApiJson<Loaded>, ApiError> {
    caller.require(Permission::ManageReferenceData)?;
    let years = egov_calendar::load_file(&state.db, &caller.context, &body)
        .await
        .map_err(calendar_error)?;
    let cal = state
        .calendar
        .get(&state.db)
        .await
        .map_err(calendar_error)?;
    let recomputed = egov_cases::supervision::recompute_provisional(
        &state.db,
        &caller.context,
        &state.processes,
        &cal,
    )
    .await?;
    Ok(ApiJson(Loaded { years, recomputed }))
}
