//! Reports taken in (信息采集): checked against the classes and the grid,
//! written durably as received (the reporter is answered with a token once
//! the row is on disk), then opened as cases of the grid process in batches
//! ([`open_waiting`]), which gives each its request id.

use crate::classes::{check_attributes, AttributeError};
use crate::coords::{Datum, Point};
use crate::layers::{grid, LayersError};
use crate::map::Placement;
use crate::photos::{self, Photo, PhotoError};
use egov_audit::Event;
use egov_cases::attachments::{record_all, FileStore, Recorded, Stored};
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{in_list, query, run, values, Db, Engine, StoreError, Tx};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The process reports are opened as.
pub const PROCESS: &str = "city_grid_case";

/// The longest description a report may carry (Open311's limit).
pub const DESCRIPTION_LIMIT: usize = 4000;

egov_store::text_enum! {
    /// Where a report came from.
    pub enum Channel {
        Open311 = "open311",
        Citizen = "citizen",
        Patroller = "patroller",
        Hotline = "hotline",
    }
}

/// Who reported, as far as they said (all optional; never shown publicly).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// Where a report says the problem is.
#[derive(Debug, Clone, PartialEq)]
pub enum Where {
    /// A point, in the datum it was given in.
    Point { point: Point, datum: Datum },
    /// A unit cell's fifteen-digit code (Open311's `address_id`).
    Cell(String),
}

/// A report as given, before it is checked.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub channel: Channel,
    pub service_code: String,
    pub location: Option<Where>,
    pub address: Option<String>,
    pub description: Option<String>,
    /// `attribute[CODE]` answers; a multi-value list repeats its code.
    pub attributes: BTreeMap<String, Vec<String>>,
    pub reporter: Reporter,
    pub media_url: Option<String>,
    /// The API key it came with (an Open311 client).
    pub api_key_id: Option<i64>,
    /// The signed-in person who filed it.
    pub user_id: Option<i64>,
    /// Photos as sent (at most [`photos::MAX_PHOTOS`]).
    pub photos: Vec<Vec<u8>>,
}

