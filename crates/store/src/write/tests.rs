//! The writer thread's rules. Which bodies share a group is made certain,
//! not left to timing, by queueing them while a lease holds the thread.

use super::thread::MAX_GROUP;
use super::{query, Tx};
use crate::{run, Db, StoreError};
use chrono::{DateTime, Utc};

/// A row of `t`, as both drivers read it.
type Stored = (i64, Option<DateTime<Utc>>, bool, Option<String>);

async fn fresh() -> (Db, tempfile::TempDir) {
    crate::scratch::sqlite_with(&[
        "CREATE TABLE t (n INTEGER NOT NULL UNIQUE, at TEXT, flag BOOLEAN, note TEXT)",
    ])
    .await
}

fn thread(db: &Db) -> &super::thread::WriterThread {
    db.writer_thread().expect("SQLite only")
}

async fn insert(tx: &mut Tx, n: i64) -> Result<(), StoreError> {
    tx.execute(query("INSERT INTO t (n) VALUES ($1)").bind(n))
        .await
        .map(drop)
}

/// A write of row `n`, started now.
fn write(db: &Db, n: i64) -> tokio::task::JoinHandle<Result<(), StoreError>> {
    let db = db.clone();
    tokio::spawn(async move {
        db.write(move |tx| Box::pin(async move { insert(tx, n).await }))
            .await
    })
}

/// What another connection sees: only committed rows.
async fn committed(db: &Db) -> Vec<i64> {
    let mut r = db.reader().await.unwrap();
    run!(r, |c| sqlx::query_scalar("SELECT n FROM t ORDER BY n")
        .fetch_all(&mut *c)
        .await)
    .unwrap()
}

/// Runs `queue` while the thread stands still, so that all of it is waiting
/// when the thread goes on; answers each one's result and the `COMMIT`s run.
async fn queued<T: Send + 'static>(
    db: &Db,
    queue: Vec<tokio::task::JoinHandle<T>>,
) -> (Vec<T>, u64) {
    let before = db.sqlite_commits().unwrap();
    let lease = thread(db).lease().await.unwrap();
    // Each task has sent its body when it first waits for the answer.
    for _ in 0..queue.len() * 2 {
        tokio::task::yield_now().await;
    }
    drop(lease);
    let mut results = Vec::new();
    for t in queue {
        results.push(t.await.unwrap());
    }
    (results, db.sqlite_commits().unwrap() - before)
}

#[tokio::test]
async fn bodies_waiting_together_commit_with_one_commit() {
    let (db, _dir) = fresh().await;
    let (results, commits) = queued(&db, (1..=3).map(|n| write(&db, n)).collect()).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(commits, 1);
    assert_eq!(committed(&db).await, [1, 2, 3]);
    db.close().await;
}

/// The syncer, not the `COMMIT`, puts a group on disk: whoever is told
/// their write ended well finds every `COMMIT` so far synced.
#[tokio::test]
async fn no_write_is_answered_before_its_commit_is_synced() {
    let (db, _dir) = fresh().await;
    for n in 1..=20 {
        write(&db, n).await.unwrap().unwrap();
        assert_eq!(db.sqlite_synced_commits(), db.sqlite_commits());
    }
    let (results, _) = queued(&db, (21..=40).map(|n| write(&db, n)).collect()).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(db.sqlite_synced_commits(), db.sqlite_commits());
    db.close().await;
}

#[tokio::test]
async fn a_long_queue_commits_in_groups_of_at_most_max_group() {
    let (db, _dir) = fresh().await;
    let n = MAX_GROUP as i64 + 5;
    let (results, commits) = queued(&db, (1..=n).map(|n| write(&db, n)).collect()).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(commits, 2);
    assert_eq!(committed(&db).await.len(), n as usize);
    db.close().await;
}

/// Row 2 exists already: the second body fails at the unique key, and
/// only it is rolled back (its first insert too).
#[tokio::test]
async fn a_body_that_fails_in_a_group_rolls_back_alone() {
    let (db, _dir) = fresh().await;
    write(&db, 2).await.unwrap().unwrap();
    let failing = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(|tx| {
                Box::pin(async move {
                    insert(tx, 10).await?;
                    insert(tx, 2).await
                })
            })
            .await
        })
    };
    let (results, commits) = queued(&db, vec![write(&db, 1), failing, write(&db, 3)]).await;
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(results[1].as_ref().unwrap_err().is_unique_violation());
    assert_eq!(commits, 1);
    assert_eq!(committed(&db).await, [1, 2, 3]);
    db.close().await;
}

#[tokio::test]
async fn a_body_that_panics_rolls_back_alone_and_the_writer_goes_on() {
    let (db, _dir) = fresh().await;
    let panicking = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(|tx| {
                Box::pin(async move {
                    insert(tx, 10).await?;
                    panic!("a bug in a body");
                    #[allow(unreachable_code)]
                    Ok::<(), StoreError>(())
                })
            })
            .await
        })
    };
    let (results, _) = queued(&db, vec![write(&db, 1), panicking]).await;
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(StoreError::BodyPanicked)));
    write(&db, 3).await.unwrap().unwrap();
    assert_eq!(committed(&db).await, [1, 3]);
    db.close().await;
}

