//! The supervision use cases: the board, issuing and answering orders
//! (督办), case metrics.

use super::visible_case;
use crate::views::*;
use axum::http::StatusCode;
use chrono::NaiveDate;
use egov_cases::access::may_answer_order;
use egov_identity::{Permission, Principal};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// The board over the departments `reach` covers.
pub async fn board_view(
    state: &AppState,
    reach: &egov_identity::Reach,
) -> Result<BoardView, ApiError> {
    let b = egov_cases::supervision::board(&state.db, 200, reach.as_filter()).await?;
    let dir = egov_org::directory(&state.db).await?;
    let mut cases = Vec::with_capacity(b.cases.len());
    for c in &b.cases {
        let def = state.processes.of(&state.db, c).await?;
        cases.push(CaseSummary::new(c, &def, &dir));
    }
    Ok(BoardView {
        lines: b
            .lines
            .into_iter()
            .map(|l| BoardLineView {
                department_name: dir.name_of(l.department_id),
                department_name_en: dir.name_en_of(l.department_id),
                department: dir.code_of(l.department_id),
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
    Ok(OrderView::new(o, &*egov_org::directory(&state.db).await?))
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
    let may = may_answer_order(u, order.department_id);
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
    Ok(OrderView::new(o, &*egov_org::directory(&state.db).await?))
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
    let dir = egov_org::directory(&state.db).await?;
    let department = match q.department.as_deref() {
        None | Some("") => None,
        Some(code) => Some(dir.by_code(code).map(|d| d.id).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query")
                .with_detail("没有此代码的部门", "no department has this code")
        })?),
    };
    let cal = state.calendar().await?;
    let lines =
        egov_cases::metrics::compute(&state.db, &cal, &period, department, q.process.as_deref())
            .await?;
    Ok(MetricsView {
        from,
        to,
        lines: lines
            .into_iter()
            .map(|l| MetricsLineView {
                department_name: dir.name_of(l.department_id),
                department_name_en: dir.name_en_of(l.department_id),
                department: dir.code_of(l.department_id),
                process_id: l.process_id,
                role: l.role,
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
