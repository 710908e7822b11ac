//! What the statistics office lays down, kept: validation rules, data
//! sets (报表制度) and composite indices, each defined (checked whole,
//! audited) and read; and what reporting against a data set has come to.

use crate::dataset::{DataSet, Frequency};
use crate::error::IndicatorError;
use crate::expression::Expression;
use crate::keep::{keep, Kept};
use crate::period::Period;
use crate::quality::{Operator, ValidationRule};
use crate::ranking::{CompositeIndex, Normalisation};
use crate::store::named_elements;
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db};
use std::collections::HashMap;

/// Defines a rule, or changes the one with its code; audited. Returns
/// whether it was new.
pub async fn define(db: &Db, ctx: &Context, rule: &ValidationRule) -> Result<bool, IndicatorError> {
    let sides: Vec<Expression> = [&rule.left, &rule.right]
        .into_iter()
        .filter_map(|f| Expression::parse(f).ok())
        .collect();
    let codes: Vec<&str> = sides.iter().flat_map(|e| e.references()).collect();
    let elements = named_elements(db, &codes).await?;
    rule.checked(|c| elements.contains_key(c))
        .map_err(IndicatorError::Rule)?;
    let r = rule;
    let upsert = query(
        "INSERT INTO indicator_rules (code, name, name_en, left_side, operator, \
         right_side, tolerance, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         name_en = excluded.name_en, left_side = excluded.left_side, \
         operator = excluded.operator, right_side = excluded.right_side, \
         tolerance = excluded.tolerance, updated_at = excluded.updated_at",
    )
    .bind(r.code.clone())
    .bind(r.name.clone())
    .bind(r.name_en.clone())
    .bind(r.left.clone())
    .bind(r.operator.as_str())
    .bind(r.right.clone())
    .bind(r.tolerance)
    .bind(time::now());
    keep(
        db,
        ctx,
        Kept {
            table: "indicator_rules",
            code: r.code.clone(),
            upsert,
            action: "indicator.rule_define",
            object_type: "indicator_rule",
            detail: serde_json::json!({
                "left": r.left,
                "operator": r.operator.as_str(),
                "right": r.right,
                "tolerance": r.tolerance,
            }),
        },
    )
    .await
}

type RuleRow = (String, String, Option<String>, String, String, String, f64);

/// Every rule, by code.
pub async fn rules(db: &Db) -> Result<Vec<ValidationRule>, IndicatorError> {
    let mut r = db.reader().await?;
    let rows: Vec<RuleRow> = run!(r, |c| sqlx::query_as(
        "SELECT code, name, name_en, left_side, operator, right_side, tolerance \
         FROM indicator_rules ORDER BY code"
    )
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(code, name, name_en, left, operator, right, tolerance)| ValidationRule {
                code,
                name,
                name_en,
                left,
                // Only checked rules are stored.
                operator: Operator::parse(&operator).unwrap_or(Operator::Equal),
                right,
                tolerance,
            },
        )
        .collect())
}

/// Defines a data set, or changes the one with its code; audited. Its
/// units are checked by `unit_known` (the organisation model's). Returns
/// whether it was new.
pub async fn define_data_set(
    db: &Db,
    ctx: &Context,
    set: &DataSet,
    unit_known: impl Fn(&str) -> bool,
) -> Result<bool, IndicatorError> {
    let codes: Vec<&str> = set.elements.iter().map(String::as_str).collect();
    let elements = named_elements(db, &codes).await?;
    set.check(|c| elements.contains_key(c), unit_known)
        .map_err(IndicatorError::DataSet)?;
    let d = set;
    let upsert = query(
        "INSERT INTO indicator_data_sets (code, name, name_en, frequency, elements, \
         units, due_days, close_days, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         name_en = excluded.name_en, frequency = excluded.frequency, \
         elements = excluded.elements, units = excluded.units, \
         due_days = excluded.due_days, close_days = excluded.close_days, \
         updated_at = excluded.updated_at",
    )
    .bind(d.code.clone())
    .bind(d.name.clone())
    .bind(d.name_en.clone())
    .bind(d.frequency.as_str())
    .bind(serde_json::to_string(&d.elements).unwrap_or_default())
    .bind(serde_json::to_string(&d.units).unwrap_or_default())
    // Checked to at most 366 days.
    .bind(i32::try_from(d.due_days).unwrap_or(i32::MAX))
    .bind(d.close_days.map(|c| i32::try_from(c).unwrap_or(i32::MAX)))
    .bind(time::now());
    keep(
        db,
        ctx,
        Kept {
            table: "indicator_data_sets",
            code: d.code.clone(),
            upsert,
            action: "indicator.data_set_define",
            object_type: "indicator_data_set",
            detail: serde_json::json!({
                "frequency": d.frequency.as_str(),
                "elements": d.elements,
                "units": d.units,
                "due_days": d.due_days,
                "close_days": d.close_days,
            }),
        },
    )
    .await
}

type DataSetRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    i32,
    Option<i32>,
);

const DATA_SET_COLUMNS: &str =
    "SELECT code, name, name_en, frequency, elements, units, due_days, close_days \
     FROM indicator_data_sets";

