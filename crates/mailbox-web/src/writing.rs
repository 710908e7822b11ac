//! Writing a letter on the mailbox's pages, following it and rating the
//! answer. Someone signed in writes and finds the letter on their cases. A
//! writer without an account gives a name and a mobile number, enters the
//! code texted to it, and is given the letter's follow link; their forms
//! carry a double-submit token, so they work without a session. What does
//! not check is shown again as typed, with the message in Chinese (or
//! English), and nothing is stored.

use crate::errors;
use crate::pages::category_name;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use egov_cases::rating::GRADES;
use egov_identity::SessionUser;
use egov_kernel::{Actor, Context, Locale};
use egov_mailbox::following::{self, Followed};
use egov_mailbox::writing::{self, WritingError};
use egov_mailbox::{Contact, NewLetter, Settings};
use egov_web_kit::auth::{page_caller, MaybeUser};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::cookies::{form_token_matches, with_form_cookie};
use egov_web_kit::i18n::translate;
use egov_web_kit::page::{error_message, error_page, localized, message_page, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// What the writing form holds, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct WriteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mailbox: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// A checked box sends a value; an unchecked one nothing.
    consent: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
}

impl WriteForm {
    fn letter(&self) -> NewLetter {
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        NewLetter {
            mailbox: self.mailbox.clone(),
            category: self.category.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            consent: self.consent.is_some(),
            contact: Contact {
                name: self.name.clone(),
                phone: some(&self.phone),
                email: some(&self.email),
                address: some(&self.address),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "mailbox_write.html")]
struct WritePage {
    chrome: Chrome,
    /// `(value, label)` of each mailbox, the mayor's first.
    mailboxes: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    f: WriteForm,
    signed_in: bool,
    error: Option<String>,
    /// The token the form carries: the session's, or a double-submit one.
    form_csrf: String,
}

fn write_page(
    state: &AppState,
    directory: &egov_org::Directory,
    locale: Locale,
    user: Option<SessionUser>,
    f: WriteForm,
    error: Option<String>,
) -> Response {
    let mut mailboxes = vec![(
        "mayor".to_owned(),
        egov_web_kit::i18n::translate(locale, "mailbox.mayor").to_owned(),
    )];
    mailboxes.extend(directory.municipal_agencies().map(|d| {
        (
            d.code.clone(),
            egov_web_kit::i18n::translate(locale, "mailbox.of_department")
                .replace("{department}", d.name_in(locale)),
        )
    }));
    let categories = Settings::shipped()
        .categories
        .iter()
        .map(|c| (c.code.clone(), category_name(locale, &c.code)))
        .collect();
    let signed_in = user.is_some();
    let form_csrf = match &user {
        Some(u) => u.csrf_token.clone(),
        None => egov_identity::random_secret(),
    };
    let page = WritePage {
        chrome: Chrome::new(locale, user, "/mailbox/write"),
        mailboxes,
        categories,
        f,
        signed_in,
        error,
        form_csrf: form_csrf.clone(),
    };
    let res = render_form(page.error.is_some(), &page);
    if signed_in {
        res
    } else {
        with_form_cookie(state.settings.secure_cookies, &form_csrf, res)
    }
}

#[derive(Deserialize)]
pub struct WriteQuery {
    to: Option<String>,
}

/// `GET /mailbox/write`: the letter form (`?to=` a department's code picks
/// its mailbox).
pub async fn form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    axum::extract::Query(q): axum::extract::Query<WriteQuery>,
) -> Result<Response, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let f = WriteForm {
        mailbox: q.to.unwrap_or_else(|| "mayor".into()),
        // Publication is the writer's choice to make, never made for them.
        ..WriteForm::default()
    };
    Ok(write_page(&state, &directory, locale, user, f, None))
}

/// Whether a form's token is the session's (signed in) or its
/// double-submit cookie's (not).
fn token_matches(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<&SessionUser>,
    csrf: &str,
) -> bool {
    match user {
        Some(u) => !csrf.is_empty() && u.csrf_token == csrf,
        None => form_token_matches(headers, state.settings.secure_cookies, csrf),
    }
}

fn context(user: Option<&SessionUser>, origin: Origin) -> Context {
    match user {
        Some(u) => page_caller(u, origin).context,
        None => origin.context(Actor::Anonymous),
    }
}

