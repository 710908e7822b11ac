//! The wording of every notice, by kind and language: the shipped file
//! (`data/notify/templates.toml`) with an administrator's changes over it,
//! held in memory by each node as a reference set.

use crate::NotifyError;
use egov_audit::Event;
use egov_kernel::{time, Context, Locale};
use egov_store::{query, reference, run, Db, Reference, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const SHIPPED: &str = include_str!("../../../data/notify/templates.toml");

/// Longest subject, body and text message an administrator may save.
const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 2000;
const MAX_SMS: usize = 300;

/// One language's wording of a kind of notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wording {
    pub subject: String,
    pub body: String,
    /// The text message: short, no link.
    pub sms: String,
}

#[derive(Debug, Clone, Deserialize)]
struct ShippedTemplate {
    kind: String,
    params: Vec<String>,
    #[serde(rename = "zh-CN")]
    zh: Wording,
    en: Wording,
}

#[derive(Debug, Deserialize)]
struct ShippedFile {
    version: u32,
    template: Vec<ShippedTemplate>,
}

/// A kind of notice: the values it is given and its wording per language,
/// the shipped one and, where an administrator changed it, theirs.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub kind: String,
    pub params: Vec<String>,
    /// By language tag (`zh-CN`, `en`).
    pub shipped: BTreeMap<&'static str, Wording>,
    pub changed: BTreeMap<&'static str, Changed>,
}

/// An administrator's wording and when it was saved.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub wording: Wording,
    pub updated_at: time::Timestamp,
}

impl Template {
    /// The wording in force for `locale`.
    pub fn wording(&self, locale: Locale) -> &Wording {
        self.changed
            .get(locale.tag())
            .map(|c| &c.wording)
            .or_else(|| self.shipped.get(locale.tag()))
            .expect("the shipped file has every language")
    }
}

/// Every kind of notice, as this node holds them.
#[derive(Debug)]
pub struct Templates {
    pub version: u32,
    by_kind: BTreeMap<String, Template>,
}

/// A notice made readable: its subject and body in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    pub sms: String,
}

impl Templates {
    /// The shipped file alone (checked by the tests and at start).
    pub fn shipped() -> Result<Templates, NotifyError> {
        let file: ShippedFile = toml::from_str(SHIPPED)
            .map_err(|e| NotifyError::Invalid(format!("templates file: {e}")))?;
        let mut by_kind = BTreeMap::new();
        for t in file.template {
            for w in [&t.zh, &t.en] {
                check(&t.params, w)?;
            }
            let shipped = BTreeMap::from([(Locale::Zh.tag(), t.zh), (Locale::En.tag(), t.en)]);
            let template = Template {
                kind: t.kind.clone(),
                params: t.params,
                shipped,
                changed: BTreeMap::new(),
            };
            if by_kind.insert(t.kind.clone(), template).is_some() {
                return Err(NotifyError::Invalid(format!("kind {} twice", t.kind)));
            }
        }
        Ok(Templates {
            version: file.version,
            by_kind,
        })
    }

    pub fn get(&self, kind: &str) -> Option<&Template> {
        self.by_kind.get(kind)
    }

    pub fn all(&self) -> impl Iterator<Item = &Template> {
        self.by_kind.values()
    }

    /// `kind` in `locale` with `params` filled in. A kind the file no
    /// longer has reads as its own name, so an old message still shows.
    pub fn render(&self, kind: &str, locale: Locale, params: &serde_json::Value) -> Rendered {
        let Some(t) = self.get(kind) else {
            return Rendered {
                subject: kind.to_owned(),
                body: String::new(),
                sms: kind.to_owned(),
            };
        };
        let w = t.wording(locale);
        Rendered {
            subject: fill(&w.subject, locale, params),
            body: fill(&w.body, locale, params),
            sms: fill(&w.sms, locale, params),
        }
    }
}

/// Whether `kind` is a kind of notice the shipped file declares.
pub fn is_known(kind: &str) -> bool {
    static KINDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KINDS
        .get_or_init(|| match Templates::shipped() {
            Ok(t) => t.all().map(|t| t.kind.clone()).collect(),
            Err(_) => Vec::new(),
        })
        .iter()
        .any(|k| k == kind)
}

