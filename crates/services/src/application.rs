//! Applying online: a draft the applicant fills and attaches materials to,
//! then files once. Filing checks that every material the guide requires
//! now is there (those it lets follow later may be missing), and in one
//! transaction opens the case (a joint item fans out to its co-handling
//! departments), attaches the materials to it and marks the draft filed. A
//! double click files one application: the page's submission key is unique.

use crate::guide::Guide;
use crate::registry::{self, ItemStatus, RegistryError};
use egov_audit::Event;
use egov_calendar::WorkCalendar;
use egov_cases::attachments::{self, AttachError, FileStore, Stored};
use egov_cases::{Acting, Case, CaseError, NewCase, Processes, Rule, Violation};
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError, Tx};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// The case processes applications run under, and the step of each whose
/// time limit is the item's statutory one.
pub const SINGLE_PROCESS: (&str, &str) = ("administrative_license", "review");
pub const JOINT_PROCESS: (&str, &str) = ("joint_approval", "joint_review");

#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("no such application")]
    NotFound,
    #[error("the application was filed already")]
    Filed,
    #[error("the item is not on offer")]
    NotOffered,
    #[error("the item is handled at a service counter only")]
    CounterOnly,
    #[error("the item serves {0}")]
    NotForYou(String),
    /// The applicant's identity is not established well enough for the item.
    #[error("the item needs an account verified to level {required}")]
    AssuranceTooLow { required: u8 },
    #[error("materials missing: {}", .0.join(", "))]
    Missing(Vec<String>),
    #[error("the guide has no material {0}")]
    NoSuchMaterial(usize),
    #[error("the note must be at most 2000 characters")]
    NoteTooLong,
    /// What was typed into the item's form breaks its schema.
    #[error("the form has {} error(s)", .0.len())]
    Form(Vec<Violation>),
    #[error(transparent)]
    Upload(#[from] AttachError),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Org(egov_org::OrgError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ApplicationError {
    fn from(e: sqlx::Error) -> Self {
        ApplicationError::Store(e.into())
    }
}

egov_store::row! {
    #[derive(Debug, Clone, Serialize, sqlx::FromRow)]
    pub struct AppFile {
        pub id: i64,
        /// The guide's material this file is (its index).
        pub material: i32,
        pub name: String,
        pub media_type: String,
        pub size: i64,
        pub sha256: String,
        /// The wallet's certificate given for the material, not an upload.
        pub certificate_code: Option<String>,
        /// The applicant's identity as the platform verified it, given for
        /// the material (the assurance level), not an upload.
        pub identity_level: Option<i32>,
    }
}

egov_store::text_enum! {
    /// Where an application stands: being filled in, or filed as a case.
    pub enum ApplicationStatus {
        Draft = "draft",
        Filed = "filed",
    }
}

egov_store::row! {
    #[derive(Debug, Clone, Serialize, sqlx::FromRow)]
    pub struct Application {
        pub id: i64,
        pub item_code: String,
        pub item_version: i32,
        pub applicant_id: i64,
        /// The enterprise the applicant acts for: everyone acting for it
        /// sees and goes on with the application.
        pub enterprise_id: Option<i64>,
        pub status: ApplicationStatus,
        pub note: String,
        /// The form's values as JSON text; see [`Application::form`].
        #[serde(skip)]
        pub data: String,
        pub case_id: Option<i64>,
        pub updated_at: Timestamp,
    }
}

impl Application {
    pub fn is_draft(&self) -> bool {
        self.status == ApplicationStatus::Draft
    }

    /// What the applicant typed into the item's form so far.
    pub fn form(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|_| Value::Object(Default::default()))
    }
}

/// An application's columns, for `SELECT` and `RETURNING`.
macro_rules! application_columns {
    () => {
        "id, item_code, item_version, applicant_id, enterprise_id, status, note, data, case_id, \
         updated_at"
    };
}
const COLUMNS: &str = concat!("SELECT ", application_columns!(), " FROM applications");

