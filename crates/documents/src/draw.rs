//! Placed pages to PDF through krilla, which shapes the text, embeds each
//! face as a subset of the glyphs used and compresses the streams.

use crate::fonts::Face;
use crate::layout::{Ink, Official, Op, PAGE_H, PAGE_W};
use crate::{qr, DocumentError};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

/// GB/T 9704's red for the mark, the rules and the seal's ground.
const RED: (u8, u8, u8) = (0xE6, 0x00, 0x12);

fn fill(ink: Ink) -> Fill {
    let (r, g, b) = match ink {
        Ink::Black => (0, 0, 0),
        Ink::Red => RED,
    };
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        ..Fill::default()
    }
}

fn rect(s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32) {
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        pb.push_rect(r);
    }
    if let Some(path) = pb.finish() {
        s.draw_path(&path);
    }
}

pub(crate) fn pdf(pages: &[Vec<Op>], doc: &Official<'_>) -> Result<Vec<u8>, DocumentError> {
    let font = |face: Face| {
        Font::new(face.bytes().into(), 0)
            .ok_or_else(|| DocumentError::Pdf("the shipped font does not load".into()))
    };
    let (regular, bold) = (font(Face::Regular)?, font(Face::Bold)?);
    let seal = doc
        .seal
        .map(|png| Image::from_png(png.to_vec().into(), true))
        .transpose()
        .map_err(DocumentError::Seal)?;
    let qr = doc.verification.as_ref().and_then(|v| qr::runs(v.url));
    let settings = || {
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| DocumentError::Pdf("page size".into()))
    };
    let mut document = Document::new();
    for ops in pages {
        let mut page = document.start_page_with(settings()?);
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    face,
                    ink,
                    text,
                    spacing,
                } => {
                    let f = match face {
                        Face::Regular => regular.clone(),
                        Face::Bold => bold.clone(),
                    };
                    s.set_fill(Some(fill(*ink)));
                    if *spacing == 0.0 {
                        let at = Point::from_xy(*x, *y);
                        s.draw_text(at, f, *size, text, false, TextDirection::Auto);
                    } else {
                        // A justified line: each character at its place.
                        let m = face.metrics();
                        let mut cx = *x;
                        let mut buf = [0u8; 4];
                        for c in text.chars() {
                            let at = Point::from_xy(cx, *y);
                            let one = c.encode_utf8(&mut buf);
                            s.draw_text(at, f.clone(), *size, one, false, TextDirection::Auto);
                            cx += m.advance(c) * size + spacing;
                        }
                    }
                }
                Op::Rule { x, y, w, h, ink } => {
                    s.set_fill(Some(fill(*ink)));
                    rect(&mut s, *x, *y, *w, *h);
                }
                Op::Seal { x, y, size } => {
                    if let (Some(image), Some(box_)) = (&seal, Size::from_wh(*size, *size)) {
                        // Fit the image in the square, keeping its shape.
                        let (w, h) = image.size();
                        let scale = size / (w.max(h) as f32);
                        let (dw, dh) = (w as f32 * scale, h as f32 * scale);
                        let at = Transform::from_translate(
                            x + (box_.width() - dw) / 2.0,
                            y + (box_.height() - dh) / 2.0,
                        );
                        if let Some(fit) = Size::from_wh(dw, dh) {
                            s.push_transform(&at);
                            s.draw_image(image.clone(), fit);
                            s.pop();
                        }
                    }
                }
                Op::Qr { x, y, size } => {
                    if let Some((runs, width)) = &qr {
                        let module = size / *width as f32;
                        s.set_fill(Some(fill(Ink::Black)));
                        let mut pb = PathBuilder::new();
                        for r in runs {
                            let left = x + r.x as f32 * module;
                            let top = y + r.y as f32 * module;
                            if let Some(rc) =
                                Rect::from_xywh(left, top, r.len as f32 * module, module)
                            {
                                pb.push_rect(rc);
                            }
                        }
                        if let Some(path) = pb.finish() {
                            s.draw_path(&path);
                        }
                    }
                }
            }
        }
        s.finish();
        page.finish();
    }
    document.set_metadata(
        Metadata::new()
            .title(doc.title.to_owned())
            .authors(vec![doc.issuer.to_owned()])
            .language("zh-CN".to_owned())
            .creator("egov".to_owned()),
    );
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}
