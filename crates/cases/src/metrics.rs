//! Case metrics per department, process and period: received, closed,
//! closed on time (按期办结率), overdue, handling time in working hours
//! (clock-stopped time left out) and satisfaction. Computed from the case
//! records, which every timeline event updates in its own transaction.

use crate::clock::local;
use crate::error::CaseError;
use egov_calendar::WorkCalendar;
use egov_kernel::time::Timestamp;
use egov_store::{run, Db};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Period {
    pub from: Timestamp,
    /// Exclusive.
    pub to: Timestamp,
}

/// The part a department played in the cases of a line.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// It handles the case (the receiving department, or the one it was
    /// transferred to).
    #[default]
    Handling,
    /// It decided its part of a joint case (并联审批) another department
    /// leads; the figures are those of the cases it took part in.
    CoHandling,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Line {
    pub department_id: i64,
    pub process_id: String,
    pub role: Role,
    /// Cases opened in the period.
    pub received: u64,
    /// Cases closed in the period.
    pub closed: u64,
    /// Of those, closed without any deadline passing.
    pub closed_on_time: u64,
    /// closed_on_time / closed.
    pub on_time_rate: Option<f64>,
    /// Cases past a deadline: closed late in the period, or open and late now.
    pub overdue: u64,
    /// Handling time of the cases closed, in working hours.
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub ratings: u64,
    /// Ratings of 基本满意 or better.
    pub satisfied: u64,
    /// Share of ratings of 基本满意 or better.
    pub satisfaction: Option<f64>,
    pub mean_grade: Option<f64>,
}

/// A line being counted, with its handling hours and grades.
type Tally = (Line, Vec<f64>, Vec<i16>);

#[derive(sqlx::FromRow)]
struct Row {
    department: i64,
    process_id: String,
    created_at: Timestamp,
    closed_at: Option<Timestamp>,
    overdue: bool,
    paused_secs: i64,
    grade: Option<i16>,
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One line per department, process and role with any activity in the
/// period (the handling department's, and each co-handling department's of
/// the joint cases it took part in), optionally for one department or one
/// process.
pub async fn compute(
    db: &Db,
    cal: &WorkCalendar,
    period: &Period,
    department_id: Option<i64>,
    process_id: Option<&str>,
) -> Result<Vec<Line>, CaseError> {
    let mut r = db.reader().await?;
    let rows: Vec<Row> = run!(r, |c| {
        sqlx::query_as(
        "SELECT COALESCE(c.assigned_department_id, c.department_id) AS department, c.process_id, \
         c.created_at, c.closed_at, c.overdue, c.paused_secs, r.grade \
         FROM cases c LEFT JOIN case_ratings r ON r.case_id = c.id \
         WHERE ((c.created_at >= $1 AND c.created_at < $2) \
             OR (c.closed_at >= $1 AND c.closed_at < $2) \
             OR (c.closed_at IS NULL AND c.overdue = TRUE)) \
         AND ($3 IS NULL OR COALESCE(c.assigned_department_id, c.department_id) = $3) \
         AND ($4 IS NULL OR c.process_id = $4)"
    )
    .bind(period.from)
    .bind(period.to)
    .bind(department_id)
    .bind(process_id)
    .fetch_all(&mut *c)
    .await
    })?;
    // The co-handling departments: one row per joint case and department
    // that had a branch in it, other than the one handling it (the case's id
    // is selected so that DISTINCT keeps a case once per department).
    let co_rows: Vec<Row> = run!(r, |c| {
        sqlx::query_as(
            "SELECT DISTINCT b.department_id AS department, c.id, c.process_id, \
         c.created_at, c.closed_at, c.overdue, c.paused_secs, r.grade \
         FROM case_branches b JOIN cases c ON c.id = b.case_id \
         LEFT JOIN case_ratings r ON r.case_id = c.id \
         WHERE b.department_id <> COALESCE(c.assigned_department_id, c.department_id) \
         AND ((c.created_at >= $1 AND c.created_at < $2) \
             OR (c.closed_at >= $1 AND c.closed_at < $2) \
             OR (c.closed_at IS NULL AND c.overdue = TRUE)) \
         AND ($3 IS NULL OR b.department_id = $3) AND ($4 IS NULL OR c.process_id = $4)",
        )
        .bind(period.from)
        .bind(period.to)
        .bind(department_id)
        .bind(process_id)
        .fetch_all(&mut *c)
        .await
    })?;
    let within = |t: Timestamp| t >= period.from && t < period.to;
    let mut lines: BTreeMap<(i64, String, Role), Tally> = BTreeMap::new();
    let tagged = rows
        .into_iter()
        .map(|row| (Role::Handling, row))
        .chain(co_rows.into_iter().map(|row| (Role::CoHandling, row)));
    for (role, row) in tagged {
        let (line, hours, grades) = lines
            .entry((row.department, row.process_id.clone(), role))
            .or_insert_with(|| {
                (
                    Line {
                        department_id: row.department,
                        process_id: row.process_id.clone(),
                        role,
                        ..Default::default()
                    },
                    Vec::new(),
                    Vec::new(),
                )
            });
        if within(row.created_at) {
            line.received += 1;
        }
        match row.closed_at {
            Some(closed) if within(closed) => {
                line.closed += 1;
                if row.overdue {
                    line.overdue += 1;
                } else {
                    line.closed_on_time += 1;
                }
                let worked = cal.working_seconds_between(local(row.created_at), local(closed))
                    - row.paused_secs;
                hours.push(worked.max(0) as f64 / 3600.0);
                if let Some(g) = row.grade {
                    grades.push(g);
                }
            }
            None if row.overdue => line.overdue += 1,
            _ => {}
        }
    }
    Ok(lines
        .into_values()
        .map(|(mut line, mut hours, grades)| {
            hours.sort_by(f64::total_cmp);
            if line.closed > 0 {
                line.on_time_rate = Some(round2(line.closed_on_time as f64 / line.closed as f64));
                line.mean_hours = Some(round2(hours.iter().sum::<f64>() / hours.len() as f64));
                line.median_hours = percentile(&hours, 0.5).map(round2);
                line.p90_hours = percentile(&hours, 0.9).map(round2);
            }
            line.ratings = grades.len() as u64;
            line.satisfied = grades.iter().filter(|g| **g >= 3).count() as u64;
            if !grades.is_empty() {
                let n = grades.len() as f64;
                line.satisfaction = Some(round2(
                    grades.iter().filter(|g| **g >= 3).count() as f64 / n,
                ));
                line.mean_grade = Some(round2(
                    grades.iter().map(|g| f64::from(*g)).sum::<f64>() / n,
                ));
            }
            line
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 0.5), Some(5.0));
        assert_eq!(percentile(&v, 0.9), Some(9.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[4.0], 0.9), Some(4.0));
    }
}
