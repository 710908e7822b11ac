//! Service items over HTTP: browsing the items on offer and reading one
//! item's guide (办事指南). Public: anyone may find a service.

use crate::views::*;
use crate::work::{change_item, department_names, load_guide, offered, offered_item, search_items};
use axum::extract::State;
use axum::http::StatusCode;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery, TAG_SERVICES};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;

/// Service items on offer, by department, audience (个人 / 法人) and life event.
#[utoipa::path(get, path = "/api/v1/services", tag = TAG_SERVICES, params(ServiceQuery),
    responses((status = 200, body = ServiceList),
              answers::BadRequest))]
pub async fn list_services(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ServiceQuery>,
) -> Result<ApiJson<ServiceList>, ApiError> {
    let (items, names) = offered(&state, &q).await?;
    Ok(ApiJson(ServiceList {
        items: items
            .iter()
            .map(|i| ServiceSummary::new(&i.guide, &names))
            .collect(),
    }))
}

/// One item's guide (办事指南).
#[utoipa::path(get, path = "/api/v1/services/{code}", tag = TAG_SERVICES,
    params(("code" = String, Path, example = "110105SCJGJ0001")),
    responses((status = 200, body = GuideView),
              answers::NotFound))]
pub async fn get_service(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<GuideView>, ApiError> {
    let item = offered_item(&state, &code).await?;
    let names = department_names(&state).await?;
    Ok(ApiJson(GuideView::new(&item.guide, &names)))
}

/// Load a guide (TOML, as in `data/services/`) as a new version; a draft
/// until published. Department administrators for their department,
/// system administrators, or a key with `reference:write`.
#[utoipa::path(post, path = "/api/v1/services", tag = TAG_SERVICES,
    request_body(content = String, content_type = "application/toml"),
    security(("api_key" = [])),
    responses((status = 201, body = ItemState),
              (status = 200, body = ItemState, description = "this exact version was already loaded"),
              answers::Unauthorized,
              answers::Forbidden,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn load_service(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Result<(StatusCode, ApiJson<ItemState>), ApiError> {
    let (item, new) = load_guide(&state, &caller, &body).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ApiJson(ItemState::from(&item))))
}

/// Publish an item's newest version (offering a withdrawn item again).
#[utoipa::path(post, path = "/api/v1/services/{code}/publish", tag = TAG_SERVICES,
    params(("code" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = ItemState),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn publish_service(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<ItemState>, ApiError> {
    let item = change_item(&state, &caller, &code, true).await?;
    Ok(ApiJson(ItemState::from(&item)))
}

/// Withdraw an item: no longer offered; filed applications go on.
#[utoipa::path(post, path = "/api/v1/services/{code}/withdraw", tag = TAG_SERVICES,
    params(("code" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = ItemState),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn withdraw_service(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<ItemState>, ApiError> {
    let item = change_item(&state, &caller, &code, false).await?;
    Ok(ApiJson(ItemState::from(&item)))
}

/// Full-text search over the items on offer (Chinese word segmentation,
/// partial words, synonyms), ranked, with facet counts.
#[utoipa::path(get, path = "/api/v1/services/search", tag = TAG_SERVICES, params(SearchQuery),
    responses((status = 200, body = SearchResults),
              answers::BadRequest))]
pub async fn search_services(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<ApiJson<SearchResults>, ApiError> {
    Ok(ApiJson(search_items(&state, &q).await?))
}
