//! Search benchmark: builds an on-disk index of synthetic service-like
//! documents, then times single-threaded queries.
//!
//! Pinned to one core (build first, so the compiler is not pinned too):
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-search cargo build --release -p egov-search --example search_bench
//! taskset -c 0 /work/target-search/release/examples/search_bench --docs 100000 --queries 2000 --dir /tmp/egov-search-100k
//! taskset -c 0 /work/target-search/release/examples/search_bench --docs 1000000 --queries 2000 --dir /tmp/egov-search-1m
//! ```
//!
//! or `taskset -c 0 cargo run --release -p egov-search --example search_bench -- --docs 100000 ...`.
//! Options: `--docs N` (100000), `--queries M` (2000), `--dir PATH` (a
//! directory under the system temp dir; its index is replaced), `--reuse`
//! (search an index already built in `--dir` with the same `--docs`),
//! `--seed S`, `--show TEXT` (print the first hits of a query; repeatable). Documents and queries are generated from a fixed seed, so
//! runs are comparable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egov_search::{Document, Query, SearchIndex, Synonyms};

/// Districts of Beijing, with a code for department facet values.
const AREAS: &[(&str, &str)] = &[
    ("东城区", "110101"),
    ("西城区", "110102"),
    ("朝阳区", "110105"),
    ("丰台区", "110106"),
    ("石景山区", "110107"),
    ("海淀区", "110108"),
    ("门头沟区", "110109"),
    ("房山区", "110111"),
    ("通州区", "110112"),
    ("顺义区", "110113"),
    ("昌平区", "110114"),
    ("大兴区", "110115"),
    ("怀柔区", "110116"),
    ("平谷区", "110117"),
    ("密云区", "110118"),
    ("延庆区", "110119"),
];

const DEPARTMENTS: &[(&str, &str)] = &[
    ("市场监督管理局", "SCJGJ"),
    ("公安分局", "GAFJ"),
    ("民政局", "MZJ"),
    ("人力资源和社会保障局", "RSJ"),
    ("住房和城乡建设委员会", "ZJW"),
    ("卫生健康委员会", "WJW"),
    ("税务局", "SWJ"),
    ("规划和自然资源分局", "GHZRZY"),
    ("生态环境局", "STHJJ"),
    ("交通委员会", "JTW"),
    ("教育委员会", "JW"),
    ("文化和旅游局", "WHLYJ"),
    ("农业农村局", "NYNCJ"),
    ("水务局", "SWUJ"),
    ("城市管理委员会", "CGW"),
    ("司法局", "SFJ"),
    ("医疗保障局", "YBJ"),
    ("退役军人事务局", "TYJRJ"),
    ("应急管理局", "YJGLJ"),
    ("商务局", "SWUJU"),
    ("财政局", "CZJ"),
    ("体育局", "TYJ"),
    ("园林绿化局", "YLLHJ"),
    ("消防救援支队", "XFZD"),
    ("住房公积金管理中心分中心", "GJJ"),
    ("残疾人联合会", "CLH"),
    ("发展和改革委员会", "FGW"),
    ("经济和信息化局", "JXJ"),
    ("人民防空办公室", "RFB"),
    ("档案馆", "DAG"),
];