/// `POST /mailbox/write`: the letter, written. Signed in, it is a case at
/// once; otherwise the writer is sent to enter the texted code.
pub async fn write(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Form(f): Form<WriteForm>,
) -> Result<Response, ApiError> {
    let user = user.filter(|u| u.complete);
    if !token_matches(&state, &headers, user.as_ref(), &f.csrf) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    if user.as_ref().is_some_and(|u| u.view_only) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    // Each code costs a text message: a source is held to the pace of
    // registrations, which cost one too.
    if user.is_none() {
        if let Some(source) = origin.source.as_deref() {
            if state.registrations.check_key(&source.to_owned()).is_err() {
                let directory = egov_org::directory(&state.db).await?;
                let message =
                    egov_web_kit::i18n::translate(locale, "mailbox.write.limited").to_owned();
                let mut res = write_page(&state, &directory, locale, None, f, Some(message));
                *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                return Ok(res);
            }
        }
    }
    let ctx = context(user.as_ref(), origin);
    let result = match &user {
        Some(u) => writing::write_signed_in(
            &state.db,
            &ctx,
            &state.processes,
            &state.calendar,
            u.user_id,
            f.letter(),
        )
        .await
        .map(|w| format!("/cases/{}", w.number)),
        None => writing::write_as_guest(&state.db, &ctx, f.letter())
            .await
            .map(|a| format!("/mailbox/confirm/{}", a.ticket)),
    };
    match result {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => {
            let problem = errors::writing(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            let directory = egov_org::directory(&state.db).await?;
            let message = error_message(locale, &problem);
            let mut res = write_page(&state, &directory, locale, user, f, Some(message));
            // 422 for what breaks a rule, 429 for a phone sent enough codes.
            *res.status_mut() = problem.status;
            Ok(res)
        }
    }
}

#[derive(Template)]
#[template(path = "mailbox_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    ticket: String,
    /// Masked.
    phone: String,
    /// A demo without an SMS gateway shows the message it would have sent.
    demo_message: Option<String>,
    error: Option<String>,
    form_csrf: String,
}

async fn confirm_page(
    state: &AppState,
    locale: Locale,
    user: Option<SessionUser>,
    ticket: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let Some(phone) = writing::awaiting_phone(&state.db, ticket)
        .await
        .map_err(errors::writing)?
    else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let demo_message = match state.settings.show_sms_in_page {
        false => None,
        true => egov_identity::sms::outbox(&state.db, Some(&phone), 1)
            .await?
            .into_iter()
            .next()
            .map(|m| m.body),
    };
    let form_csrf = egov_identity::random_secret();
    let page = ConfirmPage {
        chrome: Chrome::new(locale, user, format!("/mailbox/confirm/{ticket}")),
        ticket: ticket.to_owned(),
        phone: egov_kernel::identifier::mask_phone(&phone),
        demo_message,
        error,
        form_csrf: form_csrf.clone(),
    };
    Ok(with_form_cookie(
        state.settings.secure_cookies,
        &form_csrf,
        render_form(page.error.is_some(), &page),
    ))
}

