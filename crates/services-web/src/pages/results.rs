//! The result of a decided application: its document (PDF) for whoever may
//! see the case, and the public page that checks a verification code.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use egov_cases::{Case, ProcessDefinition};
use egov_cases_web::work::visible_case;
use egov_identity::Principal;
use egov_kernel::Locale;
use egov_services::result::{self, Decided, Part, Particulars, ResultDocument};
use egov_web_kit::auth::{MaybeUser, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::download::{private_pdf, Disposition};
use egov_web_kit::page::{render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// The item a case was filed for, once it is decided (not withdrawn).
pub fn decided_item(case: &Case) -> Option<&str> {
    let item = case.data.get("item")?.as_str()?;
    (case.closed_at.is_some() && case.state != "withdrawn").then_some(item)
}

/// The decision's own words: the fields of the step that decided the case.
fn deciding_fields(events: &[egov_cases::CaseEvent], state: &str) -> serde_json::Value {
    events
        .iter()
        .rev()
        .find(|e| e.to_state == state && e.from_state.as_deref() != Some(state))
        .and_then(|e| serde_json::from_str(&e.fields).ok())
        .unwrap_or_default()
}

fn text_field(fields: &serde_json::Value, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Each department's part in a joint decision: the branches in the order
/// they were answered, matched with the answering steps in the same order
/// (each answer is one transaction with its event).
async fn parts(
    state: &AppState,
    case: &Case,
    events: &[egov_cases::CaseEvent],
    directory: &egov_org::Directory,
) -> Result<Vec<Part>, ApiError> {
    let mut answered: Vec<_> = egov_cases::case::branches_on_record(&state.db, case)
        .await?
        .into_iter()
        .filter(|b| b.answered_at.is_some())
        .collect();
    answered.sort_by_key(|b| b.answered_at);
    let steps: Vec<_> = events
        .iter()
        .filter(|e| e.action.starts_with("branch_"))
        .collect();
    let steps = &steps[steps.len().saturating_sub(answered.len())..];
    Ok(answered
        .iter()
        .zip(steps)
        .map(|(b, e)| {
            let fields: serde_json::Value = serde_json::from_str(&e.fields).unwrap_or_default();
            let note = ["opinion", "reasons", "condition"]
                .iter()
                .filter_map(|f| text_field(&fields, f))
                .collect::<Vec<_>>()
                .join("；");
            Part {
                department: directory.name_of(b.department_id),
                approved: b.status == egov_cases::BranchStatus::Approved,
                note: Some(note).filter(|n| !n.is_empty()),
            }
        })
        .collect())
}

async fn issue(
    state: &AppState,
    origin: Origin,
    user: &egov_identity::SessionUser,
    case: &Case,
    def: &ProcessDefinition,
    item: &str,
) -> Result<ResultDocument, ApiError> {
    if let Some(doc) = result::of_case(&state.db, case.id).await? {
        return Ok(doc);
    }
    let version = case
        .data
        .get("item_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(1) as u32;
    let guide = egov_services::registry::version(&state.db, item, version)
        .await
        .map_err(crate::errors::registry_problem)?;
    // An enterprise's case: the enterprise is the applicant the notice names.
    let (applicant, applicant_code) = match case.applicant_id {
        Some(id) => {
            let who = egov_identity::get_user(&state.db, id)
                .await
                .map_err(ApiError::internal)?;
            match (case.enterprise_id, who.enterprise_name) {
                (Some(_), Some(enterprise)) => (enterprise, who.enterprise_code),
                _ => (who.display_name, None),
            }
        }
        None => (String::new(), None),
    };
    let decision = def
        .state(&case.state)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| case.state.clone());
    let events = egov_cases::case::timeline(&state.db, case.id).await?;
    let directory = egov_org::directory(&state.db).await?;
    let parts = parts(state, case, &events, &directory).await?;
    let fields = deciding_fields(&events, &case.state);
    // A joint decision's opinions and conditions are its departments' (in
    // their parts); the deciding step is only the last of them.
    let joint = !parts.is_empty();
    let own = |name| text_field(&fields, name).filter(|_| !joint);
    let particulars = Particulars {
        kind: guide.kind.clone(),
        applicant_code,
        submitted_on: egov_kernel::time::chinese_date(case.created_at),
        result: guide.result.clone(),
        legal_basis: guide.legal_basis.clone(),
        condition: own("condition"),
        reasons: text_field(&fields, "reasons"),
        opinion: own("opinion"),
        parts,
    };
    let ctx = origin.context(egov_kernel::Actor::User(user.user_id));
    let approved = case.state == "approved";
    // A licence granted goes into the holder's wallet with the document.
    let certificate = match (approved, guide.result_kind.as_str(), case.applicant_id) {
        (true, "证照", Some(holder)) => Some(egov_services::result::Grant {
            name: egov_services::certificates::name_of(&guide.result),
            holder_user_id: holder,
            holder_enterprise_id: case.enterprise_id,
        }),
        _ => None,
    };
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
            approved,
            decided_at: case.closed_at.unwrap_or(case.state_entered_at),
            issuer_code: &directory.code_of(case.department_id),
            issuer_name: &directory.name_of(case.department_id),
            particulars: &particulars,
            certificate,
        },
    )
    .await?)
}

