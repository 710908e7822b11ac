//! Two published versions of a plan compared (version 0: the empty plan).

use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use egov_workplan::versions::{self, Change, Entry};

/// What changed from version `from` to version `to` of plan `plan`.
pub async fn between(
    state: &AppState,
    plan: i64,
    from: i64,
    to: i64,
) -> Result<Vec<Change>, ApiError> {
    let missing = || ApiError::not_found("没有这个版本", "no such version");
    let side = |v: i64| async move {
        match v {
            0 => Ok::<Vec<Entry>, ApiError>(Vec::new()),
            v => versions::snapshot(&state.db, plan, v)
                .await?
                .ok_or_else(missing),
        }
    };
    let a = side(from).await?;
    let b = side(to).await?;
    Ok(versions::diff(&a, &b))
}
