//! The verification QR code as rectangles: each run of dark modules in a
//! row is one rectangle, so the drawing stays small.

use qrcode::{Color, EcLevel, QrCode};

/// A dark run: its column, row and length in modules.
pub(crate) struct Run {
    pub x: usize,
    pub y: usize,
    pub len: usize,
}

/// The modules of `text`'s code (error correction M) and its width in modules.
pub(crate) fn runs(text: &str) -> Option<(Vec<Run>, usize)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut runs = Vec::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                runs.push(Run {
                    x: start,
                    y,
                    len: x - start,
                });
            } else {
                x += 1;
            }
        }
    }
    Some((runs, width))
}
