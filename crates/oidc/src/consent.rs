//! What a person has let each relying party have. An application asks once
//! for a set of scopes; the person's answer is kept (per person and client,
//! the union of every set they allowed) so that signing in there again goes
//! straight back. Withdrawing it also revokes the tokens the application
//! holds for that person, so the next visit asks again.

use crate::OidcError;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, Tx};
use serde_json::json;
use std::collections::BTreeSet;

/// Whether `user_id` has allowed `client_id` every scope in `scope`.
pub async fn covers(
    db: &Db,
    user_id: i64,
    client_id: &str,
    scope: &str,
) -> Result<bool, OidcError> {
    let mut r = db.reader().await?;
    let granted: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT scope FROM oidc_consents WHERE user_id = $1 AND client_id = $2"
    )
    .bind(user_id)
    .bind(client_id)
    .fetch_optional(&mut *c)
    .await)?;
    let Some(granted) = granted else {
        return Ok(false);
    };
    let granted = scopes(&granted);
    Ok(scopes(scope).is_subset(&granted))
}

fn scopes(scope: &str) -> BTreeSet<&str> {
    scope.split(' ').filter(|s| !s.is_empty()).collect()
}

/// Keeps the person's consent to `scope` for the client, inside the
/// transaction that issues the code it was given for (whose audit record
/// says so).
pub(crate) async fn remember(
    tx: &mut Tx,
    user_id: i64,
    client_id: &str,
    scope: &str,
) -> Result<(), OidcError> {
    let before: Option<String> = tx
        .fetch_optional_scalar(
            query("SELECT scope FROM oidc_consents WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_id),
        )
        .await?;
    let mut all = scopes(scope);
    if let Some(before) = &before {
        all.extend(scopes(before));
    }
    let all = all.into_iter().collect::<Vec<_>>().join(" ");
    tx.execute(
        query(
            "INSERT INTO oidc_consents (user_id, client_id, scope, granted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, client_id) \
             DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(&all)
        .bind(time::now()),
    )
    .await?;
    Ok(())
}

/// One application a person has let in.
#[derive(Debug, Clone)]
pub struct Consent {
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub granted_at: Timestamp,
}

/// Every application `user_id` has let in, newest first.
pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<Consent>, OidcError> {
    let mut r = db.reader().await?;
    let rows: Vec<(String, String, String, Timestamp)> = run!(r, |c| sqlx::query_as(
        "SELECT k.client_id, c.name, k.scope, k.granted_at FROM oidc_consents k \
         JOIN oidc_clients c ON c.client_id = k.client_id \
         WHERE k.user_id = $1 AND c.revoked_at IS NULL ORDER BY k.granted_at DESC"
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(client_id, client_name, scope, granted_at)| Consent {
            client_id,
            client_name,
            scope,
            granted_at,
        })
        .collect())
}

/// Withdraws `user_id`'s consent for the client and revokes the tokens the
/// client holds for them, audited. False if there was none.
pub async fn withdraw(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    client_id: &str,
) -> Result<bool, OidcError> {
    let (ctx, client_id) = (ctx.clone(), client_id.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let removed = tx
                .execute(
                    query("DELETE FROM oidc_consents WHERE user_id = $1 AND client_id = $2")
                        .bind(user_id)
                        .bind(&client_id),
                )
                .await?;
            if removed == 0 {
                return Ok(false);
            }
            let revoked = tx
                .execute(
                    query(
                        "UPDATE oidc_tokens SET revoked_at = $1 WHERE user_id = $2 \
                         AND client_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(time::now())
                    .bind(user_id)
                    .bind(&client_id),
                )
                .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "oidc.consent_withdraw",
                    object_type: "oidc_client",
                    object_id: &client_id,
                    detail: json!({ "user_id": user_id, "revoked_tokens": revoked }),
                },
            )
            .await?;
            Ok(true)
        })
    })
    .await
}
