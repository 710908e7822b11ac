//! The smallest system, added the way every system is: one [`Slice`] (its
//! strings, navigation entry, a documented API route, a page and a part of
//! the state) passed to the composer, with no other system's file edited.
//! ARCHITECTURE.md's "Adding a system" walks through the same parts.

use crate::common::TestApp;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use egov_web::{AppState, Slice};
use egov_web_kit::context::Lang;
use egov_web_kit::i18n::{translate, Strings};
use egov_web_kit::nav::{NavEntry, Shown};
use egov_web_kit::page::message_page;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The system's UI strings, both languages.
static STRINGS: Strings = Strings {
    name: "bulletin",
    zh: "[bulletin]\nnav = \"公告栏\"\nheading = \"公告栏\"\n",
    en: "[bulletin]\nnav = \"Bulletin\"\nheading = \"Bulletin board\"\n",
};

static NAV: &[NavEntry] = &[NavEntry {
    order: 15,
    href: "/bulletin",
    label: "bulletin.nav",
    shown: Shown::Everyone,
}];

/// What the system keeps on a node: its notices.
struct Notices(Vec<&'static str>);

fn parts(state: AppState) -> AppState {
    state.with_part(Notices(vec!["元旦假期办事大厅安排"]))
}

/// The notices, as JSON.
#[utoipa::path(get, path = "/api/v1/bulletin", tag = "bulletin",
    responses((status = 200, body = Vec<String>)))]
async fn list(State(state): State<AppState>) -> Json<Vec<&'static str>> {
    Json(state.part::<Notices>().0.clone())
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

async fn board(State(state): State<AppState>, Lang(locale): Lang) -> Response {
    let notices = state.part::<Notices>().0.join("；");
    message_page(
        locale,
        StatusCode::OK,
        translate(locale, "bulletin.heading"),
        &notices,
    )
}

fn pages() -> Router<AppState> {
    Router::new().route("/bulletin", get(board))
}

fn bulletin() -> Slice {
    Slice {
        name: "bulletin",
        strings: &STRINGS,
        nav: NAV,
        api,
        pages,
        parts,
        processes: &[],
    }
}

#[tokio::test]
async fn a_new_system_is_one_slice_beside_the_others() {
    let mut app = TestApp::new().await;
    let state = AppState::new(app.db().clone(), egov_web::WebSettings::default());
    app.router = egov_web::router_with(state, &[bulletin()]);

    // Its page, in the shell, in both languages.
    let page = app.get("/bulletin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("公告栏"), "{}", page.body);
    assert!(page.body.contains("元旦假期办事大厅安排"));
    let en = app
        .get_with("/bulletin", &[("accept-language", "en")])
        .await;
    assert!(en.body.contains("Bulletin board"), "{}", en.body);

    // Its entry in everyone's navigation, after the hall.
    let home = app.get("/").await;
    let hall = home.body.find(r#"<li><a href="/services""#).unwrap();
    let ours = home
        .body
        .find(r#"<li><a href="/bulletin""#)
        .expect("the new system's entry is in the navigation");
    assert!(hall < ours);

    // Its route answers and is in the OpenAPI document.
    let listed = app.get("/api/v1/bulletin").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body, r#"["元旦假期办事大厅安排"]"#);
    let doc = app.get("/api/openapi.json").await;
    assert!(doc.body.contains(r#""/api/v1/bulletin""#));

    // The other systems are as they were.
    assert_eq!(app.get("/services").await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/services").await.status, StatusCode::OK);
}
