//! What the case API and the workbench pages share: who the caller acts as
//! in the case engine, finding a case the caller may see, and mapping the
//! engine's errors to problems.

use crate::problem::ApiError;
use crate::state::AppState;
use egov_cases::{Acting, Case, CaseError, ProcessDefinition};
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

pub use egov_web_kit::engine_errors::case_not_found;

/// Staff may see internal comments and files; applicants may not.
pub fn sees_internal(principal: &Principal) -> bool {
    matches!(principal, Principal::User(u) if u.kind == UserKind::Staff)
}
