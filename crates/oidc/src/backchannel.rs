//! OpenID Connect Back-Channel Logout 1.0: when a session ends by someone's
//! act (sign-out, a password change, "sign out everywhere", an account
//! disabled), every relying party holding tokens of that session and
//! registered for it is sent a signed logout token, and the tokens are
//! revoked. The identity engine records ended sessions in a table; this
//! worker turns each into deliveries, which are retried with backoff until
//! the relying party answers 2xx. Rows are claimed one by one with an
//! update that only one node can win, so several nodes may run it.

use crate::keys::{self, Alg, Key};
use crate::{jwt, OidcError};
use egov_kernel::time::{self, Timestamp};
use egov_store::{query, run, Db, Tx};
use serde_json::json;
use std::sync::Arc;

/// Attempts before a delivery is given up.
const MAX_ATTEMPTS: i32 = 8;
/// How long a logout token is good for (the specification suggests two
/// minutes at most).
const TOKEN_TTL: chrono::Duration = chrono::Duration::minutes(2);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Ended sessions turned into deliveries.
    pub sessions: usize,
    pub queued: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// Turns ended sessions into logout deliveries and sends what is due.
pub async fn run_once(db: &Db, http: &reqwest::Client) -> Result<Pass, OidcError> {
    let mut pass = queue(db).await?;
    let (delivered, failed) = deliver_due(db, http).await?;
    pass.delivered = delivered;
    pass.failed = failed;
    Ok(pass)
}

/// Runs [`run_once`] every `every` until the process ends.
pub async fn run(db: Db, every: std::time::Duration) {
    let http = client();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&db, &http).await {
            tracing::warn!(error = %egov_kernel::error::Chain(&e), "back-channel logout pass");
        }
    }
}

/// An HTTP client for deliveries: short timeouts, no redirects followed
/// (a relying party's endpoint answers itself).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with default TLS settings")
}

async fn queue(db: &Db) -> Result<Pass, OidcError> {
    let mut r = db.reader().await?;
    let pending: Vec<(i64, String, i64)> = run!(r, |c| {
        sqlx::query_as(
        "SELECT id, sid, user_id FROM ended_sessions WHERE notified_at IS NULL ORDER BY id LIMIT 100"
    )
    .fetch_all(&mut *c)
    .await
    })?;
    drop(r);
    let mut pass = Pass::default();
    if pending.is_empty() {
        return Ok(pass);
    }
    // Taken before any transaction: no connection is held while another is.
    let signers = [
        keys::signing_key(db, Alg::Rs256).await?,
        keys::signing_key(db, Alg::Es256).await?,
    ];
    let signers = Arc::new(signers);
    for (id, sid, user_id) in pending {
        let signers = signers.clone();
        let queued = db
            .write(move |tx| {
                Box::pin(async move { queue_one(tx, &signers[..], id, &sid, user_id).await })
            })
            .await?;
        if let Some(n) = queued {
            pass.sessions += 1;
            pass.queued += n;
        }
    }
    Ok(pass)
}

/// Claims one ended session, revokes its tokens and queues a signed logout
/// token for each relying party that holds one; `None` when another node
/// claimed it first.
async fn queue_one(
    tx: &mut Tx,
    signers: &[Arc<Key>],
    id: i64,
    sid: &str,
    user_id: i64,
) -> Result<Option<usize>, OidcError> {
    let now = time::now();
    let claimed = tx
        .execute(
            query(
                "UPDATE ended_sessions SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL",
            )
            .bind(now)
            .bind(id),
        )
        .await?;
    if claimed == 0 {
        return Ok(None);
    }
    let parties: Vec<(String, Option<String>, String, String)> = tx
        .fetch_all(
            query(
                "SELECT DISTINCT t.client_id, t.iss, c.backchannel_logout_uri, c.id_token_alg \
                 FROM oidc_tokens t JOIN oidc_clients c ON c.client_id = t.client_id \
                 WHERE t.sid = $1 AND c.backchannel_logout_uri IS NOT NULL \
                 AND c.revoked_at IS NULL",
            )
            .bind(sid),
        )
        .await?;
    tx.execute(
        query("UPDATE oidc_tokens SET revoked_at = $1 WHERE sid = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(sid),
    )
    .await?;
    for (client_id, iss, uri, alg) in &parties {
        let alg = Alg::parse(alg).unwrap_or(Alg::Rs256);
        let key = signers
            .iter()
            .find(|k| k.alg == alg)
            .expect("a signer of each algorithm");
        let claims = json!({
            "iss": iss.clone().unwrap_or_default(),
            "sub": user_id.to_string(),
            "aud": client_id,
            "iat": now.timestamp(),
            "exp": (now + TOKEN_TTL).timestamp(),
            "jti": crate::flow::random_token(),
            "sid": sid,
            "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
        });
        let token = jwt::encode(key, jwt::Typ::Logout, &claims);
        tx.execute(
            query(
                "INSERT INTO backchannel_deliveries (client_id, uri, logout_token, created_at, \
                 next_attempt_at) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(client_id)
            .bind(uri)
            .bind(&token)
            .bind(now),
        )
        .await?;
    }
    Ok(Some(parties.len()))
}

/// How long after the n-th failed attempt the next one is made.
fn backoff(attempts: i32) -> chrono::Duration {
    chrono::Duration::seconds(10 * 2i64.pow(attempts.clamp(0, 10) as u32))
        .min(chrono::Duration::hours(1))
}

async fn deliver_due(db: &Db, http: &reqwest::Client) -> Result<(usize, usize), OidcError> {
    let now = time::now();
    let mut r = db.reader().await?;
    let due: Vec<(i64, String, String, i32)> = run!(r, |c| sqlx::query_as(
        "SELECT id, uri, logout_token, attempts FROM backchannel_deliveries \
         WHERE delivered_at IS NULL AND attempts < $1 AND next_attempt_at <= $2 \
         ORDER BY next_attempt_at LIMIT 100"
    )
    .bind(MAX_ATTEMPTS)
    .bind(now)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let (mut delivered, mut failed) = (0, 0);
    for (id, uri, token, attempts) in due {
        // Take it: the next attempt is set as if this one fails.
        let next: Timestamp = now + backoff(attempts);
        let claimed = db
            .execute(
                query(
                    "UPDATE backchannel_deliveries SET attempts = attempts + 1, \
                     next_attempt_at = $1 WHERE id = $2 AND delivered_at IS NULL \
                     AND attempts = $3",
                )
                .bind(next)
                .bind(id)
                .bind(attempts),
            )
            .await?;
        if claimed == 0 {
            continue;
        }
        let outcome = http
            .post(&uri)
            .header("cache-control", "no-store")
            .form(&[("logout_token", token.as_str())])
            .send()
            .await;
        let error = match outcome {
            Ok(res) if res.status().is_success() => None,
            Ok(res) => Some(format!("answered {}", res.status())),
            Err(e) => Some(e.to_string()),
        };
        let recorded = match &error {
            None => query(
                "UPDATE backchannel_deliveries SET delivered_at = $1, last_error = NULL \
                 WHERE id = $2",
            )
            .bind(time::now()),
            Some(e) => query("UPDATE backchannel_deliveries SET last_error = $1 WHERE id = $2")
                .bind(e.chars().take(500).collect::<String>()),
        };
        db.execute(recorded.bind(id)).await?;
        match error {
            None => delivered += 1,
            Some(e) => {
                tracing::warn!(delivery = id, %uri, error = %e, "back-channel logout not delivered");
                failed += 1;
            }
        }
    }
    Ok((delivered, failed))
}
