//! A minimal PDF writer for short official documents: one A4 page of lines
//! of Chinese and Latin text. The text uses the standard Adobe-GB1 font
//! STSong-Light with the UniGB-UCS2-H encoding, which PDF readers provide
//! themselves, so no font is embedded and the file stays a few kilobytes.

/// A line of text: its size in points and its content.
pub struct Line {
    pub size: u32,
    pub text: String,
}

/// Text as the font's UCS-2 code units, big-endian hex. Characters outside
/// the Basic Multilingual Plane are replaced (the font has none of them).
fn ucs2_hex(text: &str) -> String {
    text.chars()
        .map(|c| {
            let unit = u16::try_from(u32::from(c)).unwrap_or(0xFFFD);
            format!("{unit:04X}")
        })
        .collect()
}

/// One A4 page with `lines` from the top, each line under the last.
pub fn document(title: &str, lines: &[Line]) -> Vec<u8> {
    let mut content = String::from("BT\n");
    let mut y = 780;
    for l in lines {
        content.push_str(&format!(
            "/F1 {size} Tf 1 0 0 1 60 {y} Tm <{hex}> Tj\n",
            size = l.size,
            hex = ucs2_hex(&l.text)
        ));
        y -= (l.size as i32) * 2;
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H \
         /DescendantFonts [6 0 R] >>"
            .to_owned(),
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> \
         /FontDescriptor 7 0 R /DW 1000 >>"
            .to_owned(),
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 \
         /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 \
         /CapHeight 880 /StemV 93 >>"
            .to_owned(),
        format!("<< /Title <FEFF{}> /Producer (egov) >>", ucs2_hex(title)),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info {} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1,
            objects.len()
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let pdf = document(
            "结果",
            &[Line {
                size: 20,
                text: "准予许可决定书".into(),
            }],
        );
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.ends_with("%%EOF\n"));
        // 准 is U+51C6: the text is written as UCS-2 for the GB1 font.
        assert!(text.contains("<51C64E88"));
        // Offsets count bytes; the binary marker line is not UTF-8.
        let find = |needle: &[u8]| {
            pdf.windows(needle.len())
                .rposition(|w| w == needle)
                .unwrap()
        };
        let tail = &pdf[find(b"startxref\n") + 10..];
        let xref_at: usize = std::str::from_utf8(tail)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[xref_at..].starts_with(b"xref"));
        let table = std::str::from_utf8(&pdf[xref_at..]).unwrap();
        for (i, line) in table.lines().skip(3).take(8).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                pdf[offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
    }
}
