//! What the service hall adds to the page of a case filed online: the
//! item's form labelled from the guide it was filed under, 预计办结 from
//! the item's promised time limit, and, once decided, the result document.
//! On "my cases", the applications not yet filed. The case pages know none
//! of this; they ask the extensions they were composed with
//! (`egov_cases_web::case_page`).

use super::results::decided_item;
use crate::errors::application_problem;
use egov_cases::Case;
use egov_cases_web::case_page::{
    Additions, CaseAdditions, CaseLink, CaseOnPage, CasePageExtension, Glossary, Unfinished,
};
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_web_kit::page::localized;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// The hall's additions to the case page.
pub struct FiledOnline;

impl CasePageExtension for FiledOnline {
    fn additions<'a>(&'a self, state: &'a AppState, on_page: CaseOnPage<'a>) -> Additions<'a> {
        Box::pin(async move {
            let CaseOnPage {
                case,
                accepted_at,
                locale,
                ..
            } = on_page;
            let links = decided_item(case)
                .map(|_| CaseLink {
                    href: format!("/cases/{}/result", case.number),
                    label: egov_web_kit::i18n::translate(locale, "filed.result").to_owned(),
                    download: true,
                    staff_only: false,
                })
                .into_iter()
                .collect();
            let Some(guide) = filed_guide(state, &case.data).await? else {
                return Ok(CaseAdditions {
                    links,
                    ..CaseAdditions::default()
                });
            };
            let file_labels = egov_services::application::files_of_case(&state.db, case.id)
                .await
                .map_err(application_problem)?
                .into_iter()
                .filter_map(|f| {
                    let material = guide.materials.get(usize::try_from(f.material).ok()?)?;
                    // A certificate from the wallet: the platform issued it,
                    // so the handler sees it verified.
                    let name = localized(locale, &material.name, material.name_en.as_deref());
                    let t = |k| egov_web_kit::i18n::translate(locale, k);
                    let aside = |text: String| match locale {
                        Locale::Zh => format!("{name}（{text}）"),
                        Locale::En => format!("{name} ({text})"),
                    };
                    let label = match (&f.certificate_code, f.identity_level) {
                        (Some(code), _) => aside(format!("{}{code}", t("wallet.verified"))),
                        // The platform verified who applied: as good as the card.
                        (None, Some(level)) => aside(
                            t("wallet.identity_checked").replace("{level}", &level.to_string()),
                        ),
                        (None, None) => name.clone(),
                    };
                    Some((f.sha256, label))
                })
                .collect();
            Ok(CaseAdditions {
                expected: expected(state, locale, &guide, case, accepted_at).await?,
                glossary: glossary(&guide),
                form_schema: guide.fields,
                links,
                file_labels,
            })
        })
    }

    /// The person's applications not yet filed, to go on with.
    fn unfinished<'a>(
        &'a self,
        state: &'a AppState,
        user: &'a SessionUser,
        locale: Locale,
    ) -> Unfinished<'a> {
        Box::pin(async move {
            let mut links = Vec::new();
            for a in egov_services::application::drafts(&state.db, crate::work::party(user))
                .await
                .map_err(application_problem)?
            {
                let guide = egov_services::application::guide_of(&state.db, &a)
                    .await
                    .map_err(application_problem)?;
                links.push(CaseLink {
                    href: format!("/applications/{}", a.id),
                    label: localized(locale, &guide.name, guide.name_en.as_deref()),
                    download: false,
                    staff_only: false,
                });
            }
            Ok(links)
        })
    }
}

/// The English of the guide's words a case's data holds: the item's name,
/// its materials' names and its form's choices.
fn glossary(guide: &egov_services::Guide) -> Glossary {
    let mut out = Glossary::default();
    if let Some(en) = &guide.name_en {
        out.insert(&guide.name, en);
    }
    for m in &guide.materials {
        if let Some(en) = &m.name_en {
            out.insert(&m.name, en);
        }
    }
    let properties = guide
        .fields
        .as_ref()
        .and_then(|f| f["properties"].as_object());
    for field in properties.into_iter().flat_map(|p| p.values()) {
        let (Some(values), Some(labels)) = (field["enum"].as_array(), field["enum_en"].as_array())
        else {
            continue;
        };
        for (v, l) in values.iter().zip(labels) {
            if let (Some(v), Some(l)) = (v.as_str(), l.as_str()) {
                out.insert(v, l);
            }
        }
    }
    out
}

/// The guide an online application's case was filed under (its data names
/// the item and version), if it is one.
async fn filed_guide(
    state: &AppState,
    data: &serde_json::Value,
) -> Result<Option<egov_services::Guide>, ApiError> {
    let (Some(code), Some(version)) = (data["item"].as_str(), data["item_version"].as_u64()) else {
        return Ok(None);
    };
    let version = u32::try_from(version).map_err(ApiError::internal)?;
    match egov_services::registry::version(&state.db, code, version).await {
        Ok(guide) => Ok(Some(guide)),
        Err(egov_services::registry::RegistryError::Unknown(_)) => Ok(None),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// 预计办结 of an application's case, in words.
async fn expected(
    state: &AppState,
    locale: Locale,
    guide: &egov_services::Guide,
    case: &Case,
    accepted: Option<egov_kernel::time::Timestamp>,
) -> Result<Option<String>, ApiError> {
    use egov_services::application::{expected_completion, Expected};
    let cal = state.calendar().await?;
    let t = |k| egov_web_kit::i18n::translate(locale, k);
    Ok(match expected_completion(guide, case, accepted, &cal) {
        None => None,
        Some(Expected::Paused) => Some(t("filed.expected_paused").to_owned()),
        Some(Expected::By(date)) => Some(format!(
            "{}{}",
            date.format("%Y-%m-%d"),
            t("filed.expected_basis")
        )),
    })
}
