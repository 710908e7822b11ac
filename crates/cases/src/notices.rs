//! Who is told of a step on a case, and what, inside the step's own
//! transaction. Staff are told when a case comes to them: the holders of a
//! role that may now act in a department and could not before (a new case,
//! a transfer, corrections handed back, the branches of a joint approval).
//! The applicant is told what the definition says an action tells them
//! (`notify`: accepted, corrections requested, decided). A warning or card
//! tells the department's handlers, a red card its supervisors too.

use crate::acting::Acting;
use crate::case::{Branch, BranchStatus, Case};
use crate::clock::local;
use crate::definition::{Actor, ProcessDefinition, State};
use egov_identity::roles::Role;
use egov_notify::Note;
use egov_store::{StoreError, Tx};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// The role a step's actor is held as.
fn role_of(actor: Actor) -> Option<Role> {
    match actor {
        Actor::Handler => Some(Role::Handler),
        Actor::Dispatcher => Some(Role::Dispatcher),
        Actor::Applicant | Actor::Supervisor | Actor::Platform => None,
    }
}

/// The departments and roles that may act on `case` as it stands: the staff
/// roles of the actions open in its state, in the department each acts
/// for; in a parallel state, the handlers of each pending branch.
pub(crate) fn staff_on(
    def: &ProcessDefinition,
    case: &Case,
    branches: &[Branch],
) -> BTreeSet<(i64, Role)> {
    let mut on = BTreeSet::new();
    if !case.is_open() {
        return on;
    }
    if def.state(&case.state).is_some_and(|s| s.parallel.is_some()) {
        for b in branches
            .iter()
            .filter(|b| b.status == BranchStatus::Pending)
        {
            on.insert((b.department_id, Role::Handler));
        }
        return on;
    }
    for actor in [Actor::Handler, Actor::Dispatcher] {
        if def.actions_for(&case.state, actor).is_empty() {
            continue;
        }
        let department = match actor {
            Actor::Dispatcher => case.department_id,
            _ => case.handling_department(),
        };
        if let Some(role) = role_of(actor) {
            on.insert((department, role));
        }
    }
    on
}

fn state_name(state: Option<&State>) -> Value {
    match state {
        Some(s) => json!({ "zh-CN": s.name, "en": s.name_en.as_deref().unwrap_or(&s.name) }),
        None => Value::Null,
    }
}

/// Who a step tells, worked out from the definition before the
/// transaction stores it (a new case is stored without its definition).
#[derive(Debug, Default)]
pub(crate) struct Telling {
    /// The departments and roles that may act now and could not before.
    pub(crate) staff: BTreeSet<(i64, Role)>,
    /// The state the case is in after the step, in both languages.
    state: Value,
    /// The kind of notice the applicant is sent, if any.
    applicant: Option<String>,
    /// When the applicant's time to act in the new state ends (a
    /// clarification asked for), for the notice to say.
    pub(crate) reply_by: Option<egov_kernel::time::Timestamp>,
}

impl Telling {
    /// After a step by `acting` from `before` (who could act then, in
    /// state `from`) to `case` with its `branches`, by `action` (`None`:
    /// the case was opened). Staff are told when the case came to a new
    /// state where they act (unless they moved it there), or, in the same
    /// state, when it came to them (a transfer, a branch). The applicant
    /// hears what the action says, else what the state it came to says.
    pub(crate) fn after(
        def: &ProcessDefinition,
        step: Step<'_>,
        case: &Case,
        branches: &[Branch],
    ) -> Telling {
        let Step {
            acting,
            before,
            from,
            action,
        } = step;
        let now_on = staff_on(def, case, branches);
        let moved = from != Some(case.state.as_str());
        let staff = match moved {
            true => now_on
                .into_iter()
                .filter(|on| Some(*on) != acted_as(acting))
                .collect(),
            false => now_on.difference(before).copied().collect(),
        };
        let by_action = action
            .and_then(|a| def.action(a))
            .and_then(|a| a.notify.clone());
        let by_state = def
            .state(&case.state)
            .filter(|_| from != Some(case.state.as_str()))
            .and_then(|s| s.notify.clone());
        Telling {
            staff,
            state: state_name(def.state(&case.state)),
            applicant: by_action.or(by_state),
            reply_by: None,
        }
    }
}

