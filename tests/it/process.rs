//! The binary as operators drive it: start-up, CLI commands, backup and
//! restore while serving, and durability across SIGKILL, on both engines.

use crate::common;

use common::process::{args, egov, Server};
use egov_store::testing::TestLocation;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

async fn api_key(loc: &TestLocation, scope: &str) -> String {
    let out = egov(&args(
        loc,
        &[
            "admin", "api-key", "create", "--name", "t", "--scope", scope,
        ],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.trim().to_owned()
}

async fn create_department(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    code: &str,
) -> reqwest::StatusCode {
    client
        .post(format!("{base}/api/v1/departments"))
        .bearer_auth(key)
        .json(
            &serde_json::json!({"code": code, "name": format!("测试部门 {code}"),
            "kind": "district", "division": "110105", "parent": "110105-GOV"}),
        )
        .send()
        .await
        .map(|r| r.status())
        .unwrap_or(reqwest::StatusCode::SERVICE_UNAVAILABLE)
}

#[tokio::test]
async fn first_start_serves_and_prints_the_administrator_once() {
    let loc = TestLocation::new().await;
    let server = Server::start(&loc).await;
    assert!(
        server.banner.contains("user name: admin"),
        "{}",
        server.banner
    );
    assert!(server.banner.contains("password:"));
    let home = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("北京市电子政务平台"));
    let status = server.stop().await;
    assert!(status.success(), "graceful stop on SIGTERM: {status:?}");

    let again = Server::start(&loc).await;
    assert!(
        !again.banner.contains("password:"),
        "credentials shown once only"
    );
    again.stop().await;
}

#[tokio::test]
async fn bad_database_urls_fail_with_one_clear_line() {
    for (url, expect) in [
        ("mysql://localhost/egov", "unsupported scheme 'mysql'"),
        ("sqlite://", "needs a file path"),
        (
            "postgres://egov:secret-pw@127.0.0.1:1/egov",
            "cannot connect to the database",
        ),
    ] {
        let out = egov(&["migrate".into(), "--database-url".into(), url.into()]).await;
        assert_eq!(out.code, 1, "{url}: {}", out.stderr);
        let lines: Vec<_> = out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "{url}: {}", out.stderr);
        assert!(lines[0].starts_with("error: "), "{}", lines[0]);
        assert!(lines[0].contains(expect), "{}", lines[0]);
        assert!(!out.stderr.contains("panicked"));
        assert!(
            !out.stderr.contains("secret-pw"),
            "password leaked: {}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn cli_commands_work_and_refuse_bad_input() {
    let loc = TestLocation::new().await;
    let out = egov(&args(&loc, &["migrate"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = egov(&args(&loc, &["demo", "load"])).await;
    assert!(
        out.stdout.contains("org.departments 2026-12: 253 rows"),
        "{}",
        out.stdout
    );
    let out = egov(&args(&loc, &["demo", "load"])).await;
    assert!(
        out.stdout.contains("org.departments 2026-12: 0 rows"),
        "{}",
        out.stdout
    );

    let out = egov(&args(
        &loc,
        &[
            "admin",
            "api-key",
            "create",
            "--name",
            "x",
            "--scope",
            "everything",
        ],
    ))
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("unknown scope 'everything'"),
        "{}",
        out.stderr
    );

    let out = egov(&args(
        &loc,
        &[
            "admin",
            "user",
            "create",
            "--username",
            "wang.fang",
            "--display-name",
            "王芳",
        ],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("one-time password: "));
    let out = egov(&args(
        &loc,
        &[
            "admin",
            "user",
            "create",
            "--username",
            "wang.fang",
            "--display-name",
            "王芳",
        ],
    ))
    .await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("wang.fang is taken"), "{}", out.stderr);

    let out = egov(&args(&loc, &["audit", "verify"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("audit chain intact:"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn grid_routing_is_loaded_trained_and_measured_from_the_cli() {
    let loc = TestLocation::new().await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("history.csv");
    std::fs::write(
        &good,
        "service_code,description,department\n\
         e0102,路口垃圾堆放,CGW\n\
         e0504,门口有人占道经营,CGZFJ\n\
         e0504,胡同里占道经营摆摊,CGZFJ\n\
         e0102,小区垃圾没人清运,CGW\n\
         e0102,路口垃圾堆放很久,CGW\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "service_code,description,department\ne0102,路口垃圾,CGW\ne9999,不知何事,CGW\n",
    )
    .unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();

    // A line naming no known class: refused by line, nothing stored.
    let out = egov(&args(
        &loc,
        &["grid", "routing", "import-history", &path(&bad)],
    ))
    .await;
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("line 3: 没有问题类别"),
        "{}",
        out.stderr
    );
    let out = egov(&args(&loc, &["grid", "routing", "train"])).await;
    assert_ne!(out.code, 0, "nothing to learn from: {}", out.stdout);
    assert!(
        out.stderr.contains("no past dispatch decisions"),
        "{}",
        out.stderr
    );

    let out = egov(&args(
        &loc,
        &["grid", "routing", "import-history", &path(&good)],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("past decisions stored: 5"),
        "{}",
        out.stdout
    );
    let out = egov(&args(&loc, &["grid", "routing", "train"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("5 decisions (0 overrides); held-out accuracy 1/1"),
        "{}",
        out.stdout
    );

    let out = egov(&args(&loc, &["grid", "routing", "rules"])).await;
    assert!(
        out.stdout.starts_with("# routing rules version 2026-12"),
        "{}",
        out.stdout
    );
    let out = egov(&args(
        &loc,
        &["grid", "routing", "evaluate", "--decisions", "1000"],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("held-out accuracy") && out.stdout.contains("routing decisions=1000 "),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn audit_verify_exits_non_zero_naming_the_tampered_record() {
    let loc = TestLocation::new().await;
    assert_eq!(egov(&args(&loc, &["demo", "load"])).await.code, 0);
    {
        let db = egov_store::Db::connect(&loc.url, &Default::default())
            .await
            .unwrap();
        let stmts: &'static [&'static str] = match db.engine() {
            egov_store::Engine::Sqlite => &[
                "DROP TRIGGER audit_log_no_update",
                "UPDATE audit_log SET actor = 'user:666' WHERE seq = 2",
            ],
            egov_store::Engine::Postgres => &[
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
                "UPDATE audit_log SET actor = 'user:666' WHERE seq = 2",
            ],
        };
        db.write(move |tx| {
            Box::pin(async move {
                for s in stmts {
                    tx.execute(egov_store::query(*s)).await?;
                }
                Ok::<_, egov_store::StoreError>(())
            })
        })
        .await
        .unwrap();
        db.close().await;
    }
    let out = egov(&args(&loc, &["audit", "verify"])).await;
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("broken at record 2"), "{}", out.stdout);
    assert!(out.stdout.contains("altered"), "{}", out.stdout);
}

#[tokio::test]
async fn backup_while_serving_restores_the_same_data() {
    // (The restore below brings the server key along, as an operator would.)
    let loc = TestLocation::new().await;
    let server = Server::start(&loc).await;
    let key = api_key(&loc, "org:write").await;
    let client = reqwest::Client::new();
    for i in 0..5 {
        assert_eq!(
            create_department(&client, &server.base, &key, &format!("110105-BK{i}")).await,
            201
        );
    }

    // Back up while a writer keeps going.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, client, base, key) = (
            stop.clone(),
            client.clone(),
            server.base.clone(),
            key.clone(),
        );
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                create_department(&client, &base, &key, &format!("110105-BW{i}")).await;
                i += 1;
            }
        })
    };
    let file = loc.dir.path().join("backup.egov");
    let out = egov(&args(&loc, &["backup", file.to_str().unwrap()])).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    server.stop().await;

    // Restore into a different, empty location, with the server key.
    let target = TestLocation::new().await;
    std::fs::copy(
        loc.dir.path().join("server-keys"),
        target.dir.path().join("server-keys"),
    )
    .unwrap();
    let out = egov(&args(&target, &["restore", file.to_str().unwrap()])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = egov(&args(&target, &["audit", "verify"])).await;
    assert_eq!(out.code, 0, "restored chain verifies: {}", out.stdout);

    let restored = Server::start(&target).await;
    assert!(
        !restored.banner.contains("password:"),
        "the administrator came along"
    );
    for i in 0..5 {
        let res = reqwest::get(restored.url(&format!("/api/v1/departments/110105-BK{i}")))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    restored.stop().await;

    // A file that is not a backup is refused and changes nothing.
    let junk = target.dir.path().join("junk.bin");
    std::fs::write(&junk, b"definitely not a database").unwrap();
    let out = egov(&args(&target, &["restore", junk.to_str().unwrap()])).await;
    assert_eq!(out.code, 1);
    let out = egov(&args(&target, &["audit", "verify"])).await;
    assert_eq!(out.code, 0);
}

#[tokio::test]
async fn every_acknowledged_write_survives_sigkill() {
    let loc = TestLocation::new().await;
    let key = api_key(&loc, "org:write").await;
    let server = Server::start(&loc).await;
    let client = reqwest::Client::new();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let enough = Arc::new(tokio::sync::Notify::new());
    let mut writers = Vec::new();
    for w in 0..8 {
        let (acked, stop, client, base, key, enough) = (
            acked.clone(),
            stop.clone(),
            client.clone(),
            server.base.clone(),
            key.clone(),
            enough.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let code = format!("110105-W{w}N{i}");
                if create_department(&client, &base, &key, &code).await == 201 {
                    let mut acked = acked.lock().unwrap();
                    acked.push(code);
                    if acked.len() >= 200 {
                        enough.notify_one();
                    }
                }
                i += 1;
            }
        }));
    }
    // Kill in the middle of the load, once a good number were acknowledged.
    enough.notified().await;
    server.kill().await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let server = Server::start(&loc).await;
    let mut missing = Vec::new();
    for code in &acked {
        let res = client
            .get(server.url(&format!("/api/v1/departments/{code}")))
            .send()
            .await
            .unwrap();
        if res.status() != 200 {
            missing.push(code.clone());
        }
    }
    server.stop().await;
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {missing:?}",
        missing.len(),
        acked.len()
    );
    let out = egov(&args(&loc, &["audit", "verify"])).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[tokio::test]
async fn process_definitions_are_checked_before_use() {
    let out = egov(&[
        "process".into(),
        "check".into(),
        "data/processes/joint-approval.toml".into(),
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("ok: joint_approval version 3"),
        "{}",
        out.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    let text = std::fs::read_to_string("data/processes/administrative-license.toml")
        .unwrap()
        .replacen("to = \"review\"", "to = \"limbo\"", 1);
    std::fs::write(&broken, text).unwrap();
    let out = egov(&[
        "process".into(),
        "check".into(),
        broken.to_str().unwrap().into(),
    ])
    .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("unknown state 'limbo'"),
        "{}",
        out.stderr
    );
}

/// Nodes started at the same moment on a fresh database: on PostgreSQL both
/// come up, taking turns to migrate and seed, and the first administrator
/// is made once; on SQLite the data directory belongs to the first.
#[tokio::test]
async fn nodes_starting_together_set_the_database_up_once() {
    let loc = TestLocation::new().await;
    match loc.url {
        egov_store::DatabaseUrl::Postgres(_) => {
            let (a, b) = tokio::join!(Server::start(&loc), Server::start(&loc));
            let banners = [&a.banner, &b.banner];
            assert_eq!(
                banners.iter().filter(|b| b.contains("password:")).count(),
                1,
                "one first administrator: {banners:?}"
            );
            for s in [&a, &b] {
                let ready = reqwest::get(s.url("/readyz")).await.unwrap();
                assert_eq!(ready.status(), 200);
            }
            a.stop().await;
            b.stop().await;
        }
        egov_store::DatabaseUrl::Sqlite(_) => {
            let first = Server::start(&loc).await;
            let second = egov(&args(&loc, &["serve", "--bind", "127.0.0.1:0"])).await;
            assert_eq!(second.code, 1, "{}", second.stderr);
            assert!(second.stderr.contains("in use by another egov process"));
            first.stop().await;
        }
    }
}

/// A citizen's case with three attached files, made in the database and
/// file store at `loc`. Returns the case number and each file's bytes.
async fn case_with_files(loc: &TestLocation) -> (String, Vec<Vec<u8>>) {
    use egov_kernel::Context;
    let db = egov_store::Db::connect(&loc.url, &egov_store::PoolOptions::patient())
        .await
        .unwrap();
    let ctx = Context::system();
    let registered = egov_identity::register_citizen(
        &db,
        &ctx,
        egov_identity::CitizenRegistration {
            username: "zhang.san".into(),
            real_name: "张三".into(),
            resident_id: egov_kernel::identifier::ResidentId::parse("11010519491231002X").unwrap(),
            phone: egov_kernel::identifier::MobileNumber::parse("13800138000").unwrap(),
            password: "Chang-Cheng-Wan-Li-9".to_owned().into(),
        },
    )
    .await
    .unwrap();
    egov_identity::confirmation::confirm_from_outbox(&db, &registered.pending)
        .await
        .unwrap();
    let citizen = registered.user_id.unwrap();
    let dept = egov_org::department(&db, "110105-SCJGJ").await.unwrap().id;
    let cal = egov_calendar::load_calendar(&db).await.unwrap();
    let def = egov_cases::Processes::default()
        .latest(&db, "administrative_license")
        .await
        .unwrap();
    let mut new = egov_cases::NewCase::new(&def, dept, "备份里的案件");
    new.applicant_id = Some(citizen);
    let case = egov_cases::start(
        &db,
        &ctx,
        &cal,
        egov_cases::Acting::Applicant {
            user_id: citizen,
            enterprise_id: None,
        },
        new,
    )
    .await
    .unwrap();
    let files = egov_cases::attachments::FileStore::new(loc.dir.path().join("files"));
    let mut contents = Vec::new();
    for i in 0..3 {
        let bytes = egov_cases::attachments::samples::pdf(&format!("backed up file {i}"), b"");
        egov_cases::attachments::attach(
            &db,
            &ctx,
            &files,
            egov_cases::attachments::Upload {
                case_id: case.id,
                case_number: &case.number,
                name: "材料.pdf",
                bytes: bytes.clone(),
                internal: false,
                uploaded_by: Some(citizen),
                answers: None,
            },
            1 << 20,
        )
        .await
        .unwrap();
        contents.push(bytes);
    }
    db.close().await;
    (case.number, contents)
}

#[tokio::test]
async fn a_backup_holds_the_files_and_restores_into_an_empty_folder() {
    let loc = TestLocation::new().await;
    let out = egov(&args(&loc, &["demo", "load"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (number, contents) = case_with_files(&loc).await;
    let file = loc.dir.path().join("backup.egov");
    let out = egov(&args(&loc, &["backup", file.to_str().unwrap()])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("3 files"), "{}", out.stdout);
    let manifest = egov_store::read_manifest(&file).unwrap();
    assert_eq!(manifest.files.len(), 3);

    // The backup holds no key: without the one that sealed its secrets, it
    // is refused before anything is replaced.
    let target = TestLocation::new().await;
    let out = egov(&args(&target, &["restore", file.to_str().unwrap()])).await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("server key"), "{}", out.stderr);
    std::fs::copy(
        loc.dir.path().join("server-keys"),
        target.dir.path().join("server-keys"),
    )
    .unwrap();

    // A damaged copy is refused before anything is replaced.
    let damaged = target.dir.path().join("damaged.egov");
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes
        .windows(b"backed up file 1".len())
        .position(|w| w == b"backed up file 1")
        .unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(&damaged, bytes).unwrap();
    let out = egov(&args(&target, &["restore", damaged.to_str().unwrap()])).await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("damaged"), "{}", out.stderr);
    assert!(!target.dir.path().join("files").exists(), "nothing placed");

    // The whole backup restores into the empty folder, files and all.
    let out = egov(&args(&target, &["restore", file.to_str().unwrap()])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = egov(&args(&target, &["audit", "verify"])).await;
    assert_eq!(out.code, 0, "{}", out.stdout);

    // Every file downloads through the platform, byte for byte.
    let db = egov_store::Db::connect(&target.url, &egov_store::PoolOptions::patient())
        .await
        .unwrap();
    let router = egov_web::router(egov_web::AppState::new(
        db.clone(),
        egov_web::WebSettings {
            files_dir: target.dir.path().join("files"),
            ..Default::default()
        },
    ));
    let signed_in = egov_identity::sign_in(
        &db,
        &egov_kernel::Context::system(),
        "zhang.san",
        "Chang-Cheng-Wan-Li-9".to_owned().into(),
        None,
    )
    .await
    .unwrap();
    let egov_identity::SignIn::Complete { token, .. } = signed_in else {
        panic!("the citizen has no second factor");
    };
    let case = egov_cases::by_number(&db, &number).await.unwrap();
    let attachments = egov_cases::attachments::list(&db, case.id, true)
        .await
        .unwrap();
    assert_eq!(attachments.len(), 3);
    for (a, want) in attachments.iter().zip(&contents) {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let res = router
            .clone()
            .oneshot(
                axum::http::Request::get(format!("/api/v1/cases/{number}/attachments/{}", a.id))
                    .header("cookie", format!("egov_session={token}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let got = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], &want[..]);
    }
    db.close().await;
}

#[tokio::test]
async fn the_server_key_rotates_and_the_chain_keeps_verifying() {
    let loc = TestLocation::new().await;
    let out = egov(&args(&loc, &["admin", "oidc-key", "rotate"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = egov(&args(&loc, &["audit", "checkpoint"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first = egov(&args(&loc, &["admin", "server-key", "list"])).await;
    assert_eq!(first.stdout.lines().count(), 1);

    let out = egov(&args(&loc, &["admin", "server-key", "rotate"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let keys = egov(&args(&loc, &["admin", "server-key", "list"])).await;
    assert_eq!(keys.stdout.lines().count(), 2, "{}", keys.stdout);
    let newest = keys
        .stdout
        .lines()
        .last()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    // Every ID-token key is sealed under the new server key now, and still opens.
    let db = egov_store::Db::connect(&loc.url, &egov_store::PoolOptions::patient())
        .await
        .unwrap();
    let mut r = db.reader().await.unwrap();
    let sealed: Vec<String> = egov_store::run!(r, |c| sqlx::query_scalar(
        "SELECT private_pem FROM oidc_keys"
    )
    .fetch_all(&mut *c)
    .await)
    .unwrap();
    drop(r);
    db.close().await;
    assert!(!sealed.is_empty());
    assert!(sealed
        .iter()
        .all(|s| s.starts_with(&format!("sealed:v1:{newest}:"))));
    let jwks = egov(&args(&loc, &["admin", "oidc-key", "rotate"])).await;
    assert_eq!(jwks.code, 0, "{}", jwks.stderr);

    // Checkpoints signed by the old key and the new one both verify; the
    // export is an anchor the chain is checked against too.
    let out = egov(&args(&loc, &["audit", "verify"])).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("2 signed checkpoints"),
        "{}",
        out.stdout
    );
    let export = egov(&args(&loc, &["audit", "export"])).await;
    let anchor = loc.dir.path().join("kept-elsewhere.jsonl");
    std::fs::write(&anchor, &export.stdout).unwrap();
    let out = egov(&args(
        &loc,
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    let public = egov(&args(&loc, &["audit", "public-keys"])).await;
    assert!(public.stdout.contains("Ed25519"));
}

#[tokio::test]
async fn operators_manage_accounts_keys_and_clients_from_the_command_line() {
    let loc = TestLocation::new().await;
    let out = egov(&args(&loc, &["demo", "load"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = egov(&args(
        &loc,
        &[
            "admin",
            "user",
            "create",
            "--username",
            "wang.wu",
            "--display-name",
            "王五",
            "--department",
            "110105-SCJGJ",
            "--role",
            "handler",
        ],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    for step in ["disable", "enable", "offboard"] {
        let out = egov(&args(
            &loc,
            &["admin", "user", step, "--username", "wang.wu"],
        ))
        .await;
        assert_eq!(out.code, 0, "{step}: {}", out.stderr);
    }
    let out = egov(&args(
        &loc,
        &["admin", "user", "disable", "--username", "nobody"],
    ))
    .await;
    assert_eq!(out.code, 1);

    let key = api_key(&loc, "audit:read").await;
    let list = egov(&args(&loc, &["admin", "api-key", "list"])).await;
    let line = list
        .stdout
        .lines()
        .find(|l| l.contains(&key[..13]))
        .unwrap();
    assert!(line.ends_with("live"), "{line}");
    let id = line.split('\t').next().unwrap().to_owned();
    let out = egov(&args(&loc, &["admin", "api-key", "revoke", &id])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list = egov(&args(&loc, &["admin", "api-key", "list"])).await;
    assert!(list
        .stdout
        .lines()
        .any(|l| l.starts_with(&format!("{id}\t")) && l.ends_with("revoked")));
    let out = egov(&args(
        &loc,
        &[
            "admin",
            "api-key",
            "create",
            "--name",
            "t",
            "--scope",
            "audit:read",
            "--expires-in-days",
            "7",
        ],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);

    let out = egov(&args(
        &loc,
        &[
            "admin",
            "oidc-client",
            "create",
            "--name",
            "网格系统",
            "--redirect-uri",
            "https://grid.example/cb",
            "--backchannel-logout-uri",
            "https://grid.example/bcl",
        ],
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let client_id = out
        .stdout
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("client_id: ")
        .to_owned();
    let list = egov(&args(&loc, &["admin", "oidc-client", "list"])).await;
    assert!(list.stdout.contains(&client_id) && list.stdout.contains("pkce"));
    assert!(list.stdout.contains("backchannel https://grid.example/bcl"));
    let out = egov(&args(
        &loc,
        &["admin", "oidc-client", "rotate-secret", &client_id],
    ))
    .await;
    assert!(out.stdout.starts_with("client_secret: "), "{}", out.stdout);
    let out = egov(&args(&loc, &["admin", "oidc-client", "delete", &client_id])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list = egov(&args(&loc, &["admin", "oidc-client", "list"])).await;
    assert!(!list.stdout.contains(&client_id));
    let public = egov(&args(
        &loc,
        &[
            "admin",
            "oidc-client",
            "create",
            "--name",
            "掌上政务",
            "--redirect-uri",
            "https://app.example/cb",
            "--public",
        ],
    ))
    .await;
    assert!(
        !public.stdout.contains("client_secret"),
        "{}",
        public.stdout
    );
}
