//! Applying online through the pages, as an enterprise does: begin from the
//! guide, attach the materials (checked by content), file once (a double
//! click files one application), and the case opens with its materials for
//! the departments, jointly when the item says so. Nothing half-saved when
//! a material is missing, a file lies about its type, the item is
//! withdrawn, or someone else's draft is touched.

use crate::common;

use axum::http::{Method, StatusCode};
use common::casework::{answer_point, citizen, dept, staff, Caller};
use common::{TestApp, TestResponse};
use egov_identity::Role;
use egov_kernel::Context;

const ITEM: &str = include_str!("fixtures/service-item.toml");
const CODE: &str = "110105SCJGJ9001";
static PDF: std::sync::LazyLock<Vec<u8>> =
    std::sync::LazyLock::new(|| egov_cases::attachments::samples::pdf("申请材料", b""));

async fn publish(app: &TestApp) {
    let ctx = Context::system();
    egov_services::registry::load(app.db(), &ctx, ITEM)
        .await
        .unwrap();
    egov_services::registry::publish(app.db(), &ctx, CODE)
        .await
        .unwrap();
}

async fn enterprise(app: &TestApp, name: &str) -> Caller {
    app.enterprise(name).await;
    enterprise_session(app, name).await
}

/// A new session of a registered enterprise account (the harness's password).
async fn enterprise_session(app: &TestApp, name: &str) -> Caller {
    let (cookie, csrf) = app.sign_in(name, "Qi-Ye-Fa-Ren-2026").await;
    Caller(cookie, csrf)
}

/// A page form's multipart body: its text fields and one file.
pub(crate) fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    crate::common::casework::multipart_form(fields, &[("file", file.0, file.1)])
}

async fn upload(
    app: &TestApp,
    who: &Caller,
    id: i64,
    material: &str,
    file: (&str, &[u8]),
) -> TestResponse {
    let (ct, body) = multipart(&[("csrf", &who.1), ("material", material)], file);
    app.send(
        Method::POST,
        &format!("/applications/{id}/files"),
        &[("cookie", &who.0), ("content-type", &ct)],
        body,
    )
    .await
}

async fn begin(app: &TestApp, who: &Caller) -> TestResponse {
    app.post_form(
        &format!("/services/{CODE}/apply"),
        Some(&who.0),
        &[("csrf", &who.1)],
    )
    .await
}

