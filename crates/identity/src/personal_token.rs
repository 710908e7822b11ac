//! Personal access tokens: a citizen's or an enterprise's own software
//! calling the API as them, without an administrator. The holder names a
//! token, chooses its scopes and how long it lasts, sees it once, lists and
//! revokes it. `egovp_` + 64 hex characters; the database keeps the digest
//! and a prefix to tell tokens apart. A token acts as its holder, so the
//! holder's own rights still decide every call; the scopes only narrow them.

use crate::reauth::Proof;
use crate::session::SessionUser;
use crate::token::{digest, random_secret};
use crate::{roles_of, IdentityError, UserKind};
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError};
use serde::Serialize;

pub use crate::token::TokenScope;

pub const TOKEN_PREFIX: &str = "egovp_";

/// A person holds at most this many live tokens.
pub const MAX_LIVE: i64 = 10;

/// The lifetimes on offer, in days.
pub const LIFETIMES: [i64; 3] = [30, 90, 365];

fn parse_scopes(list: &str) -> Vec<TokenScope> {
    list.split(' ').filter_map(|s| s.parse().ok()).collect()
}

/// A token as its holder sees it (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct PersonalTokenInfo {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl PersonalTokenInfo {
    /// Usable now: neither revoked nor expired.
    pub fn live(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at > time::now()
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    prefix: String,
    scopes: String,
    created_at: Timestamp,
    expires_at: Timestamp,
    last_used_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

pub struct IssuedToken {
    pub id: i64,
    /// The whole token; shown once, never stored.
    pub token: String,
}

/// What a holder asks for.
pub struct NewToken<'a> {
    pub name: &'a str,
    pub scopes: &'a [TokenScope],
    /// One of [`LIFETIMES`].
    pub days: i64,
}

/// Issues `holder` a token, once their password (and second-factor code)
/// confirm it is them: a token is a credential, which a session cookie
/// alone must not mint. Only citizens and enterprise accounts hold them;
/// staff software uses the administrators' API keys.
pub async fn create(
    db: &Db,
    ctx: &Context,
    holder: &SessionUser,
    new: NewToken<'_>,
    proof: Proof,
) -> Result<IssuedToken, IdentityError> {
    let NewToken { name, scopes, days } = new;
    let invalid = |field, zh: &str, en: &str| IdentityError::Invalid {
        field,
        zh: zh.to_owned(),
        en: en.to_owned(),
    };
    if holder.kind == UserKind::Staff || holder.scopes.is_some() {
        return Err(IdentityError::Forbidden);
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid(
            "name",
            "名称须为 1 至 100 个字符",
            "the name must be 1-100 characters",
        ));
    }
    if scopes.is_empty() {
        return Err(invalid(
            "scopes",
            "请至少选择一个权限范围",
            "choose at least one scope",
        ));
    }
    if !LIFETIMES.contains(&days) {
        return Err(invalid(
            "days",
            "有效期须为 30、90 或 365 天",
            "the lifetime must be 30, 90 or 365 days",
        ));
    }
    crate::reauth::confirm(db, ctx, holder.user_id, proof).await?;
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    let mut chosen: Vec<&str> = TokenScope::ALL
        .iter()
        .filter(|s| scopes.contains(s))
        .map(|s| s.as_str())
        .collect();
    chosen.dedup();
    let scope_list = chosen.join(" ");
    let now = time::now();
    let expires_at = now + chrono::Duration::days(days);
    let (ctx, name, user_id) = (ctx.clone(), name.to_owned(), holder.user_id);
    let (prefix, token_hash) = (token[..TOKEN_PREFIX.len() + 8].to_owned(), digest(&token));
    let id = db
        .write(move |tx| {
            Box::pin(async move {
                let live: i64 = tx
                    .fetch_scalar(
                        query(
                            "SELECT count(*) FROM personal_tokens WHERE user_id = $1 \
                             AND revoked_at IS NULL AND expires_at > $2",
                        )
                        .bind(user_id)
                        .bind(now),
                    )
                    .await?;
                if live >= MAX_LIVE {
                    return Err(IdentityError::Invalid {
                        field: "name",
                        zh: format!("最多可有 {MAX_LIVE} 个有效令牌，请先吊销不用的"),
                        en: format!("at most {MAX_LIVE} live tokens; revoke one you no longer use"),
                    });
                }
                let id: i64 = tx
                    .fetch_scalar(
                        query(
                            "INSERT INTO personal_tokens (user_id, name, prefix, token_hash, \
                             scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             RETURNING id",
                        )
                        .bind(user_id)
                        .bind(&name)
                        .bind(&prefix)
                        .bind(&token_hash)
                        .bind(&scope_list)
                        .bind(now)
                        .bind(expires_at),
                    )
                    .await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "personal_token.create",
                        object_type: "personal_token",
                        object_id: &id.to_string(),
                        detail: serde_json::json!({ "user_id": user_id, "name": name,
                            "scopes": scope_list, "expires_at": time::canonical(&expires_at) }),
                    },
                )
                .await?;
                Ok::<_, IdentityError>(id)
            })
        })
        .await?;
    Ok(IssuedToken { id, token })
}

