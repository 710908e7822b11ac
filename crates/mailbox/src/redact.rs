//! Personal data in letters to the mayor's mailbox (市长信箱): found, hidden
//! before publication, and checked for after a hand edit.
//!
//! [`find`] reports every resident ID number, phone number, e-mail address,
//! name and house-level address in a Chinese text; [`redact`] replaces each
//! with its kind's placeholder (`[电话]`, `[地址]`, ...). The same [`find`] is
//! the check run on a text someone has edited by hand: what it returns is what
//! still has to go before the letter can be published.
//!
//! Scanning is hand-written over characters. Full-width digits, letters and
//! punctuation are read as their ASCII forms, and every finding is a byte
//! range on character boundaries of the original text.
//!
//! Where a pattern is ambiguous the scan errs on the side of hiding: an
//! 18-digit run with a wrong check digit but a plausible area code and birth
//! date is still an ID number, a number after 电话 or 手机 is a phone number
//! whatever its shape, and findings that overlap are merged so that no part
//! of either is left showing. What it leaves alone is what letters discuss in
//! public all the time: districts and roads without a house number, dates,
//! amounts, document numbers (京政发〔2009〕12号) and service numbers such as
//! 12345.

use egov_kernel::identifier::resident_id_check;

/// A kind of personal data found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    IdNumber,
    Phone,
    Email,
    Name,
    Address,
}

impl Kind {
    /// Chinese label: 身份证号码, 电话号码, 电子邮箱, 姓名, 地址
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::IdNumber => "身份证号码",
            Kind::Phone => "电话号码",
            Kind::Email => "电子邮箱",
            Kind::Name => "姓名",
            Kind::Address => "地址",
        }
    }

    /// English label: ID number, phone number, e-mail address, name, address
    pub fn label_en(self) -> &'static str {
        match self {
            Kind::IdNumber => "ID number",
            Kind::Phone => "phone number",
            Kind::Email => "e-mail address",
            Kind::Name => "name",
            Kind::Address => "address",
        }
    }

    /// What replaces it in published text.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::IdNumber => "[身份证号]",
            Kind::Phone => "[电话]",
            Kind::Email => "[邮箱]",
            Kind::Name => "[姓名]",
            Kind::Address => "[地址]",
        }
    }
}

/// One finding: its kind and byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Personal data known to belong to the writer (their name, phone, e-mail,
/// address as given on the form), found wherever it appears, besides the
/// patterns found in any text.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub names: Vec<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub addresses: Vec<String>,
}

/// Every finding in `text`, in order, not overlapping (a longer finding wins).
///
/// Findings that overlap are merged into one that covers both, with the kind
/// of the longer, so that nothing of the shorter is left showing.
pub fn find(text: &str, known: &Known) -> Vec<Finding> {
    let (chars, offsets) = fold_text(text);
    let t = chars.as_slice();
    let mut spans = Vec::new();
    find_id_numbers(t, &mut spans);
    find_phone_numbers(t, &mut spans);
    find_phones_after_cues(t, &mut spans);
    find_known_phones(t, &known.phones, &mut spans);
    find_emails(t, &mut spans);
    find_known_texts(t, &known.emails, Kind::Email, &mut spans);
    find_known_texts(t, &known.names, Kind::Name, &mut spans);
    find_names_after_cues(t, &mut spans);
    find_known_texts(t, &known.addresses, Kind::Address, &mut spans);
    find_street_addresses(t, &mut spans);
    merge(spans)
        .into_iter()
        .map(|span| Finding {
            kind: span.kind,
            start: offsets[span.start],
            end: offsets[span.end],
        })
        .collect()
}

/// `text` with every finding replaced by its kind's placeholder.
pub fn redact(text: &str, known: &Known) -> String {
    let mut published = String::with_capacity(text.len());
    let mut copied_to = 0;
    for finding in find(text, known) {
        published.push_str(&text[copied_to..finding.start]);
        published.push_str(finding.kind.placeholder());
        copied_to = finding.end;
    }
    published.push_str(&text[copied_to..]);
    published
}

// ---------------------------------------------------------------------------
// Characters
// ---------------------------------------------------------------------------

/// A finding while scanning, as a range of character indices.
#[derive(Debug, Clone, Copy)]
struct Span {
    kind: Kind,
    start: usize,
    end: usize,
}

impl Span {
    fn new(kind: Kind, start: usize, end: usize) -> Self {
        Span { kind, start, end }
    }

    fn len(self) -> usize {
        self.end - self.start
    }
}

/// The text folded character by character, with the byte offset of each
/// character (and of the end), so scanning works on characters while the
/// findings land on char boundaries of the original.
fn fold_text(text: &str) -> (Vec<char>, Vec<usize>) {
    let mut chars = Vec::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    for (offset, c) in text.char_indices() {
        chars.push(fold(c));
        offsets.push(offset);
    }
    offsets.push(text.len());
    (chars, offsets)
}

/// Full-width forms (０-９, Ａ-Ｚ, ＠, （, ：, ...) and ideographic spaces read
/// as ASCII, ASCII letters in lower case: people type either, and both mean
/// the same digits.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{A0}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{4E00}'..='\u{9FFF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{2EBEF}'
            | '\u{30000}'..='\u{3134F}'
    )
}

/// Whether `word` (already folded) occurs in `t` at `at`.
fn starts_with(t: &[char], at: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(k, w)| t.get(at + k) == Some(&w))
}

fn is_digit_at(t: &[char], p: usize) -> bool {
    t.get(p).is_some_and(char::is_ascii_digit)
}

/// A digit that begins a run of digits (not the middle of a longer number).
fn starts_digit_run(t: &[char], p: usize) -> bool {
    is_digit_at(t, p) && (p == 0 || !t[p - 1].is_ascii_digit())
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{2014}'
    )
}

/// Digits as people write them, in groups split by single separators:
/// "138 0013 8000", "010-6512-3456".
struct DigitGroups {
    /// ASCII digits read.
    digits: Vec<u8>,
    /// After each group: where it ends and how many digits have been read.
    boundaries: Vec<(usize, usize)>,
}

impl DigitGroups {
    /// Where the number ends if it is exactly `count` digits long.
    fn end_at(&self, count: usize) -> Option<usize> {
        self.boundaries
            .iter()
            .find(|&&(_, read)| read == count)
            .map(|&(end, _)| end)
    }
}

/// Longer than any number looked for; stops a scan through a digit table.
const MAX_GROUPED_DIGITS: usize = 24;
/// A group after a separator shorter than this belongs to something else
/// ("电话65123456 3月" is not a 9-digit number).
const MIN_LATER_GROUP: usize = 3;

