//! Indicators as defined and kept: a code, names, numerator and
//! denominator formulas over data elements, a factor (100 for a per cent),
//! the unit and decimals it is shown with, and whether it is public. A
//! definition is checked whole before it is stored: formulas that parse,
//! refer to known elements only and never to the indicator itself, a
//! factor that is a number other than zero.

use crate::code::valid_code;
use crate::compute::Indicator;
use crate::error::{DefinitionError, IndicatorError};
use crate::expression::Expression;
use crate::store::named_elements;
use egov_kernel::time;
use egov_kernel::Context;
use egov_store::{query, run, Db};
use serde::Serialize;

/// An indicator as an administrator writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorDefinition {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// A formula over `#{element}` codes.
    pub numerator: String,
    /// A formula, `1` for an indicator that is a plain sum or level.
    pub denominator: String,
    /// 100 for a per cent, 1000 for per mille, 1 for a plain figure.
    pub factor: f64,
    pub unit: String,
    pub decimals: u8,
    /// Shown on the public page without signing in.
    pub public: bool,
    /// Fixed warning bands, the four cut points from cold to hot (偏冷,
    /// 正常, 偏热, 过热 begin past them); none: bands from the indicator's
    /// own history.
    pub bands: Option<[f64; 4]>,
}

impl IndicatorDefinition {
    /// The fixed warning bands, where set (checked when stored).
    pub fn fixed_bands(&self) -> Option<crate::warning::Bands> {
        let [a, b, c, d] = self.bands?;
        crate::warning::Bands::fixed(a, b, c, d).ok()
    }

