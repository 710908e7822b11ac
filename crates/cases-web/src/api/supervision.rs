//! Electronic supervision over HTTP: the board, supervision orders (督办)
//! and their answers; case metrics.

use crate::views::*;
use crate::work::supervision::{answer, board_view, metrics_view, order_case};
use axum::extract::State;
use axum::http::StatusCode;
use egov_identity::Permission;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery, TAG_CASES};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;

/// The supervision board: warnings and cards by department (supervisors).
#[utoipa::path(get, path = "/api/v1/supervision/board", tag = TAG_CASES,
    responses((status = 200, body = BoardView),
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn board(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<BoardView>, ApiError> {
    caller.require(Permission::OpenSupervision)?;
    let reach = egov_identity::supervision_reach(&caller.principal);
    Ok(ApiJson(board_view(&state, &reach).await?))
}

/// Issue a supervision order (督办) on a case to the department handling it
/// (supervisors). The department answers within the configured working days.
#[utoipa::path(post, path = "/api/v1/cases/{number}/orders", tag = TAG_CASES,
    params(("number" = String, Path)), request_body = OrderInput,
    responses((status = 201, body = OrderView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::Unprocessable))]
pub async fn issue_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<(StatusCode, ApiJson<OrderView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(order_case(&state, &caller, &number, &input.body).await?),
    ))
}

/// The ordered department answers a supervision order (its handlers or
/// department administrators), once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/answer", tag = TAG_CASES,
    params(("id" = i64, Path)), request_body = AnswerInput,
    responses((status = 200, body = OrderView),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Unprocessable))]
pub async fn answer_order(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> Result<ApiJson<OrderView>, ApiError> {
    Ok(ApiJson(answer(&state, &caller, id, &input.answer).await?))
}

/// Case metrics per department and process over a period (civil servants).
#[utoipa::path(get, path = "/api/v1/metrics/cases", tag = TAG_CASES, params(MetricsQuery),
    responses((status = 200, body = MetricsView),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn case_metrics(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> Result<ApiJson<MetricsView>, ApiError> {
    caller.require(Permission::ReadCaseMetrics)?;
    Ok(ApiJson(metrics_view(&state, &q).await?))
}
