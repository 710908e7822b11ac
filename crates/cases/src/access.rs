//! Who may do what with cases, as the case engine decides it from a
//! signed-in person's kind and roles: which roles in the engine they act
//! in, which cases they may see, whether they see staff-only comments and
//! files, and who may answer a supervision order. Identity keeps the
//! cross-cutting permissions (`egov_identity::allows`); these are the case
//! engine's own rules, used alike by its API and its pages.

use crate::{Acting, Case};
use egov_identity::{Principal, Role, SessionUser, UserKind};

/// The roles in the case engine a user holds, for every department they
/// hold them in.
pub fn actings(user: &SessionUser) -> Vec<Acting> {
    let mut out = Vec::new();
    match user.kind {
        // A view-only operator sees the enterprise's cases (`may_view`)
        // and acts on none, not even those they filed before.
        UserKind::Citizen | UserKind::Enterprise if user.view_only => {}
        UserKind::Citizen | UserKind::Enterprise => out.push(Acting::Applicant {
            user_id: user.user_id,
            enterprise_id: user.enterprise_id,
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

/// Whether the user works in the department: their own, or one a role of
/// theirs is granted for.
fn works_in(u: &SessionUser, department_id: i64) -> bool {
    u.department_id == Some(department_id)
        || u.roles
            .iter()
            .any(|g| g.department_id == Some(department_id))
}

/// Who may see a case: its applicant (for an enterprise's case, everyone
/// acting for the enterprise); staff of a department it involves
/// (owner, assignee, co-handlers); supervisors of one of those departments
/// (or city-wide); auditors and system administrators.
pub fn may_view(principal: &Principal, case: &Case) -> bool {
    let Principal::User(u) = principal else {
        return false;
    };
    if u.pending_setup().is_some() {
        return false;
    }
    match u.kind {
        UserKind::Citizen | UserKind::Enterprise => case.applied_by(u.user_id, u.enterprise_id),
        UserKind::Staff => {
            let departments = departments_of(case);
            departments
                .iter()
                .any(|d| u.has_role_for(Role::Supervisor, Some(*d)) || works_in(u, *d))
                || u.has_role(Role::Auditor)
                || u.has_role(Role::SystemAdmin)
        }
    }
}

/// Staff may see internal comments and files; applicants may not.
pub fn sees_internal(principal: &Principal) -> bool {
    matches!(principal, Principal::User(u) if u.kind == UserKind::Staff)
}

/// Who may answer a supervision order: the ordered department's handlers
/// and department administrators who work in it.
pub fn may_answer_order(u: &SessionUser, department_id: i64) -> bool {
    [Role::Handler, Role::DepartmentAdmin]
        .into_iter()
        .any(|r| u.has_role_for(r, Some(department_id)))
        && works_in(u, department_id)
}
