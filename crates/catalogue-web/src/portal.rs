//! The open data portal (数据开放): the open resources for everyone,
//! searched and browsed by department and class, each with its page and
//! its data as CSV, XLSX or JSON.

use crate::download;
use crate::pages::{list_page, resource_page, ListQuery};
use crate::Rows;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_catalogue::Catalogue;
use egov_web_kit::auth::MaybeUser;
use egov_web_kit::context::Lang;
use egov_web_kit::page::error_page;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// The open resources.
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list_page(&state, locale, user, q, true).await
}

/// `/open-data/{name}`: an open resource's page; with `.csv`, `.xlsx` or
/// `.json`, its current data.
pub async fn dataset_or_file(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let (slug, suffix) = match file.rsplit_once('.') {
        Some((slug, suffix)) => (slug, Some(suffix)),
        None => (file.as_str(), None),
    };
    let Some(r) = catalogue.by_slug(slug).filter(|r| r.is_open()) else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let Some(suffix) = suffix else {
        return resource_page(&state, locale, user, r, true, Default::default()).await;
    };
    let (_, rows) = state
        .part::<Rows>()
        .0
        .current(&state.db, r)
        .await
        .map_err(ApiError::internal)?;
    let (body, kind) = match suffix {
        "csv" => (
            download::csv(r, &rows).map_err(ApiError::internal)?,
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            download::xlsx(r, &rows).map_err(ApiError::internal)?,
            crate::views::FORMATS[1].1,
        ),
        "json" => (download::json(&rows), "application/json"),
        _ => return Ok(error_page(locale, StatusCode::NOT_FOUND)),
    };
    let disposition = format!("attachment; filename=\"{}.{suffix}\"", r.slug());
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
