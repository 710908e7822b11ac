//! Resetting a forgotten password with a one-time code sent to the
//! account's confirmed phone or email address, and administrators
//! resetting a civil servant's password or second factor.
//!
//! A request names the account and its phone or email. Whether or not they
//! match, the answer is the same (a ticket, "a code was sent to
//! 138****8000"), so the page tells nobody who has an account; only a match
//! makes a code.
//! One code per account a minute, ten minutes to use it, five tries.

use crate::password::generate_password;
use crate::password_policy::PasswordPolicy;
use crate::session::{end_sessions, Ending, Sessions};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::identifier::MobileNumber;
use egov_kernel::{time, Context};
use egov_store::{query, run, Db, Tx};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

const CODE_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// A second code for the same account waits this long.
const RESEND_AFTER: chrono::Duration = chrono::Duration::minutes(1);
const MAX_ATTEMPTS: i32 = 5;
/// Codes sent to one account in a day.
const MAX_PER_DAY: i64 = 5;

/// Where a reset code is sent: the account's confirmed phone or email.
#[derive(Debug, Clone)]
pub enum ResetTo {
    Phone(MobileNumber),
    Email(String),
}

impl ResetTo {
    /// A mobile number, else an email address, as typed.
    pub fn parse(text: &str) -> Option<ResetTo> {
        match MobileNumber::parse(text.trim()) {
            Ok(phone) => Some(ResetTo::Phone(phone)),
            Err(_) => crate::contacts::parse_email(text).map(ResetTo::Email),
        }
    }

    fn address(&self) -> &str {
        match self {
            ResetTo::Phone(p) => p.as_str(),
            ResetTo::Email(e) => e,
        }
    }

    /// As the page shows it: 138****8000, z***@example.cn.
    pub fn masked(&self) -> String {
        match self {
            ResetTo::Phone(p) => p.masked(),
            ResetTo::Email(e) => match e.split_once('@') {
                Some((local, domain)) => {
                    let first: String = local.chars().take(1).collect();
                    format!("{first}***@{domain}")
                }
                None => "***".to_owned(),
            },
        }
    }

    /// The account it belongs to: confirmed, and live.
    fn matching_sql(&self) -> &'static str {
        match self {
            ResetTo::Phone(_) => {
                "SELECT id FROM users WHERE username = $1 AND phone = $2 \
                 AND phone_verified = TRUE AND disabled = FALSE"
            }
            ResetTo::Email(_) => {
                "SELECT id FROM users WHERE username = $1 AND email = $2 \
                 AND email_verified = TRUE AND disabled = FALSE"
            }
        }
    }
}

/// A reset under way: its ticket (in the next page's address) and where a
/// code went if the account matched.
#[derive(Debug, Clone)]
pub struct Pending {
    pub ticket: String,
    pub phone_masked: String,
}

fn code_digest(ticket: &str, code: &str) -> String {
    crate::token::digest(&format!("reset:{ticket}:{code}"))
}

