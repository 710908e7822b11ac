//! Reports taken in (信息采集): checked against the classes and the grid,
//! written durably as received (the reporter is answered with a token once
//! the row is on disk). A report is a request from then on, with its own
//! id; it becomes a case of the grid process when the command centre
//! decides on it (`filing.rs`).

use crate::classes::{check_attributes, AttributeError};
use crate::coords::{Datum, Point};
use crate::layers::{grid, LayersError};
use crate::map::Placement;
use crate::photos::{self, Photo, PhotoError};
use egov_cases::attachments::FileStore;
use egov_kernel::time::{self, Timestamp};
use egov_store::{query, Db, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The process a report's case follows once the centre decides on it.
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

/// A report stored: the token of its follow link.
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
/// when this returns. It waits on the command centre's list until a
/// dispatcher decides on it (`filing::decide`).
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
    Ok(Received { token, received_at })
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

/// A random 128-bit token, in hex.
pub(crate) fn token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}
