//! Confirming a phone number with a one-time code before a self-registered
//! account is usable. A registration whose identity number is already
//! registered looks the same to whoever made it (a ticket, "a code was sent
//! to 138****8000"), but no code is made: the phone's holder is told by
//! text that the number is registered, so only they learn it.

use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::identifier::MobileNumber;
use egov_kernel::time;
use egov_kernel::Context;
use egov_store::{query, run, Db, Tx};
use rand::Rng;

/// How long a code is good for.
const CODE_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// Wrong codes allowed per ticket before it is spent.
const MAX_ATTEMPTS: i32 = 5;

/// A confirmation under way: its ticket (in the confirmation page's
/// address) and where the code went.
#[derive(Debug, Clone)]
pub struct Pending {
    pub ticket: String,
    pub phone_masked: String,
}

fn code_digest(ticket: &str, code: &str) -> String {
    crate::token::digest(&format!("{ticket}:{code}"))
}

/// Opens a confirmation inside `tx`: a code for `user_id` sent to `phone`,
/// or (no user: the identity number was registered already) a notice to
/// `phone` and no code.
pub(crate) async fn open(
    tx: &mut Tx,
    user_id: Option<i64>,
    phone: &MobileNumber,
) -> Result<Pending, egov_store::StoreError> {
    let ticket = crate::token::random_secret();
    let now = time::now();
    let code = user_id.map(|_| format!("{:06}", rand::thread_rng().gen_range(0..1_000_000)));
    tx.execute(
        query(
            "INSERT INTO phone_confirmations (ticket_hash, user_id, phone, code_hash, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(crate::token::digest(&ticket))
        .bind(user_id)
        .bind(phone.as_str())
        .bind(code.as_deref().map(|c| code_digest(&ticket, c)))
        .bind(now)
        .bind(now + CODE_TTL),
    )
    .await
    .map(|_| ())?;
    let text = match &code {
        Some(code) => {
            format!("【北京市电子政务平台】您的验证码是 {code}，10 分钟内有效。请勿告诉他人。")
        }
        None => {
            "【北京市电子政务平台】有人用登记在您名下的身份证号码申请注册账户，但该号码已经注册。\
                 如忘记密码，请到政务服务窗口办理；如非本人操作，请忽略本短信。"
                .to_owned()
        }
    };
    crate::sms::queue(tx, phone.as_str(), &text).await?;
    Ok(Pending {
        ticket,
        phone_masked: phone.masked(),
    })
}

/// Where the ticket's code went (masked), while it is good.
pub async fn pending(db: &Db, ticket: &str) -> Result<Option<String>, IdentityError> {
    let mut r = db.reader().await?;
    let phone: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT phone FROM phone_confirmations WHERE ticket_hash = $1 AND expires_at > $2 \
         AND confirmed_at IS NULL"
    )
    .bind(crate::token::digest(ticket))
    .bind(time::now())
    .fetch_optional(&mut *c)
    .await)?;
    Ok(phone.map(|p| {
        MobileNumber::parse(&p)
            .map(|m| m.masked())
            .unwrap_or_default()
    }))
}

/// The phone a ticket's code went to, in full: for a demo without an SMS
/// gateway, which shows the newest message on the page.
pub async fn phone_of(db: &Db, ticket: &str) -> Result<Option<String>, IdentityError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT phone FROM phone_confirmations WHERE ticket_hash = $1 AND confirmed_at IS NULL"
    )
    .bind(crate::token::digest(ticket))
    .fetch_optional(&mut *c)
    .await)?)
}

fn wrong() -> IdentityError {
    IdentityError::Invalid {
        field: "code",
        zh: "验证码不正确".to_owned(),
        en: "the code is wrong".to_owned(),
    }
}

/// Confirms the phone behind `ticket` with `code`: the account becomes
/// usable at assurance level 1. Each ticket takes five tries.
pub async fn confirm(
    db: &Db,
    ctx: &Context,
    ticket: &str,
    code: &str,
) -> Result<(), IdentityError> {
    let hash = crate::token::digest(ticket);
    let typed = code_digest(ticket, code.trim());
    let ctx = ctx.clone();
    // A wrong code is refused after its attempt is counted: committed.
    db.write(move |tx| Box::pin(async move { confirm_in(tx, &ctx, &hash, &typed).await }))
        .await?
}

async fn confirm_in(
    tx: &mut Tx,
    ctx: &Context,
    hash: &str,
    typed: &str,
) -> Result<Result<(), IdentityError>, IdentityError> {
    let row: Option<(Option<i64>, Option<String>, i32)> = tx
        .fetch_optional(
            query(
                "UPDATE phone_confirmations SET attempts = attempts + 1 WHERE ticket_hash = $1 \
                 AND expires_at > $2 AND confirmed_at IS NULL \
                 RETURNING user_id, code_hash, attempts",
            )
            .bind(hash)
            .bind(time::now()),
        )
        .await?;
    let Some((user_id, code_hash, attempts)) = row else {
        return Err(IdentityError::Invalid {
            field: "code",
            zh: "验证码已过期，请重新注册，或用账户登录以获取新的验证码".to_owned(),
            en: "the code has expired; register again, or sign in to get a new one".to_owned(),
        });
    };
    if attempts > MAX_ATTEMPTS {
        return Ok(Err(IdentityError::Invalid {
            field: "code",
            zh: "错误次数过多，此验证码已作废；请用账户登录以获取新的验证码".to_owned(),
            en: "too many wrong codes; sign in to get a new one".to_owned(),
        }));
    }
    let right = code_hash.is_some_and(|h| h == typed);
    let Some(user_id) = user_id.filter(|_| right) else {
        return Ok(Err(wrong()));
    };
    tx.execute(
        query("UPDATE phone_confirmations SET confirmed_at = $1 WHERE ticket_hash = $2")
            .bind(time::now())
            .bind(hash),
    )
    .await?;
    tx.execute(
        query(
            "UPDATE users SET phone_verified = TRUE, \
             assurance_level = CASE WHEN assurance_level < 1 THEN 1 ELSE assurance_level END \
             WHERE id = $1",
        )
        .bind(user_id),
    )
    .await?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "user.confirm_phone",
            object_type: "user",
            object_id: &user_id.to_string(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(Ok(()))
}

/// Confirms a registration with the code its text message carried, read
/// back from the outbox: how tests, benchmarks and the demo's people
/// (`egov demo load --people`) stand in for the person at the phone.
pub async fn confirm_from_outbox(db: &Db, pending: &Pending) -> Result<(), IdentityError> {
    let phone = phone_of(db, &pending.ticket)
        .await?
        .ok_or(IdentityError::NotFound)?;
    let text = crate::sms::outbox(db, Some(&phone), 1)
        .await?
        .into_iter()
        .next()
        .map(|m| m.body)
        .ok_or(IdentityError::NotFound)?;
    let code: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .ok_or(IdentityError::NotFound)?
        .to_owned();
    confirm(db, &Context::system(), &pending.ticket, &code).await
}
