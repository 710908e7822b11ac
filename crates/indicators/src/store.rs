//! Data elements and their values in the database. Values come in as a
//! batch (a form, an import, DHIS2's dataValueSets): every row is checked
//! first and any bad row refuses the whole batch, each problem named by row
//! and column; a good batch is one transaction with its audit record. A
//! changed value supersedes the current one, which is kept (vintages); an
//! unchanged one is left alone.

use crate::aggregate::Aggregation;
use crate::code::valid_code;
use crate::error::{IndicatorError, RowProblem};
use crate::period::Period;
use chrono::NaiveDate;
use egov_audit::Event;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db};
use serde::Serialize;
use std::collections::HashMap;

/// What a value counts, and how its values add up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataElement {
    /// Letters, digits, `_`, `-` and `.`: what formulas write as `#{code}`.
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub unit: String,
    pub aggregation: Aggregation,
}

/// One value as reported, before it is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct DataValue {
    pub element: String,
    pub period: String,
    pub area: String,
    /// The disaggregation's option (sex, age group, industry, ...); empty
    /// for the total.
    pub category: String,
    pub value: String,
}

/// What a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportCount {
    pub imported: usize,
    pub updated: usize,
    /// Rows whose value was already the current one.
    pub ignored: usize,
}

/// A value as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredValue {
    pub element: String,
    pub period: Period,
    pub area: String,
    pub category: String,
    pub value: f64,
    pub reported_by: String,
    pub reported_at: Timestamp,
    /// When a correction replaced it; none while it is current.
    pub superseded_at: Option<Timestamp>,
}

