//! Reports as service requests (Open311's view): each from when it came in,
//! by its own id; waiting to be filed (待立案) until the command centre
//! decides on it, then at the step its case is at, told as open or closed
//! with a note; filtered and paged.

use crate::classes::Classification;
use crate::intake::PROCESS;
use egov_calendar::CalendarCache;
use egov_cases::registry::Processes;
use egov_kernel::time::Timestamp;
use egov_store::{run, Db, StoreError};
use std::collections::HashMap;

/// Open or closed: all Open311 tells of a request's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "open" => Some(Status::Open),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

/// A request as a client reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRequest {
    /// The report's id: the request's from when it came in.
    pub id: String,
    /// The case it became, once the centre decided on it.
    pub case_number: Option<String>,
    pub status: Status,
    /// The step it is at, and what the last step said.
    pub status_notes: String,
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// The department handling it (or filing it, before dispatch).
    pub agency_responsible: Option<String>,
    pub requested: Timestamp,
    pub updated: Timestamp,
    /// When the current step is due, while it is open.
    pub expected: Option<Timestamp>,
    pub address: Option<String>,
    /// The grid cell.
    pub address_id: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub media_url: Option<String>,
    /// The digest of the first photo taken with it, if any.
    pub photo: Option<String>,
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub ids: Vec<String>,
    pub service_codes: Vec<String>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub status: Option<Status>,
    /// Around a point, within a radius in metres.
    pub near: Option<(crate::coords::Point, f64)>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    district: String,
    number: Option<String>,
    state: Option<String>,
    process_version: Option<i32>,
    closed_at: Option<Timestamp>,
    due_at: Option<Timestamp>,
    state_entered_at: Option<Timestamp>,
    department_id: Option<i64>,
    assigned_department_id: Option<i64>,
    service_code: String,
    description: String,
    received_at: Timestamp,
    address: Option<String>,
    cell: Option<String>,
    lat: f64,
    lon: f64,
    media_url: Option<String>,
    photo: Option<String>,
    last_fields: Option<String>,
}

const COLUMNS: &str = "SELECT r.id, r.district, c.number, c.state, c.process_version, c.closed_at, c.due_at, \
     c.state_entered_at, c.department_id, c.assigned_department_id, r.service_code, r.description, \
     r.received_at, r.address, r.cell, r.lat, r.lon, r.media_url, \
     (SELECT p.sha256 FROM grid_photos p WHERE p.report_id = r.id AND p.position = 0) AS photo, \
     (SELECT e.fields FROM case_events e WHERE e.case_id = c.id ORDER BY e.seq DESC LIMIT 1) AS last_fields \
     FROM grid_reports r";

/// What follows `grid_reports r` in a query of reports around a point, on
/// `db`'s engine: SQLite's planner, left to itself, reads a class's whole
/// window through the index that gives the order (or, with statistics, every
/// open case), where the zones' index reads a few short ranges; PostgreSQL's
/// weighs them by its statistics.
pub(crate) fn by_zone(db: &Db) -> &'static str {
    match db.engine() {
        egov_store::Engine::Sqlite => " INDEXED BY grid_reports_zone",
        egov_store::Engine::Postgres => "",
    }
}