/// Why a report was refused; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("unknown service code '{0}'")]
    UnknownService(String),
    #[error("a location is required: lat and long, or address_id (a grid cell's code)")]
    NoLocation,
    #[error("the point lies outside the city grid")]
    OutsideTheGrid,
    #[error("address_id '{0}' is not a grid cell")]
    UnknownCell(String),
    #[error("the description is longer than {DESCRIPTION_LIMIT} characters")]
    DescriptionTooLong,
    #[error("{field} is longer than {limit} characters")]
    TooLong { field: &'static str, limit: usize },
    #[error("media_url must be an http or https address")]
    MediaUrl,
    #[error(transparent)]
    Attribute(#[from] AttributeError),
    #[error("photo {position}: {error}")]
    Photo { position: usize, error: PhotoError },
    #[error("storing a photo")]
    Files(#[source] std::io::Error),
    #[error("reading the grid")]
    Layers(#[from] LayersError),
    #[error("storing the report")]
    Store(#[from] StoreError),
}

/// A report stored: the token that finds it until it is opened as a case.
#[derive(Debug, Clone)]
pub struct Received {
    pub token: String,
    pub received_at: Timestamp,
}

fn bounded(
    field: &'static str,
    v: Option<String>,
    limit: usize,
) -> Result<Option<String>, ReportError> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match v {
        Some(s) if s.chars().count() > limit => Err(ReportError::TooLong { field, limit }),
        v => Ok(v),
    }
}

/// A report, checked: a known service, a place in the grid, answers its
/// questions take. What [`submit`] stores.
#[derive(Debug, Clone)]
pub struct CheckedReport {
    pub channel: Channel,
    pub service_code: String,
    pub classes_version: String,
    pub point: Point,
    pub placement: Placement,
    pub address: Option<String>,
    pub description: String,
    pub attributes: BTreeMap<String, serde_json::Value>,
    pub reporter: Reporter,
    pub media_url: Option<String>,
    pub api_key_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Photos as sent, checked by [`store_photos`].
    pub photos: Vec<Vec<u8>>,
}

/// Checks a report against the grid this node serves.
pub async fn check(db: &Db, new: NewReport) -> Result<CheckedReport, ReportError> {
    if new.photos.len() > photos::MAX_PHOTOS {
        return Err(ReportError::Photo {
            position: photos::MAX_PHOTOS + 1,
            error: PhotoError::TooMany,
        });
    }
    let grid = grid(db).await?;
    let service = grid
        .classes
        .service(new.service_code.trim())
        .ok_or_else(|| ReportError::UnknownService(new.service_code.clone()))?;
    let (point, placement) = match new.location {
        None => return Err(ReportError::NoLocation),
        Some(Where::Point { point, datum }) => {
            let point = point.from_datum(datum);
            let placement = grid.map.locate(point).ok_or(ReportError::OutsideTheGrid)?;
            (point, placement)
        }
        Some(Where::Cell(code)) => {
            let code = code.trim().to_owned();
            let is_cell = grid
                .map
                .area(&code)
                .is_some_and(|a| a.level == crate::map::Level::Cell);
            let point = grid
                .map
                .inside_point(&code)
                .filter(|_| is_cell)
                .ok_or(ReportError::UnknownCell(code))?;
            let placement = grid.map.locate(point).ok_or(ReportError::OutsideTheGrid)?;
            (point, placement)
        }
    };
    let description = new
        .description
        .map(|d| d.trim().to_owned())
        .unwrap_or_default();
    if description.chars().count() > DESCRIPTION_LIMIT {
        return Err(ReportError::DescriptionTooLong);
    }
    let description = if description.is_empty() {
        service.sub.name.clone()
    } else {
        description
    };
    let media_url = bounded("media_url", new.media_url, 2000)?;
    if let Some(u) = &media_url {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(ReportError::MediaUrl);
        }
    }
    let r = new.reporter;
    let reporter = Reporter {
        email: bounded("email", r.email, 200)?,
        phone: bounded("phone", r.phone, 30)?,
        first_name: bounded("first_name", r.first_name, 50)?,
        last_name: bounded("last_name", r.last_name, 50)?,
        device_id: bounded("device_id", r.device_id, 100)?,
        account_id: bounded("account_id", r.account_id, 100)?,
    };
    Ok(CheckedReport {
        channel: new.channel,
        service_code: service.code(),
        classes_version: grid.classes.version.clone(),
        point,
        placement,
        address: bounded("address_string", new.address, 500)?,
        description,
        attributes: check_attributes(service.sub, &new.attributes)?,
        reporter,
        media_url,
        api_key_id: new.api_key_id,
        user_id: new.user_id,
        photos: new.photos,
    })
}

/// A photo stored: the JPEG and its thumbnail, by digest.
#[derive(Debug, Clone)]
struct StoredPhoto {
    sha256: String,
    thumb_sha256: String,
    size: i64,
    width: u32,
    height: u32,
}

/// Turns the photos upright without their metadata (off the executor) and
/// writes them durably; the first that is not a photo refuses them all.
async fn store_photos(
    files: &FileStore,
    sent: Vec<Vec<u8>>,
) -> Result<Vec<StoredPhoto>, ReportError> {
    if sent.is_empty() {
        return Ok(Vec::new());
    }
    let prepared: Vec<Photo> = tokio::task::spawn_blocking(move || {
        sent.iter()
            .enumerate()
            .map(|(i, bytes)| {
                photos::prepare(bytes).map_err(|error| ReportError::Photo {
                    position: i + 1,
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .expect("preparing photos does not panic")?;
    let mut stored = Vec::with_capacity(prepared.len());
    for p in prepared {
        let size = p.jpeg.len() as i64;
        let sha256 = files.put(p.jpeg).await.map_err(ReportError::Files)?;
        let thumb_sha256 = files.put(p.thumb).await.map_err(ReportError::Files)?;
        stored.push(StoredPhoto {
            sha256,
            thumb_sha256,
            size,
            width: p.width,
            height: p.height,
        });
    }
    Ok(stored)
}

/// Checks a report and stores it as received, with its photos: durable
/// when this returns. It is opened as a case by [`open_waiting`].
pub async fn submit(db: &Db, files: &FileStore, new: NewReport) -> Result<Received, ReportError> {
    let mut r = check(db, new).await?;
    let photos = store_photos(files, std::mem::take(&mut r.photos)).await?;
    let token = token();
    let received_at = time::now();
    let p = &r.placement;
    let insert = query(
            "INSERT INTO grid_reports (token, channel, service_code, classes_version, lat, lon, \
             district, street, community, cell, address, description, attributes, reporter, \
             media_url, api_key_id, user_id, received_at, zone) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(token.clone())
        .bind(r.channel)
        .bind(r.service_code)
        .bind(r.classes_version)
        .bind(r.point.lat)
        .bind(r.point.lon)
        .bind(p.district.clone())
        .bind(p.street.clone())
        .bind(p.community.clone())
        .bind(p.cell.clone())
        .bind(r.address)
        .bind(r.description)
        .bind(serde_json::to_string(&r.attributes).expect("JSON values serialise"))
        .bind(serde_json::to_string(&r.reporter).expect("strings serialise"))
        .bind(r.media_url)
        .bind(r.api_key_id)
        .bind(r.user_id)
        .bind(received_at)
        .bind(crate::coords::zone(r.point));
    if photos.is_empty() {
        // The hot path: one row, grouped with others' on PostgreSQL.
        db.insert_logged(insert).await?;
    } else {
        let token = token.clone();
        db.write(move |tx| {
            Box::pin(async move {
                tx.execute(insert).await?;
                let id: i64 = tx
                    .fetch_scalar(query("SELECT id FROM grid_reports WHERE token = $1").bind(token))
                    .await?;
                for (position, p) in photos.into_iter().enumerate() {
                    tx.execute(
                        query(
                            "INSERT INTO grid_photos (report_id, position, sha256, thumb_sha256, \
                             size, width, height) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(id)
                        .bind(position as i32)
                        .bind(p.sha256)
                        .bind(p.thumb_sha256)
                        .bind(p.size)
                        .bind(p.width as i32)
                        .bind(p.height as i32),
                    )
                    .await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    }
    LAST_RECEIVED.mark();
    OPENER.notify_one();
    Ok(Received { token, received_at })
}

/// Wakes the opener when a report has been received.
static OPENER: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// How many reports one transaction opens at most.
pub const BATCH: i64 = 256;

/// How many while reports are still pouring in: a transaction of this many
/// holds the writer for a few milliseconds, so the reporters it makes wait
/// are still answered within the intake's latency target.
pub const PEAK_BATCH: i64 = 64;

/// Reports arriving closer together than this make a peak, during which
/// the opener may hold back (see [`run_opener`]).
pub const LULL: Duration = Duration::from_millis(20);

/// When this node last received a report.
static LAST_RECEIVED: Lately = Lately::new();

/// A moment kept as milliseconds since the process's first use of it, so
/// that every request can note it without a lock.
struct Lately(std::sync::atomic::AtomicU64, std::sync::OnceLock<Instant>);

impl Lately {
    const fn new() -> Lately {
        Lately(
            std::sync::atomic::AtomicU64::new(0),
            std::sync::OnceLock::new(),
        )
    }

    fn origin(&self) -> Instant {
        *self.1.get_or_init(Instant::now)
    }

    fn mark(&self) {
        // One past, so that a mark at the origin is not taken for none.
        let ms = self.origin().elapsed().as_millis() as u64 + 1;
        self.0.fetch_max(ms, std::sync::atomic::Ordering::Relaxed);
    }

    fn within(&self, span: Duration) -> bool {
        let last = self.0.load(std::sync::atomic::Ordering::Relaxed);
        let now = self.origin().elapsed().as_millis() as u64;
        last > 0 && now.saturating_sub(last) < span.as_millis() as u64
    }
}

/// Opens received reports as cases for as long as the server runs: woken
/// by each report this node receives, and once a second for those received
/// by other nodes (or left by a failure).
///
/// Opening a report costs the writer several times what taking it in does,
/// and both share it (on SQLite, one thread). During a peak, reports
/// arriving with no [`LULL`] between them, the opener leaves the writer to
/// the intake for up to `hold`, so that reporters are answered at the rate
/// the writer takes rows; then it catches up on everything waiting before
/// it holds back again, in batches of [`PEAK_BATCH`] while the peak goes
/// on. A zero `hold` opens reports as they come.
pub async fn run_opener(db: Db, processes: egov_cases::registry::Processes, hold: Duration) {
    let mut held_since: Option<Instant> = None;
    loop {
        loop {
            if LAST_RECEIVED.within(LULL) {
                let since = *held_since.get_or_insert_with(Instant::now);
                if holds_back(hold, since.elapsed()) {
                    tokio::time::sleep(LULL).await;
                    continue;
                }
            }
            let batch = if LAST_RECEIVED.within(LULL) {
                PEAK_BATCH
            } else {
                BATCH
            };
            match open_waiting(&db, &processes, batch).await {
                Ok(done) if done.read as i64 == batch => continue,
                Ok(_) => {
                    held_since = None;
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %egov_kernel::error::Chain(&e), "opening received reports failed");
                    break;
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), OPENER.notified()).await;
    }
}

/// Whether the opener, in a peak it has held back for `held` of, waits on:
/// not once `hold` has passed (it then catches up on everything waiting),
/// and never with a zero `hold`.
fn holds_back(hold: Duration, held: Duration) -> bool {
    held < hold
}

/// A random 128-bit token, in hex.
pub(crate) fn token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What opening waiting reports can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Layers(#[from] LayersError),
    #[error(transparent)]
    Org(#[from] egov_org::OrgError),
    #[error(transparent)]
    Calendar(#[from] egov_calendar::LoadError),
    #[error(transparent)]
    Process(#[from] egov_cases::registry::RegistryError),
    #[error(transparent)]
    Case(#[from] egov_cases::CaseError),
    #[error(transparent)]
    Routing(#[from] crate::routing::store::RoutingError),
}

#[derive(sqlx::FromRow)]
struct Waiting {
    id: i64,
    token: String,
    channel: Channel,
    service_code: String,
    lat: f64,
    lon: f64,
    district: String,
    cell: Option<String>,
    address: Option<String>,
    description: String,
    user_id: Option<i64>,
}

/// The department that files and dispatches a district's reports: its
/// city-management command centre (城市管理指挥中心, under the 城市管理委),
/// else its 城市管理委 itself, else the city's. A centre of its own lets
/// the reports the 城市管理委 handles be dispatched to it.
pub fn command_centre(directory: &egov_org::Directory, district: &str) -> Option<i64> {
    directory
        .by_code(&format!("{district}-CGZX"))
        .or_else(|| directory.by_code(&format!("{district}-CGW")))
        .or_else(|| directory.by_code("110000-CGW"))
        .map(|d| d.id)
}

/// What one call of [`open_waiting`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// Waiting reports it read: as many as it was allowed means more may
    /// wait.
    pub read: usize,
    /// Those it opened; the rest another opener claimed first (or the
    /// process refused).
    pub opened: usize,
}

/// Opens up to `limit` waiting reports as cases, oldest first, in one
/// transaction with their audit records. Several nodes may run it at once:
/// a report is opened by whichever claims it first; a batch that finds
/// some of its reports claimed by another is rolled back and read again.
pub async fn open_waiting(
    db: &Db,
    processes: &egov_cases::registry::Processes,
    limit: i64,
) -> Result<Opened, OpenError> {
    loop {
        if let Some(opened) = open_batch(db, processes, limit).await? {
            return Ok(opened);
        }
    }
}

/// [`open_waiting`] once; `None`: another opener claimed some of the
/// batch first.
async fn open_batch(
    db: &Db,
    processes: &egov_cases::registry::Processes,
    limit: i64,
) -> Result<Option<Opened>, OpenError> {
    let mut r = db.reader().await?;
    let waiting: Vec<Waiting> = run!(r, |c| sqlx::query_as(
        "SELECT id, token, channel, service_code, lat, lon, district, cell, address, description, user_id \
         FROM grid_reports WHERE opened_at IS NULL ORDER BY id LIMIT $1"
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    let read = waiting.len();
    let (Some(first), Some(last)) = (waiting.first(), waiting.last()) else {
        return Ok(Some(Opened { read, opened: 0 }));
    };
    let photo_rows: Vec<(i64, i32, String, i64)> = run!(r, |c| sqlx::query_as(
        "SELECT report_id, position, sha256, size FROM grid_photos \
         WHERE report_id BETWEEN $1 AND $2 ORDER BY report_id, position"
    )
    .bind(first.id)
    .bind(last.id)
    .fetch_all(&mut *c)
    .await)
    .map_err(StoreError::from)?;
    drop(r);
    let mut photos: HashMap<i64, Vec<Stored>> = HashMap::new();
    for (report, position, sha256, size) in photo_rows {
        photos.entry(report).or_default().push(Stored {
            name: format!("现场照片{}.jpg", position + 1),
            media_type: "image/jpeg".to_owned(),
            size,
            sha256,
        });
    }
    let grid = grid(db).await?;
    let directory = egov_org::directory(db).await?;
    let calendar = egov_calendar::load_calendar(db).await?;
    let process = processes.latest(db, PROCESS).await?;
    let hours_a_day = working_hours_a_day(&calendar);
    let routes = route(&grid, crate::routing::store::routing(db).await?, &waiting).await;
    let mut openings = Vec::with_capacity(waiting.len());
    for (w, routed) in waiting.iter().zip(routes) {
        let Some(department) = command_centre(&directory, &w.district) else {
            tracing::error!(district = %w.district, "no command centre for the district: report left waiting");
            continue;
        };
        let service = grid.classes.service(&w.service_code);
        let name = service.map_or(w.service_code.as_str(), |s| s.sub.name.as_str());
        let title = format!("{name}：{}", excerpt(&w.description, 30));
        let mut new = egov_cases::engine::NewCase::new(&process, department, &title);
        new.applicant_id = w.user_id;
        let mut data = serde_json::json!({
            "category": name,
            "description": w.description,
            "service_code": w.service_code,
            "channel": w.channel.as_str(),
        });
        if let Some(cell) = &w.cell {
            data["cell"] = cell.clone().into();
        }
        if let Some(address) = &w.address {
            data["address"] = address.clone().into();
        }
        new.data = data;
        new.location = egov_cases::case::Location::new(w.lat, w.lon, w.address.clone()).ok();
        if let Some(s) = service {
            new.deadlines.insert(
                "handling".to_owned(),
                s.sub.deadline.working_hours(hours_a_day),
            );
        }
        // One report the process refuses must not hold up the others.
        match egov_cases::engine::prepare(&calendar, egov_cases::acting::Acting::Platform, new) {
            // The centre works reports from its live list (the centre page).
            Ok(opening) => openings.push(Ready {
                report: w.id,
                token: w.token.clone(),
                user_id: w.user_id,
                photos: photos.remove(&w.id).unwrap_or_default(),
                routed,
                opening: opening.without_staff_notice(),
            }),
            Err(e) => tracing::error!(
                report = w.id,
                error = %egov_kernel::error::Chain(&e),
                "the grid process refuses a received report: left waiting"
            ),
        }
    }
    let opened = db
        .write(move |tx| Box::pin(async move { open_claimed(tx, openings).await }))
        .await;
    match opened {
        Ok(opened) => Ok(Some(Opened { read, opened })),
        Err(Claim::Raced) => Ok(None),
        Err(Claim::Failed(e)) => Err(e.into()),
    }
}

/// Why a batch was not opened.
#[derive(Debug)]
enum Claim {
    /// Another opener claimed some of its reports first: rolled back.
    Raced,
    Failed(egov_cases::CaseError),
}

impl From<egov_cases::CaseError> for Claim {
    fn from(e: egov_cases::CaseError) -> Self {
        Claim::Failed(e)
    }
}

impl From<StoreError> for Claim {
    fn from(e: StoreError) -> Self {
        Claim::Failed(e.into())
    }
}

/// A waiting report made ready to open: its case prepared, its photos and
/// route found.
struct Ready {
    report: i64,
    token: String,
    user_id: Option<i64>,
    photos: Vec<Stored>,
    routed: Routed,
    opening: egov_cases::engine::Opening,
}

/// Opens the reports' cases and ties each report to its case, claiming
/// it, with a few statements for the whole batch. Reports another opener
/// took meanwhile are left out first (so two openers reading the same
/// waiting reports do not both write their cases); the rest are claimed by
/// the same statement that ties them (one change of each report's row, not
/// two): should another opener still have claimed any first, nothing is kept.
async fn open_claimed(tx: &mut Tx, ready: Vec<Ready>) -> Result<usize, Claim> {
    let ready = still_waiting(tx, ready).await?;
    if ready.is_empty() {
        return Ok(0);
    }
    let (ready, openings): (Vec<_>, Vec<_>) = ready
        .into_iter()
        .map(|r| {
            let Ready {
                report,
                token,
                user_id,
                photos,
                routed,
                opening,
            } = r;
            ((report, token, user_id, photos, routed), opening)
        })
        .unzip();
    let ctx = Context::system();
    let cases = egov_cases::open_all(tx, &ctx, openings).await?;
    let sql = format!(
        "WITH opened (id, case_id, routed_to, routing_rule, suggested, suggested_confidence) \
         AS (VALUES {}) UPDATE grid_reports SET opened_at = ${}, case_id = opened.case_id, \
         routed_to = opened.routed_to, routing_rule = opened.routing_rule, \
         suggested = opened.suggested, suggested_confidence = opened.suggested_confidence \
         FROM opened WHERE grid_reports.id = opened.id AND grid_reports.opened_at IS NULL",
        values(ready.len(), 6),
        ready.len() * 6 + 1
    );
    let tie = ready
        .iter()
        .zip(&cases)
        .fold(query(&sql), |q, ((report, _, _, _, routed), case)| {
            q.bind(*report)
                .bind(case.id)
                .bind(routed.department.as_deref())
                .bind(routed.rule.as_deref())
                .bind(routed.suggested.as_deref())
                .bind(routed.confidence)
        })
        .bind(time::now());
    if tx.execute(tie).await? != ready.len() as u64 {
        return Err(Claim::Raced);
    }
    let photos: Vec<Recorded<'_>> = ready
        .iter()
        .zip(&cases)
        .map(|((_, _, user_id, photos, _), case)| Recorded {
            case_id: case.id,
            case_number: &case.number,
            files: photos,
            uploaded_by: *user_id,
        })
        .collect();
    record_all(tx, &ctx, &photos, false).await?;
    let audit = ready
        .iter()
        .zip(&cases)
        .map(|((report, token, ..), case)| Event {
            action: "grid.report_opened",
            object_type: "case",
            object_id: &case.number,
            detail: serde_json::json!({"report": report, "token": token}),
        })
        .collect();
    egov_audit::append_all(tx, &ctx, audit).await?;
    Ok(cases.len())
}

/// The reports no other opener has opened or is opening: on PostgreSQL
/// their rows locked for this transaction, those another opener holds
/// skipped; on SQLite the writer runs one transaction at a time anyway.
async fn still_waiting(tx: &mut Tx, ready: Vec<Ready>) -> Result<Vec<Ready>, StoreError> {
    if ready.is_empty() {
        return Ok(ready);
    }
    let lock = match tx.engine() {
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let sql = format!(
        "SELECT id FROM grid_reports WHERE id IN ({}) AND opened_at IS NULL{lock}",
        in_list(1, ready.len())
    );
    let waiting: std::collections::HashSet<i64> = tx
        .fetch_all::<(i64,)>(ready.iter().fold(query(&sql), |q, r| q.bind(r.report)))
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    Ok(ready
        .into_iter()
        .filter(|r| waiting.contains(&r.report))
        .collect())
}

/// Where the rules send a report and what the classifier suggests, as
/// stored with it when it is opened.
#[derive(Debug, Default)]
struct Routed {
    /// The department's code (`110101-CGZFJ`).
    department: Option<String>,
    /// The rule's name; `None`: the sub-class's default.
    rule: Option<String>,
    /// The classifier's department abbreviation and its probability.
    suggested: Option<String>,
    confidence: Option<f64>,
}

/// Routes a batch of reports: cutting descriptions into words is CPU work,
/// done off the executor.
async fn route(
    grid: &Arc<crate::layers::Grid>,
    model: Arc<crate::routing::store::Routing>,
    waiting: &[Waiting],
) -> Vec<Routed> {
    let reports: Vec<(String, String, String)> = waiting
        .iter()
        .map(|w| {
            let area = w.cell.clone().unwrap_or_else(|| w.district.clone());
            (w.service_code.clone(), area, w.description.clone())
        })
        .collect();
    let grid = grid.clone();
    tokio::task::spawn_blocking(move || {
        reports
            .iter()
            .map(|(service, area, description)| {
                let destination =
                    grid.routing
                        .destination(&grid.classes, service, area, description);
                let suggestion = model.suggest(service, description);
                Routed {
                    department: destination
                        .as_ref()
                        .map(|d| d.department.as_str().to_owned()),
                    rule: destination.and_then(|d| d.rule.map(|r| r.name.clone())),
                    confidence: suggestion.as_ref().map(|s| f64::from(s.confidence)),
                    suggested: suggestion.map(|s| s.department),
                }
            })
            .collect()
    })
    .await
    .expect("routing does not panic")
}

/// The length of a working day in hours, from the calendar's office hours.
fn working_hours_a_day(cal: &egov_calendar::WorkCalendar) -> u32 {
    let secs: i64 = cal
        .working_hours()
        .periods
        .iter()
        .map(|(a, b)| (*b - *a).num_seconds())
        .sum();
    u32::try_from(secs / 3600).unwrap_or(8).max(1)
}

/// The first `n` characters of `text`, with an ellipsis if it was longer.
fn excerpt(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if text.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opener_holds_back_for_at_most_its_hold() {
        let hold = Duration::from_secs(30);
        assert!(holds_back(hold, Duration::ZERO));
        assert!(holds_back(hold, Duration::from_secs(29)));
        assert!(!holds_back(hold, hold));
        assert!(!holds_back(Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn a_moment_marked_is_recent_and_none_is_not() {
        let lately = Lately::new();
        assert!(!lately.within(Duration::from_secs(3600)));
        lately.mark();
        assert!(lately.within(Duration::from_secs(3600)));
    }
}
