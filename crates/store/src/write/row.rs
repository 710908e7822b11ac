//! Rows read inside a write transaction, decoded the same way on both
//! engines: by sqlx on PostgreSQL, from SQLite's five storage classes here
//! (in the forms sqlx writes them, so either can read what the other wrote).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::types::ValueRef;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row as _, Sqlite};

use crate::StoreError;

type DecodeError = sqlx::error::BoxDynError;

/// A row of a statement's result; see [`FromRow`].
pub struct Row<'r>(pub(crate) RowOf<'r>);

pub(crate) enum RowOf<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r PgRow),
}

/// A column by position (from 0) or by name.
pub trait ColumnIndex: rusqlite::RowIndex + sqlx::ColumnIndex<PgRow> + Copy + ToString {}
impl ColumnIndex for usize {}
impl ColumnIndex for &str {}

impl Row<'_> {
    /// The value of one column, as `T`.
    pub fn get<T: Column, I: ColumnIndex>(&self, index: I) -> Result<T, StoreError> {
        let decoded = match &self.0 {
            RowOf::Sqlite(row) => {
                let value = row.get_ref(index)?;
                T::from_sqlite(value)
            }
            RowOf::Postgres(row) => return Ok(row.try_get(index)?),
        };
        decoded.map_err(|source| {
            StoreError::Query(sqlx::Error::ColumnDecode {
                index: index.to_string(),
                source,
            })
        })
    }

    /// The value of the column named `name`, looked for at `position`
    /// first: a struct's fields are mostly selected in their own order, and
    /// finding a column by name is a scan of the statement's columns.
    #[doc(hidden)]
    pub fn get_named_at<T: Column>(&self, position: usize, name: &str) -> Result<T, StoreError> {
        let there = match &self.0 {
            RowOf::Sqlite(row) => row.as_ref().column_name(position).ok() == Some(name),
            RowOf::Postgres(row) => {
                row.columns().get(position).map(sqlx::Column::name) == Some(name)
            }
        };
        if there {
            self.get(position)
        } else {
            self.get(name)
        }
    }
}

/// A Rust type a column decodes to on both engines.
pub trait Column:
    Sized
    + for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
{
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError>;
}

fn unexpected(value: ValueRef<'_>, wanted: &str) -> DecodeError {
    format!("a {} where {wanted} was expected", value.data_type()).into()
}

fn integer(value: ValueRef<'_>, wanted: &str) -> Result<i64, DecodeError> {
    match value {
        ValueRef::Integer(n) => Ok(n),
        other => Err(unexpected(other, wanted)),
    }
}

impl Column for i64 {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        integer(value, "an integer")
    }
}

impl Column for i32 {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        Ok(i32::try_from(integer(value, "an integer")?)?)
    }
}

impl Column for i16 {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        Ok(i16::try_from(integer(value, "an integer")?)?)
    }
}

impl Column for bool {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        Ok(integer(value, "a boolean")? != 0)
    }
}

impl Column for f64 {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        match value {
            ValueRef::Real(x) => Ok(x),
            ValueRef::Integer(n) => Ok(n as f64),
            other => Err(unexpected(other, "a number")),
        }
    }
}

/// A text value as UTF-8, for [`Column::from_sqlite`].
pub fn sqlite_text(value: ValueRef<'_>) -> Result<&str, DecodeError> {
    match value {
        ValueRef::Text(t) => Ok(std::str::from_utf8(t)?),
        other => Err(unexpected(other, "text")),
    }
}

impl Column for String {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        sqlite_text(value).map(str::to_owned)
    }
}

impl Column for Vec<u8> {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        match value {
            ValueRef::Blob(b) | ValueRef::Text(b) => Ok(b.to_vec()),
            other => Err(unexpected(other, "bytes")),
        }
    }
}

impl Column for DateTime<Utc> {
    /// sqlx writes RFC 3339; SQL's own `CURRENT_TIMESTAMP` writes
    /// `YYYY-MM-DD HH:MM:SS` in UTC.
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        match value {
            ValueRef::Text(t) => {
                let t = std::str::from_utf8(t)?;
                if let Ok(at) = DateTime::parse_from_rfc3339(t) {
                    return Ok(at.with_timezone(&Utc));
                }
                Ok(NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")?.and_utc())
            }
            ValueRef::Integer(secs) => {
                DateTime::from_timestamp(secs, 0).ok_or_else(|| "a time out of range".into())
            }
            other => Err(unexpected(other, "a time")),
        }
    }
}

impl Column for NaiveDate {
    /// A calendar date, written `YYYY-MM-DD`.
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        Ok(NaiveDate::parse_from_str(sqlite_text(value)?, "%Y-%m-%d")?)
    }
}

impl<T: Column> Column for Option<T> {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, DecodeError> {
        match value {
            ValueRef::Null => Ok(None),
            value => T::from_sqlite(value).map(Some),
        }
    }
}

/// A type a whole row decodes to: tuples by position, structs declared
/// with [`row!`](crate::row) by column name.
pub trait FromRow: Sized {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Column),+> FromRow for ($($t,)+) {
            fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
                Ok(($(row.get::<$t, usize>($i)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);

/// Declares a struct read from rows by column name, in write transactions
/// ([`FromRow`]); derive `sqlx::FromRow` on it too to read it on readers.
///
/// ```text
/// egov_store::row! {
///     #[derive(Debug, sqlx::FromRow)]
///     pub struct Head { seq: i64, hash: String }
/// }
/// ```
#[macro_export]
macro_rules! row {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident : $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty),*
        }

        impl $crate::FromRow for $name {
            #[allow(unused_assignments)]
            fn from_row(row: &$crate::Row<'_>) -> ::std::result::Result<Self, $crate::StoreError> {
                let mut position = 0usize;
                Ok($name {
                    $($field: {
                        let value = row.get_named_at(position, stringify!($field))?;
                        position += 1;
                        value
                    }),*
                })
            }
        }
    };
}