pub async fn define_element(
    db: &Db,
    ctx: &Context,
    element: &DataElement,
) -> Result<(), IndicatorError> {
    if !valid_code(&element.code) {
        return Err(IndicatorError::BadCode(element.code.clone()));
    }
    if element.name.trim().is_empty() {
        return Err(IndicatorError::NoName);
    }
    let (ctx, e) = (ctx.clone(), element.clone());
    db.write(move |tx| {
        Box::pin(async move {
            let inserted = tx
                .execute(
                    query(
                        "INSERT INTO indicator_elements (code, name, name_en, unit, aggregation, \
                         created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
                    )
                    .bind(e.code.clone())
                    .bind(e.name.clone())
                    .bind(e.name_en.clone())
                    .bind(e.unit.clone())
                    .bind(e.aggregation.as_str())
                    .bind(time::now()),
                )
                .await?;
            if inserted == 0 {
                return Err(IndicatorError::Exists(e.code));
            }
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "indicator.element_define",
                    object_type: "indicator_element",
                    object_id: &e.code,
                    detail: serde_json::json!({ "aggregation": e.aggregation.as_str() }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

/// Every element, by code.
pub async fn elements(db: &Db) -> Result<Vec<DataElement>, IndicatorError> {
    Ok(element_rows(db)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// The elements among `codes` that exist: row id and how each adds up, by
/// code. A store may hold thousands of elements and a batch or a formula
/// name a few, so only those are read.
pub(crate) async fn named_elements(
    db: &Db,
    codes: &[&str],
) -> Result<HashMap<String, (i64, Aggregation)>, IndicatorError> {
    let mut codes = codes.to_vec();
    codes.sort_unstable();
    codes.dedup();
    let mut found = HashMap::with_capacity(codes.len());
    let mut r = db.reader().await?;
    for chunk in codes.chunks(CHUNK) {
        let sql = format!(
            "SELECT code, id, aggregation FROM indicator_elements WHERE code IN ({})",
            egov_store::in_list(1, chunk.len())
        );
        let rows: Vec<(String, i64, String)> = run!(r, |c| {
            let mut q = sqlx::query_as(&sql);
            for code in chunk {
                q = q.bind(*code);
            }
            q.fetch_all(&mut *c).await
        })?;
        found.extend(rows.into_iter().map(|(code, id, a)| {
            (
                code,
                (id, Aggregation::parse(&a).unwrap_or(Aggregation::Sum)),
            )
        }));
    }
    Ok(found)
}

async fn element_rows(db: &Db) -> Result<Vec<(i64, DataElement)>, IndicatorError> {
    let mut r = db.reader().await?;
    let rows: Vec<(i64, String, String, Option<String>, String, String)> = run!(r, |c| {
        sqlx::query_as(
            "SELECT id, code, name, name_en, unit, aggregation FROM indicator_elements \
             ORDER BY code",
        )
        .fetch_all(&mut *c)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name, name_en, unit, aggregation)| {
            let aggregation = Aggregation::parse(&aggregation).unwrap_or(Aggregation::Sum);
            (
                id,
                DataElement {
                    code,
                    name,
                    name_en,
                    unit,
                    aggregation,
                },
            )
        })
        .collect())
}

/// What the caller says of a row's area (organisation unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Known, and the reporter may report for it.
    Open,
    /// No such division or department.
    Unknown,
    /// Known, and another unit's to report.
    NotYours,
}

/// A checked row, ready to store.
struct Checked {
    element_id: i64,
    period: String,
    area: String,
    category: String,
    value: f64,
}

/// Checks every row: a known element, a period, an area `area` opens to
/// the reporter, a number. All problems are reported together.
fn check(
    rows: &[DataValue],
    elements: &HashMap<String, i64>,
    area: &dyn Fn(&str) -> Area,
    closed: &dyn Fn(&str, &Period) -> Option<NaiveDate>,
) -> Result<Vec<Checked>, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let mut checked = Vec::with_capacity(rows.len());
    let mut seen = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let row = i + 1;
        let mut bad = |column: &'static str, message: String, message_zh: String| {
            problems.push(RowProblem {
                row,
                column,
                message,
                message_zh,
            })
        };
        let element_id = elements.get(r.element.trim()).copied();
        if element_id.is_none() {
            bad(
                "dataElement",
                format!("unknown data element {:?}", r.element),
                format!("没有这个指标项：“{}”", r.element),
            );
        }
        let period = Period::parse(&r.period);
        match &period {
            Err(e) => bad(
                "period",
                e.to_string(),
                format!(
                    "“{}”不是报告期（如 20260115、202601、202601B、2026Q1、2026）",
                    r.period
                ),
            ),
            Ok(p) => {
                if let Some(last) = closed(r.element.trim(), p) {
                    bad(
                        "period",
                        format!("the period {p} closed to reports after {last}"),
                        format!("报告期 {p} 已于 {last} 截止填报，如需更正请联系统计部门"),
                    );
                }
            }
        }
        match area(r.area.trim()) {
            Area::Open => {}
            Area::Unknown => bad(
                "orgUnit",
                format!("unknown area {:?}", r.area),
                format!("没有这个地区或单位：“{}”", r.area),
            ),
            Area::NotYours => bad(
                "orgUnit",
                format!("{:?} is another unit's to report", r.area),
                format!("“{}”的数据由其他单位填报，您无权填报", r.area),
            ),
        }
        let value = r.value.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        if value.is_none() {
            bad(
                "value",
                format!("not a number: {:?}", r.value),
                format!("不是数值：“{}”", r.value),
            );
        }
        if let (Some(element_id), Ok(period), Some(value)) = (element_id, period, value) {
            let key = (
                element_id,
                period.to_string(),
                r.area.trim().to_owned(),
                r.category.trim().to_owned(),
            );
            if let Some(first) = seen.insert(key.clone(), row) {
                bad(
                    "period",
                    format!("the same value as row {first} is given twice"),
                    format!("与第 {first} 行是同一个数，重复填报"),
                );
                continue;
            }
            checked.push(Checked {
                element_id,
                period: key.1,
                area: key.2,
                category: key.3,
                value,
            });
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// Rows per statement: 7 parameters each stays well inside both engines'
/// limits on parameters.
const CHUNK: usize = 1000;

/// A period closed to reports: the last day it took them, if it is.
pub type Closed<'a> = dyn Fn(&str, &Period) -> Option<NaiveDate> + Sync + 'a;

/// Stores a batch of values reported by the context's actor, all or nothing. The
/// current values of the batch's cells are read, the changed ones marked
/// superseded and the new ones inserted, each a statement per thousand
/// rows, so a large import costs a few statements per thousand values.
pub async fn import(
    db: &Db,
    ctx: &Context,
    rows: &[DataValue],
    area: &(dyn Fn(&str) -> Area + Sync),
    closed: &Closed<'_>,
) -> Result<ImportCount, IndicatorError> {
    let codes: Vec<&str> = rows.iter().map(|r| r.element.trim()).collect();
    let ids: HashMap<String, i64> = named_elements(db, &codes)
        .await?
        .into_iter()
        .map(|(code, (id, _))| (code, id))
        .collect();
    let checked = check(rows, &ids, area, closed).map_err(IndicatorError::Rows)?;
    let (ctx, reporter) = (ctx.clone(), ctx.actor.audit_label());
    let stored = db
        .write(move |tx| {
            Box::pin(async move {
                let now = time::now();
                let mut count = ImportCount::default();
                for chunk in checked.chunks(CHUNK) {
                    let current = current_of(tx, chunk).await?;
                    let mut changed = Vec::new();
                    let mut fresh = Vec::new();
                    for c in chunk {
                        match current.get(&c.key()) {
                            Some((_, v)) if *v == c.value => count.ignored += 1,
                            Some((id, _)) => {
                                count.updated += 1;
                                changed.push(*id);
                                fresh.push(c);
                            }
                            None => {
                                count.imported += 1;
                                fresh.push(c);
                            }
                        }
                    }
                    if !changed.is_empty() {
                        let sql = format!(
                            "UPDATE indicator_values SET superseded_at = $1 WHERE id IN ({})",
                            egov_store::in_list(2, changed.len())
                        );
                        let mut q = query(sql).bind(now);
                        for id in &changed {
                            q = q.bind(*id);
                        }
                        tx.execute(q).await?;
                    }
                    if !fresh.is_empty() {
                        let sql = format!(
                            "INSERT INTO indicator_values (element_id, period, area, category, \
                             value, reported_by, reported_at) VALUES {}",
                            egov_store::values(fresh.len(), 7)
                        );
                        let mut q = query(sql);
                        for c in &fresh {
                            q = c.bind_key(q).bind(c.value).bind(reporter.clone()).bind(now);
                        }
                        tx.execute(q).await?;
                    }
                }
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "indicator.values_import",
                        object_type: "indicator_values",
                        object_id: &reporter,
                        detail: serde_json::json!({
                            "imported": count.imported,
                            "updated": count.updated,
                            "ignored": count.ignored,
                        }),
                    },
                )
                .await?;
                Ok::<_, IndicatorError>(count)
            })
        })
        .await;
    match stored {
        // Two batches inserting the same new cell at once: the index of
        // current values lets one in; the other is told to send again.
        Err(IndicatorError::Store(e)) if e.is_unique_violation() => Err(IndicatorError::Concurrent),
        other => other,
    }
}

type CellKey = (i64, String, String, String);

impl Checked {
    fn key(&self) -> CellKey {
        (
            self.element_id,
            self.period.clone(),
            self.area.clone(),
            self.category.clone(),
        )
    }

    fn bind_key<'q>(&self, q: egov_store::Statement<'q>) -> egov_store::Statement<'q> {
        q.bind(self.element_id)
            .bind(self.period.clone())
            .bind(self.area.clone())
            .bind(self.category.clone())
    }
}

/// The current values of the chunk's cells, with their row ids: for each
/// cell of the list (whose columns both engines name `column1`...) a lookup
/// in the index of current values. Written as lookups per cell, not as a
/// join, so that no planner can choose to scan the table instead: SQLite
/// does for a row-value `IN`, PostgreSQL for a join while its statistics
/// still take a table filling by millions for a small one.
async fn current_of(
    tx: &mut egov_store::Tx,
    chunk: &[Checked],
) -> Result<HashMap<CellKey, (i64, f64)>, IndicatorError> {
    const CELL: &str = "FROM indicator_values v WHERE v.element_id = k.column1 \
         AND v.period = k.column2 AND v.area = k.column3 AND v.category = k.column4 \
         AND v.superseded_at IS NULL";
    let sql = format!(
        "SELECT k.column1, k.column2, k.column3, k.column4, (SELECT v.id {CELL}), \
         (SELECT v.value {CELL}) FROM (VALUES {}) AS k",
        egov_store::values(chunk.len(), 4)
    );
    let mut q = query(sql);
    for c in chunk {
        q = c.bind_key(q);
    }
    type Looked = (i64, String, String, String, Option<i64>, Option<f64>);
    let rows: Vec<Looked> = tx.fetch_all(q).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(e, p, a, c, id, v)| Some(((e, p, a, c), (id?, v?))))
        .collect())
}

