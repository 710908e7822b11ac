//! Write transactions, each written once as an async body over [`Tx`]
//! and run where it is cheapest.
//!
//! On SQLite the whole body runs on the writer's own thread, over a
//! connection of the same SQLite library sqlx uses, where every statement
//! is a function call instead of a hand-off to a connection thread; bodies
//! are committed in groups ([`thread`]). On PostgreSQL the same body runs on
//! the pool in the caller's task.
//!
//! A body may wait on nothing but its transaction: on SQLite it is polled
//! once, and one that is still pending after that is refused
//! ([`StoreError::WaitedOutsideTheTransaction`]) and rolled back. Read what
//! else it needs before it starts, and move that into it.

pub(crate) mod grouped;
pub(crate) mod logged;
mod row;
mod statement;
pub(crate) mod thread;

#[cfg(test)]
mod tests;

pub use grouped::GroupBody;
pub use row::{sqlite_text, Column, ColumnIndex, FromRow, Row};
/// A value as SQLite stores it, for [`Column::from_sqlite`].
pub use rusqlite::types::ValueRef as SqliteValue;
pub use statement::{in_list, query, values, Statement};

use crate::caches::Caches;
use crate::{AnyConn, Engine, StoreError};
use row::RowOf;
use sqlx::Postgres;
use std::any::TypeId;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a body returns: a future borrowing its transaction.
pub type BoxFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// Work a transaction runs at its end, after its body; see [`Tx::defer`].
pub type Deferred =
    Box<dyn for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<(), StoreError>> + Send>;

/// The read-write transaction a body of [`Db::write`](crate::Db::write)
/// runs in. Its statements are written with [`query`]; [`Tx::conn`]
/// (sqlx's statements, through `run!`) is there for PostgreSQL-only work.
pub struct Tx {
    conn: WriteConn,
    deferred: Vec<Deferred>,
    /// The reference sets it changed (`reference::changed`), told to this
    /// node's caches once it commits.
    pub(crate) changed: Vec<TypeId>,
    /// Told of them by [`Tx::commit`]; [`Db::write`](crate::Db::write)
    /// tells them itself.
    pub(crate) caches: Option<Arc<Caches>>,
}

pub(crate) enum WriteConn {
    /// Lent by the writer thread for one body.
    Sqlite(rusqlite::Connection),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn new(conn: WriteConn) -> Tx {
        Tx {
            conn,
            deferred: Vec::new(),
            changed: Vec::new(),
            caches: None,
        }
    }

    pub(crate) fn into_conn(self) -> WriteConn {
        self.conn
    }

    pub fn engine(&self) -> Engine {
        match self.conn {
            WriteConn::Sqlite(_) => Engine::Sqlite,
            WriteConn::Postgres(_) => Engine::Postgres,
        }
    }

