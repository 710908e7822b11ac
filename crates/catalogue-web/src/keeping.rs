//! The catalogue's forms for the departments that keep it: a resource's
//! data loaded from a CSV or XLSX file on its page (its provider's
//! catalogue administrators), asking for another department's resource
//! on its page, and a sharing request's page where the provider grants or
//! refuses it. Each form is checked against the session's token and acts
//! through the same domain calls as the API.

use crate::pages::{resource_page, Said};
use crate::{errors, keeps};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use egov_catalogue::cells::{check_table, csv_table, xlsx_table};
use egov_catalogue::hosted::{self, LoadMode};
use egov_catalogue::sharing::{self, Answer, Request, Requested};
use egov_catalogue::Catalogue;
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_web_kit::auth::{form_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::i18n::translate;
use egov_web_kit::page::{error_message, error_page, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// The largest data file a page takes.
pub const MAX_DATA_FILE: usize = 20 * 1024 * 1024;

fn refused(message: String) -> Said {
    Said {
        error: Some(message),
        ..Said::default()
    }
}

/// Loads the posted file as the resource's next version, or shows the page
/// again with what is wrong (nothing loaded).
pub async fn upload(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let posted = egov_web_kit::upload::read(multipart, MAX_DATA_FILE, &["csrf", "mode"]).await;
    // A form not of this session is refused before anything is looked up.
    let caller = match &posted {
        Ok(p) => match form_caller(&user, origin, p.field("csrf")) {
            Ok(c) => Some(c),
            Err(_) => return Ok(error_page(locale, StatusCode::FORBIDDEN)),
        },
        Err(_) => None,
    };
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let Some(r) = catalogue.by_code(&code) else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let (posted, caller) = match (posted, caller) {
        (Ok(p), Some(c)) => (p, c),
        (Err(e), _) => {
            let said = refused(error_message(locale, &e));
            return resource_page(&state, locale, Some(user), r, false, said).await;
        }
        (Ok(_), None) => return Ok(error_page(locale, StatusCode::FORBIDDEN)),
    };
    if !keeps(&user, r.department_id) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let mode = if posted.field("mode") == "append" {
        LoadMode::Append
    } else {
        LoadMode::Replace
    };
    let (name, bytes) = &posted.file;
    // An XLSX file is a zip archive; anything else is read as CSV.
    let table = if bytes.starts_with(b"PK") {
        xlsx_table(bytes)
    } else {
        csv_table(bytes)
    };
    let records = match table.and_then(|t| check_table(&r.items, &t)) {
        Ok(records) => records,
        Err(e) => {
            let problem = errors::table(e);
            let mut message = error_message(locale, &problem);
            if let Some(row) = problem.rows.first() {
                message = translate(locale, "catalogue.upload.at")
                    .replace("{row}", &row.row.to_string())
                    .replace("{column}", &row.column)
                    + row.message(locale);
            }
            return resource_page(&state, locale, Some(user), r, false, refused(message)).await;
        }
    };
    let loaded = hosted::load(
        &state.db,
        &caller.context,
        &r.code,
        mode,
        records,
        name,
        Some(user.user_id),
    )
    .await
    .map_err(errors::catalogue)?;
    // The page again, with the new version's rows.
    let said = Said {
        notice: Some(
            translate(locale, "catalogue.upload.done")
                .replace("{version}", &loaded.version.to_string())
                .replace("{rows}", &loaded.rows.to_string()),
        ),
        ..Said::default()
    };
    resource_page(&state, locale, Some(user), r, false, said).await
}

/// A posted form's field `name`, trimmed (empty when it is not there).
pub(crate) fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn fields(form: &[(String, String)]) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v.clone())
        .collect()
}