/// A step as [`Telling::after`] needs it: who took it and what stood before.
pub(crate) struct Step<'a> {
    pub acting: Acting,
    /// Who could act before the step (nobody, for a new case).
    pub before: &'a BTreeSet<(i64, Role)>,
    /// The state before the step (`None`, for a new case).
    pub from: Option<&'a str>,
    /// The action taken (`None`, for a new case).
    pub action: Option<&'a str>,
}

/// The department and role a step's taker acted in, if staff.
fn acted_as(acting: Acting) -> Option<(i64, Role)> {
    match acting {
        Acting::Handler { department_id } => Some((department_id, Role::Handler)),
        Acting::Dispatcher { department_id } => Some((department_id, Role::Dispatcher)),
        _ => None,
    }
}

/// The values every notice about a case may use.
fn case_params(telling: &Telling, case: &Case, fields: &Value) -> Value {
    let state = &telling.state;
    let missing = match &fields["missing"] {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("；"),
        _ => String::new(),
    };
    // The step's own words (a reason, an opinion) first, so that a notice
    // that is the step's written decision can say them; the case's facts
    // are laid over them. A template uses only the names it declares.
    let mut params: serde_json::Map<String, Value> = match fields {
        Value::Object(own) => own
            .iter()
            .filter(|(_, v)| v.is_string())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => serde_json::Map::new(),
    };
    let facts = json!({
        "number": case.number,
        "title": case.title_param(),
        "state": state,
        "outcome": state,
        "due": case.due_at.map(|d| local(d).format("%Y-%m-%d").to_string()),
        "missing": missing,
        "reply_by": telling.reply_by.map(|d| local(d).format("%Y-%m-%d").to_string()),
    });
    if let Value::Object(facts) = facts {
        params.extend(facts);
    }
    Value::Object(params)
}

fn link(case: &Case) -> String {
    format!("/cases/{}", case.number)
}

/// Tells whoever `telling` names about `case` as the step left it; `fields`
/// are the step's own (what corrections are missing).
pub(crate) async fn tell(
    tx: &mut Tx,
    telling: &Telling,
    case: &Case,
    fields: &Value,
) -> Result<(), StoreError> {
    if telling.staff.is_empty() && telling.applicant.is_none() {
        return Ok(());
    }
    let params = case_params(telling, case, fields);
    if !telling.staff.is_empty() {
        let grants: Vec<(i64, Role)> = telling.staff.iter().copied().collect();
        let people = egov_identity::contacts::holding(tx, &grants).await?;
        let note = Note {
            kind: "task_assigned".to_owned(),
            params: params.clone(),
            link: link(case),
        };
        egov_notify::post(tx, &people, &note).await?;
    }
    if let (Some(kind), Some(applicant)) = (&telling.applicant, case.applicant_id) {
        let people = egov_identity::contacts::applicant(tx, applicant, case.enterprise_id).await?;
        let note = Note {
            kind: kind.clone(),
            params: params.clone(),
            link: link(case),
        };
        egov_notify::post(tx, &people, &note).await?;
    }
    // Followers hear what the applicant hears, each on their own page.
    if let Some(kind) = &telling.applicant {
        for (person, link) in egov_identity::contacts::followers(tx, case.id).await? {
            let note = Note {
                kind: kind.clone(),
                params: params.clone(),
                link,
            };
            egov_notify::post(tx, std::slice::from_ref(&person), &note).await?;
        }
    }
    Ok(())
}

