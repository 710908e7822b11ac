//! Timestamps as the platform stores them: UTC, microsecond precision, so that
//! a value survives a round trip through either database unchanged.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SubsecRound, Utc};

pub type Timestamp = DateTime<Utc>;

/// Now, truncated to microseconds (PostgreSQL's precision).
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// Beijing time (UTC+8, no daylight saving): statutory periods are
/// counted in it.
pub fn beijing(ts: Timestamp) -> NaiveDateTime {
    (ts + BEIJING_OFFSET).naive_utc()
}

/// A day in Beijing as Chinese documents write it: 2026年12月4日 (GB/T 9704
/// dates, Arabic numerals without leading zeros).
pub fn chinese_date(ts: Timestamp) -> String {
    beijing(ts).format("%Y年%-m月%-d日").to_string()
}

/// The instant a Beijing wall-clock time names.
pub fn from_beijing(local: NaiveDateTime) -> Timestamp {
    (local - BEIJING_OFFSET).and_utc()
}

/// Today's date in Beijing.
pub fn beijing_today() -> NaiveDate {
    beijing(now()).date()
}

/// UTC+8 all year: China has kept no daylight saving time since 1991.
const BEIJING_OFFSET: Duration = Duration::hours(8);

/// The canonical text form used wherever a timestamp is hashed or compared as text.
pub fn canonical(ts: &Timestamp) -> String {
    ts.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Reads back a timestamp written by [`canonical`] (or any RFC 3339 form).
pub fn parse(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
