//! The case engine's use cases, each taking the caller (principal and
//! context) and the state: what the API handlers and the pages both call.
//! Here too: finding a case the caller may see.

pub mod cases;
pub mod supervision;

use egov_cases::access::may_view;
use egov_cases::{Case, CaseError, ProcessDefinition};
use egov_identity::Principal;
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
