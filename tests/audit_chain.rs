//! The audit chain: intact after real changes; any record altered, removed
//! or reordered is found and named. Tampering bypasses the append-only
//! triggers the way an intruder with database access would.

mod common;

use common::TestApp;
use egov_audit::{Break, Event, Verdict};
use egov_kernel::Context;
use egov_store::{run, Engine};

/// Appends `n` records, one transaction each.
async fn append_records(app: &TestApp, n: usize) {
    for i in 0..n {
        let tx = uncommitted_append(app, "test.event", &i.to_string()).await;
        tx.commit().await.unwrap();
    }
}

/// Begins a transaction and appends one record to it, without committing.
async fn uncommitted_append(app: &TestApp, action: &str, id: &str) -> egov_store::Tx {
    let mut tx = app.db().begin().await.unwrap();
    egov_audit::append(
        &mut tx,
        &Context::system(),
        Event {
            action,
            object_type: "thing",
            object_id: id,
            detail: serde_json::json!({}),
        },
    )
    .await
    .unwrap();
    tx
}

/// A transaction that has changed something (a stray `test.abandoned` row
/// a commit would leave in the log) and appended a record, not committed.
async fn abandoned_change(app: &TestApp, id: &str) -> egov_store::Tx {
    let mut tx = uncommitted_append(app, "test.abandoned", id).await;
    run!(tx, |c| {
        sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, detail, \
         prev_hash, hash) VALUES (1000000, $1, 'test', 'test.abandoned', 'thing', $2, '{}', '', '')"
    )
    .bind(egov_kernel::time::now())
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|_| ())
    })
    .unwrap();
    tx
}

/// Runs SQL with the append-only protection lifted, as an intruder would.
async fn tamper(app: &TestApp, sql: &str) {
    let mut tx = app.db().begin().await.unwrap();
    let statements: Vec<String> = match app.db().engine() {
        Engine::Sqlite => vec![
            "DROP TRIGGER IF EXISTS audit_log_no_update".into(),
            "DROP TRIGGER IF EXISTS audit_log_no_delete".into(),
            sql.into(),
        ],
        Engine::Postgres => vec![
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change".into(),
            sql.into(),
        ],
    };
    for s in statements {
        run!(tx, |c| sqlx::query(&s).execute(&mut *c).await.map(|_| ())).unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn intact_chain_verifies() {
    let app = TestApp::new().await; // demo load writes records too
    append_records(&app, 5).await;
    let n = app.count("audit_log").await;
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Intact { records: n }
    );
}

#[tokio::test]
async fn empty_chain_verifies() {
    let app = TestApp::empty().await;
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Intact { records: 0 }
    );
}

#[tokio::test]
async fn the_log_refuses_updates_and_deletes() {
    let app = TestApp::empty().await;
    append_records(&app, 1).await;
    for sql in [
        "UPDATE audit_log SET actor = 'someone-else'",
        "DELETE FROM audit_log",
    ] {
        let mut tx = app.db().begin().await.unwrap();
        let res = run!(tx, |c| sqlx::query(sql).execute(&mut *c).await.map(|_| ()));
        assert!(res.is_err(), "{sql} should be refused");
    }
    assert_eq!(app.count("audit_log").await, 1);
}

#[tokio::test]
async fn an_altered_record_is_named() {
    let app = TestApp::empty().await;
    append_records(&app, 6).await;
    tamper(
        &app,
        "UPDATE audit_log SET detail = '{\"i\":99}' WHERE seq = 4",
    )
    .await;
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Broken {
            seq: 4,
            reason: Break::Altered
        }
    );
}

#[tokio::test]
async fn a_removed_record_is_named() {
    let app = TestApp::empty().await;
    append_records(&app, 6).await;
    tamper(&app, "DELETE FROM audit_log WHERE seq = 3").await;
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Broken {
            seq: 3,
            reason: Break::Missing {
                expected: 3,
                found: 4
            }
        }
    );
}

