//! The annual report's table of requests (收到和处理政府信息公开申请情况)
//! for any year, of one agency or all: each row of the format
//! (`data/disclosure/annual-report.toml`) counted by kind of applicant.
//! A request is counted where the step that closed it puts it: the answer
//! action and its ground, or the state it ended in.

use crate::request::ApplicantKind;
use crate::PROCESS;
use chrono::NaiveDate;
use egov_kernel::time::{from_beijing, Timestamp};
use egov_store::{run, Db, StoreError};
use serde::{Deserialize, Serialize};

/// The shipped format.
const SHIPPED: &str = include_str!("../../../data/disclosure/annual-report.toml");

/// What a counting row counts, beside the closed requests its `closed_by` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Received in the year.
    Received,
    /// Received before the year and open at its start.
    CarriedIn,
    /// Closed in the year, however.
    Closed,
    /// Open at the year's end.
    CarriedOut,
}

/// A step that closes a request into a row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedBy {
    pub action: Option<String>,
    /// The ground the action chose, for actions with grounds.
    pub ground: Option<String>,
    /// The state the request ended in (given up, withdrawn).
    pub state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowFormat {
    pub label: String,
    pub label_en: String,
    /// 0 the parts, 1 the kinds of result, 2 their grounds.
    #[serde(default)]
    pub level: u8,
    pub count: Option<Count>,
    /// Absent: a heading; present (even empty): a row of closed requests.
    pub closed_by: Option<Vec<ClosedBy>>,
}

/// The table's format, as the data file gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Format {
    pub version: u32,
    pub name: String,
    pub name_en: String,
    pub organisations: String,
    pub organisations_en: String,
    pub row: Vec<RowFormat>,
}

impl Format {
    pub fn shipped() -> &'static Format {
        static FORMAT: std::sync::OnceLock<Format> = std::sync::OnceLock::new();
        FORMAT.get_or_init(|| toml::from_str(SHIPPED).expect("the shipped report format parses"))
    }

    /// The row a request closed by `action` (with `ground`) in `state` is
    /// counted in.
    fn row_of(&self, state: &str, action: &str, ground: Option<&str>) -> Option<usize> {
        self.row.iter().position(|r| {
            r.closed_by.iter().flatten().any(|c| {
                c.state.as_deref().is_none_or(|s| s == state)
                    && c.action.as_deref().is_none_or(|a| a == action)
                    && c.ground.as_deref().is_none_or(|g| Some(g) == ground)
            })
        })
    }
}

/// Counts by applicant kind (the six columns) and their total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts(pub [u64; 6]);

impl Counts {
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    fn add(&mut self, kind: ApplicantKind) {
        self.0[kind.column()] += 1;
    }
}

/// One row of the table; a heading has no counts.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub label: String,
    pub label_en: String,
    pub level: u8,
    pub counts: Option<Counts>,
}

/// The table for a year.
#[derive(Debug, Clone, Serialize)]
pub struct AnnualTable {
    pub year: i32,
    pub rows: Vec<Row>,
}

/// Why there is no table.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the year must lie between 2008 and 9999")]
    Year,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReportError {
    fn from(e: sqlx::Error) -> Self {
        ReportError::Store(e.into())
    }
}

/// The start of `year` in Beijing, as a moment.
fn year_start(year: i32) -> Option<Timestamp> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(from_beijing)
}

/// A request as the table needs it.
struct Counted {
    kind: ApplicantKind,
    received: Timestamp,
    closed: Option<(Timestamp, String, String, Option<String>)>,
}

