//! The petitions' pages for those who work on them and for petitioners:
//! the list of the petitions one handles or supervises (and a petitioner's
//! way in), one petition's record with who brought it and the petitions on
//! the same matter, and its notices as PDFs. Every view of a record or a
//! notice names the petitioner and leaves an audit record.

use crate::{errors, work};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_identity::UserKind;
use egov_kernel::Locale;
use egov_petitions::matter::LinkKind;
use egov_petitions::notices;
use egov_petitions::petition::Channel;
use egov_petitions::record::{self, Listed, PRINTED, VIEWED};
use egov_petitions::settings::Settings;
use egov_web_kit::auth::{page_caller, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::download::{private_pdf, Disposition};
use egov_web_kit::page::{localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// How many petitions the list shows.
const LISTED: i64 = 100;

/// A petition in the list, its state named.
struct Row {
    p: Listed,
    state: String,
    channel: &'static str,
    category: String,
    due: String,
}

/// A channel's word in `locale`.
fn channel_word(locale: Locale, c: Channel) -> &'static str {
    match locale {
        Locale::Zh => c.word(),
        Locale::En => c.word_en(),
    }
}

/// A kind of matter in `locale`.
fn category_word(locale: Locale, name: &str) -> String {
    Settings::shipped().category(name).map_or_else(
        || name.to_owned(),
        |c| localized(locale, &c.name, Some(&c.name_en)),
    )
}

#[derive(Template)]
#[template(path = "petitions_list.html")]
struct ListPage {
    chrome: Chrome,
    may_register: bool,
    by_staff: bool,
    rows: Vec<Row>,
}

/// The name of state `id` of the petition process, in `locale`.
fn state_name(def: &egov_cases::ProcessDefinition, locale: Locale, id: &str) -> String {
    def.state(id).map_or_else(
        || id.to_owned(),
        |s| localized(locale, &s.name, s.name_en.as_deref()),
    )
}

/// `GET /petitions`: the petitions one handles or supervises; for a
/// resident, the way to bring one (their own are among their cases).
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
) -> Result<Response, ApiError> {
    let chrome = Chrome::new(locale, Some(user.clone()), "/petitions");
    let by_staff = user.kind == UserKind::Staff;
    let rows = match by_staff {
        true => {
            let def = state
                .processes
                .latest(&state.db, egov_petitions::PROCESS)
                .await?;
            let departments = work::listed_departments(&user);
            record::listed(&state.db, departments.as_deref(), LISTED)
                .await?
                .into_iter()
                .map(|p| Row {
                    state: state_name(&def, locale, &p.state),
                    channel: Channel::parse(&p.channel).map_or("", |c| channel_word(locale, c)),
                    category: category_word(locale, &p.category),
                    due: p.due_at.map(|d| chrome.beijing(&d)).unwrap_or_default(),
                    p,
                })
                .collect()
        }
        false => Vec::new(),
    };
    let page = ListPage {
        chrome,
        may_register: work::may_register(&user).is_ok(),
        by_staff,
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
pub struct RecordQuery {
    done: Option<String>,
}

/// A linked petition as the record shows it.
struct LinkedRow {
    number: String,
    kind: &'static str,
    state: String,
    earlier: bool,
}

#[derive(Template)]
#[template(path = "petitions_record.html")]
struct RecordPage {
    chrome: Chrome,
    number: String,
    title: String,
    state: String,
    channel: &'static str,
    category: String,
    registered: String,
    name: String,
    id_number: String,
    phone: String,
    address: String,
    linked: Vec<LinkedRow>,
    notices: Vec<(&'static str, &'static str, String)>,
    registered_now: bool,
}

/// `GET /petitions/{number}`: the petition's record, for those who may see
/// who brought it; the view is audited.
pub async fn petition(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    Query(q): Query<RecordQuery>,
) -> Result<Response, ApiError> {
    let (case, rec) = work::open(&state, &user, &number).await?;
    let caller = page_caller(&user, origin);
    record::audit_view(&state.db, &caller.context, &case, VIEWED).await?;
    let def = state
        .processes
        .get(
            &state.db,
            egov_petitions::PROCESS,
            case.process_version as u32,
        )
        .await?;
    let timeline = egov_cases::case::timeline(&state.db, case.id).await?;
    let chrome = Chrome::new(locale, Some(user), format!("/petitions/{number}"));
    let notices = notices::issued(&timeline)
        .into_iter()
        .map(|i| {
            let name = match locale {
                Locale::Zh => i.notice.name,
                Locale::En => i.notice.name_en,
            };
            (i.notice.kind, name, chrome.beijing(&i.event.at))
        })
        .collect();
    let p = &rec.petitioner;
    let page = RecordPage {
        number: case.number.clone(),
        title: case.title.clone(),
        state: state_name(&def, locale, &case.state),
        channel: channel_word(locale, rec.channel),
        category: category_word(locale, &rec.category),
        registered: chrome.beijing(&rec.created_at),
        name: p.name.clone(),
        id_number: p.id_number.clone().unwrap_or_default(),
        phone: p.phone.clone().unwrap_or_default(),
        address: p.address.clone().unwrap_or_default(),
        linked: rec
            .linked
            .iter()
            .map(|l| LinkedRow {
                number: l.number.clone(),
                kind: match LinkKind::parse(&l.kind) {
                    Some(LinkKind::Repeat) => "petitions.link.repeat",
                    _ => "petitions.link.joint",
                },
                state: state_name(&def, locale, &l.state),
                earlier: l.earlier,
            })
            .collect(),
        notices,
        registered_now: q.done.as_deref() == Some("registered"),
        chrome,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /petitions/{number}/notices/{kind}`: a notice the petition was
/// given, as a PDF to print and send; the view is audited.
pub async fn notice(
    State(state): State<AppState>,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path((number, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (case, rec) = work::open(&state, &user, &number).await?;
    let not_issued =
        || ApiError::not_found("该信访事项尚未出具这份文书", "no such notice was issued");
    let notice = notices::notice(&kind).ok_or_else(not_issued)?;
    let timeline = egov_cases::case::timeline(&state.db, case.id).await?;
    let issued = notices::issued(&timeline)
        .into_iter()
        .find(|i| i.notice == notice)
        .ok_or_else(not_issued)?;
    let def = state
        .processes
        .get(
            &state.db,
            egov_petitions::PROCESS,
            case.process_version as u32,
        )
        .await?;
    let cal = state
        .calendar
        .get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let letter = notices::compose(&state.db, &def, &cal, &case, &rec, &issued)
        .await
        .map_err(errors::notice)?;
    let caller = page_caller(&user, origin);
    record::audit_view(&state.db, &caller.context, &case, PRINTED).await?;
    let bytes = tokio::task::spawn_blocking(move || letter.render())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    private_pdf(bytes, Disposition::Inline, &format!("{kind}-{number}.pdf"))
}
