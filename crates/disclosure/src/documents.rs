//! Proactive disclosure (主动公开): a department publishes a document
//! (title, document number 文号, date of issue, category, text) to the
//! public list, and may withdraw it with the reason; a withdrawn document
//! leaves the list and the search but its record stays, with who withdrew
//! it, when and why. Each step one transaction with its audit record.

use chrono::NaiveDate;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError, Tx};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const SETTINGS: &str = include_str!("../../../data/disclosure/disclosure.toml");
const TITLE: std::ops::RangeInclusive<usize> = 4..=200;
const NUMBER_MAX: usize = 50;
const BODY: std::ops::RangeInclusive<usize> = 10..=100_000;
const REASON: std::ops::RangeInclusive<usize> = 4..=1000;

/// A category of the public list.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[allow(dead_code)]
    version: u32,
    category: Vec<Category>,
}

/// The categories, as the data file gives them.
pub fn categories() -> &'static [Category] {
    static S: OnceLock<Settings> = OnceLock::new();
    &S.get_or_init(|| toml::from_str(SETTINGS).expect("the shipped disclosure settings parse"))
        .category
}

pub fn category(code: &str) -> Option<&'static Category> {
    categories().iter().find(|c| c.code == code)
}

/// A document as a department submits it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDocument {
    pub title: String,
    #[serde(default)]
    pub doc_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    pub category: String,
    pub body: String,
}

/// Why a document was not published or withdrawn; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the title must be 4 to 200 characters")]
    Title,
    #[error("a document number ends in 号 and is at most 50 characters (e.g. 京政发〔2026〕1号)")]
    DocNumber,
    #[error("the date of issue must be a date (YYYY-MM-DD), not in the future")]
    IssuedOn,
    #[error("no such category")]
    Category,
    #[error("the text must be 10 to 100,000 characters")]
    Body,
    #[error("the department has published a document numbered {0} already")]
    NumberTaken(String),
    #[error("no such document")]
    NotFound,
    #[error("the document was withdrawn already")]
    Withdrawn,
    #[error("say why the document is withdrawn (4 to 1000 characters)")]
    Reason,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DocumentError {
    fn from(e: sqlx::Error) -> Self {
        DocumentError::Store(e.into())
    }
}

impl DocumentError {
    /// The form field the error is about, if one.
    pub fn field(&self) -> Option<&'static str> {
        Some(match self {
            DocumentError::Title => "title",
            DocumentError::DocNumber | DocumentError::NumberTaken(_) => "doc_number",
            DocumentError::IssuedOn => "issued_on",
            DocumentError::Category => "category",
            DocumentError::Body => "body",
            DocumentError::Reason => "reason",
            _ => return None,
        })
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            DocumentError::Title => "标题须为 4 至 200 字".into(),
            DocumentError::DocNumber => {
                "文号以“号”结尾，不超过 50 字（如：京政发〔2026〕1号）".into()
            }
            DocumentError::IssuedOn => "成文日期须为日期（年-月-日），且不晚于今天".into(),
            DocumentError::Category => "请选择公开类别".into(),
            DocumentError::Body => "正文须为 10 至 100000 字".into(),
            DocumentError::NumberTaken(n) => format!("本部门已发布过文号为 {n} 的文件"),
            DocumentError::NotFound => "没有这份文件".into(),
            DocumentError::Withdrawn => "该文件已撤回".into(),
            DocumentError::Reason => "请写明撤回理由（4 至 1000 字）".into(),
            DocumentError::Store(_) => "服务器出错".into(),
        }
    }
}

/// A document checked for publication.
#[derive(Debug, Clone)]
struct Checked {
    title: String,
    doc_number: Option<String>,
    issued_on: NaiveDate,
    category: String,
    body: String,
}

fn length_in(s: &str, range: std::ops::RangeInclusive<usize>) -> bool {
    range.contains(&s.chars().count())
}

impl NewDocument {
    fn check(&self, today: NaiveDate) -> Result<Checked, DocumentError> {
        let title = self.title.trim();
        if !length_in(title, TITLE) {
            return Err(DocumentError::Title);
        }
        let doc_number = self
            .doc_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if doc_number.is_some_and(|n| !n.ends_with('号') || n.chars().count() > NUMBER_MAX) {
            return Err(DocumentError::DocNumber);
        }
        let issued_on = NaiveDate::parse_from_str(self.issued_on.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| *d <= today && d.year_ce().1 >= 1949)
            .ok_or(DocumentError::IssuedOn)?;
        let category = category(self.category.trim()).ok_or(DocumentError::Category)?;
        let body = self.body.trim();
        if !length_in(body, BODY) {
            return Err(DocumentError::Body);
        }
        Ok(Checked {
            title: title.to_owned(),
            doc_number: doc_number.map(str::to_owned),
            issued_on,
            category: category.code.clone(),
            body: body.to_owned(),
        })
    }
}