fn read_digit_groups(t: &[char], start: usize) -> DigitGroups {
    let mut groups = DigitGroups {
        digits: Vec::new(),
        boundaries: Vec::new(),
    };
    let mut p = start;
    loop {
        let group_start = p;
        while is_digit_at(t, p) {
            p += 1;
        }
        let group_len = p - group_start;
        let is_later = !groups.boundaries.is_empty();
        if group_len == 0
            || (is_later && group_len < MIN_LATER_GROUP)
            || groups.digits.len() + group_len > MAX_GROUPED_DIGITS
        {
            break;
        }
        groups.digits.extend(
            t[group_start..p]
                .iter()
                .filter_map(|&c| u8::try_from(c).ok()),
        );
        groups.boundaries.push((p, groups.digits.len()));
        match t.get(p) {
            Some(&c) if is_separator(c) && is_digit_at(t, p + 1) => p += 1,
            _ => break,
        }
    }
    groups
}

// ---------------------------------------------------------------------------
// Resident ID numbers
// ---------------------------------------------------------------------------

/// Province-level codes of GB/T 2260, the first two digits of every area code.
const PROVINCE_CODES: [&[u8; 2]; 34] = [
    b"11", b"12", b"13", b"14", b"15", b"21", b"22", b"23", b"31", b"32", b"33", b"34", b"35",
    b"36", b"37", b"41", b"42", b"43", b"44", b"45", b"46", b"50", b"51", b"52", b"53", b"54",
    b"61", b"62", b"63", b"64", b"65", b"71", b"81", b"82",
];

