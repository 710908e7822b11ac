//! Behaviour of the index as a caller sees it.

use std::collections::BTreeMap;
use std::sync::Arc;

use egov_search::{Document, Query, SearchError, SearchIndex, Synonyms};

fn doc(id: &str, title: &str, body: &str) -> Document {
    Document {
        id: id.into(),
        kind: "service".into(),
        title: title.into(),
        keywords: Vec::new(),
        body: body.into(),
        facets: Vec::new(),
    }
}

fn with_facets(mut d: Document, facets: &[(&str, &str)]) -> Document {
    d.facets = facets
        .iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect();
    d
}

fn index(docs: &[Document]) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(docs).unwrap();
    index
}

fn ids(index: &SearchIndex, q: &Query) -> Vec<String> {
    index
        .search(q)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn find(index: &SearchIndex, text: &str) -> Vec<String> {
    ids(index, &Query::new(text))
}

#[test]
fn partial_words_match() {
    let index = index(&[
        doc("yyzz", "营业执照办理", "向市场监督管理局申请。"),
        doc("gtgs", "个体工商户登记", "经营者申请登记。"),
        doc("swdj", "税务登记", "纳税人办理。"),
        doc("zzbl", "执照办理须知", "说明。"),
    ]);
    // Sub-words that jieba's search mode indexes.
    assert_eq!(find(&index, "营业"), ["yyzz"]);
    assert_eq!(find(&index, "个体"), ["gtgs"]);
    assert_eq!(find(&index, "工商"), ["gtgs"]);
    // Fragments that are no word of the title's segmentation: the
    // character gram field finds them.
    assert_eq!(find(&index, "业执"), ["yyzz"]);
    assert_eq!(find(&index, "商户登"), ["gtgs"]);
    assert_eq!(find(&index, "税"), ["swdj"]);
    // A whole query word across a word boundary of the title.
    let mut hits = find(&index, "照办");
    hits.sort();
    assert_eq!(hits, ["yyzz", "zzbl"]);
}

#[test]
fn whole_words_rank_above_partial_matches() {
    let index = index(&[
        doc("partial", "执照办理", "说明"),
        doc("whole", "照办流程", "说明"),
    ]);
    assert_eq!(find(&index, "照办"), ["whole", "partial"]);
}

#[test]
fn synonyms_expand_the_query() {
    let index = index(&[
        doc("gtgs", "个体工商户登记", "经营者向登记机关申请登记。"),
        doc(
            "yyzz",
            "营业执照遗失补办",
            "营业执照遗失的，申请补领营业执照。",
        ),
        doc("hk", "户口迁移", "迁移户口。"),
    ]);
    assert_eq!(find(&index, "营业执照"), ["yyzz"]);

    index.set_synonyms(
        Synonyms::parse("# 登记类\n营业执照, 个体工商户登记, 企业设立登记\n户籍 户口\n").unwrap(),
    );
    // The document that says 营业执照 ranks above the one found through
    // the synonym.
    assert_eq!(find(&index, "营业执照"), ["yyzz", "gtgs"]);
    // Both ways, and for a multi-word term.
    assert!(find(&index, "个体工商户登记").contains(&"yyzz".to_owned()));
    assert_eq!(find(&index, "户籍"), ["hk"]);
    // Replacing the list takes effect at once.
    index.set_synonyms(Synonyms::default());
    assert_eq!(find(&index, "营业执照"), ["yyzz"]);
}

#[test]
fn synonym_errors_name_the_line() {
    let err = Synonyms::parse("营业执照, 个体工商户登记\n\n身份证\n").unwrap_err();
    assert!(matches!(err, SearchError::Synonyms { line: 3, .. }));
    assert!(err.to_string().contains("line 3"), "{err}");
}

fn facet_corpus() -> SearchIndex {
    index(&[
        with_facets(
            doc("a", "出生医学证明办理", "新生儿出生证明。"),
            &[
                ("department", "WJW"),
                ("audience", "个人"),
                ("life_event", "出生"),
            ],
        ),
        with_facets(
            doc("b", "出生登记", "新生儿户口登记。"),
            &[
                ("department", "GAJ"),
                ("audience", "个人"),
                ("life_event", "出生"),
                ("life_event", "户籍"),
            ],
        ),
        with_facets(
            doc("c", "企业登记", "企业设立登记。"),
            &[("department", "SCJGJ"), ("audience", "法人")],
        ),
        with_facets(
            doc("d", "个体工商户登记", "个体登记。"),
            &[
                ("department", "SCJGJ"),
                ("audience", "个人"),
                ("audience", "法人"),
            ],
        ),
        Document {
            kind: "dataset".into(),
            ..with_facets(
                doc("e", "企业登记信息数据集", "登记数据。"),
                &[("department", "SCJGJ")],
            )
        },
    ])
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn filters_and_facets() {
    let index = facet_corpus();
    // AND across fields, OR within one.
    let q = Query::new("登记").filter("audience", "个人");
    assert_eq!(sorted(ids(&index, &q)), ["b", "d"]);
    let q = Query::new("登记")
        .filter("audience", "个人")
        .filter("audience", "法人");
    assert_eq!(sorted(ids(&index, &q)), ["b", "c", "d"]);
    let q = Query::new("登记")
        .filter("audience", "法人")
        .filter("department", "SCJGJ");
    assert_eq!(sorted(ids(&index, &q)), ["c", "d"]);
    // Kind.
    assert_eq!(ids(&index, &Query::new("数据").kind("dataset")), ["e"]);
    assert_eq!(
        sorted(ids(&index, &Query::new("企业").kind("service"))),
        ["c"]
    );

    // Counts are over all matches, not the page; most frequent first.
    let r = index
        .search(
            &Query::new("登记")
                .facet("department")
                .facet("audience")
                .page(0, 1),
        )
        .unwrap();
    assert_eq!(r.total, 4);
    assert_eq!(r.hits.len(), 1);
    let expected: BTreeMap<String, Vec<(String, u64)>> = [
        (
            "department".to_owned(),
            vec![("SCJGJ".to_owned(), 3), ("GAJ".to_owned(), 1)],
        ),
        (
            "audience".to_owned(),
            vec![("个人".to_owned(), 2), ("法人".to_owned(), 2)],
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(r.facets, expected);

    // Browse by facet: empty text, a filter, the life events of 出生.
    let r = index
        .search(
            &Query::new("")
                .filter("life_event", "出生")
                .facet("life_event")
                .facet("none"),
        )
        .unwrap();
    assert_eq!(r.total, 2);
    assert_eq!(
        r.facets["life_event"],
        [("出生".to_owned(), 2), ("户籍".to_owned(), 1)]
    );
    assert_eq!(r.facets["none"], []);
}

#[test]
fn empty_text_browses_by_title() {
    let index = facet_corpus();
    let all = index.search(&Query::new("")).unwrap();
    assert_eq!(all.total, 5);
    let titles: Vec<&str> = all.hits.iter().map(|h| h.title.as_str()).collect();
    let mut by_title = titles.clone();
    by_title.sort();
    assert_eq!(titles, by_title);
    assert!(all.hits.iter().all(|h| h.score == 0.0));

    // Paging walks the same order.
    let page = index.search(&Query::new("  ，").page(2, 2)).unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(
        page.hits
            .iter()
            .map(|h| h.title.as_str())
            .collect::<Vec<_>>(),
        titles[2..4]
    );

    let r = index
        .search(&Query::new("").kind("service").filter("department", "SCJGJ"))
        .unwrap();
    assert_eq!(
        sorted(r.hits.into_iter().map(|h| h.id).collect()),
        ["c", "d"]
    );
}

#[test]
fn upsert_replaces_by_id() {
    let index = index(&[
        doc("1", "结婚登记", "婚姻登记机关。"),
        doc("2", "离婚登记", ""),
    ]);
    index
        .upsert(&[doc("1", "出生医学证明", "医院签发。")])
        .unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(find(&index, "结婚"), Vec::<String>::new());
    assert_eq!(find(&index, "出生"), ["1"]);
    let hit = &index.search(&Query::new("出生")).unwrap().hits[0];
    assert_eq!(
        (hit.kind.as_str(), hit.title.as_str()),
        ("service", "出生医学证明")
    );

    // Within one batch the last document of an id wins.
    index
        .upsert(&[doc("3", "户口迁移", ""), doc("3", "户口注销", "")])
        .unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(find(&index, "注销"), ["3"]);
    assert_eq!(find(&index, "迁移"), Vec::<String>::new());
}

#[test]
fn invalid_documents_write_nothing() {
    let index = index(&[]);
    let err = index
        .upsert(&[doc("ok", "结婚登记", ""), doc("", "无编号", "")])
        .unwrap_err();
    assert!(matches!(err, SearchError::InvalidDocument { .. }), "{err}");
    let bad_facet = with_facets(doc("f", "登记", ""), &[("audience", "")]);
    assert!(index.upsert(&[bad_facet]).is_err());
    assert_eq!(index.len(), 0);
}

#[test]
fn delete_removes() {
    let index = index(&[doc("1", "结婚登记", ""), doc("2", "离婚登记", "")]);
    index.delete(&["1", "nonexistent"]).unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(find(&index, "登记"), ["2"]);
}

#[test]
fn rebuild_replaces_everything() {
    let index = index(&[doc("old", "结婚登记", "")]);
    for round in 0..2 {
        let n = index
            .rebuild((0..30).map(|i| doc(&format!("new{i}"), &format!("出生登记{i}"), "")))
            .unwrap();
        assert_eq!(n, 30, "round {round}");
        assert_eq!(index.len(), 30);
    }
    assert_eq!(find(&index, "结婚"), Vec::<String>::new());
    assert_eq!(index.search(&Query::new("出生")).unwrap().total, 30);
    // A repeated id: the last one wins.
    let n = index
        .rebuild([doc("1", "结婚登记", ""), doc("1", "离婚登记", "")])
        .unwrap();
    assert_eq!((n, find(&index, "离婚")), (1, vec!["1".to_owned()]));
    index
        .rebuild((0..30).map(|i| doc(&format!("new{i}"), &format!("出生登记{i}"), "")))
        .unwrap();

    // An invalid document keeps the previous content.
    let err = index
        .rebuild([doc("x", "户口迁移", ""), doc("", "", "")])
        .unwrap_err();
    assert!(matches!(err, SearchError::InvalidDocument { .. }));
    assert_eq!(index.len(), 30);
    assert_eq!(find(&index, "户口"), Vec::<String>::new());
    // And the index still takes writes.
    index.upsert(&[doc("y", "户口迁移", "")]).unwrap();
    assert_eq!(find(&index, "户口"), ["y"]);
}

#[test]
fn ranking_title_over_keywords_over_body_exact_title_first() {
    let mut kw = doc("keywords", "住房贷款", "申请条件。");
    kw.keywords = vec!["公积金".into()];
    let index = index(&[
        doc(
            "body",
            "住房贷款申请",
            "缴存住房公积金满一年的职工可以申请。",
        ),
        kw,
        doc("title", "住房公积金提取", "申请条件。"),
        doc(
            "exact",
            "公积金",
            "缴存、提取、贷款的综合说明，公积金公积金。",
        ),
    ]);
    assert_eq!(
        find(&index, "公积金"),
        ["exact", "title", "keywords", "body"]
    );
    // Exact title ignores spacing and punctuation.
    assert_eq!(find(&index, "住房 公积金，提取")[0], "title");
}

#[test]
fn stray_words_do_not_empty_the_result() {
    let index = index(&[
        doc("yyzz", "营业执照办理", "申请材料：身份证明。"),
        doc("hk", "户口迁移", "申请材料：户口簿。"),
    ]);
    assert_eq!(find(&index, "如何办理营业执照"), ["yyzz"]);
    assert_eq!(find(&index, "营业执照 qwzx"), ["yyzz"]);
    assert_eq!(find(&index, "qwzx"), Vec::<String>::new());
    // Every known word must match; when no document has them all, those
    // with some come back, marked partial, the ones with most first.
    let all = index.search(&Query::new("营业执照办理")).unwrap();
    assert!(!all.partial);
    let some = index.search(&Query::new("营业执照 户口")).unwrap();
    assert!(some.partial);
    assert_eq!(some.total, 2);
    let index3 = self::index(&[
        doc("one", "户口迁移", ""),
        doc("two", "户口迁移 集体户", "海淀区"),
        doc("none", "营业执照", ""),
    ]);
    let mixed = index3.search(&Query::new("户口 海淀 营业执照")).unwrap();
    assert!(mixed.partial);
    assert_eq!(mixed.total, 3);
    assert_eq!(mixed.hits[0].id, "two", "two of the three words first");
    // ASCII is case-insensitive, full width or not.
    let index2 = self::index(&[doc("ic", "ＩＣ卡补办", "")]);
    assert_eq!(find(&index2, "ic卡"), ["ic"]);
}

#[test]
fn query_limits() {
    let index = index(&[doc("1", "结婚登记", "")]);
    assert!(matches!(
        index.search(&Query::new("登记").page(0, 1001)),
        Err(SearchError::InvalidQuery(_))
    ));
    assert!(index.search(&Query::new("登记").page(9_990, 20)).is_err());
    let r = index.search(&Query::new("登记").page(0, 0)).unwrap();
    assert_eq!((r.total, r.hits.len()), (1, 0));
    // The same facet twice is counted once, not a panic.
    let r = index
        .search(&Query::new("登记").facet("a").facet("a"))
        .unwrap();
    assert_eq!(r.facets.len(), 1);
}

#[test]
fn on_disk_index_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        index
            .upsert(&[with_facets(
                doc("1", "结婚登记", "婚姻登记。"),
                &[("audience", "个人")],
            )])
            .unwrap();
        // One index per directory: the writer lock refuses a second.
        let err = SearchIndex::open(dir.path()).unwrap_err();
        assert!(matches!(err, SearchError::Open { .. }), "{err}");
    }
    assert!(dir.path().join("v1").join("meta.json").exists());
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.len(), 1);
    let r = index
        .search(&Query::new("结婚").filter("audience", "个人"))
        .unwrap();
    assert_eq!(r.hits[0].id, "1");
    index.delete(&["1"]).unwrap();
    drop(index);
    assert_eq!(SearchIndex::open(dir.path()).unwrap().len(), 0);
}

#[test]
fn concurrent_searches_during_writes() {
    let index = Arc::new(index(&[doc("0", "出生登记", "")]));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let index = Arc::clone(&index);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let r = index.search(&Query::new("登记")).unwrap();
                    assert!(r.total >= 1);
                }
            })
        })
        .collect();
    for i in 1..=10 {
        index
            .upsert(&[doc(&i.to_string(), &format!("结婚登记{i}"), "")])
            .unwrap();
        assert_eq!(index.len(), i + 1);
    }
    for r in readers {
        r.join().unwrap();
    }
}

