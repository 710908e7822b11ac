//! The audit chain: intact after real changes; any record altered, removed
//! or reordered is found and named. Tampering bypasses the append-only
//! triggers the way an intruder with database access would.

use crate::common;

use common::grouping::hold_first_group;
use common::TestApp;
use egov_audit::{Break, Event, Verdict};
use egov_kernel::Context;
use egov_store::{query, run, Db, Engine, StoreError, Tx};

/// Appends `n` records, one transaction each, linked into the chain.
async fn append_records(app: &TestApp, n: usize) {
    for i in 0..n {
        append_one(app.db(), "test.event", i.to_string()).await;
    }
    app.audit_linked().await;
}

/// Appends one record in a transaction of its own.
async fn append_one(db: &Db, action: &'static str, id: String) {
    db.write(move |tx| Box::pin(async move { append(tx, action, &id).await }))
        .await
        .unwrap();
}

async fn append(tx: &mut Tx, action: &str, id: &str) -> Result<(), StoreError> {
    egov_audit::append(
        tx,
        &Context::system(),
        Event {
            action,
            object_type: "thing",
            object_id: id,
            detail: serde_json::json!({}),
        },
    )
    .await
}

/// Begins a transaction on PostgreSQL and appends one record to it,
/// without committing.
async fn uncommitted_append(app: &TestApp, action: &str, id: &str) -> Tx {
    let mut tx = app
        .db()
        .begin_postgres()
        .await
        .unwrap()
        .expect("PostgreSQL");
    append(&mut tx, action, id).await.unwrap();
    tx
}

/// Runs SQL with the append-only protection lifted, as an intruder would.
pub(crate) async fn tamper(app: &TestApp, sql: &str) {
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
    run_all(app.db(), statements).await;
}

