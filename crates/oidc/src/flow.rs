//! Codes and tokens. A code is spent by one atomic update; a second use is
//! refused and revokes every token it produced (RFC 6749 section 4.1.2).
//! Refresh tokens rotate; replaying a spent one revokes its whole family.

use crate::client::Client;
use crate::keys::{self, Alg};
use crate::{digest, jwt, OidcError};
use data_encoding::BASE64URL_NOPAD;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, Tx};
use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};

const CODE_TTL: chrono::Duration = chrono::Duration::seconds(60);
pub const ACCESS_TOKEN_TTL: chrono::Duration = chrono::Duration::hours(1);
/// A refresh token is good for as long as a session can last; it ends
/// sooner with its session.
const REFRESH_TOKEN_TTL: chrono::Duration = egov_identity::SESSION_TTL;

/// A token issued to a person is good only while the session it was
/// issued in is (not signed out, not idle too long, not past its life).
/// Rows without a user are machines' tokens from before those were signed
/// JWTs kept nowhere ([`client_credentials`]); they had no session. The
/// condition binds now and the idle cutoff at placeholders `now` and `idle`.
fn session_live(now: usize, idle: usize) -> String {
    format!(
        "(oidc_tokens.user_id IS NULL OR EXISTS (SELECT 1 FROM sessions s \
         WHERE s.sid = oidc_tokens.sid AND s.expires_at > ${now} AND s.last_seen_at > ${idle}))"
    )
}

pub(crate) fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    BASE64URL_NOPAD.encode(&b)
}

pub struct AuthorizationGrant {
    pub client_id: String,
    pub user_id: i64,
    /// The session the user signed in with; the tokens end with it.
    pub sid: String,
    /// The issuer the code is issued as.
    pub iss: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: Timestamp,
    /// The person has just consented to this scope for the client: keep
    /// it ([`crate::consent`]) with the code, in one transaction.
    pub consented: bool,
}

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &str,
    client_id: &str,
    detail: Value,
) -> Result<(), OidcError> {
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "oidc_client",
            object_id: client_id,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Issues a one-time authorization code.
pub async fn issue_code(
    db: &Db,
    ctx: &Context,
    grant: AuthorizationGrant,
) -> Result<String, OidcError> {
    let code = random_token();
    let code_hash = digest(&code);
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "INSERT INTO oidc_codes (code_hash, client_id, user_id, redirect_uri, scope, \
                     nonce, code_challenge, auth_time, expires_at, sid, iss) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&code_hash)
                .bind(&grant.client_id)
                .bind(grant.user_id)
                .bind(&grant.redirect_uri)
                .bind(&grant.scope)
                .bind(grant.nonce.as_deref())
                .bind(grant.code_challenge.as_deref())
                .bind(grant.auth_time)
                .bind(time::now() + CODE_TTL)
                .bind(&grant.sid)
                .bind(&grant.iss),
            )
            .await?;
            if grant.consented {
                crate::consent::remember(tx, grant.user_id, &grant.client_id, &grant.scope).await?;
            }
            audit(
                tx,
                &ctx,
                "oidc.authorize",
                &grant.client_id,
                json!({
                    "user_id": grant.user_id,
                    "scope": grant.scope,
                    "consented": grant.consented,
                }),
            )
            .await
        })
    })
    .await?;
    Ok(code)
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// The tokens a grant issues, and to whom.
struct Issue {
    client_id: String,
    user_id: Option<i64>,
    sid: Option<String>,
    scope: String,
    nonce: Option<String>,
    code_hash: Option<String>,
    family: String,
    auth_time: Option<Timestamp>,
}

/// Tokens written in a grant's transaction, to be answered once it commits.
struct Minted {
    issue: Issue,
    at: Timestamp,
    access: String,
    refresh: String,
}

/// What a grant's transaction ends with: tokens, or a refusal that is
/// committed all the same (a replay revokes what the spent grant produced).
type Grant = Result<Minted, OidcError>;

