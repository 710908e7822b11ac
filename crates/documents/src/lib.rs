//! Official documents as PDF, laid out after GB/T 9704-2012 (党政机关公文格式)
//! in its letter form (信函格式): the issuing authority's red mark and double
//! rules, the document number, the title, the addressee, the body, the
//! signature and date under the authority's seal, a verification block with
//! a QR code, and the imprint (版记). The fonts travel inside the binary and
//! are embedded in each file as subsets of the characters it uses.
//!
//! Layout ([`layout`]) is pure: it places lines on pages. Drawing
//! ([`draw`]) hands the placed pages to the PDF library. Spreadsheets
//! ([`sheet`]) are written for exports and read for imports.

mod draw;
mod fonts;
mod layout;
mod qr;
pub mod sheet;

pub use layout::{Block, Official, Verification};

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the seal image is not a readable PNG: {0}")]
    Seal(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The document as a PDF file. CPU-bound (shaping, font subsetting): call
/// it off the async executor.
pub fn render(doc: &Official<'_>) -> Result<Vec<u8>, DocumentError> {
    let pages = layout::pages(doc);
    draw::pdf(&pages, doc)
}

/// A document composed and owned, ready to lay out on a blocking thread
/// (laying out is CPU work): what [`Official`] borrows, kept whole.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    pub issuer: String,
    pub number: String,
    pub title: String,
    pub addressee: String,
    pub body: Vec<Block>,
    pub date: String,
    pub seal: Option<Vec<u8>>,
}

impl Letter {
    /// The document as a PDF (without a verification block).
    pub fn render(&self) -> Result<Vec<u8>, DocumentError> {
        render(&Official {
            issuer: &self.issuer,
            number: &self.number,
            title: &self.title,
            addressee: &self.addressee,
            body: &self.body,
            date: &self.date,
            seal: self.seal.as_deref(),
            verification: None,
        })
    }
}

/// The largest seal image taken, in pixels each way (a 42 mm seal at 600 dpi).
pub const SEAL_MAX_PIXELS: u32 = 1200;

/// Checks that `png` can be drawn as a seal: a PNG the PDF library reads,
/// no larger than [`SEAL_MAX_PIXELS`] each way.
pub fn check_seal(png: &[u8]) -> Result<(), DocumentError> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(DocumentError::Seal("not a PNG file".into()));
    }
    // The header's size first, so a huge image is refused before decoding.
    let (w, h) = png_size(png).ok_or_else(|| DocumentError::Seal("no image header".into()))?;
    if w == 0 || h == 0 || w > SEAL_MAX_PIXELS || h > SEAL_MAX_PIXELS {
        return Err(DocumentError::Seal(format!(
            "{w}×{h} pixels; at most {SEAL_MAX_PIXELS} each way"
        )));
    }
    // Decoded whole here: the PDF library reads the pixels only when it
    // writes a document, too late to refuse the upload.
    let mut reader = png::Decoder::new(png)
        .read_info()
        .map_err(|e| DocumentError::Seal(e.to_string()))?;
    let mut pixels = vec![0; reader.output_buffer_size()];
    reader
        .next_frame(&mut pixels)
        .map(|_| ())
        .map_err(|e| DocumentError::Seal(e.to_string()))
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let ihdr = png.get(12..24)?;
    if &ihdr[..4] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(ihdr[4..8].try_into().ok()?);
    let h = u32::from_be_bytes(ihdr[8..12].try_into().ok()?);
    Some((w, h))
}

#[cfg(test)]
mod tests;
