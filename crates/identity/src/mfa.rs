//! The second factor: TOTP (RFC 6238) with one-time recovery codes.
//! Enrolment is confirmed with a code from the app before it takes effect.

use crate::totp::{recovery_code_digest, recovery_codes, TotpSecret};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{run, Db, Tx};

fn unix_now() -> u64 {
    time::now().timestamp().max(0) as u64
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

/// Turns TOTP on once `code` proves the app holds `secret`. Returns the
/// recovery codes, to be shown once.
pub async fn enable_totp(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    secret: &TotpSecret,
    code: &str,
) -> Result<Vec<String>, IdentityError> {
    let step = secret
        .verify(code, unix_now())
        .ok_or(IdentityError::Invalid {
            field: "code",
            zh: "验证码不正确，请核对手机应用上的 6 位数字".to_owned(),
            en: "the code is wrong; check the 6 digits in your app".to_owned(),
        })?;
    let mut tx = db.begin().await?;
    run!(tx, |c| sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3"
    )
    .bind(secret.to_base32())
    .bind(step as i64)
    .bind(user_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    let codes = replace_recovery_codes(&mut tx, user_id).await?;
    audit(&mut tx, ctx, "user.enable_totp", user_id).await?;
    tx.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(tx: &mut Tx, user_id: i64) -> Result<Vec<String>, IdentityError> {
    run!(tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    let mut shown = Vec::new();
    for (code, digest) in recovery_codes() {
        run!(tx, |c| sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)"
        )
        .bind(user_id)
        .bind(&digest)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
        shown.push(code);
    }
    Ok(shown)
}

/// New recovery codes; the old ones stop working.
pub async fn regenerate_recovery_codes(
    db: &Db,
    ctx: &Context,
    user_id: i64,
) -> Result<Vec<String>, IdentityError> {
    let mut tx = db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, user_id).await?;
    audit(&mut tx, ctx, "user.regenerate_recovery_codes", user_id).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns TOTP off (citizens only: civil servants must keep a second factor).
pub async fn disable_totp(db: &Db, ctx: &Context, user_id: i64) -> Result<(), IdentityError> {
    let mut tx = db.begin().await?;
    let kind: String = run!(tx, |c| sqlx::query_scalar(
        "SELECT kind FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_one(&mut *c)
    .await)?;
    if kind == "staff" {
        return Err(IdentityError::Invalid {
            field: "totp",
            zh: "工作人员必须使用双因素认证".to_owned(),
            en: "civil servants must keep a second factor".to_owned(),
        });
    }
    run!(tx, |c| sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1"
    )
    .bind(user_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    run!(tx, |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    audit(&mut tx, ctx, "user.disable_totp", user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a TOTP code (each 30-second step accepted once) or an unused
/// recovery code (then spent), inside the caller's transaction.
pub(crate) async fn check_code(
    tx: &mut Tx,
    user_id: i64,
    code: &str,
) -> Result<bool, IdentityError> {
    let (secret, last_step): (Option<String>, Option<i64>) = run!(tx, |c| sqlx::query_as(
        "SELECT totp_secret, totp_last_step FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_one(&mut *c)
    .await)?;
    let Some(secret) = secret.as_deref().and_then(TotpSecret::from_base32) else {
        return Ok(false);
    };
    if let Some(step) = secret.verify(code, unix_now()) {
        if last_step.is_some_and(|last| step as i64 <= last) {
            return Ok(false); // replayed
        }
        run!(tx, |c| sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2"
        )
        .bind(step as i64)
        .bind(user_id)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
        return Ok(true);
    }
    let spent = run!(tx, |c| {
        sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"
    )
    .bind(time::now())
    .bind(user_id)
    .bind(recovery_code_digest(code))
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(spent == 1)
}
