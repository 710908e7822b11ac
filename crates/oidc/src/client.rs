//! Relying parties registered by an administrator.

use crate::keys::Alg;
use crate::{digest, OidcError};
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{query, run, Db, Reference, StoreError};
use rand::RngCore;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub id_token_alg: String,
    /// A public client (an app on a phone, a page in a browser) holds no
    /// secret: it identifies itself by id alone and must use PKCE.
    pub public: bool,
    /// A confidential client must use PKCE too.
    pub require_pkce: bool,
    /// Where the client is told of a session that ended (OpenID Connect
    /// Back-Channel Logout).
    pub backchannel_logout_uri: Option<String>,
}

impl Client {
    pub fn pkce_required(&self) -> bool {
        self.public || self.require_pkce
    }
}

#[derive(Clone)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub id_token_alg: Alg,
    pub public: bool,
    pub require_pkce: bool,
    pub backchannel_logout_uri: Option<String>,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn check_uri(uri: &str) -> Result<(), OidcError> {
    let parsed = url::Url::parse(uri)
        .map_err(|_| OidcError::protocol("invalid_redirect_uri", format!("{uri} is not a URL")))?;
    if parsed.fragment().is_some() || !matches!(parsed.scheme(), "https" | "http") {
        return Err(OidcError::protocol(
            "invalid_redirect_uri",
            format!("{uri}: use an http(s) URL without a fragment"),
        ));
    }
    Ok(())
}

/// Registers a client; returns it with its secret, shown once (a public
/// client has none: the secret returned is empty).
pub async fn create_client(
    db: &Db,
    ctx: &Context,
    new: NewClient,
) -> Result<(Client, String), OidcError> {
    if new.name.trim().is_empty() || new.redirect_uris.is_empty() {
        return Err(OidcError::protocol(
            "invalid_client_metadata",
            "a client needs a name and at least one redirect URI",
        ));
    }
    for uri in new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
        .chain(&new.backchannel_logout_uri)
    {
        check_uri(uri)?;
    }
    let client_id = format!("c_{}", random_hex(12));
    // A public client's secret is none: nothing stored matches any secret.
    let secret = if new.public {
        String::new()
    } else {
        random_hex(32)
    };
    let stored = if new.public {
        "-".to_owned()
    } else {
        digest(&secret)
    };
    let (ctx, row) = (ctx.clone(), new.clone());
    let id = client_id.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let (new, client_id) = (row, id);
            tx.execute(
                query(
                    "INSERT INTO oidc_clients (client_id, name, secret_hash, redirect_uris, \
                     post_logout_redirect_uris, id_token_alg, created_at, public, require_pkce, \
                     backchannel_logout_uri) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&client_id)
                .bind(new.name.trim())
                .bind(&stored)
                .bind(new.redirect_uris.join(" "))
                .bind(new.post_logout_redirect_uris.join(" "))
                .bind(new.id_token_alg.as_str())
                .bind(time::now())
                .bind(new.public)
                .bind(new.require_pkce || new.public)
                .bind(new.backchannel_logout_uri.as_deref()),
            )
            .await?;
            egov_store::reference::changed::<Clients>(tx).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "oidc.client_create",
                    object_type: "oidc_client",
                    object_id: &client_id,
                    detail: serde_json::json!({ "name": new.name.trim(),
                        "redirect_uris": new.redirect_uris, "public": new.public,
                        "require_pkce": new.require_pkce || new.public,
                        "backchannel_logout_uri": new.backchannel_logout_uri }),
                },
            )
            .await?;
            Ok::<_, OidcError>(())
        })
    })
    .await?;
    let client = Client {
        client_id,
        name: new.name.trim().to_owned(),
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        id_token_alg: new.id_token_alg.as_str().to_owned(),
        public: new.public,
        require_pkce: new.require_pkce || new.public,
        backchannel_logout_uri: new.backchannel_logout_uri,
    };
    Ok((client, secret))
}

#[derive(Clone, sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    name: String,
    secret_hash: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    id_token_alg: String,
    public: bool,
    require_pkce: bool,
    backchannel_logout_uri: Option<String>,
}

const CLIENT_COLUMNS: &str = "SELECT client_id, name, secret_hash, redirect_uris, \
     post_logout_redirect_uris, id_token_alg, public, require_pkce, backchannel_logout_uri \
     FROM oidc_clients";