fn key_of(page: &str) -> String {
    let at = page.find("name=\"key\" value=\"").expect("the form's key") + 18;
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn an_enterprise_applies_with_its_materials_and_the_departments_receive_it() {
    let app = TestApp::new().await;
    publish(&app).await;
    let company = enterprise(&app, "qiye.wang").await;
    let resident = citizen(&app, "zhang.san").await;

    // The guide offers the application; a citizen is told this item serves 法人.
    let guide = app
        .get_with(&format!("/services/{CODE}"), &[("cookie", &company.0)])
        .await;
    assert!(guide.body.contains("在线申请"));
    // A citizen is not offered what they cannot apply for, and is told why.
    let theirs = app
        .get_with(&format!("/services/{CODE}"), &[("cookie", &resident.0)])
        .await;
    assert!(!theirs
        .body
        .contains(&format!("action=\"/services/{CODE}/apply\"")));
    assert!(theirs
        .body
        .contains("您的账户不能申请此事项。此事项的服务对象是：法人"));
    let refused = begin(&app, &resident).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("服务对象是法人"));

    let started = begin(&app, &company).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let path = started.header("location").to_owned();
    let id: i64 = path.trim_start_matches("/applications/").parse().unwrap();
    // While a draft, "my cases" lists it to go on with.
    let listed = app.get_with("/cases", &[("cookie", &company.0)]).await;
    assert!(
        listed.body.contains("尚未提交")
            && listed
                .body
                .contains(&format!(r#"href="/applications/{id}""#)),
        "{}",
        listed.body
    );
    // Beginning again resumes the same draft.
    assert_eq!(begin(&app, &company).await.header("location"), path);
    // Someone else's draft does not exist for them.
    let other = &resident;
    assert_eq!(
        app.get_with(&path, &[("cookie", &other.0), ("accept", "text/html")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        upload(&app, other, id, "0", ("申请书.pdf", &PDF))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Filing without the required material: refused, listing it; no case.
    let materials = format!("{path}/materials");
    let check = format!("{path}/check");
    let draft = app.get_with(&materials, &[("cookie", &company.0)]).await;
    assert!(draft.body.contains("提交前还需上传：食品经营许可申请书"));
    let draft = app.get_with(&check, &[("cookie", &company.0)]).await;
    assert!(draft.body.contains("提交前还需上传：食品经营许可申请书"));
    assert!(
        draft.body.contains("尚未上传"),
        "the check page says what is not uploaded"
    );
    let key = key_of(&draft.body);
    let submit = format!("{path}/submit");
    let missing = app
        .post_form(
            &submit,
            Some(&company.0),
            &[("csrf", &company.1), ("key", &key)],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("还缺少以下材料：食品经营许可申请书"));
    // Shown where it is put right: the materials' step.
    assert!(missing.body.contains("id=\"materials-heading\""));
    assert_eq!(app.count("cases").await, 0);

    // A picture named .pdf is refused by its content; a forged token too.
    let png = egov_cases::attachments::samples::png();
    let lie = upload(&app, &company, id, "0", ("申请书.pdf", &png)).await;
    assert_eq!(lie.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(lie.body.contains("与扩展名不符"));
    let (ct, body) = multipart(
        &[("csrf", "forged"), ("material", "0")],
        ("申请书.pdf", &PDF),
    );
    let forged = app
        .send(
            Method::POST,
            &format!("{path}/files"),
            &[("cookie", &company.0), ("content-type", &ct)],
            body,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("application_files").await, 0);

    let ok = upload(&app, &company, id, "0", ("申请书.pdf", &PDF)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.header("location"), format!("{materials}?done=file"));
    // The second material may follow later: filing goes ahead without it.
    let draft = app.get_with(&materials, &[("cookie", &company.0)]).await;
    assert!(draft.body.contains("申请书.pdf") && !draft.body.contains("提交前还需上传"));
    let form_step = app.get_with(&path, &[("cookie", &company.0)]).await;
    assert!(form_step
        .body
        .contains("for=\"apply-f_shop_name\">店铺名称"));
    assert!(
        !form_step.body.contains("type=\"file\""),
        "the form's step has no uploads"
    );

    // The item's form: filing without its required field is refused with
    // the field marked (on the form's step); what is typed wrong is
    // refused, nothing saved; a draft may be saved incomplete.
    let draft = app.get_with(&check, &[("cookie", &company.0)]).await;
    let key = key_of(&draft.body);
    let form = [("csrf", company.1.as_str()), ("key", key.as_str())];
    let unfilled = app.post_form(&submit, Some(&company.0), &form).await;
    assert_eq!(unfilled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unfilled.body.contains("请检查标出的内容") && unfilled.body.contains("aria-invalid"));
    assert!(unfilled.body.contains("id=\"form-heading\""));
    assert_eq!(app.count("cases").await, 0);
    let save = format!("{path}/form");
    let wrong = app
        .post_form(
            &save,
            Some(&company.0),
            &[
                ("csrf", &company.1),
                ("f_shop_name", "老王"),
                ("f_seats", "很多"),
                ("note", "请尽快"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains("id=\"apply-f_seats-error\""),
        "{}",
        wrong.body
    );
    // What was typed is shown again for correction.
    assert!(wrong.body.contains("value=\"很多\"") && wrong.body.contains("请尽快"));
    assert_eq!(
        app.count_where("audit_log", "action = 'application.save'")
            .await,
        0
    );
    let partial = app
        .post_form(
            &save,
            Some(&company.0),
            &[("csrf", &company.1), ("f_seats", "12")],
        )
        .await;
    assert_eq!(partial.status, StatusCode::SEE_OTHER, "{}", partial.body);
    let mut typed = vec![
        ("csrf", company.1.as_str()),
        ("f_shop_name", "老王<b>面馆</b>"),
        ("f_seats", "12"),
        ("note", "请尽快"),
    ];
    let saved = app.post_form(&save, Some(&company.0), &typed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let draft = app
        .get_with(saved.header("location"), &[("cookie", &company.0)])
        .await;
    assert!(draft.body.contains("草稿已保存") && draft.body.contains("value=\"12\""));
    assert!(draft.body.contains("老王&#60;b&#62;面馆") || draft.body.contains("老王&lt;b&gt;面馆"));
    // "Save and continue" goes on to the materials.
    typed.push(("then", "materials"));
    let onward = app.post_form(&save, Some(&company.0), &typed).await;
    assert_eq!(onward.header("location"), format!("{materials}?done=saved"));

    // The check page lists every answer (escaped) with a link to change it,
    // and each material with what was uploaded.
    let draft = app.get_with(&check, &[("cookie", &company.0)]).await;
    assert!(
        draft
            .body
            .contains("<dt>店铺名称</dt><dd>老王&#60;b&#62;面馆&#60;/b&#62;</dd>"),
        "{}",
        draft.body
    );
    assert!(draft.body.contains("<dt>餐位数</dt><dd>12</dd>"));
    assert!(draft
        .body
        .contains(&format!("href=\"{path}#apply-f_shop_name\"")));
    assert!(draft.body.contains("<dd>申请书.pdf</dd>"));
    assert!(!draft.body.contains("提交前还需上传"));
    let key = key_of(&draft.body);
    let form = [("csrf", company.1.as_str()), ("key", key.as_str())];
    let filed = app.post_form(&submit, Some(&company.0), &form).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let case_path = filed.header("location").to_owned();
    // A double click files one application.
    let again = app.post_form(&submit, Some(&company.0), &form).await;
    assert_eq!(again.header("location"), case_path);
    assert_eq!(app.count("cases").await, 1);
    let number = case_path
        .trim_start_matches("/cases/")
        .trim_end_matches("?done=opened")
        .to_owned();
    // The confirmation: the case number and what happens next.
    let confirmed = app.get_with(&case_path, &[("cookie", &company.0)]).await;
    assert!(confirmed.body.contains("申请已提交") && confirmed.body.contains("接下来会怎样"));
    assert!(confirmed
        .body
        .contains(&format!("<code translate=\"no\">{number}</code></strong>")));
    // Where it stands, in the applicant's words: filed, acceptance next;
    // none of the staff's supervision times.
    assert!(
        confirmed.body.contains("<li class=\"done\">已提交"),
        "{}",
        confirmed.body
    );
    assert!(confirmed
        .body
        .contains("<li class=\"current\" aria-current=\"step\">受理</li>"));
    assert!(!confirmed.body.contains("id=\"alert-level\"") && !confirmed.body.contains("预警时间"));

    // The case: joint approval under the item, the material attached.
    let case = company.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["process_id"], "joint_approval");
    assert_eq!(case["title"], "食品经营许可（测试）");
    assert_eq!(case["data"]["item"], CODE);
    assert_eq!(case["attachments"][0]["name"], "申请书.pdf");
    assert_eq!(case["data"]["form"]["shop_name"], "老王<b>面馆</b>");
    assert_eq!(case["data"]["form"]["seats"], 12);
    assert_eq!(case["data"]["note"], "请尽快");
    // Staff read the form under the guide's labels.
    let shown = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &company.0)])
        .await;
    assert!(shown.body.contains("店铺名称") && shown.body.contains("餐位数"));
    // Filed: the draft takes no more files.
    let late = upload(&app, &company, id, "1", ("制度.pdf", &PDF)).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let scj = dept(&app, "110105-SCJGJ").await;
    let tax = dept(&app, "110105-SWZJ").await;
    let lead = staff(&app, "handler.scj", scj, &[Role::Handler]).await;
    // Staff see the supervision times, not the applicant's progress line.
    let staff_view = app.get_with(&case_path, &[("cookie", &lead.0)]).await;
    assert!(staff_view.body.contains("id=\"alert-level\""));
    assert!(!staff_view.body.contains("id=\"progress\""));
    // One 补正 notice listing everything missing; the clock stands until
    // the applicant answers it, with the file, on the case page.
    let res = lead
        .act(
            &app,
            &number,
            "request_correction",
            serde_json::json!({"missing": ["食品安全管理制度文本"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let asked = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &company.0)])
        .await;
    assert!(asked.body.contains("食品安全管理制度文本") && asked.body.contains("暂停计时"));
    assert!(asked.body.contains("value=\"resubmit\""));
    // The expected decision waits for the clock to run again.
    assert!(asked.body.contains("暂停计时中，恢复计时后重新计算"));
    // The page lists the point with a slot of its own; without a file for
    // it the corrections cannot go back.
    assert!(asked.body.contains("id=\"corrections-heading\""));
    assert!(asked
        .body
        .contains("name=\"answers\" value=\"食品安全管理制度文本\""));
    company
        .act(&app, &number, "resubmit", serde_json::json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "corrections_unanswered");
    // A point the request did not name is refused, and nothing is stored.
    let files_before = app.count("case_attachments").await;
    let (ct, body) = multipart(
        &[("csrf", &company.1), ("answers", "营业执照")],
        ("管理制度.pdf", &PDF),
    );
    let refused = app
        .send(
            Method::POST,
            &format!("/cases/{number}/attachments"),
            &[("cookie", &company.0), ("content-type", &ct)],
            body,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("case_attachments").await, files_before);
    let (ct, body) = multipart(
        &[("csrf", &company.1), ("answers", "食品安全管理制度文本")],
        ("管理制度.pdf", &PDF),
    );
    let added = app
        .send(
            Method::POST,
            &format!("/cases/{number}/attachments"),
            &[("cookie", &company.0), ("content-type", &ct)],
            body,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let version =
        company.get(&app, &format!("/api/v1/cases/{number}")).await["version"].to_string();
    let answered = app
        .post_form(
            &format!("/cases/{number}/actions"),
            Some(&company.0),
            &[
                ("csrf", &company.1),
                ("action", "resubmit"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    // The handler sees who applied (numbers masked), each file under the
    // guide's name for the material, and which file answered the 补正.
    let seen = app.get_with(&case_path, &[("cookie", &lead.0)]).await;
    assert!(
        seen.body
            .contains("id=\"applicant-enterprise\">北京示例科技有限公司"),
        "{}",
        seen.body
    );
    assert!(seen.body.contains("id=\"applicant-phone\">139****9000"));
    assert!(seen
        .body
        .contains("<strong class=\"material\">食品经营许可申请书</strong>"));
    assert!(
        seen.body.contains("答复： 一次性告知补正（")
            && seen.body.contains("）：食品安全管理制度文本")
    );
    assert!(seen.body.contains("?inline=true"), "a preview of the PDFs");
    // The applicant's own page has no such panel, and may not ask for it.
    assert!(!app
        .get_with(&case_path, &[("cookie", &company.0)])
        .await
        .body
        .contains("applicant-heading"));
    let reveal = format!("/cases/{number}/applicant");
    let refused = app
        .post_form(&reveal, Some(&company.0), &[("csrf", &company.1)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unmasked = app
        .post_form(&reveal, Some(&lead.0), &[("csrf", &lead.1)])
        .await;
    assert_eq!(unmasked.status, StatusCode::OK);
    assert!(unmasked.body.contains("id=\"applicant-phone\">13900139000"));
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!("action = 'person.view_unmasked' AND detail LIKE '%{number}%'")
        )
        .await,
        1
    );
    // The preview: the file shown in place, framed by our own pages only.
    let href = lead.get(&app, &format!("/api/v1/cases/{number}")).await["attachments"][0]["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = app
        .get_with(&format!("{href}?inline=true"), &[("cookie", &lead.0)])
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.header("content-disposition").starts_with("inline;"));
    assert!(shown
        .header("content-security-policy")
        .contains("frame-ancestors 'self'"));
    let saved = app.get_with(&href, &[("cookie", &lead.0)]).await;
    assert!(saved
        .header("content-disposition")
        .starts_with("attachment;"));
    // The lead department accepts; it and the co-handling tax bureau each
    // get a branch to decide their part in parallel (行政许可法 Art. 26).
    let res = lead
        .act(&app, &number, "accept", serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let branches = res.json()["branches"].clone();
    assert_eq!(branches[0]["department"], "110105-SCJGJ");
    assert_eq!(branches[1]["department"], "110105-SWZJ");
    // 预计办结: the item's promised 10 working days from acceptance.
    let cal = egov_calendar::load_calendar(app.db()).await.unwrap();
    let case = company.get(&app, &format!("/api/v1/cases/{number}")).await;
    let accepted = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "accept")
        .map(|e| {
            e["at"]
                .as_str()
                .unwrap()
                .parse::<egov_kernel::time::Timestamp>()
                .unwrap()
        })
        .unwrap();
    let day = egov_kernel::time::beijing(accepted).date();
    let by = cal
        .add_workdays(day, 10)
        .date()
        .format("%Y-%m-%d")
        .to_string();
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &company.0)])
        .await;
    assert!(
        page.body.contains(&format!("<dd id=\"expected\">{by}前")),
        "expected {by}"
    );
    // The item's statutory 20 working days bind the joint review, not the
    // joint-approval process's general 45.
    let amount: i32 = {
        let mut r = app.db().reader().await.unwrap();
        egov_store::run!(r, |c| sqlx::query_scalar("SELECT due_amount FROM cases")
            .fetch_one(&mut *c)
            .await)
        .unwrap()
    };
    assert_eq!(amount, 20);
    // No result before the decision.
    let early = app
        .get_with(
            &format!("/cases/{number}/result"),
            &[("cookie", &company.0), ("accept", "text/html")],
        )
        .await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);
    // The lead approves its part; the case waits for the tax bureau's.
    let res = lead
        .act(&app, &number, "branch_approve", serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["state"], "joint_review");
    // The tax bureau approves its branch; the joint approval ends approved.
    let taxman = staff(&app, "handler.tax", tax, &[Role::Handler]).await;
    let res = taxman
        .act(&app, &number, "branch_approve", serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["state"], "approved");

    // The lead department's seal, as an administrator uploads it.
    egov_org::set_seal(
        app.db(),
        &Context::system(),
        "110105-SCJGJ",
        Some(crate::documents::seal_png()),
    )
    .await
    .unwrap();
    // The applicant downloads the result; its code checks out in public.
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &company.0)])
        .await;
    assert!(page.body.contains(&format!("/cases/{number}/result")));
    let pdf = app
        .get_with(
            &format!("/cases/{number}/result"),
            &[("cookie", &company.0)],
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    // A real document: one A4 page, both faces embedded as subsets, the
    // lead department's seal pressed on it.
    let doc = lopdf::Document::load_mem(&pdf.bytes).unwrap();
    assert_eq!(doc.get_pages().len(), 1);
    let subsets = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"FontFile3").is_ok() || d.get(b"FontFile2").is_ok())
        .count();
    assert_eq!(subsets, 2);
    let images = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| {
            s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() == Some(b"Image".as_ref())
        })
        .count();
    assert!(images >= 1, "the seal is drawn");
    let code = app
        .texts("SELECT code FROM result_documents")
        .await
        .remove(0);
    let issued = egov_services::result::verify(app.db(), &code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issued.title(), "准予行政许可决定书");
    assert_eq!(issued.issuer_name, "北京市朝阳区市场监督管理局");
    let stated = issued.particulars();
    assert_eq!(stated.result, "食品经营许可证");
    assert_eq!(stated.parts.len(), 2, "{stated:?}");
    assert!(stated.parts.iter().all(|p| p.approved));
    // The body says what the law asks of a grant.
    let body: Vec<_> = issued
        .body()
        .into_iter()
        .map(|b| match b {
            egov_documents::Block::Paragraph(t) | egov_documents::Block::Heading(t) => t,
        })
        .collect();
    assert!(
        body.iter().any(|p| p.contains("第三十八条第一款")),
        "{body:?}"
    );
    assert!(
        body.iter().any(|p| p.contains("结果：食品经营许可证")),
        "{body:?}"
    );
    // Downloading again issues nothing new.
    app.get_with(
        &format!("/cases/{number}/result"),
        &[("cookie", &company.0)],
    )
    .await;
    assert_eq!(app.count("result_documents").await, 1);
    // Someone else cannot fetch it.
    let theirs = app
        .get_with(
            &format!("/cases/{number}/result"),
            &[("cookie", &resident.0), ("accept", "text/html")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let checked = app
        .get(&format!(
            "/verify?code={}",
            code.to_lowercase().replace('-', "+")
        ))
        .await;
    assert_eq!(checked.status, StatusCode::OK);
    assert!(checked.body.contains("核验通过") && checked.body.contains("食品经营许可（测试）"));
    assert!(checked.body.contains("准予许可") && checked.body.contains(&number));
    // The public check shows the particulars and the digest printed on it.
    assert!(checked.body.contains("准予行政许可决定书"));
    assert!(checked.body.contains("北京市朝阳区市场监督管理局"));
    assert!(checked.body.contains(&format!(
        "<code id=\"digest\" class=\"digest\" translate=\"no\">{}</code>",
        issued.digest()
    )));
    assert_eq!(issued.digest().len(), 64);

    // The licence granted is in the enterprise's wallet (电子证照), checkable
    // in public; nobody else can fetch it.
    let wallet = app
        .get_with("/account/certificates", &[("cookie", &company.0)])
        .await;
    assert_eq!(wallet.status, StatusCode::OK);
    assert!(wallet.body.contains("食品经营许可证"), "{}", wallet.body);
    let cert = app.texts("SELECT code FROM certificates").await.remove(0);
    assert_ne!(cert, code);
    let cert_pdf = app
        .get_with(
            &format!("/account/certificates/{cert}"),
            &[("cookie", &company.0)],
        )
        .await;
    assert_eq!(cert_pdf.header("content-type"), "application/pdf");
    assert_eq!(
        lopdf::Document::load_mem(&cert_pdf.bytes)
            .unwrap()
            .get_pages()
            .len(),
        1
    );
    let not_theirs = app
        .get_with(
            &format!("/account/certificates/{cert}"),
            &[("cookie", &resident.0), ("accept", "text/html")],
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    let stranger = egov_services::application::Party {
        user_id: app.user_id("zhang.san").await,
        enterprise_id: None,
    };
    assert!(egov_services::certificates::held(app.db(), &cert, stranger)
        .await
        .unwrap()
        .is_none());
    let checked = app.get(&format!("/verify?code={cert}")).await;
    assert_eq!(checked.status, StatusCode::OK);
    assert!(
        checked.body.contains("该电子证照由本平台签发") && checked.body.contains("食品经营许可证")
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'certificate.issue'")
            .await,
        1
    );

    let forged = app.get("/verify?code=ABCD-EFGH-JKLM-NPQR").await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    assert!(forged.body.contains("核验码无效"));

    // The applicant rates it; the public statistics count it.
    let rated = app
        .post_form(
            &format!("/cases/{number}/rating"),
            Some(&company.0),
            &[("csrf", &company.1), ("grade", "5")],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.body);
    let stats = app.get("/services/statistics").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(stats.body.contains("北京市朝阳区市场监督管理局") && stats.body.contains("100.0%"));
    // The co-handling tax bureau has a line of its own, saying its part.
    let metrics = lead
        .get(&app, "/api/v1/metrics/cases?process=joint_approval")
        .await;
    let line = |code: &str| {
        metrics["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["department"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no line for {code}: {metrics}"))
    };
    assert_eq!(line("110105-SCJGJ")["role"], "handling");
    let co = line("110105-SWZJ");
    assert_eq!(co["role"], "co_handling");
    assert_eq!(
        (co["received"].as_u64(), co["closed"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(stats.body.contains("联办"), "the table names the part");

    // The draft is gone from the applicant's list; the case is there.
    let mine = app.get_with("/cases", &[("cookie", &company.0)]).await;
    assert!(mine.body.contains(&number), "{}", mine.body);
    assert!(
        !mine.body.contains(&format!(r#"href="/applications/{id}""#))
            && !mine.body.contains("尚未提交"),
        "{}",
        mine.body
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'application.submit'")
            .await,
        1
    );

    // A later application gives it from the wallet instead of an upload;
    // the handler sees it verified.
    let started = begin(&app, &company).await;
    let draft = started.header("location").to_owned();
    let id = draft.trim_start_matches("/applications/").to_owned();
    let materials = app
        .get_with(&format!("{draft}/materials"), &[("cookie", &company.0)])
        .await;
    assert!(
        materials
            .body
            .contains(&format!("<option value=\"{cert}\">")),
        "the wallet is not offered"
    );
    let forged = app
        .post_form(
            &format!("/applications/{id}/certificate"),
            Some(&company.0),
            &[
                ("csrf", &company.1),
                ("material", "2"),
                ("certificate", "ABCD-EFGH-JKLM-NPQR"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let given = app
        .post_form(
            &format!("/applications/{id}/certificate"),
            Some(&company.0),
            &[
                ("csrf", &company.1),
                ("material", "2"),
                ("certificate", &cert),
            ],
        )
        .await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    assert_eq!(
        app.texts(&format!(
            "SELECT certificate_code FROM application_files WHERE application_id = {id}"
        ))
        .await,
        vec![cert.clone()]
    );
}

#[tokio::test]
async fn a_withdrawn_item_cannot_be_filed() {
    let app = TestApp::new().await;
    publish(&app).await;
    let company = enterprise(&app, "qiye.wang").await;
    let id: i64 = begin(&app, &company)
        .await
        .header("location")
        .trim_start_matches("/applications/")
        .parse()
        .unwrap();
    upload(&app, &company, id, "0", ("申请书.pdf", &PDF)).await;
    egov_services::registry::withdraw(app.db(), &Context::system(), CODE)
        .await
        .unwrap();
    let res = app
        .post_form(
            &format!("/applications/{id}/submit"),
            Some(&company.0),
            &[("csrf", &company.1), ("key", "k-0123456789abcdef")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.body.contains("该事项已停止办理"));
    assert_eq!(app.count("cases").await, 0);
}

#[tokio::test]
async fn two_tabs_beginning_at_once_share_one_draft() {
    let app = TestApp::new().await;
    publish(&app).await;
    enterprise(&app, "qiye.li").await;
    let user: i64 = {
        let mut r = app.db().reader().await.unwrap();
        egov_store::run!(r, |c| sqlx::query_scalar(
            "SELECT id FROM users WHERE username = 'qiye.li'"
        )
        .fetch_one(&mut *c)
        .await)
        .unwrap()
    };
    let ctx = Context::system();
    let enterprise_id = enterprise_id_of(&app, "qiye.li").await;
    let applicant = egov_services::application::Applicant {
        party: egov_services::application::Party {
            user_id: user,
            enterprise_id: Some(enterprise_id),
        },
        audience: "法人",
        assurance: 1,
    };
    let open = || egov_services::application::draft(app.db(), &ctx, CODE, applicant);
    let (a, b) = tokio::join!(open(), open());
    assert_eq!(a.unwrap().id, b.unwrap().id);
    assert_eq!(app.count("applications").await, 1);
}

/// A material through the API: the multipart fields `material` and `file`.
async fn upload_api(
    app: &TestApp,
    who: &Caller,
    id: i64,
    material: &str,
    file: (&str, &[u8]),
) -> TestResponse {
    let (ct, body) = multipart(&[("material", material)], file);
    app.send(
        Method::POST,
        &format!("/api/v1/applications/{id}/files"),
        &[
            ("cookie", &who.0),
            ("x-csrf-token", &who.1),
            ("content-type", &ct),
        ],
        body,
    )
    .await
}

#[tokio::test]
async fn an_enterprise_applies_through_the_api() {
    let app = TestApp::new().await;
    publish(&app).await;
    let company = enterprise(&app, "qiye.api").await;
    let resident = citizen(&app, "li.si").await;
    let begin_path = format!("/api/v1/services/{CODE}/applications");

    // The item serves 法人: a citizen is refused; the enterprise begins,
    // and beginning again resumes the same draft.
    let refused = resident
        .post(&app, &begin_path, serde_json::json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let begun = company.post(&app, &begin_path, serde_json::json!({})).await;
    assert_eq!(begun.status, StatusCode::OK, "{}", begun.body);
    let draft = begun.json();
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["missing"], serde_json::json!(["食品经营许可申请书"]));
    let again = company.post(&app, &begin_path, serde_json::json!({})).await;
    assert_eq!(again.json()["id"], id);
    let path = format!("/api/v1/applications/{id}");
    let theirs = app.get_with(&path, &[("cookie", &resident.0)]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.header("content-type"), "application/problem+json");

    // The form: a wrong type is refused and nothing saved; an incomplete
    // draft is kept.
    let form = format!("{path}/form");
    let wrong = company
        .send(
            &app,
            Method::PUT,
            &form,
            serde_json::json!({"form": {"seats": "很多"}}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("/seats"), "{}", wrong.body);
    assert_eq!(
        company.get(&app, &path).await["form"],
        serde_json::json!({})
    );
    let saved = company
        .send(
            &app,
            Method::PUT,
            &form,
            serde_json::json!({"form": {"seats": 30}, "note": "接口申请"}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["form"]["seats"], 30);

    // Materials: checked by content; the index must be the guide's.
    let lie = upload_api(
        &app,
        &company,
        id,
        "0",
        ("申请书.pdf", &egov_cases::attachments::samples::png()),
    )
    .await;
    assert_eq!(
        lie.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        lie.body
    );
    let nowhere = upload_api(&app, &company, id, "9", ("申请书.pdf", &PDF)).await;
    assert_eq!(
        nowhere.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        nowhere.body
    );
    let added = upload_api(&app, &company, id, "0", ("申请书.pdf", &PDF)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.json()["material_name"], "食品经营许可申请书");
    // The material that may follow later comes now, the same bytes as the
    // first (stored once, attached twice).
    let second = upload_api(&app, &company, id, "1", ("制度.pdf", &PDF)).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);

    // Filing without the required field of the form is refused; with it,
    // the case opens, and the same key answers the same case.
    let submit = format!("{path}/submit");
    let key = serde_json::json!({"key": "api-key-0123456789abcdef"});
    let unfilled = company.post(&app, &submit, key.clone()).await;
    assert_eq!(unfilled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unfilled.body.contains("/shop_name"), "{}", unfilled.body);
    assert_eq!(app.count("cases").await, 0);
    company
        .send(
            &app,
            Method::PUT,
            &form,
            serde_json::json!({"form": {"shop_name": "老李快餐", "seats": 30}}),
        )
        .await;
    // A double click: the second arrives while the first is filing.
    let (filed, twice) = tokio::join!(
        company.post(&app, &submit, key.clone()),
        company.post(&app, &submit, key.clone())
    );
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    let number = filed.json()["number"].as_str().unwrap().to_owned();
    assert_eq!(filed.json()["process_id"], "joint_approval");
    assert_eq!(twice.status, StatusCode::OK, "{}", twice.body);
    assert_eq!(twice.json()["number"], number.as_str());
    let later = company.post(&app, &submit, key).await;
    assert_eq!(later.json()["number"], number.as_str());
    assert_eq!(app.count("cases").await, 1);
    // One audit record names every material attached at filing.
    let attach_audit = app
        .texts("SELECT detail FROM audit_log WHERE action = 'case.attach'")
        .await;
    assert_eq!(attach_audit.len(), 1);
    let ids = |list: &serde_json::Value| -> Vec<i64> {
        let list = list.as_array().unwrap();
        list.iter().map(|a| a["id"].as_i64().unwrap()).collect()
    };
    let listed: serde_json::Value = serde_json::from_str(&attach_audit[0]).unwrap();
    let listed = ids(&listed["attachments"]);
    let case = company.get(&app, &format!("/api/v1/cases/{number}")).await;
    let attached = ids(&case["attachments"]);
    assert_eq!(attached.len(), 2);
    assert_eq!(listed, attached);
    let shown = company.get(&app, &path).await;
    assert_eq!(shown["status"], "filed");
    assert_eq!(shown["case_number"], number.as_str());
    // Filed: no more form, no more files.
    let late = company
        .send(&app, Method::PUT, &form, serde_json::json!({"form": {}}))
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    let late = upload_api(&app, &company, id, "0", ("申请书.pdf", &PDF)).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_item_that_requires_a_verified_identity_refuses_until_it_is_verified() {
    let app = TestApp::new().await;
    let ctx = Context::system();
    let strict = ITEM
        .replace("version = 1", "version = 2")
        .replace("visits = 0\n", "visits = 0\nassurance_level = 2\n");
    egov_services::registry::load(app.db(), &ctx, &strict)
        .await
        .unwrap();
    egov_services::registry::publish(app.db(), &ctx, CODE)
        .await
        .unwrap();
    let company = enterprise(&app, "qiye.wang").await;
    // The guide says so instead of offering what would be refused.
    let guide = app
        .get_with(&format!("/services/{CODE}"), &[("cookie", &company.0)])
        .await;
    assert!(guide.body.contains("此事项须先核验身份"), "{}", guide.body);
    assert!(!guide
        .body
        .contains(&format!("action=\"/services/{CODE}/apply\"")));
    let refused = begin(&app, &company).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("实名核验"), "{}", refused.body);
    assert_eq!(app.count("applications").await, 0);

    // Verified at a counter, recorded by an administrator.
    let pw = app.staff("sys.admin", true).await;
    let (admin, csrf) = app.sign_in("sys.admin", &pw).await;
    let user = egov_identity::list_users(app.db(), &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "qiye.wang")
        .unwrap();
    let set = app
        .post_form(
            &format!("/admin/users/{}/assurance", user.id),
            Some(&admin),
            &[("csrf", &csrf), ("level", "2")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let company = enterprise_session(&app, "qiye.wang").await;
    let guide = app
        .get_with(&format!("/services/{CODE}"), &[("cookie", &company.0)])
        .await;
    assert!(guide
        .body
        .contains(&format!("action=\"/services/{CODE}/apply\"")));
    let ok = begin(&app, &company).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn an_item_handled_at_a_counter_only_is_not_offered_online() {
    let app = TestApp::new().await;
    egov_services::registry::seed_builtin(app.db())
        .await
        .unwrap();
    let resident = citizen(&app, "zhang.san").await;
    // 居民身份证换领 is handled at a counter: no button, the way to the counter.
    let code = "110105GAJ0001";
    for cookie in [Some(resident.0.as_str()), None] {
        let mut headers = vec![("accept", "text/html")];
        if let Some(c) = cookie {
            headers.push(("cookie", c));
        }
        let guide = app.get_with(&format!("/services/{code}"), &headers).await;
        assert_eq!(guide.status, StatusCode::OK);
        assert!(guide
            .body
            .contains("此事项须到办理窗口办理，不提供网上申请。"));
        assert!(!guide
            .body
            .contains(&format!("action=\"/services/{code}/apply\"")));
        assert!(!guide.body.contains("登录后在线申请"));
    }
    // Posting anyway opens no draft.
    let res = app
        .post_form(
            &format!("/services/{code}/apply"),
            Some(&resident.0),
            &[("csrf", &resident.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.body.contains("须到办理窗口办理"));
    assert_eq!(app.count("applications").await, 0);
}

async fn enterprise_id_of(app: &TestApp, username: &str) -> i64 {
    app.texts(&format!(
        "SELECT CAST(enterprise_id AS TEXT) FROM users WHERE username = '{username}'"
    ))
    .await[0]
        .parse()
        .unwrap()
}

/// An operator of the harness's enterprise, signed in (the one-time
/// password already replaced).
async fn operator(app: &TestApp, name: &'static str) -> Caller {
    let enterprise_id = enterprise_id_of(app, "qiye.wang").await;
    let password = "Jing-Ban-Ren-2026-x";
    egov_identity::add_operator(
        app.db(),
        &Context::system(),
        enterprise_id,
        egov_identity::NewOperator {
            username: name.to_owned(),
            display_name: "赵经办".to_owned(),
            phone: egov_kernel::identifier::MobileNumber::parse("13700137000").unwrap(),
            password: password.to_owned().into(),
        },
    )
    .await
    .unwrap();
    app.db()
        .execute(
            egov_store::query("UPDATE users SET must_change_password = FALSE WHERE username = $1")
                .bind(name),
        )
        .await
        .unwrap();
    let (cookie, csrf) = app.sign_in(name, password).await;
    Caller(cookie, csrf)
}

#[tokio::test]
async fn the_enterprise_is_the_applicant_for_everyone_acting_for_it() {
    let app = TestApp::new().await;
    publish(&app).await;
    let rep = enterprise(&app, "qiye.wang").await;
    let op = operator(&app, "qiye.zhao").await;
    // Another enterprise (an old organisation code) and a citizen.
    let (_, other) = egov_identity::register_enterprise(
        app.db(),
        &Context::system(),
        egov_identity::EnterpriseRegistration {
            name: "北京另一家有限公司".to_owned(),
            credit_code: None,
            org_code: Some(egov_kernel::identifier::OrgCode::parse("D2143569-X").unwrap()),
            legal_rep_name: "钱七".to_owned(),
            legal_rep_id: egov_kernel::identifier::ResidentId::parse("11010519491231002X").unwrap(),
            username: "other.rep".to_owned(),
            phone: egov_kernel::identifier::MobileNumber::parse("13600136000").unwrap(),
            password: "Qi-Ye-Fa-Ren-2026".to_owned().into(),
        },
    )
    .await
    .unwrap();
    egov_identity::confirmation::confirm_from_outbox(app.db(), &other.pending)
        .await
        .unwrap();
    let stranger = enterprise_session(&app, "other.rep").await;

    // The operator begins; the legal representative goes on with the same
    // draft, and "my cases" lists it for both.
    let started = begin(&app, &op).await;
    let path = started.header("location").to_owned();
    assert_eq!(begin(&app, &rep).await.header("location"), path);
    for who in [&rep, &op] {
        let listed = app.get_with("/cases", &[("cookie", &who.0)]).await;
        assert!(
            listed.body.contains(&format!(r#"href="{path}""#)),
            "{}",
            listed.body
        );
    }
    let stranger_sees = app
        .get_with(&path, &[("cookie", &stranger.0), ("accept", "text/html")])
        .await;
    assert_eq!(stranger_sees.status, StatusCode::NOT_FOUND);

    // The operator uploads and fills in; the legal representative files.
    let id: i64 = path.trim_start_matches("/applications/").parse().unwrap();
    let ok = upload(&app, &op, id, "0", ("申请书.pdf", &PDF)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let saved = app
        .post_form(
            &format!("{path}/form"),
            Some(&op.0),
            &[
                ("csrf", &op.1),
                ("f_shop_name", "示例餐厅"),
                ("f_seats", "40"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let check = app
        .get_with(&format!("{path}/check"), &[("cookie", &rep.0)])
        .await;
    let key = key_of(&check.body);
    let filed = app
        .post_form(
            &format!("{path}/submit"),
            Some(&rep.0),
            &[("csrf", &rep.1), ("key", &key)],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let number = filed
        .header("location")
        .trim_start_matches("/cases/")
        .trim_end_matches("?done=opened")
        .to_owned();

    // Both see the case, in "my cases", on its page and through the API;
    // another enterprise does not.
    for who in [&rep, &op] {
        let mine = app.get_with("/cases", &[("cookie", &who.0)]).await;
        assert!(mine.body.contains(&number), "{}", mine.body);
        let page = app
            .get_with(&format!("/cases/{number}"), &[("cookie", &who.0)])
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let case = who.get(&app, &format!("/api/v1/cases/{number}")).await;
        assert_eq!(case["number"], number.as_str());
        // Either may withdraw it (the applicant's action is theirs too).
        assert!(
            case["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["id"] == "withdraw"),
            "{}",
            case["actions"]
        );
    }
    // The legal representative limits the operator to viewing: they still
    // see the case, but may neither act on it nor apply; then lets them act.
    let limit = |to: &'static str| {
        let rep = &rep;
        let app = &app;
        async move {
            app.post_form(
                "/enterprise/operators/qiye.zhao/state",
                Some(&rep.0),
                &[("csrf", &rep.1), ("to", to)],
            )
            .await
        }
    };
    // A draft the operator began before being limited.
    let own = begin(&app, &op).await.header("location").to_owned();
    let own: i64 = own.trim_start_matches("/applications/").parse().unwrap();
    assert_eq!(limit("limit").await.status, StatusCode::SEE_OTHER);
    // Nothing they began or filed is theirs to go on with now.
    let res = upload(&app, &op, own, "0", ("申请书.pdf", &PDF)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    op.act(
        &app,
        &number,
        "withdraw",
        serde_json::json!({"reason": "试图撤回"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    op.post(
        &app,
        &format!("/api/v1/cases/{number}/comments"),
        serde_json::json!({"body": "仅查看的经办人留言"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let listed = app
        .get_with("/enterprise/operators", &[("cookie", &rep.0)])
        .await;
    assert!(listed.body.contains("仅查看"), "{}", listed.body);
    let seen = op.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(seen["number"], number.as_str());
    assert!(
        seen["actions"].as_array().unwrap().is_empty(),
        "{}",
        seen["actions"]
    );
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &op.0)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"action-withdraw\""));
    let refused = begin(&app, &op).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let guide = app
        .get_with(&format!("/services/{CODE}"), &[("cookie", &op.0)])
        .await;
    assert!(guide.body.contains("仅可查看企业的申请和结果"));
    assert_eq!(
        app.count_where("audit_log", "action = 'enterprise.limit_operator'")
            .await,
        1
    );
    assert_eq!(limit("unlimit").await.status, StatusCode::SEE_OTHER);
    let again = op.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert!(again["actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == "withdraw"));
    let theirs = app
        .get_with(
            &format!("/cases/{number}"),
            &[("cookie", &stranger.0), ("accept", "text/html")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let mine = app.get_with("/cases", &[("cookie", &stranger.0)]).await;
    assert!(!mine.body.contains(&number));
    assert_eq!(
        app.count_where("cases", "enterprise_id IS NOT NULL").await,
        1,
        "the case names the enterprise"
    );

    // Withdrawing asks for the reason, then for confirmation, and only then
    // ends the application.
    let state = || async {
        op.get(&app, &format!("/api/v1/cases/{number}")).await["state"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let version = op.get(&app, &format!("/api/v1/cases/{number}")).await["version"].to_string();
    let actions = format!("/cases/{number}/actions");
    let mut posted = vec![
        ("csrf", op.1.as_str()),
        ("action", "withdraw"),
        ("version", version.as_str()),
    ];
    let no_reason = app.post_form(&actions, Some(&op.0), &posted).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    posted.push(("f_reason", "经营计划调整"));
    let asked = app.post_form(&actions, Some(&op.0), &posted).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(asked.body.contains("撤回后本申请终止办理") && asked.body.contains("经营计划调整"));
    assert_eq!(
        state().await,
        "submitted",
        "nothing changes before confirming"
    );
    let again = common::html::hidden_fields(&asked.body);
    let again: Vec<(&str, &str)> = again
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = app.post_form(&actions, Some(&op.0), &again).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(state().await, "withdrawn");
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &rep.0)])
        .await;
    assert!(
        page.body.contains("经营计划调整"),
        "the reason is on the record"
    );
}

#[tokio::test]
async fn a_material_accepted_to_follow_later_is_owed_until_it_arrives_or_the_grant_records_its_condition(
) {
    let app = TestApp::new().await;
    publish(&app).await;
    let scj = dept(&app, "110105-SCJGJ").await;
    let tax = dept(&app, "110105-SWZJ").await;
    let lead = staff(&app, "handler.scj", scj, &[Role::Handler]).await;
    let taxman = staff(&app, "handler.tax", tax, &[Role::Handler]).await;
    let company = enterprise(&app, "qiye.later").await;
    let begun = company
        .post(
            &app,
            &format!("/api/v1/services/{CODE}/applications"),
            serde_json::json!({}),
        )
        .await;
    let id = begun.json()["id"].as_i64().unwrap();
    let path = format!("/api/v1/applications/{id}");
    company
        .send(
            &app,
            Method::PUT,
            &format!("{path}/form"),
            serde_json::json!({"form": {"shop_name": "老李快餐", "seats": 30}}),
        )
        .await;
    let added = upload_api(&app, &company, id, "0", ("申请书.pdf", &PDF)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    // Filed without the material the guide lets follow later.
    let filed = company
        .post(
            &app,
            &format!("{path}/submit"),
            serde_json::json!({"key": "later-key-0123456789abcdef"}),
        )
        .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    let number = filed.json()["number"].as_str().unwrap().to_owned();
    let case = company.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(
        case["data"]["outstanding"],
        serde_json::json!([{"name": "食品安全管理制度文本", "note": "可在决定前补交"}])
    );
    // The applicant's page lists it, due before the decision, with a slot.
    let page = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &company.0)])
        .await;
    assert!(page.body.contains("id=\"owed-heading\""), "{}", page.body);
    assert!(page.body.contains("可在决定前补交"));
    assert!(page.body.contains("还有 1 项容缺材料未补交"));

    let res = lead
        .act(&app, &number, "accept", serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // The grant's form asks for the condition in the reader's language.
    let english = app
        .get_with(
            &format!("/cases/{number}"),
            &[("cookie", &taxman.0), ("accept-language", "en")],
        )
        .await;
    assert!(
        english.body.contains("Condition of the grant"),
        "{}",
        english.body
    );
    assert!(!english.body.contains("附条件准予："));
    let chinese = app
        .get_with(&format!("/cases/{number}"), &[("cookie", &taxman.0)])
        .await;
    assert!(chinese
        .body
        .contains("附条件准予：容缺材料未到时记录的条件"));
    // A grant waits for it ...
    taxman
        .act(&app, &number, "branch_approve", serde_json::json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "materials_outstanding");
    // ... unless it records the condition it is granted on.
    let res = lead
        .act(
            &app,
            &number,
            "branch_approve",
            serde_json::json!({"condition": "须在领证前补交食品安全管理制度文本"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Staff cannot answer for the applicant; the applicant sends it.
    let res = answer_point(&app, &lead, &number, "食品安全管理制度文本").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let res = answer_point(&app, &company, &number, "食品安全管理制度文本").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = taxman
        .act(&app, &number, "branch_approve", serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["state"], "approved");
}

#[tokio::test]
async fn an_identity_verified_at_a_counter_stands_for_the_identity_card() {
    let app = TestApp::new().await;
    let ctx = Context::system();
    // An item for individuals that asks for the identity card (material 3).
    let with_card = format!(
        "{}\n[[material]]\nname = \"居民身份证\"\nrequired = false\nlater = false\nform = \"电子证照核验\"\n",
        ITEM.replace("version = 1", "version = 2")
            .replace("audiences = [\"法人\"]", "audiences = [\"个人\"]")
    );
    egov_services::registry::load(app.db(), &ctx, &with_card)
        .await
        .unwrap();
    egov_services::registry::publish(app.db(), &ctx, CODE)
        .await
        .unwrap();
    let give = |who: Caller, id: String, material: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                &format!("/applications/{id}/certificate"),
                Some(&who.0),
                &[
                    ("csrf", &who.1),
                    ("material", material),
                    ("certificate", "identity"),
                ],
            )
            .await
        }
    };

    // A phone confirmed is not an identity verified: not offered, refused.
    let company = crate::common::casework::citizen(&app, "zhang.san").await;
    let draft = begin(&app, &company).await.header("location").to_owned();
    let id = draft.trim_start_matches("/applications/").to_owned();
    let materials = app
        .get_with(&format!("{draft}/materials"), &[("cookie", &company.0)])
        .await;
    assert!(!materials.body.contains("<option value=\"identity\""));
    let refused = give(company.clone(), id.clone(), "3").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(app.count("application_files").await, 0);

    // Seen at a counter: the wallet shows it, the identity card's slot offers it.
    let uid = app
        .texts("SELECT CAST(id AS TEXT) FROM users WHERE username = 'zhang.san'")
        .await[0]
        .parse::<i64>()
        .unwrap();
    egov_identity::set_assurance(app.db(), &ctx, uid, 2)
        .await
        .unwrap();
    let (cookie, csrf) = app.sign_in("zhang.san", "Chang-Cheng-Wan-Li-9").await;
    let company = Caller(cookie, csrf);
    let wallet = app
        .get_with("/account/certificates", &[("cookie", &company.0)])
        .await;
    assert!(
        wallet.body.contains("id=\"wallet-identity\""),
        "{}",
        wallet.body
    );
    assert!(
        wallet.body.contains("110105********002X"),
        "{}",
        wallet.body
    );
    assert!(!wallet.body.contains("11010519491231002X"));
    let materials = app
        .get_with(&format!("{draft}/materials"), &[("cookie", &company.0)])
        .await;
    assert_eq!(
        materials.body.matches("<option value=\"identity\"").count(),
        1,
        "offered for the identity card only"
    );
    let not_a_card = give(company.clone(), id.clone(), "0").await;
    assert_eq!(not_a_card.status, StatusCode::CONFLICT);
    let given = give(company.clone(), id.clone(), "3").await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.body);
    assert_eq!(
        app.texts(&format!(
            "SELECT name || ':' || CAST(identity_level AS TEXT) FROM application_files \
             WHERE application_id = {id}"
        ))
        .await,
        vec!["身份核验结果.pdf:2".to_owned()]
    );
}
