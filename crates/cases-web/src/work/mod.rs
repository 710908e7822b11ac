//! The case engine's use cases, each taking the caller (principal and
//! context) and the state: what the API handlers and the pages both call.
//! Here too: finding a case the caller may see, and who a page acts as.

pub mod cases;
pub mod supervision;

use egov_cases::access::may_view;
use egov_cases::{Case, CaseError, ProcessDefinition};
use egov_identity::{Principal, SessionUser};
use egov_kernel::Actor;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::context::Origin;
use egov_web_kit::engine_errors::case_not_found;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use std::sync::Arc;

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
    if !may_view(principal, &case) {
        return Err(match principal {
            Principal::Anonymous => ApiError::unauthorized(),
            _ => case_not_found(),
        });
    }
    let def = state.processes.of(&state.db, &case).await?;
    Ok((case, def))
}

/// The signed-in person behind a call, with their account set up.
pub fn require_user(caller: &ApiCaller) -> Result<&SessionUser, ApiError> {
    match &caller.principal {
        Principal::User(u) if u.pending_setup().is_none() => Ok(u),
        Principal::Anonymous => Err(ApiError::unauthorized()),
        _ => Err(ApiError::forbidden()),
    }
}

/// The caller a page acts as: the signed-in user, through this request.
pub fn page_caller(user: &SessionUser, origin: Origin) -> ApiCaller {
    ApiCaller {
        principal: Principal::User(user.clone()),
        context: origin.context(Actor::User(user.user_id)),
    }
}

/// The caller a multipart page form acts as, once the CSRF token it
/// carries as a field checks out (such forms cannot use `CheckedForm`).
pub fn form_caller(user: &SessionUser, origin: Origin, csrf: &str) -> Result<ApiCaller, ApiError> {
    if csrf != user.csrf_token {
        return Err(ApiError::forbidden());
    }
    Ok(page_caller(user, origin))
}
