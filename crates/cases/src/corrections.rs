//! What the applicant owes a case, point by point, each answered by an
//! upload made for it (`answers_item`): a request for corrections (补正),
//! where the step that stopped the clock named what is missing (`missing`)
//! and the case goes back only when every point has a file; and materials
//! accepted to follow later (容缺), which the case carries from its start
//! (`outstanding`: `{name, note}`) and which a decision that needs them
//! (`needs_materials`) waits for, unless it records its condition.

use crate::case::Case;
use crate::definition::{Actor, Clock, ProcessDefinition};
use crate::error::CaseError;
use egov_kernel::time::Timestamp;
use egov_store::{run, Db};
use std::collections::BTreeMap;

/// The names of the files uploaded to a case for each point they answer,
/// since `since` when given.
async fn answers(
    db: &Db,
    case_id: i64,
    since: Option<Timestamp>,
) -> Result<BTreeMap<String, Vec<String>>, CaseError> {
    let mut r = db.reader().await?;
    let uploads: Vec<(String, String)> = run!(r, |c| sqlx::query_as(
        "SELECT answers_item, name FROM case_attachments WHERE case_id = $1 \
         AND answers_item IS NOT NULL AND ($2 IS NULL OR at >= $2) ORDER BY id"
    )
    .bind(case_id)
    .bind(since)
    .fetch_all(&mut *c)
    .await)?;
    let mut answered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (item, name) in uploads {
        answered.entry(item).or_default().push(name);
    }
    Ok(answered)
}

/// The request a case waits on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRequest {
    pub asked_at: Timestamp,
    /// What is missing, as the handler wrote it, in order.
    pub items: Vec<String>,
    /// The handler's note, if any.
    pub note: Option<String>,
    /// Each point with the names of the files uploaded for it.
    pub answered: BTreeMap<String, Vec<String>>,
}

impl CorrectionRequest {
    /// The points no file answers yet, in order.
    pub fn unanswered(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|i| self.answered.get(*i).is_none_or(Vec::is_empty))
            .map(String::as_str)
            .collect()
    }
}

/// The request for corrections `case` waits on: it stands in a state that
/// stops the clock, which the applicant leaves, entered by a step that
/// named what is missing. None otherwise.
pub async fn open_request(
    db: &Db,
    def: &ProcessDefinition,
    case: &Case,
) -> Result<Option<CorrectionRequest>, CaseError> {
    let waits_on_applicant = case.is_open()
        && def
            .state(&case.state)
            .is_some_and(|s| s.clock == Clock::Paused)
        && !def.actions_for(&case.state, Actor::Applicant).is_empty();
    if !waits_on_applicant {
        return Ok(None);
    }
    let mut r = db.reader().await?;
    let entered: Option<(Timestamp, String)> = run!(r, |c| sqlx::query_as(
        "SELECT at, fields FROM case_events WHERE case_id = $1 AND to_state = $2 \
         AND (from_state IS NULL OR from_state <> to_state) ORDER BY seq DESC LIMIT 1"
    )
    .bind(case.id)
    .bind(&case.state)
    .fetch_optional(&mut *c)
    .await)?;
    let Some((asked_at, fields)) = entered else {
        return Ok(None);
    };
    let fields: serde_json::Value = serde_json::from_str(&fields).unwrap_or_default();
    let items: Vec<String> = fields["missing"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|v| v.as_str().map(str::trim))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if items.is_empty() {
        return Ok(None);
    }
    drop(r);
    let answered = answers(db, case.id, Some(asked_at)).await?;
    Ok(Some(CorrectionRequest {
        asked_at,
        items,
        note: fields["note"].as_str().map(str::to_owned),
        answered,
    }))
}

/// Whether `action` hands a case waiting on corrections back: the
/// applicant's step out of the paused state to one that goes on (not a
/// withdrawal, which ends it).
pub fn hands_back(def: &ProcessDefinition, case: &Case, action: &str) -> bool {
    def.action(action).is_some_and(|a| {
        a.by.contains(&Actor::Applicant)
            && a.from.contains(&case.state)
            && a.to
                .as_deref()
                .and_then(|to| def.state(to))
                .is_some_and(|to| to.id != case.state && !to.terminal)
    })
}

/// A material the applicant owes (容缺) and what has arrived for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    pub name: String,
    /// When it is due, as the guide says (before which decision).
    pub note: String,
    pub files: Vec<String>,
}

/// The materials `case` was accepted without (its `outstanding`), each with
/// the files uploaded for it since.
pub async fn owed(db: &Db, case: &Case) -> Result<Vec<Owed>, CaseError> {
    let listed: Vec<(String, String)> = case.data["outstanding"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match i {
                    serde_json::Value::String(name) => Some((name.clone(), String::new())),
                    other => other["name"].as_str().map(|name| {
                        let note = other["note"].as_str().unwrap_or_default();
                        (name.to_owned(), note.to_owned())
                    }),
                })
                .collect()
        })
        .unwrap_or_default();
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    let mut answered = answers(db, case.id, None).await?;
    Ok(listed
        .into_iter()
        .map(|(name, note)| Owed {
            files: answered.remove(&name).unwrap_or_default(),
            name,
            note,
        })
        .collect())
}

/// The owed materials that have not arrived, by name.
pub fn not_arrived(owed: &[Owed]) -> Vec<&str> {
    owed.iter()
        .filter(|o| o.files.is_empty())
        .map(|o| o.name.as_str())
        .collect()
}
