//! The mailboxes under load, in process (no HTTP): letters written by
//! signed-in writers (each the case opened with the letter and its audit
//! record in one transaction) against the case engine opening the same
//! process's cases alone, measured in the same run; then the public list
//! and search over `--published` published letters.
//!
//! ```sh
//! cargo run --release --example mailbox_load -- --database-url URL \
//!     [--seconds 10] [--concurrency 32] [--published 1000000] [--queries 2000]
//! ```
//!
//! Give it a fresh database. It migrates it and loads the demo
//! organisation, registers one writer, and runs for `--seconds` each:
//! letters written, then bare cases opened (the ceiling). Then it
//! bulk-inserts `--published` answered and published letters (plain SQL,
//! 1,000 a statement; subjects made of the city's districts and topics),
//! builds a node's search index of them (timed), and runs `--queries` list
//! pages (the first, or one of the first fifty) and `--queries` searches,
//! one after another. It prints lines starting `mailbox_load`.

mod common;

use clap::Parser;
use common::{engine_name, micros, ms, timed};
use egov_cases::acting::Acting;
use egov_cases::engine::{prepare, NewCase};
use egov_cases::opening::open;
use egov_mailbox::search::LetterSearch;
use egov_mailbox::NewLetter;
use egov_store::{query, DatabaseUrl, Db};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "letters written, and the public list and search of published letters")]
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

const DISTRICTS: [&str; 8] = [
    "东城区",
    "西城区",
    "朝阳区",
    "海淀区",
    "丰台区",
    "通州区",
    "昌平区",
    "大兴区",
];
const TOPICS: [(&str, &str); 10] = [
    ("公交线路调整", "早高峰车厢拥挤，建议增开大站快车"),
    ("夜间施工噪声", "工地晚上十一点后仍在施工，影响休息"),
    ("老旧小区加装电梯", "全楼同意加装电梯，申请后无人答复"),
    ("共享单车乱停放", "地铁站出口单车堵住盲道"),
    ("供暖温度不达标", "室温只有十六度，物业未解决"),
    ("垃圾分类投放", "小区分类垃圾桶不足，清运不及时"),
    ("路灯损坏", "小区门口路灯坏了两周，夜间出行不便"),
    ("停车收费", "路侧停车收费标准不清楚"),
    ("河道异味", "河边有异味，怀疑污水直排"),
    ("学校周边交通", "上下学时段校门口拥堵"),
];
const WORDS: [&str; 10] = [
    "公交",
    "施工噪声",
    "电梯",
    "单车",
    "供暖",
    "垃圾分类",
    "路灯",
    "停车",
    "河道",
    "学校",
];

fn main() -> std::process::ExitCode {
    common::main_with("mailbox_load", run(Args::parse()))
}

fn letter(i: usize) -> NewLetter {
    let (topic, detail) = TOPICS[i % TOPICS.len()];
    NewLetter {
        mailbox: "mayor".into(),
        category: "suggestion".into(),
        subject: format!("{}{topic}", DISTRICTS[i % DISTRICTS.len()]),
        body: format!("{detail}，请有关部门尽快处理。"),
        consent: true,
        ..NewLetter::default()
    }
}

