//! The store's own unit tests: a temporary SQLite database holding only the
//! tables a test makes.

use crate::{query, DatabaseUrl, Db, PoolOptions};

/// A fresh SQLite database with `schema`'s statements run; removed with the
/// directory.
pub(crate) async fn sqlite_with(schema: &'static [&'static str]) -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), &PoolOptions::default())
        .await
        .unwrap();
    db.write(move |tx| {
        Box::pin(async move {
            for statement in schema {
                tx.execute(query(*statement)).await?;
            }
            Ok::<_, crate::StoreError>(())
        })
    })
    .await
    .unwrap();
    (db, dir)
}
