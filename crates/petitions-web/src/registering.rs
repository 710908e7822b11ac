//! Registering a petition on a page: the petitioner signed in (online,
//! under their real-name account), or staff for a letter, a visit or a
//! call, with the petitioner's name and a way to reach them. Registered,
//! the petitioner follows it on its case page; staff land on the
//! petition's record, which shows the earlier petitions on the same matter
//! it was linked to. What does not check is shown again as typed, with the
//! message; nothing is stored.

use crate::{errors, work};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::{SessionUser, UserKind};
use egov_kernel::Locale;
use egov_petitions::petition::{Channel, NewPetition, PetitionError, Petitioner};
use egov_petitions::registration::{self, RegistrationError};
use egov_petitions::settings::Settings;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// The registration form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct PetitionForm {
    #[serde(default)]
    department: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    matter: String,
    #[serde(default)]
    request: String,
    #[serde(default)]
    petitioners: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
}

impl PetitionForm {
    /// The petition the form says; `None` for a number of petitioners
    /// that is not a number.
    fn petition(&self) -> Option<NewPetition> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let petitioners = match self.petitioners.trim() {
            "" => None,
            n => Some(n.parse().ok()?),
        };
        Some(NewPetition {
            department: self.department.clone(),
            channel: self.channel.clone(),
            category: self.category.clone(),
            matter: self.matter.clone(),
            request: self.request.clone(),
            petitioners,
            petitioner: Petitioner {
                name: self.name.clone(),
                id_number: some(&self.id_number),
                phone: some(&self.phone),
                address: some(&self.address),
            },
        })
    }
}

/// The form field a refusal is about, to mark and focus.
fn field(e: &PetitionError) -> &'static str {
    match e {
        PetitionError::UnknownAgency(_) => "department",
        PetitionError::Channel => "channel",
        PetitionError::Category(_) => "category",
        PetitionError::Matter | PetitionError::ClosedByRecheck(_) => "matter",
        PetitionError::Request => "request",
        PetitionError::Name | PetitionError::NoRealName => "name",
        PetitionError::IdNumber(_) => "id_number",
        PetitionError::Phone(_) | PetitionError::ContactMissing => "phone",
        PetitionError::Address => "address",
        PetitionError::Petitioners => "petitioners",
    }
}

#[derive(Template)]
#[template(path = "petitions_form.html")]
struct FormPage {
    chrome: Chrome,
    /// Staff registering for someone (else the petitioner online).
    by_staff: bool,
    departments: Vec<(String, String)>,
    channels: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String)>,
    f: PetitionForm,
    error: Option<String>,
    field: Option<&'static str>,
}

fn page(
    directory: &egov_org::Directory,
    locale: Locale,
    user: SessionUser,
    f: PetitionForm,
    error: Option<(String, &'static str)>,
) -> Response {
    let by_staff = user.kind == UserKind::Staff;
    let departments = work::registering_agencies(directory, &user, locale);
    let channels = Channel::BY_STAFF
        .iter()
        .map(|c| {
            let shown = match locale {
                Locale::Zh => c.word(),
                Locale::En => c.word_en(),
            };
            (c.as_str(), shown)
        })
        .collect();
    let categories = Settings::shipped()
        .categories
        .iter()
        .map(|c| {
            let shown = egov_web_kit::page::localized(locale, &c.name, Some(&c.name_en));
            (c.name.clone(), shown)
        })
        .collect();
    let (error, field) = match error {
        Some((m, f)) => (Some(m), Some(f)),
        None => (None, None),
    };
    let path = if by_staff {
        "/petitions/register"
    } else {
        "/petitions/new"
    };
    let page = FormPage {
        chrome: Chrome::new(locale, Some(user), path),
        by_staff,
        departments,
        channels,
        categories,
        f,
        error,
        field,
    };
    render_form(page.error.is_some(), &page)
}

/// `GET /petitions/new` and `/petitions/register`: the form.
pub async fn form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
) -> Result<Response, ApiError> {
    work::may_register(&user)?;
    let directory = egov_org::directory(&state.db).await?;
    let f = PetitionForm {
        channel: Channel::Letter.as_str().into(),
        petitioners: "1".into(),
        ..PetitionForm::default()
    };
    Ok(page(&directory, locale, user, f, None))
}

/// `POST /petitions/new` and `/petitions/register`: registered (on to the
/// case page, or for staff the petition's record), or the form again.
pub async fn register(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    CheckedForm(f): CheckedForm<PetitionForm>,
) -> Result<Response, ApiError> {
    work::may_register(&user)?;
    let caller = page_caller(&user, origin);
    let directory = egov_org::directory(&state.db).await?;
    let Some(registrar) = work::registrar(&directory, &user, &f.department) else {
        return Err(ApiError::forbidden());
    };
    let Some(petition) = f.petition() else {
        let e = errors::registration(PetitionError::Petitioners.into());
        let message = error_message(locale, &e);
        return Ok(page(
            &directory,
            locale,
            user,
            f,
            Some((message, "petitioners")),
        ));
    };
    let registered = registration::register(
        &state.db,
        &caller.context,
        &state.processes,
        &state.calendar,
        registrar,
        petition,
    )
    .await;
    match registered {
        Ok(r) if user.kind == UserKind::Staff => {
            Ok(Redirect::to(&format!("/petitions/{}?done=registered", r.number)).into_response())
        }
        Ok(r) => Ok(Redirect::to(&format!("/cases/{}?done=opened", r.number)).into_response()),
        Err(RegistrationError::Petition(p)) => {
            let at = field(&p);
            let message = error_message(locale, &errors::registration(p.into()));
            Ok(page(&directory, locale, user, f, Some((message, at))))
        }
        Err(e) => Err(errors::registration(e)),
    }
}