fn invalid(field: &'static str, zh: &str, en: &str) -> IdentityError {
    IdentityError::Invalid {
        field,
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
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

/// Asks for a code for the account `username` whose confirmed phone or
/// email is `to`.
pub async fn request(
    db: &Db,
    ctx: &Context,
    username: &str,
    to: &ResetTo,
) -> Result<Pending, IdentityError> {
    let mut r = db.reader().await?;
    let user_id: Option<i64> = run!(r, |c| sqlx::query_scalar(to.matching_sql())
        .bind(username.trim())
        .bind(to.address())
        .fetch_optional(&mut *c)
        .await)?;
    drop(r);
    let ticket = crate::token::random_secret();
    let phone_masked = to.masked();
    let (ctx, to, t) = (ctx.clone(), to.clone(), ticket.clone());
    db.write(move |tx| {
        Box::pin(async move {
            let now = time::now();
            let (recent, today): (i64, i64) = match user_id {
                Some(id) => {
                    tx.fetch_one(
                        query(
                            "SELECT count(*) FILTER (WHERE created_at > $2), count(*) \
                             FROM password_resets WHERE user_id = $1 AND created_at > $3",
                        )
                        .bind(id)
                        .bind(now - RESEND_AFTER)
                        .bind(now - chrono::Duration::days(1)),
                    )
                    .await?
                }
                None => (0, 0),
            };
            // A code only for a match, not again within the minute, and a few
            // a day: each is five guesses at the account.
            let code = user_id
                .filter(|_| recent == 0 && today < MAX_PER_DAY)
                .map(|_| format!("{:06}", rand::thread_rng().gen_range(0..1_000_000)));
            if let (Some(id), Some(_)) = (user_id, &code) {
                // One code stands at a time: the new one replaces the others.
                tx.execute(
                    query(
                        "UPDATE password_resets SET used_at = $1 \
                         WHERE user_id = $2 AND used_at IS NULL",
                    )
                    .bind(now)
                    .bind(id),
                )
                .await?;
            }
            tx.execute(
                query(
                    "INSERT INTO password_resets (ticket_hash, user_id, phone, code_hash, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(crate::token::digest(&t))
                .bind(user_id.filter(|_| code.is_some()))
                .bind(to.address())
                .bind(code.as_deref().map(|c| code_digest(&t, c)))
                .bind(now)
                .bind(now + CODE_TTL),
            )
            .await?;
            if let (Some(id), Some(code)) = (user_id, &code) {
                match &to {
                    ResetTo::Phone(phone) => {
                        let text = format!(
                            "【北京市电子政务平台】您正在重置密码，验证码 {code}，10 分钟内有效。\
                             如非本人操作，请忽略本短信，您的密码不会改变。"
                        );
                        crate::sms::queue(tx, phone.as_str(), &text).await?;
                    }
                    ResetTo::Email(email) => {
                        let text = format!(
                            "您正在重置北京市电子政务平台的密码，验证码 {code}，10 分钟内有效。\
                             如非本人操作，请忽略本邮件，您的密码不会改变。\n\
                             A password reset was asked for your account: the code is {code}, \
                             good for 10 minutes. If it was not you, ignore this email; your \
                             password stays as it is.\n"
                        );
                        egov_notify::outbox::queue_text(
                            tx,
                            egov_notify::outbox::Channel::Email,
                            email,
                            "重置密码验证码 / Password reset code",
                            &text,
                        )
                        .await?;
                    }
                }
                audit(tx, &ctx, "user.password_reset_requested", id).await?;
            }
            Ok::<_, IdentityError>(())
        })
    })
    .await?;
    Ok(Pending {
        ticket,
        phone_masked,
    })
}

/// Where the ticket's code went (masked), while it can still be used.
pub async fn pending(db: &Db, ticket: &str) -> Result<Option<String>, IdentityError> {
    let mut r = db.reader().await?;
    let phone: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT phone FROM password_resets WHERE ticket_hash = $1 AND expires_at > $2 \
         AND used_at IS NULL"
    )
    .bind(crate::token::digest(ticket))
    .bind(time::now())
    .fetch_optional(&mut *c)
    .await)?;
    Ok(phone.map(|p| ResetTo::parse(&p).map(|to| to.masked()).unwrap_or_default()))
}

/// The phone or email address a ticket's code went to, in full: for a demo
/// without an SMS gateway or mail server. None for a ticket that matched no
/// account (its address may be anyone's).
pub async fn phone_of(db: &Db, ticket: &str) -> Result<Option<String>, IdentityError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT phone FROM password_resets WHERE ticket_hash = $1 AND used_at IS NULL \
         AND user_id IS NOT NULL"
    )
    .bind(crate::token::digest(ticket))
    .fetch_optional(&mut *c)
    .await)?)
}

