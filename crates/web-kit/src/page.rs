//! The page shell every system's pages share: the layout's [`Chrome`]
//! (language, signed-in user, path), rendering, error pages, and the
//! helpers for links and redirects.

use crate::i18n::translate;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use egov_identity::SessionUser;
use egov_kernel::Locale;

/// What every page's layout needs.
#[derive(Clone)]
pub struct Chrome {
    pub locale: Locale,
    pub user: Option<SessionUser>,
    /// The current path and query, for the language switch to come back to.
    pub path: String,
}

impl Chrome {
    pub fn new(locale: Locale, user: Option<SessionUser>, path: impl Into<String>) -> Self {
        Chrome {
            locale,
            user,
            path: path.into(),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        translate(self.locale, key)
    }

    /// `n` things in words, one apart from several (see [`crate::i18n::count`]).
    pub fn count(&self, key: &str, n: impl Into<i64>) -> String {
        crate::i18n::count(self.locale, key, n.into())
    }

    /// A word from a fixed list kept in Chinese in the data (an audience, a
    /// life event, a kind of item), in the page's language: the
    /// catalogue's `term.<list>.<word>`, else the word as it is.
    pub fn term<'a>(&self, list: &str, word: &'a str) -> std::borrow::Cow<'a, str> {
        match crate::i18n::lookup(self.locale, &format!("term.{list}.{word}")) {
            Some(s) => s.into(),
            None => word.into(),
        }
    }

    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    pub fn is_zh(&self) -> bool {
        self.locale == Locale::Zh
    }

    /// The link that switches to the other language and returns here.
    pub fn switch_href(&self) -> String {
        let other = match self.locale {
            Locale::Zh => Locale::En,
            Locale::En => Locale::Zh,
        };
        format!(
            "/locale?lang={}&next={}",
            other.tag(),
            encode_component(&self.path)
        )
    }

    /// Whether the page is under the menu entry `prefix`, whole segments
    /// only (`/grid/report` is not current on `/grid/reports/7`).
    pub fn is_current(&self, prefix: &str) -> bool {
        let path = self.path.split('?').next().unwrap_or_default();
        if prefix == "/" {
            path == "/"
        } else {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        }
    }

    /// Whether the admin console link belongs in the menu.
    pub fn may_admin(&self) -> bool {
        self.allows(egov_identity::Permission::UseAdminConsole)
    }

    pub fn is_staff(&self) -> bool {
        self.allows(egov_identity::Permission::UseWorkbench)
    }

    pub fn is_applicant(&self) -> bool {
        self.allows(egov_identity::Permission::UseCitizenServices)
    }

    pub fn may_manage_reference(&self) -> bool {
        self.allows(egov_identity::Permission::ManageReferenceData)
    }

    pub fn may_manage_org(&self) -> bool {
        self.allows(egov_identity::Permission::ManageOrg)
    }

    pub fn may_manage_clients(&self) -> bool {
        self.allows(egov_identity::Permission::ManageClients)
    }

    pub fn may_supervise(&self) -> bool {
        self.allows(egov_identity::Permission::OpenSupervision)
    }

    pub fn may_read_metrics(&self) -> bool {
        self.allows(egov_identity::Permission::ReadCaseMetrics)
    }

    /// The navigation entries the viewer may use, in order.
    pub fn nav(&self) -> Vec<crate::nav::NavEntry> {
        use crate::nav::Shown;
        let viewer = self.user.clone().map(egov_identity::Principal::User);
        crate::nav::entries()
            .into_iter()
            .filter(|e| match (e.shown, &viewer) {
                (Shown::Everyone, _) => true,
                (_, None) => false,
                (Shown::SignedIn, Some(_)) => true,
                (Shown::With(p), Some(v)) => egov_identity::allows(v, p),
            })
            .collect()
    }

    fn allows(&self, permission: egov_identity::Permission) -> bool {
        self.user.as_ref().is_some_and(|u| {
            egov_identity::allows(&egov_identity::Principal::User(u.clone()), permission)
        })
    }

    /// A moment as people here read it: Beijing wall-clock time, marked.
    pub fn beijing(&self, ts: &egov_kernel::time::Timestamp) -> String {
        beijing_marked(self.locale, *ts)
    }

    /// Data kept in Chinese with an English version where one is written.
    pub fn said<'a>(&self, zh: &'a str, en: Option<&'a str>) -> Said<'a> {
        said(self.locale, zh, en)
    }

    /// Brackets and the colon as the page's language writes them: full
    /// width in Chinese, with a space before in English.
    pub fn open_paren(&self) -> &'static str {
        if self.is_zh() {
            "（"
        } else {
            " ("
        }
    }

    pub fn close_paren(&self) -> &'static str {
        if self.is_zh() {
            "）"
        } else {
            ")"
        }
    }

    pub fn colon(&self) -> &'static str {
        if self.is_zh() {
            "："
        } else {
            ": "
        }
    }

    /// Whether `text`, shown on this page, is Chinese on an English page
    /// (for an attribute, whose element then says `lang="zh-CN"`).
    pub fn marks(&self, text: &str) -> bool {
        said(self.locale, text, None).marked
    }

    /// Something a person wrote or a name they go by, as written.
    pub fn own<'a>(&self, text: &'a str) -> Said<'a> {
        said(self.locale, text, None)
    }

    pub fn csrf(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.csrf_token.as_str())
            .unwrap_or("")
    }
}

