//! Text messages the account's own steps write (confirmation and reset
//! codes), queued in the platform's outbox in the transaction of what they
//! are about and sent by its senders. A demo shows the newest one on the
//! confirmation page; `egov sms outbox` lists them.

use egov_kernel::time::Timestamp;
use egov_notify::outbox::{self, Channel, Filter};
use egov_store::{Db, StoreError, Tx};
use serde::Serialize;

pub(crate) async fn queue(tx: &mut Tx, phone: &str, body: &str) -> Result<(), StoreError> {
    outbox::queue_text(tx, Channel::Sms, phone, "", body).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub phone: String,
    pub body: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// The newest texts written by the account's steps, to `phone` only when given.
pub async fn outbox(db: &Db, phone: Option<&str>, limit: i64) -> Result<Vec<Message>, StoreError> {
    let templates = egov_notify::templates::current(db).await?;
    let filter = Filter {
        channel: Some(Channel::Sms),
        address: phone,
        texts_only: true,
    };
    Ok(outbox::list(db, &templates, "", filter, limit)
        .await?
        .into_iter()
        .map(|m| Message {
            id: m.id,
            phone: m.address,
            body: m.body,
            created_at: m.created_at,
            sent_at: m.sent_at,
        })
        .collect())
}
