//! The public pages: the published letters (newest first, or a search) with
//! each department's answer rate and timeliness, and one published letter.

use crate::work;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_kernel::Locale;
use egov_mailbox::reading::{self, DepartmentFigures, Published};
use egov_mailbox::Settings;
use egov_web_kit::auth::MaybeUser;
use egov_web_kit::context::Lang;
use egov_web_kit::page::{encode_component, error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// A published letter as a line of the list or its own page.
pub(crate) struct Shown {
    pub number: String,
    pub mailbox: String,
    pub category: String,
    pub department: String,
    pub subject: String,
    pub body: String,
    pub answer: String,
    pub written: String,
    pub answered: String,
}

/// The mailbox and kind of a letter in the page's language.
pub(crate) fn mailbox_name(
    locale: Locale,
    directory: &egov_org::Directory,
    mailbox: &str,
) -> String {
    match mailbox {
        "mayor" => egov_web_kit::i18n::translate(locale, "mailbox.mayor").to_owned(),
        code => directory.by_code(code).map_or_else(
            || code.to_owned(),
            |d| {
                egov_web_kit::i18n::translate(locale, "mailbox.of_department")
                    .replace("{department}", d.name_in(locale))
            },
        ),
    }
}

pub(crate) fn category_name(locale: Locale, code: &str) -> String {
    Settings::shipped().category(code).map_or_else(
        || code.to_owned(),
        |c| localized(locale, &c.name, Some(&c.name_en)),
    )
}

fn shown(chrome: &Chrome, directory: &egov_org::Directory, p: Published) -> Shown {
    let locale = chrome.locale;
    Shown {
        mailbox: mailbox_name(locale, directory, &p.mailbox),
        category: category_name(locale, &p.category),
        department: directory
            .department(p.department_id)
            .map_or_else(String::new, |d| d.name_in(locale).to_owned()),
        written: chrome.beijing(&p.written_at),
        answered: p
            .answered_at
            .map(|t| chrome.beijing(&t))
            .unwrap_or_default(),
        number: p.number,
        subject: p.subject,
        body: p.body,
        answer: p.answer,
    }
}

/// A department's figures as a row.
pub(crate) struct FiguresRow {
    pub department: String,
    pub received: i64,
    pub answered: i64,
    pub answer_rate: String,
    pub timeliness: String,
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}%"))
}

#[derive(Template)]
#[template(path = "mailbox_list.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    letters: Vec<Shown>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
    figures: Vec<FiguresRow>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    offset: Option<i64>,
}

/// `GET /mailbox`: the published letters and the departments' figures.
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let q = query.q.unwrap_or_default().trim().to_owned();
    let offset = query.offset.unwrap_or(0).max(0);
    let (letters, total) = work::published(&state, Some(&q), Some(offset), None).await?;
    let directory = egov_org::directory(&state.db).await?;
    let chrome = Chrome::new(locale, user, "/mailbox");
    let href = |offset: i64| format!("/mailbox?q={}&offset={offset}", encode_component(&q));
    let figures = reading::figures(&state.db)
        .await?
        .into_iter()
        .map(|f: DepartmentFigures| FiguresRow {
            department: directory
                .department(f.department_id)
                .map_or_else(String::new, |d| d.name_in(locale).to_owned()),
            received: f.received,
            answered: f.answered,
            answer_rate: percent(f.answer_rate()),
            timeliness: percent(f.timeliness()),
        })
        .collect();
    let page = ListPage {
        letters: letters
            .into_iter()
            .map(|p| shown(&chrome, &directory, p))
            .collect(),
        prev: (offset > 0).then(|| href((offset - work::PAGE).max(0))),
        next: (offset.saturating_add(work::PAGE) < total).then(|| href(offset + work::PAGE)),
        chrome,
        q,
        total,
        figures,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "mailbox_letter.html")]
struct LetterPage {
    chrome: Chrome,
    l: Shown,
}

/// `GET /mailbox/letters/{number}`: one published letter and its answer.
pub async fn letter(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let Some(p) = reading::published_letter(&state.db, &number).await? else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let directory = egov_org::directory(&state.db).await?;
    let chrome = Chrome::new(locale, user, format!("/mailbox/letters/{number}"));
    let l = shown(&chrome, &directory, p);
    Ok(render(StatusCode::OK, &LetterPage { chrome, l }))
}
