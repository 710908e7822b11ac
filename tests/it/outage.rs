//! The database out of reach or out of room: requests are answered 503
//! with `Retry-After` within about a second, browsers get a "try again"
//! page, nothing half-done is kept, and service comes back by itself.

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use egov_store::{query, run, Db, Engine, PoolOptions, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most a request may take to be told "try again" (the pool waits a
/// second; the rest is slack for a loaded machine).
const QUICK: Duration = Duration::from_secs(4);

fn department(code: &str) -> serde_json::Value {
    serde_json::json!({"code": code, "name": "断网测试部门", "kind": "district",
        "division": "110105", "parent": "110105-GOV"})
}

/// A TCP relay to PostgreSQL that can be cut (every connection dropped,
/// new ones closed at once) and mended, as a network outage would.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Relay { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn mend(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn postgresql_out_of_reach_is_a_quick_503_and_service_comes_back() {
    let app = TestApp::new().await;
    let egov_store::DatabaseUrl::Postgres(_) = &app.test_db.location.url else {
        return; // SQLite has no server to lose; see the full-disk test
    };
    let url = app.test_db.location.url.to_string();
    let parsed = url::Url::parse(&url).unwrap();
    let target = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let relay = Relay::start(target).await;
    let mut through = parsed.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(relay.port)).unwrap();
    let db = Db::connect(
        &egov_store::DatabaseUrl::parse(through.as_str()).unwrap(),
        &PoolOptions::default(),
    )
    .await
    .unwrap();
    let router = egov_web::router(egov_web::AppState::new(
        db.clone(),
        egov_web::WebSettings::default(),
    ));
    let key = app.api_key(&[egov_identity::Scope::OrgWrite]).await;
    let send = |code: &'static str| {
        let router = router.clone();
        let key = key.clone();
        async move {
            use tower::ServiceExt;
            let res = router
                .oneshot(
                    axum::http::Request::post("/api/v1/departments")
                        .header("authorization", format!("Bearer {key}"))
                        .header("content-type", "application/json")
                        .body(axum::body::Body::from(department(code).to_string()))
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = res.status();
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, retry)
        }
    };
    assert_eq!(send("110105-UP1").await.0, StatusCode::CREATED);

    relay.cut();
    let started = Instant::now();
    let (status, retry) = send("110105-DN1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry.is_some(), "Retry-After");
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
    let started = Instant::now();
    use tower::ServiceExt;
    let ready = router
        .clone()
        .oneshot(
            axum::http::Request::get("/readyz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < QUICK,
        "readyz took {:?}",
        started.elapsed()
    );

    relay.mend();
    assert_eq!(send("110105-UP2").await.0, StatusCode::CREATED);
    // What was refused was not half-kept.
    assert!(egov_org::department(app.db(), "110105-DN1").await.is_err());
    db.close().await;
}

#[tokio::test]
async fn a_full_disk_is_a_quick_503_a_try_again_page_and_passes() {
    let app = TestApp::new().await;
    if app.db().engine() != Engine::Sqlite {
        return; // PostgreSQL's own disk is the server's; see the outage test
    }
    let key = app.api_key(&[egov_identity::Scope::ReferenceWrite]).await;
    let bearer = format!("Bearer {key}");
    let pw = app.citizen("zhang.san").await;
    let (cookie, csrf) = app.sign_in("zhang.san", &pw).await;
    // No room for one more page: the database may not grow, and a filler
    // takes every free page. Writes that need a page fail with SQLite's
    // "database or disk is full", as on a full disk.
    let db = app.db().clone();
    let cap = |pages: Option<i64>| {
        db.write(move |tx| {
            Box::pin(async move {
                let n: i64 = match pages {
                    Some(n) => n,
                    None => tx.fetch_scalar(query("PRAGMA page_count")).await?,
                };
                tx.execute(query(format!("PRAGMA max_page_count = {n}")))
                    .await
                    .map(drop)
            })
        })
    };
    db.execute(query("CREATE TABLE filler (b BLOB)"))
        .await
        .unwrap();
    cap(None).await.unwrap();
    loop {
        let filled = db
            .execute(query("INSERT INTO filler VALUES (randomblob(3000))"))
            .await;
        if let Err(e) = filled {
            assert!(e.is_unavailable(), "{e}");
            break;
        }
    }

    // A new version of a guide, longer than a page, finds no room.
    let guide = include_str!("fixtures/service-item.toml").replace("version = 1", "version = 2")
        + &format!("# {}\n", "满".repeat(3000));
    let started = Instant::now();
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/toml"),
    ];
    let load = || app.send(Method::POST, "/api/v1/services", &headers, guide.clone());
    let res = load().await;
    res.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(!res.header("retry-after").is_empty());
    assert!(started.elapsed() < QUICK);

    // Room again: the same request goes through.
    cap(Some(1_073_741_823)).await.unwrap();
    let res = load().await;
    assert!(res.status.is_success(), "{}", res.body);

    // A person at a browser is shown a page that says to try again.
    app.db().close().await;
    let page = app
        .send(
            Method::POST,
            "/account/sessions/end-all",
            &[
                ("accept", "text/html"),
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.body.contains("请稍后再试"), "{}", page.body);
    assert!(!page.header("retry-after").is_empty());
}

/// The stall seen on fresh starts: a burst of requests meeting cold caches
/// held every reader while each waited for one more, until the pool's
/// timeout. Now each lookup lets go of one reader before it takes another.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_on_cold_caches_holds_no_connection_hostage() {
    let app = TestApp::new().await;
    let processes = egov_cases::Processes::default();
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (db, processes) = (app.db().clone(), processes.clone());
        set.spawn(async move {
            processes
                .latest(&db, "administrative_license")
                .await
                .map(|d| d.version)
        });
    }
    while let Some(version) = set.join_next().await {
        assert!(version.unwrap().is_ok());
    }
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
}

