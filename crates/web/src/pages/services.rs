//! The service hall's pages: finding a service by audience, life event and
//! department, and an item's guide (办事指南).

use super::{render, Chrome};
use crate::api::services::{offered, offered_item, GuideView, ServiceQuery, ServiceSummary};
use crate::auth::MaybeUser;
use crate::context::Lang;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_services::{AUDIENCES, LIFE_EVENTS};

#[derive(Template)]
#[template(path = "services.html")]
struct Hall {
    chrome: Chrome,
    items: Vec<ServiceSummary>,
    departments: Vec<(String, String)>,
    audience: String,
    life_event: String,
    department: String,
    audiences: &'static [&'static str],
    life_events: &'static [&'static str],
}

impl Hall {
    /// Whether filter `key` is set to `value`.
    fn is(&self, key: &str, value: &str) -> bool {
        match key {
            "audience" => self.audience == value,
            "life_event" => self.life_event == value,
            _ => self.department == value,
        }
    }

    /// The link to this list with one filter changed.
    fn with(&self, key: &str, value: &str) -> String {
        let mut q = [
            ("audience", self.audience.as_str()),
            ("life_event", self.life_event.as_str()),
            ("department", self.department.as_str()),
        ];
        for (k, v) in q.iter_mut() {
            if *k == key {
                *v = value;
            }
        }
        let query: Vec<String> = q
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", super::encode_component(v)))
            .collect();
        match query.is_empty() {
            true => "/services".to_owned(),
            false => format!("/services?{}", query.join("&")),
        }
    }
}

pub async fn hall(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ServiceQuery>,
) -> Result<Response, ApiError> {
    let (items, names) = match offered(&state, &q).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            return Ok(super::error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(e),
    };
    // The departments that offer anything, for the filter.
    let all = offered(&state, &ServiceQuery::default()).await?.0;
    let mut departments: Vec<(String, String)> = all
        .iter()
        .map(|i| {
            let code = i.guide.department.clone();
            let name = names.get(&code).cloned().unwrap_or_default();
            (code, name)
        })
        .collect();
    departments.sort();
    departments.dedup();
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/services");
    Ok(render(
        StatusCode::OK,
        &Hall {
            chrome: Chrome::new(locale, user, path),
            items: items
                .iter()
                .map(|i| ServiceSummary::new(&i.guide, &names))
                .collect(),
            departments,
            audience: q.audience.unwrap_or_default(),
            life_event: q.life_event.unwrap_or_default(),
            department: q.department.unwrap_or_default(),
            audiences: AUDIENCES,
            life_events: LIFE_EVENTS,
        },
    ))
}

#[derive(Template)]
#[template(path = "service.html")]
struct GuidePage {
    chrome: Chrome,
    g: GuideView,
}

pub async fn guide(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let item = match offered_item(&state, &code).await {
        Ok(i) => i,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Ok(super::error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(e),
    };
    let names = crate::api::services::department_names(&state).await?;
    Ok(render(
        StatusCode::OK,
        &GuidePage {
            chrome: Chrome::new(locale, user, format!("/services/{code}")),
            g: GuideView::new(&item.guide, &names),
        },
    ))
}
