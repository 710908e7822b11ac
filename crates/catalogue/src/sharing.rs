//! Sharing between departments (共享): a consuming department asks for a
//! resource, stating its purpose, the 信息项 it needs and until when. A
//! resource shared unconditionally is granted on request; a conditional
//! one goes to its provider as a case of the sharing process, answered
//! within the process's time (10 working days as shipped) by a grant or a
//! refusal with reasons; one not shared cannot be asked for. A grant
//! names the consumer, the resource, the fields, the purpose and the
//! expiry. Every node keeps the live grants and the exchange's bound
//! machine clients in memory ([`Sharing`]): the exchange checks each call
//! against them.

use crate::registry::{Catalogue, CatalogueError};
use crate::resource::{Resource, Sharing as SharingType};
use chrono::NaiveDate;
use egov_audit::Event;
use egov_cases::acting::Acting;
use egov_cases::engine::{act_in, open, prepare, NewCase, Taken};
use egov_cases::registry::Processes;
use egov_cases::CaseError;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::reference::{self, Reference};
use egov_store::{query, run, Db, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// The process conditional requests run under.
pub const PROCESS: &str = "data_sharing_request";

/// The longest a grant may run: three years from its day.
pub const MAX_YEARS: i32 = 3;

/// What went wrong; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    #[error("no resource '{0}'")]
    NoResource(String),
    #[error("'{0}' is not shared (不予共享): {1}")]
    NotShared(String, String),
    #[error("a department reads its own resources without asking")]
    OwnResource,
    #[error("say what the data is for (at most 2000 characters)")]
    Purpose,
    #[error("name the 信息项 needed; '{0}' is not one of the resource's")]
    Field(String),
    #[error("a grant runs until a day after today and at most {MAX_YEARS} years on")]
    Until,
    #[error("no sharing request {0}")]
    NoRequest(String),
    #[error("the request has been answered already")]
    Answered,
    #[error("only the provider answers a request for its resource")]
    NotProvider,
    #[error("say why it is refused")]
    Reason,
    #[error("no department '{0}'")]
    NoDepartment(String),
    #[error("no client '{0}' that may use the client credentials grant")]
    NoClient(String),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Process(#[from] egov_cases::registry::RegistryError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SharingError {
    fn from(e: sqlx::Error) -> Self {
        SharingError::Store(e.into())
    }
}

/// A grant as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Grant {
    pub id: i64,
    /// The resource's code.
    pub resource: String,
    #[serde(skip)]
    pub resource_id: i64,
    /// The consuming department's code.
    pub consumer: String,
    #[serde(skip)]
    pub consumer_id: i64,
    pub fields: Vec<String>,
    pub purpose: String,
    pub expires_on: NaiveDate,
    /// The sharing case it was granted in (a conditional resource's).
    pub case_number: Option<String>,
    pub granted_at: Timestamp,
}

impl Grant {
    /// Live on `day`: not past its expiry (revoked grants are not kept).
    pub fn live_on(&self, day: NaiveDate) -> bool {
        day <= self.expires_on
    }
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    resource: String,
    resource_id: i64,
    consumer: String,
    consumer_id: i64,
    fields: String,
    purpose: String,
    expires_on: NaiveDate,
    case_number: Option<String>,
    granted_at: Timestamp,
}

/// The live grants and the exchange's machine clients, as every node
/// serves them.
pub struct Sharing {
    /// By (consumer department, resource).
    grants: HashMap<(i64, i64), Vec<Grant>>,
    /// Machine client id to the department it acts for.
    clients: HashMap<String, i64>,
}

impl Reference for Sharing {
    const NAME: &'static str = "catalogue_sharing";
    type Error = SharingError;

