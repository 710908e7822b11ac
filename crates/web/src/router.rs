//! Assembles the application: API routes (collected into the OpenAPI
//! document), pages, assets, and the layers every request passes through.

use crate::api::docs;
use crate::context::locale_of;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use crate::systems::{compose_with, slices};
use crate::{assets, metrics, pages};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use egov_web_kit::slice::Slice;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "egov API",
        description = "City e-government platform. Errors are RFC 9457 problem+json with a stable `code`; \
                       messages follow Accept-Language (zh-CN by default, en available)."
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness, readiness and metrics"),
        (name = "organisation", description = "Administrative divisions and departments"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "calendar", description = "Working days, statutory holidays and deadlines"),
        (name = "identity", description = "Accounts; personal data masked unless revealed (audited)"),
        (name = "cases", description = "Cases under process definitions, statutory deadlines and electronic supervision"),
        (name = "services", description = "Service items (政务服务事项) and their guides (办事指南)"),
        (name = "notifications", description = "The caller's message centre (站内信)"),
        (name = "catalogue", description = "The information resource catalogue: resources, their metadata and hosted data"),
        (name = "exchange", description = "Sharing between departments: requests, grants, and the exchange for machine clients, logged and signed"),
        (name = "indicators", description = "Statistics: data elements and their values (DHIS2 dataValueSets), indicators worked out with growth"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The `metrics_token` from the configuration (callers on the server's own host need none)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "client_credentials",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `/oidc/token` with `grant_type=client_credentials`, for a client bound to a department",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key from `egov admin api-key create`, sent as `Authorization: Bearer egov_...`",
                    ))
                    .build(),
            ),
        );
    }
}

fn api(slices: &[Slice]) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut all = OpenApiRouter::with_openapi(ApiDoc::openapi());
    for slice in slices {
        all = all.merge((slice.api)());
    }
    let (router, mut doc) = all.split_for_parts();
    document_common_answers(&mut doc);
    (router, doc)
}

/// The generated OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api(&slices()).1
}

/// The answers every operation may give besides its own, stated in the
/// document so that clients (and a fuzzer) know them: 400 for a path,
/// query or body that does not read (a NUL, a number beyond 64 bits);
/// for operations that take a body, 413 (too large) and 415 (not the
/// type stated); for operations behind sign-in, 403 beside 401 (the wrong
/// scope, a session write without its CSRF header); and 503 (with
/// `Retry-After`) when the database is out of reach.
fn document_common_answers(doc: &mut utoipa::openapi::OpenApi) {
    use crate::problem::answers::{
        BadRequest, Forbidden, PayloadTooLarge, Unavailable, UnsupportedMediaType,
    };
    use utoipa::IntoResponses;
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let answers = &mut op.responses.responses;
            let behind_sign_in = answers.contains_key("401");
            let mut add = |more: std::collections::BTreeMap<_, _>| {
                for (status, answer) in more {
                    answers.entry(status).or_insert(answer);
                }
            };
            add(BadRequest::responses());
            add(Unavailable::responses());
            if op.request_body.is_some() {
                add(PayloadTooLarge::responses());
                add(UnsupportedMediaType::responses());
            }
            if behind_sign_in {
                add(Forbidden::responses());
            }
        }
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    router_with(state, &[])
}

/// The whole application with `more` systems beside the platform's own
/// (a deployment's own system, or a test's).
pub fn router_with(state: AppState, more: &[Slice]) -> Router {
    let state = compose_with(state, more);
    let slices: Vec<Slice> = slices().into_iter().chain(more.iter().copied()).collect();
    // Install the recorder before the first request is counted.
    metrics::handle();
    let (api_routes, doc) = api(&slices);
    let doc = Arc::new(doc);
    let settings = state.settings.clone();
    let hsts = settings
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let x_request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .merge(api_routes)
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc) }
            }),
        )
        .route("/api/docs", get(docs::page))
        .route("/assets/{*path}", get(assets::serve))
        .route("/favicon.ico", get(favicon))
        .merge(
            slices
                .iter()
                .fold(Router::new(), |all, slice| all.merge((slice.pages)())),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(x_request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(x_request_id))
                .layer(middleware::from_fn(metrics::track))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    egov_web_kit::page::keep_signed_in,
                ))
                .layer(middleware::from_fn(egov_web_kit::problem_render::render))
                .layer(middleware::from_fn(retry_after))
                .layer(middleware::from_fn_with_state(
                    settings.max_body_bytes,
                    crate::input::reject_nul,
                ))
                .layer(CatchPanicLayer::custom(|_| {
                    tracing::error!("handler panicked");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    egov_web_kit::csp::default_policy(),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                // Pages and answers carry personal data more often than not:
                // nothing is kept by a browser or proxy unless a handler
                // says it may be (assets, which are the same for everyone).
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                ))
                // Once served over TLS, only ever over TLS.
                .option_layer(hsts.then(|| {
                    SetResponseHeaderLayer::overriding(
                        header::STRICT_TRANSPORT_SECURITY,
                        HeaderValue::from_static("max-age=31536000"),
                    )
                }))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    settings.request_timeout,
                ))
                .layer(DefaultBodyLimit::max(settings.max_body_bytes)),
        )
        .with_state(state)
}

/// Every "try again later" answer says when: a busy or unavailable server
/// (503) after a second, unless the handler said otherwise.
async fn retry_after(req: Request, next: middleware::Next) -> Response {
    let mut res = next.run(req).await;
    if res.status() == StatusCode::SERVICE_UNAVAILABLE
        && !res.headers().contains_key(header::RETRY_AFTER)
    {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    res
}

async fn favicon() -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, "/assets/img/favicon.svg")],
    )
        .into_response()
}

/// Unknown routes: an HTML page for browsers, problem+json for everyone else.
async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html && !path.starts_with("/api/") {
        return pages::error_page(locale_of(req.headers()), StatusCode::NOT_FOUND);
    }
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found")
        .with_detail(
            format!("没有这个地址：{path}"),
            format!("no such route: {path}"),
        )
        .into_response()
}

async fn method_not_allowed(req: Request) -> Response {
    let method = req.method().clone();
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
        .with_detail(
            format!("此地址不支持 {method} 方法"),
            format!("{method} is not allowed here"),
        )
        .into_response()
}
