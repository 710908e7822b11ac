//! The service hall's use cases: the items on offer and their guides,
//! search, an administrator's changes to items, and applications (begun,
//! filled in, with materials, filed as a case). The API and the pages both
//! call these; neither calls the other.

use crate::errors::registry_problem;
use crate::views::*;
use axum::http::StatusCode;
use egov_identity::{SessionUser, UserKind};
use egov_kernel::Context;
use egov_services::application::{self, AppFile, Application};
use egov_services::registry::{self, Browse, ItemStatus, ServiceItem};
use egov_services::search::ServiceSearch;
use egov_services::Guide;
use egov_services::RegistryError;
use egov_web_kit::auth::require_user;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use egov_web_kit::upload::Posted;

/// Department names (Chinese, and English where kept) by code, for the views.
pub async fn department_names(state: &AppState) -> Result<DepartmentNames, ApiError> {
    Ok(egov_org::departments(&state.db, &Default::default())
        .await?
        .into_iter()
        .map(|d| (d.code, (d.name, d.name_en)))
        .collect())
}

/// The items on offer matching the query, and the department names.
pub async fn offered(
    state: &AppState,
    q: &ServiceQuery,
) -> Result<(Vec<ServiceItem>, DepartmentNames), ApiError> {
    let blank = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    let department_id = match blank(&q.department) {
        Some(code) => match egov_org::department(&state.db, &code).await {
            Ok(d) => Some(d.id),
            Err(egov_org::OrgError::DepartmentNotFound(_)) => {
                return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query")
                    .with_detail(format!("没有部门 {code}"), format!("no department {code}")))
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let browse = Browse {
        department_id,
        audience: blank(&q.audience),
        life_event: blank(&q.life_event),
        all: false,
    };
    let items = registry::browse(&state.db, &browse)
        .await
        .map_err(registry_problem)?;
    Ok((items, department_names(state).await?))
}

/// An item on offer; drafts and withdrawn items are not found.
pub async fn offered_item(state: &AppState, code: &str) -> Result<ServiceItem, ApiError> {
    let item = registry::get(&state.db, code)
        .await
        .map_err(registry_problem)?;
    if item.status != ItemStatus::Published {
        return Err(registry_problem(RegistryError::Unknown(code.to_owned())));
    }
    Ok(item)
}

/// May the caller manage the items of the department with `code`?
pub async fn require_manager(
    state: &AppState,
    caller: &ApiCaller,
    department_code: &str,
) -> Result<(), ApiError> {
    let department_id = match egov_org::department(&state.db, department_code).await {
        Ok(d) => Some(d.id),
        // Unknown: only those who manage every department get to hear so.
        Err(egov_org::OrgError::DepartmentNotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    caller.require(egov_identity::Permission::ManageServiceItems { department_id })
}

/// Loads a guide's text for a caller who manages its department.
pub async fn load_guide(
    state: &AppState,
    caller: &ApiCaller,
    text: &str,
) -> Result<(egov_services::ServiceItem, bool), ApiError> {
    // Read the department first: whether the caller may load it at all.
    let guide = Guide::parse(text).map_err(RegistryError::from);
    match &guide {
        Ok(g) => require_manager(state, caller, &g.department).await?,
        Err(_) => caller.require(egov_identity::Permission::UseWorkbench)?,
    }
    let guide = guide.map_err(registry_problem)?;
    // A revision may not move an item out of a department the caller
    // does not manage.
    match registry::get(&state.db, &guide.code).await {
        Ok(existing) => require_manager(state, caller, &existing.guide.department).await?,
        Err(RegistryError::Unknown(_)) => {}
        // Not knowing whose the item is, nothing is loaded.
        Err(e) => return Err(registry_problem(e)),
    }
    let (g, loaded) = registry::load(&state.db, &caller.context, text)
        .await
        .map_err(registry_problem)?;
    let item = registry::get(&state.db, &g.code)
        .await
        .map_err(registry_problem)?;
    Ok((item, loaded == registry::Loaded::New))
}

/// What a manager does to an item.
pub async fn change_item(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
    publish: bool,
) -> Result<egov_services::ServiceItem, ApiError> {
    let item = match registry::get(&state.db, code).await {
        Ok(i) => i,
        Err(RegistryError::Unknown(_)) => {
            // Nobody learns from a refusal whether a code exists.
            caller.require(egov_identity::Permission::ManageServiceItems {
                department_id: None,
            })?;
            return Err(registry_problem(RegistryError::Unknown(code.to_owned())));
        }
        Err(e) => return Err(registry_problem(e)),
    };
    require_manager(state, caller, &item.guide.department).await?;
    if publish {
        registry::publish(&state.db, &caller.context, code)
            .await
            .map_err(registry_problem)?;
    } else {
        registry::withdraw(&state.db, &caller.context, code)
            .await
            .map_err(registry_problem)?;
    }
    registry::get(&state.db, code)
        .await
        .map_err(registry_problem)
}

/// Searches the items on offer: ranked, with facet counts.
pub async fn search_items(state: &AppState, q: &SearchQuery) -> Result<SearchResults, ApiError> {
    state
        .part::<ServiceSearch>()
        .catch_up(&state.db)
        .await
        .map_err(ApiError::internal)?;
    let blank = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    let mut query = egov_search::Query::new(q.q.clone().unwrap_or_default())
        .kind(egov_services::search::KIND)
        .facet("audience")
        .facet("life_event")
        .facet("department")
        .page(
            q.offset.unwrap_or(0).min(5000),
            q.limit.unwrap_or(20).clamp(1, 100),
        );
    for (field, value) in [
        ("audience", blank(&q.audience)),
        ("life_event", blank(&q.life_event)),
        ("department", blank(&q.department)),
    ] {
        if let Some(v) = value {
            query = query.filter(field, v);
        }
    }
    let index = state.part::<ServiceSearch>().index().clone();
    let found = tokio::task::spawn_blocking(move || index.search(&query))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let names = department_names(state).await?;
    let mut items = Vec::with_capacity(found.hits.len());
    for hit in &found.hits {
        // The index may trail a withdrawal by a moment: skip what is gone.
        match offered_item(state, &hit.id).await {
            Ok(item) => items.push(ServiceSummary::new(&item.guide, &names)),
            Err(e) if e.status == StatusCode::NOT_FOUND => {}
            Err(e) => return Err(e),
        }
    }
    Ok(SearchResults {
        total: found.total,
        partial: found.partial,
        items,
        facets: found
            .facets
            .into_iter()
            .map(|(field, counts)| {
                let counts = counts
                    .into_iter()
                    .map(|(value, count)| FacetCount { value, count })
                    .collect();
                (field, counts)
            })
            .collect(),
    })
}

/// What the hall offers when a search finds nothing: the item names,
/// keywords and synonyms that look like what was typed (a typo, another
/// word for it), the life events and departments whose names share its
/// words, and where to ask.
pub struct SearchHelp {
    /// Searches to try instead, the likeliest first.
    pub did_you_mean: Vec<String>,
    pub life_events: Vec<&'static str>,
    /// Departments as code and name (Chinese, and English where kept).
    pub departments: Vec<(String, (String, Option<String>))>,
}

/// How alike a suggestion must be to what was typed (see
/// `egov_search::similarity`).
const SUGGEST_AT: f32 = 0.3;

pub async fn search_help(state: &AppState, text: &str) -> Result<SearchHelp, ApiError> {
    let (items, names) = offered(state, &ServiceQuery::default()).await?;
    let synonyms = state.part::<ServiceSearch>().index().synonyms();
    let mut terms: Vec<&str> = items
        .iter()
        .flat_map(|i| std::iter::once(&i.guide.name).chain(i.guide.keywords.iter()))
        .map(String::as_str)
        .collect();
    terms.extend(synonyms.groups().flatten());
    // A term the guides use needs no correction.
    let known = terms
        .iter()
        .any(|t| egov_search::similarity(text, t) == 1.0);
    let mut scored: Vec<(f32, String)> = terms
        .into_iter()
        .filter(|_| !known)
        .map(|t| (egov_search::similarity(text, t), t.to_owned()))
        .filter(|(score, _)| *score >= SUGGEST_AT)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut did_you_mean: Vec<String> = Vec::new();
    for (_, term) in scored {
        if !did_you_mean.contains(&term) && did_you_mean.len() < 5 {
            did_you_mean.push(term);
        }
    }
    // A life event's name is a word or two: one character in common is a
    // hint (生娃 → 出生, 生育); a department's name needs a pair in common
    // (its 局, 委, 市 are in every name).
    let life_events = egov_services::LIFE_EVENTS
        .iter()
        .copied()
        .filter(|e| e.chars().any(|c| !c.is_ascii() && text.contains(c)))
        .collect();
    let near = |name: &str| egov_search::similarity(text, name) > 0.0;
    let mut departments: Vec<_> = names
        .into_iter()
        .filter(|(_, (name, _))| near(name))
        .collect();
    departments.sort();
    departments.truncate(5);
    Ok(SearchHelp {
        did_you_mean,
        life_events,
        departments,
    })
}

/// Who applies, as the guides name it: 法人 for an enterprise, else 个人.
pub fn audience_of(user: &SessionUser) -> &'static str {
    match user.kind {
        UserKind::Enterprise => "法人",
        _ => "个人",
    }
}

/// The signed-in user as the party to their applications: themselves, and
/// the enterprise they act for.
/// The person acting on applications, and the enterprise they act for: a
/// view-only operator acts for none, so the enterprise's drafts are not
/// theirs to go on with.
pub fn party(user: &SessionUser) -> application::Party {
    application::Party {
        user_id: user.user_id,
        enterprise_id: user.acting_enterprise(),
    }
}

/// Whose results and certificates the person sees: their enterprise's too,
/// view-only operators included.
pub fn holder(user: &SessionUser) -> application::Party {
    application::Party {
        user_id: user.user_id,
        enterprise_id: user.enterprise_id,
    }
}

/// The signed-in user as an applicant to an item.
pub fn as_applicant(user: &SessionUser) -> application::Applicant<'static> {
    application::Applicant {
        party: party(user),
        audience: audience_of(user),
        assurance: user.assurance_level,
    }
}

/// The signed-in applicant (a citizen or an enterprise) calling.
pub fn applicant(caller: &ApiCaller) -> Result<&SessionUser, ApiError> {
    let user = require_user(caller)?;
    if user.kind == UserKind::Staff {
        return Err(ApiError::forbidden().with_detail(
            "工作人员不能以申请人身份申请",
            "staff do not apply as applicants",
        ));
    }
    if user.view_only {
        return Err(egov_cases_web::work::cases::view_only());
    }
    Ok(user)
}

pub fn file_view(f: AppFile, guide: &Guide) -> ApplicationFileView {
    ApplicationFileView {
        material_name: guide
            .materials
            .get(f.material as usize)
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        id: f.id,
        material: f.material,
        name: f.name,
        media_type: f.media_type,
        size: f.size,
        sha256: f.sha256,
    }
}

/// Adds the material a multipart form posted (fields `material`, the
/// guide's index of it, and `file`) to the caller's draft.
pub async fn add_posted(
    state: &AppState,
    ctx: &Context,
    id: i64,
    party: application::Party,
    posted: Posted,
) -> Result<(AppFile, Guide), application::ApplicationError> {
    let material = posted
        .field("material")
        .parse::<usize>()
        .unwrap_or(usize::MAX);
    let (name, bytes) = posted.file;
    let given = application::Given {
        material,
        name: &name,
        bytes,
        certificate: None,
        identity_level: None,
    };
    add_given(state, ctx, id, party, given).await
}

/// Adds a material's file to the caller's draft, within the upload limit.
async fn add_given(
    state: &AppState,
    ctx: &Context,
    id: i64,
    party: application::Party,
    given: application::Given<'_>,
) -> Result<(AppFile, Guide), application::ApplicationError> {
    let max = state.settings.max_upload_bytes;
    application::add_file(&state.db, ctx, &state.files, id, party, given, max).await
}

/// Gives the applicant's identity, as the platform verified it, as material
/// `material` of their draft (an identity document the guide asks for).
pub async fn add_identity(
    state: &AppState,
    ctx: &Context,
    id: i64,
    user: &SessionUser,
    material: usize,
) -> Result<(AppFile, Guide), ApiError> {
    use egov_services::certificates::{identity_attestation, identity_stands_for};
    let party = party(user);
    let draft = application::mine(&state.db, id, party)
        .await
        .map_err(crate::errors::application_problem)?;
    let guide = application::guide_of(&state.db, &draft)
        .await
        .map_err(crate::errors::application_problem)?;
    let record = egov_identity::get_user(&state.db, user.user_id)
        .await
        .map_err(ApiError::internal)?;
    let level = record.assurance_level;
    let allowed = guide
        .materials
        .get(material)
        .is_some_and(|m| identity_stands_for(level, party.enterprise_id.is_some(), &m.name));
    let Some(resident_id) = record.resident_id.as_deref().filter(|_| allowed) else {
        return Err(
            ApiError::new(StatusCode::CONFLICT, "action_not_allowed").with_detail(
                "只有经窗口核验或数字证书认证的身份才能代替身份证件，且只用于身份证件类材料",
                "only an identity verified at a counter or by a digital certificate stands for an identity document, and only for one",
            ),
        );
    };
    let masked = egov_kernel::identifier::ResidentId::parse(resident_id)
        .map(|r| r.masked())
        .map_err(ApiError::internal)?;
    let (name, item) = (record.display_name.clone(), guide.name.clone());
    let bytes = tokio::task::spawn_blocking(move || {
        identity_attestation(&name, &masked, level, &item, egov_kernel::time::now())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let given = application::Given {
        material,
        name: "身份核验结果.pdf",
        bytes,
        certificate: None,
        identity_level: Some(level),
    };
    add_given(state, ctx, id, party, given)
        .await
        .map_err(crate::errors::application_problem)
}

/// Gives the wallet's certificate `code` as material `material` of the
/// caller's draft: its PDF, as the issuer signed it, recorded as the
/// certificate. Only a certificate the party holds can be given.
pub async fn add_certificate(
    state: &AppState,
    ctx: &Context,
    id: i64,
    party: application::Party,
    material: usize,
    code: &str,
    host: &axum::http::HeaderMap,
) -> Result<(AppFile, Guide), ApiError> {
    let Some(cert) = egov_services::certificates::held(&state.db, code, party).await? else {
        return Err(ApiError::not_found(
            "我的证照中没有这份证照",
            "no such certificate in your wallet",
        ));
    };
    let bytes = certificate_pdf(state, &cert, host).await?;
    let name = format!("{}（电子证照 {}）.pdf", cert.name, cert.code);
    let given = application::Given {
        material,
        name: &name,
        bytes,
        certificate: Some(cert.code.clone()),
        identity_level: None,
    };
    add_given(state, ctx, id, party, given)
        .await
        .map_err(crate::errors::application_problem)
}

pub async fn view(state: &AppState, a: Application) -> Result<ApplicationView, ApiError> {
    let guide = application::guide_of(&state.db, &a)
        .await
        .map_err(crate::errors::application_problem)?;
    let files: Vec<AppFile> = application::files(&state.db, a.id)
        .await
        .map_err(crate::errors::application_problem)?;
    let missing = application::missing(&guide, &files);
    let case_number = match a.case_id {
        Some(id) => Some(egov_cases::get(&state.db, id).await?.number),
        None => None,
    };
    Ok(ApplicationView {
        id: a.id,
        form: a.form(),
        files: files.into_iter().map(|f| file_view(f, &guide)).collect(),
        missing,
        case_number,
        item_code: a.item_code,
        item_version: a.item_version,
        status: a.status,
        note: a.note,
        updated_at: a.updated_at,
    })
}

/// The public check's absolute address for `code` (a QR code is of no use
/// with a relative one): under the configured public address or, where
/// none is configured, the host the request reached.
pub fn verify_url(state: &AppState, headers: &axum::http::HeaderMap, code: &str) -> String {
    let base = match state.settings.public_url.as_deref() {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .map_or_else(String::new, |h| format!("http://{h}")),
    };
    format!("{base}/verify?code={code}")
}

/// A certificate as a PDF under its issuer's seal.
pub async fn certificate_pdf(
    state: &AppState,
    cert: &egov_services::certificates::Certificate,
    headers: &axum::http::HeaderMap,
) -> Result<Vec<u8>, ApiError> {
    let directory = egov_org::directory(&state.db).await?;
    let seal = match directory.by_code(&cert.issuer_code) {
        Some(d) => egov_org::seal(&state.db, d.id).await?,
        None => None,
    };
    let url = verify_url(state, headers, &cert.code);
    let cert = cert.clone();
    tokio::task::spawn_blocking(move || cert.render(seal.as_deref(), &url))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}