    async fn load(db: &Db) -> Result<Self, SharingError> {
        let mut r = db.reader().await?;
        let rows: Vec<GrantRow> = run!(r, |c| {
            sqlx::query_as(
            "SELECT g.id, r.code AS resource, g.resource_id, d.code AS consumer, g.consumer_id, \
             g.fields, g.purpose, g.expires_on, c.number AS case_number, g.granted_at \
             FROM catalogue_grants g JOIN catalogue_resources r ON r.id = g.resource_id \
             JOIN departments d ON d.id = g.consumer_id LEFT JOIN cases c ON c.id = g.case_id \
             WHERE g.revoked_at IS NULL ORDER BY g.id"
        )
        .fetch_all(&mut *c)
        .await
        })?;
        let clients: Vec<(String, i64)> = run!(r, |c| sqlx::query_as(
            "SELECT client_id, department_id FROM exchange_clients"
        )
        .fetch_all(&mut *c)
        .await)?;
        let mut grants: HashMap<(i64, i64), Vec<Grant>> = HashMap::new();
        for g in rows {
            let fields = serde_json::from_str(&g.fields)
                .map_err(|e| SharingError::Corrupt(format!("a grant's fields: {e}")))?;
            grants
                .entry((g.consumer_id, g.resource_id))
                .or_default()
                .push(Grant {
                    id: g.id,
                    resource: g.resource,
                    resource_id: g.resource_id,
                    consumer: g.consumer,
                    consumer_id: g.consumer_id,
                    fields,
                    purpose: g.purpose,
                    expires_on: g.expires_on,
                    case_number: g.case_number,
                    granted_at: g.granted_at,
                });
        }
        Ok(Sharing {
            grants,
            clients: clients.into_iter().collect(),
        })
    }
}

impl Sharing {
    pub async fn get(db: &Db) -> Result<Arc<Sharing>, SharingError> {
        db.reference::<Sharing>().await
    }

    /// The department machine client `client_id` acts for.
    pub fn department_of(&self, client_id: &str) -> Option<i64> {
        self.clients.get(client_id).copied()
    }

    /// The fields `consumer` may read of `resource` on `day`: the union of
    /// its live grants' fields (none: no grant).
    pub fn granted_fields(
        &self,
        consumer: i64,
        resource: i64,
        day: NaiveDate,
    ) -> Option<Vec<String>> {
        let live: Vec<&Grant> = self
            .grants
            .get(&(consumer, resource))?
            .iter()
            .filter(|g| g.live_on(day))
            .collect();
        if live.is_empty() {
            return None;
        }
        let mut fields: Vec<String> = live.iter().flat_map(|g| g.fields.clone()).collect();
        fields.sort();
        fields.dedup();
        Some(fields)
    }

    /// Every grant not revoked, live or expired.
    pub fn grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants.values().flatten()
    }

    /// A department's grants, newest first.
    pub fn of_consumer(&self, consumer: i64) -> Vec<&Grant> {
        let mut out: Vec<&Grant> = self
            .grants
            .iter()
            .filter(|((c, _), _)| *c == consumer)
            .flat_map(|(_, gs)| gs)
            .collect();
        out.sort_by_key(|g| std::cmp::Reverse(g.id));
        out
    }
}

/// A department's request for a resource.
#[derive(Debug, Clone)]
pub struct Request {
    pub resource: String,
    pub consumer_id: i64,
    pub purpose: String,
    pub fields: Vec<String>,
    pub until: NaiveDate,
    /// The civil servant asking.
    pub user_id: Option<i64>,
}

/// What a request came to.
#[derive(Debug, Clone)]
pub enum Requested {
    /// Shared unconditionally: granted at once.
    Granted(i64),
    /// Conditional: the provider's case, to be answered in time.
    Pending(String),
}

fn check_request(r: &Resource, req: &Request, today: NaiveDate) -> Result<(), SharingError> {
    if r.sharing == SharingType::None {
        return Err(SharingError::NotShared(
            r.code.clone(),
            r.legal_basis.clone().unwrap_or_default(),
        ));
    }
    if r.department_id == req.consumer_id {
        return Err(SharingError::OwnResource);
    }
    let purpose = req.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 2000 {
        return Err(SharingError::Purpose);
    }
    if req.fields.is_empty() {
        return Err(SharingError::Field(String::new()));
    }
    if let Some(f) = req.fields.iter().find(|f| r.item(f).is_none()) {
        return Err(SharingError::Field(f.clone()));
    }
    let latest = today.with_year(today.year() + MAX_YEARS).unwrap_or(today);
    if req.until <= today || req.until > latest {
        return Err(SharingError::Until);
    }
    Ok(())
}

use chrono::Datelike;

/// Today in Beijing (grants run by calendar day there).
pub fn today() -> NaiveDate {
    (time::now() + chrono::Duration::hours(8)).date_naive()
}

