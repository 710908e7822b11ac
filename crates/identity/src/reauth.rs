//! Asking again before a sensitive change (the password, the second
//! factor): a session cookie alone must not be enough to take an account
//! over. The password is counted like a sign-in attempt and the code like a
//! second-factor attempt, under the same per-person limits.

use crate::notice::NoticeKind;
use crate::session::{after_failure, check_password, SecondFactor, SignInError};
use crate::throttle::Key;
use crate::{IdentityError, SecondFactorError};
use egov_audit::Event;
use egov_kernel::Context;
use egov_store::run;
use egov_store::Db;
use secrecy::SecretString;

/// What the account holder gives to confirm a sensitive change.
pub struct Proof {
    pub password: SecretString,
    /// A second-factor code, needed when the account has one.
    pub code: Option<String>,
}

/// Checks the current password of `user_id` against `phc`.
pub(crate) async fn password(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    password: SecretString,
    phc: String,
) -> Result<(), IdentityError> {
    let mut keys = vec![Key::Person(user_id)];
    keys.extend(ctx.source.as_deref().map(|s| Key::Source(s.to_owned())));
    let check = check_password(db, &keys, password, Some(phc))
        .await
        .map_err(|e| match e {
            SignInError::Locked(until) => IdentityError::Locked(until),
            SignInError::Busy(b) => IdentityError::Busy(b),
            SignInError::Store(s) => IdentityError::Store(s),
            SignInError::BadCredentials | SignInError::Unconfirmed(_) => {
                IdentityError::WrongPassword
            }
        })?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            if check.ok {
                check.claim.succeeded(tx).await?;
                return Ok(Ok(()));
            }
            let locked = after_failure(tx, &ctx, check.claim, NoticeKind::PasswordLockout).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "user.reauth_failed",
                    object_type: "user",
                    object_id: &user_id.to_string(),
                    detail: serde_json::json!({ "what": "password" }),
                },
            )
            .await?;
            Ok::<_, IdentityError>(Err(match locked {
                Some(until) => IdentityError::Locked(until),
                None => IdentityError::WrongPassword,
            }))
        })
    })
    .await?
}

/// Checks the holder's password and, when a second factor is enrolled, a
/// code from it.
pub async fn confirm(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    proof: Proof,
) -> Result<(), IdentityError> {
    let (db, ctx) = (db.clone(), ctx.clone());
    crate::session::to_the_end(async move { confirm_attempt(&db, &ctx, user_id, proof).await })
        .await
}

async fn confirm_attempt(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    proof: Proof,
) -> Result<(), IdentityError> {
    let mut r = db.reader().await?;
    let (phc, enrolled): (String, bool) = run!(r, |c| sqlx::query_as(
        "SELECT password_hash, (totp_secret IS NOT NULL) FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await)?
    .ok_or(IdentityError::NotFound)?;
    drop(r);
    if enrolled && proof.code.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(IdentityError::Invalid {
            field: "code",
            zh: "请输入手机应用上的动态码（或一个恢复码）".to_owned(),
            en: "enter the code from your authenticator app (or a recovery code)".to_owned(),
        });
    }
    password(db, ctx, user_id, proof.password, phc).await?;
    if let (true, Some(code)) = (enrolled, proof.code.as_deref()) {
        let second = SecondFactor::check(db, user_id, code)
            .await
            .map_err(second_factor)?;
        let ctx = ctx.clone();
        db.write(move |tx| Box::pin(async move { second.settle(tx, &ctx).await }))
            .await?
            .map_err(second_factor)?;
    }
    Ok(())
}

fn second_factor(e: SecondFactorError) -> IdentityError {
    match e {
        SecondFactorError::Identity(e) => e,
        SecondFactorError::Locked(until) => IdentityError::Locked(until),
        SecondFactorError::WrongCode | SecondFactorError::Expired => IdentityError::Invalid {
            field: "code",
            zh: "动态码不正确或已使用过".to_owned(),
            en: "the code is wrong or was already used".to_owned(),
        },
    }
}
