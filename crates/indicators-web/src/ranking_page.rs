//! The ranking page: the districts (the divisions below an area) ranked on
//! a composite index for a period, with the change since the period before,
//! as bars, on a map and as a table, and the table as Excel. Public indices
//! are for everyone; the rest for civil servants.

use crate::ranking::{composite_lights, ranking};
use crate::views::{DataQuery, RankingQuery, RankingView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_indicators::period::PeriodType;
use egov_indicators::Period;
use egov_kernel::Locale;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::context::Lang;
use egov_web_kit::page::{encode_component, error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct RankingPageQuery {
    /// The period ranked; the latest ranked one by default.
    pub period: Option<String>,
    /// `departments` ranks the city's departments instead of its districts.
    pub units: Option<String>,
}

/// A period of the city's composite warning signal.
struct SignalRow {
    period: String,
    score: String,
    light: Option<&'static str>,
    signals: Vec<Option<&'static str>>,
}

struct PlaceRow {
    rank: usize,
    name: String,
    score: String,
    /// The published group's catalogue key.
    group: String,
    previous: String,
    /// "up", "down" or "same", with the places.
    change: Option<(&'static str, i64)>,
    parts: Vec<String>,
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct RankingPage {
    chrome: Chrome,
    code: String,
    name: String,
    demonstration: bool,
    period: String,
    previous_period: String,
    periods: Vec<String>,
    components: Vec<String>,
    places: Vec<PlaceRow>,
    unranked: Vec<String>,
    /// `departments` when the city's departments are ranked.
    units: Option<&'static str>,
    xlsx: String,
    chart: String,
    /// The city's composite signal over the year up to the period, newest
    /// first.
    signals: Vec<SignalRow>,
}

impl RankingPage {
    fn is_period(&self, p: &str) -> bool {
        self.period == p
    }

    /// A light's name in the page's language.
    fn light_name(&self, light: &str) -> &'static str {
        self.chrome.t(&format!("indicators.light.{light}"))
    }
}

fn light_of(word: Option<&str>) -> Option<&'static str> {
    egov_indicators::warning::Light::parse(word?).map(|l| l.as_str())
}

/// How far back the page looks for a ranked period, shortest kind first.
const LOOK_BACK: [(PeriodType, i32); 3] = [
    (PeriodType::Monthly, 3),
    (PeriodType::Quarterly, 4),
    (PeriodType::Yearly, 2),
];

/// `GET /rankings/{code}`.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    caller: ApiCaller,
    Path(code): Path<String>,
    Query(query): Query<RankingPageQuery>,
) -> Result<Response, ApiError> {
    let units = query.units.as_deref().filter(|u| *u == "departments");
    let found = match &query.period {
        Some(p) => ranked(&state, &caller, locale, &code, p, units).await?,
        None => latest(&state, &caller, locale, &code, units).await?,
    };
    let Some(view) = found else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let period = Period::parse(&view.period).map_err(ApiError::internal)?;
    let periods = (0..8).map(|k| period.shifted(-k).to_string()).collect();
    let mut components = Vec::with_capacity(view.index.components.len());
    for c in &view.index.components {
        let defined = egov_indicators::definition::get(&state.db, &c.indicator)
            .await
            .map_err(crate::errors::problem)?;
        components.push(
            defined
                .map(|d| localized(locale, &d.name, d.name_en.as_deref()))
                .unwrap_or_else(|| c.indicator.clone()),
        );
    }
    let places = view
        .places
        .iter()
        .map(|p| PlaceRow {
            rank: p.rank,
            name: p.area_name.clone(),
            score: format!("{:.3}", p.score),
            group: format!("indicators.group.{}", p.group),
            previous: p.previous_rank.map(|r| r.to_string()).unwrap_or_default(),
            change: p.change.map(|c| match c {
                c if c > 0 => ("up", c),
                c if c < 0 => ("down", -c),
                _ => ("same", 0),
            }),
            parts: p
                .parts
                .iter()
                .map(|part| part.value.map(|v| format!("{v:.1}")).unwrap_or_default())
                .collect(),
        })
        .collect();
    let chart = serde_json::json!({
        "unit": "",
        "decimals": 3,
        "periods": [],
        "values": [],
        "bands": [],
        "forecast": null,
        "divisions": view.places.iter().map(|p| serde_json::json!({
            "area": p.area, "name": p.area_name, "value": p.score,
        })).collect::<Vec<_>>(),
        "map": (!view.places.is_empty() && units.is_none()).then_some("110000"),
        "labels": { "value": egov_web_kit::i18n::translate(locale, "indicators.ranking.score") },
    });
    let year = DataQuery {
        area: None,
        children: false,
        from: period.shifted(-11).to_string(),
        to: view.period.clone(),
        category: None,
    };
    // The city's signal is over divisions' figures; departments have none.
    let lights = match units {
        Some(_) => Vec::new(),
        None => {
            composite_lights(&state, &caller, locale, &code, &year)
                .await?
                .lights
        }
    };
    let mut signals: Vec<SignalRow> = lights
        .into_iter()
        .map(|l| SignalRow {
            period: l.period,
            score: l.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
            light: light_of(l.light.as_deref()),
            signals: l.signals.iter().map(|s| light_of(s.as_deref())).collect(),
        })
        .collect();
    signals.reverse();
    let page = RankingPage {
        chrome: Chrome::new(
            locale,
            crate::statistics::viewer(&caller),
            format!("/rankings/{}", encode_component(&code)),
        ),
        name: localized(locale, &view.index.name, view.index.name_en.as_deref()),
        demonstration: code.starts_with("demo."),
        xlsx: format!(
            "/api/v1/indicators/composites/{}/ranking?period={}&format=xlsx{}",
            encode_component(&code),
            view.period,
            if units.is_some() {
                "&units=departments"
            } else {
                ""
            }
        ),
        units: units.map(|_| "departments"),
        code,
        period: view.period.clone(),
        previous_period: view.previous_period.clone(),
        periods,
        components,
        places,
        unranked: view.unranked,
        chart: crate::statistics::script_json(&chart),
        signals,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The ranking for a period; None for an index the caller may not read or
/// a period that is not one.
async fn ranked(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    code: &str,
    period: &str,
    units: Option<&str>,
) -> Result<Option<RankingView>, ApiError> {
    let query = RankingQuery {
        area: None,
        units: units.map(str::to_owned),
        period: period.to_owned(),
        format: None,
    };
    match ranking(state, caller, locale, code, &query).await {
        Ok(v) => Ok(Some(v)),
        Err(e)
            if e.status == StatusCode::NOT_FOUND
                || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The latest period, before today's, in which any area is ranked: the last
/// few months, else quarters, else years; else the last quarter, empty.
async fn latest(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    code: &str,
    units: Option<&str>,
) -> Result<Option<RankingView>, ApiError> {
    let today = egov_kernel::time::beijing_today();
    let mut fallback = None;
    for (kind, back) in LOOK_BACK {
        let now = match kind {
            PeriodType::Monthly => Period::month_of(today),
            PeriodType::Quarterly => Period::quarter_of(today),
            _ => Period::Year(chrono::Datelike::year(&today)),
        };
        for k in 1..=back {
            let Some(view) = ranked(
                state,
                caller,
                locale,
                code,
                &now.shifted(-k).to_string(),
                units,
            )
            .await?
            else {
                return Ok(None);
            };
            if !view.places.is_empty() {
                return Ok(Some(view));
            }
            if kind == PeriodType::Quarterly && fallback.is_none() {
                fallback = Some(view);
            }
        }
    }
    Ok(fallback)
}
