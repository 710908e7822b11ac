//! Disclosure under load, in process (no HTTP): requests for information
//! filed by signed-in applicants (each the case opened with its audit
//! record in one transaction) against the case engine opening the same
//! process's cases alone, measured in the same run; then the public list
//! and search over `--published` documents published of the agencies' own
//! accord.
//!
//! ```sh
//! cargo run --release --example disclosure_load -- --database-url URL \
//!     [--seconds 10] [--concurrency 32] [--published 1000000] [--queries 2000]
//! ```
//!
//! Give it a fresh database. It migrates it and loads the demo
//! organisation, registers one applicant, and runs for `--seconds` each:
//! requests filed, then bare cases opened (the ceiling). Then it
//! bulk-inserts `--published` documents (plain SQL, 1,000 a statement;
//! titles made of the city's departments and subjects), builds a node's
//! search index of them (timed), and runs `--queries` list pages (the
//! first, or one of the first fifty) and `--queries` searches, one after
//! another. It prints lines starting `disclosure_load`.

mod common;

use clap::Parser;
use common::{engine_name, micros, ms, timed};
use egov_cases::acting::Acting;
use egov_cases::engine::{prepare, NewCase};
use egov_cases::opening::open;
use egov_disclosure::documents;
use egov_disclosure::request::NewRequest;
use egov_disclosure::search::DocumentSearch;
use egov_store::{query, DatabaseUrl, Db};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "requests filed, and the public list and search of published documents")]
struct Args {
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long, default_value_t = 1_000_000)]
    published: usize,
    #[arg(long, default_value_t = 2000)]
    queries: usize,
}

const SUBJECTS: [(&str, &str); 10] = [
    ("城市更新项目立项批复", "关于危旧楼房改建项目立项的批复"),
    ("部门预算", "部门收支预算总表及三公经费说明"),
    ("交通综合治理", "公交线网优化和慢行系统建设安排"),
    ("防汛工作安排", "汛期值守、隐患排查和应急响应要求"),
    ("生态环境状况", "空气质量、水环境和声环境监测结果"),
    ("保障性住房", "保障性租赁住房建设筹集计划"),
    ("事业单位招聘", "岗位条件、报名方式和考试安排"),
    ("政府采购", "采购项目、预算金额和中标结果"),
    ("行政处罚", "违法事实、处罚依据和处罚结果"),
    ("规划许可", "建设工程规划许可证核发情况"),
];
const WORDS: [&str; 10] = [
    "立项批复",
    "预算",
    "公交",
    "防汛",
    "空气质量",
    "保障性住房",
    "招聘",
    "采购",
    "处罚",
    "规划许可",
];
const CATEGORIES: [&str; 10] = [
    "licensing",
    "budgets",
    "plans",
    "emergencies",
    "statistics",
    "plans",
    "personnel",
    "procurement",
    "enforcement",
    "licensing",
];

fn main() -> std::process::ExitCode {
    common::main_with("disclosure_load", run(Args::parse()))
}

fn request(i: usize) -> NewRequest {
    NewRequest {
        department: "110000-GHZRZYW".into(),
        information: format!(
            "{}（第{}号）的全文及附件",
            SUBJECTS[i % SUBJECTS.len()].1,
            i
        ),
        applicant_kind: "person".into(),
        organization: None,
        form: "electronic".into(),
        delivery: "online".into(),
        address: None,
    }
}

