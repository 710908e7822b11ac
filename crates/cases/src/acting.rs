//! Who acts on a case, in the role the definition names, and whether they
//! may take an action now.

use crate::case::{BranchStatus, Case};
use crate::definition::{Actor, ProcessDefinition};

/// Who acts, in the role the definition names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    Applicant {
        user_id: i64,
        /// The enterprise they act for (an enterprise's legal
        /// representative or operator): the enterprise is the applicant.
        enterprise_id: Option<i64>,
    },
    Handler {
        department_id: i64,
    },
    Dispatcher {
        department_id: i64,
    },
    /// Electronic supervision over one department's cases, or (`None`)
    /// every department's.
    Supervisor {
        department_id: Option<i64>,
    },
    /// The platform opening a case on its own, or taking a step the
    /// definition leaves to it.
    Platform,
}

impl Acting {
    pub fn actor(self) -> Actor {
        match self {
            Acting::Applicant { .. } => Actor::Applicant,
            Acting::Handler { .. } => Actor::Handler,
            Acting::Dispatcher { .. } => Actor::Dispatcher,
            Acting::Supervisor { .. } => Actor::Supervisor,
            Acting::Platform => Actor::Platform,
        }
    }
}

/// Whether `acting` may take `action` on `case` now (role, and the right
/// person or department). `pending` are the open branches of a parallel state.
pub fn may_act(
    def: &ProcessDefinition,
    case: &Case,
    pending: &[crate::case::Branch],
    acting: Acting,
    action_id: &str,
) -> bool {
    let Some(action) = def.action(action_id) else {
        return false;
    };
    if !action.from.contains(&case.state) || !action.by.contains(&acting.actor()) {
        return false;
    }
    let parallel = def
        .state(&case.state)
        .and_then(|s| s.parallel.as_ref())
        .is_some_and(|p| p.approve == action.id || p.refuse == action.id);
    match acting {
        Acting::Applicant {
            user_id,
            enterprise_id,
        } => case.applied_by(user_id, enterprise_id),
        Acting::Handler { department_id } if parallel => pending
            .iter()
            .any(|b| b.department_id == department_id && b.status == BranchStatus::Pending),
        Acting::Handler { department_id } => case.handling_department() == department_id,
        Acting::Dispatcher { department_id } => case.department_id == department_id,
        Acting::Supervisor { department_id } => {
            department_id.is_none_or(|d| case.handling_department() == d || case.department_id == d)
        }
        // Only where a definition lets it (`by = ["platform"]`): a step a
        // system takes on its own, such as merging a grid report.
        Acting::Platform => true,
    }
}

/// The actions `acting` may take on `case`, given its open branches.
pub fn actions_open_to<'d>(
    def: &'d ProcessDefinition,
    case: &Case,
    pending: &[crate::case::Branch],
    acting: Acting,
) -> Vec<&'d crate::definition::Action> {
    if !case.is_open() {
        return Vec::new();
    }
    def.actions_for(&case.state, acting.actor())
        .into_iter()
        .filter(|a| may_act(def, case, pending, acting, &a.id))
        .collect()
}