/// Who applies: the account (and the enterprise it acts for), 个人 (a
/// citizen) or 法人 (an enterprise), and how well the account holder's
/// identity is established.
#[derive(Debug, Clone, Copy)]
pub struct Applicant<'a> {
    pub party: Party,
    pub audience: &'a str,
    pub assurance: i32,
}

/// The person acting on an application, and the enterprise they act for
/// (its legal representative or an operator): an enterprise's applications
/// are everyone's who acts for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party {
    pub user_id: i64,
    pub enterprise_id: Option<i64>,
}

impl Party {
    fn owns(self, a: &Application) -> bool {
        a.applicant_id == self.user_id
            || (self.enterprise_id.is_some() && a.enterprise_id == self.enterprise_id)
    }
}

/// The applicant's draft for an item on offer, made if there is none. A
/// draft keeps the version it was begun under. `audience` is who applies:
/// 个人 (a citizen) or 法人 (an enterprise).
pub async fn draft(
    db: &Db,
    ctx: &Context,
    code: &str,
    applicant: Applicant<'_>,
) -> Result<Application, ApplicationError> {
    let Applicant {
        party,
        audience,
        assurance,
    } = applicant;
    let item = registry::get(db, code).await?;
    if item.status != ItemStatus::Published {
        return Err(ApplicationError::NotOffered);
    }
    if !item.guide.applied_for_online() {
        return Err(ApplicationError::CounterOnly);
    }
    if !item.guide.serves(audience) {
        return Err(ApplicationError::NotForYou(item.guide.audiences.join("、")));
    }
    let required = item.guide.assurance_needed();
    if assurance < i32::from(required) {
        return Err(ApplicationError::AssuranceTooLow { required });
    }
    // Looked for on a reader, outside the writer; two tabs racing past it
    // meet at the one-draft index below.
    // An enterprise's draft for the item is everyone's who acts for it.
    let sql = format!(
        "{COLUMNS} WHERE (applicant_id = $1 OR enterprise_id = $3) AND item_code = $2 \
         AND status = 'draft' ORDER BY id LIMIT 1"
    );
    let mut r = db.reader().await?;
    let found: Option<Application> = run!(r, |c| sqlx::query_as(&sql)
        .bind(party.user_id)
        .bind(code)
        .bind(party.enterprise_id)
        .fetch_optional(&mut *c)
        .await)?;
    drop(r);
    if let Some(a) = found {
        return Ok(a);
    }
    let (ctx, code_owned) = (ctx.clone(), code.to_owned());
    let version = item.guide.version as i32;
    let made = db
        .write(move |tx| {
            Box::pin(async move {
                let insert = query(concat!(
                    "INSERT INTO applications (item_code, item_version, applicant_id, \
                     enterprise_id, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'draft', $5, $5) RETURNING ",
                    application_columns!()
                ))
                .bind(code_owned.as_str())
                .bind(version)
                .bind(party.user_id)
                .bind(party.enterprise_id)
                .bind(time::now());
                let made: Application = tx.fetch_one(insert).await?;
                audit(tx, &ctx, "application.draft", made.id, &code_owned).await?;
                Ok::<_, StoreError>(made)
            })
        })
        .await;
    match made {
        Ok(made) => Ok(made),
        // Another tab made the draft a moment ago: that one is ours too
        // (committed by now: a body is answered after its group's commit).
        Err(e) if e.is_unique_violation() => {
            let mut r = db.reader().await?;
            let found: Application = run!(r, |c| sqlx::query_as(&sql)
                .bind(party.user_id)
                .bind(code)
                .bind(party.enterprise_id)
                .fetch_one(&mut *c)
                .await)?;
            Ok(found)
        }
        Err(e) => Err(e.into()),
    }
}

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    id: i64,
    code: &str,
) -> Result<(), StoreError> {
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "application",
            object_id: &id.to_string(),
            detail: serde_json::json!({ "item": code }),
        },
    )
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: i64) -> Result<Application, ApplicationError> {
    let mut r = db.reader().await?;
    let sql = format!("{COLUMNS} WHERE id = $1");
    let found: Option<Application> = run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    found.ok_or(ApplicationError::NotFound)
}

