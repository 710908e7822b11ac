//! DHIS2's dataValueSets, in JSON and CSV, read and written, so that tools
//! speaking it exchange data with the platform: an element is named by its
//! code, an organisation unit by its division or department code, a
//! period by its DHIS2 identifier (see [`crate::period`]), a category
//! option combination by its code (empty for the total).

use crate::store::{DataValue, StoredValue};
use serde::{Deserialize, Deserializer, Serialize};

/// The JSON document: `{"dataValues": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    /// The period of every value that names none (DHIS2's set-level one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The organisation unit of every value that names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<String>,
    #[serde(default)]
    pub data_values: Vec<Dhis2Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dhis2Value {
    pub data_element: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub org_unit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category_option_combo: String,
    /// DHIS2 writes values as strings; numbers are taken too.
    #[serde(deserialize_with = "text_or_number")]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Either::deserialize(d)? {
        Either::Text(t) => t,
        Either::Number(n) => n.to_string(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum Dhis2Error {
    #[error("not a dataValueSet: {0}")]
    Json(#[from] serde_json::Error),
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
}

impl From<&Dhis2Value> for DataValue {
    fn from(v: &Dhis2Value) -> Self {
        DataValue {
            element: v.data_element.clone(),
            period: v.period.clone(),
            area: v.org_unit.clone(),
            category: v.category_option_combo.clone(),
            value: v.value.clone(),
        }
    }
}

impl From<&StoredValue> for Dhis2Value {
    fn from(v: &StoredValue) -> Self {
        Dhis2Value {
            data_element: v.element.clone(),
            period: v.period.to_string(),
            org_unit: v.area.clone(),
            category_option_combo: v.category.clone(),
            value: v.value.to_string(),
            stored_by: Some(v.reported_by.clone()),
            last_updated: Some(v.reported_at.to_rfc3339()),
        }
    }
}

pub fn read_json(text: &str) -> Result<Vec<DataValue>, Dhis2Error> {
    let set: DataValueSet = serde_json::from_str(text)?;
    let or = |own: &str, set: &Option<String>| match (own, set) {
        ("", Some(s)) => s.clone(),
        _ => own.to_owned(),
    };
    Ok(set
        .data_values
        .iter()
        .map(|v| DataValue {
            period: or(&v.period, &set.period),
            area: or(&v.org_unit, &set.org_unit),
            ..DataValue::from(v)
        })
        .collect())
}

pub fn write_json(values: &[StoredValue]) -> String {
    serde_json::to_string(&DataValueSet {
        period: None,
        org_unit: None,
        data_values: values.iter().map(Dhis2Value::from).collect(),
    })
    .expect("plain values serialise")
}

/// DHIS2's CSV columns, in its order.
const CSV_COLUMNS: [&str; 10] = [
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
];

/// Reads DHIS2's CSV: with its header row (columns found by name, in any
/// order and case) or without one (columns in DHIS2's order).
pub fn read_csv(text: &str) -> Result<Vec<DataValue>, Dhis2Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let bad = |e: csv::Error| Dhis2Error::Csv {
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(record.map_err(bad)?.iter().map(str::to_owned).collect());
    }
    Ok(read_rows(rows)?.1)
}

/// The Chinese names a spreadsheet made by hand may head its columns with.
const CHINESE_COLUMNS: [(&str, &str); 6] = [
    ("指标项代码", "dataelement"),
    ("指标项", "dataelement"),
    ("报告期", "period"),
    ("填报单位代码", "orgunit"),
    ("分类", "categoryoptioncombo"),
    ("数值", "value"),
];

/// Values from rows of text in DHIS2's CSV columns (a CSV file, or a
/// spreadsheet's first sheet): with a header row naming the columns in any
/// order (DHIS2's names, or the Chinese ones), or without one in DHIS2's
/// order. Returns whether there was a header row, and the values.
pub fn read_rows(rows: Vec<Vec<String>>) -> Result<(bool, Vec<DataValue>), Dhis2Error> {
    let mut rows = rows.into_iter();
    let Some(first) = rows.next() else {
        return Ok((false, Vec::new()));
    };
    let named: Vec<String> = first
        .iter()
        .map(|h| {
            let h = h.trim().to_lowercase();
            CHINESE_COLUMNS
                .iter()
                .find(|(zh, _)| *zh == h)
                .map_or(h, |(_, en)| (*en).to_owned())
        })
        .collect();
    let has_header = named.iter().any(|h| CSV_COLUMNS.contains(&h.as_str()));
    let at = |name: &str| -> Option<usize> {
        if has_header {
            named.iter().position(|h| h == name)
        } else {
            CSV_COLUMNS.iter().position(|c| *c == name)
        }
    };
    let (element, period, area, category, value) = (
        at("dataelement"),
        at("period"),
        at("orgunit"),
        at("categoryoptioncombo"),
        at("value"),
    );
    let (Some(element), Some(period), Some(area), Some(value)) = (element, period, area, value)
    else {
        return Err(Dhis2Error::Csv {
            line: 1,
            message: "the header names no dataelement, period, orgunit or value column".into(),
        });
    };
    let field = |r: &[String], i: usize| r.get(i).map(|f| f.trim().to_owned()).unwrap_or_default();
    let row = |r: &[String]| DataValue {
        element: field(r, element),
        period: field(r, period),
        area: field(r, area),
        category: category.map(|c| field(r, c)).unwrap_or_default(),
        value: field(r, value),
    };
    let mut out = Vec::new();
    if !has_header {
        out.push(row(&first));
    }
    out.extend(rows.map(|r| row(&r)));
    Ok((has_header, out))
}

pub fn write_csv(values: &[StoredValue]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let written = (|| -> Result<Vec<u8>, csv::Error> {
        w.write_record(CSV_COLUMNS)?;
        for v in values {
            let d = Dhis2Value::from(v);
            w.write_record([
                d.data_element.as_str(),
                &d.period,
                &d.org_unit,
                &d.category_option_combo,
                "",
                &d.value,
                d.stored_by.as_deref().unwrap_or_default(),
                d.last_updated.as_deref().unwrap_or_default(),
                "",
                "false",
            ])?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    })();
    String::from_utf8(written.expect("writing to memory does not fail"))
        .expect("the values are text")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Period;

    #[test]
    fn json_takes_string_and_number_values_and_reads_back() {
        let rows = read_json(
            r#"{"dataValues": [
                {"dataElement": "cpi", "period": "202603", "orgUnit": "110000", "value": "101.2"},
                {"dataElement": "jobs", "period": "2026Q1", "orgUnit": "110105",
                 "categoryOptionCombo": "female", "value": 12}
            ]}"#,
        )
        .unwrap();
        assert_eq!(rows[0].value, "101.2");
        assert_eq!(
            (rows[1].value.as_str(), rows[1].category.as_str()),
            ("12", "female")
        );
        assert!(read_json(r#"{"dataValues": [{"period": "202603"}]}"#).is_err());

        let stored = StoredValue {
            element: "cpi".into(),
            period: Period::parse("202601B").unwrap(),
            area: "110000".into(),
            category: String::new(),
            value: 101.5,
            reported_by: "user:7".into(),
            reported_at: egov_kernel::time::now(),
            superseded_at: None,
        };
        let again = read_json(&write_json(std::slice::from_ref(&stored))).unwrap();
        assert_eq!(
            (again[0].period.as_str(), again[0].value.as_str()),
            ("202601B", "101.5")
        );
        let csv = write_csv(&[stored]);
        assert!(csv.starts_with("dataelement,period,orgunit,"));
        let again = read_csv(&csv).unwrap();
        assert_eq!(
            (again[0].element.as_str(), again[0].value.as_str()),
            ("cpi", "101.5")
        );
    }

    #[test]
    fn a_value_without_period_or_unit_takes_the_set_s() {
        let rows = read_json(
            r#"{"period": "202603", "orgUnit": "110101", "dataValues": [
                {"dataElement": "cases", "value": 3},
                {"dataElement": "cases", "orgUnit": "110102", "value": 4}]}"#,
        )
        .unwrap();
        let at: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.period.as_str(), r.area.as_str()))
            .collect();
        assert_eq!(at, vec![("202603", "110101"), ("202603", "110102")]);
    }

    #[test]
    fn csv_is_read_with_its_header_in_any_order_or_without_one() {
        let with = "Period,OrgUnit,DataElement,Value\n202601,110101,cases,\"1,200\"\n";
        let rows = read_csv(with).unwrap();
        assert_eq!(
            (
                rows[0].element.as_str(),
                rows[0].area.as_str(),
                rows[0].value.as_str()
            ),
            ("cases", "110101", "1,200")
        );
        let without = "cases,202601,110101,,,12\ncases,202602,110101,,,13\n";
        let rows = read_csv(without).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].value, "13");
        assert!(matches!(
            read_csv("period,value\n202601,1\n"),
            Err(Dhis2Error::Csv { line: 1, .. })
        ));
    }
}
