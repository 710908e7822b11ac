//! The answering department's publication of a letter, on a page: the
//! letter and its answer with personal data already replaced, to read and
//! edit; what is published is checked again, and refused while personal
//! data is found in it (the form shown again as typed, with what was found).

use crate::errors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_mailbox::publishing::{self, Texts};
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, error_page, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "mailbox_publish.html")]
struct PublishPage {
    chrome: Chrome,
    number: String,
    /// Published already: the page offers to withdraw it instead.
    published: bool,
    texts: Texts,
    /// What the proposal replaced, in words.
    replaced: Vec<String>,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn page(
    locale: Locale,
    user: SessionUser,
    number: &str,
    published: bool,
    texts: Texts,
    replaced: Vec<String>,
    error: Option<String>,
) -> Response {
    let page = PublishPage {
        chrome: Chrome::new(
            locale,
            Some(user),
            format!("/mailbox/letters/{number}/publish"),
        ),
        number: number.to_owned(),
        published,
        texts,
        replaced,
        error,
    };
    render_form(page.error.is_some(), &page)
}

/// `GET /mailbox/letters/{number}/publish`: the proposal, for the staff of
/// the department that answered.
pub async fn form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    if let Err(e) = crate::work::may_publish(&state, &caller, &number).await {
        return Ok(error_page(locale, e.status));
    }
    let published = match egov_cases::case::by_number(&state.db, &number).await {
        Ok(case) => egov_mailbox::reading::of_case(&state.db, case.id)
            .await?
            .is_some_and(|l| l.published),
        Err(e) => return Err(e.into()),
    };
    match publishing::draft(&state.db, &number).await {
        Ok(d) => {
            let replaced = d
                .replaced
                .iter()
                .map(|k| match locale {
                    Locale::Zh => k.label_zh().to_owned(),
                    Locale::En => k.label_en().to_owned(),
                })
                .collect();
            Ok(page(
                locale, user, &number, published, d.texts, replaced, None,
            ))
        }
        Err(e) => {
            let problem = errors::publishing(e);
            Ok(error_page(locale, problem.status))
        }
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    answer: String,
}

/// `POST /mailbox/letters/{number}/publish`: published, or the form again
/// with what was found.
pub async fn publish(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
    CheckedForm(f): CheckedForm<PublishForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let user_id = match crate::work::may_publish(&state, &caller, &number).await {
        Ok(found) => found,
        Err(e) => return Ok(error_page(locale, e.status)),
    };
    let texts = Texts {
        subject: f.subject,
        body: f.body,
        answer: f.answer,
    };
    match publishing::publish(
        &state.db,
        &caller.context,
        &number,
        Some(user_id),
        texts.clone(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/mailbox/letters/{number}")).into_response()),
        Err(e) => {
            let problem = errors::publishing(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            if problem.status == StatusCode::NOT_FOUND || problem.status == StatusCode::FORBIDDEN {
                return Ok(error_page(locale, problem.status));
            }
            let message = error_message(locale, &problem);
            Ok(page(
                locale,
                user,
                &number,
                false,
                texts,
                Vec::new(),
                Some(message),
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// `POST /mailbox/letters/{number}/withdraw`: the publication withdrawn
/// from the case page, with the reason; back to the case.
pub async fn withdraw(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
    CheckedForm(f): CheckedForm<WithdrawForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    if let Err(e) = crate::work::may_publish(&state, &caller, &number).await {
        return Ok(error_page(locale, e.status));
    }
    match publishing::withdraw(&state.db, &caller.context, &number, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{number}?done=withdrawn")).into_response()),
        Err(e) => {
            let problem = errors::publishing(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            Ok(egov_web_kit::page::message_page(
                locale,
                problem.status,
                egov_web_kit::i18n::translate(locale, "mailbox.withdraw.heading"),
                &error_message(locale, &problem),
            ))
        }
    }
}
