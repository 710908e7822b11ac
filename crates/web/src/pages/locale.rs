use crate::auth::set_cookie;
use crate::context::{Lang, LANG_COOKIE};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use egov_kernel::Locale;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Switch {
    lang: String,
    next: Option<String>,
}

/// Remembers the chosen language for a year and goes back to the page.
pub async fn switch(
    State(state): State<AppState>,
    Lang(current): Lang,
    Query(q): Query<Switch>,
) -> Response {
    let next = match super::safe_next(q.next.as_deref(), "/") {
        Ok(next) => next,
        Err(bad) => return bad.page(current),
    };
    let locale = Locale::from_tag(&q.lang).unwrap_or_default();
    let cookie = set_cookie(
        LANG_COOKIE,
        locale.tag().to_owned(),
        Some(cookie::time::Duration::days(365)),
        state.settings.secure_cookies,
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}
