//! The keepers' form for a resource's metadata: registering a new resource
//! of their department (`/catalogue/new`) and revising one
//! (`/catalogue/{code}/edit`), through the same domain call as the API. A
//! form that does not check is shown again with what was typed and what is
//! wrong; "three more rows" shows it again with room for more 信息项,
//! saving nothing.

use crate::errors;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_catalogue::classes::Classes;
use egov_catalogue::registry;
use egov_catalogue::resource::{SharingMethod, UpdateCycle};
use egov_catalogue::{Catalogue, Item, ItemType, NewResource, OpenType, Resource, Sharing};
use egov_identity::SessionUser;
use egov_kernel::Locale;
use egov_web_kit::auth::{page_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::i18n::translate;
use egov_web_kit::page::{error_message, error_page, localized, render_form, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;

/// Empty 信息项 rows the form offers beyond those filled in.
const SPARE_ROWS: usize = 3;

/// One choice of a select or a group of radio buttons.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

/// A 信息项 row as the form holds it.
#[derive(Default, Clone)]
pub struct ItemRow {
    pub name: String,
    pub title: String,
    pub kind: String,
}

/// What the form holds, as typed.
#[derive(Default, Clone)]
struct Typed {
    suffix: String,
    class: String,
    name: String,
    name_en: String,
    summary: String,
    abstract_en: String,
    keywords: String,
    format: String,
    update_cycle: String,
    published: String,
    sharing: String,
    sharing_condition: String,
    sharing_method: String,
    legal_basis: String,
    open: String,
    related: String,
    items: Vec<ItemRow>,
}

impl Typed {
    fn of(r: &Resource) -> Typed {
        Typed {
            suffix: r.code.rsplit('-').next().unwrap_or_default().to_owned(),
            class: r.class.clone(),
            name: r.name.clone(),
            name_en: r.name_en.clone().unwrap_or_default(),
            summary: r.summary.clone(),
            abstract_en: r.abstract_en.clone().unwrap_or_default(),
            keywords: r.keywords.join("、"),
            format: r.format.clone(),
            update_cycle: r.update_cycle.as_str().to_owned(),
            published: r.published.to_string(),
            sharing: r.sharing.as_str().to_owned(),
            sharing_condition: r.sharing_condition.clone().unwrap_or_default(),
            sharing_method: r
                .sharing_method
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
            legal_basis: r.legal_basis.clone().unwrap_or_default(),
            open: r.open.as_str().to_owned(),
            related: r.related.join("、"),
            items: r
                .items
                .iter()
                .map(|i| ItemRow {
                    name: i.name.clone(),
                    title: i.title.clone(),
                    kind: i.kind.as_str().to_owned(),
                })
                .collect(),
        }
    }

    fn posted(form: &[(String, String)]) -> Typed {
        let one = |name: &str| crate::keeping::field(form, name);
        let all = |name: &str| -> Vec<String> {
            form.iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .collect()
        };
        let (names, titles, kinds) = (all("item_name"), all("item_title"), all("item_type"));
        let items = names
            .into_iter()
            .zip(titles)
            .zip(kinds)
            .map(|((name, title), kind)| ItemRow { name, title, kind })
            .filter(|i| !i.name.is_empty() || !i.title.is_empty())
            .collect();
        Typed {
            suffix: one("suffix"),
            class: one("class"),
            name: one("name"),
            name_en: one("name_en"),
            summary: one("abstract"),
            abstract_en: one("abstract_en"),
            keywords: one("keywords"),
            format: one("format"),
            update_cycle: one("update_cycle"),
            published: one("published"),
            sharing: one("sharing"),
            sharing_condition: one("sharing_condition"),
            sharing_method: one("sharing_method"),
            legal_basis: one("legal_basis"),
            open: one("open"),
            related: one("related"),
            items,
        }
    }

    /// The resource as the registry takes it, or what keeps it from being one.
    fn resource(
        &self,
        locale: Locale,
        code: String,
        department: String,
    ) -> Result<NewResource, String> {
        let wrong = |key: &str| translate(locale, key).to_owned();
        let optional = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        let list = |s: &str| -> Vec<String> {
            s.split([',', '，', '、', ';', '；', ' ', '\n'])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut items = Vec::with_capacity(self.items.len());
        for (n, row) in self.items.iter().enumerate() {
            let kind = ItemType::parse(&row.kind).ok_or_else(|| {
                wrong("catalogue.edit.bad_type").replace("{row}", &(n + 1).to_string())
            })?;
            items.push(Item {
                name: row.name.clone(),
                title: row.title.clone(),
                kind,
            });
        }
        Ok(NewResource {
            code,
            department,
            class: self.class.clone(),
            name: self.name.clone(),
            name_en: optional(&self.name_en),
            summary: self.summary.clone(),
            abstract_en: optional(&self.abstract_en),
            keywords: list(&self.keywords),
            format: self.format.clone(),
            update_cycle: UpdateCycle::parse(&self.update_cycle)
                .ok_or_else(|| wrong("catalogue.edit.bad_cycle"))?,
            published: self
                .published
                .parse()
                .map_err(|_| wrong("catalogue.edit.bad_published"))?,
            sharing: Sharing::parse(&self.sharing)
                .ok_or_else(|| wrong("catalogue.edit.bad_sharing"))?,
            sharing_condition: optional(&self.sharing_condition),
            sharing_method: SharingMethod::parse(&self.sharing_method),
            legal_basis: optional(&self.legal_basis),
            open: OpenType::parse(&self.open).ok_or_else(|| wrong("catalogue.edit.bad_open"))?,
            related: list(&self.related),
            items,
        })
    }
}

#[derive(Template)]
#[template(path = "catalogue_edit.html")]
struct EditPage {
    chrome: Chrome,
    /// Registering (else revising `code`).
    new: bool,
    code: String,
    /// The department's code and `-`, before the five digits.
    prefix: String,
    department: String,
    f: Typed,
    classes: Vec<Choice>,
    cycles: Vec<Choice>,
    sharings: Vec<Choice>,
    methods: Vec<Choice>,
    opens: Vec<Choice>,
    /// Per row, its choices of data type.
    types: Vec<Vec<Choice>>,
    error: Option<String>,
}

fn choices<T: Copy>(
    locale: Locale,
    all: &[T],
    word: impl Fn(T) -> &'static str,
    list: &str,
    chosen: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let value = word(*v);
            Choice {
                value: value.to_owned(),
                label: translate(locale, &format!("catalogue.{list}.{value}")).to_owned(),
                chosen: value == chosen,
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    locale: Locale,
    user: SessionUser,
    new: bool,
    code: &str,
    department: (&str, String),
    mut f: Typed,
    spare: usize,
    error: Option<String>,
) -> Response {
    f.items
        .extend(std::iter::repeat_with(ItemRow::default).take(spare));
    let classes = Classes::shipped()
        .classes
        .iter()
        .filter(|c| c.parent.is_some())
        .map(|c| Choice {
            value: c.code.clone(),
            label: format!(
                "{} {}",
                c.code,
                localized(locale, &c.name, Some(&c.name_en))
            ),
            chosen: c.code == f.class,
        })
        .collect();
    let types = f
        .items
        .iter()
        .map(|i| choices(locale, ItemType::ALL, ItemType::as_str, "type", &i.kind))
        .collect();
    let path = if new {
        "/catalogue/new".to_owned()
    } else {
        format!("/catalogue/{code}/edit")
    };
    let page = EditPage {
        chrome: Chrome::new(locale, Some(user), path),
        new,
        code: code.to_owned(),
        prefix: format!("{}-", department.0),
        department: department.1,
        classes,
        cycles: choices(
            locale,
            UpdateCycle::ALL,
            UpdateCycle::as_str,
            "cycle",
            &f.update_cycle,
        ),
        sharings: choices(locale, Sharing::ALL, Sharing::as_str, "sharing", &f.sharing),
        methods: choices(
            locale,
            SharingMethod::ALL,
            SharingMethod::as_str,
            "method",
            &f.sharing_method,
        ),
        opens: choices(locale, OpenType::ALL, OpenType::as_str, "open", &f.open),
        types,
        f,
        error,
    };
    render_form(page.error.is_some(), &page)
}

/// The department `user` keeps the catalogue of, with its code and name.
fn kept_department(
    directory: &egov_org::Directory,
    locale: Locale,
    user: &SessionUser,
) -> Option<(i64, String, String)> {
    let id = user.department_id.filter(|d| crate::keeps(user, *d))?;
    let d = directory.department(id)?;
    Some((id, d.code.clone(), d.name_in(locale).to_owned()))
}

/// The next free five digits of department `code`'s resources.
fn next_suffix(catalogue: &Catalogue, code: &str) -> String {
    let prefix = format!("{code}-");
    let last = catalogue
        .resources()
        .iter()
        .filter_map(|r| r.code.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    format!("{:05}", last + 1)
}

/// `GET /catalogue/new`: the form for a new resource of the keeper's
/// department.
pub async fn new_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
) -> Result<Response, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let Some((_, code, name)) = kept_department(&directory, locale, &user) else {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    };
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let typed = Typed {
        suffix: next_suffix(&catalogue, &code),
        update_cycle: "irregular".into(),
        sharing: "conditional".into(),
        sharing_method: "api".into(),
        open: "closed".into(),
        published: egov_kernel::time::beijing_today().to_string(),
        ..Typed::default()
    };
    Ok(form_page(
        locale,
        user,
        true,
        "",
        (&code, name),
        typed,
        SPARE_ROWS,
        None,
    ))
}

/// Resource `code` and its department's name, if `user` keeps that
/// department's catalogue; else the page saying it is not there, or not
/// theirs.
async fn kept_resource(
    state: &AppState,
    locale: Locale,
    user: &SessionUser,
    code: &str,
) -> Result<Result<(Resource, String), Response>, ApiError> {
    let catalogue = Catalogue::get(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let Some(r) = catalogue.by_code(code) else {
        return Ok(Err(error_page(locale, StatusCode::NOT_FOUND)));
    };
    if !crate::keeps(user, r.department_id) {
        return Ok(Err(error_page(locale, StatusCode::FORBIDDEN)));
    }
    let directory = egov_org::directory(&state.db).await?;
    let name = directory
        .department(r.department_id)
        .map(|d| d.name_in(locale).to_owned())
        .unwrap_or_default();
    Ok(Ok((r.clone(), name)))
}

/// `GET /catalogue/{code}/edit`: the form filled with the resource's metadata.
pub async fn edit_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let (r, name) = match kept_resource(&state, locale, &user, &code).await? {
        Ok(kept) => kept,
        Err(page) => return Ok(page),
    };
    Ok(form_page(
        locale,
        user,
        false,
        &r.code,
        (&r.department, name),
        Typed::of(&r),
        SPARE_ROWS,
        None,
    ))
}

/// `POST /catalogue/new`.
pub async fn register(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    CheckedForm(form): CheckedForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let Some((_, department, name)) = kept_department(&directory, locale, &user) else {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    };
    let typed = Typed::posted(&form);
    let code = format!("{department}-{}", typed.suffix);
    saved(
        &state,
        locale,
        origin,
        user,
        &form,
        true,
        &code,
        (&department, name),
        typed,
    )
    .await
}

/// `POST /catalogue/{code}/edit`.
pub async fn revise(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    Path(code): Path<String>,
    CheckedForm(form): CheckedForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let (r, name) = match kept_resource(&state, locale, &user, &code).await? {
        Ok(kept) => kept,
        Err(page) => return Ok(page),
    };
    let department = r.department;
    let typed = Typed::posted(&form);
    saved(
        &state,
        locale,
        origin,
        user,
        &form,
        false,
        &code,
        (&department, name),
        typed,
    )
    .await
}

/// Saves the posted resource and goes to its page, or shows the form again
/// (with more rows, when that was asked for).
#[allow(clippy::too_many_arguments)]
async fn saved(
    state: &AppState,
    locale: Locale,
    origin: Origin,
    user: SessionUser,
    form: &[(String, String)],
    new: bool,
    code: &str,
    department: (&str, String),
    typed: Typed,
) -> Result<Response, ApiError> {
    if form.iter().any(|(k, _)| k == "more") {
        let spare = SPARE_ROWS * 2;
        return Ok(form_page(
            locale, user, new, code, department, typed, spare, None,
        ));
    }
    // What was typed, shown again with why it was not saved.
    let ctx = page_caller(&user, origin).context;
    let provider = department.0.to_owned();
    let again = |message: String, typed: Typed| {
        form_page(
            locale,
            user,
            new,
            code,
            department,
            typed,
            SPARE_ROWS,
            Some(message),
        )
    };
    let resource = match typed.resource(locale, code.to_owned(), provider) {
        Ok(r) => r,
        Err(message) => return Ok(again(message, typed)),
    };
    let taken = new
        && Catalogue::get(&state.db)
            .await
            .map_err(ApiError::internal)?
            .by_code(code)
            .is_some();
    if taken {
        let message = translate(locale, "catalogue.edit.code_taken").replace("{code}", code);
        return Ok(again(message, typed));
    }
    match registry::save(&state.db, &ctx, resource).await {
        Ok((_, r)) => Ok(Redirect::to(&format!("/catalogue/{}", r.code)).into_response()),
        Err(e) => {
            let problem = errors::catalogue(e);
            if problem.status.is_server_error() {
                return Err(problem);
            }
            Ok(again(error_message(locale, &problem), typed))
        }
    }
}
