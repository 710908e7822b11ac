//! Notifications: the steps of an application tell the applicant and the
//! department in their message centres; supervision's cards and orders tell
//! the department; the outbox sends by text message and email (a real SMTP
//! conversation on a socket), retries a failed send later and never fails
//! the step that queued it; an administrator's wording is checked and used.

use crate::common;

use axum::http::StatusCode;
use common::casework::{answer_point, backdate, citizen, dept, staff, Caller};
use common::TestApp;
use egov_identity::Role;
use egov_kernel::{Context, Locale};
use egov_notify::outbox::{self, Channel, Filter};
use egov_notify::sender::{Sender, Senders};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn messages(app: &TestApp, who: &Caller) -> Value {
    who.get(app, "/api/v1/messages").await
}

fn subjects(list: &Value) -> Vec<String> {
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_owned())
        .collect()
}

async fn open_licence(app: &TestApp, resident: &Caller) -> String {
    let res = resident
        .post(
            app,
            "/api/v1/cases",
            json!({"process": "administrative_license",
            "department": "110105-SCJGJ", "title": "食品经营许可"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_application_s_steps_tell_the_department_and_the_applicant() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let gaj = dept(&app, "110105-GAJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let elsewhere = staff(&app, "handler.zhao", gaj, &[Role::Handler]).await;
    let resident = citizen(&app, "zhang.san").await;
    let number = open_licence(&app, &resident).await;

    // The new case reaches the department's handlers, and no one else.
    let told = messages(&app, &handler).await;
    assert_eq!(told["unread"], 1);
    assert_eq!(told["messages"][0]["kind"], "task_assigned");
    assert_eq!(told["messages"][0]["link"], format!("/cases/{number}"));
    assert!(subjects(&told)[0].contains(&number), "{told}");
    assert_eq!(messages(&app, &elsewhere).await["unread"], 0);
    assert_eq!(messages(&app, &resident).await["unread"], 0);

    // Corrections: the applicant hears exactly what is missing.
    let res = handler
        .act(
            &app,
            &number,
            "request_correction",
            json!({"missing": ["营业执照副本", "场所平面图"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let told = messages(&app, &resident).await;
    assert_eq!(told["messages"][0]["kind"], "correction_requested");
    let body = told["messages"][0]["body"].as_str().unwrap();
    assert!(body.contains("营业执照副本；场所平面图"), "{body}");

    // Answered point by point: back with the handler as a task again.
    for item in ["营业执照副本", "场所平面图"] {
        let res = answer_point(&app, &resident, &number, item).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        assert_eq!(res.json()["answers"], item);
    }
    let res = resident.act(&app, &number, "resubmit", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(messages(&app, &handler).await["unread"], 2);

    // Accepted, then decided: the applicant is told each, in English when
    // they read in English.
    for (action, fields) in [("accept", json!({})), ("approve", json!({}))] {
        let res = handler.act(&app, &number, action, fields).await;
        assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.body);
    }
    let told = messages(&app, &resident).await;
    let kinds: Vec<&str> = told["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["case_decided", "case_accepted", "correction_requested"]
    );
    assert!(subjects(&told)[0].ends_with("准予许可"), "{told}");
    let english = app
        .get_with(
            "/api/v1/messages",
            &[("cookie", &resident.0), ("accept-language", "en")],
        )
        .await
        .json();
    assert!(subjects(&english)[0].ends_with("Granted"), "{english}");

    // Read one, then all: the count follows, and reading is audited.
    let id = told["messages"][2]["id"].as_i64().unwrap();
    let res = resident
        .post(&app, &format!("/api/v1/messages/{id}/read"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(messages(&app, &resident).await["unread"], 2);
    // Someone else's message is not found for them.
    handler
        .post(&app, &format!("/api/v1/messages/{id}/read"), json!({}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = resident
        .post(&app, "/api/v1/messages/read-all", json!({}))
        .await;
    assert_eq!(res.json()["marked"], 2);
    assert_eq!(messages(&app, &resident).await["unread"], 0);
    assert_eq!(
        app.count_where(
            "audit_log",
            "action IN ('message.read', 'message.read_all')"
        )
        .await,
        2
    );
    // Nothing was sent anywhere: the resident did not ask for texts.
    assert_eq!(app.count_where("outbox", "kind IS NOT NULL").await, 0);
}

#[tokio::test]
async fn cards_and_orders_tell_the_department_and_the_answer_tells_the_supervisor() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let supervisor = staff(&app, "jiancha.chen", scj, &[Role::Supervisor]).await;
    let resident = citizen(&app, "zhang.san").await;
    let number = open_licence(&app, &resident).await;
    backdate(&app, &number).await;
    egov_cases::supervision::scan(app.db(), "node-a", egov_kernel::time::now(), 10)
        .await
        .unwrap();
    let told = messages(&app, &handler).await;
    let kinds: Vec<&str> = told["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "deadline_warning",
        "yellow_card",
        "red_card",
        "task_assigned",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // A second scan raises nothing again, and tells nobody again.
    egov_cases::supervision::scan(app.db(), "node-b", egov_kernel::time::now(), 10)
        .await
        .unwrap();
    assert_eq!(messages(&app, &handler).await["unread"], 4);

    let case = handler.get(&app, &format!("/api/v1/cases/{number}")).await;
    let res = supervisor
        .post(
            &app,
            &format!("/api/v1/cases/{number}/orders"),
            json!({"body": "请于三日内办结并说明超期原因"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let order = res.json()["id"].as_i64().unwrap();
    let told = messages(&app, &handler).await;
    assert_eq!(told["messages"][0]["kind"], "supervision_order");
    assert!(told["messages"][0]["body"]
        .as_str()
        .unwrap()
        .contains("请于三日内办结"));
    let res = handler
        .post(
            &app,
            &format!("/api/v1/orders/{order}/answer"),
            json!({"answer": "已于今日办结"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let told = messages(&app, &supervisor).await;
    assert_eq!(told["messages"][0]["kind"], "order_answered");
    assert_eq!(case["number"], number.as_str());
}

/// Turns on text messages for the signed-in resident.
async fn wants_texts(app: &TestApp, user_id: i64) {
    egov_identity::contacts::set_preferences(
        app.db(),
        &Context::system(),
        user_id,
        true,
        false,
        Locale::Zh,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn texts_go_out_through_the_sender_and_a_failed_one_is_tried_again_later() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let resident = citizen(&app, "zhang.san").await;
    wants_texts(&app, app.user_id("zhang.san").await).await;
    let number = open_licence(&app, &resident).await;
    let res = handler.act(&app, &number, "accept", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let waiting = app
        .count_where("outbox", "channel = 'sms' AND kind = 'case_accepted'")
        .await;
    assert_eq!(waiting, 1, "queued with the step");

    // The gateway is down: the step stood, the text waits for a later try.
    let down = Senders {
        email: None,
        sms: Some(Sender::SmsGateway {
            http: reqwest_client(),
            url: "http://127.0.0.1:9/sms".into(),
        }),
    };
    let templates = egov_notify::templates::current(app.db()).await.unwrap();
    let sent = outbox::deliver(app.db(), &down, &templates, "https://egov.example")
        .await
        .unwrap();
    assert_eq!(sent, 0);
    let tried = app
        .count_where(
            "outbox",
            "kind = 'case_accepted' AND attempts = 1 AND sent_at IS NULL \
             AND last_error IS NOT NULL AND failed_at IS NULL",
        )
        .await;
    assert_eq!(tried, 1);
    // Not due again at once: the next try waits.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.jsonl");
    let to_file = Senders {
        email: None,
        sms: Some(Sender::File(file.clone())),
    };
    let sent = outbox::deliver(app.db(), &to_file, &templates, "https://egov.example")
        .await
        .unwrap();
    assert_eq!(sent, 0, "the failed text waits its turn");
    app.db()
        .execute(egov_store::query(
            "UPDATE outbox SET next_attempt_at = created_at WHERE kind = 'case_accepted'",
        ))
        .await
        .unwrap();
    let sent = outbox::deliver(app.db(), &to_file, &templates, "https://egov.example")
        .await
        .unwrap();
    assert_eq!(sent, 1);
    let line: Value = serde_json::from_str(
        std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(line["channel"], "sms");
    assert_eq!(line["to"], "13800138000");
    let text = line["body"].as_str().unwrap();
    assert!(text.contains(&number) && text.contains("已受理"), "{text}");
    // Sent once only.
    let sent = outbox::deliver(app.db(), &to_file, &templates, "https://egov.example")
        .await
        .unwrap();
    assert_eq!(sent, 0);
}

fn reqwest_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap()
}

/// A mail server that takes every message and hands each one's DATA to
/// the test: enough SMTP for a client to deliver.
async fn smtp_server() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            tx.send(std::mem::take(body)).unwrap();
                            data = None;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn an_email_address_is_confirmed_by_code_and_notices_then_go_by_smtp() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let resident = citizen(&app, "zhang.san").await;
    let user = app.user_id("zhang.san").await;
    let ctx = Context::system();
    // Email cannot be chosen before an address is confirmed.
    let refused =
        egov_identity::contacts::set_preferences(app.db(), &ctx, user, false, true, Locale::En)
            .await;
    assert!(refused.is_err());
    egov_identity::contacts::start_email_confirmation(app.db(), &ctx, user, "Zhang.San@Example.cn")
        .await
        .unwrap();
    // A second code within the minute is refused: each is an email to an
    // address anyone may type.
    assert!(egov_identity::contacts::start_email_confirmation(
        app.db(),
        &ctx,
        user,
        "someone.else@example.cn"
    )
    .await
    .is_err());
    let text = egov_identity::contacts::newest_email_to(app.db(), "zhang.san@example.cn")
        .await
        .unwrap()
        .unwrap();
    let code: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(
        egov_identity::contacts::confirm_email(app.db(), &ctx, user, wrong)
            .await
            .is_err()
    );
    let email = egov_identity::contacts::confirm_email(app.db(), &ctx, user, &code)
        .await
        .unwrap();
    assert_eq!(email, "zhang.san@example.cn");
    egov_identity::contacts::set_preferences(app.db(), &ctx, user, false, true, Locale::En)
        .await
        .unwrap();

    let number = open_licence(&app, &resident).await;
    let res = handler
        .act(
            &app,
            &number,
            "request_correction",
            json!({"missing": ["营业执照副本"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let (port, mut received) = smtp_server().await;
    let url = secrecy::SecretString::from(format!("smtp://127.0.0.1:{port}"));
    let senders = Senders {
        email: Some(Sender::smtp(&url, "egov <noreply@egov.example>").unwrap()),
        sms: None,
    };
    let templates = egov_notify::templates::current(app.db()).await.unwrap();
    let sent = outbox::deliver(app.db(), &senders, &templates, "https://egov.example/")
        .await
        .unwrap();
    // The confirmation code and the notice.
    assert_eq!(sent, 2);
    let mut mails = [
        received.recv().await.unwrap(),
        received.recv().await.unwrap(),
    ];
    mails.sort_by_key(|m| !m.contains("corrections"));
    let notice = &mails[0];
    assert!(notice.contains("To: zhang.san@example.cn"), "{notice}");
    assert!(
        notice.contains("needs the following corrections"),
        "{notice}"
    );
    assert!(
        notice.contains(&format!("https://egov.example/cases/{number}")),
        "{notice}"
    );
    let listed = outbox::list(
        app.db(),
        &templates,
        "",
        Filter {
            channel: Some(Channel::Email),
            ..Filter::default()
        },
        10,
    )
    .await
    .unwrap();
    assert!(listed.iter().all(|m| m.sent_at.is_some()));
}

#[tokio::test]
async fn an_administrator_s_wording_is_checked_then_used_and_reset() {
    let app = TestApp::new().await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let handler = staff(&app, "handler.wang", scj, &[Role::Handler]).await;
    let resident = citizen(&app, "zhang.san").await;
    let ctx = Context::system();
    let bad = egov_notify::Wording {
        subject: "待办 {number} {password}".into(),
        body: "b".into(),
        sms: "s".into(),
    };
    let refused =
        egov_notify::templates::save(app.db(), &ctx, "task_assigned", Locale::Zh, bad).await;
    assert!(matches!(
        refused,
        Err(egov_notify::NotifyError::UnknownPlaceholder { .. })
    ));
    assert_eq!(app.count("notification_templates").await, 0);
    let good = egov_notify::Wording {
        subject: "【待办】{title}，编号 {number}".into(),
        body: "请及时办理。".into(),
        sms: "待办 {number}".into(),
    };
    egov_notify::templates::save(app.db(), &ctx, "task_assigned", Locale::Zh, good)
        .await
        .unwrap();
    let number = open_licence(&app, &resident).await;
    let told = messages(&app, &handler).await;
    assert_eq!(
        subjects(&told)[0],
        format!("【待办】食品经营许可，编号 {number}")
    );
    egov_notify::templates::reset(app.db(), &ctx, "task_assigned", Locale::Zh)
        .await
        .unwrap();
    let told = messages(&app, &handler).await;
    assert!(subjects(&told)[0].starts_with("新的待办"), "{told}");
    assert_eq!(
        app.count_where("audit_log", "action LIKE 'notify.template_%'")
            .await,
        2
    );
}
