//! The in-site message centre (站内信): what each person has been told,
//! read or not. A message keeps its kind and the event's values, and is
//! worded when it is read, in the reader's language.

use crate::note::{Channel, Note, Recipient};
use crate::templates::Templates;
use crate::NotifyError;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::{Context, Locale};
use egov_store::{query, run, Db, StoreError, Tx};
use serde::Serialize;

/// Tells every recipient, inside the transaction of what happened: a
/// message each, and a row in the outbox per channel they have. Someone
/// named twice is told once.
pub async fn post(tx: &mut Tx, recipients: &[Recipient], note: &Note) -> Result<(), StoreError> {
    post_all(tx, &[(recipients, note)]).await
}

/// Rows of messages written by one statement (five values each, well
/// under either engine's limit of bound values).
const MESSAGES_PER_STATEMENT: usize = 500;

/// [`post`] for several notes at once: the messages of all of them go in
/// with as few statements as fit (a supervision scan raising hundreds of
/// cards is one round trip on PostgreSQL, not hundreds).
pub async fn post_all(tx: &mut Tx, notes: &[(&[Recipient], &Note)]) -> Result<(), StoreError> {
    let now = time::now();
    let params: Vec<String> = notes.iter().map(|(_, n)| n.params.to_string()).collect();
    // (recipient, which note)
    let mut rows: Vec<(i64, usize)> = Vec::new();
    for (i, (recipients, note)) in notes.iter().enumerate() {
        let mut told = std::collections::BTreeSet::new();
        for r in recipients.iter().filter(|r| told.insert(r.user_id)) {
            rows.push((r.user_id, i));
            let channels = [(Channel::Email, &r.email), (Channel::Sms, &r.phone)];
            for (channel, address) in channels {
                if let Some(address) = address {
                    crate::outbox::queue_note(
                        tx, channel, address, r.locale, note, &params[i], now,
                    )
                    .await?;
                }
            }
        }
    }
    for chunk in rows.chunks(MESSAGES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO messages (user_id, kind, params, link, created_at) VALUES {}",
            egov_store::values(chunk.len(), 5)
        );
        let insert = chunk.iter().fold(query(&sql), |q, &(user_id, i)| {
            q.bind(user_id)
                .bind(&notes[i].1.kind)
                .bind(&params[i])
                .bind(&notes[i].1.link)
                .bind(now)
        });
        tx.execute(insert).await?;
    }
    Ok(())
}

/// A message as its reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

/// The reader's messages, newest first, `limit` of them older than
/// `before` (a message id) when given; unread ones only if asked.
pub async fn list(
    db: &Db,
    templates: &Templates,
    user_id: i64,
    locale: Locale,
    unread_only: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    let mut r = db.reader().await?;
    let rows: Vec<(i64, String, String, String, Timestamp, Option<Timestamp>)> =
        run!(r, |c| sqlx::query_as(
            "SELECT id, kind, params, link, created_at, read_at FROM messages \
             WHERE user_id = $1 AND ($2 = FALSE OR read_at IS NULL) \
             AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
        )
        .bind(user_id)
        .bind(unread_only)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, params, link, created_at, read_at)| {
            let params: serde_json::Value = serde_json::from_str(&params).unwrap_or_default();
            let text = templates.render(&kind, locale, &params);
            Message {
                id,
                kind,
                subject: text.subject,
                body: text.body,
                link,
                created_at,
                read_at,
            }
        })
        .collect())
}

/// How many of the reader's messages are unread.
pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM messages WHERE user_id = $1 AND read_at IS NULL"
    )
    .bind(user_id)
    .fetch_one(&mut *c)
    .await)?)
}

/// The reader has read one of their messages; answers its link. Reading
/// it again changes nothing.
pub async fn mark_read(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    message_id: i64,
) -> Result<String, NotifyError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let link: Option<(String, Option<Timestamp>)> = tx
                .fetch_optional(
                    query("SELECT link, read_at FROM messages WHERE id = $1 AND user_id = $2")
                        .bind(message_id)
                        .bind(user_id),
                )
                .await?;
            let Some((link, read_at)) = link else {
                return Err(NotifyError::NotFound);
            };
            if read_at.is_none() {
                tx.execute(
                    query("UPDATE messages SET read_at = $1 WHERE id = $2")
                        .bind(time::now())
                        .bind(message_id),
                )
                .await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "message.read",
                        object_type: "message",
                        object_id: &message_id.to_string(),
                        detail: serde_json::json!({}),
                    },
                )
                .await?;
            }
            Ok(link)
        })
    })
    .await
}

/// The reader has read everything; answers how many were unread.
pub async fn mark_all_read(db: &Db, ctx: &Context, user_id: i64) -> Result<u64, NotifyError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE messages SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                    )
                    .bind(time::now())
                    .bind(user_id),
                )
                .await?;
            if n > 0 {
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "message.read_all",
                        object_type: "user",
                        object_id: &user_id.to_string(),
                        detail: serde_json::json!({ "count": n }),
                    },
                )
                .await?;
            }
            Ok(n)
        })
    })
    .await
}
