use super::*;
use crate::fonts::Face;
use crate::layout::{wrap, Op};

/// A red ring on a transparent ground, as a seal is scanned.
fn seal_png() -> Vec<u8> {
    let n = 120u32;
    let mut rgba = Vec::with_capacity((n * n * 4) as usize);
    for y in 0..n {
        for x in 0..n {
            let (dx, dy) = (x as f32 - 60.0, y as f32 - 60.0);
            let r = (dx * dx + dy * dy).sqrt();
            let on = (50.0..58.0).contains(&r);
            rgba.extend_from_slice(&[230, 0, 18, if on { 255 } else { 0 }]);
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, n, n);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(&rgba).unwrap();
    w.finish().unwrap();
    out
}

fn notice<'a>(body: &'a [Block], seal: Option<&'a [u8]>) -> Official<'a> {
    Official {
        issuer: "北京市市场监督管理局",
        number: "京市监许〔2026〕20260000042号",
        title: "准予行政许可决定书",
        addressee: "北京示例科技有限公司",
        body,
        date: "2026年12月4日",
        seal,
        verification: Some(Verification {
            url: "https://zw.example.gov.cn/verify?code=ABCD-EFGH-JKLM-NPQR",
            code: "ABCD-EFGH-JKLM-NPQR",
            digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        }),
    }
}

fn body(paragraphs: usize) -> Vec<Block> {
    let mut b = vec![Block::Heading("一、许可内容".into())];
    for i in 0..paragraphs {
        b.push(Block::Paragraph(format!(
            "第{i}段：你单位于2026年11月20日提出的食品经营许可申请（受理号20260000042），本机关已依法审查，符合法定条件、标准，根据《中华人民共和国行政许可法》第三十八条第一款的规定，决定准予行政许可。"
        )));
    }
    b
}

fn fonts_of(pdf: &lopdf::Document) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (_, obj) in pdf.objects.iter() {
        let Ok(d) = obj.as_dict() else { continue };
        if d.get(b"Type").and_then(|t| t.as_name()).ok() != Some(b"FontDescriptor".as_ref()) {
            continue;
        }
        let name =
            String::from_utf8_lossy(d.get(b"FontName").unwrap().as_name().unwrap()).into_owned();
        let file = d
            .get(b"FontFile3")
            .or_else(|_| d.get(b"FontFile2"))
            .expect("the font is embedded");
        let stream = pdf
            .get_object(file.as_reference().unwrap())
            .unwrap()
            .as_stream()
            .unwrap();
        out.push((name, stream.content.len()));
    }
    out
}

#[test]
fn a_notice_is_one_page_with_both_faces_embedded_as_small_subsets() {
    let blocks = body(2);
    let bytes = render(&notice(&blocks, None)).unwrap();
    let pdf = lopdf::Document::load_mem(&bytes).unwrap();
    assert_eq!(pdf.get_pages().len(), 1);
    let fonts = fonts_of(&pdf);
    assert_eq!(fonts.len(), 2, "{fonts:?}");
    for (name, size) in fonts {
        // A subset is tagged ABCDEF+ and holds only the glyphs used.
        assert_eq!(name.as_bytes()[6], b'+', "{name}");
        assert!(size < 150_000, "{name} is {size} bytes");
    }
    // Text can be searched and copied: each face maps its glyphs back.
    let to_unicode = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"ToUnicode").is_ok())
        .count();
    assert_eq!(to_unicode, 2);
    let text = texts(&layout::pages(&notice(&blocks, None))[0]);
    for wanted in [
        "准予行政许可决定书",
        "北京示例科技有限公司：",
        "核验码：ABCD-EFGH-JKLM-NPQR",
    ] {
        assert!(text.contains(&wanted.to_owned()), "{wanted} in {text:?}");
    }
    // The letter form's first page shows no page number.
    assert!(!text.iter().any(|t| t.starts_with("— ")), "{text:?}");
}

