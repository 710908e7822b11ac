//! Sign-in and server-side sessions. The cookie holds a random token; the
//! database holds its digest, the user, the CSRF token for the session's
//! forms, the stage (second factor owed or complete) and expiry.

use crate::account::{roles_of, UserKind};
use crate::notice::NoticeKind;
use crate::password::{verify_password, Busy};
use crate::roles::{Role, RoleGrant};
use crate::throttle::{self, Claim, Claimed, Key};
use crate::token::{digest, random_secret};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::{Actor, Context};
use egov_store::{query, run, Db, StoreError, Tx};
use secrecy::SecretString;
use serde::Serialize;

pub const SESSION_TTL: chrono::Duration = chrono::Duration::hours(8);
/// Time allowed between the password and the second factor.
const SECOND_FACTOR_TTL: chrono::Duration = chrono::Duration::minutes(5);
/// How often a session's last use is written down: its idle clock is this
/// coarse, and a busy session costs one write a minute, not one a request.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// A session ends after this long unused (and, whatever happens, after
/// [`SESSION_TTL`]); single sign-on tokens issued in it end with it.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: chrono::Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: chrono::Duration::minutes(30),
        }
    }
}

static LIMITS: std::sync::OnceLock<SessionLimits> = std::sync::OnceLock::new();

/// Sets the limits before the first session is looked up.
pub fn configure_sessions(limits: SessionLimits) -> bool {
    LIMITS.set(limits).is_ok()
}

fn limits() -> SessionLimits {
    *LIMITS.get_or_init(SessionLimits::default)
}

/// A session last used before this is over (idle too long).
pub fn idle_cutoff(now: Timestamp) -> Timestamp {
    now - limits().idle
}

/// Why sessions ended, for the record and the relying parties told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    SignOut,
    Revoked,
    SignOutEverywhere,
    PasswordChanged,
    AccountDisabled,
    SecondFactorReset,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::SignOut => "sign_out",
            Ending::Revoked => "revoked",
            Ending::SignOutEverywhere => "sign_out_everywhere",
            Ending::PasswordChanged => "password_changed",
            Ending::AccountDisabled => "account_disabled",
            Ending::SecondFactorReset => "second_factor_reset",
        }
    }
}

