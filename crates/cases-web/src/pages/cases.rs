//! The case page: what a case is, where its clock stands, its timeline,
//! and the forms for what the viewer may do now (actions, comments, files,
//! rating, supervision orders). Every form posts back here, is checked for
//! its CSRF token, goes through the same functions as the API, and on
//! success redirects to the page (post/redirect/get); a refusal shows the
//! page again with the message and what was typed.

use crate::case_page::{CaseAdditions, CaseLink, CasePageExtensions, Glossary};
use crate::forms::{self, DepartmentOption, FormField};
use crate::views::{ActionInput, CaseDetail};
use crate::work::cases::{add_comment, attach_from, detail, rate_case, take_action};
use crate::work::supervision::{answer, order_case};
use crate::work::visible_case;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use egov_cases::access::{may_answer_order, sees_internal};
use egov_cases::orders::OrderStatus;
use egov_cases::{BranchStatus, Case, CaseError, ProcessDefinition, Violation};
use egov_identity::{allows, Permission, Principal, Role, SessionUser, UserKind};
use egov_kernel::time::Timestamp;
use egov_kernel::Locale;
use egov_org::Directory;
use egov_web_kit::auth::page_caller;
use egov_web_kit::auth::{CheckedForm, PageUser, ACCOUNT};
use egov_web_kit::context::{Lang, Origin};
use egov_web_kit::page::{error_message, error_page, localized, render, Chrome};
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// A Beijing wall-clock time, as people read deadlines.
pub fn beijing(ts: &Timestamp) -> String {
    egov_kernel::time::beijing(*ts)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub struct ActionForm {
    pub id: String,
    pub name: String,
    pub fields: Vec<FormField>,
    pub error: Option<String>,
    /// The last moment it may be taken, when it has one.
    pub until: Option<String>,
}

pub struct Row {
    pub at: String,
    pub who: String,
    pub what: String,
    pub to: String,
    /// The action's fields, as label and text.
    pub fields: Vec<(String, String)>,
}

pub struct BranchRow {
    pub department: String,
    pub status: BranchStatus,
    pub answered_at: Option<String>,
}

pub struct OrderRow {
    pub id: i64,
    pub department: String,
    pub issued_at: String,
    pub body: String,
    pub answer_due_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub may_answer: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    d: CaseDetail,
    process_name: String,
    state_name: String,
    department: String,
    handling: String,
    /// `running`, `paused`, `closed` or `none` (a step without a deadline).
    clock: &'static str,
    due_at: Option<String>,
    /// When the applicant may expect the result, if the system whose case
    /// this is says (an application's 预计办结).
    expected: Option<String>,
    warn_at: Option<String>,
    red_at: Option<String>,
    closed_at: Option<String>,
    location: Option<String>,
    data: Vec<(String, String)>,
    branches: Vec<BranchRow>,
    actions: Vec<ActionForm>,
    timeline: Vec<Row>,
    orders: Vec<OrderRow>,
    departments: Vec<DepartmentOption>,
    staff: bool,
    may_upload: bool,
    may_rate: bool,
    may_order: bool,
    grades: Vec<(i16, &'static str)>,
    rating_grade: Option<&'static str>,
    error: Option<String>,
    notice: Option<&'static str>,
    /// What the systems whose case this is link to from it.
    links: Vec<CaseLink>,
    /// The text typed into a refused comment, rating, order or answer
    /// form, and which form it was (`comment`, `rating`, `order`,
    /// `answer-<id>`).
    kept: String,
    kept_for: String,
    /// The applicant's view of where the case stands, for a process with
    /// an acceptance step (submitted → accepted → being decided → decided).
    progress: Vec<ProgressStep>,
    /// For staff: who applied.
    applicant_panel: Option<ApplicantPanel>,
    files: Vec<FileRow>,
    /// What the applicant owes, point by point: the request for
    /// corrections the case waits on, the materials accepted to follow later.
    checklists: Vec<Checklist>,
    /// The English of the case's Chinese words, from its system.
    glossary: Glossary,
}

/// What the applicant owes as a checklist: each point, the files that
/// answer it, and (for the applicant) a slot to upload one.
struct Checklist {
    /// `corrections` or `owed`: the section's id and strings.
    id: &'static str,
    /// When and why it is owed.
    intro: String,
    note: Option<String>,
    points: Vec<CorrectionPoint>,
    /// How many points have no file yet.
    open: usize,
    /// The applicant answers it here.
    answerer: bool,
}

struct CorrectionPoint {
    /// The slot's own id, for its label.
    slot: String,
    item: String,
    /// By when it is due, where that is said (a material's note).
    due: Option<String>,
    files: Vec<String>,
}

/// A file of the case as its page lists it.
struct FileRow {
    href: String,
    name: String,
    /// What it was given as (an application's material, by the guide's name).
    label: Option<String>,
    media_type: String,
    size: String,
    internal: bool,
    /// `image` or `pdf`: shown in the page on request.
    preview: &'static str,
    /// The request it answered (a 补正 notice: when, and what it asked for).
    answers: Option<String>,
}

/// The case's files with what each was given as and which stopped-clock
/// request (补正) it answered: the last step before its upload, when that
/// step stopped the clock for the applicant.
fn file_rows(
    locale: Locale,
    def: &ProcessDefinition,
    d: &CaseDetail,
    labels: &HashMap<String, String>,
) -> Vec<FileRow> {
    let applicant = d
        .applicant_id
        .map(|id| format!("user:{id}"))
        .unwrap_or_default();
    d.attachments
        .iter()
        .map(|f| {
            // Only the applicant answers a 补正, with files they can see.
            let by_applicant = !f.internal && !f.author.is_empty() && f.author == applicant;
            let answers = d
                .timeline
                .iter()
                .rfind(|e| by_applicant && e.at <= f.at)
                .filter(|e| {
                    e.action != "start"
                        && def
                            .state(&e.to_state)
                            .is_some_and(|s| s.clock == egov_cases::Clock::Paused)
                })
                .map(|e| {
                    // The point it was uploaded for, else all that was asked.
                    let asked: Vec<&str> = match &f.answers {
                        Some(item) => vec![item.as_str()],
                        None => e.fields["missing"]
                            .as_array()
                            .map(|m| m.iter().filter_map(|v| v.as_str()).collect())
                            .unwrap_or_default(),
                    };
                    let mut text = format!(
                        "{}（{}）",
                        action_name(locale, def, &e.action),
                        beijing(&e.at)
                    );
                    if !asked.is_empty() {
                        text.push('：');
                        text.push_str(&asked.join("、"));
                    }
                    text
                });
            FileRow {
                href: f.href.clone(),
                name: f.name.clone(),
                label: labels.get(&f.sha256).cloned(),
                media_type: f.media_type.clone(),
                size: match f.size {
                    n if n >= 1024 * 1024 => format!("{:.1} MB", n as f64 / 1048576.0),
                    n if n >= 1024 => format!("{:.0} KB", n as f64 / 1024.0),
                    n => format!("{n} B"),
                },
                internal: f.internal,
                preview: match f.media_type.as_str() {
                    "application/pdf" => "pdf",
                    "image/png" | "image/jpeg" => "image",
                    _ => "",
                },
                answers,
            }
        })
        .collect()
}

/// Who applied, as the staff working on the case see them: identity and
/// phone numbers masked until someone asks to see them (audited).
struct ApplicantPanel {
    name: String,
    kind: &'static str,
    /// The enterprise applied for: its name and credit code.
    enterprise: Option<(String, String)>,
    phone: Option<String>,
    resident_id: Option<String>,
    masked: bool,
    /// The viewer may ask to see the numbers in full.
    may_reveal: bool,
}

/// Who may see a case's applicant's numbers in full: the handlers and
/// dispatchers of the department handling it, and those whose role needs
/// personal data (administrators, auditors).
fn may_reveal_applicant(user: &SessionUser, case: &Case) -> bool {
    let handling = Some(case.handling_department());
    allows(
        &Principal::User(user.clone()),
        Permission::RevealPersonalData,
    ) || [Role::Handler, Role::Dispatcher]
        .into_iter()
        .any(|r| user.has_role_for(r, handling))
}

/// The applicant of `case` for a staff viewer, unmasked (and audited) when
/// `reveal`.
async fn applicant_panel(
    state: &AppState,
    user: &SessionUser,
    case: &Case,
    reveal: Option<&egov_kernel::Context>,
) -> Result<Option<ApplicantPanel>, ApiError> {
    let may_reveal = may_reveal_applicant(user, case);
    let Some(id) = case.applicant_id else {
        return Ok(None);
    };
    let record = match egov_identity::get_user(&state.db, id).await {
        Ok(r) => r,
        Err(egov_identity::IdentityError::NotFound) => return Ok(None),
        Err(e) => return Err(ApiError::from_identity(e)),
    };
    let view = match reveal.filter(|_| may_reveal) {
        Some(ctx) => {
            egov_identity::personal::reveal_for_case(&state.db, ctx, &record, &case.number)
                .await
                .map_err(ApiError::from_identity)?
        }
        None => egov_identity::personal::masked(&record),
    };
    Ok(Some(ApplicantPanel {
        kind: match record.kind.as_str() {
            "enterprise" => "account.kinds.enterprise",
            _ => "account.kinds.citizen",
        },
        enterprise: record
            .enterprise_name
            .clone()
            .map(|n| (n, record.enterprise_code.clone().unwrap_or_default())),
        name: record.display_name,
        phone: view.phone,
        resident_id: view.resident_id,
        masked: view.masked,
        may_reveal,
    }))
}

/// One stage of the applicant's progress line.
struct ProgressStep {
    label: &'static str,
    /// `done`, `current` or `todo`.
    status: &'static str,
}

/// Where an application stands, as the applicant reads it: filed; accepted
/// (or being considered for acceptance); being decided; decided (closed,
/// whatever the outcome, which the case's state names). Empty for
/// processes without an acceptance step.
fn progress(
    locale: Locale,
    def: &ProcessDefinition,
    case: &Case,
    accepted: bool,
) -> Vec<ProgressStep> {
    if def.action("accept").is_none() {
        return Vec::new();
    }
    let t = |k| egov_web_kit::i18n::translate(locale, k);
    let reached = match (case.is_open(), accepted) {
        (false, _) => 4,
        (true, true) => 3,
        (true, false) => 2,
    };
    [
        "case.progress.filed",
        "case.progress.accepted",
        "case.progress.deciding",
        "case.progress.decided",
    ]
    .into_iter()
    .enumerate()
    .map(|(i, key)| ProgressStep {
        label: t(key),
        status: match (i + 1).cmp(&reached) {
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal if reached == 4 => "done",
            std::cmp::Ordering::Equal => "current",
            std::cmp::Ordering::Greater => "todo",
        },
    })
    .collect()
}

impl CasePage {
    /// A word of the case's data in the page's language where its system
    /// gives one, else marked as Chinese.
    fn term<'a>(&'a self, zh: &'a str) -> egov_web_kit::page::Said<'a> {
        self.chrome
            .own(self.glossary.in_locale(self.chrome.locale, zh))
    }

    /// How many points of a checklist still need a file.
    fn points_left(&self, c: &Checklist) -> String {
        let key = match c.open {
            0 => "all_done",
            1 => "left_one",
            _ => "left_many",
        };
        self.chrome
            .t(&format!("case.{}.{key}", c.id))
            .replace("{n}", &c.open.to_string())
    }

    fn checklist_heading(&self, c: &Checklist) -> &'static str {
        self.chrome.t(&format!("case.{}.heading", c.id))
    }

    fn alert_key(&self) -> String {
        format!("case.alert.{}", self.d.summary.alert)
    }

    /// What to show again in the text box of form `form`.
    fn kept_in(&self, form: &str) -> &str {
        if self.kept_for == form {
            &self.kept
        } else {
            ""
        }
    }

    /// The applicant has just filed: the page confirms it and says what
    /// happens next.
    fn just_filed(&self) -> bool {
        !self.staff && self.notice == Some("case.done.opened")
    }

    fn clock_key(&self) -> String {
        format!("case.clock.{}", self.clock)
    }

    fn branch_key(&self, status: &BranchStatus) -> String {
        format!("case.branch.{status}")
    }
}

/// A refusal to show on the page.
#[derive(Default)]
pub struct Flash {
    pub status: Option<StatusCode>,
    pub error: Option<String>,
    /// The action whose form was refused: its posted values and violations.
    pub action: Option<(String, HashMap<String, String>, Vec<Violation>)>,
    pub kept: String,
    pub kept_for: String,
    pub notice: Option<&'static str>,
    /// Show the applicant's numbers unmasked, audited in this request's
    /// context (staff who asked).
    pub reveal_applicant: Option<egov_kernel::Context>,
}

impl Flash {
    /// A refused text form: what was typed, to show again in that form.
    fn keeping(form: impl Into<String>, text: &str) -> Flash {
        Flash {
            kept: text.to_owned(),
            kept_for: form.into(),
            ..Flash::default()
        }
    }
}

fn grade_name(locale: Locale, grade: i16) -> &'static str {
    egov_cases::rating::GRADES
        .iter()
        .find(|g| g.0 == grade)
        .map(|g| if locale == Locale::Zh { g.1 } else { g.2 })
        .unwrap_or("")
}

