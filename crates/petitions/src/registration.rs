//! Registering a petition: checked, compared with the petitions before it
//! on the same kind of matter, and opened as a case of the petition process
//! owned by the agency it was brought to, its 15 days to accept or refuse
//! running from registration. A petition by the same person on a matter
//! closed by 复核 is refused; one on the same matter as earlier petitions
//! is registered and linked to them (a repeat by the same person, a joint
//! petition by others), for the handler to see. One transaction holds the
//! case, its first event, the petitioner, the links and the audit record.

use crate::matter::{likeness, LinkKind};
use crate::petition::{Checked, NewPetition, PetitionError, Petitioner, Registrar};
use crate::settings::Settings;
use crate::{CLOSED_BY_RECHECK, PROCESS};
use egov_audit::Event;
use egov_calendar::CalendarCache;
use egov_cases::acting::Acting;
use egov_cases::engine::{prepare, NewCase};
use egov_cases::opening::open;
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError, Tx};
use serde::Serialize;

/// Why a petition was not registered; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error(transparent)]
    Petition(#[from] PetitionError),
    /// Staff register petitions brought to their own agency.
    #[error("staff register petitions brought to their own agency")]
    OutsideDepartment,
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error(transparent)]
    Identity(#[from] egov_identity::IdentityError),
    #[error("reading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Process(#[from] egov_cases::RegistryError),
}

/// An earlier petition a new one is linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The earlier petition's case number.
    pub number: String,
    /// `repeat` (the same person) or `joint` (another person, the same matter).
    pub kind: String,
}

/// A petition registered.
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    pub number: String,
    /// The earlier petitions on the same matter, newest first.
    pub links: Vec<Link>,
}

/// An earlier petition of the same kind of matter.
#[derive(sqlx::FromRow)]
struct Earlier {
    case_id: i64,
    number: String,
    state: String,
    person_key: String,
    text: String,
}

/// How many earlier petitions are compared at most: the newest of the
/// person's and of the window.
const COMPARED: i64 = 2000;

/// The online petitioner as their account names them.
async fn account(db: &Db, user_id: i64) -> Result<Petitioner, RegistrationError> {
    let user = egov_identity::get_user(db, user_id).await?;
    if user.display_name.trim().is_empty() {
        return Err(PetitionError::NoRealName.into());
    }
    Ok(Petitioner {
        name: user.display_name,
        id_number: user.resident_id,
        phone: user.phone,
        address: None,
    })
}

/// Registers `petition` as `registrar` brings it.
pub async fn register(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    calendar: &CalendarCache,
    registrar: Registrar,
    petition: NewPetition,
) -> Result<Registered, RegistrationError> {
    let settings = Settings::shipped();
    let own = match registrar {
        Registrar::Petitioner { user_id } => Some(account(db, user_id).await?),
        Registrar::Staff { .. } => None,
    };
    let petition = petition.check(settings, registrar, own)?;
    let directory = egov_org::directory(db).await?;
    let department = directory
        .by_code(&petition.department)
        .ok_or_else(|| PetitionError::UnknownAgency(petition.department.clone()))?;
    let (acting, applicant, registered_by) = match registrar {
        Registrar::Petitioner { user_id } => (
            Acting::Applicant {
                user_id,
                enterprise_id: None,
            },
            Some(user_id),
            user_id,
        ),
        Registrar::Staff {
            user_id,
            department_id,
        } if department_id == department.id => (Acting::Handler { department_id }, None, user_id),
        Registrar::Staff { .. } => return Err(RegistrationError::OutsideDepartment),
    };
    let links = same_matter(db, settings, &petition).await?;
    let calendar = calendar.get(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let mut new = NewCase::new(&def, department.id, &petition.title());
    new.applicant_id = applicant;
    new.data = petition.case_data();
    let opening = prepare(&calendar, acting, new)?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let case = open(tx, &ctx, opening).await?;
            store(tx, case.id, &petition, registered_by, &links).await?;
            let links: Vec<Link> = links
                .into_iter()
                .map(|(_, number, kind)| Link {
                    number,
                    kind: kind.as_str().to_owned(),
                })
                .collect();
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "petitions.registered",
                    object_type: "case",
                    object_id: &case.number,
                    detail: serde_json::json!({
                        "channel": petition.channel.as_str(),
                        "petitioners": petition.petitioners,
                        "links": links,
                    }),
                },
            )
            .await?;
            Ok::<_, RegistrationError>(Registered {
                number: case.number,
                links,
            })
        })
    })
    .await
}

/// The earlier petitions on the same matter, newest first, or the refusal
/// if the same person's matter was closed by 复核.
async fn same_matter(
    db: &Db,
    settings: &Settings,
    petition: &Checked,
) -> Result<Vec<(i64, String, LinkKind)>, RegistrationError> {
    let key = petition.petitioner.key();
    let since: Timestamp = time::now() - chrono::Duration::days(settings.joint_window_days);
    let sql = "SELECT p.case_id, c.number, c.state, p.person_key, p.text \
               FROM petitions p JOIN cases c ON c.id = p.case_id \
               WHERE p.category = $1 AND (p.person_key = $2 OR p.created_at >= $3) \
               ORDER BY p.case_id DESC LIMIT $4";
    let mut r = db.reader().await?;
    let earlier: Vec<Earlier> = run!(r, |c| sqlx::query_as(sql)
        .bind(&petition.category)
        .bind(&key)
        .bind(since)
        .bind(COMPARED)
        .fetch_all(&mut *c)
        .await)
    .map_err(StoreError::from)?;
    let text = petition.text();
    let mut links = Vec::new();
    for e in earlier {
        if likeness(&text, &e.text) < settings.same_matter {
            continue;
        }
        let kind = match e.person_key == key {
            true => LinkKind::Repeat,
            false => LinkKind::Joint,
        };
        if kind == LinkKind::Repeat && e.state == CLOSED_BY_RECHECK {
            return Err(PetitionError::ClosedByRecheck(e.number).into());
        }
        links.push((e.case_id, e.number, kind));
    }
    Ok(links)
}

async fn store(
    tx: &mut Tx,
    case_id: i64,
    petition: &Checked,
    registered_by: i64,
    links: &[(i64, String, LinkKind)],
) -> Result<(), StoreError> {
    let p = &petition.petitioner;
    let sql = "INSERT INTO petitions (case_id, channel, category, petitioner_name, id_number, \
               phone, address, person_key, text, registered_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    tx.execute(
        query(sql)
            .bind(case_id)
            .bind(petition.channel.as_str())
            .bind(&petition.category)
            .bind(&p.name)
            .bind(&p.id_number)
            .bind(&p.phone)
            .bind(&p.address)
            .bind(p.key())
            .bind(petition.text())
            .bind(registered_by)
            .bind(time::now()),
    )
    .await?;
    for (earlier, _, kind) in links {
        tx.execute(
            query(
                "INSERT INTO petition_links (case_id, earlier_case_id, kind) VALUES ($1, $2, $3)",
            )
            .bind(case_id)
            .bind(earlier)
            .bind(kind.as_str()),
        )
        .await?;
    }
    Ok(())
}
