//! Progressive delay and temporary lockout after failed sign-ins, per
//! account and per source address (REFERENCE section 5: Keycloak's defaults
//! are a 1 minute increment and a 15 minute ceiling).

use egov_kernel::time::{self, Timestamp};
use egov_store::{run, Db, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct ThrottleRules {
    /// Failures allowed before the first lockout.
    pub free_failures: i64,
    /// Each failure beyond the free ones adds this much lockout.
    pub increment: chrono::Duration,
    pub max_lockout: chrono::Duration,
    /// A quiet period after which the count starts again.
    pub reset_after: chrono::Duration,
}

impl ThrottleRules {
    pub fn account() -> Self {
        ThrottleRules {
            free_failures: 5,
            increment: chrono::Duration::minutes(1),
            max_lockout: chrono::Duration::minutes(15),
            reset_after: chrono::Duration::minutes(15),
        }
    }

    pub fn source() -> Self {
        ThrottleRules {
            free_failures: 20,
            ..ThrottleRules::account()
        }
    }
}

/// The login as typed may be an ID number: only its digest is kept.
pub fn account_key(login: &str) -> String {
    format!(
        "account:{}",
        crate::token::digest(&login.trim().to_lowercase())
    )
}

pub fn source_key(source: &str) -> String {
    format!("source:{source}")
}

/// The latest lockout among `keys` still in force.
pub async fn locked_until(db: &Db, keys: &[&str]) -> Result<Option<Timestamp>, StoreError> {
    let mut r = db.reader().await?;
    let mut latest: Option<Timestamp> = None;
    for key in keys {
        let until: Option<Option<Timestamp>> = run!(r, |c| sqlx::query_scalar(
            "SELECT locked_until FROM auth_throttle WHERE key = $1"
        )
        .bind(*key)
        .fetch_optional(&mut *c)
        .await)?;
        if let Some(t) = until.flatten().filter(|t| *t > time::now()) {
            latest = Some(latest.map_or(t, |l| l.max(t)));
        }
    }
    Ok(latest)
}

/// Counts a failure inside `tx` and returns the new lockout, if any.
pub async fn record_failure(
    tx: &mut Tx,
    key: &str,
    rules: &ThrottleRules,
) -> Result<Option<Timestamp>, StoreError> {
    let now = time::now();
    let row: Option<(i64, Timestamp)> = run!(tx, |c| sqlx::query_as(
        "SELECT failures, last_failure_at FROM auth_throttle WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(&mut *c)
    .await)?;
    let failures = match row {
        Some((n, last)) if now - last < rules.reset_after => n + 1,
        _ => 1,
    };
    let over = failures - rules.free_failures;
    let locked = (over > 0).then(|| now + (rules.increment * over as i32).min(rules.max_lockout));
    run!(tx, |c| sqlx::query(
        "INSERT INTO auth_throttle (key, failures, last_failure_at, locked_until) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
         last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until"
    )
    .bind(key)
    .bind(failures)
    .bind(now)
    .bind(locked)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    Ok(locked)
}

/// Forgets an account's failures after a successful sign-in.
pub async fn clear(tx: &mut Tx, key: &str) -> Result<(), StoreError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM auth_throttle WHERE key = $1"
    )
    .bind(key)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    Ok(())
}