/// The requests the filter names, newest first.
pub async fn find(
    db: &Db,
    processes: &Processes,
    calendar: &CalendarCache,
    classes: &Classification,
    filter: &Filter,
) -> Result<Vec<ServiceRequest>, RequestsError> {
    let zones = filter
        .near
        .and_then(|(p, radius)| crate::coords::zones_around(p, radius));
    // The zones' index leads with the service code.
    let hint = match (&zones, filter.service_codes.is_empty()) {
        (Some(_), false) => by_zone(db),
        _ => "",
    };
    // Every report (the filters below add to it), with its case once filed.
    let mut sql = format!("{COLUMNS}{hint} LEFT JOIN cases c ON c.id = r.case_id WHERE r.id > 0");
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let mut ids: Vec<i64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut times: Vec<Timestamp> = Vec::new();
    if !filter.ids.is_empty() {
        // An id that is not a report's number names none.
        ids = filter
            .ids
            .iter()
            .map(|id| id.trim().parse().unwrap_or(0))
            .collect();
        let marks: Vec<String> = ids.iter().map(|_| next()).collect();
        sql.push_str(&format!(" AND r.id IN ({})", marks.join(", ")));
    }
    if !filter.service_codes.is_empty() {
        let marks: Vec<String> = filter.service_codes.iter().map(|_| next()).collect();
        sql.push_str(&format!(" AND r.service_code IN ({})", marks.join(", ")));
        texts.extend(filter.service_codes.iter().cloned());
    }
    let mut time_marks = Vec::new();
    if let Some(start) = filter.start {
        time_marks.push((" AND r.received_at >= ", start));
    }
    if let Some(end) = filter.end {
        time_marks.push((" AND r.received_at <= ", end));
    }
    for (clause, t) in time_marks {
        sql.push_str(clause);
        sql.push_str(&next());
        times.push(t);
    }
    let mut floats: Vec<f64> = Vec::new();
    if let Some((p, radius)) = filter.near {
        let (dlat, dlon) = crate::coords::degrees_around(p, radius);
        let marks: Vec<String> = (0..4).map(|_| next()).collect();
        sql.push_str(&format!(
            " AND r.lat BETWEEN {} AND {} AND r.lon BETWEEN {} AND {}",
            marks[0], marks[1], marks[2], marks[3]
        ));
        floats.extend([p.lat - dlat, p.lat + dlat, p.lon - dlon, p.lon + dlon]);
    }
    let zones = zones.unwrap_or_default();
    if !zones.is_empty() {
        let marks: Vec<String> = zones.iter().map(|_| next()).collect();
        sql.push_str(&format!(" AND r.zone IN ({})", marks.join(", ")));
    }
    match filter.status {
        Some(Status::Open) => sql.push_str(" AND c.closed_at IS NULL"),
        Some(Status::Closed) => sql.push_str(" AND c.closed_at IS NOT NULL"),
        None => {}
    }
    let (limit, offset) = (next(), next());
    sql.push_str(&format!(
        " ORDER BY r.received_at DESC, r.id DESC LIMIT {limit} OFFSET {offset}"
    ));
    let size = i64::from(filter.page_size.max(1));
    let skip = i64::from(filter.page.max(1) - 1) * size;
    let mut r = db.reader().await?;
    let rows: Vec<RequestRow> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        for t in &texts {
            q = q.bind(t);
        }
        for t in &times {
            q = q.bind(t);
        }
        for f in &floats {
            q = q.bind(f);
        }
        for z in &zones {
            q = q.bind(z);
        }
        q.bind(size).bind(skip).fetch_all(&mut *c).await
    })
    .map_err(StoreError::from)?;
    drop(r);
    // The square around the point, cut to the circle.
    let rows = match filter.near {
        Some((p, radius)) => rows
            .into_iter()
            .filter(|row| {
                p.distance_m(crate::coords::Point {
                    lat: row.lat,
                    lon: row.lon,
                }) <= radius
            })
            .collect(),
        None => rows,
    };
    views(db, processes, calendar, classes, rows).await
}

/// What reading requests can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RequestsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Process(#[from] egov_cases::registry::RegistryError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
}

