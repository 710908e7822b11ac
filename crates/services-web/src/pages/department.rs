//! A department's public page: who it is, the items it offers (and those
//! it decides a part of), where to go and whom to ask for them, and the
//! public figures of its online applications.

use super::services::public_figures;
use crate::errors::registry_problem;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_services::registry::{self, Browse};
use egov_web_kit::auth::MaybeUser;
use egov_web_kit::context::Lang;
use egov_web_kit::page::{error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

struct ItemLine {
    code: String,
    name: String,
    promised_days: u32,
}

#[derive(Template)]
#[template(path = "department.html")]
struct DepartmentPage {
    chrome: Chrome,
    name: String,
    code: String,
    division: String,
    /// The department it belongs to, as code and name.
    parent: Option<(String, String)>,
    /// The items it offers.
    led: Vec<ItemLine>,
    /// Joint items in which it decides a part.
    co_handled: Vec<ItemLine>,
    /// Where its items are handled and whom to ask, as the guides say.
    addresses: Vec<String>,
    consults: Vec<String>,
    from: String,
    to: String,
    rows: Vec<egov_cases_web::MetricsRow>,
}

/// `GET /departments/{code}`.
pub async fn department(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let dir = egov_org::directory(&state.db).await?;
    let Some(d) = dir.by_code(&code) else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let division = match egov_org::division(&state.db, &d.division_code).await {
        Ok(v) => localized(locale, &v.name, v.name_en.as_deref()),
        Err(egov_org::OrgError::DivisionNotFound(_)) => d.division_code.clone(),
        Err(e) => return Err(e.into()),
    };
    let parent = d
        .parent_code
        .as_deref()
        .and_then(|p| dir.by_code(p))
        .map(|p| (p.code.clone(), p.name_in(locale).to_owned()));
    let items = registry::browse(&state.db, &Browse::default())
        .await
        .map_err(registry_problem)?;
    let line = |g: &egov_services::Guide| ItemLine {
        code: g.code.clone(),
        name: localized(locale, &g.name, g.name_en.as_deref()),
        promised_days: g.promised_days,
    };
    let led: Vec<_> = items
        .iter()
        .filter(|i| i.guide.department == code)
        .collect();
    let mut addresses: Vec<String> = led.iter().map(|i| i.guide.address.clone()).collect();
    let mut consults: Vec<String> = led.iter().map(|i| i.guide.consult.clone()).collect();
    for list in [&mut addresses, &mut consults] {
        list.retain(|s| !s.trim().is_empty());
        list.sort();
        list.dedup();
    }
    let co_handled = items
        .iter()
        .filter(|i| i.guide.co_departments.contains(&code))
        .map(|i| line(&i.guide))
        .collect();
    let (from, to, rows) = public_figures(&state, locale, Some(&code)).await?;
    Ok(render(
        StatusCode::OK,
        &DepartmentPage {
            chrome: Chrome::new(locale, user, format!("/departments/{code}")),
            name: d.name_in(locale).to_owned(),
            code: d.code.clone(),
            division,
            parent,
            led: led.iter().map(|i| line(&i.guide)).collect(),
            co_handled,
            addresses,
            consults,
            from,
            to,
            rows,
        },
    ))
}
