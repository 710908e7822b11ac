//! Applying online, in short steps (the pattern of GOV.UK's services):
//! begin (or resume) a draft from an item's guide; 1. fill the item's form;
//! 2. upload each material in its own slot; 3. check the answers and file
//! it once. Each step is a page of its own, so nothing typed on one is lost
//! by acting on another. Filing opens the case; the applicant lands on its
//! page, which says what happens next.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_cases::Violation;
use egov_cases_web::forms::{self, FormField};
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_services::application::{self, AppFile, Application};
use egov_services::Guide;
use egov_web_kit::auth::{form_caller, page_caller};
use egov_web_kit::auth::{CheckedForm, PageUser, CITIZEN};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::HashMap;

pub struct MaterialRow {
    pub index: usize,
    pub name: String,
    pub required: bool,
    pub later: bool,
    pub form: String,
    pub note: String,
    pub files: Vec<AppFile>,
    /// The name, form and note in English where the guide gives them.
    pub name_en: Option<String>,
    pub form_en: Option<String>,
    pub note_en: Option<String>,
    /// The wallet's certificates that may be given for it instead of a file.
    pub certificates: Vec<WalletOption>,
}

/// What the wallet's choice posts for the applicant's verified identity.
const IDENTITY: &str = "identity";

/// A certificate the applicant may pick from the wallet.
pub struct WalletOption {
    pub code: String,
    pub label: String,
}

/// Whether the wallet's certificate `name` may be given for material `m`:
/// the guide takes an electronic certificate for it, or names it.
fn offers(m: &egov_services::Material, name: &str) -> bool {
    m.form.contains("电子证照") || m.name.contains(name) || name.contains(m.name.as_str())
}

/// The steps of an application, each a page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Step {
    Form,
    Materials,
    Check,
}

impl Step {
    fn path(self, id: i64) -> String {
        match self {
            Step::Form => format!("/applications/{id}"),
            Step::Materials => format!("/applications/{id}/materials"),
            Step::Check => format!("/applications/{id}/check"),
        }
    }
}

/// One answer on the check page: the question and what was given.
pub struct Answer {
    pub label: String,
    pub value: String,
    /// Required and not given: filing will be refused until it is.
    pub missing: bool,
    /// Where to change it.
    pub href: String,
}

#[derive(Template)]
#[template(path = "application.html")]
struct DraftPage {
    chrome: Chrome,
    step: Step,
    a: Application,
    guide: Guide,
    /// The form's answers as the check page lists them.
    answers: Vec<Answer>,
    /// The item's form, filled with what was saved or just posted.
    fields: Vec<FormField>,
    /// An item's form has no department field; the shared inputs ask.
    no_departments: Vec<egov_cases_web::forms::DepartmentOption>,
    materials: Vec<MaterialRow>,
    missing: Vec<String>,
    /// A fresh key per page: a double click on this form files once.
    key: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// How the draft page is shown: after a redirect, or again with a refusal.
#[derive(Default)]
struct Shown {
    status: Option<StatusCode>,
    error: Option<String>,
    notice: Option<&'static str>,
    /// The form as posted (not yet saved) and its violations.
    form: Option<(HashMap<String, String>, Vec<Violation>)>,
}

/// A step in the steps' navigation.
pub struct StepLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

impl DraftPage {
    /// The item's name in the page's language.
    fn item(&self) -> egov_web_kit::page::Said<'_> {
        self.chrome
            .said(&self.guide.name, self.guide.name_en.as_deref())
    }

    /// A material of the guide, named in the page's language.
    fn material<'a>(&'a self, zh: &'a str) -> egov_web_kit::page::Said<'a> {
        let en = self
            .guide
            .materials
            .iter()
            .find(|m| m.name == zh)
            .and_then(|m| m.name_en.as_deref());
        self.chrome.said(zh, en)
    }

    fn steps(&self) -> Vec<StepLink> {
        [
            (Step::Form, "apply.step1"),
            (Step::Materials, "apply.step2"),
            (Step::Check, "apply.step3"),
        ]
        .into_iter()
        .map(|(step, label)| StepLink {
            label,
            href: step.path(self.a.id),
            current: step == self.step,
        })
        .collect()
    }
}

