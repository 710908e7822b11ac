//! Open311 GeoReport v2 under `/open311/v2`: discovery, services and their
//! definitions (the sub-classes of problems and their questions), reports
//! posted by clients holding an API key (`open311:write`), tokens, and the
//! requests (each report one, by its own id from the moment it is taken
//! in: waiting to be filed, then at its case's step), in JSON and XML. Errors are the spec's list of
//! `{code, description}` with 400, 403 or 404.

use crate::format::{answer, Format};
use crate::posted::{self, first, PostError};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use egov_grid::classes::{Classification, Service};
use egov_grid::intake::{self, Channel, ReportError};
use egov_grid::layers::grid;
use egov_grid::requests::{self, Filter, ServiceRequest, Status};
use egov_kernel::time::Timestamp;
use egov_kernel::Locale;
use egov_web_kit::context::Lang;
use egov_web_kit::state::AppState;
use serde_json::{json, Value};

/// The most requests one answer lists (the spec's default cap).
pub const MOST: u32 = 1000;
/// The longest span `start_date`..`end_date` may cover, in days.
pub const SPAN_DAYS: i64 = 90;

/// An error the spec's way: its status, and the description.
pub struct Open311Error {
    status: StatusCode,
    description: String,
}

impl Open311Error {
    fn new(status: StatusCode, lang: Locale, zh: &str, en: &str) -> Self {
        let description = match lang {
            Locale::Zh => zh,
            Locale::En => en,
        };
        Open311Error {
            status,
            description: description.to_owned(),
        }
    }

    fn bad(lang: Locale, zh: &str, en: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, lang, zh, en)
    }

    fn not_found(lang: Locale) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            lang,
            "没有这个资源",
            "no such resource",
        )
    }

    fn into_response(self, format: Format) -> Response {
        let body = json!([{"code": self.status.as_u16(), "description": self.description}]);
        answer(self.status, format, "errors", &body)
    }

    /// The server's failure: logged with its cause, shown as 503 when the
    /// database is out of reach (the same request will work again), else 500.
    fn internal(cause: &(dyn std::error::Error + 'static), lang: Locale) -> Self {
        tracing::error!(error = %egov_kernel::error::Chain(cause), "an Open311 request failed");
        if egov_store::unavailable_in_chain(cause) {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                lang,
                "服务暂时不可用，请稍后再试",
                "the service is unavailable; try again shortly",
            );
        }
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            lang,
            "服务器内部错误",
            "the server failed",
        )
    }
}

type Answer = Result<Response, Open311Error>;

/// Runs a handler's body in the format the path asked for (JSON for
/// errors on paths that name none).
fn respond(format: Format, result: Answer) -> Response {
    result.unwrap_or_else(|e| e.into_response(format))
}

/// The answer to a path whose last segment names no format.
fn no_format(lang: Locale) -> Response {
    Open311Error::not_found(lang).into_response(Format::Json)
}

/// A posted report that could not be read, as the spec's error.
fn post_error(e: PostError, lang: Locale) -> Open311Error {
    let (zh, en) = e.messages();
    Open311Error::bad(lang, &zh, &en)
}

/// Query pairs, as the spec's error when they cannot be read.
fn pairs(raw: &[u8], lang: Locale) -> Result<Vec<(String, String)>, Open311Error> {
    posted::pairs(raw).map_err(|e| post_error(e, lang))
}

fn time_text(t: Timestamp) -> String {
    let beijing = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    t.with_timezone(&beijing)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn service_json(s: Service<'_>, lang: Locale) -> Value {
    let en = lang == Locale::En;
    let pick = |zh: &str, english: &str| {
        if en && !english.is_empty() {
            english.to_owned()
        } else {
            zh.to_owned()
        }
    };
    json!({
        "service_code": s.code(),
        "service_name": pick(&s.sub.name, &s.sub.name_en),
        "description": format!(
            "{}：{}／{}",
            if en { s.class.kind.name_en() } else { s.class.kind.name() },
            pick(&s.class.name, &s.class.name_en),
            pick(&s.sub.name, &s.sub.name_en)
        ),
        "metadata": !s.sub.attributes.is_empty(),
        "type": "realtime",
        "keywords": s.sub.keywords.join(","),
        "group": pick(&s.class.name, &s.class.name_en),
    })
}

/// Where this server is reached from outside: the configured public
/// address, else the host the client asked for.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    egov_web_kit::context::public_base(&state.settings, headers)
}