use chrono::Datelike;

/// A document as kept.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: i64,
    pub department_id: i64,
    pub title: String,
    pub doc_number: Option<String>,
    pub issued_on: NaiveDate,
    pub category: String,
    pub body: String,
    pub published_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
    pub withdrawn_reason: Option<String>,
}

type DocumentRow = (
    i64,
    i64,
    String,
    Option<String>,
    NaiveDate,
    String,
    String,
    Timestamp,
    Option<Timestamp>,
    Option<String>,
);

fn document(r: DocumentRow) -> Document {
    Document {
        id: r.0,
        department_id: r.1,
        title: r.2,
        doc_number: r.3,
        issued_on: r.4,
        category: r.5,
        body: r.6,
        published_at: r.7,
        withdrawn_at: r.8,
        withdrawn_reason: r.9,
    }
}

const COLUMNS: &str = "SELECT id, department_id, title, doc_number, issued_on, category, body, \
     published_at, withdrawn_at, withdrawn_reason FROM disclosure_documents";

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    id: i64,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "disclosure_document",
            object_id: &id.to_string(),
            detail,
        },
    )
    .await
}

/// The audit actions that change the public list.
pub const CHANGES: &[&str] = &[
    "disclosure.document_published",
    "disclosure.document_withdrawn",
];

/// Publishes `new` as `department_id`'s document, by `user_id` (none for
/// the platform's own, the demonstration); answers its id.
pub async fn publish(
    db: &Db,
    ctx: &Context,
    department_id: i64,
    user_id: Option<i64>,
    new: NewDocument,
) -> Result<i64, DocumentError> {
    let doc = new.check(time::beijing_today())?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            if let Some(n) = &doc.doc_number {
                let taken = tx
                    .fetch_optional_scalar::<i64>(
                        query(
                            "SELECT id FROM disclosure_documents \
                             WHERE department_id = $1 AND doc_number = $2",
                        )
                        .bind(department_id)
                        .bind(n),
                    )
                    .await?;
                if taken.is_some() {
                    return Err(DocumentError::NumberTaken(n.clone()));
                }
            }
            let id: i64 = tx
                .fetch_scalar(
                    query(
                        "INSERT INTO disclosure_documents (department_id, title, doc_number, \
                         issued_on, category, body, published_at, published_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(department_id)
                    .bind(&doc.title)
                    .bind(&doc.doc_number)
                    .bind(doc.issued_on)
                    .bind(&doc.category)
                    .bind(&doc.body)
                    .bind(time::now())
                    .bind(user_id),
                )
                .await
                .map_err(|e| match (e.is_unique_violation(), &doc.doc_number) {
                    // Published meanwhile under the same number (the check
                    // above saw nothing yet).
                    (true, Some(n)) => DocumentError::NumberTaken(n.clone()),
                    _ => e.into(),
                })?;
            tx.execute(query(
                "UPDATE disclosure_totals SET published = published + 1 WHERE id = 1",
            ))
            .await?;
            let detail = serde_json::json!({
                "department_id": department_id,
                "doc_number": doc.doc_number,
                "category": doc.category,
            });
            audit(tx, &ctx, "disclosure.document_published", id, detail).await?;
            Ok(id)
        })
    })
    .await
}

/// Withdraws document `id` of `department_id` with `reason`, by `user_id`.
pub async fn withdraw(
    db: &Db,
    ctx: &Context,
    (department_id, user_id): (i64, Option<i64>),
    id: i64,
    reason: &str,
) -> Result<(), DocumentError> {
    let reason = reason.trim().to_owned();
    if !length_in(&reason, REASON) {
        return Err(DocumentError::Reason);
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let withdrawn: Option<Option<Timestamp>> = tx
                .fetch_optional_scalar(
                    query(
                        "SELECT withdrawn_at FROM disclosure_documents \
                         WHERE id = $1 AND department_id = $2",
                    )
                    .bind(id)
                    .bind(department_id),
                )
                .await?;
            match withdrawn {
                None => return Err(DocumentError::NotFound),
                Some(Some(_)) => return Err(DocumentError::Withdrawn),
                Some(None) => {}
            }
            // Withdrawn meanwhile by someone else: nothing more to change.
            let withdrawn = tx
                .execute(
                    query(
                        "UPDATE disclosure_documents SET withdrawn_at = $1, withdrawn_by = $2, \
                         withdrawn_reason = $3 WHERE id = $4 AND withdrawn_at IS NULL",
                    )
                    .bind(time::now())
                    .bind(user_id)
                    .bind(&reason)
                    .bind(id),
                )
                .await?;
            if withdrawn == 0 {
                return Err(DocumentError::Withdrawn);
            }
            tx.execute(query(
                "UPDATE disclosure_totals SET published = published - 1 WHERE id = 1",
            ))
            .await?;
            let detail = serde_json::json!({ "reason": reason });
            audit(tx, &ctx, "disclosure.document_withdrawn", id, detail).await?;
            Ok(())
        })
    })
    .await
}

