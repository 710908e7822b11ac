//! The catalogue's pages: the list with the shared search and its facets
//! (department, class, sharing type, open type) and a resource's page
//! with its metadata, 信息项, loads and first rows. Civil servants see the
//! whole catalogue here; the portal (`portal.rs`) draws the same pages
//! over the open resources for everyone.

use crate::Rows;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use egov_catalogue::cells::{display, Record};
use egov_catalogue::classes::Classes;
use egov_catalogue::hosted::DataVersions;
use egov_catalogue::hosted::{self, Load};
use egov_catalogue::registry::FACETS;
use egov_catalogue::sharing;
use egov_catalogue::{Catalogue, Resource};
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::Locale;
use egov_web_kit::auth::{PageUser, WORKBENCH};
use egov_web_kit::context::Lang;
use egov_web_kit::page::{error_page, localized_ref, render, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;

/// Results per page.
const PAGE: usize = 20;
/// Rows shown on a resource's page.
const PREVIEW: usize = 20;

/// The list's query: the words and one value per facet.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub sharing: String,
    #[serde(default)]
    pub open: String,
    #[serde(default)]
    pub page: Option<usize>,
}

impl ListQuery {
    fn value(&self, field: &str) -> &str {
        match field {
            "department" => &self.department,
            "class" => &self.class,
            "sharing" => &self.sharing,
            "open" => &self.open,
            _ => "",
        }
    }
}

/// A resource in a list.
pub struct Listed {
    pub code: String,
    pub href: String,
    pub name: String,
    pub summary: String,
    pub department: String,
    pub class: String,
    pub sharing: &'static str,
    pub open: &'static str,
    pub rows: i64,
}

/// A facet value with its count and the link that picks it.
pub struct FacetValue {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub current: bool,
}

pub struct Facet {
    pub field: &'static str,
    pub all_href: String,
    pub any_current: bool,
    pub values: Vec<FacetValue>,
}