/// What a service is about.
const OBJECTS: &[&str] = &[
    "营业执照",
    "社会保险",
    "公积金",
    "住房公积金",
    "户口",
    "出生",
    "结婚",
    "离婚",
    "建设工程",
    "食品经营",
    "食品生产",
    "药品经营",
    "医疗器械",
    "道路运输",
    "机动车",
    "驾驶证",
    "居民身份证",
    "居住证",
    "护照",
    "港澳通行证",
    "不动产",
    "房屋",
    "土地使用权",
    "林木采伐",
    "排污许可",
    "取水",
    "危险化学品",
    "烟花爆竹",
    "特种设备",
    "建筑施工",
    "消防",
    "人防工程",
    "城市道路",
    "占道施工",
    "户外广告",
    "养老保险",
    "医疗保险",
    "失业保险",
    "工伤保险",
    "生育保险",
    "最低生活保障",
    "残疾人证",
    "退役军人",
    "优抚对象",
    "殡葬",
    "无偿献血",
    "预防接种",
    "出生医学证明",
    "母婴保健",
    "婚姻",
    "收养",
    "慈善组织",
    "社会团体",
    "民办非企业单位",
    "基金会",
    "宗教活动场所",
    "文物保护",
    "出版物",
    "网络文化",
    "娱乐场所",
    "旅行社",
    "导游证",
    "教师资格",
    "学历认证",
    "学籍",
    "助学贷款",
    "职业资格",
    "职业技能等级",
    "人才引进",
    "就业创业",
    "劳动合同",
    "工资支付",
    "社会保障卡",
    "异地就医",
    "个人所得税",
    "增值税",
    "发票",
    "纳税信用",
    "进出口",
    "外商投资",
    "专利",
    "商标",
    "计量器具",
    "产品质量",
    "广告",
    "农药经营",
    "兽药经营",
    "农作物种子",
    "饲料",
    "动物防疫",
    "渔业捕捞",
    "农业机械",
    "宅基地",
    "水土保持",
    "气象",
    "测绘",
    "环境影响评价",
    "排水",
    "燃气经营",
    "供热",
    "供水",
    "电力设施",
    "通信管线",
    "公交线路",
    "出租汽车",
    "网约车",
    "停车场",
    "物业服务",
    "保障性住房",
    "公共租赁住房",
    "棚户区改造",
    "房屋租赁",
    "商品房预售",
    "存量房买卖",
    "契税",
    "个体工商户",
    "企业设立",
    "分支机构",
    "股权出质",
    "企业清算",
    "法律援助",
    "公证",
    "司法鉴定",
    "律师执业",
    "人民调解",
    "劳动人事争议仲裁",
    "户籍",
    "临时居民身份证",
    "无犯罪记录",
    "出入境",
    "签证",
    "枪支",
    "保安服务",
    "剧毒化学品",
    "爆破作业",
    "大型群众性活动",
    "校外培训机构",
    "幼儿园",
    "义务教育入学",
    "高龄津贴",
    "养老服务机构",
    "医疗机构执业",
    "医师执业",
    "护士执业",
    "放射诊疗",
    "公共场所卫生",
    "生活饮用水",
    "职业病诊断",
    "传染病",
    "犬只",
    "车辆购置税",
    "印花税",
    "房产税",
    "城镇土地使用税",
];

/// What is done about it.
const ACTIONS: &[&str] = &[
    "登记",
    "许可",
    "备案",
    "证明",
    "核发",
    "变更",
    "注销",
    "延续",
    "补办",
    "换发",
    "审批",
    "审核",
    "申报",
    "查询",
    "认定",
    "确认",
    "迁移",
    "撤销",
    "核准",
    "转移",
    "缴存",
    "提取",
    "领取",
    "发放",
    "鉴定",
    "评估",
    "验收",
    "复核",
    "年度报告",
    "设立登记",
    "变更登记",
    "注销登记",
    "首次申领",
    "遗失补领",
    "信息变更",
    "资格认定",
    "待遇申领",
    "关系转移接续",
    "费用报销",
    "补贴申领",
    "证明开具",
    "档案查询",
    "预约",
    "咨询",
    "投诉",
    "检查",
];

const MODIFIERS: &[&str] = &[
    "个人",
    "企业",
    "法人",
    "外国人",
    "港澳台居民",
    "新生儿",
    "老年人",
    "残疾人",
    "农村",
    "城镇",
    "跨省",
    "异地",
    "首次",
    "年度",
    "临时",
    "一次性",
    "网上",
    "灵活就业人员",
    "高校毕业生",
    "小微企业",
];

const LIFE_EVENTS: &[&str] = &[
    "出生",
    "上学",
    "就业",
    "结婚",
    "生育",
    "置业",
    "出行",
    "就医",
    "退休",
    "养老",
    "身后",
    "开办企业",
    "经营",
    "纳税",
    "变更",
    "注销",
];

const MATERIALS: &[&str] = &[
    "居民身份证",
    "户口簿",
    "营业执照副本",
    "申请表",
    "授权委托书",
    "结婚证",
    "出生医学证明",
    "房屋所有权证",
    "劳动合同",
    "社会保障卡",
    "不动产权证书",
    "法定代表人身份证明",
    "场所使用证明",
    "健康证明",
    "学历证书",
    "工作证明",
];

