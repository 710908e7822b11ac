//! What disclosure adds to the page of one of its requests' cases: the
//! English of the words its data and answers hold (the kinds of applicant,
//! the forms, the grounds of the annual report's table).

use egov_cases_web::case_page::{
    Additions, CaseAdditions, CaseOnPage, CasePageExtension, Glossary,
};
use egov_disclosure::report::Format;
use egov_web_kit::state::AppState;

pub struct Requests;

/// The words of the request form, with their English.
const WORDS: &[(&str, &str)] = &[
    ("自然人", "Natural person"),
    ("商业企业", "Business"),
    ("科研机构", "Research institution"),
    ("社会公益组织", "Public-interest organisation"),
    ("法律服务机构", "Legal services"),
    ("其他", "Other"),
    ("纸质", "Paper"),
    ("电子", "Electronic"),
    ("在线查看", "Online, on the case page"),
    ("电子邮件", "E-mail"),
    ("邮寄", "Post"),
    ("当面领取", "Collected at the agency"),
];

impl CasePageExtension for Requests {
    fn additions<'a>(&'a self, _state: &'a AppState, on_page: CaseOnPage<'a>) -> Additions<'a> {
        Box::pin(async move {
            if on_page.case.process_id != egov_disclosure::PROCESS {
                return Ok(CaseAdditions::default());
            }
            let mut glossary = Glossary::default();
            for (zh, en) in WORDS {
                glossary.insert(*zh, *en);
            }
            // The grounds an answer names are the table's rows.
            for row in &Format::shipped().row {
                let zh = row
                    .label
                    .split_once(". ")
                    .map_or(row.label.as_str(), |(_, l)| l);
                glossary.insert(zh.to_owned(), row.label_en.clone());
            }
            Ok(CaseAdditions {
                glossary,
                ..CaseAdditions::default()
            })
        })
    }
}
