//! What the case API and the workbench pages share: who the caller acts as
//! in the case engine, finding a case the caller may see, and mapping the
//! engine's errors to problems.

use crate::problem::ApiError;
use crate::state::AppState;
use axum::http::StatusCode;
use egov_cases::{Acting, Case, CaseError, ProcessDefinition, Refusal, RegistryError};
use egov_identity::{may_view_case, Principal, Role, SessionUser, UserKind};
use std::sync::Arc;

/// The roles in the case engine a user holds, for every department they
/// hold them in.
pub fn actings(user: &SessionUser) -> Vec<Acting> {
    let mut out = Vec::new();
    match user.kind {
        UserKind::Citizen | UserKind::Enterprise => out.push(Acting::Applicant {
            user_id: user.user_id,
        }),
        UserKind::Staff => {
            for g in &user.roles {
                let Some(department_id) = g.department_id.or(user.department_id) else {
                    continue;
                };
                match g.role {
                    Role::Handler => out.push(Acting::Handler { department_id }),
                    Role::Dispatcher => out.push(Acting::Dispatcher { department_id }),
                    _ => {}
                }
            }
            for g in user.roles.iter().filter(|g| g.role == Role::Supervisor) {
                out.push(Acting::Supervisor {
                    department_id: g.department_id,
                });
            }
        }
    }
    out.dedup();
    out
}

/// Every department a case involves: owner, assignee, co-handlers.
pub fn departments_of(case: &Case) -> Vec<i64> {
    let mut d = vec![case.department_id];
    d.extend(case.assigned_department_id);
    d.extend(case.co_departments.iter().copied());
    d
}

/// The case numbered `number`, if the principal may see it. A case they
/// may not see is "not found", so numbers cannot be probed.
pub async fn visible_case(
    state: &AppState,
    principal: &Principal,
    number: &str,
) -> Result<(Case, Arc<ProcessDefinition>), ApiError> {
    let case = match egov_cases::by_number(&state.db, number).await {
        Err(CaseError::NotFound) => return Err(case_not_found()),
        other => other?,
    };
    if !may_view_case(principal, case.applicant_id, &departments_of(&case)) {
        return Err(match principal {
            Principal::Anonymous => ApiError::unauthorized(),
            _ => case_not_found(),
        });
    }
    let def = state.processes.of(&state.db, &case).await?;
    Ok((case, def))
}

pub fn case_not_found() -> ApiError {
    ApiError::not_found("没有这个案件", "no such case")
}

/// Staff may see internal comments and files; applicants may not.
pub fn sees_internal(principal: &Principal) -> bool {
    matches!(principal, Principal::User(u) if u.kind == UserKind::Staff)
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::NotFound => case_not_found(),
            CaseError::Conflict { current } => {
                ApiError::new(StatusCode::CONFLICT, "version_conflict").with_detail(
                    format!("案件已被他人更新（当前版本 {current}），请刷新后重试"),
                    format!(
                        "the case changed meanwhile (now version {current}); reload and try again"
                    ),
                )
            }
            CaseError::NotAllowedHere { action, state } => {
                ApiError::new(StatusCode::CONFLICT, "action_not_allowed").with_detail(
                    format!("当前状态（{state}）不能执行“{action}”"),
                    format!("action '{action}' is not possible in state '{state}'"),
                )
            }
            CaseError::NotYours(action) => ApiError::forbidden().with_detail(
                format!("您无权对此案件执行“{action}”"),
                format!("you may not take action '{action}' on this case"),
            ),
            CaseError::Fields(v) => {
                let list = |word: fn(&egov_cases::Violation) -> String, sep| {
                    v.iter()
                        .map(|v| format!("{} {}", v.path, word(v)))
                        .collect::<Vec<_>>()
                        .join(sep)
                };
                ApiError::validation(
                    format!("填写的内容有误：{}", list(|v| v.message_zh(), "；")),
                    format!("invalid fields: {}", list(|v| v.message(), "; ")),
                )
            }
            CaseError::AlreadyExtended => ApiError::new(StatusCode::CONFLICT, "action_not_allowed")
                .with_detail("期限已延长过一次", "the deadline was already extended once"),
            CaseError::NoExtension => ApiError::new(StatusCode::CONFLICT, "action_not_allowed")
                .with_detail(
                    "此环节的期限不能延长",
                    "this step's deadline cannot be extended",
                ),
            CaseError::WrongDefinition(d) => ApiError::internal(CaseError::WrongDefinition(d)),
            CaseError::MayNotStart => ApiError::forbidden().with_detail(
                "您不能发起此类案件",
                "you may not open a case of this process",
            ),
            CaseError::Closed => ApiError::new(StatusCode::CONFLICT, "case_closed")
                .with_detail("案件已办结", "the case is closed"),
            CaseError::Refused(r) => ApiError::validation(refusal_zh(r), r.to_string()),
            CaseError::Process(e) => ApiError::internal(CaseError::Process(e)),
            CaseError::Store(e) => ApiError::internal(e),
        }
    }
}

/// The Chinese for the engine's plain-language refusals.
/// A refusal in Chinese; its English is the engine's own.
fn refusal_zh(r: Refusal) -> &'static str {
    match r {
        Refusal::CommentLength => "留言须为 1 至 4000 字",
        Refusal::OrderLength => "督办内容须为 1 至 4000 字",
        Refusal::AnswerLength => "答复须为 1 至 4000 字",
        Refusal::OrderAnswered => "该督办单已答复",
        Refusal::Grade => "评价等级须为 1 至 5",
        Refusal::RatingCommentLength => "评价内容不超过 2000 字",
        Refusal::BadRatingReason => "差评请写明原因，以便整改",
        Refusal::NotEnded => "案件办结后才能评价",
        Refusal::Rated => "此案件已评价",
        Refusal::NoSuchDepartment => "受理部门不存在",
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Definition(d) => ApiError::validation(
                format!("流程定义无效：{d}"),
                format!("invalid process definition: {d}"),
            ),
            RegistryError::VersionTaken { id, version } => {
                ApiError::new(StatusCode::CONFLICT, "version_conflict").with_detail(
                    format!("流程 {id} 的版本 {version} 已以不同内容载入，请提高版本号"),
                    format!("version {version} of process '{id}' is already loaded with other content; raise the version"),
                )
            }
            RegistryError::Unknown(p) => ApiError::not_found(
                format!("没有流程 {p}"),
                format!("no process '{p}'"),
            ),
            other => ApiError::internal(other),
        }
    }
}
