//! Work-plan errors as problems, with their message in Chinese.

use axum::http::StatusCode;
use egov_web_kit::problem::ApiError;
use egov_workplan::confirming::ConfirmError;
use egov_workplan::reporting::ReportError;
use egov_workplan::versions::PublishError;
use egov_workplan::WorkplanError;

fn conflict(zh: String, en: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "action_not_allowed").with_detail(zh, en)
}

/// Why a change was refused; `name` names a department for the message.
pub fn problem(e: WorkplanError, name: impl Fn(i64) -> String) -> ApiError {
    let en = e.to_string();
    match e {
        WorkplanError::Plan(p) => ApiError::validation(p.message_zh(), en),
        WorkplanError::NotFound => ApiError::not_found("没有这项计划或任务", en),
        WorkplanError::Confirm(c @ ConfirmError::NoShare) => {
            ApiError::forbidden().with_detail(c.message_zh(), en)
        }
        WorkplanError::Confirm(c) => ApiError::validation(c.message_zh(), en),
        WorkplanError::Publish(p @ PublishError::Note) => {
            ApiError::validation(p.message_zh(&name), en)
        }
        WorkplanError::Publish(p) => conflict(p.message_zh(&name), en),
        WorkplanError::Report(r @ ReportError::NotYours) => {
            ApiError::forbidden().with_detail(r.message_zh(), en)
        }
        WorkplanError::Report(
            r @ (ReportError::NotPublished
            | ReportError::Closed
            | ReportError::AwaitingAcceptance
            | ReportError::NotClosing),
        ) => conflict(r.message_zh(), en),
        WorkplanError::Report(r) => ApiError::validation(r.message_zh(), en),
        WorkplanError::Order(o @ egov_workplan::orders::OrderError::NotAnOrder) => {
            ApiError::not_found(o.message_zh(), en)
        }
        WorkplanError::Order(o) => ApiError::validation(o.message_zh(), en),
        WorkplanError::Case(c) => c.into(),
        WorkplanError::Process(p) => p.into(),
        WorkplanError::Store(s) => s.into(),
        WorkplanError::Org(o) => ApiError::internal(o),
    }
}

/// The form field a refusal is about.
pub fn field(e: &WorkplanError) -> &'static str {
    match e {
        WorkplanError::Plan(p) => p.field(),
        WorkplanError::Report(r) => r.field(),
        WorkplanError::Confirm(_) => "reason",
        WorkplanError::Publish(_) => "note",
        _ => "",
    }
}
