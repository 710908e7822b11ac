//! The store's grouped writes, over whichever engine the suite runs on.

use crate::common;

use common::grouping::hold_first_group;
use common::TestApp;
use egov_store::{query, Db, Engine};

/// Rows of a log written with no other change beside them
/// (`Db::insert_logged`, as grid reports are taken in) are each durable
/// when answered. On PostgreSQL those asked for while a group is being
/// written go in together: here the first group's statement is held up by
/// a lock on the table until 199 more wait, and those 199 then go in as one
/// statement.
#[tokio::test]
async fn rows_of_a_log_go_in_together() {
    let app = TestApp::empty().await;
    app.db()
        .execute(query("CREATE TABLE logged_rows (n BIGINT NOT NULL)"))
        .await
        .unwrap();
    let written = hold_first_group(
        &app,
        "LOCK TABLE logged_rows IN EXCLUSIVE MODE",
        200,
        Db::logged_counts,
        |n| {
            let db = app.db().clone();
            async move {
                db.insert_logged(query("INSERT INTO logged_rows (n) VALUES ($1)").bind(n as i64))
                    .await
            }
        },
    )
    .await;
    assert!(written.iter().all(Result::is_ok), "{written:?}");
    if app.db().engine() == Engine::Postgres {
        assert_eq!(
            app.db().logged_counts(),
            (0, 2),
            "199 rows in one statement"
        );
    }
    let mut rows: Vec<i64> = app
        .texts("SELECT CAST(n AS TEXT) FROM logged_rows")
        .await
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    rows.sort_unstable();
    assert_eq!(rows, (0..200).collect::<Vec<_>>());
}
