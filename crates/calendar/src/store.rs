//! The calendar in the database: years are loaded from files (the built-in
//! one at first start, newly published ones by an administrator) and read
//! back into a [`WorkCalendar`].

use crate::calendar::WorkCalendar;
use crate::schedule::{CalendarFile, ScheduleError, WorkingHours, WorkingHoursSpec, YearSchedule};
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{query, run, Db, StoreError};

/// China's holidays 2009-2026, shipped in the binary.
pub const BUILTIN: &str = include_str!("../../../data/calendar/cn-holidays.toml");

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for LoadError {
    fn from(e: sqlx::Error) -> Self {
        LoadError::Store(e.into())
    }
}

/// Loads every year in a calendar file (replacing those already loaded)
/// and, if given, the working hours. One transaction, one audit record.
/// Returns the years loaded.
pub async fn load_file(db: &Db, ctx: &Context, text: &str) -> Result<Vec<i32>, LoadError> {
    let file = CalendarFile::parse(text)?;
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let mut years = Vec::new();
            for y in &file.year {
                let json = serde_json::to_string(y).expect("schedule serialises");
                tx.execute(
                    query(
                        "INSERT INTO calendar_years (year, schedule, file_version, loaded_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (year) DO UPDATE SET \
                         schedule = excluded.schedule, file_version = excluded.file_version, \
                         loaded_at = excluded.loaded_at",
                    )
                    .bind(y.year)
                    .bind(json)
                    .bind(&file.version)
                    .bind(time::now()),
                )
                .await?;
                years.push(y.year);
            }
            if let Some(hours) = &file.working_hours {
                let json = serde_json::to_string(hours).expect("hours serialise");
                tx.execute(
                    query(
                        "INSERT INTO calendar_settings (id, working_hours, file_version) \
                         VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET \
                         working_hours = excluded.working_hours, \
                         file_version = excluded.file_version",
                    )
                    .bind(json)
                    .bind(&file.version),
                )
                .await?;
            }
            // Every node's cache reads the years again on its next use.
            tx.execute(query(
                "UPDATE calendar_revision SET revision = revision + 1 WHERE id = 1",
            ))
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "calendar.load",
                    object_type: "calendar",
                    object_id: file.jurisdiction.as_deref().unwrap_or("CN"),
                    detail: serde_json::json!({ "version": file.version, "years": years,
                        "working_hours": file.working_hours.is_some() }),
                },
            )
            .await?;
            Ok::<_, LoadError>(years)
        })
    })
    .await
}

/// Loads the built-in calendar when no year is loaded yet.
pub async fn seed_builtin(db: &Db) -> Result<bool, LoadError> {
    let mut r = db.reader().await?;
    let n: i64 = run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM calendar_years"
    )
    .fetch_one(&mut *c)
    .await)?;
    drop(r);
    if n > 0 {
        return Ok(false);
    }
    load_file(db, &Context::system(), BUILTIN).await?;
    Ok(true)
}

/// The calendar as loaded.
pub async fn load_calendar(db: &Db) -> Result<WorkCalendar, LoadError> {
    let mut r = db.reader().await?;
    let rows: Vec<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT schedule FROM calendar_years ORDER BY year"
    )
    .fetch_all(&mut *c)
    .await)?;
    let hours: Option<String> = run!(r, |c| sqlx::query_scalar(
        "SELECT working_hours FROM calendar_settings WHERE id = 1"
    )
    .fetch_optional(&mut *c)
    .await)?;
    let years: Vec<YearSchedule> = rows
        .iter()
        .map(|j| serde_json::from_str(j).map_err(|e| ScheduleError::Parse(e.to_string())))
        .collect::<Result<_, _>>()?;
    let hours = match hours {
        Some(j) => {
            let spec: WorkingHoursSpec =
                serde_json::from_str(&j).map_err(|e| ScheduleError::Parse(e.to_string()))?;
            WorkingHours::parse(&spec)?
        }
        None => WorkingHours::default(),
    };
    Ok(WorkCalendar::new(&years, hours))
}

/// The calendar as loaded, kept on this node and read again only when a
/// load has moved the revision on (by this node, another node sharing the
/// database, or the CLI). A check is one single-row read.
#[derive(Debug, Clone, Default)]
pub struct CalendarCache {
    kept: std::sync::Arc<std::sync::RwLock<Option<Kept>>>,
}

/// The revision a calendar was read at, and the calendar.
type Kept = (i64, std::sync::Arc<WorkCalendar>);

impl CalendarCache {
    pub async fn get(&self, db: &Db) -> Result<std::sync::Arc<WorkCalendar>, LoadError> {
        let mut r = db.reader().await?;
        let revision: i64 = run!(r, |c| sqlx::query_scalar(
            "SELECT revision FROM calendar_revision WHERE id = 1"
        )
        .fetch_one(&mut *c)
        .await)?;
        drop(r);
        if let Some((kept, calendar)) = &*self.kept.read().expect("calendar cache lock") {
            if *kept == revision {
                return Ok(calendar.clone());
            }
        }
        // Read the years after the revision: a load in between moves the
        // revision again, so the next use reads once more.
        let calendar = std::sync::Arc::new(load_calendar(db).await?);
        let mut kept = self.kept.write().expect("calendar cache lock");
        if kept.as_ref().is_none_or(|(k, _)| *k <= revision) {
            *kept = Some((revision, calendar.clone()));
        }
        Ok(calendar)
    }
}
