//! The two faces documents are set in, carried in the binary: Noto Serif SC
//! reduced to GB 2312 (see `data/fonts/LICENSE-OFL.txt`). GB/T 9704 names
//! 小标宋 for titles and 仿宋 for the body; those are commercial, so the bold
//! and regular of an open Song face stand in for them.

use std::sync::LazyLock;

static REGULAR: &[u8] = include_bytes!("../../../data/fonts/NotoSerifSC-Regular.otf");
static BOLD: &[u8] = include_bytes!("../../../data/fonts/NotoSerifSC-Bold.otf");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    /// Body, signature, number (仿宋's place).
    Regular,
    /// The authority's mark and the title (小标宋's place).
    Bold,
}

/// Advances of one face, for laying out lines.
pub(crate) struct Metrics {
    face: ttf_parser::Face<'static>,
    per_em: f32,
}

static METRICS: LazyLock<[Metrics; 2]> = LazyLock::new(|| {
    [REGULAR, BOLD].map(|bytes| {
        let face = ttf_parser::Face::parse(bytes, 0).expect("the shipped font parses");
        let per_em = f32::from(face.units_per_em());
        Metrics { face, per_em }
    })
});

impl Face {
    pub(crate) fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => REGULAR,
            Face::Bold => BOLD,
        }
    }

    pub(crate) fn metrics(self) -> &'static Metrics {
        &METRICS[self as usize]
    }
}

impl Metrics {
    /// The advance of `c` in ems; a character the font lacks counts as one em.
    pub(crate) fn advance(&self, c: char) -> f32 {
        self.face
            .glyph_index(c)
            .and_then(|g| self.face.glyph_hor_advance(g))
            .map_or(1.0, |a| f32::from(a) / self.per_em)
    }

    /// The width of `text` in ems.
    pub(crate) fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.advance(c)).sum()
    }
}
