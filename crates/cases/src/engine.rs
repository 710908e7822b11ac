//! Cases: starting one, taking actions on it. Every action is one
//! transaction holding the state change, the timeline event and the audit
//! record; the version column makes concurrent actions on one case conflict
//! instead of overwrite.

use crate::acting::Acting;
use crate::case::{branches_in, get_in, AlertLevel, Branch, BranchStatus, Case, Location};
use crate::clock::enter;
use crate::definition::{ProcessDefinition, TransferField};
use crate::error::CaseError;
use crate::notices::{self, staff_on, Telling};
pub use crate::opening::{open, Opening};
use crate::opening::{open_branches, BindBasis};
use crate::plan::{plan, Attempt};
use egov_audit::Event;
use egov_calendar::WorkCalendar;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, Db, Tx};
use serde_json::Value;
use std::sync::Arc;

/// What a new case starts with.
pub struct NewCase<'a> {
    pub definition: &'a ProcessDefinition,
    pub title: String,
    pub applicant_id: Option<i64>,
    /// The enterprise the applicant acts for, if any.
    pub enterprise_id: Option<i64>,
    pub department_id: i64,
    /// Departments that each handle a branch of the parallel steps (the
    /// owner among them when it decides a part itself).
    pub co_departments: Vec<i64>,
    pub data: Value,
    pub location: Option<Location>,
    pub parent_id: Option<i64>,
    /// Time limits of this case's own for some steps (state -> amount in
    /// the step's unit), e.g. a service item's statutory limit.
    pub deadlines: std::collections::BTreeMap<String, u32>,
    /// When the matter came in, if before the case is opened (a grid report
    /// opened as a case when the command centre decides on it): the case
    /// starts then, and its first step's clock runs from then.
    pub received_at: Option<Timestamp>,
}

impl<'a> NewCase<'a> {
    pub fn new(definition: &'a ProcessDefinition, department_id: i64, title: &str) -> Self {
        NewCase {
            definition,
            title: title.to_owned(),
            applicant_id: None,
            enterprise_id: None,
            department_id,
            co_departments: Vec::new(),
            data: Value::Object(Default::default()),
            location: None,
            parent_id: None,
            deadlines: Default::default(),
            received_at: None,
        }
    }
}

/// One move on a case's timeline.
struct Step<'a> {
    action: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    fields: &'a Value,
}

/// Appends the timeline event (`seq` = the case's new version) and its audit record.
async fn add_event(
    tx: &mut Tx,
    ctx: &Context,
    case: &Case,
    seq: i64,
    step: Step<'_>,
) -> Result<(), CaseError> {
    let Step {
        action,
        from,
        to,
        fields,
    } = step;
    tx.execute(
        query(
            "INSERT INTO case_events (case_id, seq, at, actor, action, from_state, to_state, \
             fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(case.id)
        .bind(seq as i32)
        .bind(time::now())
        .bind(ctx.actor.audit_label())
        .bind(action)
        .bind(from)
        .bind(to)
        .bind(fields.to_string()),
    )
    .await?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: &format!("case.{action}"),
            object_type: "case",
            object_id: &case.number,
            detail: serde_json::json!({ "from": from, "to": to, "version": seq }),
        },
    )
    .await?;
    Ok(())
}

/// Starts a case in the definition's initial state.
pub async fn start(
    db: &Db,
    ctx: &Context,
    cal: &WorkCalendar,
    acting: Acting,
    new: NewCase<'_>,
) -> Result<Case, CaseError> {
    let opening = prepare(cal, acting, new)?;
    let ctx = ctx.clone();
    db.write(move |tx| Box::pin(async move { open(tx, &ctx, opening).await }))
        .await
}

/// Opens a case inside the caller's transaction, for changes that must
/// commit with it (an application filed with its materials).
pub async fn start_in(
    tx: &mut Tx,
    ctx: &Context,
    cal: &WorkCalendar,
    acting: Acting,
    new: NewCase<'_>,
) -> Result<Case, CaseError> {
    open(tx, ctx, prepare(cal, acting, new)?).await
}

