//! `egov demo load --people`, run as an operator runs it on a new
//! installation: one account per role, and cases in every state.

use std::process::Command;

fn load(dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_egov"))
        .args(["demo", "load", "--people", "--data-dir"])
        .arg(dir)
        .env_remove("EGOV_DATABASE_URL")
        .env("EGOV_LOG", "warn")
        .output()
        .expect("egov runs")
}

#[test]
fn the_tour_makes_one_account_per_role_and_cases_in_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let out = load(dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    for user in [
        "demo.citizen",
        "demo.company",
        "demo.operator",
        "demo.handler",
        "demo.supervisor",
        "demo.deptadmin",
        "demo.admin",
        "demo.auditor",
    ] {
        let line = printed
            .lines()
            .find(|l| l.contains(&format!(" {user} ")))
            .unwrap_or_else(|| panic!("{user} is not printed: {printed}"));
        assert!(line.contains("Demo-"), "no password printed for {user}");
    }

    let db = rusqlite::Connection::open(dir.path().join("egov.db")).unwrap();
    let states: Vec<(String, i64)> = db
        .prepare("SELECT state, alert_level FROM cases ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for state in [
        "submitted",
        "correction",
        "review",
        "approved",
        "refused",
        "withdrawn",
    ] {
        assert!(
            states.iter().any(|(s, _)| s == state),
            "no case {state}: {states:?}"
        );
    }
    // Past their deadline: a warning, a yellow and a red card raised.
    let levels: Vec<i64> = states.iter().map(|(_, l)| *l).collect();
    for level in 1..=3 {
        assert!(
            levels.contains(&level),
            "no alert level {level}: {levels:?}"
        );
    }
    let alerts: i64 = db
        .query_row("SELECT count(*) FROM supervision_alerts", [], |r| r.get(0))
        .unwrap();
    assert!(alerts >= 3, "{alerts} alerts");
    // A material owed under 容缺 on the case under review.
    let owed: i64 = db
        .query_row(
            "SELECT count(*) FROM cases WHERE state = 'review' \
             AND data LIKE '%\"outstanding\":[{\"name\":\"近期免冠照片\"%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(owed, 1);
    // The enterprise's application is the enterprise's.
    let theirs: i64 = db
        .query_row(
            "SELECT count(*) FROM cases WHERE enterprise_id IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(theirs, 1);

    // Again: nothing is added.
    let again = load(dir.path());
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing added"));
    let cases: i64 = db
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cases as usize, states.len());
}