async fn fill(db: &Db, n: usize) -> anyhow::Result<()> {
    let directory = egov_org::directory(db).await?;
    let office = directory
        .by_code("110000-BGT")
        .ok_or_else(|| anyhow::anyhow!("no 110000-BGT"))?
        .id;
    let answering: Vec<i64> = directory
        .departments(&Default::default())
        .filter(|d| d.kind == "municipal")
        .map(|d| d.id)
        .collect();
    let now = egov_kernel::time::now();
    const ROWS: usize = 1000;
    let mut k = 0;
    while k < n {
        let rows = ROWS.min(n - k);
        let cases = format!(
            "INSERT INTO cases (number, process_id, process_version, state, department_id, \
             assigned_department_id, co_departments, data, version, state_entered_at, \
             created_at, closed_at, title) VALUES {} RETURNING id",
            egov_store::values(rows, 13)
        );
        let mut q = query(cases);
        for i in k..k + rows {
            let l = letter(i);
            q = q
                .bind(format!("M{:010}", i))
                .bind(egov_mailbox::PROCESS)
                .bind(1i32)
                .bind("answered")
                .bind(office)
                .bind(answering[i % answering.len()])
                .bind("[]")
                .bind(serde_json::json!({ "subject": l.subject }).to_string())
                .bind(3i64)
                .bind(now)
                .bind(now)
                .bind(now)
                .bind(l.subject);
        }
        let (first, last) = (k, k + rows);
        db.write(move |tx| {
            Box::pin(async move {
                let ids: Vec<(i64,)> = tx.fetch_all(q).await?;
                let sql = format!(
                    "INSERT INTO mailbox_letters (case_id, mailbox, department_id, category, \
                     subject, body, contact, consent, written_at, published_at, \
                     published_subject, published_body, published_answer) VALUES {}",
                    egov_store::values(ids.len(), 13)
                );
                let mut q = query(sql);
                for ((id,), i) in ids.iter().zip(first..last) {
                    let l = letter(i);
                    q = q
                        .bind(*id)
                        .bind("mayor")
                        .bind(office)
                        .bind("suggestion")
                        .bind(l.subject.clone())
                        .bind(l.body.clone())
                        .bind("{}")
                        .bind(true)
                        .bind(now)
                        .bind(now)
                        .bind(l.subject)
                        .bind(l.body)
                        .bind("感谢您的来信，已转有关部门办理，将于本月内完成整改。");
                }
                let n = tx.execute(q).await?;
                tx.execute(
                    query("UPDATE mailbox_totals SET published = published + $1 WHERE id = 1")
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
    let writer = egov_identity::register_citizen(
        &db,
        &ctx,
        egov_identity::CitizenRegistration {
            username: "letter.writer".into(),
            real_name: "写信人".into(),
            resident_id: egov_kernel::identifier::ResidentId::parse("11010519491231002X")?,
            phone: egov_kernel::identifier::MobileNumber::parse("13800138000")?,
            password: String::from("Chang-Cheng-Wan-Li-9").into(),
        },
    )
    .await?;
    let user_id = writer
        .user_id
        .ok_or_else(|| anyhow::anyhow!("the writer was not registered"))?;
    let processes = Arc::new(egov_cases::Processes::default());
    let calendars = Arc::new(egov_calendar::CalendarCache::default());

    // Letters written, as a signed-in writer's are.
    let (n, took) = {
        let (db, processes, calendars) = (db.clone(), processes.clone(), calendars.clone());
        let i = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        timed(args.concurrency, args.seconds, move || {
            let (db, processes, i) = (db.clone(), processes.clone(), i.clone());
            let calendars = calendars.clone();
            async move {
                let k = i.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                egov_mailbox::writing::write_signed_in(
                    &db,
                    &egov_kernel::Context::system(),
                    &processes,
                    &calendars,
                    user_id,
                    letter(k),
                )
                .await?;
                Ok(())
            }
        })
        .await?
    };
    let letters_per_s = n as f64 / args.seconds as f64;
    println!(
        "mailbox_load engine={engine} phase=letters concurrency={} rate={letters_per_s:.0} p50={} p90={} p99={}",
        args.concurrency,
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0)
    );

    // The ceiling: the case engine opening the same process's cases alone.
    let calendar = egov_calendar::load_calendar(&db).await?;
    let def = processes.latest(&db, egov_mailbox::PROCESS).await?;
    let office = egov_org::department(&db, "110000-BGT").await?.id;
    let (n, took) = {
        let db = db.clone();
        let (calendar, def) = (Arc::new(calendar), def.clone());
        timed(args.concurrency, args.seconds, move || {
            let (db, calendar, def) = (db.clone(), calendar.clone(), def.clone());
            async move {
                let mut new = NewCase::new(&def, office, "建议增开公交大站快车");
                new.applicant_id = Some(user_id);
                new.data = serde_json::json!({
                    "mailbox": "市长信箱", "category": "建议", "subject": "建议增开公交大站快车",
                    "body": "早高峰车厢拥挤，建议增开大站快车。",
                });
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
        "mailbox_load engine={engine} phase=cases concurrency={} rate={cases_per_s:.0} p50={} p90={} p99={} letters_share={:.2}",
        args.concurrency,
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0),
        letters_per_s / cases_per_s.max(1.0)
    );

    // The public list and search over the published letters.
    let began = Instant::now();
    fill(&db, args.published).await?;
    let filled = began.elapsed().as_secs_f64();
    let search = LetterSearch::new(egov_search::SearchIndex::in_memory()?);
    let began = Instant::now();
    search.catch_up(&db).await?;
    let indexed = began.elapsed().as_secs_f64();
    let mut took = Vec::with_capacity(args.queries);
    let all = Instant::now();
    let mut total = 0;
    for i in 0..args.queries {
        let offset = if i % 2 == 0 { 0 } else { (i as i64 % 50) * 20 };
        let t = Instant::now();
        let (page, n) = egov_mailbox::reading::published(&db, offset, 20).await?;
        took.push(micros(t.elapsed()));
        total = n;
        anyhow::ensure!(page.len() == 20, "a page of {} letters", page.len());
    }
    let list_qps = args.queries as f64 / all.elapsed().as_secs_f64();
    took.sort_unstable();
    println!(
        "mailbox_load engine={engine} phase=list published={total} fill_seconds={filled:.1} qps={list_qps:.0} p50={} p90={} p99={}",
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0)
    );
    let mut took = Vec::with_capacity(args.queries);
    let all = Instant::now();
    let mut found = 0usize;
    for i in 0..args.queries {
        let t = Instant::now();
        let (numbers, n) = search.search(&db, WORDS[i % WORDS.len()], 0, 20).await?;
        let letters = egov_mailbox::reading::published_numbered(&db, &numbers).await?;
        took.push(micros(t.elapsed()));
        found += n;
        anyhow::ensure!(letters.len() == numbers.len(), "a hit not read back");
    }
    let search_qps = args.queries as f64 / all.elapsed().as_secs_f64();
    took.sort_unstable();
    println!(
        "mailbox_load engine={engine} phase=search published={total} index_seconds={indexed:.1} qps={search_qps:.0} p50={} p90={} p99={} mean_hits={}",
        ms(&took, 50.0),
        ms(&took, 90.0),
        ms(&took, 99.0),
        found / args.queries.max(1)
    );
    Ok(found > 0)
}