fn find_id_numbers(t: &[char], out: &mut Vec<Span>) {
    // Written as one run: the whole run of letters and digits must be the
    // number, so parts of longer codes are not taken for one.
    let mut i = 0;
    while i < t.len() {
        if !t[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < t.len() && t[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let run: Vec<u8> = t[start..i]
            .iter()
            .filter_map(|&c| u8::try_from(c).ok())
            .collect();
        if looks_like_id_number(&run) {
            out.push(Span::new(Kind::IdNumber, start, i));
        }
    }

    // Written in groups: "110105 19900307 7577".
    for start in 0..t.len() {
        if !starts_digit_run(t, start) || (start > 0 && t[start - 1].is_ascii_alphabetic()) {
            continue;
        }
        let groups = read_digit_groups(t, start);
        for &(end, read) in groups.boundaries.iter().skip(1) {
            let digits = &groups.digits[..read];
            let ends_in_x = t.get(end) == Some(&'x')
                && !t.get(end + 1).is_some_and(char::is_ascii_alphanumeric);
            let (candidate, candidate_end) = match read {
                15 | 18 if !t.get(end).is_some_and(char::is_ascii_alphabetic) => {
                    (digits.to_vec(), end)
                }
                17 if ends_in_x => ([digits, b"x"].concat(), end + 1),
                _ => continue,
            };
            if looks_like_id_number(&candidate) {
                out.push(Span::new(Kind::IdNumber, start, candidate_end));
            }
        }
    }
}

/// An 18-character number whose check digit matches, or one that looks like
/// an ID number with a typo in it (a plausible area code and birth date);
/// a 15-digit old number with a plausible area code and birth date.
fn looks_like_id_number(id: &[u8]) -> bool {
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match id.len() {
        18 => {
            let (first17, check) = (&id[..17], id[17]);
            if !all_digits(first17) || !(check.is_ascii_digit() || check == b'x') {
                return false;
            }
            // No area code starts with 0 or 9; unified social credit codes
            // (9...) are not personal.
            let check_digit_matches = resident_id_check(first17) == check.to_ascii_uppercase()
                && (b'1'..=b'8').contains(&first17[0]);
            check_digit_matches
                || (plausible_area_code(&id[..6]) && plausible_birth_date(&id[6..14]))
        }
        15 => {
            all_digits(id) && plausible_area_code(&id[..6]) && plausible_month_and_day(&id[8..12])
        }
        _ => false,
    }
}

fn plausible_area_code(code: &[u8]) -> bool {
    PROVINCE_CODES
        .iter()
        .any(|province| code.starts_with(&province[..]))
        && &code[2..6] != b"0000"
}

/// `yyyymmdd` in the 1900s or 2000s.
fn plausible_birth_date(date: &[u8]) -> bool {
    (date.starts_with(b"19") || date.starts_with(b"20")) && plausible_month_and_day(&date[4..8])
}

/// `mmdd`.
fn plausible_month_and_day(date: &[u8]) -> bool {
    let two_digits = |s: &[u8]| u32::from(s[0] - b'0') * 10 + u32::from(s[1] - b'0');
    (1..=12).contains(&two_digits(&date[..2])) && (1..=31).contains(&two_digits(&date[2..4]))
}

// ---------------------------------------------------------------------------
// Phone numbers
// ---------------------------------------------------------------------------

fn find_phone_numbers(t: &[char], out: &mut Vec<Span>) {
    let mut i = 0;
    while i < t.len() {
        let may_start = matches!(t[i], '+' | '(') || starts_digit_run(t, i);
        if let Some(end) = may_start.then(|| phone_at(t, i)).flatten() {
            out.push(Span::new(Kind::Phone, i, end));
            i = end;
        } else {
            i += 1;
        }
    }
}

/// A mobile or landline number starting at `i`, with or without +86.
fn phone_at(t: &[char], i: usize) -> Option<usize> {
    if let Some(body) = after_country_code(t, i) {
        let found = mobile_at(t, body)
            .or_else(|| landline_at(t, body, true))
            .or_else(|| landline_at(t, body, false));
        if found.is_some() {
            return found;
        }
    }
    if t[i] == '+' {
        return None;
    }
    mobile_at(t, i).or_else(|| landline_at(t, i, true))
}

/// Where the national number starts after "+86", "(+86)", "0086" or "86".
fn after_country_code(t: &[char], i: usize) -> Option<usize> {
    let mut p = i;
    let parenthesised = t.get(p) == Some(&'(');
    if parenthesised {
        p += 1;
    }
    if t.get(p) == Some(&'+') {
        p += 1;
        if !starts_with(t, p, "86") {
            return None;
        }
        p += 2;
    } else if starts_with(t, p, "0086") {
        p += 4;
    } else if starts_with(t, p, "86") {
        p += 2;
    } else {
        return None;
    }
    if parenthesised {
        if t.get(p) != Some(&')') {
            return None;
        }
        p += 1;
    }
    if t.get(p).is_some_and(|&c| is_separator(c)) {
        p += 1;
    }
    is_digit_at(t, p).then_some(p)
}

/// Eleven digits starting 13-19, in any grouping.
fn mobile_at(t: &[char], p: usize) -> Option<usize> {
    let groups = read_digit_groups(t, p);
    let end = groups.end_at(11)?;
    let d = &groups.digits;
    (d[0] == b'1' && (b'3'..=b'9').contains(&d[1])).then_some(end)
}

/// An area code (010, 02x, 0xxx; without its 0 after +86), optionally in
/// brackets, then a local number of 7 or 8 digits.
fn landline_at(t: &[char], p: usize, with_trunk_zero: bool) -> Option<usize> {
    let mut q = p;
    let parenthesised = t.get(q) == Some(&'(');
    if parenthesised {
        q += 1;
    }
    if with_trunk_zero {
        if t.get(q) != Some(&'0') {
            return None;
        }
        q += 1;
    }
    let area_digits = match t.get(q)? {
        '1' if t.get(q + 1) == Some(&'0') => 2,
        '2' => 2,
        '3'..='9' => 3,
        _ => return None,
    };
    if !(q..q + area_digits).all(|k| is_digit_at(t, k)) {
        return None;
    }
    q += area_digits;
    if parenthesised {
        if t.get(q) != Some(&')') {
            return None;
        }
        q += 1;
    }
    if t.get(q).is_some_and(|&c| is_separator(c)) {
        q += 1;
    }
    read_digit_groups(t, q)
        .boundaries
        .iter()
        .find(|&&(_, read)| (7..=8).contains(&read))
        .map(|&(end, _)| end)
}

/// Words after which a number is someone's phone number, whatever its shape.
const PHONE_CUES: &[&str] = &["电话", "座机", "手机", "固话", "联系方式", "号码", "tel"];
/// What may stand between such a word and the number: "电话号码是：".
const PHONE_CUE_FILLER: &[char] = &[' ', ':', '是', '为', '号', '码', '(', ')', '.'];
const MAX_PHONE_CUE_FILLER: usize = 4;
/// Fewer digits than a local number: service numbers such as 12345.
const MIN_CUED_PHONE_DIGITS: usize = 7;
const MAX_CUED_PHONE_DIGITS: usize = 12;

fn find_phones_after_cues(t: &[char], out: &mut Vec<Span>) {
    for i in 0..t.len() {
        for cue in PHONE_CUES {
            if !starts_with(t, i, cue) || (*cue == "tel" && i > 0 && t[i - 1].is_ascii_alphabetic())
            {
                continue;
            }
            let mut p = i + cue.chars().count();
            let filler_end = p + MAX_PHONE_CUE_FILLER;
            while p < filler_end && t.get(p).is_some_and(|c| PHONE_CUE_FILLER.contains(c)) {
                p += 1;
            }
            if !starts_digit_run(t, p) {
                continue;
            }
            let longest = read_digit_groups(t, p)
                .boundaries
                .iter()
                .rev()
                .find(|&&(_, read)| (MIN_CUED_PHONE_DIGITS..=MAX_CUED_PHONE_DIGITS).contains(&read))
                .map(|&(end, _)| end);
            if let Some(end) = longest {
                out.push(Span::new(Kind::Phone, p, end));
            }
        }
    }
}

/// Shorter known "phones" are form junk and would hide ordinary numbers.
const MIN_KNOWN_PHONE_DIGITS: usize = 7;

/// The writer's own numbers, compared digit by digit whatever the separators,
/// with or without the country code, and landlines also without their area
/// code.
fn find_known_phones(t: &[char], phones: &[String], out: &mut Vec<Span>) {
    let wanted: Vec<Vec<u8>> = phones
        .iter()
        .map(|phone| national_digits(phone))
        .filter(|digits| digits.len() >= MIN_KNOWN_PHONE_DIGITS)
        .flat_map(|digits| {
            let local = landline_local_digits(&digits);
            std::iter::once(digits).chain(local)
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    for start in 0..t.len() {
        if !(matches!(t[start], '+' | '(') || starts_digit_run(t, start)) {
            continue;
        }
        for body in [after_country_code(t, start), Some(start)]
            .into_iter()
            .flatten()
        {
            let groups = read_digit_groups(t, body);
            for digits in &wanted {
                if let Some(end) = groups.end_at(digits.len()) {
                    if groups.digits[..digits.len()] == digits[..] {
                        out.push(Span::new(Kind::Phone, start, end));
                    }
                }
            }
        }
    }
}

/// The digits of a phone number without a +86 / 0086 / 86 country code.
fn national_digits(phone: &str) -> Vec<u8> {
    let digits: Vec<u8> = phone
        .chars()
        .map(fold)
        .filter_map(|c| u8::try_from(c).ok())
        .filter(u8::is_ascii_digit)
        .collect();
    if digits.starts_with(b"0086") && digits.len() >= 4 + MIN_KNOWN_PHONE_DIGITS {
        digits[4..].to_vec()
    } else if digits.starts_with(b"861") && digits.len() == 13 {
        digits[2..].to_vec()
    } else {
        digits
    }
}

/// A landline's local number, which people often write without the area code.
fn landline_local_digits(digits: &[u8]) -> Option<Vec<u8>> {
    let area_len = match digits {
        [b'0', b'1' | b'2', ..] => 3,
        [b'0', b'3'..=b'9', ..] => 4,
        _ => return None,
    };
    let local = digits.get(area_len..)?;
    (7..=8).contains(&local.len()).then(|| local.to_vec())
}

// ---------------------------------------------------------------------------
// E-mail addresses
// ---------------------------------------------------------------------------

fn is_email_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_email_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

fn find_emails(t: &[char], out: &mut Vec<Span>) {
    for at in 0..t.len() {
        if t[at] != '@' {
            continue;
        }
        let mut start = at;
        while start > 0 && is_email_local_char(t[start - 1]) {
            start -= 1;
        }
        while start < at && t[start] == '.' {
            start += 1;
        }
        if start == at {
            continue;
        }
        let mut end = at + 1;
        while end < t.len() && is_email_domain_char(t[end]) {
            end += 1;
        }
        if let Some(domain_len) = valid_domain_len(&t[at + 1..end]) {
            out.push(Span::new(Kind::Email, start, at + 1 + domain_len));
        }
    }
}

/// How much of what follows the @ is the domain: sentence punctuation or
/// stray characters after it are cut back to the last valid top-level label.
fn valid_domain_len(domain: &[char]) -> Option<usize> {
    let mut end = domain.len();
    loop {
        while end > 0 && matches!(domain[end - 1], '.' | '-') {
            end -= 1;
        }
        if is_valid_domain(&domain[..end]) {
            return Some(end);
        }
        end = domain[..end].iter().rposition(|&c| c == '.')?;
    }
}

fn is_valid_domain(domain: &[char]) -> bool {
    let labels: Vec<&[char]> = domain.split(|&c| c == '.').collect();
    let top_level_ok = labels
        .last()
        .is_some_and(|tld| tld.len() >= 2 && tld.iter().all(char::is_ascii_alphabetic));
    labels.len() >= 2
        && top_level_ok
        && labels.iter().all(|label| {
            !label.is_empty() && label.first() != Some(&'-') && label.last() != Some(&'-')
        })
}

// ---------------------------------------------------------------------------
// Known text: names, e-mails and addresses from the form
// ---------------------------------------------------------------------------

/// A one-character "name" or "address" would hide that character everywhere.
const MIN_KNOWN_CHARS: usize = 2;

fn find_known_texts(t: &[char], entries: &[String], kind: Kind, out: &mut Vec<Span>) {
    for entry in entries {
        let needle: Vec<char> = entry.trim().chars().map(fold).collect();
        if needle.len() < MIN_KNOWN_CHARS {
            continue;
        }
        for (start, window) in t.windows(needle.len()).enumerate() {
            if window == needle.as_slice() {
                out.push(Span::new(kind, start, start + needle.len()));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Names after a self-introduction
// ---------------------------------------------------------------------------

/// The most common single-character surnames (the top hundred and some fifty
/// more).
const SINGLE_SURNAMES: &str =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董\
潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷\
龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文施洪牛樊葛邢安齐伍庞颜倪庄聂章鲁岳翟殷\
詹申耿关兰焦俞左柳甘祝包宁符阮柯纪梅童凌毕季裴霍涂苗谷盛翁骆蓝辛靳鲍傅阎欧";

const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "夏侯", "尉迟", "公孙", "宇文",
];

/// Characters that hardly ever stand in a given name but often follow a
/// surname-like character in ordinary words ("于今年", "高中生", "王府的").
const NOT_IN_GIVEN_NAMES: &str =
    "的了是在和与及也都就对从向被把我你他她们这那个不没到说会要能以年月日\
区市县省镇乡村路街号楼室员者户人今去此其些么什哪吗呢吧啊所因但而或又再已将该各每";

/// Words that start with a surname but describe, not name, the writer
/// ("我是高中生。", "本人万分感谢").
const NON_NAME_WORDS: &[&str] = &[
    "高中", "高校", "高龄", "高管", "高三", "高二", "高一", "高层", "黄牛", "武警", "白领", "毕业",
    "钟点", "童工", "顾客", "游客", "文员", "文明", "安保", "安置", "安全", "康复", "程序", "于此",
    "向您", "万分", "任职", "任教", "周边", "周末", "方面", "曾经", "常年", "常住", "陆续", "严重",
    "申请", "关于", "关心", "包括", "马上", "许多", "何时", "何处", "施工", "付款", "付费", "范围",
    "左右", "凌晨", "甘肃", "宁夏", "江苏", "江西", "沈阳", "郑州", "武汉", "苏州", "余下", "夏天",
    "白天", "龙头", "石油", "金融", "毛坯", "田间", "林业", "韩国", "王府", "孙子", "孙女", "岳父",
    "岳母", "欧洲", "洪水", "季节", "辛苦", "程度", "兰州", "柳州", "安徽", "万一", "莫名", "严格",
];

/// Words after which the next few characters are the writer's name.
struct NameCue {
    text: &'static str,
    /// A form label ("姓名：") is followed by a name even if the surname is
    /// rare; speech ("我是") is followed by a name only now and then.
    is_form_label: bool,
}

impl NameCue {
    const fn form_label(text: &'static str) -> Self {
        NameCue {
            text,
            is_form_label: true,
        }
    }

    const fn speech(text: &'static str) -> Self {
        NameCue {
            text,
            is_form_label: false,
        }
    }
}

/// Written folded: "姓名:" also matches "姓名：".
const NAME_CUES: &[NameCue] = &[
    NameCue::form_label("姓名:"),
    NameCue::form_label("联系人:"),
    NameCue::speech("姓名"),
    NameCue::speech("联系人"),
    NameCue::speech("我叫"),
    NameCue::speech("名叫"),
    NameCue::speech("我是"),
    NameCue::speech("本人"),
];

/// Words that may directly follow a name in a self-introduction.
const AFTER_NAME_WORDS: &[&str] = &[
    "家住",
    "住在",
    "现住",
    "住址",
    "居住",
    "电话",
    "手机",
    "联系",
    "身份证",
    "今年",
    "年龄",
    "性别",
    "系",
];

fn find_names_after_cues(t: &[char], out: &mut Vec<Span>) {
    for i in 0..t.len() {
        for cue in NAME_CUES {
            if !starts_with(t, i, cue.text) {
                continue;
            }
            let mut p = i + cue.text.chars().count();
            while t.get(p) == Some(&' ') {
                p += 1;
            }
            if let Some(len) = name_len_at(t, p, cue.is_form_label) {
                out.push(Span::new(Kind::Name, p, p + len));
            }
        }
    }
}

/// The length of a plausible name at `p`: a surname and one or two more
/// characters, then something a name can end at.
fn name_len_at(t: &[char], p: usize, any_first_char: bool) -> Option<usize> {
    let first = *t.get(p)?;
    let surname_len = if COMPOUND_SURNAMES.iter().any(|s| starts_with(t, p, s)) {
        2
    } else if SINGLE_SURNAMES.contains(first) || (any_first_char && is_cjk(first)) {
        1
    } else {
        return None;
    };
    // Longest first: "张三丰，" is a three-character name, not "张三" + "丰".
    (1..=2)
        .rev()
        .map(|given_len| surname_len + given_len)
        .find(|&len| is_plausible_name(t, p, surname_len, len) && can_end_name(t, p + len))
}

fn is_plausible_name(t: &[char], p: usize, surname_len: usize, len: usize) -> bool {
    let Some(name) = t.get(p..p + len) else {
        return false;
    };
    name.iter().all(|&c| is_cjk(c))
        && !name[surname_len..]
            .iter()
            .any(|&c| NOT_IN_GIVEN_NAMES.contains(c))
        && !NON_NAME_WORDS.iter().any(|word| starts_with(t, p, word))
}

fn can_end_name(t: &[char], q: usize) -> bool {
    match t.get(q) {
        None => true,
        Some(&c) => {
            c.is_whitespace()
                || c.is_ascii_punctuation()
                || c.is_ascii_digit()
                || "。、“”‘’《》【】「」『』〔〕…—·".contains(c)
                || AFTER_NAME_WORDS.iter().any(|word| starts_with(t, q, word))
        }
    }
}

// ---------------------------------------------------------------------------
// Street addresses
// ---------------------------------------------------------------------------

/// What a house number is attached to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// 路, 街, 道, 巷, 胡同, 里: "朝阳路12号".
    Road,
    /// 村, with its group: "张家村3组12号".
    Village,
}

/// Words ending like a road that are not one, often followed by a date
/// ("我知道12号开会", "这条路12号起封闭").
const NOT_PLACE_WORDS: &[&str] = &[
    "条路", "马路", "道路", "一路", "走路", "修路", "上路", "思路", "出路", "线路", "网路", "电路",
    "套路", "迷路", "让路", "带路", "问路", "铁路", "上街", "逛街", "沿街", "临街", "满街", "条街",
    "知道", "报道", "说道", "难道", "渠道", "频道", "味道", "一道", "顺道", "通道", "管道", "轨道",
    "跑道", "赛道", "隧道", "车道", "航道", "街道", "问道", "写道", "答道", "叫道", "喊道", "笑道",
    "绕道", "改道", "取道", "借道", "公道", "厚道", "霸道", "地道", "坑道", "行道", "步道", "栈道",
    "这里", "那里", "哪里", "家里", "心里", "村里", "城里", "区里", "院里", "楼里", "屋里", "店里",
    "园里", "校里", "市里", "县里", "镇里", "手里", "眼里", "夜里", "公里", "千里", "万里", "英里",
    "海里", "百里", "厂里", "所里", "局里", "队里", "班里", "组里", "位里", "子里", "间里", "房里",
    "车里", "农村", "乡村",
];

/// Longest first, so "12号楼" is one part, not "12号" then "楼".
const HOUSE_NUMBER_UNITS: &[&str] = &[
    "号院", "号楼", "单元", "号", "院", "楼", "栋", "幢", "座", "层", "室", "房", "户", "弄", "组",
    "区", "期",
];
const HOUSE_UNITS: &[&str] = &["号", "号院", "号楼"];
const ROOM_UNITS: &[&str] = &["室", "房", "户"];
/// After these a bare number is a room: "2单元501".
const BUILDING_UNITS: &[&str] = &["号楼", "楼", "栋", "幢", "座", "单元", "层"];
/// 甲12号, 乙3号.
const HOUSE_NUMBER_PREFIXES: &str = "甲乙丙丁";

/// How far back a road or community name is taken.
const MAX_PLACE_NAME_CHARS: usize = 10;
/// Characters that end a place name going backwards: the cue before it
/// ("家住", "住在", "位于", "地址"), grammar words, and the end of another
/// house number.
const PLACE_NAME_STOPS: &str = "在住是的了我你他她们把被到址于及与或从往近对号室";

fn find_street_addresses(t: &[char], out: &mut Vec<Span>) {
    let mut i = 0;
    while i < t.len() {
        if let Some((start, end)) = street_address_at(t, i) {
            out.push(Span::new(Kind::Address, start, end));
            i = end;
        } else {
            i += 1;
        }
    }
}

/// A house-level address whose number starts at `i`: a road or village with
/// a house number, or any place with a room ("3号楼501室", "小区3-2-501").
fn street_address_at(t: &[char], i: usize) -> Option<(usize, usize)> {
    if !starts_house_number(t, i) {
        return None;
    }
    let parts = house_number_parts(t, i);
    let last = parts.last()?;

    if let Some((place, name_end)) = place_before(t, i) {
        let first_unit = parts[0].unit.unwrap_or_default();
        let has_house_number = parts
            .iter()
            .any(|part| part.unit.is_some_and(|unit| HOUSE_UNITS.contains(&unit)));
        let fits = match place {
            Place::Road => HOUSE_UNITS.contains(&first_unit) || first_unit == "弄",
            Place::Village => first_unit == "组",
        };
        let start = place_name_start(t, i);
        if fits && has_house_number && start < name_end {
            return Some((start, last.end));
        }
    }

    let follows_name = i > 0 && is_cjk(t[i - 1]);
    let has_room = last.is_room && (parts.len() >= 2 || (parts[0].is_dashed && follows_name));
    has_room.then(|| (place_name_start(t, i), last.end))
}

/// A house number starts with a digit, or 甲/乙/丙/丁 and a digit, and not in
/// the middle of a longer code.
fn starts_house_number(t: &[char], i: usize) -> bool {
    let prefixed = HOUSE_NUMBER_PREFIXES.contains(t[i]) && is_digit_at(t, i + 1);
    (t[i].is_ascii_digit() || prefixed) && (i == 0 || !t[i - 1].is_ascii_alphanumeric())
}

/// The road or village just before `i`, and where its name ends before the
/// suffix (so a name of at least one character can be required).
fn place_before(t: &[char], i: usize) -> Option<(Place, usize)> {
    if i >= 2 && t[i - 2..i] == ['胡', '同'] {
        return Some((Place::Road, i - 2));
    }
    let place = match t.get(i.checked_sub(1)?)? {
        '路' | '街' | '道' | '巷' | '里' => Place::Road,
        '村' => Place::Village,
        _ => return None,
    };
    let is_other_word = i >= 2
        && NOT_PLACE_WORDS
            .iter()
            .any(|word| word.chars().eq(t[i - 2..i].iter().copied()));
    (!is_other_word).then_some((place, i - 1))
}

/// The start of the place name that ends at `end`.
fn place_name_start(t: &[char], end: usize) -> usize {
    let mut start = end;
    while start > 0 && end - start < MAX_PLACE_NAME_CHARS {
        let c = t[start - 1];
        if !(is_cjk(c) || c.is_ascii_alphabetic()) || PLACE_NAME_STOPS.contains(c) {
            break;
        }
        start -= 1;
    }
    start
}

/// One part of a house number: "12号院", "3号楼", "2单元", "501室".
struct HousePart {
    unit: Option<&'static str>,
    end: usize,
    is_room: bool,
    /// Written building-unit-room: "3-2-501".
    is_dashed: bool,
}

fn house_number_parts(t: &[char], i: usize) -> Vec<HousePart> {
    let mut parts: Vec<HousePart> = Vec::new();
    let mut p = i;
    while let Some(token) = house_number_token(t, p, parts.is_empty()) {
        if let Some(unit) = HOUSE_NUMBER_UNITS
            .iter()
            .copied()
            .find(|unit| starts_with(t, token.end, unit))
        {
            let end = token.end + unit.chars().count();
            parts.push(HousePart {
                unit: Some(unit),
                end,
                is_room: ROOM_UNITS.contains(&unit) || token.is_dashed_room,
                is_dashed: token.is_dashed_room,
            });
            p = end;
            continue;
        }
        let after_building = parts
            .last()
            .and_then(|part| part.unit)
            .is_some_and(|unit| BUILDING_UNITS.contains(&unit));
        let is_bare_room = (after_building && token.last_group_len >= 3)
            || (parts.is_empty() && token.is_dashed_room);
        if is_bare_room && ends_bare_room_number(t, token.end) {
            parts.push(HousePart {
                unit: None,
                end: token.end,
                is_room: true,
                is_dashed: token.is_dashed_room,
            });
        }
        break;
    }
    parts
}

struct HouseNumberToken {
    end: usize,
    last_group_len: usize,
    is_dashed_room: bool,
}

/// Digits, possibly joined by dashes ("12-3"), after an optional 甲/乙/丙/丁;
/// after the first part also a letter ("A座", "B2栋").
fn house_number_token(t: &[char], p: usize, is_first: bool) -> Option<HouseNumberToken> {
    let mut q = p;
    let first = *t.get(q)?;
    if HOUSE_NUMBER_PREFIXES.contains(first) {
        if !is_digit_at(t, q + 1) {
            return None;
        }
        q += 1;
    } else if !is_first && first.is_ascii_alphabetic() {
        q += 1;
    }
    let mut groups: Vec<(usize, usize)> = Vec::new();
    loop {
        let group_start = q;
        while is_digit_at(t, q) {
            q += 1;
        }
        if q == group_start {
            break;
        }
        groups.push((group_start, q));
        if t.get(q) == Some(&'-') && is_digit_at(t, q + 1) {
            q += 1;
        } else {
            break;
        }
    }
    if q == p || (groups.is_empty() && is_first) {
        return None;
    }
    let lens: Vec<usize> = groups.iter().map(|&(s, e)| e - s).collect();
    let looks_like_year = |&(s, e): &(usize, usize)| {
        e - s == 4 && (starts_with(t, s, "19") || starts_with(t, s, "20"))
    };
    let is_dashed_room = matches!(lens.as_slice(), &[building, unit, room]
        if building <= 3 && unit <= 2 && (3..=4).contains(&room))
        && !groups.last().is_some_and(looks_like_year);
    Some(HouseNumberToken {
        end: q,
        last_group_len: lens.last().copied().unwrap_or(0),
        is_dashed_room,
    })
}

/// A bare number is a room only if what follows does not make it a quantity
/// or a date ("3号楼501，" but not "3号楼2026年").
fn ends_bare_room_number(t: &[char], q: usize) -> bool {
    match t.get(q) {
        None => true,
        Some(&c) => !(c.is_ascii_alphanumeric() || is_cjk(c)) || "的住和与及或".contains(c),
    }
}

// ---------------------------------------------------------------------------
// Overlaps
// ---------------------------------------------------------------------------

/// Overlapping findings become one that covers them all, so no part of any is
/// left showing, of the kind of the longest (the earliest on ties). Touching
/// findings of one kind become one too: "[地址]", not "[地址][地址]" for a road
/// number followed by a building and room.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|span| span.start < span.end);
    spans.sort_by_key(|span| (span.start, std::cmp::Reverse(span.end)));
    // What each merged finding covers, and the longest finding within it.
    let mut groups: Vec<(Span, Span)> = Vec::new();
    for span in spans {
        match groups.last_mut() {
            Some((covered, longest))
                if span.start < covered.end
                    || (span.start == covered.end && span.kind == longest.kind) =>
            {
                covered.end = covered.end.max(span.end);
                if span.len() > longest.len() {
                    *longest = span;
                }
            }
            _ => groups.push((span, span)),
        }
    }
    groups
        .into_iter()
        .map(|(covered, longest)| Span::new(longest.kind, covered.start, covered.end))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Known {
        Known::default()
    }

    /// The findings as (kind, text) pairs, for readable assertions.
    fn found(text: &str, known: &Known) -> Vec<(Kind, String)> {
        find(text, known)
            .into_iter()
            .map(|f| (f.kind, text[f.start..f.end].to_owned()))
            .collect()
    }

    fn found_plain(text: &str) -> Vec<(Kind, String)> {
        found(text, &none())
    }

    fn one(kind: Kind, s: &str) -> Vec<(Kind, String)> {
        vec![(kind, s.to_owned())]
    }

    #[test]
    fn kinds_have_labels_and_placeholders() {
        assert_eq!(Kind::IdNumber.label_zh(), "身份证号码");
        assert_eq!(Kind::Phone.label_en(), "phone number");
        assert_eq!(Kind::Email.label_en(), "e-mail address");
        assert_eq!(Kind::Name.placeholder(), "[姓名]");
        assert_eq!(Kind::Address.placeholder(), "[地址]");
        assert_eq!(Kind::IdNumber.placeholder(), "[身份证号]");
    }

    #[test]
    fn id_numbers_with_a_matching_check_digit_are_found() {
        assert_eq!(
            found_plain("身份证号110105199003077577。"),
            one(Kind::IdNumber, "110105199003077577")
        );
        assert_eq!(
            found_plain("证件号11010519491231002x"),
            one(Kind::IdNumber, "11010519491231002x")
        );
    }

    #[test]
    fn id_numbers_with_a_wrong_check_digit_but_plausible_are_still_found() {
        // The check digit of 11010519900307757 is 7, not 8.
        assert_eq!(
            found_plain("身份证：110105199003077578，"),
            one(Kind::IdNumber, "110105199003077578")
        );
    }

    #[test]
    fn implausible_eighteen_digit_runs_are_not_id_numbers() {
        // Wrong check digit, and 7890 is no birth year.
        assert!(found_plain("单号123456789012345678").is_empty());
        // A unified social credit code has a valid check digit by the ID rule
        // but no area code starts with 9.
        assert!(found_plain("信用代码91110000100001234X").is_empty());
    }

    #[test]
    fn id_numbers_inside_longer_codes_are_not_taken_apart() {
        assert!(found_plain("编号A110105199003077577B").is_empty());
        assert!(found_plain("流水号1101051990030775771").is_empty());
    }

    #[test]
    fn full_width_and_grouped_and_old_id_numbers_are_found() {
        let full_width = "身份证号１１０１０５１９９００３０７７５７７";
        assert_eq!(
            found_plain(full_width),
            one(Kind::IdNumber, &full_width[12..])
        );
        assert_eq!(
            found_plain("号码 110105 19900307 7577 谢谢"),
            one(Kind::IdNumber, "110105 19900307 7577")
        );
        assert_eq!(
            found_plain("旧证110105900307757"),
            one(Kind::IdNumber, "110105900307757")
        );
    }

    #[test]
    fn mobile_numbers_are_found_however_grouped() {
        for phone in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "1380-013-8000",
        ] {
            assert_eq!(
                found_plain(&format!("打{phone}找我")),
                one(Kind::Phone, phone)
            );
        }
    }

    #[test]
    fn mobile_numbers_with_a_country_code_are_found_whole() {
        for phone in [
            "+86 138 0013 8000",
            "+8613800138000",
            "(+86)13800138000",
            "008613800138000",
        ] {
            assert_eq!(
                found_plain(&format!("请联系{phone}。")),
                one(Kind::Phone, phone)
            );
        }
        assert_eq!(
            found_plain("号8613800138000。"),
            one(Kind::Phone, "8613800138000")
        );
    }

    #[test]
    fn full_width_phone_numbers_are_found() {
        let text = "请打１３８００１３８０００。";
        let findings = find(text, &none());
        assert_eq!(findings.len(), 1);
        assert_eq!(
            &text[findings[0].start..findings[0].end],
            "１３８００１３８０００"
        );
        assert_eq!(
            found_plain("（０１０）６５１２３４５６"),
            one(Kind::Phone, "（０１０）６５１２３４５６")
        );
    }

    #[test]
    fn landlines_are_found_in_the_usual_forms() {
        for phone in [
            "010-12345678",
            "(010)12345678",
            "（010）12345678",
            "010 1234 5678",
            "0571-8765432",
            "02087654321",
            "+86 10 6512 3456",
        ] {
            assert_eq!(
                found_plain(&format!("座机是{phone}，")),
                one(Kind::Phone, phone),
                "{phone}"
            );
        }
    }

    #[test]
    fn local_numbers_are_found_after_a_phone_word() {
        assert_eq!(
            found_plain("联系电话：65123456"),
            one(Kind::Phone, "65123456")
        );
        assert_eq!(
            found_plain("座机 6512 3456，"),
            one(Kind::Phone, "6512 3456")
        );
        assert_eq!(found_plain("Tel: 65123456"), one(Kind::Phone, "65123456"));
        // A stray short group after the number is not part of it.
        assert_eq!(
            found_plain("电话65123456 3月5日"),
            one(Kind::Phone, "65123456")
        );
        assert!(found_plain("hotel12345678").is_empty());
    }

    #[test]
    fn service_numbers_are_not_phone_numbers() {
        assert!(found_plain("请拨打12345").is_empty());
        assert!(found_plain("电话12345反映过").is_empty());
        assert!(found_plain("拨打96110或110").is_empty());
        assert!(found_plain("客服400-810-8888").is_empty());
    }

    #[test]
    fn two_phone_numbers_side_by_side_are_two_findings() {
        assert_eq!(
            found_plain("13800138000 13900139000"),
            vec![
                (Kind::Phone, "13800138000".to_owned()),
                (Kind::Phone, "13900139000".to_owned())
            ]
        );
    }

    #[test]
    fn dates_amounts_and_document_numbers_are_not_flagged() {
        assert!(found_plain("2026年3月5日缴费1380元，至今未到账。").is_empty());
        assert!(found_plain("根据2009年第12号文件").is_empty());
        assert!(found_plain("京政发〔2009〕12号").is_empty());
        assert!(found_plain("2026-03-05提交，编号20260305").is_empty());
        assert!(found_plain("我知道12号开会，这条路12号起封闭").is_empty());
        assert!(found_plain("地铁1号线2号口").is_empty());
    }

    #[test]
    fn e_mail_addresses_are_found_without_trailing_punctuation() {
        assert_eq!(
            found_plain("邮箱zhang.san@example.com.cn。"),
            one(Kind::Email, "zhang.san@example.com.cn")
        );
        assert_eq!(
            found_plain("发到 Li_Si+mail@163.com."),
            one(Kind::Email, "Li_Si+mail@163.com")
        );
        assert_eq!(
            found_plain("邮箱１２３４５＠ｑｑ．ｃｏｍ"),
            one(Kind::Email, "１２３４５＠ｑｑ．ｃｏｍ")
        );
    }

    #[test]
    fn things_with_an_at_sign_that_are_not_addresses_are_left() {
        assert!(found_plain("@市长 您好").is_empty());
        assert!(found_plain("user@localhost").is_empty());
        assert!(found_plain("a@b.c").is_empty());
    }

    #[test]
    fn names_after_a_self_introduction_are_found() {
        assert_eq!(found_plain("我叫张三，"), one(Kind::Name, "张三"));
        assert_eq!(found_plain("我是王小明，家住"), one(Kind::Name, "王小明"));
        assert_eq!(found_plain("我是李娜家住"), one(Kind::Name, "李娜"));
        assert_eq!(
            found_plain("本人刘德华系本市居民"),
            one(Kind::Name, "刘德华")
        );
        assert_eq!(found_plain("姓名：赵六"), one(Kind::Name, "赵六"));
        assert_eq!(found_plain("联系人:欧阳娜娜 "), one(Kind::Name, "欧阳娜娜"));
        assert_eq!(found_plain("我叫司马光。"), one(Kind::Name, "司马光"));
        assert_eq!(found_plain("我叫陈晨"), one(Kind::Name, "陈晨"));
        // A form label takes rare surnames too.
        assert_eq!(found_plain("姓名： 禤国华，"), one(Kind::Name, "禤国华"));
        assert_eq!(
            found_plain("联系人：张三13800138000"),
            vec![
                (Kind::Name, "张三".to_owned()),
                (Kind::Phone, "13800138000".to_owned())
            ]
        );
    }

    #[test]
    fn self_descriptions_are_not_names() {
        for text in [
            "我是一名退休教师，",
            "我是朝阳区居民。",
            "我是市民",
            "我是高中生。",
            "我是顾客，",
            "本人于今年三月搬来",
            "我是王府井大街的商户",
            "我是张家口人。",
            "我是周边居民。",
            "我叫了外卖",
            "我是黄埔区的",
            "本人万分感谢",
        ] {
            assert!(
                found_plain(text).is_empty(),
                "{text}: {:?}",
                found_plain(text)
            );
        }
    }

    #[test]
    fn known_names_are_found_everywhere() {
        let known = Known {
            names: vec!["李明".into(), " ".into()],
            ..Known::default()
        };
        assert_eq!(
            found("李明反映，李明的邻居", &known),
            vec![
                (Kind::Name, "李明".to_owned()),
                (Kind::Name, "李明".to_owned())
            ]
        );
    }

    #[test]
    fn house_level_addresses_on_a_road_are_found() {
        assert_eq!(
            found_plain("我家住在朝阳区朝阳路12号院3号楼2单元501室，"),
            one(Kind::Address, "朝阳区朝阳路12号院3号楼2单元501室")
        );
        assert_eq!(
            found_plain("地址：建国路88号"),
            one(Kind::Address, "建国路88号")
        );
        assert_eq!(
            found_plain("位于南锣鼓巷甲12号"),
            one(Kind::Address, "南锣鼓巷甲12号")
        );
        assert_eq!(
            found_plain("住在东四十条胡同3号"),
            one(Kind::Address, "东四十条胡同3号")
        );
        assert_eq!(
            found_plain("家住长宁路100弄5号602室"),
            one(Kind::Address, "长宁路100弄5号602室")
        );
        assert_eq!(
            found_plain("家住张家村3组12号。"),
            one(Kind::Address, "张家村3组12号")
        );
        assert_eq!(
            found_plain("世纪大道１０８号"),
            one(Kind::Address, "世纪大道１０８号")
        );
    }

    #[test]
    fn rooms_in_a_community_are_found() {
        assert_eq!(
            found_plain("我住幸福小区3号楼501室。"),
            one(Kind::Address, "幸福小区3号楼501室")
        );
        assert_eq!(
            found_plain("住在阳光花园2单元501，"),
            one(Kind::Address, "阳光花园2单元501")
        );
        assert_eq!(
            found_plain("家住和平里3-2-501。"),
            one(Kind::Address, "和平里3-2-501")
        );
        assert_eq!(
            found_plain("住在朝阳区建国门外大街1号国贸大厦3座1201室。"),
            one(Kind::Address, "朝阳区建国门外大街1号国贸大厦3座1201室")
        );
        assert_eq!(
            found_plain("家住soho现代城5号楼1201室"),
            one(Kind::Address, "soho现代城5号楼1201室")
        );
    }

    #[test]
    fn places_without_a_house_number_are_not_addresses() {
        for text in [
            "朝阳区",
            "长安街拥堵",
            "朝阳路施工一个月了",
            "小区3号楼电梯坏了",
            "3号楼2026年才交付",
            "我们村12号停水",
        ] {
            assert!(
                found_plain(text).is_empty(),
                "{text}: {:?}",
                found_plain(text)
            );
        }
    }

    #[test]
    fn known_addresses_are_found_everywhere() {
        let known = Known {
            addresses: vec!["金台里小区".into()],
            ..Known::default()
        };
        assert_eq!(
            found("我们金台里小区门口", &known),
            one(Kind::Address, "金台里小区")
        );
    }

    #[test]
    fn known_phones_are_found_whatever_the_separators() {
        let known = Known {
            phones: vec![
                "+86 138-0013-8000".into(),
                "(010) 6512-3456".into(),
                "123".into(),
            ],
            ..Known::default()
        };
        assert_eq!(
            found("尾号是13800138000", &known),
            one(Kind::Phone, "13800138000")
        );
        assert_eq!(found("打6512 3456", &known), one(Kind::Phone, "6512 3456"));
        assert_eq!(
            found("打0086 13800138000", &known),
            one(Kind::Phone, "0086 13800138000")
        );
        assert!(found("打123", &known).is_empty());
    }

    #[test]
    fn known_e_mails_are_found_in_any_case() {
        let known = Known {
            emails: vec!["Wang.Wu@Example.ORG".into()],
            ..Known::default()
        };
        assert_eq!(
            found("写信给WANG.WU@example.org", &known),
            one(Kind::Email, "WANG.WU@example.org")
        );
    }

    #[test]
    fn overlapping_findings_merge_into_the_longest() {
        // The phone inside the e-mail address does not split it.
        assert_eq!(
            found_plain("13800138000@163.com"),
            one(Kind::Email, "13800138000@163.com")
        );
        // A known name inside a longer address is hidden with it.
        let known = Known {
            names: vec!["王府".into()],
            ..Known::default()
        };
        assert_eq!(
            found("王府井大街12号", &known),
            one(Kind::Address, "王府井大街12号")
        );
        // Partial overlap: nothing of either is left showing.
        let known = Known {
            names: vec!["张三丰".into()],
            addresses: vec!["丰台".into()],
            ..Known::default()
        };
        assert_eq!(redact("见张三丰台区", &known), "见[姓名]区");
    }

    #[test]
    fn byte_ranges_fall_on_char_boundaries_and_are_ordered() {
        let text = "你好，我叫张三，手机１３８００１３８０００，邮箱a@b.cn，家住南京路12号。";
        let findings = find(text, &none());
        assert_eq!(findings.len(), 4);
        for pair in findings.windows(2) {
            assert!(pair[0].end <= pair[1].start);
        }
        for f in &findings {
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        }
    }

    #[test]
    fn a_whole_letter_is_redacted() {
        let letter = "市长您好！我叫张伟，家住北京市朝阳区朝阳路12号院3号楼2单元501室，\
身份证号110105199003077578，手机+86 138 0013 8000，座机010-65123456，\
邮箱zhangwei@example.com。2026年3月5日缴费1380元后仍未开通，请拨打12345也没有解决。\
我爱人李秀英也多次反映。";
        let known = Known {
            names: vec!["李秀英".into()],
            ..Known::default()
        };
        assert_eq!(
            redact(letter, &known),
            "市长您好！我叫[姓名]，家住[地址]，\
身份证号[身份证号]，手机[电话]，座机[电话]，\
邮箱[邮箱]。2026年3月5日缴费1380元后仍未开通，请拨打12345也没有解决。\
我爱人[姓名]也多次反映。"
        );
    }

    #[test]
    fn a_redacted_letter_passes_the_check() {
        let letter = "本人王芳，住在幸福小区3号楼501室，电话13912345678，邮箱wf@qq.com，\
身份证440304200110151230。";
        let known = Known::default();
        let once = redact(letter, &known);
        assert!(find(&once, &known).is_empty(), "{once}");
        assert_eq!(redact(&once, &known), once);
    }

    #[test]
    fn a_hand_edit_that_missed_something_is_reported() {
        let edited = "我叫[姓名]，电话138 0013 8000还能打通。";
        let findings = find(edited, &none());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, Kind::Phone);
        assert_eq!(&edited[findings[0].start..findings[0].end], "138 0013 8000");
    }
}