/// An application of `party`'s (or of the enterprise it acts for); anyone
/// else's is "not found".
pub async fn mine(db: &Db, id: i64, party: Party) -> Result<Application, ApplicationError> {
    match get(db, id).await? {
        a if party.owns(&a) => Ok(a),
        _ => Err(ApplicationError::NotFound),
    }
}

/// The applicant's drafts, newest first.
pub async fn drafts(db: &Db, party: Party) -> Result<Vec<Application>, ApplicationError> {
    let mut r = db.reader().await?;
    let sql = format!(
        "{COLUMNS} WHERE (applicant_id = $1 OR enterprise_id = $2) AND status = 'draft' \
         ORDER BY id DESC"
    );
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(party.user_id)
        .bind(party.enterprise_id)
        .fetch_all(&mut *c)
        .await)?)
}

const FILES: &str = "SELECT id, material, name, media_type, size, sha256, certificate_code, \
     identity_level \
     FROM application_files \
     WHERE application_id = $1 ORDER BY material, id";

pub async fn files(db: &Db, id: i64) -> Result<Vec<AppFile>, ApplicationError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(FILES)
        .bind(id)
        .fetch_all(&mut *c)
        .await)?)
}

/// The files filed with the application that opened case `case_id`, each
/// with the material (its place in the guide's list) it was given for.
pub async fn files_of_case(db: &Db, case_id: i64) -> Result<Vec<AppFile>, ApplicationError> {
    let sql =
        "SELECT f.id, f.material, f.name, f.media_type, f.size, f.sha256, f.certificate_code, \
               f.identity_level FROM application_files f JOIN applications a ON a.id = f.application_id \
               WHERE a.case_id = $1 ORDER BY f.material, f.id";
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(sql)
        .bind(case_id)
        .fetch_all(&mut *c)
        .await)?)
}

async fn files_in(tx: &mut Tx, id: i64) -> Result<Vec<AppFile>, ApplicationError> {
    Ok(tx.fetch_all(query(FILES).bind(id)).await?)
}

/// The guide a draft or application is under.
pub async fn guide_of(db: &Db, a: &Application) -> Result<Guide, ApplicationError> {
    Ok(registry::version(db, &a.item_code, a.item_version as u32).await?)
}

/// The materials the guide requires now that `files` lack.
pub fn missing(guide: &Guide, files: &[AppFile]) -> Vec<String> {
    guide
        .materials
        .iter()
        .enumerate()
        .filter(|(i, m)| m.required && !m.later && !files.iter().any(|f| f.material as usize == *i))
        .map(|(_, m)| m.name.clone())
        .collect()
}

/// The materials the guide lets follow later (容缺) that `files` lack, as
/// the case carries them: `{name, note}`, the note saying by when.
fn owed_later(guide: &Guide, files: &[AppFile]) -> Vec<Value> {
    guide
        .materials
        .iter()
        .enumerate()
        .filter(|(i, m)| m.required && m.later && !files.iter().any(|f| f.material as usize == *i))
        .map(|(_, m)| serde_json::json!({ "name": m.name, "note": m.note }))
        .collect()
}

fn open_draft(a: Application) -> Result<Application, ApplicationError> {
    if a.is_draft() {
        Ok(a)
    } else {
        Err(ApplicationError::Filed)
    }
}