fn request_json(r: &ServiceRequest, base: &str) -> Value {
    let media_url = r.media_url.clone().or_else(|| {
        r.photo
            .as_ref()
            .map(|sha| format!("{base}{}", crate::photos::path(sha)))
    });
    json!({
        "service_request_id": r.id,
        "status": r.status.as_str(),
        "status_notes": r.status_notes,
        "service_name": r.service_name,
        "service_code": r.service_code,
        "description": r.description,
        "agency_responsible": r.agency_responsible,
        "service_notice": Value::Null,
        "requested_datetime": time_text(r.requested),
        "updated_datetime": time_text(r.updated),
        "expected_datetime": r.expected.map(time_text),
        "address": r.address,
        "address_id": r.address_id,
        "zipcode": Value::Null,
        "lat": r.lat,
        "long": r.lon,
        "media_url": media_url,
    })
}

/// `GET /open311/v2/{discovery|services|requests}.{json|xml}`
pub async fn get_resource(
    State(state): State<AppState>,
    Lang(lang): Lang,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((name, format)) = Format::split(&file) else {
        return no_format(lang);
    };
    let query = query.unwrap_or_default();
    let result = match name {
        "discovery" => Ok(discovery(&state, &headers, format)),
        "services" => services(&state, lang, format).await,
        "requests" => {
            let base = base_url(&state, &headers);
            list_requests(&state, lang, query.as_bytes(), format, &base).await
        }
        _ => Err(Open311Error::not_found(lang)),
    };
    respond(format, result)
}

fn discovery(state: &AppState, headers: &HeaderMap, format: Format) -> Response {
    let base = base_url(state, headers);
    let changeset = "2026-12-05T00:00:00+08:00";
    let body = json!({
        "changeset": changeset,
        "contact": "12345 市民服务热线 (Beijing citizens' hotline): 12345",
        "key_service": "API keys are issued by the platform's administrators (egov admin api-key create --scope open311:write)",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{base}/open311/v2"),
            "changeset": changeset,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    });
    answer(StatusCode::OK, format, "discovery", &body)
}

async fn classes(
    state: &AppState,
    lang: Locale,
) -> Result<std::sync::Arc<egov_grid::layers::Grid>, Open311Error> {
    grid(&state.db)
        .await
        .map_err(|e| Open311Error::internal(&e, lang))
}

async fn services(state: &AppState, lang: Locale, format: Format) -> Answer {
    let g = classes(state, lang).await?;
    let list: Vec<Value> = g
        .classes
        .services()
        .map(|s| service_json(s, lang))
        .collect();
    Ok(answer(
        StatusCode::OK,
        format,
        "services",
        &Value::Array(list),
    ))
}