/// What an answer reads as on the check page.
fn answer_text(locale: Locale, kind: &str, value: &str, required: bool) -> String {
    let words = |key| egov_web_kit::i18n::translate(locale, key).to_owned();
    match (kind, value.trim()) {
        (_, "") if required => words("apply.answer.missing"),
        (_, "") => words("apply.answer.none"),
        ("check", "false" | "off") => words("apply.answer.no"),
        ("check", _) => words("apply.answer.yes"),
        (_, value) => value.to_owned(),
    }
}

async fn show(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    id: i64,
    step: Step,
    shown: Shown,
) -> Result<Response, ApiError> {
    let a = match application::mine(&state.db, id, crate::work::party(&user)).await {
        Ok(a) => a,
        Err(application::ApplicationError::NotFound) => {
            return Ok(egov_web_kit::page::error_page(
                locale,
                StatusCode::NOT_FOUND,
            ))
        }
        Err(e) => return Err(crate::errors::application_problem(e)),
    };
    if let (false, Some(case_id)) = (a.is_draft(), a.case_id) {
        let case = egov_cases::get(&state.db, case_id).await?;
        return Ok(Redirect::to(&format!("/cases/{}", case.number)).into_response());
    }
    let guide = application::guide_of(&state.db, &a)
        .await
        .map_err(crate::errors::application_problem)?;
    let (posted, violations) = shown
        .form
        .unwrap_or_else(|| (forms::posted(&a.form()), Vec::new()));
    let fields = forms::draw(locale, guide.fields.as_ref(), &posted, &violations);
    let note = posted.get("note").cloned();
    let files = application::files(&state.db, id)
        .await
        .map_err(crate::errors::application_problem)?;
    let missing = application::missing(&guide, &files);
    let wallet = if step == Step::Materials {
        let party = crate::work::party(&user);
        egov_services::certificates::wallet(&state.db, party).await?
    } else {
        Vec::new()
    };
    let offer_identity = |m: &egov_services::Material| {
        step == Step::Materials
            && egov_services::certificates::identity_stands_for(
                user.assurance_level,
                user.enterprise_id.is_some(),
                &m.name,
            )
    };
    let materials = guide
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| MaterialRow {
            certificates: offer_identity(m)
                .then(|| WalletOption {
                    code: IDENTITY.to_owned(),
                    label: egov_web_kit::i18n::translate(locale, "wallet.identity")
                        .replace("{level}", &user.assurance_level.to_string()),
                })
                .into_iter()
                .chain(
                    wallet
                        .iter()
                        .filter(|c| offers(m, &c.name))
                        .map(|c| WalletOption {
                            code: c.code.clone(),
                            label: match locale {
                                egov_kernel::Locale::Zh => {
                                    format!("{}（{}，{}）", c.name, c.issuer_name, c.code)
                                }
                                egov_kernel::Locale::En => {
                                    format!("{} ({}, {})", c.name, c.issuer_name, c.code)
                                }
                            },
                        }),
                )
                .collect(),
            name_en: m.name_en.clone(),
            form_en: m.form_en.clone(),
            note_en: m.note_en.clone(),
            index: i,
            name: m.name.clone(),
            required: m.required,
            later: m.later,
            form: m.form.clone(),
            note: m.note.clone(),
            files: files
                .iter()
                .filter(|f| f.material as usize == i)
                .cloned()
                .collect(),
        })
        .collect();
    let mut a = a;
    if let Some(note) = note {
        a.note = note;
    }
    let answers = if step == Step::Check {
        let form = Step::Form.path(id);
        let mut answers: Vec<Answer> = fields
            .iter()
            .map(|f| Answer {
                label: f.label.clone(),
                value: answer_text(locale, f.kind, &f.value, f.required),
                missing: f.required && f.value.trim().is_empty(),
                href: format!("{form}#{}", f.id("apply")),
            })
            .collect();
        answers.push(Answer {
            label: egov_web_kit::i18n::translate(locale, "apply.note").to_owned(),
            value: answer_text(locale, "text", &a.note, false),
            missing: false,
            href: format!("{form}#note"),
        });
        answers
    } else {
        Vec::new()
    };
    Ok(render(
        shown.status.unwrap_or(StatusCode::OK),
        &DraftPage {
            chrome: Chrome::new(locale, Some(user), step.path(id)),
            step,
            a,
            guide,
            answers,
            fields,
            no_departments: Vec::new(),
            materials,
            missing,
            key: egov_identity::random_secret(),
            error: shown.error,
            notice: shown.notice,
        },
    ))
}

