//! The statistics pages: the indicators a reader may see (the public ones
//! for everyone, all of them for civil servants), and one indicator's
//! dashboard: its series with the warning bands and a year's forecast with
//! its fans, the districts ranked and on a map in the latest period, the
//! same figures as tables, and each chart's data as CSV or Excel.

use crate::forecasting::area_forecast;
use crate::views::{AreaForecast, DataPoint, LightPoint};
use crate::work::{data_points, light_points, loaded, workbook, Worked};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use egov_documents::sheet::Cell;
use egov_identity::{Permission, Principal, SessionUser};
use egov_indicators::period::PeriodType;
use egov_indicators::{definition, watchlist, Period};
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, ApiCaller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// How many periods of history a dashboard shows, by kind: ten years.
fn span(kind: PeriodType) -> i32 {
    match kind {
        PeriodType::Daily => 366,
        PeriodType::Monthly => 120,
        PeriodType::BiMonthly => 60,
        PeriodType::Quarterly => 40,
        PeriodType::Yearly => 10,
    }
}

/// The city: the dashboards' default area.
const CITY: &str = "110000";

/// How many periods the tables list, newest first.
const TABLE_ROWS: usize = 24;

pub(crate) fn viewer(caller: &ApiCaller) -> Option<SessionUser> {
    match &caller.principal {
        Principal::User(u) => Some(u.clone()),
        _ => None,
    }
}

struct ListLine {
    href: String,
    name: String,
    unit: String,
    public: bool,
}

#[derive(Template)]
#[template(path = "statistics_list.html")]
struct ListPage {
    chrome: Chrome,
    lines: Vec<ListLine>,
    /// The composite indices, each a ranking page.
    rankings: Vec<ListLine>,
    staff: bool,
}

