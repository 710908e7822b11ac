//! Letters read back: the published ones for anyone (a page of them, one,
//! and each department's answer rate and timeliness), a letter as its
//! handling staff see it (the writer's contact masked), and as its writer
//! follows it by link.

use crate::letter::{Category, Checked, Contact, Mailbox};
use egov_kernel::time::Timestamp;
use egov_store::{run, Db, StoreError};
use serde::Serialize;

const COLUMNS: &str = "SELECT l.id, l.case_id, l.mailbox, l.department_id, l.category, l.subject, \
     l.body, l.writer_id, l.contact, l.consent, l.attempts, l.expires_at, l.written_at, \
     l.published_at FROM mailbox_letters l";

/// A letter's stored row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LetterRow {
    pub id: i64,
    pub case_id: Option<i64>,
    pub mailbox: String,
    pub department_id: i64,
    pub category: String,
    pub subject: String,
    pub body: String,
    pub writer_id: Option<i64>,
    pub contact: String,
    pub consent: bool,
    pub attempts: i32,
    pub expires_at: Option<Timestamp>,
    pub written_at: Timestamp,
    pub published_at: Option<Timestamp>,
}

impl LetterRow {
    pub(crate) fn contact(&self) -> Contact {
        serde_json::from_str(&self.contact).unwrap_or_default()
    }

    /// The letter as it was checked when written.
    pub(crate) fn checked(&self) -> Checked {
        let contact = self.contact();
        Checked {
            mailbox: Mailbox::parse(&self.mailbox),
            category: Category::stored(&self.category),
            subject: self.subject.clone(),
            body: self.body.clone(),
            consent: self.consent,
            phone: contact
                .phone
                .as_deref()
                .and_then(|p| egov_kernel::identifier::MobileNumber::parse(p).ok()),
            contact,
        }
    }
}

/// The row `condition` (on `l.`, one `$1`) picks.
pub(crate) async fn letter_row(
    db: &Db,
    condition: &str,
    value: &str,
) -> Result<Option<LetterRow>, StoreError> {
    let sql = format!("{COLUMNS} WHERE l.{condition}");
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(value)
        .fetch_optional(&mut *c)
        .await)?)
}

/// The letter whose case is `case_id`.
pub(crate) async fn by_case(db: &Db, case_id: i64) -> Result<Option<LetterRow>, StoreError> {
    let sql = format!("{COLUMNS} WHERE l.case_id = $1");
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(case_id)
        .fetch_optional(&mut *c)
        .await)?)
}

/// A published letter with its answer, personal data stripped.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// The case's number.
    pub number: String,
    pub mailbox: String,
    pub category: String,
    pub subject: String,
    pub body: String,
    pub answer: String,
    /// The department that answered.
    pub department_id: i64,
    pub written_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub published_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct PublishedRow {
    number: String,
    mailbox: String,
    category: String,
    published_subject: String,
    published_body: String,
    published_answer: String,
    department_id: i64,
    written_at: Timestamp,
    closed_at: Option<Timestamp>,
    published_at: Timestamp,
}

impl From<PublishedRow> for Published {
    fn from(r: PublishedRow) -> Self {
        Published {
            number: r.number,
            mailbox: r.mailbox,
            category: r.category,
            subject: r.published_subject,
            body: r.published_body,
            answer: r.published_answer,
            department_id: r.department_id,
            written_at: r.written_at,
            answered_at: r.closed_at,
            published_at: r.published_at,
        }
    }
}

const PUBLISHED: &str = "SELECT c.number, l.mailbox, l.category, l.published_subject, \
     l.published_body, l.published_answer, \
     COALESCE(c.assigned_department_id, c.department_id) AS department_id, l.written_at, \
     c.closed_at, l.published_at \
     FROM mailbox_letters l JOIN cases c ON c.id = l.case_id \
     WHERE l.published_at IS NOT NULL";

/// A page of published letters, newest first, with the total.
pub async fn published(
    db: &Db,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Published>, i64), StoreError> {
    let sql = format!("{PUBLISHED} ORDER BY l.published_at DESC, l.id DESC LIMIT $1 OFFSET $2");
    let mut r = db.reader().await?;
    let rows: Vec<PublishedRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *c)
        .await)?;
    let total: i64 = run!(r, |c| sqlx::query_scalar(
        "SELECT published FROM mailbox_totals WHERE id = 1"
    )
    .fetch_one(&mut *c)
    .await)?;
    Ok((rows.into_iter().map(Published::from).collect(), total))
}