/// `user_id`'s tokens, newest first, revoked and expired ones included.
pub async fn list(db: &Db, user_id: i64) -> Result<Vec<PersonalTokenInfo>, StoreError> {
    let mut r = db.reader().await?;
    let rows: Vec<TokenRow> = run!(r, |c| sqlx::query_as(
        "SELECT id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at \
         FROM personal_tokens WHERE user_id = $1 ORDER BY id DESC"
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| PersonalTokenInfo {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: parse_scopes(&r.scopes),
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
        .collect())
}

/// Revokes `user_id`'s token `id` at once, audited. Someone else's token
/// is not found.
pub async fn revoke(db: &Db, ctx: &Context, user_id: i64, id: i64) -> Result<(), IdentityError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE personal_tokens SET revoked_at = $1 \
                         WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(time::now())
                    .bind(id)
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
                    action: "personal_token.revoke",
                    object_type: "personal_token",
                    object_id: &id.to_string(),
                    detail: serde_json::json!({ "user_id": user_id }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

#[derive(sqlx::FromRow)]
struct HolderRow {
    token_id: i64,
    scopes: String,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    user_id: i64,
    username: String,
    display_name: String,
    kind: String,
    enterprise_id: Option<i64>,
    enterprise_role: Option<String>,
    view_only: bool,
    must_change_password: bool,
    mfa_enabled: bool,
    assurance_level: i32,
}

/// How often a token's last use is written down: not on every call.
const NOTE_USE_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// The holder behind a presented live token, acting within its scopes
/// (`SessionUser::scopes`), if any. A disabled holder's tokens do nothing.
pub async fn authenticate(db: &Db, presented: &str) -> Result<Option<SessionUser>, StoreError> {
    if !presented.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let now = time::now();
    let mut r = db.reader().await?;
    let row: Option<HolderRow> = run!(r, |c| sqlx::query_as(
        "SELECT t.id AS token_id, t.scopes, t.created_at, t.last_used_at, u.id AS user_id, \
         u.username, u.display_name, u.kind, u.enterprise_id, u.enterprise_role, u.view_only, \
         u.must_change_password, (u.totp_secret IS NOT NULL) AS mfa_enabled, u.assurance_level \
         FROM personal_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 \
         AND u.disabled = FALSE"
    )
    .bind(digest(presented))
    .bind(now)
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    let Some(row) = row else { return Ok(None) };
    if row.last_used_at.is_none_or(|t| now - t > NOTE_USE_EVERY) {
        db.execute(
            query("UPDATE personal_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(row.token_id),
        )
        .await?;
    }
    let kind = UserKind::parse(&row.kind).unwrap_or(UserKind::Citizen);
    if kind == UserKind::Staff {
        return Ok(None);
    }
    Ok(Some(SessionUser {
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        kind,
        department_id: None,
        enterprise_id: row.enterprise_id,
        enterprise_role: row.enterprise_role,
        view_only: row.view_only,
        roles: roles_of(db, row.user_id).await?,
        must_change_password: row.must_change_password,
        mfa_enabled: row.mfa_enabled,
        complete: true,
        auth_time: row.created_at,
        // No cookie rides along with a bearer token: nothing to forge.
        csrf_token: String::new(),
        sid: String::new(),
        assurance_level: row.assurance_level,
        unread_notices: 0,
        unread_messages: 0,
        scopes: Some(parse_scopes(&row.scopes)),
    }))
}