/// Writes a grant's access and refresh tokens in one statement (one round
/// trip on PostgreSQL).
async fn insert_tokens(
    tx: &mut Tx,
    i: &Issue,
    iss: &str,
    tokens: [(&str, &str, Timestamp); 2],
) -> Result<(), OidcError> {
    let sql = format!(
        "INSERT INTO oidc_tokens (token_hash, kind, client_id, user_id, scope, nonce, \
         code_hash, family, auth_time, expires_at, sid, iss) VALUES {}",
        egov_store::values(tokens.len(), 12)
    );
    let mut insert = query(sql);
    for (token, kind, expires) in tokens {
        insert = insert
            .bind(digest(token))
            .bind(kind)
            .bind(&i.client_id)
            .bind(i.user_id)
            .bind(&i.scope)
            .bind(i.nonce.as_deref())
            .bind(i.code_hash.as_deref())
            .bind(&i.family)
            .bind(i.auth_time)
            .bind(expires)
            .bind(i.sid.as_deref())
            .bind(iss);
    }
    tx.execute(insert).await?;
    Ok(())
}

/// Writes the tokens of `i` and the audit record, inside a grant's body.
async fn mint(tx: &mut Tx, ctx: &Context, issuer: &str, i: Issue) -> Result<Minted, OidcError> {
    let now = time::now();
    let access = random_token();
    let refresh = random_token();
    let tokens = [
        (access.as_str(), "access", now + ACCESS_TOKEN_TTL),
        (refresh.as_str(), "refresh", now + REFRESH_TOKEN_TTL),
    ];
    insert_tokens(tx, &i, issuer, tokens).await?;
    audit(
        tx,
        ctx,
        "oidc.token_issue",
        &i.client_id,
        json!({ "user_id": i.user_id, "scope": i.scope, "refresh": true }),
    )
    .await?;
    Ok(Minted {
        issue: i,
        at: now,
        access,
        refresh,
    })
}

/// Runs a grant's body and, once it is committed, answers its tokens with
/// an ID token when the scope asks for one.
async fn grant<F>(
    db: &Db,
    issuer: &str,
    client: &Client,
    body: F,
) -> Result<TokenResponse, OidcError>
where
    F: for<'t> FnOnce(&'t mut Tx) -> egov_store::write::BoxFuture<'t, Result<Grant, OidcError>>
        + Send
        + 'static,
{
    let minted = db.write(body).await??;
    let Minted {
        issue: i,
        at,
        access,
        refresh,
    } = minted;
    let id_token = match (i.user_id, i.scope.split(' ').any(|s| s == "openid")) {
        (Some(user_id), true) => {
            let alg = Alg::parse(&client.id_token_alg).unwrap_or(Alg::Rs256);
            let key = keys::signing_key(db, alg).await?;
            let mut claims = user_claims(db, user_id, &i.scope).await?;
            claims["iss"] = json!(issuer);
            claims["aud"] = json!(client.client_id);
            claims["azp"] = json!(client.client_id);
            claims["iat"] = json!(at.timestamp());
            claims["exp"] = json!((at + ACCESS_TOKEN_TTL).timestamp());
            if let Some(t) = i.auth_time {
                claims["auth_time"] = json!(t.timestamp());
            }
            if let Some(n) = &i.nonce {
                claims["nonce"] = json!(n);
            }
            if let Some(sid) = &i.sid {
                claims["sid"] = json!(sid);
            }
            Some(jwt::encode(&key, jwt::Typ::IdToken, &claims))
        }
        _ => None,
    };
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
        refresh_token: Some(refresh),
        id_token,
        scope: i.scope,
    })
}

/// Claims about a user, by scope: `openid` gives the subject and what kind
/// of principal it is, department, roles and (enterprises) the credit code;
/// `profile` adds names; `phone` the phone number.
pub async fn user_claims(db: &Db, user_id: i64, scope: &str) -> Result<Value, OidcError> {
    let u = egov_identity::get_user(db, user_id).await?;
    let roles: Vec<&str> = egov_identity::roles_of(db, user_id)
        .await?
        .iter()
        .map(|g| g.role.as_str())
        .collect();
    let mut claims = json!({
        "sub": user_id.to_string(),
        "egov_kind": u.kind,
        "name": u.display_name,
        "roles": roles,
    });
    if let Some(d) = &u.department_code {
        claims["department"] = json!(d);
    }
    if let Some(code) = &u.enterprise_code {
        claims["credit_code"] = json!(code);
        claims["enterprise_role"] = json!(u.enterprise_role);
    }
    let scopes: Vec<&str> = scope.split(' ').collect();
    if scopes.contains(&"profile") {
        claims["preferred_username"] = json!(u.username);
    }
    if scopes.contains(&"phone") {
        if let Some(p) = &u.phone {
            claims["phone_number"] = json!(format!("+86{p}"));
        }
    }
    Ok(claims)
}

