use crate::api::{ApiJson, ApiQuery, TAG_AUDIT};
use crate::auth::ApiCaller;
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use axum::extract::State;
use egov_audit::Verdict;
use egov_identity::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct ChainReport {
    pub intact: bool,
    /// Records checked (all of them when intact).
    pub records: i64,
    /// Signed checkpoints checked against the chain.
    pub checkpoints: i64,
    /// The record the newest signed checkpoint covers.
    pub newest_signed: Option<i64>,
    /// Records written but not yet linked into the chain (on PostgreSQL
    /// they are linked in batches a few milliseconds after their commit).
    pub pending: i64,
    /// The first bad record, when broken.
    pub first_bad_seq: Option<i64>,
    pub reason: Option<String>,
}

fn keyring() -> Result<std::sync::Arc<egov_keyring::Keyring>, ApiError> {
    egov_keyring::current().map_err(ApiError::internal)
}

/// Verify the audit chain and its signed checkpoints.
///
/// Needs the `audit:read` scope (or an administrator or auditor).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = TAG_AUDIT,
    security(("api_key" = [])),
    responses((status = 200, body = ChainReport),
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn verify(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<ChainReport>, ApiError> {
    caller.require(Permission::ReadAudit)?;
    let anchors = match &state.settings.audit_anchor {
        Some(path) => egov_audit::checkpoint::read_anchors(path).map_err(ApiError::internal)?,
        None => Vec::new(),
    };
    let ring = keyring()?;
    Ok(ApiJson(
        match egov_audit::verify(&state.db, &ring, &anchors).await? {
            Verdict::Intact {
                records,
                checkpoints,
                newest_signed,
                pending,
            } => ChainReport {
                intact: true,
                records,
                checkpoints,
                newest_signed,
                pending,
                first_bad_seq: None,
                reason: None,
            },
            Verdict::Broken { seq, reason } => ChainReport {
                intact: false,
                records: seq - 1,
                checkpoints: 0,
                newest_signed: None,
                pending: 0,
                first_bad_seq: Some(seq),
                reason: Some(reason.to_string()),
            },
        },
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CheckpointView {
    /// The record the checkpoint covers (the chain's head when signed).
    pub seq: i64,
    /// That record's hash, hex.
    pub hash: String,
    pub signed_at: String,
    /// The server key that signed it (see `/.well-known/egov-audit-keys`).
    pub key_id: String,
    /// Ed25519 over `egov-audit-checkpoint/v1\n{seq}\n{hash}\n{signed_at}`, base64.
    pub signature: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckpointQuery {
    /// Only checkpoints after this record.
    #[param(minimum = 0)]
    pub since: Option<u32>,
}

/// The signed checkpoints of the audit chain, oldest first, to keep
/// elsewhere as anchors.
#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = TAG_AUDIT,
    security(("api_key" = [])), params(CheckpointQuery),
    responses((status = 200, body = Vec<CheckpointView>),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn checkpoints(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<CheckpointQuery>,
) -> Result<ApiJson<Vec<CheckpointView>>, ApiError> {
    caller.require(Permission::ReadAudit)?;
    let list = egov_audit::checkpoints(&state.db, i64::from(q.since.unwrap_or(0))).await?;
    Ok(ApiJson(
        list.into_iter()
            .map(|c| CheckpointView {
                seq: c.seq,
                hash: c.hash,
                signed_at: c.signed_at,
                key_id: c.key_id,
                signature: c.signature,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct AuditKey {
    /// The key id checkpoints name.
    pub kid: String,
    /// Always `Ed25519`.
    pub alg: &'static str,
    /// The public key, base64 (32 bytes).
    pub public_key: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditKeys {
    pub keys: Vec<AuditKey>,
}

/// The public keys that verify the audit chain's signed checkpoints.
#[utoipa::path(get, path = "/.well-known/egov-audit-keys", tag = TAG_AUDIT,
    responses((status = 200, body = AuditKeys)))]
pub async fn public_keys() -> Result<ApiJson<AuditKeys>, ApiError> {
    let ring = keyring()?;
    Ok(ApiJson(AuditKeys {
        keys: ring
            .public_keys()
            .into_iter()
            .map(|k| AuditKey {
                kid: k.id,
                alg: "Ed25519",
                public_key: k.ed25519,
                created_at: k.created_at,
            })
            .collect(),
    }))
}