/// Runs `statements` in one transaction.
async fn run_all(db: &Db, statements: Vec<String>) {
    db.write(move |tx| {
        Box::pin(async move {
            for s in statements {
                tx.execute(query(s)).await?;
            }
            Ok::<_, StoreError>(())
        })
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn intact_chain_verifies() {
    let app = TestApp::new().await; // demo load writes records too
    append_records(&app, 5).await;
    let n = app.count("audit_log").await;
    assert_eq!(common::verify_audit(&app).await, common::intact(n));
}

#[tokio::test]
async fn empty_chain_verifies() {
    let app = TestApp::empty().await;
    assert_eq!(common::verify_audit(&app).await, common::intact(0));
}

#[tokio::test]
async fn the_log_refuses_updates_and_deletes() {
    let app = TestApp::empty().await;
    append_records(&app, 1).await;
    for sql in [
        "UPDATE audit_log SET actor = 'someone-else'",
        "DELETE FROM audit_log",
    ] {
        let res = app.db().execute(query(sql)).await;
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
        common::verify_audit(&app).await,
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
        common::verify_audit(&app).await,
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
        common::verify_audit(&app).await,
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
    let verdict = common::verify_audit(&app).await;
    assert!(
        matches!(verdict, Verdict::Broken { seq: 2, .. }),
        "{verdict:?}"
    );
}

/// A transaction that changed something (a stray `test.abandoned` row a
/// commit would leave in the log) and appended a record, then failed (as
/// when a step after them is refused), keeps neither.
#[tokio::test]
async fn a_rolled_back_change_leaves_no_record() {
    let app = TestApp::empty().await;
    append_records(&app, 2).await;
    let failed = app
        .db()
        .write(|tx| {
            Box::pin(async move {
                append(tx, "test.abandoned", "x").await?;
                tx.execute(
                    query(
                        "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, \
                         detail, prev_hash, hash) VALUES (1000000, $1, 'test', 'test.abandoned', \
                         'thing', 'x', '{}', '', '')",
                    )
                    .bind(egov_kernel::time::now()),
                )
                .await?;
                Err::<(), _>(StoreError::Query(sqlx::Error::RowNotFound))
            })
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(app.count("audit_log").await, 2);
    // The writer is free again and the chain goes on from the last record.
    append_records(&app, 1).await;
    assert_eq!(
        app.count_where("audit_log", "action = 'test.abandoned'")
            .await,
        0
    );
    assert_eq!(common::verify_audit(&app).await, common::intact(3));
}

#[tokio::test]
async fn concurrent_appenders_keep_one_chain() {
    let app = TestApp::empty().await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let db = app.db().clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                append_one(&db, "test.concurrent", format!("{t}-{i}")).await;
                // Half the tasks link as they go, as appenders on several
                // nodes would (on PostgreSQL; nothing waits on SQLite).
                if t % 2 == 1 {
                    egov_audit::link_pending(&db).await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(common::verify_audit(&app).await, common::intact(80));
}

/// On PostgreSQL an audited transaction never waits for the chain's head:
/// another audited transaction started later commits while the first is
/// still open. Their records are linked afterwards, in the order written.
#[tokio::test]
async fn postgres_audited_transactions_do_not_wait_for_the_head() {
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
    let order = app.texts("SELECT action FROM audit_log ORDER BY seq").await;
    assert_eq!(order, ["test.first", "test.second"]);
    assert_eq!(common::verify_audit(&app).await, common::intact(2));
}

/// Records that go with no change of their own (`egov_audit::record`) are
/// each durable when answered and join the one chain. On PostgreSQL those
/// asked for while a group is being written are linked together, straight
/// into the chain: here the first group's transaction is held up by a lock
/// on the chain's head until 199 more wait, and those 199 then go in as one
/// transaction, none of them through `audit_pending`.
#[tokio::test]
async fn records_on_their_own_go_in_together() {
    let app = TestApp::empty().await;
    let recorded = hold_first_group(
        &app,
        "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE",
        200,
        Db::grouped_counts,
        |i| {
            let db = app.db().clone();
            async move {
                egov_audit::record(
                    &db,
                    &Context::system(),
                    Event {
                        action: "test.view",
                        object_type: "thing",
                        object_id: &i.to_string(),
                        detail: serde_json::json!({}),
                    },
                )
                .await
            }
        },
    )
    .await;
    assert!(recorded.iter().all(Result::is_ok), "{recorded:?}");
    if app.db().engine() == Engine::Postgres {
        assert_eq!(
            app.db().grouped_counts(),
            (0, 2),
            "199 records in one transaction"
        );
        assert_eq!(egov_audit::pending(app.db()).await.unwrap(), 0);
    }
    let mut ids: Vec<usize> = app
        .texts("SELECT object_id FROM audit_log WHERE action = 'test.view'")
        .await
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..200).collect::<Vec<_>>());
    assert_eq!(common::verify_audit(&app).await, common::intact(200));
}

/// On PostgreSQL a record is durable with its change at commit and waits in
/// `audit_pending` until an appender links it; verification counts what
/// waits instead of calling the chain short.
#[tokio::test]
async fn postgres_records_wait_to_be_linked_and_verification_counts_them() {
    let app = TestApp::empty().await;
    if app.db().engine() != Engine::Postgres {
        return;
    }
    for i in 0..3 {
        let tx = uncommitted_append(&app, "test.event", &i.to_string()).await;
        tx.commit().await.unwrap();
    }
    let ring = egov_keyring::current().unwrap();
    let waiting = egov_audit::verify(app.db(), &ring, &[]).await.unwrap();
    assert_eq!(
        waiting,
        Verdict::Intact {
            records: 0,
            checkpoints: 0,
            newest_signed: None,
            pending: 3
        }
    );
    assert_eq!(egov_audit::link_pending(app.db()).await.unwrap(), 3);
    assert_eq!(egov_audit::pending(app.db()).await.unwrap(), 0);
    assert_eq!(
        egov_audit::verify(app.db(), &ring, &[]).await.unwrap(),
        common::intact(3)
    );
}

/// An appender on a node that dies midway (its transaction rolls back with
/// the lost connection) leaves what it took for the next one, which links
/// every record once, the chain intact.
#[tokio::test]
async fn postgres_an_appender_that_dies_midway_leaves_its_records_for_the_next() {
    let app = TestApp::empty().await;
    if app.db().engine() != Engine::Postgres {
        return;
    }
    for i in 0..5 {
        let tx = uncommitted_append(&app, "test.event", &i.to_string()).await;
        tx.commit().await.unwrap();
    }
    let mut dying = app
        .db()
        .begin_postgres()
        .await
        .unwrap()
        .expect("PostgreSQL");
    run!(dying, |c| sqlx::query(
        "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"
    )
    .execute(&mut *c)
    .await
    .map(drop))
    .unwrap();
    // Half its batch done: a record linked, its pending row gone.
    run!(dying, |c| sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, detail, \
         prev_hash, hash) SELECT 1, at, actor, action, object_type, object_id, detail, '', '' \
         FROM audit_pending ORDER BY id LIMIT 1"
    )
    .execute(&mut *c)
    .await
    .map(drop))
    .unwrap();
    run!(dying, |c| sqlx::query(
        "DELETE FROM audit_pending WHERE id = (SELECT min(id) FROM audit_pending)"
    )
    .execute(&mut *c)
    .await
    .map(drop))
    .unwrap();
    // The next appender waits at the head's lock meanwhile.
    let db = app.db().clone();
    let next = tokio::spawn(async move { egov_audit::link_pending(&db).await });
    tokio::task::yield_now().await;
    drop(dying);
    assert_eq!(next.await.unwrap().unwrap(), 5);
    assert_eq!(common::verify_audit(&app).await, common::intact(5));
}

/// What an intruder with write access to the database does after editing a
/// record: re-computes every hash from there on and moves the head, so the
/// chain alone looks whole again.
async fn recompute_chain(app: &TestApp) {
    let mut r = app.db().reader().await.unwrap();
    let records: Vec<egov_audit::Record> = run!(r, |c| sqlx::query_as(
        "SELECT seq, at, actor, action, object_type, object_id, source, request_id, \
         detail, prev_hash, hash FROM audit_log ORDER BY seq"
    )
    .fetch_all(&mut *c)
    .await)
    .unwrap();
    drop(r);
    let mut prev = egov_audit::GENESIS_HASH.to_owned();
    let mut statements = Vec::new();
    for mut rec in records {
        rec.prev_hash = prev.clone();
        rec.hash = rec.expected_hash();
        statements.push(format!(
            "UPDATE audit_log SET prev_hash = '{}', hash = '{}' WHERE seq = {}",
            rec.prev_hash, rec.hash, rec.seq
        ));
        prev = rec.hash;
    }
    statements.push(format!(
        "UPDATE audit_head SET hash = '{prev}' WHERE id = 1"
    ));
    for s in statements {
        tamper(app, &s).await;
    }
}

/// Runs SQL on the checkpoints with their protection lifted.
async fn tamper_checkpoints(app: &TestApp, sql: &str) {
    let statements: Vec<String> = match app.db().engine() {
        Engine::Sqlite => vec![
            "DROP TRIGGER IF EXISTS audit_checkpoints_no_update".into(),
            "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete".into(),
            sql.into(),
        ],
        Engine::Postgres => vec![
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_change".into(),
            sql.into(),
        ],
    };
    run_all(app.db(), statements).await;
}

async fn verify_with(app: &TestApp, anchors: &[egov_audit::Checkpoint]) -> Verdict {
    egov_audit::verify(app.db(), &egov_keyring::current().unwrap(), anchors)
        .await
        .unwrap()
}

async fn sign(app: &TestApp) -> egov_audit::Checkpoint {
    egov_audit::checkpoint(app.db(), &egov_keyring::current().unwrap())
        .await
        .unwrap()
        .expect("a new checkpoint")
}

#[tokio::test]
async fn a_recomputed_chain_fails_its_signed_checkpoint() {
    let app = TestApp::empty().await;
    append_records(&app, 10).await;
    let anchor = sign(&app).await;
    assert_eq!(anchor.seq, 10);
    assert!(matches!(
        verify_with(&app, &[]).await,
        Verdict::Intact {
            checkpoints: 1,
            newest_signed: Some(10),
            ..
        }
    ));
    tamper(
        &app,
        "UPDATE audit_log SET detail = '{\"i\":99}' WHERE seq = 4",
    )
    .await;
    recompute_chain(&app).await;
    assert_eq!(
        verify_with(&app, &[]).await,
        Verdict::Broken {
            seq: 10,
            reason: Break::CheckpointMismatch
        }
    );
    // Deleting the checkpoint too leaves the anchor kept outside.
    tamper_checkpoints(&app, "DELETE FROM audit_checkpoints").await;
    assert!(matches!(
        verify_with(&app, &[]).await,
        Verdict::Intact { .. }
    ));
    assert_eq!(
        verify_with(&app, &[anchor]).await,
        Verdict::Broken {
            seq: 10,
            reason: Break::CheckpointMismatch
        }
    );
}

#[tokio::test]
async fn cutting_off_the_newest_records_is_noticed_through_the_checkpoint() {
    let app = TestApp::empty().await;
    append_records(&app, 60).await;
    let anchor = sign(&app).await;
    let hash_10 = app
        .texts("SELECT hash FROM audit_log WHERE seq = 10")
        .await
        .remove(0);
    tamper(&app, "DELETE FROM audit_log WHERE seq > 10").await;
    tamper(
        &app,
        &format!("UPDATE audit_head SET seq = 10, hash = '{hash_10}' WHERE id = 1"),
    )
    .await;
    assert_eq!(
        verify_with(&app, &[]).await,
        Verdict::Broken {
            seq: 11,
            reason: Break::Truncated {
                signed: 60,
                last_seq: 10
            }
        }
    );
    tamper_checkpoints(&app, "DELETE FROM audit_checkpoints").await;
    assert_eq!(
        verify_with(&app, &[anchor]).await,
        Verdict::Broken {
            seq: 11,
            reason: Break::Truncated {
                signed: 60,
                last_seq: 10
            }
        }
    );
}

#[tokio::test]
async fn a_checkpoint_not_signed_by_a_server_key_is_refused() {
    let app = TestApp::empty().await;
    append_records(&app, 3).await;
    let mut forged = sign(&app).await;
    let other = egov_keyring::Keyring::ephemeral();
    let signed = other.sign(&egov_audit::Checkpoint::message(
        forged.seq,
        &forged.hash,
        &forged.signed_at,
    ));
    forged.key_id = signed.key_id;
    forged.signature = signed.signature;
    assert_eq!(
        verify_with(&app, &[forged]).await,
        Verdict::Broken {
            seq: 3,
            reason: Break::Unsigned { seq: 3 }
        }
    );
    // The head moved on: a second checkpoint; the same head: none.
    append_records(&app, 1).await;
    assert_eq!(sign(&app).await.seq, 4);
    assert!(
        egov_audit::checkpoint(app.db(), &egov_keyring::current().unwrap())
            .await
            .unwrap()
            .is_none()
    );
}