/// Sets a new password with the code the ticket's text message carried:
/// every session of the account ends, and the phone and email are told.
pub async fn complete(
    db: &Db,
    ctx: &Context,
    ticket: &str,
    code: &str,
    new_password: SecretString,
) -> Result<(), IdentityError> {
    let hash = crate::token::digest(ticket);
    let typed = code_digest(ticket, code.trim());
    // The attempt is counted (and committed) before anything else.
    let user_id = db
        .write(move |tx| Box::pin(async move { claim(tx, &hash, &typed).await }))
        .await??;
    let mut r = db.reader().await?;
    let holder: Option<(String, Option<String>, Option<String>)> = run!(r, |c| sqlx::query_as(
        "SELECT username, phone, CASE WHEN email_verified THEN email END FROM users \
         WHERE id = $1 AND disabled = FALSE"
    )
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    // Disabled since the code was sent: the code does nothing.
    let (username, phone, email) = holder.ok_or_else(expired)?;
    PasswordPolicy::builtin().check(new_password.expose_secret(), &[&username])?;
    let password_hash = crate::password::hash_password(new_password).await?;
    let (ctx, hash) = (ctx.clone(), crate::token::digest(ticket));
    db.write(move |tx| {
        Box::pin(async move {
            // Used once: a second form posted with the same code changes nothing.
            let n = tx
                .execute(
                    query("UPDATE password_resets SET used_at = $1 WHERE ticket_hash = $2 AND used_at IS NULL")
                        .bind(time::now())
                        .bind(&hash),
                )
                .await?;
            if n == 0 {
                return Err(expired());
            }
            tx.execute(
                query(
                    "UPDATE users SET password_hash = $1, must_change_password = FALSE \
                     WHERE id = $2",
                )
                .bind(&password_hash)
                .bind(user_id),
            )
            .await?;
            end_sessions(
                tx,
                Sessions::AllOf {
                    user_id,
                    keep: None,
                },
                Ending::PasswordChanged,
            )
            .await?;
            crate::session::revoke_personal_tokens(tx, user_id).await?;
            if let Some(phone) = &phone {
                crate::sms::queue(
                    tx,
                    phone,
                    "【北京市电子政务平台】您的账户密码已重置，所有设备已退出登录。如非本人操作，请立即拨打 12345。",
                )
                .await?;
            }
            if let Some(email) = &email {
                egov_notify::outbox::queue_text(
                    tx,
                    egov_notify::outbox::Channel::Email,
                    email,
                    "您的密码已重置 / Your password was reset",
                    "您在北京市电子政务平台的账户密码已重置，所有设备已退出登录。如非本人操作，请立即拨打 12345。\n\
                     The password of your account was reset and every device signed out. If it was not you, call 12345 now.\n",
                )
                .await?;
            }
            audit(tx, &ctx, "user.password_reset", user_id).await
        })
    })
    .await
}

fn expired() -> IdentityError {
    invalid(
        "code",
        "验证码已过期或已使用，请重新申请",
        "the code has expired or was used; ask for a new one",
    )
}

/// Counts an attempt at `hash`'s code; answers the account when `typed` is
/// its code. The outer result fails the transaction; the inner one is the
/// refusal, committed with its counted attempt.
async fn claim(
    tx: &mut Tx,
    hash: &str,
    typed: &str,
) -> Result<Result<i64, IdentityError>, IdentityError> {
    let row: Option<(Option<i64>, Option<String>, i32)> = tx
        .fetch_optional(
            query(
                "UPDATE password_resets SET attempts = attempts + 1 WHERE ticket_hash = $1 \
                 AND expires_at > $2 AND used_at IS NULL RETURNING user_id, code_hash, attempts",
            )
            .bind(hash)
            .bind(time::now()),
        )
        .await?;
    let Some((user_id, code_hash, attempts)) = row else {
        return Err(expired());
    };
    if attempts > MAX_ATTEMPTS {
        return Ok(Err(invalid(
            "code",
            "错误次数过多，此验证码已作废，请重新申请",
            "too many wrong codes; ask for a new one",
        )));
    }
    match user_id.filter(|_| code_hash.as_deref() == Some(typed)) {
        Some(id) => Ok(Ok(id)),
        None => Ok(Err(invalid("code", "验证码不正确", "the code is wrong"))),
    }
}

/// An administrator gives an account a new one-time password (shown to
/// them once; the holder must replace it at the next sign-in); every
/// session of the account ends. The caller checks the administrator's reach.
pub async fn reset_by_admin(
    db: &Db,
    ctx: &Context,
    user_id: i64,
) -> Result<SecretString, IdentityError> {
    let password = generate_password();
    let hash = crate::password::hash_password(SecretString::from(password.clone())).await?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE users SET password_hash = $1, must_change_password = TRUE \
                         WHERE id = $2",
                    )
                    .bind(&hash)
                    .bind(user_id),
                )
                .await?;
            if n == 0 {
                return Err(IdentityError::NotFound);
            }
            end_sessions(
                tx,
                Sessions::AllOf {
                    user_id,
                    keep: None,
                },
                Ending::PasswordChanged,
            )
            .await?;
            crate::session::revoke_personal_tokens(tx, user_id).await?;
            audit(tx, &ctx, "user.password_reset_by_admin", user_id).await
        })
    })
    .await?;
    Ok(SecretString::from(password))
}

/// An administrator takes away an account's second factor (a lost phone):
/// its secret and recovery codes go, its sessions end, and a civil servant
/// enrols a new one at the next sign-in. The caller checks the reach.
pub async fn reset_second_factor(
    db: &Db,
    ctx: &Context,
    user_id: i64,
) -> Result<(), IdentityError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1",
                    )
                    .bind(user_id),
                )
                .await?;
            if n == 0 {
                return Err(IdentityError::NotFound);
            }
            tx.execute(query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id))
                .await?;
            end_sessions(
                tx,
                Sessions::AllOf {
                    user_id,
                    keep: None,
                },
                Ending::SecondFactorReset,
            )
            .await?;
            audit(tx, &ctx, "user.second_factor_reset_by_admin", user_id).await
        })
    })
    .await
}
