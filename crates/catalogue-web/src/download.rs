//! A resource's current rows as a file: CSV (UTF-8 with a BOM, so Excel
//! and WPS read the Chinese), XLSX, or JSON records.

use egov_catalogue::cells::{display, Record};
use egov_catalogue::Resource;
use egov_documents::sheet::{self, Cell};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(transparent)]
    Csv(#[from] Box<csv::Error>),
    #[error(transparent)]
    Sheet(#[from] sheet::SheetError),
    #[error("writing the CSV file")]
    Flush(#[from] Box<csv::IntoInnerError<csv::Writer<Vec<u8>>>>),
}

/// The rows as CSV: the items' names as the header.
pub fn csv(r: &Resource, rows: &[Record]) -> Result<Vec<u8>, DownloadError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(r.items.iter().map(|i| i.name.as_str()))
        .map_err(Box::new)?;
    for row in rows {
        w.write_record(
            r.items
                .iter()
                .map(|i| row.get(&i.name).map(display).unwrap_or_default()),
        )
        .map_err(Box::new)?;
    }
    out.extend(w.into_inner().map_err(Box::new)?);
    Ok(out)
}

/// The rows as a workbook: the items' Chinese titles as the header.
pub fn xlsx(r: &Resource, rows: &[Record]) -> Result<Vec<u8>, DownloadError> {
    let header: Vec<&str> = r.items.iter().map(|i| i.title.as_str()).collect();
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| {
            r.items
                .iter()
                .map(|i| match row.get(&i.name) {
                    None | Some(Value::Null) => Cell::Empty,
                    Some(Value::Number(n)) => n.as_f64().map_or(Cell::Empty, Cell::Number),
                    Some(v) => Cell::Text(display(v)),
                })
                .collect()
        })
        .collect();
    let name: String = r.name.chars().take(31).collect();
    Ok(sheet::write(&name, &header, &cells)?)
}

/// The rows as a JSON list of records.
pub fn json(rows: &[Record]) -> Vec<u8> {
    serde_json::to_vec(rows).expect("records serialise")
}
