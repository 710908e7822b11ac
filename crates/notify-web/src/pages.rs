//! The message centre's page (every signed-in person) and the console where
//! a system administrator words each kind of notice in both languages.

use crate::api::{page_of, MessageView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::Locale;
use egov_notify::templates::{self, Template as Notice, Wording};
use egov_notify::{inbox, NotifyError};
use egov_web_kit::auth::{CheckedForm, PageUser, ACCOUNT, ADMIN_CONSOLE};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, error_page, render, safe_next, user_context, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::de::IgnoredAny;
use serde::Deserialize;

/// Messages on one page of the message centre.
const PER_PAGE: i64 = 30;

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    chrome: Chrome,
    messages: Vec<MessageView>,
    unread: i64,
    /// The id to continue from, when older messages remain.
    older: Option<i64>,
}

impl MessagesPage {
    /// How many are unread, in a sentence that counts right in English.
    fn unread_line(&self) -> String {
        let key = match self.unread {
            0 => "messages.all_read",
            1 => "messages.unread_one",
            _ => "messages.unread_many",
        };
        self.chrome.t(key).replace("{n}", &self.unread.to_string())
    }

    fn when(&self, m: &MessageView) -> String {
        egov_kernel::time::beijing(m.created_at)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

#[derive(Deserialize)]
pub struct Older {
    before: Option<i64>,
}

pub async fn messages(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
    Query(q): Query<Older>,
) -> Result<Response, ApiError> {
    let list = page_of(&state, user.user_id, locale, false, q.before, PER_PAGE + 1).await?;
    let mut messages = list.messages;
    let older = (messages.len() as i64 > PER_PAGE).then(|| {
        messages.truncate(PER_PAGE as usize);
        messages.last().map(|m| m.id)
    });
    Ok(render(
        StatusCode::OK,
        &MessagesPage {
            chrome: Chrome::new(locale, Some(user), "/messages"),
            messages,
            unread: list.unread,
            older: older.flatten(),
        },
    ))
}

/// Opens a message: marks it read and goes to the page it is about.
pub async fn open(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    match inbox::mark_read(&state.db, &ctx, user.user_id, id).await {
        Ok(link) => {
            let to = safe_next(Some(&link), "/messages").unwrap_or_else(|_| "/messages".into());
            Ok(Redirect::to(&to).into_response())
        }
        Err(NotifyError::NotFound) => Ok(error_page(locale, StatusCode::NOT_FOUND)),
        Err(e) => Err(e.into()),
    }
}

pub async fn read_all(
    State(state): State<AppState>,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    let ctx = user_context(&user, origin);
    inbox::mark_all_read(&state.db, &ctx, user.user_id).await?;
    Ok(Redirect::to("/messages").into_response())
}

fn may_word(user: &SessionUser) -> bool {
    allows(
        &Principal::User(user.clone()),
        Permission::ManageReferenceData,
    )
}

#[derive(Template)]
#[template(path = "admin_notifications.html")]
struct TemplatesPage {
    chrome: Chrome,
    templates: Vec<Notice>,
    version: u32,
}

impl TemplatesPage {
    fn changed(&self, t: &Notice, locale: Locale) -> bool {
        t.changed.contains_key(locale.tag())
    }
}

pub async fn templates(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
) -> Result<Response, ApiError> {
    if !may_word(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let all = templates::current(&state.db).await?;
    Ok(render(
        StatusCode::OK,
        &TemplatesPage {
            chrome: Chrome::new(locale, Some(user), "/admin/notifications"),
            templates: all.all().cloned().collect(),
            version: all.version,
        },
    ))
}

#[derive(Template)]
#[template(path = "admin_notification.html")]
struct TemplatePage {
    chrome: Chrome,
    notice: Notice,
    /// The language being worded.
    wording_locale: Locale,
    wording: Wording,
    shipped: Wording,
    changed: bool,
    error: Option<String>,
    saved: bool,
}

impl TemplatePage {
    fn kind_key(&self) -> String {
        format!("wording.kinds.{}", self.notice.kind)
    }

    fn action(&self) -> String {
        format!(
            "/admin/notifications/{}/{}",
            self.notice.kind,
            self.wording_locale.tag()
        )
    }

    fn placeholders(&self) -> String {
        self.notice
            .params
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The kind and language named in the path, if both exist.
async fn named(
    state: &AppState,
    kind: &str,
    tag: &str,
) -> Result<Option<(Notice, Locale)>, ApiError> {
    let all = templates::current(&state.db).await?;
    Ok(match (all.get(kind), Locale::from_tag(tag)) {
        (Some(t), Some(l)) if l.tag() == tag => Some((t.clone(), l)),
        _ => None,
    })
}

struct Shown {
    wording: Option<Wording>,
    error: Option<String>,
    saved: bool,
}

fn template_page(
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    (notice, wording_locale): (Notice, Locale),
    shown: Shown,
) -> Response {
    let path = format!(
        "/admin/notifications/{}/{}",
        notice.kind,
        wording_locale.tag()
    );
    let shipped = notice.shipped[wording_locale.tag()].clone();
    let changed = notice.changed.contains_key(wording_locale.tag());
    let wording = shown
        .wording
        .unwrap_or_else(|| notice.wording(wording_locale).clone());
    render(
        status,
        &TemplatePage {
            chrome: Chrome::new(locale, Some(user), path),
            notice,
            wording_locale,
            wording,
            shipped,
            changed,
            error: shown.error,
            saved: shown.saved,
        },
    )
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn template(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path((kind, tag)): Path<(String, String)>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, ApiError> {
    if !may_word(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let Some(found) = named(&state, &kind, &tag).await? else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let shown = Shown {
        wording: None,
        error: None,
        saved: q.saved.is_some(),
    };
    Ok(template_page(locale, user, StatusCode::OK, found, shown))
}

#[derive(Deserialize)]
pub struct WordingForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    sms: String,
}

pub async fn save_template(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path((kind, tag)): Path<(String, String)>,
    CheckedForm(form): CheckedForm<WordingForm>,
) -> Result<Response, ApiError> {
    if !may_word(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let Some((notice, wording_locale)) = named(&state, &kind, &tag).await? else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let wording = Wording {
        subject: form.subject.trim().to_owned(),
        body: form.body.trim().to_owned(),
        sms: form.sms.trim().to_owned(),
    };
    let ctx = user_context(&user, origin);
    match templates::save(&state.db, &ctx, &kind, wording_locale, wording.clone()).await {
        Ok(()) => {
            let to = format!(
                "/admin/notifications/{kind}/{}?saved=1",
                wording_locale.tag()
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(e @ (NotifyError::Invalid(_) | NotifyError::UnknownPlaceholder { .. })) => {
            let e = ApiError::from(e);
            let shown = Shown {
                wording: Some(wording),
                error: Some(error_message(locale, &e)),
                saved: false,
            };
            let found = (notice, wording_locale);
            Ok(template_page(locale, user, e.status, found, shown))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn reset_template(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path((kind, tag)): Path<(String, String)>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if !may_word(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let Some((_, wording_locale)) = named(&state, &kind, &tag).await? else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let ctx = user_context(&user, origin);
    match templates::reset(&state.db, &ctx, &kind, wording_locale).await {
        Ok(()) | Err(NotifyError::NotFound) => {
            let to = format!("/admin/notifications/{kind}/{}", wording_locale.tag());
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
