//! What petitions add to the page of one of their cases: the way to the
//! petition's record (who brought it, the petitions on the same matter)
//! and to the written notices it was given, and the English of the words
//! its data holds.

use egov_cases_web::case_page::{
    Additions, CaseAdditions, CaseLink, CaseOnPage, CasePageExtension, Glossary,
};
use egov_kernel::Locale;
use egov_petitions::notices;
use egov_petitions::petition::Channel;
use egov_petitions::settings::Settings;
use egov_web_kit::i18n::translate;
use egov_web_kit::state::AppState;

pub struct Petitions;

impl CasePageExtension for Petitions {
    fn additions<'a>(&'a self, state: &'a AppState, on_page: CaseOnPage<'a>) -> Additions<'a> {
        Box::pin(async move {
            let case = on_page.case;
            if case.process_id != egov_petitions::PROCESS {
                return Ok(CaseAdditions::default());
            }
            let locale = on_page.locale;
            let mut glossary = Glossary::default();
            for c in Channel::ALL {
                glossary.insert(c.word(), c.word_en());
            }
            for c in &Settings::shipped().categories {
                glossary.insert(c.name.clone(), c.name_en.clone());
            }
            let mut links = Vec::new();
            // The record and the notices name the petitioner: offered to
            // those who may see them, as their pages check.
            if egov_petitions::record::may_see_petitioner(on_page.viewer, case) {
                links.push(CaseLink {
                    href: format!("/petitions/{}", case.number),
                    label: translate(locale, "petitions.case.record").to_owned(),
                    download: false,
                    staff_only: false,
                });
            }
            let timeline = match links.is_empty() {
                true => Vec::new(),
                false => egov_cases::case::timeline(&state.db, case.id).await?,
            };
            for issued in notices::issued(&timeline) {
                let name = match locale {
                    Locale::Zh => issued.notice.name,
                    Locale::En => issued.notice.name_en,
                };
                links.push(CaseLink {
                    href: format!("/petitions/{}/notices/{}", case.number, issued.notice.kind),
                    label: name.to_owned(),
                    download: true,
                    staff_only: false,
                });
            }
            Ok(CaseAdditions {
                links,
                glossary,
                ..CaseAdditions::default()
            })
        })
    }
}