/// `GET /statistics`.
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
) -> Result<Response, ApiError> {
    let staff = caller.require(Permission::ReadIndicators).is_ok();
    let lines = definition::list(&state.db, !staff)
        .await
        .map_err(crate::errors::problem)?
        .into_iter()
        .map(|d| ListLine {
            href: format!(
                "/statistics/{}",
                egov_web_kit::page::encode_component(&d.code)
            ),
            name: localized(locale, &d.name, d.name_en.as_deref()),
            unit: d.unit,
            public: d.public,
        })
        .collect();
    let rankings = egov_indicators::rulebook::indices(&state.db, !staff)
        .await
        .map_err(crate::errors::problem)?
        .into_iter()
        .map(|i| ListLine {
            href: format!(
                "/rankings/{}",
                egov_web_kit::page::encode_component(&i.code)
            ),
            name: localized(locale, &i.name, i.name_en.as_deref()),
            unit: String::new(),
            public: i.public,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &ListPage {
            chrome: Chrome::new(locale, viewer(&caller), "/statistics"),
            lines,
            rankings,
            staff,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    /// The area whose series is drawn: the city by default.
    pub area: Option<String>,
    /// Set after the watch form: `on` or `off`.
    pub watch: Option<String>,
}

/// One period of the series table.
struct SeriesRow {
    period: String,
    value: String,
    year_on_year: String,
    period_on_period: String,
    light: Option<&'static str>,
}

struct ForecastRow {
    period: String,
    value: String,
    range_80: String,
    range_95: String,
    light: Option<&'static str>,
}

struct DistrictRow {
    rank: usize,
    href: String,
    name: String,
    value: String,
    year_on_year: String,
    light: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "statistics_indicator.html")]
struct DashboardPage {
    chrome: Chrome,
    code: String,
    name: String,
    unit: String,
    demonstration: bool,
    area: String,
    area_name: String,
    areas: Vec<(String, String)>,
    latest: Option<String>,
    series: Vec<SeriesRow>,
    forecast: Vec<ForecastRow>,
    method: Option<&'static str>,
    mase: Option<(String, String)>,
    forecast_note: Option<String>,
    districts_period: Option<String>,
    districts: Vec<DistrictRow>,
    chart: String,
    /// For civil servants: whether they watch this area's light (and with
    /// a follow-up case on red or blue).
    watching: Option<Option<bool>>,
    /// What the last watch form did.
    watch_notice: Option<&'static str>,
}

impl DashboardPage {
    fn is_area(&self, code: &str) -> bool {
        self.area == code
    }

    /// A light's name in the page's language.
    fn light_name(&self, light: &str) -> &'static str {
        self.chrome.t(&format!("indicators.light.{light}"))
    }
}

/// The figures a dashboard draws and exports, from one load of the cube.
struct Figures {
    w: Worked,
    area: String,
    area_name: String,
    points: Vec<DataPoint>,
    lights: Vec<LightPoint>,
    forecast: Option<AreaForecast>,
    /// The latest period with a value for the area, and the districts'
    /// (or the area's divisions') figures in it.
    latest: Option<Period>,
    /// The city and its districts, named, for the area chooser.
    choices: Vec<(String, String)>,
    /// The area whose divisions are compared: the area's parent, or the
    /// city itself.
    whole: String,
}

impl Figures {
    fn own(&self) -> impl Iterator<Item = (&DataPoint, &LightPoint)> {
        self.points
            .iter()
            .zip(&self.lights)
            .filter(move |(p, _)| p.area == self.area)
    }

    /// The divisions compared in the latest period, highest first, with
    /// their lights.
    fn divisions(&self) -> Vec<(&DataPoint, &LightPoint)> {
        let Some(latest) = self.latest.map(|p| p.to_string()) else {
            return Vec::new();
        };
        let mut rows: Vec<_> = self
            .points
            .iter()
            .zip(&self.lights)
            .filter(|(p, _)| p.area != self.whole && p.period == latest && p.value.is_some())
            .collect();
        rows.sort_by(|a, b| {
            b.0.value
                .partial_cmp(&a.0.value)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        rows
    }
}

/// Loads the indicator for the area and its divisions over ten years of its
/// own kind of period, ending with the latest one with a value.
async fn figures(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    code: &str,
    area: Option<&str>,
) -> Result<Figures, ApiError> {
    let directory = crate::work::directory(&state.db).await?;
    let area = area.unwrap_or(CITY).to_owned();
    // An area is compared among its siblings (a district among the
    // districts); the city, which has none, among its districts.
    let parent = directory
        .division(&area)
        .and_then(|d| d.parent_code.clone());
    let whole = parent.clone().unwrap_or_else(|| area.clone());
    let mut w = loaded(state, caller, locale, code, Some(&whole), true, "").await?;
    if parent.is_some() {
        // The parent's own line is not wanted; the area's comes first.
        w.areas.retain(|(a, _)| a != &whole);
        w.areas.sort_by_key(|(a, _)| a != &area);
    }
    let area_name = w
        .areas
        .iter()
        .find(|(a, _)| a == &area)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| area.clone());
    let latest = latest_period(&w, &area);
    let mut choices: Vec<(String, String)> = std::iter::once(CITY.to_owned())
        .chain(crate::areas::children(&directory, CITY))
        .map(|a| {
            let name = crate::areas::label(&directory, &a, locale);
            (a, name)
        })
        .collect();
    if !choices.iter().any(|(a, _)| a == &area) {
        choices.push((area.clone(), area_name.clone()));
    }
    if let Some(last) = latest {
        let n = span(last.kind());
        w.periods = (0..n).rev().map(|k| last.shifted(-k)).collect();
    }
    let points = data_points(&w);
    let lights = light_points(&w)?;
    let (w, forecast) = if latest.is_some() {
        let target = area.clone();
        let name = area_name.clone();
        tokio::task::spawn_blocking(move || {
            let f = area_forecast(&w, &target, &name, 12, locale);
            (w, Some(f))
        })
        .await
        .map_err(ApiError::internal)?
    } else {
        (w, None)
    };
    Ok(Figures {
        w,
        area,
        area_name,
        points,
        lights,
        forecast,
        latest,
        choices,
        whole,
    })
}

/// The latest period, not after today, in which the area has a value: of
/// the kind its elements are reported in (months before quarters before
/// years when several are).
fn latest_period(w: &Worked, area: &str) -> Option<Period> {
    let today = egov_kernel::time::beijing_today();
    let mut reported: Vec<Period> = w
        .indicator
        .elements()
        .into_iter()
        .flat_map(|e| w.cube.reports(e).map(|(_, p, _)| p))
        .filter(|p| p.days().1 <= today)
        .collect();
    reported.sort_by_key(|p| (p.kind(), std::cmp::Reverse(p.days().1)));
    reported.dedup();
    // Shorter kinds first: the first kind with a value for the area wins.
    let mut kinds: Vec<PeriodType> = reported.iter().map(Period::kind).collect();
    kinds.dedup();
    for kind in kinds {
        let newest = reported.iter().filter(|p| p.kind() == kind);
        for p in newest.take(span(kind) as usize) {
            if w.cube.indicator(&w.indicator, area, p).is_some() {
                return Some(*p);
            }
        }
    }
    None
}

fn number(v: Option<f64>, decimals: u8) -> String {
    v.map(|v| format!("{v:.*}", usize::from(decimals)))
        .unwrap_or_default()
}

fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{v:+.1}%")).unwrap_or_default()
}

/// A light's word as CSS and the page know it.
fn light_word(light: Option<&str>) -> Option<&'static str> {
    egov_indicators::warning::Light::parse(light?).map(|l| l.as_str())
}