/// Document `id`, published or withdrawn.
pub async fn get(db: &Db, id: i64) -> Result<Option<Document>, StoreError> {
    let sql = format!("{COLUMNS} WHERE id = $1");
    let mut r = db.reader().await?;
    let row: Option<DocumentRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    Ok(row.map(document))
}

/// The public list, newest first, from `offset`, with its length.
pub async fn listed(db: &Db, offset: i64, limit: i64) -> Result<(Vec<Document>, i64), StoreError> {
    let sql = format!(
        "{COLUMNS} WHERE withdrawn_at IS NULL ORDER BY published_at DESC, id DESC \
         LIMIT $1 OFFSET $2"
    );
    let mut r = db.reader().await?;
    let rows: Vec<DocumentRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *c)
        .await)?;
    let total: i64 = run!(r, |c| sqlx::query_scalar(
        "SELECT published FROM disclosure_totals WHERE id = 1"
    )
    .fetch_one(&mut *c)
    .await)?;
    Ok((rows.into_iter().map(document).collect(), total))
}

/// Of documents `ids`, those on the public list, in the order given.
pub async fn listed_of(db: &Db, ids: &[i64]) -> Result<Vec<Document>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{COLUMNS} WHERE withdrawn_at IS NULL AND id IN ({})",
        egov_store::in_list(1, ids.len())
    );
    let mut r = db.reader().await?;
    let rows: Vec<DocumentRow> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut *c).await
    })?;
    let mut docs: Vec<Document> = rows.into_iter().map(document).collect();
    docs.sort_by_key(|d| ids.iter().position(|i| *i == d.id));
    Ok(docs)
}

/// The documents on the public list after id `after`, by id, at most
/// `limit` (a fresh search index reads them so).
pub async fn listed_after(db: &Db, after: i64, limit: i64) -> Result<Vec<Document>, StoreError> {
    let sql = format!("{COLUMNS} WHERE withdrawn_at IS NULL AND id > $1 ORDER BY id LIMIT $2");
    let mut r = db.reader().await?;
    let rows: Vec<DocumentRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *c)
        .await)?;
    Ok(rows.into_iter().map(document).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewDocument {
        NewDocument {
            title: "关于印发《2026年政务公开工作要点》的通知".into(),
            doc_number: Some("京政办发〔2026〕3号".into()),
            issued_on: "2026-03-01".into(),
            category: "rules".into(),
            body: "各区人民政府，市政府各委、办、局：现将《2026年政务公开工作要点》印发给你们，请认真贯彻落实。".into(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn a_complete_document_passes() {
        let c = new().check(today()).expect("checked");
        assert_eq!(c.category, "rules");
        assert_eq!(c.issued_on.to_string(), "2026-03-01");
    }

    #[test]
    fn each_fault_is_named() {
        let mut d = new();
        d.doc_number = Some("京政办发〔2026〕3".into());
        assert!(matches!(d.check(today()), Err(DocumentError::DocNumber)));
        let mut d = new();
        d.issued_on = "2027-01-01".into();
        assert!(matches!(d.check(today()), Err(DocumentError::IssuedOn)));
        let mut d = new();
        d.category = "secrets".into();
        assert!(matches!(d.check(today()), Err(DocumentError::Category)));
        let mut d = new();
        d.title = "通知".into();
        assert!(matches!(d.check(today()), Err(DocumentError::Title)));
        let mut d = new();
        d.doc_number = Some("  ".into());
        assert!(d
            .check(today())
            .expect("no number is fine")
            .doc_number
            .is_none());
    }

    #[test]
    fn the_categories_are_distinct() {
        let codes: std::collections::BTreeSet<_> = categories().iter().map(|c| &c.code).collect();
        assert_eq!(codes.len(), categories().len());
    }
}
