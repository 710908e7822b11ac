//! A report as posted, by an Open311 client or the report page: the form
//! read (URL-encoded, or multipart with photos in `media` parts) and its
//! fields turned into a [`NewReport`]. Both front doors read reports this
//! one way and differ only in how they say what was wrong.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use egov_grid::coords::{Datum, Point};
use egov_grid::intake::{Channel, NewReport, Reporter, Where};
use egov_grid::photos::{PhotoError, MAX_PHOTOS, MAX_PHOTO_BYTES};
use egov_web_kit::state::AppState;
use std::collections::BTreeMap;

/// The most bytes a multipart text field holds (a description of 4,000
/// characters is at most 16,000).
const FIELD_BYTES: usize = 20_000;
/// The most fields a multipart form has.
const MOST_FIELDS: usize = 200;

/// Why a posted report could not be read; nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    NotAForm,
    Unreadable,
    FieldTooLong(String),
    Photo { position: usize, error: PhotoError },
    NoService,
    NotANumber(String),
    OffTheEarth,
    LatLongApart,
    UnknownDatum,
    MalformedAttribute(String),
}

impl PostError {
    /// What to tell the reporter, in Chinese and in English.
    pub fn messages(&self) -> (String, String) {
        match self {
            PostError::NotAForm => (
                "请求须以表单提交（application/x-www-form-urlencoded，带照片时 multipart/form-data）".into(),
                "POST a form (application/x-www-form-urlencoded, or multipart/form-data with photos)".into(),
            ),
            PostError::Unreadable => ("表单无法读取".into(), "the form cannot be read".into()),
            PostError::FieldTooLong(name) => (
                format!("参数 {name} 过长"),
                format!("parameter {name} is too long"),
            ),
            PostError::Photo { position, error } => photo_messages(*position, error),
            PostError::NoService => ("缺少 service_code".into(), "service_code is required".into()),
            PostError::NotANumber(k) => (format!("{k} 不是数字"), format!("{k} is not a number")),
            PostError::OffTheEarth => (
                "经纬度超出范围".into(),
                "lat must lie in [-90, 90] and long in [-180, 180]".into(),
            ),
            PostError::LatLongApart => (
                "lat 与 long 须同时提供".into(),
                "lat and long go together".into(),
            ),
            PostError::UnknownDatum => (
                "datum 只能是 wgs84 或 gcj02".into(),
                "datum must be wgs84 or gcj02".into(),
            ),
            PostError::MalformedAttribute(k) => (
                format!("参数 {k} 格式不对"),
                format!("parameter {k} is malformed: attribute[CODE] or attribute[CODE][]"),
            ),
        }
    }
}

/// What to say about the photo at `position` (from 1).
pub fn photo_messages(position: usize, error: &PhotoError) -> (String, String) {
    let zh = match error {
        PhotoError::Empty => "是空文件".to_owned(),
        PhotoError::TooLarge => format!("超过 {} MB", MAX_PHOTO_BYTES / 1024 / 1024),
        PhotoError::TooMany => format!("超出上限：一次最多 {MAX_PHOTOS} 张"),
        PhotoError::NotAnImage => "不是 JPEG 或 PNG 图片".to_owned(),
        PhotoError::Unreadable => "无法读取".to_owned(),
    };
    (
        format!("第 {position} 张照片{zh}"),
        format!("photo {position}: {error}"),
    )
}

/// Query or form pairs, with empty values dropped (Open311: an empty
/// parameter is a missing one).
pub fn pairs(raw: &[u8]) -> Result<Vec<(String, String)>, PostError> {
    let all: Vec<(String, String)> =
        serde_urlencoded::from_bytes(raw).map_err(|_| PostError::Unreadable)?;
    Ok(all
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect())
}

/// The first value of `key`, trimmed.
pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim())
}

