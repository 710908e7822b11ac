//! Electronic supervision over HTTP: the board, supervision orders (督办)
//! and their answers; case metrics.

use crate::api::cases::OrderView;
use crate::api::{ApiJson, ApiPath, ApiQuery, TAG_CASES};
use crate::auth::ApiCaller;
use crate::casework::visible_case;
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use egov_identity::{Permission, Principal, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct BoardLineView {
    pub department_id: i64,
    pub department_name: String,
    pub open: i64,
    pub warnings: i64,
    pub yellow_cards: i64,
    pub red_cards: i64,
    pub open_orders: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BoardView {
    pub lines: Vec<BoardLineView>,
    /// Open cases under warning or card, the worst first.
    pub cases: Vec<crate::api::cases::CaseSummary>,
}

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

/// The board over the departments `reach` covers.
pub async fn board_view(
    state: &AppState,
    reach: &egov_identity::Reach,
) -> Result<BoardView, ApiError> {
    let b = egov_cases::supervision::board(&state.db, 200, reach.as_filter()).await?;
    let names = department_names(state).await?;
    let mut cases = Vec::with_capacity(b.cases.len());
    for c in &b.cases {
        let def = state.processes.of(&state.db, c).await?;
        cases.push(crate::api::cases::CaseSummary::new(c, &def));
    }
    Ok(BoardView {
        lines: b
            .lines
            .into_iter()
            .map(|l| BoardLineView {
                department_name: names.get(&l.department_id).cloned().unwrap_or_default(),
                department_id: l.department_id,
                open: l.open,
                warnings: l.warnings,
                yellow_cards: l.yellow_cards,
                red_cards: l.red_cards,
                open_orders: l.open_orders,
            })
            .collect(),
        cases,
    })
}

pub async fn department_names(
    state: &AppState,
) -> Result<std::collections::HashMap<i64, String>, ApiError> {
    Ok(egov_org::departments(&state.db, &Default::default())
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// What the department must do.
    pub body: String,
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

pub async fn order_case(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
    body: &str,
) -> Result<OrderView, ApiError> {
    caller.require(Permission::OpenSupervision)?;
    let Principal::User(u) = &caller.principal else {
        return Err(ApiError::forbidden());
    };
    let (case, _) = visible_case(state, &caller.principal, number).await?;
    // Orders go to the department handling the case: its supervisors'.
    caller.require(Permission::SuperviseCases {
        department_id: Some(case.handling_department()),
    })?;
    let cal = state.calendar().await?;
    let o = egov_cases::orders::issue(
        &state.db,
        &caller.context,
        &cal,
        case.id,
        u.user_id,
        body,
        state.settings.order_answer_workdays,
    )
    .await?;
    Ok(o.into())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub answer: String,
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

pub async fn answer(
    state: &AppState,
    caller: &ApiCaller,
    id: i64,
    text: &str,
) -> Result<OrderView, ApiError> {
    let Principal::User(u) = &caller.principal else {
        return Err(match caller.principal {
            Principal::Anonymous => ApiError::unauthorized(),
            _ => ApiError::forbidden(),
        });
    };
    caller.require(Permission::UseWorkbench)?;
    let order = match egov_cases::orders::order(&state.db, id).await {
        Ok(o) => o,
        Err(egov_cases::CaseError::NotFound) => {
            return Err(ApiError::not_found("没有这个督办单", "no such order"))
        }
        Err(e) => return Err(e.into()),
    };
    let may = [Role::Handler, Role::DepartmentAdmin]
        .into_iter()
        .any(|r| u.has_role_for(r, Some(order.department_id)))
        && (u.department_id == Some(order.department_id)
            || u.roles
                .iter()
                .any(|g| g.department_id == Some(order.department_id)));
    if !may {
        return Err(ApiError::forbidden().with_detail(
            "只有被督办部门的办理人员可以答复",
            "only the ordered department's staff may answer",
        ));
    }
    let o = egov_cases::orders::answer(
        &state.db,
        &caller.context,
        id,
        order.department_id,
        u.user_id,
        text,
    )
    .await?;
    Ok(o.into())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// First day, Beijing time (default: 30 days ago); at most ten years
    /// before `to`.
    #[param(format = Date, example = "2026-11-01")]
    pub from: Option<String>,
    /// Last day, inclusive (default: today); not before `from`.
    #[param(format = Date, example = "2026-11-30")]
    pub to: Option<String>,
    pub department_id: Option<i64>,
    pub process: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MetricsLineView {
    pub department_id: i64,
    pub department_name: String,
    pub process_id: String,
    pub received: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    /// 按期办结率: closed on time ÷ closed.
    pub on_time_rate: Option<f64>,
    pub overdue: u64,
    /// Handling time of the closed cases in working hours, clock stops left out.
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub ratings: u64,
    /// Share of ratings of 基本满意 or better.
    pub satisfaction: Option<f64>,
    pub mean_grade: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct MetricsView {
    #[schema(value_type = String)]
    pub from: NaiveDate,
    #[schema(value_type = String)]
    pub to: NaiveDate,
    pub lines: Vec<MetricsLineView>,
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

pub async fn metrics_view(state: &AppState, q: &MetricsQuery) -> Result<MetricsView, ApiError> {
    let today = egov_kernel::time::beijing_today();
    let day = |s: &Option<String>, default: NaiveDate| match s.as_deref() {
        None | Some("") => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query")
                .with_detail("日期须为 YYYY-MM-DD", "dates must be YYYY-MM-DD")
        }),
    };
    let from = day(&q.from, today - chrono::Duration::days(30))?;
    let to = day(&q.to, today)?;
    if to < from || (to - from).num_days() > 3660 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query")
            .with_detail("日期范围无效", "the date range is not valid"));
    }
    let at = |d: NaiveDate| egov_kernel::time::from_beijing(d.and_time(chrono::NaiveTime::MIN));
    let period = egov_cases::metrics::Period {
        from: at(from),
        to: at(to + chrono::Duration::days(1)),
    };
    let cal = state.calendar().await?;
    let lines = egov_cases::metrics::compute(
        &state.db,
        &cal,
        &period,
        q.department_id,
        q.process.as_deref(),
    )
    .await?;
    let names = department_names(state).await?;
    Ok(MetricsView {
        from,
        to,
        lines: lines
            .into_iter()
            .map(|l| MetricsLineView {
                department_name: names.get(&l.department_id).cloned().unwrap_or_default(),
                department_id: l.department_id,
                process_id: l.process_id,
                received: l.received,
                closed: l.closed,
                closed_on_time: l.closed_on_time,
                on_time_rate: l.on_time_rate,
                overdue: l.overdue,
                mean_hours: l.mean_hours,
                median_hours: l.median_hours,
                p90_hours: l.p90_hours,
                ratings: l.ratings,
                satisfaction: l.satisfaction,
                mean_grade: l.mean_grade,
            })
            .collect(),
    })
}
