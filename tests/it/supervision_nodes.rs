//! Electronic supervision on several nodes sharing one database: every
//! warning, yellow card and red card is raised, and audited, exactly once,
//! however the nodes' scans overlap.
//!
//! On PostgreSQL two `egov serve` processes each run the scheduler every
//! second. The test holds the audit chain's head row while the cases fall
//! due, so both nodes are caught mid-scan with a batch of their own claimed
//! (there are more due cases than one batch holds): the claims must not
//! overlap, and both nodes must end up having raised alerts.
//!
//! On SQLite one server owns the data directory (a second `egov serve` is
//! refused); the other nodes are `egov supervision scan` commands, two at a
//! time, racing each other and the serving node's scheduler.

use crate::common;

use common::process::{args, egov, Server};
use egov_cases::{Acting, NewCase, ProcessDefinition};
use egov_kernel::Context;
use egov_store::testing::TestLocation;
use egov_store::{Db, Engine};
use serde_json::json;
use std::time::{Duration, Instant};

/// More cases than one scan batch (500 in the scheduler), so that two nodes
/// scanning at once each claim a share.
const CASES: i64 = 600;
/// Kinds of alert each case raises once: warning, yellow card, red card.
const KINDS: i64 = 3;
const ALERT_ACTIONS: &str = "('supervision.warning', 'supervision.yellow', 'supervision.red')";
/// Overall patience for anything the nodes have to do.
const DEADLINE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

async fn scalar(db: &Db, sql: &str) -> i64 {
    let mut r = db.reader().await.unwrap();
    egov_store::run!(r, |c| sqlx::query_scalar(sql).fetch_one(&mut *c).await)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn strings(db: &Db, sql: &str) -> Vec<String> {
    let mut r = db.reader().await.unwrap();
    egov_store::run!(r, |c| sqlx::query_scalar(sql).fetch_all(&mut *c).await)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn alerts(db: &Db) -> i64 {
    scalar(db, "SELECT count(*) FROM supervision_alerts").await
}

async fn alert_audits(db: &Db) -> i64 {
    scalar(
        db,
        &format!("SELECT count(*) FROM audit_log WHERE action IN {ALERT_ACTIONS}"),
    )
    .await
}

/// A migrated database with the demo organisation, the calendar and the
/// process definitions, and `CASES` open licence applications, none due.
async fn prepare(loc: &TestLocation) -> Db {
    let db = Db::connect(&loc.url, &Default::default()).await.unwrap();
    db.migrate().await.unwrap();
    let ctx = Context::system();
    egov_org::load_demo(&db, &ctx).await.unwrap();
    egov_calendar::seed_builtin(&db).await.unwrap();
    egov_cases::registry::seed(&db, &egov_web::shipped_processes())
        .await
        .unwrap();
    let cal = egov_calendar::load_calendar(&db).await.unwrap();
    let def = ProcessDefinition::parse(include_str!(
        "../../data/processes/administrative-license.toml"
    ))
    .unwrap();
    let scj = egov_org::department(&db, "110105-SCJGJ").await.unwrap().id;
    for i in 0..CASES {
        let case = egov_cases::start(
            &db,
            &ctx,
            &cal,
            Acting::Handler { department_id: scj },
            NewCase {
                data: json!({ "item": "食品经营许可" }),
                ..NewCase::new(&def, scj, &format!("食品经营许可 {i}"))
            },
        )
        .await
        .unwrap();
        assert!(case.due_at.is_some(), "the clock runs");
    }
    let mut r = db.reader().await.unwrap();
    let due_now: i64 = egov_store::run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM cases WHERE next_alert_at <= $1"
    )
    .bind(egov_kernel::time::now())
    .fetch_one(&mut *c)
    .await)
    .unwrap();
    drop(r);
    assert_eq!(due_now, 0, "nothing is due before the backdating");
    db
}

/// Moves the clock of the test's licence applications matching `filter` so
/// that each one's warning, deadline and red card all fell due an hour ago
/// (as `backdate` in case_api.rs does for one case); the server's
/// demonstration letters stay as they are. Answers how many moved.
async fn backdate(db: &Db, filter: &str) -> i64 {
    let past = egov_kernel::time::now() - chrono::Duration::hours(1);
    let sql = format!(
        "UPDATE cases SET warn_at = $1, due_at = $1, red_at = $1, next_alert_at = $1 \
         WHERE process_id = 'administrative_license' AND ({filter})"
    );
    db.execute(egov_store::query(sql).bind(past)).await.unwrap() as i64
}

