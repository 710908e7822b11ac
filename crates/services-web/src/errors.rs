//! The service hall's errors as problems: not-found matched explicitly,
//! every other failure passed on with its cause.

use axum::http::StatusCode;
use egov_services::RegistryError;
use egov_web_kit::problem::ApiError;

/// How the service registry's refusals read as problems.
pub fn registry_problem(e: RegistryError) -> ApiError {
    match e {
        RegistryError::Unknown(code) => ApiError::not_found(
            format!("没有事项 {code}"),
            format!("no service item {code}"),
        ),
        RegistryError::Guide(g) => ApiError::validation(
            format!("办事指南无效：{g}"),
            format!("invalid service guide: {g}"),
        ),
        RegistryError::UnknownDepartment(d) => ApiError::validation(
            format!("部门 {d} 不存在"),
            format!("department {d} does not exist"),
        ),
        RegistryError::VersionTaken { code, version } => {
            ApiError::new(StatusCode::CONFLICT, "version_conflict").with_detail(
                format!("事项 {code} 的版本 {version} 已以不同内容载入，请提高版本号"),
                format!("version {version} of item {code} is already loaded with other content; raise the version"),
            )
        }
        RegistryError::VersionBehind { code, latest } => {
            ApiError::new(StatusCode::CONFLICT, "version_conflict").with_detail(
                format!("事项 {code} 已是版本 {latest}，修订须使用更高的版本号"),
                format!("item {code} is at version {latest}; a revision needs a higher version"),
            )
        }
        other => ApiError::internal(other),
    }
}

/// How an application's refusals read as problems.
pub fn application_problem(e: egov_services::application::ApplicationError) -> ApiError {
    use egov_services::application::ApplicationError as E;
    match e {
        E::NotFound => ApiError::not_found("没有这份申请", "no such application"),
        E::Filed => ApiError::new(StatusCode::CONFLICT, "case_closed")
            .with_detail("这份申请已提交", "the application was filed already"),
        E::NotOffered => ApiError::new(StatusCode::CONFLICT, "action_not_allowed").with_detail(
            "该事项已停止办理，不能提交申请",
            "the item is no longer offered",
        ),
        E::CounterOnly => ApiError::new(StatusCode::CONFLICT, "action_not_allowed").with_detail(
            "此事项须到办理窗口办理，不提供网上申请",
            "this item is handled at a service counter only, not online",
        ),
        E::NotForYou(who) => ApiError::forbidden().with_detail(
            format!("此事项的服务对象是{who}，请使用相应的账号申请"),
            format!("this item serves {who}; apply with such an account"),
        ),
        E::AssuranceTooLow { required } => ApiError::forbidden().with_detail(
            match required {
                2 => "此事项须先核验身份：请携带身份证到政务服务窗口办理实名核验后再申请".to_owned(),
                _ => format!("此事项要求账户身份核验等级不低于 {required} 级"),
            },
            format!("this item needs an account verified to level {required} (in person at a service counter for level 2)"),
        ),
        E::Missing(list) => ApiError::validation(
            format!("还缺少以下材料：{}", list.join("、")),
            format!("materials missing: {}", list.join(", ")),
        ),
        E::Form(v) => egov_cases::CaseError::Fields(v).into(),
        E::NoSuchMaterial(_) => ApiError::validation("没有这项材料", "no such material"),
        E::NoteTooLong => ApiError::validation(
            "申请说明不超过 2000 字",
            "the note must be at most 2000 characters",
        ),
        E::Upload(egov_cases::attachments::AttachError::Upload(u)) => {
            egov_web_kit::upload::upload_error(u)
        }
        E::Upload(egov_cases::attachments::AttachError::Case(c)) | E::Case(c) => c.into(),
        E::Upload(egov_cases::attachments::AttachError::Io(io)) => ApiError::internal(io),
        E::Registry(r) => registry_problem(r),
        E::Org(o) => ApiError::internal(o),
        E::Store(s) => ApiError::internal(s),
    }
}
