use crate::api::TAG_HEALTH;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = TAG_HEALTH,
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = TAG_HEALTH,
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    // A database that does not answer within a second is not ready.
    let answer = tokio::time::timeout(std::time::Duration::from_secs(1), state.db.ping()).await;
    match answer {
        Ok(Ok(())) => Ok("ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %crate::problem::Chain(&e), "readiness check failed");
            Err(ApiError::unavailable("unavailable", 5, None))
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err(ApiError::unavailable("unavailable", 5, None))
        }
    }
}

/// Prometheus metrics in the text exposition format.
///
/// Served to the configured token (`Authorization: Bearer ...`) or to
/// callers on this host; not here at all when metrics have a listener of
/// their own.
#[utoipa::path(get, path = "/metrics", tag = TAG_HEALTH,
    security(("metrics_token" = [])),
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain; version=0.0.4"),
              crate::problem::answers::Unauthorized,
              (status = 404, description = "Metrics are served on their own address", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn metrics(
    State(state): State<AppState>,
    origin: crate::context::Origin,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let access = &state.settings.metrics;
    if access.own_listener {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "route_not_found"));
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let by_token = match (&access.token, presented) {
        (Some(token), Some(p)) => {
            use secrecy::ExposeSecret;
            crate::metrics::same_secret(token.expose_secret(), p)
        }
        _ => false,
    };
    let local = access.loopback
        && origin
            .source
            .and_then(|s| s.parse::<std::net::IpAddr>().ok())
            .is_some_and(|ip| ip.is_loopback());
    if !(by_token || local) {
        let mut res = ApiError::unauthorized()
            .with_detail(
                "指标仅对本机或持有指标令牌的调用方开放",
                "metrics are open to this host or to the metrics token only",
            )
            .into_response();
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return Ok(res);
    }
    Ok(crate::metrics::render())
}