fn pkce_ok(challenge: &str, verifier: &str) -> bool {
    use sha2::Digest;
    (43..=128).contains(&verifier.len())
        && BASE64URL_NOPAD.encode(&sha2::Sha256::digest(verifier.as_bytes())) == challenge
}

fn invalid_grant(why: &str) -> OidcError {
    OidcError::protocol("invalid_grant", why)
}

type CodeRow = (
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Timestamp,
    Timestamp,
    Option<String>,
);

/// Exchanges a code for tokens.
pub async fn exchange_code(
    db: &Db,
    ctx: &Context,
    issuer: &str,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<TokenResponse, OidcError> {
    let code_hash = digest(code);
    let (ctx, iss, owner) = (ctx.clone(), issuer.to_owned(), client.clone());
    let redirect_uri = redirect_uri.map(str::to_owned);
    let code_verifier = code_verifier.map(str::to_owned);
    grant(db, issuer, client, move |tx| {
        Box::pin(async move {
            let spent: Option<CodeRow> = tx
                .fetch_optional(
                    query(
                        "UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 \
                         AND used_at IS NULL RETURNING client_id, user_id, redirect_uri, scope, \
                         nonce, code_challenge, auth_time, expires_at, sid",
                    )
                    .bind(time::now())
                    .bind(&code_hash),
                )
                .await?;
            let Some((
                client_id,
                user_id,
                stored_redirect,
                scope,
                nonce,
                challenge,
                auth_time,
                expires,
                sid,
            )) = spent
            else {
                // Unknown, or spent before: a replay. Revoke what the code produced.
                revoke_replayed(tx, &ctx, &owner, Replayed::Code, &code_hash).await?;
                return Ok(Err(invalid_grant(
                    "the code is invalid or was already used",
                )));
            };
            if client_id != owner.client_id {
                return Err(invalid_grant("the code was issued to another client"));
            }
            if expires < time::now() {
                return Err(invalid_grant("the code has expired"));
            }
            if redirect_uri.as_deref() != Some(stored_redirect.as_str()) {
                return Err(invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
            match (&challenge, code_verifier.as_deref()) {
                (Some(ch), Some(v)) if pkce_ok(ch, v) => {}
                (Some(_), _) => {
                    return Err(invalid_grant(
                        "code_verifier does not match the code_challenge",
                    ))
                }
                (None, Some(_)) => {
                    return Err(invalid_grant(
                        "no code_challenge was sent with the authorization request",
                    ))
                }
                (None, None) if owner.pkce_required() => {
                    return Err(invalid_grant("this client must use PKCE"))
                }
                (None, None) => {}
            }
            // The session the code was issued in must still be there.
            let now = time::now();
            let live: i64 = tx
                .fetch_scalar(
                    query(
                        "SELECT count(*) FROM sessions WHERE sid = $1 AND expires_at > $2 \
                         AND last_seen_at > $3",
                    )
                    .bind(sid.as_deref())
                    .bind(now)
                    .bind(egov_identity::idle_cutoff(now)),
                )
                .await?;
            if live == 0 {
                return Err(invalid_grant(
                    "the session the code was issued in has ended",
                ));
            }
            let issue = Issue {
                client_id,
                user_id: Some(user_id),
                sid,
                scope,
                nonce,
                code_hash: Some(code_hash),
                family: random_token(),
                auth_time: Some(auth_time),
            };
            mint(tx, &ctx, &iss, issue).await.map(Ok)
        })
    })
    .await
}

enum Replayed {
    Code,
    Refresh,
}

/// A spent code or refresh token came back: revoke every live token of the
/// families it produced, audited (the grant then refuses, and commits).
async fn revoke_replayed(
    tx: &mut Tx,
    ctx: &Context,
    client: &Client,
    what: Replayed,
    hash: &str,
) -> Result<(), OidcError> {
    let (sql, action) = match what {
        Replayed::Code => (
            "UPDATE oidc_tokens SET revoked_at = $1 WHERE family IN \
             (SELECT family FROM oidc_tokens WHERE code_hash = $2) AND revoked_at IS NULL",
            "oidc.code_replay",
        ),
        Replayed::Refresh => (
            "UPDATE oidc_tokens SET revoked_at = $1 WHERE family IN \
             (SELECT family FROM oidc_tokens WHERE token_hash = $2) AND revoked_at IS NULL",
            "oidc.refresh_replay",
        ),
    };
    let revoked = tx.execute(query(sql).bind(time::now()).bind(hash)).await?;
    if revoked > 0 {
        audit(
            tx,
            ctx,
            action,
            &client.client_id,
            json!({ "revoked_tokens": revoked }),
        )
        .await?;
    }
    Ok(())
}

type RefreshRow = (
    String,
    Option<i64>,
    String,
    Option<Timestamp>,
    String,
    Timestamp,
    Option<String>,
);

/// Rotates a refresh token.
pub async fn refresh(
    db: &Db,
    ctx: &Context,
    issuer: &str,
    client: &Client,
    refresh_token: &str,
) -> Result<TokenResponse, OidcError> {
    let hash = digest(refresh_token);
    let (ctx, iss, owner) = (ctx.clone(), issuer.to_owned(), client.clone());
    grant(db, issuer, client, move |tx| {
        Box::pin(async move {
            let now = time::now();
            let sql = format!(
                "UPDATE oidc_tokens SET used_at = $1 WHERE token_hash = $2 AND kind = 'refresh' \
                 AND used_at IS NULL AND revoked_at IS NULL AND {} \
                 RETURNING client_id, user_id, scope, auth_time, family, expires_at, sid",
                session_live(3, 4)
            );
            let spent: Option<RefreshRow> = tx
                .fetch_optional(
                    query(&sql)
                        .bind(now)
                        .bind(&hash)
                        .bind(now)
                        .bind(egov_identity::idle_cutoff(now)),
                )
                .await?;
            let Some((client_id, user_id, scope, auth_time, family, expires, sid)) = spent else {
                revoke_replayed(tx, &ctx, &owner, Replayed::Refresh, &hash).await?;
                return Ok(Err(invalid_grant(
                    "the refresh token is invalid, spent or revoked",
                )));
            };
            if client_id != owner.client_id {
                return Err(invalid_grant("the refresh token belongs to another client"));
            }
            if expires < now {
                return Err(invalid_grant("the refresh token has expired"));
            }
            // Using single sign-on counts as using the session: it does not
            // idle out under a person working in a relying party.
            tx.execute(
                query("UPDATE sessions SET last_seen_at = $1 WHERE sid = $2")
                    .bind(now)
                    .bind(sid.as_deref()),
            )
            .await?;
            let issue = Issue {
                client_id,
                user_id,
                sid,
                scope,
                nonce: None,
                code_hash: None,
                family,
                auth_time,
            };
            mint(tx, &ctx, &iss, issue).await.map(Ok)
        })
    })
    .await
}

/// A machine client's own access token: a JWT access token (RFC 9068,
/// `typ: at+jwt`) signed with the provider's ES256 key and kept nowhere, so
/// handing one out writes only its audit record. It is good while it has not
/// expired and its client is not deleted ([`machine_token`]): deleting the
/// client revokes every token it holds.
pub async fn client_credentials(
    db: &Db,
    ctx: &Context,
    issuer: &str,
    client: &Client,
    scope: &str,
) -> Result<TokenResponse, OidcError> {
    let key = keys::signing_key(db, Alg::Es256).await?;
    let now = time::now();
    let jti = random_token();
    let claims = json!({
        "iss": issuer,
        "sub": client.client_id,
        "client_id": client.client_id,
        "aud": issuer,
        "scope": scope,
        "iat": now.timestamp(),
        "exp": (now + ACCESS_TOKEN_TTL).timestamp(),
        "jti": jti,
    });
    let access_token = jwt::encode(&key, jwt::Typ::AccessToken, &claims);
    egov_audit::record(
        db,
        ctx,
        Event {
            action: "oidc.token_issue",
            object_type: "oidc_client",
            object_id: &client.client_id,
            detail: json!({ "user_id": null, "scope": scope, "refresh": false, "jti": jti }),
        },
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
        refresh_token: None,
        id_token: None,
        scope: scope.to_owned(),
    })
}

/// Whose a machine's access token is, as a resource checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineToken {
    pub client_id: String,
    pub scope: String,
    pub jti: String,
}

/// A machine token whose signature this node has checked: what it says,
/// and the key that signed it.
#[derive(Clone)]
struct Checked {
    token: MachineToken,
    exp: i64,
    kid: String,
}

/// Tokens checked on this node, by the SHA-256 of the token. Checking an
/// ES256 signature takes a tenth of a millisecond of CPU, more than the
/// rest of an exchange call: a client presents the same token for up to an
/// hour, so its signature is checked once. Expiry, the signing key still
/// being live and the client still existing are checked on every use.
fn checked_tokens() -> &'static std::sync::Mutex<std::collections::HashMap<[u8; 32], Checked>> {
    static CHECKED: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<[u8; 32], Checked>>,
    > = std::sync::OnceLock::new();
    CHECKED.get_or_init(Default::default)
}