fn texts(ops: &[Op]) -> Vec<String> {
    ops.iter()
        .filter_map(|o| match o {
            Op::Text { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_long_body_flows_onto_numbered_pages_and_the_seal_is_drawn() {
    let blocks = body(30);
    let seal = seal_png();
    let bytes = render(&notice(&blocks, Some(&seal))).unwrap();
    let pdf = lopdf::Document::load_mem(&bytes).unwrap();
    let pages = pdf.get_pages().len() as u32;
    assert!(pages >= 3, "{pages} pages");
    let placed = layout::pages(&notice(&blocks, Some(&seal)));
    assert_eq!(placed.len() as u32, pages);
    let last = texts(placed.last().unwrap());
    assert!(last.contains(&format!("— {pages} —")), "{last:?}");
    assert!(
        last.contains(&"2026年12月4日".to_owned()),
        "the date is on the last page: {last:?}"
    );
    assert!(
        !last.iter().any(|t| t.ends_with("印发")),
        "the letter form has no imprint"
    );
    let images = pdf
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .filter(|s| {
            s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() == Some(b"Image".as_ref())
        })
        .count();
    assert!(images >= 1, "the seal is an image");
}

#[test]
fn the_layout_keeps_text_inside_the_page_and_the_seal_over_the_signature() {
    let blocks = body(2);
    let seal = seal_png();
    let doc = notice(&blocks, Some(&seal));
    let pages = layout::pages(&doc);
    let mut signature_y = None;
    let mut seal_box = None;
    for op in pages.iter().flatten() {
        match op {
            Op::Text { x, y, text, .. } => {
                assert!(
                    *x >= 0.0 && *y > 0.0 && *y < layout::PAGE_H,
                    "{text} at {x},{y}"
                );
                if text == "2026年12月4日" {
                    signature_y = Some(*y);
                }
            }
            Op::Seal { y, size, .. } => seal_box = Some((*y, *y + size)),
            _ => {}
        }
    }
    let (top, bottom) = seal_box.expect("a seal");
    let date = signature_y.expect("a date");
    assert!(top < date && date < bottom, "the seal covers the date");
}

#[test]
fn lines_break_where_chinese_typesetting_allows() {
    let width = 10.0 * 16.0;
    // Ten characters fill a line; the comma may not start the next one.
    let lines = wrap(
        Face::Regular,
        16.0,
        width,
        0.0,
        "一二三四五六七八九十，再来",
    );
    assert_eq!(lines[0].text, "一二三四五六七八九十，");
    assert!(lines[0].full);
    assert_eq!(lines[1].text, "再来");
    // An opening bracket moves down with what it opens.
    let lines = wrap(Face::Regular, 16.0, width, 0.0, "一二三四五六七八九（十）");
    assert_eq!(lines[0].text, "一二三四五六七八九");
    assert_eq!(lines[1].text, "（十）");
    // A code stays whole.
    let lines = wrap(Face::Regular, 16.0, width, 0.0, "核验码：ABCD-EFGH-JKLM");
    assert!(
        lines.iter().any(|l| l.text == "ABCD-EFGH-JKLM"),
        "{lines:?}"
    );
}

#[test]
fn a_seal_must_be_a_readable_png_of_a_sensible_size() {
    assert!(check_seal(&seal_png()).is_ok());
    assert!(check_seal(b"GIF89a").is_err());
    let mut broken = seal_png();
    broken.truncate(60);
    assert!(check_seal(&broken).is_err());
    let mut huge = seal_png();
    huge[16..20].copy_from_slice(&5000u32.to_be_bytes());
    assert!(matches!(check_seal(&huge), Err(DocumentError::Seal(m)) if m.contains("5000")));
}

#[test]
fn a_long_address_keeps_the_verification_block_beside_its_code() {
    let blocks = body(2);
    let mut doc = notice(&blocks, None);
    let url = "https://zwfw.beijing.gov.cn/egov/public/verify?code=ABCD-EFGH-JKLM-NPQR";
    doc.verification = Some(Verification {
        url,
        code: "ABCD-EFGH-JKLM-NPQR",
        digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    });
    let pages = layout::pages(&doc);
    assert_eq!(pages.len(), 1);
    let lines: Vec<&Op> = pages[0]
        .iter()
        .filter(|o| matches!(o, Op::Text { text, .. } if text == url))
        .collect();
    assert_eq!(lines.len(), 1, "the address is wrapped or missing");
    let Op::Text { size, .. } = lines[0] else {
        unreachable!()
    };
    assert!(*size < 10.5, "the long address is set smaller: {size}");
}