/// `GET /mailbox/confirm/{ticket}`: where the texted code is entered.
pub async fn confirm_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(ticket): Path<String>,
) -> Result<Response, ApiError> {
    confirm_page(&state, locale, user, &ticket, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /mailbox/confirm/{ticket}`: the code entered. Right, the letter
/// is a case and the writer goes to its follow page; wrong, the form again
/// with the tries left.
pub async fn confirm(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(ticket): Path<String>,
    Form(f): Form<CodeForm>,
) -> Result<Response, ApiError> {
    if !form_token_matches(&headers, state.settings.secure_cookies, &f.csrf) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let ctx = context(user.as_ref(), origin);
    let site = egov_web_kit::context::public_base(&state.settings, &headers);
    match writing::confirm(
        &state.db,
        &ctx,
        &state.processes,
        &state.calendar,
        &ticket,
        &f.code,
        &site,
    )
    .await
    {
        Ok(w) => {
            let follow = w.follow.unwrap_or_default();
            Ok(Redirect::to(&format!("/mailbox/follow/{follow}?written=1")).into_response())
        }
        Err(WritingError::NoTicket) => Ok(error_page(locale, StatusCode::NOT_FOUND)),
        // The ticket is spent: nothing left to try here.
        Err(WritingError::Expired | WritingError::WrongCode(0)) => Ok(message_page(
            locale,
            StatusCode::GONE,
            translate(locale, "mailbox.confirm.heading"),
            translate(locale, "mailbox.confirm.spent"),
        )),
        Err(e) => {
            let problem = errors::writing(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            let message = error_message(locale, &problem);
            confirm_page(&state, locale, user, &ticket, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "mailbox_follow.html")]
struct FollowPage {
    chrome: Chrome,
    token: String,
    link: String,
    f: Followed,
    state_name: String,
    category: String,
    written: String,
    written_now: bool,
    rated_now: bool,
    rating: Option<String>,
    may_rate: bool,
    grades: Vec<(i16, String)>,
    error: Option<String>,
    typed: String,
    form_csrf: String,
}

#[derive(Deserialize)]
pub struct FollowQuery {
    written: Option<String>,
    rated: Option<String>,
}

/// `GET /mailbox/follow/{token}`: the letter, where it has got to, the
/// answer once given, and its rating.
pub async fn follow(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::extract::Query(q): axum::extract::Query<FollowQuery>,
) -> Result<Response, ApiError> {
    follow_page(
        &state,
        locale,
        user,
        &headers,
        &token,
        (q.written.is_some(), q.rated.is_some()),
        None,
    )
    .await
}

async fn follow_page(
    state: &AppState,
    locale: Locale,
    user: Option<SessionUser>,
    headers: &HeaderMap,
    token: &str,
    (written_now, rated_now): (bool, bool),
    refused: Option<(String, String)>,
) -> Result<Response, ApiError> {
    // A refused rating: why, and the comment as typed.
    let (error, typed) = match refused {
        Some((message, typed)) => (Some(message), typed),
        None => (None, String::new()),
    };
    let Some(f) = following::followed(&state.db, token).await? else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let def = state
        .processes
        .get(&state.db, &f.case.process_id, f.case.process_version as u32)
        .await
        .map_err(ApiError::internal)?;
    let state_name = def
        .state(&f.case.state)
        .map(|s| localized(locale, &s.name, s.name_en.as_deref()))
        .unwrap_or_else(|| f.case.state.clone());
    let grades: Vec<(i16, String)> = GRADES
        .iter()
        .map(|(g, zh, en)| (*g, localized(locale, zh, Some(en))))
        .collect();
    let rating = f.rating.as_ref().and_then(|r| {
        grades
            .iter()
            .find(|(g, _)| *g == r.grade)
            .map(|(_, name)| name.clone())
    });
    let form_csrf = egov_identity::random_secret();
    let base = egov_web_kit::context::public_base(&state.settings, headers);
    let chrome = Chrome::new(locale, user, format!("/mailbox/follow/{token}"));
    let page = FollowPage {
        written: chrome.beijing(&f.letter.written_at),
        chrome,
        token: token.to_owned(),
        link: format!("{base}/mailbox/follow/{token}"),
        category: category_name(locale, &f.letter.category),
        may_rate: f.case.state == "answered" && f.rating.is_none(),
        state_name,
        written_now,
        rated_now,
        rating,
        grades,
        error,
        typed,
        form_csrf: form_csrf.clone(),
        f,
    };
    Ok(with_form_cookie(
        state.settings.secure_cookies,
        &form_csrf,
        render_form(page.error.is_some(), &page),
    ))
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    comment: String,
}

/// `POST /mailbox/follow/{token}/rate`: the writer rates the answer.
pub async fn rate(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<RateForm>,
) -> Result<Response, ApiError> {
    if !form_token_matches(&headers, state.settings.secure_cookies, &f.csrf) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let ctx = context(user.as_ref(), origin);
    let result = match f.grade.trim().parse::<i16>() {
        Ok(grade) => {
            following::rate(
                &state.db,
                &ctx,
                &state.processes,
                &state.calendar,
                &token,
                grade,
                &f.comment,
            )
            .await
        }
        Err(_) => Err(WritingError::Case(egov_cases::Refusal::Grade.into())),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/mailbox/follow/{token}?rated=1")).into_response()),
        Err(WritingError::Case(egov_cases::CaseError::NotFound)) => {
            Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => {
            let problem = errors::writing(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            let message = error_message(locale, &problem);
            follow_page(
                &state,
                locale,
                user,
                &headers,
                &token,
                (false, false),
                Some((message, f.comment)),
            )
            .await
        }
    }
}
