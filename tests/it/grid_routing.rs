//! Routing grid reports: the rules choose the department a report is sent
//! to, the classifier trained on past dispatches suggests one, the
//! dispatcher sees both and may send it elsewhere, and that override counts
//! in the next training. The rules are a versioned file an operator loads.

use crate::common;
use crate::grid_pages::report_at;
use crate::open311::with_grid;

use axum::http::StatusCode;
use common::casework::{citizen, dept, staff, Caller};
use common::TestApp;
use egov_grid::routing::store;
use egov_identity::Role;
use egov_kernel::Context;
use serde_json::json;

/// Reports exposed rubbish (e0102) in the test grid's first cell through
/// the report page, files it, and answers its case number.
async fn reported(app: &TestApp, who: &Caller, said: &str) -> String {
    report_at(app, who, "39.9295", "116.4095", said).await
}

#[tokio::test]
async fn the_dispatcher_sees_the_rule_and_the_suggestion_and_an_override_is_learnt() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let resident = citizen(&app, "zhao.lei").await;
    let centre = dept(&app, "110101-CGZX").await;
    let dispatcher = staff(&app, "dispatch.dc", centre, &[Role::Dispatcher]).await;
    let west = dept(&app, "110102-CGZX").await;
    let elsewhere = staff(&app, "dispatch.xc", west, &[Role::Dispatcher]).await;

    // No model yet: the rules alone, and no suggestion.
    let plain = reported(&app, &resident, "小区门口垃圾堆放多日").await;
    let page = app
        .get_with(
            &format!("/grid/requests/{plain}/dispatch"),
            &[("cookie", &dispatcher.0)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("小类默认处置部门"), "{}", page.body);
    assert!(page.body.contains("暂无建议"), "{}", page.body);
    // The sub-class's default, the district's 城市管理委, is chosen; the
    // centre itself is no choice.
    assert!(
        page.body.contains("<option value=\"110101-CGW\" selected>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("value=\"110101-CGZX\""));

    // A made-up history to learn from.
    let history = egov_grid::routing::demo_history(600, 9);
    store::import_history(app.db(), &Context::system(), "demo", history)
        .await
        .unwrap();
    let first = store::train(app.db(), &Context::system()).await.unwrap();
    assert_eq!((first.examples, first.overrides), (600, 0));
    assert_eq!(first.accuracy.total, 120);

    // A report the rules send to the enforcement bureau.
    let spill = reported(&app, &resident, "路口渣土车遗撒，满地泥土").await;
    let routed = app
        .texts(&format!(
            "SELECT r.routed_to || ' ' || r.routing_rule || ' ' || r.suggested FROM grid_reports r \
             JOIN cases c ON c.id = r.case_id WHERE c.number = '{spill}'"
        ))
        .await;
    assert_eq!(
        routed[0], "110101-CGZFJ 渣土车遗撒归城管执法 CGZFJ",
        "{routed:?}"
    );

    // The case page leads the dispatcher to the advice.
    let case_page = app
        .get_with(&format!("/cases/{spill}"), &[("cookie", &dispatcher.0)])
        .await;
    assert!(case_page
        .body
        .contains(&format!("/grid/requests/{spill}/dispatch")));
    let page = app
        .get_with(
            &format!("/grid/requests/{spill}/dispatch"),
            &[("cookie", &dispatcher.0)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("规则：渣土车遗撒归城管执法"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<strong>北京市东城区城市管理综合行政执法局</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("置信度"), "{}", page.body);
    assert!(page.body.contains("与规则一致"), "{}", page.body);
    assert!(page
        .body
        .contains("<option value=\"110101-CGZFJ\" selected>"));
    assert!(
        !page.body.contains("value=\"110102-"),
        "only the district's departments"
    );

    // Nobody else sees it: a resident, another district's dispatcher.
    for (who, status) in [
        (&resident, StatusCode::FORBIDDEN),
        (&elsewhere, StatusCode::FORBIDDEN),
    ] {
        let res = app
            .get_with(
                &format!("/grid/requests/{spill}/dispatch"),
                &[("cookie", &who.0)],
            )
            .await;
        assert_eq!(res.status, status);
    }

    // The dispatcher sends it elsewhere through the page's form: an override.
    let version = dispatcher
        .get(&app, &format!("/api/v1/cases/{spill}"))
        .await["version"]
        .to_string();
    let res = app
        .post_form(
            &format!("/cases/{spill}/actions"),
            Some(&dispatcher.0),
            &[
                ("csrf", dispatcher.1.as_str()),
                ("action", "dispatch"),
                ("version", version.as_str()),
                ("f_department", "110101-STHJJ"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let case = dispatcher
        .get(&app, &format!("/api/v1/cases/{spill}"))
        .await;
    assert_eq!(case["state"], "handling");
    // The other as the rules said, through the API.
    let res = dispatcher
        .act(
            &app,
            &plain,
            "dispatch",
            json!({"department": "110101-CGZX"}),
        )
        .await;
    assert_eq!(
        res.status.as_u16() / 100,
        4,
        "the centre cannot dispatch to itself"
    );
    let res = dispatcher
        .act(
            &app,
            &plain,
            "dispatch",
            json!({"department": "110101-CGW"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let (decisions, newest) = store::decisions(app.db(), store::MAX_DECISIONS)
        .await
        .unwrap();
    assert_eq!(decisions.len(), 602);
    assert!(newest > 0);
    // A training reads the newest decisions only: the dispatches last.
    let (few, _) = store::decisions(app.db(), 10).await.unwrap();
    assert_eq!(few.len(), 10);
    assert_eq!(few[..8], decisions[592..600], "the newest of the history");
    assert!(few[8].overrode && few[8].example.text.contains("渣土车"));
    assert!(!few[9].overrode && few[9].example.text.contains("垃圾堆放"));
    let overrides: Vec<_> = decisions.iter().filter(|d| d.overrode).collect();
    assert_eq!(overrides.len(), 1, "{overrides:?}");
    assert!(overrides
        .iter()
        .any(|d| d.example.department == "STHJJ" && d.example.text.contains("渣土车")));

    // The next training takes them in; with nothing new, none runs.
    let again = store::retrain_if_new(app.db(), &Context::system())
        .await
        .unwrap()
        .expect("two dispatches since");
    assert_eq!((again.examples, again.overrides), (602, 1));
    assert!(again.id > first.id);
    assert!(store::retrain_if_new(app.db(), &Context::system())
        .await
        .unwrap()
        .is_none());
    let model = store::routing(app.db()).await.unwrap();
    assert_eq!(model.0.as_ref().unwrap().id, again.id);
    common::verify_audit(&app).await;
}

/// A system administrator, signed in.
async fn system_admin(app: &TestApp) -> Caller {
    let password = app.staff("admin.grid", true).await;
    let (cookie, csrf) = app.sign_in("admin.grid", &password).await;
    Caller(cookie, csrf)
}

#[tokio::test]
async fn the_routing_rules_are_a_versioned_file_an_administrator_loads_on_the_settings_page() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let resident = citizen(&app, "qian.yu").await;
    let centre = dept(&app, "110101-CGZX").await;
    let admin = system_admin(&app).await;
    let dispatcher = staff(&app, "dispatch.dc", centre, &[Role::Dispatcher]).await;

    let before = reported(&app, &resident, "路边渣土车遗撒").await;
    let rules = egov_grid::layers::grid(app.db()).await.unwrap();
    assert_eq!(rules.routing.version, "2026-12");

    // The page shows the file in force (the shipped one) to edit; the
    // admin console leads there.
    let page = app.get_with("/admin/grid", &[("cookie", &admin.0)]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("version = &#34;2026-12&#34;"),
        "{}",
        page.body
    );
    assert!(page.body.contains("随系统提供的文件"), "{}", page.body);
    let console = app.get_with("/admin", &[("cookie", &admin.0)]).await;
    assert!(
        console.body.contains("href=\"/admin/grid\""),
        "{}",
        console.body
    );
    let load = |who: &common::casework::Caller, source: &str| {
        let (app, who, source) = (&app, who.clone(), source.to_owned());
        async move {
            app.post_form(
                "/admin/grid/routing",
                Some(&who.0),
                &[("csrf", &who.1), ("source", &source)],
            )
            .await
        }
    };

    // A broken file: refused with the rule's number, shown again as
    // typed, nothing stored.
    let broken =
        "version = \"2027-01\"\n[[rule]]\nname = \"x\"\nservice = \"e1\"\ndepartment = \"GAJ\"\n";
    let res = load(&admin, broken).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("文件有误，未载入"), "{}", res.body);
    assert!(
        res.body.contains("rule 1: x: service &#39;e1&#39;"),
        "{}",
        res.body
    );
    assert!(res.body.contains("name = &#34;x&#34;"), "{}", res.body);
    // A class that is not in force: a rule that could never hold.
    let res = load(&admin, &broken.replace("\"e1\"", "\"e99\"")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(
        res.body
            .contains("rule 1: x: service &#39;e99&#39; names no class in classes version 2026-12"),
        "{}",
        res.body
    );
    assert_eq!(app.count("grid_routing_rules").await, 0);

    // Only an administrator of reference data loads one.
    let new = "version = \"2027-01\"\n[[rule]]\nname = \"渣土车一律交公安\"\nservice = \"e01\"\nwords = [\"渣土车\"]\ndepartment = \"GAJ\"\n";
    assert_eq!(load(&dispatcher, new).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("grid_routing_rules").await, 0);
    let res = load(&admin, new).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app
        .get_with(res.header("location"), &[("cookie", &admin.0)])
        .await;
    assert!(page.body.contains("新版本派遣规则已载入"), "{}", page.body);
    assert!(
        page.body
            .contains("<code translate=\"no\">2027-01</code> · 现行"),
        "{}",
        page.body
    );
    let res = load(&admin, new).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("版本 2027-01 已载入过"), "{}", res.body);
    assert_eq!(app.count("grid_routing_rules").await, 1);

    let after = reported(&app, &resident, "胡同里渣土车遗撒").await;
    let routed = app
        .texts(&format!(
            "SELECT c.number || ' ' || r.routed_to FROM grid_reports r JOIN cases c ON c.id = r.case_id \
             WHERE c.number IN ('{before}', '{after}') ORDER BY r.id"
        ))
        .await;
    assert_eq!(
        routed,
        [
            format!("{before} 110101-CGZFJ"),
            format!("{after} 110101-GAJ")
        ]
    );
    let loaded = app
        .texts("SELECT actor FROM audit_log WHERE action = 'grid.routing_rules_loaded'")
        .await;
    let admin_id = app
        .texts("SELECT CAST(id AS TEXT) FROM users WHERE username = 'admin.grid'")
        .await;
    assert_eq!(loaded, [format!("user:{}", admin_id[0])]);

    // Retraining from the page: nothing to learn yet, then the dispatches.
    let res = app
        .post_form("/admin/grid/train", Some(&admin.0), &[("csrf", &admin.1)])
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("还没有派遣记录"), "{}", res.body);
    let history = egov_grid::routing::demo_history(300, 3);
    store::import_history(app.db(), &Context::system(), "demo", history)
        .await
        .unwrap();
    let res = app
        .post_form("/admin/grid/train", Some(&admin.0), &[("csrf", &admin.1)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get_with("/admin/grid", &[("cookie", &admin.0)]).await;
    assert!(page.body.contains("<dd>300</dd>"), "{}", page.body);
    common::verify_audit(&app).await;
}

#[tokio::test]
async fn the_classes_are_loaded_in_versions_from_the_settings_page() {
    let app = TestApp::new().await;
    with_grid(&app).await;
    let admin = system_admin(&app).await;
    let shipped = egov_grid::classes::SHIPPED;
    let version = egov_grid::layers::grid(app.db())
        .await
        .unwrap()
        .classes
        .version
        .clone();
    // The same file under a new version, with the exposed-rubbish deadline
    // changed: in force for reports from now on.
    let next = shipped.replacen(
        &format!("version = \"{version}\""),
        "version = \"2099-01\"",
        1,
    );
    assert_ne!(next, shipped, "the shipped file names its version");
    let res = app
        .post_form(
            "/admin/grid/classes",
            Some(&admin.0),
            &[("csrf", &admin.1), ("source", &next)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let grid = egov_grid::layers::grid(app.db()).await.unwrap();
    assert_eq!(grid.classes.version, "2099-01");
    let res = app
        .post_form(
            "/admin/grid/classes",
            Some(&admin.0),
            &[
                ("csrf", &admin.1),
                ("source", "version = \"2099-02\"\n[[class]]\n"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("文件有误，未载入"), "{}", res.body);
    assert_eq!(
        egov_grid::layers::grid(app.db())
            .await
            .unwrap()
            .classes
            .version,
        "2099-01"
    );
    common::verify_audit(&app).await;
}
