//! The result of a decided application: a document naming the item, the
//! applicant, the decision, its date and number, with a verification code
//! that a public page checks. Issued once per case; a forged code finds
//! nothing.

use crate::pdf::{self, Line};
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use rand::Rng;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ResultDocument {
    pub case_id: i64,
    pub code: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    pub applicant_name: String,
    pub decision: String,
    pub approved: bool,
    pub decided_at: Timestamp,
    pub issued_at: Timestamp,
}

/// What a decided case's document says.
pub struct Decided<'a> {
    pub case_id: i64,
    pub case_number: &'a str,
    pub item_code: &'a str,
    pub item_name: &'a str,
    pub applicant_name: &'a str,
    pub decision: &'a str,
    pub approved: bool,
    pub decided_at: Timestamp,
}

/// Letters and digits that cannot be misread for one another.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh code: 16 characters in groups of four (80 bits).
fn new_code() -> String {
    let mut rng = rand::thread_rng();
    let chars: Vec<char> = (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as people type it: any case, spaces or dashes anywhere.
pub fn normalise(code: &str) -> String {
    let plain: Vec<char> = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    plain
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

const COLUMNS: &str = "SELECT case_id, code, case_number, item_code, item_name, applicant_name, \
     decision, approved, decided_at, issued_at FROM result_documents";

/// The case's document, issued now if it has none yet.
pub async fn issue(db: &Db, ctx: &Context, d: &Decided<'_>) -> Result<ResultDocument, StoreError> {
    if let Some(doc) = of_case(db, d.case_id).await? {
        return Ok(doc);
    }
    let code = new_code();
    let ctx = ctx.clone();
    let (case_id, approved, decided_at) = (d.case_id, d.approved, d.decided_at);
    let [case_number, item_code, item_name, applicant_name, decision] = [
        d.case_number,
        d.item_code,
        d.item_name,
        d.applicant_name,
        d.decision,
    ]
    .map(str::to_owned);
    db.write(move |tx| {
        Box::pin(async move {
            let inserted = tx
                .execute(
                    query(
                        "INSERT INTO result_documents (case_id, code, case_number, item_code, \
                         item_name, applicant_name, decision, approved, decided_at, issued_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (case_id) DO NOTHING",
                    )
                    .bind(case_id)
                    .bind(&code)
                    .bind(&case_number)
                    .bind(&item_code)
                    .bind(&item_name)
                    .bind(&applicant_name)
                    .bind(&decision)
                    .bind(approved)
                    .bind(decided_at)
                    .bind(time::now()),
                )
                .await?;
            if inserted == 1 {
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "result.issue",
                        object_type: "case",
                        object_id: &case_number,
                        detail: serde_json::json!({ "item": item_code, "decision": decision }),
                    },
                )
                .await?;
            }
            Ok::<_, StoreError>(())
        })
    })
    .await?;
    Ok(of_case(db, d.case_id)
        .await?
        .expect("issued in this call or by another"))
}

pub async fn of_case(db: &Db, case_id: i64) -> Result<Option<ResultDocument>, StoreError> {
    let mut r = db.reader().await?;
    let sql = format!("{COLUMNS} WHERE case_id = $1");
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(case_id)
        .fetch_optional(&mut *c)
        .await)?)
}

/// The document a code belongs to, if any.
pub async fn verify(db: &Db, code: &str) -> Result<Option<ResultDocument>, StoreError> {
    let code = normalise(code);
    if code.len() != 19 {
        return Ok(None);
    }
    let mut r = db.reader().await?;
    let sql = format!("{COLUMNS} WHERE code = $1");
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(&code)
        .fetch_optional(&mut *c)
        .await)?)
}

/// The document as a PDF. `local_date` is the decision's date in Beijing.
pub fn render(doc: &ResultDocument, local_date: &str, verify_at: &str) -> Vec<u8> {
    let line = |size, text: String| Line { size, text };
    pdf::document(
        &format!("{}：{}", doc.item_name, doc.decision),
        &[
            line(20, "北京市政务服务办理结果通知书".into()),
            line(12, format!("事项：{}", doc.item_name)),
            line(12, format!("事项编码：{}", doc.item_code)),
            line(12, format!("申请人：{}", doc.applicant_name)),
            line(12, format!("办理结果：{}", doc.decision)),
            line(12, format!("文号：{}", doc.case_number)),
            line(12, format!("决定日期：{local_date}")),
            line(12, format!("核验码：{}", doc.code)),
            line(10, format!("核验方式：访问 {verify_at} 输入核验码")),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let c = new_code();
        assert_eq!(c.len(), 19);
        assert!(c
            .chars()
            .all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8))));
        assert_eq!(normalise(&c.to_lowercase().replace('-', " ")), c);
        assert_ne!(new_code(), c);
    }
}