async fn fill(db: &Db, n: usize) -> anyhow::Result<()> {
    let directory = egov_org::directory(db).await?;
    let departments: Vec<(i64, String)> = directory
        .departments(&Default::default())
        .filter(|d| d.kind == "municipal")
        .map(|d| (d.id, d.name.clone()))
        .collect();
    let now = egov_kernel::time::now();
    let issued = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date");
    const ROWS: usize = 1000;
    let mut k = 0;
    while k < n {
        let rows = ROWS.min(n - k);
        let sql = format!(
            "INSERT INTO disclosure_documents (department_id, title, doc_number, issued_on, \
             category, body, published_at) VALUES {}",
            egov_store::values(rows, 7)
        );
        let mut q = query(sql);
        for i in k..k + rows {
            let (department, name) = &departments[i % departments.len()];
            let (subject, body) = SUBJECTS[i % SUBJECTS.len()];
            q = q
                .bind(*department)
                .bind(format!("{name}关于{subject}的公告（{i}）"))
                .bind(format!("京公开〔2026〕{i}号"))
                .bind(issued)
                .bind(CATEGORIES[i % CATEGORIES.len()])
                .bind(format!("{body}。详见附件，特此公告。"))
                .bind(now);
        }
        db.write(move |tx| {
            Box::pin(async move {
                let n = tx.execute(q).await?;
                tx.execute(
                    query("UPDATE disclosure_totals SET published = published + $1 WHERE id = 1")
                        .bind(n as i64),
                )
                .await
            })
        })
        .await?;
        k += rows;
    }
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let db = common::demo_db(&url, 16).await?;
    let engine = engine_name(&db);
    let ctx = egov_kernel::Context::system();
    let applicant = egov_identity::register_citizen(
        &db,
        &ctx,
        egov_identity::CitizenRegistration {
            username: "disclosure.applicant".into(),
            real_name: "申请人".into(),
            resident_id: egov_kernel::identifier::ResidentId::parse("11010519491231002X")?,
            phone: egov_kernel::identifier::MobileNumber::parse("13800138000")?,
            password: String::from("Chang-Cheng-Wan-Li-9").into(),
        },
    )
    .await?;
    let user_id = applicant
        .user_id
        .ok_or_else(|| anyhow::anyhow!("the applicant was not registered"))?;
    let processes = Arc::new(egov_cases::Processes::default());
    let calendars = Arc::new(egov_calendar::CalendarCache::default());

    // Requests filed, as a signed-in applicant's are.
    let (n, took) = {
        let (db, processes, calendars) = (db.clone(), processes.clone(), calendars.clone());
        let i = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        timed(args.concurrency, args.seconds, move || {
            let (db, processes, i) = (db.clone(), processes.clone(), i.clone());
            let calendars = calendars.clone();
            async move {
                let k = i.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                egov_disclosure::filing::file(
                    &db,
                    &egov_kernel::Context::system(),
                    &processes,
                    &calendars,
                    (user_id, None),
                    request(k),
                )
                .await?;
                Ok(())
            }
        })
        .await?
    };
    let requests_per_s = n as f64 / args.seconds as f64;
    println!(
        "disclosure_load engine={engine} phase=requests concurrency={} rate={requests_per_s:.0} p50={} p90={} p99={}",
        args.concurrency,
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0)
    );

    // The ceiling: the case engine opening the same process's cases alone.
    let calendar = egov_calendar::load_calendar(&db).await?;
    let def = processes.latest(&db, egov_disclosure::PROCESS).await?;
    let agency = egov_org::department(&db, "110000-GHZRZYW").await?.id;
    let checked = request(0).check()?;
    let (n, took) = {
        let db = db.clone();
        let (calendar, def, checked) = (Arc::new(calendar), def.clone(), Arc::new(checked));
        timed(args.concurrency, args.seconds, move || {
            let (db, calendar, def) = (db.clone(), calendar.clone(), def.clone());
            let checked = checked.clone();
            async move {
                let mut new = NewCase::new(&def, agency, &checked.title());
                new.applicant_id = Some(user_id);
                new.data = checked.case_data();
                let opening = prepare(
                    &calendar,
                    Acting::Applicant {
                        user_id,
                        enterprise_id: None,
                    },
                    new,
                )?;
                let ctx = egov_kernel::Context::system();
                db.write(move |tx| Box::pin(async move { open(tx, &ctx, opening).await }))
                    .await?;
                Ok(())
            }
        })
        .await?
    };
    let cases_per_s = n as f64 / args.seconds as f64;
    println!(
        "disclosure_load engine={engine} phase=cases concurrency={} rate={cases_per_s:.0} p50={} p90={} p99={} requests_share={:.2}",
        args.concurrency,
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0),
        requests_per_s / cases_per_s.max(1.0)
    );

    // The public list and search over the published documents.
    let began = Instant::now();
    fill(&db, args.published).await?;
    let filled = began.elapsed().as_secs_f64();
    let search = DocumentSearch::new(egov_search::SearchIndex::in_memory()?);
    let began = Instant::now();
    search.catch_up(&db).await?;
    let indexed = began.elapsed().as_secs_f64();
    let mut took = Vec::with_capacity(args.queries);
    let all = Instant::now();
    let mut total = 0;
    for i in 0..args.queries {
        let offset = if i % 2 == 0 { 0 } else { (i as i64 % 50) * 20 };
        let t = Instant::now();
        let (page, n) = documents::listed(&db, offset, 20).await?;
        took.push(micros(t.elapsed()));
        total = n;
        anyhow::ensure!(page.len() == 20, "a page of {} documents", page.len());
    }
    let list_qps = args.queries as f64 / all.elapsed().as_secs_f64();
    took.sort_unstable();
    println!(
        "disclosure_load engine={engine} phase=list published={total} fill_seconds={filled:.1} qps={list_qps:.0} p50={} p90={} p99={}",
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0)
    );
    let mut took = Vec::with_capacity(args.queries);
    let all = Instant::now();
    let mut found = 0usize;
    for i in 0..args.queries {
        let t = Instant::now();
        let (ids, n) = search.search(&db, WORDS[i % WORDS.len()], 0, 20).await?;
        let docs = documents::listed_of(&db, &ids).await?;
        took.push(micros(t.elapsed()));
        found += n;
        anyhow::ensure!(docs.len() == ids.len(), "a hit not read back");
    }
    let search_qps = args.queries as f64 / all.elapsed().as_secs_f64();
    took.sort_unstable();
    println!(
        "disclosure_load engine={engine} phase=search published={total} index_seconds={indexed:.1} qps={search_qps:.0} p50={} p90={} p99={} mean_hits={}",
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0),
        found / args.queries.max(1)
    );
    Ok(found > 0)
}
