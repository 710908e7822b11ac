//! The admin console's front page: the organisation, the accounts and the
//! audit chain at a glance.

use super::{render, Chrome};
use crate::auth::{PageUser, ADMIN_CONSOLE};
use crate::context::Lang;
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "admin.html")]
struct Admin {
    chrome: Chrome,
    divisions: i64,
    departments: i64,
    users: i64,
    audit_records: i64,
    engine: &'static str,
}

pub async fn admin(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
) -> Result<Response, ApiError> {
    let (divisions, departments) = egov_org::counts(&state.db).await?;
    let users = egov_identity::count_users(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let audit_records = egov_audit::len(&state.db).await?;
    let engine = match state.db.engine() {
        egov_store::Engine::Sqlite => "SQLite",
        egov_store::Engine::Postgres => "PostgreSQL",
    };
    Ok(render(
        StatusCode::OK,
        &Admin {
            chrome: Chrome::new(locale, Some(user), "/admin"),
            divisions,
            departments,
            users,
            audit_records,
            engine,
        },
    ))
}
