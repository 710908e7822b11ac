//! The durable outbox: emails and text messages queued in the transaction
//! of what they are about, sent afterwards by a background pass on every
//! node. A row is claimed by one node (its attempt count moves), sent, and
//! marked sent; a failure is tried again later, each wait twice the last,
//! until it is given up after [`MAX_ATTEMPTS`] and stays for the operator
//! (`egov outbox`).

pub use crate::note::Channel;
use crate::note::Note;
use crate::sender::{Outgoing, Senders};
use crate::templates::Templates;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Locale;
use egov_store::{query, run, Db, StoreError, Tx};
use serde::Serialize;
use std::time::Duration;

/// Tries before a message is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed message is left to its node before another may try.
const CLAIM_LEASE: Duration = Duration::from_secs(300);

pub(crate) async fn queue_note(
    tx: &mut Tx,
    channel: Channel,
    address: &str,
    locale: Locale,
    note: &Note,
    params: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    tx.execute(
        query(
            "INSERT INTO outbox (channel, address, locale, kind, params, link, created_at, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(channel)
        .bind(address)
        .bind(locale.tag())
        .bind(&note.kind)
        .bind(params)
        .bind(&note.link)
        .bind(now),
    )
    .await
    .map(|_| ())
}

/// Queues a text written by the caller (a confirmation code), inside the
/// caller's transaction.
pub async fn queue_text(
    tx: &mut Tx,
    channel: Channel,
    address: &str,
    subject: &str,
    body: &str,
) -> Result<(), StoreError> {
    let now = time::now();
    tx.execute(
        query(
            "INSERT INTO outbox (channel, address, subject, body, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(channel)
        .bind(address)
        .bind(subject)
        .bind(body)
        .bind(now),
    )
    .await
    .map(|_| ())
}

egov_store::row! {
    #[derive(Debug, sqlx::FromRow)]
    struct Row {
        id: i64,
        channel: Channel,
        address: String,
        locale: String,
        kind: Option<String>,
        params: Option<String>,
        link: Option<String>,
        subject: Option<String>,
        body: Option<String>,
        created_at: Timestamp,
        attempts: i32,
        sent_at: Option<Timestamp>,
        failed_at: Option<Timestamp>,
        last_error: Option<String>,
    }
}

const COLUMNS: &str = "SELECT id, channel, address, locale, kind, params, link, subject, body, \
     created_at, attempts, sent_at, failed_at, last_error FROM outbox";

/// A queued message as the operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    pub id: i64,
    pub channel: Channel,
    pub address: String,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
    pub attempts: i32,
    pub sent_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// The words a row goes out with on its channel: a text message's short
/// form, or an email's subject and body with the link to the page.
fn worded(row: &Row, templates: &Templates, public_url: &str) -> (String, String) {
    match &row.kind {
        Some(kind) => {
            let locale = Locale::from_tag(&row.locale).unwrap_or_default();
            let params = row
                .params
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            let text = templates.render(kind, locale, &params);
            match row.channel {
                Channel::Sms => (String::new(), text.sms),
                Channel::Email => {
                    let link = row.link.as_deref().unwrap_or("/");
                    let url = format!("{}{link}", public_url.trim_end_matches('/'));
                    (text.subject, format!("{}\n\n{url}\n", text.body))
                }
            }
        }
        None => (
            row.subject.clone().unwrap_or_default(),
            row.body.clone().unwrap_or_default(),
        ),
    }
}

/// Which queued messages to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    pub channel: Option<Channel>,
    pub address: Option<&'a str>,
    /// Only texts given as they are (codes), not notices.
    pub texts_only: bool,
}

/// The newest `limit` messages that pass `filter`, worded as they go out.
pub async fn list(
    db: &Db,
    templates: &Templates,
    public_url: &str,
    filter: Filter<'_>,
    limit: i64,
) -> Result<Vec<Queued>, StoreError> {
    let Filter {
        channel,
        address,
        texts_only,
    } = filter;
    let mut r = db.reader().await?;
    let sql = format!(
        "{COLUMNS} WHERE ($1 IS NULL OR channel = $1) AND ($2 IS NULL OR address = $2) \
         AND ($4 = FALSE OR kind IS NULL) ORDER BY id DESC LIMIT $3"
    );
    let rows: Vec<Row> = run!(r, |c| sqlx::query_as(&sql)
        .bind(channel.map(Channel::as_str))
        .bind(address)
        .bind(limit)
        .bind(texts_only)
        .fetch_all(&mut *c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (subject, body) = worded(&row, templates, public_url);
            Queued {
                id: row.id,
                channel: row.channel,
                address: row.address,
                subject,
                body,
                created_at: row.created_at,
                attempts: row.attempts,
                sent_at: row.sent_at,
                failed_at: row.failed_at,
                last_error: row.last_error,
            }
        })
        .collect())
}

