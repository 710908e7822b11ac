//! Storage for every module: one code path over SQLite (embedded default) and
//! PostgreSQL (production).
//!
//! A write transaction is written once as a body over [`Tx`] and run by
//! [`Db::write`]: on SQLite's writer thread, or on PostgreSQL's pool (see
//! [`write`]). Reads, and the writes not yet moved onto bodies, are written
//! once inside [`run!`], which expands the same block for each concrete
//! driver, so every query is type-checked against both.

mod backup;
mod caches;
mod db;
mod error;
pub mod reference;
#[cfg(test)]
mod scratch;
mod text_enum;
mod url;
pub mod write;

#[cfg(feature = "testing")]
pub mod testing;

pub use backup::{backup, read_manifest, restore, Manifest, Restored};
pub use db::{AnyConn, Db, Engine, PoolOptions, Reader};
pub use error::{
    io_unavailable, is_unavailable, is_unique_violation, unavailable_in_chain, StoreError,
};
pub use reference::Reference;
pub use url::DatabaseUrl;
pub use write::{in_list, query, values, Column, Deferred, FromRow, Row, Statement, Tx};

/// The concrete driver types, for rows that need to name them.
pub use sqlx;

/// Runs `$body` with `$c` bound to the concrete connection of either engine.
///
/// ```text
/// let n: i64 = run!(tx, |c| sqlx::query_scalar("SELECT count(*) FROM departments")
///     .fetch_one(&mut *c).await)?;
/// ```
#[macro_export]
macro_rules! run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn.conn() {
            $crate::AnyConn::Sqlite($c) => $body,
            $crate::AnyConn::Postgres($c) => $body,
        }
    };
}
