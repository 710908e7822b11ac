//! The grid's layers over the API: the areas of a level as GeoJSON.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use egov_grid::map::Level;
use egov_web_kit::api::ApiQuery;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::Deserialize;
use utoipa::IntoParams;

pub const TAG_GRID: &str = "grid";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreasQuery {
    /// district, street, community or cell; every level if left out.
    pub level: Option<String>,
}

/// The grid's areas (districts, streets, communities, unit cells) as a
/// GeoJSON FeatureCollection in WGS 84, each feature with its `code`,
/// `level` and `name`.
#[utoipa::path(get, path = "/api/v1/grid/areas", tag = TAG_GRID, params(AreasQuery),
    responses((status = 200, description = "a GeoJSON FeatureCollection", content_type = "application/geo+json"),
              answers::BadRequest,
              answers::Unprocessable))]
pub async fn areas(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AreasQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let level = match q.level.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(Level::parse(l).ok_or_else(|| {
            ApiError::validation(
                "level 只能是 district、street、community 或 cell",
                "level must be district, street, community or cell",
            )
        })?),
    };
    let grid = egov_grid::layers::grid(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let body = grid.map.to_geojson(level).to_string();
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body))
}
