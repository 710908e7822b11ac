//! The second factor: TOTP (RFC 6238) with one-time recovery codes.
//!
//! The secret is made on the server and kept there as a pending enrolment
//! until a code from the app proves the app holds it; the enrolment form
//! never carries it back. Turning the factor on, off or renewing recovery
//! codes asks again for the password and, when a factor is enrolled, a
//! code from it ([`crate::reauth`]). Recovery codes are kept under a salted
//! slow hash.

use crate::reauth::{self, Proof};
use crate::totp::{recovery_code_digest, recovery_codes, TotpSecret};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{query, run, Db, Tx};

/// How long a pending enrolment's secret stays on offer.
const PENDING_TTL: chrono::Duration = chrono::Duration::minutes(15);

fn unix_now() -> u64 {
    time::now().timestamp().max(0) as u64
}

/// What a TOTP secret is sealed under: the user's, enrolled or pending.
fn label(user_id: i64, pending: bool) -> String {
    if pending {
        format!("totp-pending:{user_id}")
    } else {
        format!("totp:{user_id}")
    }
}

/// A stored secret, opened with the server keys.
fn unseal(user_id: i64, pending: bool, stored: &str) -> Result<Option<TotpSecret>, IdentityError> {
    let ring = egov_keyring::current()?;
    Ok(TotpSecret::from_base32(
        &ring.open_text(&label(user_id, pending), stored)?,
    ))
}

fn seal(user_id: i64, pending: bool, secret: &TotpSecret) -> Result<String, IdentityError> {
    Ok(egov_keyring::current()?.seal_text(&label(user_id, pending), &secret.to_base32()))
}

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &str,
    user_id: i64,
) -> Result<(), IdentityError> {
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "user",
            object_id: &user_id.to_string(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(())
}

/// The secret to enrol: the pending one while it is fresh, else a new one
/// made and kept pending now.
pub async fn pending_secret(db: &Db, user_id: i64) -> Result<TotpSecret, IdentityError> {
    let now = time::now();
    // Made before the transaction (sealing is not a database wait); used
    // only when the pending one is missing or stale.
    let fresh = TotpSecret::generate();
    let sealed = seal(user_id, true, &fresh)?;
    db.write(move |tx| {
        Box::pin(async move {
            let pending: Option<(Option<String>, Option<time::Timestamp>)> = tx
                .fetch_optional(
                    query("SELECT totp_pending, totp_pending_at FROM users WHERE id = $1")
                        .bind(user_id),
                )
                .await?;
            let Some((secret, at)) = pending else {
                return Err(IdentityError::NotFound);
            };
            if let (Some(secret), Some(at)) = (secret, at) {
                if now - at < PENDING_TTL {
                    if let Some(s) = unseal(user_id, true, &secret)? {
                        return Ok(s);
                    }
                }
            }
            tx.execute(
                query("UPDATE users SET totp_pending = $1, totp_pending_at = $2 WHERE id = $3")
                    .bind(&sealed)
                    .bind(now)
                    .bind(user_id),
            )
            .await?;
            Ok(fresh)
        })
    })
    .await
}

fn wrong_new_code() -> IdentityError {
    IdentityError::Invalid {
        field: "new_code",
        zh: "验证码不正确，请核对手机应用上的 6 位数字".to_owned(),
        en: "the code is wrong; check the 6 digits in your app".to_owned(),
    }
}

/// Turns TOTP on with the pending secret once `new_code` proves the app
/// holds it, after `proof`. Returns the recovery codes, to be shown once.
pub async fn enable_totp(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    proof: Proof,
    new_code: &str,
) -> Result<Vec<String>, IdentityError> {
    let mut r = db.reader().await?;
    let pending: Option<(Option<String>, Option<time::Timestamp>)> = run!(r, |c| sqlx::query_as(
        "SELECT totp_pending, totp_pending_at FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    let secret = match pending {
        Some((Some(s), Some(at))) if time::now() - at < PENDING_TTL => {
            unseal(user_id, true, &s)?.ok_or_else(wrong_new_code)?
        }
        Some(_) => {
            return Err(IdentityError::Invalid {
                field: "new_code",
                zh: "二维码已过期，请重新扫描页面上的新二维码".to_owned(),
                en: "the QR code has expired; scan the new one on the page".to_owned(),
            })
        }
        None => return Err(IdentityError::NotFound),
    };
    // The new code is checked before the proof, so a typo costs no attempt.
    let step = secret
        .verify(new_code, unix_now())
        .ok_or_else(wrong_new_code)?;
    reauth::confirm(db, ctx, user_id, proof).await?;
    let codes = recovery_codes();
    let hashes = hash_recovery_codes(&codes).await?;
    let sealed = seal(user_id, false, &secret)?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "UPDATE users SET totp_secret = $1, totp_last_step = $2, totp_pending = NULL, \
                     totp_pending_at = NULL WHERE id = $3",
                )
                .bind(&sealed)
                .bind(step as i64)
                .bind(user_id),
            )
            .await?;
            replace_recovery_codes(tx, user_id, &hashes).await?;
            audit(tx, &ctx, "user.enable_totp", user_id).await
        })
    })
    .await?;
    Ok(codes.into_iter().map(|(code, _)| code).collect())
}

