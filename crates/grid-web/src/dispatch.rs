//! The dispatcher's routing advice for one case: where the routing rules
//! send it (and which rule), what the classifier trained on past dispatches
//! suggests with its confidence, and a dispatch form with the rules'
//! department chosen. The form posts to the case's own action route, so a
//! dispatch from here is the same step, checked and recorded the same way,
//! as one from the case page; choosing another department than the rules'
//! is an override, and weighs twice in the classifier's next training.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_cases_web::forms::PREFIX;
use egov_grid::layers::grid;
use egov_grid::routing::store::{self, CaseRouting};
use egov_org::DepartmentFilter;
use egov_web_kit::auth::{PageUser, WORKBENCH};
use egov_web_kit::context::Lang;
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

use crate::duplicates::{dispatchers_case, DISPATCHABLE};

pub struct Choice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// Where the routing rules send a report and what the classifier suggests,
/// as the pages show it.
pub struct Advice {
    /// The rules' department and why: a rule's name, or the sub-class default.
    pub routed: Option<(String, Option<String>)>,
    /// The classifier's department and its confidence in whole percent.
    pub suggested: Option<(String, u32)>,
    /// The classifier agrees with the rules.
    pub agrees: bool,
    /// The department to choose first: the rules', else the classifier's.
    pub chosen: Option<String>,
}

/// The advice for a report of `district` from what routing found
/// (departments by code; the classifier's by abbreviation), named in the
/// page's language.
pub(crate) fn advice(
    directory: &egov_org::Directory,
    locale: egov_kernel::Locale,
    district: &str,
    routing: CaseRouting,
) -> Advice {
    let name = |code: &str| {
        directory
            .by_code(code)
            .map_or_else(|| code.to_owned(), |d| d.name_in(locale).to_owned())
    };
    let CaseRouting {
        routed_to,
        routing_rule,
        suggested,
        suggested_confidence,
    } = routing;
    let suggested_code = suggested.map(|s| format!("{district}-{s}"));
    Advice {
        agrees: suggested_code.is_some() && suggested_code == routed_to,
        routed: routed_to.as_deref().map(|code| (name(code), routing_rule)),
        suggested: suggested_code.as_deref().map(|code| {
            let percent = (suggested_confidence.unwrap_or_default() * 100.0).round() as u32;
            (name(code), percent)
        }),
        chosen: routed_to.or(suggested_code),
    }
}

#[derive(Template)]
#[template(path = "grid_dispatch.html")]
struct DispatchPage {
    chrome: Chrome,
    number: String,
    version: i64,
    title: String,
    description: String,
    service: String,
    advice: Advice,
    /// The model's held-out accuracy in whole percent, and what it learnt from.
    model: Option<(u32, i64)>,
    can_dispatch: bool,
    field: String,
    choices: Vec<Choice>,
}

/// `GET /grid/requests/{number}/dispatch`: the routing advice and the
/// dispatch form, for the case's command centre's dispatchers.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let case = match dispatchers_case(&state, &user, &number).await? {
        Ok(case) => case,
        Err(status) => return Ok(error_page(locale, status)),
    };
    let routing = store::of_case(&state.db, case.id)
        .await
        .map_err(ApiError::internal)?
        .unwrap_or_default();
    let model = store::routing(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let g = grid(&state.db).await.map_err(ApiError::internal)?;
    let directory = egov_org::directory(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let service_code = case.data["service_code"].as_str().unwrap_or_default();
    let service = g.classes.service(service_code).map_or_else(
        || service_code.to_owned(),
        |s| format!("{}／{}", s.class.name, s.sub.name),
    );
    // The command centre's district: its departments are the choices.
    let district = directory
        .department(case.department_id)
        .map(|d| d.division_code.clone())
        .unwrap_or_default();
    let advice = advice(&directory, locale, &district, routing);
    let filter = DepartmentFilter {
        division: Some(district.clone()),
        ..DepartmentFilter::default()
    };
    let choices = directory
        .departments(&filter)
        .filter(|d| d.id != case.department_id)
        .map(|d| Choice {
            selected: advice.chosen.as_deref() == Some(d.code.as_str()),
            code: d.code.clone(),
            name: d.name_in(locale).to_owned(),
        })
        .collect();
    let page = DispatchPage {
        chrome: Chrome::new(
            locale,
            Some(user),
            format!("/grid/requests/{number}/dispatch"),
        ),
        version: case.version,
        title: case.title.clone(),
        description: case.data["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        service,
        advice,
        model: model
            .0
            .as_ref()
            .map(|m| ((m.accuracy.share() * 100.0).round() as u32, m.examples)),
        can_dispatch: case.state == DISPATCHABLE,
        field: format!("{PREFIX}department"),
        choices,
        number,
    };
    Ok(render(StatusCode::OK, &page))
}
