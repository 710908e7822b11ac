//! The information resource catalogue as its people use it: a department's
//! catalogue administrator registers resources and loads their data over
//! the API (bad input refused whole), civil servants search the catalogue,
//! and anyone reads the open ones through the portal, CKAN's Action API
//! and DCAT-AP.

use crate::common::casework::{dept, staff, Caller};
use crate::common::{enc, TestApp};
use axum::http::{Method, StatusCode};
use egov_identity::Role;
use egov_store::query;
use serde_json::{json, Value};

pub(crate) fn resource(code: &str, open: &str, sharing: &str) -> Value {
    let department = &code[..code.len() - 6];
    json!({
        "code": code,
        "department": department,
        "class": "101",
        "name": "各区常住人口",
        "name_en": "Resident population by district",
        "abstract": "北京市各区年末常住人口。",
        "abstract_en": "Resident population of each district at year end.",
        "keywords": ["人口", "常住人口"],
        "format": "电子表格",
        "update_cycle": "yearly",
        "published": "2026-03-01",
        "sharing": sharing,
        "sharing_condition": (sharing == "conditional").then_some("仅用于资格核查"),
        "sharing_method": (sharing != "none").then_some("api"),
        "legal_basis": (sharing == "none").then_some("《中华人民共和国统计法》第二十五条"),
        "open": open,
        "items": [
            {"name": "district", "title": "区", "type": "string"},
            {"name": "year", "title": "年份", "type": "integer"},
            {"name": "population", "title": "常住人口（万人）", "type": "decimal"},
        ],
    })
}

pub(crate) async fn keeper(app: &TestApp, name: &str, department: &str) -> Caller {
    let d = dept(app, department).await;
    staff(app, name, d, &[Role::CatalogueAdmin]).await
}

