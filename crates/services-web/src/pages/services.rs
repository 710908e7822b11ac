//! The service hall's pages: finding a service by audience, life event and
//! department, and an item's guide (办事指南).

use crate::views::{GuideView, SearchQuery, ServiceQuery, ServiceSummary};
use crate::work::{offered, offered_item, search_items};
use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_services::{AUDIENCES, LIFE_EVENTS};
use egov_web_kit::auth::MaybeUser;
use egov_web_kit::context::Lang;
use egov_web_kit::page::{localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

#[derive(Template)]
#[template(path = "services.html")]
struct Hall {
    chrome: Chrome,
    items: Vec<ServiceSummary>,
    departments: Vec<(String, String)>,
    audience: String,
    life_event: String,
    department: String,
    audiences: &'static [&'static str],
    life_events: &'static [&'static str],
    /// What was searched for; empty when browsing.
    q: String,
    /// All matches (more than the page shows when searching).
    total: usize,
    /// Matches by facet value, when searching.
    counts: std::collections::HashMap<String, u64>,
    /// The items found have only some of the words searched for.
    partial: bool,
    /// For a search: what may have been meant, and where else to look.
    help: Option<crate::work::SearchHelp>,
    /// The search found nothing, or only items with some of its words.
    lost: bool,
}

impl Hall {
    /// Whether filter `key` is set to `value`.
    fn is(&self, key: &str, value: &str) -> bool {
        match key {
            "audience" => self.audience == value,
            "life_event" => self.life_event == value,
            _ => self.department == value,
        }
    }

    /// The link to this list with one filter changed.
    /// How many matches a facet value has, shown beside it when searching.
    fn count(&self, field: &str, value: &str) -> String {
        match self.counts.get(&format!("{field}={value}")) {
            Some(n) if !self.q.is_empty() => format!(
                "{}{n}{}",
                self.chrome.open_paren(),
                self.chrome.close_paren()
            ),
            _ => String::new(),
        }
    }

    fn with(&self, key: &str, value: &str) -> String {
        let mut q = [
            ("q", self.q.as_str()),
            ("audience", self.audience.as_str()),
            ("life_event", self.life_event.as_str()),
            ("department", self.department.as_str()),
        ];
        for (k, v) in q.iter_mut() {
            if *k == key {
                *v = value;
            }
        }
        let query: Vec<String> = q
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", egov_web_kit::page::encode_component(v)))
            .collect();
        match query.is_empty() {
            true => "/services".to_owned(),
            false => format!("/services?{}", query.join("&")),
        }
    }
}

#[derive(serde::Deserialize)]
pub struct HallQuery {
    q: Option<String>,
    audience: Option<String>,
    life_event: Option<String>,
    department: Option<String>,
}

pub async fn hall(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    OriginalUri(uri): OriginalUri,
    Query(h): Query<HallQuery>,
) -> Result<Response, ApiError> {
    let text = h.q.clone().unwrap_or_default().trim().to_owned();
    let q = ServiceQuery {
        department: h.department.clone(),
        audience: h.audience.clone(),
        life_event: h.life_event.clone(),
    };
    // The departments that offer anything, for the filter.
    let (all, names) = offered(&state, &ServiceQuery::default()).await?;
    let mut departments: Vec<(String, String)> = all
        .iter()
        .map(|i| {
            let code = i.guide.department.clone();
            let (zh, en) = names.get(&code).cloned().unwrap_or_default();
            (code, localized(locale, &zh, en.as_deref()))
        })
        .collect();
    departments.sort();
    departments.dedup();
    let mut counts = std::collections::HashMap::new();
    let unfiltered = [&q.department, &q.audience, &q.life_event]
        .iter()
        .all(|v| v.as_deref().is_none_or(|v| v.trim().is_empty()));
    let mut partial = false;
    let (items, total) = if text.is_empty() {
        // Without a filter the list is the one just read for the filter.
        let listed = match unfiltered {
            true => Ok((all, names)),
            false => offered(&state, &q).await,
        };
        let items: Vec<ServiceSummary> = match listed {
            Ok((items, names)) => items
                .iter()
                .map(|i| ServiceSummary::new(&i.guide, &names))
                .collect(),
            Err(e) if e.status == StatusCode::BAD_REQUEST => {
                return Ok(egov_web_kit::page::error_page(
                    locale,
                    StatusCode::NOT_FOUND,
                ))
            }
            Err(e) => return Err(e),
        };
        let n = items.len();
        (items, n)
    } else {
        let found = search_items(
            &state,
            &SearchQuery {
                q: Some(text.clone()),
                audience: q.audience.clone(),
                life_event: q.life_event.clone(),
                department: q.department.clone(),
                limit: Some(50),
                offset: None,
            },
        )
        .await?;
        for (field, values) in &found.facets {
            for v in values {
                counts.insert(format!("{field}={}", v.value), v.count);
            }
        }
        partial = found.partial;
        (found.items, found.total)
    };
    // A typed word the guides do not use may be a typo: offer what may have
    // been meant; and when nothing (or only part) was found, where else to look.
    let help = match text.is_empty() {
        false => Some(crate::work::search_help(&state, &text).await?),
        true => None,
    };
    let lost = !text.is_empty() && (total == 0 || partial);
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/services");
    Ok(render(
        StatusCode::OK,
        &Hall {
            chrome: Chrome::new(locale, user, path),
            items,
            departments,
            audience: q.audience.unwrap_or_default(),
            life_event: q.life_event.unwrap_or_default(),
            department: q.department.unwrap_or_default(),
            audiences: AUDIENCES,
            life_events: LIFE_EVENTS,
            q: text,
            total,
            counts,
            partial,
            help,
            lost,
        },
    ))
}

