//! The main navigation, as the systems bring it: each web part's slice
//! names its entries (where, the label's string key, who sees it, and a
//! place in the order), registered when the platform is composed, and the
//! page shell draws the entries the viewer may use. No template lists
//! another system's pages. The registry is the process's: every router
//! built in it shows every entry registered (one platform per process).

use egov_identity::Permission;
use std::sync::{LazyLock, RwLock};

/// Who sees an entry.
#[derive(Debug, Clone, Copy)]
pub enum Shown {
    Everyone,
    SignedIn,
    /// Those the permission allows.
    With(Permission),
}

#[derive(Debug, Clone, Copy)]
pub struct NavEntry {
    /// Lower comes first: 0 home, 10s public pages, 30s a person's own
    /// work, 40s staff work, 90s administration and the account.
    pub order: u16,
    pub href: &'static str,
    /// The key of the label in the UI strings.
    pub label: &'static str,
    pub shown: Shown,
}

static ENTRIES: LazyLock<RwLock<Vec<NavEntry>>> = LazyLock::new(Default::default);

/// Adds a web part's entries, once (an entry whose address is there
/// already is left as it is).
pub fn register(entries: &[NavEntry]) {
    let mut all = ENTRIES.write().expect("navigation lock");
    for e in entries {
        if all.iter().all(|x| x.href != e.href) {
            all.push(*e);
        }
    }
    all.sort_by_key(|e| (e.order, e.href));
}

/// Every entry, in order.
pub fn entries() -> Vec<NavEntry> {
    ENTRIES.read().expect("navigation lock").clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_in_order_once_each() {
        register(&[
            NavEntry {
                order: 40,
                href: "/test-b",
                label: "b",
                shown: Shown::Everyone,
            },
            NavEntry {
                order: 10,
                href: "/test-a",
                label: "a",
                shown: Shown::SignedIn,
            },
        ]);
        register(&[NavEntry {
            order: 5,
            href: "/test-b",
            label: "again",
            shown: Shown::Everyone,
        }]);
        let ours: Vec<_> = entries()
            .into_iter()
            .filter(|e| e.href.starts_with("/test-"))
            .map(|e| (e.href, e.label))
            .collect();
        assert_eq!(ours, [("/test-a", "a"), ("/test-b", "b")]);
    }
}