fn state_name(locale: Locale, def: &ProcessDefinition, id: &str) -> String {
    def.state(id)
        .map(|s| localized(locale, &s.name, s.name_en.as_deref()))
        .unwrap_or_else(|| id.to_owned())
}

fn action_name(locale: Locale, def: &ProcessDefinition, id: &str) -> String {
    def.action(id)
        .map(|a| localized(locale, &a.name, a.name_en.as_deref()))
        .unwrap_or_else(|| id.to_owned())
}

/// Values of a form or event's fields as label and text, in schema order.
fn field_rows(
    locale: Locale,
    schema: Option<&serde_json::Value>,
    data: &serde_json::Value,
    dir: &Directory,
    glossary: &Glossary,
) -> Vec<(String, String)> {
    let Some(obj) = data.as_object() else {
        return Vec::new();
    };
    let drawn = forms::draw(locale, schema, &HashMap::new(), &[]);
    obj.iter()
        .map(|(k, v)| {
            let label = drawn
                .iter()
                .find(|f| f.input.strip_prefix(forms::PREFIX) == Some(k))
                .map(|f| f.label.clone())
                .unwrap_or_else(|| forms::label(locale, k, &serde_json::Value::Null));
            let text = match v {
                serde_json::Value::String(s) if k == "department" => dir
                    .by_code(s)
                    .map_or_else(|| s.clone(), |d| d.name_in(locale).to_owned()),
                serde_json::Value::String(s) => glossary.in_locale(locale, s).to_owned(),
                serde_json::Value::Number(n) if k == "department_id" => n
                    .as_i64()
                    .and_then(|id| dir.department(id))
                    .map_or_else(|| n.to_string(), |d| d.name_in(locale).to_owned()),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(
                        |i| match (i.as_str(), i.get("name").and_then(|n| n.as_str())) {
                            (Some(s), _) => glossary.in_locale(locale, s).to_owned(),
                            // A named point (a material owed under 容缺): its name.
                            (None, Some(name)) => glossary.in_locale(locale, name).to_owned(),
                            (None, None) => i.to_string(),
                        },
                    )
                    .collect::<Vec<_>>()
                    .join(egov_web_kit::i18n::translate(locale, "list.sep")),
                other => other.to_string(),
            };
            (label, text)
        })
        // Nothing given (no note, nothing owed) is not a fact worth a row.
        .filter(|(_, text)| !text.is_empty())
        .collect()
}

