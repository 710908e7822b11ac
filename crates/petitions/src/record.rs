//! A petition's record beside its case: how it came, its kind of matter,
//! who brought it and the petitions on the same matter. The petitioner is
//! shown only to the staff handling the petition now (the agency it is
//! with, wherever it was sent) and to supervisors, and to the petitioner;
//! every view leaves an audit record.

use crate::matter::LinkKind;
use crate::petition::{Channel, Petitioner};
use egov_audit::Event;
use egov_cases::acting::Acting;
use egov_cases::Case;
use egov_identity::SessionUser;
use egov_kernel::time::Timestamp;
use egov_kernel::Context;
use egov_store::{run, Db, StoreError};
use serde::Serialize;

/// A petition as its record holds it.
#[derive(Debug, Clone)]
pub struct PetitionRecord {
    pub case_id: i64,
    pub channel: Channel,
    pub category: String,
    pub petitioner: Petitioner,
    pub created_at: Timestamp,
    /// The petitions on the same matter, both ways, newest first.
    pub linked: Vec<Linked>,
}

/// Another petition on the same matter.
#[derive(Debug, Clone, Serialize)]
pub struct Linked {
    pub number: String,
    /// `repeat` or `joint`.
    pub kind: String,
    /// Its state in the petition process.
    pub state: String,
    /// Whether it came before this one.
    pub earlier: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    case_id: i64,
    channel: String,
    category: String,
    petitioner_name: String,
    id_number: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    number: String,
    kind: String,
    state: String,
    earlier: bool,
}

/// The record of the petition that is case `case_id`, if it is one.
pub async fn load(db: &Db, case_id: i64) -> Result<Option<PetitionRecord>, StoreError> {
    let mut r = db.reader().await?;
    let row: Option<Row> = run!(r, |c| sqlx::query_as(
        "SELECT case_id, channel, category, petitioner_name, id_number, phone, address, \
         created_at FROM petitions WHERE case_id = $1"
    )
    .bind(case_id)
    .fetch_optional(&mut *c)
    .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let links: Vec<LinkRow> = run!(r, |c| sqlx::query_as(
        "SELECT c.number, l.kind, c.state, TRUE AS earlier FROM petition_links l \
         JOIN cases c ON c.id = l.earlier_case_id WHERE l.case_id = $1 \
         UNION ALL \
         SELECT c.number, l.kind, c.state, FALSE AS earlier FROM petition_links l \
         JOIN cases c ON c.id = l.case_id WHERE l.earlier_case_id = $1 \
         ORDER BY 1 DESC"
    )
    .bind(case_id)
    .fetch_all(&mut *c)
    .await)?;
    Ok(Some(PetitionRecord {
        case_id: row.case_id,
        channel: Channel::parse(&row.channel).unwrap_or(Channel::Online),
        category: row.category,
        petitioner: Petitioner {
            name: row.petitioner_name,
            id_number: row.id_number,
            phone: row.phone,
            address: row.address,
        },
        created_at: row.created_at,
        linked: links
            .into_iter()
            .filter(|l| LinkKind::parse(&l.kind).is_some())
            .map(|l| Linked {
                number: l.number,
                kind: l.kind,
                state: l.state,
                earlier: l.earlier,
            })
            .collect(),
    }))
}

/// Whether `user` may see who brought petition `case`: the petitioner;
/// a handler of the agency handling it now; a supervisor over it.
pub fn may_see_petitioner(user: &SessionUser, case: &Case) -> bool {
    if user.view_only {
        return false;
    }
    egov_cases::access::actings(user)
        .into_iter()
        .any(|a| match a {
            Acting::Applicant {
                user_id,
                enterprise_id,
            } => case.applied_by(user_id, enterprise_id),
            Acting::Handler { department_id } => case.handling_department() == department_id,
            Acting::Supervisor { department_id } => department_id
                .is_none_or(|d| d == case.handling_department() || d == case.department_id),
            Acting::Dispatcher { .. } | Acting::Platform => false,
        })
}

/// Records that the petitioner of `case` was seen (`what`: the record, or
/// a notice printed), by whoever `ctx` names.
pub async fn audit_view(
    db: &Db,
    ctx: &Context,
    case: &Case,
    what: &'static str,
) -> Result<(), StoreError> {
    egov_audit::record(
        db,
        ctx,
        Event {
            action: what,
            object_type: "case",
            object_id: &case.number,
            detail: serde_json::json!({ "process": case.process_id }),
        },
    )
    .await
}

/// The audit action of a petitioner's record seen.
pub const VIEWED: &str = "petitions.petitioner_viewed";
/// The audit action of a notice printed (it names the petitioner).
pub const PRINTED: &str = "petitions.notice_printed";

/// A petition in a list of them (no petitioner: lists are seen by more
/// people than the record).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Listed {
    pub number: String,
    pub title: String,
    pub state: String,
    pub channel: String,
    pub category: String,
    pub created_at: Timestamp,
    pub due_at: Option<Timestamp>,
}

/// The petitions being handled by any of `departments` (every agency's,
/// for `None`: a city-wide supervisor), open ones first, newest first.
pub async fn listed(
    db: &Db,
    departments: Option<&[i64]>,
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    let whose = match departments {
        Some([]) => return Ok(Vec::new()),
        Some(d) => {
            let list = egov_store::in_list(1, d.len());
            format!("WHERE COALESCE(c.assigned_department_id, c.department_id) IN ({list})")
        }
        None => String::new(),
    };
    let sql = format!(
        "SELECT c.number, c.title, c.state, p.channel, p.category, p.created_at, c.due_at \
         FROM petitions p JOIN cases c ON c.id = p.case_id {whose} \
         ORDER BY (c.closed_at IS NULL) DESC, p.case_id DESC LIMIT {limit}"
    );
    let ids: Vec<i64> = departments.map(<[i64]>::to_vec).unwrap_or_default();
    let mut r = db.reader().await?;
    Ok(run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut *c).await
    })?)
}
