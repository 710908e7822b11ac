//! The demonstration letters (`data/mailbox/demo.toml`): taken in as
//! letters that came by post, handed on where the matter is another
//! department's, answered (or not yet), rated and, where the writer agreed,
//! published through the same checked step as any other.

use crate::following;
use crate::letter::{Contact, Mailbox, NewLetter};
use crate::publishing;
use crate::settings::Settings;
use crate::writing::{self, WritingError};
use egov_cases::acting::Acting;
use egov_cases::case::by_number;
use egov_cases::engine::act;
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::Context;
use egov_store::{run, Db};
use serde::Deserialize;

const DEMO: &str = include_str!("../../../data/mailbox/demo.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    letter: Vec<DemoLetter>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLetter {
    mailbox: String,
    category: String,
    subject: String,
    body: String,
    name: String,
    phone: String,
    consent: bool,
    /// The department that answers it.
    department: String,
    answer: Option<String>,
    grade: Option<i16>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demonstration letters do not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("no department '{0}'")]
    Department(String),
    #[error(transparent)]
    Writing(#[from] WritingError),
    #[error(transparent)]
    Publishing(#[from] publishing::PublishError),
    #[error(transparent)]
    Case(#[from] CaseError),
}

impl From<egov_store::StoreError> for DemoError {
    fn from(e: egov_store::StoreError) -> Self {
        DemoError::Writing(e.into())
    }
}

/// Takes in, answers and publishes the demonstration letters, unless the
/// mailboxes hold letters already; answers how many it took in.
pub async fn load(db: &Db, processes: &Processes) -> Result<usize, DemoError> {
    let mut r = db.reader().await?;
    let held: i64 = run!(r, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM mailbox_letters"
    )
    .fetch_one(&mut *c)
    .await)
    .map_err(egov_store::StoreError::from)?;
    drop(r);
    if held > 0 {
        return Ok(0);
    }
    let demo: Demo = toml::from_str(DEMO)?;
    let ctx = Context::system();
    let directory = egov_org::directory(db).await.map_err(WritingError::from)?;
    let kept = egov_calendar::CalendarCache::default();
    let calendar = kept.get(db).await.map_err(WritingError::from)?;
    let def = processes
        .latest(db, crate::PROCESS)
        .await
        .map_err(WritingError::from)?;
    let id_of = |code: &str| {
        directory
            .by_code(code)
            .map(|d| d.id)
            .ok_or_else(|| DemoError::Department(code.to_owned()))
    };
    for l in &demo.letter {
        let written = writing::write_received(
            db,
            &ctx,
            processes,
            &kept,
            NewLetter {
                mailbox: l.mailbox.clone(),
                category: l.category.clone(),
                subject: l.subject.clone(),
                body: l.body.clone(),
                consent: l.consent,
                contact: Contact {
                    name: l.name.clone(),
                    phone: Some(l.phone.clone()),
                    ..Contact::default()
                },
            },
        )
        .await?;
        let keeper = id_of(Mailbox::parse(&l.mailbox).keeper(Settings::shipped()))?;
        let answering = id_of(&l.department)?;
        let case = by_number(db, &written.number).await?;
        let (action, fields) = if answering == keeper {
            ("take", serde_json::json!({}))
        } else {
            (
                "forward",
                serde_json::json!({ "department": l.department, "reason": "属该部门职责" }),
            )
        };
        let case = act(
            db,
            &ctx,
            &calendar,
            &def,
            case.id,
            case.version,
            Acting::Handler {
                department_id: keeper,
            },
            action,
            fields,
        )
        .await?;
        let Some(answer) = &l.answer else { continue };
        act(
            db,
            &ctx,
            &calendar,
            &def,
            case.id,
            case.version,
            Acting::Handler {
                department_id: answering,
            },
            "answer",
            serde_json::json!({ "answer": answer }),
        )
        .await?;
        let follow = written.follow.unwrap_or_default();
        if let Some(grade) = l.grade {
            following::rate(db, &ctx, processes, &kept, &follow, grade, "").await?;
        }
        if l.consent {
            let draft = publishing::draft(db, &written.number).await?;
            publishing::publish(db, &ctx, &written.number, None, draft.texts).await?;
        }
    }
    Ok(demo.letter.len())
}
