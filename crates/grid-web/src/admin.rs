//! The grid's settings for an administrator of reference data: the classes
//! of problems (with each sub-class's deadline and default department) and
//! the ordered routing rules, each a versioned file edited here as the
//! command line loads it, and the dispatch classifier, retrained on demand
//! from every dispatch so far (overrides included).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_grid::layers::{self, LayersError, Loaded, Versioned};
use egov_grid::routing::store::{self as routing, RoutingError, RoutingModel};
use egov_identity::{allows, Permission, Principal, SessionUser};
use egov_kernel::Locale;
use egov_web_kit::auth::{CheckedForm, PageUser, ADMIN_CONSOLE};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_page, render, user_context, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::de::IgnoredAny;
use serde::Deserialize;

/// The longest file the page takes (the shipped classes are ~20 KB).
const MAX_FILE_CHARS: usize = 200_000;

#[derive(Template)]
#[template(path = "grid_admin.html")]
struct SettingsPage {
    chrome: Chrome,
    classes: Vec<Loaded>,
    rules: Vec<Loaded>,
    model: Option<ModelLine>,
    /// The text shown in each editor: as in force, or as last submitted.
    classes_text: String,
    rules_text: String,
    /// Which form's message, and the message.
    error: Option<(Versioned, String)>,
    done: Option<&'static str>,
}

/// The classifier in use, as the page states it.
struct ModelLine {
    trained_at: String,
    examples: i64,
    overrides: i64,
    accuracy: String,
}

