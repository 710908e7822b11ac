//! Values of a resource's data, typed by its 信息项: cells read from a
//! CSV or XLSX load or sent as JSON are checked against the declared type
//! (an error names the row and column), and queries over the rows
//! (equality filters, a text match, field selection, ordering, paging) are
//! checked against the items before anything is read.

use crate::resource::{Item, ItemType, Resource};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The longest text a cell holds.
pub const MAX_CELL: usize = 4000;
/// The most rows one load may carry.
pub const MAX_LOAD_ROWS: usize = 200_000;
/// The largest page a query answers.
pub const MAX_PAGE: usize = 32_000;

/// A row: the items' values by name (`null` where empty).
pub type Record = Map<String, Value>;

/// Why a cell is not of its item's type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("'{value}' is not {}", expected(*.kind))]
pub struct CellError {
    pub value: String,
    /// The type it should have been.
    pub kind: ItemType,
}

/// What a cell of `kind` must be, in English.
pub fn expected(kind: ItemType) -> &'static str {
    match kind {
        ItemType::String => "text of at most 4000 characters",
        ItemType::Integer => "a whole number",
        ItemType::Decimal => "a number",
        ItemType::Date => "a date (YYYY-MM-DD)",
        ItemType::Datetime => "a date and time (YYYY-MM-DDTHH:MM:SS)",
        ItemType::Boolean => "true or false",
    }
}

/// A cell as text, typed by `kind`: empty is `null`.
pub fn parse_cell(kind: ItemType, raw: &str) -> Result<Value, CellError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(Value::Null);
    }
    let bad = || CellError {
        value: t.chars().take(40).collect(),
        kind,
    };
    Ok(match kind {
        ItemType::String if t.chars().count() <= MAX_CELL => Value::String(t.to_owned()),
        ItemType::String => return Err(bad()),
        ItemType::Integer => Value::from(t.parse::<i64>().map_err(|_| bad())?),
        ItemType::Decimal => {
            let f: f64 = t.parse().map_err(|_| bad())?;
            if let Ok(i) = t.parse::<i64>() {
                Value::from(i)
            } else {
                Value::Number(Number::from_f64(f).ok_or_else(bad)?)
            }
        }
        ItemType::Date => {
            let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())?;
            Value::String(d.format("%Y-%m-%d").to_string())
        }
        ItemType::Datetime => {
            let d = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S"))
                .map_err(|_| bad())?;
            Value::String(d.format("%Y-%m-%dT%H:%M:%S").to_string())
        }
        ItemType::Boolean => Value::Bool(match t {
            "true" | "TRUE" | "True" | "1" | "是" => true,
            "false" | "FALSE" | "False" | "0" | "否" => false,
            _ => return Err(bad()),
        }),
    })
}

/// A JSON value typed by `kind` (numbers and booleans may come as text).
pub fn check_value(kind: ItemType, v: &Value) -> Result<Value, CellError> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::String(s) => parse_cell(kind, s),
        Value::Number(n) => parse_cell(kind, &n.to_string()),
        Value::Bool(b) => parse_cell(kind, if *b { "true" } else { "false" }),
        other => Err(CellError {
            value: other.to_string().chars().take(40).collect(),
            kind,
        }),
    }
}

/// A cell as text, for CSV and the pages.
pub fn display(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Why a load was refused, with where: nothing was loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    #[error("the file has no header row")]
    Empty,
    #[error("column '{0}' is not a 信息项 of this resource")]
    UnknownColumn(String),
    #[error("column '{0}' appears twice")]
    ColumnTwice(String),
    #[error("信息项 '{0}' has no column")]
    MissingColumn(String),
    #[error("row {row}: {found} cells where the header has {wanted}")]
    Width {
        row: usize,
        found: usize,
        wanted: usize,
    },
    #[error("row {row}, column '{column}': {error}")]
    Cell {
        row: usize,
        column: String,
        error: CellError,
    },
    #[error("row {row}: '{field}' is not a 信息项 of this resource")]
    UnknownField { row: usize, field: String },
    #[error("row {row} is not an object of 信息项 values")]
    NotAnObject { row: usize },
    #[error("a load carries at most {MAX_LOAD_ROWS} rows")]
    TooManyRows,
    #[error("the CSV file could not be read: {0}")]
    Csv(String),
    #[error("{0}")]
    Sheet(String),
}

/// Rows of text (a header first) from a CSV file: UTF-8, a leading BOM
/// dropped.
pub fn csv_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > MAX_LOAD_ROWS + 1 {
            return Err(TableError::TooManyRows);
        }
    }
    Ok(rows)
}

/// Rows of text (a header first) from the first sheet of an XLSX file.
pub fn xlsx_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    egov_documents::sheet::read(bytes).map_err(|e| TableError::Sheet(e.to_string()))
}

