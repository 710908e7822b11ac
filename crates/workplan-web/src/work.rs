//! Who may do what with a plan, for the API and the pages alike: the plan
//! office (a supervisor of the department that owns the plan, or a
//! city-wide one) drafts, publishes and decides; a department's staff
//! (its handlers and its administrator) confirm its share and report on
//! the tasks it leads; supervisors and staff read published plans; a
//! public plan's board is open to everyone.

use egov_identity::{Role, SessionUser, UserKind};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use egov_workplan::drafting::{self, Plan};

/// The departments `user` confirms and reports for.
pub fn departments(user: &SessionUser) -> Vec<i64> {
    if user.kind != UserKind::Staff || user.view_only {
        return Vec::new();
    }
    let mut out: Vec<i64> = user
        .roles
        .iter()
        .filter(|g| matches!(g.role, Role::Handler | Role::DepartmentAdmin))
        .filter_map(|g| g.department_id)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether `user` is the office of `plan`.
pub fn is_office(user: &SessionUser, plan: &Plan) -> bool {
    user.kind == UserKind::Staff
        && user.roles.iter().any(|g| {
            g.role == Role::Supervisor
                && g.department_id
                    .is_none_or(|d| d == plan.office_department_id)
        })
}

/// The office `user` drafts plans for: the department they supervise, or
/// for a city-wide supervisor their own department.
pub fn office_department(user: &SessionUser) -> Option<i64> {
    if user.kind != UserKind::Staff {
        return None;
    }
    let grant = user.roles.iter().find(|g| g.role == Role::Supervisor)?;
    grant.department_id.or(user.department_id)
}

/// Whether `user` (none: a visitor) may see `plan`, given the departments
/// with a share in it.
pub fn may_see(user: Option<&SessionUser>, plan: &Plan, share: &[i64]) -> bool {
    if plan.public && plan.is_published() {
        return true;
    }
    let Some(user) = user.filter(|u| u.kind == UserKind::Staff) else {
        return false;
    };
    if is_office(user, plan) || user.has_role(Role::Supervisor) {
        return true;
    }
    let mine = departments(user);
    match plan.is_published() {
        true => true,
        false => mine.iter().any(|d| share.contains(d)),
    }
}

/// Plan `id`, or 404.
pub async fn plan(state: &AppState, id: i64) -> Result<Plan, ApiError> {
    drafting::plan(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("没有这项计划", "no such plan"))
}

/// Refuses anyone but the office of `plan`.
pub fn require_office(user: &SessionUser, plan: &Plan) -> Result<(), ApiError> {
    match is_office(user, plan) {
        true => Ok(()),
        false => Err(ApiError::forbidden().with_detail(
            "只有计划的督查部门可以编制、发布计划和验收任务",
            "only the plan's office drafts, publishes and accepts",
        )),
    }
}

/// A department's name.
pub fn namer(directory: &egov_org::Directory) -> impl Fn(i64) -> String + '_ {
    |id| {
        directory
            .department(id)
            .map(|d| d.short_name.clone().unwrap_or_else(|| d.name.clone()))
            .unwrap_or_else(|| id.to_string())
    }
}
