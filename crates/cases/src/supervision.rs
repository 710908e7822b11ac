//! Electronic supervision (电子监察): the scan that raises warnings and
//! yellow and red cards, the board supervisors read, and recomputing
//! provisional deadlines when a year's holiday notice is loaded.
//!
//! Each case carries the moment of its next alert (`next_alert_at`, one
//! index). A scan claims due cases in batches; on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so several nodes scan at once without taking
//! the same case. The unique (case, deadline cycle, kind) row is the last
//! word: an alert is raised, and audited, exactly once.

use crate::case::{AlertLevel, Case, CASE_COLUMNS};
use crate::clock::{next_alert, ClockState};
use crate::error::CaseError;
use crate::notices::{self, Alert};
use crate::registry::Processes;
use egov_audit::Event;
use egov_calendar::WorkCalendar;
use egov_kernel::time::Timestamp;
use egov_kernel::Context;
use egov_store::{query, run, values, Db, Engine, Tx};
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    pub warnings: u64,
    pub yellow_cards: u64,
    pub red_cards: u64,
    /// Cases looked at.
    pub examined: u64,
}

impl ScanReport {
    pub fn raised(&self) -> u64 {
        self.warnings + self.yellow_cards + self.red_cards
    }

    fn add(&mut self, part: &ScanReport) {
        self.warnings += part.warnings;
        self.yellow_cards += part.yellow_cards;
        self.red_cards += part.red_cards;
        self.examined += part.examined;
    }
}

egov_store::row! {
    struct Due {
        id: i64,
        number: String,
        title: String,
        data: String,
        state: String,
        department_id: i64,
        assigned_department_id: Option<i64>,
        deadline_cycle: i32,
        alert_level: i16,
        warn_at: Option<Timestamp>,
        due_at: Option<Timestamp>,
        red_at: Option<Timestamp>,
    }
}

/// Raises every warning and card due at `now`, in batches of `batch` cases,
/// each batch one transaction. `node` names the scanning node in the record.
///
/// On PostgreSQL four claimants take batches at once (`SKIP LOCKED` keeps
/// them disjoint), so the server works on one batch while another's rows
/// travel; SQLite's one writer runs batches one after another anyway.
pub async fn scan(
    db: &Db,
    node: &str,
    now: Timestamp,
    batch: i64,
) -> Result<ScanReport, CaseError> {
    let claim = || claim_until_done(db, node, now, batch);
    let parts = match db.engine() {
        Engine::Sqlite => vec![claim().await],
        Engine::Postgres => {
            let (a, b, c, d) = tokio::join!(claim(), claim(), claim(), claim());
            vec![a, b, c, d]
        }
    };
    let mut report = ScanReport::default();
    for part in parts {
        report.add(&part?);
    }
    Ok(report)
}

/// Claims batches one after another until one comes back short.
async fn claim_until_done(
    db: &Db,
    node: &str,
    now: Timestamp,
    batch: i64,
) -> Result<ScanReport, CaseError> {
    let mut report = ScanReport::default();
    loop {
        let node = node.to_owned();
        let (part, claimed) = db
            .write(move |tx| Box::pin(async move { scan_batch(tx, &node, now, batch).await }))
            .await?;
        report.add(&part);
        if claimed < batch {
            return Ok(report);
        }
    }
}

