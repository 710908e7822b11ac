//! Process definitions: states, the actions between them, who may take each
//! action, the fields it requires, deadlines per state and what stops the
//! clock. Files are versioned; a running case keeps the version it started
//! under, so a definition is identified by `(id, version)`.

use crate::schema::{FieldSchema, Rule, SchemaError, Violation};
use egov_calendar::Unit;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("the definition is not valid TOML or has unknown keys: {0}")]
    Parse(String),
    #[error("{0}")]
    Invalid(String),
    #[error("action '{action}': {source}")]
    Schema {
        action: String,
        #[source]
        source: SchemaError,
    },
}

/// The schema key of a new case's form.
const START: &str = "start";

fn invalid(msg: impl Into<String>) -> DefinitionError {
    DefinitionError::Invalid(msg.into())
}

/// Who may take an action. Handlers and dispatchers act for the case's
/// assigned department; supervisors for electronic supervision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Applicant,
    Handler,
    Dispatcher,
    Supervisor,
    /// The platform itself: a case it opens on its own (the follow-up of a
    /// bad rating), never one a person may open from a form.
    Platform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// The statutory clock runs (the default).
    #[default]
    Running,
    /// The clock stops: awaiting the applicant's corrections (补正), a hearing,
    /// tests, expert review or third-party consultation.
    Paused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub amount: u32,
    /// `workday`, `day` or `hour`.
    pub unit: String,
    /// How much an approved extension adds, in the same unit.
    pub extension: Option<u32>,
}

impl Deadline {
    pub fn unit(&self) -> Unit {
        Unit::parse(&self.unit).expect("checked at load")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Join {
    /// The state completes when every branch has approved.
    All,
    /// The first approving branch completes it.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnRefuse {
    /// One branch refusing ends the whole state with the refusal.
    End,
    /// A refusal is recorded; the others carry on.
    Continue,
}

/// A state handled by several departments at once (并联审批).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parallel {
    pub join: Join,
    pub on_refuse: OnRefuse,
    /// The action each branch takes to approve, and the one to refuse.
    pub approve: String,
    pub refuse: String,
    /// Where the case goes when the branches have approved / when refused.
    pub approved_to: String,
    pub refused_to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    #[serde(default)]
    pub terminal: bool,
    pub deadline: Option<Deadline>,
    #[serde(default)]
    pub clock: Clock,
    pub parallel: Option<Parallel>,
    /// The kind of notice the applicant is sent when the case comes to this
    /// state (a decision, however it was reached).
    pub notify: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub from: Vec<String>,
    /// The next state; absent for actions that stay (comments, branch answers).
    pub to: Option<String>,
    pub by: Vec<Actor>,
    /// The fields this action requires, as a JSON Schema subset.
    pub fields: Option<serde_json::Value>,
    /// Approving an extension of the current state's deadline.
    #[serde(default)]
    pub extends_deadline: bool,
    /// Entering `to` starts its deadline afresh, even after a pause (after
    /// corrections the acceptance period runs from the complete materials).
    /// Otherwise a state resumed after a pause keeps its deadline, moved on
    /// by the time the clock stood still.
    #[serde(default)]
    pub restart_clock: bool,
    /// 转办 / 派遣: the action hands the case to the department named in its
    /// `department` field (a department code; definitions before version 3
    /// named it by its row id in `department_id`), which then handles it.
    #[serde(default)]
    pub transfer: bool,
    /// What a person is told and asked to confirm before the action is
    /// taken through a page (withdrawing an application ends it for good).
    pub confirm: Option<String>,
    pub confirm_en: Option<String>,
    /// The kind of notice the applicant is sent when the action is taken
    /// (a template of the notifications: `case_accepted`, ...).
    pub notify: Option<String>,
    /// A decision that needs every material the applicant owes (容缺, the
    /// case's `outstanding`) to have arrived, unless its `condition` field
    /// records the condition it is taken on.
    #[serde(default)]
    pub needs_materials: bool,
    /// The action may be taken once in a case's life (the one correction
    /// notice a disclosure request may get).
    #[serde(default)]
    pub once: bool,
    /// The action may be taken only so long after the case entered its
    /// current state, or (`since = "opened"`) was opened (the correction
    /// notice within 7 working days of receipt; the applicant's answer to
    /// it within the time it gave).
    pub within: Option<Period>,
}

/// A span of time on the working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub amount: u32,
    /// `workday`, `day` or `hour`.
    pub unit: String,
    /// What the span runs from.
    #[serde(default)]
    pub since: Since,
}

