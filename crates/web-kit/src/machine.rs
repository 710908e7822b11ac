//! Machine clients that authenticate with the OAuth client credentials
//! grant: a system's web part that serves them (the data exchange) asks
//! here who a bearer access token belongs to. The identity system, which
//! issues the tokens, puts the check into the state ([`MachineTokens`]);
//! the asking system needs no knowledge of how tokens are made.

use crate::problem::ApiError;
use crate::state::AppState;
use axum::http::{header, HeaderMap};
use egov_store::Db;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A machine client as its access token names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineClient {
    pub client_id: String,
    pub scope: String,
    /// The token's own id, for the log of what it was used for.
    pub token_id: String,
}

type Check = dyn for<'a> Fn(
        &'a Db,
        &'a str,
    )
        -> Pin<Box<dyn Future<Output = Result<Option<MachineClient>, ApiError>> + Send + 'a>>
    + Send
    + Sync;

type Confidential = dyn for<'a> Fn(&'a Db, &'a str) -> Pin<Box<dyn Future<Output = Result<bool, ApiError>> + Send + 'a>>
    + Send
    + Sync;

/// Machine clients as the identity system knows them.
#[derive(Clone)]
pub struct MachineTokens {
    /// Who a live access token belongs to.
    pub check: Arc<Check>,
    /// Whether a client id is a registered confidential client, one that
    /// may take client-credentials tokens.
    pub confidential: Arc<Confidential>,
}

/// Whether `client_id` is a registered confidential client.
pub async fn is_confidential_client(state: &AppState, client_id: &str) -> Result<bool, ApiError> {
    (state.part::<MachineTokens>().confidential)(&state.db, client_id).await
}

/// The machine client behind the request's `Authorization: Bearer` token:
/// 401 without one or with one that is not live.
pub async fn machine_client(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<MachineClient, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized().with_detail(
                "须以客户端凭证（client_credentials）取得的访问令牌调用",
                "call with an access token from the client credentials grant",
            )
        })?;
    let check = &state.part::<MachineTokens>().check;
    check(&state.db, token).await?.ok_or_else(|| {
        ApiError::unauthorized().with_detail(
            "访问令牌无效或已过期",
            "the access token is invalid or has expired",
        )
    })
}