/// The table of `year`, for the agency `department_id` or (`None`) all.
pub async fn annual(
    db: &Db,
    year: i32,
    department_id: Option<i64>,
) -> Result<AnnualTable, ReportError> {
    // The regulations came into force in 2008.
    if !(2008..=9999).contains(&year) {
        return Err(ReportError::Year);
    }
    let (Some(start), Some(end)) = (year_start(year), year_start(year + 1)) else {
        return Err(ReportError::Year);
    };
    type Read = (
        String,
        Timestamp,
        Option<Timestamp>,
        String,
        Option<String>,
        Option<String>,
    );
    let mut r = db.reader().await?;
    // The closing event is the last: its number is the case's version.
    let read: Vec<Read> = run!(r, |c| sqlx::query_as(
        "SELECT c.data, c.created_at, c.closed_at, c.state, e.action, e.fields FROM cases c \
         LEFT JOIN case_events e ON e.case_id = c.id AND e.seq = c.version \
         AND c.closed_at IS NOT NULL \
         WHERE c.process_id = $1 AND c.created_at < $2 \
         AND (c.closed_at IS NULL OR c.closed_at >= $3) \
         AND ($4 IS NULL OR c.department_id = $4)"
    )
    .bind(PROCESS)
    .bind(end)
    .bind(start)
    .bind(department_id)
    .fetch_all(&mut *c)
    .await)?;
    drop(r);
    let requests = read
        .into_iter()
        .map(|(data, received, closed_at, state, action, fields)| {
            let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
            let kind = data["applicant_kind"]
                .as_str()
                .and_then(ApplicantKind::from_word)
                .unwrap_or(ApplicantKind::Other);
            let closed = closed_at.map(|at| {
                let fields: serde_json::Value =
                    serde_json::from_str(fields.as_deref().unwrap_or("{}")).unwrap_or_default();
                let ground = fields["ground"].as_str().map(str::to_owned);
                (at, state, action.unwrap_or_default(), ground)
            });
            Counted {
                kind,
                received,
                closed,
            }
        });
    Ok(table(Format::shipped(), year, (start, end), requests))
}

/// The table over `requests` that were open at some time in `[start, end)`.
fn table(
    format: &Format,
    year: i32,
    (start, end): (Timestamp, Timestamp),
    requests: impl Iterator<Item = Counted>,
) -> AnnualTable {
    let mut counts = vec![Counts::default(); format.row.len()];
    let by_count = |c: Count| format.row.iter().position(|r| r.count == Some(c));
    for q in requests {
        let mut count = |c: Count| {
            if let Some(i) = by_count(c) {
                counts[i].add(q.kind);
            }
        };
        match q.received >= start {
            true => count(Count::Received),
            false => count(Count::CarriedIn),
        }
        match &q.closed {
            Some((at, state, action, ground)) if *at < end => {
                count(Count::Closed);
                if let Some(i) = format.row_of(state, action, ground.as_deref()) {
                    counts[i].add(q.kind);
                }
            }
            _ => count(Count::CarriedOut),
        }
    }
    let rows = format
        .row
        .iter()
        .zip(counts)
        .map(|(f, c)| Row {
            label: f.label.clone(),
            label_en: f.label_en.clone(),
            level: f.level,
            counts: (f.count.is_some() || f.closed_by.is_some()).then_some(c),
        })
        .collect();
    AnnualTable { year, rows }
}

impl AnnualTable {
    /// The table as CSV, in the format's columns, for the annual report's
    /// editors (and spreadsheets).
    pub fn to_csv(&self) -> String {
        let f = Format::shipped();
        let mut out = format!(
            "\u{feff}{},自然人,{}：商业企业,科研机构,社会公益组织,法律服务机构,其他,总计\r\n",
            f.name, f.organisations
        );
        for row in &self.rows {
            let label = row.label.replace('"', "\"\"");
            out.push_str(&format!("\"{label}\""));
            match &row.counts {
                Some(c) => {
                    for n in c.0 {
                        out.push_str(&format!(",{n}"));
                    }
                    out.push_str(&format!(",{}\r\n", c.total()));
                }
                None => out.push_str(",,,,,,,\r\n"),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(y, m, d, 4, 0, 0).unwrap()
    }

    fn closed(
        at: Timestamp,
        state: &str,
        action: &str,
        ground: Option<&str>,
    ) -> Option<(Timestamp, String, String, Option<String>)> {
        Some((at, state.into(), action.into(), ground.map(str::to_owned)))
    }

    fn row<'a>(t: &'a AnnualTable, label: &str) -> &'a Counts {
        t.rows
            .iter()
            .find(|r| r.label.starts_with(label))
            .and_then(|r| r.counts.as_ref())
            .unwrap_or_else(|| panic!("row {label}"))
    }

