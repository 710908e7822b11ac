//! Sharing over the API: a department's catalogue administrator asks for
//! another's resource (granted at once when it is shared unconditionally,
//! a case for the provider otherwise), the provider's answers, and a
//! department's grants.

use crate::errors;
use axum::extract::State;
use chrono::NaiveDate;
use egov_catalogue::sharing::{self, Answer, Request, Requested, Sharing};
use egov_identity::{Permission, Principal};
use egov_web_kit::api::{ApiJson, ApiPath};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::exchange::TAG_EXCHANGE;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// What the data is for.
    pub purpose: String,
    /// The 信息项 needed.
    pub fields: Vec<String>,
    /// Until when (at most three years on).
    #[schema(value_type = String, format = Date)]
    pub until: NaiveDate,
}

/// What a request came to.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOutcome {
    /// granted (shared unconditionally) or pending (the provider answers).
    pub outcome: String,
    /// The grant, when granted.
    pub grant: Option<i64>,
    /// The sharing case, when pending.
    pub case: Option<String>,
}

/// The department the caller keeps the catalogue of (its own).
fn consumer_of(caller: &ApiCaller) -> Result<(i64, Option<i64>), ApiError> {
    let Principal::User(u) = &caller.principal else {
        caller.require(Permission::UseWorkbench)?;
        return Err(ApiError::forbidden());
    };
    let department = u.department_id.ok_or_else(ApiError::forbidden)?;
    caller.require(Permission::ManageCatalogue {
        department_id: Some(department),
    })?;
    Ok((department, Some(u.user_id)))
}

/// Asks for another department's resource for the caller's department:
/// purpose, 信息项 and until when. Shared unconditionally: granted at once.
/// Conditionally: a case for the provider, answered within the process's
/// working days. Not shared: refused with its legal basis. A department's
/// catalogue administrators.
#[utoipa::path(post, operation_id = "sharing_request", path = "/api/v1/catalogue/resources/{code}/requests", tag = TAG_EXCHANGE,
    params(("code" = String, Path, description = "The resource's code")),
    request_body = RequestBody,
    responses((status = 200, body = RequestOutcome),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn request(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<RequestBody>,
) -> Result<ApiJson<RequestOutcome>, ApiError> {
    let (consumer_id, user_id) = consumer_of(&caller)?;
    let req = Request {
        resource: code,
        consumer_id,
        purpose: body.purpose,
        fields: body.fields,
        until: body.until,
        user_id,
    };
    let out = sharing::request(&state.db, &caller.context, &state.processes, req)
        .await
        .map_err(errors::sharing)?;
    Ok(ApiJson(match out {
        Requested::Granted(id) => RequestOutcome {
            outcome: "granted".into(),
            grant: Some(id),
            case: None,
        },
        Requested::Pending(number) => RequestOutcome {
            outcome: "pending".into(),
            grant: None,
            case: Some(number),
        },
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// grant or refuse.
    pub decision: String,
    /// The 信息项 granted (those asked for when left out; never more).
    pub fields: Option<Vec<String>>,
    /// Until when (as asked when left out; never later).
    #[schema(value_type = Option<String>, format = Date)]
    pub until: Option<NaiveDate>,
    /// Why it is refused (required to refuse).
    pub reason: Option<String>,
}

/// Answers a sharing request for a resource of the caller's department:
/// grant (the fields and expiry asked for, or narrower) or refuse with the
/// reason. The case's step and the grant are one transaction. The
/// provider's catalogue administrators.
#[utoipa::path(post, operation_id = "sharing_answer", path = "/api/v1/catalogue/requests/{number}/answer", tag = TAG_EXCHANGE,
    params(("number" = String, Path, description = "The sharing case's number")),
    request_body = AnswerBody,
    responses((status = 200, body = RequestOutcome),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn answer(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<ApiJson<RequestOutcome>, ApiError> {
    caller.require(Permission::ReadCatalogue)?;
    let (pending, _) = sharing::pending(&state.db, &number)
        .await
        .map_err(errors::sharing)?;
    caller.require(Permission::ManageCatalogue {
        department_id: Some(pending.provider_id),
    })?;
    let decision = match body.decision.as_str() {
        "grant" => Answer::Grant {
            fields: body.fields,
            until: body.until,
        },
        "refuse" => Answer::Refuse {
            reason: body.reason.unwrap_or_default(),
        },
        _ => {
            return Err(ApiError::validation(
                "decision 只能是 grant 或 refuse",
                "decision must be grant or refuse",
            ))
        }
    };
    let user_id = match &caller.principal {
        Principal::User(u) => Some(u.user_id),
        _ => None,
    };
    let grant = sharing::answer(
        &state.db,
        &caller.context,
        &state.processes,
        &number,
        user_id,
        decision,
    )
    .await
    .map_err(errors::sharing)?;
    Ok(ApiJson(RequestOutcome {
        outcome: if grant.is_some() {
            "granted"
        } else {
            "refused"
        }
        .into(),
        grant,
        case: Some(number),
    }))
}

/// A department's live grants.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantList {
    #[schema(value_type = Vec<Object>)]
    pub grants: Vec<sharing::Grant>,
}

/// The live grants of the caller's department: resource, fields, purpose,
/// expiry and the case each was granted in. Civil servants.
#[utoipa::path(get, operation_id = "sharing_grants", path = "/api/v1/catalogue/grants", tag = TAG_EXCHANGE,
    responses((status = 200, body = GrantList),
              answers::Unauthorized,
              answers::Forbidden))]
pub async fn grants(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<GrantList>, ApiError> {
    caller.require(Permission::ReadCatalogue)?;
    let department = match &caller.principal {
        Principal::User(u) => u.department_id,
        _ => None,
    };
    let all = Sharing::get(&state.db).await.map_err(errors::sharing)?;
    Ok(ApiJson(GrantList {
        grants: department
            .map(|d| all.of_consumer(d).into_iter().cloned().collect())
            .unwrap_or_default(),
    }))
}
