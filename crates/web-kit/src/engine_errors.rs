//! How the shared engines' errors read as problems (the organisation model,
//! the case engine and its process registry): each kind of failure its
//! status, stable code and message in both languages. Not-found is named;
//! anything else is the server's, logged with its cause.

use crate::problem::ApiError;
use axum::http::StatusCode;
use egov_cases::RegistryError;
use egov_cases::{CaseError, Refusal};
use egov_org::OrgError;

/// The same answer for a case that does not exist and one the caller may
/// not see, so numbers cannot be probed.
pub fn case_not_found() -> ApiError {
    ApiError::not_found("没有这个案件", "no such case")
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
            CaseError::OnlyOnce(action) => {
                ApiError::new(StatusCode::CONFLICT, "action_not_allowed").with_detail(
                    format!("“{action}”在一个案件中只能执行一次，已执行过"),
                    format!("action '{action}' may be taken once in a case, and was"),
                )
            }
            CaseError::TooLate { action, by } => {
                let by = egov_kernel::time::beijing(by).format("%Y-%m-%d %H:%M");
                ApiError::new(StatusCode::CONFLICT, "too_late").with_detail(
                    format!("“{action}”的期限已于 {by} 届满，不能再执行"),
                    format!("the time for action '{action}' ended at {by} (Beijing time)"),
                )
            }
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
impl From<OrgError> for ApiError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::DivisionNotFound(c) => ApiError::not_found(
                format!("没有代码为 {c} 的行政区划"),
                format!("no division {c}"),
            ),
            OrgError::DepartmentNotFound(c) => ApiError::not_found(
                format!("没有代码为 {c} 的部门"),
                format!("no department {c}"),
            ),
            OrgError::DepartmentExists(c) => {
                ApiError::new(StatusCode::CONFLICT, "department_exists").with_detail(
                    format!("代码为 {c} 的部门已存在"),
                    format!("a department with code {c} already exists"),
                )
            }
            OrgError::UnknownParent(c) => ApiError::validation(
                format!("上级部门 {c} 不存在"),
                format!("parent department {c} does not exist"),
            ),
            OrgError::UnknownDivision(c) => ApiError::validation(
                format!("行政区划 {c} 不存在"),
                format!("division {c} does not exist"),
            ),
            OrgError::Invalid(msg) => ApiError::validation(invalid_zh(msg), msg),
            OrgError::Store(e) => ApiError::internal(e),
        }
    }
}

fn invalid_zh(msg: &str) -> &'static str {
    match msg {
        "name must be 1-100 characters" => "名称须为 1 至 100 个字符",
        "the code must start with the department's division code" => {
            "部门代码须以所属行政区划代码开头"
        }
        _ => "输入不符合要求",
    }
}

impl From<egov_notify::NotifyError> for ApiError {
    fn from(e: egov_notify::NotifyError) -> Self {
        use egov_notify::NotifyError as E;
        match e {
            E::NotFound => ApiError::not_found("没有这条记录", "no such record"),
            E::UnknownPlaceholder { field, name } => ApiError::validation(
                format!("{field} 中的 {{{name}}} 不是这类通知的可用变量"),
                format!("{{{name}}} in the {field} is not one of this notice's values"),
            ),
            E::Invalid(what) => ApiError::validation(format!("内容有误：{what}"), what),
            E::Store(s) => s.into(),
        }
    }
}
