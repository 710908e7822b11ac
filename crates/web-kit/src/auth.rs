//! Who is asking: the session cookie for people, a bearer API key for
//! machines. Decisions are made by `egov_identity::allows`, never here.

use crate::context::Origin;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::personal_token::{self, TokenScope};
use egov_identity::{allows, Permission, Principal, SessionUser, Setup};
use egov_kernel::{Actor, Context};
use utoipa_axum::router::OpenApiRouter;

pub use crate::cookies::{cookie, set_cookie, FORM_COOKIE, SESSION_COOKIE};

/// The session behind the cookie, in either stage (second factor owed or
/// complete), looked up once per request.
async fn session_of(parts: &mut Parts, state: &AppState) -> Result<Option<SessionUser>, ApiError> {
    if let Some(user) = parts.extensions.get::<Option<SessionUser>>() {
        return Ok(user.clone());
    }
    let user = match cookie(
        &parts.headers,
        SESSION_COOKIE,
        state.settings.secure_cookies,
    ) {
        Some(token) => egov_identity::find_session(&state.db, &token).await?,
        None => None,
    };
    parts.extensions.insert(user.clone());
    Ok(user)
}

/// The signed-in user, if the session is complete (second factor done).
pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(MaybeUser(
            session_of(parts, state).await?.filter(|u| u.complete),
        ))
    }
}

/// A session still owing its second factor.
pub struct HalfSignedIn(pub SessionUser);

impl FromRequestParts<AppState> for HalfSignedIn {
    type Rejection = Redirect;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Redirect> {
        match session_of(parts, state).await {
            Ok(Some(u)) if !u.complete => Ok(HalfSignedIn(u)),
            _ => Err(Redirect::to("/login")),
        }
    }
}

/// A page guard: the signed-in user holding `P`. Anonymous visitors are
/// sent to sign in; users who must change their one-time password are sent
/// to do that; anyone else without the permission gets 403.
pub struct PageUser<const P: u8>(pub SessionUser);

pub const WORKBENCH: u8 = 0;
pub const ADMIN_CONSOLE: u8 = 1;
/// The set-up pages: any signed-in user, including one who must still
/// change the password or enrol a second factor.
pub const SETUP: u8 = 2;
/// Any signed-in user who has finished set-up.
pub const ACCOUNT: u8 = 3;
/// Citizen and enterprise accounts.
pub const CITIZEN: u8 = 4;

fn page_permission(p: u8) -> Option<Permission> {
    match p {
        WORKBENCH => Some(Permission::UseWorkbench),
        ADMIN_CONSOLE => Some(Permission::UseAdminConsole),
        CITIZEN => Some(Permission::UseCitizenServices),
        _ => None,
    }
}

pub enum PageRejection {
    SignIn(String),
    Setup(Setup),
    Forbidden(egov_kernel::Locale),
    Error(ApiError),
}

/// Where a pending set-up step is done.
pub fn setup_path(setup: Setup) -> &'static str {
    match setup {
        Setup::SecondFactor => "/login/mfa",
        Setup::ChangePassword => "/account/password",
        Setup::EnrolSecondFactor => "/account/mfa",
    }
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::SignIn(next) => Redirect::to(&format!(
                "/login?next={}",
                crate::page::encode_component(&next)
            ))
            .into_response(),
            PageRejection::Setup(setup) => Redirect::to(setup_path(setup)).into_response(),
            PageRejection::Forbidden(locale) => {
                crate::page::error_page(locale, StatusCode::FORBIDDEN)
            }
            PageRejection::Error(e) => e.into_response(),
        }
    }
}

impl<const P: u8> FromRequestParts<AppState> for PageUser<P> {
    type Rejection = PageRejection;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, PageRejection> {
        let user = session_of(parts, state)
            .await
            .map_err(PageRejection::Error)?;
        let Some(user) = user else {
            let next = parts
                .uri
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned());
            return Err(PageRejection::SignIn(next));
        };
        match user.pending_setup() {
            Some(Setup::SecondFactor) => return Err(PageRejection::Setup(Setup::SecondFactor)),
            Some(_) if P == SETUP => return Ok(PageUser(user)),
            Some(setup) => return Err(PageRejection::Setup(setup)),
            None => {}
        }
        let Some(permission) = page_permission(P) else {
            return Ok(PageUser(user));
        };
        if allows(&Principal::User(user.clone()), permission) {
            Ok(PageUser(user))
        } else {
            Err(PageRejection::Forbidden(crate::context::locale_of(
                &parts.headers,
            )))
        }
    }
}

/// The principal behind an API request: a bearer API key, else a session.
pub struct ApiCaller {
    pub principal: Principal,
    pub context: Context,
}

