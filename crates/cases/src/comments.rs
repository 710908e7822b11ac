//! Comments on a case: internal ones for staff, the others visible to the
//! applicant. Each is audited.

use crate::error::{CaseError, Refusal};
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Comment {
    pub id: i64,
    pub case_id: i64,
    pub author: String,
    pub body: String,
    pub internal: bool,
    pub at: Timestamp,
}

pub async fn add(
    db: &Db,
    ctx: &Context,
    case: &crate::Case,
    author_id: Option<i64>,
    body: &str,
    internal: bool,
) -> Result<Comment, CaseError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 4000 {
        return Err(Refusal::CommentLength.into());
    }
    let at = time::now();
    let author = ctx.actor.audit_label();
    let (ctx, case_id, number) = (ctx.clone(), case.id, case.number.clone());
    let (text, author_label) = (body.to_owned(), author.clone());
    let id: i64 = db
        .write(move |tx| {
            Box::pin(async move {
                let id: i64 = tx
                    .fetch_scalar(
                        query(
                            "INSERT INTO case_comments (case_id, author_id, author, body, internal, at) \
                             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        )
                        .bind(case_id)
                        .bind(author_id)
                        .bind(&author_label)
                        .bind(&text)
                        .bind(internal)
                        .bind(at),
                    )
                    .await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "case.comment",
                        object_type: "case",
                        object_id: &number,
                        detail: serde_json::json!({ "comment": id, "internal": internal }),
                    },
                )
                .await?;
                Ok::<_, CaseError>(id)
            })
        })
        .await?;
    Ok(Comment {
        id,
        case_id: case.id,
        author,
        body: body.to_owned(),
        internal,
        at,
    })
}

pub async fn list(db: &Db, case_id: i64, with_internal: bool) -> Result<Vec<Comment>, CaseError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT id, case_id, author, body, internal, at FROM case_comments \
         WHERE case_id = $1 AND (internal = FALSE OR $2) ORDER BY id"
    )
    .bind(case_id)
    .bind(with_internal)
    .fetch_all(&mut *c)
    .await)?)
}
