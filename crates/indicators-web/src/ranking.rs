//! Composite indices and rankings over HTTP: the office defines an index;
//! the divisions below an area are ranked on it for a period, with each
//! component's value, its normalised value and the change of rank since
//! the period before. Public indices are open to everyone.

use crate::areas;
use crate::errors::problem;
use crate::views::{
    CompositeLightPoint, CompositeLights, CompositeView, DataQuery, PartView, PlaceView,
    RankingQuery, RankingView,
};
use crate::work::{directory, known_area, period_range, same_code};
use egov_documents::sheet::Cell;
use egov_identity::Permission;
use egov_indicators::ranking::{rank, Group};
use egov_indicators::warning::{composite, reading, Bands, HistoryRule, Signal};
use egov_indicators::{definition, rulebook, store, CompositeIndex, Indicator};
use egov_kernel::Locale;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use std::collections::HashMap;

/// Every index the caller may read: civil servants all, others the public ones.
pub async fn indices(state: &AppState, caller: &ApiCaller) -> Result<Vec<CompositeView>, ApiError> {
    let public_only = caller.require(Permission::ReadIndicators).is_err();
    let list = rulebook::indices(&state.db, public_only)
        .await
        .map_err(problem)?;
    Ok(list.into_iter().map(CompositeView::from).collect())
}

/// Defines the index `code` or changes it; whether it was new.
pub async fn define_index(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
    view: &CompositeView,
) -> Result<bool, ApiError> {
    caller.require(Permission::ManageIndicators)?;
    same_code(code, &view.code)?;
    let index = view.index(code).ok_or_else(|| {
        ApiError::validation(
            "标准化方法须为 min_max 或 z_score",
            "normalisation is min_max or z_score",
        )
    })?;
    rulebook::define_index(&state.db, &caller.context, &index)
        .await
        .map_err(problem)
}

/// The index `code` if the caller may read it: one that is not public is
/// not found to those outside the civil service.
async fn readable(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
) -> Result<CompositeIndex, ApiError> {
    let public_only = caller.require(Permission::ReadIndicators).is_err();
    rulebook::indices(&state.db, public_only)
        .await
        .map_err(problem)?
        .into_iter()
        .find(|i| i.code == code)
        .ok_or_else(|| ApiError::not_found("没有这个指数", "no such index"))
}

/// Each component's indicator, with its fixed bands; one cube of every
/// element they name, hung on the area tree.
async fn components(
    state: &AppState,
    index: &CompositeIndex,
    directory: &egov_org::Directory,
    category: &str,
) -> Result<(Vec<(Indicator, Option<Bands>)>, egov_indicators::Cube), ApiError> {
    let mut indicators = Vec::with_capacity(index.components.len());
    for c in &index.components {
        let defined = definition::get(&state.db, &c.indicator)
            .await
            .map_err(problem)?
            .ok_or_else(|| {
                ApiError::internal(std::io::Error::other(format!(
                    "the index {} names {}, which is not defined",
                    index.code, c.indicator
                )))
            })?;
        let fixed = defined.fixed_bands();
        indicators.push((
            defined.checked(|_| true).map_err(ApiError::internal)?,
            fixed,
        ));
    }
    let elements: Vec<&str> = indicators.iter().flat_map(|(i, _)| i.elements()).collect();
    let mut cube = store::cube_of(&state.db, &elements, category.trim())
        .await
        .map_err(problem)?;
    areas::hang_tree(directory, &mut cube);
    Ok((indicators, cube))
}

/// The index's composite warning signal for the area (and the divisions
/// below it) over the periods: each component's light against its fixed
/// bands or its own history, weighted as the index weighs it.
pub async fn composite_lights(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    code: &str,
    query: &DataQuery,
) -> Result<CompositeLights, ApiError> {
    let index = readable(state, caller, code).await?;
    let periods = period_range(&query.from, &query.to)?;
    let directory = directory(&state.db).await?;
    let area = query.area.clone().unwrap_or_else(|| "110000".to_owned());
    known_area(&directory, &area)?;
    let mut wanted = vec![area.clone()];
    if query.children {
        wanted.extend(areas::children(&directory, &area));
    }
    let category = query.category.as_deref().unwrap_or("");
    let (indicators, cube) = components(state, &index, &directory, category).await?;
    let rule = HistoryRule::default();
    let mut lights = Vec::with_capacity(wanted.len() * periods.len());
    for a in &wanted {
        let area_name = areas::label(&directory, a, locale);
        for p in &periods {
            let mut signals = Vec::with_capacity(indicators.len());
            for ((indicator, fixed), c) in indicators.iter().zip(&index.components) {
                let read = reading(&cube, indicator, a, p, fixed.as_ref(), &rule)
                    .map_err(ApiError::internal)?;
                signals.push(read.map(|r| {
                    if c.higher_is_better {
                        r.light
                    } else {
                        r.light.mirrored()
                    }
                }));
            }
            let all: Option<Vec<Signal>> = signals
                .iter()
                .zip(&index.components)
                .map(|(l, c)| {
                    l.map(|light| Signal {
                        weight: c.weight,
                        light,
                    })
                })
                .collect();
            let total = match all {
                Some(all) => Some(composite(&all).map_err(ApiError::internal)?),
                None => None,
            };
            lights.push(CompositeLightPoint {
                area: a.clone(),
                area_name: area_name.clone(),
                period: p.to_string(),
                score: total.map(|t| t.score),
                light: total.map(|t| t.light.as_str().to_owned()),
                signals: signals
                    .iter()
                    .map(|l| l.map(|l| l.as_str().to_owned()))
                    .collect(),
            });
        }
    }
    Ok(CompositeLights {
        index: index.into(),
        lights,
    })
}

