//! Petitions over the API: a resident's own software brings a petition; an
//! agency's systems (signed in as its staff) register letters, visits and
//! calls, list the petitions they handle and read one with its petitioner
//! (audited). The steps of a petition are the case engine's
//! (`/api/v1/cases/{number}/actions`).

use crate::{errors, work};
use axum::extract::State;
use axum::http::StatusCode;
use egov_kernel::time::Timestamp;
use egov_petitions::petition::{NewPetition, Petitioner};
use egov_petitions::record::{self, VIEWED};
use egov_petitions::registration;
use egov_web_kit::api::{ApiJson, ApiPath};
use egov_web_kit::auth::{require_user, ApiCaller};
use egov_web_kit::problem::{answers, ApiError};
use egov_web_kit::state::AppState;
use serde::Serialize;
use utoipa::ToSchema;

pub const TAG_PETITIONS: &str = "petitions";

/// An earlier petition a new one was linked to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    /// The earlier petition's case number.
    pub number: String,
    /// `repeat` (the same person) or `joint` (another person, the same matter).
    pub kind: String,
}

/// Another petition on the same matter.
#[derive(Debug, Serialize, ToSchema)]
pub struct Linked {
    pub number: String,
    /// `repeat` or `joint`.
    pub kind: String,
    /// Its state in the petition process.
    pub state: String,
    /// Whether it came before this one.
    pub earlier: bool,
}

/// A petition in a list (without its petitioner).
#[derive(Debug, Serialize, ToSchema)]
pub struct Listed {
    pub number: String,
    pub title: String,
    pub state: String,
    /// `online`, `letter`, `visit` or `phone`.
    pub channel: String,
    pub category: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
}

/// A petition registered: its number, and the earlier petitions on the
/// same matter it was linked to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub number: String,
    pub links: Vec<Link>,
}

/// Registers a petition brought to the agency `department` (its code): a
/// resident's own, online, under their real-name account; or, by staff of
/// that agency, a letter, a visit or a call (`channel`) with the
/// `petitioner`'s name and a phone or an address. A case at once, to be
/// accepted or refused within 15 days. A petition by the same person on a
/// matter closed by 复核 is refused (409 `matter_closed`).
#[utoipa::path(post, operation_id = "petitions_register", path = "/api/v1/petitions", tag = TAG_PETITIONS,
    request_body(content = Object, content_type = "application/json",
        description = "department, channel (letter, visit, phone: staff only), category (a kind of matter of data/petitions/petitions.toml), matter (the facts), request (what is asked for), petitioners (how many, default 1), petitioner {name, id_number, phone, address} (staff only)"),
    responses((status = 201, body = Registered),
              answers::BadRequest,
              answers::Unauthorized,
              answers::Forbidden,
              answers::NotFound,
              answers::Conflict,
              answers::UnsupportedMediaType,
              answers::Unprocessable))]
pub async fn register(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(petition): ApiJson<NewPetition>,
) -> Result<(StatusCode, ApiJson<Registered>), ApiError> {
    let user = require_user(&caller)?;
    work::may_register(user)?;
    let directory = egov_org::directory(&state.db).await?;
    let registrar =
        work::registrar(&directory, user, &petition.department).ok_or_else(ApiError::forbidden)?;
    let r = registration::register(
        &state.db,
        &caller.context,
        &state.processes,
        &state.calendar,
        registrar,
        petition,
    )
    .await
    .map_err(errors::registration)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(Registered {
            number: r.number,
            links: r
                .links
                .into_iter()
                .map(|l| Link {
                    number: l.number,
                    kind: l.kind,
                })
                .collect(),
        }),
    ))
}

/// The petitions the caller handles or supervises, open ones first, newest
/// first (without petitioners).
#[utoipa::path(get, operation_id = "petitions_list", path = "/api/v1/petitions", tag = TAG_PETITIONS,
    responses((status = 200, body = Vec<Listed>), answers::Unauthorized, answers::Forbidden))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<ApiJson<Vec<Listed>>, ApiError> {
    let user = require_user(&caller)?;
    let departments = work::listed_departments(user);
    if departments.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::forbidden());
    }
    let listed = record::listed(&state.db, departments.as_deref(), 100).await?;
    Ok(ApiJson(
        listed
            .into_iter()
            .map(|p| Listed {
                number: p.number,
                title: p.title,
                state: p.state,
                channel: p.channel,
                category: p.category,
                created_at: p.created_at,
                due_at: p.due_at,
            })
            .collect(),
    ))
}

/// A petition's record.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionView {
    pub number: String,
    pub title: String,
    pub state: String,
    /// `online`, `letter`, `visit` or `phone`.
    pub channel: String,
    pub category: String,
    pub petitioner: PetitionerView,
    pub linked: Vec<Linked>,
}

/// Who brought a petition.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionerView {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

impl From<Petitioner> for PetitionerView {
    fn from(p: Petitioner) -> Self {
        PetitionerView {
            name: p.name,
            id_number: p.id_number,
            phone: p.phone,
            address: p.address,
        }
    }
}

/// A petition with who brought it and the petitions on the same matter:
/// for the staff handling it, supervisors and the petitioner. Every read
/// is audited.
#[utoipa::path(get, operation_id = "petitions_get", path = "/api/v1/petitions/{number}", tag = TAG_PETITIONS,
    params(("number" = String, Path, description = "The petition's case number")),
    responses((status = 200, body = PetitionView), answers::Unauthorized, answers::Forbidden, answers::NotFound))]
pub async fn petition(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(number): ApiPath<String>,
) -> Result<ApiJson<PetitionView>, ApiError> {
    let user = require_user(&caller)?;
    let (case, rec) = work::open(&state, user, &number).await?;
    record::audit_view(&state.db, &caller.context, &case, VIEWED).await?;
    Ok(ApiJson(PetitionView {
        number: case.number,
        title: case.title,
        state: case.state,
        channel: rec.channel.as_str().to_owned(),
        category: rec.category,
        petitioner: rec.petitioner.into(),
        linked: rec
            .linked
            .into_iter()
            .map(|l| Linked {
                number: l.number,
                kind: l.kind,
                state: l.state,
                earlier: l.earlier,
            })
            .collect(),
    }))
}
