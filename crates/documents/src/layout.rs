//! Where every line of a document goes: GB/T 9704's A4 page, its text area
//! (156 × 225 mm, 28 mm from the left and 37 mm from the top edge, 22 lines
//! of 3号 text) and its letter form (信函格式): its head, no page number on
//! the first page, no imprint. Pure: it returns placed lines,
//! rules and boxes per page, which `draw` turns into PDF.

use crate::fonts::Face;

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
pub(crate) const PAGE_W: f32 = 210.0 * MM;
pub(crate) const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 28.0 * MM;
const TEXT_W: f32 = 156.0 * MM;
const TEXT_TOP: f32 = 37.0 * MM;
const TEXT_BOTTOM: f32 = (37.0 + 225.0) * MM;
/// 22 lines to the text area.
const LINE: f32 = 225.0 * MM / 22.0;
/// 3号, 2号, 4号 and 五号 in points.
const BODY: f32 = 16.0;
const TITLE: f32 = 22.0;
const FOLIO: f32 = 14.0;
const SMALL: f32 = 10.5;
/// 小五, for the digest.
const DIGEST: f32 = 9.0;
/// The letter form's red double rules are 170 mm long, centred.
const RULE_W: f32 = 170.0 * MM;
const SEAL: f32 = 40.0 * MM;
const QR: f32 = 22.0 * MM;
/// The verification block: the QR code beside five lines of 五号.
const VERIFY_H: f32 = QR;

/// A document to render. Strings are as they should read.
pub struct Official<'a> {
    /// The issuing authority (发文机关): its red mark and signature.
    pub issuer: &'a str,
    /// The document number (发文字号).
    pub number: &'a str,
    pub title: &'a str,
    /// Whom it is addressed to (主送), without the colon; empty for none.
    pub addressee: &'a str,
    pub body: &'a [Block],
    /// The date it was made (成文日期), e.g. 2026年12月4日.
    pub date: &'a str,
    /// The authority's seal, a PNG with a transparent ground.
    pub seal: Option<&'a [u8]>,
    pub verification: Option<Verification<'a>>,
}

/// A block of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph, its first line indented two characters.
    Paragraph(String),
    /// A heading (一、…), bold, indented like a paragraph.
    Heading(String),
}

/// How a reader checks the document.
pub struct Verification<'a> {
    /// The absolute address of the public verification page, in the QR code.
    pub url: &'a str,
    pub code: &'a str,
    /// The SHA-256 digest of the document's particulars, in hex.
    pub digest: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ink {
    Black,
    Red,
}

/// One placed thing; `y` grows downwards from the page's top edge.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// A line of text on its baseline; `spacing` is added after each
    /// character but the last (a justified line), or zero.
    Text {
        x: f32,
        y: f32,
        size: f32,
        face: Face,
        ink: Ink,
        text: String,
        spacing: f32,
    },
    Rule {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        ink: Ink,
    },
    Seal {
        x: f32,
        y: f32,
        size: f32,
    },
    Qr {
        x: f32,
        y: f32,
        size: f32,
    },
}

/// Characters a line may not start with (they hang at the end of the last).
const NO_START: &str = "，。、；：？！）》」』】〕”’％…—·,.;:?!)]}";
/// Characters a line may not end with.
const NO_END: &str = "（《「『【〔“‘([{";

/// Characters of a Latin word, number, code or address: kept on one line.
fn in_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./:@%#&=?+~".contains(c)
}

/// A line of a wrapped paragraph.
#[derive(Debug, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    /// Broken because the line was full (so it is justified), not at the end.
    pub full: bool,
}

/// Breaks `text` into lines `width` wide, the first starting `indent` in,
/// keeping words whole and punctuation where Chinese typesetting wants it.
pub(crate) fn wrap(face: Face, size: f32, width: f32, indent: f32, text: &str) -> Vec<Line> {
    let m = face.metrics();
    let mut lines = Vec::new();
    let mut cur: Vec<char> = Vec::new();
    let mut used = indent;
    for c in text.chars().filter(|c| !c.is_control()) {
        let w = m.advance(c) * size;
        if !cur.is_empty() && used + w > width && !NO_START.contains(c) {
            let mut carry = Vec::new();
            if in_word(c) {
                let start = cur.iter().rposition(|&x| !in_word(x)).map_or(0, |i| i + 1);
                if start > 0 {
                    carry = cur.split_off(start);
                }
            }
            while cur.len() > 1 && cur.last().is_some_and(|&x| NO_END.contains(x)) {
                carry.insert(0, cur.pop().unwrap_or_default());
            }
            lines.push(Line {
                text: cur.iter().collect(),
                full: true,
            });
            cur = carry;
            used = cur.iter().map(|&x| m.advance(x) * size).sum();
        }
        cur.push(c);
        used += w;
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(Line {
            text: cur.into_iter().collect(),
            full: false,
        });
    }
    lines
}

