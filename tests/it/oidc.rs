//! The OpenID Connect provider, in process: the code flow with PKCE, token
//! and UserInfo endpoints, refresh rotation, code and refresh replay,
//! prompt, max_age, id_token_hint, client credentials, logout and key
//! rotation. Real client libraries run against a real socket in CI.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{enc, TestApp, TestResponse};
use data_encoding::{BASE64, BASE64URL_NOPAD};
use egov_kernel::Context;
use egov_oidc::keys::Alg;
use serde_json::Value;
use sha2::Digest;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const LOGOUT_TARGET: &str = "http://127.0.0.1:9/bye";
const VERIFIER: &str = "dBjftJeZ4CVP-mA92tBkwpEZhdnNJ6JRHfVmY4gQ7Nw";

struct Rp {
    id: String,
    secret: String,
}

fn new_client(alg: Alg) -> egov_oidc::NewClient {
    egov_oidc::NewClient {
        name: "区级业务系统".into(),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![LOGOUT_TARGET.into()],
        id_token_alg: alg,
        public: false,
        require_pkce: false,
        backchannel_logout_uri: None,
    }
}

async fn setup(alg: Alg) -> (TestApp, Rp, String) {
    setup_with(new_client(alg)).await
}

async fn setup_with(new: egov_oidc::NewClient) -> (TestApp, Rp, String) {
    let app = TestApp::new().await;
    let (client, secret) = egov_oidc::create_client(app.db(), &Context::system(), new)
        .await
        .unwrap();
    let password = app.staff("li.ming", false).await;
    let (cookie, _) = app.sign_in("li.ming", &password).await;
    let rp = Rp {
        id: client.client_id,
        secret,
    };
    // The person has let this application in before (the consent page has
    // tests of its own).
    code_for(&app, &rp, &cookie).await;
    (app, rp, cookie)
}

fn challenge() -> String {
    BASE64URL_NOPAD.encode(&sha2::Sha256::digest(VERIFIER.as_bytes()))
}

fn authorize_url(rp: &Rp, extra: &[(&str, &str)]) -> String {
    let ch = challenge();
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", rp.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    p.extend_from_slice(extra);
    let q: Vec<String> = p.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    format!("/oidc/authorize?{}", q.join("&"))
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The answer to an authorization request, once the person behind `cookie`
/// has allowed it on the consent page if they were asked.
async fn authorized(app: &TestApp, url: &str, cookie: &str) -> TestResponse {
    let res = app.get_with(url, &[("cookie", cookie)]).await;
    if res.status == StatusCode::OK && res.body.contains("name=\"egov_consent\"") {
        return answer_consent(app, &res, cookie, "approve").await;
    }
    res
}

/// Posts the consent page's form with the person's answer.
async fn answer_consent(
    app: &TestApp,
    page: &TestResponse,
    cookie: &str,
    answer: &str,
) -> TestResponse {
    let mut fields = common::html::hidden_fields(&page.body);
    fields.push(("egov_consent".into(), answer.into()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form("/oidc/authorize", Some(cookie), &fields)
        .await
}

async fn code_for(app: &TestApp, rp: &Rp, cookie: &str) -> String {
    let res = authorized(app, &authorize_url(rp, &[]), cookie).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let q = query_of(res.header("location"));
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], "http://localhost");
    q["code"].clone()
}

async fn token(app: &TestApp, rp: &Rp, fields: &[(&str, &str)], basic: bool) -> TestResponse {
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    let auth = format!(
        "Basic {}",
        BASE64.encode(format!("{}:{}", rp.id, rp.secret).as_bytes())
    );
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if basic {
        headers.push(("authorization", auth.as_str()));
    } else {
        all.push(("client_id", &rp.id));
        all.push(("client_secret", &rp.secret));
    }
    let body: Vec<String> = all.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    app.send(Method::POST, "/oidc/token", &headers, body.join("&"))
        .await
}

async fn exchange(app: &TestApp, rp: &Rp, code: &str, basic: bool) -> TestResponse {
    token(
        app,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        basic,
    )
    .await
}

/// A JWT's header, decoded by hand.
fn jwt_header(token: &str) -> Value {
    let head = token.split('.').next().unwrap();
    serde_json::from_slice(&BASE64URL_NOPAD.decode(head.as_bytes()).unwrap()).unwrap()
}

/// Whether a resource would refuse `token` as a machine's access token.
async fn refused_as_machine_token(app: &TestApp, token: &str) -> bool {
    egov_oidc::machine_token(app.db(), token)
        .await
        .unwrap()
        .is_none()
}

/// Verifies an ID token against the served JWKS, independently of the
/// provider's own code paths, and returns its claims.
async fn verify_with_jwks(app: &TestApp, id_token: &str) -> Value {
    let jwks = app.get("/oidc/jwks").await.json();
    let parts: Vec<&str> = id_token.split('.').collect();
    let header = jwt_header(id_token);
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("kid in JWKS")
        .clone();
    let message = format!("{}.{}", parts[0], parts[1]);
    let sig = BASE64URL_NOPAD.decode(parts[2].as_bytes()).unwrap();
    let b = |v: &Value| {
        BASE64URL_NOPAD
            .decode(v.as_str().unwrap().as_bytes())
            .unwrap()
    };
    match header["alg"].as_str().unwrap() {
        "RS256" => {
            use rsa::signature::Verifier;
            let key = rsa::RsaPublicKey::new(
                rsa::BigUint::from_bytes_be(&b(&jwk["n"])),
                rsa::BigUint::from_bytes_be(&b(&jwk["e"])),
            )
            .unwrap();
            let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key);
            vk.verify(
                message.as_bytes(),
                &rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap(),
            )
            .expect("RS256 signature verifies");
        }
        "ES256" => {
            use p256::ecdsa::signature::Verifier;
            let mut point = vec![4u8];
            point.extend(b(&jwk["x"]));
            point.extend(b(&jwk["y"]));
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
            vk.verify(
                message.as_bytes(),
                &p256::ecdsa::Signature::from_slice(&sig).unwrap(),
            )
            .expect("ES256 signature verifies");
        }
        other => panic!("unexpected alg {other}"),
    }
    serde_json::from_slice(&BASE64URL_NOPAD.decode(parts[1].as_bytes()).unwrap()).unwrap()
}