async fn views(
    db: &Db,
    processes: &Processes,
    calendar: &CalendarCache,
    classes: &Classification,
    rows: Vec<RequestRow>,
) -> Result<Vec<ServiceRequest>, RequestsError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let directory = egov_org::directory(db).await?;
    // Only a report waiting to be filed has a deadline to work out.
    let calendar = match rows.iter().any(|r| r.number.is_none()) {
        true => Some(calendar.get(db).await?),
        false => None,
    };
    // Reports not yet filed are at the first step of the process they
    // will follow.
    let latest = processes.latest(db, PROCESS).await?;
    let mut definitions = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let def = match row.process_version {
            Some(version) => match definitions.entry(version) {
                std::collections::hash_map::Entry::Occupied(e) => std::sync::Arc::clone(e.get()),
                std::collections::hash_map::Entry::Vacant(slot) => slot
                    .insert(processes.get(db, PROCESS, version as u32).await?)
                    .clone(),
            },
            None => latest.clone(),
        };
        let state = row.state.as_deref().unwrap_or(&def.initial);
        let step = def
            .state(state)
            .map_or(state.to_owned(), |s| s.name.clone());
        let said = row
            .last_fields
            .as_deref()
            .and_then(|f| serde_json::from_str::<serde_json::Value>(f).ok())
            .and_then(|f| {
                ["reasons", "result", "reason"]
                    .iter()
                    .find_map(|k| f.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
            });
        let status_notes = match said {
            Some(s) => format!("{step}：{s}"),
            None => step,
        };
        let agency = match row.department_id {
            Some(owner) => Some(row.assigned_department_id.unwrap_or(owner)),
            None => crate::intake::command_centre(&directory, &row.district),
        }
        .and_then(|id| directory.department(id))
        .map(|d| d.name.clone());
        let service_name = classes
            .service(&row.service_code)
            .map_or_else(|| row.service_code.clone(), |s| s.sub.name.clone());
        let status = if row.closed_at.is_some() {
            Status::Closed
        } else {
            Status::Open
        };
        let expected = match (&row.number, &calendar) {
            (None, Some(calendar)) => egov_cases::first_due(&def, calendar, row.received_at),
            _ => row.due_at,
        };
        out.push(ServiceRequest {
            id: row.id.to_string(),
            case_number: row.number,
            status,
            status_notes,
            service_code: row.service_code,
            service_name,
            description: row.description,
            agency_responsible: agency,
            requested: row.received_at,
            updated: row
                .closed_at
                .or(row.state_entered_at)
                .unwrap_or(row.received_at),
            expected: expected.filter(|_| status == Status::Open),
            address: row.address,
            address_id: row.cell,
            lat: row.lat,
            lon: row.lon,
            media_url: row.media_url,
            photo: row.photo,
        });
    }
    Ok(out)
}

/// A report found by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokened {
    /// The report's id (its request's).
    pub report: i64,
    /// Its case, once the centre decided on it.
    pub case_number: Option<String>,
}

