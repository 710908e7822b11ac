//! Electronic supervision pages: the board of warnings and cards by
//! department (supervisors) and the case metrics (civil servants).

use super::cases::{staff_lines, CaseLine};
use crate::views::{BoardLineView, MetricsLineView, MetricsQuery};
use crate::work::supervision::{board_view, metrics_view};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_identity::{allows, Permission, Principal};
use egov_web_kit::auth::{PageUser, WORKBENCH};
use egov_web_kit::context::Lang;
use egov_web_kit::page::{error_message, error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

#[derive(Template)]
#[template(path = "supervision.html")]
struct Board {
    chrome: Chrome,
    lines: Vec<BoardLineView>,
    cases: Vec<CaseLine>,
}

pub async fn board(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
) -> Result<Response, ApiError> {
    let principal = Principal::User(user.clone());
    if !allows(&principal, Permission::OpenSupervision) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let view = board_view(&state, &egov_identity::supervision_reach(&principal)).await?;
    let mut rows = Vec::with_capacity(view.cases.len());
    for c in &view.cases {
        let case = egov_cases::by_number(&state.db, &c.number).await?;
        let def = state.processes.of(&state.db, &case).await?;
        rows.push((case, def));
    }
    let cases = staff_lines(&state, locale, &rows).await?;
    Ok(render(
        StatusCode::OK,
        &Board {
            chrome: Chrome::new(locale, Some(user), "/supervision"),
            lines: view.lines,
            cases,
        },
    ))
}

pub struct MetricsRow {
    pub line: MetricsLineView,
    pub process: String,
}

impl MetricsRow {
    fn share(x: Option<f64>) -> String {
        x.map(|v| format!("{:.1}%", v * 100.0))
            .unwrap_or_else(|| "–".into())
    }

    fn hours(x: Option<f64>) -> String {
        x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into())
    }

    pub fn on_time(&self) -> String {
        Self::share(self.line.on_time_rate)
    }

    pub fn satisfaction(&self) -> String {
        Self::share(self.line.satisfaction)
    }

    pub fn mean(&self) -> String {
        Self::hours(self.line.mean_hours)
    }

    pub fn median(&self) -> String {
        Self::hours(self.line.median_hours)
    }

    pub fn p90(&self) -> String {
        Self::hours(self.line.p90_hours)
    }

    /// The string key naming the department's part in the line's cases.
    pub fn role_key(&self) -> &'static str {
        match self.line.role {
            egov_cases::metrics::Role::Handling => "metrics.role.handling",
            egov_cases::metrics::Role::CoHandling => "metrics.role.co_handling",
        }
    }
}

#[derive(Template)]
#[template(path = "metrics.html")]
struct Metrics {
    chrome: Chrome,
    from: String,
    to: String,
    rows: Vec<MetricsRow>,
    error: Option<String>,
}

pub async fn metrics(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Query(q): Query<MetricsQuery>,
) -> Result<Response, ApiError> {
    if !allows(&Principal::User(user.clone()), Permission::ReadCaseMetrics) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let (status, view, error) = match metrics_view(&state, &q).await {
        Ok(v) => (StatusCode::OK, Some(v), None),
        Err(e) if e.status.is_client_error() => (e.status, None, Some(error_message(locale, &e))),
        Err(e) => return Err(e),
    };
    let mut rows = Vec::new();
    let (mut from, mut to) = (
        q.from.clone().unwrap_or_default(),
        q.to.clone().unwrap_or_default(),
    );
    if let Some(v) = view {
        from = v.from.to_string();
        to = v.to.to_string();
        for line in v.lines {
            let process = match state.processes.latest(&state.db, &line.process_id).await {
                Ok(d) => localized(locale, &d.name, d.name_en.as_deref()),
                // A process metrics name but no longer defined: its id.
                Err(egov_cases::RegistryError::Unknown(_)) => line.process_id.clone(),
                Err(e) => return Err(e.into()),
            };
            rows.push(MetricsRow { line, process });
        }
    }
    Ok(render(
        status,
        &Metrics {
            chrome: Chrome::new(locale, Some(user), "/workbench/statistics"),
            from,
            to,
            rows,
            error,
        },
    ))
}