/// The rows of a table checked against `items`: the header names every
/// item once (by its name or its Chinese title), each cell is of its
/// item's type. Rows are counted as a person sees them in the file (the
/// header is row 1).
pub fn check_table(items: &[Item], table: &[Vec<String>]) -> Result<Vec<Record>, TableError> {
    let (header, rows) = table.split_first().ok_or(TableError::Empty)?;
    if rows.len() > MAX_LOAD_ROWS {
        return Err(TableError::TooManyRows);
    }
    let mut columns: Vec<&Item> = Vec::with_capacity(header.len());
    for h in header {
        let h = h.trim();
        let item = items
            .iter()
            .find(|i| i.name == h || i.title == h)
            .ok_or_else(|| TableError::UnknownColumn(h.to_owned()))?;
        if columns.iter().any(|c| c.name == item.name) {
            return Err(TableError::ColumnTwice(h.to_owned()));
        }
        columns.push(item);
    }
    if let Some(missing) = items
        .iter()
        .find(|i| !columns.iter().any(|c| c.name == i.name))
    {
        return Err(TableError::MissingColumn(missing.name.clone()));
    }
    let at = column_of_each(items, &columns);
    rows.iter()
        .enumerate()
        .map(|(n, cells)| {
            let row = n + 2;
            if cells.len() > columns.len()
                && cells[columns.len()..].iter().any(|c| !c.trim().is_empty())
                || cells.len() < columns.len()
            {
                return Err(TableError::Width {
                    row,
                    found: cells.len(),
                    wanted: columns.len(),
                });
            }
            let mut record = Record::new();
            for (item, &column) in items.iter().zip(&at) {
                let v =
                    parse_cell(item.kind, &cells[column]).map_err(|error| TableError::Cell {
                        row,
                        column: item.name.clone(),
                        error,
                    })?;
                record.insert(item.name.clone(), v);
            }
            Ok(record)
        })
        .collect()
}

/// For each item in its declared order, the column holding it (so every
/// stored record lists its values alike).
fn column_of_each(items: &[Item], columns: &[&Item]) -> Vec<usize> {
    items
        .iter()
        .map(|item| {
            columns
                .iter()
                .position(|c| c.name == item.name)
                .expect("every item has a column")
        })
        .collect()
}

/// Rows sent as JSON objects, checked against `items` (missing items are
/// `null`); row numbers count from 1.
pub fn check_records(items: &[Item], rows: &[Value]) -> Result<Vec<Record>, TableError> {
    if rows.len() > MAX_LOAD_ROWS {
        return Err(TableError::TooManyRows);
    }
    rows.iter()
        .enumerate()
        .map(|(n, v)| {
            let row = n + 1;
            let object = v.as_object().ok_or(TableError::NotAnObject { row })?;
            if let Some(field) = object.keys().find(|k| !items.iter().any(|i| &i.name == *k)) {
                return Err(TableError::UnknownField {
                    row,
                    field: field.clone(),
                });
            }
            let mut record = Record::new();
            for item in items {
                let v = object.get(&item.name).unwrap_or(&Value::Null);
                let v = check_value(item.kind, v).map_err(|error| TableError::Cell {
                    row,
                    column: item.name.clone(),
                    error,
                })?;
                record.insert(item.name.clone(), v);
            }
            Ok(record)
        })
        .collect()
}

/// A query over a resource's rows, as asked (CKAN's datastore_search and
/// the exchange both read this).
#[derive(Debug, Clone, Default)]
pub struct RowQuery {
    /// Values an item must equal; a list is any of them.
    pub filters: BTreeMap<String, Value>,
    /// Text any text cell contains.
    pub q: Option<String>,
    /// The items to return (all when empty).
    pub fields: Vec<String>,
    /// `item` or `item desc` (several separated by commas).
    pub sort: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("'{0}' is not a 信息项 of this resource")]
    UnknownField(String),
    #[error("filter on '{field}': {error}")]
    Filter { field: String, error: CellError },
    #[error("filter on '{0}': a value or a list of values")]
    FilterShape(String),
    #[error("sort: '{0}' is not 'item' or 'item asc|desc'")]
    Sort(String),
    #[error("limit is at most {MAX_PAGE}")]
    Limit,
    #[error("filters must be a JSON object, e.g. {{\"district\":\"东城区\"}}")]
    Filters,
}

/// Filters as a query string carries them: a JSON object (none when empty).
pub fn filters_from_text(text: Option<&str>) -> Result<BTreeMap<String, Value>, QueryError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(BTreeMap::new()),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => Ok(m.into_iter().collect()),
            _ => Err(QueryError::Filters),
        },
    }
}