/// Claims up to `batch` due cases and raises their alerts, in the caller's
/// transaction; answers what it raised and how many cases it claimed.
async fn scan_batch(
    tx: &mut Tx,
    node: &str,
    now: Timestamp,
    batch: i64,
) -> Result<(ScanReport, i64), CaseError> {
    let lock = match tx.engine() {
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let sql = format!(
        "SELECT id, number, title, data, state, department_id, assigned_department_id, \
         deadline_cycle, alert_level, warn_at, due_at, red_at FROM cases \
         WHERE next_alert_at <= $1 ORDER BY next_alert_at LIMIT $2{lock}"
    );
    let rows: Vec<Due> = tx.fetch_all(query(&sql).bind(now).bind(batch)).await?;
    let mut report = ScanReport {
        examined: rows.len() as u64,
        ..ScanReport::default()
    };
    // Each case climbs the ladder as far as `now` reaches: the alerts due,
    // and where the case stands after them.
    let mut alerts: Vec<(&Due, AlertLevel)> = Vec::new();
    let mut moves = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut level = AlertLevel::from_i16(row.alert_level);
        let ladder = [
            (AlertLevel::Warning, row.warn_at),
            (AlertLevel::Yellow, row.due_at),
            (AlertLevel::Red, row.red_at),
        ];
        for (step, at) in ladder {
            if step <= level || at.is_none_or(|at| at > now) || row.due_at.is_none() {
                continue;
            }
            alerts.push((row, step));
            level = step;
        }
        let next = next_alert(level, row.warn_at, row.due_at, row.red_at);
        moves.push((row.id, level, next, level >= AlertLevel::Yellow));
    }
    // On PostgreSQL each statement is a round trip, so a batch's rows go in
    // one; on SQLite's writer thread a statement is a call, and the one-row
    // form is prepared once and reused.
    let rows_per_statement = match tx.engine() {
        Engine::Postgres => usize::MAX,
        Engine::Sqlite => 1,
    };
    for alerts in alerts.chunks(rows_per_statement) {
        raise(tx, node, now, alerts, &mut report).await?;
    }
    for moves in moves.chunks(rows_per_statement) {
        move_cases(tx, moves).await?;
    }
    Ok((report, rows.len() as i64))
}

