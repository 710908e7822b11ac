//! Watching warning lights: a civil servant subscribes to an indicator for
//! an area; an hourly pass reads each watched indicator's light for its
//! latest month (or quarter) with a value against its fixed bands or those
//! of its own history, and when the light differs from the one last seen,
//! keeps the new one and tells every subscriber, in one transaction with its
//! audit record; a red or blue light a watcher asked to follow up also opens
//! a follow-up case (`indicator_followup`) for the unit responsible for the
//! area, in the same transaction. The pass also forecasts the next period:
//! a forecast out of the green band that was not told before is told.

use crate::areas;
use crate::errors::problem;
use crate::forecasting::next_light;
use crate::work::{directory, known_area};
use egov_identity::Permission;
use egov_indicators::warning::{changed, reading, Bands, HistoryRule, Light, Reading};
use egov_indicators::{definition, store, watchlist, Cube, Indicator, IndicatorError, Period};
use egov_kernel::{time, Context, Locale};
use egov_store::{query, Db, StoreError};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// Subscribes the caller (or, with `on` false, unsubscribes them) to the
/// indicator's light for the area; `opens_case`: a red or blue light opens
/// a follow-up case for the unit responsible for the area.
pub async fn subscribe(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
    area: &str,
    on: bool,
    opens_case: bool,
) -> Result<(), ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let egov_identity::Principal::User(user) = &caller.principal else {
        return Err(ApiError::forbidden());
    };
    if definition::get(&state.db, code)
        .await
        .map_err(problem)?
        .is_none()
    {
        return Err(ApiError::not_found("没有这个指标", "no such indicator"));
    }
    known_area(&*directory(&state.db).await?, area)?;
    let (user_id, code, area) = (user.user_id, code.to_owned(), area.to_owned());
    let ctx = caller.context.clone();
    state
        .db
        .write(move |tx| {
            Box::pin(async move {
                let statement = if on {
                    query(
                        "INSERT INTO indicator_subscriptions \
                         (user_id, indicator, area, created_at, opens_case) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, indicator, area) \
                         DO UPDATE SET opens_case = excluded.opens_case",
                    )
                    .bind(user_id)
                    .bind(code.clone())
                    .bind(area.clone())
                    .bind(time::now())
                    .bind(opens_case)
                } else {
                    query(
                        "DELETE FROM indicator_subscriptions \
                         WHERE user_id = $1 AND indicator = $2 AND area = $3",
                    )
                    .bind(user_id)
                    .bind(code.clone())
                    .bind(area.clone())
                };
                if tx.execute(statement).await? > 0 {
                    egov_audit::append(
                        tx,
                        &ctx,
                        egov_audit::Event {
                            action: if on {
                                "indicator.subscribe"
                            } else {
                                "indicator.unsubscribe"
                            },
                            object_type: "indicator",
                            object_id: &code,
                            detail: serde_json::json!({ "area": area, "opens_case": on && opens_case }),
                        },
                    )
                    .await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    Ok(())
}

/// How far back the pass looks for a value: two years of months, and of quarters.
const LOOK_BACK: i32 = 24;

/// The latest month, else quarter, before `today` with a light.
fn latest(
    cube: &Cube,
    indicator: &Indicator,
    area: &str,
    today: chrono::NaiveDate,
    fixed: Option<&Bands>,
    rule: &HistoryRule,
) -> Result<Option<(Period, Reading)>, IndicatorError> {
    for start in [Period::month_of(today), Period::quarter_of(today)] {
        for back in 1..=LOOK_BACK {
            let p = start.shifted(-back);
            // A history rule that cannot be read is a bug, not a light.
            if let Some(r) = reading(cube, indicator, area, &p, fixed, rule)
                .ok()
                .flatten()
            {
                return Ok(Some((p, r)));
            }
        }
    }
    Ok(None)
}

/// The process a red or blue light's follow-up runs under.
pub const FOLLOWUP_PROCESS: &str = "indicator_followup";

/// Why a pass over the watched lights stopped.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Indicators(#[from] IndicatorError),
    #[error("opening a follow-up case")]
    Case(#[from] egov_cases::CaseError),
    #[error("loading the working-day calendar")]
    Calendar(#[from] egov_calendar::LoadError),
    #[error("loading the follow-up process")]
    Process(#[from] egov_cases::registry::RegistryError),
}

impl From<StoreError> for WatchError {
    fn from(e: StoreError) -> Self {
        WatchError::Indicators(e.into())
    }
}

/// A watched indicator as the pass reads it.
struct Watched {
    code: String,
    defined: egov_indicators::IndicatorDefinition,
    indicator: Indicator,
    cube: Cube,
}

/// Reads every watched light and tells the subscribers of each that
/// changed (opening a follow-up case where one was asked for), and of each
/// forecast newly out of the green band. Returns how many lights changed.
pub async fn watch(db: &Db, today: chrono::NaiveDate) -> Result<usize, WatchError> {
    let watched = watchlist::watched(db).await?;
    let seen = watchlist::seen(db).await?;
    let foreseen = watchlist::forecast_seen(db).await?;
    let directory = db.reference::<egov_org::Directory>().await?;
    let rule = HistoryRule::default();
    let mut loaded: Option<Watched> = None;
    let mut changes = 0;
    for (code, area) in watched {
        if loaded.as_ref().is_none_or(|l| l.code != code) {
            let Some(defined) = definition::get(db, &code).await? else {
                continue;
            };
            let indicator = defined.checked(|_| true).map_err(IndicatorError::from)?;
            let elements: Vec<&str> = indicator.elements().into_iter().collect();
            let mut cube = store::cube(db, &elements).await?;
            areas::hang_tree(&directory, &mut cube);
            loaded = Some(Watched {
                code: code.clone(),
                defined,
                indicator,
                cube,
            });
        }
        let Some(w) = loaded.as_ref() else {
            continue;
        };
        let fixed = w.defined.fixed_bands();
        let Some((period, now)) =
            latest(&w.cube, &w.indicator, &area, today, fixed.as_ref(), &rule)?
        else {
            continue;
        };
        let before = seen
            .iter()
            .find(|(i, a, _)| *i == code && *a == area)
            .and_then(|(_, _, l)| Light::parse(l));
        if changed(before, now.light) {
            light_changed(db, &directory, w, &area, period, &now).await?;
            changes += 1;
        }
        if let Some((next, value, light)) =
            next_light(&w.cube, &w.indicator, &area, period, fixed.as_ref(), &rule)
        {
            let told = foreseen
                .iter()
                .find(|(i, a, _, _)| *i == code && *a == area)
                .map(|(_, _, p, l)| (p.as_str(), l.as_str()));
            let news = told != Some((next.to_string().as_str(), light.as_str()));
            if news {
                forecast_seen(db, &directory, w, &area, next, value, light).await?;
            }
        }
    }
    Ok(changes)
}

/// What a message about the indicator and area says of them, in both
/// languages.
fn names(
    directory: &egov_org::Directory,
    w: &Watched,
    area: &str,
) -> (serde_json::Value, serde_json::Value) {
    let d = &w.defined;
    (
        serde_json::json!({ "zh-CN": d.name, "en": d.name_en.clone().unwrap_or_else(|| d.name.clone()) }),
        serde_json::json!({
            "zh-CN": areas::label(directory, area, Locale::Zh),
            "en": areas::label(directory, area, Locale::En),
        }),
    )
}

fn light_words(light: Light) -> serde_json::Value {
    serde_json::json!({
        "zh-CN": format!("{}（{}）", light.colour_zh(), light.name_zh()),
        "en": light.name_en(),
    })
}

/// The dashboard of the indicator for the area: where a message leads.
fn dashboard(code: &str, area: &str) -> String {
    format!(
        "/statistics/{}?area={area}",
        egov_web_kit::page::encode_component(code)
    )
}

/// Keeps the new light, tells the subscribers, and opens the follow-up case
/// a red or blue light asks for: one transaction with its audit record.
async fn light_changed(
    db: &Db,
    directory: &egov_org::Directory,
    w: &Watched,
    area: &str,
    period: Period,
    now: &Reading,
) -> Result<(), WatchError> {
    let (indicator_name, area_name) = names(directory, w, area);
    let value = format!("{:.1$}", now.value, usize::from(w.defined.decimals));
    let note = egov_notify::Note {
        kind: "indicator_light_changed".to_owned(),
        params: serde_json::json!({
            "indicator": indicator_name,
            "area": area_name,
            "period": period.to_string(),
            "light": light_words(now.light),
            "value": value,
        }),
        link: dashboard(&w.code, area),
    };
    // A follow-up case, where asked for and there is a unit to give it to.
    let extreme = matches!(now.light, Light::Red | Light::Blue);
    let followup = if extreme && watchlist::opens_case(db, &w.code, area).await? {
        match areas::responsible(directory, area) {
            Some(department) => {
                let calendar = egov_calendar::load_calendar(db).await?;
                let process = egov_cases::registry::Processes::default()
                    .latest(db, FOLLOWUP_PROCESS)
                    .await?;
                Some((department, calendar, process))
            }
            None => {
                tracing::warn!(area, indicator = %w.code, "no unit reports for the area: no follow-up case");
                None
            }
        }
    } else {
        None
    };
    let title = format!(
        "预警跟进：{}（{}）{} {}",
        w.defined.name,
        areas::label(directory, area, Locale::Zh),
        period,
        now.light.name_zh()
    );
    let data = serde_json::json!({
        "indicator": w.code, "area": area, "period": period.to_string(),
        "value": now.value, "light": now.light.as_str(), "bands": now.bands.cuts(),
    });
    let (code, area, light) = (w.code.clone(), area.to_owned(), now.light);
    db.write(move |tx| {
        Box::pin(async move {
            keep(tx, Kept::Light, &code, &area, period, light).await?;
            let told = tell_subscribers(tx, &code, &area, &note).await?;
            let case = match &followup {
                Some((department, calendar, process)) => {
                    let mut new = egov_cases::engine::NewCase::new(process, *department, &title);
                    new.data = data;
                    let case = egov_cases::engine::start_in(
                        tx,
                        &Context::system(),
                        calendar,
                        egov_cases::acting::Acting::Platform,
                        new,
                    )
                    .await?;
                    Some(case.number)
                }
                None => None,
            };
            egov_audit::append(
                tx,
                &Context::system(),
                egov_audit::Event {
                    action: "indicator.light_changed",
                    object_type: "indicator",
                    object_id: &code,
                    detail: serde_json::json!({
                        "area": area,
                        "period": period.to_string(),
                        "light": light.as_str(),
                        "told": told,
                        "case": case,
                    }),
                },
            )
            .await?;
            Ok::<_, WatchError>(())
        })
    })
    .await
}

/// Keeps the forecast's light for the next period and, when it is out of
/// the green band, tells the subscribers: one transaction with its audit
/// record.
async fn forecast_seen(
    db: &Db,
    directory: &egov_org::Directory,
    w: &Watched,
    area: &str,
    next: Period,
    value: f64,
    light: Light,
) -> Result<(), WatchError> {
    let (indicator_name, area_name) = names(directory, w, area);
    let note = (light != Light::Green).then(|| egov_notify::Note {
        kind: "indicator_forecast_warning".to_owned(),
        params: serde_json::json!({
            "indicator": indicator_name,
            "area": area_name,
            "period": next.to_string(),
            "light": light_words(light),
            "value": format!("{:.1$}", value, usize::from(w.defined.decimals)),
        }),
        link: dashboard(&w.code, area),
    });
    let (code, area) = (w.code.clone(), area.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            keep(tx, Kept::Forecast, &code, &area, next, light).await?;
            if let Some(note) = note {
                let told = tell_subscribers(tx, &code, &area, &note).await?;
                egov_audit::append(
                    tx,
                    &Context::system(),
                    egov_audit::Event {
                        action: "indicator.forecast_warning",
                        object_type: "indicator",
                        object_id: &code,
                        detail: serde_json::json!({
                            "area": area,
                            "period": next.to_string(),
                            "light": light.as_str(),
                            "told": told,
                        }),
                    },
                )
                .await?;
            }
            Ok::<_, WatchError>(())
        })
    })
    .await
}

/// Which light of a watched indicator is kept.
#[derive(Clone, Copy)]
enum Kept {
    /// The latest period's.
    Light,
    /// The forecast of the next period's.
    Forecast,
}

/// Keeps the light last seen for the indicator and area.
async fn keep(
    tx: &mut egov_store::Tx,
    kept: Kept,
    code: &str,
    area: &str,
    period: Period,
    light: Light,
) -> Result<(), StoreError> {
    let table = match kept {
        Kept::Light => "indicator_light_states",
        Kept::Forecast => "indicator_forecast_states",
    };
    tx.execute(
        query(format!(
            "INSERT INTO {table} (indicator, area, period, light, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (indicator, area) \
             DO UPDATE SET period = excluded.period, light = excluded.light, \
             updated_at = excluded.updated_at"
        ))
        .bind(code.to_owned())
        .bind(area.to_owned())
        .bind(period.to_string())
        .bind(light.as_str())
        .bind(time::now()),
    )
    .await?;
    Ok(())
}

/// Posts the note to every subscriber of the indicator's light for the
/// area; how many addresses it went to.
async fn tell_subscribers(
    tx: &mut egov_store::Tx,
    code: &str,
    area: &str,
    note: &egov_notify::Note,
) -> Result<usize, StoreError> {
    let users: Vec<(i64,)> = tx
        .fetch_all(
            query(
                "SELECT user_id FROM indicator_subscriptions \
                 WHERE indicator = $1 AND area = $2 ORDER BY user_id",
            )
            .bind(code.to_owned())
            .bind(area.to_owned()),
        )
        .await?;
    let mut to = Vec::with_capacity(users.len());
    for (u,) in users {
        to.extend(egov_identity::contacts::account(tx, u).await?);
    }
    egov_notify::post(tx, &to, note).await?;
    Ok(to.len())
}
