//! The report page a resident uses on a phone (choose what the problem is,
//! put it on the map, say what is wrong, add photos); its follow link
//! opens the page of `follow.rs`.

use crate::posted::{self, first};
use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_grid::classes::{Datatype, Service};
use egov_grid::intake::{self, Channel, ReportError};
use egov_grid::layers::grid;
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_web_kit::auth::{form_caller, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_page, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// A sub-class to choose, under its class.
pub struct Choice {
    pub code: String,
    pub name: String,
}

pub struct ChoiceGroup {
    pub name: String,
    pub choices: Vec<Choice>,
}

/// One of the chosen sub-class's questions, as the form asks it.
pub struct Question {
    /// The field's name: `attribute[CODE]`, or `attribute[CODE][]` for a
    /// multi-value list.
    pub field: String,
    pub id: String,
    pub label: String,
    pub required: bool,
    /// `select`, `checkboxes`, `textarea`, `number`, `datetime-local` or `text`.
    pub widget: &'static str,
    pub choices: Vec<(String, String, bool)>,
    pub value: String,
}

#[derive(Template)]
#[template(path = "grid_report.html")]
struct ReportPage {
    chrome: Chrome,
    groups: Vec<ChoiceGroup>,
    /// The chosen sub-class: its code and name, and what happens next.
    chosen: Option<(String, String, String)>,
    questions: Vec<Question>,
    lat: String,
    long: String,
    address: String,
    description: String,
    error: Option<String>,
    limit: usize,
    photos_hint: String,
    /// Civil servants report as patrollers or take 12345 calls.
    staff: bool,
    hotline: bool,
    caller_phone: String,
}

#[derive(Deserialize)]
pub struct ReportQuery {
    service: Option<String>,
}

pub(crate) fn localized(locale: Locale, zh: &str, en: &str) -> String {
    match locale {
        Locale::En if !en.is_empty() => en.to_owned(),
        _ => zh.to_owned(),
    }
}

fn deadline_text(locale: Locale, s: Service<'_>) -> String {
    let d = s.sub.deadline;
    let unit = match (d.unit, locale) {
        (egov_grid::classes::DeadlineUnit::Hour, Locale::Zh) => "个工作小时",
        (egov_grid::classes::DeadlineUnit::Workday, Locale::Zh) => "个工作日",
        (egov_grid::classes::DeadlineUnit::Hour, Locale::En) => " working hours",
        (egov_grid::classes::DeadlineUnit::Workday, Locale::En) => " working days",
    };
    match locale {
        Locale::Zh => format!("立案派遣后，责任单位须在 {}{unit}内处置。", d.amount),
        Locale::En => format!(
            "Once filed and dispatched, the department has {}{unit} to deal with it.",
            d.amount
        ),
    }
}

/// What was typed, to show again after a refusal.
#[derive(Default)]
struct Typed {
    fields: Vec<(String, String)>,
    error: Option<String>,
}

async fn show(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    service: Option<&str>,
    typed: Typed,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let g = grid(&state.db).await.map_err(ApiError::internal)?;
    let groups = g
        .classes
        .classes
        .iter()
        .map(|c| ChoiceGroup {
            name: format!(
                "{}{}{}",
                localized(locale, c.kind.name(), c.kind.name_en()),
                match locale {
                    Locale::Zh => "·",
                    Locale::En => ": ",
                },
                localized(locale, &c.name, &c.name_en)
            ),
            choices: c
                .subs
                .iter()
                .map(|s| Choice {
                    code: format!("{}{}", c.kind.letter(), s.code),
                    name: localized(locale, &s.name, &s.name_en),
                })
                .collect(),
        })
        .collect();
    let chosen = service.and_then(|code| g.classes.service(code));
    let values = |name: &str| -> Vec<&str> {
        typed
            .fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let questions = chosen
        .map(|s| {
            s.sub
                .attributes
                .iter()
                .map(|a| {
                    let multiple = a.datatype == Datatype::Multivaluelist;
                    let field = if multiple {
                        format!("attribute[{}][]", a.code)
                    } else {
                        format!("attribute[{}]", a.code)
                    };
                    let given = values(&field);
                    Question {
                        id: format!("q-{}", a.code),
                        label: localized(locale, &a.description, &a.description_en),
                        required: a.required,
                        widget: match a.datatype {
                            Datatype::Singlevaluelist => "select",
                            Datatype::Multivaluelist => "checkboxes",
                            Datatype::Text => "textarea",
                            Datatype::Number => "number",
                            Datatype::Datetime => "datetime-local",
                            Datatype::String => "text",
                        },
                        choices: a
                            .values
                            .iter()
                            .map(|c| {
                                (
                                    c.key.clone(),
                                    c.name.clone(),
                                    given.contains(&c.key.as_str()),
                                )
                            })
                            .collect(),
                        value: given.first().map(|v| (*v).to_owned()).unwrap_or_default(),
                        field,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let text = |k: &str| first(&typed.fields, k).unwrap_or_default().to_owned();
    let staff = !user.roles.is_empty();
    let page = ReportPage {
        chrome: Chrome::new(locale, Some(user), "/grid/report"),
        groups,
        chosen: chosen.map(|s| {
            (
                s.code(),
                localized(locale, &s.sub.name, &s.sub.name_en),
                deadline_text(locale, s),
            )
        }),
        questions,
        lat: text("lat"),
        long: text("long"),
        address: text("address_string"),
        description: text("description"),
        error: typed.error,
        limit: intake::DESCRIPTION_LIMIT,
        staff,
        hotline: first(&typed.fields, "channel") == Some("hotline"),
        caller_phone: text("caller_phone"),
        photos_hint: egov_web_kit::i18n::count(
            locale,
            "grid.report.photos_hint",
            egov_grid::photos::MAX_PHOTOS as i64,
        ),
    };
    Ok(render(status, &page))
}

/// `GET /grid/report`: choose what the problem is, then describe it.
pub async fn report_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let service = q.service.as_deref().filter(|s| !s.is_empty());
    show(
        &state,
        locale,
        user,
        service,
        Typed::default(),
        StatusCode::OK,
    )
    .await
}

/// What to tell the reporter about a refused report, in their language.
fn refusal(locale: Locale, e: &ReportError) -> Option<String> {
    let pick = |zh: String, en: String| match locale {
        Locale::Zh => zh,
        Locale::En => en,
    };
    let said = match e {
        ReportError::NoLocation => pick(
            "请在地图上点出问题所在位置，或使用“我的位置”".into(),
            "Mark where the problem is on the map, or use your location".into(),
        ),
        ReportError::OutsideTheGrid => pick(
            "该位置不在本市网格范围内".into(),
            "That place lies outside the city's grid".into(),
        ),
        ReportError::Photo { position, error } => {
            let (zh, en) = posted::photo_messages(*position, error);
            pick(zh, en)
        }
        ReportError::UnknownService(_) => pick(
            "请选择问题类别".into(),
            "Choose what kind of problem it is".into(),
        ),
        ReportError::DescriptionTooLong => pick(
            format!("问题描述不能超过 {} 字", intake::DESCRIPTION_LIMIT),
            e.to_string(),
        ),
        ReportError::Attribute(a) => pick(format!("请回答所有必答问题（{a}）"), a.to_string()),
        ReportError::TooLong { .. } | ReportError::UnknownCell(_) | ReportError::MediaUrl => {
            pick(format!("填写的内容有误：{e}"), e.to_string())
        }
        ReportError::Files(_) | ReportError::Layers(_) | ReportError::Store(_) => return None,
    };
    Some(said)
}

/// `POST /grid/report`: the report, with its photos (multipart, CSRF in
/// the form); on success the reporter lands on its follow page.
pub async fn report(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    request: Request,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let (form, photos) = match posted::read(&state, request).await {
        Ok(read) => read,
        Err(e) => {
            let (zh, en) = e.messages();
            let error = Some(match locale {
                Locale::Zh => zh,
                Locale::En => en,
            });
            let typed = Typed {
                fields: Vec::new(),
                error,
            };
            return show(&state, locale, user, None, typed, StatusCode::BAD_REQUEST).await;
        }
    };
    if form_caller(&user, origin, first(&form, "csrf").unwrap_or_default()).is_err() {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    // A staff member reports from the street as a patroller (监督员), or
    // types in a 12345 call with the caller's number for the call-back.
    let staff = !user.roles.is_empty();
    let channel = match (staff, first(&form, "channel")) {
        (false, _) => Channel::Citizen,
        (true, Some("hotline")) => Channel::Hotline,
        (true, _) => Channel::Patroller,
    };
    let caller_phone = match (channel, first(&form, "caller_phone")) {
        (Channel::Hotline, Some(p)) => Some(p.to_owned()),
        _ => None,
    };
    let service = first(&form, "service_code").map(str::to_owned);
    let refused = |error: String, form: Vec<(String, String)>| {
        let user = user.clone();
        let state = state.clone();
        let service = service.clone();
        async move {
            let typed = Typed {
                fields: form,
                error: Some(error),
            };
            show(
                &state,
                locale,
                user,
                service.as_deref(),
                typed,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    };
    let mut new = match posted::new_report(channel, &form, photos) {
        Ok(new) => new,
        Err(e) => {
            let (zh, en) = e.messages();
            let said = match locale {
                Locale::Zh => zh,
                Locale::En => en,
            };
            return refused(said, form).await;
        }
    };
    // The page asks nothing of the reporter but the problem: who they are
    // is their account (and, for a call, the caller's number).
    new.reporter = intake::Reporter::default();
    if let Some(phone) = caller_phone {
        match egov_kernel::identifier::MobileNumber::parse(&phone) {
            Ok(p) => new.reporter.phone = Some(p.as_str().to_owned()),
            Err(_) => {
                let said = match locale {
                    Locale::Zh => "来电号码须为 11 位手机号码".to_owned(),
                    Locale::En => {
                        "The caller's number must be an 11-digit mobile number".to_owned()
                    }
                };
                return refused(said, form).await;
            }
        }
    }
    new.media_url = None;
    new.user_id = Some(user.user_id);
    match intake::submit(&state.db, &state.files, new).await {
        Ok(received) => {
            Ok(Redirect::to(&format!("/grid/follow/{}", received.token)).into_response())
        }
        Err(e) => match refusal(locale, &e) {
            Some(said) => refused(said, form).await,
            None => Err(ApiError::internal(e)),
        },
    }
}