/// Polls until there are `n` alerts and as many audit records of them.
async fn wait_for_alerts(db: &Db, n: i64, started: Instant) {
    loop {
        let (a, r) = (alerts(db).await, alert_audits(db).await);
        if a >= n && r >= n {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "after {DEADLINE:?}: {a} alerts and {r} audit records of {n}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// One more scan finds nothing, and the nodes' schedulers (every second)
/// add nothing over several further ticks.
async fn nothing_more_to_raise(loc: &TestLocation, db: &Db) {
    let out = egov(&args(loc, &["supervision", "scan"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.trim(),
        "examined 0 cases: 0 warnings, 0 yellow cards, 0 red cards"
    );
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        assert_eq!(alerts(db).await, CASES * KINDS, "an alert raised twice");
        assert_eq!(
            alert_audits(db).await,
            CASES * KINDS,
            "an alert audited twice"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Exactly one alert and one audit record per case and kind; every case at
/// the red card with no alert left to come.
async fn assert_each_alert_once(loc: &TestLocation, db: &Db) {
    assert_eq!(alerts(db).await, CASES * KINDS);
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM (SELECT DISTINCT case_id, cycle, kind \
             FROM supervision_alerts) d"
        )
        .await,
        CASES * KINDS,
        "each (case, cycle, kind) once"
    );
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM (SELECT case_id FROM supervision_alerts \
             GROUP BY case_id HAVING count(*) = 3 AND count(DISTINCT kind) = 3) d"
        )
        .await,
        CASES,
        "every case has its warning, yellow card and red card"
    );
    assert_eq!(alert_audits(db).await, CASES * KINDS);
    assert_eq!(
        scalar(
            db,
            &format!(
                "SELECT count(*) FROM (SELECT DISTINCT object_id, action FROM audit_log \
                 WHERE action IN {ALERT_ACTIONS}) d"
            )
        )
        .await,
        CASES * KINDS,
        "each (case, kind) audited once"
    );
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM cases WHERE alert_level = 3 AND next_alert_at IS NULL \
             AND overdue = TRUE"
        )
        .await,
        CASES,
        "every case at the red card, nothing left to raise"
    );
    let out = egov(&args(loc, &["audit", "verify"])).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The nodes that raised alerts, with how many each.
async fn nodes(db: &Db) -> Vec<String> {
    strings(
        db,
        "SELECT raised_by || ': ' || CAST(count(*) AS TEXT) FROM supervision_alerts \
         GROUP BY raised_by ORDER BY raised_by",
    )
    .await
}

#[tokio::test]
async fn two_nodes_raise_each_warning_and_card_once() {
    let t0 = Instant::now();
    let loc = TestLocation::new().await;
    let db = prepare(&loc).await;
    eprintln!("{CASES} cases created in {:?}", t0.elapsed());
    match db.engine() {
        Engine::Postgres => two_servers(&loc, &db).await,
        Engine::Sqlite => server_and_command(&loc, &db).await,
    }
    db.close().await;
    eprintln!("two nodes: done in {:?}", t0.elapsed());
}

/// PostgreSQL: two servers, each scanning every second.
async fn two_servers(loc: &TestLocation, db: &Db) {
    let node = |name| {
        [
            ("EGOV_SUPERVISION_SCAN_SECS", "1"),
            ("EGOV_SUPERVISION_SCAN_BATCH", "100"),
            ("EGOV_NODE_NAME", name),
            // The test makes the nodes wait for a lock on purpose.
            ("EGOV_LOG", "warn,sqlx::query=error"),
        ]
    };
    let a = Server::start_with_env(loc, &node("node-a")).await;
    let b = Server::start_with_env(loc, &node("node-b")).await;

    // Keep alerts from being written: a scan that raises one waits with its
    // batch of cases claimed.
    let mut head = db.begin_postgres().await.unwrap().expect("PostgreSQL");
    egov_store::run!(head, |c| sqlx::query(
        "LOCK TABLE supervision_alerts IN SHARE MODE"
    )
    .execute(&mut *c)
    .await
    .map(|_| ()))
    .unwrap();
    let started = Instant::now();
    assert_eq!(backdate(db, "TRUE").await, CASES);
    // Both nodes are caught mid-scan, each with a claimant holding a batch
    // (SKIP LOCKED keeps them apart) and waiting for the lock; a node's
    // connections carry its name. A node claims at most four batches of
    // 100 at once, so the other finds cases left.
    loop {
        let waiting = scalar(
            db,
            "SELECT count(DISTINCT application_name) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' \
             AND application_name LIKE 'egov node-%'",
        )
        .await;
        if waiting >= 2 {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the nodes never both waited: {waiting} of 2 nodes waiting; alerts by node: {:?}",
            nodes(db).await
        );
        tokio::time::sleep(POLL).await;
    }
    head.commit().await.unwrap();

    wait_for_alerts(db, CASES * KINDS, started).await;
    eprintln!(
        "every alert raised {:?} after falling due",
        started.elapsed()
    );
    nothing_more_to_raise(loc, db).await;
    assert_each_alert_once(loc, db).await;
    let by_node = nodes(db).await;
    eprintln!("alerts by node: {by_node:?}");
    assert_eq!(by_node.len(), 2, "both nodes took part: {by_node:?}");
    assert!(by_node[0].starts_with("node-a: "), "{by_node:?}");
    assert!(by_node[1].starts_with("node-b: "), "{by_node:?}");
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM (SELECT case_id FROM supervision_alerts \
             GROUP BY case_id HAVING count(DISTINCT raised_by) > 1) d"
        )
        .await,
        0,
        "a case is claimed by one node at a time"
    );

    assert!(a.stop().await.success());
    assert!(b.stop().await.success());
}

