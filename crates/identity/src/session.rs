//! Sign-in and server-side sessions. The cookie holds a random token; the
//! database holds its digest, the user, the CSRF token for the session's
//! forms, the stage (second factor owed or complete) and expiry.

use crate::account::{roles_of, UserKind};
use crate::password::verify_password;
use crate::roles::{Role, RoleGrant};
use crate::throttle::{self, ThrottleRules};
use crate::token::{digest, random_secret};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::{Actor, Context};
use egov_store::{run, Db, StoreError, Tx};
use secrecy::SecretString;
use serde::Serialize;

pub const SESSION_TTL: chrono::Duration = chrono::Duration::hours(8);
/// Time allowed between the password and the second factor.
const SECOND_FACTOR_TTL: chrono::Duration = chrono::Duration::minutes(5);

/// What a signed-in user still has to do before using the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    SecondFactor,
    ChangePassword,
    /// Civil servants must use a second factor.
    EnrolSecondFactor,
}

#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub kind: UserKind,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub enterprise_role: Option<String>,
    pub roles: Vec<RoleGrant>,
    pub must_change_password: bool,
    pub mfa_enabled: bool,
    /// False while the second factor is still owed.
    pub complete: bool,
    pub auth_time: Timestamp,
    pub csrf_token: String,
}

impl SessionUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|g| g.role == role)
    }

    /// Holds `role` for `department_id`, or city-wide.
    pub fn has_role_for(&self, role: Role, department_id: Option<i64>) -> bool {
        self.roles.iter().any(|g| {
            g.role == role && (g.department_id.is_none() || g.department_id == department_id)
        })
    }

    pub fn is_legal_rep(&self) -> bool {
        self.enterprise_role.as_deref() == Some("legal_rep")
    }

    pub fn pending_setup(&self) -> Option<Setup> {
        if !self.complete {
            Some(Setup::SecondFactor)
        } else if self.must_change_password {
            Some(Setup::ChangePassword)
        } else if self.kind == UserKind::Staff && !self.mfa_enabled {
            Some(Setup::EnrolSecondFactor)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("user name or password is wrong")]
    BadCredentials,
    #[error("too many failed attempts; locked until {0}")]
    Locked(Timestamp),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SignInError {
    fn from(e: sqlx::Error) -> Self {
        SignInError::Store(e.into())
    }
}

/// The outcome of a correct password.
pub enum SignIn {
    /// Signed in.
    Complete { token: String, user: SessionUser },
    /// The password was right; the second factor is owed on this session.
    SecondFactor { token: String },
}

/// A hash of a random password, checked when the user does not exist, so a
/// wrong user name costs as much time as a wrong password.
async fn dummy_hash() -> String {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| crate::password::hash_password(SecretString::from(random_secret())))
        .await
        .clone()
}

