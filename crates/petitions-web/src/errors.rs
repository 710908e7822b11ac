//! Petitions' errors as problems, with their message in Chinese.

use axum::http::StatusCode;
use egov_petitions::notices::NoticeError;
use egov_petitions::petition::PetitionError;
use egov_petitions::registration::RegistrationError;
use egov_web_kit::problem::ApiError;

/// Why a petition was not registered.
pub fn registration(e: RegistrationError) -> ApiError {
    let en = e.to_string();
    match e {
        RegistrationError::Petition(p @ PetitionError::ClosedByRecheck(_)) => {
            ApiError::new(StatusCode::CONFLICT, "matter_closed").with_detail(p.message_zh(), en)
        }
        RegistrationError::Petition(p @ PetitionError::UnknownAgency(_)) => {
            ApiError::not_found(p.message_zh(), en)
        }
        RegistrationError::Petition(p) => ApiError::validation(p.message_zh(), en),
        RegistrationError::OutsideDepartment => {
            ApiError::forbidden().with_detail("工作人员只能登记向本机关提出的信访事项", en)
        }
        RegistrationError::Case(c) => c.into(),
        RegistrationError::Store(s) => s.into(),
        RegistrationError::Identity(i) => ApiError::internal(i),
        RegistrationError::Org(o) => ApiError::internal(o),
        RegistrationError::Calendar(c) => ApiError::internal(c),
        RegistrationError::Process(p) => p.into(),
    }
}

/// Why a notice could not be printed.
pub fn notice(e: NoticeError) -> ApiError {
    match e {
        NoticeError::Store(s) => s.into(),
        NoticeError::Org(o) => ApiError::internal(o),
    }
}