/// Asks for the resource for the viewer's department.
pub async fn request(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(code): Path<String>,
    CheckedForm(form): CheckedForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let Some(r) = catalogue.by_code(&code) else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let Some(department) = user.department_id.filter(|d| keeps(&user, *d)) else {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    };
    let Ok(until) = field(&form, "until").parse() else {
        let said = refused(translate(locale, "catalogue.request.bad_until").to_owned());
        return resource_page(&state, locale, Some(user), r, false, said).await;
    };
    let req = Request {
        resource: r.code.clone(),
        consumer_id: department,
        purpose: field(&form, "purpose"),
        fields: fields(&form),
        until,
        user_id: Some(user.user_id),
    };
    let ctx = egov_web_kit::auth::page_caller(&user, origin).context;
    let said = match sharing::request(&state.db, &ctx, &state.processes, req).await {
        Ok(Requested::Granted(_)) => Said {
            notice: Some(translate(locale, "catalogue.request.granted").to_owned()),
            ..Said::default()
        },
        Ok(Requested::Pending(number)) => Said {
            notice: Some(
                translate(locale, "catalogue.request.pending").replace("{number}", &number),
            ),
            link: Some(format!("/catalogue/requests/{number}")),
            ..Said::default()
        },
        Err(e) => {
            let problem = errors::sharing(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            refused(error_message(locale, &problem))
        }
    };
    resource_page(&state, locale, Some(user), r, false, said).await
}

#[derive(Template)]
#[template(path = "catalogue_request.html")]
struct RequestPage {
    chrome: Chrome,
    p: sharing::Pending,
    state_name: String,
    resource_name: String,
    consumer_name: String,
    field_titles: Vec<String>,
    /// The fields asked for: name and title.
    fields: Vec<(String, String)>,
    due: Option<String>,
    may_answer: bool,
    error: Option<String>,
}

async fn request_page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    number: &str,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let (p, case) = match sharing::pending(&state.db, number).await {
        Ok(found) => found,
        Err(sharing::SharingError::NoRequest(_)) => {
            return Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(errors::sharing(e)),
    };
    let directory = egov_org::directory(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let consumer = directory.by_code(&p.consumer).map(|d| d.id);
    // The provider's and the consumer's catalogue keepers see it.
    let may_answer = keeps(&user, p.provider_id);
    if !may_answer && !consumer.is_some_and(|c| keeps(&user, c)) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let resource = catalogue.by_code(&p.resource);
    let title = |f: &str| {
        resource
            .and_then(|r| r.item(f))
            .map_or_else(|| f.to_owned(), |i| i.title.clone())
    };
    let chrome = Chrome::new(locale, Some(user), format!("/catalogue/requests/{number}"));
    let state_name = match p.state.as_str() {
        "review" => translate(locale, "catalogue.request.state_review"),
        "granted" => translate(locale, "catalogue.request.state_granted"),
        _ => translate(locale, "catalogue.request.state_refused"),
    }
    .to_owned();
    let page = RequestPage {
        state_name,
        resource_name: resource.map_or_else(|| p.resource.clone(), |r| r.name.clone()),
        consumer_name: directory
            .by_code(&p.consumer)
            .map_or_else(|| p.consumer.clone(), |d| d.name_in(locale).to_owned()),
        field_titles: p.fields.iter().map(|f| title(f)).collect(),
        fields: p.fields.iter().map(|f| (f.clone(), title(f))).collect(),
        due: case.due_at.map(|d| chrome.beijing(&d)),
        may_answer: may_answer && p.state == "review",
        error,
        p,
        chrome,
    };
    Ok(render_form(page.error.is_some(), &page))
}

/// A sharing request's page.
pub async fn show_request(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    request_page(&state, locale, user, &number, None).await
}

/// The provider's answer from the request's page.
pub async fn answer(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let p = match sharing::pending(&state.db, &number).await {
        Ok((p, _)) => p,
        Err(sharing::SharingError::NoRequest(_)) => {
            return Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(errors::sharing(e)),
    };
    if !keeps(&user, p.provider_id) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let decision = if field(&form, "decision") == "grant" {
        Answer::Grant {
            fields: Some(fields(&form)),
            until: field(&form, "until").parse().ok(),
        }
    } else {
        Answer::Refuse {
            reason: field(&form, "reason"),
        }
    };
    let ctx = egov_web_kit::auth::page_caller(&user, origin).context;
    match sharing::answer(
        &state.db,
        &ctx,
        &state.processes,
        &number,
        Some(user.user_id),
        decision,
    )
    .await
    {
        Ok(_) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            &format!("/catalogue/requests/{number}"),
        ))),
        Err(e) => {
            let problem = errors::sharing(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            let message = error_message(locale, &problem);
            request_page(&state, locale, user, &number, Some(message)).await
        }
    }
}