#[tokio::test]
async fn discovery_lists_what_certification_needs() {
    let app = TestApp::empty().await;
    let d = app.get("/.well-known/openid-configuration").await.json();
    assert_eq!(d["issuer"], "http://localhost");
    assert!(d["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&"RS256".into()));
    assert!(d["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&"ES256".into()));
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let jwks = app.get("/oidc/jwks").await.json();
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(
        algs.contains(&"RS256") && algs.contains(&"ES256"),
        "{algs:?}"
    );
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("d").is_none()),
        "no private parts"
    );
}

#[tokio::test]
async fn the_code_flow_issues_verifiable_tokens_for_both_algorithms() {
    for alg in [Alg::Rs256, Alg::Es256] {
        let (app, rp, cookie) = setup(alg).await;
        let code = code_for(&app, &rp, &cookie).await;
        let res = exchange(&app, &rp, &code, alg == Alg::Rs256).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.header("cache-control"), "no-store");
        let t = res.json();
        assert_eq!(t["token_type"], "Bearer");
        let claims = verify_with_jwks(&app, t["id_token"].as_str().unwrap()).await;
        assert_eq!(claims["iss"], "http://localhost");
        assert_eq!(claims["aud"], rp.id.as_str());
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["egov_kind"], "staff");
        assert_eq!(claims["department"], "110000-ZWFWJ");
        assert_eq!(claims["roles"], serde_json::json!(["handler"]));
        assert!(claims["auth_time"].as_i64().is_some());

        // UserInfo by GET and by POST.
        let at = t["access_token"].as_str().unwrap();
        let bearer = format!("Bearer {at}");
        let ui = app
            .get_with("/oidc/userinfo", &[("authorization", &bearer)])
            .await;
        assert_eq!(ui.status, StatusCode::OK);
        assert_eq!(ui.json()["sub"], claims["sub"]);
        assert_eq!(ui.json()["preferred_username"], "li.ming");
        let ui = app
            .send(
                Method::POST,
                "/oidc/userinfo",
                &[("content-type", "application/x-www-form-urlencoded")],
                format!("access_token={at}"),
            )
            .await;
        assert_eq!(ui.status, StatusCode::OK);
        let bad = app
            .get_with("/oidc/userinfo", &[("authorization", "Bearer nope")])
            .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert!(bad.header("www-authenticate").contains("invalid_token"));
    }
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_it_issued() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let code = code_for(&app, &rp, &cookie).await;
    let first = exchange(&app, &rp, &code, true).await.json();
    let again = exchange(&app, &rp, &code, true).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["error"], "invalid_grant");
    let at = format!("Bearer {}", first["access_token"].as_str().unwrap());
    assert_eq!(
        app.get_with("/oidc/userinfo", &[("authorization", &at)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let refreshed = token(
        &app,
        &rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
        true,
    )
    .await;
    assert_eq!(refreshed.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn pkce_and_redirect_uri_must_match() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let code = code_for(&app, &rp, &cookie).await;
    let res = token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-1",
            ),
        ],
        true,
    )
    .await;
    assert_eq!(res.json()["error"], "invalid_grant");
    let code = code_for(&app, &rp, &cookie).await;
    let res = token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", VERIFIER),
        ],
        true,
    )
    .await;
    assert_eq!(res.json()["error"], "invalid_grant");
    // Wrong client secret.
    let bad = Rp {
        id: rp.id.clone(),
        secret: "nope".into(),
    };
    let res = exchange(&app, &bad, &code, true).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.json()["error"], "invalid_client");
    assert!(res.header("www-authenticate").starts_with("Basic"));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_replay_revokes_the_family() {
    let (app, rp, cookie) = setup(Alg::Es256).await;
    let code = code_for(&app, &rp, &cookie).await;
    let t1 = exchange(&app, &rp, &code, false).await.json();
    let rt1 = t1["refresh_token"].as_str().unwrap();
    let t2 = token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
        false,
    )
    .await;
    assert_eq!(t2.status, StatusCode::OK, "{}", t2.body);
    let t2 = t2.json();
    assert_ne!(t2["refresh_token"], t1["refresh_token"]);
    verify_with_jwks(&app, t2["id_token"].as_str().unwrap()).await;
    // Replaying the spent token revokes the new one too.
    let replay = token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
        false,
    )
    .await;
    assert_eq!(replay.json()["error"], "invalid_grant");
    let t3 = token(
        &app,
        &rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t2["refresh_token"].as_str().unwrap()),
        ],
        false,
    )
    .await;
    assert_eq!(t3.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    for url in [
        authorize_url(&rp, &[]).replace(&enc(REDIRECT), &enc("https://evil.example/cb")),
        authorize_url(&rp, &[]).replace(&rp.id, "c_unknown"),
    ] {
        let res = app.get_with(&url, &[("cookie", &cookie)]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}");
        assert!(res.header("location").is_empty());
        assert!(res.header("content-type").starts_with("text/html"));
    }
}