#[derive(Template)]
#[template(path = "service.html")]
struct GuidePage {
    chrome: Chrome,
    g: GuideView,
    offer: Offer,
}

/// What the guide offers its viewer: to apply online only where they may.
enum Offer {
    Apply,
    SignIn,
    /// Handled at a service counter only.
    CounterOnly,
    /// Served to other applicants (个人 or 法人): who it serves.
    NotForYou(Vec<String>),
    /// The account's identity is not established well enough yet: the
    /// level the item needs.
    VerifyFirst(u8),
    /// A view-only operator sees the enterprise's business, files nothing.
    ViewOnly,
    /// Staff read guides; they do not apply.
    Nothing,
}

impl Offer {
    fn of(guide: &egov_services::Guide, user: Option<&egov_identity::SessionUser>) -> Offer {
        if !guide.applied_for_online() {
            return Offer::CounterOnly;
        }
        match user {
            None => Offer::SignIn,
            Some(u) if u.kind == egov_identity::UserKind::Staff => Offer::Nothing,
            Some(u) if u.view_only => Offer::ViewOnly,
            Some(u) if !guide.serves(crate::work::audience_of(u)) => {
                Offer::NotForYou(guide.audiences.clone())
            }
            Some(u) if u.assurance_level < i32::from(guide.assurance_needed()) => {
                Offer::VerifyFirst(guide.assurance_needed())
            }
            Some(_) => Offer::Apply,
        }
    }
}

pub async fn guide(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let item = match offered_item(&state, &code).await {
        Ok(i) => i,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Ok(egov_web_kit::page::error_page(
                locale,
                StatusCode::NOT_FOUND,
            ))
        }
        Err(e) => return Err(e),
    };
    let names = crate::work::department_names(&state).await?;
    let offer = Offer::of(&item.guide, user.as_ref());
    Ok(render(
        StatusCode::OK,
        &GuidePage {
            chrome: Chrome::new(locale, user, format!("/services/{code}")),
            g: GuideView::new(&item.guide, &names),
            offer,
        },
    ))
}

#[derive(Template)]
#[template(path = "service_stats.html")]
struct Statistics {
    chrome: Chrome,
    from: String,
    to: String,
    rows: Vec<egov_cases_web::MetricsRow>,
}

/// The public figures of online applications per department over the last
/// year: handled, on time, average time, satisfaction.
pub async fn statistics(
    State(state): State<AppState>,
    Lang(locale): Lang,
    MaybeUser(user): MaybeUser,
) -> Result<Response, ApiError> {
    let (from, to, rows) = public_figures(&state, locale, None).await?;
    Ok(render(
        StatusCode::OK,
        &Statistics {
            chrome: Chrome::new(locale, user, "/services/statistics"),
            from,
            to,
            rows,
        },
    ))
}

/// Online applications' figures over the last year per department and
/// process (of one department, by code, when given): the period's first and
/// last day and the rows.
pub async fn public_figures(
    state: &AppState,
    locale: egov_kernel::Locale,
    department: Option<&str>,
) -> Result<(String, String, Vec<egov_cases_web::MetricsRow>), ApiError> {
    let today = egov_kernel::time::beijing_today();
    let from = (today - chrono::Duration::days(365)).to_string();
    let mut rows = Vec::new();
    let mut period = (String::new(), String::new());
    for (process, _) in [
        egov_services::application::SINGLE_PROCESS,
        egov_services::application::JOINT_PROCESS,
    ] {
        let q = egov_cases_web::views::MetricsQuery {
            from: Some(from.clone()),
            to: None,
            department: department.map(str::to_owned),
            process: Some(process.to_owned()),
        };
        let view = egov_cases_web::work::supervision::metrics_view(state, &q).await?;
        period = (view.from.to_string(), view.to.to_string());
        let name = match state.processes.latest(&state.db, process).await {
            Ok(d) => egov_web_kit::page::localized(locale, &d.name, d.name_en.as_deref()),
            // A process the metrics name but no longer defined: its id.
            Err(egov_cases::RegistryError::Unknown(_)) => process.to_owned(),
            Err(e) => return Err(e.into()),
        };
        rows.extend(
            view.lines
                .into_iter()
                .map(|line| egov_cases_web::MetricsRow {
                    line,
                    process: name.clone(),
                }),
        );
    }
    rows.sort_by(|a, b| {
        (a.line.department_name.as_str(), a.process.as_str())
            .cmp(&(b.line.department_name.as_str(), b.process.as_str()))
    });
    Ok((period.0, period.1, rows))
}