#[tokio::test]
async fn removing_the_newest_record_is_noticed() {
    let app = TestApp::empty().await;
    append_records(&app, 4).await;
    tamper(&app, "DELETE FROM audit_log WHERE seq = 4").await;
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Broken {
            seq: 4,
            reason: Break::HeadMismatch {
                head_seq: 4,
                last_seq: 3
            }
        }
    );
}

#[tokio::test]
async fn reordered_records_are_named() {
    let app = TestApp::empty().await;
    append_records(&app, 5).await;
    // Swap records 2 and 3 wholesale (content, links and hashes) by renumbering.
    tamper(&app, "UPDATE audit_log SET seq = -2 WHERE seq = 2").await;
    tamper(&app, "UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    tamper(&app, "UPDATE audit_log SET seq = 3 WHERE seq = -2").await;
    let verdict = egov_audit::verify(app.db()).await.unwrap();
    assert!(
        matches!(verdict, Verdict::Broken { seq: 2, .. }),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_record() {
    let app = TestApp::empty().await;
    append_records(&app, 2).await;
    // Dropped without commit, as when a request is cancelled midway.
    drop(abandoned_change(&app, "x").await);
    assert_eq!(app.count("audit_log").await, 2);
    // The writer is free again and the chain goes on from the last record.
    append_records(&app, 1).await;
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Intact { records: 3 }
    );
}

#[tokio::test]
async fn concurrent_appenders_keep_one_chain() {
    let app = TestApp::empty().await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let db = app.db().clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let mut tx = db.begin().await.unwrap();
                egov_audit::append(
                    &mut tx,
                    &Context::system(),
                    Event {
                        action: "test.concurrent",
                        object_type: "thing",
                        object_id: &format!("{t}-{i}"),
                        detail: serde_json::json!({}),
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Intact { records: 80 }
    );
}

/// SQLite's writer rolls an abandoned transaction back from a task; dropped
/// where no runtime can run that task, the next transaction rolls it back
/// before it begins instead of failing inside the open one. A rollback that
/// finds no transaction (SQLite ends one by itself after some I/O errors)
/// does not stop the writer either.
#[tokio::test]
async fn sqlite_rolls_back_an_abandoned_transaction_before_the_next() {
    let app = TestApp::empty().await;
    if app.db().engine() != Engine::Sqlite {
        return;
    }
    let off_runtime = abandoned_change(&app, "dropped off the runtime").await;
    std::thread::spawn(move || drop(off_runtime))
        .join()
        .unwrap();
    let mut ended = abandoned_change(&app, "ended underneath").await;
    // Ended behind the writer's back, then dropped off the runtime too.
    run!(ended, |c| sqlx::query("ROLLBACK")
        .execute(&mut *c)
        .await
        .map(|_| ()))
    .unwrap();
    std::thread::spawn(move || drop(ended)).join().unwrap();
    append_records(&app, 1).await;
    assert_eq!(
        app.count_where("audit_log", "action = 'test.abandoned'")
            .await,
        0
    );
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Intact { records: 1 }
    );
}

/// On PostgreSQL an audited transaction takes the chain's head only at its
/// commit: another audited transaction started later commits meanwhile,
/// instead of waiting for the head's row lock until the first one ends.
#[tokio::test]
async fn postgres_audited_transactions_wait_for_the_head_only_at_commit() {
    let app = TestApp::empty().await;
    if app.db().engine() != Engine::Postgres {
        return;
    }
    let first = uncommitted_append(&app, "test.first", "1").await;
    let second = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let tx = uncommitted_append(&app, "test.second", "2").await;
        tx.commit().await
    })
    .await
    .expect("the second transaction waited for the first to end");
    second.unwrap();
    first.commit().await.unwrap();
    // The second committed first, so it holds the earlier place in the chain.
    let order = app.texts("SELECT action FROM audit_log ORDER BY seq").await;
    assert_eq!(order, ["test.second", "test.first"]);
    assert_eq!(
        egov_audit::verify(app.db()).await.unwrap(),
        Verdict::Intact { records: 2 }
    );
}