    #[test]
    fn every_shipped_ground_has_its_row() {
        let def = egov_cases::definition::ProcessDefinition::parse(include_str!(
            "../../../data/processes/disclosure-request.toml"
        ))
        .expect("the process parses");
        let f = Format::shipped();
        for action in ["answer_withhold", "answer_not_exist", "answer_not_handled"] {
            let a = def.action(action).expect(action);
            let grounds = a.fields.as_ref().unwrap()["properties"]["ground"]["enum"]
                .as_array()
                .expect("grounds")
                .clone();
            for g in grounds {
                let g = g.as_str().unwrap();
                assert!(
                    f.row_of("answered", action, Some(g)).is_some(),
                    "{action} {g}"
                );
            }
        }
        for action in def.actions().filter(|a| a.id.starts_with("answer_")) {
            let ground = action
                .fields
                .as_ref()
                .and_then(|f| f["properties"]["ground"]["enum"][0].as_str());
            assert!(
                f.row_of("answered", &action.id, ground).is_some(),
                "{}",
                action.id
            );
        }
        for state in ["abandoned", "withdrawn"] {
            assert!(f.row_of(state, "", None).is_some(), "{state}");
        }
    }

    #[test]
    fn a_year_counts_what_came_what_was_done_and_what_is_left() {
        let f = Format::shipped();
        let year = (
            at(2026, 1, 1) - chrono::Duration::hours(12),
            at(2027, 1, 1) - chrono::Duration::hours(12),
        );
        let requests = vec![
            // Carried in from 2025, disclosed in 2026.
            Counted {
                kind: ApplicantKind::Person,
                received: at(2025, 12, 20),
                closed: closed(at(2026, 1, 10), "answered", "answer_provide", None),
            },
            // New, withheld as a third party's.
            Counted {
                kind: ApplicantKind::Business,
                received: at(2026, 3, 2),
                closed: closed(
                    at(2026, 3, 20),
                    "answered",
                    "answer_withhold",
                    Some("保护第三方合法权益"),
                ),
            },
            // New, given up after the correction notice.
            Counted {
                kind: ApplicantKind::Person,
                received: at(2026, 5, 2),
                closed: closed(at(2026, 6, 1), "abandoned", "give_up", None),
            },
            // New, still open at the year's end.
            Counted {
                kind: ApplicantKind::LegalService,
                received: at(2026, 12, 28),
                closed: None,
            },
            // New, answered only in 2027: carried out.
            Counted {
                kind: ApplicantKind::Research,
                received: at(2026, 12, 29),
                closed: closed(at(2027, 1, 5), "answered", "answer_repeat", None),
            },
        ];
        let t = table(f, 2026, year, requests.into_iter());
        assert_eq!(row(&t, "一、").0, [1, 1, 1, 0, 1, 0]);
        assert_eq!(row(&t, "二、").total(), 1);
        assert_eq!(row(&t, "（一）").0[0], 1);
        assert_eq!(row(&t, "4. 保护第三方").0[1], 1);
        assert_eq!(row(&t, "1. 申请人无正当理由逾期不补正").total(), 1);
        assert_eq!(row(&t, "（七）").total(), 3);
        assert_eq!(row(&t, "2. 重复申请").total(), 0, "answered the next year");
        assert_eq!(row(&t, "四、").0, [0, 0, 1, 0, 1, 0]);
        // 上年结转 + 本年新收 = 总计 + 结转下年度
        assert_eq!(
            row(&t, "一、").total() + row(&t, "二、").total(),
            row(&t, "（七）").total() + row(&t, "四、").total()
        );
        let csv = t.to_csv();
        assert_eq!(csv.lines().count(), t.rows.len() + 1);
        assert!(csv.contains("\"（七）总计\",2,1,0,0,0,0,3"), "{csv}");
    }
}