/// A value given to a template: text, or text per language.
fn param(params: &serde_json::Value, name: &str, locale: Locale) -> String {
    match &params[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(by_lang) => by_lang
            .get(locale.tag())
            .or_else(|| by_lang.get(Locale::Zh.tag()))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The placeholders `{name}` in `text`, in order.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

fn fill(text: &str, locale: Locale, params: &serde_json::Value) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push_str(&param(params, &after[..close], locale));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A wording may use only its kind's values, and must fit.
fn check(params: &[String], w: &Wording) -> Result<(), NotifyError> {
    let fields = [
        ("subject", &w.subject, MAX_SUBJECT),
        ("body", &w.body, MAX_BODY),
        ("sms", &w.sms, MAX_SMS),
    ];
    for (field, text, max) in fields {
        if text.trim().is_empty() {
            return Err(NotifyError::Invalid(format!("{field} is empty")));
        }
        if text.chars().count() > max {
            return Err(NotifyError::Invalid(format!(
                "{field} is longer than {max} characters"
            )));
        }
        if let Some(unknown) = placeholders(text).find(|p| !params.iter().any(|k| k == p)) {
            return Err(NotifyError::UnknownPlaceholder {
                field,
                name: unknown.to_owned(),
            });
        }
    }
    Ok(())
}

impl Reference for Templates {
    const NAME: &'static str = "notify.templates";
    type Error = StoreError;

    async fn load(db: &Db) -> Result<Self, StoreError> {
        let mut templates =
            Templates::shipped().expect("the embedded templates file is checked by the tests");
        let mut r = db.reader().await?;
        let rows: Vec<(String, String, String, String, String, time::Timestamp)> = run!(r, |c| {
            sqlx::query_as(
                "SELECT kind, locale, subject, body, sms, updated_at FROM notification_templates",
            )
            .fetch_all(&mut *c)
            .await
        })?;
        for (kind, locale, subject, body, sms, updated_at) in rows {
            let (Some(t), Some(locale)) =
                (templates.by_kind.get_mut(&kind), Locale::from_tag(&locale))
            else {
                continue;
            };
            let wording = Wording { subject, body, sms };
            t.changed.insert(
                locale.tag(),
                Changed {
                    wording,
                    updated_at,
                },
            );
        }
        Ok(templates)
    }
}

/// The templates this node serves.
pub async fn current(db: &Db) -> Result<std::sync::Arc<Templates>, StoreError> {
    db.reference::<Templates>().await
}

/// An administrator's wording for `kind` in `locale`, checked against the
/// kind's values; audited, served by every node within a second.
pub async fn save(
    db: &Db,
    ctx: &Context,
    kind: &str,
    locale: Locale,
    wording: Wording,
) -> Result<(), NotifyError> {
    let templates = current(db).await?;
    let template = templates.get(kind).ok_or(NotifyError::NotFound)?;
    check(&template.params, &wording)?;
    let (ctx, kind) = (ctx.clone(), kind.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "INSERT INTO notification_templates (kind, locale, subject, body, sms, \
                     updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (kind, locale) DO UPDATE SET subject = $3, body = $4, sms = $5, \
                     updated_at = $6, updated_by = $7",
                )
                .bind(&kind)
                .bind(locale.tag())
                .bind(&wording.subject)
                .bind(&wording.body)
                .bind(&wording.sms)
                .bind(time::now())
                .bind(match ctx.actor {
                    egov_kernel::Actor::User(id) => Some(id),
                    _ => None,
                }),
            )
            .await?;
            reference::changed::<Templates>(tx).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "notify.template_changed",
                    object_type: "notification_template",
                    object_id: &format!("{kind}/{}", locale.tag()),
                    detail: serde_json::to_value(&wording).expect("text serialises"),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

/// Goes back to the shipped wording of `kind` in `locale`.
pub async fn reset(db: &Db, ctx: &Context, kind: &str, locale: Locale) -> Result<(), NotifyError> {
    let (ctx, kind) = (ctx.clone(), kind.to_owned());
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query("DELETE FROM notification_templates WHERE kind = $1 AND locale = $2")
                        .bind(&kind)
                        .bind(locale.tag()),
                )
                .await?;
            if n == 0 {
                return Err(NotifyError::NotFound);
            }
            reference::changed::<Templates>(tx).await?;
            egov_audit::append(
                tx,
                &ctx,
                Event {
                    action: "notify.template_reset",
                    object_type: "notification_template",
                    object_id: &format!("{kind}/{}", locale.tag()),
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_loads_and_every_kind_has_both_languages() {
        let t = Templates::shipped().unwrap();
        assert!(t.get("correction_requested").is_some());
        for template in t.all() {
            assert_eq!(template.shipped.len(), 2, "{}", template.kind);
        }
    }

    #[test]
    fn values_fill_their_places_in_the_reader_s_language() {
        let t = Templates::shipped().unwrap();
        let params = serde_json::json!({
            "number": "20260000042", "title": "食品经营许可",
            "outcome": {"zh-CN": "准予许可", "en": "Granted"},
        });
        let zh = t.render("case_decided", Locale::Zh, &params);
        assert!(zh.subject.contains("20260000042") && zh.subject.contains("准予许可"));
        let en = t.render("case_decided", Locale::En, &params);
        assert!(en.subject.ends_with("Granted"), "{}", en.subject);
        assert!(!en.body.contains('{'));
    }

    #[test]
    fn a_wording_may_use_only_its_kind_s_values() {
        let params = vec!["number".to_owned()];
        let good = Wording {
            subject: "办件 {number}".into(),
            body: "b".into(),
            sms: "s".into(),
        };
        assert!(check(&params, &good).is_ok());
        let bad = Wording {
            body: "{password}".into(),
            ..good.clone()
        };
        assert!(matches!(
            check(&params, &bad),
            Err(NotifyError::UnknownPlaceholder { field: "body", .. })
        ));
        let empty = Wording {
            sms: " ".into(),
            ..good
        };
        assert!(check(&params, &empty).is_err());
    }

    #[test]
    fn an_unclosed_brace_is_kept_as_written() {
        assert_eq!(fill("a {b", Locale::Zh, &serde_json::json!({})), "a {b");
    }
}
