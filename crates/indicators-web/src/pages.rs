//! The reporting pages a unit's 统计员 uses: the reports they owe (each data
//! set and unit they report for, the recent periods and whether each came),
//! and the form for one unit and period, which stores through the same
//! checks as the API, shows a refused value beside its field in the
//! reader's language, and after saving shows the validation rules the
//! figures break; and an Excel workbook of many units and periods uploaded
//! at once, every bad row shown by its row in the sheet.

use crate::areas;
use crate::quality::broken_rules;
use crate::views::ViolationView;
use crate::work::{directory, import, values_from_sheet, MAX_SHEET};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_identity::{report_reach, Principal, Reach, SessionUser};
use egov_indicators::store::{self, DataValue};
use egov_indicators::{rulebook, DataSet, Period};
use egov_kernel::{time, Locale};
use egov_org::Directory;
use egov_web_kit::auth::{form_caller, page_caller, CheckedForm, PageUser, WORKBENCH};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{
    encode_component, error_message, error_page, localized, render_form, Chrome,
};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use std::collections::HashMap;

/// How many of a set's latest periods the list and the form offer.
const RECENT: usize = 13;

/// One period a unit owes of a data set.
pub struct OwedLine {
    pub set_name: String,
    pub unit_name: String,
    pub period: String,
    pub due: String,
    pub reported: bool,
    pub href: String,
}

#[derive(Template)]
#[template(path = "report_list.html")]
struct ReportList {
    chrome: Chrome,
    lines: Vec<OwedLine>,
    /// What an upload stored.
    stored: Option<String>,
    /// Why an upload was refused, and each refused row.
    refused: Option<String>,
    problems: Vec<SheetProblem>,
}

