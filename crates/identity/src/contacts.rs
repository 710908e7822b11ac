//! How account holders are reached beyond the message centre: their
//! confirmed email address and phone, the channels they chose and the
//! language of what is sent; and who is told of an event (an account, the
//! accounts acting for an enterprise, the holders of a role in a
//! department).

use crate::roles::Role;
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::{Context, Locale};
use egov_notify::Recipient;
use egov_store::{query, run, Db, StoreError, Tx};
use rand::Rng;
use serde::Serialize;

fn wrong_code() -> IdentityError {
    IdentityError::Invalid {
        field: "code",
        zh: "验证码不正确或已过期".into(),
        en: "The code is wrong or has expired".into(),
    }
}

/// How long an email code is good for, and wrong codes allowed.
const EMAIL_CODE_TTL: chrono::Duration = chrono::Duration::minutes(30);
const EMAIL_CODE_ATTEMPTS: i32 = 5;
/// A second code waits this long.
const EMAIL_RESEND_AFTER: chrono::Duration = chrono::Duration::minutes(1);

egov_store::row! {
    #[derive(Debug, sqlx::FromRow)]
    struct ContactRow {
        id: i64,
        phone: Option<String>,
        phone_verified: bool,
        email: Option<String>,
        email_verified: bool,
        by_sms: Option<bool>,
        by_email: Option<bool>,
        locale: Option<String>,
    }
}

const CONTACT_COLUMNS: &str = "SELECT u.id, u.phone, u.phone_verified, u.email, \
     u.email_verified, p.by_sms, p.by_email, p.locale FROM users u \
     LEFT JOIN notification_preferences p ON p.user_id = u.id";

impl ContactRow {
    fn recipient(self) -> Recipient {
        let chosen = |on: Option<bool>, verified: bool, address: Option<String>| {
            address.filter(|_| on.unwrap_or(false) && verified)
        };
        Recipient {
            user_id: self.id,
            locale: self
                .locale
                .as_deref()
                .and_then(Locale::from_tag)
                .unwrap_or_default(),
            phone: chosen(self.by_sms, self.phone_verified, self.phone),
            email: chosen(self.by_email, self.email_verified, self.email),
        }
    }
}

async fn recipients_where(
    tx: &mut Tx,
    filter: &str,
    bind: impl FnOnce(egov_store::Statement<'_>) -> egov_store::Statement<'_>,
) -> Result<Vec<Recipient>, StoreError> {
    let sql = format!("{CONTACT_COLUMNS} WHERE u.disabled = FALSE AND {filter} ORDER BY u.id");
    let rows: Vec<ContactRow> = tx.fetch_all(bind(query(&sql))).await?;
    Ok(rows.into_iter().map(ContactRow::recipient).collect())
}

/// The applicant of a case to be told: the person, and everyone acting for
/// the enterprise when they applied for one (the enterprise is the applicant).
pub async fn applicant(
    tx: &mut Tx,
    user_id: i64,
    enterprise_id: Option<i64>,
) -> Result<Vec<Recipient>, StoreError> {
    recipients_where(tx, "(u.id = $1 OR u.enterprise_id = $2)", |q| {
        q.bind(user_id).bind(enterprise_id)
    })
    .await
}

/// A case's followers to be told (not its applicant): each with the page
/// they follow it on.
pub async fn followers(tx: &mut Tx, case_id: i64) -> Result<Vec<(Recipient, String)>, StoreError> {
    let links: Vec<(i64, String)> = tx
        .fetch_all(
            query("SELECT user_id, link FROM case_followers WHERE case_id = $1 ORDER BY user_id")
                .bind(case_id),
        )
        .await?;
    let mut out = Vec::with_capacity(links.len());
    for (user_id, link) in links {
        let found = recipients_where(tx, "u.id = $1", |q| q.bind(user_id)).await?;
        out.extend(found.into_iter().map(|r| (r, link.clone())));
    }
    Ok(out)
}

/// Everyone holding one of the roles in its department: `(department, role)`
/// pairs, read with one statement.
pub async fn holding(tx: &mut Tx, grants: &[(i64, Role)]) -> Result<Vec<Recipient>, StoreError> {
    if grants.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<String> = (0..grants.len())
        .map(|i| {
            format!(
                "(g.department_id = ${} AND g.role = ${})",
                2 * i + 1,
                2 * i + 2
            )
        })
        .collect();
    let filter = format!(
        "u.id IN (SELECT g.user_id FROM role_grants g WHERE {})",
        pairs.join(" OR ")
    );
    recipients_where(tx, &filter, |q| {
        grants.iter().fold(q, |q, (department, role)| {
            q.bind(*department).bind(role.as_str())
        })
    })
    .await
}

/// One account, if it is live.
pub async fn account(tx: &mut Tx, user_id: i64) -> Result<Vec<Recipient>, StoreError> {
    recipients_where(tx, "u.id = $1", |q| q.bind(user_id)).await
}

/// What the account page shows of how its holder is told.
#[derive(Debug, Clone, Serialize)]
pub struct Preferences {
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub email: Option<String>,
    pub email_verified: bool,
    pub by_sms: bool,
    pub by_email: bool,
    pub locale: Locale,
    /// An address waiting for its code, if any.
    pub email_pending: Option<String>,
}

pub async fn preferences(db: &Db, user_id: i64) -> Result<Preferences, IdentityError> {
    let mut r = db.reader().await?;
    let sql = format!("{CONTACT_COLUMNS} WHERE u.id = $1");
    let row: Option<ContactRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await)?;
    let row = row.ok_or(IdentityError::NotFound)?;
    let pending: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT email FROM email_confirmations WHERE user_id = $1 AND expires_at > $2"
    )
    .bind(user_id)
    .bind(time::now())
    .fetch_optional(&mut *c)
    .await)?;
    Ok(Preferences {
        by_sms: row.by_sms.unwrap_or(false),
        by_email: row.by_email.unwrap_or(false),
        locale: row
            .locale
            .as_deref()
            .and_then(Locale::from_tag)
            .unwrap_or_default(),
        phone: row.phone.as_deref().map(crate::personal::mask_phone),
        phone_verified: row.phone_verified,
        email: row.email,
        email_verified: row.email_verified,
        email_pending: pending,
    })
}