/// Every data set, by code.
pub async fn data_sets(db: &Db) -> Result<Vec<DataSet>, IndicatorError> {
    let sql = format!("{DATA_SET_COLUMNS} ORDER BY code");
    let mut r = db.reader().await?;
    let rows: Vec<DataSetRow> = run!(r, |c| sqlx::query_as(&sql).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().map(data_set_of).collect())
}

/// One data set, by its code.
pub async fn data_set(db: &Db, code: &str) -> Result<Option<DataSet>, IndicatorError> {
    let sql = format!("{DATA_SET_COLUMNS} WHERE code = $1");
    let mut r = db.reader().await?;
    let row: Option<DataSetRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(code)
        .fetch_optional(&mut *c)
        .await)?;
    Ok(row.map(data_set_of))
}

/// Only checked sets are stored.
fn data_set_of(
    (code, name, name_en, frequency, elements, units, due, close): DataSetRow,
) -> DataSet {
    DataSet {
        code,
        name,
        name_en,
        frequency: Frequency::parse(&frequency).unwrap_or(Frequency::Monthly),
        elements: serde_json::from_str(&elements).unwrap_or_default(),
        units: serde_json::from_str(&units).unwrap_or_default(),
        due_days: u32::try_from(due).unwrap_or(0),
        close_days: close.and_then(|c| u32::try_from(c).ok()),
    }
}

/// When each of the set's units first reported each of `periods` (any of
/// the set's elements, corrections included), by unit and period.
pub async fn first_reports(
    db: &Db,
    set: &DataSet,
    periods: &[Period],
) -> Result<HashMap<(String, Period), Timestamp>, IndicatorError> {
    if periods.is_empty() {
        return Ok(HashMap::new());
    }
    let (e, u, p) = (set.elements.len(), set.units.len(), periods.len());
    let sql = format!(
        "SELECT v.area, v.period, v.reported_at FROM indicator_values v \
         JOIN indicator_elements e ON e.id = v.element_id \
         WHERE e.code IN ({}) AND v.area IN ({}) AND v.period IN ({})",
        egov_store::in_list(1, e),
        egov_store::in_list(1 + e, u),
        egov_store::in_list(1 + e + u, p)
    );
    let texts: Vec<String> = periods.iter().map(Period::to_string).collect();
    let mut r = db.reader().await?;
    let rows: Vec<(String, String, Timestamp)> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for v in set.elements.iter().chain(&set.units).chain(&texts) {
            q = q.bind(v.as_str());
        }
        q.fetch_all(&mut *c).await
    })?;
    let mut first: HashMap<(String, Period), Timestamp> = HashMap::new();
    for (area, period, at) in rows {
        let Ok(period) = Period::parse(&period) else {
            continue;
        };
        first
            .entry((area, period))
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }
    Ok(first)
}

/// Defines a composite index, or changes the one with its code; audited.
/// Its components are checked against the indicators defined. Returns
/// whether it was new.
pub async fn define_index(
    db: &Db,
    ctx: &Context,
    index: &CompositeIndex,
) -> Result<bool, IndicatorError> {
    let defined: Vec<String> = crate::definition::list(db, false)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    index
        .check(|c| defined.iter().any(|d| d == c))
        .map_err(IndicatorError::Index)?;
    let i = index;
    let upsert = query(
        "INSERT INTO indicator_composites (code, name, name_en, normalisation, \
         components, public, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
         name_en = excluded.name_en, normalisation = excluded.normalisation, \
         components = excluded.components, public = excluded.public, \
         updated_at = excluded.updated_at",
    )
    .bind(i.code.clone())
    .bind(i.name.clone())
    .bind(i.name_en.clone())
    .bind(i.normalisation.as_str())
    .bind(serde_json::to_string(&i.components).unwrap_or_default())
    .bind(i.public)
    .bind(time::now());
    keep(
        db,
        ctx,
        Kept {
            table: "indicator_composites",
            code: i.code.clone(),
            upsert,
            action: "indicator.index_define",
            object_type: "indicator_composite",
            detail: serde_json::json!({
                "normalisation": i.normalisation.as_str(),
                "components": i.components,
                "public": i.public,
            }),
        },
    )
    .await
}

type IndexRow = (String, String, Option<String>, String, String, bool);

/// Every composite index (only the public ones when `public_only`), by code.
pub async fn indices(db: &Db, public_only: bool) -> Result<Vec<CompositeIndex>, IndicatorError> {
    let mut r = db.reader().await?;
    let rows: Vec<IndexRow> = run!(r, |c| sqlx::query_as(
        "SELECT code, name, name_en, normalisation, components, public \
         FROM indicator_composites WHERE (public OR NOT $1) ORDER BY code"
    )
    .bind(public_only)
    .fetch_all(&mut *c)
    .await)?;
    // Only checked indices are stored.
    Ok(rows
        .into_iter()
        .map(
            |(code, name, name_en, normalisation, components, public)| CompositeIndex {
                code,
                name,
                name_en,
                normalisation: Normalisation::parse(&normalisation)
                    .unwrap_or(Normalisation::MinMax),
                components: serde_json::from_str(&components).unwrap_or_default(),
                public,
            },
        )
        .collect())
}
