//! What the API and the pages both do: the public list or a search of
//! it, and who may publish for which department.

use axum::http::StatusCode;
use egov_disclosure::documents::{self, Document};
use egov_disclosure::search::DocumentSearch;
use egov_identity::{Permission, Role, SessionUser};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// Documents a page.
pub const PAGE: i64 = 20;
const MOST: i64 = 100;

/// The listed documents, newest first, or those matching `q`, best first;
/// with their number.
pub async fn listed(
    state: &AppState,
    q: Option<&str>,
    offset: Option<i64>,
    limit: Option<i64>,
) -> Result<(Vec<Document>, i64), ApiError> {
    let offset = offset.unwrap_or(0).max(0);
    let limit = limit.unwrap_or(PAGE).clamp(1, MOST);
    match q.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(documents::listed(&state.db, offset, limit).await?),
        Some(words) => {
            if offset as usize + limit as usize > egov_search::MAX_WINDOW {
                let most = egov_search::MAX_WINDOW;
                return Err(
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").with_detail(
                        format!("检索结果只能翻到前 {most} 条，请换个词缩小范围"),
                        format!("search results page only to the first {most}: narrow the words"),
                    ),
                );
            }
            let (ids, total) = state
                .part::<DocumentSearch>()
                .search(&state.db, words, offset as usize, limit as usize)
                .await
                .map_err(ApiError::internal)?;
            let docs = documents::listed_of(&state.db, &ids).await?;
            Ok((docs, total as i64))
        }
    }
}

/// The city's municipal agencies as `(code, name)` in the page's
/// language: whom a request goes to, whose table is shown.
pub fn agencies(
    directory: &egov_org::Directory,
    locale: egov_kernel::Locale,
) -> Vec<(String, String)> {
    directory
        .municipal_agencies()
        .map(|d| (d.code.clone(), d.name_in(locale).to_owned()))
        .collect()
}

/// The document a page's address names, if it is one.
pub async fn document(state: &AppState, id: &str) -> Result<Option<Document>, ApiError> {
    match id.parse::<i64>() {
        Ok(id) => Ok(documents::get(&state.db, id).await?),
        Err(_) => Ok(None),
    }
}

/// The departments `user` publishes documents for.
pub fn publishing_departments(user: &SessionUser) -> Vec<i64> {
    let principal = egov_identity::Principal::User(user.clone());
    let mut departments: Vec<i64> = user
        .roles
        .iter()
        .filter(|g| g.role == Role::Handler)
        .filter_map(|g| g.department_id)
        .filter(|&department_id| {
            egov_identity::allows(&principal, Permission::PublishDocuments { department_id })
        })
        .collect();
    departments.sort_unstable();
    departments.dedup();
    departments
}