async fn insert_grant(
    tx: &mut egov_store::Tx,
    ctx: &Context,
    resource: &Resource,
    req: &Request,
    case_id: Option<i64>,
    granted_by: Option<i64>,
) -> Result<i64, StoreError> {
    let fields = serde_json::to_string(&req.fields).expect("strings serialise");
    let id: i64 = tx
        .fetch_scalar(
            query(
                "INSERT INTO catalogue_grants (resource_id, consumer_id, fields, purpose, \
                 expires_on, case_id, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(resource.id)
            .bind(req.consumer_id)
            .bind(fields)
            .bind(req.purpose.trim())
            .bind(req.until)
            .bind(case_id)
            .bind(granted_by)
            .bind(time::now()),
        )
        .await?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "catalogue.granted",
            object_type: "catalogue_resource",
            object_id: &resource.code,
            detail: serde_json::json!({
                "grant": id, "consumer": req.consumer_id, "fields": req.fields,
                "purpose": req.purpose.trim(), "until": req.until, "case": case_id,
            }),
        },
    )
    .await?;
    reference::changed::<Sharing>(tx).await?;
    Ok(id)
}

/// Asks for a resource: granted at once when it is shared unconditionally,
/// a case for its provider when conditionally.
pub async fn request(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    req: Request,
) -> Result<Requested, SharingError> {
    let catalogue = Catalogue::get(db).await?;
    let resource = catalogue
        .by_code(&req.resource)
        .ok_or_else(|| SharingError::NoResource(req.resource.clone()))?
        .clone();
    check_request(&resource, &req, today())?;
    let ctx = ctx.clone();
    if resource.sharing == SharingType::Unconditional {
        let id = db
            .write(move |tx| {
                Box::pin(
                    async move { insert_grant(tx, &ctx, &resource, &req, None, req.user_id).await },
                )
            })
            .await?;
        return Ok(Requested::Granted(id));
    }
    let directory = egov_org::directory(db).await?;
    let calendar = egov_calendar::load_calendar(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let consumer = directory
        .department(req.consumer_id)
        .ok_or_else(|| SharingError::NoDepartment(req.consumer_id.to_string()))?;
    let mut new = NewCase::new(
        &def,
        resource.department_id,
        &format!("共享申请：{}（{}）", resource.name, consumer.name),
    );
    new.data = serde_json::json!({
        "resource": resource.code,
        "resource_name": resource.name,
        "consumer": consumer.code,
        "consumer_name": consumer.name,
        "fields": req.fields,
        "purpose": req.purpose.trim(),
        "until": req.until,
        "requested_by": req.user_id,
    });
    let opening = prepare(&calendar, Acting::Platform, new)?;
    let code = resource.code.clone();
    let case = db
        .write(move |tx| {
            Box::pin(async move {
                let case = open(tx, &ctx, opening).await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "catalogue.requested",
                        object_type: "catalogue_resource",
                        object_id: &code,
                        detail: serde_json::json!({ "case": case.number }),
                    },
                )
                .await?;
                Ok::<_, CaseError>(case)
            })
        })
        .await?;
    Ok(Requested::Pending(case.number))
}

/// A pending request as its provider sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pending {
    pub number: String,
    pub state: String,
    pub resource: String,
    pub consumer: String,
    pub fields: Vec<String>,
    pub purpose: String,
    pub until: NaiveDate,
    /// The department that answers (the provider).
    #[serde(skip)]
    pub provider_id: i64,
}

/// A sharing request by its case number.
pub async fn pending(
    db: &Db,
    number: &str,
) -> Result<(Pending, egov_cases::case::Case), SharingError> {
    let case = match egov_cases::case::by_number(db, number).await {
        Ok(c) if c.process_id == PROCESS => c,
        Ok(_) | Err(CaseError::NotFound) => return Err(SharingError::NoRequest(number.into())),
        Err(e) => return Err(e.into()),
    };
    let p = Pending::of(&case).ok_or(SharingError::Until)?;
    Ok((p, case))
}

impl Pending {
    /// A sharing case's request, as it was asked.
    fn of(case: &egov_cases::case::Case) -> Option<Pending> {
        let d = &case.data;
        let text = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
        Some(Pending {
            number: case.number.clone(),
            state: case.state.clone(),
            resource: text("resource"),
            consumer: text("consumer"),
            fields: serde_json::from_value(d["fields"].clone()).unwrap_or_default(),
            purpose: text("purpose"),
            until: text("until").parse().ok()?,
            provider_id: case.department_id,
        })
    }
}

