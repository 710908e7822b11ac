//! API keys for machine clients: `egov_` + 64 hex characters, shown once at
//! creation; the database keeps the digest and an 8-character prefix so an
//! operator can tell keys apart.

use crate::token::{digest, random_secret};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::reference::Reference;
use egov_store::{query, run, Db, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

const KEY_PREFIX: &str = "egov_";

/// What an API key may do. Scopes are named `area:verb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "org:write")]
    OrgWrite,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "reference:write")]
    ReferenceWrite,
    /// Reports statistics for any unit and reads them (a statistics
    /// system exchanging DHIS2 data value sets).
    #[serde(rename = "indicators:write")]
    IndicatorsWrite,
    /// Files reports of city problems as an Open311 client (a city app, a
    /// partner's system, the hotline's software).
    #[serde(rename = "open311:write")]
    Open311Write,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::OrgWrite,
        Scope::AuditRead,
        Scope::ReferenceWrite,
        Scope::IndicatorsWrite,
        Scope::Open311Write,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrgWrite => "org:write",
            Scope::AuditRead => "audit:read",
            Scope::ReferenceWrite => "reference:write",
            Scope::IndicatorsWrite => "indicators:write",
            Scope::Open311Write => "open311:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown scope '{s}' (known: {})", known.join(", "))
            })
    }
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// A key as an operator sees it (never the key itself).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiKeyInfo {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub scopes: String,
    pub created_at: egov_kernel::time::Timestamp,
    pub expires_at: Option<egov_kernel::time::Timestamp>,
    pub revoked_at: Option<egov_kernel::time::Timestamp>,
}

impl ApiKeyInfo {
    /// Usable now: neither revoked nor expired.
    pub fn live(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > time::now())
    }
}

impl ApiKey {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

pub struct IssuedApiKey {
    pub id: i64,
    /// The whole key; shown once, never stored.
    pub key: String,
}

/// Creates a key holding `scopes`, good until `expires_at` if given.
pub async fn create_api_key(
    db: &Db,
    ctx: &Context,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<egov_kernel::time::Timestamp>,
) -> Result<IssuedApiKey, IdentityError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(IdentityError::Invalid {
            field: "name",
            zh: "名称须为 1 至 100 个字符".to_owned(),
            en: "key name must be 1-100 characters".to_owned(),
        });
    }
    if scopes.is_empty() {
        return Err(IdentityError::Invalid {
            field: "scopes",
            zh: "至少需要一个权限范围".to_owned(),
            en: "a key needs at least one scope".to_owned(),
        });
    }
    let key = format!("{KEY_PREFIX}{}", random_secret());
    let scope_list = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let (ctx, name) = (ctx.clone(), name.to_owned());
    let (prefix, key_hash) = (key[..KEY_PREFIX.len() + 8].to_owned(), digest(&key));
    let id = db
        .write(move |tx| {
            Box::pin(async move {
                let id: i64 = tx
                    .fetch_scalar(
                        query(
                            "INSERT INTO api_keys (name, prefix, key_hash, scopes, created_at, \
                             expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        )
                        .bind(&name)
                        .bind(&prefix)
                        .bind(&key_hash)
                        .bind(&scope_list)
                        .bind(time::now())
                        .bind(expires_at),
                    )
                    .await?;
                egov_store::reference::changed::<LiveKeys>(tx).await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "api_key.create",
                        object_type: "api_key",
                        object_id: &id.to_string(),
                        detail: serde_json::json!({ "name": name, "scopes": scope_list,
                            "expires_at": expires_at.map(|t| time::canonical(&t)) }),
                    },
                )
                .await?;
                Ok::<_, IdentityError>(id)
            })
        })
        .await?;
    Ok(IssuedApiKey { id, key })
}

/// Every key not revoked, by digest, as this node last loaded them: one is
/// looked up on every call of a machine client (an Open311 report), so
/// from memory. A key made or revoked on another node, or by the CLI, is
/// seen here within [`egov_store::reference::RECHECK`]; on this node, at
/// once.
struct LiveKeys {
    by_digest: HashMap<String, (ApiKey, Option<time::Timestamp>)>,
}

impl Reference for LiveKeys {
    const NAME: &'static str = "identity.api_keys";
    type Error = StoreError;

    async fn load(db: &Db) -> Result<Self, StoreError> {
        let mut r = db.reader().await?;
        type Row = (i64, String, String, String, Option<time::Timestamp>);
        let rows: Vec<Row> = run!(r, |c| {
            sqlx::query_as(
            "SELECT id, name, key_hash, scopes, expires_at FROM api_keys WHERE revoked_at IS NULL"
        )
        .fetch_all(&mut *c)
        .await
        })?;
        let by_digest = rows
            .into_iter()
            .map(|(id, name, key_hash, scopes, expires_at)| {
                let scopes = scopes.split(' ').filter_map(|s| s.parse().ok()).collect();
                (key_hash, (ApiKey { id, name, scopes }, expires_at))
            })
            .collect();
        Ok(LiveKeys { by_digest })
    }
}

/// The live key behind a presented secret, if any.
pub async fn authenticate_api_key(db: &Db, presented: &str) -> Result<Option<ApiKey>, StoreError> {
    if !presented.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let keys = db.reference::<LiveKeys>().await?;
    // Found by the digest of a 256-bit secret: the lookup reveals nothing a
    // timing could use.
    Ok(keys
        .by_digest
        .get(&digest(presented))
        .filter(|(_, expires_at)| expires_at.is_none_or(|t| t > time::now()))
        .map(|(key, _)| key.clone()))
}

/// Every key, newest first.
pub async fn list_api_keys(db: &Db) -> Result<Vec<ApiKeyInfo>, StoreError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT id, name, prefix, scopes, created_at, expires_at, revoked_at FROM api_keys \
         ORDER BY id DESC"
    )
    .fetch_all(&mut *c)
    .await)?)
}

/// Revokes a key at once, audited.
pub async fn revoke_api_key(db: &Db, ctx: &Context, id: i64) -> Result<(), IdentityError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(time::now())
                    .bind(id),
                )
                .await?;
            if n == 0 {
                return Err(IdentityError::NotFound);
            }
            egov_store::reference::changed::<LiveKeys>(tx).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "api_key.revoke",
                    object_type: "api_key",
                    object_id: &id.to_string(),
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}
