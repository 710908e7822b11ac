//! The OpenID Connect provider's HTTP endpoints: discovery, JWKS,
//! authorization (GET and POST), token, UserInfo (GET and POST) and
//! RP-initiated logout. The rules live in `egov-oidc`.

use crate::auth::{cookie, set_cookie, MaybeUser, SESSION_COOKIE};
use crate::context::{Lang, Origin};
use crate::i18n::translate;
use crate::pages::{encode_component, message_page};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use data_encoding::BASE64;
use egov_identity::SessionUser;
use egov_kernel::{time, Actor, Locale};
use egov_oidc::{flow, keys, Client, OidcError};
use serde_json::json;
use std::collections::HashMap;

type Params = HashMap<String, String>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize_get).post(authorize_post))
        .route("/oidc/token", axum::routing::post(token))
        .route("/oidc/userinfo", get(userinfo_get).post(userinfo_post))
        .route("/oidc/logout", get(logout_get).post(logout_post))
}

/// The issuer: the configured public URL, else the scheme-less Host.
fn issuer(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn internal(e: OidcError) -> Response {
    crate::problem::ApiError::internal(e).into_response()
}

async fn discovery(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let iss = issuer(&state, &headers);
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oidc/authorize"),
        "token_endpoint": format!("{iss}/oidc/token"),
        "userinfo_endpoint": format!("{iss}/oidc/userinfo"),
        "jwks_uri": format!("{iss}/oidc/jwks"),
        "end_session_endpoint": format!("{iss}/oidc/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "phone", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name",
            "preferred_username", "phone_number", "egov_kind", "department", "roles",
            "credit_code", "enterprise_role"],
        "prompt_values_supported": ["none", "login", "consent"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["zh-CN", "en"],
    }))
    .into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    match keys::jwks(&state.db).await {
        Ok(set) => Json(set).into_response(),
        Err(e) => internal(e),
    }
}

async fn authorize_get(
    State(state): State<AppState>,
    Lang(locale): Lang,
    headers: HeaderMap,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    Query(params): Query<Params>,
) -> Response {
    authorize(state, locale, headers, origin, user, params, false).await
}

async fn authorize_post(
    State(state): State<AppState>,
    Lang(locale): Lang,
    headers: HeaderMap,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    Form(params): Form<Params>,
) -> Response {
    authorize(state, locale, headers, origin, user, params, true).await
}

fn param<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    // An empty parameter is a missing one.
    p.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// Sends the browser back to the client with an error.
fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
    iss: &str,
) -> Response {
    let mut url = url::Url::parse(redirect_uri).expect("registered URIs parse");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", error);
        q.append_pair("error_description", description);
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", iss);
    }
    Redirect::to(url.as_str()).into_response()
}

/// The parameters as a query string, for coming back after sign-in.
fn to_query(p: &Params) -> String {
    let mut keys: Vec<_> = p.keys().collect();
    keys.sort();
    keys.iter()
        .map(|k| format!("{}={}", encode_component(k), encode_component(&p[*k])))
        .collect::<Vec<_>>()
        .join("&")
}

