//! CKAN's `package_search` over a large catalogue, through egov's router in
//! process (no HTTP): how long a search takes when the catalogue holds
//! `--datasets` resources, most of them open.
//!
//! ```sh
//! cargo run --release --example catalogue_search -- --database-url URL \
//!     [--datasets 100000] [--queries 2000]
//! ```
//!
//! Give it a fresh database. It migrates it, loads the demo organisation,
//! bulk-inserts the resources (plain SQL, 1,000 a statement; names made of
//! the city's districts, topics and years; four in five open) across the
//! city's municipal departments, times the first load of the catalogue
//! (read and indexed with the shared Chinese search), then runs
//! `--queries` searches one after another (ten words in turn, ten results
//! with the organization facet; every tenth a browse by name deep in the
//! list) and prints one line starting `catalogue_search`.

mod common;

use clap::Parser;
use common::{engine_name, micros, ms};
use egov_store::{query, DatabaseUrl, Db};
use http_body_util::BodyExt;
use std::time::Instant;
use tower::ServiceExt;

#[derive(Parser, Debug)]
#[command(about = "package_search over a large catalogue")]
struct Args {
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 100_000)]
    datasets: usize,
    #[arg(long, default_value_t = 2000)]
    queries: usize,
}

const DISTRICTS: [&str; 16] = [
    "东城区",
    "西城区",
    "朝阳区",
    "海淀区",
    "丰台区",
    "石景山区",
    "门头沟区",
    "房山区",
    "通州区",
    "顺义区",
    "昌平区",
    "大兴区",
    "怀柔区",
    "平谷区",
    "密云区",
    "延庆区",
];
const TOPICS: [(&str, &str); 20] = [
    ("空气质量监测", "204"),
    ("常住人口统计", "101"),
    ("公交线路", "203"),
    ("医疗机构", "202"),
    ("中小学校", "201"),
    ("公园绿地", "206"),
    ("充电设施", "203"),
    ("养老机构", "210"),
    ("公共图书馆", "208"),
    ("降雨量", "204"),
    ("市场主体登记", "102"),
    ("建设工程许可", "301"),
    ("食品经营许可", "301"),
    ("行政处罚", "302"),
    ("文物保护单位", "208"),
    ("体育场馆", "208"),
    ("停车场", "203"),
    ("公共厕所", "210"),
    ("就业服务站", "205"),
    ("社区服务中心", "210"),
];
const WORDS: [&str; 10] = [
    "空气质量",
    "人口",
    "公交",
    "医院",
    "学校",
    "公园",
    "充电",
    "养老",
    "图书馆",
    "降雨",
];

fn main() -> std::process::ExitCode {
    common::main_with("catalogue_search", run(Args::parse()))
}

async fn fill(db: &Db, n: usize) -> anyhow::Result<()> {
    let directory = egov_org::directory(db).await?;
    let departments: Vec<(i64, String)> = directory
        .departments(&Default::default())
        .filter(|d| d.kind == "municipal")
        .map(|d| (d.id, d.code.clone()))
        .collect();
    let items = r#"[{"name":"name","title":"名称","type":"string"},{"name":"district","title":"所在区","type":"string"},{"name":"count","title":"数量","type":"integer"}]"#;
    let now = egov_kernel::time::now();
    let published = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    const ROWS: usize = 1000;
    let mut k = 0;
    while k < n {
        let rows = ROWS.min(n - k);
        let sql = format!(
            "INSERT INTO catalogue_resources (code, department_id, class_code, name, abstract, \
             keywords, format, update_cycle, published_on, sharing, sharing_method, open, \
             related, items, created_at, updated_at) VALUES {}",
            egov_store::values(rows, 16)
        );
        let mut q = query(sql);
        for i in k..k + rows {
            let (dept_id, dept_code) = &departments[i % departments.len()];
            let (topic, class) = TOPICS[(i / departments.len()) % TOPICS.len()];
            let district = DISTRICTS[(i / 7) % DISTRICTS.len()];
            let year = 2010 + (i % 17);
            let seq = i / departments.len() + 1;
            q = q
                .bind(format!("{dept_code}-{seq:05}"))
                .bind(*dept_id)
                .bind(class)
                .bind(format!("{district}{topic}（{year}年）"))
                .bind(format!(
                    "{district}{year}年{topic}数据，由{}提供，按月更新。",
                    directory.name_of(*dept_id)
                ))
                .bind(format!(r#"["{topic}","{district}"]"#))
                .bind("电子表格")
                .bind("monthly")
                .bind(published)
                .bind("unconditional")
                .bind("api")
                .bind(if i % 5 == 4 { "closed" } else { "open" })
                .bind("[]")
                .bind(items)
                .bind(now)
                .bind(now);
        }
        db.write(move |tx| Box::pin(async move { tx.execute(q).await }))
            .await?;
        k += rows;
    }
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let db = common::demo_db(&url, 8).await?;
    let began = Instant::now();
    fill(&db, args.datasets).await?;
    let filled = began.elapsed().as_secs_f64();
    let began = Instant::now();
    let catalogue = egov_catalogue::Catalogue::get(&db).await?;
    let loaded = began.elapsed().as_secs_f64();
    let open = catalogue.open().count();
    drop(catalogue);
    let router = egov_web::router(egov_web::AppState::new(
        db.clone(),
        egov_web::WebSettings::default(),
    ));
    let mut took = Vec::with_capacity(args.queries);
    let mut found = 0u64;
    let all = Instant::now();
    for i in 0..args.queries {
        let uri = if i % 10 == 9 {
            format!(
                "/api/3/action/package_search?rows=10&start={}&sort=name%20asc",
                (i * 37) % (open.max(1))
            )
        } else {
            let word: String =
                url::form_urlencoded::byte_serialize(WORDS[i % WORDS.len()].as_bytes()).collect();
            format!("/api/3/action/package_search?q={word}&rows=10&facet.field=%5B%22organization%22%5D")
        };
        let req = axum::http::Request::get(&uri).body(axum::body::Body::empty())?;
        let t = Instant::now();
        let res = router.clone().oneshot(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        took.push(micros(t.elapsed()));
        if !status.is_success() {
            eprintln!(
                "catalogue_search: {uri}: {status}: {}",
                String::from_utf8_lossy(&body)
            );
            return Ok(false);
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        found += v["result"]["count"].as_u64().unwrap_or(0);
    }
    let seconds = all.elapsed().as_secs_f64();
    took.sort_unstable();
    println!(
        "catalogue_search engine={} datasets={} open={open} fill_seconds={filled:.1} load_seconds={loaded:.1} \
         queries={} qps={:.0} p50={} p90={} p99={} mean_hits={}",
        engine_name(&db),
        args.datasets,
        args.queries,
        args.queries as f64 / seconds,
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0),
        found / args.queries as u64,
    );
    Ok(found > 0)
}
