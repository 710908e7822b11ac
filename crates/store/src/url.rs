//! The database URL chooses the engine, as in vaultwarden: `sqlite://PATH` or
//! `postgres://...`. Passwords never reach logs: `Display` redacts them.

use crate::StoreError;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(SecretString),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StoreError::InvalidUrl(
                    "sqlite URL needs a file path, e.g. sqlite://egov-data/egov.db".into(),
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = ::url::Url::parse(raw)
                .map_err(|e| StoreError::InvalidUrl(format!("{}: {e}", redact(raw))))?;
            if parsed.host_str().is_none_or(str::is_empty) && !raw.contains("host=") {
                return Err(StoreError::InvalidUrl(format!(
                    "{}: no host given",
                    redact(raw)
                )));
            }
            return Ok(DatabaseUrl::Postgres(SecretString::from(raw.to_owned())));
        }
        let scheme = raw.split(':').next().unwrap_or_default();
        Err(StoreError::InvalidUrl(format!(
            "unsupported scheme '{scheme}' (use sqlite://PATH or postgres://USER@HOST/DB)"
        )))
    }

    pub fn sqlite_in(dir: &Path) -> Self {
        DatabaseUrl::Sqlite(dir.join("egov.db"))
    }

    /// The full URL, password included, for the driver only.
    pub(crate) fn expose(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(s) => s.expose_secret().to_owned(),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.expose()))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Replaces the password of a URL with `***`.
fn redact(raw: &str) -> String {
    match ::url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_engine_by_scheme() {
        assert!(matches!(
            DatabaseUrl::parse("sqlite://data/egov.db").unwrap(),
            DatabaseUrl::Sqlite(p) if p == Path::new("data/egov.db")
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@127.0.0.1/egov").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        let err = DatabaseUrl::parse("mysql://x").unwrap_err().to_string();
        assert!(err.contains("unsupported scheme 'mysql'"), "{err}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn display_hides_password() {
        let url = DatabaseUrl::parse("postgres://egov:hunter2@db/egov").unwrap();
        assert!(!url.to_string().contains("hunter2"));
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
