//! Progressive lockout after failed attempts: per person (passwords, at
//! sign-in and whenever a password is asked again), per source address, and
//! per person for the second factor (REFERENCE section 5: Keycloak's
//! defaults are a 1 minute increment and a 15 minute ceiling).
//!
//! An attempt is claimed before the secret is checked, in one transaction
//! that holds the row of every key it counts under. The claim counts as a
//! failure at once, and the claim that reaches a key's limit locks it before
//! its check runs; a check that succeeds gives its claim back. So however
//! many attempts arrive together, no more than the limit are ever checked.

use egov_kernel::time::{self, Timestamp};
use egov_store::{query, Db, StoreError, Tx};

/// How much lockout each failure beyond the free ones adds.
#[derive(Debug, Clone, Copy)]
pub enum Backoff {
    /// The n-th failure beyond the free ones locks for n times this.
    Linear(chrono::Duration),
    /// The n-th failure beyond the free ones locks for 2^(n-1) times this.
    Doubling(chrono::Duration),
}

#[derive(Debug, Clone)]
pub struct ThrottleRules {
    /// Attempts checked before the key locks; the last of them locks it.
    pub free_failures: i64,
    pub backoff: Backoff,
    pub max_lockout: chrono::Duration,
    /// A quiet period after which the count starts again.
    pub reset_after: chrono::Duration,
}

impl ThrottleRules {
    /// Passwords of one person, whatever identifier was typed.
    pub fn person() -> Self {
        ThrottleRules {
            free_failures: 5,
            backoff: Backoff::Linear(chrono::Duration::minutes(1)),
            max_lockout: chrono::Duration::minutes(15),
            reset_after: chrono::Duration::minutes(15),
        }
    }

    /// Every password tried from one source address.
    pub fn source() -> Self {
        ThrottleRules {
            free_failures: 20,
            ..ThrottleRules::person()
        }
    }

    /// One person's second-factor codes (TOTP and recovery codes), across
    /// sessions. A million codes in three live steps: the lockout doubles up
    /// to an hour and the count lasts a day, so a guesser gets some thirty
    /// tries a day, not five every quarter of an hour.
    pub fn second_factor() -> Self {
        ThrottleRules {
            free_failures: 5,
            backoff: Backoff::Doubling(chrono::Duration::minutes(1)),
            max_lockout: chrono::Duration::hours(1),
            reset_after: chrono::Duration::hours(24),
        }
    }

    /// The lockout after `failures` failures counted (this one included).
    fn lockout(&self, failures: i64) -> Option<chrono::Duration> {
        let over = failures - self.free_failures + 1;
        if over <= 0 {
            return None;
        }
        let d = match self.backoff {
            Backoff::Linear(step) => step * i32::try_from(over).unwrap_or(i32::MAX),
            Backoff::Doubling(step) => step * 2i32.saturating_pow((over - 1).min(30) as u32),
        };
        Some(d.min(self.max_lockout))
    }
}

/// What an attempt is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A known person's passwords.
    Person(i64),
    /// A login that names nobody: only its digest is kept (it may be an ID number).
    UnknownLogin(String),
    Source(String),
    /// A person's second factor.
    SecondFactor(i64),
}

impl Key {
    pub fn unknown_login(login: &str) -> Key {
        Key::UnknownLogin(crate::token::digest(&login.trim().to_lowercase()))
    }

    fn name(&self) -> String {
        match self {
            Key::Person(id) => format!("person:{id}"),
            Key::UnknownLogin(digest) => format!("login:{digest}"),
            Key::Source(s) => format!("source:{s}"),
            Key::SecondFactor(id) => format!("mfa:{id}"),
        }
    }

    pub fn rules(&self) -> ThrottleRules {
        match self {
            Key::Person(_) | Key::UnknownLogin(_) => ThrottleRules::person(),
            Key::Source(_) => ThrottleRules::source(),
            Key::SecondFactor(_) => ThrottleRules::second_factor(),
        }
    }

    /// The account a lockout under this key is about, to tell its holder.
    pub fn holder(&self) -> Option<i64> {
        match self {
            Key::Person(id) | Key::SecondFactor(id) => Some(*id),
            _ => None,
        }
    }

    /// A success clears a person's count; a source only gets its claim back.
    fn cleared_by_success(&self) -> bool {
        !matches!(self, Key::Source(_))
    }
}

struct Counted {
    key: Key,
    name: String,
    /// The lockout this claim set, if it reached the limit.
    locked_until: Option<Timestamp>,
    /// When it was counted (the row's `last_failure_at` until a later claim).
    at: Timestamp,
}

/// An attempt counted and allowed to be checked. Say how it went:
/// [`Claim::succeeded`], [`Claim::failed`] or [`Claim::give_back`].
#[must_use]
pub struct Claim {
    counted: Vec<Counted>,
}

pub enum Claimed {
    Go(Claim),
    /// Some key is locked until then; nothing was counted or checked.
    Locked(Timestamp),
}

/// Takes one attempt under every key at once, or none.
pub async fn claim(db: &Db, keys: &[Key]) -> Result<Claimed, StoreError> {
    let mut keys: Vec<(String, Key)> = keys.iter().map(|k| (k.name(), k.clone())).collect();
    // One order for every transaction: two claims never wait on each other's rows.
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys.dedup_by(|a, b| a.0 == b.0);
    db.write(move |tx| Box::pin(claim_in(tx, keys))).await
}

