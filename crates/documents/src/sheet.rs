//! Spreadsheets (XLSX): a table written with its header row, for exports a
//! person opens in Excel or WPS; and the first sheet of an uploaded
//! workbook read back as rows of text, for imports. Reading is bounded: a
//! file is refused past [`MAX_CELLS`] cells.

use calamine::{Data, Reader};
use std::io::Cursor;

/// The most cells an uploaded sheet may hold: well beyond any form, and a
/// bound on the memory one upload can take.
pub const MAX_CELLS: usize = 2_000_000;

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Empty, Cell::Number)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the file is not an Excel workbook (.xlsx): {0}")]
    Unreadable(String),
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the sheet holds more than {MAX_CELLS} cells")]
    TooLarge,
    #[error("the workbook could not be written: {0}")]
    Write(String),
}

/// A workbook of one sheet named `name`: the header row in bold, frozen,
/// then the rows.
pub fn write(name: &str, header: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, SheetError> {
    let wrong = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(wrong)?;
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string_with_format(0, col(c)?, *h, &bold)
            .map_err(wrong)?;
        sheet.set_column_width(col(c)?, 16).map_err(wrong)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(wrong)?;
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| SheetError::TooLarge)?;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, col(c)?, t).map_err(wrong)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, col(c)?, *n).map_err(wrong)?;
                }
                Cell::Empty => {}
            }
        }
    }
    book.save_to_buffer().map_err(wrong)
}

fn col(c: usize) -> Result<u16, SheetError> {
    u16::try_from(c).map_err(|_| SheetError::TooLarge)
}

/// The first sheet's rows as text (numbers as written, without a trailing
/// `.0`), blank rows left out.
pub fn read(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes))
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::NoSheet)?;
    let range = book
        .worksheet_range(&first)
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    let (height, width) = range.get_size();
    if height.saturating_mul(width) > MAX_CELLS {
        return Err(SheetError::TooLarge);
    }
    Ok(range
        .rows()
        .map(|row| row.iter().map(text).collect::<Vec<String>>())
        .filter(|row| row.iter().any(|c| !c.trim().is_empty()))
        .collect())
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_sheet_reads_back_as_text() {
        let rows = vec![
            vec![Cell::from("东城区"), Cell::Number(12.5), Cell::Number(3.0)],
            vec![Cell::from("西城区"), Cell::Empty, Cell::from("202601B")],
        ];
        let bytes = write("排名", &["地区", "得分", "名次"], &rows).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let back = read(&bytes).unwrap();
        assert_eq!(back[0], vec!["地区", "得分", "名次"]);
        assert_eq!(back[1], vec!["东城区", "12.5", "3"]);
        assert_eq!(back[2], vec!["西城区", "", "202601B"]);
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_refused() {
        assert!(matches!(
            read(b"dataelement,period\n"),
            Err(SheetError::Unreadable(_))
        ));
    }
}
