//! The database out of reach or out of room: requests are answered 503
//! with `Retry-After` within about a second, browsers get a "try again"
//! page, nothing half-done is kept, and service comes back by itself.

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use egov_store::{run, Db, Engine, PoolOptions};
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
        let db = db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let n: i64 = run!(tx, |c| sqlx::query_scalar("PRAGMA page_count")
                .fetch_one(&mut *c)
                .await)
            .unwrap();
            let sql = format!("PRAGMA max_page_count = {}", pages.unwrap_or(n));
            run!(tx, |c| sqlx::query(&sql).execute(&mut *c).await.map(|_| ())).unwrap();
            tx.commit().await.unwrap();
        }
    };
    let mut tx = app.db().begin().await.unwrap();
    run!(tx, |c| sqlx::query("CREATE TABLE filler (b BLOB)")
        .execute(&mut *c)
        .await
        .map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();
    cap(None).await;
    loop {
        let mut tx = app.db().begin().await.unwrap();
        let filled = run!(tx, |c| sqlx::query(
            "INSERT INTO filler VALUES (randomblob(3000))"
        )
        .execute(&mut *c)
        .await
        .map(|_| ()));
        match filled {
            Ok(()) => tx.commit().await.unwrap(),
            Err(e) => {
                assert!(egov_store::is_unavailable(&e), "{e}");
                break;
            }
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
    cap(Some(1_073_741_823)).await;
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

/// Requests cut short (the client hung up) at any point of a transaction
/// leave no transaction open behind them: the next writer begins, what it
/// rolls back is gone and what it commits stays, on either engine.
#[tokio::test]
async fn transactions_cut_short_leave_the_database_usable() {
    let app = TestApp::new().await;
    let db = app.db();
    let count = |db: Db| async move {
        let mut r = db.reader().await.unwrap();
        run!(r, |c| sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM cut_short"
        )
        .fetch_one(&mut *c)
        .await)
        .unwrap()
    };
    let mut tx = db.begin().await.unwrap();
    run!(tx, |c| sqlx::query(
        "CREATE TABLE cut_short (n BIGINT NOT NULL)"
    )
    .execute(&mut *c)
    .await
    .map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();

    let mut cut = 0;
    for n in 0..20_i64 {
        // Cut short while beginning…
        tokio::select! {
            biased;
            tx = db.begin() => drop(tx.unwrap()),
            _ = std::future::ready(()) => cut += 1,
        }
        // …and in the middle of a write.
        let mut tx = db.begin().await.expect("the next writer begins");
        let insert = async {
            run!(tx, |c| sqlx::query("INSERT INTO cut_short (n) VALUES ($1)")
                .bind(-n)
                .execute(&mut *c)
                .await
                .map(|_| ()))
        };
        tokio::select! {
            biased;
            done = insert => done.unwrap(),
            _ = std::future::ready(()) => cut += 1,
        }
        drop(tx);
        let mut tx = db.begin().await.expect("the next writer begins");
        run!(tx, |c| sqlx::query("INSERT INTO cut_short (n) VALUES ($1)")
            .bind(n)
            .execute(&mut *c)
            .await
            .map(|_| ()))
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert!(cut > 0, "nothing was cut short");
    assert_eq!(count(db.clone()).await, 20, "only the committed rows stay");
}
