//! The result of a decided application: its document (PDF) for whoever may
//! see the case, and the public page that checks a verification code.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use egov_cases::{Case, ProcessDefinition};
use egov_cases_web::work::visible_case;
use egov_identity::Principal;
use egov_services::result::{self, Decided, ResultDocument};
use egov_web_kit::auth::{MaybeUser, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// The item a case was filed for, once it is decided (not withdrawn).
pub fn decided_item(case: &Case) -> Option<&str> {
    let item = case.data.get("item")?.as_str()?;
    (case.closed_at.is_some() && case.state != "withdrawn").then_some(item)
}

fn local_date(ts: &egov_kernel::time::Timestamp) -> String {
    egov_kernel::time::beijing(*ts)
        .format("%Y年%m月%d日")
        .to_string()
}

async fn issue(
    state: &AppState,
    origin: Origin,
    user: &egov_identity::SessionUser,
    case: &Case,
    def: &ProcessDefinition,
    item: &str,
) -> Result<ResultDocument, ApiError> {
    let version = case
        .data
        .get("item_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(1) as u32;
    let guide = egov_services::registry::version(&state.db, item, version)
        .await
        .map_err(crate::errors::registry_problem)?;
    // An enterprise's case: the enterprise is the applicant the notice names.
    let applicant = match case.applicant_id {
        Some(id) => {
            let who = egov_identity::get_user(&state.db, id)
                .await
                .map_err(ApiError::internal)?;
            match (case.enterprise_id, who.enterprise_name) {
                (Some(_), Some(enterprise)) => enterprise,
                _ => who.display_name,
            }
        }
        None => String::new(),
    };
    let decision = def
        .state(&case.state)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| case.state.clone());
    let ctx = origin.context(egov_kernel::Actor::User(user.user_id));
    Ok(result::issue(
        &state.db,
        &ctx,
        &Decided {
            case_id: case.id,
            case_number: &case.number,
            item_code: item,
            item_name: &guide.name,
            applicant_name: &applicant,
            decision: &decision,
            approved: case.state == "approved",
            decided_at: case.closed_at.unwrap_or(case.state_entered_at),
        },
    )
    .await?)
}

/// The case's result document as a PDF.
pub async fn download(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let principal = Principal::User(user.clone());
    let (case, def) = match visible_case(&state, &principal, &number).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Ok(egov_web_kit::page::error_page(
                locale,
                StatusCode::NOT_FOUND,
            ))
        }
        Err(e) => return Err(e),
    };
    let Some(item) = decided_item(&case) else {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::NOT_FOUND,
        ));
    };
    let doc = issue(&state, origin, &user, &case, &def, item).await?;
    let bytes = result::render(&doc, &local_date(&doc.decided_at), "/verify");
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"result-{number}.pdf\""))
            .map_err(ApiError::internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    code: String,
    found: Option<ResultDocument>,
    decided: String,
    /// The applicant's name as the public sees it: the first character.
    applicant: String,
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    code: Option<String>,
}

/// Checks a verification code; public.
pub async fn verify(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, ApiError> {
    let code = q.code.unwrap_or_default();
    let found = match code.trim() {
        "" => None,
        c => result::verify(&state.db, c).await?,
    };
    let status = match (code.trim().is_empty(), &found) {
        (false, None) => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    let decided = found
        .as_ref()
        .map(|d| local_date(&d.decided_at))
        .unwrap_or_default();
    let applicant = found
        .as_ref()
        .map(|d| mask_name(&d.applicant_name))
        .unwrap_or_default();
    Ok(render(
        status,
        &VerifyPage {
            chrome: Chrome::new(locale, user, "/verify"),
            code,
            found,
            decided,
            applicant,
        },
    ))
}

/// A person's name shows its first character only; an organisation's
/// name (longer than four characters) is public and shows whole.
fn mask_name(name: &str) -> String {
    let n = name.chars().count();
    if n > 4 {
        return name.to_owned();
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(n.saturating_sub(1))),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn people_are_masked_and_organisations_are_not() {
        assert_eq!(super::mask_name("张三"), "张*");
        assert_eq!(super::mask_name("欧阳娜娜"), "欧***");
        assert_eq!(
            super::mask_name("北京示例科技有限公司"),
            "北京示例科技有限公司"
        );
    }
}
