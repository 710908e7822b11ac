use super::{render, Chrome};
use crate::auth::MaybeUser;
use crate::context::Lang;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_org::{Department, DepartmentFilter, Division, DivisionFilter, DivisionLevel};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    districts: Vec<Division>,
    division_count: i64,
    department_count: i64,
    /// The viewer may report a city problem (anyone not signed in is
    /// asked to sign in first): applicants and dispatchers.
    reports_city: bool,
}

pub async fn home(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
) -> Result<Response, ApiError> {
    let districts = egov_org::divisions(
        &state.db,
        &DivisionFilter {
            parent: None,
            level: Some(DivisionLevel::District),
        },
    )
    .await?;
    let (division_count, department_count) = egov_org::counts(&state.db).await?;
    let reports_city = user.as_ref().is_none_or(|u| {
        egov_cases::access::actings(u).iter().any(|a| {
            matches!(
                a,
                egov_cases::Acting::Applicant { .. } | egov_cases::Acting::Dispatcher { .. }
            )
        })
    });
    Ok(render(
        StatusCode::OK,
        &Home {
            reports_city,
            chrome: Chrome::new(locale, user, "/"),
            districts,
            division_count,
            department_count,
        },
    ))
}

#[derive(Deserialize)]
pub struct DirectoryQuery {
    division: Option<String>,
}

#[derive(Template)]
#[template(path = "departments.html")]
struct Directory {
    chrome: Chrome,
    divisions: Vec<Division>,
    selected: String,
    departments: Vec<Department>,
}

impl Directory {
    fn display_name<'a>(&self, d: &'a Department) -> &'a str {
        if self.chrome.is_zh() {
            &d.name
        } else {
            d.name_en.as_deref().unwrap_or(&d.name)
        }
    }

    fn division_name<'a>(&self, d: &'a Division) -> &'a str {
        if self.chrome.is_zh() {
            &d.name
        } else {
            d.name_en.as_deref().unwrap_or(&d.name)
        }
    }
}

/// The public directory of departments, by city or district.
pub async fn directory(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<DirectoryQuery>,
) -> Result<Response, ApiError> {
    let mut divisions = egov_org::divisions(
        &state.db,
        &DivisionFilter {
            parent: None,
            level: Some(DivisionLevel::City),
        },
    )
    .await?;
    divisions.extend(
        egov_org::divisions(
            &state.db,
            &DivisionFilter {
                parent: None,
                level: Some(DivisionLevel::District),
            },
        )
        .await?,
    );
    let selected = q
        .division
        .filter(|d| divisions.iter().any(|x| &x.code == d))
        .or_else(|| divisions.first().map(|d| d.code.clone()))
        .unwrap_or_default();
    let departments = egov_org::departments(
        &state.db,
        &DepartmentFilter {
            division: Some(selected.clone()),
            ..Default::default()
        },
    )
    .await?;
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/departments");
    Ok(render(
        StatusCode::OK,
        &Directory {
            chrome: Chrome::new(locale, user, path),
            divisions,
            selected,
            departments,
        },
    ))
}