/// Checks that `acting` may start the case with these fields and works out
/// its first deadline.
pub fn prepare(cal: &WorkCalendar, acting: Acting, new: NewCase<'_>) -> Result<Opening, CaseError> {
    let def = new.definition;
    if !def.start_by.contains(&acting.actor()) {
        return Err(CaseError::MayNotStart);
    }
    let violations = def.check_start(&new.data);
    if !violations.is_empty() {
        return Err(CaseError::Fields(violations));
    }
    let now = new.received_at.unwrap_or_else(time::now);
    let clock = enter(def, cal, None, &def.initial, true, now, &new.deadlines);
    let next_alert_at = clock.next_alert_at();
    let case = Case {
        id: 0,
        // Unique until the real number, made from the id, replaces it.
        number: format!("new-{}-{}", time::canonical(&now), uuid_like()),
        title: new.title,
        process_id: def.id.clone(),
        process_version: def.version as i32,
        state: def.initial.clone(),
        applicant_id: new.applicant_id,
        enterprise_id: new.enterprise_id,
        department_id: new.department_id,
        assigned_department_id: None,
        co_departments: new.co_departments,
        data: new.data,
        location: new.location,
        parent_id: new.parent_id,
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
        next_alert_at,
        overdue: false,
        created_at: now,
        closed_at: None,
        paused_secs: 0,
        deadlines: new.deadlines,
        basis: clock.basis,
    };
    let parallel = def
        .state(&def.initial)
        .and_then(|s| s.parallel.as_ref())
        .is_some();
    let branches = match parallel {
        true => fresh_branches(&case),
        false => Vec::new(),
    };
    let step = notices::Step {
        acting,
        before: &Default::default(),
        from: None,
        action: None,
    };
    let telling = Telling::after(def, step, &case, &branches);
    Ok(Opening {
        case,
        parallel,
        telling,
    })
}

/// A placeholder number must be unique until the real one is set.
fn uuid_like() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

async fn department_exists(tx: &mut Tx, id: i64) -> Result<bool, CaseError> {
    let found: Option<i64> = tx
        .fetch_optional_scalar(query("SELECT id FROM departments WHERE id = $1").bind(id))
        .await?;
    Ok(found.is_some())
}

async fn department_by_code(tx: &mut Tx, code: &str) -> Result<Option<i64>, CaseError> {
    Ok(tx
        .fetch_optional_scalar(query("SELECT id FROM departments WHERE code = $1").bind(code))
        .await?)
}

/// Takes an action on a case the caller last saw at `expected_version`.
/// One transaction reads the case, has [`crate::plan::plan`] decide what the
/// action does, and applies it with its event and audit record; nothing
/// can move the case in between.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    db: &Db,
    ctx: &Context,
    cal: &Arc<WorkCalendar>,
    def: &Arc<ProcessDefinition>,
    case_id: i64,
    expected_version: i64,
    acting: Acting,
    action_id: &str,
    fields: Value,
) -> Result<Case, CaseError> {
    let (ctx, cal, def) = (ctx.clone(), cal.clone(), def.clone());
    let action_id = action_id.to_owned();
    db.write(move |tx| {
        Box::pin(async move {
            let step = Taken {
                case_id,
                expected_version,
                acting,
                action_id: &action_id,
                fields,
            };
            act_in(tx, &ctx, &cal, &def, step).await
        })
    })
    .await
}

/// An action to take on a case, as [`act_in`] takes it.
pub struct Taken<'a> {
    pub case_id: i64,
    /// The version the caller last saw.
    pub expected_version: i64,
    pub acting: Acting,
    pub action_id: &'a str,
    pub fields: Value,
}

