//! What the platform tells account holders about their own account: a
//! lockout after repeated failed passwords or second-factor codes ("if this
//! was not you, change your password"). Shown on every page until read.

use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError, Tx};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Passwords were tried until the account locked.
    PasswordLockout,
    /// Second-factor codes were tried until the second factor locked.
    SecondFactorLockout,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::PasswordLockout => "password_lockout",
            NoticeKind::SecondFactorLockout => "second_factor_lockout",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [NoticeKind::PasswordLockout, NoticeKind::SecondFactorLockout]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: i64,
    pub kind: NoticeKind,
    pub created_at: Timestamp,
    /// Until when the account (or its second factor) stays locked.
    pub locked_until: Option<Timestamp>,
    /// Where the attempts came from.
    pub source: Option<String>,
}

/// Tells the holder of `user_id`, inside `tx`, unless an unread notice of
/// the same kind already does.
pub(crate) async fn tell(
    tx: &mut Tx,
    ctx: &Context,
    user_id: i64,
    kind: NoticeKind,
    locked_until: Timestamp,
) -> Result<(), StoreError> {
    let unread: i64 = tx.fetch_scalar(query("SELECT count(*) FROM account_notices WHERE user_id = $1 AND kind = $2 AND read_at IS NULL").bind(user_id).bind(kind.as_str())).await?;
    if unread > 0 {
        return Ok(());
    }
    let detail = serde_json::json!({
        "locked_until": time::canonical(&locked_until),
        "source": ctx.source,
    });
    tx.execute(query("INSERT INTO account_notices (user_id, kind, detail, created_at) VALUES ($1, $2, $3, $4)").bind(user_id).bind(kind.as_str()).bind(detail.to_string()).bind(time::now())).await.map(|_| ())?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "user.locked",
            object_type: "user",
            object_id: &user_id.to_string(),
            detail: serde_json::json!({ "kind": kind.as_str(),
                "locked_until": time::canonical(&locked_until) }),
        },
    )
    .await
}

/// The holder's unread notices, newest first.
pub async fn unread(db: &Db, user_id: i64) -> Result<Vec<Notice>, StoreError> {
    let mut r = db.reader().await?;
    let rows: Vec<(i64, String, String, Timestamp)> = run!(r, |c| sqlx::query_as(
        "SELECT id, kind, detail, created_at FROM account_notices \
         WHERE user_id = $1 AND read_at IS NULL ORDER BY id DESC LIMIT 20"
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, detail, created_at)| {
            let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
            Some(Notice {
                id,
                kind: NoticeKind::parse(&kind)?,
                created_at,
                locked_until: detail["locked_until"].as_str().and_then(time::parse),
                source: detail["source"].as_str().map(str::to_owned),
            })
        })
        .collect())
}

/// The holder has read a notice (their own only).
pub async fn mark_read(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    notice_id: i64,
) -> Result<(), IdentityError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE account_notices SET read_at = $1 WHERE id = $2 AND user_id = $3 \
                         AND read_at IS NULL",
                    )
                    .bind(time::now())
                    .bind(notice_id)
                    .bind(user_id),
                )
                .await?;
            if n == 0 {
                return Err(IdentityError::NotFound);
            }
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "user.notice_read",
                    object_type: "user",
                    object_id: &user_id.to_string(),
                    detail: serde_json::json!({ "notice": notice_id }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}
