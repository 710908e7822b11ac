//! The five written notices of a petition (受理告知书, 不予受理告知书, 处理意见书,
//! 复查意见书, 复核意见书) as PDFs. Each is the step that decided it (its
//! time and what the handler wrote) put into the notification template of
//! its kind, which an administrator edits (系统管理 → 通知模板): the same words
//! the petitioner was sent, laid out as an official letter (GB/T 9704)
//! addressed to the petitioner, in the deciding agency's name and under its
//! seal. 复查 and 复核 are decided above the agency, in the name the settings
//! give (`review_authority`).

use crate::record::PetitionRecord;
use crate::settings::Settings;
use egov_calendar::WorkCalendar;
use egov_cases::case::CaseEvent;
use egov_cases::definition::{Actor, ProcessDefinition};
use egov_cases::Case;
use egov_documents::Block;
use egov_kernel::locale::Locale;
use egov_kernel::time::{self, Timestamp};
use egov_store::Db;
use serde_json::Value;

/// A notice: the action that issues it, its notification kind, its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub action: &'static str,
    pub kind: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    /// Decided above the handling agency (复查, 复核).
    pub above: bool,
}

/// The five notices, in the order a petition may come to them.
pub const NOTICES: [Notice; 5] = [
    Notice {
        action: "accept",
        kind: "petition_accepted",
        name: "受理告知书",
        name_en: "Notice of acceptance",
        above: false,
    },
    Notice {
        action: "refuse",
        kind: "petition_refused",
        name: "不予受理告知书",
        name_en: "Notice of refusal",
        above: false,
    },
    Notice {
        action: "answer",
        kind: "petition_answered",
        name: "处理意见书",
        name_en: "Written answer",
        above: false,
    },
    Notice {
        action: "decide_review",
        kind: "petition_reviewed",
        name: "复查意见书",
        name_en: "Review decision",
        above: true,
    },
    Notice {
        action: "decide_recheck",
        kind: "petition_rechecked",
        name: "复核意见书",
        name_en: "Re-review decision",
        above: true,
    },
];

/// The notice of notification kind `kind`.
pub fn notice(kind: &str) -> Option<Notice> {
    NOTICES.into_iter().find(|n| n.kind == kind)
}

/// A notice a petition's steps issued, with the step.
#[derive(Debug, Clone)]
pub struct Issued<'a> {
    pub notice: Notice,
    pub event: &'a CaseEvent,
}

/// The notices the steps of `timeline` issued, in order (each kind once:
/// its latest step).
pub fn issued(timeline: &[CaseEvent]) -> Vec<Issued<'_>> {
    NOTICES
        .into_iter()
        .filter_map(|notice| {
            timeline
                .iter()
                .rev()
                .find(|e| e.action == notice.action)
                .map(|event| Issued { notice, event })
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(transparent)]
    Store(#[from] egov_store::StoreError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
}

fn day(ts: Timestamp) -> String {
    time::beijing(ts).format("%Y-%m-%d").to_string()
}

/// What the template of `issued` is filled with: what the step's handler
/// wrote, and the case's facts as they stood after the step (its due date
/// in the state it came to, the petitioner's time to disagree).
fn params(def: &ProcessDefinition, cal: &WorkCalendar, case: &Case, issued: &Issued<'_>) -> Value {
    let event = issued.event;
    let mut params: serde_json::Map<String, Value> =
        match serde_json::from_str::<Value>(&event.fields) {
            Ok(Value::Object(own)) => own.into_iter().filter(|(_, v)| v.is_string()).collect(),
            _ => serde_json::Map::new(),
        };
    let due = def
        .state(&event.to_state)
        .and_then(|s| s.deadline.as_ref())
        .map(|d| {
            let due = cal.due(time::beijing(event.at), d.amount, d.unit());
            day(time::from_beijing(due.at))
        });
    // As the case stood when the step left it: the petitioner's time to
    // ask for a review (or re-review) runs from then.
    let mut then = case.clone();
    then.state = event.to_state.clone();
    then.state_entered_at = event.at;
    let reply_by = def
        .actions_for(&event.to_state, Actor::Applicant)
        .into_iter()
        .find_map(|a| egov_cases::plan::time_ends(a, &then, cal))
        .map(day);
    params.insert("number".into(), Value::String(case.number.clone()));
    params.insert("title".into(), case.title_param());
    params.insert("due".into(), due.map_or(Value::Null, Value::String));
    params.insert(
        "reply_by".into(),
        reply_by.map_or(Value::Null, Value::String),
    );
    Value::Object(params)
}

/// A notice composed: the documents engine's letter.
pub use egov_documents::Letter;

/// Notice `issued` of petition `case` with its `record`, in the words of
/// its template as it stands.
pub async fn compose(
    db: &Db,
    def: &ProcessDefinition,
    cal: &WorkCalendar,
    case: &Case,
    record: &PetitionRecord,
    issued: &Issued<'_>,
) -> Result<Letter, NoticeError> {
    let templates = egov_notify::templates::current(db).await?;
    let text = templates.render(
        issued.notice.kind,
        Locale::Zh,
        &params(def, cal, case, issued),
    );
    let (issuer, seal) = match issued.notice.above {
        true => (Settings::shipped().review_authority.clone(), None),
        false => {
            let directory = egov_org::directory(db).await?;
            let id = case.handling_department();
            (directory.name_of(id), egov_org::seal(db, id).await?)
        }
    };
    let body = text
        .body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Block::Paragraph(l.to_owned()))
        .collect();
    Ok(Letter {
        issuer,
        number: format!("信访编号：{}", case.number),
        title: text.subject,
        addressee: record.petitioner.name.clone(),
        body,
        date: time::chinese_date(issued.event.at),
        seal,
    })
}