/// A posted form's fields (empty ones dropped), and the photos (`media`
/// parts) of a multipart one.
pub async fn read(
    state: &AppState,
    request: Request,
) -> Result<(Vec<(String, String)>, Vec<Vec<u8>>), PostError> {
    let kind = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if kind.starts_with("application/x-www-form-urlencoded") {
        let body = axum::body::to_bytes(request.into_body(), state.settings.max_body_bytes)
            .await
            .map_err(|_| PostError::Unreadable)?;
        return Ok((pairs(&body)?, Vec::new()));
    }
    if !kind.starts_with("multipart/form-data") {
        return Err(PostError::NotAForm);
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| PostError::Unreadable)?;
    let (mut form, mut photos) = (Vec::new(), Vec::new());
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| PostError::Unreadable)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let is_photo = name == "media" || name == "media[]";
        let photo_error = |error| PostError::Photo {
            position: photos.len() + 1,
            error,
        };
        // A page's file input sends an empty part when nothing was chosen.
        if is_photo && field.file_name().is_some_and(str::is_empty) {
            while field
                .chunk()
                .await
                .map_err(|_| PostError::Unreadable)?
                .is_some()
            {}
            continue;
        }
        if is_photo && photos.len() == MAX_PHOTOS {
            return Err(photo_error(PhotoError::TooMany));
        }
        let limit = if is_photo {
            MAX_PHOTO_BYTES
        } else {
            FIELD_BYTES
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| PostError::Unreadable)? {
            if bytes.len() + chunk.len() > limit {
                return Err(if is_photo {
                    photo_error(PhotoError::TooLarge)
                } else {
                    PostError::FieldTooLong(name)
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_photo {
            photos.push(bytes);
            continue;
        }
        let text = String::from_utf8(bytes).map_err(|_| PostError::Unreadable)?;
        if text.contains('\0') || form.len() == MOST_FIELDS {
            return Err(PostError::Unreadable);
        }
        if !text.trim().is_empty() {
            form.push((name, text));
        }
    }
    Ok((form, photos))
}

/// The report the fields describe (GeoReport v2's parameters, with
/// `datum` for points from Chinese map apps).
pub fn new_report(
    channel: Channel,
    form: &[(String, String)],
    photos: Vec<Vec<u8>>,
) -> Result<NewReport, PostError> {
    let service_code = first(form, "service_code").ok_or(PostError::NoService)?;
    let number = |k: &str| -> Result<Option<f64>, PostError> {
        first(form, k)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| PostError::NotANumber(k.to_owned()))
            })
            .transpose()
    };
    let (lat, lon) = (number("lat")?, number("long")?);
    let datum = match first(form, "datum") {
        None => Datum::Wgs84,
        Some(d) => Datum::parse(d).ok_or(PostError::UnknownDatum)?,
    };
    let location = match (lat, lon, first(form, "address_id")) {
        (Some(lat), Some(lon), _) => {
            let point = Point::new(lat, lon).map_err(|_| PostError::OffTheEarth)?;
            Some(Where::Point { point, datum })
        }
        (Some(_), None, _) | (None, Some(_), _) => return Err(PostError::LatLongApart),
        (None, None, Some(cell)) => Some(Where::Cell(cell.to_owned())),
        (None, None, None) => None,
    };
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form {
        if let Some(rest) = k.strip_prefix("attribute[") {
            let code = rest
                .strip_suffix("][]")
                .or_else(|| rest.strip_suffix(']'))
                .filter(|c| !c.is_empty() && !c.contains(['[', ']']))
                .ok_or_else(|| PostError::MalformedAttribute(k.clone()))?;
            attributes
                .entry(code.to_owned())
                .or_default()
                .push(v.clone());
        }
    }
    let text = |k: &str| first(form, k).map(str::to_owned);
    Ok(NewReport {
        channel,
        service_code: service_code.to_owned(),
        location,
        address: text("address_string"),
        description: text("description"),
        attributes,
        reporter: Reporter {
            email: text("email"),
            phone: text("phone"),
            first_name: text("first_name"),
            last_name: text("last_name"),
            device_id: text("device_id"),
            account_id: text("account_id"),
        },
        media_url: text("media_url"),
        api_key_id: None,
        user_id: None,
        photos,
    })
}