/// [`act`] inside the caller's transaction: for a system whose step is
/// more than the action (merging a grid report into another case records
/// who follows which), all of it committed together or not at all.
pub async fn act_in(
    tx: &mut Tx,
    ctx: &Context,
    cal: &WorkCalendar,
    def: &ProcessDefinition,
    taken: Taken<'_>,
) -> Result<Case, CaseError> {
    let Taken {
        case_id,
        expected_version,
        acting,
        action_id,
        fields,
    } = taken;
    let case = get_in(tx, case_id).await?;
    if case.version != expected_version {
        return Err(CaseError::Conflict {
            current: case.version,
        });
    }
    let in_parallel = def.state(&case.state).is_some_and(|s| s.parallel.is_some());
    let branches = match in_parallel {
        true => branches_in(tx, case.id, &case.state).await?,
        false => Vec::new(),
    };
    // A transfer's target must exist: the one fact the plan cannot know.
    let named = def
        .action(action_id)
        .filter(|a| a.transfer)
        .and_then(|a| a.transfer_field())
        .map(|f| (f, &fields[f.name()]));
    let transfer_target = match named {
        Some((TransferField::Code, Value::String(code))) => department_by_code(tx, code).await?,
        Some((TransferField::Id, id)) => match id.as_i64() {
            Some(id) if department_exists(tx, id).await? => Some(id),
            _ => None,
        },
        _ => None,
    };
    let taken_before = match def.action(action_id).is_some_and(|a| a.once) {
        true => {
            tx.fetch_scalar::<i64>(
                query("SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND action = $2")
                    .bind(case.id)
                    .bind(action_id),
            )
            .await?
                > 0
        }
        false => false,
    };
    let attempt = Attempt {
        case: &case,
        branches: &branches,
        acting,
        action_id,
        fields: &fields,
        transfer_target,
        taken_before,
    };
    let plan = plan(def, cal, time::now(), attempt)?;
    if let Some(answer) = plan.branch_answer {
        tx.execute(
            query(
                "UPDATE case_branches SET status = $1, answered_at = $2 \
                 WHERE case_id = $3 AND state = $4 AND department_id = $5",
            )
            .bind(answer.status.as_str())
            .bind(plan.at)
            .bind(case.id)
            .bind(&case.state)
            .bind(answer.department_id),
        )
        .await?;
    }
    if plan.opens_branches {
        open_branches(tx, case.id, &plan.next.state, &case.co_departments).await?;
    }
    save(tx, &plan.next, expected_version).await?;
    let before = staff_on(def, &case, &branches);
    let after_branches = branches_after(&case, &branches, &plan);
    let told = notices::Step {
        acting,
        before: &before,
        from: Some(&case.state),
        action: Some(action_id),
    };
    let mut telling = Telling::after(def, told, &plan.next, &after_branches);
    // The applicant's time to act in the new state, for the notice.
    telling.reply_by = def
        .actions_for(&plan.next.state, crate::definition::Actor::Applicant)
        .into_iter()
        .find_map(|a| crate::plan::time_ends(a, &plan.next, cal));
    let step = Step {
        action: action_id,
        from: Some(&case.state),
        to: &plan.next.state,
        fields: &fields,
    };
    add_event(tx, ctx, &plan.next, plan.next.version, step).await?;
    notices::tell(tx, &telling, &plan.next, &fields).await?;
    Ok(plan.next)
}

/// A pending branch for each of the case's co-departments.
fn fresh_branches(case: &Case) -> Vec<Branch> {
    case.co_departments
        .iter()
        .map(|&department_id| Branch {
            department_id,
            status: BranchStatus::Pending,
            answered_at: None,
        })
        .collect()
}

/// The branches of the state a step leaves the case in, worked out from
/// those before and the plan (no second read): the co-departments' fresh
/// ones when the step opens them, the same with the answer given when it
/// stays in the parallel state, none otherwise.
fn branches_after(case: &Case, before: &[Branch], plan: &crate::plan::Plan) -> Vec<Branch> {
    if plan.opens_branches {
        return fresh_branches(case);
    }
    if plan.next.state != case.state {
        return Vec::new();
    }
    before
        .iter()
        .map(|b| match &plan.branch_answer {
            Some(a) if a.department_id == b.department_id => Branch {
                status: a.status,
                answered_at: Some(plan.at),
                ..b.clone()
            },
            _ => b.clone(),
        })
        .collect()
}

/// Writes a case's moving parts, if it is still at `expected_version`.
async fn save(tx: &mut Tx, next: &Case, expected_version: i64) -> Result<(), CaseError> {
    let updated = tx
        .execute(
            query(
                "UPDATE cases SET state = $1, version = $2, state_entered_at = $3, due_at = $4, \
                 due_provisional = $5, extended = $6, paused_at = $7, paused_secs = $8, \
                 closed_at = $9, assigned_department_id = $10, due_from = $11, due_amount = $12, \
                 due_unit = $13, deadline_cycle = $14, warn_at = $15, red_at = $16, \
                 alert_level = $17, next_alert_at = $18, overdue = $19 \
                 WHERE id = $20 AND version = $21",
            )
            .bind(&next.state)
            .bind(next.version)
            .bind(next.state_entered_at)
            .bind(next.due_at)
            .bind(next.due_provisional)
            .bind(next.extended)
            .bind(next.paused_at)
            .bind(next.paused_secs)
            .bind(next.closed_at)
            .bind(next.assigned_department_id)
            .bind_basis(next.basis)
            .bind(next.deadline_cycle)
            .bind(next.warn_at)
            .bind(next.red_at)
            .bind(next.alert_level as i16)
            .bind(next.next_alert_at)
            .bind(next.overdue)
            .bind(next.id)
            .bind(expected_version),
        )
        .await?;
    if updated == 0 {
        return Err(CaseError::Conflict {
            current: expected_version + 1,
        });
    }
    Ok(())
}
