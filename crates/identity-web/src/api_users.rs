//! Accounts over the API. ID and phone numbers are masked unless the caller's
//! role needs them and asks (`reveal=true`); every unmasked answer is audited.

use crate::api::{ApiJson, ApiPath, ApiQuery, TAG_IDENTITY};
use crate::auth::ApiCaller;
use crate::problem::{answers, ApiError};
use crate::state::AppState;
use axum::extract::State;
use egov_identity::personal::{self, PersonalView, RevealError};
use egov_identity::{allows, IdentityError, Permission, Principal, UserRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub name: String,
    /// `citizen`, `enterprise` or `staff`.
    pub kind: String,
    pub department: Option<String>,
    /// The enterprise's credit code, for enterprise accounts.
    pub enterprise_code: Option<String>,
    pub roles: Vec<String>,
    /// Masked (`110105********002X`) unless revealed.
    pub resident_id: Option<String>,
    /// Masked (`138****8000`) unless revealed.
    pub phone: Option<String>,
    pub masked: bool,
    pub mfa_enabled: bool,
}

async fn account(state: &AppState, r: UserRecord, view: PersonalView) -> Result<Account, ApiError> {
    let roles = egov_identity::roles_of(&state.db, r.id).await?;
    Ok(Account {
        id: r.id,
        username: r.username,
        name: r.display_name,
        kind: r.kind,
        department: r.department_code,
        enterprise_code: r.enterprise_code,
        roles: roles.iter().map(|g| g.role.as_str().to_owned()).collect(),
        resident_id: view.resident_id,
        phone: view.phone,
        masked: view.masked,
        mfa_enabled: r.mfa_enabled,
    })
}

fn identity_error(e: IdentityError) -> ApiError {
    match e {
        IdentityError::NotFound => ApiError::not_found("账户不存在", "no such account"),
        other => ApiError::internal(other),
    }
}

/// The signed-in account (personal data masked).
#[utoipa::path(get, path = "/api/v1/me", tag = TAG_IDENTITY,
    responses((status = 200, body = Account),
              answers::Unauthorized))]
pub async fn me(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Account>, ApiError> {
    let Principal::User(u) = &caller.principal else {
        return Err(ApiError::unauthorized());
    };
    let record = egov_identity::get_user(&state.db, u.user_id)
        .await
        .map_err(identity_error)?;
    let view = personal::masked(&record);
    Ok(ApiJson(account(&state, record, view).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevealQuery {
    /// Show ID and phone numbers in full (auditors and system administrators; audited).
    #[serde(default)]
    pub reveal: bool,
}

/// One account, for administrators of its department.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = TAG_IDENTITY,
    params(("id" = i64, Path, description = "Account id"), RevealQuery),
    responses((status = 200, body = Account),
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound))]
pub async fn get_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RevealQuery>,
) -> Result<ApiJson<Account>, ApiError> {
    if matches!(caller.principal, Principal::Anonymous) {
        return Err(ApiError::unauthorized());
    }
    let record = egov_identity::get_user(&state.db, id)
        .await
        .map_err(identity_error)?;
    let may_see = allows(
        &caller.principal,
        Permission::ManageUsers {
            department_id: record.department_id,
        },
    ) || allows(&caller.principal, Permission::RevealPersonalData);
    if !may_see {
        return Err(ApiError::forbidden());
    }
    let view = if q.reveal {
        personal::reveal(&state.db, &caller.context, &caller.principal, &record)
            .await
            .map_err(|e| match e {
                RevealError::Forbidden => ApiError::forbidden().with_detail(
                    "您的角色无权查看完整证件号码",
                    "your role may not see personal data unmasked",
                ),
                RevealError::Identity(e) => identity_error(e),
            })?
    } else {
        personal::masked(&record)
    };
    Ok(ApiJson(account(&state, record, view).await?))
}
