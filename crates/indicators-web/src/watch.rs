//! Watching warning lights: a civil servant subscribes to an indicator for
//! an area; an hourly pass reads each watched indicator's light for its
//! latest month (or quarter) with a value against its fixed bands or those
//! of its own history, and when the light differs from the one last seen, keeps the
//! new one and tells every subscriber, in one transaction with its audit
//! record.

use crate::areas;
use crate::errors::problem;
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
/// indicator's light for the area.
pub async fn subscribe(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
    area: &str,
    on: bool,
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
                        "INSERT INTO indicator_subscriptions (user_id, indicator, area, created_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(user_id)
                    .bind(code.clone())
                    .bind(area.clone())
                    .bind(time::now())
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
                            detail: serde_json::json!({ "area": area }),
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

/// Reads every watched light and tells the subscribers of each that
/// changed. Returns how many changed.
pub async fn watch(db: &Db, today: chrono::NaiveDate) -> Result<usize, IndicatorError> {
    let watched = watchlist::watched(db).await?;
    let seen = watchlist::seen(db).await?;
    let directory = db.reference::<egov_org::Directory>().await?;
    let rule = HistoryRule::default();
    let mut loaded: Option<(
        String,
        egov_indicators::IndicatorDefinition,
        Indicator,
        Cube,
    )> = None;
    let mut changes = 0;
    for (code, area) in watched {
        if loaded.as_ref().is_none_or(|l| l.0 != code) {
            let Some(defined) = definition::get(db, &code).await? else {
                continue;
            };
            let indicator = defined.checked(|_| true)?;
            let elements: Vec<&str> = indicator.elements().into_iter().collect();
            let mut cube = store::cube(db, &elements).await?;
            areas::hang_tree(&directory, &mut cube);
            loaded = Some((code.clone(), defined, indicator, cube));
        }
        let Some((_, defined, indicator, cube)) = loaded.as_ref() else {
            continue;
        };
        let fixed = defined.fixed_bands();
        let Some((period, now)) = latest(cube, indicator, &area, today, fixed.as_ref(), &rule)?
        else {
            continue;
        };
        let before = seen
            .iter()
            .find(|(i, a, _)| *i == code && *a == area)
            .and_then(|(_, _, l)| Light::parse(l));
        if !changed(before, now.light) {
            continue;
        }
        let note = egov_notify::Note {
            kind: "indicator_light_changed".to_owned(),
            params: serde_json::json!({
                "indicator": { "zh-CN": defined.name, "en": defined.name_en.clone().unwrap_or_else(|| defined.name.clone()) },
                "area": {
                    "zh-CN": areas::label(&directory, &area, Locale::Zh),
                    "en": areas::label(&directory, &area, Locale::En),
                },
                "period": period.to_string(),
                "light": {
                    "zh-CN": format!("{}（{}）", now.light.colour_zh(), now.light.name_zh()),
                    "en": now.light.name_en(),
                },
                "value": format!("{:.1$}", now.value, usize::from(defined.decimals)),
            }),
            // The dashboard: the series with its bands, the forecast, the
            // districts compared.
            link: format!(
                "/statistics/{}?area={area}",
                egov_web_kit::page::encode_component(&code)
            ),
        };
        let (code, area, light) = (code.clone(), area.clone(), now.light);
        db.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    query(
                        "INSERT INTO indicator_light_states (indicator, area, period, light, \
                         updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (indicator, area) \
                         DO UPDATE SET period = excluded.period, light = excluded.light, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(code.clone())
                    .bind(area.clone())
                    .bind(period.to_string())
                    .bind(light.as_str())
                    .bind(time::now()),
                )
                .await?;
                let users: Vec<(i64,)> = tx
                    .fetch_all(
                        query(
                            "SELECT user_id FROM indicator_subscriptions \
                             WHERE indicator = $1 AND area = $2 ORDER BY user_id",
                        )
                        .bind(code.clone())
                        .bind(area.clone()),
                    )
                    .await?;
                let mut to = Vec::with_capacity(users.len());
                for (u,) in users {
                    to.extend(egov_identity::contacts::account(tx, u).await?);
                }
                egov_notify::post(tx, &to, &note).await?;
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
                            "told": to.len(),
                        }),
                    },
                )
                .await?;
                Ok::<_, StoreError>(())
            })
        })
        .await?;
        changes += 1;
    }
    Ok(changes)
}
