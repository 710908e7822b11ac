//! The year-end ranking and its summary (工作要点落实情况通报): a page, the
//! letter as a PDF in the office's name and under its seal, and the
//! ranking as a spreadsheet — for everyone where the plan is public, else
//! for those who may see the plan. Over the API, the scores.

use crate::api;
use crate::views::department_name;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_identity::SessionUser;
use egov_kernel::{time, Locale};
use egov_web_kit::api::{ApiJson, ApiPath};
use egov_web_kit::auth::{ApiCaller, MaybeUser};
use egov_web_kit::context::Lang;
use egov_web_kit::download::{private_file, private_pdf, Disposition, XLSX};
use egov_web_kit::page::{render, Chrome};
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use egov_workplan::board::Board;
use egov_workplan::drafting::Plan;
use egov_workplan::scoring::{self, Score};
use egov_workplan::settings::Settings;
use serde::Serialize;
use utoipa::ToSchema;

/// Plan `id`'s board and ranking, for `user` who may see it.
async fn ranked(
    state: &AppState,
    user: Option<&SessionUser>,
    id: i64,
) -> Result<(Board, Vec<Score>), ApiError> {
    let board = api::visible_board(state, user, id).await?;
    let deductions = scoring::deductions(&state.db, id).await?;
    let scores = scoring::rank(&board, &Settings::shipped().scoring, &deductions);
    Ok((board, scores))
}

/// A department's line of the ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    pub rank: usize,
    /// The department's code.
    pub department: String,
    pub tasks: usize,
    pub on_time: usize,
    pub late: usize,
    pub not_done: usize,
    pub cancelled: usize,
    /// Not yet due (a running year's plan).
    pub pending: usize,
    pub late_reports: i64,
    pub warnings: i64,
    pub orders: i64,
    /// Done among the tasks scored, per cent.
    pub completion: f64,
    pub score: f64,
}

/// The departments of a plan scored and ranked, best first, under the
/// method of `data/workplan/workplan.toml` (`[scoring]`): for anyone where
/// the plan is public, else for those who may see the plan.
#[utoipa::path(get, operation_id = "workplans_scores", path = "/api/v1/workplans/{id}/scores", tag = api::TAG_WORKPLANS,
    params(("id" = i64, Path, description = "The plan")),
    responses((status = 200, body = Vec<ScoreView>), answers::Unauthorized, answers::Forbidden, answers::NotFound))]
pub async fn scores(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Vec<ScoreView>>, ApiError> {
    let user = match &caller.principal {
        egov_identity::Principal::User(u) => Some(u),
        _ => None,
    };
    let (_, scores) = ranked(&state, user, id).await?;
    let directory = egov_org::directory(&state.db).await?;
    Ok(ApiJson(
        scores
            .into_iter()
            .map(|s| ScoreView {
                rank: s.rank,
                department: directory.code_of(s.department_id),
                tasks: s.tasks,
                on_time: s.on_time,
                late: s.late,
                not_done: s.not_done,
                cancelled: s.cancelled,
                pending: s.pending,
                late_reports: s.late_reports,
                warnings: s.warnings,
                orders: s.orders,
                completion: s.completion,
                score: s.score,
            })
            .collect(),
    ))
}

/// A line of the ranking as the page shows it.
struct Line {
    s: Score,
    name: String,
}

#[derive(Template)]
#[template(path = "workplans_summary.html")]
struct SummaryPage {
    chrome: Chrome,
    plan: Plan,
    as_of: String,
    tally: [usize; 5],
    lines: Vec<Line>,
    /// How the score is made, from the settings.
    method: String,
}

fn method(locale: Locale) -> String {
    let r = &Settings::shipped().scoring;
    match locale {
        Locale::Zh => format!(
            "得分：牵头任务按期完成 {} 分、逾期完成 {} 分、未完成 {} 分的加权平均（任务权重 {}、节点权重 {}），减去逾期报送每次 {} 分、督查预警每次 {} 分、督办每次 {} 分；经批准撤销和尚未到期的任务不计。",
            r.done_on_time, r.done_late, r.not_done, r.weight_task, r.weight_milestone,
            r.per_late_report, r.per_warning, r.per_order
        ),
        Locale::En => format!(
            "Score: the weighted mean of {} points per task led done on time, {} done late and {} not done (a task weighs {}, a milestone {}), less {} per late report, {} per warning and {} per supervision order; tasks cancelled with approval or not yet due do not count.",
            r.done_on_time, r.done_late, r.not_done, r.weight_task, r.weight_milestone,
            r.per_late_report, r.per_warning, r.per_order
        ),
    }
}

/// `GET /workplans/{id}/summary`: the ranking and the summary's downloads.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (board, scores) = ranked(&state, user.as_ref(), id).await?;
    let directory = egov_org::directory(&state.db).await?;
    let page = SummaryPage {
        chrome: Chrome::new(locale, user, format!("/workplans/{id}")),
        as_of: board.as_of.to_string(),
        tally: scoring::tally(&board),
        lines: scores
            .into_iter()
            .map(|s| Line {
                name: department_name(&directory, locale, s.department_id),
                s,
            })
            .collect(),
        plan: board.plan,
        method: method(locale),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /workplans/{id}/summary.pdf`: the summary as the office's letter.
pub async fn pdf(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (board, scores) = ranked(&state, user.as_ref(), id).await?;
    let directory = egov_org::directory(&state.db).await?;
    let office = board.plan.office_department_id;
    let date = time::beijing_today().format("%Y年%-m月%-d日").to_string();
    let mut letter = scoring::summary(&board, &scores, &directory.name_of(office), &date, |d| {
        department_name(&directory, Locale::Zh, d)
    });
    letter.seal = egov_org::seal(&state.db, office).await?;
    let bytes = tokio::task::spawn_blocking(move || letter.render())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    private_pdf(
        bytes,
        Disposition::Inline,
        &format!("workplan-{id}-summary.pdf"),
    )
}

/// `GET /workplans/{id}/summary.xlsx`: the ranking as a workbook.
pub async fn xlsx(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (_, scores) = ranked(&state, user.as_ref(), id).await?;
    let directory = egov_org::directory(&state.db).await?;
    let (header, rows) =
        scoring::sheet_rows(&scores, |d| department_name(&directory, Locale::Zh, d));
    let bytes =
        egov_documents::sheet::write("落实情况", &header, &rows).map_err(ApiError::internal)?;
    private_file(
        bytes,
        XLSX,
        Disposition::Attachment,
        &format!("workplan-{id}-scores.xlsx"),
    )
}