/// A case's form data as rows. A case a system opened for its own work
/// (an online application) may carry a `form`, labelled from the schema
/// that system gives the page.
fn case_facts(
    locale: Locale,
    def: &ProcessDefinition,
    additions: &CaseAdditions,
    data: &serde_json::Value,
    dir: &Directory,
) -> Vec<(String, String)> {
    let mut rest = data.clone();
    let form = rest.as_object_mut().and_then(|o| {
        // The English title is the page's heading, not a fact.
        o.remove("title_en");
        o.remove("form")
    });
    let glossary = &additions.glossary;
    let mut rows = Vec::new();
    if let Some(form) = form {
        rows = field_rows(locale, additions.form_schema.as_ref(), &form, dir, glossary);
    }
    rows.extend(field_rows(locale, def.start_fields(), &rest, dir, glossary));
    rows
}

/// Who an event's actor label names, as the viewer may know them.
async fn people(
    state: &AppState,
    locale: Locale,
    staff_viewer: bool,
    applicant_id: Option<i64>,
    labels: impl Iterator<Item = &str>,
) -> Result<HashMap<String, String>, ApiError> {
    let t = |k| egov_web_kit::i18n::translate(locale, k).to_owned();
    let mut out = HashMap::new();
    for label in labels.collect::<HashSet<_>>() {
        let id = label
            .strip_prefix("user:")
            .and_then(|s| s.parse::<i64>().ok());
        let name = match id {
            Some(id) if Some(id) == applicant_id => t("case.who.applicant"),
            Some(id) if staff_viewer => match egov_identity::get_user(&state.db, id).await {
                Ok(u) => u.display_name,
                Err(egov_identity::IdentityError::NotFound) => t("case.who.staff"),
                Err(e) => return Err(ApiError::internal(e)),
            },
            Some(_) => t("case.who.staff"),
            None if label == "system" => t("case.who.system"),
            None => label.to_owned(),
        };
        out.insert(label.to_owned(), name);
    }
    Ok(out)
}