/// Shows the draft again with a refusal, or passes a server error on. A
/// form refusal marks its fields; `posted` is what was typed, if anything.
/// The step that shows a refusal: the form for its fields, the materials
/// for what is missing or was refused, else the step it was asked on.
async fn refused(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    id: i64,
    step: Step,
    e: application::ApplicationError,
    posted: Option<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let step = match &e {
        application::ApplicationError::Form(_) => Step::Form,
        application::ApplicationError::Missing(_) => Step::Materials,
        _ => step,
    };
    let (e, violations) = match e {
        application::ApplicationError::Form(v) => {
            let e = ApiError::validation("请检查标出的内容", "please check the marked fields");
            (e, v)
        }
        other => (crate::errors::application_problem(other), Vec::new()),
    };
    if e.status.is_server_error() {
        return Err(e);
    }
    if e.status == StatusCode::NOT_FOUND {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::NOT_FOUND,
        ));
    }
    // Filed meanwhile (another tab): there is no draft to show it on.
    if !application::mine(&state.db, id, crate::work::party(&user))
        .await
        .map_err(crate::errors::application_problem)?
        .is_draft()
    {
        let msg = error_message(locale, &e);
        let heading = egov_web_kit::i18n::translate(locale, "apply.heading");
        return Ok(egov_web_kit::page::message_page(
            locale, e.status, heading, &msg,
        ));
    }
    let form = match (posted, violations.is_empty()) {
        (Some(posted), _) => Some((posted, violations)),
        // Filing refused the saved form: show it with its marks.
        (None, false) => {
            let a = application::mine(&state.db, id, crate::work::party(&user))
                .await
                .map_err(crate::errors::application_problem)?;
            Some((forms::posted(&a.form()), violations))
        }
        (None, true) => None,
    };
    let shown = Shown {
        status: Some(e.status),
        error: Some(error_message(locale, &e)),
        form,
        ..Shown::default()
    };
    show(state, locale, user, id, step, shown).await
}

fn back(id: i64, step: Step, done: &str) -> Response {
    Redirect::to(&format!("{}?done={done}", step.path(id))).into_response()
}

