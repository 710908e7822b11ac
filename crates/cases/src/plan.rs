//! What an action does to a case, decided without the database: from the
//! case, its open branches, the action and its fields, the calendar and the
//! clock to the case after the action and the writes around it. The engine
//! reads the inputs, calls [`plan`] and applies the plan in one transaction;
//! tests call it with values.

use crate::acting::{may_act, Acting};
use crate::case::{Branch, BranchStatus, Case};
use crate::clock::{enter, ClockState};
use crate::definition::{Action, Join, OnRefuse, ProcessDefinition, Since};
use crate::error::CaseError;
use crate::schema::{Rule, Violation};
use egov_calendar::WorkCalendar;
use egov_kernel::time::Timestamp;
use serde_json::Value;

/// An action someone tries to take, with what the engine read for it.
pub struct Attempt<'a> {
    pub case: &'a Case,
    /// The branches of the case's current state, when it is a parallel one.
    pub branches: &'a [Branch],
    pub acting: Acting,
    pub action_id: &'a str,
    pub fields: &'a Value,
    /// For a transfer: the department it names, when that exists.
    pub transfer_target: Option<i64>,
    /// For an action taken once in a case: whether it was taken before.
    pub taken_before: bool,
}

/// What taking the action does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The case after the action (state, clock, version, closing).
    pub next: Case,
    /// The moment the action is taken at.
    pub at: Timestamp,
    /// A parallel branch the action answers.
    pub branch_answer: Option<BranchAnswer>,
    /// The case enters a parallel state: a branch opens for each of its
    /// co-handling departments.
    pub opens_branches: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BranchAnswer {
    pub department_id: i64,
    pub status: BranchStatus,
}

/// When the time for `action` on `case` ends, if it may be taken only
/// `within` a span.
pub fn time_ends(action: &Action, case: &Case, cal: &WorkCalendar) -> Option<Timestamp> {
    let w = action.within.as_ref()?;
    let from = match w.since {
        Since::State => case.state_entered_at,
        Since::Opened => case.created_at,
    };
    let start = crate::clock::local(from);
    Some(crate::clock::utc(cal.due(start, w.amount, w.unit()).at))
}

/// Whether `action` may still be taken at `now`; else when its time ended.
pub fn in_time(
    action: &Action,
    case: &Case,
    cal: &WorkCalendar,
    now: Timestamp,
) -> Result<(), Timestamp> {
    match time_ends(action, case, cal) {
        Some(by) if now > by => Err(by),
        _ => Ok(()),
    }
}