/// Tells who each new case's `Telling` names, as [`tell`] does one step:
/// the people holding the same grants, or the same applicant, are looked
/// up once, and every message goes in with as few statements as fit. A
/// new case has no followers yet.
pub(crate) async fn tell_opened(
    tx: &mut Tx,
    opened: &[(&Telling, &Case)],
) -> Result<(), StoreError> {
    type People = Vec<egov_notify::Recipient>;
    /// Whom a note goes to: the holders of some grants, or an applicant
    /// (and those acting for their enterprise).
    enum Whose {
        Staff(Vec<(i64, Role)>),
        Applicant((i64, Option<i64>)),
    }
    let mut staff: HashMap<Vec<(i64, Role)>, People> = HashMap::new();
    let mut applicants: HashMap<(i64, Option<i64>), People> = HashMap::new();
    let mut notes: Vec<(Whose, Note)> = Vec::new();
    for (telling, case) in opened {
        let params = case_params(telling, case, &case.data);
        if !telling.staff.is_empty() {
            let grants: Vec<(i64, Role)> = telling.staff.iter().copied().collect();
            if !staff.contains_key(&grants) {
                let people = egov_identity::contacts::holding(tx, &grants).await?;
                staff.insert(grants.clone(), people);
            }
            let note = Note {
                kind: "task_assigned".to_owned(),
                params: params.clone(),
                link: link(case),
            };
            notes.push((Whose::Staff(grants), note));
        }
        if let (Some(kind), Some(applicant)) = (&telling.applicant, case.applicant_id) {
            let key = (applicant, case.enterprise_id);
            if let std::collections::hash_map::Entry::Vacant(slot) = applicants.entry(key) {
                slot.insert(egov_identity::contacts::applicant(tx, key.0, key.1).await?);
            }
            let note = Note {
                kind: kind.clone(),
                params,
                link: link(case),
            };
            notes.push((Whose::Applicant(key), note));
        }
    }
    let batch: Vec<(&[egov_notify::Recipient], &Note)> = notes
        .iter()
        .map(|(whose, note)| {
            let people = match whose {
                Whose::Staff(grants) => &staff[grants],
                Whose::Applicant(key) => &applicants[key],
            };
            (people.as_slice(), note)
        })
        .collect();
    egov_notify::post_all(tx, &batch).await
}

/// A warning or card just raised on a case.
pub(crate) struct Alert<'a> {
    pub number: &'a str,
    pub title: &'a str,
    pub title_en: Option<&'a str>,
    pub department_id: i64,
    /// `deadline_warning`, `yellow_card` or `red_card`.
    pub kind: &'static str,
    pub due_at: Option<egov_kernel::time::Timestamp>,
}

/// Tells the handlers of each case's department of its warning or card, and
/// of a red card the department's supervisors too; one statement for the
/// whole batch's messages.
pub(crate) async fn tell_alerts(tx: &mut Tx, alerts: &[Alert<'_>]) -> Result<(), StoreError> {
    let mut people: std::collections::HashMap<(i64, bool), Vec<egov_notify::Recipient>> =
        Default::default();
    let mut notes = Vec::with_capacity(alerts.len());
    for a in alerts {
        let red = a.kind == "red_card";
        let key = (a.department_id, red);
        if let std::collections::hash_map::Entry::Vacant(slot) = people.entry(key) {
            let d = a.department_id;
            let grants: &[(i64, Role)] = match red {
                true => &[(d, Role::Handler), (d, Role::Supervisor)],
                false => &[(d, Role::Handler)],
            };
            slot.insert(egov_identity::contacts::holding(tx, grants).await?);
        }
        let note = Note {
            kind: a.kind.to_owned(),
            params: json!({
                "number": a.number,
                "title": crate::case::title_param(a.title, a.title_en),
                "due": a.due_at.map(|d| local(d).format("%Y-%m-%d %H:%M").to_string()),
            }),
            link: format!("/cases/{}", a.number),
        };
        notes.push((key, note));
    }
    let batch: Vec<(&[egov_notify::Recipient], &Note)> = notes
        .iter()
        .map(|(key, note)| (people[key].as_slice(), note))
        .collect();
    egov_notify::post_all(tx, &batch).await
}
