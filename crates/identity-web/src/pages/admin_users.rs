//! Staff accounts in the admin console: system administrators manage every
//! department; department administrators their own.

use super::account::identity_message;
use super::{render, user_context, Chrome};
use crate::auth::{CheckedForm, FormRefused, PageUser, ADMIN_CONSOLE};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::personal::{self, PersonalView};
use egov_identity::roles::Scope;
use egov_identity::{
    allows, Grantor, IdentityError, NewStaff, Permission, Principal, Role, RoleGrant, SessionUser,
    UserFilter, UserKind, UserRecord,
};
use egov_kernel::Locale;
use egov_org::{Department, DepartmentFilter};
use secrecy::{ExposeSecret, SecretString};
use serde::de::IgnoredAny;
use serde::Deserialize;

fn may_manage(user: &SessionUser, department_id: Option<i64>) -> bool {
    allows(
        &Principal::User(user.clone()),
        Permission::ManageUsers { department_id },
    )
}

/// The departments this administrator may manage accounts in.
async fn manageable_departments(
    state: &AppState,
    user: &SessionUser,
) -> Result<Vec<Department>, ApiError> {
    let all = egov_org::departments(&state.db, &DepartmentFilter::default()).await?;
    Ok(all
        .into_iter()
        .filter(|d| may_manage(user, Some(d.id)))
        .collect())
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRecord>,
    departments: Vec<Department>,
    roles: Vec<(Role, &'static str)>,
    error: Option<String>,
    created: Option<(String, String)>,
}

impl UsersPage {
    /// A user's department by name (in the page's language), for the list.
    fn department_name(&self, code: Option<&str>) -> String {
        let Some(code) = code else {
            return "-".to_owned();
        };
        self.departments
            .iter()
            .find(|d| d.code == code)
            .map_or_else(
                || code.to_owned(),
                |d| d.name_in(self.chrome.locale).to_owned(),
            )
    }
}

fn role_labels(locale: Locale) -> Vec<(Role, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| (*r, translate(locale, &format!("role.{}", r.as_str()))))
        .collect()
}