impl ApiCaller {
    /// Fails with 401 for anonymous callers and 403 for the others.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if allows(&self.principal, permission) {
            Ok(())
        } else if matches!(self.principal, Principal::Anonymous) {
            Err(ApiError::unauthorized())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// Marks a request to a route that personal access tokens may call: an
/// applicant's own business (`open_to_personal_tokens`). Every other route
/// refuses them, so a new route is closed to them until its slice says so.
#[derive(Clone, Copy)]
struct OpenToPersonalTokens;

/// Opens `routes` to personal access tokens: reads need the token's
/// `applications:read` scope, changes its `applications:write`.
pub fn open_to_personal_tokens(routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    routes.layer(axum::middleware::from_fn(
        |mut req: axum::extract::Request, next: axum::middleware::Next| {
            req.extensions_mut().insert(OpenToPersonalTokens);
            next.run(req)
        },
    ))
}

/// The holder behind a personal access token, if the route and the
/// token's scopes let it call.
async fn token_holder(
    parts: &Parts,
    state: &AppState,
    token: &str,
) -> Result<SessionUser, ApiError> {
    let Some(user) = personal_token::authenticate(&state.db, token).await? else {
        return Err(ApiError::unauthorized().with_detail(
            "个人访问令牌无效、已过期或已吊销",
            "the personal access token is invalid, expired or revoked",
        ));
    };
    let insufficient =
        |zh, en| ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope").with_detail(zh, en);
    if parts.extensions.get::<OpenToPersonalTokens>().is_none() {
        return Err(insufficient(
            "个人访问令牌不能调用此接口",
            "personal access tokens may not call this endpoint",
        ));
    }
    let needed = match parts.method.is_safe() {
        true => TokenScope::Read,
        false => TokenScope::Write,
    };
    if !user.scopes.as_ref().is_some_and(|s| s.contains(&needed)) {
        return Err(match needed {
            TokenScope::Read => insufficient(
                "此令牌没有 applications:read 权限范围",
                "this token lacks the applications:read scope",
            ),
            TokenScope::Write => insufficient(
                "此令牌没有 applications:write 权限范围",
                "this token lacks the applications:write scope",
            ),
        });
    }
    Ok(user)
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let origin = Origin::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let principal = match bearer {
            Some(token) if token.starts_with(personal_token::TOKEN_PREFIX) => {
                Principal::User(token_holder(parts, state, token).await?)
            }
            Some(key) => match egov_identity::authenticate_api_key(&state.db, key).await? {
                Some(k) => Principal::Machine(k),
                // A presented but unknown key is an error, not anonymity.
                None => {
                    return Err(ApiError::unauthorized()
                        .with_detail("API 密钥无效或已吊销", "the API key is invalid or revoked"))
                }
            },
            None => match MaybeUser::from_request_parts(parts, state).await?.0 {
                Some(u) => {
                    // A cookie rides along on cross-site requests; changes
                    // made with one must also echo the session's CSRF token.
                    let safe = parts.method.is_safe();
                    let echoed = parts
                        .headers
                        .get("x-csrf-token")
                        .and_then(|v| v.to_str().ok());
                    if !safe && echoed != Some(u.csrf_token.as_str()) {
                        return Err(ApiError::forbidden().with_detail(
                            "缺少或错误的 X-CSRF-Token 请求头",
                            "missing or wrong X-CSRF-Token header",
                        ));
                    }
                    Principal::User(u)
                }
                None => Principal::Anonymous,
            },
        };
        let actor = match &principal {
            Principal::Anonymous => Actor::Anonymous,
            Principal::User(u) => Actor::User(u.user_id),
            Principal::Machine(k) => Actor::ApiKey(k.id),
        };
        Ok(ApiCaller {
            principal,
            context: Context {
                actor,
                source: origin.source,
                request_id: origin.request_id,
            },
        })
    }
}

/// A form one of our pages posted for the signed-in user: the body read as
/// `T` once its `csrf` field matches the session's token. Every page form
/// that changes something takes its input through this, so none can forget
/// the check. `T` need not name the `csrf` field.
pub struct CheckedForm<T>(pub T);

/// Why a [`CheckedForm`] was not taken.
pub enum FormRefused {
    /// No session, or a token that is not the session's: 403.
    Forged(egov_kernel::Locale),
    /// The body does not read as the form: 400.
    Unreadable(egov_kernel::Locale),
    /// The session store failed, or the body was too large: passed on.
    Other(Response),
}

impl IntoResponse for FormRefused {
    fn into_response(self) -> Response {
        match self {
            FormRefused::Forged(locale) => crate::page::error_page(locale, StatusCode::FORBIDDEN),
            FormRefused::Unreadable(locale) => {
                crate::page::error_page(locale, StatusCode::BAD_REQUEST)
            }
            FormRefused::Other(res) => res,
        }
    }
}

impl<T> axum::extract::FromRequest<AppState> for CheckedForm<T>
where
    T: serde::de::DeserializeOwned,
{
    type Rejection = FormRefused;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, FormRefused> {
        let (mut parts, body) = req.into_parts();
        let locale = crate::context::locale_of(&parts.headers);
        let user = session_of(&mut parts, state)
            .await
            .map_err(|e| FormRefused::Other(e.into_response()))?
            .filter(|u| u.complete)
            .ok_or(FormRefused::Forged(locale))?;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let req = axum::extract::Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| FormRefused::Other(e.into_response()))?;
        let posted = url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v);
        if posted.as_deref() != Some(user.csrf_token.as_str()) {
            return Err(FormRefused::Forged(locale));
        }
        if !is_form {
            return Err(FormRefused::Unreadable(locale));
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CheckedForm)
            .map_err(|_| FormRefused::Unreadable(locale))
    }
}

/// The signed-in person behind a call, with their account set up.
pub fn require_user(caller: &ApiCaller) -> Result<&SessionUser, ApiError> {
    match &caller.principal {
        Principal::User(u) if u.pending_setup().is_none() => Ok(u),
        Principal::Anonymous => Err(ApiError::unauthorized()),
        _ => Err(ApiError::forbidden()),
    }
}

/// The caller a page acts as: the signed-in user, through this request.
pub fn page_caller(user: &SessionUser, origin: Origin) -> ApiCaller {
    ApiCaller {
        principal: Principal::User(user.clone()),
        context: origin.context(Actor::User(user.user_id)),
    }
}

/// The caller a multipart page form acts as, once the CSRF token it
/// carries as a field checks out (such forms cannot use `CheckedForm`).
pub fn form_caller(user: &SessionUser, origin: Origin, csrf: &str) -> Result<ApiCaller, ApiError> {
    if csrf != user.csrf_token {
        return Err(ApiError::forbidden());
    }
    Ok(page_caller(user, origin))
}