type ValueTuple = (
    String,
    String,
    String,
    String,
    f64,
    String,
    Timestamp,
    Option<Timestamp>,
);

fn stored(rows: Vec<ValueTuple>) -> Vec<StoredValue> {
    rows.into_iter()
        .filter_map(
            |(element, period, area, category, value, reported_by, reported_at, superseded_at)| {
                Some(StoredValue {
                    element,
                    period: Period::parse(&period).ok()?,
                    area,
                    category,
                    value,
                    reported_by,
                    reported_at,
                    superseded_at,
                })
            },
        )
        .collect()
}

const VALUE_COLUMNS: &str = "SELECT e.code, v.period, v.area, v.category, v.value, \
     v.reported_by, v.reported_at, v.superseded_at \
     FROM indicator_values v JOIN indicator_elements e ON e.id = v.element_id";

/// The current values of `element` in `area`, in period order.
pub async fn current(
    db: &Db,
    element: &str,
    area: &str,
) -> Result<Vec<StoredValue>, IndicatorError> {
    let sql =
        format!("{VALUE_COLUMNS} WHERE e.code = $1 AND v.area = $2 AND v.superseded_at IS NULL");
    let mut r = db.reader().await?;
    let rows: Vec<ValueTuple> = run!(r, |c| sqlx::query_as(&sql)
        .bind(element)
        .bind(area)
        .fetch_all(&mut *c)
        .await)?;
    // Identifiers do not sort as time does (20260115 after 202601B).
    let mut values = stored(rows);
    values.sort_by(|a, b| {
        (a.period.days(), a.period.kind(), &a.category).cmp(&(
            b.period.days(),
            b.period.kind(),
            &b.category,
        ))
    });
    Ok(values)
}