/// `GET /open311/v2/services/{code}.{json|xml}`: a service's questions.
pub async fn service_definition(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(file): Path<String>,
) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return no_format(lang);
    };
    let result = async {
        let g = classes(&state, lang).await?;
        let s = g.classes.service(code).ok_or_else(|| Open311Error::not_found(lang))?;
        let en = lang == Locale::En;
        let attributes: Vec<Value> = s
            .sub
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let description = if en && !a.description_en.is_empty() {
                    &a.description_en
                } else {
                    &a.description
                };
                json!({
                    "variable": true,
                    "code": a.code,
                    "datatype": a.datatype.as_str(),
                    "required": a.required,
                    "datatype_description": Value::Null,
                    "order": i + 1,
                    "description": description,
                    "values": a.values.iter().map(|v| json!({"key": v.key, "name": v.name})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let body = json!({"service_code": s.code(), "attributes": attributes});
        Ok(answer(StatusCode::OK, format, "service_definition", &body))
    }
    .await;
    respond(format, result)
}

/// `POST /open311/v2/requests.{json|xml}`: a report, with an API key.
pub async fn post_request(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(file): Path<String>,
    request: Request,
) -> Response {
    let Some((name, format)) = Format::split(&file) else {
        return no_format(lang);
    };
    if name != "requests" {
        return Open311Error::not_found(lang).into_response(format);
    }
    respond(format, submit(&state, lang, request, format).await)
}

async fn submit(state: &AppState, lang: Locale, request: Request, format: Format) -> Answer {
    let (form, photos) = posted::read(state, request)
        .await
        .map_err(|e| post_error(e, lang))?;
    let forbidden = || {
        Open311Error::new(
            StatusCode::FORBIDDEN,
            lang,
            "api_key 缺失或无效",
            "invalid or missing api_key",
        )
    };
    let key = first(&form, "api_key").ok_or_else(forbidden)?;
    let key = egov_identity::authenticate_api_key(&state.db, key)
        .await
        .map_err(|e| Open311Error::internal(&e, lang))?
        .filter(|k| k.allows(egov_identity::Scope::Open311Write))
        .ok_or_else(forbidden)?;
    let text = |k: &str| first(&form, k).map(str::to_owned);
    let account_id = text("account_id");
    let mut new =
        posted::new_report(Channel::Open311, &form, photos).map_err(|e| post_error(e, lang))?;
    new.api_key_id = Some(key.id);
    let service_code = new.service_code.clone();
    let g = classes(state, lang).await?;
    let notice = g.classes.service(&service_code).map(|s| {
        let d = s.sub.deadline;
        let (zh_unit, en_unit) = match d.unit {
            egov_grid::classes::DeadlineUnit::Hour => ("个工作小时", "working hours"),
            egov_grid::classes::DeadlineUnit::Workday => ("个工作日", "working days"),
        };
        match lang {
            Locale::Zh => format!(
                "已收到。立案派遣后，责任单位须在 {} {}内处置。",
                d.amount, zh_unit
            ),
            Locale::En => format!(
                "Received. Once filed and dispatched, the department has {} {} to deal with it.",
                d.amount, en_unit
            ),
        }
    });
    let received = intake::submit(&state.db, &state.files, new)
        .await
        .map_err(|e| report_error(e, lang))?;
    let body = json!([{
        "token": received.token,
        "service_notice": notice,
        "account_id": account_id,
    }]);
    Ok(answer(StatusCode::OK, format, "service_requests", &body))
}

fn report_error(e: ReportError, lang: Locale) -> Open311Error {
    let bad = |zh: String, en: String| Open311Error::bad(lang, &zh, &en);
    match e {
        ReportError::UnknownService(code) => Open311Error::new(
            StatusCode::NOT_FOUND,
            lang,
            &format!("没有服务代码 {code}"),
            &format!("no service code {code}"),
        ),
        ReportError::NoLocation => bad(
            "须给出位置：lat 与 long，或 address_id（单元网格代码）".into(),
            e.to_string(),
        ),
        ReportError::OutsideTheGrid => bad("该位置不在本市网格范围内".into(), e.to_string()),
        ReportError::UnknownCell(ref c) => {
            bad(format!("address_id {c} 不是单元网格代码"), e.to_string())
        }
        ReportError::DescriptionTooLong => bad(
            format!("问题描述超过 {} 字", intake::DESCRIPTION_LIMIT),
            e.to_string(),
        ),
        ReportError::TooLong { field, limit } => {
            bad(format!("{field} 超过 {limit} 字"), e.to_string())
        }
        ReportError::MediaUrl => bad("media_url 须为 http 或 https 地址".into(), e.to_string()),
        ReportError::Attribute(ref a) => bad(format!("附加信息有误：{a}"), e.to_string()),
        ReportError::Photo {
            position,
            ref error,
        } => {
            let (zh, en) = posted::photo_messages(position, error);
            bad(zh, en)
        }
        ReportError::Files(ref cause) => Open311Error::internal(cause, lang),
        ReportError::Layers(ref cause) => Open311Error::internal(cause, lang),
        ReportError::Store(ref cause) => Open311Error::internal(cause, lang),
    }
}

fn parse_time(v: &str, k: &str, lang: Locale) -> Result<Timestamp, Open311Error> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.to_utc())
        .map_err(|_| {
            Open311Error::bad(
                lang,
                &format!("{k} 须为带时区的 ISO 8601 时间"),
                &format!("{k} must be an ISO 8601 date and time with a zone"),
            )
        })
}

async fn list_requests(
    state: &AppState,
    lang: Locale,
    query: &[u8],
    format: Format,
    base: &str,
) -> Answer {
    let q = pairs(query, lang)?;
    let list = |k: &str| -> Vec<String> {
        first(&q, k)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let positive = |k: &str, default: u32| -> Result<u32, Open311Error> {
        match first(&q, k) {
            None => Ok(default),
            Some(v) => v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                Open311Error::bad(
                    lang,
                    &format!("{k} 须为正整数"),
                    &format!("{k} must be a positive whole number"),
                )
            }),
        }
    };
    let mut filter = Filter {
        ids: list("service_request_id"),
        page: positive("page", 1)?,
        page_size: positive("page_size", MOST)?.min(MOST),
        ..Filter::default()
    };
    // Ids named supersede every other parameter (the spec).
    if filter.ids.is_empty() {
        filter.service_codes = list("service_code");
        let start = first(&q, "start_date")
            .map(|v| parse_time(v, "start_date", lang))
            .transpose()?;
        let end = first(&q, "end_date")
            .map(|v| parse_time(v, "end_date", lang))
            .transpose()?;
        let span = chrono::Duration::days(SPAN_DAYS);
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, s + span),
            (None, Some(e)) => (e - span, e),
            (None, None) => {
                let now = egov_kernel::time::now();
                (now - span, now)
            }
        };
        if end < start {
            return Err(Open311Error::bad(
                lang,
                "end_date 早于 start_date",
                "end_date comes before start_date",
            ));
        }
        if end - start > span {
            return Err(Open311Error::bad(
                lang,
                &format!("时间跨度不得超过 {SPAN_DAYS} 天"),
                &format!("start_date to end_date may span at most {SPAN_DAYS} days"),
            ));
        }
        filter.start = Some(start);
        filter.end = Some(end);
        // A comma list, as service codes are: both is no filter.
        let mut statuses = Vec::new();
        for s in list("status") {
            statuses.push(Status::parse(&s).ok_or_else(|| {
                Open311Error::bad(
                    lang,
                    "status 只能是 open 或 closed",
                    "status must be open or closed",
                )
            })?);
        }
        statuses.dedup();
        filter.status = match statuses.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        filter.near = near(state, lang, &q).await?;
    } else {
        filter.page = 1;
    }
    let found = find(state, lang, &filter).await?;
    let body = Value::Array(found.iter().map(|r| request_json(r, base)).collect());
    Ok(answer(StatusCode::OK, format, "service_requests", &body))
}

