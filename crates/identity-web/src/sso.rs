//! What the sign-in, consent, sign-out and account pages need to know of
//! single sign-on: which relying party a page's form may end at (its
//! Content-Security-Policy), and what each scope means in words.

use crate::state::AppState;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use egov_kernel::Locale;
use std::collections::HashMap;

/// What each scope in `scope` lets an application have, in words (an
/// unknown scope as itself).
pub(crate) fn scope_labels(locale: Locale, scope: &str) -> Vec<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| {
            crate::i18n::lookup(locale, &format!("oidc.scope_{s}"))
                .map_or_else(|| s.to_owned(), str::to_owned)
        })
        .collect()
}

/// Lets the page's forms end at these registered URIs (see
/// `egov_web_kit::csp`): the page's own policy replaces the default one.
pub(crate) fn allow_forms_to<'a>(res: &mut Response, uris: impl IntoIterator<Item = &'a str>) {
    if let Some(policy) = policy_for(uris) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
}

fn policy_for<'a>(uris: impl IntoIterator<Item = &'a str>) -> Option<HeaderValue> {
    let targets: Vec<String> = uris
        .into_iter()
        .filter_map(egov_web_kit::csp::form_target)
        .collect();
    (!targets.is_empty()).then(|| egov_web_kit::csp::with_form_targets(&targets))
}

/// The policy for a sign-in page (password or second factor) whose `next`
/// resumes an authorization request: its form may end at the request's
/// redirect URI, once that URI is checked to be registered for the client.
/// None (the default policy) for every other page.
pub(crate) async fn return_policy(state: &AppState, next: &str) -> Option<HeaderValue> {
    let query = next.strip_prefix("/oidc/authorize?")?;
    let p: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| p.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let (client_id, redirect_uri) = (param("client_id")?, param("redirect_uri")?);
    match egov_oidc::find_client(&state.db, client_id).await {
        Ok(Some(client)) if client.redirect_uris.iter().any(|u| u == redirect_uri) => {
            policy_for([redirect_uri])
        }
        // No such client or URI: the authorization endpoint will refuse it
        // on a page of its own, without redirecting.
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "no client to widen the sign-in page's policy for");
            None
        }
    }
}

/// [`return_policy`] set on a sign-in page.
pub(crate) async fn allow_return_through(state: &AppState, next: &str, res: &mut Response) {
    if let Some(policy) = return_policy(state, next).await {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
}
