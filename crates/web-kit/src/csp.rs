//! The Content-Security-Policy: one policy for every page, and the two
//! places a page needs more. The API reference's Swagger UI sets inline
//! styles; a form whose answer redirects to a relying party (signing in,
//! consenting or signing out during single sign-on) must be allowed to end
//! there, because browsers check `form-action` on every redirect a form
//! submission follows.

use axum::http::HeaderValue;

const BASE: &str = "default-src 'self'; img-src 'self' data:; script-src 'self'; \
                    frame-ancestors 'none'; base-uri 'self'";

/// The policy of every page that sets none of its own.
pub fn default_policy() -> HeaderValue {
    HeaderValue::from_str(&policy(false, &[])).expect("a static policy")
}

/// The policy with inline styles allowed (the API reference only).
pub fn with_inline_styles() -> HeaderValue {
    HeaderValue::from_str(&policy(true, &[])).expect("a static policy")
}

/// The policy of a page whose form may end, through redirects, at one of
/// `targets` (source expressions from [`form_target`]).
pub fn with_form_targets(targets: &[String]) -> HeaderValue {
    HeaderValue::from_str(&policy(false, targets)).expect("targets are checked source expressions")
}

fn policy(inline_styles: bool, form_targets: &[String]) -> String {
    let style = if inline_styles {
        "style-src 'self' 'unsafe-inline'"
    } else {
        "style-src 'self'"
    };
    let mut form_action = String::from("form-action 'self'");
    for target in form_targets {
        form_action.push(' ');
        form_action.push_str(target);
    }
    format!("{BASE}; {style}; {form_action}")
}

/// The source expression that lets a form end at `uri` (a registered
/// redirect URI): its origin for http and https (browsers ignore the path
/// after a redirect), its scheme for an app's own scheme. None for anything
/// that could not be written safely into the policy.
pub fn form_target(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    let source = match url.scheme() {
        "http" | "https" => url.origin().ascii_serialization(),
        scheme => format!("{scheme}:"),
    };
    let safe = source
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.' | '-' | '+' | '[' | ']'));
    safe.then_some(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_target_is_the_origin_or_the_scheme() {
        assert_eq!(
            form_target("http://127.0.0.1:4100/cb?x=1").as_deref(),
            Some("http://127.0.0.1:4100")
        );
        assert_eq!(
            form_target("https://rp.example/a/b").as_deref(),
            Some("https://rp.example")
        );
        assert_eq!(
            form_target("cn.gov.app:/callback").as_deref(),
            Some("cn.gov.app:")
        );
        assert_eq!(form_target("not a uri"), None);
    }

    #[test]
    fn targets_widen_form_action_alone() {
        let p = with_form_targets(&["https://rp.example".into()]);
        let p = p.to_str().unwrap();
        assert!(p.ends_with("form-action 'self' https://rp.example"), "{p}");
        assert!(p.contains("style-src 'self';"), "{p}");
        assert!(default_policy()
            .to_str()
            .unwrap()
            .ends_with("form-action 'self'"));
    }
}