/// A moment in Beijing wall-clock time, marked as such in `locale`.
pub fn beijing_marked(locale: Locale, ts: egov_kernel::time::Timestamp) -> String {
    format!(
        "{}{}",
        egov_kernel::time::beijing(ts).format("%Y-%m-%d %H:%M"),
        crate::i18n::translate(locale, "time.beijing")
    )
}

/// A name from a definition or catalogue entry in the viewer's language:
/// the English one when there is one and it is wanted.
pub fn localized(locale: Locale, zh: &str, en: Option<&str>) -> String {
    localized_ref(locale, zh, en).to_owned()
}

/// Text in the page's language where it is kept in it; otherwise the
/// Chinese, marked as Chinese (`<span lang="zh-CN">`) on an English page,
/// so readers and screen readers know which words are Chinese (a guide's
/// untranslated text, a name, what an applicant typed). Escaped.
pub struct Said<'a> {
    text: &'a str,
    marked: bool,
}

pub fn said<'a>(locale: Locale, zh: &'a str, en: Option<&'a str>) -> Said<'a> {
    let text = localized_ref(locale, zh, en);
    let marked =
        locale == Locale::En && text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    Said { text, marked }
}

impl std::fmt::Display for Said<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = askama::filters::escape(self.text, askama::filters::Html)
            .map_err(|_| std::fmt::Error)?;
        if self.marked {
            write!(f, r#"<span lang="zh-CN">{text}</span>"#)
        } else {
            write!(f, "{text}")
        }
    }
}

/// [`Said`] escapes what it holds itself.
impl askama::filters::HtmlSafe for Said<'_> {}

/// [`localized`], borrowed. An empty English name counts as none kept.
pub fn localized_ref<'a>(locale: Locale, zh: &'a str, en: Option<&'a str>) -> &'a str {
    match (locale, en) {
        (Locale::En, Some(en)) if !en.is_empty() => en,
        _ => zh,
    }
}

/// What a refused request tells the person who made it: the specific
/// message when there is one, else the problem's title.
pub fn error_message(locale: Locale, e: &crate::problem::ApiError) -> String {
    match &e.detail {
        Some(d) => d.get(locale).to_owned(),
        None => translate(locale, &format!("problem.{}", e.code)).to_owned(),
    }
}

/// Renders a template, or a logged 500 if rendering fails.
pub fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => crate::problem::ApiError::internal(e).into_response(),
    }
}

/// Renders a form page: 422 when it is shown again with what was refused,
/// 200 otherwise, so a client (and a test) can tell the two apart.
pub fn render_form<T: Template>(refused: bool, template: &T) -> Response {
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, template)
}

#[derive(Template, Clone)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    heading: String,
    message: String,
}

/// An HTML error page with a specific message. It is drawn for nobody in
/// particular; [`keep_signed_in`] draws it again with the signed-in
/// person's header, as every other page has.
pub fn message_page(locale: Locale, status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage {
        chrome: Chrome::new(locale, None, ""),
        status: status.as_u16(),
        heading: heading.to_owned(),
        message: message.to_owned(),
    };
    let mut res = render(status, &page);
    res.extensions_mut().insert(ErrorPageDrawn(page));
    res
}

/// The error page a response carries, to draw again for the signed-in
/// person.
#[derive(Clone)]
struct ErrorPageDrawn(ErrorPage);

