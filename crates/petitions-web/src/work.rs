//! What the API and the pages both do: who registers a petition in whose
//! name, and a petition's record opened for someone who may see it.

use egov_cases::acting::Acting;
use egov_cases::Case;
use egov_identity::{SessionUser, UserKind};
use egov_petitions::petition::Registrar;
use egov_petitions::record::{self, PetitionRecord};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// The departments `user` handles petitions in.
pub fn handling_departments(user: &SessionUser) -> Vec<i64> {
    egov_cases::access::actings(user)
        .into_iter()
        .filter_map(|a| match a {
            Acting::Handler { department_id } => Some(department_id),
            _ => None,
        })
        .collect()
}

/// The departments whose petitions `user` sees in the list: those they
/// handle in, or supervise (`None`: every agency's).
pub fn listed_departments(user: &SessionUser) -> Option<Vec<i64>> {
    let mut out = handling_departments(user);
    for a in egov_cases::access::actings(user) {
        match a {
            Acting::Supervisor {
                department_id: None,
            } => return None,
            Acting::Supervisor {
                department_id: Some(d),
            } => out.push(d),
            _ => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// Who registers a petition brought to the agency `department` (its code)
/// when `user` does: the petitioner themselves, or staff handling
/// petitions there. `None`: they may not.
pub fn registrar(
    directory: &egov_org::Directory,
    user: &SessionUser,
    department: &str,
) -> Option<Registrar> {
    may_register(user).ok()?;
    if user.kind != UserKind::Staff {
        return Some(Registrar::Petitioner {
            user_id: user.user_id,
        });
    }
    let handled = handling_departments(user);
    let department_id = directory
        .by_code(department.trim())
        .map(|d| d.id)
        .filter(|id| handled.contains(id))
        // Named wrong or not theirs: registration refuses it as outside
        // their department (an unknown code as unknown).
        .or_else(|| handled.first().copied())?;
    Some(Registrar::Staff {
        user_id: user.user_id,
        department_id,
    })
}

/// Petition `number` with its record, for `user` who may see who brought
/// it. A case that is not a petition is not found; a petition they may
/// not see is refused.
pub async fn open(
    state: &AppState,
    user: &SessionUser,
    number: &str,
) -> Result<(Case, PetitionRecord), ApiError> {
    let not_found = || ApiError::not_found("没有这件信访事项", "no such petition");
    let case = match egov_cases::case::by_number(&state.db, number).await {
        Ok(c) if c.process_id == egov_petitions::PROCESS => c,
        Ok(_) | Err(egov_cases::CaseError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    if !record::may_see_petitioner(user, &case) {
        return Err(ApiError::forbidden().with_detail(
            "信访人的信息只向承办人员、监督人员和信访人本人显示",
            "only the staff handling a petition, supervisors and the petitioner see who brought it",
        ));
    }
    let record = record::load(&state.db, case.id)
        .await?
        .ok_or_else(not_found)?;
    Ok((case, record))
}

/// The agencies `user` may bring a petition to, as `(code, name)`: any
/// of the city's own for a petitioner, their own for staff.
pub fn registering_agencies(
    directory: &egov_org::Directory,
    user: &SessionUser,
    locale: egov_kernel::Locale,
) -> Vec<(String, String)> {
    let named = |d: &egov_org::Department| (d.code.clone(), d.name_in(locale).to_owned());
    match user.kind {
        UserKind::Staff => handling_departments(user)
            .into_iter()
            .filter_map(|id| directory.department(id))
            .map(named)
            .collect(),
        _ => directory.municipal_agencies().map(named).collect(),
    }
}

/// Whether `user` may register petitions: a resident with an account of
/// their own, or staff handling petitions somewhere.
pub fn may_register(user: &SessionUser) -> Result<(), ApiError> {
    let allowed = !user.view_only
        && match user.kind {
            UserKind::Staff => !handling_departments(user).is_empty(),
            UserKind::Citizen => true,
            UserKind::Enterprise => false,
        };
    match allowed {
        true => Ok(()),
        false => Err(ApiError::forbidden().with_detail(
            "信访事项由信访人本人网上提出，或由承办机关工作人员登记",
            "a petition is brought online by the petitioner, or registered by staff of the agency",
        )),
    }
}
