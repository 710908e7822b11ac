//! Text messages to a phone: queued in the transaction of what they are
//! about (the outbox), then sent through the operator's SMS gateway by a
//! background pass. Without a gateway they stay in the outbox, where an
//! operator can read them (`egov sms outbox`); a demo shows the newest one
//! on the confirmation page.

use egov_kernel::time::{self, Timestamp};
use egov_store::{query, run, Db, StoreError, Tx};
use serde::Serialize;

const MAX_ATTEMPTS: i32 = 5;

pub(crate) async fn queue(tx: &mut Tx, phone: &str, body: &str) -> Result<(), StoreError> {
    tx.execute(
        query("INSERT INTO sms_outbox (phone, body, created_at) VALUES ($1, $2, $3)")
            .bind(phone)
            .bind(body)
            .bind(time::now()),
    )
    .await
    .map(|_| ())?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub phone: String,
    pub body: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// The newest messages, to `phone` only when given.
pub async fn outbox(db: &Db, phone: Option<&str>, limit: i64) -> Result<Vec<Message>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT id, phone, body, created_at, sent_at FROM sms_outbox \
         WHERE ($1 IS NULL OR phone = $1) ORDER BY id DESC LIMIT $2"
    )
    .bind(phone)
    .bind(limit)
    .fetch_all(&mut *c)
    .await)?)
}

/// Sends what waits through the gateway at `url` (a POST of
/// `{"phone": ..., "text": ...}`, any 2xx accepted). Returns how many went.
pub async fn deliver(db: &Db, http: &reqwest::Client, url: &str) -> Result<usize, StoreError> {
    let mut r = db.reader().await?;
    let due: Vec<(i64, String, String, i32)> = run!(r, |c| sqlx::query_as(
        "SELECT id, phone, body, attempts FROM sms_outbox WHERE sent_at IS NULL \
         AND attempts < $1 ORDER BY id LIMIT 100"
    )
    .bind(MAX_ATTEMPTS)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let mut sent = 0;
    for (id, phone, body, attempts) in due {
        // Taken by one node only.
        let claimed = db
            .execute(
                query(
                    "UPDATE sms_outbox SET attempts = attempts + 1 WHERE id = $1 \
                     AND attempts = $2 AND sent_at IS NULL",
                )
                .bind(id)
                .bind(attempts),
            )
            .await?;
        if claimed == 0 {
            continue;
        }
        let outcome = http
            .post(url)
            .json(&serde_json::json!({ "phone": phone, "text": body }))
            .send()
            .await;
        let error = match outcome {
            Ok(res) if res.status().is_success() => None,
            Ok(res) => Some(format!("answered {}", res.status())),
            Err(e) => Some(e.to_string()),
        };
        let recorded = match &error {
            None => query("UPDATE sms_outbox SET sent_at = $1 WHERE id = $2").bind(time::now()),
            Some(e) => query("UPDATE sms_outbox SET last_error = $1 WHERE id = $2")
                .bind(e.chars().take(300).collect::<String>()),
        };
        db.execute(recorded.bind(id)).await?;
        if error.is_none() {
            sent += 1;
        }
    }
    Ok(sent)
}
