//! The versioned reference files: Beijing's divisions and departments.

use crate::common;

use common::TestApp;
use egov_kernel::Context;

#[tokio::test]
async fn the_demo_organisation_is_beijing() {
    let app = TestApp::new().await;
    let districts = egov_org::divisions(
        app.db(),
        &egov_org::DivisionFilter {
            parent: Some("110000".into()),
            level: None,
        },
    )
    .await
    .unwrap();
    let names: Vec<_> = districts.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names.len(), 16);
    for n in ["东城区", "西城区", "朝阳区", "海淀区", "延庆区"] {
        assert!(names.contains(&n), "{n}");
    }
    let streets = app.count("divisions").await - 17;
    assert!((330..=360).contains(&streets), "{streets} streets");

    let govs = egov_org::departments(
        app.db(),
        &egov_org::DepartmentFilter {
            kind: Some("government".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(govs.len(), 17, "the city and 16 district governments");
    let district_depts = egov_org::departments(
        app.db(),
        &egov_org::DepartmentFilter {
            parent: Some("110108-GOV".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(district_depts
        .iter()
        .any(|d| d.name == "北京市海淀区市场监督管理局"));
}

#[tokio::test]
async fn loading_the_same_version_again_changes_nothing() {
    let app = TestApp::new().await;
    let audit = app.count("audit_log").await;
    let again = egov_org::load_demo(app.db(), &Context::system())
        .await
        .unwrap();
    assert!(again.iter().all(|r| r.rows == 0), "{again:?}");
    assert_eq!(app.count("audit_log").await, audit);
}

#[tokio::test]
async fn a_newer_version_updates_in_place() {
    let app = TestApp::new().await;
    let newer = egov_org::reference::DEMO_DEPARTMENTS
        .replacen("version = \"2026-12\"", "version = \"2027-01\"", 1)
        .replace("北京市发展和改革委员会", "北京市发展和改革委员会（新）");
    let report = egov_org::load_departments(app.db(), &Context::system(), &newer)
        .await
        .unwrap();
    assert_eq!(report.version, "2027-01");
    let d = egov_org::department(app.db(), "110000-FGW").await.unwrap();
    assert_eq!(d.name, "北京市发展和改革委员会（新）");
    assert_eq!(app.count("departments").await, 253);
}

#[tokio::test]
async fn bad_files_are_refused_whole() {
    let app = TestApp::empty().await;
    let before = app.count("divisions").await;
    let bad = [
        r#"{"version":"x","source":"t","divisions":[{"code":"11000","name":"a","name_en":null,"level":"city","parent":null}]}"#,
        r#"{"version":"x","source":"t","divisions":[{"code":"110101","name":"a","name_en":null,"level":"district","parent":"110000"}]}"#,
        r#"{"version":"x","source":"t","divisions":[{"code":"110000","name":"a","name_en":null,"level":"planet","parent":null}]}"#,
        r#"{"version":"x","source":"t","extra":1,"divisions":[]}"#,
    ];
    for json in bad {
        assert!(
            egov_org::load_divisions(app.db(), &Context::system(), json)
                .await
                .is_err(),
            "{json}"
        );
    }
    assert_eq!(app.count("divisions").await, before);
    let orphan = "version = \"1\"\nsource = \"t\"\n[[department]]\ncode = \"110000-X\"\nname = \"x\"\nkind = \"municipal\"\ndivision = \"110000\"\nparent = \"110000-GOV\"\n";
    let err = egov_org::load_departments(app.db(), &Context::system(), orphan)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("110000-X"), "{err}");
}