async fn claim_in(tx: &mut Tx, keys: Vec<(String, Key)>) -> Result<Claimed, StoreError> {
    let now = time::now();
    let mut rows = Vec::with_capacity(keys.len());
    let mut locked: Option<Timestamp> = None;
    for (name, _) in &keys {
        // Inserts the row or takes the lock on it (PostgreSQL), in one statement.
        let (failures, last, until): (i64, Timestamp, Option<Timestamp>) = tx
            .fetch_one(
                query(
                    "INSERT INTO auth_throttle (key, failures, last_failure_at, locked_until) \
                     VALUES ($1, 0, $2, NULL) ON CONFLICT (key) DO UPDATE SET key = excluded.key \
                     RETURNING failures, last_failure_at, locked_until",
                )
                .bind(name)
                .bind(now),
            )
            .await?;
        if let Some(t) = until.filter(|t| *t > now) {
            locked = Some(locked.map_or(t, |l| l.max(t)));
        }
        rows.push((failures, last));
    }
    if let Some(until) = locked {
        return Ok(Claimed::Locked(until));
    }
    let mut counted = Vec::with_capacity(keys.len());
    for ((name, key), (failures, last)) in keys.into_iter().zip(rows) {
        let rules = key.rules();
        let failures = if failures > 0 && now - last < rules.reset_after {
            failures + 1
        } else {
            1
        };
        let locked_until = rules.lockout(failures).map(|d| now + d);
        tx.execute(
            query(
                "UPDATE auth_throttle SET failures = $2, last_failure_at = $3, \
                 locked_until = $4 WHERE key = $1",
            )
            .bind(&name)
            .bind(failures)
            .bind(now)
            .bind(locked_until),
        )
        .await?;
        counted.push(Counted {
            key,
            name,
            locked_until,
            at: now,
        });
    }
    Ok(Claimed::Go(Claim { counted }))
}

/// A lockout that a failed attempt set, to tell the account holder.
pub struct Lockout {
    pub key: Key,
    pub until: Timestamp,
}

impl Claim {
    /// The lockout now in force if this attempt failed.
    pub fn locked_if_failed(&self) -> Option<Timestamp> {
        self.counted.iter().filter_map(|c| c.locked_until).max()
    }

    /// The attempt failed: it stays counted. Returns the lockouts it set.
    pub fn failed(self) -> Vec<Lockout> {
        self.counted
            .into_iter()
            .filter_map(|c| c.locked_until.map(|until| Lockout { key: c.key, until }))
            .collect()
    }

    /// The secret was right: a person's count starts again; a source gets
    /// this claim back.
    pub async fn succeeded(self, tx: &mut Tx) -> Result<(), StoreError> {
        for c in &self.counted {
            // A success clears what was counted up to its own claim; attempts
            // claimed after it (a burst it was part of) stay counted.
            let cleared = c.key.cleared_by_success()
                && tx
                    .execute(
                        query(
                            "UPDATE auth_throttle SET failures = 0, locked_until = NULL \
                             WHERE key = $1 AND last_failure_at <= $2",
                        )
                        .bind(&c.name)
                        .bind(c.at),
                    )
                    .await?
                    > 0;
            if !cleared {
                give_back(tx, c).await?;
            }
        }
        Ok(())
    }

    /// The attempt was never checked (the server was too busy): every key
    /// gets it back.
    pub async fn give_back(self, db: &Db) -> Result<(), StoreError> {
        db.write(move |tx| {
            Box::pin(async move {
                for c in &self.counted {
                    give_back(tx, c).await?;
                }
                Ok(())
            })
        })
        .await
    }
}

async fn give_back(tx: &mut Tx, c: &Counted) -> Result<(), StoreError> {
    // A lockout this claim set goes with it; one set by a later claim stays.
    tx.execute(
        query(
            "UPDATE auth_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 \
             ELSE 0 END, locked_until = CASE WHEN $2 THEN NULL ELSE locked_until END \
             WHERE key = $1",
        )
        .bind(&c.name)
        .bind(c.locked_until.is_some()),
    )
    .await?;
    Ok(())
}

/// What housekeeping removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub counts: u64,
    pub sessions: u64,
    pub confirmations: u64,
}

/// Drops what no longer counts for anything, a day after it stopped: quiet
/// failure counts and lockouts long over, sessions past their end, phone
/// confirmations expired. Each node may run it; it is idempotent.
pub async fn sweep(db: &Db) -> Result<Swept, StoreError> {
    let now = time::now();
    let before = now - chrono::Duration::hours(24);
    db.write(move |tx| {
        Box::pin(async move {
            let counts = tx
                .execute(
                    query(
                        "DELETE FROM auth_throttle WHERE last_failure_at < $1 \
                         AND (locked_until IS NULL OR locked_until < $1)",
                    )
                    .bind(before),
                )
                .await?;
            let sessions = tx
                .execute(
                    query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
                        .bind(before)
                        .bind(crate::session::idle_cutoff(before)),
                )
                .await?;
            let confirmations = tx
                .execute(
                    query("DELETE FROM phone_confirmations WHERE expires_at < $1").bind(before),
                )
                .await?;
            Ok(Swept {
                counts,
                sessions,
                confirmations,
            })
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_th_failure_locks_and_later_ones_back_off() {
        let p = ThrottleRules::person();
        assert_eq!(p.lockout(4), None);
        assert_eq!(p.lockout(5), Some(chrono::Duration::minutes(1)));
        assert_eq!(p.lockout(6), Some(chrono::Duration::minutes(2)));
        assert_eq!(p.lockout(40), Some(chrono::Duration::minutes(15)));
        let m = ThrottleRules::second_factor();
        assert_eq!(m.lockout(5), Some(chrono::Duration::minutes(1)));
        assert_eq!(m.lockout(7), Some(chrono::Duration::minutes(4)));
        assert_eq!(m.lockout(1000), Some(chrono::Duration::hours(1)));
    }
}
