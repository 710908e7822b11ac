//! The cost of a result document, for the benchmark: the joint-approval
//! notice the service hall issues (GB/T 9704 layout, two faces subset and
//! embedded, a seal, a QR code), rendered `--count` times on one thread
//! and then on `--threads` threads at once, as downloads arrive on a node
//! (each rendering is CPU-bound and runs off the async executor).
//!
//! ```sh
//! cargo run --release --example document_render -- [--count 200] [--threads 2]
//! ```
//!
//! Beside it, the floor of the same library in the same run: a one-line
//! page with one face, which still shapes, subsets and embeds a font.
//! Prints one line starting `document_render ` for scripts.

use egov_documents::{Block, Official, Verification};
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A seal: a red ring on a transparent ground, 400 pixels square.
fn seal() -> Vec<u8> {
    let n = 400u32;
    let mut rgba = Vec::with_capacity((n * n * 4) as usize);
    for y in 0..n {
        for x in 0..n {
            let r = ((x as f32 - 200.0).powi(2) + (y as f32 - 200.0).powi(2)).sqrt();
            rgba.extend_from_slice(&[
                220,
                20,
                30,
                if (180.0..194.0).contains(&r) { 255 } else { 0 },
            ]);
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, n, n);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().expect("header");
    w.write_image_data(&rgba).expect("pixels");
    w.finish().expect("png");
    out
}

fn notice_body() -> Vec<Block> {
    let p = |s: &str| Block::Paragraph(s.to_owned());
    vec![
        p("你（单位）于2026年12月4日提出的存量房买卖转移登记（不动产登记与缴税“一窗办理”）申请（受理编号：20260000001），本机关已依法受理并审查。"),
        p("经审查，申请符合法定条件、标准。根据《中华人民共和国民法典》第二百零九条、第二百一十四条的规定，本机关决定：准予许可。"),
        Block::Heading("一、办理结果".into()),
        p("事项：存量房买卖转移登记（不动产登记与缴税“一窗办理”）"),
        p("结果：不动产权证书（电子证照同步生成）；契税完税凭证"),
        Block::Heading("二、各部门办理意见".into()),
        p("北京市规划和自然资源委员会海淀分局：同意。权属清晰，材料齐全，同意转移登记。"),
        p("国家税务总局北京市海淀区税务局：同意。契税已完税。"),
    ]
}

/// Milliseconds per rendering: median and 99th percentile.
fn quantiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

fn main() {
    let count = arg("--count", 200).max(1);
    let threads = arg("--threads", 2).max(1);
    let seal = seal();
    let body = notice_body();
    let notice = Official {
        issuer: "北京市规划和自然资源委员会海淀分局",
        number: "〔2026〕1号",
        title: "办理结果通知书",
        addressee: "王晓雨",
        body: &body,
        date: "2026年12月4日",
        seal: Some(&seal),
        verification: Some(Verification {
            url: "https://zwfw.beijing.gov.cn/verify?code=WHY3-FCN7-S9YH-UMYF",
            code: "WHY3-FCN7-S9YH-UMYF",
            digest: "9afc94b310edfe96a2ab1a845a6a55df408d57d6251c521965777c6f25190c57",
        }),
    };
    let floor_body = [Block::Paragraph("核验".into())];
    let floor = Official {
        issuer: "",
        number: "",
        title: "",
        addressee: "",
        body: &floor_body,
        date: "",
        seal: None,
        verification: None,
    };
    // Warm the fonts' parsed tables once.
    let size = egov_documents::render(&notice).expect("renders").len();
    let time = |doc: &Official<'_>| {
        (0..count)
            .map(|_| {
                let t = Instant::now();
                egov_documents::render(doc).expect("renders");
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect::<Vec<_>>()
    };
    let (p50, p99) = quantiles(time(&notice));
    let (floor50, _) = quantiles(time(&floor));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..count {
                    egov_documents::render(&notice).expect("renders");
                }
            });
        }
    });
    let per_second = (count * threads) as f64 / started.elapsed().as_secs_f64();
    println!(
        "document_render notice_p50_ms={p50:.1} notice_p99_ms={p99:.1} notice_bytes={size} \
         floor_p50_ms={floor50:.1} threads={threads} notices_per_s={per_second:.0}"
    );
}