/// How long to wait after the `attempts`-th failure: 30 s, doubling, at
/// most an hour.
fn backoff(attempts: i32) -> Duration {
    let doubled = 30u64.saturating_mul(1 << attempts.clamp(1, 16).saturating_sub(1));
    Duration::from_secs(doubled.min(3600))
}

fn later(by: Duration) -> Timestamp {
    time::now() + chrono::Duration::from_std(by).expect("a short wait fits")
}

/// Sends what is due through `senders`; a channel with no sender waits.
/// Answers how many went.
pub async fn deliver(
    db: &Db,
    senders: &Senders,
    templates: &Templates,
    public_url: &str,
) -> Result<usize, StoreError> {
    let channels: Vec<&str> = Channel::ALL
        .iter()
        .filter(|c| senders.for_channel(**c).is_some())
        .map(|c| c.as_str())
        .collect();
    if channels.is_empty() {
        return Ok(0);
    }
    let mut r = db.reader().await?;
    let sql = format!(
        "{COLUMNS} WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT 100"
    );
    let due: Vec<Row> = run!(r, |c| sqlx::query_as(&sql)
        .bind(time::now())
        .fetch_all(&mut *c)
        .await)?;
    drop(r);
    let mut sent = 0;
    for row in due {
        let Some(sender) = senders.for_channel(row.channel) else {
            continue;
        };
        // Taken by one node only; another may try again once the lease ends.
        let claimed = db
            .execute(
                query(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1 \
                     WHERE id = $2 AND attempts = $3 AND sent_at IS NULL",
                )
                .bind(later(CLAIM_LEASE))
                .bind(row.id)
                .bind(row.attempts),
            )
            .await?;
        if claimed == 0 {
            continue;
        }
        let (subject, body) = worded(&row, templates, public_url);
        let outgoing = Outgoing {
            channel: row.channel,
            to: &row.address,
            subject: &subject,
            body: &body,
        };
        let attempts = row.attempts + 1;
        let recorded = match sender.send(&outgoing).await {
            Ok(()) => {
                sent += 1;
                query("UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
                    .bind(time::now())
                    .bind(row.id)
            }
            Err(e) => {
                let error = egov_kernel::error::Chain(&e).to_string();
                tracing::warn!(id = row.id, channel = %row.channel, attempts, error, "sending a message");
                let gave_up = (attempts >= MAX_ATTEMPTS).then(time::now);
                query(
                    "UPDATE outbox SET last_error = $1, next_attempt_at = $2, failed_at = $3 \
                     WHERE id = $4",
                )
                .bind(error.chars().take(300).collect::<String>())
                .bind(later(backoff(attempts)))
                .bind(gave_up)
                .bind(row.id)
            }
        };
        db.execute(recorded).await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(4), Duration::from_secs(240));
        assert_eq!(backoff(MAX_ATTEMPTS), Duration::from_secs(3600));
    }
}