fn from_row(row: &ClientRow) -> Client {
    let split = |s: &str| s.split_whitespace().map(str::to_owned).collect();
    Client {
        client_id: row.client_id.clone(),
        name: row.name.clone(),
        redirect_uris: split(&row.redirect_uris),
        post_logout_redirect_uris: split(&row.post_logout_redirect_uris),
        id_token_alg: row.id_token_alg.clone(),
        public: row.public,
        require_pkce: row.require_pkce,
        backchannel_logout_uri: row.backchannel_logout_uri.clone(),
    }
}

/// Every client not deleted, as this node last loaded them: one is looked
/// up on every token request. A client deleted or given a new secret on
/// another node is refused here within [`egov_store::reference::RECHECK`].
pub struct Clients {
    /// In the order they were registered.
    rows: Vec<ClientRow>,
    by_id: HashMap<String, usize>,
}

impl Reference for Clients {
    const NAME: &'static str = "oidc.clients";
    type Error = StoreError;

    async fn load(db: &Db) -> Result<Self, StoreError> {
        let mut r = db.reader().await?;
        let sql = format!("{CLIENT_COLUMNS} WHERE revoked_at IS NULL ORDER BY created_at");
        let rows: Vec<ClientRow> = run!(r, |c| sqlx::query_as(&sql).fetch_all(&mut *c).await)?;
        let by_id = rows
            .iter()
            .enumerate()
            .map(|(i, row)| (row.client_id.clone(), i))
            .collect();
        Ok(Clients { rows, by_id })
    }
}

impl Clients {
    fn get(&self, client_id: &str) -> Option<&ClientRow> {
        self.by_id.get(client_id).map(|&i| &self.rows[i])
    }
}

pub async fn find_client(db: &Db, client_id: &str) -> Result<Option<Client>, OidcError> {
    let clients = db.reference::<Clients>().await?;
    Ok(clients.get(client_id).map(from_row))
}

/// The client, if the secret is right; a public client, by its id alone
/// (`secret` None), and only so.
pub async fn authenticate_client(
    db: &Db,
    client_id: &str,
    secret: Option<&str>,
) -> Result<Client, OidcError> {
    let clients = db.reference::<Clients>().await?;
    match (clients.get(client_id), secret) {
        (Some(row), None) if row.public => Ok(from_row(row)),
        (Some(row), Some(secret))
            if !row.public
                && constant_time_eq(row.secret_hash.as_bytes(), digest(secret).as_bytes()) =>
        {
            Ok(from_row(row))
        }
        _ => Err(OidcError::protocol(
            "invalid_client",
            "client authentication failed",
        )),
    }
}

/// A new secret for a confidential client; the old one stops working at
/// once. Returns the new secret, shown once.
pub async fn rotate_secret(db: &Db, ctx: &Context, client_id: &str) -> Result<String, OidcError> {
    let secret = random_hex(32);
    let (ctx, id, hash) = (ctx.clone(), client_id.to_owned(), digest(&secret));
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE oidc_clients SET secret_hash = $1 WHERE client_id = $2 \
                         AND revoked_at IS NULL AND public = FALSE",
                    )
                    .bind(&hash)
                    .bind(&id),
                )
                .await?;
            if n == 0 {
                return Err(OidcError::protocol(
                    "invalid_client",
                    "no such confidential client",
                ));
            }
            egov_store::reference::changed::<Clients>(tx).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "oidc.client_rotate_secret",
                    object_type: "oidc_client",
                    object_id: &id,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(secret)
}

/// Removes a client: it can no longer sign anyone in, and every token it
/// holds is revoked.
pub async fn delete_client(db: &Db, ctx: &Context, client_id: &str) -> Result<(), OidcError> {
    let (ctx, id) = (ctx.clone(), client_id.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let now = time::now();
            let n = tx
                .execute(
                    query(
                        "UPDATE oidc_clients SET revoked_at = $1 WHERE client_id = $2 \
                         AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(&id),
                )
                .await?;
            if n == 0 {
                return Err(OidcError::protocol("invalid_client", "no such client"));
            }
            let revoked = tx
                .execute(
                    query(
                        "UPDATE oidc_tokens SET revoked_at = $1 WHERE client_id = $2 \
                         AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(&id),
                )
                .await?;
            egov_store::reference::changed::<Clients>(tx).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "oidc.client_delete",
                    object_type: "oidc_client",
                    object_id: &id,
                    detail: serde_json::json!({ "revoked_tokens": revoked }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn list_clients(db: &Db) -> Result<Vec<Client>, OidcError> {
    let clients = db.reference::<Clients>().await?;
    Ok(clients.rows.iter().map(from_row).collect())
}