/// The report a token was given for.
pub async fn by_token(db: &Db, token: &str) -> Result<Option<Tokened>, StoreError> {
    let mut r = db.reader().await?;
    let row: Option<(i64, Option<String>)> = run!(r, |c| sqlx::query_as(
        "SELECT r.id, c.number FROM grid_reports r LEFT JOIN cases c ON c.id = r.case_id \
         WHERE r.token = $1"
    )
    .bind(token)
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    Ok(row.map(|(report, case_number)| Tokened {
        report,
        case_number,
    }))
}

/// Whether a stored file is a report's photo or thumbnail, which anyone
/// may see (the problem is in a public place; its metadata is gone).
pub async fn is_report_photo(db: &Db, sha256: &str) -> Result<bool, StoreError> {
    let mut r = db.reader().await?;
    let found: Option<(i32,)> = run!(r, |c| sqlx::query_as(
        "SELECT 1 FROM grid_photos WHERE sha256 = $1 OR thumb_sha256 = $1 LIMIT 1"
    )
    .bind(sha256)
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    Ok(found.is_some())
}

/// A report as its follow link shows it: what was reported, and where its
/// request has got to.
#[derive(Debug, Clone)]
pub struct Followed {
    pub token: String,
    pub service_code: String,
    pub description: String,
    pub received_at: Timestamp,
    pub request: Option<ServiceRequest>,
    /// Each photo's digest and its thumbnail's.
    pub photos: Vec<(String, String)>,
    /// Who filed it signed in (never shown: it lets them withdraw it).
    pub reported_by: Option<i64>,
}

/// The report a follow link's token names.
pub async fn followed(
    db: &Db,
    processes: &Processes,
    calendar: &CalendarCache,
    classes: &Classification,
    token: &str,
) -> Result<Option<Followed>, RequestsError> {
    let mut r = db.reader().await?;
    let row: Option<(i64, String, String, Timestamp, Option<i64>)> = run!(r, |c| sqlx::query_as(
        "SELECT id, service_code, description, received_at, user_id FROM grid_reports \
         WHERE token = $1"
    )
    .bind(token)
    .fetch_optional(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    let Some((id, service_code, description, received_at, reported_by)) = row else {
        return Ok(None);
    };
    drop(r);
    let photos = photos_of(db, id).await?;
    let filter = Filter {
        ids: vec![id.to_string()],
        page: 1,
        page_size: 1,
        ..Filter::default()
    };
    let request = find(db, processes, calendar, classes, &filter).await?.pop();
    Ok(Some(Followed {
        token: token.to_owned(),
        service_code,
        description,
        received_at,
        request,
        photos,
        reported_by,
    }))
}

/// Report `id`'s photos: each one's digest and its thumbnail's, in order.
pub async fn photos_of(db: &Db, id: i64) -> Result<Vec<(String, String)>, StoreError> {
    let mut r = db.reader().await?;
    let photos = run!(r, |c| sqlx::query_as(
        "SELECT sha256, thumb_sha256 FROM grid_photos WHERE report_id = $1 ORDER BY position"
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await)?;
    Ok(photos)
}

/// A request on the command centre's map and list: a report waiting to be
/// filed, or an open case.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Worked {
    /// The report's id (the request's).
    pub report: i64,
    /// Its case; `None` while it waits to be filed.
    pub number: Option<String>,
    pub service_code: String,
    /// The case's state; `None` while it waits to be filed.
    pub state: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub street: Option<String>,
    pub received_at: Timestamp,
    /// When the current step is due (filing, for a report waiting).
    pub due_at: Option<Timestamp>,
}

/// What the centre works on: the reports waiting to be filed, oldest (the
/// nearest their filing deadline) first, then the open cases, newest first;
/// at most `limit` of each.
pub async fn worklist(
    db: &Db,
    processes: &Processes,
    calendar: &CalendarCache,
    limit: i64,
) -> Result<Vec<Worked>, RequestsError> {
    #[derive(sqlx::FromRow)]
    struct Waiting {
        id: i64,
        service_code: String,
        lat: f64,
        lon: f64,
        address: Option<String>,
        street: Option<String>,
        received_at: Timestamp,
    }
    let mut r = db.reader().await?;
    let waiting: Vec<Waiting> = run!(r, |c| sqlx::query_as(
        "SELECT id, service_code, lat, lon, address, street, received_at FROM grid_reports \
         WHERE opened_at IS NULL ORDER BY id LIMIT $1"
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    let open: Vec<Worked> = run!(r, |c| sqlx::query_as(
        "SELECT r.id AS report, c.number, r.service_code, c.state, r.lat, r.lon, r.address, \
         r.street, r.received_at, c.due_at FROM grid_reports r JOIN cases c ON c.id = r.case_id \
         WHERE c.closed_at IS NULL ORDER BY r.received_at DESC, r.id DESC LIMIT $1"
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    drop(r);
    let def = processes.latest(db, PROCESS).await?;
    let calendar = calendar.get(db).await?;
    let mut out: Vec<Worked> = waiting
        .into_iter()
        .map(|w| Worked {
            report: w.id,
            number: None,
            service_code: w.service_code,
            state: None,
            lat: w.lat,
            lon: w.lon,
            address: w.address,
            street: w.street,
            due_at: egov_cases::first_due(&def, &calendar, w.received_at),
            received_at: w.received_at,
        })
        .collect();
    out.extend(open);
    Ok(out)
}

/// A number that changes whenever a report comes in or any case takes a
/// step (the newest of each only grows): what the command centre's page is
/// pushed to refresh on.
pub async fn steps_version(db: &Db) -> Result<i64, StoreError> {
    let mut r = db.reader().await?;
    let v: Option<i64> = run!(r, |c| sqlx::query_scalar(
        "SELECT COALESCE((SELECT MAX(id) FROM case_events), 0) \
         + COALESCE((SELECT MAX(id) FROM grid_reports), 0)"
    )
    .fetch_one(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    Ok(v.unwrap_or(0))
}