/// The provider's answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Granted, with the fields and expiry asked for or narrower.
    Grant {
        fields: Option<Vec<String>>,
        until: Option<NaiveDate>,
    },
    Refuse {
        reason: String,
    },
}

/// Answers request `number` for its provider (the caller has checked that
/// `user_id` keeps the provider's catalogue): the case's step and the grant
/// in one transaction.
pub async fn answer(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    number: &str,
    user_id: Option<i64>,
    answer: Answer,
) -> Result<Option<i64>, SharingError> {
    let (p, case) = pending(db, number).await?;
    if case.state != "review" {
        return Err(SharingError::Answered);
    }
    let catalogue = Catalogue::get(db).await?;
    let resource = catalogue
        .by_code(&p.resource)
        .ok_or_else(|| SharingError::NoResource(p.resource.clone()))?
        .clone();
    let directory = egov_org::directory(db).await?;
    let consumer_id = directory
        .by_code(&p.consumer)
        .ok_or_else(|| SharingError::NoDepartment(p.consumer.clone()))?
        .id;
    let calendar = egov_calendar::load_calendar(db).await?;
    let def = processes.latest(db, PROCESS).await?;
    let (action, fields, grant) = match answer {
        Answer::Grant { fields, until } => {
            let req = Request {
                resource: p.resource.clone(),
                consumer_id,
                purpose: p.purpose.clone(),
                fields: fields.unwrap_or_else(|| p.fields.clone()),
                until: until.unwrap_or(p.until),
                user_id,
            };
            if req.fields.iter().any(|f| !p.fields.contains(f)) || req.until > p.until {
                return Err(SharingError::Field(
                    "a grant gives at most what was asked for".into(),
                ));
            }
            check_request(&resource, &req, today())?;
            ("grant", serde_json::json!({}), Some(req))
        }
        Answer::Refuse { reason } => {
            let reason = reason.trim().to_owned();
            if reason.is_empty() {
                return Err(SharingError::Reason);
            }
            ("refuse", serde_json::json!({ "reason": reason }), None)
        }
    };
    let ctx = ctx.clone();
    let (case_id, version) = (case.id, case.version);
    Ok(db
        .write(move |tx| {
            Box::pin(async move {
                let taken = Taken {
                    case_id,
                    expected_version: version,
                    acting: Acting::Platform,
                    action_id: action,
                    fields,
                };
                act_in(tx, &ctx, &calendar, &def, taken).await?;
                let id = match grant {
                    Some(req) => {
                        Some(insert_grant(tx, &ctx, &resource, &req, Some(case_id), user_id).await?)
                    }
                    None => None,
                };
                Ok::<_, CaseError>(id)
            })
        })
        .await?)
}

/// Binds machine client `client_id` to department `department` for the
/// exchange (an administrator's act). That the client is one of the
/// identity system's confidential clients, registered for the client
/// credentials grant, is the caller's to check (this crate does not read
/// the identity system's tables).
pub async fn bind_client(
    db: &Db,
    ctx: &Context,
    client_id: &str,
    department: &str,
) -> Result<(), SharingError> {
    let directory = egov_org::directory(db).await?;
    let department_id = directory
        .by_code(department)
        .ok_or_else(|| SharingError::NoDepartment(department.into()))?
        .id;
    let (ctx, client_id) = (ctx.clone(), client_id.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "INSERT INTO exchange_clients (client_id, department_id, bound_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (client_id) DO UPDATE \
                     SET department_id = $2, bound_at = $3",
                )
                .bind(&client_id)
                .bind(department_id)
                .bind(time::now()),
            )
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "exchange.client_bound",
                    object_type: "oidc_client",
                    object_id: &client_id,
                    detail: serde_json::json!({ "department": department_id }),
                },
            )
            .await?;
            reference::changed::<Sharing>(tx).await
        })
    })
    .await?;
    Ok(())
}

/// The requests awaiting department `provider`'s answer, the nearest
/// deadline first.
pub async fn awaiting(
    db: &Db,
    provider: i64,
) -> Result<Vec<(Pending, Option<Timestamp>)>, SharingError> {
    let cases = egov_cases::case::for_departments(db, &[provider], false, 500).await?;
    Ok(cases
        .into_iter()
        .filter(|c| c.process_id == PROCESS && c.state == "review")
        .filter_map(|c| Some((Pending::of(&c)?, c.due_at)))
        .collect())
}