/// Revokes every live personal access token of `user_id` inside `tx` (a
/// password changed or reset: whoever had the account may have made one);
/// answers how many.
pub(crate) async fn revoke_personal_tokens(
    tx: &mut egov_store::Tx,
    user_id: i64,
) -> Result<u64, StoreError> {
    tx.execute(
        query(
            "UPDATE personal_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(time::now())
        .bind(user_id),
    )
    .await
}

/// Which sessions to end.
pub(crate) enum Sessions<'a> {
    /// The one behind this token.
    Token(&'a str),
    /// One of `user_id`'s, by the handle its owner sees.
    Handle { user_id: i64, handle: &'a str },
    /// All of `user_id`'s, but the one behind `keep` (a token).
    AllOf { user_id: i64, keep: Option<&'a str> },
}

/// Ends sessions inside `tx` and records each signed-in one as ended, so
/// the relying parties holding its tokens are told (Back-Channel Logout).
/// Returns the users whose sessions ended.
pub(crate) async fn end_sessions(
    tx: &mut Tx,
    which: Sessions<'_>,
    why: Ending,
) -> Result<Vec<i64>, StoreError> {
    let ended: Vec<(Option<String>, i64, String)> = match which {
        Sessions::Token(token) => {
            tx.fetch_all(
                query("DELETE FROM sessions WHERE id_hash = $1 RETURNING sid, user_id, stage")
                    .bind(digest(token)),
            )
            .await?
        }
        Sessions::Handle { user_id, handle } => {
            tx.fetch_all(
                query(
                    "DELETE FROM sessions WHERE user_id = $1 AND substr(id_hash, 1, 16) = $2 \
             RETURNING sid, user_id, stage",
                )
                .bind(user_id)
                .bind(handle),
            )
            .await?
        }
        Sessions::AllOf { user_id, keep } => {
            let keep = keep.map(digest).unwrap_or_default();
            tx.fetch_all(
                query(
                    "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2 \
                 RETURNING sid, user_id, stage",
                )
                .bind(user_id)
                .bind(&keep),
            )
            .await?
        }
    };
    let now = time::now();
    let mut users = Vec::new();
    for (sid, user_id, stage) in &ended {
        users.push(*user_id);
        let Some(sid) = sid.as_deref().filter(|_| stage == "full") else {
            continue;
        };
        tx.execute(query("INSERT INTO ended_sessions (sid, user_id, ended_at, reason) VALUES ($1, $2, $3, $4)").bind(sid).bind(user_id).bind(now).bind(why.as_str())).await.map(|_| ())?;
    }
    users.dedup();
    Ok(users)
}

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
    /// An operator limited by the legal representative to seeing the
    /// enterprise's business without acting on it.
    pub view_only: bool,
    pub roles: Vec<RoleGrant>,
    pub must_change_password: bool,
    pub mfa_enabled: bool,
    /// False while the second factor is still owed.
    pub complete: bool,
    pub auth_time: Timestamp,
    pub csrf_token: String,
    /// The session's public id: the `sid` of ID tokens issued in it.
    pub sid: String,
    /// How well the holder's identity is established (0-3).
    pub assurance_level: i32,
    /// Notices about the account the holder has not read yet.
    pub unread_notices: i64,
    /// Messages in the holder's message centre not read yet.
    pub unread_messages: i64,
    /// `None` for a person signed in; for their software calling with a
    /// personal access token, what the token allows (it narrows the
    /// holder's own rights, never widens them).
    pub scopes: Option<Vec<crate::token::TokenScope>>,
}

impl SessionUser {
    /// The enterprise this person acts for: files, withdraws, answers and
    /// rates its applications. None for a view-only operator, who sees the
    /// enterprise's business (`enterprise_id`) without acting on it.
    pub fn acting_enterprise(&self) -> Option<i64> {
        self.enterprise_id.filter(|_| !self.view_only)
    }

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
    /// The password was right, but the phone number is not confirmed yet:
    /// a new code went to it.
    #[error("the phone number is not confirmed yet")]
    Unconfirmed(crate::confirmation::Pending),
    #[error(transparent)]
    Busy(#[from] Busy),
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
    Complete {
        token: String,
        user: Box<SessionUser>,
    },
    /// The password was right; the second factor is owed on this session.
    SecondFactor { token: String },
}

/// A hash of a random password, checked when the user does not exist, so a
/// wrong user name costs as much time as a wrong password.
async fn dummy_hash() -> Result<String, Busy> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| crate::password::hash_password(SecretString::from(random_secret())))
        .await
        .cloned()
}

/// The keys a password attempt counts under: the person (however they
/// named themselves) or, when the login names nobody, the login; and the
/// source address.
fn password_keys(user_id: Option<i64>, login: &str, ctx: &Context) -> Vec<Key> {
    let mut keys = vec![match user_id {
        Some(id) => Key::Person(id),
        None => Key::unknown_login(login),
    }];
    keys.extend(ctx.source.as_deref().map(|s| Key::Source(s.to_owned())));
    keys
}

/// Counts the lockouts a failed attempt set and tells the account holder.
pub(crate) async fn after_failure(
    tx: &mut Tx,
    ctx: &Context,
    claim: Claim,
    kind: NoticeKind,
) -> Result<Option<Timestamp>, StoreError> {
    let locked = claim.locked_if_failed();
    for lockout in claim.failed() {
        if let Some(holder) = lockout.key.holder() {
            crate::notice::tell(tx, ctx, holder, kind, lockout.until).await?;
        }
    }
    Ok(locked)
}

/// Checks a password attempt for `user_id` under the throttle: claimed
/// first, so no more than the limit is ever checked, then checked on the
/// hash gate. `Ok(Some(claim))` when the password is right (the caller
/// settles the claim in its transaction); a wrong one is counted, audited
/// by the caller's `on_failure`, and reported.
pub(crate) async fn check_password(
    db: &Db,
    keys: &[Key],
    password: SecretString,
    phc: Option<String>,
) -> Result<PasswordCheck, SignInError> {
    let claim = match throttle::claim(db, keys).await? {
        Claimed::Locked(until) => return Err(SignInError::Locked(until)),
        Claimed::Go(claim) => claim,
    };
    let phc = match phc {
        Some(phc) => Ok(phc),
        None => dummy_hash().await,
    };
    let verified = match phc {
        Ok(phc) => verify_password(password, phc).await,
        Err(busy) => Err(busy),
    };
    match verified {
        Ok(ok) => Ok(PasswordCheck { claim, ok }),
        Err(busy) => {
            claim.give_back(db).await?;
            Err(SignInError::Busy(busy))
        }
    }
}

pub(crate) struct PasswordCheck {
    pub claim: Claim,
    pub ok: bool,
}

/// Runs an attempt to its end even when the caller stops waiting (a client
/// that hangs up mid-sign-in): an attempt claimed is always settled, never
/// left counted as a failure nobody made.
pub(crate) async fn to_the_end<T: Send + 'static>(
    attempt: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    match tokio::spawn(attempt).await {
        Ok(out) => out,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
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
    let (db, ctx) = (db.clone(), ctx.clone());
    let (login, user_agent) = (login.to_owned(), user_agent.map(str::to_owned));
    to_the_end(
        async move { sign_in_attempt(&db, &ctx, &login, password, user_agent.as_deref()).await },
    )
    .await
}

async fn sign_in_attempt(
    db: &Db,
    ctx: &Context,
    login: &str,
    password: SecretString,
    user_agent: Option<&str>,
) -> Result<SignIn, SignInError> {
    let login = login.trim();
    let mut r = db.reader().await?;
    let row: Option<(i64, String, bool, bool, bool, Option<String>)> =
        run!(r, |c| sqlx::query_as(
            "SELECT id, password_hash, disabled, (totp_secret IS NOT NULL), phone_verified, phone \
         FROM users WHERE username = $1 OR resident_id = $2"
        )
        .bind(login)
        .bind(login.to_ascii_uppercase())
        .fetch_optional(&mut *c)
        .await)?;
    drop(r);
    let keys = password_keys(row.as_ref().map(|r| r.0), login, ctx);
    let check = check_password(db, &keys, password, row.as_ref().map(|r| r.1.clone())).await?;
    let (ctx, login, user_agent) = (ctx.clone(), login.to_owned(), user_agent.map(str::to_owned));
    let (token, mfa) = db
        .write(move |tx| {
            Box::pin(async move {
                let Some((user_id, _, _, mfa, confirmed, phone)) =
                    row.filter(|(_, _, disabled, ..)| check.ok && !disabled)
                else {
                    let locked =
                        after_failure(tx, &ctx, check.claim, NoticeKind::PasswordLockout).await?;
                    // An ID number typed as the login is recorded masked.
                    let shown = egov_kernel::identifier::ResidentId::parse(&login)
                        .map(|id| id.masked())
                        .unwrap_or_else(|_| login.chars().take(64).collect());
                    egov_audit::append(
                        tx,
                        &ctx,
                        Event {
                            action: "session.sign_in_failed",
                            object_type: "login",
                            object_id: &shown,
                            detail: serde_json::json!({
                                "locked_until": locked.map(|t| time::canonical(&t))
                            }),
                        },
                    )
                    .await?;
                    return Ok(Err(match locked {
                        Some(until) => SignInError::Locked(until),
                        None => SignInError::BadCredentials,
                    }));
                };
                check.claim.succeeded(tx).await?;
                if !confirmed {
                    // The account waits for its phone: a new code, no session.
                    let phone = phone
                        .as_deref()
                        .and_then(|p| egov_kernel::identifier::MobileNumber::parse(p).ok());
                    if let Some(phone) = phone {
                        let pending = crate::confirmation::open(tx, Some(user_id), &phone).await?;
                        return Ok(Err(SignInError::Unconfirmed(pending)));
                    }
                }
                let token = random_secret();
                let stage = if mfa { "password" } else { "full" };
                open_session(tx, user_id, &token, stage, &ctx, user_agent.as_deref()).await?;
                let actor = Context {
                    actor: Actor::User(user_id),
                    ..ctx.clone()
                };
                let action = if mfa {
                    "session.password_ok"
                } else {
                    "session.sign_in"
                };
                audit_user(tx, &actor, action, user_id).await?;
                Ok::<_, SignInError>(Ok((token, mfa)))
            })
        })
        .await??;
    if mfa {
        return Ok(SignIn::SecondFactor { token });
    }
    let user = find_session(db, &token)
        .await?
        .expect("session just created");
    Ok(SignIn::Complete {
        token,
        user: Box::new(user),
    })
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
    tx.execute(
        query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, stage, auth_time, created_at, \
         last_seen_at, expires_at, source, user_agent, sid) \
         VALUES ($1, $2, $3, $4, $5, $5, $5, $6, $7, $8, $9)",
        )
        .bind(digest(token))
        .bind(user_id)
        .bind(random_secret())
        .bind(stage)
        .bind(now)
        .bind(now + ttl)
        .bind(ctx.source.as_deref())
        .bind(user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
        .bind(random_secret()[..32].to_owned()),
    )
    .await
    .map(|_| ())?;
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
    #[error("too many wrong codes; the second factor is locked until {0}")]
    Locked(Timestamp),
    #[error("the sign-in has expired; start again")]
    Expired,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<StoreError> for SecondFactorError {
    fn from(e: StoreError) -> Self {
        SecondFactorError::Identity(e.into())
    }
}

/// A second-factor code claimed under its throttle (one count per person
/// across sessions, TOTP and recovery codes alike) and matched, before the
/// transaction that settles it ([`SecondFactor::settle`]).
pub(crate) struct SecondFactor {
    user_id: i64,
    claim: Claim,
    matched: crate::mfa::Matched,
}

impl SecondFactor {
    pub(crate) async fn check(
        db: &Db,
        user_id: i64,
        code: &str,
    ) -> Result<SecondFactor, SecondFactorError> {
        let claim = match throttle::claim(db, &[Key::SecondFactor(user_id)]).await? {
            Claimed::Locked(until) => return Err(SecondFactorError::Locked(until)),
            Claimed::Go(claim) => claim,
        };
        match crate::mfa::match_code(db, user_id, code).await {
            Ok(matched) => Ok(SecondFactor {
                user_id,
                claim,
                matched,
            }),
            Err(e) => {
                claim.give_back(db).await?;
                Err(e.into())
            }
        }
    }

    /// Spends the code inside `tx`; a wrong one is counted, audited and the
    /// holder told of a lockout. The transaction commits either way.
    pub(crate) async fn settle(
        self,
        tx: &mut Tx,
        ctx: &Context,
    ) -> Result<Result<(), SecondFactorError>, IdentityError> {
        let SecondFactor {
            user_id,
            claim,
            matched,
        } = self;
        if crate::mfa::spend(tx, user_id, matched).await? {
            claim.succeeded(tx).await?;
            return Ok(Ok(()));
        }
        let locked = after_failure(tx, ctx, claim, NoticeKind::SecondFactorLockout).await?;
        audit_user(tx, ctx, "session.second_factor_failed", user_id).await?;
        Ok(Err(match locked {
            Some(until) => SecondFactorError::Locked(until),
            None => SecondFactorError::WrongCode,
        }))
    }
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
    let (db, ctx) = (db.clone(), ctx.clone());
    let (token, code, user_agent) = (
        token.to_owned(),
        code.to_owned(),
        user_agent.map(str::to_owned),
    );
    to_the_end(async move {
        second_factor_attempt(&db, &ctx, &token, &code, user_agent.as_deref()).await
    })
    .await
}

async fn second_factor_attempt(
    db: &Db,
    ctx: &Context,
    token: &str,
    code: &str,
    user_agent: Option<&str>,
) -> Result<(String, SessionUser), SecondFactorError> {
    let mut r = db.reader().await?;
    let user_id: Option<i64> = run!(r, |c| {
        sqlx::query_scalar(
        "SELECT user_id FROM sessions WHERE id_hash = $1 AND stage = 'password' AND expires_at > $2"
    )
    .bind(digest(token))
    .bind(time::now())
    .fetch_optional(&mut *c)
    .await
    })
    .map_err(StoreError::from)?;
    drop(r);
    let user_id = user_id.ok_or(SecondFactorError::Expired)?;
    let actor = Context {
        actor: Actor::User(user_id),
        ..ctx.clone()
    };
    let second = SecondFactor::check(db, user_id, code).await?;
    let (ctx, token, user_agent) = (ctx.clone(), token.to_owned(), user_agent.map(str::to_owned));
    let new_token = db
        .write(move |tx| {
            Box::pin(async move {
                if let Err(refused) = second.settle(tx, &actor).await? {
                    return Ok(Err(refused));
                }
                let new_token = random_secret();
                tx.execute(query("DELETE FROM sessions WHERE id_hash = $1").bind(digest(&token)))
                    .await?;
                open_session(tx, user_id, &new_token, "full", &ctx, user_agent.as_deref()).await?;
                audit_user(tx, &actor, "session.sign_in", user_id).await?;
                Ok::<_, SecondFactorError>(Ok(new_token))
            })
        })
        .await??;
    let user = find_session(db, &new_token)
        .await?
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
    view_only: bool,
    must_change_password: bool,
    mfa_enabled: bool,
    stage: String,
    auth_time: Timestamp,
    csrf_token: String,
    sid: Option<String>,
    assurance_level: i32,
    last_seen_at: Timestamp,
    unread_notices: i64,
    unread_messages: i64,
}

/// The user of a live session (either stage), if any.
pub async fn find_session(db: &Db, token: &str) -> Result<Option<SessionUser>, StoreError> {
    let now = time::now();
    let mut r = db.reader().await?;
    let row: Option<SessionRow> = run!(r, |c| sqlx::query_as(
        "SELECT u.id AS user_id, u.username, u.display_name, u.kind, u.department_id, \
         u.enterprise_id, u.enterprise_role, u.view_only, u.must_change_password, \
         (u.totp_secret IS NOT NULL) AS mfa_enabled, s.stage, s.auth_time, s.csrf_token, \
         s.sid, u.assurance_level, s.last_seen_at, \
         (SELECT count(*) FROM account_notices n WHERE n.user_id = u.id AND n.read_at IS NULL) \
         AS unread_notices, \
         (SELECT count(*) FROM messages m WHERE m.user_id = u.id AND m.read_at IS NULL) \
         AS unread_messages \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 \
         AND u.disabled = FALSE"
    )
    .bind(digest(token))
    .bind(now)
    .bind(idle_cutoff(now))
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    let Some(row) = row else { return Ok(None) };
    if now - row.last_seen_at > TOUCH_EVERY {
        db.execute(
            query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(digest(token)),
        )
        .await?;
    }
    let roles = roles_of(db, row.user_id).await?;
    Ok(Some(SessionUser {
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        kind: UserKind::parse(&row.kind).unwrap_or(UserKind::Citizen),
        department_id: row.department_id,
        enterprise_id: row.enterprise_id,
        enterprise_role: row.enterprise_role,
        view_only: row.view_only,
        roles,
        must_change_password: row.must_change_password,
        mfa_enabled: row.mfa_enabled,
        complete: row.stage == "full",
        auth_time: row.auth_time,
        csrf_token: row.csrf_token,
        sid: row.sid.unwrap_or_default(),
        assurance_level: row.assurance_level,
        unread_notices: row.unread_notices,
        unread_messages: row.unread_messages,
        scopes: None,
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
         WHERE user_id = $1 AND stage = 'full' AND expires_at > $2 AND last_seen_at > $3 \
         ORDER BY created_at DESC"
        )
        .bind(user_id)
        .bind(time::now())
        .bind(idle_cutoff(time::now()))
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
    let (ctx, handle) = (ctx.clone(), handle.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let ended = end_sessions(
                tx,
                Sessions::Handle {
                    user_id,
                    handle: &handle,
                },
                Ending::Revoked,
            )
            .await?;
            if !ended.is_empty() {
                audit_user(tx, &ctx, "session.revoke", user_id).await?;
            }
            Ok(!ended.is_empty())
        })
    })
    .await
}

/// "Sign out everywhere": ends every session of the user, the current one too.
pub async fn end_all_sessions(db: &Db, ctx: &Context, user_id: i64) -> Result<u64, StoreError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let ended = end_sessions(
                tx,
                Sessions::AllOf {
                    user_id,
                    keep: None,
                },
                Ending::SignOutEverywhere,
            )
            .await?;
            audit_user(tx, &ctx, "session.sign_out_everywhere", user_id).await?;
            Ok(ended.len() as u64)
        })
    })
    .await
}

pub async fn end_session(db: &Db, ctx: &Context, token: &str) -> Result<(), StoreError> {
    let (ctx, token) = (ctx.clone(), token.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            for user_id in end_sessions(tx, Sessions::Token(&token), Ending::SignOut).await? {
                audit_user(tx, &ctx, "session.sign_out", user_id).await?;
            }
            Ok(())
        })
    })
    .await
}