async fn users_page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    error: Option<String>,
    created: Option<(String, String)>,
) -> Result<Response, ApiError> {
    let departments = manageable_departments(state, &user).await?;
    let mut users = egov_identity::list_users(
        &state.db,
        &UserFilter {
            kind: Some(UserKind::Staff),
            ..Default::default()
        },
    )
    .await
    .map_err(ApiError::internal)?;
    users.retain(|u| may_manage(&user, u.department_id));
    // The roles this administrator may hand out in some department it manages.
    let principal = Principal::User(user.clone());
    let roles = role_labels(locale)
        .into_iter()
        .filter(|(r, _)| {
            departments.iter().any(|d| {
                let g = grant_in(*r, Some(d.id), false);
                allows(
                    &principal,
                    Permission::GrantRole {
                        role: g.role,
                        department_id: g.department_id,
                    },
                )
            })
        })
        .collect();
    Ok(render(
        status,
        &UsersPage {
            chrome: Chrome::new(locale, Some(user), "/admin/users"),
            users,
            departments,
            roles,
            error,
            created,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
) -> Result<Response, ApiError> {
    users_page(&state, locale, user, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    username: String,
    display_name: String,
    department: String,
    /// One role at creation; more on the account's page.
    #[serde(default)]
    role: String,
}

pub async fn create(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    form: Result<CheckedForm<CreateForm>, FormRefused>,
) -> Result<Response, ApiError> {
    let form = match form {
        Ok(CheckedForm(form)) => form,
        Err(FormRefused::Unreadable(_)) => {
            let msg = translate(locale, "register.error.incomplete").to_owned();
            return users_page(
                &state,
                locale,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await;
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let department = match egov_org::department(&state.db, &form.department).await {
        Ok(department) => Some(department),
        Err(egov_org::OrgError::DepartmentNotFound(_)) => None,
        Err(e) => return Err(ApiError::internal(e)),
    };
    let Some(department) = department.filter(|d| may_manage(&user, Some(d.id))) else {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    };
    let mut roles = Vec::new();
    if let Ok(role) = form.role.parse::<Role>() {
        roles.push(grant_in(role, Some(department.id), false));
    }
    let password = egov_identity::random_secret()[..20].to_owned();
    let new = NewStaff {
        username: form.username.clone(),
        display_name: form.display_name,
        department_id: Some(department.id),
        roles,
        password: SecretString::from(password.clone()),
        must_change_password: true,
    };
    let principal = Principal::User(user.clone());
    let by = Grantor::Admin(&principal);
    match egov_identity::create_staff(&state.db, &user_context(&user, origin), by, new).await {
        Ok(_) => {
            users_page(
                &state,
                locale,
                user,
                StatusCode::CREATED,
                None,
                Some((form.username, password)),
            )
            .await
        }
        Err(IdentityError::Forbidden) => Ok(super::error_page(locale, StatusCode::FORBIDDEN)),
        Err(IdentityError::Store(e)) => Err(ApiError::internal(e)),
        Err(e) => {
            let msg = identity_message(locale, &e);
            users_page(
                &state,
                locale,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                None,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    chrome: Chrome,
    record: UserRecord,
    personal: PersonalView,
    grants: Vec<(String, String)>,
    /// The roles the viewer may grant this user.
    roles: Vec<(Role, &'static str)>,
    /// The viewer may grant a supervisor's role city-wide.
    grant_city_wide: bool,
    may_reveal: bool,
    /// The viewer's own account (not disabled from here).
    is_self: bool,
    /// A one-time password just set, shown this once.
    one_time: Option<String>,
}

async fn user_page(
    state: &AppState,
    locale: Locale,
    viewer: SessionUser,
    id: i64,
    personal: Option<PersonalView>,
    one_time: Option<String>,
) -> Result<Response, ApiError> {
    let record = match egov_identity::get_user(&state.db, id).await {
        Ok(r) => r,
        Err(IdentityError::NotFound) => {
            return Ok(super::error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    if !may_manage(&viewer, record.department_id) {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    let grants = egov_identity::roles_of(&state.db, id).await?;
    let dir = egov_org::directory(&state.db).await?;
    let mut labelled = Vec::new();
    for g in grants {
        let dept = match g.department_id.and_then(|d| dir.department(d)) {
            Some(d) => d.name_in(locale).to_owned(),
            None if g.department_id.is_some() => String::new(),
            None => translate(locale, "role.city_wide").to_owned(),
        };
        labelled.push((
            translate(locale, &format!("role.{}", g.role.as_str())).to_owned(),
            dept,
        ));
    }
    let may_reveal = allows(
        &Principal::User(viewer.clone()),
        Permission::RevealPersonalData,
    );
    let is_self = viewer.user_id == id;
    let principal = Principal::User(viewer.clone());
    let grant_city_wide = allows(
        &principal,
        Permission::GrantRole {
            role: Role::Supervisor,
            department_id: None,
        },
    );
    let roles = role_labels(locale)
        .into_iter()
        .filter(|(r, _)| {
            let g = grant_in(*r, record.department_id, false);
            allows(
                &principal,
                Permission::GrantRole {
                    role: g.role,
                    department_id: g.department_id,
                },
            )
        })
        .collect();
    let personal = personal.unwrap_or_else(|| personal::masked(&record));
    Ok(render(
        StatusCode::OK,
        &UserPage {
            chrome: Chrome::new(locale, Some(viewer), format!("/admin/users/{id}")),
            record,
            personal,
            grants: labelled,
            roles,
            grant_city_wide,
            may_reveal,
            is_self,
            one_time,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    user_page(&state, locale, user, id, None, None).await
}

/// Shows the ID and phone numbers unmasked, once, with an audit record.
pub async fn reveal(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    let record = match managed(&state, locale, &user, id).await {
        Ok(r) => r,
        Err(page) => return Ok(page),
    };
    let principal = Principal::User(user.clone());
    match personal::reveal(&state.db, &user_context(&user, origin), &principal, &record).await {
        Ok(view) => user_page(&state, locale, user, id, Some(view), None).await,
        Err(personal::RevealError::Forbidden) => {
            Ok(super::error_page(locale, StatusCode::FORBIDDEN))
        }
        Err(personal::RevealError::Identity(e)) => Err(ApiError::internal(e)),
    }
}

/// The grant of `role` for a user of `department`: city-wide roles name
/// no department; a role that may be either (监察员) is the department's
/// unless `city_wide` is asked for.
fn grant_in(role: Role, department: Option<i64>, city_wide: bool) -> RoleGrant {
    let department_id = match role.scope() {
        Scope::City => None,
        Scope::Optional if city_wide => None,
        _ => department,
    };
    RoleGrant {
        role,
        department_id,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
    action: String,
    /// For a role that may be city-wide: grant it for every department.
    #[serde(default)]
    city_wide: Option<String>,
}

pub async fn change_role(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<RoleForm>,
) -> Result<Response, ApiError> {
    let Ok(role) = form.role.parse::<Role>() else {
        return Ok(super::error_page(locale, StatusCode::BAD_REQUEST));
    };
    let record = match egov_identity::get_user(&state.db, id).await {
        Ok(r) => r,
        Err(_) => return Ok(super::error_page(locale, StatusCode::NOT_FOUND)),
    };
    let grant = grant_in(role, record.department_id, form.city_wide.is_some());
    let c = user_context(&user, origin);
    let principal = Principal::User(user.clone());
    let by = Grantor::Admin(&principal);
    let result = if form.action == "revoke" {
        egov_identity::revoke_role(&state.db, &c, by, id, grant).await
    } else {
        egov_identity::grant_role(&state.db, &c, by, id, grant).await
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(IdentityError::Forbidden) => Ok(super::error_page(locale, StatusCode::FORBIDDEN)),
        Err(IdentityError::Store(e)) => Err(ApiError::internal(e)),
        Err(_) => Ok(super::error_page(locale, StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

/// The account `id`, if the administrator may manage it: else the page
/// that says why not (404, 403).
async fn managed(
    state: &AppState,
    locale: Locale,
    user: &SessionUser,
    id: i64,
) -> Result<UserRecord, Response> {
    let record = egov_identity::get_user(&state.db, id)
        .await
        .map_err(|e| match e {
            IdentityError::NotFound => super::error_page(locale, StatusCode::NOT_FOUND),
            // The database out of reach is the server's, not "not found".
            e => ApiError::from_identity(e).into_response(),
        })?;
    if may_manage(user, record.department_id) {
        Ok(record)
    } else {
        Err(super::error_page(locale, StatusCode::FORBIDDEN))
    }
}

/// Back to the account's page once a change is made; a refusal as its page.
fn changed(locale: Locale, id: i64, done: Result<(), IdentityError>) -> Result<Response, ApiError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(IdentityError::Forbidden) => Ok(super::error_page(locale, StatusCode::FORBIDDEN)),
        Err(IdentityError::NotFound) => Ok(super::error_page(locale, StatusCode::NOT_FOUND)),
        Err(IdentityError::Invalid { .. }) => {
            Ok(super::error_page(locale, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(ApiError::from_identity(e)),
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    /// `disable`, `enable` or `offboard`.
    action: String,
}

/// Disables, enables or offboards a staff account within the
/// administrator's reach. Disabling and offboarding end its sessions and
/// the single sign-on tokens issued in them.
pub async fn change_state(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<StateForm>,
) -> Result<Response, ApiError> {
    if let Err(page) = managed(&state, locale, &user, id).await {
        return Ok(page);
    }
    if id == user.user_id {
        return Ok(super::error_page(locale, StatusCode::FORBIDDEN));
    }
    let ctx = user_context(&user, origin);
    let principal = Principal::User(user.clone());
    let done = match form.action.as_str() {
        "disable" => egov_identity::set_disabled(&state.db, &ctx, id, true).await,
        "enable" => egov_identity::set_disabled(&state.db, &ctx, id, false).await,
        "offboard" => {
            egov_identity::offboard(&state.db, &ctx, Grantor::Admin(&principal), id).await
        }
        _ => return Ok(super::error_page(locale, StatusCode::BAD_REQUEST)),
    };
    changed(locale, id, done)
}

#[derive(Deserialize)]
pub struct AssuranceForm {
    level: i32,
}

/// Records that a holder's identity was verified (in person at a counter:
/// level 2; by a digital certificate: 3), for items that require it.
pub async fn change_assurance(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<AssuranceForm>,
) -> Result<Response, ApiError> {
    if let Err(page) = managed(&state, locale, &user, id).await {
        return Ok(page);
    }
    let done =
        egov_identity::set_assurance(&state.db, &user_context(&user, origin), id, form.level).await;
    changed(locale, id, done)
}

/// Whether `admin` may reset the credentials of account `id`: a civil
/// servant's, in the administrator's reach, holding no role the
/// administrator could not grant (a department administrator does not take
/// over a system administrator's account by resetting it).
async fn may_reset(
    state: &AppState,
    locale: Locale,
    admin: &SessionUser,
    id: i64,
) -> Result<(), Response> {
    let record = managed(state, locale, admin, id).await?;
    let forbidden = || super::error_page(locale, StatusCode::FORBIDDEN);
    if id == admin.user_id || record.kind != "staff" {
        return Err(forbidden());
    }
    let grants = egov_identity::roles_of(&state.db, id)
        .await
        .map_err(|e| ApiError::internal(e).into_response())?;
    let principal = Principal::User(admin.clone());
    let within = grants.iter().all(|g| {
        allows(
            &principal,
            Permission::GrantRole {
                role: g.role,
                department_id: g.department_id,
            },
        )
    });
    match within {
        true => Ok(()),
        false => Err(forbidden()),
    }
}

/// Gives an account within the administrator's reach a new one-time
/// password, shown once on its page; the holder replaces it at the next
/// sign-in, and every session of the account ends.
pub async fn reset_password(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if let Err(page) = may_reset(&state, locale, &user, id).await {
        return Ok(page);
    }
    let ctx = user_context(&user, origin);
    match egov_identity::password_reset::reset_by_admin(&state.db, &ctx, id).await {
        Ok(password) => {
            let shown = password.expose_secret().to_owned();
            user_page(&state, locale, user, id, None, Some(shown)).await
        }
        Err(e) => changed(locale, id, Err(e)),
    }
}

/// Takes away the second factor of an account within the administrator's
/// reach (a lost phone); a civil servant enrols a new one at the next
/// sign-in.
pub async fn reset_second_factor(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(id): Path<i64>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if let Err(page) = may_reset(&state, locale, &user, id).await {
        return Ok(page);
    }
    let ctx = user_context(&user, origin);
    let done = egov_identity::password_reset::reset_second_factor(&state.db, &ctx, id).await;
    changed(locale, id, done)
}
