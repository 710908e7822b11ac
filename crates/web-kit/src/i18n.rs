//! UI strings in Chinese (default) and English. The kit holds the shared
//! ones (`locales/*.toml`); each system's web part brings its own files,
//! registered ([`register`]) from its slice when the platform is composed. All are embedded
//! in the binary. Registering refuses a part whose two languages differ in
//! their keys, or a key another part already defines.

use egov_kernel::Locale;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{LazyLock, RwLock};

/// One part of the catalogue: a slice's strings in both languages.
#[derive(Debug)]
pub struct Strings {
    /// Whose strings these are, for messages.
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// The kit's own strings: the layout, errors and problems, shared words.
pub static KIT: Strings = Strings {
    name: "web-kit",
    zh: include_str!("../locales/zh-CN.toml"),
    en: include_str!("../locales/en.toml"),
};

type Catalogue = BTreeMap<&'static str, &'static str>;

#[derive(Default)]
struct Catalogues {
    parts: BTreeSet<&'static str>,
    zh: Catalogue,
    en: Catalogue,
}

static CATALOGUES: LazyLock<RwLock<Catalogues>> = LazyLock::new(|| {
    let mut all = Catalogues::default();
    add(&mut all, &KIT).expect("the kit's strings are consistent");
    RwLock::new(all)
});

/// Nested tables flatten to dotted keys: `[nav] home = ".."` is `nav.home`.
/// Strings are kept for the life of the process (each part is added once).
fn parse(name: &str, text: &str) -> Result<Vec<(&'static str, &'static str)>, String> {
    fn walk(
        prefix: &str,
        value: &toml::Value,
        out: &mut Vec<(&'static str, &'static str)>,
    ) -> Result<(), String> {
        match value {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out)?;
                }
                Ok(())
            }
            toml::Value::String(s) => {
                let key: &'static str = Box::leak(prefix.to_owned().into_boxed_str());
                let text: &'static str = Box::leak(s.clone().into_boxed_str());
                out.push((key, text));
                Ok(())
            }
            other => Err(format!(
                "locale key {prefix}: expected a string, got {other:?}"
            )),
        }
    }
    let value: toml::Value =
        toml::from_str(text).map_err(|e| format!("{name}: the locale file does not read: {e}"))?;
    let mut out = Vec::new();
    walk("", &value, &mut out)?;
    Ok(out)
}

fn add(all: &mut Catalogues, strings: &Strings) -> Result<(), String> {
    let zh = parse(strings.name, strings.zh)?;
    let en = parse(strings.name, strings.en)?;
    let keys =
        |v: &[(&'static str, &'static str)]| v.iter().map(|(k, _)| *k).collect::<BTreeSet<_>>();
    if keys(&zh) != keys(&en) {
        let only: Vec<_> = keys(&zh)
            .symmetric_difference(&keys(&en))
            .copied()
            .collect();
        return Err(format!("{}: zh-CN and en differ in {only:?}", strings.name));
    }
    if let Some((taken, _)) = zh.iter().find(|(k, _)| all.zh.contains_key(k)) {
        return Err(format!(
            "{}: the key {taken} is defined already",
            strings.name
        ));
    }
    all.zh.extend(zh);
    all.en.extend(en);
    all.parts.insert(strings.name);
    Ok(())
}

/// Adds a slice's strings to the catalogue, once (again is a no-op).
///
/// # Panics
/// When the part's two languages hold different keys, or it defines a key
/// another part has: a build defect, found by the first test that builds
/// the router.
pub fn register(strings: &'static Strings) {
    if CATALOGUES
        .read()
        .expect("catalogue lock")
        .parts
        .contains(strings.name)
    {
        return;
    }
    let mut all = CATALOGUES.write().expect("catalogue lock");
    if all.parts.contains(strings.name) {
        return;
    }
    if let Err(e) = add(&mut all, strings) {
        panic!("UI strings: {e}");
    }
}

fn get(locale: Locale, key: &str) -> Option<&'static str> {
    let all = CATALOGUES.read().expect("catalogue lock");
    let catalogue = match locale {
        Locale::Zh => &all.zh,
        Locale::En => &all.en,
    };
    catalogue.get(key).copied()
}

/// A count in words: `key` with `{n}` filled in, or `key_one` for one
/// (English counts one thing apart from several; both languages keep both).
pub fn count(locale: Locale, key: &str, n: i64) -> String {
    let key = match n {
        1 => format!("{key}_one"),
        _ => key.to_owned(),
    };
    translate(locale, &key).replace("{n}", &n.to_string())
}

/// The string for `key`: the Chinese one where the language lacks it, "?"
/// where both do (logged), so a gap shows instead of breaking the page.
pub fn translate(locale: Locale, key: &str) -> &'static str {
    match get(locale, key) {
        Some(s) => s,
        None => {
            tracing::warn!(key, locale = locale.tag(), "missing translation");
            get(Locale::Zh, key).unwrap_or("?")
        }
    }
}

/// The string for `key`, if the catalogue has one.
pub fn lookup(locale: Locale, key: &str) -> Option<&'static str> {
    get(locale, key)
}

/// Every key the catalogue holds now, in order.
pub fn catalogue_keys(locale: Locale) -> Vec<&'static str> {
    let all = CATALOGUES.read().expect("catalogue lock");
    let catalogue = match locale {
        Locale::Zh => &all.zh,
        Locale::En => &all.en,
    };
    catalogue.keys().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_with_a_gap_or_a_taken_key_is_refused() {
        let mut all = Catalogues::default();
        add(&mut all, &KIT).unwrap();
        let gap = Strings {
            name: "gap",
            zh: "[x]\na = \"甲\"\nb = \"乙\"\n",
            en: "[x]\na = \"A\"\n",
        };
        assert!(add(&mut all, &gap).unwrap_err().contains("x.b"));
        let taken = Strings {
            name: "taken",
            zh: "[site]\nname = \"重名\"\n",
            en: "[site]\nname = \"Taken\"\n",
        };
        assert!(add(&mut all, &taken).unwrap_err().contains("site.name"));
        let fine = Strings {
            name: "fine",
            zh: "[fine]\nword = \"好\"\n",
            en: "[fine]\nword = \"fine\"\n",
        };
        add(&mut all, &fine).unwrap();
        assert_eq!(all.en.get("fine.word"), Some(&"fine"));
    }
}