#[derive(Template)]
#[template(path = "catalogue_list.html")]
struct ListPage {
    chrome: Chrome,
    /// The portal (open resources, for everyone) or the whole catalogue.
    portal: bool,
    action: &'static str,
    q: String,
    /// The facet values picked, kept when the words change.
    kept: Vec<(&'static str, String)>,
    total: usize,
    facets: Vec<Facet>,
    listed: Vec<Listed>,
    prev: Option<String>,
    next: Option<String>,
    /// The viewer keeps their department's catalogue: the register link.
    keeper: bool,
    /// This month as the indicators write it (202612): the assessment's
    /// ranking so far.
    this_month: String,
    /// Sharing requests awaiting the viewer's department: number, resource,
    /// asking department, answer by.
    awaiting: Vec<(String, String, String, String)>,
}

fn class_label(locale: Locale, code: &str) -> String {
    Classes::shipped()
        .class(code)
        .map(|c| localized_ref(locale, &c.name, Some(&c.name_en)).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn department_label(directory: &egov_org::Directory, locale: Locale, code: &str) -> String {
    directory
        .by_code(code)
        .map(|d| d.name_in(locale).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn href(action: &str, q: &ListQuery, change: Option<(&str, &str)>, page: usize) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !q.q.is_empty() {
        pairs.push(("q", q.q.clone()));
    }
    for f in FACETS {
        let v = match change {
            Some((field, value)) if field == f => value.to_owned(),
            _ => q.value(f).to_owned(),
        };
        if !v.is_empty() {
            pairs.push((f, v));
        }
    }
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        action.to_owned()
    } else {
        format!("{action}?{query}")
    }
}

impl ListPage {
    fn facet_key(&self, field: &str) -> String {
        format!("catalogue.facet.{field}")
    }

    fn word_key(&self, list: &str, word: &str) -> String {
        format!("catalogue.{list}.{word}")
    }
}

/// The list page, for the portal or for civil servants.
pub(crate) async fn list_page(
    state: &AppState,
    locale: Locale,
    user: Option<SessionUser>,
    q: ListQuery,
    portal: bool,
) -> Result<Response, ApiError> {
    let action = if portal { "/open-data" } else { "/catalogue" };
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let directory = egov_org::directory(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let data = DataVersions::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let page = q.page.unwrap_or(1).clamp(1, egov_search::MAX_WINDOW / PAGE);
    let shown: &[&str] = if portal {
        &["department", "class"]
    } else {
        &FACETS
    };
    let mut query = egov_search::Query::new(q.q.clone()).page((page - 1) * PAGE, PAGE);
    if portal {
        query = query.filter("open", "open");
    }
    for f in shown {
        query = query.facet(*f);
        if !q.value(f).is_empty() {
            query = query.filter(*f, q.value(f));
        }
    }
    let results = catalogue.search(query).await.map_err(ApiError::internal)?;
    let label = |field: &str, value: &str| -> String {
        match field {
            "department" => department_label(&directory, locale, value),
            "class" => class_label(locale, value),
            _ => egov_web_kit::i18n::translate(locale, &format!("catalogue.{field}.{value}"))
                .to_owned(),
        }
    };
    let facets = shown
        .iter()
        .map(|f| Facet {
            field: f,
            all_href: href(action, &q, Some((f, "")), 1),
            any_current: !q.value(f).is_empty(),
            values: results
                .facets
                .get(*f)
                .map(|vs| {
                    vs.iter()
                        .map(|(v, n)| FacetValue {
                            label: label(f, v),
                            count: *n,
                            href: href(action, &q, Some((f, v)), 1),
                            current: q.value(f) == v,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let listed = results
        .hits
        .iter()
        .filter_map(|h| catalogue.by_code(&h.id))
        .map(|r| Listed {
            code: r.code.clone(),
            href: if portal {
                format!("/open-data/{}", r.slug())
            } else {
                format!("/catalogue/{}", r.code)
            },
            name: localized_ref(locale, &r.name, r.name_en.as_deref()).to_owned(),
            summary: localized_ref(locale, &r.summary, r.abstract_en.as_deref()).to_owned(),
            department: department_label(&directory, locale, &r.department),
            class: class_label(locale, &r.class),
            sharing: r.sharing.as_str(),
            open: r.open.as_str(),
            rows: data.of(r.id).rows,
        })
        .collect();
    let pages = results
        .total
        .div_ceil(PAGE)
        .min(egov_search::MAX_WINDOW / PAGE);
    let keeper_of = user
        .as_ref()
        .filter(|_| !portal)
        .and_then(|u| u.department_id.filter(|d| crate::keeps(u, *d)));
    let chrome = Chrome::new(locale, user, action);
    let mut awaiting = Vec::new();
    if let Some(d) = keeper_of {
        for (p, due) in sharing::awaiting(&state.db, d)
            .await
            .map_err(ApiError::internal)?
        {
            let name = catalogue
                .by_code(&p.resource)
                .map_or_else(|| p.resource.clone(), |r| r.name.clone());
            awaiting.push((
                p.number.clone(),
                name,
                department_label(&directory, locale, &p.consumer),
                due.map(|d| chrome.beijing(&d)).unwrap_or_default(),
            ));
        }
    }
    let page_view = ListPage {
        chrome,
        keeper: keeper_of.is_some(),
        this_month: egov_kernel::time::beijing_today()
            .format("%Y%m")
            .to_string(),
        awaiting,
        portal,
        action,
        q: q.q.clone(),
        kept: shown
            .iter()
            .filter(|f| !q.value(f).is_empty())
            .map(|f| (*f, q.value(f).to_owned()))
            .collect(),
        total: results.total,
        facets,
        listed,
        prev: (page > 1).then(|| href(action, &q, None, page - 1)),
        next: (page < pages).then(|| href(action, &q, None, page + 1)),
    };
    Ok(render(StatusCode::OK, &page_view))
}

/// The whole catalogue, for civil servants.
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list_page(&state, locale, Some(user), q, false).await
}

/// A 信息项 as a page shows it.
pub struct ItemView {
    pub name: String,
    pub title: String,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "catalogue_resource.html")]
struct ResourcePage {
    chrome: Chrome,
    portal: bool,
    r: Resource,
    name: String,
    summary: String,
    department: String,
    class: String,
    items: Vec<ItemView>,
    /// The first rows, as text, in the items' order.
    preview: Vec<Vec<String>>,
    /// Rows in the current version.
    row_count: i64,
    loads: Vec<Load>,
    /// Downloads: label and link (the portal's).
    downloads: Vec<(&'static str, String)>,
    api_hint: String,
    /// The viewer keeps the provider's catalogue: the upload form.
    may_load: bool,
    /// The viewer keeps another department's catalogue and may ask for it.
    may_request: bool,
    /// What the last form came to, or why it was refused.
    said: Said,
}

/// What a form on the resource page came to.
#[derive(Debug, Default, Clone)]
pub struct Said {
    pub notice: Option<String>,
    pub error: Option<String>,
    /// Where the notice leads (a sharing request's page).
    pub link: Option<String>,
}

impl ResourcePage {
    fn word_key(&self, list: &str, word: &str) -> String {
        format!("catalogue.{list}.{word}")
    }
}

/// A resource's page, for the portal or for civil servants.
pub(crate) async fn resource_page(
    state: &AppState,
    locale: Locale,
    user: Option<SessionUser>,
    r: &Resource,
    portal: bool,
    said: Said,
) -> Result<Response, ApiError> {
    let principal = user.clone().map_or(Principal::Anonymous, Principal::User);
    let may_load = !portal
        && allows(
            &principal,
            Permission::ManageCatalogue {
                department_id: Some(r.department_id),
            },
        );
    let may_request = !portal
        && r.sharing != egov_catalogue::Sharing::None
        && user
            .as_ref()
            .and_then(|u| u.department_id)
            .is_some_and(|d| {
                d != r.department_id
                    && allows(
                        &principal,
                        Permission::ManageCatalogue {
                            department_id: Some(d),
                        },
                    )
            });

    let directory = egov_org::directory(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let (_, rows) = state
        .part::<Rows>()
        .0
        .current(&state.db, r)
        .await
        .map_err(ApiError::internal)?;
    let preview = rows
        .iter()
        .take(PREVIEW)
        .map(|row: &Record| {
            r.items
                .iter()
                .map(|i| row.get(&i.name).map(display).unwrap_or_default())
                .collect()
        })
        .collect();
    let loads = if portal {
        Vec::new()
    } else {
        hosted::loads(&state.db, r)
            .await
            .map_err(ApiError::internal)?
    };
    let path = if portal {
        format!("/open-data/{}", r.slug())
    } else {
        format!("/catalogue/{}", r.code)
    };
    let page = ResourcePage {
        chrome: Chrome::new(locale, user, path),
        portal,
        name: localized_ref(locale, &r.name, r.name_en.as_deref()).to_owned(),
        summary: localized_ref(locale, &r.summary, r.abstract_en.as_deref()).to_owned(),
        department: department_label(&directory, locale, &r.department),
        class: class_label(locale, &r.class),
        items: r
            .items
            .iter()
            .map(|i| ItemView {
                name: i.name.clone(),
                title: i.title.clone(),
                kind: i.kind.as_str(),
            })
            .collect(),
        preview,
        loads,
        downloads: if r.is_open() {
            crate::views::FORMATS
                .iter()
                .map(|(f, _, suffix)| (*f, format!("/open-data/{}.{suffix}", r.slug())))
                .collect()
        } else {
            Vec::new()
        },
        api_hint: format!(
            "/api/3/action/datastore_search?resource_id={}&limit=5",
            crate::views::distribution_id(r, "csv")
        ),
        row_count: rows.len() as i64,
        r: r.clone(),
        may_load,
        may_request,
        said,
    };
    Ok(render_form(page.said.error.is_some(), &page))
}

/// A resource's page in the whole catalogue.
pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    match catalogue.by_code(&code) {
        Some(r) => resource_page(&state, locale, Some(user), r, false, Said::default()).await,
        None => Ok(error_page(locale, StatusCode::NOT_FOUND)),
    }
}