async fn authorize(
    state: AppState,
    locale: Locale,
    headers: HeaderMap,
    origin: Origin,
    user: Option<SessionUser>,
    mut params: Params,
    posted: bool,
) -> Response {
    let iss = issuer(&state, &headers);
    let bad = |msg_zh: &str, msg_en: &str| {
        let heading = translate(locale, "oidc.error_heading");
        let message = if locale == Locale::Zh { msg_zh } else { msg_en };
        message_page(locale, StatusCode::BAD_REQUEST, heading, message)
    };
    // Until the client and redirect URI check out, never redirect anywhere.
    let Some(client_id) = param(&params, "client_id").map(str::to_owned) else {
        return bad("缺少 client_id 参数。", "client_id is missing.");
    };
    let client: Client = match egov_oidc::find_client(&state.db, &client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return bad("未注册的应用。", "This application is not registered."),
        Err(e) => return internal(e),
    };
    let Some(redirect_uri) = param(&params, "redirect_uri").map(str::to_owned) else {
        return bad("缺少 redirect_uri 参数。", "redirect_uri is missing.");
    };
    if !client.redirect_uris.contains(&redirect_uri) {
        return bad(
            "redirect_uri 与应用登记的地址不符。",
            "redirect_uri is not registered for this application.",
        );
    }
    let st = param(&params, "state").map(str::to_owned);
    let fail = |error: &str, description: &str| {
        error_redirect(&redirect_uri, error, description, st.as_deref(), &iss)
    };

    if param(&params, "request").is_some() {
        return fail("request_not_supported", "request objects are not supported");
    }
    if param(&params, "request_uri").is_some() {
        return fail("request_uri_not_supported", "request_uri is not supported");
    }
    if param(&params, "response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let scope = param(&params, "scope").unwrap_or_default().to_owned();
    if !scope.split(' ').any(|s| s == "openid") {
        return fail("invalid_scope", "scope must include openid");
    }
    let challenge = param(&params, "code_challenge").map(str::to_owned);
    if challenge.is_some() && param(&params, "code_challenge_method") != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if challenge.is_none() && client.pkce_required() {
        return fail(
            "invalid_request",
            "this client must use PKCE (code_challenge with S256)",
        );
    }
    let prompts: Vec<String> = param(&params, "prompt")
        .unwrap_or_default()
        .split(' ')
        .map(str::to_owned)
        .collect();
    let prompt_none = prompts.iter().any(|p| p == "none");
    if prompt_none && prompts.len() > 1 {
        return fail(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        );
    }

    // Does the user need to (re-)authenticate?
    let now = time::now();
    let fresh_after = param(&params, "egov_fresh_after").and_then(|v| v.parse::<i64>().ok());
    let mut must_login = match &user {
        None => true,
        Some(u) => fresh_after.is_some_and(|t| u.auth_time.timestamp() < t),
    };
    if prompts.iter().any(|p| p == "login") && fresh_after.is_none() {
        must_login = true;
    }
    if let (Some(max_age), Some(u)) = (
        param(&params, "max_age").and_then(|v| v.parse::<i64>().ok()),
        &user,
    ) {
        if (now - u.auth_time).num_seconds() > max_age && fresh_after.is_none() {
            must_login = true;
        }
    }
    if let (Some(hint), Some(u)) = (param(&params, "id_token_hint"), &user) {
        match flow::verify_id_token(&state.db, hint).await {
            Ok(Some(claims)) if claims["sub"] == json!(u.user_id.to_string()) => {}
            Ok(_) if prompt_none => {
                return fail("login_required", "the signed-in user is not the one hinted")
            }
            Ok(_) => must_login = true,
            Err(e) => return internal(e),
        }
    }
    if must_login {
        if prompt_none {
            return fail("login_required", "the user must sign in");
        }
        // Come back here after signing in, with the login demand met.
        params.remove("prompt");
        params.insert("egov_fresh_after".into(), now.timestamp().to_string());
        let back = format!("/oidc/authorize?{}", to_query(&params));
        let mut res =
            Redirect::to(&format!("/login?next={}", encode_component(&back))).into_response();
        if user.is_some() {
            // Forget the old session so the sign-in form is shown.
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    String::new(),
                    Some(cookie::time::Duration::ZERO),
                    state.settings.secure_cookies,
                ),
            );
        }
        return res;
    }
    let user = user.expect("signed in");
    // The person's answer on the consent page comes back as a form posted
    // with their session's CSRF token; anything else is no answer.
    let answer = match param(&params, "egov_consent") {
        Some(_) if !posted || param(&params, "csrf") != Some(user.csrf_token.as_str()) => {
            return crate::pages::error_page(locale, StatusCode::FORBIDDEN)
        }
        Some("approve") => Some(true),
        Some(_) => Some(false),
        None => None,
    };
    if answer == Some(false) {
        return fail("access_denied", "the user declined");
    }
    let consented = answer == Some(true);
    if !consented {
        let ask = prompts.iter().any(|p| p == "consent")
            || match egov_oidc::consent::covers(&state.db, user.user_id, &client_id, &scope).await {
                Ok(covered) => !covered,
                Err(e) => return internal(e),
            };
        if ask {
            if prompt_none {
                return fail(
                    "consent_required",
                    "the user has not consented to this scope",
                );
            }
            return consent_page(locale, &user, &client, &scope, &redirect_uri, &params);
        }
    }
    let ctx = origin.context(Actor::User(user.user_id));
    let grant = flow::AuthorizationGrant {
        client_id: client.client_id.clone(),
        user_id: user.user_id,
        sid: user.sid.clone(),
        iss: iss.clone(),
        redirect_uri: redirect_uri.clone(),
        scope,
        nonce: param(&params, "nonce").map(str::to_owned),
        code_challenge: challenge,
        auth_time: user.auth_time,
        consented,
    };
    match flow::issue_code(&state.db, &ctx, grant).await {
        Ok(code) => {
            let mut url = url::Url::parse(&redirect_uri).expect("registered URIs parse");
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("code", &code);
                if let Some(s) = &st {
                    q.append_pair("state", s);
                }
                q.append_pair("iss", &iss);
            }
            Redirect::to(url.as_str()).into_response()
        }
        Err(e) => internal(e),
    }
}