/// Middleware: an error page keeps the signed-in person's header (their
/// name, their menu, signing out), wherever in the stack it was made. Only
/// error pages look the session up; every other answer passes untouched.
pub async fn keep_signed_in(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let token = crate::cookies::cookie(
        req.headers(),
        crate::cookies::SESSION_COOKIE,
        state.settings.secure_cookies,
    );
    let mut res = next.run(req).await;
    let Some(ErrorPageDrawn(mut page)) = res.extensions_mut().remove::<ErrorPageDrawn>() else {
        return res;
    };
    let Some(token) = token else {
        return res;
    };
    let user = match egov_identity::find_session(&state.db, &token).await {
        Ok(Some(user)) if user.complete => user,
        Ok(_) => return res,
        Err(e) => {
            // The page as drawn is still an answer; the header can wait.
            tracing::warn!(error = %e, "no session for an error page's header");
            return res;
        }
    };
    page.chrome.user = Some(user);
    let Ok(html) = page.render() else {
        return res;
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}

/// A plain HTML error page (404, 403) for browsers.
pub fn error_page(locale: Locale, status: StatusCode) -> Response {
    let key = match status {
        StatusCode::NOT_FOUND => "error.not_found",
        StatusCode::FORBIDDEN => "error.forbidden",
        _ => "error.other",
    };
    // No path: the error page marks no menu item as current.
    message_page(
        locale,
        status,
        translate(locale, &format!("{key}.heading")),
        translate(locale, &format!("{key}.message")),
    )
}

/// The audit context of a change a signed-in user makes through a page.
pub fn user_context(user: &SessionUser, origin: crate::context::Origin) -> egov_kernel::Context {
    origin.context(egov_kernel::Actor::User(user.user_id))
}

/// Percent-encodes a string for use inside a query component.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A `next` that holds control characters (CR, LF, NUL...): no page of
/// ours links there, so it is answered 400 rather than followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadNext;

impl BadNext {
    pub fn page(self, locale: Locale) -> Response {
        error_page(locale, StatusCode::BAD_REQUEST)
    }
}

/// A redirect target from user input: a path on this site as a browser
/// would read it, else `default`. Browsers drop tabs and newlines from a
/// URL and read `\` as `/`, so `/\t/host`, `/\\host` and `//host` all
/// leave the site; so would `/%2F/host` decoded once more on the way
/// back. What remains is made plain ASCII (other bytes percent-encoded),
/// so it always fits a `Location` header.
pub fn safe_next(next: Option<&str>, default: &'static str) -> Result<String, BadNext> {
    let Some(n) = next.filter(|n| !n.is_empty()) else {
        return Ok(default.to_owned());
    };
    if n.chars().any(char::is_control) {
        return Err(BadNext);
    }
    let decoded: String =
        url::form_urlencoded::parse(format!("x={}", n.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
    let same_site = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && !p.chars().any(char::is_control)
    };
    if !same_site(n) || !same_site(&decoded) {
        return Ok(default.to_owned());
    }
    let mut out = String::with_capacity(n.len());
    for b in n.bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::safe_next;
    use super::said;
    use super::Chrome;
    use egov_kernel::Locale;

    #[test]
    fn a_menu_entry_is_current_on_its_own_pages_only() {
        let on = |path: &str, entry: &str| Chrome::new(Locale::Zh, None, path).is_current(entry);
        assert!(on("/grid/report", "/grid/report"));
        assert!(on("/grid/report?service=c0101", "/grid/report"));
        assert!(on("/cases/2026000001", "/cases"));
        assert!(!on("/grid/reports/7", "/grid/report"));
        assert!(on("/", "/") && !on("/cases", "/"));
    }

    #[test]
    fn chinese_on_an_english_page_is_marked_and_everything_is_escaped() {
        let en = said(Locale::En, "<b>营业执照</b>", None).to_string();
        assert_eq!(
            en,
            r#"<span lang="zh-CN">&#60;b&#62;营业执照&#60;/b&#62;</span>"#
        );
        assert_eq!(
            said(Locale::En, "营业执照", Some("Business licence")).to_string(),
            "Business licence"
        );
        assert_eq!(
            said(Locale::Zh, "营业执照", Some("Business licence")).to_string(),
            "营业执照"
        );
        assert_eq!(
            said(Locale::En, "Zhang & Co", None).to_string(),
            "Zhang &#38; Co"
        );
    }

    #[test]
    fn next_stays_on_the_site_as_a_browser_reads_it() {
        let home = |n: &str| safe_next(Some(n), "/home");
        for off_site in [
            "//other.host/",
            "/\\other.host/",
            "\\\\other.host",
            "/%2F/other.host/",
            "/%2f%2fother.host",
            "/%5Cother.host",
            "https://other.host/",
            "other.host",
            " //other.host",
        ] {
            assert_eq!(home(off_site), Ok("/home".to_owned()), "{off_site:?}");
        }
        for control in ["/\t/other.host/", "/a\r\nSet-Cookie: x=1", "/\0", "/\n/x"] {
            assert_eq!(home(control), Err(super::BadNext), "{control:?}");
        }
        assert_eq!(home("/cases/A1?done=1"), Ok("/cases/A1?done=1".to_owned()));
        assert_eq!(
            home("/services?q=食品 安全"),
            Ok("/services?q=%E9%A3%9F%E5%93%81%20%E5%AE%89%E5%85%A8".to_owned())
        );
        assert_eq!(safe_next(None, "/home"), Ok("/home".to_owned()));
    }
}
