//! What the mailbox adds to the page of one of its letters' cases: the
//! English of the words its data holds, and, for the staff, the way to
//! publish an answered letter whose writer agreed.

use egov_cases_web::case_page::{
    Additions, CaseAdditions, CaseLink, CaseOnPage, CasePageExtension, Glossary,
};
use egov_mailbox::letter::MAYOR_MAILBOX;
use egov_mailbox::reading;
use egov_mailbox::Settings;
use egov_web_kit::state::AppState;

pub struct Letters;

impl CasePageExtension for Letters {
    fn additions<'a>(&'a self, state: &'a AppState, on_page: CaseOnPage<'a>) -> Additions<'a> {
        Box::pin(async move {
            let case = on_page.case;
            if case.process_id != egov_mailbox::PROCESS {
                return Ok(CaseAdditions::default());
            }
            let mut glossary = Glossary::default();
            glossary.insert(MAYOR_MAILBOX, "Mayor's mailbox");
            for c in &Settings::shipped().categories {
                glossary.insert(c.name.clone(), c.name_en.clone());
            }
            let mut links = Vec::new();
            if case.state == "answered" {
                let letter = reading::of_case(&state.db, case.id).await?;
                // To publish, or to withdraw what was published.
                let key = match letter {
                    Some(l) if l.published => Some("mailbox.publish.withdraw_link"),
                    Some(l) if l.consent => Some("mailbox.publish.link"),
                    _ => None,
                };
                if let Some(key) = key {
                    links.push(CaseLink {
                        href: format!("/mailbox/letters/{}/publish", case.number),
                        label: egov_web_kit::i18n::translate(on_page.locale, key).to_owned(),
                        download: false,
                        staff_only: true,
                    });
                }
            }
            Ok(CaseAdditions {
                links,
                glossary,
                ..CaseAdditions::default()
            })
        })
    }
}
