//! API keys for machine clients: `egov_` + 64 hex characters, shown once at
//! creation; the database keeps the digest and an 8-character prefix so an
//! operator can tell keys apart.

use crate::token::{digest, random_secret};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{run, Db, StoreError};
use serde::{Deserialize, Serialize};
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
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::OrgWrite, Scope::AuditRead, Scope::ReferenceWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrgWrite => "org:write",
            Scope::AuditRead => "audit:read",
            Scope::ReferenceWrite => "reference:write",
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

pub async fn create_api_key(
    db: &Db,
    ctx: &Context,
    name: &str,
    scopes: &[Scope],
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
    let mut tx = db.begin().await?;
    let id: i64 = run!(tx, |c| sqlx::query_scalar(
        "INSERT INTO api_keys (name, prefix, key_hash, scopes, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(name)
    .bind(&key[..KEY_PREFIX.len() + 8])
    .bind(digest(&key))
    .bind(&scope_list)
    .bind(time::now())
    .fetch_one(&mut *c)
    .await)?;
    egov_audit::append(
        &mut tx,
        ctx,
        Event {
            action: "api_key.create",
            object_type: "api_key",
            object_id: &id.to_string(),
            detail: serde_json::json!({ "name": name, "scopes": scope_list }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedApiKey { id, key })
}

/// The live key behind a presented secret, if any.
pub async fn authenticate_api_key(db: &Db, presented: &str) -> Result<Option<ApiKey>, StoreError> {
    if !presented.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let mut r = db.reader().await?;
    let row: Option<(i64, String, String)> = run!(r, |c| sqlx::query_as(
        "SELECT id, name, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
    )
    .bind(digest(presented))
    .fetch_optional(&mut *c)
    .await)?;
    Ok(row.map(|(id, name, scopes)| ApiKey {
        id,
        name,
        scopes: scopes.split(' ').filter_map(|s| s.parse().ok()).collect(),
    }))
}
