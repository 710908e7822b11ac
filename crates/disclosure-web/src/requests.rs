//! A request for government information on a page, by someone signed in
//! (the applicant's name, identity and contact are their account's, as the
//! rules require an applicant to give them). Filed, it is a case at once:
//! the applicant follows it, clarifies it when asked and reads the answer
//! on its case page. What does not check is shown again as typed, with the
//! message; nothing is stored.

use crate::errors;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use egov_disclosure::filing::{self, FilingError};
use egov_disclosure::request::{ApplicantKind, NewRequest};
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, CITIZEN};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::i18n::translate;
use egov_web_kit::page::{error_message, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// The request form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    department: String,
    #[serde(default)]
    information: String,
    #[serde(default)]
    applicant_kind: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    delivery: String,
    #[serde(default)]
    address: String,
}

impl RequestForm {
    fn request(&self) -> NewRequest {
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        NewRequest {
            department: self.department.clone(),
            information: self.information.clone(),
            applicant_kind: self.applicant_kind.clone(),
            organization: some(&self.organization),
            form: self.form.clone(),
            delivery: self.delivery.clone(),
            address: some(&self.address),
        }
    }
}

#[derive(Template)]
#[template(path = "disclosure_apply.html")]
struct ApplyPage {
    chrome: Chrome,
    departments: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    forms: Vec<(&'static str, &'static str)>,
    deliveries: Vec<(&'static str, &'static str)>,
    f: RequestForm,
    error: Option<String>,
    field: Option<&'static str>,
}

fn page(
    directory: &egov_org::Directory,
    locale: Locale,
    user: SessionUser,
    f: RequestForm,
    error: Option<(String, &'static str)>,
) -> Response {
    let departments = crate::work::agencies(directory, locale);
    let words = |keys: &[(&'static str, &'static str)]| {
        keys.iter()
            .map(|(value, key)| (*value, translate(locale, key)))
            .collect::<Vec<_>>()
    };
    let kinds: Vec<(&'static str, &'static str)> = ApplicantKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                translate(locale, &format!("disclosure.kind.{}", k.as_str())),
            )
        })
        .collect();
    let (error, field) = match error {
        Some((m, f)) => (Some(m), Some(f)),
        None => (None, None),
    };
    let page = ApplyPage {
        chrome: Chrome::new(locale, Some(user), "/disclosure/apply"),
        departments,
        kinds,
        forms: words(&[
            ("electronic", "disclosure.form.electronic"),
            ("paper", "disclosure.form.paper"),
        ]),
        deliveries: words(&[
            ("online", "disclosure.delivery.online"),
            ("email", "disclosure.delivery.email"),
            ("post", "disclosure.delivery.post"),
            ("collect", "disclosure.delivery.collect"),
        ]),
        f,
        error,
        field,
    };
    render_form(page.error.is_some(), &page)
}

/// `GET /disclosure/apply`: the form, for someone signed in.
pub async fn form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
) -> Result<Response, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let f = RequestForm {
        applicant_kind: if user.acting_enterprise().is_some() {
            "business".into()
        } else {
            "person".into()
        },
        form: "electronic".into(),
        delivery: "online".into(),
        ..RequestForm::default()
    };
    Ok(page(&directory, locale, user, f, None))
}

/// `POST /disclosure/apply`: filed (on to its case page), or the form again.
pub async fn file(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    CheckedForm(f): CheckedForm<RequestForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    if user.view_only {
        return Err(ApiError::forbidden());
    }
    let filed = filing::file(
        &state.db,
        &caller.context,
        &state.processes,
        &state.calendar,
        (user.user_id, user.acting_enterprise()),
        f.request(),
    )
    .await;
    match filed {
        Ok(number) => Ok(Redirect::to(&format!("/cases/{number}?done=opened")).into_response()),
        Err(FilingError::Request(r)) => {
            let field = r.field();
            let message = error_message(locale, &errors::filing(FilingError::Request(r)));
            let directory = egov_org::directory(&state.db).await?;
            Ok(page(&directory, locale, user, f, Some((message, field))))
        }
        Err(e) => Err(errors::filing(e)),
    }
}