/// The published letters numbered `numbers`, in that order (the search's
/// hits), leaving out any withdrawn since.
pub async fn published_numbered(db: &Db, numbers: &[String]) -> Result<Vec<Published>, StoreError> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{PUBLISHED} AND c.number IN ({})",
        egov_store::in_list(1, numbers.len())
    );
    let mut r = db.reader().await?;
    let rows: Vec<PublishedRow> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for n in numbers {
            q = q.bind(n);
        }
        q.fetch_all(&mut *c).await
    })?;
    let mut by_number: std::collections::HashMap<String, Published> = rows
        .into_iter()
        .map(|r| (r.number.clone(), Published::from(r)))
        .collect();
    Ok(numbers.iter().filter_map(|n| by_number.remove(n)).collect())
}

/// Published letters after row `after` in row order, at most `limit`, with
/// the row of the last: for reading them all a page at a time.
pub async fn published_after(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<(Vec<Published>, Option<i64>), StoreError> {
    let mut r = db.reader().await?;
    let ids: Vec<(i64, String)> = run!(r, |c| sqlx::query_as(
        "SELECT l.id, c.number FROM mailbox_letters l JOIN cases c ON c.id = l.case_id \
         WHERE l.published_at IS NOT NULL AND l.id > $1 ORDER BY l.id LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let last = ids.last().map(|(id, _)| *id);
    let numbers: Vec<String> = ids.into_iter().map(|(_, n)| n).collect();
    Ok((published_numbered(db, &numbers).await?, last))
}

/// One published letter.
pub async fn published_letter(db: &Db, number: &str) -> Result<Option<Published>, StoreError> {
    let sql = format!("{PUBLISHED} AND c.number = $1");
    let mut r = db.reader().await?;
    let row: Option<PublishedRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(number)
        .fetch_optional(&mut *c)
        .await)?;
    Ok(row.map(Published::from))
}

/// How a department answers its letters: over the letters it handles.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct DepartmentFigures {
    pub department_id: i64,
    /// Letters taken (confirmed) and handled by the department.
    pub received: i64,
    pub answered: i64,
    /// Answered with no deadline passed on the way.
    pub answered_on_time: i64,
    pub declined: i64,
}

impl DepartmentFigures {
    /// Answered of those that are finished or due, in percent.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.received > 0).then(|| 100.0 * self.answered as f64 / self.received as f64)
    }

    /// Answered in time of those answered, in percent.
    pub fn timeliness(&self) -> Option<f64> {
        (self.answered > 0).then(|| 100.0 * self.answered_on_time as f64 / self.answered as f64)
    }
}

/// Every department's figures, most letters first.
pub async fn figures(db: &Db) -> Result<Vec<DepartmentFigures>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT COALESCE(c.assigned_department_id, c.department_id) AS department_id, \
         COUNT(*) AS received, \
         SUM(CASE WHEN c.state = 'answered' THEN 1 ELSE 0 END) AS answered, \
         SUM(CASE WHEN c.state = 'answered' AND NOT c.overdue THEN 1 ELSE 0 END) \
         AS answered_on_time, \
         SUM(CASE WHEN c.state = 'declined' THEN 1 ELSE 0 END) AS declined \
         FROM cases c WHERE c.process_id = $1 \
         GROUP BY COALESCE(c.assigned_department_id, c.department_id) \
         ORDER BY received DESC, department_id"
    )
    .bind(crate::PROCESS)
    .fetch_all(&mut *c)
    .await)?)
}

/// A letter as its writer follows it by link, or as the staff handling it
/// read it (the contact masked).
#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub case_id: i64,
    pub mailbox: String,
    pub category: String,
    pub subject: String,
    pub body: String,
    pub consent: bool,
    /// Masked.
    pub contact: Contact,
    pub written_at: Timestamp,
    pub published: bool,
}

impl From<LetterRow> for Letter {
    fn from(r: LetterRow) -> Self {
        Letter {
            contact: r.contact().masked(),
            case_id: r.case_id.unwrap_or_default(),
            mailbox: r.mailbox,
            category: r.category,
            subject: r.subject,
            body: r.body,
            consent: r.consent,
            written_at: r.written_at,
            published: r.published_at.is_some(),
        }
    }
}

/// The letter whose follow link carries `follow`.
pub async fn by_follow_link(db: &Db, follow: &str) -> Result<Option<Letter>, StoreError> {
    Ok(letter_row(
        db,
        "follow_hash = $1",
        &egov_identity::secret_digest(follow),
    )
    .await?
    .filter(|r| r.case_id.is_some())
    .map(Letter::from))
}

/// The letter of case `case_id`, for those who may see the case.
pub async fn of_case(db: &Db, case_id: i64) -> Result<Option<Letter>, StoreError> {
    Ok(by_case(db, case_id).await?.map(Letter::from))
}