/// Saves the draft's form and note. A draft may be incomplete, so only
/// what was typed is checked (its type, length, choices); filing checks
/// that every required field is there.
pub async fn save(
    db: &Db,
    ctx: &Context,
    id: i64,
    party: Party,
    form: &Value,
    note: &str,
) -> Result<(), ApplicationError> {
    let a = open_draft(mine(db, id, party).await?)?;
    if note.chars().count() > 2000 {
        return Err(ApplicationError::NoteTooLong);
    }
    let guide = guide_of(db, &a).await?;
    let wrong: Vec<Violation> = guide
        .form_schema()
        .validate(form)
        .into_iter()
        .filter(|v| v.rule != Rule::Required)
        .collect();
    if !wrong.is_empty() {
        return Err(ApplicationError::Form(wrong));
    }
    let (ctx, note, form) = (ctx.clone(), note.to_owned(), form.to_string());
    db.write(move |tx| {
        Box::pin(async move {
            let update = query(
                "UPDATE applications SET note = $1, data = $2, updated_at = $3 \
                 WHERE id = $4 AND status = 'draft'",
            )
            .bind(note)
            .bind(form)
            .bind(time::now())
            .bind(id);
            if tx.execute(update).await? == 0 {
                return Err(ApplicationError::Filed);
            }
            audit(tx, &ctx, "application.save", id, &a.item_code).await?;
            Ok(())
        })
    })
    .await
}

/// Takes the draft's row for this transaction (a filing at the same time
/// waits, or is waited for), failing when it was filed already.
async fn hold_draft(tx: &mut Tx, id: i64) -> Result<(), ApplicationError> {
    let held = tx
        .execute(
            query("UPDATE applications SET updated_at = $1 WHERE id = $2 AND status = 'draft'")
                .bind(time::now())
                .bind(id),
        )
        .await?;
    if held == 1 {
        Ok(())
    } else {
        Err(ApplicationError::Filed)
    }
}

/// A material's file as given: its name and bytes, and the wallet's
/// certificate it is (checked by the caller to be the party's own) or the
/// level to which the platform verified the applicant's identity it attests.
pub struct Given<'a> {
    pub material: usize,
    pub name: &'a str,
    pub bytes: Vec<u8>,
    pub certificate: Option<String>,
    pub identity_level: Option<i32>,
}