/// What an action's `within` span runs from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Since {
    /// The case entering its current state.
    #[default]
    State,
    /// The case's opening (its receipt): a span that a pause and a return
    /// to the state do not start again.
    Opened,
}

impl Period {
    pub fn unit(&self) -> Unit {
        Unit::parse(&self.unit).expect("checked at load")
    }
}

/// How a transfer action names the department it hands the case to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferField {
    /// `department`: the department's public code (version 3 on).
    Code,
    /// `department_id`: its row id, as definitions before version 3 had it.
    Id,
}

impl TransferField {
    pub fn name(self) -> &'static str {
        match self {
            TransferField::Code => "department",
            TransferField::Id => "department_id",
        }
    }
}

impl Action {
    /// The field naming a transfer's target, when the action requires one.
    pub fn transfer_field(&self) -> Option<TransferField> {
        let required = self
            .fields
            .as_ref()
            .and_then(|f| f.pointer("/required"))
            .and_then(|r| r.as_array())?;
        [TransferField::Code, TransferField::Id]
            .into_iter()
            .find(|f| required.iter().any(|v| v == f.name()))
    }
}

/// When electronic supervision warns and raises its cards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supervision {
    /// The share of a step's time after which a warning (预警) is raised.
    #[serde(default = "Supervision::default_warn_share")]
    pub warn_share: f64,
    /// The supervision period after the deadline (the yellow card's date to
    /// finish); still open after it, the case gets a red card.
    #[serde(default = "Supervision::default_red_after")]
    pub red_after: u32,
    #[serde(default = "Supervision::default_red_unit")]
    pub red_unit: String,
}

impl Supervision {
    fn default_warn_share() -> f64 {
        0.8
    }
    fn default_red_after() -> u32 {
        5
    }
    fn default_red_unit() -> String {
        "workday".into()
    }
    pub fn red_unit(&self) -> Unit {
        Unit::parse(&self.red_unit).expect("checked at load")
    }
}

impl Default for Supervision {
    fn default() -> Self {
        Supervision {
            warn_share: Self::default_warn_share(),
            red_after: Self::default_red_after(),
            red_unit: Self::default_red_unit(),
        }
    }
}

fn default_start_by() -> Vec<Actor> {
    vec![Actor::Applicant]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    id: String,
    version: u32,
    name: String,
    name_en: Option<String>,
    initial: String,
    /// Who may open a case: applicants (the default), or staff registering
    /// one (a dispatcher taking a report, a handler at the counter).
    #[serde(default = "default_start_by")]
    start_by: Vec<Actor>,
    #[serde(default)]
    supervision: Supervision,
    /// The form a new case carries, as a JSON Schema subset.
    start_fields: Option<serde_json::Value>,
    state: Vec<State>,
    action: Vec<Action>,
}

/// A validated process definition.
#[derive(Debug, Clone)]
pub struct ProcessDefinition {
    pub id: String,
    pub version: u32,
    pub name: String,
    pub name_en: Option<String>,
    pub initial: String,
    pub start_by: Vec<Actor>,
    pub supervision: Supervision,
    states: BTreeMap<String, State>,
    actions: BTreeMap<String, Action>,
    schemas: BTreeMap<String, FieldSchema>,
}

impl ProcessDefinition {
    pub fn parse(text: &str) -> Result<Self, DefinitionError> {
        let file: File = toml::from_str(text).map_err(|e| DefinitionError::Parse(e.to_string()))?;
        Self::build(file)
    }