/// Raises alerts with one statement; the unique (case, cycle, kind) row
/// keeps one raised already (by another node) from being raised or audited
/// twice.
async fn raise(
    tx: &mut Tx,
    node: &str,
    now: Timestamp,
    alerts: &[(&Due, AlertLevel)],
    report: &mut ScanReport,
) -> Result<(), CaseError> {
    if alerts.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO supervision_alerts (case_id, cycle, kind, state, department_id, due_at, \
         raised_at, raised_by) VALUES {} ON CONFLICT (case_id, cycle, kind) DO NOTHING \
         RETURNING case_id, kind",
        values(alerts.len(), 8)
    );
    let mut insert = query(&sql);
    for (row, step) in alerts {
        insert = insert
            .bind(row.id)
            .bind(row.deadline_cycle)
            .bind(step.kind())
            .bind(row.state.as_str())
            .bind(row.assigned_department_id.unwrap_or(row.department_id))
            .bind(row.due_at)
            .bind(now)
            .bind(node);
    }
    let raised: HashSet<(i64, String)> = tx.fetch_all(insert).await?.into_iter().collect();
    let raised: Vec<(&Due, AlertLevel, String)> = alerts
        .iter()
        .filter(|(row, step)| raised.contains(&(row.id, step.kind().to_owned())))
        .map(|(row, step)| (*row, *step, format!("supervision.{}", step.kind())))
        .collect();
    let mut events = Vec::with_capacity(raised.len());
    for (row, step, action) in &raised {
        match step {
            AlertLevel::Warning => report.warnings += 1,
            AlertLevel::Yellow => report.yellow_cards += 1,
            AlertLevel::Red => report.red_cards += 1,
            AlertLevel::None => {}
        }
        events.push(Event {
            action,
            object_type: "case",
            object_id: &row.number,
            detail: serde_json::json!({
                "state": row.state, "cycle": row.deadline_cycle,
                "department_id": row.assigned_department_id.unwrap_or(row.department_id),
                "node": node,
            }),
        });
    }
    egov_audit::append_all(tx, &Context::system(), events).await?;
    let english: Vec<Option<String>> = raised
        .iter()
        .map(|(row, _, _)| {
            serde_json::from_str::<serde_json::Value>(&row.data).ok()?["title_en"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let told: Vec<Alert<'_>> = raised
        .iter()
        .zip(&english)
        .filter_map(|((row, step, _), title_en)| {
            let kind = match step {
                AlertLevel::Warning => "deadline_warning",
                AlertLevel::Yellow => "yellow_card",
                AlertLevel::Red => "red_card",
                AlertLevel::None => return None,
            };
            Some(Alert {
                number: &row.number,
                title: &row.title,
                title_en: title_en.as_deref(),
                department_id: row.assigned_department_id.unwrap_or(row.department_id),
                kind,
                due_at: row.due_at,
            })
        })
        .collect();
    notices::tell_alerts(tx, &told).await?;
    Ok(())
}

/// Moves cases to where the ladder left them, with one statement.
async fn move_cases(
    tx: &mut Tx,
    moves: &[(i64, AlertLevel, Option<Timestamp>, bool)],
) -> Result<(), CaseError> {
    if let [(id, level, next, overdue)] = moves {
        let update = query(
            "UPDATE cases SET alert_level = $1, next_alert_at = $2, overdue = (overdue OR $3), \
             version = version + 1 WHERE id = $4",
        )
        .bind(*level as i16)
        .bind(*next)
        .bind(*overdue)
        .bind(*id);
        tx.execute(update).await?;
        return Ok(());
    }
    if moves.is_empty() {
        return Ok(());
    }
    // SQLite names a VALUES list's columns column1, column2, … and takes no
    // `::`; PostgreSQL is given those names, and the types with the first row.
    let mut list = values(moves.len(), 4);
    let mut names = "";
    if tx.engine() == Engine::Postgres {
        let typed = "($1::bigint, $2::smallint, $3::timestamptz, $4::boolean)";
        list = list.replacen("($1, $2, $3, $4)", typed, 1);
        names = " (column1, column2, column3, column4)";
    }
    let sql = format!(
        "UPDATE cases SET alert_level = v.column2, next_alert_at = v.column3, \
         overdue = (cases.overdue OR v.column4), version = cases.version + 1 \
         FROM (VALUES {list}) AS v{names} WHERE cases.id = v.column1"
    );
    let mut update = query(&sql);
    for (id, level, next, overdue) in moves {
        update = update
            .bind(*id)
            .bind(*level as i16)
            .bind(*next)
            .bind(*overdue);
    }
    tx.execute(update).await?;
    Ok(())
}

/// Recomputes the deadlines marked provisional with a calendar that now
/// knows more years. Answers how many cases changed.
pub async fn recompute_provisional(
    db: &Db,
    ctx: &Context,
    processes: &Processes,
    cal: &WorkCalendar,
) -> Result<u64, CaseError> {
    let cases: Vec<Case> = crate::case::select(
        db,
        "closed_at IS NULL AND due_provisional = TRUE AND paused_at IS NULL",
        &[],
        i64::MAX,
    )
    .await?;
    let mut changed = 0;
    for case in cases {
        let def = processes.of(db, &case).await.map_err(CaseError::Process)?;
        let mut clock = ClockState::of(&case);
        clock.recompute(&def.supervision, cal);
        if clock.due_at == case.due_at && clock.provisional == case.due_provisional {
            continue;
        }
        let (ctx, case_id, version, number, was) = (
            ctx.clone(),
            case.id,
            case.version,
            case.number.clone(),
            case.due_at,
        );
        let (due_at, provisional, warn_at, red_at, next_alert_at) = (
            clock.due_at,
            clock.provisional,
            clock.warn_at,
            clock.red_at,
            clock.next_alert_at(),
        );
        let updated = db
            .write(move |tx| {
                Box::pin(async move {
                    let updated = tx
                        .execute(
                            query(
                                "UPDATE cases SET due_at = $1, due_provisional = $2, warn_at = $3, \
                                 red_at = $4, next_alert_at = $5, version = version + 1 \
                                 WHERE id = $6 AND version = $7",
                            )
                            .bind(due_at)
                            .bind(provisional)
                            .bind(warn_at)
                            .bind(red_at)
                            .bind(next_alert_at)
                            .bind(case_id)
                            .bind(version),
                        )
                        .await?;
                    if updated == 1 {
                        egov_audit::append(
                            tx,
                            &ctx,
                            Event {
                                action: "case.deadline_recomputed",
                                object_type: "case",
                                object_id: &number,
                                detail: serde_json::json!({
                                    "was": was, "now": due_at, "provisional": provisional,
                                }),
                            },
                        )
                        .await?;
                    }
                    Ok::<_, CaseError>(updated)
                })
            })
            .await?;
        changed += updated;
    }
    Ok(changed)
}

/// One department's line on the supervision board.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BoardLine {
    pub department_id: i64,
    pub open: i64,
    pub warnings: i64,
    pub yellow_cards: i64,
    pub red_cards: i64,
    pub open_orders: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub lines: Vec<BoardLine>,
    /// Open cases under a warning or card, the worst first.
    pub cases: Vec<Case>,
}

/// Open cases under warning or card, counted by the department handling
/// them, and the worst of them.
/// The board over every department, or only over `departments` (a
/// supervisor whose role is scoped to some).
pub async fn board(db: &Db, limit: i64, departments: Option<&[i64]>) -> Result<Board, CaseError> {
    let within = |d: i64| departments.is_none_or(|only| only.contains(&d));
    let mut r = db.reader().await?;
    let counts: Vec<(i64, i16, i64)> = run!(r, |c| sqlx::query_as(
        "SELECT COALESCE(assigned_department_id, department_id), alert_level, COUNT(*) \
         FROM cases WHERE closed_at IS NULL GROUP BY 1, 2"
    )
    .fetch_all(&mut *c)
    .await)?;
    let orders: Vec<(i64, i64)> = run!(r, |c| {
        sqlx::query_as(
        "SELECT department_id, COUNT(*) FROM supervision_orders WHERE status = 'open' GROUP BY 1"
    )
    .fetch_all(&mut *c)
    .await
    })?;
    drop(r);
    let mut lines: std::collections::BTreeMap<i64, BoardLine> = Default::default();
    for (d, level, n) in counts.into_iter().filter(|(d, _, _)| within(*d)) {
        let line = lines.entry(d).or_insert_with(|| BoardLine {
            department_id: d,
            ..Default::default()
        });
        line.open += n;
        match AlertLevel::from_i16(level) {
            AlertLevel::Warning => line.warnings += n,
            AlertLevel::Yellow => line.yellow_cards += n,
            AlertLevel::Red => line.red_cards += n,
            AlertLevel::None => {}
        }
    }
    for (d, n) in orders.into_iter().filter(|(d, _)| within(*d)) {
        lines
            .entry(d)
            .or_insert_with(|| BoardLine {
                department_id: d,
                ..Default::default()
            })
            .open_orders = n;
    }
    let mut lines: Vec<BoardLine> = lines
        .into_values()
        .filter(|l| l.warnings + l.yellow_cards + l.red_cards + l.open_orders > 0)
        .collect();
    lines.sort_by_key(|l| {
        std::cmp::Reverse((l.red_cards, l.yellow_cards, l.warnings, l.open_orders))
    });
    let mut r = db.reader().await?;
    let only = departments.unwrap_or_default();
    // The department list is bound, one placeholder each after the limit.
    let scope = match departments {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_owned(),
        Some(ids) => format!(
            " AND COALESCE(assigned_department_id, department_id) IN ({})",
            egov_store::in_list(2, ids.len())
        ),
    };
    let sql = format!(
        "{CASE_COLUMNS} WHERE closed_at IS NULL AND alert_level > 0{scope} \
         ORDER BY alert_level DESC, due_at LIMIT $1"
    );
    let rows: Vec<crate::case::CaseRow> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql).bind(limit);
        for d in only {
            q = q.bind(*d);
        }
        q.fetch_all(&mut *c).await
    })?;
    Ok(Board {
        lines,
        cases: rows.into_iter().map(Case::from).collect(),
    })
}

/// Runs the scan every `every`, `batch` cases a transaction, until the
/// task is dropped. Errors are logged and the next tick tries again.
pub async fn run_scheduler(db: Db, node: String, every: std::time::Duration, batch: i64) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match scan(&db, &node, egov_kernel::time::now(), batch).await {
            Ok(r) if r.raised() > 0 => {
                tracing::info!(
                    node,
                    warnings = r.warnings,
                    yellow = r.yellow_cards,
                    red = r.red_cards,
                    "supervision scan"
                )
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %egov_kernel::error::Chain(&e), "supervision scan failed")
            }
        }
    }
}