/// The channels the holder chose and the language of what is sent. A
/// channel needs a confirmed address.
pub async fn set_preferences(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    by_sms: bool,
    by_email: bool,
    locale: Locale,
) -> Result<(), IdentityError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let (phone_ok, email_ok): (bool, bool) = tx
                .fetch_one(
                    query(
                        "SELECT (phone IS NOT NULL AND phone_verified), \
                         (email IS NOT NULL AND email_verified) FROM users WHERE id = $1",
                    )
                    .bind(user_id),
                )
                .await?;
            if (by_sms && !phone_ok) || (by_email && !email_ok) {
                return Err(IdentityError::Invalid {
                    field: "channels",
                    zh: "请先验证手机号码或电子邮箱，再选择以此接收通知".into(),
                    en: "Confirm the phone number or email address before choosing it".into(),
                });
            }
            tx.execute(
                query(
                    "INSERT INTO notification_preferences (user_id, by_email, by_sms, locale) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE \
                     SET by_email = $2, by_sms = $3, locale = $4",
                )
                .bind(user_id)
                .bind(by_email)
                .bind(by_sms)
                .bind(locale.tag()),
            )
            .await?;
            audit(
                tx,
                &ctx,
                "user.notifications_set",
                user_id,
                serde_json::json!({
                "by_email": by_email, "by_sms": by_sms, "locale": locale.tag() }),
            )
            .await
        })
    })
    .await
}

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    user_id: i64,
    detail: serde_json::Value,
) -> Result<(), IdentityError> {
    let event = Event {
        action,
        object_type: "user",
        object_id: &user_id.to_string(),
        detail,
    };
    Ok(egov_audit::append(tx, ctx, event).await?)
}

/// An email address as people type it: one `@` with something either side,
/// no spaces, at most 254 characters; kept in lower case.
pub fn parse_email(text: &str) -> Option<String> {
    let text = text.trim().to_lowercase();
    let (local, domain) = text.split_once('@')?;
    let fits = text.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    fits.then_some(text)
}

fn email_code_digest(user_id: i64, email: &str, code: &str) -> String {
    crate::token::digest(&format!("email:{user_id}:{email}:{code}"))
}