/// splitmix64: enough randomness for synthetic data, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn document(rng: &mut Rng, i: usize) -> Document {
    let (area, area_code) = *rng.pick(AREAS);
    let (dept, dept_code) = *rng.pick(DEPARTMENTS);
    let object = *rng.pick(OBJECTS);
    let action = *rng.pick(ACTIONS);
    let mut title = String::new();
    if rng.chance(30) {
        title.push_str(area);
    }
    if rng.chance(25) {
        title.push_str(rng.pick::<&str>(MODIFIERS));
    }
    title.push_str(object);
    title.push_str(action);
    if rng.chance(15) {
        title.push('（');
        title.push_str(rng.pick::<&str>(ACTIONS));
        title.push('）');
    }
    let keywords = (0..1 + rng.below(3))
        .map(|_| {
            if rng.chance(50) {
                format!("{}{}", rng.pick(OBJECTS), rng.pick(ACTIONS))
            } else {
                (*rng.pick(OBJECTS)).to_owned()
            }
        })
        .collect();
    let mut body = String::new();
    while body.chars().count() < 200 {
        match rng.below(5) {
            0 => body.push_str(&format!(
                "申请人应当向{area}{dept}提出{object}{action}申请，并提交{}、{}等材料。",
                rng.pick(MATERIALS),
                rng.pick(MATERIALS)
            )),
            1 => body.push_str(&format!(
                "{dept}自受理之日起{}个工作日内作出{}决定，符合条件的予以{}。",
                1 + rng.below(20),
                rng.pick(ACTIONS),
                rng.pick(ACTIONS)
            )),
            2 => body.push_str(&format!(
                "办理地点：{area}政务服务中心{}号窗口，也可通过网上办事大厅在线办理{}{}。",
                1 + rng.below(60),
                rng.pick(OBJECTS),
                rng.pick(ACTIONS)
            )),
            3 => body.push_str(&format!(
                "涉及{}{}的，还需同时办理{}{}。",
                rng.pick(OBJECTS),
                rng.pick(ACTIONS),
                rng.pick(OBJECTS),
                rng.pick(ACTIONS)
            )),
            _ => body.push_str(&format!(
                "本事项面向{}，不收费，咨询电话12345。",
                rng.pick(MODIFIERS)
            )),
        }
    }
    let mut facets = vec![
        ("department".to_owned(), format!("{area_code}-{dept_code}")),
        (
            "audience".to_owned(),
            (*rng.pick(&["个人", "个人", "法人"])).to_owned(),
        ),
    ];
    for _ in 0..rng.below(3) {
        facets.push(("life_event".to_owned(), (*rng.pick(LIFE_EVENTS)).to_owned()));
    }
    Document {
        id: format!("service:{i}"),
        kind: "service".into(),
        title,
        keywords,
        body,
        facets,
    }
}

/// A query and the class it is reported under.
fn query(rng: &mut Rng) -> (&'static str, Query) {
    let (class, text) = match rng.below(10) {
        0..=2 => ("1-word", rng.pick(OBJECTS).to_string()),
        3 => ("1-word", rng.pick(ACTIONS).to_string()),
        4..=5 => (
            "2-word",
            if rng.chance(50) {
                format!("{}{}", rng.pick(OBJECTS), rng.pick(ACTIONS))
            } else {
                format!("{} {}", rng.pick(OBJECTS), rng.pick(ACTIONS))
            },
        ),
        6..=7 => (
            "3-word",
            if rng.chance(50) {
                format!(
                    "{}{}{}",
                    rng.pick(AREAS).0,
                    rng.pick(OBJECTS),
                    rng.pick(ACTIONS)
                )
            } else {
                format!(
                    "{} {} {}",
                    rng.pick(MODIFIERS),
                    rng.pick(OBJECTS),
                    rng.pick(ACTIONS)
                )
            },
        ),
        _ => {
            // A fragment of a word: its first two characters or a middle pair.
            let word: Vec<char> = rng.pick(OBJECTS).chars().collect();
            let start = if word.len() > 2 {
                rng.below(word.len() - 1)
            } else {
                0
            };
            (
                "partial",
                word[start..(start + 2).min(word.len())].iter().collect(),
            )
        }
    };
    let mut q = Query::new(text).kind("service");
    let mut class = class.to_owned();
    if rng.chance(25) {
        q = match rng.below(3) {
            0 => q.filter("audience", *rng.pick(&["个人", "法人"])),
            1 => q.filter("life_event", *rng.pick(LIFE_EVENTS)),
            _ => {
                let (_, area) = rng.pick(AREAS);
                let (_, dept) = rng.pick(DEPARTMENTS);
                q.filter("department", format!("{area}-{dept}"))
            }
        };
        class.push_str("+filter");
    }
    if rng.chance(30) {
        q = q.facet("department").facet("audience").facet("life_event");
        class.push_str("+facets");
    }
    (Box::leak(class.into_boxed_str()), q)
}