pub async fn page(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    number: &str,
    flash: Flash,
) -> Result<Response, ApiError> {
    let principal = Principal::User(user.clone());
    let (case, def) = match visible_case(state, &principal, number).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(e),
    };
    let d = detail(state, &principal, &case, &def).await?;
    let dir = egov_org::directory(&state.db).await?;
    let dept = |id: i64| {
        dir.department(id)
            .map_or_else(|| id.to_string(), |d| d.name_in(locale).to_owned())
    };
    let dept_coded = |code: &str| {
        dir.by_code(code)
            .map_or_else(|| code.to_owned(), |d| d.name_in(locale).to_owned())
    };
    let staff = sees_internal(&principal);
    let who = people(
        state,
        locale,
        staff,
        case.applicant_id,
        d.timeline.iter().map(|e| e.actor.as_str()),
    )
    .await?;
    let accepted_at = d
        .timeline
        .iter()
        .find(|e| e.action == "accept")
        .map(|e| e.at);
    let additions = state
        .part::<CasePageExtensions>()
        .collect(state, &case, &user, accepted_at, locale)
        .await?;
    let facts = case_facts(locale, &def, &additions, &case.data, &dir);
    let timeline = d
        .timeline
        .iter()
        .map(|e| Row {
            at: beijing(&e.at),
            who: who.get(&e.actor).cloned().unwrap_or_default(),
            what: if e.action == "start" {
                egov_web_kit::i18n::translate(locale, "case.opened").to_owned()
            } else {
                action_name(locale, &def, &e.action)
            },
            to: state_name(locale, &def, &e.to_state),
            // A case opens with its facts, labelled the same way.
            fields: match e.action.as_str() {
                "start" => facts.clone(),
                action => field_rows(
                    locale,
                    def.fields_schema(action),
                    &e.fields,
                    &dir,
                    &additions.glossary,
                ),
            },
        })
        .collect();
    let actions = d
        .actions
        .iter()
        .map(|a| {
            let (posted, violations, error) = match &flash.action {
                Some((id, posted, v)) if *id == a.id => {
                    (posted.clone(), v.clone(), flash.error.clone())
                }
                _ => (HashMap::new(), Vec::new(), None),
            };
            ActionForm {
                id: a.id.clone(),
                name: action_name(locale, &def, &a.id),
                fields: forms::draw(locale, a.fields.as_ref(), &posted, &violations),
                error,
                until: a.until.map(|t| beijing(&t)),
            }
        })
        .collect();
    let orders = d
        .orders
        .iter()
        .map(|o| OrderRow {
            id: o.id,
            department: dept_coded(&o.department),
            issued_at: beijing(&o.issued_at),
            body: o.body.clone(),
            answer_due_at: beijing(&o.answer_due_at),
            answer: o.answer.clone(),
            answered_at: o.answered_at.as_ref().map(beijing),
            may_answer: o.status == OrderStatus::Open
                && dir
                    .by_code(&o.department)
                    .is_some_and(|d| may_answer_order(&user, d.id)),
        })
        .collect();
    let applicant = user.kind != UserKind::Staff
        && !user.view_only
        && case.applied_by(user.user_id, user.enterprise_id);
    let clock = match (&case.closed_at, &case.paused_at, &case.due_at) {
        (Some(_), _, _) => "closed",
        (None, Some(_), _) => "paused",
        (None, None, Some(_)) => "running",
        (None, None, None) => "none",
    };
    let departments = if d.actions.iter().any(|a| {
        let field = |name| a.fields.as_ref().and_then(|f| f.pointer(name)).is_some();
        field("/properties/department") || field("/properties/department_id")
    }) {
        DepartmentOption::all(&dir, locale)
    } else {
        Vec::new()
    };
    let form_error = match flash.action {
        Some(_) => None,
        None => flash.error,
    };
    let mut checklists = Vec::new();
    if let Some(r) = egov_cases::corrections::open_request(&state.db, &def, &case).await? {
        checklists.push(Checklist {
            id: "corrections",
            intro: egov_web_kit::i18n::translate(locale, "case.corrections.intro")
                .replace("{at}", &beijing(&r.asked_at)),
            open: r.unanswered().len(),
            note: r.note.clone(),
            points: r
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| CorrectionPoint {
                    slot: format!("corrections-{i}"),
                    item: item.clone(),
                    due: None,
                    files: r.answered.get(item).cloned().unwrap_or_default(),
                })
                .collect(),
            answerer: applicant,
        });
    }
    let owed = egov_cases::corrections::owed(&state.db, &case).await?;
    if !owed.is_empty() {
        checklists.push(Checklist {
            id: "owed",
            intro: egov_web_kit::i18n::translate(locale, "case.owed.intro").to_owned(),
            open: egov_cases::corrections::not_arrived(&owed).len(),
            note: None,
            points: owed
                .into_iter()
                .enumerate()
                .map(|(i, o)| CorrectionPoint {
                    slot: format!("owed-{i}"),
                    item: o.name,
                    due: (!o.note.is_empty()).then_some(o.note),
                    files: o.files,
                })
                .collect(),
            answerer: applicant && case.is_open(),
        });
    }
    let applicant_panel = match staff {
        true => applicant_panel(state, &user, &case, flash.reveal_applicant.as_ref()).await?,
        false => None,
    };
    let page = CasePage {
        chrome: Chrome::new(locale, Some(user.clone()), format!("/cases/{number}")),
        process_name: localized(locale, &def.name, def.name_en.as_deref()),
        state_name: state_name(locale, &def, &case.state),
        department: dept(case.department_id),
        handling: dept(case.handling_department()),
        clock,
        due_at: case.due_at.as_ref().map(beijing),
        expected: additions.expected,
        warn_at: case
            .warn_at
            .as_ref()
            .filter(|_| case.is_open())
            .map(beijing),
        red_at: case.red_at.as_ref().filter(|_| case.is_open()).map(beijing),
        closed_at: case.closed_at.as_ref().map(beijing),
        location: case.location.as_ref().map(|l| match &l.address {
            Some(a) => format!("{a}（{:.6}, {:.6}）", l.lat, l.lon),
            None => format!("{:.6}, {:.6}", l.lat, l.lon),
        }),
        data: facts,
        branches: d
            .branches
            .iter()
            .map(|b| BranchRow {
                department: dept_coded(&b.department),
                status: b.status,
                answered_at: b.answered_at.as_ref().map(beijing),
            })
            .collect(),
        actions,
        timeline,
        orders,
        departments,
        staff,
        may_upload: case.is_open(),
        may_rate: applicant && !case.is_open() && d.rating.is_none(),
        may_order: case.is_open()
            && allows(
                &principal,
                Permission::SuperviseCases {
                    department_id: Some(case.handling_department()),
                },
            ),
        grades: egov_cases::rating::GRADES
            .iter()
            .map(|g| (g.0, if locale == Locale::Zh { g.1 } else { g.2 }))
            .collect(),
        rating_grade: d.rating.as_ref().map(|r| grade_name(locale, r.grade)),
        error: form_error,
        notice: flash.notice,
        links: additions
            .links
            .into_iter()
            .filter(|l| staff || !l.staff_only)
            .collect(),
        kept: flash.kept,
        kept_for: flash.kept_for,
        progress: if applicant {
            progress(locale, &def, &case, accepted_at.is_some())
        } else {
            Vec::new()
        },
        applicant_panel,
        files: file_rows(locale, &def, &d, &additions.file_labels),
        checklists,
        glossary: additions.glossary,
        d,
    };
    Ok(render(flash.status.unwrap_or(StatusCode::OK), &page))
}

