//! A statement and its parameters, written once for both engines.
//!
//! Parameters keep their Rust type until the statement runs: each engine
//! then encodes them with the driver's own encoding, so a value written
//! here reads back through sqlx exactly as one sqlx wrote (timestamps,
//! enums stored as words, JSON as text).

use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArgumentValue;
use sqlx::{Arguments, Encode, Postgres, Sqlite, Type};

use crate::StoreError;
use std::borrow::Cow;
use std::fmt::Write as _;

/// Starts a statement: `query("UPDATE t SET a = $1 WHERE id = $2").bind(a).bind(id)`.
/// Parameters are numbered `$1`, `$2`, … on both engines.
/// The text may be borrowed or owned (a `String` makes a `Statement<'static>`,
/// as [`Db::execute`](crate::Db::execute) takes).
pub fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Statement<'q> {
    Statement {
        sql: sql.into(),
        params: Vec::new(),
    }
}

/// The placeholders of a multi-row `VALUES` list: `rows` rows of `columns`
/// parameters each, numbered from `$1` row by row: `($1, $2), ($3, $4)`.
pub fn values(rows: usize, columns: usize) -> String {
    // One string written in place: a batch of 500 cases has 14,000
    // placeholders, and a string for each cost more than the insert itself.
    let mut out = String::with_capacity(rows * columns * 8);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 1..=columns {
            if c > 1 {
                out.push_str(", ");
            }
            write!(out, "${}", r * columns + c).expect("writing to a string");
        }
        out.push(')');
    }
    out
}

/// The placeholders of an `IN` list of `n` parameters numbered from
/// `$first`: `$2, $3, $4` for `in_list(2, 3)`.
pub fn in_list(first: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 8);
    for i in first..first + n {
        if i > first {
            out.push_str(", ");
        }
        write!(out, "${i}").expect("writing to a string");
    }
    out
}

/// See [`query`].
pub struct Statement<'q> {
    pub(crate) sql: Cow<'q, str>,
    pub(crate) params: Vec<BoxedParam<'q>>,
}

/// A parameter bound and not yet encoded.
pub(crate) type BoxedParam<'q> = Box<dyn Param<'q> + Send + 'q>;

impl<'q> Statement<'q> {
    /// Binds the next parameter (`$1` first). Anything sqlx can bind on
    /// both engines can be bound here.
    pub fn bind<T>(mut self, value: T) -> Self
    where
        T: Encode<'q, Sqlite> + Encode<'q, Postgres> + Type<Sqlite> + Type<Postgres> + Send + 'q,
    {
        self.params.push(Box::new(value));
        self
    }

    /// The text and the parameters as SQLite values, in order.
    pub(crate) fn sqlite_params(
        self,
    ) -> Result<(Cow<'q, str>, Vec<SqliteArgumentValue<'q>>), StoreError> {
        let mut values = Vec::with_capacity(self.params.len());
        for p in self.params {
            p.sqlite(&mut values).map_err(encode_error)?;
        }
        Ok((self.sql, values))
    }

    /// The parameters as PostgreSQL arguments, in order.
    pub(crate) fn postgres_params(self) -> Result<(Cow<'q, str>, PgArguments), StoreError> {
        let mut args = PgArguments::default();
        for p in self.params {
            p.postgres(&mut args).map_err(encode_error)?;
        }
        Ok((self.sql, args))
    }
}

fn encode_error(e: sqlx::error::BoxDynError) -> StoreError {
    StoreError::Query(sqlx::Error::Encode(e))
}

/// A parameter not yet encoded; consumed by whichever engine runs it.
pub(crate) trait Param<'q>: Send {
    fn sqlite(
        self: Box<Self>,
        buf: &mut Vec<SqliteArgumentValue<'q>>,
    ) -> Result<(), sqlx::error::BoxDynError>;
    fn postgres(self: Box<Self>, args: &mut PgArguments) -> Result<(), sqlx::error::BoxDynError>;
}

impl<'q, T> Param<'q> for T
where
    T: Encode<'q, Sqlite> + Encode<'q, Postgres> + Type<Sqlite> + Type<Postgres> + Send + 'q,
{
    fn sqlite(
        self: Box<Self>,
        buf: &mut Vec<SqliteArgumentValue<'q>>,
    ) -> Result<(), sqlx::error::BoxDynError> {
        // As sqlx's own SQLite arguments do: a NULL is pushed by the caller.
        let before = buf.len();
        match Encode::<Sqlite>::encode(*self, buf) {
            Ok(sqlx::encode::IsNull::Yes) => {
                buf.truncate(before);
                buf.push(SqliteArgumentValue::Null);
                Ok(())
            }
            Ok(sqlx::encode::IsNull::No) => Ok(()),
            Err(e) => {
                buf.truncate(before);
                Err(e)
            }
        }
    }

    fn postgres(self: Box<Self>, args: &mut PgArguments) -> Result<(), sqlx::error::BoxDynError> {
        args.add(*self)
    }
}