struct Args {
    docs: usize,
    queries: usize,
    dir: PathBuf,
    reuse: bool,
    seed: u64,
    show: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        docs: 100_000,
        queries: 2_000,
        dir: std::env::temp_dir().join("egov-search-bench"),
        reuse: false,
        seed: 20_240_601,
        show: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--docs" => a.docs = value().parse().expect("--docs N"),
            "--queries" => a.queries = value().parse().expect("--queries M"),
            "--dir" => a.dir = PathBuf::from(value()),
            "--seed" => a.seed = value().parse().expect("--seed S"),
            "--reuse" => a.reuse = true,
            "--show" => a.show.push(value()),
            other => {
                panic!("unknown argument {other}; see the comment at the top of search_bench.rs")
            }
        }
    }
    a
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "egov-search bench: {} docs, {} queries, dir {}, {} core(s) available",
        a.docs,
        a.queries,
        a.dir.display(),
        cores
    );

    if !a.reuse && a.dir.exists() {
        std::fs::remove_dir_all(&a.dir)?;
    }
    let started = Instant::now();
    let index = SearchIndex::open(&a.dir)?;
    println!(
        "open: {:.0} ms (includes loading the jieba dictionary)",
        ms(started.elapsed())
    );
    if a.reuse && index.len() == a.docs as u64 {
        println!("reusing the index in {}", a.dir.display());
    } else {
        let mut rng = Rng(a.seed);
        let started = Instant::now();
        let n = index.rebuild((0..a.docs).map(|i| document(&mut rng, i)))?;
        let took = started.elapsed();
        println!(
            "build: {n} docs in {:.1} s ({:.0} docs/s), merged into one segment",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    }
    println!(
        "index size: {:.1} MiB",
        dir_size(&a.dir) as f64 / (1 << 20) as f64
    );
    index.set_synonyms(Synonyms::parse(
        "营业执照, 个体工商户登记, 企业设立登记\n户口 户籍\n身份证 居民身份证\n社保 社会保险\n",
    )?);

    let mut rng = Rng(a.seed ^ 0x5EA2C4);
    let queries: Vec<(&str, Query)> = (0..a.queries).map(|_| query(&mut rng)).collect();
    // Warm-up: page the index in and fill caches, as a running server has.
    for (_, q) in queries.iter().take(200) {
        index.search(q)?;
    }
    let mut all = Vec::with_capacity(queries.len());
    let mut by_class: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut slowest: Vec<(Duration, String, usize)> = Vec::new();
    let mut total_hits = 0usize;
    let run = Instant::now();
    for (class, q) in &queries {
        let t = Instant::now();
        let r = index.search(q)?;
        let took = t.elapsed();
        total_hits += r.total;
        all.push(took);
        by_class.entry(class).or_default().push(took);
        slowest.push((
            took,
            format!("{:?} {:?} {:?}", q.text, q.filters, q.facets.len()),
            r.total,
        ));
    }
    let wall = run.elapsed();
    all.sort();
    println!(
        "queries: {} in {:.2} s = {:.0} q/s; latency ms p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}; mean matches {:.0}",
        all.len(),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 90.0)),
        ms(percentile(&all, 99.0)),
        ms(*all.last().unwrap_or(&Duration::ZERO)),
        total_hits as f64 / all.len().max(1) as f64,
    );
    for (class, mut v) in by_class {
        v.sort();
        println!(
            "  {class:<22} n={:<5} p50 {:>6.2}  p99 {:>6.2}  max {:>6.2}",
            v.len(),
            ms(percentile(&v, 50.0)),
            ms(percentile(&v, 99.0)),
            ms(*v.last().unwrap_or(&Duration::ZERO))
        );
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!("slowest:");
    for (took, q, total) in slowest.iter().take(5) {
        println!("  {:>7.2} ms  {q}  ({total} matches)", ms(*took));
    }
    for text in &a.show {
        let r = index.search(&Query::new(text.as_str()).facet("audience").page(0, 10))?;
        println!(
            "{text:?}: {} matches, audience {:?}",
            r.total, r.facets["audience"]
        );
        for h in r.hits {
            println!("  {:>8.3}  {}  {}", h.score, h.id, h.title);
        }
    }
    Ok(())
}