    /// sqlx's connection, for [`run!`](crate::run).
    ///
    /// # Panics
    /// In a body of [`Db::write`](crate::Db::write) on SQLite, where there
    /// is no sqlx connection: statements there are written with [`query`].
    pub fn conn(&mut self) -> AnyConn<'_> {
        match &mut self.conn {
            WriteConn::Postgres(t) => AnyConn::Postgres(t),
            WriteConn::Sqlite(_) => {
                panic!("sqlx statements cannot run on the writer thread; write them with query()")
            }
        }
    }

    /// Commits a transaction begun with
    /// [`Db::begin_postgres`](crate::Db::begin_postgres), after its
    /// deferred work.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        for work in self.take_deferred() {
            work(&mut self).await?;
        }
        match self.conn {
            WriteConn::Postgres(t) => t.commit().await?,
            WriteConn::Sqlite(_) => unreachable!("a body's transaction is committed by its writer"),
        }
        if let Some(caches) = &self.caches {
            caches.committed(&self.changed);
        }
        Ok(())
    }

    /// Runs `work` at the end of the transaction, after the body. What must
    /// be serialised across transactions (the audit chain's head on
    /// PostgreSQL) is then held from there to the commit only.
    pub fn defer(&mut self, work: Deferred) {
        self.deferred.push(work);
    }

    pub(crate) fn take_deferred(&mut self) -> Vec<Deferred> {
        std::mem::take(&mut self.deferred)
    }

    /// Runs a statement; answers the rows it changed.
    pub async fn execute(&mut self, statement: Statement<'_>) -> Result<u64, StoreError> {
        match &mut self.conn {
            WriteConn::Sqlite(conn) => {
                sqlite_rows(conn, statement, 0, |_| Ok(()))?;
                Ok(conn.changes())
            }
            WriteConn::Postgres(tx) => {
                let (sql, args) = statement.postgres_params()?;
                let done = sqlx::query_with(&sql, args).execute(&mut **tx).await?;
                Ok(done.rows_affected())
            }
        }
    }

    /// Every row of a query.
    pub async fn fetch_all<R: FromRow>(
        &mut self,
        statement: Statement<'_>,
    ) -> Result<Vec<R>, StoreError> {
        self.rows(statement, usize::MAX, R::from_row).await
    }

    /// The first row, if any.
    pub async fn fetch_optional<R: FromRow>(
        &mut self,
        statement: Statement<'_>,
    ) -> Result<Option<R>, StoreError> {
        Ok(self.rows(statement, 1, R::from_row).await?.pop())
    }

    /// The first row; none is an error (`RowNotFound`).
    pub async fn fetch_one<R: FromRow>(
        &mut self,
        statement: Statement<'_>,
    ) -> Result<R, StoreError> {
        self.fetch_optional(statement)
            .await?
            .ok_or(StoreError::Query(sqlx::Error::RowNotFound))
    }

    /// The first column of the first row; none is an error.
    pub async fn fetch_scalar<T: Column>(
        &mut self,
        statement: Statement<'_>,
    ) -> Result<T, StoreError> {
        self.fetch_optional_scalar(statement)
            .await?
            .ok_or(StoreError::Query(sqlx::Error::RowNotFound))
    }

    /// The first column of the first row, if any.
    pub async fn fetch_optional_scalar<T: Column>(
        &mut self,
        statement: Statement<'_>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.rows(statement, 1, |r| r.get(0)).await?.pop())
    }

    async fn rows<R>(
        &mut self,
        statement: Statement<'_>,
        at_most: usize,
        decode: impl Fn(&Row<'_>) -> Result<R, StoreError>,
    ) -> Result<Vec<R>, StoreError> {
        match &mut self.conn {
            WriteConn::Sqlite(conn) => sqlite_rows(conn, statement, at_most, decode),
            WriteConn::Postgres(tx) => {
                let (sql, args) = statement.postgres_params()?;
                let query = sqlx::query_with(&sql, args);
                let rows = match at_most {
                    1 => query.fetch_optional(&mut **tx).await?.into_iter().collect(),
                    _ => query.fetch_all(&mut **tx).await?,
                };
                rows.iter()
                    .map(|r| decode(&Row(RowOf::Postgres(r))))
                    .collect()
            }
        }
    }
}

/// Runs a statement on SQLite and decodes up to `at_most` of its rows.
/// Whatever a statement changes, it changes at its first step (rows a
/// `RETURNING` clause gives are computed then), so stopping early is safe.
fn sqlite_rows<R>(
    conn: &mut rusqlite::Connection,
    statement: Statement<'_>,
    at_most: usize,
    decode: impl Fn(&Row<'_>) -> Result<R, StoreError>,
) -> Result<Vec<R>, StoreError> {
    let (sql, params) = statement.sqlite_params()?;
    let mut stmt = conn.prepare_cached(&question_numbered(&sql))?;
    bind_sqlite(&mut stmt, &params)?;
    let mut rows = stmt.raw_query();
    let mut decoded = Vec::new();
    // Stepped at least once, so that a statement without rows runs.
    while let Some(row) = rows.next()? {
        if decoded.len() >= at_most {
            break;
        }
        decoded.push(decode(&Row(RowOf::Sqlite(row)))?);
    }
    Ok(decoded)
}

/// The statement with `$N` written `?N` (outside quotes): SQLite gives a
/// `?N` parameter the index N, so binding needs no lookup of names, which
/// SQLite does by a walk of the list (a statement of thousands of
/// parameters, a multi-row insert, would take time quadratic in them).
pub(crate) fn question_numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('?');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Binds parameters as sqlx does: `$N` is the N-th value, wherever it
/// stands in the text and however often (the text comes here with `?N`
/// for `$N`, whose index SQLite makes N).
fn bind_sqlite(
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: &[sqlx::sqlite::SqliteArgumentValue<'_>],
) -> Result<(), StoreError> {
    use sqlx::sqlite::SqliteArgumentValue as V;
    for (i, value) in params.iter().enumerate().take(stmt.parameter_count()) {
        let i = i + 1;
        match value {
            V::Null => stmt.raw_bind_parameter(i, rusqlite::types::Null)?,
            V::Text(t) => stmt.raw_bind_parameter(i, t.as_ref())?,
            V::Blob(b) => stmt.raw_bind_parameter(i, b.as_ref())?,
            V::Double(x) => stmt.raw_bind_parameter(i, x)?,
            V::Int(n) => stmt.raw_bind_parameter(i, n)?,
            V::Int64(n) => stmt.raw_bind_parameter(i, n)?,
        }
    }
    Ok(())
}
