//! Writing a letter. Someone signed in writes and the letter is a case at
//! once, theirs to follow on their cases. A writer without an account gives
//! a name and a mobile number: the letter is kept with the digest of a code
//! texted to that number, and becomes a case when the code is entered, with
//! a follow link for the writer. Each step is one transaction with its
//! audit record; once the writer is told the letter was taken, it is stored.

use crate::letter::{Checked, LetterError, NewLetter, Writer};
use crate::reading::LetterRow;
use crate::settings::Settings;
use crate::PROCESS;
use egov_audit::Event;
use egov_calendar::CalendarCache;
use egov_cases::acting::Acting;
use egov_cases::engine::{prepare, NewCase};
use egov_cases::opening::open;
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_identity::secret_digest as digest;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_notify::outbox::{self, Channel};
use egov_store::{query, Db, StoreError, Tx};
use rand::Rng;

/// Why a letter was not written, confirmed or rated; nothing changed (but a
/// wrong code, which counts against the tries left).
#[derive(Debug, thiserror::Error)]
pub enum WritingError {
    #[error(transparent)]
    Letter(#[from] LetterError),
    #[error("no letter awaits this confirmation")]
    NoTicket,
    #[error("the code has expired: write again")]
    Expired,
    #[error("the code is wrong ({0} tries left)")]
    WrongCode(i32),
    #[error("this phone was sent {0} codes in the last hour: try later")]
    TooManyCodes(i64),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error("reading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Process(#[from] egov_cases::RegistryError),
    #[error("the letter has not been answered")]
    NotAnswered,
}

/// Codes a phone is sent in an hour, at most: each costs a text message,
/// and a phone is not to be flooded by someone writing in its name.
const CODES_PER_PHONE_HOUR: i64 = 3;

impl From<sqlx::Error> for WritingError {
    fn from(e: sqlx::Error) -> Self {
        WritingError::Store(e.into())
    }
}

/// A letter taken: its number (the case's) and, for a writer without an
/// account, the secret of their follow link (only its digest is stored).
#[derive(Debug, Clone)]
pub struct Written {
    pub number: String,
    pub follow: Option<String>,
}

/// A guest's letter waiting for the code texted to them.
#[derive(Debug, Clone)]
pub struct AwaitingCode {
    /// In the confirmation page's address; only its digest is stored.
    pub ticket: String,
    pub phone_masked: String,
}

fn code_digest(ticket: &str, code: &str) -> String {
    digest(&format!("{ticket}:{code}"))
}

/// The department row id that receives `letter`'s mailbox.
async fn keeper(db: &Db, letter: &Checked) -> Result<(i64, String), WritingError> {
    let directory = egov_org::directory(db).await?;
    let code = letter.mailbox.keeper(Settings::shipped());
    let department = directory
        .by_code(code)
        .ok_or_else(|| LetterError::NoMailbox(letter.mailbox.as_str().to_owned()))?;
    Ok((department.id, department.name.clone()))
}

/// Writes `letter` for the signed-in `user_id`: a case at once.
pub async fn write_signed_in(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
    user_id: i64,
    letter: NewLetter,
) -> Result<Written, WritingError> {
    let letter = letter.check(Settings::shipped(), Writer::SignedIn { user_id })?;
    let (department_id, department_name) = keeper(db, &letter).await?;
    let calendar = calendar.get(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let opening = prepare(
        &calendar,
        Acting::Applicant {
            user_id,
            enterprise_id: None,
        },
        new_case(
            &def,
            department_id,
            &department_name,
            Some(user_id),
            &letter,
        ),
    )?;
    let ctx = ctx.clone();
    let number = db
        .write(move |tx| {
            Box::pin(async move {
                let case = open(tx, &ctx, opening).await?;
                let stored = Stored::Case {
                    case_id: case.id,
                    follow_hash: None,
                };
                store(tx, &letter, department_id, Some(user_id), stored).await?;
                audit(tx, &ctx, "mailbox.written", &case.number, &letter).await?;
                Ok::<_, WritingError>(case.number)
            })
        })
        .await?;
    Ok(Written {
        number,
        follow: None,
    })
}

/// Takes in `letter` on its writer's behalf, as a letter that came by post
/// is registered: the writer has no account here and confirms nothing (the
/// paper is the letter); they get the follow link, as a writer who
/// confirmed their phone does.
pub async fn write_received(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
    letter: NewLetter,
) -> Result<Written, WritingError> {
    let letter = letter.check(Settings::shipped(), Writer::Guest)?;
    let (department_id, department_name) = keeper(db, &letter).await?;
    let calendar = calendar.get(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let opening = prepare(
        &calendar,
        Acting::Platform,
        new_case(&def, department_id, &department_name, None, &letter),
    )?;
    let follow = egov_identity::random_secret();
    let follow_hash = digest(&follow);
    let ctx = ctx.clone();
    let number = db
        .write(move |tx| {
            Box::pin(async move {
                let case = open(tx, &ctx, opening).await?;
                let stored = Stored::Case {
                    case_id: case.id,
                    follow_hash: Some(follow_hash),
                };
                store(tx, &letter, department_id, None, stored).await?;
                audit(tx, &ctx, "mailbox.written", &case.number, &letter).await?;
                Ok::<_, WritingError>(case.number)
            })
        })
        .await?;
    Ok(Written {
        number,
        follow: Some(follow),
    })
}

/// Keeps `letter` of a writer without an account until they enter the code
/// texted to the mobile number they gave ([`confirm`]).
pub async fn write_as_guest(
    db: &Db,
    ctx: &Context,
    letter: NewLetter,
) -> Result<AwaitingCode, WritingError> {
    let settings = Settings::shipped();
    let letter = letter.check(settings, Writer::Guest)?;
    let (department_id, department_name) = keeper(db, &letter).await?;
    let phone = letter.phone.clone().ok_or(LetterError::ContactMissing)?;
    let phone_masked = phone.masked();
    let mut r = db.reader().await?;
    let lately: i64 = egov_store::run!(r, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM mailbox_letters WHERE code_phone = $1 AND written_at > $2"
    )
    .bind(phone.as_str())
    .bind(time::now() - chrono::Duration::hours(1))
    .fetch_one(&mut *c)
    .await)?;
    drop(r);
    if lately >= CODES_PER_PHONE_HOUR {
        return Err(WritingError::TooManyCodes(lately));
    }
    let ticket = egov_identity::random_secret();
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let expires_at = time::now() + chrono::Duration::minutes(settings.confirmation.minutes);
    let stored = Stored::AwaitingCode {
        phone: phone.as_str().to_owned(),
        ticket_hash: digest(&ticket),
        code_hash: code_digest(&ticket, &code),
        expires_at,
    };
    let text = format!(
        "您正在向{}写信，验证码 {code}，{} 分钟内有效。如非本人操作，请忽略。",
        mailbox_name(&letter, &department_name),
        settings.confirmation.minutes
    );
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let id = store(tx, &letter, department_id, None, stored).await?;
            outbox::queue_text(tx, Channel::Sms, phone.as_str(), "", &text).await?;
            audit(tx, &ctx, "mailbox.awaiting_code", &id.to_string(), &letter).await?;
            Ok::<_, WritingError>(())
        })
    })
    .await?;
    Ok(AwaitingCode {
        ticket,
        phone_masked,
    })
}