/// Recovery codes carry some 50 bits each: a salted hash with a modest
/// cost stops guessing from a copy of the database without making a
/// recovery sign-in (up to ten checks) slow.
fn recovery_hasher() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(4096, 3, 1, None).expect("valid Argon2 parameters");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// The stored form of each code: Argon2id over its SHA-256 digest (the
/// form older releases stored, which [`upgrade_recovery_codes`] wraps).
async fn hash_recovery_codes(codes: &[(String, String)]) -> Result<Vec<String>, IdentityError> {
    let digests: Vec<String> = codes.iter().map(|(_, d)| d.clone()).collect();
    Ok(crate::password::gate()
        .run(move || digests.iter().map(|d| wrap_digest(d)).collect())
        .await?)
}

fn wrap_digest(digest: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    recovery_hasher()
        .hash_password(digest.as_bytes(), &salt)
        .expect("argon2 with valid parameters cannot fail")
        .to_string()
}

async fn replace_recovery_codes(
    tx: &mut Tx,
    user_id: i64,
    hashes: &[String],
) -> Result<(), IdentityError> {
    tx.execute(query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id))
        .await
        .map(|_| ())?;
    for hash in hashes {
        tx.execute(
            query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash),
        )
        .await
        .map(|_| ())?;
    }
    Ok(())
}

/// New recovery codes after `proof`; the old ones stop working.
pub async fn regenerate_recovery_codes(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    proof: Proof,
) -> Result<Vec<String>, IdentityError> {
    reauth::confirm(db, ctx, user_id, proof).await?;
    let codes = recovery_codes();
    let hashes = hash_recovery_codes(&codes).await?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            replace_recovery_codes(tx, user_id, &hashes).await?;
            audit(tx, &ctx, "user.regenerate_recovery_codes", user_id).await
        })
    })
    .await?;
    Ok(codes.into_iter().map(|(code, _)| code).collect())
}

/// Turns TOTP off after `proof` (citizens only: civil servants must keep
/// a second factor).
pub async fn disable_totp(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    proof: Proof,
) -> Result<(), IdentityError> {
    let user = crate::get_user(db, user_id).await?;
    if user.kind == "staff" {
        return Err(IdentityError::Invalid {
            field: "totp",
            zh: "工作人员必须使用双因素认证".to_owned(),
            en: "civil servants must keep a second factor".to_owned(),
        });
    }
    reauth::confirm(db, ctx, user_id, proof).await?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
                    .bind(user_id),
            )
            .await?;
            tx.execute(query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id))
                .await?;
            audit(tx, &ctx, "user.disable_totp", user_id).await
        })
    })
    .await
}

/// What a typed code matched, before it is spent.
pub(crate) enum Matched {
    /// A TOTP code for this time step.
    Step(u64),
    /// An unused recovery code, by its stored hash.
    Recovery(String),
    Nothing,
}