/// Begins the applicant's draft for an item, or resumes it.
pub async fn begin(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(code): Path<String>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    }
    let caller = page_caller(&user, origin);
    let applicant = crate::work::as_applicant(&user);
    match application::draft(&state.db, &caller.context, &code, applicant).await {
        Ok(a) => Ok(Redirect::to(&format!("/applications/{}", a.id)).into_response()),
        Err(application::ApplicationError::NotOffered)
        | Err(application::ApplicationError::Registry(egov_services::RegistryError::Unknown(_))) => {
            Ok(egov_web_kit::page::error_page(
                locale,
                StatusCode::NOT_FOUND,
            ))
        }
        Err(e) => {
            let e = crate::errors::application_problem(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            let msg = error_message(locale, &e);
            Ok(egov_web_kit::page::message_page(
                locale,
                e.status,
                egov_web_kit::i18n::translate(locale, "apply.heading"),
                &msg,
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn step_page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    id: i64,
    step: Step,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    let notice = match done {
        Some("file") => Some("apply.done.file"),
        Some("saved") => Some("apply.done.saved"),
        _ => None,
    };
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    show(state, locale, user, id, step, shown).await
}

/// Step 1: the item's form and the note.
pub async fn draft(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, ApiError> {
    step_page(&state, locale, user, id, Step::Form, q.done.as_deref()).await
}

/// Step 2, `materials` (one upload slot per material), or step 3, `check`
/// (the answers and the materials to check, and filing).
pub async fn later_step(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
    Path((id, step)): Path<(i64, String)>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, ApiError> {
    let step = match step.as_str() {
        "materials" => Step::Materials,
        "check" => Step::Check,
        _ => {
            return Ok(egov_web_kit::page::error_page(
                locale,
                StatusCode::NOT_FOUND,
            ))
        }
    };
    step_page(&state, locale, user, id, step, q.done.as_deref()).await
}

/// A material's file: the form's CSRF field and material index travel in
/// the multipart body, checked before anything is stored.
pub async fn upload(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    }
    let max = state.settings.max_upload_bytes;
    let posted = match egov_web_kit::upload::read(multipart, max, &["csrf", "material"]).await {
        Ok(p) => p,
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let msg = error_message(locale, &e);
            let shown = Shown {
                status: Some(e.status),
                error: Some(msg),
                ..Shown::default()
            };
            return show(&state, locale, user, id, Step::Materials, shown).await;
        }
        Err(e) => return Err(e),
    };
    let Ok(caller) = form_caller(&user, origin, posted.field("csrf")) else {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    };
    let result = crate::work::add_posted(
        &state,
        &caller.context,
        id,
        crate::work::party(&user),
        posted,
    )
    .await;
    match result {
        Ok(_) => Ok(back(id, Step::Materials, "file")),
        Err(e) => refused(&state, locale, user, id, Step::Materials, e, None).await,
    }
}

#[derive(Deserialize)]
pub struct CertificateForm {
    material: usize,
    certificate: String,
}

/// Gives a certificate from the wallet for a material, instead of a file.
pub async fn give_certificate(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    CheckedForm(form): CheckedForm<CertificateForm>,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    }
    let caller = page_caller(&user, origin);
    let party = crate::work::party(&user);
    // The wallet also holds the identity the platform verified.
    let given = if form.certificate == IDENTITY {
        crate::work::add_identity(&state, &caller.context, id, &user, form.material).await
    } else {
        crate::work::add_certificate(
            &state,
            &caller.context,
            id,
            party,
            form.material,
            &form.certificate,
            &headers,
        )
        .await
    };
    match given {
        Ok(_) => Ok(back(id, Step::Materials, "file")),
        Err(e) if e.status.is_client_error() => {
            let shown = Shown {
                status: Some(e.status),
                error: Some(error_message(locale, &e)),
                ..Shown::default()
            };
            show(&state, locale, user, id, Step::Materials, shown).await
        }
        Err(e) => Err(e),
    }
}

/// Saves the item's form and the note (the page's `f_` fields and `note`);
/// "save and continue" (`then=materials`) goes on to the materials.
pub async fn save(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let caller = page_caller(&user, origin);
    let guide = match application::mine(&state.db, id, crate::work::party(&user)).await {
        Ok(a) => application::guide_of(&state.db, &a)
            .await
            .map_err(crate::errors::application_problem)?,
        Err(e) => return refused(&state, locale, user, id, Step::Form, e, None).await,
    };
    let data = forms::read(guide.fields.as_ref(), &form);
    let note = get("note").to_owned();
    let next = match get("then") {
        "materials" => Step::Materials,
        _ => Step::Form,
    };
    match application::save(
        &state.db,
        &caller.context,
        id,
        crate::work::party(&user),
        &data,
        &note,
    )
    .await
    {
        Ok(()) => Ok(back(id, next, "saved")),
        Err(e) => refused(&state, locale, user, id, Step::Form, e, Some(form)).await,
    }
}

#[derive(Deserialize)]
pub struct SubmitForm {
    key: String,
}

/// Files the application; the applicant lands on the new case.
pub async fn submit(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<SubmitForm>,
) -> Result<Response, ApiError> {
    if user.view_only {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::FORBIDDEN,
        ));
    }
    let caller = page_caller(&user, origin);
    if form.key.len() < 16 || form.key.len() > 128 {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::BAD_REQUEST,
        ));
    }
    let cal = state.calendar().await?;
    let result = application::submit(
        &state.db,
        &caller.context,
        &cal,
        &state.processes,
        id,
        crate::work::party(&user),
        &form.key,
    )
    .await;
    match result {
        Ok(case) => {
            Ok(Redirect::to(&format!("/cases/{}?done=opened", case.number)).into_response())
        }
        Err(e) => refused(&state, locale, user, id, Step::Check, e, None).await,
    }
}
