//! The case engine: a licence application through acceptance, corrections
//! (clock stopped), a hearing (clock stopped, deadline moved on), an
//! extension and a decision; joint approval fanning out and joining; and
//! every refusal: wrong state, wrong person, bad fields, stale version.

use crate::common;

use common::TestApp;
use egov_cases::{Acting, CaseError, NewCase, ProcessDefinition};
use egov_kernel::{Actor, Context};
use serde_json::json;

fn license() -> ProcessDefinition {
    ProcessDefinition::parse(include_str!(
        "../../data/processes/administrative-license.toml"
    ))
    .unwrap()
}

fn joint() -> ProcessDefinition {
    ProcessDefinition::parse(include_str!("../../data/processes/joint-approval.toml")).unwrap()
}

async fn dept(app: &TestApp, code: &str) -> i64 {
    egov_org::department(app.db(), code).await.unwrap().id
}

#[tokio::test]
async fn a_licence_application_runs_its_course() {
    let app = TestApp::new().await;
    let cal = std::sync::Arc::new(egov_calendar::load_calendar(app.db()).await.unwrap());
    let def = std::sync::Arc::new(license());
    let scj = dept(&app, "110105-SCJGJ").await;
    let ctx = Context::system();
    app.citizen("zhang.san").await;
    let case = egov_cases::start(
        app.db(),
        &ctx,
        &cal,
        Acting::Applicant {
            user_id: 1,
            enterprise_id: None,
        },
        NewCase {
            applicant_id: Some(1),
            data: json!({ "item": "食品经营许可" }),
            ..NewCase::new(&def, scj, "食品经营许可")
        },
    )
    .await
    .unwrap();
    assert_eq!(case.state, "submitted");
    assert!(
        case.number.len() == 11 && case.number.starts_with("20"),
        "{}",
        case.number
    );
    assert!(case.due_at.is_some(), "5 working days to accept");

    let handler = Acting::Handler { department_id: scj };
    let applicant = Acting::Applicant {
        user_id: 1,
        enterprise_id: None,
    };
    let act = |version, acting, action: &'static str, fields: serde_json::Value| {
        let (def, cal, ctx) = (&def, &cal, &ctx);
        let db = app.db().clone();
        async move {
            egov_cases::act(&db, ctx, cal, def, case.id, version, acting, action, fields).await
        }
    };

    // Corrections: the clock stops.
    let c = act(1, handler, "request_correction", json!({ "missing": [] })).await;
    assert!(
        matches!(c, Err(CaseError::Fields(ref v)) if v[0].path == "/missing"),
        "{c:?}"
    );
    let c = act(
        1,
        handler,
        "request_correction",
        json!({ "missing": ["营业执照副本"] }),
    )
    .await
    .unwrap();
    assert_eq!(c.state, "correction");
    assert!(c.due_at.is_none() && c.paused_at.is_some());
    // Only the applicant answers; the handler cannot.
    assert!(matches!(
        act(2, handler, "resubmit", json!({})).await,
        Err(CaseError::NotYours(_))
    ));
    let other = Acting::Applicant {
        user_id: 99,
        enterprise_id: None,
    };
    assert!(matches!(
        act(2, other, "resubmit", json!({})).await,
        Err(CaseError::NotYours(_))
    ));
    let c = act(2, applicant, "resubmit", json!({})).await.unwrap();
    assert_eq!(c.state, "submitted");
    assert!(c.due_at.is_some(), "a fresh acceptance period");

    // Another department's handler may not accept it.
    let hd = dept(&app, "110108-SCJGJ").await;
    assert!(matches!(
        act(
            3,
            Acting::Handler { department_id: hd },
            "accept",
            json!({})
        )
        .await,
        Err(CaseError::NotYours(_))
    ));
    let c = act(3, handler, "accept", json!({ "opinion": "材料齐全" }))
        .await
        .unwrap();
    assert_eq!(c.state, "review");
    let review_due = c.due_at.unwrap();

    // A hearing stops the clock; afterwards the deadline has moved on.
    let c = act(4, handler, "open_hearing", json!({})).await.unwrap();
    assert_eq!(c.state, "hearing");
    let c = act(5, handler, "close_hearing", json!({})).await.unwrap();
    assert_eq!(c.state, "review");
    assert!(
        c.due_at.unwrap() >= review_due,
        "the hearing's time is not counted"
    );

    // One extension, with the head's approval named; not two.
    let c = act(
        6,
        handler,
        "extend",
        json!({ "reason": "需现场核查", "approved_by": "局长" }),
    )
    .await
    .unwrap();
    assert!(c.extended && c.due_at.unwrap() > review_due);
    assert!(matches!(
        act(
            7,
            handler,
            "extend",
            json!({ "reason": "再延", "approved_by": "局长" })
        )
        .await,
        Err(CaseError::AlreadyExtended)
    ));

    // Stale versions conflict; the wrong state refuses.
    assert!(matches!(
        act(3, handler, "approve", json!({})).await,
        Err(CaseError::Conflict { current: 7 })
    ));
    assert!(matches!(
        act(7, handler, "accept", json!({})).await,
        Err(CaseError::NotAllowedHere { .. })
    ));
    assert!(
        matches!(
            act(7, handler, "refuse", json!({})).await,
            Err(CaseError::Fields(_))
        ),
        "reasons required"
    );

    let done = act(7, handler, "approve", json!({ "opinion": "准予" }))
        .await
        .unwrap();
    assert_eq!(done.state, "approved");
    assert!(done.closed_at.is_some() && done.due_at.is_none());
    assert!(matches!(
        act(8, applicant, "withdraw", json!({})).await,
        Err(CaseError::NotAllowedHere { .. })
    ));

    let events = egov_cases::timeline(app.db(), case.id).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "start",
            "request_correction",
            "resubmit",
            "accept",
            "open_hearing",
            "close_hearing",
            "extend",
            "approve"
        ]
    );
    let audit = egov_audit::for_object(app.db(), "case", &case.number, 20)
        .await
        .unwrap();
    assert_eq!(audit.len(), 8, "one audit record per event");
    assert_eq!(
        common::verify_audit(&app).await,
        common::intact(app.count("audit_log").await)
    );
}