/// Tokens a node keeps checked at most (a few megabytes).
const CHECKED_KEPT: usize = 20_000;

/// The client and scope of a live machine access token from
/// [`client_credentials`]: signed by one of our live keys as an access
/// token, not expired, its client not deleted. None for anything else.
pub async fn machine_token(db: &Db, token: &str) -> Result<Option<MachineToken>, OidcError> {
    use sha2::Digest;
    let keys = keys::live_keys(db).await?;
    let id: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    let known = checked_tokens()
        .lock()
        .expect("never poisoned: no panics under it")
        .get(&id)
        .cloned();
    let checked = match known {
        Some(c) => c,
        None => {
            let Some(claims) = jwt::verify_typed(token, jwt::Typ::AccessToken, &keys.0) else {
                return Ok(None);
            };
            let text = |name: &str| claims[name].as_str().map(str::to_owned);
            let (Some(client_id), Some(scope), Some(jti), Some(exp)) = (
                text("client_id"),
                text("scope"),
                text("jti"),
                claims["exp"].as_i64(),
            ) else {
                return Ok(None);
            };
            let Some(kid) = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid) else {
                return Ok(None);
            };
            let c = Checked {
                token: MachineToken {
                    client_id,
                    scope,
                    jti,
                },
                exp,
                kid,
            };
            let mut all = checked_tokens()
                .lock()
                .expect("never poisoned: no panics under it");
            if all.len() >= CHECKED_KEPT {
                all.clear();
            }
            all.insert(id, c.clone());
            c
        }
    };
    if checked.exp <= time::now().timestamp()
        || !keys.0.iter().any(|k| k.kid == checked.kid)
        || crate::find_client(db, &checked.token.client_id)
            .await?
            .is_none()
    {
        return Ok(None);
    }
    Ok(Some(checked.token))
}

