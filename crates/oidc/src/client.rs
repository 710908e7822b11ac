//! Relying parties registered by an administrator.

use crate::keys::Alg;
use crate::{digest, OidcError};
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{run, Db};
use rand::RngCore;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub id_token_alg: String,
}

pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub id_token_alg: Alg,
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

/// Registers a client; returns it with its secret, shown once.
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
    {
        check_uri(uri)?;
    }
    let client_id = format!("c_{}", random_hex(12));
    let secret = random_hex(32);
    let mut tx = db.begin().await?;
    run!(tx, |c| sqlx::query(
        "INSERT INTO oidc_clients (client_id, name, secret_hash, redirect_uris, \
         post_logout_redirect_uris, id_token_alg, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(&client_id)
    .bind(new.name.trim())
    .bind(digest(&secret))
    .bind(new.redirect_uris.join(" "))
    .bind(new.post_logout_redirect_uris.join(" "))
    .bind(new.id_token_alg.as_str())
    .bind(time::now())
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    egov_audit::append(
        &mut tx,
        ctx,
        Event {
            action: "oidc.client_create",
            object_type: "oidc_client",
            object_id: &client_id,
            detail: serde_json::json!({ "name": new.name.trim(), "redirect_uris": new.redirect_uris }),
        },
    )
    .await?;
    tx.commit().await?;
    let client = Client {
        client_id,
        name: new.name.trim().to_owned(),
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        id_token_alg: new.id_token_alg.as_str().to_owned(),
    };
    Ok((client, secret))
}

type ClientRow = (String, String, String, String, String, String);

fn from_row((client_id, name, _, redirects, logouts, alg): ClientRow) -> Client {
    let split = |s: &str| s.split_whitespace().map(str::to_owned).collect();
    Client {
        client_id,
        name,
        redirect_uris: split(&redirects),
        post_logout_redirect_uris: split(&logouts),
        id_token_alg: alg,
    }
}

async fn load(db: &Db, client_id: &str) -> Result<Option<ClientRow>, OidcError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, \
         id_token_alg FROM oidc_clients WHERE client_id = $1 AND revoked_at IS NULL"
    )
    .bind(client_id)
    .fetch_optional(&mut *c)
    .await)?)
}

pub async fn find_client(db: &Db, client_id: &str) -> Result<Option<Client>, OidcError> {
    Ok(load(db, client_id).await?.map(from_row))
}

/// The client, if the secret is right.
pub async fn authenticate_client(
    db: &Db,
    client_id: &str,
    secret: &str,
) -> Result<Client, OidcError> {
    match load(db, client_id).await? {
        Some(row) if constant_time_eq(row.2.as_bytes(), digest(secret).as_bytes()) => {
            Ok(from_row(row))
        }
        _ => Err(OidcError::protocol(
            "invalid_client",
            "client authentication failed",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn list_clients(db: &Db) -> Result<Vec<Client>, OidcError> {
    let mut r = db.reader().await?;
    let rows: Vec<ClientRow> = run!(r, |c| sqlx::query_as(
        "SELECT client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, \
         id_token_alg FROM oidc_clients WHERE revoked_at IS NULL ORDER BY created_at"
    )
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows.into_iter().map(from_row).collect())
}