pub(crate) async fn registered(app: &TestApp, who: &Caller, body: Value) {
    let res = who.post(app, "/api/v1/catalogue/resources", body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

pub(crate) async fn loaded(app: &TestApp, who: &Caller, code: &str, rows: Value) -> Value {
    let res = who
        .post(
            app,
            &format!("/api/v1/catalogue/resources/{code}/rows"),
            json!({"mode": "replace", "rows": rows}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()
}

/// A day `n` days after today in Beijing, as forms and the API write it.
pub(crate) fn days_on(n: i64) -> String {
    ((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive() + chrono::Duration::days(n))
        .to_string()
}

pub(crate) fn population() -> Value {
    json!([
        {"district": "东城区", "year": 2025, "population": 70.4},
        {"district": "西城区", "year": "2025", "population": 109.8},
        {"district": "朝阳区", "year": 2025, "population": 343.1},
        {"district": "东城区", "year": 2024, "population": 70.9},
    ])
}

#[tokio::test]
async fn a_department_registers_its_resources_and_loads_their_data() {
    let app = TestApp::new().await;
    let tjj = keeper(&app, "tjj.catalogue", "110000-TJJ").await;
    let fgw = keeper(&app, "fgw.catalogue", "110000-FGW").await;
    let handler = staff(
        &app,
        "tjj.handler",
        dept(&app, "110000-TJJ").await,
        &[Role::Handler],
    )
    .await;
    let body = resource("110000-TJJ-00001", "open", "unconditional");

    // Only the provider's catalogue administrators register its resources.
    let res = app
        .post_json("/api/v1/catalogue/resources", None, &body)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = fgw
        .post(&app, "/api/v1/catalogue/resources", body.clone())
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = handler
        .post(&app, "/api/v1/catalogue/resources", body.clone())
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("catalogue_resources").await, 0);

    // The guide's rules: 不予共享 needs its legal basis; a conditional
    // resource is not opened; the code is the provider's.
    let mut none = resource("110000-TJJ-00002", "closed", "none");
    none["legal_basis"] = Value::Null;
    let res = tjj
        .post(&app, "/api/v1/catalogue/resources", none.clone())
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.body.contains("法律"), "{}", res.body);
    let res = tjj
        .post(
            &app,
            "/api/v1/catalogue/resources",
            resource("110000-TJJ-00003", "open", "conditional"),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut elsewhere = body.clone();
    elsewhere["code"] = json!("110000-FGW-00001");
    let res = tjj
        .post(&app, "/api/v1/catalogue/resources", elsewhere)
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(app.count("catalogue_resources").await, 0);

    registered(&app, &tjj, body.clone()).await;
    none["legal_basis"] = json!("《中华人民共和国统计法》第二十五条");
    registered(&app, &tjj, none).await;
    let found = tjj.get(&app, "/api/v1/catalogue/resources?q=人口").await;
    assert_eq!(found["total"], 2, "{found}");
    let facets = &found["facets"]["sharing"];
    assert!(facets.to_string().contains("none"), "{found}");

    // A load is checked whole: one bad cell names its row and column, and
    // nothing is stored.
    let out = loaded(&app, &tjj, "110000-TJJ-00001", population()).await;
    assert_eq!(out, json!({"version": 1, "rows": 4}));
    let res = tjj
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00001/rows",
            json!({"rows": [{"district": "海淀区", "year": 2025, "population": 313.2},
                            {"district": "丰台区", "year": "二〇二五", "population": 201.5}]}),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "rows_refused");
    let problem = res.json();
    assert_eq!(problem["rows"][0]["row"], 2, "{problem}");
    assert_eq!(problem["rows"][0]["column"], "year", "{problem}");
    let res = fgw
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00001/rows",
            json!({"rows": [{"district": "海淀区", "year": 2025, "population": 313.2}]}),
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = tjj
        .post(
            &app,
            "/api/v1/catalogue/resources/110000-TJJ-00001/rows",
            json!({"rows": [{"district": "海淀区", "year": 2025, "population": 313.2}]}),
        )
        .await;
    assert_eq!(res.json(), json!({"version": 2, "rows": 5}));
    assert_eq!(app.count("catalogue_loads").await, 2);

    // Rows filtered, projected and sorted; a malformed filter is refused.
    let page = handler
        .get(
            &app,
            &format!(
                "/api/v1/catalogue/resources/110000-TJJ-00001/rows?filters={}&fields=district,population&sort=population%20desc",
                enc(r#"{"year": 2025}"#)
            ),
        )
        .await;
    assert_eq!(page["total"], 4, "{page}");
    assert_eq!(page["version"], 2);
    assert_eq!(
        page["records"][0],
        json!({"district": "朝阳区", "population": 343.1})
    );
    let res = app
        .get_with(
            "/api/v1/catalogue/resources/110000-TJJ-00001/rows?filters=%7Bnot%20json",
            &[("cookie", &handler.0)],
        )
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    let res = app
        .get_with(
            &format!(
                "/api/v1/catalogue/resources/110000-TJJ-00001/rows?filters={}",
                enc(r#"{"year": "x"}"#)
            ),
            &[("cookie", &handler.0)],
        )
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "invalid_query");

    // Items that hold data keep their names and types.
    let mut changed = body.clone();
    changed["items"][1]["type"] = json!("string");
    let res = tjj.post(&app, "/api/v1/catalogue/resources", changed).await;
    res.assert_problem(StatusCode::CONFLICT, "items_hold_data");
    let mut more = body.clone();
    more["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "households", "title": "户数", "type": "integer"}));
    let res = tjj.post(&app, "/api/v1/catalogue/resources", more).await;
    assert_eq!(res.json()["outcome"], "revised", "{}", res.body);

    // A resource that is not open is its provider's to read here.
    let res = app
        .get_with(
            "/api/v1/catalogue/resources/110000-TJJ-00002/rows",
            &[("cookie", &fgw.0)],
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.audit_linked().await;
    assert_eq!(
        app.count_where("audit_log", "action LIKE 'catalogue.%'")
            .await,
        5,
        "two registered, one revised, two loads"
    );
}

async fn open_catalogue(app: &TestApp) {
    let tjj = keeper(app, "tjj.keeper", "110000-TJJ").await;
    registered(
        app,
        &tjj,
        resource("110000-TJJ-00001", "open", "unconditional"),
    )
    .await;
    let mut closed = resource("110000-TJJ-00002", "closed", "conditional");
    closed["name"] = json!("低保对象人口统计");
    registered(app, &tjj, closed).await;
    loaded(app, &tjj, "110000-TJJ-00001", population()).await;
}

async fn ckan(app: &TestApp, action: &str, query: &str) -> (StatusCode, Value) {
    let res = app.get(&format!("/api/3/action/{action}?{query}")).await;
    (res.status, res.json())
}

#[tokio::test]
async fn ckan_clients_read_the_open_datasets() {
    let app = TestApp::new().await;
    open_catalogue(&app).await;

    let (status, list) = ckan(&app, "package_list", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["success"], true);
    assert_eq!(
        list["result"],
        json!(["110000-tjj-00001"]),
        "only the open one"
    );
    assert!(list["help"].as_str().unwrap().contains("help_show"));

    let (status, shown) = ckan(&app, "package_show", "id=110000-tjj-00001").await;
    assert_eq!(status, StatusCode::OK);
    let pkg = &shown["result"];
    assert_eq!(pkg["title"], "各区常住人口");
    assert_eq!(pkg["organization"]["name"], "110000-tjj");
    assert_eq!(pkg["resources"].as_array().unwrap().len(), 3);
    let (status, missing) = ckan(&app, "package_show", "id=110000-tjj-00002").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a closed resource is not there"
    );
    assert_eq!(missing["error"]["__type"], "Not Found Error");

    // Search by words, both paths, GET and POST (with the extra parameters
    // clients send), paged, with facets.
    let res = app
        .send(
            Method::POST,
            "/api/action/package_search",
            &[
                ("content-type", "application/json"),
                ("authorization", "anything"),
                ("x-ckan-api-key", "anything"),
            ],
            json!({"q": "人口", "rows": 1, "start": 0, "facet.field": ["organization"],
                    "include_private": true})
            .to_string(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let found = res.json()["result"].clone();
    assert_eq!(found["count"], 1);
    assert_eq!(found["results"][0]["name"], "110000-tjj-00001");
    assert_eq!(
        found["search_facets"]["organization"]["items"][0]["count"],
        1
    );
    let (_, none) = ckan(&app, "package_search", &format!("q={}", enc("低保"))).await;
    assert_eq!(
        none["result"]["count"], 0,
        "closed resources are not searched"
    );
    let (_, by_org) = ckan(&app, "package_search", "fq=organization:110000-tjj&rows=10").await;
    assert_eq!(by_org["result"]["count"], 1);
    let (status, bad) = ckan(&app, "package_search", "rows=5000").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(bad["error"]["__type"], "Validation Error");
    assert!(bad["error"]["rows"].is_array(), "{bad}");

    let (_, orgs) = ckan(&app, "organization_list", "").await;
    assert_eq!(orgs["result"], json!(["110000-tjj"]));
    let (_, org) = ckan(&app, "organization_show", "id=110000-tjj").await;
    assert_eq!(org["result"]["package_count"], 1);
    assert_eq!(org["result"]["title"], "北京市统计局");
    let (_, res) = ckan(&app, "resource_show", "id=110000-tjj-00001-csv").await;
    assert!(res["result"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/open-data/110000-tjj-00001.csv"));

    // The datastore: filters, fields, paging, CKAN's limits.
    let (status, rows) = ckan(
        &app,
        "datastore_search",
        &format!(
            "resource_id=110000-tjj-00001-csv&filters={}&limit=1&sort=population%20desc",
            enc(r#"{"year":"2025"}"#)
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let r = &rows["result"];
    assert_eq!(r["total"], 3);
    assert_eq!(r["records"][0]["district"], "朝阳区");
    assert_eq!(
        r["fields"][1],
        json!({"id": "year", "type": "int", "info": {"label": "年份"}})
    );
    let (status, too_many) = ckan(
        &app,
        "datastore_search",
        "resource_id=110000-tjj-00001-csv&limit=32001",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{too_many}");
    let (status, _) = ckan(&app, "datastore_search", "resource_id=110000-tjj-00002-csv").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, unknown) = ckan(&app, "no_such_action", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown["success"], false);
    let (_, st) = ckan(&app, "status_show", "").await;
    assert!(st["result"]["extensions"].to_string().contains("datastore"));
}

#[tokio::test]
async fn the_open_catalogue_is_dcat_in_json_ld_and_turtle_and_downloads() {
    let app = TestApp::new().await;
    open_catalogue(&app).await;
    let res = app.get("/catalog.jsonld").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), "application/ld+json");
    let graph = res.json()["@graph"].clone();
    let dataset = graph
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@type"] == "dcat:Dataset")
        .expect("a dataset")
        .clone();
    assert_eq!(
        dataset["dct:title"][0],
        json!({"@value": "各区常住人口", "@language": "zh"})
    );
    assert_eq!(dataset["dct:title"][1]["@language"], "en");
    assert_eq!(dataset["dcat:distribution"].as_array().unwrap().len(), 3);
    assert_eq!(
        graph
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["@type"] == "dcat:Dataset")
            .count(),
        1,
        "only the open dataset"
    );
    let ttl = app.get("/catalog.ttl").await;
    assert!(ttl.header("content-type").starts_with("text/turtle"));
    assert!(ttl.body.contains("a dcat:Catalog"), "{}", ttl.body);
    assert!(
        ttl.body.contains("dct:title \"各区常住人口\"@zh"),
        "{}",
        ttl.body
    );

    let csv = app.get("/open-data/110000-tjj-00001.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.starts_with("\u{feff}district,year,population\n"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("朝阳区,2025,343.1"));
    let json_file = app.get("/open-data/110000-tjj-00001.json").await;
    assert_eq!(json_file.json().as_array().unwrap().len(), 4);
    let xlsx = app.get("/open-data/110000-tjj-00001.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        app.get("/open-data/110000-tjj-00002.csv").await.status,
        StatusCode::NOT_FOUND
    );

    // The portal for everyone; the whole catalogue for civil servants.
    let portal = app.get(&format!("/open-data?q={}", enc("人口"))).await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(
        portal.body.contains("/open-data/110000-tjj-00001"),
        "{}",
        portal.body
    );
    assert!(!portal.body.contains("低保对象人口统计"));
    let page = app.get("/open-data/110000-tjj-00001").await;
    assert!(page.body.contains("343.1"), "the preview shows rows");
    let res = app.get("/catalogue").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "sign in first");
    let citizen = crate::common::casework::citizen(&app, "catalogue.citizen").await;
    let res = app.get_with("/catalogue", &[("cookie", &citizen.0)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let clerk = staff(
        &app,
        "fgw.clerk",
        dept(&app, "110000-FGW").await,
        &[Role::Handler],
    )
    .await;
    let res = app
        .get_with("/catalogue?sharing=conditional", &[("cookie", &clerk.0)])
        .await;
    assert!(res.body.contains("低保对象人口统计"), "{}", res.body);
    assert!(!res.body.contains(">各区常住人口<"));
    let res = app
        .get_with("/catalogue/110000-TJJ-00002", &[("cookie", &clerk.0)])
        .await;
    assert!(res.body.contains("仅用于资格核查"));
}

#[tokio::test]
async fn the_demo_catalogue_is_varied_and_loads_whole() {
    let app = TestApp::new().await;
    let n = egov_catalogue::demo::load(app.db()).await.unwrap();
    assert!(n >= 30, "{n} resources");
    let catalogue = egov_catalogue::Catalogue::get(app.db()).await.unwrap();
    let departments: std::collections::BTreeSet<&str> = catalogue
        .resources()
        .iter()
        .map(|r| r.department.as_str())
        .collect();
    assert!(departments.len() >= 8, "{departments:?}");
    assert!(catalogue.open().count() >= 15);
    let data = egov_catalogue::hosted::DataVersions::get(app.db())
        .await
        .unwrap();
    assert!(catalogue.resources().iter().all(|r| data.of(r.id).rows > 0));
    assert_eq!(
        egov_catalogue::demo::load(app.db()).await.unwrap(),
        0,
        "once only"
    );
    let (_, search) = ckan(&app, "package_search", &format!("q={}", enc("空气质量"))).await;
    assert!(search["result"]["count"].as_u64().unwrap() >= 1, "{search}");
}

#[tokio::test]
async fn keepers_load_files_ask_and_answer_on_the_pages() {
    use crate::common::casework::multipart_form;
    let app = TestApp::new().await;
    let tjj = keeper(&app, "tjj.pages", "110000-TJJ").await;
    let mzj = keeper(&app, "mzj.pages", "110000-MZJ").await;
    registered(
        &app,
        &tjj,
        resource("110000-TJJ-00001", "closed", "conditional"),
    )
    .await;
    let page = |who: &Caller, path: &str| {
        let (app, cookie, path) = (&app, who.0.clone(), path.to_owned());
        async move { app.get_with(&path, &[("cookie", &cookie)]).await }
    };

    // The provider's page has the upload form; the consumer's has the request form.
    let own = page(&tjj, "/catalogue/110000-TJJ-00001").await;
    assert!(own.body.contains("id=\"upload-form\"") && !own.body.contains("id=\"request-form\""));
    let other = page(&mzj, "/catalogue/110000-TJJ-00001").await;
    assert!(
        !other.body.contains("id=\"upload-form\"") && other.body.contains("id=\"request-form\"")
    );

    let upload = |who: &Caller, csrf: &str, file: &str, bytes: &[u8]| {
        let (ct, body) = multipart_form(
            &[("csrf", csrf), ("mode", "replace")],
            &[("file", file, bytes)],
        );
        let cookie = who.0.clone();
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/catalogue/110000-TJJ-00001/data",
                &[("cookie", &cookie), ("content-type", &ct)],
                body,
            )
            .await
        }
    };
    // A bad cell: the page again, its row and column named, nothing loaded.
    let bad = "district,year,population\n东城区,2025,70.4\n西城区,二〇二五,109.8\n";
    let res = upload(&tjj, &tjj.1, "population.csv", bad.as_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("第 3 行“year”列"), "{}", res.body);
    assert_eq!(app.count("catalogue_loads").await, 0);
    // Another department's keeper, or a forged form: refused.
    let good = "年份,district,population\n2025,东城区,70.4\n2025,西城区,109.8\n";
    let res = upload(&mzj, &mzj.1, "population.csv", good.as_bytes()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = upload(&tjj, "forged", "population.csv", good.as_bytes()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("catalogue_loads").await, 0);
    let res = upload(&tjj, &tjj.1, "population.csv", good.as_bytes()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body.contains("已装载为第 1 版，现有 2 行数据"),
        "{}",
        res.body
    );
    // The same as a workbook: a new version.
    let xlsx = egov_documents::sheet::write(
        "人口",
        &["district", "year", "population"],
        &[vec![
            "朝阳区".into(),
            egov_documents::sheet::Cell::Number(2025.0),
            egov_documents::sheet::Cell::Number(343.1),
        ]],
    )
    .unwrap();
    let res = upload(&tjj, &tjj.1, "population.xlsx", &xlsx).await;
    assert!(
        res.body.contains("已装载为第 2 版，现有 1 行数据"),
        "{}",
        res.body
    );

    // The consumer asks on the page; the provider sees it waiting and answers.
    let (asked_until, granted_until) = (days_on(200), days_on(100));
    let res = app
        .post_form(
            "/catalogue/110000-TJJ-00001/request",
            Some(&mzj.0),
            &[
                ("csrf", &mzj.1),
                ("purpose", "低保资格核查"),
                ("fields", "district"),
                ("fields", "population"),
                ("until", &asked_until),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let number = res
        .body
        .split("/catalogue/requests/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the request")
        .to_owned();
    let list = page(&tjj, "/catalogue").await;
    assert!(
        list.body.contains(&format!("/catalogue/requests/{number}")),
        "the provider's list shows it waiting"
    );
    let req = page(&tjj, &format!("/catalogue/requests/{number}")).await;
    assert!(req.body.contains("id=\"grant-form\""));
    let seen = page(&mzj, &format!("/catalogue/requests/{number}")).await;
    assert!(
        !seen.body.contains("id=\"grant-form\""),
        "the consumer sees it without the forms"
    );
    let fgw = keeper(&app, "fgw.pages", "110000-FGW").await;
    assert_eq!(
        page(&fgw, &format!("/catalogue/requests/{number}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let res = app
        .post_form(
            &format!("/catalogue/requests/{number}/answer"),
            Some(&tjj.0),
            &[("csrf", &tjj.1), ("decision", "refuse"), ("reason", " ")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("不同意共享须说明理由"), "{}", res.body);
    let res = app
        .post_form(
            &format!("/catalogue/requests/{number}/answer"),
            Some(&tjj.0),
            &[
                ("csrf", &tjj.1),
                ("decision", "grant"),
                ("fields", "population"),
                ("until", &granted_until),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let after = page(&mzj, &format!("/catalogue/requests/{number}")).await;
    assert!(after.body.contains("已同意共享"));
    let grants = mzj.get(&app, "/api/v1/catalogue/grants").await;
    assert_eq!(grants["grants"][0]["fields"], json!(["population"]));
    assert_eq!(grants["grants"][0]["expires_on"], granted_until.as_str());
}

/// A keeper registers a resource on the form and revises it: a form that
/// does not check comes back with what was typed and what is wrong, and
/// nothing is stored; other departments' keepers may not revise it.
#[tokio::test]
async fn keepers_register_and_revise_resources_on_the_form() {
    let app = TestApp::new().await;
    let tjj = keeper(&app, "tjj.form", "110000-TJJ").await;
    let mzj = keeper(&app, "mzj.form", "110000-MZJ").await;
    let page = |who: &Caller, path: &str| {
        let (app, cookie, path) = (&app, who.0.clone(), path.to_owned());
        async move { app.get_with(&path, &[("cookie", &cookie)]).await }
    };
    let list = page(&tjj, "/catalogue").await;
    assert!(
        list.body.contains("href=\"/catalogue/new\""),
        "{}",
        list.body
    );
    let blank = page(&tjj, "/catalogue/new").await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(
        blank.body.contains("110000-TJJ-"),
        "the department's code is fixed"
    );
    assert!(
        blank.body.contains("value=\"00001\""),
        "the next digits are offered"
    );

    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &tjj.1),
        ("suffix", "00007"),
        ("class", "101"),
        ("name", "各区户籍人口"),
        ("abstract", "北京市各区年末户籍人口。"),
        ("keywords", "人口，户籍"),
        ("format", "电子表格"),
        ("update_cycle", "yearly"),
        ("published", "2026-03-01"),
        ("sharing", "none"),
        ("sharing_method", ""),
        ("legal_basis", ""),
        ("open", "closed"),
        ("related", ""),
        ("item_title", "区"),
        ("item_name", "district"),
        ("item_type", "string"),
        ("item_title", "户籍人口（万人）"),
        ("item_name", "population"),
        ("item_type", "decimal"),
        ("item_title", ""),
        ("item_name", ""),
        ("item_type", "string"),
    ];
    // Not shared, with no legal basis: the form again, as typed.
    let res = app.post_form("/catalogue/new", Some(&tjj.0), &form).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("不予共享的资源须写明"), "{}", res.body);
    assert!(
        res.body.contains("value=\"各区户籍人口\""),
        "kept: {}",
        res.body
    );
    assert_eq!(app.count("catalogue_resources").await, 0);
    // More rows: the form again, nothing saved.
    let mut more = form.clone();
    more.push(("more", "1"));
    let res = app.post_form("/catalogue/new", Some(&tjj.0), &more).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("id=\"item-name-8\""),
        "two filled and six spare rows"
    );
    assert_eq!(app.count("catalogue_resources").await, 0);

    for (k, v) in form.iter_mut() {
        if *k == "legal_basis" {
            *v = "《中华人民共和国统计法》第二十五条";
        }
    }
    let res = app.post_form("/catalogue/new", Some(&tjj.0), &form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let shown = tjj
        .get(&app, "/api/v1/catalogue/resources/110000-TJJ-00007")
        .await;
    assert_eq!(shown["sharing"], "none");
    assert_eq!(shown["keywords"], json!(["人口", "户籍"]));
    assert_eq!(
        shown["items"].as_array().unwrap().len(),
        2,
        "the empty row left out"
    );
    // The same digits again: refused, the first one kept.
    let res = app.post_form("/catalogue/new", Some(&tjj.0), &form).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("已经登记"), "{}", res.body);
    // Registered meanwhile by another hand (this node's copy of the catalogue
    // not yet told): refused too, and what the other wrote is kept.
    app.db()
        .execute(query(
            "INSERT INTO catalogue_resources (code, department_id, class_code, name, name_en, \
             abstract, abstract_en, keywords, format, update_cycle, published_on, sharing, \
             sharing_condition, sharing_method, legal_basis, open, related, items, created_at, \
             updated_at) \
             SELECT '110000-TJJ-00008', department_id, class_code, '另一人登记的资源', name_en, \
             abstract, abstract_en, keywords, format, update_cycle, published_on, sharing, \
             sharing_condition, sharing_method, legal_basis, open, related, items, created_at, \
             updated_at FROM catalogue_resources WHERE code = '110000-TJJ-00007'",
        ))
        .await
        .unwrap();
    let mut other_digits = form.clone();
    for (k, v) in other_digits.iter_mut() {
        if *k == "suffix" {
            *v = "00008";
        }
    }
    let res = app
        .post_form("/catalogue/new", Some(&tjj.0), &other_digits)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("已经登记"), "{}", res.body);
    assert_eq!(
        app.texts("SELECT name FROM catalogue_resources WHERE code = '110000-TJJ-00008'")
            .await,
        ["另一人登记的资源"]
    );

    // Revised on its edit page, filled in with what it holds.
    let edit = page(&tjj, "/catalogue/110000-TJJ-00007/edit").await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("value=\"population\""), "{}", edit.body);
    assert_eq!(
        page(&mzj, "/catalogue/110000-TJJ-00007/edit").await.status,
        StatusCode::FORBIDDEN
    );
    for (k, v) in form.iter_mut() {
        if *k == "name" {
            *v = "各区户籍人口（年末）";
        }
        if *k == "csrf" {
            *v = &mzj.1;
        }
    }
    let res = app
        .post_form("/catalogue/110000-TJJ-00007/edit", Some(&mzj.0), &form)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    for (k, v) in form.iter_mut() {
        if *k == "csrf" {
            *v = &tjj.1;
        }
    }
    let res = app
        .post_form("/catalogue/110000-TJJ-00007/edit", Some(&tjj.0), &form)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let shown = tjj
        .get(&app, "/api/v1/catalogue/resources/110000-TJJ-00007")
        .await;
    assert_eq!(shown["name"], "各区户籍人口（年末）");
    assert_eq!(
        app.texts("SELECT action FROM audit_log WHERE action LIKE 'catalogue.%' ORDER BY seq")
            .await,
        ["catalogue.registered", "catalogue.revised"]
    );
}