#[test]
fn facets_count_across_segments_and_once_per_document() {
    let index = index(&[with_facets(
        doc("1", "结婚登记", ""),
        &[
            ("audience", "个人"),
            ("audience", "个人"),
            ("department", "MZJ"),
        ],
    )]);
    // A second commit makes a second segment.
    index
        .upsert(&[
            with_facets(doc("2", "离婚登记", ""), &[("audience", "个人")]),
            with_facets(doc("3", "收养登记", ""), &[("audience", "个人/家庭")]),
        ])
        .unwrap();
    let r = index
        .search(&Query::new("登记").facet("audience").facet("department"))
        .unwrap();
    assert_eq!(r.total, 3);
    assert_eq!(
        r.facets["audience"],
        [("个人".to_owned(), 2), ("个人/家庭".to_owned(), 1)]
    );
    assert_eq!(r.facets["department"], [("MZJ".to_owned(), 1)]);
    // A value with a slash filters like any other.
    let q = Query::new("").filter("audience", "个人/家庭");
    assert_eq!(ids(&index, &q), ["3"]);
}

#[test]
fn boilerplate_body_words_match_titles_only() {
    // 申请 is in every body; two titles have it.
    let mut docs: Vec<Document> = (0..1200)
        .map(|i| {
            doc(
                &format!("d{i}"),
                &format!("户口迁移{i}"),
                "请向窗口提交申请。",
            )
        })
        .collect();
    docs.push(doc("t1", "申请公租房", "请向窗口提交申请。"));
    docs.push(doc("t2", "高龄津贴申请", "请向窗口提交申请。"));
    // 工作日 is in every body and no title: bodies are all there is.
    for d in &mut docs {
        d.body.push_str("五个工作日内办结。");
    }
    let index = index(&docs);
    assert_eq!(sorted(find(&index, "申请")), ["t1", "t2"]);
    assert_eq!(index.search(&Query::new("工作日")).unwrap().total, 1202);
    // Below the threshold bodies count: 公租房 is in one title and
    // also in a few bodies.
    let mut extra = doc("b", "住房保障", "可申请公租房。");
    extra.body.push_str("五个工作日内办结。");
    index.upsert(&[extra]).unwrap();
    assert_eq!(sorted(find(&index, "公租房")), ["b", "t1"]);
}

#[test]
fn long_query_text_is_cut_short() {
    let index = index(&[doc("1", "结婚登记", "")]);
    let text = format!("结婚登记{}", "户口迁移".repeat(500));
    // Only the first words count; the rest never reach the index.
    assert_eq!(find(&index, &text), ["1"]);
}
