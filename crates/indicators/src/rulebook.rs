//! The validation rules kept: defined (checked whole, audited) and read.

use crate::error::IndicatorError;
use crate::expression::Expression;
use crate::quality::{Operator, ValidationRule};
use crate::store::named_elements;
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{query, run, Db};

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
    let (ctx, r) = (ctx.clone(), rule.clone());
    db.write(move |tx| {
        Box::pin(async move {
            let existed: Option<i64> = tx
                .fetch_optional_scalar(
                    query("SELECT id FROM indicator_rules WHERE code = $1").bind(r.code.clone()),
                )
                .await?;
            tx.execute(
                query(
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
                .bind(time::now()),
            )
            .await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "indicator.rule_define",
                    object_type: "indicator_rule",
                    object_id: &r.code,
                    detail: serde_json::json!({
                        "left": r.left,
                        "operator": r.operator.as_str(),
                        "right": r.right,
                        "tolerance": r.tolerance,
                    }),
                },
            )
            .await?;
            Ok::<_, IndicatorError>(existed.is_none())
        })
    })
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
