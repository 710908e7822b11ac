//! Who watches which indicator's warning light for which area, and the
//! light each watched one last showed.

use crate::error::IndicatorError;
use egov_store::{run, Db};

/// Every indicator and area someone watches, by indicator.
pub async fn watched(db: &Db) -> Result<Vec<(String, String)>, IndicatorError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT DISTINCT indicator, area FROM indicator_subscriptions ORDER BY indicator, area"
    )
    .fetch_all(&mut *c)
    .await)?)
}

/// The light last seen for each watched indicator and area.
pub async fn seen(db: &Db) -> Result<Vec<(String, String, String)>, IndicatorError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT indicator, area, light FROM indicator_light_states"
    )
    .fetch_all(&mut *c)
    .await)?)
}

/// Whether the user watches the indicator's light for the area, and if so
/// whether a red or blue light opens a follow-up case.
pub async fn subscription(
    db: &Db,
    user_id: i64,
    indicator: &str,
    area: &str,
) -> Result<Option<bool>, IndicatorError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT opens_case FROM indicator_subscriptions \
         WHERE user_id = $1 AND indicator = $2 AND area = $3"
    )
    .bind(user_id)
    .bind(indicator)
    .bind(area)
    .fetch_optional(&mut *c)
    .await)?)
}

/// Whether any watcher of the indicator's light for the area asked for a
/// follow-up case.
pub async fn opens_case(db: &Db, indicator: &str, area: &str) -> Result<bool, IndicatorError> {
    let mut r = db.reader().await?;
    let found: Option<i64> = run!(r, |c| sqlx::query_scalar(
        "SELECT user_id FROM indicator_subscriptions \
         WHERE indicator = $1 AND area = $2 AND opens_case = TRUE LIMIT 1"
    )
    .bind(indicator)
    .bind(area)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(found.is_some())
}

/// The period and light last told of each watched indicator's forecast.
pub async fn forecast_seen(
    db: &Db,
) -> Result<Vec<(String, String, String, String)>, IndicatorError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(
        "SELECT indicator, area, period, light FROM indicator_forecast_states"
    )
    .fetch_all(&mut *c)
    .await)?)
}