#[tokio::test]
async fn protocol_errors_go_back_to_the_client() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let cases = [
        (
            vec![("request", "eyJhbGciOiJub25lIn0.e30.")],
            "request_not_supported",
        ),
        (
            vec![("request_uri", "https://x/r")],
            "request_uri_not_supported",
        ),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let url = authorize_url(&rp, &extra).replace("code_challenge_method=S256&", "");
        let res = app.get_with(&url, &[("cookie", &cookie)]).await;
        let q = query_of(res.header("location"));
        assert_eq!(q["error"], error);
        assert_eq!(q["state"], "st-1");
    }
    let res = app
        .get_with(
            &authorize_url(&rp, &[]).replace("scope=openid+profile", "scope=profile"),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(query_of(res.header("location"))["error"], "invalid_scope");
    // Unknown parameters change nothing.
    let res = app
        .get_with(
            &authorize_url(
                &rp,
                &[
                    ("display", "page"),
                    ("ui_locales", "zh-CN"),
                    ("claims_locales", "en"),
                    ("login_hint", "li.ming"),
                    ("acr_values", "1"),
                    ("frobnicate", "yes"),
                ],
            ),
            &[("cookie", &cookie)],
        )
        .await;
    assert!(query_of(res.header("location")).contains_key("code"));
}