    fn build(f: File) -> Result<Self, DefinitionError> {
        if f.version == 0 {
            return Err(invalid("version starts at 1"));
        }
        let mut states = BTreeMap::new();
        for s in f.state {
            if states.insert(s.id.clone(), s.clone()).is_some() {
                return Err(invalid(format!("state '{}' is defined twice", s.id)));
            }
        }
        let mut actions = BTreeMap::new();
        for a in f.action {
            if a.id == START {
                return Err(invalid("'start' is reserved for the opening of a case"));
            }
            if actions.insert(a.id.clone(), a.clone()).is_some() {
                return Err(invalid(format!("action '{}' is defined twice", a.id)));
            }
        }
        let known = |id: &str| states.contains_key(id);
        if !known(&f.initial) {
            return Err(invalid(format!(
                "the initial state '{}' is not defined",
                f.initial
            )));
        }
        let sv = &f.supervision;
        if !(sv.warn_share > 0.0 && sv.warn_share < 1.0) {
            return Err(invalid("supervision.warn_share must lie between 0 and 1"));
        }
        if Unit::parse(&sv.red_unit).is_none() || sv.red_after == 0 {
            return Err(invalid(
                "supervision.red_after needs an amount and a red_unit of workday, day or hour",
            ));
        }
        if f.start_by.is_empty() {
            return Err(invalid("start_by names nobody"));
        }
        let notices = states
            .values()
            .map(|s| ("state", &s.id, &s.notify))
            .chain(actions.values().map(|a| ("action", &a.id, &a.notify)));
        for (what, id, kind) in notices {
            if let Some(kind) = kind
                .as_deref()
                .filter(|k| !egov_notify::templates::is_known(k))
            {
                return Err(invalid(format!(
                    "{what} '{id}' notifies with '{kind}', which is no kind of notice"
                )));
            }
        }
        let mut schemas = BTreeMap::new();
        if let Some(fields) = &f.start_fields {
            let schema =
                FieldSchema::new(fields.clone()).map_err(|source| DefinitionError::Schema {
                    action: START.into(),
                    source,
                })?;
            schemas.insert(START.to_owned(), schema);
        }
        for a in actions.values() {
            if a.from.is_empty() || a.by.is_empty() {
                return Err(invalid(format!(
                    "action '{}' needs 'from' states and 'by' actors",
                    a.id
                )));
            }
            for s in a.from.iter().chain(&a.to) {
                if !known(s) {
                    return Err(invalid(format!(
                        "action '{}' names unknown state '{s}'",
                        a.id
                    )));
                }
            }
            if let Some(s) = a.from.iter().find(|s| states[*s].terminal) {
                return Err(invalid(format!(
                    "action '{}' leaves terminal state '{s}'",
                    a.id
                )));
            }
            if a.within
                .as_ref()
                .is_some_and(|w| w.amount == 0 || Unit::parse(&w.unit).is_none())
            {
                return Err(invalid(format!(
                    "action '{}': 'within' needs an amount and a unit of workday, day or hour",
                    a.id
                )));
            }
            if a.transfer && a.transfer_field().is_none() {
                return Err(invalid(format!(
                    "transfer action '{}' must require a department field",
                    a.id
                )));
            }
            if let Some(fields) = &a.fields {
                let schema =
                    FieldSchema::new(fields.clone()).map_err(|source| DefinitionError::Schema {
                        action: a.id.clone(),
                        source,
                    })?;
                schemas.insert(a.id.clone(), schema);
            }
        }
        for s in states.values() {
            if let Some(d) = &s.deadline {
                if Unit::parse(&d.unit).is_none() || d.amount == 0 {
                    return Err(invalid(format!(
                        "state '{}': a deadline needs an amount and a unit of workday, day or hour",
                        s.id
                    )));
                }
            }
            match (s.terminal, s.clock, &s.deadline) {
                (true, _, Some(_)) => {
                    return Err(invalid(format!(
                        "terminal state '{}' cannot have a deadline",
                        s.id
                    )))
                }
                (false, Clock::Running, None) => {
                    return Err(invalid(format!(
                        "state '{}' needs a deadline (or clock = \"paused\")",
                        s.id
                    )))
                }
                (false, Clock::Paused, Some(_)) => {
                    return Err(invalid(format!(
                        "state '{}' pauses the clock and so cannot have a deadline",
                        s.id
                    )))
                }
                _ => {}
            }
            if let Some(p) = &s.parallel {
                for a in [&p.approve, &p.refuse] {
                    let action = actions.get(a).ok_or_else(|| {
                        invalid(format!(
                            "state '{}': parallel action '{a}' is not defined",
                            s.id
                        ))
                    })?;
                    if !action.from.contains(&s.id) || action.to.is_some() {
                        return Err(invalid(format!(
                            "parallel action '{a}' must be taken in '{}' and name no 'to'",
                            s.id
                        )));
                    }
                }
                for t in [&p.approved_to, &p.refused_to] {
                    if !known(t) {
                        return Err(invalid(format!(
                            "state '{}': parallel outcome '{t}' is not defined",
                            s.id
                        )));
                    }
                }
            }
        }
        // Every state reachable from the initial one; no dead ends.
        let edges = |s: &str| -> Vec<String> {
            let mut out: Vec<String> = actions
                .values()
                .filter(|a| a.from.iter().any(|f| f == s))
                .filter_map(|a| a.to.clone())
                .collect();
            if let Some(p) = &states[s].parallel {
                out.push(p.approved_to.clone());
                out.push(p.refused_to.clone());
            }
            out
        };
        let mut seen = BTreeSet::from([f.initial.clone()]);
        let mut queue = VecDeque::from([f.initial.clone()]);
        while let Some(s) = queue.pop_front() {
            for next in edges(&s) {
                if seen.insert(next.clone()) {
                    queue.push_back(next);
                }
            }
        }
        if let Some(lost) = states.keys().find(|s| !seen.contains(*s)) {
            return Err(invalid(format!(
                "state '{lost}' cannot be reached from '{}'",
                f.initial
            )));
        }
        for s in states.values().filter(|s| !s.terminal) {
            if edges(&s.id).is_empty() {
                return Err(invalid(format!(
                    "state '{}' is not terminal but no action leaves it",
                    s.id
                )));
            }
        }
        Ok(ProcessDefinition {
            id: f.id,
            version: f.version,
            name: f.name,
            name_en: f.name_en,
            initial: f.initial,
            start_by: f.start_by,
            supervision: f.supervision,
            states,
            actions,
            schemas,
        })
    }