/// A query checked against a resource's items.
#[derive(Debug, Clone)]
pub struct CheckedQuery {
    filters: Vec<(String, Vec<Value>)>,
    q: Option<String>,
    /// The items returned, in the resource's order.
    pub fields: Vec<Item>,
    sort: Vec<(String, bool)>,
    pub limit: usize,
    pub offset: usize,
}

impl RowQuery {
    /// Checks the query against `resource`'s items; `allowed` narrows
    /// the items it may see (a grant's fields), every one when `None`.
    pub fn check(
        &self,
        resource: &Resource,
        allowed: Option<&[String]>,
    ) -> Result<CheckedQuery, QueryError> {
        let visible = |name: &str| -> Option<&Item> {
            resource
                .item(name)
                .filter(|_| allowed.is_none_or(|a| a.iter().any(|f| f == name)))
        };
        if self.limit > MAX_PAGE {
            return Err(QueryError::Limit);
        }
        let mut filters = Vec::new();
        for (field, value) in &self.filters {
            let item = visible(field).ok_or_else(|| QueryError::UnknownField(field.clone()))?;
            let values = match value {
                Value::Array(vs) => vs.clone(),
                Value::Object(_) => return Err(QueryError::FilterShape(field.clone())),
                v => vec![v.clone()],
            };
            let typed = values
                .iter()
                .map(|v| match v {
                    Value::Array(_) | Value::Object(_) => {
                        Err(QueryError::FilterShape(field.clone()))
                    }
                    v => check_value(item.kind, v).map_err(|error| QueryError::Filter {
                        field: field.clone(),
                        error,
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?;
            filters.push((item.name.clone(), typed));
        }
        let fields: Vec<Item> = if self.fields.is_empty() {
            resource
                .items
                .iter()
                .filter(|i| visible(&i.name).is_some())
                .cloned()
                .collect()
        } else {
            for f in &self.fields {
                visible(f).ok_or_else(|| QueryError::UnknownField(f.clone()))?;
            }
            resource
                .items
                .iter()
                .filter(|i| self.fields.contains(&i.name))
                .cloned()
                .collect()
        };
        let mut sort = Vec::new();
        for part in self.sort.iter().flat_map(|s| s.split(',')) {
            let words: Vec<&str> = part.split_whitespace().collect();
            let (name, desc) = match words.as_slice() {
                [] => continue,
                [name] => (*name, false),
                [name, dir] if dir.eq_ignore_ascii_case("asc") => (*name, false),
                [name, dir] if dir.eq_ignore_ascii_case("desc") => (*name, true),
                _ => return Err(QueryError::Sort(part.trim().to_owned())),
            };
            visible(name).ok_or_else(|| QueryError::UnknownField(name.to_owned()))?;
            sort.push((name.to_owned(), desc));
        }
        Ok(CheckedQuery {
            filters,
            q: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
            fields,
            sort,
            limit: self.limit,
            offset: self.offset,
        })
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => display(a).cmp(&display(b)),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// A page of rows found.
#[derive(Debug, Clone)]
pub struct Page {
    /// Rows matching, all pages together.
    pub total: usize,
    /// This page's rows, only the fields asked for.
    pub records: Vec<Record>,
}

impl CheckedQuery {
    /// Whether a stored row matches the filters and the text.
    pub fn matches(&self, record: &Record) -> bool {
        self.filters.iter().all(|(field, values)| {
            let v = record.get(field).unwrap_or(&Value::Null);
            values.iter().any(|want| same(v, want))
        }) && self.q.as_ref().is_none_or(|q| {
            self.fields.iter().any(|i| {
                record
                    .get(&i.name)
                    .is_some_and(|v| display(v).contains(q.as_str()))
            })
        })
    }

    /// Filters, orders, pages and projects `rows` (stored order when no
    /// sort is asked).
    pub fn run<'a>(&self, rows: impl Iterator<Item = &'a Record>) -> Page {
        let mut found: Vec<&Record> = rows.filter(|r| self.matches(r)).collect();
        if !self.sort.is_empty() {
            found.sort_by(|a, b| {
                self.sort
                    .iter()
                    .map(|(f, desc)| {
                        let o = compare(
                            a.get(f).unwrap_or(&Value::Null),
                            b.get(f).unwrap_or(&Value::Null),
                        );
                        if *desc {
                            o.reverse()
                        } else {
                            o
                        }
                    })
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            });
        }
        let total = found.len();
        let records = found
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .map(|r| self.project(r))
            .collect();
        Page { total, records }
    }

    /// Only the fields asked for, in the resource's order.
    pub fn project(&self, record: &Record) -> Record {
        self.fields
            .iter()
            .map(|i| {
                (
                    i.name.clone(),
                    record.get(&i.name).cloned().unwrap_or(Value::Null),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items() -> Vec<Item> {
        vec![
            Item {
                name: "district".into(),
                title: "区".into(),
                kind: ItemType::String,
            },
            Item {
                name: "year".into(),
                title: "年份".into(),
                kind: ItemType::Integer,
            },
            Item {
                name: "population".into(),
                title: "常住人口".into(),
                kind: ItemType::Decimal,
            },
        ]
    }

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn cells_take_their_items_types() {
        assert_eq!(parse_cell(ItemType::Integer, " 12 ").unwrap(), json!(12));
        assert_eq!(parse_cell(ItemType::Decimal, "12.5").unwrap(), json!(12.5));
        assert_eq!(
            parse_cell(ItemType::Date, "2026-02-28").unwrap(),
            json!("2026-02-28")
        );
        assert!(parse_cell(ItemType::Date, "2026-02-30").is_err());
        assert_eq!(
            parse_cell(ItemType::Datetime, "2026-02-28 08:00:00").unwrap(),
            json!("2026-02-28T08:00:00")
        );
        assert_eq!(parse_cell(ItemType::Boolean, "是").unwrap(), json!(true));
        assert_eq!(parse_cell(ItemType::Integer, "").unwrap(), Value::Null);
        assert!(parse_cell(ItemType::Integer, "1.5").is_err());
        assert!(parse_cell(ItemType::Decimal, "NaN").is_err());
    }

    #[test]
    fn a_table_is_read_by_names_or_titles_in_any_order() {
        let rows = check_table(
            &items(),
            &table(&[
                &["年份", "district", "population"],
                &["2025", "东城区", "70.4"],
            ]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(rows[0].clone()).to_string(),
            r#"{"district":"东城区","year":2025,"population":70.4}"#
        );
    }

    #[test]
    fn a_bad_cell_names_its_row_and_column() {
        let e = check_table(
            &items(),
            &table(&[
                &["district", "year", "population"],
                &["东城区", "2025", "70.4"],
                &["西城区", "二〇二五", "110.2"],
            ]),
        )
        .unwrap_err();
        assert!(
            matches!(e, TableError::Cell { row: 3, ref column, .. } if column == "year"),
            "{e}"
        );
        let e = check_table(&items(), &table(&[&["district", "year"]])).unwrap_err();
        assert_eq!(e, TableError::MissingColumn("population".into()));
        let e = check_table(
            &items(),
            &table(&[&["district", "year", "population", "x"]]),
        )
        .unwrap_err();
        assert_eq!(e, TableError::UnknownColumn("x".into()));
        let e = check_table(
            &items(),
            &table(&[&["district", "year", "population"], &["东城区", "2025"]]),
        )
        .unwrap_err();
        assert!(matches!(e, TableError::Width { row: 2, .. }));
    }

    #[test]
    fn csv_with_a_bom_and_quotes_reads() {
        let t = csv_table(
            "\u{feff}district,year,population\n\"东城区, 北京\",2025,70.4\n\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1][0], "东城区, 北京");
    }

    fn resource() -> Resource {
        let mut r = crate::resource::tests_support::resource();
        r.items = items();
        r
    }

    #[test]
    fn queries_filter_project_sort_and_page() {
        let rows = check_records(
            &items(),
            &[
                json!({"district": "东城区", "year": 2025, "population": 70.4}),
                json!({"district": "西城区", "year": "2025", "population": 110.2}),
                json!({"district": "东城区", "year": 2024, "population": 70.9}),
            ],
        )
        .unwrap();
        let q = RowQuery {
            filters: [("year".to_owned(), json!("2025"))].into(),
            fields: vec!["population".into()],
            sort: Some("population desc".into()),
            limit: 1,
            ..Default::default()
        };
        let page = q.check(&resource(), None).unwrap().run(rows.iter());
        assert_eq!(page.total, 2);
        assert_eq!(
            Value::Object(page.records[0].clone()),
            json!({"population": 110.2})
        );
        let q = RowQuery {
            filters: [("district".to_owned(), json!(["西城区", "朝阳区"]))].into(),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            q.check(&resource(), None).unwrap().run(rows.iter()).total,
            1
        );
        let bad = RowQuery {
            filters: [("year".to_owned(), json!("x"))].into(),
            ..Default::default()
        };
        assert!(matches!(
            bad.check(&resource(), None),
            Err(QueryError::Filter { .. })
        ));
        let outside = RowQuery {
            fields: vec!["population".into()],
            ..Default::default()
        };
        let granted = ["district".to_owned()];
        assert_eq!(
            outside.check(&resource(), Some(&granted)).unwrap_err(),
            QueryError::UnknownField("population".into())
        );
        let sort = RowQuery {
            sort: Some("year sideways".into()),
            ..Default::default()
        };
        assert!(matches!(
            sort.check(&resource(), None),
            Err(QueryError::Sort(_))
        ));
    }
}