/// Sends a code to `email`; the address counts once its code is entered.
/// A new code replaces the one before.
pub async fn start_email_confirmation(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    email: &str,
) -> Result<(), IdentityError> {
    let email = parse_email(email).ok_or_else(|| IdentityError::Invalid {
        field: "email",
        zh: "请输入有效的电子邮箱地址".into(),
        en: "Enter a valid email address".into(),
    })?;
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let now = time::now();
            // One code a minute: each is an email to an address anyone typed.
            let recent: i64 = tx
                .fetch_scalar(
                    query(
                        "SELECT count(*) FROM email_confirmations WHERE user_id = $1 \
                         AND created_at > $2",
                    )
                    .bind(user_id)
                    .bind(now - EMAIL_RESEND_AFTER),
                )
                .await?;
            if recent > 0 {
                return Err(IdentityError::Invalid {
                    field: "email",
                    zh: "验证码刚刚发送过，请一分钟后再试".into(),
                    en: "A code was sent a moment ago; try again in a minute".into(),
                });
            }
            tx.execute(
                query(
                    "INSERT INTO email_confirmations (user_id, email, code_hash, created_at, \
                     expires_at, attempts) VALUES ($1, $2, $3, $4, $5, 0) \
                     ON CONFLICT (user_id) DO UPDATE SET email = $2, code_hash = $3, \
                     created_at = $4, expires_at = $5, attempts = 0",
                )
                .bind(user_id)
                .bind(&email)
                .bind(email_code_digest(user_id, &email, &code))
                .bind(now)
                .bind(now + EMAIL_CODE_TTL),
            )
            .await?;
            let body = format!(
                "您的邮箱验证码是 {code}，30 分钟内有效。请勿告诉他人。\n\
                 Your email confirmation code is {code}; it is good for 30 minutes.\n"
            );
            egov_notify::outbox::queue_text(
                tx,
                egov_notify::outbox::Channel::Email,
                &email,
                "北京市电子政务平台邮箱验证 / Confirm your email address",
                &body,
            )
            .await?;
            audit(
                tx,
                &ctx,
                "user.email_code_sent",
                user_id,
                serde_json::json!({
                "email": email }),
            )
            .await
        })
    })
    .await
}

/// The code sent to the waiting address: right, it becomes the account's
/// confirmed email; wrong too often, or late, it is spent.
pub async fn confirm_email(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    code: &str,
) -> Result<String, IdentityError> {
    let (ctx, code) = (ctx.clone(), code.trim().to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let waiting: Option<(String, String, Timestamp, i32)> = tx
                .fetch_optional(
                    query(
                        "SELECT email, code_hash, expires_at, attempts FROM email_confirmations \
                         WHERE user_id = $1",
                    )
                    .bind(user_id),
                )
                .await?;
            let Some((email, digest, expires_at, attempts)) = waiting else {
                return Err(wrong_code());
            };
            if expires_at <= time::now() || attempts >= EMAIL_CODE_ATTEMPTS {
                return Err(wrong_code());
            }
            if email_code_digest(user_id, &email, &code) != digest {
                tx.execute(
                    query(
                        "UPDATE email_confirmations SET attempts = attempts + 1 \
                         WHERE user_id = $1",
                    )
                    .bind(user_id),
                )
                .await?;
                return Ok(Err(wrong_code()));
            }
            tx.execute(query("DELETE FROM email_confirmations WHERE user_id = $1").bind(user_id))
                .await?;
            tx.execute(
                query("UPDATE users SET email = $1, email_verified = TRUE WHERE id = $2")
                    .bind(&email)
                    .bind(user_id),
            )
            .await?;
            audit(
                tx,
                &ctx,
                "user.email_confirmed",
                user_id,
                serde_json::json!({
                "email": email }),
            )
            .await?;
            Ok(Ok(email))
        })
    })
    .await?
}

/// The newest code emailed to `email` (the demo shows it on the page, as
/// it does the texts).
pub async fn newest_email_to(db: &Db, email: &str) -> Result<Option<String>, StoreError> {
    let templates = egov_notify::templates::current(db).await?;
    let filter = egov_notify::outbox::Filter {
        channel: Some(egov_notify::outbox::Channel::Email),
        address: Some(email),
        texts_only: true,
    };
    Ok(egov_notify::outbox::list(db, &templates, "", filter, 1)
        .await?
        .into_iter()
        .next()
        .map(|m| m.body))
}

#[cfg(test)]
mod tests {
    use super::parse_email;

    #[test]
    fn email_addresses_are_checked_and_lower_cased() {
        assert_eq!(
            parse_email(" Zhang.San@Example.GOV.cn ").as_deref(),
            Some("zhang.san@example.gov.cn")
        );
        for bad in [
            "", "a", "a@b", "@b.cn", "a@.cn", "a@b.cn.", "a b@c.cn", "a@b@c.cn",
        ] {
            assert_eq!(parse_email(bad), None, "{bad}");
        }
    }
}
