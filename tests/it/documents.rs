//! Department seals in the admin console, as an administrator manages them
//! for the documents their departments issue.

use crate::applications::multipart;
use crate::common::TestApp;
use axum::http::{Method, StatusCode};

/// A red ring on a transparent ground, as a seal is scanned.
pub(crate) fn seal_png() -> Vec<u8> {
    let n = 96u32;
    let mut rgba = Vec::with_capacity((n * n * 4) as usize);
    for y in 0..n {
        for x in 0..n {
            let (dx, dy) = (x as f32 - 48.0, y as f32 - 48.0);
            let on = (40.0..46.0).contains(&(dx * dx + dy * dy).sqrt());
            rgba.extend_from_slice(&[230, 0, 18, if on { 255 } else { 0 }]);
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, n, n);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&rgba).unwrap();
    w.finish().unwrap();
    out
}

const PAGE: &str = "/admin/departments/110105-SCJGJ/seal";

async fn upload(
    app: &TestApp,
    who: &(String, String),
    name: &str,
    bytes: &[u8],
) -> crate::common::TestResponse {
    let (ct, body) = multipart(&[("csrf", &who.1)], (name, bytes));
    app.send(
        Method::POST,
        PAGE,
        &[
            ("cookie", &who.0),
            ("content-type", &ct),
            ("accept", "text/html"),
        ],
        body,
    )
    .await
}

#[tokio::test]
async fn an_administrator_sets_and_removes_a_departments_seal() {
    let app = TestApp::new().await;
    let pw = app.staff("admin", true).await;
    let admin = app.sign_in("admin", &pw).await;
    let page = app.get_with(PAGE, &[("cookie", &admin.0)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"no-seal\""));
    let list = app
        .get_with(
            "/admin/departments?division=110105",
            &[("cookie", &admin.0)],
        )
        .await;
    assert!(list.body.contains(&format!("href=\"{PAGE}\"")));

    // Something that is not a PNG, or a broken one, is refused and stores nothing.
    let gif = upload(&app, &admin, "seal.png", b"GIF89a\x01\x00\x01\x00").await;
    assert_eq!(gif.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", gif.body);
    assert!(gif.body.contains("PNG") && gif.body.contains("role=\"alert\""));
    let mut broken = seal_png();
    broken.truncate(70);
    let res = upload(&app, &admin, "seal.png", &broken).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let big = vec![0u8; 600 * 1024];
    let res = upload(&app, &admin, "seal.png", &big).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("department_seals").await, 0);

    // A seal is stored, shown and audited.
    let png = seal_png();
    let res = upload(&app, &admin, "seal.png", &png).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app
        .get_with(&format!("{PAGE}?saved=1"), &[("cookie", &admin.0)])
        .await;
    assert!(page.body.contains("id=\"seal-image\"") && page.body.contains("role=\"status\""));
    let image = app
        .get_with(&format!("{PAGE}.png"), &[("cookie", &admin.0)])
        .await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-type"), "image/png");
    assert_eq!(image.bytes, png);
    assert_eq!(
        app.count_where("audit_log", "action = 'department.seal_set'")
            .await,
        1
    );

    // Without the form's token nothing changes.
    let (ct, body) = multipart(&[("csrf", "forged")], ("seal.png", &png));
    let forged = app
        .send(
            Method::POST,
            PAGE,
            &[("cookie", &admin.0), ("content-type", &ct)],
            body,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Removing it.
    let res = app
        .post_form(
            &format!("{PAGE}/remove"),
            Some(&admin.0),
            &[("csrf", &admin.1)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("department_seals").await, 0);
    assert_eq!(
        app.count_where("audit_log", "action = 'department.seal_removed'")
            .await,
        1
    );
}

#[tokio::test]
async fn only_administrators_see_or_change_seals() {
    let app = TestApp::new().await;
    let pw = app.staff("handler", false).await;
    let handler = app.sign_in("handler", &pw).await;
    let page = app
        .get_with(PAGE, &[("cookie", &handler.0), ("accept", "text/html")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let res = upload(&app, &handler, "seal.png", &seal_png()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("department_seals").await, 0);
    let anonymous = app.get(PAGE).await;
    assert!(
        matches!(
            anonymous.status,
            StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED
        ),
        "{}",
        anonymous.status
    );
    let pw = app.staff("admin", true).await;
    let admin = app.sign_in("admin", &pw).await;
    let unknown = app
        .get_with(
            "/admin/departments/110105-NOPE/seal",
            &[("cookie", &admin.0)],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
