//! The indicators engine, after the DHIS2 model: a value is a data element
//! × disaggregation × period × area; an indicator is a formula over
//! elements (numerator / denominator × factor) computed when asked, along
//! the period hierarchy and the area tree; growth compares it with the
//! period before, the same period a year earlier, or the year so far.
//!
//! The rules are free of storage and HTTP: periods and their identifiers
//! ([`period`]), formulas ([`expression`]), how an element's values add up
//! over time and space ([`aggregate`]), growth ([`growth`]), an indicator
//! worked out along the area tree and the periods ([`compute`]), and the
//! five warning lights ([`warning`]), forecasts with a seasonal-naive
//! baseline and a backtest ([`forecast`]), composite indices and rankings
//! ([`ranking`]), validation rules and outliers
//! ([`quality`]); [`definition`] keeps indicators'
//! formulas and [`rulebook`] the validation rules and data sets
//! ([`dataset`]: who reports what, by when, and completeness); [`store`] keeps the elements and their values, with every
//! correction's history; [`dhis2`] reads and writes DHIS2's dataValueSets
//! (JSON and CSV).

pub mod aggregate;
pub mod code;
pub mod compute;
pub mod dataset;
pub mod definition;
pub mod demo;
pub mod dhis2;
pub mod error;
pub mod expression;
pub mod forecast;
pub mod growth;
mod keep;
pub mod period;
pub mod quality;
pub mod ranking;
pub mod rulebook;
pub mod store;
pub mod warning;
pub mod watchlist;
pub mod weights;

pub use aggregate::Aggregation;
pub use compute::{Cube, Indicator};
pub use dataset::{DataSet, Frequency};
pub use definition::IndicatorDefinition;
pub use error::{DefinitionError, IndicatorError, RowProblem};
pub use expression::{Expression, ExpressionError};
pub use period::{Period, PeriodError};
pub use quality::{Operator, OutlierMethod, ValidationRule};
pub use ranking::{Component, CompositeIndex, Normalisation};
pub use store::{Area, DataElement, DataValue, ImportCount, StoredValue};