impl SettingsPage {
    fn when(&self, l: &Loaded) -> String {
        egov_kernel::time::beijing(l.loaded_at)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    fn error_for(&self, what: &str) -> Option<&str> {
        let wanted = match what {
            "classes" => Versioned::Classes,
            _ => Versioned::RoutingRules,
        };
        self.error
            .as_ref()
            .filter(|(w, _)| *w == wanted)
            .map(|(_, m)| m.as_str())
    }
}

fn may_set(user: &SessionUser) -> bool {
    allows(
        &Principal::User(user.clone()),
        Permission::ManageReferenceData,
    )
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// What the page shows when nothing was just submitted wrongly.
struct Shown {
    edited: Option<(Versioned, String)>,
    error: Option<String>,
    done: Option<&'static str>,
}

async fn settings_page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    status: StatusCode,
    shown: Shown,
) -> Result<Response, ApiError> {
    let classes = layers::versions(&state.db, Versioned::Classes)
        .await
        .map_err(ApiError::internal)?;
    let rules = layers::versions(&state.db, Versioned::RoutingRules)
        .await
        .map_err(ApiError::internal)?;
    let model = routing::routing(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let model = model.0.as_ref().map(|m: &RoutingModel| ModelLine {
        trained_at: egov_kernel::time::beijing(m.trained_at)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        examples: m.examples,
        overrides: m.overrides,
        accuracy: format!("{:.1}%", 100.0 * m.accuracy.share()),
    });
    let mut classes_text = layers::in_force(&state.db, Versioned::Classes)
        .await
        .map_err(ApiError::internal)?;
    let mut rules_text = layers::in_force(&state.db, Versioned::RoutingRules)
        .await
        .map_err(ApiError::internal)?;
    let error = match shown.edited {
        Some((Versioned::Classes, text)) => {
            classes_text = text;
            shown.error.map(|m| (Versioned::Classes, m))
        }
        Some((Versioned::RoutingRules, text)) => {
            rules_text = text;
            shown.error.map(|m| (Versioned::RoutingRules, m))
        }
        None => None,
    };
    Ok(render(
        status,
        &SettingsPage {
            chrome: Chrome::new(locale, Some(user), "/admin/grid"),
            classes,
            rules,
            model,
            classes_text,
            rules_text,
            error,
            done: shown.done,
        },
    ))
}

pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Query(q): Query<Done>,
) -> Result<Response, ApiError> {
    if !may_set(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let done = match q.done.as_deref() {
        Some("classes") => Some("grid.admin.classes_loaded"),
        Some("routing") => Some("grid.admin.rules_loaded"),
        Some("trained") => Some("grid.admin.trained"),
        _ => None,
    };
    let shown = Shown {
        edited: None,
        error: None,
        done,
    };
    settings_page(&state, locale, user, StatusCode::OK, shown).await
}

#[derive(Deserialize)]
pub struct FileForm {
    #[serde(default)]
    source: String,
}

/// Why a submitted file was not loaded, in the reader's language; `None`:
/// the server's own failure.
fn refusal(locale: Locale, e: &LayersError) -> Option<String> {
    let (zh, en) = match e {
        LayersError::VersionTaken(v) => (
            format!("版本 {v} 已载入过，请在文件中写明新的版本号（version）。"),
            format!("Version {v} is loaded already; give the file a new version."),
        ),
        LayersError::Classes(_) | LayersError::Rules(_) => (
            format!("文件有误，未载入：{e}"),
            format!("The file has errors and was not loaded: {e}"),
        ),
        _ => return None,
    };
    Some(match locale {
        Locale::Zh => zh,
        Locale::En => en,
    })
}

async fn load(
    state: AppState,
    locale: Locale,
    origin: Origin,
    user: SessionUser,
    what: Versioned,
    source: String,
) -> Result<Response, ApiError> {
    if !may_set(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let source = source.replace("\r\n", "\n");
    let loaded = match source.chars().count() {
        n if n > MAX_FILE_CHARS => Err(match locale {
            Locale::Zh => format!("文件过长（不超过 {MAX_FILE_CHARS} 字符），未载入。"),
            Locale::En => {
                format!("The file is too long (at most {MAX_FILE_CHARS} characters); not loaded.")
            }
        }),
        _ => {
            let ctx = user_context(&user, origin);
            let loaded = match what {
                Versioned::Classes => layers::load_classes(&state.db, &ctx, &source).await,
                Versioned::RoutingRules => {
                    layers::load_routing_rules(&state.db, &ctx, &source).await
                }
            };
            match loaded {
                Ok(_) => Ok(()),
                Err(e) => Err(refusal(locale, &e).ok_or_else(|| ApiError::internal(e))?),
            }
        }
    };
    match loaded {
        Ok(()) => {
            let done = match what {
                Versioned::Classes => "classes",
                Versioned::RoutingRules => "routing",
            };
            Ok(Redirect::to(&format!("/admin/grid?done={done}")).into_response())
        }
        Err(message) => {
            let shown = Shown {
                edited: Some((what, source)),
                error: Some(message),
                done: None,
            };
            settings_page(&state, locale, user, StatusCode::BAD_REQUEST, shown).await
        }
    }
}

/// Loads a new version of the file the path names: `classes` or `routing`.
pub async fn load_file(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    Path(file): Path<String>,
    CheckedForm(form): CheckedForm<FileForm>,
) -> Result<Response, ApiError> {
    let what = match file.as_str() {
        "classes" => Versioned::Classes,
        "routing" => Versioned::RoutingRules,
        _ => return Ok(error_page(locale, StatusCode::NOT_FOUND)),
    };
    load(state, locale, origin, user, what, form.source).await
}

/// Retrains the dispatch classifier on every decision so far.
pub async fn train(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ADMIN_CONSOLE>,
    _: CheckedForm<IgnoredAny>,
) -> Result<Response, ApiError> {
    if !may_set(&user) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let ctx = user_context(&user, origin);
    match routing::train(&state.db, &ctx).await {
        Ok(_) => Ok(Redirect::to("/admin/grid?done=trained").into_response()),
        Err(RoutingError::NothingToLearn) => {
            let shown = Shown {
                edited: None,
                error: None,
                done: Some("grid.admin.nothing_to_learn"),
            };
            settings_page(&state, locale, user, StatusCode::BAD_REQUEST, shown).await
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}