/// The longest radius a search around a point may have, in metres.
const MOST_RADIUS: f64 = 5000.0;

/// An extension of the spec, as other servers have it: `lat` and `long`
/// (WGS 84) with `radius` in metres (the grid's duplicate radius unless
/// given) keep to requests around a point: what a client shows a resident
/// before they report the same problem again.
async fn near(
    state: &AppState,
    lang: Locale,
    q: &[(String, String)],
) -> Result<Option<(egov_grid::coords::Point, f64)>, Open311Error> {
    let number = |k: &str| -> Result<Option<f64>, Open311Error> {
        first(q, k)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| {
                        let e = PostError::NotANumber(k.to_owned());
                        post_error(e, lang)
                    })
            })
            .transpose()
    };
    let (lat, lon, radius) = (number("lat")?, number("long")?, number("radius")?);
    let point = match (lat, lon) {
        (Some(lat), Some(lon)) => egov_grid::coords::Point::new(lat, lon)
            .map_err(|_| post_error(PostError::OffTheEarth, lang))?,
        (None, None) => return Ok(None),
        _ => return Err(post_error(PostError::LatLongApart, lang)),
    };
    let radius = match radius {
        Some(r) if r > 0.0 && r <= MOST_RADIUS => r,
        Some(_) => {
            return Err(Open311Error::bad(
                lang,
                &format!("radius 须在 0 到 {MOST_RADIUS} 米之间"),
                &format!("radius must lie between 0 and {MOST_RADIUS} metres"),
            ))
        }
        None => f64::from(classes(state, lang).await?.classes.duplicate_radius_m),
    };
    Ok(Some((point, radius)))
}

async fn find(
    state: &AppState,
    lang: Locale,
    filter: &Filter,
) -> Result<Vec<ServiceRequest>, Open311Error> {
    let g = classes(state, lang).await?;
    let classes: &Classification = &g.classes;
    requests::find(
        &state.db,
        &state.processes,
        &state.calendar,
        classes,
        filter,
    )
    .await
    .map_err(|e| Open311Error::internal(&e, lang))
}

/// `GET /open311/v2/requests/{id}.{json|xml}`
pub async fn get_request(
    State(state): State<AppState>,
    Lang(lang): Lang,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let Some((id, format)) = Format::split(&file) else {
        return no_format(lang);
    };
    let result = async {
        let filter = Filter {
            ids: vec![id.to_owned()],
            page: 1,
            page_size: 1,
            ..Filter::default()
        };
        let found = find(&state, lang, &filter).await?;
        if found.is_empty() {
            return Err(Open311Error::not_found(lang));
        }
        let base = base_url(&state, &headers);
        let body = Value::Array(found.iter().map(|r| request_json(r, &base)).collect());
        Ok(answer(StatusCode::OK, format, "service_requests", &body))
    }
    .await;
    respond(format, result)
}

/// `GET /open311/v2/tokens/{token}.{json|xml}`: the request a token names.
pub async fn get_token(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(file): Path<String>,
) -> Response {
    let Some((token, format)) = Format::split(&file) else {
        return no_format(lang);
    };
    let result = async {
        let found = requests::by_token(&state.db, token)
            .await
            .map_err(|e| Open311Error::internal(&e, lang))?
            .ok_or_else(|| Open311Error::not_found(lang))?;
        let body = json!([{"service_request_id": found.report.to_string(), "token": token}]);
        Ok(answer(StatusCode::OK, format, "service_requests", &body))
    }
    .await;
    respond(format, result)
}
