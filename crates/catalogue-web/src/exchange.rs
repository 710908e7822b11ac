//! The exchange over HTTP: a consuming department's machine client calls
//! with a client-credentials access token; the answer carries the digest
//! of the request (`X-Exchange-Request-Hash`), of itself
//! (`X-Exchange-Response-Hash`) and the server's signature over both
//! (`X-Exchange-Signature: keyId=...,signature=...`), checked against the
//! keys published at `/api/v1/exchange/keys`. Also here: binding a client
//! to its department, and the usage figures that feed the assessment of
//! sharing (考核).

use crate::api::{row_query, RowParams};
use crate::errors;
use crate::Rows;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_catalogue::exchange::{self, Call, ExchangeError};
use egov_catalogue::sharing;
use egov_identity::Permission;
use egov_kernel::Actor;
use egov_web_kit::api::{ApiJson, ApiPath, ApiQuery};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::context::Origin;
use egov_web_kit::machine::machine_client;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const TAG_EXCHANGE: &str = "exchange";

fn refused(e: ExchangeError) -> ApiError {
    let en = e.to_string();
    match e {
        ExchangeError::NotBound => ApiError::new(StatusCode::FORBIDDEN, "client_not_bound")
            .with_detail("该客户端未绑定到任何部门，不能调用共享交换", en),
        ExchangeError::NoResource(c) => ApiError::not_found(format!("目录中没有资源“{c}”"), en),
        ExchangeError::NoGrant(c) => ApiError::new(StatusCode::FORBIDDEN, "no_grant")
            .with_detail(format!("本部门没有资源“{c}”的有效共享授权"), en),
        ExchangeError::NotGranted(f) => ApiError::new(StatusCode::FORBIDDEN, "field_not_granted")
            .with_detail(format!("信息项“{f}”不在授权范围内"), en),
        ExchangeError::Query(q) => errors::query(q),
        ExchangeError::Store(s) => s.into(),
        other => ApiError::internal(other),
    }
}

/// Rows of a resource for a consuming department's machine client,
/// authenticated with an access token of the client credentials grant.
/// Checked against the department's grants (only granted 信息项 return),
/// logged in the audit chain before it answers, and signed.
#[utoipa::path(get, operation_id = "exchange_rows", path = "/api/v1/exchange/resources/{code}/rows", tag = TAG_EXCHANGE,
    params(("code" = String, Path, description = "The resource's code"), RowParams),
    security(("client_credentials" = [])),
    responses((status = 200, description = "The rows, with X-Exchange-Request-Hash, X-Exchange-Response-Hash and X-Exchange-Signature",
                  body = Object),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn rows(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    RawQuery(raw): RawQuery,
    ApiQuery(p): ApiQuery<RowParams>,
) -> Result<Response, ApiError> {
    let client = machine_client(&state, &headers).await?;
    let query = row_query(p);
    let request_line = format!(
        "GET /api/v1/exchange/resources/{code}/rows?{}",
        raw.unwrap_or_default()
    );
    let ctx = origin.context(Actor::Client(client.client_id.clone()));
    let call = Call {
        client_id: client.client_id,
        token_id: client.token_id,
        resource: code,
        query,
        request_line,
    };
    let answer = exchange::call(&state.db, &state.part::<Rows>().0, &ctx, call)
        .await
        .map_err(refused)?;
    let header_value = |s: &str| HeaderValue::from_str(s).map_err(ApiError::internal);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::HeaderName::from_static("x-exchange-request-hash"),
                header_value(&answer.request_hash)?,
            ),
            (
                header::HeaderName::from_static("x-exchange-response-hash"),
                header_value(&answer.response_hash)?,
            ),
            (
                header::HeaderName::from_static("x-exchange-signature"),
                header_value(&format!(
                    "keyId={},signature={}",
                    answer.key_id, answer.signature
                ))?,
            ),
        ],
        answer.body,
    )
        .into_response())
}

/// A server key as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedKey {
    pub id: String,
    pub created_at: String,
    /// The Ed25519 public key, base64.
    pub ed25519: String,
}

/// The keys the exchange signs answers with: verify `X-Exchange-Signature`
/// (Ed25519 over the request hash, a newline and the response hash)
/// against the key its `keyId` names.
#[utoipa::path(get, operation_id = "exchange_keys", path = "/api/v1/exchange/keys", tag = TAG_EXCHANGE,
    responses((status = 200, body = Vec<PublishedKey>)))]
pub async fn keys() -> Result<ApiJson<Vec<PublishedKey>>, ApiError> {
    let ring = egov_keyring::current().map_err(ApiError::internal)?;
    Ok(ApiJson(
        ring.public_keys()
            .into_iter()
            .map(|k| PublishedKey {
                id: k.id,
                created_at: k.created_at,
                ed25519: k.ed25519,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindBody {
    /// The department the client acts for.
    pub department: String,
}

/// Binds a confidential single sign-on client (one that may use the
/// client credentials grant) to the department it acts for in the
/// exchange. System administrators.
#[utoipa::path(put, operation_id = "exchange_bind", path = "/api/v1/exchange/clients/{client_id}", tag = TAG_EXCHANGE,
    params(("client_id" = String, Path, description = "The client's id")),
    request_body = BindBody,
    responses((status = 204, description = "Bound"),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn bind(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(client_id): ApiPath<String>,
    ApiJson(body): ApiJson<BindBody>,
) -> Result<StatusCode, ApiError> {
    caller.require(Permission::ManageClients)?;
    if !egov_web_kit::machine::is_confidential_client(&state, &client_id).await? {
        return Err(errors::sharing(sharing::SharingError::NoClient(client_id)));
    }
    sharing::bind_client(
        &state.db,
        &caller.context,
        &client_id,
        body.department.trim(),
    )
    .await
    .map_err(errors::sharing)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// First day counted (YYYY-MM-DD, Beijing time); 30 days ago when left out.
    pub from: Option<chrono::NaiveDate>,
    /// Last day counted; today when left out.
    pub to: Option<chrono::NaiveDate>,
}

/// Exchange calls per resource, provider and consumer over a period: calls
/// answered, rows returned, calls refused. For civil servants (the
/// assessment of sharing reads these).
#[utoipa::path(get, operation_id = "exchange_usage", path = "/api/v1/exchange/usage", tag = TAG_EXCHANGE, params(UsageParams),
    responses((status = 200, body = Object),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn usage(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(p): ApiQuery<UsageParams>,
) -> Result<ApiJson<exchange::Usage>, ApiError> {
    caller.require(Permission::ReadCatalogue)?;
    let to = p.to.unwrap_or_else(sharing::today);
    let from = p.from.unwrap_or(to - chrono::Duration::days(30));
    Ok(ApiJson(
        exchange::usage(&state.db, from, to)
            .await
            .map_err(refused)?,
    ))
}
