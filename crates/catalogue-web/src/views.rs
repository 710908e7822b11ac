//! A dataset as the outside sees it, written once for the CKAN API, the
//! portal and DCAT: its distributions (CSV, XLSX, JSON downloads), its
//! publisher, its fields' types in CKAN's words, its licence.

use egov_catalogue::classes::Classes;
use egov_catalogue::hosted::DataVersions;
use egov_catalogue::{ItemType, Resource};
use egov_org::Directory;
use serde_json::{json, Value};

/// The licence open datasets are published under.
pub const LICENSE_ID: &str = "cc-by-4.0";
pub const LICENSE_TITLE: &str = "Creative Commons Attribution 4.0";
pub const LICENSE_URL: &str = "https://creativecommons.org/licenses/by/4.0/";

/// The downloads of a dataset: format, media type, file suffix.
pub const FORMATS: [(&str, &str, &str); 3] = [
    ("CSV", "text/csv", "csv"),
    (
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("JSON", "application/json", "json"),
];

/// A distribution's id: the dataset's name and the file suffix.
pub fn distribution_id(r: &Resource, suffix: &str) -> String {
    format!("{}-{suffix}", r.slug())
}

/// The resource a distribution id names, with its suffix.
pub fn split_distribution(id: &str) -> Option<(&str, &str)> {
    let (slug, suffix) = id.rsplit_once('-')?;
    FORMATS
        .iter()
        .any(|(_, _, s)| *s == suffix)
        .then_some((slug, suffix))
}

/// Where a distribution is downloaded.
pub fn download_url(base: &str, r: &Resource, suffix: &str) -> String {
    format!("{base}/open-data/{}.{suffix}", r.slug())
}

/// The dataset's page on the portal.
pub fn page_url(base: &str, r: &Resource) -> String {
    format!("{base}/open-data/{}", r.slug())
}

/// A department's name in CKAN: its code in lower case.
pub fn organization_name(code: &str) -> String {
    code.to_ascii_lowercase()
}

/// CKAN's datastore type of an item.
pub fn datastore_type(kind: ItemType) -> &'static str {
    match kind {
        ItemType::String => "text",
        ItemType::Integer => "int",
        ItemType::Decimal => "numeric",
        ItemType::Date => "date",
        ItemType::Datetime => "timestamp",
        ItemType::Boolean => "bool",
    }
}

/// A department as a CKAN organization.
pub fn organization(directory: &Directory, department_id: i64, datasets: usize) -> Value {
    let d = directory.department(department_id);
    let code = directory.code_of(department_id);
    json!({
        "id": organization_name(&code),
        "name": organization_name(&code),
        "title": directory.name_of(department_id),
        "display_name": directory.name_of(department_id),
        "description": d.and_then(|d| d.name_en.clone()).unwrap_or_default(),
        "type": "organization",
        "state": "active",
        "is_organization": true,
        "approval_status": "approved",
        "image_url": "",
        "package_count": datasets,
    })
}

/// A dataset's distributions as CKAN resources.
pub fn distributions(base: &str, data: &DataVersions, r: &Resource) -> Vec<Value> {
    let modified = data.of(r.id).loaded_at.unwrap_or(r.created_at);
    FORMATS
        .iter()
        .enumerate()
        .map(|(position, (format, mimetype, suffix))| {
            json!({
                "id": distribution_id(r, suffix),
                "package_id": r.slug(),
                "name": format!("{}（{format}）", r.name),
                "description": r.summary,
                "format": format,
                "mimetype": mimetype,
                "url": download_url(base, r, suffix),
                "url_type": "datastore",
                "datastore_active": true,
                "position": position,
                "state": "active",
                "created": r.created_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
                "last_modified": modified.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            })
        })
        .collect()
}

/// A dataset as CKAN's `package_show` answers it.
pub fn package(base: &str, directory: &Directory, data: &DataVersions, r: &Resource) -> Value {
    let class = Classes::shipped().class(&r.class);
    let resources = distributions(base, data, r);
    let hosted = data.of(r.id);
    json!({
        "id": r.slug(),
        "name": r.slug(),
        "title": r.name,
        "notes": r.summary,
        "type": "dataset",
        "state": "active",
        "private": false,
        "url": page_url(base, r),
        "version": hosted.version.to_string(),
        "license_id": LICENSE_ID,
        "license_title": LICENSE_TITLE,
        "license_url": LICENSE_URL,
        "author": directory.name_of(r.department_id),
        "maintainer": directory.name_of(r.department_id),
        "metadata_created": r.created_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        "metadata_modified": hosted.modified(r.updated_at).format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        "owner_org": organization_name(&r.department),
        "organization": organization(directory, r.department_id, 0),
        "groups": class.map(|c| vec![json!({
            "id": c.code, "name": c.code, "title": c.name, "display_name": c.name,
        })]).unwrap_or_default(),
        "tags": r.keywords.iter().map(|k| json!({
            "name": k, "display_name": k, "state": "active",
        })).collect::<Vec<_>>(),
        "num_tags": r.keywords.len(),
        "resources": resources,
        "num_resources": FORMATS.len(),
        "extras": [
            {"key": "catalogue_code", "value": r.code},
            {"key": "title_en", "value": r.name_en.clone().unwrap_or_default()},
            {"key": "notes_en", "value": r.abstract_en.clone().unwrap_or_default()},
            {"key": "update_cycle", "value": r.update_cycle.as_str()},
            {"key": "published", "value": r.published.to_string()},
            {"key": "rows", "value": hosted.rows.to_string()},
        ],
    })
}