#[tokio::test]
async fn prompt_max_age_and_id_token_hint() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    // prompt=none without a session: login_required back to the client.
    let res = app.get(&authorize_url(&rp, &[("prompt", "none")])).await;
    assert_eq!(query_of(res.header("location"))["error"], "login_required");
    // Without a session, the user is sent to sign in and brought back.
    let res = app.get(&authorize_url(&rp, &[])).await;
    assert!(res
        .header("location")
        .starts_with("/login?next=/oidc/authorize%3F"));
    // prompt=none with a session: straight back with a code.
    let res = app
        .get_with(
            &authorize_url(&rp, &[("prompt", "none")]),
            &[("cookie", &cookie)],
        )
        .await;
    assert!(query_of(res.header("location")).contains_key("code"));
    // prompt=login with a session: sign in again.
    let res = app
        .get_with(
            &authorize_url(&rp, &[("prompt", "login")]),
            &[("cookie", &cookie)],
        )
        .await;
    assert!(
        res.header("location").starts_with("/login?next="),
        "{}",
        res.header("location")
    );
    // max_age: age the session's sign-in by an hour.
    {
        let an_hour_ago = egov_kernel::time::now() - chrono::Duration::hours(1);
        app.db()
            .execute(egov_store::query("UPDATE sessions SET auth_time = $1").bind(an_hour_ago))
            .await
            .unwrap();
    }
    let res = app
        .get_with(
            &authorize_url(&rp, &[("max_age", "600"), ("prompt", "none")]),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(query_of(res.header("location"))["error"], "login_required");
    let res = app
        .get_with(
            &authorize_url(&rp, &[("max_age", "600")]),
            &[("cookie", &cookie)],
        )
        .await;
    assert!(res.header("location").starts_with("/login?next="));
    let res = app
        .get_with(
            &authorize_url(&rp, &[("max_age", "7200"), ("prompt", "none")]),
            &[("cookie", &cookie)],
        )
        .await;
    assert!(query_of(res.header("location")).contains_key("code"));
    // id_token_hint for this user: fine; for another: login_required.
    let code = code_for(&app, &rp, &cookie).await;
    let id_token = exchange(&app, &rp, &code, true).await.json()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .get_with(
            &authorize_url(&rp, &[("prompt", "none"), ("id_token_hint", &id_token)]),
            &[("cookie", &cookie)],
        )
        .await;
    assert!(query_of(res.header("location")).contains_key("code"));
    let other_pw = app.staff("wang.fang", false).await;
    let (other, _) = app.sign_in("wang.fang", &other_pw).await;
    let res = app
        .get_with(
            &authorize_url(&rp, &[("prompt", "none"), ("id_token_hint", &id_token)]),
            &[("cookie", &other)],
        )
        .await;
    assert_eq!(query_of(res.header("location"))["error"], "login_required");
}

#[tokio::test]
async fn machine_clients_use_client_credentials() {
    let (app, rp, _) = setup(Alg::Rs256).await;
    let res = token(
        &app,
        &rp,
        &[("grant_type", "client_credentials"), ("scope", "exchange")],
        true,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let t = res.json();
    assert!(t.get("id_token").is_none() && t.get("refresh_token").is_none());
    assert_eq!(t["scope"], "exchange");
    let res = token(&app, &rp, &[("grant_type", "password")], true).await;
    assert_eq!(res.json()["error"], "unsupported_grant_type");

    // The access token is a JWT access token (RFC 9068) that the JWKS verifies.
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(access)["typ"], "at+jwt");
    let claims = verify_with_jwks(&app, access).await;
    assert_eq!(claims["client_id"], rp.id.as_str());
    assert_eq!(claims["sub"], rp.id.as_str());
    assert_eq!(claims["scope"], "exchange");
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    // A resource finds whose it is; handing it out was audited.
    let held = egov_oidc::machine_token(app.db(), access).await.unwrap();
    let held = held.expect("a live token");
    assert_eq!(
        (held.client_id.as_str(), held.scope.as_str()),
        (rp.id.as_str(), "exchange")
    );
    let records = egov_audit::for_object(app.db(), "oidc_client", &rp.id, 10)
        .await
        .unwrap();
    assert!(records
        .iter()
        .any(|r| r.action == "oidc.token_issue" && r.detail.contains(&held.jti)));
    // It is no user's token, and nothing but our own signature passes.
    assert_eq!(userinfo(&app, access).await, StatusCode::UNAUTHORIZED);
    let mut forged: Vec<String> = access.split('.').map(str::to_owned).collect();
    forged[1] = BASE64URL_NOPAD.encode(
        serde_json::json!({ "client_id": "someone", "scope": "exchange", "jti": "x",
            "exp": claims["exp"] })
        .to_string()
        .as_bytes(),
    );
    assert!(refused_as_machine_token(&app, &forged.join(".")).await);
    // Deleting the client revokes it.
    egov_oidc::delete_client(app.db(), &Context::system(), &rp.id)
        .await
        .unwrap();
    assert!(refused_as_machine_token(&app, access).await);
}

#[tokio::test]
async fn an_id_token_is_no_machine_token() {
    let (app, rp, cookie) = setup(Alg::Es256).await;
    let t = tokens_in(&app, &rp, &cookie).await;
    let id_token = t["id_token"].as_str().unwrap();
    assert!(refused_as_machine_token(&app, id_token).await);
}