    pub fn state(&self, id: &str) -> Option<&State> {
        self.states.get(id)
    }

    pub fn states(&self) -> impl Iterator<Item = &State> {
        self.states.values()
    }

    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.actions.values()
    }

    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.get(id)
    }

    /// The actions `actor` may take in `state`.
    pub fn actions_for(&self, state: &str, actor: Actor) -> Vec<&Action> {
        self.actions
            .values()
            .filter(|a| a.from.iter().any(|s| s == state) && a.by.contains(&actor))
            .collect()
    }

    /// Checks a new case's form against the definition's `start_fields`.
    pub fn check_start(&self, data: &serde_json::Value) -> Vec<Violation> {
        match self.schemas.get(START) {
            Some(schema) => schema.validate(data),
            None => Vec::new(),
        }
    }

    /// The schema of a new case's form, as written in the definition.
    pub fn start_fields(&self) -> Option<&serde_json::Value> {
        self.schemas.get(START).map(FieldSchema::as_json)
    }

    /// The schema of an action's fields, as written in the definition.
    pub fn fields_schema(&self, action: &str) -> Option<&serde_json::Value> {
        self.actions.get(action).and_then(|a| a.fields.as_ref())
    }

    /// Checks an action's submitted fields against its schema.
    pub fn check_fields(&self, action: &str, data: &serde_json::Value) -> Vec<Violation> {
        match self.schemas.get(action) {
            Some(schema) => schema.validate(data),
            None if data.as_object().is_some_and(|o| o.is_empty()) || data.is_null() => Vec::new(),
            None => vec![Violation::new("/", Rule::NoFields)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LICENSE: &str = include_str!("../../../data/processes/administrative-license.toml");
    const JOINT: &str = include_str!("../../../data/processes/joint-approval.toml");

    #[test]
    fn shipped_definitions_load() {
        let d = ProcessDefinition::parse(LICENSE).unwrap();
        assert_eq!(d.initial, "submitted");
        let review = d.state("review").unwrap();
        assert_eq!(review.deadline.as_ref().unwrap().amount, 20);
        assert_eq!(review.deadline.as_ref().unwrap().extension, Some(10));
        assert_eq!(d.state("correction").unwrap().clock, Clock::Paused);
        let handler: Vec<_> = d
            .actions_for("review", Actor::Handler)
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert!(
            handler.contains(&"approve") && handler.contains(&"refuse"),
            "{handler:?}"
        );
        assert!(d
            .actions_for("review", Actor::Applicant)
            .iter()
            .all(|a| a.id == "withdraw"));

        let j = ProcessDefinition::parse(JOINT).unwrap();
        let p = j.state("joint_review").unwrap().parallel.as_ref().unwrap();
        assert_eq!(p.join, Join::All);
        assert_eq!(
            j.state("joint_review")
                .unwrap()
                .deadline
                .as_ref()
                .unwrap()
                .amount,
            45
        );
    }

    #[test]
    fn fields_are_checked_against_the_action_schema() {
        let d = ProcessDefinition::parse(LICENSE).unwrap();
        let v = d.check_fields("request_correction", &serde_json::json!({ "missing": [] }));
        assert_eq!(v[0].path, "/missing");
        assert!(d
            .check_fields(
                "request_correction",
                &serde_json::json!({ "missing": ["营业执照副本"] })
            )
            .is_empty());
        assert!(
            !d.check_fields("refuse", &serde_json::json!({})).is_empty(),
            "a refusal needs reasons"
        );
    }

    fn broken(find: &str, replace: &str) -> DefinitionError {
        assert!(LICENSE.contains(find), "test fixture: {find}");
        ProcessDefinition::parse(&LICENSE.replacen(find, replace, 1)).unwrap_err()
    }

    #[test]
    fn malformed_definitions_are_refused_at_load() {
        let cases = [
            (
                broken("initial = \"submitted\"", "initial = \"nowhere\""),
                "initial state",
            ),
            (broken("to = \"review\"", "to = \"limbo\""), "unknown state"),
            (
                broken(
                    "[state.deadline]\namount = 20",
                    "[state.deadline]\namount = 0",
                ),
                "amount",
            ),
            (
                broken("clock = \"paused\"", "clock = \"running\""),
                "needs a deadline",
            ),
            (broken("version = 4", "version = 0"), "version"),
            (
                broken("notify = \"case_accepted\"", "notify = \"case_shouted\""),
                "no kind of notice",
            ),
            (
                broken(
                    "required = [\"department\", \"reason\"]",
                    "required = [\"reason\"]",
                ),
                "must require a department field",
            ),
            (
                broken("name = \"受理\"", "name = \"受理\"\ncolour = \"red\""),
                "unknown",
            ),
            (
                broken("\"minItems\" = 1", "\"pattern\" = \"x\""),
                "unsupported keyword",
            ),
        ];
        for (err, want) in cases {
            assert!(err.to_string().contains(want), "want '{want}' in: {err}");
        }
    }

    #[test]
    fn unreachable_states_and_dead_ends_are_refused() {
        let orphan =
            format!("{LICENSE}\n[[state]]\nid = \"orphan\"\nname = \"孤立\"\nterminal = true\n");
        let err = ProcessDefinition::parse(&orphan).unwrap_err();
        assert!(
            err.to_string().contains("'orphan' cannot be reached"),
            "{err}"
        );
        let stuck = format!(
            "{LICENSE}\n[[state]]\nid = \"stuck\"\nname = \"卡住\"\nclock = \"paused\"\n\n[[action]]\nid = \"to_stuck\"\nname = \"转入\"\nfrom = [\"review\"]\nto = \"stuck\"\nby = [\"handler\"]\n"
        );
        let err = ProcessDefinition::parse(&stuck).unwrap_err();
        assert!(err.to_string().contains("no action leaves it"), "{err}");
    }
}