/// The pages being filled.
struct Flow {
    pages: Vec<Vec<Op>>,
    /// The top of the next line.
    y: f32,
    /// The body's line pitch: 22 lines to the page, closer when the
    /// signature would otherwise stand on a page of its own.
    pitch: f32,
}

impl Flow {
    fn new(pitch: f32) -> Self {
        Flow {
            pages: vec![Vec::new()],
            y: TEXT_TOP,
            pitch,
        }
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    /// Room for `height` more on this page, or a new page.
    fn room(&mut self, height: f32) {
        if self.y + height > TEXT_BOTTOM {
            self.pages.push(Vec::new());
            self.y = TEXT_TOP;
        }
    }

    /// One line of `pitch`, its text's baseline centred in it.
    #[allow(clippy::too_many_arguments)]
    fn line(&mut self, x: f32, pitch: f32, size: f32, face: Face, text: String, spacing: f32) {
        self.room(pitch);
        let baseline = self.y + pitch / 2.0 + size * 0.38;
        self.push(Op::Text {
            x,
            y: baseline,
            size,
            face,
            ink: Ink::Black,
            text,
            spacing,
        });
        self.y += pitch;
    }

    /// A paragraph set to the text width, its first line indented two
    /// characters and its full lines justified.
    fn paragraph(&mut self, face: Face, text: &str) {
        let indent = 2.0 * BODY;
        let m = face.metrics();
        for (i, l) in wrap(face, BODY, TEXT_W, indent, text)
            .into_iter()
            .enumerate()
        {
            let x = if i == 0 { LEFT + indent } else { LEFT };
            let natural = m.width(&l.text) * BODY;
            let gaps = l.text.chars().count().saturating_sub(1) as f32;
            let slack = TEXT_W - (x - LEFT) - natural;
            let spacing = if l.full && gaps > 0.0 && slack > 0.0 && slack < BODY * 2.0 {
                slack / gaps
            } else {
                0.0
            };
            self.line(x, self.pitch, BODY, face, l.text, spacing);
        }
    }
}

fn centred_x(face: Face, size: f32, text: &str) -> f32 {
    (PAGE_W - face.metrics().width(text) * size) / 2.0
}

fn right_x(face: Face, size: f32, text: &str, right_edge: f32) -> f32 {
    right_edge - face.metrics().width(text) * size
}

/// The letter form's head: the red mark 30 mm from the top edge, the red
/// double rule (thick over thin) 4 mm under it, the number right-aligned
/// under the rule. Returns where the text below may start.
fn head(flow: &mut Flow, doc: &Official<'_>) -> f32 {
    let m = Face::Bold.metrics();
    // As large as 30 pt, smaller for a long name so it fits the rule.
    let size = (RULE_W / m.width(doc.issuer).max(1.0)).min(30.0);
    let top = 30.0 * MM;
    flow.push(Op::Text {
        x: centred_x(Face::Bold, size, doc.issuer),
        y: top + size * 0.88,
        size,
        face: Face::Bold,
        ink: Ink::Red,
        text: doc.issuer.to_owned(),
        spacing: 0.0,
    });
    let rule_x = (PAGE_W - RULE_W) / 2.0;
    let rule_y = top + size + 4.0 * MM;
    flow.push(Op::Rule {
        x: rule_x,
        y: rule_y,
        w: RULE_W,
        h: 0.8 * MM,
        ink: Ink::Red,
    });
    flow.push(Op::Rule {
        x: rule_x,
        y: rule_y + 1.5 * MM,
        w: RULE_W,
        h: 0.25 * MM,
        ink: Ink::Red,
    });
    // The foot's double rule, thin over thick, 20 mm from the bottom edge.
    let foot = PAGE_H - 20.0 * MM;
    flow.push(Op::Rule {
        x: rule_x,
        y: foot - 1.5 * MM - 0.25 * MM,
        w: RULE_W,
        h: 0.25 * MM,
        ink: Ink::Red,
    });
    flow.push(Op::Rule {
        x: rule_x,
        y: foot,
        w: RULE_W,
        h: 0.8 * MM,
        ink: Ink::Red,
    });
    rule_y + 2.0 * MM
}

/// The pages of `doc`, each a list of placed things. GB/T 9704 does not
/// let the signature and date stand on a page without text: where they
/// would, the lines are set closer (down to 85 %) to keep them with it.
pub(crate) fn pages(doc: &Official<'_>) -> Vec<Vec<Op>> {
    let mut laid = lay_out(doc, LINE);
    for closer in [0.93, 0.85] {
        if !laid.1 {
            break;
        }
        laid = lay_out(doc, LINE * closer);
    }
    laid.0
}

/// The pages at `pitch`, and whether the closing block went to a page of
/// its own.
fn lay_out(doc: &Official<'_>, pitch: f32) -> (Vec<Vec<Op>>, bool) {
    let mut flow = Flow::new(pitch);
    flow.y = head(&mut flow, doc);
    // The number, right-aligned on the line under the rule.
    flow.line(
        right_x(Face::Regular, BODY, doc.number, LEFT + TEXT_W),
        pitch,
        BODY,
        Face::Regular,
        doc.number.to_owned(),
        0.0,
    );
    flow.y += pitch / 2.0;
    for l in wrap(Face::Bold, TITLE, TEXT_W, 0.0, doc.title) {
        let x = centred_x(Face::Bold, TITLE, &l.text);
        flow.line(x, TITLE * 1.5, TITLE, Face::Bold, l.text, 0.0);
    }
    flow.y += pitch / 2.0;
    for l in wrap(
        Face::Regular,
        BODY,
        TEXT_W,
        0.0,
        &format!("{}：", doc.addressee),
    ) {
        flow.line(LEFT, pitch, BODY, Face::Regular, l.text, 0.0);
    }
    for block in doc.body {
        match block {
            Block::Paragraph(t) => flow.paragraph(Face::Regular, t),
            Block::Heading(t) => {
                // Not left as the last line of a page.
                flow.room(pitch * 2.0);
                flow.paragraph(Face::Bold, t)
            }
        }
    }
    // The signature and the verification block stay together.
    let verifying = if doc.verification.is_some() {
        VERIFY_H + pitch / 2.0
    } else {
        0.0
    };
    let before = flow.pages.len();
    flow.room(pitch * 3.0 + verifying);
    let alone = flow.pages.len() > before;
    signature(&mut flow, doc);
    if let Some(v) = &doc.verification {
        verification(&mut flow, v);
    }
    // The letter form has no imprint (no 印发机关, date or rules).
    folios(&mut flow);
    (flow.pages, alone)
}

/// The signature and date under the seal: the date four characters from
/// the right, the authority's name centred over it, the seal centred on
/// both and a little above them, its top within a line of the text.
fn signature(flow: &mut Flow, doc: &Official<'_>) {
    // A blank line, then the name and the date.
    let pitch = flow.pitch;
    flow.y += pitch;
    let date_right = LEFT + TEXT_W - 4.0 * BODY;
    let date_w = Face::Regular.metrics().width(doc.date) * BODY;
    let centre = date_right - date_w / 2.0;
    let name_w = Face::Regular.metrics().width(doc.issuer) * BODY;
    let name_top = flow.y;
    flow.line(
        (centre - name_w / 2.0).min(LEFT + TEXT_W - name_w),
        pitch,
        BODY,
        Face::Regular,
        doc.issuer.to_owned(),
        0.0,
    );
    flow.line(
        date_right - date_w,
        pitch,
        BODY,
        Face::Regular,
        doc.date.to_owned(),
        0.0,
    );
    if doc.seal.is_some() {
        flow.push(Op::Seal {
            x: centre - SEAL / 2.0,
            y: name_top + pitch * 0.9 - SEAL / 2.0,
            size: SEAL,
        });
    }
}

/// The QR code with the address, code and digest beside it, in 五号.
fn verification(flow: &mut Flow, v: &Verification<'_>) {
    let pitch = QR / 5.0;
    flow.y += flow.pitch / 2.0;
    let top = flow.y;
    flow.push(Op::Qr {
        x: LEFT,
        y: top,
        size: QR,
    });
    let x = LEFT + QR + 4.0 * MM;
    let width = LEFT + TEXT_W - x;
    let lines = [
        "扫描二维码或访问以下网址核验本文书：".to_owned(),
        v.url.to_owned(),
        format!("核验码：{}", v.code),
        "内容摘要（SHA-256）：".to_owned(),
        v.digest.to_owned(),
    ];
    let mut y = top;
    for (i, text) in lines.into_iter().enumerate() {
        // The address and the digest each keep to one line: smaller when
        // long, so the block stays beside its QR code.
        let size = match i {
            1 | 4 => {
                let fits = 0.98 * width / Face::Regular.metrics().width(&text).max(1.0);
                fits.min(if i == 4 { DIGEST } else { SMALL })
            }
            _ => SMALL,
        };
        for l in wrap(Face::Regular, size, width, 0.0, &text) {
            flow.push(Op::Text {
                x,
                y: y + SMALL * 1.1,
                size,
                face: Face::Regular,
                ink: Ink::Black,
                text: l.text,
                spacing: 0.0,
            });
            y += pitch;
        }
    }
    flow.y = y.max(top + QR);
}

/// Page numbers, 4号, 7 mm under the text area: odd pages on the right,
/// even pages on the left, one character in; the letter form's first page
/// shows none.
fn folios(flow: &mut Flow) {
    for (i, page) in flow.pages.iter_mut().enumerate().skip(1) {
        let text = format!("— {} —", i + 1);
        let x = if i % 2 == 0 {
            right_x(Face::Regular, FOLIO, &text, LEFT + TEXT_W - FOLIO)
        } else {
            LEFT + FOLIO
        };
        page.push(Op::Text {
            x,
            y: TEXT_BOTTOM + 7.0 * MM + FOLIO * 0.76,
            size: FOLIO,
            face: Face::Regular,
            ink: Ink::Black,
            text,
            spacing: 0.0,
        });
    }
}
