//! Publishing an answered letter, where its writer agreed: the mailbox
//! proposes the letter and its answer with personal data replaced
//! ([`draft`]); the staff member reads and edits it; and [`publish`] checks
//! the texts again and refuses any that still hold personal data, so what
//! goes public never rests on a reading by hand alone.

use crate::reading::{by_case, LetterRow};
use crate::redact::{self, Kind, Known};
use egov_audit::Event;
use egov_cases::case::{by_number, timeline, Case};
use egov_cases::CaseError;
use egov_kernel::time;
use egov_kernel::Context;
use egov_store::{query, Db, StoreError};
use serde::Serialize;

/// Why a letter was not published; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("no letter {0}")]
    NoLetter(String),
    #[error("the letter has not been answered")]
    NotAnswered,
    #[error("the writer did not agree to publication")]
    NoConsent,
    #[error("the letter is published already")]
    Published,
    #[error("the letter is not published")]
    NotPublished,
    #[error("say why the publication is withdrawn")]
    NoReason,
    #[error("the {0} is empty")]
    Empty(&'static str),
    #[error("the {0} is longer than {1} characters")]
    TooLong(&'static str, usize),
    #[error("personal data remains: {}", .0.iter().map(|k| k.label_en()).collect::<Vec<_>>().join(", "))]
    PersonalData(Vec<Kind>),
    #[error("reading the writer's account")]
    Account(#[source] egov_identity::IdentityError),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The longest published subject, and letter or answer, in characters.
const SUBJECT_MAX: usize = 100;
const TEXT_MAX: usize = 5000;

/// The three texts that go public.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Texts {
    pub subject: String,
    pub body: String,
    pub answer: String,
}

/// What is proposed for publication, and what was replaced to make it.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub texts: Texts,
    pub replaced: Vec<Kind>,
}

/// The answered letter `number`, its case and its answer.
async fn answered(db: &Db, number: &str) -> Result<(Case, LetterRow, String), PublishError> {
    let case = match by_number(db, number).await {
        Ok(c) if c.process_id == crate::PROCESS => c,
        Ok(_) | Err(CaseError::NotFound) => return Err(PublishError::NoLetter(number.into())),
        Err(e) => return Err(e.into()),
    };
    let letter = by_case(db, case.id)
        .await?
        .ok_or_else(|| PublishError::NoLetter(number.into()))?;
    if case.state != "answered" {
        return Err(PublishError::NotAnswered);
    }
    let answer = timeline(db, case.id)
        .await?
        .into_iter()
        .rev()
        .find(|e| e.action == "answer")
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.fields).ok())
        .and_then(|fields| fields["answer"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok((case, letter, answer))
}

/// The writer's own details, found wherever they appear: what they gave
/// with the letter and, signed in, their account's name and phone.
async fn known(db: &Db, letter: &LetterRow) -> Result<Known, PublishError> {
    let c = letter.contact();
    let mut known = Known {
        names: [c.name].into_iter().filter(|n| !n.is_empty()).collect(),
        phones: c.phone.into_iter().collect(),
        emails: c.email.into_iter().collect(),
        addresses: c.address.into_iter().collect(),
    };
    if let Some(id) = letter.writer_id {
        let account = egov_identity::get_user(db, id)
            .await
            .map_err(PublishError::Account)?;
        known.names.push(account.display_name);
        // An ID number is found by its form and check digit anyway.
        known.phones.extend(account.phone);
    }
    Ok(known)
}

/// The letter `number` and its answer as proposed for publication.
pub async fn draft(db: &Db, number: &str) -> Result<Draft, PublishError> {
    let (_, letter, answer) = answered(db, number).await?;
    let known = known(db, &letter).await?;
    let mut replaced = Vec::new();
    let mut clean = |text: &str| {
        for f in redact::find(text, &known) {
            if !replaced.contains(&f.kind) {
                replaced.push(f.kind);
            }
        }
        redact::redact(text, &known)
    };
    let texts = Texts {
        subject: clean(&letter.subject),
        body: clean(&letter.body),
        answer: clean(&answer),
    };
    Ok(Draft { texts, replaced })
}

/// Publishes letter `number` with `texts` (the caller has checked that they
/// are staff of the department that answered it): only an answered letter
/// whose writer agreed, and only texts in which no personal data is found.
pub async fn publish(
    db: &Db,
    ctx: &Context,
    number: &str,
    published_by: Option<i64>,
    texts: Texts,
) -> Result<(), PublishError> {
    let (case, letter, _) = answered(db, number).await?;
    if !letter.consent {
        return Err(PublishError::NoConsent);
    }
    if letter.published_at.is_some() {
        return Err(PublishError::Published);
    }
    let texts = Texts {
        subject: texts.subject.trim().to_owned(),
        body: texts.body.trim().to_owned(),
        answer: texts.answer.trim().to_owned(),
    };
    for (name, text, most) in [
        ("subject", &texts.subject, SUBJECT_MAX),
        ("letter", &texts.body, TEXT_MAX),
        ("answer", &texts.answer, TEXT_MAX),
    ] {
        if text.is_empty() {
            return Err(PublishError::Empty(name));
        }
        if text.chars().count() > most {
            return Err(PublishError::TooLong(name, most));
        }
    }
    let known = known(db, &letter).await?;
    let mut found: Vec<Kind> = Vec::new();
    for text in [&texts.subject, &texts.body, &texts.answer] {
        for f in redact::find(text, &known) {
            if !found.contains(&f.kind) {
                found.push(f.kind);
            }
        }
    }
    if !found.is_empty() {
        return Err(PublishError::PersonalData(found));
    }
    let (ctx, id, number) = (ctx.clone(), letter.id, case.number.clone());
    db.write(move |tx| {
        Box::pin(async move {
            let done = tx
                .execute(
                    query(
                        "UPDATE mailbox_letters SET published_at = $1, published_subject = $2, \
                         published_body = $3, published_answer = $4, published_by = $5, \
                         withdrawn_at = NULL, withdrawn_reason = NULL \
                         WHERE id = $6 AND published_at IS NULL",
                    )
                    .bind(time::now())
                    .bind(&texts.subject)
                    .bind(&texts.body)
                    .bind(&texts.answer)
                    .bind(published_by)
                    .bind(id),
                )
                .await?;
            if done == 0 {
                return Err(PublishError::Published);
            }
            tx.execute(query(
                "UPDATE mailbox_totals SET published = published + 1 WHERE id = 1",
            ))
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "mailbox.published",
                    object_type: "mailbox_letter",
                    object_id: &number,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

/// Withdraws the publication of letter `number` with `reason` (personal
/// data found in it after all, say), for staff of the department that
/// answered it (the caller has checked their role): it leaves the public
/// pages and the search; the texts stay with the letter, with the reason.
pub async fn withdraw(
    db: &Db,
    ctx: &Context,
    number: &str,
    reason: &str,
) -> Result<(), PublishError> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(PublishError::NoReason);
    }
    if reason.chars().count() > TEXT_MAX {
        return Err(PublishError::TooLong("reason", TEXT_MAX));
    }
    let (_, letter, _) = answered(db, number).await?;
    if letter.published_at.is_none() {
        return Err(PublishError::NotPublished);
    }
    let (ctx, id, number) = (ctx.clone(), letter.id, number.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let done = tx
                .execute(
                    query(
                        "UPDATE mailbox_letters SET published_at = NULL, withdrawn_at = $1, \
                         withdrawn_reason = $2 WHERE id = $3 AND published_at IS NOT NULL",
                    )
                    .bind(time::now())
                    .bind(&reason)
                    .bind(id),
                )
                .await?;
            if done == 0 {
                return Err(PublishError::NotPublished);
            }
            tx.execute(query(
                "UPDATE mailbox_totals SET published = published - 1 WHERE id = 1",
            ))
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "mailbox.withdrawn",
                    object_type: "mailbox_letter",
                    object_id: &number,
                    detail: serde_json::json!({ "reason": reason }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}