    /// The definition checked against the elements `known` knows, as the
    /// engine computes it.
    pub fn checked(&self, known: impl Fn(&str) -> bool) -> Result<Indicator, DefinitionError> {
        if !valid_code(&self.code) {
            return Err(DefinitionError::BadCode(self.code.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(DefinitionError::NoName);
        }
        let numerator = Expression::parse(&self.numerator).map_err(DefinitionError::Numerator)?;
        numerator
            .check(&self.code, &known)
            .map_err(DefinitionError::Numerator)?;
        let denominator =
            Expression::parse(&self.denominator).map_err(DefinitionError::Denominator)?;
        // A constant denominator (1) refers to nothing, and needs not.
        if !denominator.references().is_empty() {
            denominator
                .check(&self.code, &known)
                .map_err(DefinitionError::Denominator)?;
        }
        if !self.factor.is_finite() || self.factor == 0.0 {
            return Err(DefinitionError::Factor);
        }
        if self.decimals > 6 {
            return Err(DefinitionError::Decimals);
        }
        if let Some([a, b, c, d]) = self.bands {
            crate::warning::Bands::fixed(a, b, c, d).map_err(DefinitionError::Bands)?;
        }
        Ok(Indicator {
            code: self.code.clone(),
            numerator,
            denominator,
            factor: self.factor,
        })
    }
}

/// Defines an indicator, or changes the one with its code; audited.
/// Returns whether it was new.
pub async fn define(
    db: &Db,
    ctx: &Context,
    definition: &IndicatorDefinition,
) -> Result<bool, IndicatorError> {
    let named: Vec<Expression> = [&definition.numerator, &definition.denominator]
        .into_iter()
        .filter_map(|f| Expression::parse(f).ok())
        .collect();
    let codes: Vec<&str> = named.iter().flat_map(|e| e.references()).collect();
    let elements = named_elements(db, &codes).await?;
    definition
        .checked(|c| elements.contains_key(c))
        .map_err(IndicatorError::Definition)?;
    let d = definition;
    let upsert = query(
        "INSERT INTO indicator_definitions (code, name, name_en, numerator, denominator, \
         factor, unit, decimals, public, bands, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, \
         numerator = excluded.numerator, denominator = excluded.denominator, \
         factor = excluded.factor, unit = excluded.unit, decimals = excluded.decimals, \
         public = excluded.public, bands = excluded.bands, updated_at = excluded.updated_at",
    )
    .bind(d.code.clone())
    .bind(d.name.clone())
    .bind(d.name_en.clone())
    .bind(d.numerator.clone())
    .bind(d.denominator.clone())
    .bind(d.factor)
    .bind(d.unit.clone())
    .bind(i32::from(d.decimals))
    .bind(d.public)
    .bind(
        d.bands
            .map(|b| serde_json::to_string(&b).unwrap_or_default()),
    )
    .bind(time::now());
    crate::keep::keep(
        db,
        ctx,
        crate::keep::Kept {
            table: "indicator_definitions",
            code: d.code.clone(),
            upsert,
            action: "indicator.define",
            object_type: "indicator",
            detail: serde_json::json!({
                "numerator": d.numerator,
                "denominator": d.denominator,
                "factor": d.factor,
                "public": d.public,
                "bands": d.bands,
            }),
        },
    )
    .await
}

type DefinitionRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    f64,
    String,
    i32,
    bool,
    Option<String>,
);

const DEFINITION_COLUMNS: &str = "SELECT code, name, name_en, numerator, denominator, factor, \
     unit, decimals, public, bands FROM indicator_definitions";

/// Every indicator (only the public ones when `public_only`), by code.
pub async fn list(db: &Db, public_only: bool) -> Result<Vec<IndicatorDefinition>, IndicatorError> {
    let sql = format!("{DEFINITION_COLUMNS} WHERE (public OR NOT $1) ORDER BY code");
    let mut r = db.reader().await?;
    let rows: Vec<DefinitionRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(public_only)
        .fetch_all(&mut *c)
        .await)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The indicator with `code`.
pub async fn get(db: &Db, code: &str) -> Result<Option<IndicatorDefinition>, IndicatorError> {
    let sql = format!("{DEFINITION_COLUMNS} WHERE code = $1");
    let mut r = db.reader().await?;
    let row: Option<DefinitionRow> = run!(r, |c| sqlx::query_as(&sql)
        .bind(code)
        .fetch_optional(&mut *c)
        .await)?;
    Ok(row.map(from_row))
}

fn from_row(
    (code, name, name_en, numerator, denominator, factor, unit, decimals, public, bands): DefinitionRow,
) -> IndicatorDefinition {
    IndicatorDefinition {
        code,
        name,
        name_en,
        numerator,
        denominator,
        factor,
        unit,
        decimals: u8::try_from(decimals).unwrap_or(0),
        public,
        bands: bands.and_then(|b| serde_json::from_str(&b).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate() -> IndicatorDefinition {
        IndicatorDefinition {
            code: "on_time_rate".into(),
            name: "按时办结率".into(),
            name_en: None,
            numerator: "#{closed_on_time}".into(),
            denominator: "#{closed}".into(),
            factor: 100.0,
            unit: "%".into(),
            decimals: 1,
            public: true,
            bands: None,
        }
    }

    #[test]
    fn a_definition_is_checked_whole() {
        let known = |c: &str| ["closed_on_time", "closed"].contains(&c);
        assert!(rate().checked(known).is_ok());
        let plain = IndicatorDefinition {
            denominator: "1".into(),
            ..rate()
        };
        assert!(plain.checked(known).is_ok());
        let cases: [(IndicatorDefinition, &str); 6] = [
            (
                IndicatorDefinition {
                    bands: Some([90.0, 80.0, 95.0, 99.0]),
                    ..rate()
                },
                "warning bands: cut points must be finite with lower_cold < lower_normal <= \
                 upper_normal < upper_hot; got 90, 80, 95, 99",
            ),
            (
                IndicatorDefinition {
                    numerator: "#{on_time_rate}".into(),
                    ..rate()
                },
                "numerator: the formula refers to itself: on_time_rate",
            ),
            (
                IndicatorDefinition {
                    denominator: "#{nothing}".into(),
                    ..rate()
                },
                "denominator: the formula refers to an unknown data element: nothing",
            ),
            (
                IndicatorDefinition {
                    factor: 0.0,
                    ..rate()
                },
                "the factor must be a number other than zero",
            ),
            (
                IndicatorDefinition {
                    code: "率".into(),
                    ..rate()
                },
                "an indicator's code is 1 to 50 letters, digits, '_', '-' or '.': \"率\"",
            ),
            (
                IndicatorDefinition {
                    numerator: "#{closed} +".into(),
                    ..rate()
                },
                "numerator: at character 12: the formula ends too soon",
            ),
        ];
        for (definition, message) in cases {
            let e = definition.checked(known).unwrap_err();
            assert_eq!(e.to_string(), message);
        }
    }
}