/// Checks a material's file by its content and adds it to the draft.
/// Answers the file as recorded and the guide the draft is under, which
/// names the material.
pub async fn add_file(
    db: &Db,
    ctx: &Context,
    store: &FileStore,
    id: i64,
    party: Party,
    given: Given<'_>,
    max: usize,
) -> Result<(AppFile, Guide), ApplicationError> {
    let Given {
        material,
        name,
        bytes,
        certificate,
        identity_level,
    } = given;
    let a = open_draft(mine(db, id, party).await?)?;
    let guide = guide_of(db, &a).await?;
    if material >= guide.materials.len() {
        return Err(ApplicationError::NoSuchMaterial(material));
    }
    let stored = attachments::store(store, name, bytes, max).await?;
    let ctx = ctx.clone();
    let recorded = stored.clone();
    let certificate_code = certificate.clone();
    let file_id = db
        .write(move |tx| {
            Box::pin(async move {
                // Without the hold, a filing committing meanwhile would
                // leave this file off its case.
                hold_draft(tx, id).await?;
                let insert = query(
                    "INSERT INTO application_files (application_id, material, name, \
                     media_type, size, sha256, uploaded_at, certificate_code, identity_level) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(id)
                .bind(material as i32)
                .bind(recorded.name)
                .bind(recorded.media_type)
                .bind(recorded.size)
                .bind(recorded.sha256)
                .bind(time::now())
                .bind(certificate_code)
                .bind(identity_level);
                let file_id: i64 = tx.fetch_scalar(insert).await?;
                audit(tx, &ctx, "application.file", id, &a.item_code).await?;
                Ok::<_, ApplicationError>(file_id)
            })
        })
        .await?;
    let file = AppFile {
        id: file_id,
        material: material as i32,
        name: stored.name,
        media_type: stored.media_type,
        size: stored.size,
        sha256: stored.sha256,
        certificate_code: certificate,
        identity_level,
    };
    Ok((file, guide))
}

/// Files the application: the case opens with the materials attached, in
/// one transaction. Filing again with the same key answers the case filed
/// the first time.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &Db,
    ctx: &Context,
    cal: &Arc<WorkCalendar>,
    processes: &Processes,
    id: i64,
    party: Party,
    key: &str,
) -> Result<Case, ApplicationError> {
    let a = mine(db, id, party).await?;
    if let (false, Some(case_id)) = (a.is_draft(), a.case_id) {
        return Ok(egov_cases::get(db, case_id).await?);
    }
    // Only the item as offered now may be filed.
    let item = registry::get(db, &a.item_code).await?;
    if item.status != ItemStatus::Published {
        return Err(ApplicationError::NotOffered);
    }
    // Usually filed under the version on offer: no second read and parse.
    let guide = if item.guide.version == a.item_version as u32 {
        item.guide
    } else {
        guide_of(db, &a).await?
    };
    let (process, decision_step) = if guide.is_joint() {
        JOINT_PROCESS
    } else {
        SINGLE_PROCESS
    };
    let def = processes
        .latest(db, process)
        .await
        .map_err(CaseError::Process)?;
    // 行政许可法 Art. 26: the lead department accepts and forwards to the
    // others; each, the lead too, decides its own part in parallel.
    let mut co = vec![item.department_id];
    for code in &guide.co_departments {
        let department = match egov_org::department(db, code).await {
            Ok(department) => department,
            Err(egov_org::OrgError::DepartmentNotFound(_)) => {
                return Err(RegistryError::UnknownDepartment(code.clone()).into())
            }
            Err(egov_org::OrgError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(ApplicationError::Org(e)),
        };
        co.push(department.id);
    }
    // The item's statutory limit, where it has one, binds the decision; 0
    // (on the spot, or no limit in law) leaves the process's general one.
    let mut deadlines = std::collections::BTreeMap::new();
    if guide.statutory_days > 0 {
        deadlines.insert(decision_step.to_owned(), guide.statutory_days);
    }
    let department_id = item.department_id;
    let (ctx, cal, key_owned) = (ctx.clone(), cal.clone(), key.to_owned());
    let filed = db
        .write(move |tx| {
            Box::pin(async move {
                // Marking the draft first takes its row: of two filings at
                // once, the second finds it filed and rolls back.
                let mark = query(concat!(
                    "UPDATE applications SET status = 'filed', submission_key = $1, \
                     updated_at = $2 WHERE id = $3 AND status = 'draft' RETURNING ",
                    application_columns!()
                ))
                .bind(key_owned)
                .bind(time::now())
                .bind(id);
                // Read as marked, under the draft's row, so nothing added
                // meanwhile is left out; a refusal below rolls the marking back.
                let a: Application = match tx.fetch_optional(mark).await {
                    Ok(Some(a)) => a,
                    // Filed meanwhile (a second click).
                    Ok(None) => return Err(Filing::FiledMeanwhile),
                    // The key is taken: this very form was filed already.
                    Err(e) if e.is_unique_violation() => return Err(Filing::KeyTaken),
                    Err(e) => return Err(e.into()),
                };
                let files = files_in(tx, id).await?;
                let missing = missing(&guide, &files);
                if !missing.is_empty() {
                    return Err(ApplicationError::Missing(missing).into());
                }
                let form = a.form();
                let wrong = guide.form_schema().validate(&form);
                if !wrong.is_empty() {
                    return Err(ApplicationError::Form(wrong).into());
                }
                let mut new = NewCase::new(&def, department_id, &guide.name);
                new.applicant_id = Some(party.user_id);
                new.enterprise_id = a.enterprise_id;
                new.co_departments = co;
                new.deadlines = deadlines;
                new.data = serde_json::json!({
                    "item": guide.code,
                    "item_version": guide.version,
                    "title_en": guide.name_en,
                    "form": form,
                    "note": a.note,
                    "materials": files.iter().map(|f| {
                        guide.materials.get(f.material as usize).map(|m| m.name.clone()).unwrap_or_default()
                    }).collect::<Vec<_>>(),
                    // Accepted to follow later (容缺): owed before the decision.
                    "outstanding": owed_later(&guide, &files),
                });
                let acting = Acting::Applicant {
                    user_id: party.user_id,
                    enterprise_id: party.enterprise_id,
                };
                let case = egov_cases::start_in(tx, &ctx, &cal, acting, new).await?;
                let stored: Vec<Stored> = files
                    .iter()
                    .map(|f| Stored {
                        name: f.name.clone(),
                        media_type: f.media_type.clone(),
                        size: f.size,
                        sha256: f.sha256.clone(),
                    })
                    .collect();
                let by = Some(party.user_id);
                attachments::record_in(tx, &ctx, case.id, &case.number, &stored, false, by)
                    .await?;
                tx.execute(
                    query("UPDATE applications SET case_id = $1 WHERE id = $2")
                        .bind(case.id)
                        .bind(id),
                )
                .await?;
                audit(tx, &ctx, "application.submit", id, &a.item_code).await?;
                Ok(case)
            })
        })
        .await;
    // A filing that lost answers the one that won, committed by now (a
    // body is answered after its group's commit).
    match filed {
        Ok(case) => Ok(case),
        Err(Filing::FiledMeanwhile) => match mine(db, id, party).await?.case_id {
            Some(case_id) => Ok(egov_cases::get(db, case_id).await?),
            None => Err(ApplicationError::Filed),
        },
        Err(Filing::KeyTaken) => filed_with(db, key, party).await,
        Err(Filing::Failed(e)) => Err(e),
    }
}

/// How a filing's transaction ended, when it did not open the case.
enum Filing {
    /// The draft was filed by another request first.
    FiledMeanwhile,
    /// The submission key was used: this very form was filed already.
    KeyTaken,
    Failed(ApplicationError),
}

impl<E: Into<ApplicationError>> From<E> for Filing {
    fn from(e: E) -> Self {
        Filing::Failed(e.into())
    }
}

/// 预计办结: when the department has promised to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// By the end of this day (Beijing time).
    By(chrono::NaiveDate),
    /// The clock stands (for the applicant's corrections, a hearing): it is
    /// counted again when it runs.
    Paused,
}