/// SQLite: one server scanning every second and, beside it, two
/// `egov supervision scan` commands at a time. The cases fall due in waves:
/// the server alone takes the first; for each of the others two commands
/// race each other (and the server, should it tick meanwhile).
async fn server_and_command(loc: &TestLocation, db: &Db) {
    let a = Server::start_with_env(
        loc,
        &[
            ("EGOV_SUPERVISION_SCAN_SECS", "1"),
            ("EGOV_NODE_NAME", "node-a"),
        ],
    )
    .await;
    // A second server on the same SQLite database is refused outright.
    let second = tokio::time::timeout(
        Duration::from_secs(30),
        egov(&args(loc, &["serve", "--bind", "127.0.0.1:0"])),
    )
    .await
    .expect("a second server on the same SQLite database is refused, not started");
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(
        second.stderr.contains("in use by another egov process"),
        "{}",
        second.stderr
    );

    const WAVES: i64 = 6;
    let started = Instant::now();
    let (mut due, mut runs, mut raised) = (0, 0, 0);
    for wave in 0..WAVES {
        due += backdate(db, &format!("id % {WAVES} = {wave}")).await;
        if wave == 0 {
            wait_for_alerts(db, due * KINDS, started).await;
            continue;
        }
        while alerts(db).await < due * KINDS {
            assert!(
                started.elapsed() < DEADLINE,
                "after {DEADLINE:?}: {} alerts of {}",
                alerts(db).await,
                due * KINDS
            );
            let scan = args(loc, &["supervision", "scan"]);
            let (one, two) = tokio::join!(egov(&scan), egov(&scan));
            for out in [one, two] {
                runs += 1;
                // Writers take SQLite's lock up front (BEGIN IMMEDIATE), so
                // the loser of a race waits instead of failing.
                assert_eq!(out.code, 0, "scan failed: {}", out.stderr);
                if !out
                    .stdout
                    .contains(": 0 warnings, 0 yellow cards, 0 red cards")
                {
                    raised += 1;
                }
            }
        }
    }
    assert_eq!(due, CASES);
    wait_for_alerts(db, CASES * KINDS, started).await;
    eprintln!(
        "every alert raised {:?} after the first wave fell due; `egov supervision scan` ran \
         {runs} times: raised alerts in {raised}",
        started.elapsed()
    );
    nothing_more_to_raise(loc, db).await;
    assert_each_alert_once(loc, db).await;
    let by_node = nodes(db).await;
    eprintln!("alerts by node: {by_node:?}");
    assert!(
        by_node.len() >= 2 && by_node.iter().any(|n| n.starts_with("node-a: ")),
        "the server and a command took part: {by_node:?}"
    );

    assert!(a.stop().await.success());
}