/// `GET /statistics/{code}`.
pub async fn dashboard(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    Path(code): Path<String>,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, ApiError> {
    let f = match figures(&state, &caller, locale, &code, query.area.as_deref()).await {
        Ok(f) => f,
        Err(e)
            if e.status == StatusCode::NOT_FOUND
                || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            return Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(e),
    };
    let decimals = f.w.defined.decimals;
    let mut series: Vec<SeriesRow> = f
        .own()
        .filter(|(p, _)| p.value.is_some())
        .map(|(p, l)| SeriesRow {
            period: p.period.clone(),
            value: number(p.value, decimals),
            year_on_year: percent(p.year_on_year),
            period_on_period: percent(p.period_on_period),
            light: light_word(l.light.as_deref()),
        })
        .collect();
    series.reverse();
    series.truncate(TABLE_ROWS);
    let forecast = f
        .forecast
        .as_ref()
        .map(|fc| {
            fc.points
                .iter()
                .map(|p| ForecastRow {
                    period: p.period.clone(),
                    value: number(Some(p.value), decimals),
                    range_80: format!(
                        "{} – {}",
                        number(Some(p.lower_80), decimals),
                        number(Some(p.upper_80), decimals)
                    ),
                    range_95: format!(
                        "{} – {}",
                        number(Some(p.lower_95), decimals),
                        number(Some(p.upper_95), decimals)
                    ),
                    light: light_word(p.light.as_deref()),
                })
                .collect()
        })
        .unwrap_or_default();
    // Sorted once: the table, the bars and the map draw the same order.
    let compared = f.divisions();
    let districts: Vec<DistrictRow> = compared
        .iter()
        .enumerate()
        .map(|(i, (p, l))| DistrictRow {
            rank: i + 1,
            href: format!(
                "/statistics/{}?area={}",
                egov_web_kit::page::encode_component(&code),
                p.area
            ),
            name: p.area_name.clone(),
            value: number(p.value, decimals),
            year_on_year: percent(p.year_on_year),
            light: light_word(l.light.as_deref()),
        })
        .collect();
    let fc = f.forecast.as_ref();
    let watching = match (
        &caller.principal,
        caller.require(Permission::ReadIndicators),
    ) {
        (Principal::User(u), Ok(())) => Some(
            watchlist::subscription(&state.db, u.user_id, &code, &f.area)
                .await
                .map_err(crate::errors::problem)?,
        ),
        _ => None,
    };
    let page = DashboardPage {
        chrome: Chrome::new(
            locale,
            viewer(&caller),
            format!(
                "/statistics/{}",
                egov_web_kit::page::encode_component(&code)
            ),
        ),
        code: code.clone(),
        name: localized(locale, &f.w.defined.name, f.w.defined.name_en.as_deref()),
        unit: f.w.defined.unit.clone(),
        // The shipped demonstration series, and any an office marks so.
        demonstration: code.starts_with("demo."),
        area: f.area.clone(),
        area_name: f.area_name.clone(),
        areas: f.choices.clone(),
        latest: f.latest.map(|p| p.to_string()),
        series,
        forecast,
        method: fc.and_then(|fc| fc.method.as_deref()).map(|m| match m {
            "mstl_ets" => "indicators.forecast.mstl_ets",
            _ => "indicators.forecast.ets",
        }),
        mase: fc
            .and_then(|fc| fc.backtest.as_ref())
            .map(|b| (format!("{:.2}", b.mase), format!("{:.2}", b.baseline_mase))),
        forecast_note: fc.and_then(|fc| fc.note.clone()),
        districts_period: if districts.is_empty() {
            None
        } else {
            f.latest.map(|p| p.to_string())
        },
        districts,
        chart: script_json(&chart_data(&f, &compared, locale)),
        watching,
        watch_notice: match query.watch.as_deref() {
            Some("on") => Some("indicators.dashboard.watch_on"),
            Some("off") => Some("indicators.dashboard.watch_off"),
            _ => None,
        },
    };
    Ok(render(StatusCode::OK, &page))
}

/// What the page's script draws, as JSON.
fn chart_data(
    f: &Figures,
    compared: &[(&DataPoint, &LightPoint)],
    locale: Locale,
) -> serde_json::Value {
    let own: Vec<(&DataPoint, &LightPoint)> = f.own().collect();
    let divisions: Vec<serde_json::Value> = compared
        .iter()
        .map(|(p, l)| {
            serde_json::json!({
                "area": p.area, "name": p.area_name, "value": p.value, "light": l.light,
            })
        })
        .collect();
    let forecast = f.forecast.as_ref().map(|fc| {
        serde_json::json!({
            "periods": fc.points.iter().map(|p| &p.period).collect::<Vec<_>>(),
            "value": fc.points.iter().map(|p| p.value).collect::<Vec<_>>(),
            "lower_80": fc.points.iter().map(|p| p.lower_80).collect::<Vec<_>>(),
            "upper_80": fc.points.iter().map(|p| p.upper_80).collect::<Vec<_>>(),
            "lower_95": fc.points.iter().map(|p| p.lower_95).collect::<Vec<_>>(),
            "upper_95": fc.points.iter().map(|p| p.upper_95).collect::<Vec<_>>(),
        })
    });
    let t = |k: &str| egov_web_kit::i18n::translate(locale, k);
    serde_json::json!({
        "unit": f.w.defined.unit,
        "decimals": f.w.defined.decimals,
        "periods": own.iter().map(|(p, _)| &p.period).collect::<Vec<_>>(),
        "values": own.iter().map(|(p, _)| p.value).collect::<Vec<_>>(),
        "bands": own.iter().map(|(_, l)| l.bands).collect::<Vec<_>>(),
        "forecast": forecast,
        "divisions": divisions,
        "map": Some(&f.whole).filter(|_| !compared.is_empty()),
        "labels": {
            "value": t("indicators.dashboard.value"),
            "forecast": t("indicators.dashboard.forecast"),
            "fan_80": t("indicators.dashboard.fan_80"),
            "fan_95": t("indicators.dashboard.fan_95"),
            "bands": t("indicators.dashboard.bands"),
        },
    })
}

#[derive(Debug, Deserialize)]
pub struct WatchForm {
    pub area: String,
    /// `on` to be told when the light changes, `off` to stop.
    pub watch: String,
    /// A checkbox: open a follow-up case on a red or blue light.
    #[serde(default)]
    pub open_case: Option<String>,
}

/// `POST /statistics/{code}/watch`: a civil servant starts or stops
/// watching the area's warning light; told when it changes (the hourly
/// pass, or `egov indicators watch`).
pub async fn watch(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(code): Path<String>,
    CheckedForm(form): CheckedForm<WatchForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let on = form.watch == "on";
    let open_case = form.open_case.is_some();
    match crate::watch::subscribe(&state, &caller, &code, &form.area, on, open_case).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/statistics/{}?area={}&watch={}",
            egov_web_kit::page::encode_component(&code),
            egov_web_kit::page::encode_component(&form.area),
            if on { "on" } else { "off" }
        ))
        .into_response()),
        Err(e)
            if e.status == StatusCode::NOT_FOUND
                || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => Err(e),
    }
}

