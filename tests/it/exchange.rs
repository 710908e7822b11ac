//! Sharing between departments and the exchange, as their people and
//! systems use them: a consuming department asks, the provider grants
//! within its time (a case), an administrator binds the consumer's system
//! to it, and the system reads only what was granted, with every call
//! logged in the audit chain and every answer signed.

use crate::catalogue::{keeper, loaded, population, registered, resource};
use crate::common::{enc, TestApp, TestResponse};
use axum::http::{Method, StatusCode};
use data_encoding::BASE64;
use egov_kernel::Context;
use serde_json::json;
use sha2::{Digest, Sha512};

struct System {
    id: String,
    secret: String,
}

async fn system(app: &TestApp) -> System {
    let (client, secret) = egov_oidc::create_client(
        app.db(),
        &Context::system(),
        egov_oidc::NewClient {
            name: "民政局社会救助系统".into(),
            redirect_uris: vec!["https://mzj.example.cn/callback".into()],
            post_logout_redirect_uris: vec![],
            id_token_alg: egov_oidc::keys::Alg::Es256,
            public: false,
            require_pkce: false,
            backchannel_logout_uri: None,
        },
    )
    .await
    .unwrap();
    System {
        id: client.client_id,
        secret,
    }
}

async fn token(app: &TestApp, s: &System) -> String {
    let body = format!(
        "grant_type=client_credentials&scope=exchange&client_id={}&client_secret={}",
        enc(&s.id),
        enc(&s.secret)
    );
    let res = app
        .send(
            Method::POST,
            "/oidc/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            body,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()["access_token"].as_str().unwrap().to_owned()
}

async fn call(app: &TestApp, token: &str, path_and_query: &str) -> TestResponse {
    app.get_with(
        &format!("/api/v1/exchange/resources/{path_and_query}"),
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

fn sha512(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

#[tokio::test]
async fn a_department_reads_only_what_it_was_granted_logged_and_signed() {
    let app = TestApp::new().await;
    let tjj = keeper(&app, "tjj.keeper", "110000-TJJ").await;
    let mzj = keeper(&app, "mzj.keeper", "110000-MZJ").await;
    let fgw = keeper(&app, "fgw.keeper", "110000-FGW").await;
    let mut conditional = resource("110000-TJJ-00001", "closed", "conditional");
    conditional["name"] = json!("低收入人口分区统计");
    registered(&app, &tjj, conditional).await;
    registered(
        &app,
        &tjj,
        resource("110000-TJJ-00002", "closed", "unconditional"),
    )
    .await;
    registered(&app, &tjj, resource("110000-TJJ-00003", "closed", "none")).await;
    loaded(&app, &tjj, "110000-TJJ-00001", population()).await;
    loaded(&app, &tjj, "110000-TJJ-00002", population()).await;

    // The consumer asks; a conditional resource waits for its provider,
    // one not shared cannot be asked for, its own needs no asking.
    let ask = json!({"purpose": "低保资格核查", "fields": ["district", "year", "population"],
                     "until": crate::catalogue::days_on(300)});
    let res = mzj
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00001/requests",
            ask.clone(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let asked = res.json();
    assert_eq!(asked["outcome"], "pending");
    let number = asked["case"].as_str().unwrap().to_owned();
    let res = mzj
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00003/requests",
            ask.clone(),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "not_shared");
    assert!(
        res.body.contains("统计法"),
        "the legal basis is told: {}",
        res.body
    );
    let res = tjj
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00001/requests",
            ask.clone(),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut late = ask.clone();
    late["until"] = json!(crate::catalogue::days_on(3 * 366 + 1));
    let res = mzj
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00001/requests",
            late,
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let case = tjj.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["state"], "review", "{case}");
    // Answered within the process's ten working days.
    let calendar = egov_calendar::load_calendar(app.db()).await.unwrap();
    let created = chrono::DateTime::parse_from_rfc3339(case["created_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let beijing = (created + chrono::Duration::hours(8)).date_naive();
    let due = calendar.add_workdays(beijing, 10).date();
    assert!(
        case["due_at"]
            .as_str()
            .unwrap()
            .starts_with(&due.to_string()),
        "{case} due {due}"
    );

    // The consumer's system: bound by an administrator, then it calls.
    let s = system(&app).await;
    let res = mzj
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/exchange/clients/{}", s.id),
            json!({"department": "110000-MZJ"}),
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let unbound = token(&app, &s).await;
    let res = call(&app, &unbound, "110000-TJJ-00001/rows").await;
    res.assert_problem(StatusCode::FORBIDDEN, "client_not_bound");
    let admin_pw = app.staff("exchange.admin", true).await;
    let (cookie, csrf) = app.sign_in("exchange.admin", &admin_pw).await;
    let admin = crate::common::casework::Caller(cookie, csrf);
    // Only a registered confidential client can be bound.
    let res = admin
        .send(
            &app,
            Method::PUT,
            "/api/v1/exchange/clients/no-such-client",
            json!({"department": "110000-MZJ"}),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = admin
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/exchange/clients/{}", s.id),
            json!({"department": "110000-MZJ"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let bearer = token(&app, &s).await;
    let res = call(&app, &bearer, "110000-TJJ-00001/rows").await;
    res.assert_problem(StatusCode::FORBIDDEN, "no_grant");
    let res = app
        .get("/api/v1/exchange/resources/110000-TJJ-00001/rows")
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // The provider answers, narrower than asked; nobody else may.
    let grant = json!({"decision": "grant", "fields": ["district", "population"]});
    let res = fgw
        .post(
            &app,
            &format!("/api/v1/catalogue/requests/{number}/answer"),
            grant.clone(),
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let wider = json!({"decision": "grant", "fields": ["district", "households"]});
    let res = tjj
        .post(
            &app,
            &format!("/api/v1/catalogue/requests/{number}/answer"),
            wider,
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = tjj
        .post(
            &app,
            &format!("/api/v1/catalogue/requests/{number}/answer"),
            grant.clone(),
        )
        .await;
    assert_eq!(res.json()["outcome"], "granted", "{}", res.body);
    let res = tjj
        .post(
            &app,
            &format!("/api/v1/catalogue/requests/{number}/answer"),
            grant,
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "answered");
    let case = tjj.get(&app, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["state"], "granted");

    // Only granted fields come back, filtered and signed.
    let path = format!(
        "110000-TJJ-00001/rows?filters={}&sort=population%20desc",
        enc(r#"{"district":["东城区","朝阳区"]}"#)
    );
    let res = call(&app, &bearer, &path).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let body = res.json();
    assert_eq!(body["fields"], json!(["district", "population"]));
    assert_eq!(body["total"], 3);
    assert_eq!(
        body["records"][0],
        json!({"district": "朝阳区", "population": 343.1})
    );
    let request_line = format!("GET /api/v1/exchange/resources/{path}");
    assert_eq!(
        res.header("x-exchange-request-hash"),
        sha512(format!("{request_line}\nclient:{}", s.id).as_bytes())
    );
    assert_eq!(
        res.header("x-exchange-response-hash"),
        sha512(res.body.as_bytes())
    );
    let signature = res.header("x-exchange-signature").to_owned();
    let (key_id, sig) = signature
        .strip_prefix("keyId=")
        .and_then(|r| r.split_once(",signature="))
        .unwrap();
    let keys = app.get("/api/v1/exchange/keys").await.json();
    let key = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == key_id)
        .expect("the signing key is published");
    let public = BASE64
        .decode(key["ed25519"].as_str().unwrap().as_bytes())
        .unwrap();
    let message = format!(
        "{}\n{}",
        res.header("x-exchange-request-hash"),
        res.header("x-exchange-response-hash")
    );
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&public.try_into().unwrap()).unwrap();
    let signature =
        ed25519_dalek::Signature::from_slice(&BASE64.decode(sig.as_bytes()).unwrap()).unwrap();
    verifying
        .verify_strict(message.as_bytes(), &signature)
        .expect("the answer's signature verifies against the published key");

    // Outside the grant: a field, a filter on one, a malformed filter.
    let res = call(&app, &bearer, "110000-TJJ-00001/rows?fields=year").await;
    res.assert_problem(StatusCode::FORBIDDEN, "field_not_granted");
    let res = call(
        &app,
        &bearer,
        &format!("110000-TJJ-00001/rows?filters={}", enc(r#"{"year":2025}"#)),
    )
    .await;
    res.assert_problem(StatusCode::FORBIDDEN, "field_not_granted");
    let res = call(&app, &bearer, "110000-TJJ-00001/rows?filters=%5B1").await;
    res.assert_problem(StatusCode::BAD_REQUEST, "invalid_query");

    // A system of another department cannot pose as the consumer: its
    // client is bound to its own department, which holds no grant.
    let other = system(&app).await;
    egov_catalogue::sharing::bind_client(app.db(), &Context::system(), &other.id, "110000-FGW")
        .await
        .unwrap();
    let other_token = token(&app, &other).await;
    let res = call(&app, &other_token, "110000-TJJ-00001/rows").await;
    res.assert_problem(StatusCode::FORBIDDEN, "no_grant");
    let forged = format!("{}x", &bearer[..bearer.len() - 1]);
    let res = call(&app, &forged, "110000-TJJ-00001/rows").await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "a token altered is no token"
    );

    // An unconditional resource is granted on request.
    let res = mzj
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00002/requests",
            ask.clone(),
        )
        .await;
    assert_eq!(res.json()["outcome"], "granted", "{}", res.body);
    let res = call(&app, &bearer, "110000-TJJ-00002/rows?limit=2").await;
    assert_eq!(res.json()["records"].as_array().unwrap().len(), 2);
    let grants = mzj.get(&app, "/api/v1/catalogue/grants").await;
    assert_eq!(grants["grants"].as_array().unwrap().len(), 2, "{grants}");

    // Usage for the assessment: answered calls by resource, provider and
    // consumer; refused calls counted.
    app.audit_linked().await;
    let usage = mzj.get(&app, "/api/v1/exchange/usage").await;
    assert_eq!(usage["by_consumer"]["110000-MZJ"], 2, "{usage}");
    assert_eq!(usage["by_provider"]["110000-TJJ"], 2, "{usage}");
    assert_eq!(
        usage["refused"]["110000-TJJ-00001"], 6,
        "unbound, no grant, two outside it, one malformed, another department: {usage}"
    );
    let rows: u64 = usage["answered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(rows, 5, "{usage}");

    // The same use, as the month's figures in the indicators engine for
    // the assessment of sharing: per provider and consumer, rates over
    // the catalogue, and the departments ranked.
    let month = egov_indicators::Period::month_of(egov_kernel::time::beijing_today());
    egov_catalogue::figures::publish(app.db(), month)
        .await
        .unwrap();
    let value = |indicator: &'static str, area: &'static str| {
        let app = &app;
        async move {
            let res = app
                .get(&format!(
                    "/api/v1/indicators/{indicator}/data?area={area}&from={month}&to={month}"
                ))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            // To the indicator's one decimal.
            res.json()["data"][0]["value"]
                .as_f64()
                .map(|v| (v * 10.0).round() / 10.0)
        }
    };
    // 统计局 catalogued three, two shareable and hosted, both called; 2
    // calls answered and 6 refused. 民政局 made the 2.
    assert_eq!(
        value("catalogue.hosted_rate", "110000-TJJ").await,
        Some(66.7)
    );
    assert_eq!(
        value("catalogue.share_rate", "110000-TJJ").await,
        Some(66.7)
    );
    assert_eq!(value("exchange.use_rate", "110000-TJJ").await, Some(100.0));
    assert_eq!(
        value("exchange.refusal_rate", "110000-TJJ").await,
        Some(75.0)
    );
    let ranking = app
        .get(&format!(
            "/api/v1/indicators/composites/catalogue.sharing_score/ranking?period={month}&units=departments"
        ))
        .await;
    assert_eq!(ranking.status, StatusCode::OK, "{}", ranking.body);
    assert!(ranking.body.contains("110000-TJJ"), "{}", ranking.body);

    // A grant past its expiry grants nothing.
    let yesterday = crate::catalogue::days_on(-1);
    app.db()
        .write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    egov_store::query("UPDATE catalogue_grants SET expires_on = $1")
                        .bind(chrono::NaiveDate::parse_from_str(&yesterday, "%Y-%m-%d").unwrap()),
                )
                .await?;
                egov_store::reference::changed::<egov_catalogue::sharing::Sharing>(tx).await
            })
        })
        .await
        .unwrap();
    let res = call(&app, &bearer, "110000-TJJ-00002/rows?limit=2").await;
    res.assert_problem(StatusCode::FORBIDDEN, "no_grant");

    // The log is the audit chain: intact, and a changed record is named.
    assert!(matches!(
        crate::common::verify_audit(&app).await,
        egov_audit::Verdict::Intact { .. }
    ));
    crate::audit_chain::tamper(
        &app,
        "UPDATE audit_log SET detail = replace(detail, '\"rows\":3', '\"rows\":30') \
         WHERE action = 'exchange.query'",
    )
    .await;
    assert!(matches!(
        crate::common::verify_audit(&app).await,
        egov_audit::Verdict::Broken { .. }
    ));
}