/// The item's promised time limit (承诺时限; the statutory one where it
/// promises nothing shorter) in working days, counted from acceptance or,
/// before it, from the end of the acceptance period, so the date is the
/// latest the applicant should expect. None once decided.
pub fn expected_completion(
    guide: &Guide,
    case: &Case,
    accepted_at: Option<Timestamp>,
    cal: &WorkCalendar,
) -> Option<Expected> {
    if !case.is_open() {
        return None;
    }
    if case.paused_at.is_some() {
        return Some(Expected::Paused);
    }
    let from = accepted_at.or(case.due_at).unwrap_or(case.created_at);
    let start = time::beijing(from).date();
    let days = match guide.promised_days {
        0 => guide.statutory_days,
        promised => promised,
    };
    Some(Expected::By(cal.add_workdays(start, days).date()))
}

async fn filed_with(db: &Db, key: &str, party: Party) -> Result<Case, ApplicationError> {
    let mut r = db.reader().await?;
    let case_id: Option<Option<i64>> = run!(r, |c| sqlx::query_scalar(
        "SELECT case_id FROM applications WHERE submission_key = $1 \
         AND (applicant_id = $2 OR enterprise_id = $3)"
    )
    .bind(key)
    .bind(party.user_id)
    .bind(party.enterprise_id)
    .fetch_optional(&mut *c)
    .await)?;
    drop(r);
    match case_id.flatten() {
        Some(id) => Ok(egov_cases::get(db, id).await?),
        None => Err(ApplicationError::Filed),
    }
}