#[tokio::test]
async fn rotated_keys_keep_old_tokens_verifiable() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let code = code_for(&app, &rp, &cookie).await;
    let old = exchange(&app, &rp, &code, true).await.json()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    egov_oidc::keys::rotate(app.db(), &Context::system())
        .await
        .unwrap();
    verify_with_jwks(&app, &old).await;
    let code = code_for(&app, &rp, &cookie).await;
    let new = exchange(&app, &rp, &code, true).await.json()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(
        jwt_header(&old)["kid"],
        jwt_header(&new)["kid"],
        "the new key signs"
    );
    verify_with_jwks(&app, &new).await;
    egov_oidc::keys::retire_old(app.db(), &Context::system())
        .await
        .unwrap();
    let jwks = app.get("/oidc/jwks").await.json();
    assert!(!jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == jwt_header(&old)["kid"]));
}

#[tokio::test]
async fn rp_initiated_logout() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let code = code_for(&app, &rp, &cookie).await;
    let id_token = exchange(&app, &rp, &code, true).await.json()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // An unregistered target is refused with a page.
    let res = app
        .get_with(
            &format!(
                "/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
                enc("https://evil.example/")
            ),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // Without a hint the user is asked first.
    let res = app.get_with("/oidc/logout", &[("cookie", &cookie)]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("action=\"/oidc/logout\""));
    assert_eq!(
        app.get_with("/account", &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::OK
    );
    // With the hint: signed out and sent back with the state.
    let res = app
        .get_with(
            &format!(
                "/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
                enc(LOGOUT_TARGET)
            ),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(res.header("location"), format!("{LOGOUT_TARGET}?state=bye"));
    assert_eq!(
        app.get_with("/account", &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_administrator_registers_a_client_in_the_console() {
    let app = TestApp::new().await;
    let pw = app.staff("sys.admin", true).await;
    let (cookie, csrf) = app.sign_in("sys.admin", &pw).await;
    let bad = app
        .post_form(
            "/admin/clients",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("redirect_uris", "not a url"),
                ("alg", "RS256"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("role=\"alert\""));
    let res = app
        .post_form(
            "/admin/clients",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("name", "朝阳区网格系统"),
                ("redirect_uris", REDIRECT),
                ("alg", "ES256"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);

    let grab = |id: &str| {
        res.body
            .split(&format!("id=\"{id}\" translate=\"no\">"))
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap()
            .to_owned()
    };
    let rp = Rp {
        id: grab("client-id"),
        secret: grab("client-secret"),
    };
    let t = token(&app, &rp, &[("grant_type", "client_credentials")], true).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let list = app.get_with("/admin/clients", &[("cookie", &cookie)]).await;
    assert!(list.body.contains("朝阳区网格系统"));
    assert!(
        !list.body.contains(&rp.secret),
        "the secret is shown once only"
    );
}

/// A code and the tokens for it, in the session behind `cookie`.
async fn tokens_in(app: &TestApp, rp: &Rp, cookie: &str) -> Value {
    let code = code_for(app, rp, cookie).await;
    let t = exchange(app, rp, &code, true).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    t.json()
}

async fn userinfo(app: &TestApp, access: &str) -> StatusCode {
    app.get_with(
        "/oidc/userinfo",
        &[("authorization", &format!("Bearer {access}"))],
    )
    .await
    .status
}

async fn refreshed(app: &TestApp, rp: &Rp, t: &Value) -> TestResponse {
    token(
        app,
        rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        true,
    )
    .await
}

#[tokio::test]
async fn tokens_end_with_the_session_they_were_issued_in() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let t = tokens_in(&app, &rp, &cookie).await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await, StatusCode::OK);
    let claims = verify_with_jwks(&app, t["id_token"].as_str().unwrap()).await;
    assert!(claims["sid"].as_str().is_some_and(|s| s.len() == 32));

    // Signing out at egov ends them: the access token and the refresh token.
    let csrf = egov_identity::find_session(app.db(), cookie.trim_start_matches("egov_session="))
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let out = app
        .post_form("/logout", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(userinfo(&app, access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refreshed(&app, &rp, &t).await.json()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_password_change_sign_out_everywhere_or_disabling_ends_them_too() {
    let (app, rp, cookie) = setup(Alg::Es256).await;
    let password = "Zheng-Wu-Ce-Shi-2026";
    // Tokens from a second session, on another device.
    let (other, _) = app.sign_in("li.ming", password).await;
    let t = tokens_in(&app, &rp, &other).await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&app, &access).await, StatusCode::OK);
    let csrf = egov_identity::find_session(app.db(), cookie.trim_start_matches("egov_session="))
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let code = app.recovery_code("li.ming").unwrap();
    let changed = app
        .post_form(
            "/account/password",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("current", password),
                ("new_password", "Xin-De-Mi-Ma-Geng-Chang-8"),
                ("confirm", "Xin-De-Mi-Ma-Geng-Chang-8"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    assert_eq!(userinfo(&app, &access).await, StatusCode::UNAUTHORIZED);

    // The session the change was made in goes on, with its tokens, until
    // an administrator disables the account.
    let t = tokens_in(&app, &rp, &cookie).await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&app, &access).await, StatusCode::OK);
    let user = egov_identity::list_users(app.db(), &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "li.ming")
        .unwrap();
    egov_identity::set_disabled(app.db(), &Context::system(), user.id, true)
        .await
        .unwrap();
    assert_eq!(userinfo(&app, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refreshed(&app, &rp, &t).await.json()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn an_idle_session_ends_and_its_tokens_with_it_but_refreshing_keeps_it_alive() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let t = tokens_in(&app, &rp, &cookie).await;
    // Refreshing counts as use: the session stays.
    let t2 = refreshed(&app, &rp, &t).await;
    assert_eq!(t2.status, StatusCode::OK, "{}", t2.body);
    let t2 = t2.json();
    // Thirty-one minutes without any use.
    app.db()
        .execute(
            egov_store::query("UPDATE sessions SET last_seen_at = $1")
                .bind(egov_kernel::time::now() - chrono::Duration::minutes(31)),
        )
        .await
        .unwrap();
    let page = app.get_with("/account", &[("cookie", &cookie)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "sent to sign in");
    assert_eq!(
        userinfo(&app, t2["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refreshed(&app, &rp, &t2).await.json()["error"],
        "invalid_grant"
    );
}

/// A relying party's back-channel logout endpoint on a real socket:
/// returns its address and what it receives.
async fn logout_receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let app = axum::Router::new().route(
        "/backchannel",
        axum::routing::post(move |body: String| {
            let tx = tx.clone();
            async move {
                tx.send(body).unwrap();
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/backchannel"), rx)
}

#[tokio::test]
async fn relying_parties_are_told_of_a_sign_out_over_the_back_channel() {
    let (uri, mut received) = logout_receiver().await;
    let (app, rp, cookie) = setup_with(egov_oidc::NewClient {
        backchannel_logout_uri: Some(uri),
        ..new_client(Alg::Es256)
    })
    .await;
    let t = tokens_in(&app, &rp, &cookie).await;
    let sid = verify_with_jwks(&app, t["id_token"].as_str().unwrap()).await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = egov_identity::find_session(app.db(), cookie.trim_start_matches("egov_session="))
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    app.post_form(
        "/account/sessions/end-all",
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    let http = egov_oidc::backchannel::client();
    let pass = egov_oidc::backchannel::run_once(app.db(), &http)
        .await
        .unwrap();
    assert_eq!(
        (pass.sessions, pass.queued, pass.delivered),
        (1, 1, 1),
        "{pass:?}"
    );
    let body = received.try_recv().expect("a logout token was posted");
    let token: String = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(jwt_header(&token)["typ"], "logout+jwt");
    let claims = verify_with_jwks(&app, &token).await;
    assert_eq!(claims["iss"], "http://localhost");
    assert_eq!(claims["aud"], rp.id.as_str());
    assert_eq!(claims["sid"], sid.as_str());
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
    assert!(claims["jti"].as_str().is_some() && claims["iat"].is_number());
    // Told once.
    let again = egov_oidc::backchannel::run_once(app.db(), &http)
        .await
        .unwrap();
    assert_eq!(again, Default::default());
}

#[tokio::test]
async fn a_relying_party_that_cannot_be_reached_is_tried_again_later() {
    let (app, rp, cookie) = setup_with(egov_oidc::NewClient {
        // Nothing listens on port 9.
        backchannel_logout_uri: Some("http://127.0.0.1:9/backchannel".into()),
        ..new_client(Alg::Rs256)
    })
    .await;
    tokens_in(&app, &rp, &cookie).await;
    egov_identity::end_session(
        app.db(),
        &Context::system(),
        cookie.trim_start_matches("egov_session="),
    )
    .await
    .unwrap();
    let http = egov_oidc::backchannel::client();
    let pass = egov_oidc::backchannel::run_once(app.db(), &http)
        .await
        .unwrap();
    assert_eq!((pass.queued, pass.delivered, pass.failed), (1, 0, 1));
    // Not due again at once: backed off.
    let pass = egov_oidc::backchannel::run_once(app.db(), &http)
        .await
        .unwrap();
    assert_eq!((pass.delivered, pass.failed), (0, 0));
    assert_eq!(
        app.count_where(
            "backchannel_deliveries",
            "attempts = 1 AND last_error IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn public_clients_and_clients_that_require_it_must_use_pkce() {
    let (app, rp, cookie) = setup_with(egov_oidc::NewClient {
        public: true,
        ..new_client(Alg::Rs256)
    })
    .await;
    assert!(rp.secret.is_empty(), "a public client has no secret");
    // No code_challenge: refused back to the client.
    let url = authorize_url(&rp, &[]).replace("&code_challenge=", "&x=");
    let res = app.get_with(&url, &[("cookie", &cookie)]).await;
    let q = query_of(res.header("location"));
    assert_eq!(q["error"], "invalid_request", "{q:?}");
    // With PKCE, the id alone authenticates it at the token endpoint.
    let code = code_for(&app, &rp, &cookie).await;
    let body = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={VERIFIER}&client_id={}",
        enc(&code),
        enc(REDIRECT),
        enc(&rp.id)
    );
    let t = app
        .send(
            Method::POST,
            "/oidc/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            body,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    // It has no credentials of its own.
    let body = format!("grant_type=client_credentials&client_id={}", enc(&rp.id));
    let cc = app
        .send(
            Method::POST,
            "/oidc/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            body,
        )
        .await;
    assert_eq!(cc.json()["error"], "unauthorized_client");
    let doc = app.get("/.well-known/openid-configuration").await.json();
    assert!(doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&Value::from("none")));
    assert_eq!(doc["backchannel_logout_supported"], true);
}

#[tokio::test]
async fn operators_rotate_and_delete_client_secrets_in_the_console() {
    let (app, rp, cookie) = setup(Alg::Rs256).await;
    let t = tokens_in(&app, &rp, &cookie).await;
    let pw = app.staff("sys.admin", true).await;
    let (admin, csrf) = app.sign_in("sys.admin", &pw).await;
    let rotated = app
        .post_form(
            &format!("/admin/clients/{}/secret", rp.id),
            Some(&admin),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new_secret = rotated
        .body
        .split("id=\"client-secret\" translate=\"no\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    let old = token(&app, &rp, &[("grant_type", "client_credentials")], true).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = Rp {
        id: rp.id.clone(),
        secret: new_secret,
    };
    let ok = token(&app, &new, &[("grant_type", "client_credentials")], true).await;
    assert_eq!(ok.status, StatusCode::OK);

    let deleted = app
        .post_form(
            &format!("/admin/clients/{}/delete", rp.id),
            Some(&admin),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        userinfo(&app, t["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    let gone = token(&app, &new, &[("grant_type", "client_credentials")], true).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
}

/// What a silent request (`prompt=none`) in the session behind `cookie`
/// brings back to the client: `code` or the error.
async fn silent_answer(app: &TestApp, rp: &Rp, cookie: &str) -> String {
    let res = app
        .get_with(
            &authorize_url(rp, &[("prompt", "none")]),
            &[("cookie", cookie)],
        )
        .await;
    let q = query_of(res.header("location"));
    q.get("error").cloned().unwrap_or_else(|| "code".into())
}

/// The policy a page's forms are held to.
fn form_action(res: &TestResponse) -> &str {
    let csp = res.header("content-security-policy");
    csp.split(';')
        .map(str::trim)
        .find(|d| d.starts_with("form-action"))
        .unwrap_or_else(|| panic!("no form-action in {csp:?}"))
}

#[tokio::test]
async fn the_person_is_asked_once_what_an_application_may_have() {
    let app = TestApp::new().await;
    let (client, secret) =
        egov_oidc::create_client(app.db(), &Context::system(), new_client(Alg::Es256))
            .await
            .unwrap();
    let rp = Rp {
        id: client.client_id,
        secret,
    };
    let password = app.citizen("zhang.san").await;
    let (cookie, _) = app.sign_in("zhang.san", &password).await;

    // Never asked: prompt=none cannot ask, so the client hears why.
    assert_eq!(silent_answer(&app, &rp, &cookie).await, "consent_required");

    // The page names the application and what it would get, and its form
    // may end at the client's redirect URI (and nowhere else but here).
    let page = app
        .get_with(&authorize_url(&rp, &[]), &[("cookie", &cookie)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("区级业务系统"));
    assert!(page.body.contains("姓名和用户名"), "profile in words");
    assert_eq!(form_action(&page), "form-action 'self' http://127.0.0.1:9");
    assert_eq!(app.count("oidc_codes").await, 0);
    // Switching the language asks the same question again.
    assert!(
        page.body.contains("next=/oidc/authorize%3F"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("client_id%3D{}", rp.id)));

    // The answer must be posted with the session's token.
    let fields = common::html::hidden_fields(&page.body);
    assert!(fields
        .iter()
        .any(|(k, v)| k == "redirect_uri" && v == REDIRECT));
    let mut forged: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    forged.push(("csrf", "guessed"));
    forged.push(("egov_consent", "approve"));
    let res = app
        .post_form("/oidc/authorize", Some(&cookie), &forged)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let in_the_url = format!(
        "{}&egov_consent=approve&csrf={}",
        authorize_url(&rp, &[]),
        enc(&fields.iter().find(|(k, _)| k == "csrf").unwrap().1)
    );
    let res = app.get_with(&in_the_url, &[("cookie", &cookie)]).await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "an answer only as a posted form"
    );
    assert_eq!(app.count("oidc_consents").await, 0);

    // Declined: back to the client with access_denied, nothing kept.
    let res = answer_consent(&app, &page, &cookie, "deny").await;
    let q = query_of(res.header("location"));
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("access_denied", "st-1")
    );
    assert_eq!(app.count("oidc_consents").await, 0);

    // Allowed: a code, and the answer kept with the code's audit record.
    let res = answer_consent(&app, &page, &cookie, "approve").await;
    assert!(query_of(res.header("location")).contains_key("code"));
    assert_eq!(
        app.count_where(
            "audit_log",
            "action = 'oidc.authorize' AND detail LIKE '%\"consented\":true%'"
        )
        .await,
        1
    );
    // Asked once: the next sign-in there goes straight back, prompt=none too.
    for extra in [vec![], vec![("prompt", "none")]] {
        let res = app
            .get_with(&authorize_url(&rp, &extra), &[("cookie", &cookie)])
            .await;
        assert!(query_of(res.header("location")).contains_key("code"));
    }
    // More than was allowed, or prompt=consent: asked again.
    for url in [
        authorize_url(&rp, &[]).replace("scope=openid+profile", "scope=openid+profile+phone"),
        authorize_url(&rp, &[("prompt", "consent")]),
    ] {
        let res = app.get_with(&url, &[("cookie", &cookie)]).await;
        assert_eq!(res.status, StatusCode::OK, "{url}");
        assert!(res.body.contains("name=\"egov_consent\""));
    }

    // The account page lists the application; withdrawing revokes what it
    // holds and it asks again.
    let t = tokens_in(&app, &rp, &cookie).await;
    let account = app.get_with("/account", &[("cookie", &cookie)]).await;
    assert!(account.body.contains("区级业务系统"), "{}", account.body);
    let csrf = common::html::hidden_fields(&account.body)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .unwrap()
        .1;
    let withdraw = format!("/account/apps/{}/withdraw", rp.id);
    let res = app
        .post_form(&withdraw, Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        userinfo(&app, t["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refreshed(&app, &rp, &t).await.json()["error"],
        "invalid_grant"
    );
    assert_eq!(silent_answer(&app, &rp, &cookie).await, "consent_required");
    // Withdrawn already: nothing to withdraw.
    let res = app
        .post_form(&withdraw, Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_pages_let_their_form_end_at_a_registered_redirect_uri_only() {
    let (app, rp, _) = setup(Alg::Rs256).await;
    let login = |url: String| format!("/login?next={}", enc(&url));
    let page = app.get(&login(authorize_url(&rp, &[]))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(form_action(&page), "form-action 'self' http://127.0.0.1:9");
    // Switching the language keeps the way back to the application.
    assert!(
        page.body
            .contains("next=/login%3Fnext%3D/oidc/authorize%253F"),
        "{}",
        page.body
    );
    // A redirect URI the client did not register, an unknown client, any
    // other page to come back to: the default policy.
    for next in [
        authorize_url(&rp, &[]).replace(&enc(REDIRECT), &enc("https://evil.example/cb")),
        authorize_url(&rp, &[]).replace(&rp.id, "c_unknown"),
        "/account".to_owned(),
    ] {
        let page = app.get(&login(next.clone())).await;
        assert_eq!(form_action(&page), "form-action 'self'", "{next}");
    }
    // The sign-in form shown again after a wrong password keeps it.
    let page = app.get(&login(authorize_url(&rp, &[]))).await;
    let form_cookie = page.set_cookie("egov_form").unwrap();
    let mut fields = common::html::hidden_fields(&page.body);
    fields.push(("username".into(), "li.ming".into()));
    fields.push(("password".into(), "not-the-password".into()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let again = app
        .post_form("/login", Some(&format!("egov_form={form_cookie}")), &fields)
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(form_action(&again), "form-action 'self' http://127.0.0.1:9");
    // Pages with nothing to do with single sign-on keep the default.
    assert_eq!(form_action(&app.get("/").await), "form-action 'self'");
}