/// Checks the password (the login may be the user name or, for citizens,
/// the resident ID number) and opens a session.
pub async fn sign_in(
    db: &Db,
    ctx: &Context,
    login: &str,
    password: SecretString,
    user_agent: Option<&str>,
) -> Result<SignIn, SignInError> {
    let login = login.trim();
    let account_key = throttle::account_key(login);
    let source_key = ctx.source.as_deref().map(throttle::source_key);
    let mut keys = vec![account_key.as_str()];
    keys.extend(source_key.as_deref());
    if let Some(until) = throttle::locked_until(db, &keys).await? {
        return Err(SignInError::Locked(until));
    }

    let mut r = db.reader().await?;
    let row: Option<(i64, String, bool, bool)> = run!(r, |c| sqlx::query_as(
        "SELECT id, password_hash, disabled, (totp_secret IS NOT NULL) FROM users \
         WHERE username = $1 OR resident_id = $2"
    )
    .bind(login)
    .bind(login.to_ascii_uppercase())
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    let verified = match &row {
        Some((_, phc, disabled, _)) => verify_password(password, phc.clone()).await && !disabled,
        None => {
            verify_password(password, dummy_hash().await).await;
            false
        }
    };
    let mut tx = db.begin().await?;
    let Some((user_id, _, _, mfa)) = row.filter(|_| verified) else {
        let mut locked =
            throttle::record_failure(&mut tx, &account_key, &ThrottleRules::account()).await?;
        if let Some(k) = &source_key {
            let by_source = throttle::record_failure(&mut tx, k, &ThrottleRules::source()).await?;
            locked = locked.max(by_source);
        }
        // An ID number typed as the login is recorded masked.
        let shown = egov_kernel::identifier::ResidentId::parse(login)
            .map(|id| id.masked())
            .unwrap_or_else(|_| login.chars().take(64).collect());
        egov_audit::append(
            &mut tx,
            ctx,
            Event {
                action: "session.sign_in_failed",
                object_type: "login",
                object_id: &shown,
                detail: serde_json::json!({ "locked_until": locked.map(|t| time::canonical(&t)) }),
            },
        )
        .await?;
        tx.commit().await?;
        return Err(match locked {
            Some(until) => SignInError::Locked(until),
            None => SignInError::BadCredentials,
        });
    };
    throttle::clear(&mut tx, &account_key).await?;
    let token = random_secret();
    let stage = if mfa { "password" } else { "full" };
    open_session(&mut tx, user_id, &token, stage, ctx, user_agent).await?;
    let actor = Context {
        actor: Actor::User(user_id),
        ..ctx.clone()
    };
    let action = if mfa {
        "session.password_ok"
    } else {
        "session.sign_in"
    };
    audit_user(&mut tx, &actor, action, user_id).await?;
    tx.commit().await?;
    if mfa {
        return Ok(SignIn::SecondFactor { token });
    }
    let user = find_session(db, &token)
        .await?
        .expect("session just created");
    Ok(SignIn::Complete { token, user })
}

async fn open_session(
    tx: &mut Tx,
    user_id: i64,
    token: &str,
    stage: &str,
    ctx: &Context,
    user_agent: Option<&str>,
) -> Result<(), StoreError> {
    let now = time::now();
    let ttl = if stage == "full" {
        SESSION_TTL
    } else {
        SECOND_FACTOR_TTL
    };
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, stage, auth_time, created_at, \
         last_seen_at, expires_at, source, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $5, $6, $7, $8)"
    )
    .bind(digest(token))
    .bind(user_id)
    .bind(random_secret())
    .bind(stage)
    .bind(now)
    .bind(now + ttl)
    .bind(ctx.source.as_deref())
    .bind(user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
    .execute(&mut *c)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

async fn audit_user(
    tx: &mut Tx,
    ctx: &Context,
    action: &str,
    user_id: i64,
) -> Result<(), StoreError> {
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
    .await
    .map(|_| ())
}

#[derive(Debug, thiserror::Error)]
pub enum SecondFactorError {
    #[error("the code is wrong or was already used")]
    WrongCode,
    #[error("the sign-in has expired; start again")]
    Expired,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// Completes a sign-in with a TOTP or recovery code. The half-open session
/// is replaced by a new one (a new token), so a token seen before the
/// second factor is worth nothing after it.
pub async fn complete_second_factor(
    db: &Db,
    ctx: &Context,
    token: &str,
    code: &str,
    user_agent: Option<&str>,
) -> Result<(String, SessionUser), SecondFactorError> {
    let mut r = db.reader().await.map_err(IdentityError::from)?;
    let user_id: Option<i64> = run!(r, |c| {
        sqlx::query_scalar(
        "SELECT user_id FROM sessions WHERE id_hash = $1 AND stage = 'password' AND expires_at > $2"
    )
    .bind(digest(token))
    .bind(time::now())
    .fetch_optional(&mut *c)
    .await
    })
    .map_err(IdentityError::from)?;
    drop(r);
    let user_id = user_id.ok_or(SecondFactorError::Expired)?;
    let actor = Context {
        actor: Actor::User(user_id),
        ..ctx.clone()
    };
    let mut tx = db.begin().await.map_err(IdentityError::from)?;
    if !crate::mfa::check_code(&mut tx, user_id, code).await? {
        let key = format!("mfa:{user_id}");
        throttle::record_failure(&mut tx, &key, &ThrottleRules::account())
            .await
            .map_err(IdentityError::from)?;
        audit_user(&mut tx, &actor, "session.second_factor_failed", user_id)
            .await
            .map_err(IdentityError::from)?;
        tx.commit().await.map_err(IdentityError::from)?;
        return Err(SecondFactorError::WrongCode);
    }
    let new_token = random_secret();
    run!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE id_hash = $1"
    )
    .bind(digest(token))
    .execute(&mut *c)
    .await
    .map(|_| ()))
    .map_err(IdentityError::from)?;
    open_session(&mut tx, user_id, &new_token, "full", ctx, user_agent)
        .await
        .map_err(IdentityError::from)?;
    audit_user(&mut tx, &actor, "session.sign_in", user_id)
        .await
        .map_err(IdentityError::from)?;
    tx.commit().await.map_err(IdentityError::from)?;
    let user = find_session(db, &new_token)
        .await
        .map_err(IdentityError::from)?
        .expect("session just created");
    Ok((new_token, user))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    username: String,
    display_name: String,
    kind: String,
    department_id: Option<i64>,
    enterprise_id: Option<i64>,
    enterprise_role: Option<String>,
    must_change_password: bool,
    mfa_enabled: bool,
    stage: String,
    auth_time: Timestamp,
    csrf_token: String,
}

