//! The case pages' extension point. The case engine knows no system, and
//! neither do its pages: a system whose work runs as cases (the service
//! hall's applications, say) adds what it knows about its own cases (the
//! schema their `form` is labelled from, an expected-completion line,
//! links) and, on a person's "my cases", their work not yet a case (an
//! application still being filled in). Systems put a [`CasePageExtensions`]
//! part into the state when the platform is composed; the pages ask each
//! in turn.

use egov_cases::Case;
use egov_identity::SessionUser;
use egov_kernel::time::Timestamp;
use egov_kernel::Locale;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use std::any::TypeId;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What one system adds to one case's page; empty for cases not its own.
#[derive(Debug, Default)]
pub struct CaseAdditions {
    /// The JSON schema (the case engine's subset) the case data's `form`
    /// object is labelled from.
    pub form_schema: Option<serde_json::Value>,
    /// A line beside the deadline: when the applicant may expect the result.
    pub expected: Option<String>,
    /// Buttons under the facts (a result document to download).
    pub links: Vec<CaseLink>,
    /// What each file of the case was given as, by its SHA-256 digest (an
    /// application's material, under the guide's name for it).
    pub file_labels: std::collections::HashMap<String, String>,
    /// The English of the Chinese words the case's data holds (the item's
    /// name, its materials' names, a form's choices).
    pub glossary: Glossary,
}

/// Chinese words of a case's data with their English, as the system that
/// opened the case keeps them.
#[derive(Debug, Default, Clone)]
pub struct Glossary(std::collections::HashMap<String, String>);

impl Glossary {
    pub fn insert(&mut self, zh: impl Into<String>, en: impl Into<String>) {
        self.0.entry(zh.into()).or_insert_with(|| en.into());
    }

    pub fn extend(&mut self, other: Glossary) {
        for (zh, en) in other.0 {
            self.insert(zh, en);
        }
    }

    /// `zh` in `locale`: its English where the glossary has it.
    pub fn in_locale<'a>(&'a self, locale: Locale, zh: &'a str) -> &'a str {
        match locale {
            Locale::En => self.0.get(zh).map_or(zh, String::as_str),
            Locale::Zh => zh,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CaseLink {
    pub href: String,
    pub label: String,
    /// The link fetches a file rather than a page.
    pub download: bool,
    /// Shown to civil servants only (a step of their work, such as merging
    /// a duplicate report).
    pub staff_only: bool,
}

/// The case as its page shows it.
pub struct CaseOnPage<'a> {
    pub case: &'a Case,
    /// Who is looking: a link a system offers only to some of those who
    /// see the case (a petitioner's record) is offered to them alone.
    pub viewer: &'a SessionUser,
    /// When the case was accepted (its `accept` action), if it was.
    pub accepted_at: Option<Timestamp>,
    pub locale: Locale,
}

/// The boxed future an extension answers with (trait objects cannot have
/// `async fn`s).
pub type Additions<'a> = Pin<Box<dyn Future<Output = Result<CaseAdditions, ApiError>> + Send + 'a>>;

/// The boxed future of a person's unfinished work.
pub type Unfinished<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<CaseLink>, ApiError>> + Send + 'a>>;

/// A system's additions to the pages of cases.
pub trait CasePageExtension: Send + Sync {
    fn additions<'a>(&'a self, state: &'a AppState, on_page: CaseOnPage<'a>) -> Additions<'a>;

    /// The person's work in this system that is not a case yet, as links
    /// for "my cases" (the hall's unfiled applications). None by default.
    fn unfinished<'a>(
        &'a self,
        state: &'a AppState,
        user: &'a SessionUser,
        locale: Locale,
    ) -> Unfinished<'a> {
        let _ = (state, user, locale);
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// The extensions the platform was composed with, asked in order; each
/// kind once, however often the state is composed.
#[derive(Clone, Default)]
pub struct CasePageExtensions(Vec<(TypeId, Arc<dyn CasePageExtension>)>);

impl CasePageExtensions {
    /// Every extension's additions for this case, together: the first form
    /// schema and expected line given, and all the links.
    pub async fn collect(
        &self,
        state: &AppState,
        case: &Case,
        viewer: &SessionUser,
        accepted_at: Option<Timestamp>,
        locale: Locale,
    ) -> Result<CaseAdditions, ApiError> {
        let mut all = CaseAdditions::default();
        for (_, extension) in &self.0 {
            let on_page = CaseOnPage {
                case,
                viewer,
                accepted_at,
                locale,
            };
            let more = extension.additions(state, on_page).await?;
            all.form_schema = all.form_schema.or(more.form_schema);
            all.expected = all.expected.or(more.expected);
            all.links.extend(more.links);
            for (digest, label) in more.file_labels {
                all.file_labels.entry(digest).or_insert(label);
            }
            all.glossary.extend(more.glossary);
        }
        Ok(all)
    }

    /// Every extension's unfinished work of the person, in order.
    pub async fn unfinished(
        &self,
        state: &AppState,
        user: &SessionUser,
        locale: Locale,
    ) -> Result<Vec<CaseLink>, ApiError> {
        let mut all = Vec::new();
        for (_, extension) in &self.0 {
            all.extend(extension.unfinished(state, user, locale).await?);
        }
        Ok(all)
    }
}

/// The state with `extension` asked after those already in it (once: an
/// extension of the same type already there stays as it is).
pub fn extend<E: CasePageExtension + 'static>(state: AppState, extension: E) -> AppState {
    let mut all = if state.has_part::<CasePageExtensions>() {
        state.part::<CasePageExtensions>().clone()
    } else {
        CasePageExtensions::default()
    };
    if all.0.iter().any(|(t, _)| *t == TypeId::of::<E>()) {
        return state;
    }
    all.0.push((TypeId::of::<E>(), Arc::new(extension)));
    state.with_part(all)
}

/// The state with the extensions' part in it, empty if no system added
/// one: the case pages ask it whether or not any system runs its work as
/// cases.
pub fn with_extensions(state: AppState) -> AppState {
    if state.has_part::<CasePageExtensions>() {
        return state;
    }
    state.with_part(CasePageExtensions::default())
}