/// Asks the signed-in person whether the client may have `scope`. The
/// answer is posted back to the authorization endpoint with every
/// parameter of the request, so it is checked again as a whole.
fn consent_page(
    locale: Locale,
    user: &SessionUser,
    client: &Client,
    scope: &str,
    redirect_uri: &str,
    params: &Params,
) -> Response {
    use askama::Template;
    #[derive(Template)]
    #[template(path = "oidc_consent.html")]
    struct Consent {
        chrome: crate::pages::Chrome,
        client_name: String,
        scopes: Vec<String>,
        return_to: String,
        fields: Vec<(String, String)>,
    }
    let scopes = crate::sso::scope_labels(locale, scope);
    let request: Params = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "egov_consent"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Switching the language asks again, in the other language.
    let here = format!("/oidc/authorize?{}", to_query(&request));
    let mut fields: Vec<(String, String)> = request.into_iter().collect();
    fields.sort();
    fields.push(("csrf".into(), user.csrf_token.clone()));
    let return_to = match url::Url::parse(redirect_uri) {
        Ok(u) if u.origin().is_tuple() => u.origin().unicode_serialization(),
        _ => redirect_uri.to_owned(),
    };
    let mut res = crate::pages::render(
        StatusCode::OK,
        &Consent {
            chrome: crate::pages::Chrome::new(locale, Some(user.clone()), here),
            client_name: client.name.clone(),
            scopes,
            return_to,
            fields,
        },
    );
    crate::sso::allow_forms_to(&mut res, [redirect_uri]);
    res
}

fn token_error(status: StatusCode, error: &str, description: &str, basic: bool) -> Response {
    let mut res = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    if basic {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"egov\""),
        );
    }
    res
}

fn oidc_error_response(e: OidcError, basic: bool) -> Response {
    match e {
        OidcError::Protocol {
            error: "invalid_client",
            description,
        } => token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            &description,
            basic,
        ),
        OidcError::Protocol { error, description } => {
            token_error(StatusCode::BAD_REQUEST, error, &description, false)
        }
        other => internal(other),
    }
}

/// Client credentials from `Authorization: Basic` (form-encoded id and
/// secret, RFC 6749 section 2.3.1) or from the body; a public client sends
/// its id alone (no secret).
fn client_credentials_of(
    headers: &HeaderMap,
    p: &Params,
) -> Option<(String, Option<String>, bool)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = BASE64.decode(basic.trim().as_bytes()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        let dec = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        return Some((dec(id)?, Some(dec(secret)?), true));
    }
    Some((
        param(p, "client_id")?.to_owned(),
        param(p, "client_secret").map(str::to_owned),
        false,
    ))
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    origin: Origin,
    form: Result<Form<Params>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(p)) = form else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
            false,
        );
    };
    let Some((client_id, secret, basic)) = client_credentials_of(&headers, &p) else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
            true,
        );
    };
    let client =
        match egov_oidc::authenticate_client(&state.db, &client_id, secret.as_deref()).await {
            Ok(c) => c,
            Err(e) => return oidc_error_response(e, basic),
        };
    let iss = issuer(&state, &headers);
    let ctx = origin.context(Actor::System);
    let result = match param(&p, "grant_type") {
        Some("authorization_code") => {
            let Some(code) = param(&p, "code") else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code is missing",
                    false,
                );
            };
            flow::exchange_code(
                &state.db,
                &ctx,
                &iss,
                &client,
                code,
                param(&p, "redirect_uri"),
                param(&p, "code_verifier"),
            )
            .await
        }
        Some("refresh_token") => {
            let Some(rt) = param(&p, "refresh_token") else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token is missing",
                    false,
                );
            };
            flow::refresh(&state.db, &ctx, &iss, &client, rt).await
        }
        Some("client_credentials") if client.public => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "a public client has no credentials of its own",
                false,
            )
        }
        Some("client_credentials") => {
            let scope = param(&p, "scope").unwrap_or("api");
            if scope.split(' ').any(|s| s == "openid") {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "openid needs a user",
                    false,
                );
            }
            flow::client_credentials(&state.db, &ctx, &iss, &client, scope).await
        }
        Some(_) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "unsupported grant_type",
                false,
            )
        }
        None => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is missing",
                false,
            )
        }
    };
    match result {
        Ok(tokens) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(tokens),
        )
            .into_response(),
        Err(e) => oidc_error_response(e, basic),
    }
}

