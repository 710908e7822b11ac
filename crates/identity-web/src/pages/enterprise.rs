//! An enterprise's legal representative manages its operator sub-accounts.

use super::account::identity_message;
use super::{render, Chrome};
use crate::auth::{CheckedForm, FormRefused, PageUser, CITIZEN};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use egov_identity::personal::{self, PersonalView};
use egov_identity::{
    allows, IdentityError, NewOperator, Permission, Principal, SessionUser, UserFilter,
};
use egov_kernel::identifier::MobileNumber;
use egov_kernel::{Actor, Locale};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "operators.html")]
struct OperatorsPage {
    chrome: Chrome,
    /// Username, name, masked personal data, disabled, view only.
    operators: Vec<(String, String, PersonalView, bool, bool)>,
    error: Option<String>,
    created: Option<(String, String)>,
}

fn enterprise_of(user: &SessionUser) -> Option<i64> {
    let id = user.enterprise_id?;
    allows(
        &Principal::User(user.clone()),
        Permission::ManageOperators { enterprise_id: id },
    )
    .then_some(id)
}

/// The enterprise's operator accounts (not its legal representative).
async fn operators_of(
    state: &AppState,
    enterprise_id: i64,
) -> Result<Vec<egov_identity::UserRecord>, ApiError> {
    let users = egov_identity::list_users(
        &state.db,
        &UserFilter {
            enterprise_id: Some(enterprise_id),
            ..Default::default()
        },
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(users
        .into_iter()
        .filter(|u| u.enterprise_role.as_deref() == Some("operator"))
        .collect())
}

async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    enterprise_id: i64,
    status: StatusCode,
    error: Option<String>,
    created: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let operators = operators_of(state, enterprise_id)
        .await?
        .iter()
        .map(|u| {
            (
                u.username.clone(),
                u.display_name.clone(),
                personal::masked(u),
                u.disabled,
                u.view_only,
            )
        })
        .collect();
    Ok(render(
        status,
        &OperatorsPage {
            chrome: Chrome::new(locale, Some(user), "/enterprise/operators"),
            operators,
            error,
            created,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
) -> Result<Response, ApiError> {
    let Some(enterprise_id) = enterprise_of(&user) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    page(
        &state,
        locale,
        user,
        enterprise_id,
        StatusCode::OK,
        None,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct AddForm {
    username: String,
    display_name: String,
    phone: String,
}

pub async fn add(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    form: Result<CheckedForm<AddForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let Some(enterprise_id) = enterprise_of(&user) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            let msg = translate(locale, "register.error.incomplete").to_owned();
            return page(
                &state,
                locale,
                user,
                enterprise_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await;
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let phone = match MobileNumber::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => {
            let msg = format!(
                "{}：{}",
                translate(locale, "register.phone"),
                e.message_zh()
            );
            return page(
                &state,
                locale,
                user,
                enterprise_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await;
        }
    };
    let password = egov_identity::random_secret()[..20].to_owned();
    let ctx = origin.context(Actor::User(user.user_id));
    let op = NewOperator {
        username: form.username.clone(),
        display_name: form.display_name,
        phone,
        password: SecretString::from(password.clone()),
    };
    match egov_identity::add_operator(&state.db, &ctx, enterprise_id, op).await {
        Ok(_) => {
            page(
                &state,
                locale,
                user,
                enterprise_id,
                StatusCode::CREATED,
                None,
                Some((form.username, password)),
            )
            .await
        }
        Err(IdentityError::Store(e)) => Err(ApiError::internal(e)),
        Err(e) => {
            let msg = identity_message(locale, &e);
            page(
                &state,
                locale,
                user,
                enterprise_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    /// "disable" or "enable".
    to: String,
}

/// The legal representative stops an operator acting for the enterprise
/// (their sessions end at once), or lets them again. Audited.
pub async fn set_state(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    axum::extract::Path(username): axum::extract::Path<String>,
    form: Result<CheckedForm<StateForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let Some(enterprise_id) = enterprise_of(&user) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    // Stopped or let again (`disable`, `enable`); limited to seeing the
    // enterprise's business or let act on it again (`limit`, `unlimit`).
    let to = match form {
        Ok(CheckedForm(f))
            if ["disable", "enable", "limit", "unlimit"].contains(&f.to.as_str()) =>
        {
            f.to
        }
        Ok(_) | Err(FormRefused::Unreadable(_)) => {
            return Ok(super::error_page(locale, StatusCode::BAD_REQUEST))
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let operator = operators_of(&state, enterprise_id)
        .await?
        .into_iter()
        .find(|u| u.username == username);
    let Some(operator) = operator else {
        return Ok(super::error_page(locale, StatusCode::NOT_FOUND));
    };
    let ctx = origin.context(Actor::User(user.user_id));
    let (db, id) = (&state.db, operator.id);
    match to.as_str() {
        "disable" | "enable" => {
            egov_identity::set_operator_disabled(db, &ctx, enterprise_id, id, to == "disable").await
        }
        _ => {
            egov_identity::set_operator_view_only(db, &ctx, enterprise_id, id, to == "limit").await
        }
    }
    .map_err(ApiError::from_identity)?;
    Ok(axum::response::Redirect::to("/enterprise/operators").into_response())
}