/// JSON safe inside a `<script type="application/json">` block: no `<`,
/// `>` or `&` that could end it or be read as markup.
pub(crate) fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `GET /statistics/{code}/{table}.{csv|xlsx}`: `series` (the area's
/// history, growth, lights and bands, then the forecast) or `districts`
/// (the divisions in the latest period, ranked).
pub async fn export(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    Path((code, file)): Path<(String, String)>,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, ApiError> {
    let Some((table, format)) = file.rsplit_once('.') else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    if !matches!(table, "series" | "districts") || !matches!(format, "csv" | "xlsx") {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    }
    let f = figures(&state, &caller, locale, &code, query.area.as_deref()).await?;
    let t = |k: &str| egov_web_kit::i18n::translate(locale, k).to_owned();
    let (header, rows) = if table == "series" {
        series_table(&f, &t)
    } else {
        districts_table(&f, &t)
    };
    let name = format!("{code}-{}-{table}", f.area);
    if format == "xlsx" {
        workbook(&t("indicators.dashboard.sheet"), &name, header, rows).await
    } else {
        Ok(csv_file(&name, &header, &rows))
    }
}

type Table = (Vec<String>, Vec<Vec<Cell>>);

fn series_table(f: &Figures, t: &dyn Fn(&str) -> String) -> Table {
    let header = [
        "period",
        "value",
        "year_on_year",
        "period_on_period",
        "light",
        "cut_1",
        "cut_2",
        "cut_3",
        "cut_4",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
    ]
    .iter()
    .map(|k| t(&format!("indicators.column.{k}")))
    .collect();
    let mut rows: Vec<Vec<Cell>> = f
        .own()
        .map(|(p, l)| {
            let mut row = vec![
                Cell::from(p.period.as_str()),
                Cell::from(p.value),
                Cell::from(p.year_on_year),
                Cell::from(p.period_on_period),
                Cell::from(l.light.as_deref().unwrap_or("")),
            ];
            row.extend((0..4).map(|i| Cell::from(l.bands.map(|b| b[i]))));
            row.extend((0..4).map(|_| Cell::Empty));
            row
        })
        .collect();
    if let Some(fc) = &f.forecast {
        rows.extend(fc.points.iter().map(|p| {
            vec![
                Cell::from(p.period.as_str()),
                Cell::Number(p.value),
                Cell::Empty,
                Cell::Empty,
                Cell::from(p.light.as_deref().unwrap_or("")),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Number(p.lower_80),
                Cell::Number(p.upper_80),
                Cell::Number(p.lower_95),
                Cell::Number(p.upper_95),
            ]
        }));
    }
    (header, rows)
}

fn districts_table(f: &Figures, t: &dyn Fn(&str) -> String) -> Table {
    let header = [
        "rank",
        "area_code",
        "area",
        "period",
        "value",
        "year_on_year",
        "light",
    ]
    .iter()
    .map(|k| t(&format!("indicators.column.{k}")))
    .collect();
    let rows = f
        .divisions()
        .into_iter()
        .enumerate()
        .map(|(i, (p, l))| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::from(p.area.as_str()),
                Cell::from(p.area_name.as_str()),
                Cell::from(p.period.as_str()),
                Cell::from(p.value),
                Cell::from(p.year_on_year),
                Cell::from(l.light.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    (header, rows)
}

/// A table as CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel
/// reads the Chinese), and text that a spreadsheet would take for a
/// formula quoted with a leading apostrophe.
fn csv_file(name: &str, header: &[String], rows: &[Vec<Cell>]) -> Response {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let text = |c: &Cell| match c {
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@']) => format!("'{s}"),
        Cell::Text(s) => s.clone(),
        Cell::Number(n) => n.to_string(),
        Cell::Empty => String::new(),
    };
    // Writing to memory cannot fail.
    let _ = w.write_record(header);
    for row in rows {
        let _ = w.write_record(row.iter().map(text));
    }
    let bytes = w.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