/// Staff working on a case see its applicant's identity and phone numbers
/// unmasked, once, with an audit record naming the case.
pub async fn reveal_applicant(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    _: CheckedForm<serde::de::IgnoredAny>,
) -> Result<Response, ApiError> {
    let principal = Principal::User(user.clone());
    if !sees_internal(&principal) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let case = match visible_case(&state, &principal, &number).await {
        Ok((case, _)) => case,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(e),
    };
    if !may_reveal_applicant(&user, &case) {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    let ctx = page_caller(&user, origin).context;
    let flash = Flash {
        reveal_applicant: Some(ctx),
        ..Flash::default()
    };
    page(&state, locale, user, &number, flash).await
}

pub async fn show(
    State(state): State<AppState>,
    Lang(locale): Lang,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, ApiError> {
    let notice = q.done.as_deref().and_then(|d| match d {
        "action" => Some("case.done.action"),
        "comment" => Some("case.done.comment"),
        "file" => Some("case.done.file"),
        "rating" => Some("case.done.rating"),
        "order" => Some("case.done.order"),
        "answer" => Some("case.done.answer"),
        "opened" => Some("case.done.opened"),
        _ => None,
    });
    page(
        &state,
        locale,
        user,
        &number,
        Flash {
            notice,
            ..Flash::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn back(number: &str, done: &str) -> Response {
    Redirect::to(&format!("/cases/{number}?done={done}")).into_response()
}

/// Shows the page again with a refusal, or passes a server error on.
#[derive(Template)]
#[template(path = "case_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    number: String,
    action: String,
    message: String,
    /// What was typed, as the question and the answer.
    answers: Vec<(String, String)>,
    /// The form as posted, to post again once confirmed.
    fields: Vec<(String, String)>,
}

/// Asks the person to confirm `action` (its definition's `confirm` text),
/// showing what they typed; confirming posts the same form again.
fn confirm_page(
    locale: Locale,
    user: SessionUser,
    number: &str,
    action: &egov_cases::definition::Action,
    form: &HashMap<String, String>,
) -> Response {
    let drawn = forms::draw(locale, action.fields.as_ref(), form, &[]);
    let answers = drawn
        .into_iter()
        .filter(|f| !f.value.is_empty())
        .map(|f| (f.label, f.value))
        .collect();
    let mut fields: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| k.as_str() != "confirmed")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    fields.sort();
    render(
        StatusCode::OK,
        &ConfirmPage {
            chrome: Chrome::new(locale, Some(user), format!("/cases/{number}")),
            number: number.to_owned(),
            action: localized(locale, &action.name, action.name_en.as_deref()),
            message: localized(
                locale,
                action.confirm.as_deref().unwrap_or_default(),
                action.confirm_en.as_deref(),
            ),
            answers,
            fields,
        },
    )
}

async fn refused(
    state: &AppState,
    locale: Locale,
    user: SessionUser,
    number: &str,
    e: ApiError,
    mut flash: Flash,
) -> Result<Response, ApiError> {
    if e.status.is_server_error() {
        return Err(e);
    }
    if e.status == StatusCode::FORBIDDEN && e.detail.is_none() {
        return Ok(error_page(locale, StatusCode::FORBIDDEN));
    }
    flash.status = Some(e.status);
    flash.error = Some(error_message(locale, &e));
    page(state, locale, user, number, flash).await
}

pub async fn act(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let caller = page_caller(&user, origin);
    let action = get("action").to_owned();
    let version = get("version").parse::<i64>().unwrap_or(-1);
    let principal = caller.principal.clone();
    let (case, def) = match visible_case(&state, &principal, &number).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Ok(error_page(locale, StatusCode::NOT_FOUND))
        }
        Err(e) => return Err(e),
    };
    let schema = def.fields_schema(&action);
    let fields = forms::read(schema, &form);
    let flash = |v: Vec<Violation>| Flash {
        action: Some((action.clone(), form.clone(), v)),
        ..Flash::default()
    };
    // Only for those who may take the action: field errors beside their
    // inputs, in the viewer's language, and the question whether they are
    // sure of an action that cannot be undone. Anyone else hears only the
    // engine's refusal below.
    if let Some(a) = def.action(&action) {
        if crate::work::cases::may_take(&state, &user, &case, &def, &action).await? {
            let violations = def.check_fields(&action, &fields);
            if !violations.is_empty() {
                let e = ApiError::validation("请检查标出的内容", "please check the marked fields");
                return refused(&state, locale, user, &number, e, flash(violations)).await;
            }
            if a.confirm.is_some() && get("confirmed") != "yes" {
                return Ok(confirm_page(locale, user, &number, a, &form));
            }
        }
    }
    let input = ActionInput {
        action: action.clone(),
        version,
        fields: Some(fields),
    };
    match take_action(&state, &caller, &number, &input).await {
        Ok(_) => Ok(back(&number, "action")),
        Err(e) => refused(&state, locale, user, &number, e, flash(Vec::new())).await,
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    body: String,
    #[serde(default)]
    internal: Option<String>,
}

pub async fn comment(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<CommentForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let internal = form.internal.is_some();
    let result = add_comment(&state, &caller, &number, &form.body, internal).await;
    match result {
        Ok(_) => Ok(back(&number, "comment")),
        Err(e) => {
            let kept = Flash::keeping("comment", &form.body);
            refused(&state, locale, user, &number, e, kept).await
        }
    }
}

/// A file from the page's upload form, read by the API's code, which
/// checks the form's CSRF field before storing anything.
pub async fn upload(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let token = user.csrf_token.clone();
    match attach_from(&state, &caller, &number, multipart, Some(&token)).await {
        Ok(_) => Ok(back(&number, "file")),
        Err(e) => refused(&state, locale, user, &number, e, Flash::default()).await,
    }
}

#[derive(Deserialize)]
pub struct RatingForm {
    grade: Option<i16>,
    #[serde(default)]
    comment: String,
}

pub async fn rate(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<RatingForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let result = match form.grade {
        Some(g) => rate_case(&state, &caller, &number, g, &form.comment).await,
        None => Err(ApiError::validation("请选择评价等级", "choose a grade")),
    };
    match result {
        Ok(_) => Ok(back(&number, "rating")),
        Err(e) => {
            let kept = Flash::keeping("rating", &form.comment);
            refused(&state, locale, user, &number, e, kept).await
        }
    }
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

pub async fn order(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<TextForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    match order_case(&state, &caller, &number, &form.text).await {
        Ok(_) => Ok(back(&number, "order")),
        Err(e) => {
            let kept = Flash::keeping("order", &form.text);
            refused(&state, locale, user, &number, e, kept).await
        }
    }
}

pub async fn answer_order(
    State(state): State<AppState>,
    Lang(locale): Lang,
    origin: Origin,
    PageUser(user): PageUser<ACCOUNT>,
    Path(id): Path<i64>,
    CheckedForm(form): CheckedForm<TextForm>,
) -> Result<Response, ApiError> {
    let caller = page_caller(&user, origin);
    let number = match egov_cases::orders::order(&state.db, id).await {
        Ok(o) => o.case_number,
        Err(CaseError::NotFound) => return Ok(error_page(locale, StatusCode::NOT_FOUND)),
        Err(e) => return Err(e.into()),
    };
    match answer(&state, &caller, id, &form.text).await {
        Ok(_) => Ok(back(&number, "answer")),
        Err(e) => {
            let kept = Flash::keeping(format!("answer-{id}"), &form.text);
            refused(&state, locale, user, &number, e, kept).await
        }
    }
}

/// The names the page shows for a case in lists.
#[derive(Clone)]
pub struct CaseLine {
    pub number: String,
    pub title: String,
    pub title_en: Option<String>,
    pub process: String,
    pub state: String,
    pub due_at: Option<String>,
    pub provisional: bool,
    pub paused: bool,
    pub alert: &'static str,
    pub closed: bool,
    /// For staff: who applied (the person, or the enterprise and the person).
    pub applicant: Option<String>,
    /// For staff: the working days left on the clock, as words (今日到期,
    /// 剩 3 个工作日, 超期 2 个工作日).
    pub left: Option<String>,
    /// The clock ran out.
    pub late: bool,
    /// For staff: 督办 orders not yet answered.
    pub open_orders: i64,
}

/// The lines of a staff list: each case with who applied, the working days
/// left and its open 督办 orders, read for all the cases at once.
pub async fn staff_lines(
    state: &AppState,
    locale: Locale,
    rows: &[(Case, std::sync::Arc<ProcessDefinition>)],
) -> Result<Vec<CaseLine>, ApiError> {
    let applicants: Vec<i64> = rows.iter().filter_map(|(c, _)| c.applicant_id).collect();
    let names = egov_identity::applicant_names(&state.db, &applicants).await?;
    let ids: Vec<i64> = rows.iter().map(|(c, _)| c.id).collect();
    let orders = egov_cases::orders::open_counts(&state.db, &ids).await?;
    let cal = state.calendar().await?;
    let today = egov_kernel::time::beijing_today();
    let t = |k| egov_web_kit::i18n::translate(locale, k);
    Ok(rows
        .iter()
        .map(|(c, d)| {
            let mut line = CaseLine::new(locale, c, d);
            line.applicant = c.applicant_id.and_then(|id| names.get(&id).cloned());
            line.open_orders = orders.get(&c.id).copied().unwrap_or(0);
            if let (Some(due_at), true, None) = (c.due_at, c.is_open(), c.paused_at) {
                let due = egov_kernel::time::beijing(due_at).date();
                let past = due_at < egov_kernel::time::now();
                let count = |key: &str, n: u32| egov_web_kit::i18n::count(locale, key, n.into());
                let (words, late) = match due.cmp(&today) {
                    std::cmp::Ordering::Equal if past => {
                        (t("case.left.late_today").to_owned(), true)
                    }
                    std::cmp::Ordering::Equal => (t("case.left.today").to_owned(), false),
                    std::cmp::Ordering::Greater => (
                        count("case.left.days", cal.workdays_between(today, due)),
                        false,
                    ),
                    std::cmp::Ordering::Less => (
                        count("case.left.late", cal.workdays_between(due, today).max(1)),
                        true,
                    ),
                };
                line.left = Some(words);
                line.late = late || c.overdue;
            }
            line
        })
        .collect())
}

impl CaseLine {
    pub fn new(locale: Locale, case: &Case, def: &ProcessDefinition) -> Self {
        CaseLine {
            number: case.number.clone(),
            title: case.title.clone(),
            title_en: case.title_en().map(str::to_owned),
            process: localized(locale, &def.name, def.name_en.as_deref()),
            state: state_name(locale, def, &case.state),
            due_at: case.due_at.as_ref().map(beijing),
            provisional: case.due_provisional,
            paused: case.paused_at.is_some(),
            alert: case.alert_level.kind(),
            closed: !case.is_open(),
            applicant: None,
            left: None,
            late: false,
            open_orders: 0,
        }
    }

    pub fn alert_key(&self) -> String {
        format!("case.alert.{}", self.alert)
    }
}