/// On the writer thread nothing would wake a body that waits on anything
/// else, so it is refused, and what it wrote is undone.
#[tokio::test]
async fn a_body_that_waits_on_anything_but_its_transaction_is_refused() {
    let (db, _dir) = fresh().await;
    let result = db
        .write(|tx| {
            Box::pin(async move {
                insert(tx, 1).await?;
                tokio::task::yield_now().await;
                insert(tx, 2).await
            })
        })
        .await;
    assert!(matches!(
        result,
        Err(StoreError::WaitedOutsideTheTransaction)
    ));
    assert!(committed(&db).await.is_empty());
    db.close().await;
}

/// A caller that stops waiting (a cancelled request) still has its body
/// run and committed as queued.
#[tokio::test]
async fn a_write_no_one_waits_for_still_commits() {
    let (db, _dir) = fresh().await;
    let lease = thread(&db).lease().await.unwrap();
    let cancelled = write(&db, 1);
    tokio::task::yield_now().await;
    cancelled.abort();
    drop(lease);
    write(&db, 2).await.unwrap().unwrap();
    assert_eq!(committed(&db).await, [1, 2]);
    db.close().await;
}

/// What a body writes reads back through sqlx exactly, and the other way round.
#[tokio::test]
async fn values_read_back_the_same_through_either_driver() {
    let (db, _dir) = fresh().await;
    let at: DateTime<Utc> = "2026-12-02T09:15:30.123456Z".parse().unwrap();
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "INSERT INTO t (n, at, flag, note) VALUES ($1, $2, $3, $4), ($5, NULL, $6, $7)",
                )
                .bind(1_i64)
                .bind(at)
                .bind(true)
                .bind(Some("说明"))
                .bind(2_i64)
                .bind(false)
                .bind(None::<String>),
            )
            .await
        })
    })
    .await
    .unwrap();
    let mut r = db.reader().await.unwrap();
    let by_sqlx: Vec<Stored> = run!(r, |c| {
        sqlx::query_as("SELECT n, at, flag, note FROM t ORDER BY n")
            .fetch_all(&mut *c)
            .await
    })
    .unwrap();
    drop(r);
    let by_body = db
        .write(|tx| {
            Box::pin(async move {
                tx.fetch_all::<Stored>(query("SELECT n, at, flag, note FROM t ORDER BY n"))
                    .await
            })
        })
        .await
        .unwrap();
    assert_eq!(by_sqlx, by_body);
    assert_eq!(by_body[0], (1, Some(at), true, Some("说明".into())));
    assert_eq!(by_body[1], (2, None, false, None));
    // Parameters by number, wherever they stand and however often.
    let (a, b): (i64, i64) = db
        .write(|tx| {
            Box::pin(async move {
                tx.fetch_one(query("SELECT $2 + 0, $1 * $2").bind(3_i64).bind(5_i64))
                    .await
            })
        })
        .await
        .unwrap();
    assert_eq!((a, b), (5, 15));
    db.close().await;
}

#[test]
fn numbered_parameters_are_written_for_sqlite_outside_quotes_only() {
    use super::question_numbered as q;
    assert_eq!(
        q("SELECT $2 + 0, $1 * $2 WHERE a = '$1' AND \"b$3\" = $10"),
        "SELECT ?2 + 0, ?1 * ?2 WHERE a = '$1' AND \"b$3\" = ?10"
    );
    assert_eq!(
        q("SELECT '$' || 'it''s $4' , $"),
        "SELECT '$' || 'it''s $4' , $"
    );
}

/// A statement of many thousands of parameters binds each to its number.
#[tokio::test]
async fn a_statement_of_many_parameters_binds_each_to_its_number() {
    let (db, _dir) = fresh().await;
    let n = 20_000;
    let sum: i64 = db
        .write(move |tx| {
            Box::pin(async move {
                let sql = format!("INSERT INTO t (n) VALUES {}", crate::values(n, 1));
                let mut statement = query(sql);
                for i in 0..n as i64 {
                    statement = statement.bind(i);
                }
                tx.execute(statement).await?;
                tx.fetch_scalar(query("SELECT SUM(n * n) FROM t WHERE n < $1").bind(3_i64))
                    .await
            })
        })
        .await
        .unwrap();
    assert_eq!(sum, 5);
    let count: i64 = {
        let mut r = db.reader().await.unwrap();
        run!(r, |c| sqlx::query_scalar("SELECT MAX(n) FROM t")
            .fetch_one(&mut *c)
            .await)
        .unwrap()
    };
    assert_eq!(count, n as i64 - 1);
}

#[test]
fn placeholders_are_numbered_row_by_row() {
    use super::{in_list, values};
    assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
    assert_eq!(values(1, 1), "($1)");
    assert_eq!(values(0, 4), "");
    assert_eq!(in_list(2, 3), "$2, $3, $4");
    assert_eq!(in_list(1, 0), "");
}
