//! What the API and the pages both do: read the published letters (a
//! page of them, or a search) and establish who may publish a letter.

use axum::http::StatusCode;
use egov_identity::Permission;
use egov_mailbox::reading::{self, Published};
use egov_mailbox::search::LetterSearch;
use egov_web_kit::auth::{require_user, ApiCaller};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// Letters on a page when the caller does not say.
pub const PAGE: i64 = 20;
const MOST: i64 = 100;

/// The published letters from `offset`: newest first, or those matching
/// `q`, best first; with the total.
pub async fn published(
    state: &AppState,
    q: Option<&str>,
    offset: Option<i64>,
    limit: Option<i64>,
) -> Result<(Vec<Published>, i64), ApiError> {
    let offset = offset.unwrap_or(0).max(0);
    let limit = limit.unwrap_or(PAGE).clamp(1, MOST);
    match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(reading::published(&state.db, offset, limit).await?),
        Some(words) => {
            if offset as usize + limit as usize > egov_search::MAX_WINDOW {
                let most = egov_search::MAX_WINDOW;
                return Err(
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").with_detail(
                        format!("检索结果只能翻到前 {most} 封，请换个词缩小范围"),
                        format!("search results page only to the first {most}: narrow the words"),
                    ),
                );
            }
            let (numbers, total) = state
                .part::<LetterSearch>()
                .search(&state.db, words, offset as usize, limit as usize)
                .await
                .map_err(ApiError::internal)?;
            let letters = reading::published_numbered(&state.db, &numbers).await?;
            Ok((letters, total as i64))
        }
    }
}

/// The caller's account, once the caller may publish letter `number` (a
/// handler of the department that answered it); the same
/// not-found for a number that is no letter and one the caller may not see.
pub async fn may_publish(
    state: &AppState,
    caller: &ApiCaller,
    number: &str,
) -> Result<i64, ApiError> {
    let user = require_user(caller)?;
    let case = match egov_cases::case::by_number(&state.db, number).await {
        Ok(c) if c.process_id == egov_mailbox::PROCESS => c,
        Ok(_) | Err(egov_cases::CaseError::NotFound) => {
            return Err(egov_web_kit::engine_errors::case_not_found())
        }
        Err(e) => return Err(e.into()),
    };
    let department_id = case.handling_department();
    if !egov_identity::allows(
        &caller.principal,
        Permission::PublishLetters { department_id },
    ) {
        return Err(egov_web_kit::engine_errors::case_not_found());
    }
    Ok(user.user_id)
}