/// The divisions below the area ranked on the index for the period.
pub async fn ranking(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    code: &str,
    query: &RankingQuery,
) -> Result<RankingView, ApiError> {
    let index = readable(state, caller, code).await?;
    let period = period_range(&query.period, &query.period)?.remove(0);
    let previous = period.previous();
    let directory = directory(&state.db).await?;
    let area = query.area.clone().unwrap_or_else(|| "110000".to_owned());
    known_area(&directory, &area)?;
    let compared = match query.units.as_deref() {
        None | Some("divisions") => areas::children(&directory, &area),
        Some("departments") => areas::departments(&directory, &area),
        Some(_) => {
            return Err(ApiError::validation(
                "units 须为 divisions 或 departments",
                "units is divisions or departments",
            ))
        }
    };

    let (indicators, cube) = components(state, &index, &directory, "").await?;
    let indicators: Vec<Indicator> = indicators.into_iter().map(|(i, _)| i).collect();
    let values_in = |p| -> Vec<HashMap<String, f64>> {
        indicators
            .iter()
            .map(|i| {
                compared
                    .iter()
                    .filter_map(|a| cube.indicator(i, a, &p).map(|v| (a.clone(), v)))
                    .collect()
            })
            .collect()
    };
    let now = values_in(period);
    let scores = index.scores(&compared, &now);
    let before = index.scores(&compared, &values_in(previous));
    let places = rank(&scores, &before)
        .into_iter()
        .map(|p| {
            let parts = scores
                .iter()
                .find(|s| s.area == p.area)
                .map(|s| s.parts.clone())
                .unwrap_or_default();
            PlaceView {
                area_name: areas::label(&directory, &p.area, locale),
                score: p.score,
                group: Group::of(p.score).as_str().to_owned(),
                rank: p.rank,
                previous_rank: p.previous_rank,
                change: p.change,
                parts: index
                    .components
                    .iter()
                    .enumerate()
                    .map(|(i, c)| PartView {
                        indicator: c.indicator.clone(),
                        value: now[i].get(&p.area).copied(),
                        normalised: parts.get(i).copied(),
                    })
                    .collect(),
                area: p.area,
            }
        })
        .collect();
    let unranked = scores
        .iter()
        .filter(|s| s.score.is_none())
        .map(|s| areas::label(&directory, &s.area, locale))
        .collect();
    Ok(RankingView {
        index: index.into(),
        period: period.to_string(),
        previous_period: previous.to_string(),
        places,
        unranked,
    })
}

/// The ranking as an Excel workbook: rank, area, score, the rank before and
/// the change, then each component's value.
pub async fn workbook(
    view: &RankingView,
    locale: Locale,
) -> Result<axum::response::Response, ApiError> {
    let t = |key: &str| egov_web_kit::i18n::translate(locale, key).to_owned();
    let mut header = vec![
        t("indicators.ranking.rank"),
        t("indicators.ranking.area"),
        t("indicators.ranking.score"),
        t("indicators.ranking.group"),
        t("indicators.ranking.previous_rank"),
        t("indicators.ranking.change"),
    ];
    header.extend(view.index.components.iter().map(|c| c.indicator.clone()));
    let rows = view
        .places
        .iter()
        .map(|p| {
            let mut row: Vec<Cell> = vec![
                Cell::Number(p.rank as f64),
                Cell::from(p.area_name.as_str()),
                Cell::Number(p.score),
                Cell::Text(t(&format!("indicators.group.{}", p.group))),
                Cell::from(p.previous_rank.map(|r| r as f64)),
                Cell::from(p.change.map(|c| c as f64)),
            ];
            row.extend(p.parts.iter().map(|part| Cell::from(part.value)));
            row
        })
        .collect();
    let file = format!("{}-{}", view.index.code, view.period);
    crate::work::workbook(&t("indicators.ranking.sheet"), &file, header, rows).await
}
