use egov_store::Db;
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
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            secure_cookies: false,
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            public_url: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<WebSettings>,
}

impl AppState {
    pub fn new(db: Db, settings: WebSettings) -> Self {
        AppState {
            db,
            settings: Arc::new(settings),
        }
    }
}