async fn userinfo_with(state: &AppState, token: Option<&str>) -> Response {
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            Json(json!({ "error": "invalid_token" })),
        )
            .into_response()
    };
    let Some(token) = token else {
        return unauthorized();
    };
    match flow::userinfo(&state.db, token).await {
        Ok(Some(claims)) => Json(claims).into_response(),
        Ok(None) => unauthorized(),
        Err(e) => internal(e),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

async fn userinfo_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    userinfo_with(&state, bearer(&headers)).await
}

async fn userinfo_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<Params>, axum::extract::rejection::FormRejection>,
) -> Response {
    let from_body = body
        .ok()
        .and_then(|Form(p)| param(&p, "access_token").map(str::to_owned));
    let token = bearer(&headers).map(str::to_owned).or(from_body);
    userinfo_with(&state, token.as_deref()).await
}

async fn logout_get(
    State(state): State<AppState>,
    Lang(locale): Lang,
    headers: HeaderMap,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    Query(p): Query<Params>,
) -> Response {
    logout(state, locale, headers, origin, user, p).await
}

async fn logout_post(
    State(state): State<AppState>,
    Lang(locale): Lang,
    headers: HeaderMap,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    Form(p): Form<Params>,
) -> Response {
    logout(state, locale, headers, origin, user, p).await
}

/// RP-initiated logout: ends the session and returns to a registered
/// post-logout URI. Without a valid `id_token_hint` for the signed-in user,
/// the user confirms first, so another site cannot sign them out.
async fn logout(
    state: AppState,
    locale: Locale,
    headers: HeaderMap,
    origin: Origin,
    user: Option<SessionUser>,
    p: Params,
) -> Response {
    let hint = match param(&p, "id_token_hint") {
        Some(h) => match flow::verify_id_token(&state.db, h).await {
            Ok(claims) => claims,
            Err(e) => return internal(e),
        },
        None => None,
    };
    let client_id = hint
        .as_ref()
        .and_then(|c| c["aud"].as_str().map(str::to_owned))
        .or_else(|| param(&p, "client_id").map(str::to_owned));
    let target = match param(&p, "post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = match client_id.as_deref() {
                Some(id) => match egov_oidc::find_client(&state.db, id).await {
                    Ok(client) => client,
                    Err(e) => return internal(e),
                },
                None => None,
            };
            match client {
                Some(c) if c.post_logout_redirect_uris.iter().any(|u| u == uri) => {
                    let mut url = url::Url::parse(uri).expect("registered URIs parse");
                    if let Some(s) = param(&p, "state") {
                        url.query_pairs_mut().append_pair("state", s);
                    }
                    Some(url.to_string())
                }
                _ => {
                    let heading = translate(locale, "oidc.error_heading");
                    let msg = if locale == Locale::Zh {
                        "退出后跳转地址未登记。"
                    } else {
                        "post_logout_redirect_uri is not registered."
                    };
                    return message_page(locale, StatusCode::BAD_REQUEST, heading, msg);
                }
            }
        }
    };
    let hinted_is_user = match (&hint, &user) {
        (Some(c), Some(u)) => c["sub"] == json!(u.user_id.to_string()),
        _ => false,
    };
    let confirmed = user
        .as_ref()
        .is_some_and(|u| param(&p, "csrf") == Some(u.csrf_token.as_str()));
    if let Some(u) = &user {
        if !hinted_is_user && !confirmed {
            let mut res = confirm_page(locale, u, &p);
            crate::sso::allow_forms_to(&mut res, target.as_deref());
            return res;
        }
        if let Some(token) = cookie(&headers, SESSION_COOKIE, state.settings.secure_cookies) {
            let ctx = origin.context(Actor::User(u.user_id));
            if let Err(e) = egov_identity::end_session(&state.db, &ctx, &token).await {
                return crate::problem::ApiError::internal(e).into_response();
            }
        }
    }
    let mut res = Redirect::to(target.as_deref().unwrap_or("/")).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            String::new(),
            Some(cookie::time::Duration::ZERO),
            state.settings.secure_cookies,
        ),
    );
    res
}

fn confirm_page(locale: Locale, user: &SessionUser, p: &Params) -> Response {
    use askama::Template;
    #[derive(Template)]
    #[template(path = "oidc_logout.html")]
    struct Confirm {
        chrome: crate::pages::Chrome,
        fields: Vec<(String, String)>,
    }
    let mut fields: Vec<(String, String)> = p
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    fields.push(("csrf".into(), user.csrf_token.clone()));
    crate::pages::render(
        StatusCode::OK,
        &Confirm {
            chrome: crate::pages::Chrome::new(locale, Some(user.clone()), "/oidc/logout"),
            fields,
        },
    )
}