/// Requests cut short (the client hung up) in the middle of a write leave
/// nothing half-done and no transaction open behind them: the cut write is
/// kept or dropped whole (on SQLite it runs and commits as queued), a write
/// that fails keeps nothing, and the next one goes through, on either engine.
#[tokio::test]
async fn writes_cut_short_leave_the_database_usable() {
    let app = TestApp::new().await;
    let db = app.db();
    let count = |db: Db, range: (i64, i64)| async move {
        let mut r = db.reader().await.unwrap();
        run!(r, |c| sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM cut_short WHERE n >= $1 AND n < $2"
        )
        .bind(range.0)
        .bind(range.1)
        .fetch_one(&mut *c)
        .await)
        .unwrap()
    };
    db.execute(query("CREATE TABLE cut_short (n BIGINT NOT NULL)"))
        .await
        .unwrap();
    let insert = |rows: Vec<i64>, fail: bool| {
        db.write(move |tx| {
            Box::pin(async move {
                for n in rows {
                    tx.execute(query("INSERT INTO cut_short (n) VALUES ($1)").bind(n))
                        .await?;
                }
                if fail {
                    return Err(StoreError::Query(sqlx::Error::RowNotFound));
                }
                Ok(())
            })
        })
    };
    let mut cut = 0;
    for n in 0..20_i64 {
        // Two rows; the caller stops waiting after the first poll.
        tokio::select! {
            biased;
            done = insert(vec![1000 + n, 2000 + n], false) => done.unwrap(),
            _ = std::future::ready(()) => cut += 1,
        }
        // One that fails after its insert…
        assert!(insert(vec![-1 - n], true).await.is_err());
        // …and the next one goes through.
        insert(vec![n], false)
            .await
            .expect("the next write commits");
    }
    assert!(cut > 0, "nothing was cut short");
    assert_eq!(
        count(db.clone(), (0, 20)).await,
        20,
        "every write awaited stays"
    );
    assert_eq!(
        count(db.clone(), (i64::MIN, 0)).await,
        0,
        "what failed is gone"
    );
    let (firsts, seconds) = (
        count(db.clone(), (1000, 1020)).await,
        count(db.clone(), (2000, 2020)).await,
    );
    assert_eq!(
        firsts, seconds,
        "a write cut short is kept or dropped whole"
    );
    if db.engine() == Engine::Sqlite {
        assert_eq!(firsts, 20, "on SQLite a write cut short still commits");
    }
}
