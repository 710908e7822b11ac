//! The certificate wallet (我的证照): the electronic certificates the
//! person or their enterprise holds, each as a PDF and checkable in public.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use egov_services::certificates::{self, Certificate};
use egov_web_kit::auth::{PageUser, CITIZEN};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::download::{private_pdf, Disposition};
use egov_web_kit::page::{render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage {
    chrome: Chrome,
    certificates: Vec<Certificate>,
    /// The person's identity as the platform verified it, where it was
    /// verified well enough to stand for an identity document: the name,
    /// the ID number masked and the level.
    identity: Option<(String, String, i32)>,
    directory: std::sync::Arc<egov_org::Directory>,
}

impl WalletPage {
    /// The issuing department's name in English, where kept.
    fn issuer_en(&self, c: &Certificate) -> Option<&str> {
        self.directory
            .by_code(&c.issuer_code)
            .and_then(|d| d.name_en.as_deref())
    }

    fn issued(&self, c: &Certificate) -> String {
        egov_kernel::time::beijing(c.issued_at)
            .format("%Y-%m-%d")
            .to_string()
    }
}

pub async fn wallet(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<CITIZEN>,
) -> Result<Response, ApiError> {
    super::results::issue_owed(&state, origin, &user).await?;
    let certificates = certificates::wallet(&state.db, crate::work::holder(&user)).await?;
    let identity = if user.assurance_level >= certificates::IDENTITY_GIVEN_FROM {
        let record = egov_identity::get_user(&state.db, user.user_id)
            .await
            .map_err(ApiError::internal)?;
        let masked = egov_identity::personal::masked(&record).resident_id;
        masked.map(|id| (record.display_name, id, record.assurance_level))
    } else {
        None
    };
    Ok(render(
        StatusCode::OK,
        &WalletPage {
            chrome: Chrome::new(locale, Some(user), "/account/certificates"),
            certificates,
            identity,
            directory: egov_org::directory(&state.db).await?,
        },
    ))
}

/// One of the wallet's certificates as a PDF; another's is not found.
pub async fn download(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<CITIZEN>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let party = crate::work::holder(&user);
    let Some(cert) = certificates::held(&state.db, &code, party).await? else {
        return Ok(egov_web_kit::page::error_page(
            locale,
            StatusCode::NOT_FOUND,
        ));
    };
    let bytes = crate::work::certificate_pdf(&state, &cert, &headers).await?;
    private_pdf(
        bytes,
        Disposition::Attachment,
        &format!("certificate-{}.pdf", cert.code),
    )
}