#[tokio::test]
async fn joint_approval_fans_out_and_joins() {
    let app = TestApp::new().await;
    let cal = std::sync::Arc::new(egov_calendar::load_calendar(app.db()).await.unwrap());
    let def = std::sync::Arc::new(joint());
    let lead = dept(&app, "110105-SCJGJ").await;
    let tax = dept(&app, "110105-SWZJ").await;
    let police = dept(&app, "110105-GAJ").await;
    let ctx = Context {
        actor: Actor::System,
        source: None,
        request_id: None,
    };
    let new = || NewCase {
        co_departments: vec![lead, tax, police],
        data: json!({ "item": "企业开办" }),
        ..NewCase::new(&def, lead, "企业开办")
    };
    let run = |case_id, version, dept_id, action: &'static str, fields| {
        let (def, cal, ctx, db) = (&def, &cal, &ctx, app.db().clone());
        async move {
            egov_cases::act(
                &db,
                ctx,
                cal,
                def,
                case_id,
                version,
                Acting::Handler {
                    department_id: dept_id,
                },
                action,
                fields,
            )
            .await
        }
    };

    // All approve: joined.
    let case = egov_cases::start(
        app.db(),
        &ctx,
        &cal,
        Acting::Handler {
            department_id: lead,
        },
        new(),
    )
    .await
    .unwrap();
    let c = run(case.id, 1, lead, "accept", json!({})).await.unwrap();
    assert_eq!(c.state, "joint_review");
    let b = egov_cases::branches(app.db(), case.id, "joint_review")
        .await
        .unwrap();
    assert_eq!(b.len(), 3);
    assert!(b
        .iter()
        .all(|x| x.status == egov_cases::BranchStatus::Pending));
    let c = run(case.id, 2, tax, "branch_approve", json!({}))
        .await
        .unwrap();
    assert_eq!(c.state, "joint_review", "still waiting for the others");
    assert!(
        matches!(
            run(case.id, 3, tax, "branch_approve", json!({})).await,
            Err(CaseError::NotYours(_))
        ),
        "once per department"
    );
    let outsider = dept(&app, "110108-GAJ").await;
    assert!(matches!(
        run(case.id, 3, outsider, "branch_approve", json!({})).await,
        Err(CaseError::NotYours(_))
    ));
    let c = run(case.id, 3, police, "branch_approve", json!({}))
        .await
        .unwrap();
    assert_eq!(c.state, "joint_review");
    let c = run(
        case.id,
        4,
        lead,
        "branch_approve",
        json!({ "opinion": "同意" }),
    )
    .await
    .unwrap();
    assert_eq!(c.state, "approved");

    // One refuses: the case ends refused.
    let case = egov_cases::start(
        app.db(),
        &ctx,
        &cal,
        Acting::Handler {
            department_id: lead,
        },
        new(),
    )
    .await
    .unwrap();
    run(case.id, 1, lead, "accept", json!({})).await.unwrap();
    run(case.id, 2, tax, "branch_approve", json!({}))
        .await
        .unwrap();
    assert!(matches!(
        run(case.id, 3, police, "branch_refuse", json!({})).await,
        Err(CaseError::Fields(_))
    ));
    let c = run(
        case.id,
        3,
        police,
        "branch_refuse",
        json!({ "reasons": "经营场所不符合要求" }),
    )
    .await
    .unwrap();
    assert_eq!(c.state, "refused");
    assert!(c.closed_at.is_some());
}

#[tokio::test]
async fn two_people_acting_at_once_one_wins() {
    let app = TestApp::new().await;
    let cal = std::sync::Arc::new(egov_calendar::load_calendar(app.db()).await.unwrap());
    let def = std::sync::Arc::new(license());
    let scj = dept(&app, "110105-SCJGJ").await;
    let ctx = Context::system();
    let case = egov_cases::start(
        app.db(),
        &ctx,
        &cal,
        Acting::Handler { department_id: scj },
        NewCase::new(&def, scj, "食品经营许可"),
    )
    .await
    .unwrap();
    let handler = Acting::Handler { department_id: scj };
    let a = egov_cases::act(
        app.db(),
        &ctx,
        &cal,
        &def,
        case.id,
        1,
        handler,
        "accept",
        json!({}),
    );
    let b = egov_cases::act(
        app.db(),
        &ctx,
        &cal,
        &def,
        case.id,
        1,
        handler,
        "not_accept",
        json!({ "reasons": "不属于本部门" }),
    );
    let (a, b) = tokio::join!(a, b);
    let wins = [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count();
    assert_eq!(wins, 1, "{a:?} / {b:?}");
    let loser = if a.is_err() { a } else { b };
    assert!(
        matches!(loser, Err(CaseError::Conflict { .. })),
        "{loser:?}"
    );
    assert_eq!(
        egov_cases::timeline(app.db(), case.id).await.unwrap().len(),
        2
    );
}