/// Issues the results (and certificates) of the user's granted
/// applications that have none yet, as the wallet is opened.
pub async fn issue_owed(
    state: &AppState,
    origin: Origin,
    user: &egov_identity::SessionUser,
) -> Result<(), ApiError> {
    let party = crate::work::holder(user);
    let principal = Principal::User(user.clone());
    for number in egov_services::certificates::undocumented_grants(&state.db, party).await? {
        let (case, def) = visible_case(state, &principal, &number).await?;
        if let Some(item) = decided_item(&case) {
            issue(state, origin.clone(), user, &case, &def, item).await?;
        }
    }
    Ok(())
}

/// The case's result document as a PDF.
pub async fn download(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    headers: HeaderMap,
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
    let seal = egov_org::seal(&state.db, case.department_id).await?;
    let url = crate::work::verify_url(&state, &headers, &doc.code);
    let bytes = tokio::task::spawn_blocking(move || result::render(&doc, seal.as_deref(), &url))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    private_pdf(
        bytes,
        Disposition::Attachment,
        &format!("result-{number}.pdf"),
    )
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    code: String,
    found: Option<ResultDocument>,
    /// An electronic certificate the code belongs to, when no document does.
    certificate: Option<egov_services::certificates::Certificate>,
    particulars: Particulars,
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
    let certificate = match (&found, code.trim()) {
        (None, c) if !c.is_empty() => egov_services::certificates::verify(&state.db, c).await?,
        _ => None,
    };
    let status = match (
        code.trim().is_empty(),
        found.is_some() || certificate.is_some(),
    ) {
        (false, false) => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    // The document's date as it is printed in Chinese; in English, as the date.
    let date = |at: egov_kernel::time::Timestamp| match locale {
        Locale::Zh => egov_kernel::time::chinese_date(at),
        Locale::En => egov_kernel::time::beijing(at)
            .format("%Y-%m-%d")
            .to_string(),
    };
    let decided = match (&found, &certificate) {
        (Some(d), _) => date(d.decided_at),
        (None, Some(c)) => date(c.issued_at),
        _ => String::new(),
    };
    let applicant = match (&found, &certificate) {
        (Some(d), _) => mask_name(&d.applicant_name),
        (None, Some(c)) => mask_name(&c.holder_name),
        _ => String::new(),
    };
    let particulars = found
        .as_ref()
        .map(ResultDocument::particulars)
        .unwrap_or_default();
    Ok(render(
        status,
        &VerifyPage {
            chrome: Chrome::new(locale, user, "/verify"),
            code,
            found,
            certificate,
            particulars,
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
