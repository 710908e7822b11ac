//! JSON APIs under `/api/v1`, each handler documented with `utoipa::path`
//! so the OpenAPI document is generated from the code.

pub mod audit;
pub mod calendar;
pub mod docs;
pub mod health;
pub mod org;

pub use egov_web_kit::api::*;

use crate::auth::open_to_personal_tokens;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The platform's own routes: health, organisation, audit and calendar.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        // The public reads an applicant's software needs beside its own
        // business (which department to apply to), open to its token.
        .merge(open_to_personal_tokens(
            OpenApiRouter::new()
                .routes(routes!(org::list_divisions))
                .routes(routes!(org::get_division))
                .routes(routes!(org::list_departments))
                .routes(routes!(org::get_department)),
        ))
        .routes(routes!(org::create_department))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::checkpoints))
        .routes(routes!(audit::public_keys))
        .routes(routes!(calendar::year))
        .routes(routes!(calendar::due))
        .routes(routes!(calendar::load))
}
