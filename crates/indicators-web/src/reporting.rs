//! Reporting against data sets (报表制度): the office lays them down, each
//! unit's completeness and timeliness is worked out from when its figures
//! came, and the 统计员 of a unit whose report is missing past its due day
//! are reminded, once per period.

use crate::areas;
use crate::errors::problem;
use crate::views::{DataSetView, ReportingQuery, UnitReportingView};
use crate::work::{directory, period_range, same_code};
use egov_identity::{Permission, Role};
use egov_indicators::dataset::reporting;
use egov_indicators::{rulebook, DataSet, IndicatorError};
use egov_kernel::{time, Context, Locale};
use egov_store::{query, Db, StoreError};
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

pub async fn data_sets(state: &AppState, caller: &ApiCaller) -> Result<Vec<DataSetView>, ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let sets = rulebook::data_sets(&state.db).await.map_err(problem)?;
    Ok(sets.into_iter().map(DataSetView::from).collect())
}

/// Defines the data set `code` or changes it; whether it was new.
pub async fn define_data_set(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
    view: &DataSetView,
) -> Result<bool, ApiError> {
    caller.require(Permission::ManageIndicators)?;
    same_code(code, &view.code)?;
    let set = view.data_set(code).ok_or_else(|| {
        ApiError::validation(
            "报送频率须为 monthly、monthly_jan_feb、quarterly 或 yearly",
            "frequency is one of monthly, monthly_jan_feb, quarterly or yearly",
        )
    })?;
    let directory = directory(&state.db).await?;
    rulebook::define_data_set(&state.db, &caller.context, &set, |u| {
        areas::known(&directory, u)
    })
    .await
    .map_err(problem)
}

async fn data_set(db: &Db, code: &str) -> Result<DataSet, ApiError> {
    rulebook::data_set(db, code)
        .await
        .map_err(problem)?
        .ok_or_else(|| ApiError::not_found("没有这个报表", "no such data set"))
}

/// Each unit's completeness and timeliness over the periods asked for.
pub async fn unit_reporting(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    code: &str,
    query: &ReportingQuery,
) -> Result<Vec<UnitReportingView>, ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let set = data_set(&state.db, code).await?;
    let range = period_range(&query.from, &query.to)?;
    let periods = set
        .frequency
        .periods(range[0].days().0, range[range.len() - 1].days().1);
    let first = rulebook::first_reports(&state.db, &set, &periods)
        .await
        .map_err(problem)?;
    let directory = directory(&state.db).await?;
    let lines = reporting(&set, &periods, time::beijing_today(), |unit, p| {
        first
            .get(&(unit.to_owned(), *p))
            .map(|t| time::beijing(*t).date())
    });
    Ok(lines
        .into_iter()
        .map(|l| UnitReportingView {
            unit_name: areas::label(&directory, &l.unit, locale),
            completeness: l.completeness(),
            timeliness: l.timeliness(),
            missing: l.missing.iter().map(ToString::to_string).collect(),
            expected: l.expected,
            reported: l.reported,
            on_time: l.on_time,
            unit: l.unit,
        })
        .collect())
}

/// How far back reminders look: a year of periods.
const REMIND_BACK_DAYS: i64 = 366;

/// Reminds the 统计员 of every unit whose report of a data set is past its
/// due day (and its period not yet closed) and missing, once per unit and
/// period: a message each, and each reminder audited. Returns how many
/// reports were reminded of.
pub async fn remind(db: &Db, today: chrono::NaiveDate) -> Result<usize, IndicatorError> {
    let directory = db.reference::<egov_org::Directory>().await?;
    let mut reminded = 0;
    for set in rulebook::data_sets(db).await? {
        let from = today - chrono::Duration::days(REMIND_BACK_DAYS);
        let periods: Vec<_> = set
            .frequency
            .periods(from, today)
            .into_iter()
            .filter(|p| set.closes(p).is_none_or(|last| today <= last))
            .collect();
        let first = rulebook::first_reports(db, &set, &periods).await?;
        let lines = reporting(&set, &periods, today, |unit, p| {
            first.get(&(unit.to_owned(), *p)).map(|_| today)
        });
        let mut owed = Vec::new();
        for line in lines {
            let Some(department) = areas::responsible(&directory, &line.unit) else {
                continue;
            };
            let unit_name = areas::label(&directory, &line.unit, Locale::Zh);
            for period in line.missing {
                owed.push((line.unit.clone(), unit_name.clone(), department, period));
            }
        }
        if owed.is_empty() {
            continue;
        }
        let set = set.clone();
        reminded += db
            .write(move |tx| {
                Box::pin(async move {
                    let mut sent = 0;
                    for (unit, unit_name, department, period) in owed {
                        // Nobody to tell yet: no reminder is kept, so the
                        // 统计员 appointed later is reminded.
                        let to = egov_identity::contacts::holding(
                            tx,
                            &[(department, Role::Statistician)],
                        )
                        .await?;
                        if to.is_empty() {
                            continue;
                        }
                        // Once per unit and period, whichever node gets there first.
                        let new = tx
                            .execute(
                                query(
                                    "INSERT INTO indicator_reminders (data_set, unit, period, \
                                     sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                )
                                .bind(set.code.clone())
                                .bind(unit.clone())
                                .bind(period.to_string())
                                .bind(time::now()),
                            )
                            .await?;
                        if new == 0 {
                            continue;
                        }
                        let note = egov_notify::Note {
                            kind: "indicator_report_missing".to_owned(),
                            params: serde_json::json!({
                                "data_set": set.name,
                                "unit": unit_name,
                                "period": period.to_string(),
                                "due": set.due(&period).to_string(),
                            }),
                            link: format!(
                                "/indicators/report?set={}&unit={}&period={period}",
                                egov_web_kit::page::encode_component(&set.code),
                                unit
                            ),
                        };
                        egov_notify::post(tx, &to, &note).await?;
                        egov_audit::append(
                            tx,
                            &Context::system(),
                            egov_audit::Event {
                                action: "indicator.report_reminder",
                                object_type: "indicator_data_set",
                                object_id: &set.code,
                                detail: serde_json::json!({
                                    "unit": unit,
                                    "period": period.to_string(),
                                    "told": to.len(),
                                }),
                            },
                        )
                        .await?;
                        sent += 1;
                    }
                    Ok::<_, StoreError>(sent)
                })
            })
            .await?;
    }
    Ok(reminded)
}