/// Decides what `attempt` does at `now`, or why it may not be taken.
pub fn plan(
    def: &ProcessDefinition,
    cal: &WorkCalendar,
    now: Timestamp,
    attempt: Attempt<'_>,
) -> Result<Plan, CaseError> {
    let Attempt {
        case,
        branches,
        acting,
        action_id,
        fields,
        transfer_target,
        taken_before,
    } = attempt;
    if case.process_id != def.id || case.process_version != def.version as i32 {
        return Err(CaseError::WrongDefinition(format!(
            "{} v{}",
            case.process_id, case.process_version
        )));
    }
    let not_here = || CaseError::NotAllowedHere {
        action: action_id.to_owned(),
        state: case.state.clone(),
    };
    let action = def.action(action_id).ok_or_else(not_here)?;
    if !action.from.contains(&case.state) {
        return Err(not_here());
    }
    let state = def.state(&case.state).expect("validated definition");
    let parallel = state
        .parallel
        .as_ref()
        .filter(|p| p.approve == action.id || p.refuse == action.id);
    let pending: &[Branch] = if parallel.is_some() { branches } else { &[] };
    if !may_act(def, case, pending, acting, &action.id) {
        return Err(CaseError::NotYours(action.id.clone()));
    }
    if action.once && taken_before {
        return Err(CaseError::OnlyOnce(action.id.clone()));
    }
    if let Err(by) = in_time(action, case, cal, now) {
        return Err(CaseError::TooLate {
            action: action.id.clone(),
            by,
        });
    }
    let violations = def.check_fields(&action.id, fields);
    if !violations.is_empty() {
        return Err(CaseError::Fields(violations));
    }
    let transfer_to = match action.transfer_field().filter(|_| action.transfer) {
        Some(field) => match transfer_target {
            Some(to) if to != case.handling_department() => Some(to),
            _ => {
                return Err(CaseError::Fields(vec![Violation::new(
                    format!("/{}", field.name()),
                    Rule::OtherDepartment,
                )]))
            }
        },
        None => None,
    };

    let mut next = case.clone();
    let mut to = case.state.clone();
    let mut clock: Option<ClockState> = None;
    let mut branch_answer = None;
    if action.extends_deadline {
        let deadline = state.deadline.as_ref().ok_or(CaseError::NoExtension)?;
        let extra = deadline.extension.ok_or(CaseError::NoExtension)?;
        if case.extended {
            return Err(CaseError::AlreadyExtended);
        }
        let mut c = ClockState::of(case);
        c.extend(&def.supervision, cal, extra);
        clock = Some(c);
        next.extended = true;
    } else if let (Some(p), Acting::Handler { department_id }) = (parallel, acting) {
        let approved = action.id == p.approve;
        branch_answer = Some(BranchAnswer {
            department_id,
            status: if approved {
                BranchStatus::Approved
            } else {
                BranchStatus::Refused
            },
        });
        let still_pending = pending
            .iter()
            .filter(|b| b.status == BranchStatus::Pending && b.department_id != department_id)
            .count();
        let refused = !approved || pending.iter().any(|b| b.status == BranchStatus::Refused);
        if !approved && p.on_refuse == OnRefuse::End {
            to = p.refused_to.clone();
        } else if approved && (p.join == Join::Any || (still_pending == 0 && !refused)) {
            to = p.approved_to.clone();
        } else if still_pending == 0 && refused {
            to = p.refused_to.clone();
        }
    } else if let Some(t) = &action.to {
        to = t.clone();
    }
    if let Some(d) = transfer_to {
        next.assigned_department_id = Some(d);
    }
    let mut opens_branches = false;
    // A new state, or the same one handed to someone else afresh.
    if to != case.state || (action.restart_clock && transfer_to.is_some()) {
        opens_branches = def.state(&to).and_then(|s| s.parallel.as_ref()).is_some();
        clock = Some(enter(
            def,
            cal,
            Some(case),
            &to,
            action.restart_clock,
            now,
            &case.deadlines,
        ));
        next.state_entered_at = now;
        // Leaving a step after its deadline makes the case overdue.
        if case.due_at.is_some_and(|d| d < now) {
            next.overdue = true;
        }
        if def.state(&to).is_some_and(|s| s.terminal) {
            next.closed_at = Some(now);
        }
    }
    if let Some(c) = &clock {
        next.basis = c.basis;
        next.due_at = c.due_at;
        next.due_provisional = c.provisional;
        next.warn_at = c.warn_at;
        next.red_at = c.red_at;
        next.paused_at = c.paused_at;
        next.paused_secs = c.paused_secs;
        next.deadline_cycle = c.cycle;
        next.alert_level = c.level;
        next.next_alert_at = c.next_alert_at();
    }
    if next.closed_at.is_some() {
        next.next_alert_at = None;
    }
    next.state = to;
    next.version = case.version + 1;
    Ok(Plan {
        next,
        at: now,
        branch_answer,
        opens_branches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::AlertLevel;
    use chrono::{NaiveDate, TimeZone, Utc};
    use serde_json::json;

    const LEAD: i64 = 1;
    const CO: i64 = 2;

    fn joint() -> ProcessDefinition {
        ProcessDefinition::parse(include_str!("../../../data/processes/joint-approval.toml"))
            .expect("the shipped definition parses")
    }

    fn calendar() -> WorkCalendar {
        let file = egov_calendar::CalendarFile::parse(egov_calendar::BUILTIN).unwrap();
        WorkCalendar::new(&file.year, Default::default())
    }

    /// 2026-09-24 10:00 in Beijing.
    fn thursday() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 9, 24, 2, 0, 0).unwrap()
    }

    /// A joint approval just filed with the lead, as the engine opens it.
    fn filed(def: &ProcessDefinition, cal: &WorkCalendar) -> Case {
        let now = thursday();
        let clock = enter(def, cal, None, &def.initial, true, now, &Default::default());
        Case {
            id: 7,
            number: "20260000007".to_owned(),
            title: "食品经营许可".to_owned(),
            process_id: def.id.clone(),
            process_version: def.version as i32,
            state: def.initial.clone(),
            applicant_id: Some(42),
            enterprise_id: None,
            department_id: LEAD,
            assigned_department_id: None,
            co_departments: vec![LEAD, CO],
            data: json!({}),
            location: None,
            parent_id: None,
            version: 1,
            state_entered_at: now,
            due_at: clock.due_at,
            due_provisional: clock.provisional,
            extended: false,
            paused_at: clock.paused_at,
            deadline_cycle: clock.cycle,
            warn_at: clock.warn_at,
            red_at: clock.red_at,
            alert_level: AlertLevel::None,
            next_alert_at: clock.next_alert_at(),
            overdue: false,
            created_at: now,
            closed_at: None,
            paused_secs: 0,
            deadlines: Default::default(),
            basis: clock.basis,
        }
    }

    fn branch(department_id: i64, status: BranchStatus) -> Branch {
        Branch {
            department_id,
            status,
            answered_at: None,
        }
    }

    fn attempt<'a>(
        case: &'a Case,
        branches: &'a [Branch],
        department_id: i64,
        action_id: &'a str,
        fields: &'a Value,
    ) -> Attempt<'a> {
        Attempt {
            case,
            branches,
            acting: Acting::Handler { department_id },
            action_id,
            fields,
            transfer_target: None,
            taken_before: false,
        }
    }

    fn beijing_date(ts: Option<Timestamp>) -> NaiveDate {
        egov_kernel::time::beijing(ts.expect("a deadline")).date()
    }

    #[test]
    fn accepting_opens_the_joint_review_with_its_statutory_clock() {
        let (def, cal) = (joint(), calendar());
        let case = filed(&def, &cal);
        let none = json!({});
        let plan = plan(
            &def,
            &cal,
            thursday(),
            attempt(&case, &[], LEAD, "accept", &none),
        )
        .expect("the lead accepts");
        assert_eq!(plan.next.state, "joint_review");
        assert!(
            plan.opens_branches,
            "a branch for each co-handling department"
        );
        assert_eq!(plan.branch_answer, None);
        assert_eq!(plan.next.version, 2);
        // REFERENCE: 2026-09-24 + 45 working days = 2026-12-03.
        assert_eq!(
            beijing_date(plan.next.due_at),
            NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
        );
        assert_eq!(plan.next.closed_at, None);
    }

    #[test]
    fn the_joint_review_waits_for_every_branch_and_ends_on_a_refusal() {
        let (def, cal) = (joint(), calendar());
        let none = json!({});
        let accepted = plan(
            &def,
            &cal,
            thursday(),
            attempt(&filed(&def, &cal), &[], LEAD, "accept", &none),
        )
        .unwrap()
        .next;
        let open = [
            branch(LEAD, BranchStatus::Pending),
            branch(CO, BranchStatus::Pending),
        ];

        // The first approval answers its branch; the case waits.
        let first = plan(
            &def,
            &cal,
            thursday(),
            attempt(&accepted, &open, CO, "branch_approve", &none),
        )
        .unwrap();
        assert_eq!(first.next.state, "joint_review");
        assert_eq!(
            first.branch_answer,
            Some(BranchAnswer {
                department_id: CO,
                status: BranchStatus::Approved
            })
        );
        assert!(!first.opens_branches);

        // The last one joins it: approved, closed, no more alerts.
        let one_left = [
            branch(LEAD, BranchStatus::Pending),
            branch(CO, BranchStatus::Approved),
        ];
        let last = plan(
            &def,
            &cal,
            thursday(),
            attempt(&accepted, &one_left, LEAD, "branch_approve", &none),
        )
        .unwrap();
        assert_eq!(last.next.state, "approved");
        assert_eq!(last.next.closed_at, Some(thursday()));
        assert_eq!(last.next.next_alert_at, None);

        // One refusal ends it at once (on_refuse = "end").
        let reasons = json!({"reasons": "不符合选址要求"});
        let refused = plan(
            &def,
            &cal,
            thursday(),
            attempt(&accepted, &open, CO, "branch_refuse", &reasons),
        )
        .unwrap();
        assert_eq!(refused.next.state, "refused");
        assert!(refused.next.closed_at.is_some());

        // A department with no open branch has nothing to answer.
        let answered = [
            branch(LEAD, BranchStatus::Pending),
            branch(CO, BranchStatus::Approved),
        ];
        assert!(matches!(
            plan(
                &def,
                &cal,
                thursday(),
                attempt(&accepted, &answered, CO, "branch_approve", &none)
            ),
            Err(CaseError::NotYours(_))
        ));
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let (def, cal) = (joint(), calendar());
        let case = filed(&def, &cal);
        let none = json!({});
        // Not an action of this state.
        assert!(matches!(
            plan(
                &def,
                &cal,
                thursday(),
                attempt(&case, &[], LEAD, "branch_approve", &none)
            ),
            Err(CaseError::NotAllowedHere { .. })
        ));
        // Not the handling department.
        assert!(matches!(
            plan(
                &def,
                &cal,
                thursday(),
                attempt(&case, &[], CO, "accept", &none)
            ),
            Err(CaseError::NotYours(_))
        ));
        // A refusal needs its reasons.
        let accepted = plan(
            &def,
            &cal,
            thursday(),
            attempt(&case, &[], LEAD, "accept", &none),
        )
        .unwrap()
        .next;
        let open = [branch(CO, BranchStatus::Pending)];
        assert!(matches!(
            plan(&def, &cal, thursday(), attempt(&accepted, &open, CO, "branch_refuse", &none)),
            Err(CaseError::Fields(v)) if v.iter().any(|v| v.path == "/reasons")
        ));
        // Another definition's case.
        let mut other = case.clone();
        other.process_version += 1;
        assert!(matches!(
            plan(
                &def,
                &cal,
                thursday(),
                attempt(&other, &[], LEAD, "accept", &none)
            ),
            Err(CaseError::WrongDefinition(_))
        ));
    }

    #[test]
    fn a_transfer_goes_to_an_existing_other_department_named_by_code() {
        let def = ProcessDefinition::parse(include_str!(
            "../../../data/processes/administrative-license.toml"
        ))
        .expect("the shipped definition parses");
        let cal = calendar();
        let case = filed(&def, &cal);
        let fields = json!({"department": "110105-SWZJ", "reason": "不属本部门职责"});
        let to = |target| {
            let mut a = attempt(&case, &[], LEAD, "transfer", &fields);
            a.transfer_target = target;
            plan(&def, &cal, thursday(), a)
        };
        let moved = to(Some(CO)).expect("transferred").next;
        assert_eq!(moved.assigned_department_id, Some(CO));
        assert_eq!(moved.handling_department(), CO);
        // A code no department has, or the handling department itself.
        for target in [None, Some(LEAD)] {
            assert!(matches!(
                to(target),
                Err(CaseError::Fields(v)) if v.iter().any(|v| v.path == "/department")
            ));
        }
    }

    #[test]
    fn a_deadline_is_extended_once() {
        let (def, cal) = (joint(), calendar());
        let none = json!({});
        let accepted = plan(
            &def,
            &cal,
            thursday(),
            attempt(&filed(&def, &cal), &[], LEAD, "accept", &none),
        )
        .unwrap()
        .next;
        let why = json!({"reason": "需要现场核查", "approved_by": "局长"});
        let extended = plan(
            &def,
            &cal,
            thursday(),
            attempt(&accepted, &[], LEAD, "extend", &why),
        )
        .unwrap();
        assert!(extended.next.extended);
        assert_eq!(extended.next.state, "joint_review");
        // REFERENCE: + 15 working days after 2026-12-03 = 2026-12-24.
        assert_eq!(
            beijing_date(extended.next.due_at),
            NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()
        );
        assert!(matches!(
            plan(
                &def,
                &cal,
                thursday(),
                attempt(&extended.next, &[], LEAD, "extend", &why)
            ),
            Err(CaseError::AlreadyExtended)
        ));
    }
}