/// Confirms the guest's letter waiting under `ticket` with the texted
/// `code`: the letter becomes a case, and the writer gets a follow link,
/// texted to them too (on `site`, the platform's address), so a closed
/// page does not lose the letter.
pub async fn confirm(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
    ticket: &str,
    code: &str,
    site: &str,
) -> Result<Written, WritingError> {
    let settings = Settings::shipped();
    let waiting = awaiting(db, ticket).await?.ok_or(WritingError::NoTicket)?;
    let calendar = calendar.get(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let letter = waiting.letter;
    let (_, department_name) = keeper(db, &letter).await?;
    let opening = prepare(
        &calendar,
        Acting::Platform,
        new_case(&def, waiting.department_id, &department_name, None, &letter),
    )?;
    let follow = egov_identity::random_secret();
    let follow_hash = digest(&follow);
    let (ctx, id, site) = (
        ctx.clone(),
        waiting.id,
        site.trim_end_matches('/').to_owned(),
    );
    let texted = follow.clone();
    let ticket_hash = digest(ticket);
    let entered = code_digest(ticket, code.trim());
    let most = settings.confirmation.attempts;
    let tried = db
        .write(move |tx| {
            Box::pin(async move {
                // The try is claimed before the code is compared, in the
                // transaction that decides it: tries sent together cannot
                // all slip under the limit.
                let claimed: Option<(String, i32)> = tx
                    .fetch_optional(
                        query(
                            "UPDATE mailbox_letters SET attempts = attempts + 1 \
                             WHERE ticket_hash = $1 AND case_id IS NULL AND expires_at > $2 \
                             AND attempts < $3 RETURNING code_hash, attempts",
                        )
                        .bind(&ticket_hash)
                        .bind(time::now())
                        .bind(most),
                    )
                    .await?;
                let Some((code_hash, attempts)) = claimed else {
                    return Err(WritingError::Expired);
                };
                if code_hash != entered {
                    egov_audit::append(
                        tx,
                        &ctx,
                        Event {
                            action: "mailbox.wrong_code",
                            object_type: "mailbox_letter",
                            object_id: &id.to_string(),
                            detail: serde_json::json!({ "attempts": attempts }),
                        },
                    )
                    .await?;
                    // Committed: the wrong try counts.
                    return Ok(Err(WritingError::WrongCode((most - attempts).max(0))));
                }
                let case = open(tx, &ctx, opening).await?;
                tx.execute(
                    query(
                        "UPDATE mailbox_letters SET case_id = $1, follow_hash = $2, \
                         ticket_hash = NULL, code_hash = NULL WHERE id = $3",
                    )
                    .bind(case.id)
                    .bind(&follow_hash)
                    .bind(id),
                )
                .await?;
                if let Some(phone) = &letter.contact.phone {
                    let text = format!(
                        "您的来信已提交，编号{}。查看办理进度和答复：{site}/mailbox/follow/{texted}",
                        case.number
                    );
                    outbox::queue_text(tx, Channel::Sms, phone, "", &text).await?;
                }
                audit(tx, &ctx, "mailbox.written", &case.number, &letter).await?;
                Ok(Ok(case.number))
            })
        })
        .await?;
    Ok(Written {
        number: tried?,
        follow: Some(follow),
    })
}

/// How long an unconfirmed letter is kept after its code expired: the
/// writer's words and contact are not kept for a letter never sent.
const UNCONFIRMED_KEPT: chrono::Duration = chrono::Duration::days(1);

/// Deletes the letters whose code expired unconfirmed more than a day ago;
/// answers how many. Run hourly by the server.
pub async fn sweep(db: &Db) -> Result<u64, WritingError> {
    let before = time::now() - UNCONFIRMED_KEPT;
    Ok(db
        .execute(
            query("DELETE FROM mailbox_letters WHERE case_id IS NULL AND expires_at < $1")
                .bind(before),
        )
        .await?)
}

/// The phone a waiting letter's code went to, if the ticket is one: for
/// the confirmation page (which masks it).
pub async fn awaiting_phone(db: &Db, ticket: &str) -> Result<Option<String>, WritingError> {
    Ok(awaiting(db, ticket)
        .await?
        .and_then(|w| w.letter.contact.phone))
}

/// The mailbox in words: 市长信箱, or the department's name and 信箱.
fn mailbox_name(letter: &Checked, department_name: &str) -> String {
    match &letter.mailbox {
        crate::Mailbox::Mayor => crate::letter::MAYOR_MAILBOX.to_owned(),
        crate::Mailbox::Department(_) => format!("{department_name}信箱"),
    }
}

fn new_case<'a>(
    def: &'a egov_cases::definition::ProcessDefinition,
    department_id: i64,
    department_name: &str,
    applicant_id: Option<i64>,
    letter: &Checked,
) -> NewCase<'a> {
    let mut new = NewCase::new(def, department_id, &letter.subject);
    new.applicant_id = applicant_id;
    let settings = Settings::shipped();
    // In words, as the case page shows them (the mailbox's web part gives
    // their English).
    new.data = serde_json::json!({
        "mailbox": mailbox_name(letter, department_name),
        "category": settings
            .category(letter.category.as_str())
            .map_or(letter.category.as_str(), |c| c.name.as_str()),
        "subject": letter.subject,
        "body": letter.body,
    });
    new
}

