use egov_cases::attachments::FileStore;
use egov_cases::Processes;
use egov_store::Db;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What the web layer needs from configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure`: set when the public URL is https.
    pub secure_cookies: bool,
    pub request_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The address users reach the site at, e.g. `https://zwfw.example.gov.cn`:
    /// the OpenID Connect issuer. Unset, it is taken from the request's Host.
    pub public_url: Option<String>,
    /// Where attachment files are kept (shared storage when several nodes
    /// serve one PostgreSQL database).
    pub files_dir: PathBuf,
    pub max_upload_bytes: usize,
    /// Working days a department has to answer a supervision order.
    pub order_answer_workdays: u32,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// The audit anchor file: the newest signed checkpoint, kept outside
    /// the database and checked by verification.
    pub audit_anchor: Option<PathBuf>,
    /// Registrations allowed per source address per hour.
    pub registrations_per_hour: u32,
    /// Show the text message a confirmation sent on its page (a demo with
    /// no SMS gateway).
    pub show_sms_in_page: bool,
    /// Show the email code sent to confirm an address on its page (a demo
    /// with no mail server).
    pub show_email_in_page: bool,
}

/// Who may read `/metrics` on the main listener.
#[derive(Debug, Clone)]
pub struct MetricsAccess {
    /// Callers presenting this as a bearer token.
    pub token: Option<secrecy::SecretString>,
    /// Callers on this host (a loopback peer address).
    pub loopback: bool,
    /// Metrics have a listener of their own (`metrics_bind`): the main
    /// listener does not serve them at all.
    pub own_listener: bool,
}

impl Default for MetricsAccess {
    fn default() -> Self {
        MetricsAccess {
            token: None,
            loopback: true,
            own_listener: false,
        }
    }
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            secure_cookies: false,
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            public_url: None,
            files_dir: std::env::temp_dir().join("egov-files"),
            max_upload_bytes: 10 * 1024 * 1024,
            order_answer_workdays: 3,
            metrics: MetricsAccess::default(),
            audit_anchor: None,
            registrations_per_hour: 10,
            show_sms_in_page: false,
            show_email_in_page: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<WebSettings>,
    /// Parsed process definitions, cached on this node.
    pub processes: Processes,
    pub files: FileStore,
    /// What systems keep on this node besides (their search index, say),
    /// put in when the platform is composed.
    parts: Parts,
    /// Registrations by source address, on this node.
    pub registrations: Arc<SourceLimiter>,
    /// The working-day calendar, kept on this node.
    pub calendar: egov_calendar::CalendarCache,
}

/// A rate limit per source address (governor's keyed limiter).
pub type SourceLimiter = governor::DefaultKeyedRateLimiter<String>;

impl AppState {
    /// The working-day calendar as loaded now (kept on this node until a
    /// load changes it); a failure is the server's. Every handler that
    /// counts deadlines takes it from here.
    pub async fn calendar(
        &self,
    ) -> Result<Arc<egov_calendar::WorkCalendar>, crate::problem::ApiError> {
        self.calendar
            .get(&self.db)
            .await
            .map_err(crate::problem::ApiError::internal)
    }

    pub fn new(db: Db, settings: WebSettings) -> Self {
        let per_hour = std::num::NonZeroU32::new(settings.registrations_per_hour.max(1))
            .expect("at least one");
        AppState {
            registrations: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_hour(
                per_hour,
            ))),
            db,
            files: FileStore::new(settings.files_dir.clone()),
            settings: Arc::new(settings),
            processes: Processes::default(),
            calendar: egov_calendar::CalendarCache::default(),
            parts: Parts::default(),
        }
    }

    /// Puts in a system's part of the state (one value per type).
    pub fn with_part<T: Any + Send + Sync>(mut self, part: T) -> Self {
        Arc::make_mut(&mut self.parts.0).insert(TypeId::of::<T>(), Arc::new(part));
        self
    }

    pub fn has_part<T: Any + Send + Sync>(&self) -> bool {
        self.parts.0.contains_key(&TypeId::of::<T>())
    }

    /// A system's part of the state. The platform puts every system's part
    /// in when it composes the router, so a missing one is a bug there.
    pub fn part<T: Any + Send + Sync>(&self) -> &T {
        self.parts
            .0
            .get(&TypeId::of::<T>())
            .and_then(|p| p.downcast_ref::<T>())
            .unwrap_or_else(|| panic!("no {} in the state", std::any::type_name::<T>()))
    }
}

/// Systems' parts of the state, by type.
#[derive(Clone, Default)]
struct Parts(Arc<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);
