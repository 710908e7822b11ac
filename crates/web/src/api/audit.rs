use crate::api::{ApiJson, TAG_AUDIT};
use crate::auth::ApiCaller;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::State;
use egov_audit::Verdict;
use egov_identity::Permission;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ChainReport {
    pub intact: bool,
    /// Records checked (all of them when intact).
    pub records: i64,
    /// The first bad record, when broken.
    pub first_bad_seq: Option<i64>,
    pub reason: Option<String>,
}

/// Verify the audit chain. Needs the `audit:read` scope (or an administrator).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = TAG_AUDIT,
    security(("api_key" = [])),
    responses((status = 200, body = ChainReport),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn verify(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<ChainReport>, ApiError> {
    caller.require(Permission::ReadAudit)?;
    Ok(ApiJson(match egov_audit::verify(&state.db).await? {
        Verdict::Intact { records } => ChainReport {
            intact: true,
            records,
            first_bad_seq: None,
            reason: None,
        },
        Verdict::Broken { seq, reason } => ChainReport {
            intact: false,
            records: seq - 1,
            first_bad_seq: Some(seq),
            reason: Some(reason.to_string()),
        },
    }))
}
