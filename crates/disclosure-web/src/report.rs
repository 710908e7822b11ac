//! The annual report's table of requests on a page, for any year and one
//! agency or all, and as CSV for the report's editors.

use crate::errors;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_disclosure::report::{self, AnnualTable, Format};
use egov_kernel::Locale;
use egov_web_kit::auth::MaybeUser;
use egov_web_kit::context::Lang;
use egov_web_kit::page::{encode_component, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// The department a table is asked for by code: `None` for all; an
/// unknown code is not found.
pub(crate) async fn department(
    state: &AppState,
    code: Option<&str>,
) -> Result<Option<i64>, ApiError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let directory = egov_org::directory(&state.db).await?;
    directory.by_code(code).map(|d| Some(d.id)).ok_or_else(|| {
        ApiError::not_found(
            format!("没有代码为 {code} 的机关"),
            format!("no agency {code}"),
        )
    })
}

#[derive(Deserialize)]
pub struct ReportQuery {
    year: Option<String>,
    department: Option<String>,
    format: Option<String>,
}

/// A row as the page shows it.
struct RowShown {
    label: String,
    level: u8,
    /// The six kinds and the total, empty for a heading.
    cells: Vec<u64>,
}

#[derive(Template)]
#[template(path = "disclosure_report.html")]
struct ReportPage {
    chrome: Chrome,
    year: i32,
    department: String,
    departments: Vec<(String, String)>,
    name: String,
    organisations: String,
    rows: Vec<RowShown>,
    csv_href: String,
}

/// `GET /disclosure/report`: the table of a year (this year by default).
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let this_year = chrono::Datelike::year(&egov_kernel::time::beijing_today());
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => this_year,
        Some(y) => y
            .parse()
            .map_err(|_| errors::report(report::ReportError::Year))?,
    };
    let code = q.department.unwrap_or_default().trim().to_owned();
    let department_id = department(&state, Some(&code)).await?;
    let table = report::annual(&state.db, year, department_id)
        .await
        .map_err(errors::report)?;
    if q.format.as_deref() == Some("csv") {
        return Ok(csv(&table, year, &code));
    }
    let directory = egov_org::directory(&state.db).await?;
    let departments = crate::work::agencies(&directory, locale);
    let f = Format::shipped();
    let en = locale == Locale::En;
    let rows = table
        .rows
        .iter()
        .map(|r| RowShown {
            label: if en {
                r.label_en.clone()
            } else {
                r.label.clone()
            },
            level: r.level,
            cells: r
                .counts
                .map(|c| c.0.iter().copied().chain([c.total()]).collect())
                .unwrap_or_default(),
        })
        .collect();
    let page = ReportPage {
        chrome: Chrome::new(locale, user, "/disclosure/report"),
        csv_href: format!(
            "/disclosure/report?year={year}&department={}&format=csv",
            encode_component(&code)
        ),
        year,
        department: code,
        departments,
        name: if en {
            f.name_en.clone()
        } else {
            f.name.clone()
        },
        organisations: if en {
            f.organisations_en.clone()
        } else {
            f.organisations.clone()
        },
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

fn csv(table: &AnnualTable, year: i32, code: &str) -> Response {
    let name = match code {
        "" => format!("disclosure-requests-{year}.csv"),
        code => format!("disclosure-requests-{year}-{code}.csv"),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        table.to_csv(),
    )
        .into_response()
}