/// Every value ever reported for one cell, the current one last.
pub async fn history(
    db: &Db,
    element: &str,
    period: &Period,
    area: &str,
    category: &str,
) -> Result<Vec<StoredValue>, IndicatorError> {
    let sql = format!(
        "{VALUE_COLUMNS} WHERE e.code = $1 AND v.period = $2 AND v.area = $3 \
         AND v.category = $4 ORDER BY v.id"
    );
    let mut r = db.reader().await?;
    let rows: Vec<ValueTuple> = run!(r, |c| sqlx::query_as(&sql)
        .bind(element)
        .bind(period.to_string())
        .bind(area)
        .bind(category)
        .fetch_all(&mut *c)
        .await)?;
    Ok(stored(rows))
}

/// The current totals (no category) of `elements` in every area, with how
/// each adds up, ready to be worked out along an area tree the caller adds.
pub async fn cube(db: &Db, elements: &[&str]) -> Result<crate::Cube, IndicatorError> {
    cube_of(db, elements, "").await
}

/// [`cube`] for one option of a disaggregation (`female`, `age_15_24`,
/// an industry code): the values reported for it; `""` the totals.
pub async fn cube_of(
    db: &Db,
    elements: &[&str],
    category: &str,
) -> Result<crate::Cube, IndicatorError> {
    if elements.is_empty() {
        return Ok(crate::Cube::new(HashMap::new()));
    }
    let known: HashMap<String, Aggregation> = named_elements(db, elements)
        .await?
        .into_iter()
        .map(|(code, (_, a))| (code, a))
        .collect();
    let mut cube = crate::Cube::new(known.clone());
    if known.is_empty() {
        return Ok(cube);
    }
    let codes: Vec<&String> = known.keys().collect();
    let sql = format!(
        "SELECT e.code, v.area, v.period, v.value FROM indicator_values v \
         JOIN indicator_elements e ON e.id = v.element_id \
         WHERE v.superseded_at IS NULL AND v.category = $1 AND e.code IN ({})",
        egov_store::in_list(2, codes.len())
    );
    let mut r = db.reader().await?;
    let rows: Vec<(String, String, String, f64)> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql).bind(category);
        for code in &codes {
            q = q.bind(code.as_str());
        }
        q.fetch_all(&mut *c).await
    })?;
    for (element, area, period, value) in rows {
        if let Ok(period) = Period::parse(&period) {
            cube.add_value(&element, &area, period, value);
        }
    }
    Ok(cube)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(element: &str, period: &str, area: &str, value: &str) -> DataValue {
        DataValue {
            element: element.into(),
            period: period.into(),
            area: area.into(),
            category: String::new(),
            value: value.into(),
        }
    }

    #[test]
    fn every_bad_row_and_column_is_named() {
        let elements = HashMap::from([("cases".to_owned(), 1)]);
        let known = |a: &str| match a {
            "110105" => Area::Open,
            "110000" => Area::NotYours,
            _ => Area::Unknown,
        };
        let rows = [
            row("cases", "202601", "110105", "12"),
            row("nope", "2026-01", "999999", "x"),
            row("cases", "202601", "110105", "13"),
            row("cases", "202601", "110000", "13"),
        ];
        let problems = check(&rows, &elements, &known, &|_, _| None).err().unwrap();
        let at: Vec<(usize, &str)> = problems.iter().map(|p| (p.row, p.column)).collect();
        assert_eq!(
            at,
            vec![
                (2, "dataElement"),
                (2, "period"),
                (2, "orgUnit"),
                (2, "value"),
                (3, "period"),
                (4, "orgUnit")
            ]
        );
        assert!(check(&rows[..1], &elements, &known, &|_, _| None).is_ok());
        let closed = |_: &str, p: &Period| {
            (p.year() < 2026).then(|| NaiveDate::from_ymd_opt(2026, 3, 1).unwrap())
        };
        let late = [row("cases", "202512", "110105", "3"), rows[0].clone()];
        let problems = check(&late, &elements, &known, &closed).err().unwrap();
        assert_eq!((problems.len(), problems[0].column), (1, "period"));
        assert!(problems[0].message_zh.contains("2026-03-01"));
        assert!(check(
            &[row("cases", "202601", "110105", "NaN")],
            &elements,
            &known,
            &|_, _| None
        )
        .is_err());
    }
}