/// Finds what `code` matches for `user_id`: a TOTP code (each 30-second
/// step accepted once: a step at or before the last one used is refused)
/// or an unused recovery code. Reads only; [`spend`] uses it up.
pub(crate) async fn match_code(
    db: &Db,
    user_id: i64,
    code: &str,
) -> Result<Matched, IdentityError> {
    let mut r = db.reader().await?;
    let (secret, last_step): (Option<String>, Option<i64>) = run!(r, |c| sqlx::query_as(
        "SELECT totp_secret, totp_last_step FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_one(&mut *c)
    .await)?;
    let secret = match secret.as_deref() {
        Some(stored) => unseal(user_id, false, stored)?,
        None => None,
    };
    let Some(secret) = secret else {
        return Ok(Matched::Nothing);
    };
    if let Some(step) = secret.verify(code, unix_now()) {
        if last_step.is_some_and(|last| step as i64 <= last) {
            return Ok(Matched::Nothing); // replayed
        }
        return Ok(Matched::Step(step));
    }
    let Some(digest) = recovery_code_digest(code) else {
        return Ok(Matched::Nothing);
    };
    let unused: Vec<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT code_hash FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let found = crate::password::gate()
        .run(move || {
            use argon2::password_hash::{PasswordHash, PasswordVerifier};
            let hasher = recovery_hasher();
            unused.into_iter().find(|stored| {
                PasswordHash::new(stored)
                    .is_ok_and(|h| hasher.verify_password(digest.as_bytes(), &h).is_ok())
            })
        })
        .await?;
    Ok(found.map_or(Matched::Nothing, Matched::Recovery))
}

/// Uses up what [`match_code`] found, inside `tx`: false when another
/// attempt spent it first.
pub(crate) async fn spend(tx: &mut Tx, user_id: i64, m: Matched) -> Result<bool, IdentityError> {
    let n = match m {
        Matched::Nothing => 0,
        Matched::Step(step) => {
            tx.execute(
                query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
                )
                .bind(step as i64)
                .bind(user_id),
            )
            .await?
        }
        Matched::Recovery(hash) => {
            tx.execute(
                query(
                    "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
             AND used_at IS NULL",
                )
                .bind(time::now())
                .bind(user_id)
                .bind(&hash),
            )
            .await?
        }
    };
    Ok(n == 1)
}

/// Wraps recovery codes that older releases stored as bare SHA-256 digests
/// in the salted slow hash; their holders type them as before.
pub async fn upgrade_recovery_codes(db: &Db) -> Result<u64, IdentityError> {
    let mut r = db.reader().await?;
    let bare: Vec<(i64, String)> = run!(r, |c| sqlx::query_as(
        "SELECT user_id, code_hash FROM recovery_codes WHERE code_hash NOT LIKE '$argon2%'"
    )
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    if bare.is_empty() {
        return Ok(0);
    }
    let wrapped: Vec<(i64, String, String)> = crate::password::gate()
        .run(move || {
            bare.into_iter()
                .map(|(user, digest)| {
                    let h = wrap_digest(&digest);
                    (user, digest, h)
                })
                .collect()
        })
        .await?;
    let wrapped_count = wrapped.len() as u64;
    db.write(move |tx| {
        Box::pin(async move {
            for (user_id, digest, hash) in &wrapped {
                tx.execute(
                    query(
                        "UPDATE recovery_codes SET code_hash = $1 \
                         WHERE user_id = $2 AND code_hash = $3",
                    )
                    .bind(hash)
                    .bind(user_id)
                    .bind(digest),
                )
                .await?;
            }
            Ok::<_, IdentityError>(())
        })
    })
    .await?;
    Ok(wrapped_count)
}

/// Seals the TOTP secrets that older releases stored in the clear, and
/// those sealed with a server key that is no longer the newest (after a
/// rotation). Returns how many were sealed again.
pub async fn reseal_secrets(db: &Db) -> Result<u64, IdentityError> {
    let ring = egov_keyring::current()?;
    let mut r = db.reader().await?;
    let rows: Vec<(i64, Option<String>, Option<String>)> = run!(r, |c| sqlx::query_as(
        "SELECT id, totp_secret, totp_pending FROM users \
         WHERE totp_secret IS NOT NULL OR totp_pending IS NOT NULL"
    )
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let mut changed = 0u64;
    for (user_id, secret, pending) in rows {
        let renew =
            |stored: Option<String>, pending: bool| -> Result<Option<String>, IdentityError> {
                match stored {
                    Some(s) if !ring.is_current(&s) => {
                        let plain = ring.open_text(&label(user_id, pending), &s)?;
                        Ok(Some(ring.seal_text(&label(user_id, pending), &plain)))
                    }
                    _ => Ok(None),
                }
            };
        let (secret, pending) = (renew(secret, false)?, renew(pending, true)?);
        if secret.is_none() && pending.is_none() {
            continue;
        }
        db.execute(
            query(
                "UPDATE users SET totp_secret = COALESCE($1, totp_secret), \
                 totp_pending = COALESCE($2, totp_pending) WHERE id = $3",
            )
            .bind(secret)
            .bind(pending)
            .bind(user_id),
        )
        .await?;
        changed += 1;
    }
    Ok(changed)
}