/// The user of a live session (either stage), if any.
pub async fn find_session(db: &Db, token: &str) -> Result<Option<SessionUser>, StoreError> {
    let mut r = db.reader().await?;
    let row: Option<SessionRow> = run!(r, |c| sqlx::query_as(
        "SELECT u.id AS user_id, u.username, u.display_name, u.kind, u.department_id, \
         u.enterprise_id, u.enterprise_role, u.must_change_password, \
         (u.totp_secret IS NOT NULL) AS mfa_enabled, s.stage, s.auth_time, s.csrf_token \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE"
    )
    .bind(digest(token))
    .bind(time::now())
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    let Some(row) = row else { return Ok(None) };
    let roles = roles_of(db, row.user_id).await?;
    Ok(Some(SessionUser {
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        kind: UserKind::parse(&row.kind).unwrap_or(UserKind::Citizen),
        department_id: row.department_id,
        enterprise_id: row.enterprise_id,
        enterprise_role: row.enterprise_role,
        roles,
        must_change_password: row.must_change_password,
        mfa_enabled: row.mfa_enabled,
        complete: row.stage == "full",
        auth_time: row.auth_time,
        csrf_token: row.csrf_token,
    }))
}

/// A session as its owner sees it in "my sessions".
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionInfo {
    /// A handle for ending this session: a prefix of the token's digest.
    pub handle: String,
    pub created_at: Timestamp,
    pub source: Option<String>,
    pub user_agent: Option<String>,
    pub current: bool,
}

pub async fn list_sessions(
    db: &Db,
    user_id: i64,
    current_token: &str,
) -> Result<Vec<SessionInfo>, StoreError> {
    let mut r = db.reader().await?;
    let rows: Vec<(String, Timestamp, Option<String>, Option<String>)> =
        run!(r, |c| sqlx::query_as(
            "SELECT id_hash, created_at, source, user_agent FROM sessions \
         WHERE user_id = $1 AND stage = 'full' AND expires_at > $2 ORDER BY created_at DESC"
        )
        .bind(user_id)
        .bind(time::now())
        .fetch_all(&mut *c)
        .await)?;
    let current = digest(current_token);
    Ok(rows
        .into_iter()
        .map(|(id_hash, created_at, source, user_agent)| SessionInfo {
            handle: id_hash[..16].to_owned(),
            current: id_hash == current,
            created_at,
            source,
            user_agent,
        })
        .collect())
}

/// Ends one of the user's own sessions by its handle.
pub async fn end_session_by_handle(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    handle: &str,
) -> Result<bool, StoreError> {
    if handle.len() != 16 || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    let n = run!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND substr(id_hash, 1, 16) = $2"
    )
    .bind(user_id)
    .bind(handle)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if n > 0 {
        audit_user(&mut tx, ctx, "session.revoke", user_id).await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// "Sign out everywhere": ends every session of the user, the current one too.
pub async fn end_all_sessions(db: &Db, ctx: &Context, user_id: i64) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let n = run!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    audit_user(&mut tx, ctx, "session.sign_out_everywhere", user_id).await?;
    tx.commit().await?;
    Ok(n)
}

pub async fn end_session(db: &Db, ctx: &Context, token: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let user: Option<i64> = run!(tx, |c| sqlx::query_scalar(
        "DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id"
    )
    .bind(digest(token))
    .fetch_optional(&mut *c)
    .await)?;
    if let Some(user_id) = user {
        audit_user(&mut tx, ctx, "session.sign_out", user_id).await?;
    }
    tx.commit().await
}