/// A refused row of an uploaded sheet, by its row in the sheet.
pub struct SheetProblem {
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// A field of the form: an element of the set, with what is stored or
/// was typed, and why it was refused.
pub struct FormField {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct ReportForm {
    chrome: Chrome,
    set_code: String,
    set_name: String,
    unit: String,
    unit_name: String,
    period: String,
    periods: Vec<String>,
    due: String,
    closes: Option<String>,
    closed: bool,
    fields: Vec<FormField>,
    error: Option<String>,
    saved: bool,
    /// Whether any figure of the period is stored.
    reported: bool,
    violations: Vec<ViolationView>,
}

impl ReportForm {
    fn is_period(&self, p: &str) -> bool {
        self.period == p
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ReportQuery {
    set: Option<String>,
    unit: Option<String>,
    period: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// The set's periods ended by `today`, latest first.
fn recent(set: &DataSet, today: chrono::NaiveDate) -> Vec<Period> {
    let mut periods = set
        .frequency
        .periods(today - chrono::Duration::days(400), today);
    periods.retain(|p| p.days().1 < today);
    periods.reverse();
    periods.truncate(RECENT);
    periods
}

fn name_of(set: &DataSet, locale: Locale) -> String {
    localized(locale, &set.name, set.name_en.as_deref())
}

fn form_href(set: &str, unit: &str, period: &str) -> String {
    format!(
        "/indicators/report?set={}&unit={}&period={}",
        encode_component(set),
        encode_component(unit),
        encode_component(period)
    )
}

/// The list of reports owed, or the form when a set, unit and period are named.
pub async fn report(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<WORKBENCH>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    match (&query.set, &query.unit, &query.period) {
        (Some(set), Some(unit), Some(period)) => {
            let saved = query.saved.is_some();
            let asked = Asked {
                set: set.clone(),
                unit: unit.clone(),
                period: period.clone(),
            };
            form(&state, locale, user, &asked, HashMap::new(), None, saved).await
        }
        _ => list(&state, locale, user, Uploaded::default()).await,
    }
}

/// What became of an uploaded sheet, for the list page to tell.
#[derive(Default)]
struct Uploaded {
    stored: Option<String>,
    refused: Option<String>,
    problems: Vec<SheetProblem>,
}

async fn list(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    uploaded: Uploaded,
) -> Result<Response, ApiError> {
    let reach = report_reach(&Principal::User(user.clone()));
    let directory = directory(&state.db).await?;
    let today = time::beijing_today();
    let mut lines = Vec::new();
    for set in rulebook::data_sets(&state.db)
        .await
        .map_err(crate::errors::problem)?
    {
        let units: Vec<&String> = set
            .units
            .iter()
            .filter(|u| reach.covers(areas::responsible(&directory, u)))
            .collect();
        if units.is_empty() {
            continue;
        }
        let periods: Vec<Period> = recent(&set, today).into_iter().take(3).collect();
        let first = rulebook::first_reports(&state.db, &set, &periods)
            .await
            .map_err(crate::errors::problem)?;
        for unit in units {
            for p in &periods {
                lines.push(OwedLine {
                    set_name: name_of(&set, locale),
                    unit_name: areas::label(&directory, unit, locale),
                    period: p.to_string(),
                    due: set.due(p).to_string(),
                    reported: first.contains_key(&(unit.clone(), *p)),
                    href: form_href(&set.code, unit, &p.to_string()),
                });
            }
        }
    }
    Ok(render_form(
        uploaded.refused.is_some(),
        &ReportList {
            chrome: Chrome::new(locale, Some(user), "/indicators/report"),
            lines,
            stored: uploaded.stored,
            refused: uploaded.refused,
            problems: uploaded.problems,
        },
    ))
}

/// The set, unit and period a form is for.
struct Asked {
    set: String,
    unit: String,
    period: String,
}

/// The set, unit and period checked: the set exists and holds the unit, the
/// period is one of the set's, and the user reports for the unit.
fn checked(
    set: Option<DataSet>,
    directory: &Directory,
    reach: &Reach,
    asked: &Asked,
) -> Option<(DataSet, Period)> {
    let set = set?;
    let period = Period::parse(&asked.period).ok()?;
    let ok = set.units.contains(&asked.unit)
        && set.frequency.reports(&period)
        && reach.covers(areas::responsible(directory, &asked.unit));
    ok.then_some((set, period))
}

async fn form(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    asked: &Asked,
    typed: HashMap<String, (String, Option<String>)>,
    error: Option<String>,
    saved: bool,
) -> Result<Response, ApiError> {
    let reach = report_reach(&Principal::User(user.clone()));
    let directory = directory(&state.db).await?;
    let set = rulebook::data_set(&state.db, &asked.set)
        .await
        .map_err(crate::errors::problem)?;
    let Some((set, period)) = checked(set, &directory, &reach, asked) else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    let elements = store::elements(&state.db)
        .await
        .map_err(crate::errors::problem)?;
    let codes: Vec<&str> = set.elements.iter().map(String::as_str).collect();
    let cube = store::cube(&state.db, &codes)
        .await
        .map_err(crate::errors::problem)?;
    let mut fields = Vec::with_capacity(set.elements.len());
    let mut reported = false;
    for code in &set.elements {
        let element = elements.iter().find(|e| &e.code == code);
        let stored = cube
            .reported(code, &asked.unit, &period)
            .map(|v| v.to_string())
            .unwrap_or_default();
        reported |= !stored.is_empty();
        let (value, error) = typed.get(code).cloned().unwrap_or((stored, None));
        fields.push(FormField {
            code: code.clone(),
            name: element
                .map(|e| localized(locale, &e.name, e.name_en.as_deref()))
                .unwrap_or_else(|| code.clone()),
            unit: element.map(|e| e.unit.clone()).unwrap_or_default(),
            value,
            error,
        });
    }
    let violations = broken_rules(
        &state.db,
        &directory,
        locale,
        Some(&set.elements),
        |a, p| a == asked.unit && *p == period,
    )
    .await?;
    let today = time::beijing_today();
    let mut periods: Vec<String> = recent(&set, today).iter().map(Period::to_string).collect();
    if !periods.contains(&asked.period) {
        periods.insert(0, asked.period.clone());
    }
    let path = form_href(&set.code, &asked.unit, &asked.period);
    Ok(render_form(
        error.is_some(),
        &ReportForm {
            chrome: Chrome::new(locale, Some(user), path),
            set_code: set.code.clone(),
            set_name: name_of(&set, locale),
            unit: asked.unit.clone(),
            unit_name: areas::label(&directory, &asked.unit, locale),
            period: period.to_string(),
            periods,
            due: set.due(&period).to_string(),
            closes: set.closes(&period).map(|d| d.to_string()),
            closed: set.closes(&period).is_some_and(|last| last < today),
            fields,
            error,
            saved,
            reported,
            violations,
        },
    ))
}

/// Stores the form's figures: the fields filled in, all or nothing. A
/// refused value is shown again beside its field.
pub async fn save(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    CheckedForm(form_values): CheckedForm<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let field = |k: &str| form_values.get(k).cloned().unwrap_or_default();
    let asked = Asked {
        set: field("set"),
        unit: field("unit"),
        period: field("period"),
    };
    let Some(set) = rulebook::data_set(&state.db, &asked.set)
        .await
        .map_err(crate::errors::problem)?
    else {
        return Ok(error_page(locale, StatusCode::NOT_FOUND));
    };
    // The set's elements, in its order, as far as filled in.
    let filled: Vec<(String, String)> = set
        .elements
        .iter()
        .filter_map(|code| {
            let v = form_values.get(&format!("v.{code}"))?.trim().to_owned();
            (!v.is_empty()).then(|| (code.clone(), v))
        })
        .collect();
    let rows: Vec<DataValue> = filled
        .iter()
        .map(|(code, value)| DataValue {
            element: code.clone(),
            period: asked.period.clone(),
            area: asked.unit.clone(),
            category: String::new(),
            value: value.clone(),
        })
        .collect();
    let caller = page_caller(&user, origin);
    let refused = if rows.is_empty() {
        Some(ApiError::validation(
            "请至少填写一项数据",
            "fill in at least one figure",
        ))
    } else {
        import(&state, &caller, &rows).await.err()
    };
    let Some(e) = refused else {
        let back = form_href(&asked.set, &asked.unit, &asked.period) + "&saved=1";
        return Ok(Redirect::to(&back).into_response());
    };
    if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::UNAUTHORIZED {
        return Ok(error_page(locale, e.status));
    }
    // What was typed stays, each refusal beside its field; a refusal of the
    // unit or period as a whole goes above the form.
    let mut typed: HashMap<String, (String, Option<String>)> = filled
        .iter()
        .map(|(code, value)| (code.clone(), (value.clone(), None)))
        .collect();
    let mut above = Vec::new();
    for r in e.rows.iter() {
        let message = r.message(locale).to_owned();
        match filled.get(r.row.wrapping_sub(1)) {
            Some((code, _)) if r.column == "value" || r.column == "dataElement" => {
                if let Some(t) = typed.get_mut(code) {
                    t.1 = Some(message);
                }
            }
            _ if !above.contains(&message) => above.push(message),
            _ => {}
        }
    }
    if e.rows.is_empty() {
        above.push(error_message(locale, &e));
    }
    let error = Some(if above.is_empty() {
        egov_web_kit::i18n::translate(locale, "indicators.form.refused").to_owned()
    } else {
        above.join(" ")
    });
    form(&state, locale, user, &asked, typed, error, false).await
}

/// Stores the values of an uploaded Excel workbook (DHIS2's columns or
/// their Chinese names on the first sheet), all or nothing; a refused
/// sheet is answered with each bad row by its row in the sheet.
pub async fn upload(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<WORKBENCH>,
    multipart: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    let refused = |message: String, problems: Vec<SheetProblem>| Uploaded {
        stored: None,
        refused: Some(message),
        problems,
    };
    let posted = match egov_web_kit::upload::read(multipart, MAX_SHEET, &["csrf"]).await {
        Ok(p) => p,
        Err(e) => {
            let message = error_message(locale, &e);
            return list(&state, locale, user, refused(message, Vec::new())).await;
        }
    };
    let Ok(caller) = form_caller(&user, origin, posted.field("csrf")) else {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    };
    let (header, rows) = match values_from_sheet(posted.file.1).await {
        Ok(read) => read,
        Err(e) => {
            let message = error_message(locale, &e);
            return list(&state, locale, user, refused(message, Vec::new())).await;
        }
    };
    let outcome = match import(&state, &caller, &rows).await {
        Ok(count) => Uploaded {
            stored: Some(
                egov_web_kit::i18n::translate(locale, "indicators.upload.stored")
                    .replace("{imported}", &count.imported.to_string())
                    .replace("{updated}", &count.updated.to_string())
                    .replace("{ignored}", &count.ignored.to_string()),
            ),
            ..Uploaded::default()
        },
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::UNAUTHORIZED => {
            return Ok(error_page(locale, e.status));
        }
        Err(e) => {
            // A sheet's rows counted as the person sees them: the header is row 1.
            let offset = usize::from(header);
            let problems = e
                .rows
                .iter()
                .map(|r| SheetProblem {
                    row: r.row + offset,
                    column: egov_web_kit::i18n::lookup(
                        locale,
                        &format!("indicators.column.{}", r.column),
                    )
                    .map_or_else(|| r.column.clone(), str::to_owned),
                    message: r.message(locale).to_owned(),
                })
                .collect();
            refused(error_message(locale, &e), problems)
        }
    };
    list(&state, locale, user, outcome).await
}