/// What an access token says about its user, or None if it is not live.
pub async fn userinfo(db: &Db, access_token: &str) -> Result<Option<Value>, OidcError> {
    let now = time::now();
    let sql = format!(
        "SELECT user_id, scope FROM oidc_tokens WHERE token_hash = $1 AND kind = 'access' \
         AND revoked_at IS NULL AND expires_at > $2 AND {}",
        session_live(3, 4)
    );
    let mut r = db.reader().await?;
    let row: Option<(Option<i64>, String)> = run!(r, |c| sqlx::query_as(&sql)
        .bind(digest(access_token))
        .bind(now)
        .bind(now)
        .bind(egov_identity::idle_cutoff(now))
        .fetch_optional(&mut *c)
        .await)?;
    drop(r);
    match row {
        Some((Some(user_id), scope)) => Ok(Some(user_claims(db, user_id, &scope).await?)),
        _ => Ok(None),
    }
}

/// Checks an ID token we issued (signature only; expiry does not matter
/// for hints) and returns its claims.
pub async fn verify_id_token(db: &Db, token: &str) -> Result<Option<Value>, OidcError> {
    let keys = keys::live_keys(db).await?;
    Ok(jwt::verify(token, &keys.0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_s256_matches_an_independent_computation() {
        // The challenge computed independently:
        // base64url(sha256(verifier)) with Python's hashlib and base64.
        assert!(super::pkce_ok(
            "_xl6PPldZ2WnppwuEfNmq6GfhwePmn_fqEsjegIqdtA",
            "dBjftJeZ4CVP-mA92tBkwpEZhdnNJ6JRHfVmY4gQ7Nw"
        ));
        assert!(!super::pkce_ok(
            "_xl6PPldZ2WnppwuEfNmq6GfhwePmn_fqEsjegIqdtA",
            "dBjftJeZ4CVP-mA92tBkwpEZhdnNJ6JRHfVmY4gQ7Nx"
        ));
    }
}
