//! Server-side sessions. The cookie holds a random token; the database holds
//! its digest, the user, the CSRF token for the session's forms and expiry.

use crate::password::verify_password;
use crate::token::{digest, random_secret};
use egov_audit::Event;
use egov_kernel::{time, Actor, Context};
use egov_store::{run, Db, StoreError};
use secrecy::SecretString;

pub const SESSION_TTL: chrono::Duration = chrono::Duration::hours(8);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub must_change_password: bool,
    pub csrf_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("user name or password is wrong")]
    BadCredentials,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SignInError {
    fn from(e: sqlx::Error) -> Self {
        SignInError::Store(e.into())
    }
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

/// Checks the password and opens a session. Returns the cookie token.
pub async fn sign_in(
    db: &Db,
    ctx: &Context,
    username: &str,
    password: SecretString,
    user_agent: Option<&str>,
) -> Result<(String, SessionUser), SignInError> {
    let mut r = db.reader().await?;
    let row: Option<(i64, String)> = run!(r, |c| sqlx::query_as(
        "SELECT id, password_hash FROM users WHERE username = $1"
    )
    .bind(username.trim())
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    let (user_id, phc) = match row {
        Some(found) => found,
        None => {
            verify_password(password, dummy_hash().await).await;
            return Err(SignInError::BadCredentials);
        }
    };
    if !verify_password(password, phc).await {
        let mut tx = db.begin().await?;
        egov_audit::append(
            &mut tx,
            ctx,
            Event {
                action: "session.sign_in_failed",
                object_type: "user",
                object_id: &user_id.to_string(),
                detail: serde_json::json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        return Err(SignInError::BadCredentials);
    }
    let token = random_secret();
    let csrf = random_secret();
    let now = time::now();
    let mut tx = db.begin().await?;
    run!(tx, |c| sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, \
         expires_at, source, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)"
    )
    .bind(digest(&token))
    .bind(user_id)
    .bind(&csrf)
    .bind(now)
    .bind(now + SESSION_TTL)
    .bind(ctx.source.as_deref())
    .bind(user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    let signed_in = Context {
        actor: Actor::User(user_id),
        ..ctx.clone()
    };
    egov_audit::append(
        &mut tx,
        &signed_in,
        Event {
            action: "session.sign_in",
            object_type: "user",
            object_id: &user_id.to_string(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    let user = find_session(db, &token)
        .await?
        .expect("session just created");
    Ok((token, user))
}

/// The signed-in user for a cookie token, if the session is live.
pub async fn find_session(db: &Db, token: &str) -> Result<Option<SessionUser>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT u.id AS user_id, u.username, u.display_name, u.is_admin, \
         u.must_change_password, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2"
    )
    .bind(digest(token))
    .bind(time::now())
    .fetch_optional(&mut *c)
    .await)?)
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
        egov_audit::append(
            &mut tx,
            ctx,
            Event {
                action: "session.sign_out",
                object_type: "user",
                object_id: &user_id.to_string(),
                detail: serde_json::json!({}),
            },
        )
        .await?;
    }
    tx.commit().await
}