/// Where a letter stands when stored.
enum Stored {
    Case {
        case_id: i64,
        /// The digest of the writer's follow link, for a writer without an
        /// account.
        follow_hash: Option<String>,
    },
    AwaitingCode {
        phone: String,
        ticket_hash: String,
        code_hash: String,
        expires_at: Timestamp,
    },
}

async fn store(
    tx: &mut Tx,
    letter: &Checked,
    department_id: i64,
    writer_id: Option<i64>,
    stored: Stored,
) -> Result<i64, StoreError> {
    let (case_id, follow_hash, phone, ticket_hash, code_hash, expires_at) = match stored {
        Stored::Case {
            case_id,
            follow_hash,
        } => (Some(case_id), follow_hash, None, None, None, None),
        Stored::AwaitingCode {
            phone,
            ticket_hash,
            code_hash,
            expires_at,
        } => (
            None,
            None,
            Some(phone),
            Some(ticket_hash),
            Some(code_hash),
            Some(expires_at),
        ),
    };
    tx.fetch_scalar(
        query(
            "INSERT INTO mailbox_letters (case_id, mailbox, department_id, category, subject, \
             body, writer_id, contact, consent, follow_hash, code_phone, ticket_hash, code_hash, \
             expires_at, written_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             RETURNING id",
        )
        .bind(case_id)
        .bind(letter.mailbox.as_str().to_owned())
        .bind(department_id)
        .bind(letter.category.as_str().to_owned())
        .bind(letter.subject.clone())
        .bind(letter.body.clone())
        .bind(writer_id)
        .bind(serde_json::to_string(&letter.contact).expect("a contact serialises"))
        .bind(letter.consent)
        .bind(follow_hash)
        .bind(phone)
        .bind(ticket_hash)
        .bind(code_hash)
        .bind(expires_at)
        .bind(time::now()),
    )
    .await
}

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    object_id: &str,
    letter: &Checked,
) -> Result<(), StoreError> {
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "mailbox_letter",
            object_id,
            detail: serde_json::json!({
                "mailbox": letter.mailbox.as_str(),
                "category": letter.category.as_str(),
                "consent": letter.consent,
            }),
        },
    )
    .await
}

/// A guest's letter waiting for its code.
struct Waiting {
    id: i64,
    department_id: i64,
    letter: Checked,
}

async fn awaiting(db: &Db, ticket: &str) -> Result<Option<Waiting>, WritingError> {
    let row = crate::reading::letter_row(db, "ticket_hash = $1", &digest(ticket)).await?;
    let most = Settings::shipped().confirmation.attempts;
    let live = |r: &LetterRow| {
        r.case_id.is_none() && r.expires_at.is_some_and(|t| t > time::now()) && r.attempts < most
    };
    let Some(row) = row.filter(live) else {
        return Ok(None);
    };
    Ok(Some(Waiting {
        id: row.id,
        department_id: row.department_id,
        letter: row.checked(),
    }))
}
