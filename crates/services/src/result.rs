//! The result of a decided application: a document from the issuing
//! department naming the item, the applicant, the decision and its
//! particulars (for a joint item each department's part), with a
//! verification code that a public page checks against the document's
//! digest. Issued once per case; a forged code finds nothing.

use egov_audit::Event;
use egov_documents::{Block, DocumentError, Official, Verification};
use egov_kernel::time::{self, Timestamp};
use egov_kernel::Context;
use egov_store::{query, run, Db, StoreError, Tx};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ResultDocument {
    pub case_id: i64,
    pub code: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    pub applicant_name: String,
    pub decision: String,
    pub approved: bool,
    pub decided_at: Timestamp,
    pub issued_at: Timestamp,
    /// The department that issues it (the case's owner), by code and name.
    pub issuer_code: String,
    pub issuer_name: String,
    /// [`Particulars`] as JSON, kept as issued.
    pub particulars: String,
}

/// What the document states beyond its first fields. Kept with it as
/// issued and covered by its digest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Particulars {
    /// The item's kind (行政许可, 公共服务, …): a licence gets a 决定书.
    pub kind: String,
    /// The enterprise's unified social credit code, when one applied.
    pub applicant_code: Option<String>,
    /// The day the application was filed, in Beijing.
    pub submitted_on: String,
    /// What a grant gives (the guide's 办理结果).
    pub result: String,
    pub legal_basis: Vec<String>,
    /// The condition a grant was made on (容缺: materials to follow).
    pub condition: Option<String>,
    /// Why it was refused.
    pub reasons: Option<String>,
    pub opinion: Option<String>,
    /// A joint item's departments and what each decided.
    pub parts: Vec<Part>,
}

/// One department's part in a joint decision.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Part {
    pub department: String,
    pub approved: bool,
    /// Its opinion, or its reasons for refusing.
    pub note: Option<String>,
}

/// What a decided case's document says.
pub struct Decided<'a> {
    pub case_id: i64,
    pub case_number: &'a str,
    pub item_code: &'a str,
    pub item_name: &'a str,
    pub applicant_name: &'a str,
    pub decision: &'a str,
    pub approved: bool,
    pub decided_at: Timestamp,
    pub issuer_code: &'a str,
    pub issuer_name: &'a str,
    pub particulars: &'a Particulars,
    /// The licence a grant puts in its holder's wallet, issued with it.
    pub certificate: Option<Grant<'a>>,
}

/// What a grant's electronic certificate (`certificates.rs`) is and whose.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The licence's name, e.g. 食品经营许可证.
    pub name: &'a str,
    pub holder_user_id: i64,
    pub holder_enterprise_id: Option<i64>,
}

struct OwnedGrant {
    name: String,
    holder_user_id: i64,
    holder_enterprise_id: Option<i64>,
}

impl Grant<'_> {
    fn owned(self) -> OwnedGrant {
        OwnedGrant {
            name: self.name.to_owned(),
            holder_user_id: self.holder_user_id,
            holder_enterprise_id: self.holder_enterprise_id,
        }
    }
}

/// Puts the certificate of the case's grant in its holder's wallet.
async fn issue_certificate(
    tx: &mut Tx,
    ctx: &Context,
    case_id: i64,
    case_number: &str,
    grant: OwnedGrant,
) -> Result<(), StoreError> {
    let code = new_code();
    tx.execute(
        query(
            "INSERT INTO certificates (code, case_id, name, holder_user_id, \
             holder_enterprise_id, issued_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&code)
        .bind(case_id)
        .bind(&grant.name)
        .bind(grant.holder_user_id)
        .bind(grant.holder_enterprise_id)
        .bind(time::now()),
    )
    .await?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "certificate.issue",
            object_type: "case",
            object_id: case_number,
            detail: serde_json::json!({ "certificate": grant.name }),
        },
    )
    .await
}

/// Letters and digits that cannot be misread for one another.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh code: 16 characters in groups of four (80 bits).
fn new_code() -> String {
    let mut rng = rand::thread_rng();
    let chars: Vec<char> = (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as people type it: any case, spaces or dashes anywhere.
pub fn normalise(code: &str) -> String {
    let plain: Vec<char> = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    plain
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

const COLUMNS: &str = "SELECT case_id, code, case_number, item_code, item_name, applicant_name, \
     decision, approved, decided_at, issued_at, issuer_code, issuer_name, particulars \
     FROM result_documents";

/// The case's document, issued now if it has none yet.
pub async fn issue(db: &Db, ctx: &Context, d: &Decided<'_>) -> Result<ResultDocument, StoreError> {
    if let Some(doc) = of_case(db, d.case_id).await? {
        return Ok(doc);
    }
    let code = new_code();
    let ctx = ctx.clone();
    let (case_id, approved, decided_at) = (d.case_id, d.approved, d.decided_at);
    let [case_number, item_code, item_name, applicant_name, decision, issuer_code, issuer_name] = [
        d.case_number,
        d.item_code,
        d.item_name,
        d.applicant_name,
        d.decision,
        d.issuer_code,
        d.issuer_name,
    ]
    .map(str::to_owned);
    // Plain strings and lists: serialising cannot fail.
    let particulars = serde_json::to_string(d.particulars).unwrap_or_else(|_| "{}".to_owned());
    let certificate = d.certificate.map(Grant::owned);
    db.write(move |tx| {
        Box::pin(async move {
            let inserted = tx
                .execute(
                    query(
                        "INSERT INTO result_documents (case_id, code, case_number, item_code, \
                         item_name, applicant_name, decision, approved, decided_at, issued_at, \
                         issuer_code, issuer_name, particulars) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                         ON CONFLICT (case_id) DO NOTHING",
                    )
                    .bind(case_id)
                    .bind(&code)
                    .bind(&case_number)
                    .bind(&item_code)
                    .bind(&item_name)
                    .bind(&applicant_name)
                    .bind(&decision)
                    .bind(approved)
                    .bind(decided_at)
                    .bind(time::now())
                    .bind(&issuer_code)
                    .bind(&issuer_name)
                    .bind(&particulars),
                )
                .await?;
            if inserted == 1 {
                if let Some(grant) = certificate {
                    issue_certificate(tx, &ctx, case_id, &case_number, grant).await?;
                }
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "result.issue",
                        object_type: "case",
                        object_id: &case_number,
                        detail: serde_json::json!({ "item": item_code, "decision": decision }),
                    },
                )
                .await?;
            }
            Ok::<_, StoreError>(())
        })
    })
    .await?;
    Ok(of_case(db, d.case_id)
        .await?
        .expect("issued in this call or by another"))
}

pub async fn of_case(db: &Db, case_id: i64) -> Result<Option<ResultDocument>, StoreError> {
    let mut r = db.reader().await?;
    let sql = format!("{COLUMNS} WHERE case_id = $1");
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(case_id)
        .fetch_optional(&mut *c)
        .await)?)
}

/// The document a code belongs to, if any.
pub async fn verify(db: &Db, code: &str) -> Result<Option<ResultDocument>, StoreError> {
    let code = normalise(code);
    if code.len() != 19 {
        return Ok(None);
    }
    let mut r = db.reader().await?;
    let sql = format!("{COLUMNS} WHERE code = $1");
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(&code)
        .fetch_optional(&mut *c)
        .await)?)
}

impl ResultDocument {
    pub fn particulars(&self) -> Particulars {
        serde_json::from_str(&self.particulars).unwrap_or_default()
    }

    /// The SHA-256 of everything the document states, in hex: printed on
    /// the document and shown by the public check, so a reader can tell a
    /// copy whose words were changed.
    pub fn digest(&self) -> String {
        #[derive(Serialize)]
        struct Stated<'a> {
            code: &'a str,
            case_number: &'a str,
            item_code: &'a str,
            item_name: &'a str,
            applicant_name: &'a str,
            decision: &'a str,
            approved: bool,
            decided_at: &'a Timestamp,
            issuer_code: &'a str,
            issuer_name: &'a str,
            particulars: &'a str,
        }
        let stated = serde_json::to_vec(&Stated {
            code: &self.code,
            case_number: &self.case_number,
            item_code: &self.item_code,
            item_name: &self.item_name,
            applicant_name: &self.applicant_name,
            decision: &self.decision,
            approved: self.approved,
            decided_at: &self.decided_at,
            issuer_code: &self.issuer_code,
            issuer_name: &self.issuer_name,
            particulars: &self.particulars,
        })
        .unwrap_or_default();
        hex::encode(Sha256::digest(stated))
    }

    /// 准予/不予行政许可决定书 for a licence, 办理结果通知书 for the rest.
    pub fn title(&self) -> &'static str {
        match (self.particulars().kind == "行政许可", self.approved) {
            (true, true) => "准予行政许可决定书",
            (true, false) => "不予行政许可决定书",
            _ => "办理结果通知书",
        }
    }

    /// The document number: the year and the case's sequence (the
    /// platform keeps no 机关代字 for its departments).
    pub fn number(&self) -> String {
        let year = time::beijing(self.decided_at).format("%Y");
        let sequence = self
            .case_number
            .get(4..)
            .and_then(|s| s.parse::<u64>().ok())
            .map_or_else(|| self.case_number.clone(), |n| n.to_string());
        format!("〔{year}〕{sequence}号")
    }

    /// Who issued it; documents from before issuers were kept name the
    /// service centre that ran the platform.
    pub fn issuer(&self) -> &str {
        match self.issuer_name.as_str() {
            "" => "北京市政务服务和数据管理局",
            name => name,
        }
    }

    /// The body: the application, the decision and its grounds, the
    /// particulars of a grant, each department's part, and for a refusal
    /// the remedies the law requires the applicant be told of.
    pub fn body(&self) -> Vec<Block> {
        let p = self.particulars();
        let mut body = Vec::new();
        let filed = match p.submitted_on.as_str() {
            "" => String::new(),
            day => format!("于{day}"),
        };
        body.push(Block::Paragraph(format!(
            "你（单位）{filed}提出的{}申请（受理编号：{}），本机关已依法受理并审查。",
            self.item_name, self.case_number
        )));
        let licence = p.kind == "行政许可";
        let basis = {
            let mut b: Vec<&str> = p.legal_basis.iter().map(String::as_str).take(2).collect();
            if licence {
                b.push(if self.approved {
                    "《中华人民共和国行政许可法》第三十八条第一款"
                } else {
                    "《中华人民共和国行政许可法》第三十八条第二款"
                });
            }
            b.join("、")
        };
        let under = match basis.as_str() {
            "" => String::new(),
            b => format!("根据{b}的规定，"),
        };
        if self.approved {
            body.push(Block::Paragraph(format!(
                "经审查，申请符合法定条件、标准。{under}本机关决定：{}。",
                self.decision
            )));
            if let Some(c) = p.condition.as_deref().filter(|c| !c.trim().is_empty()) {
                body.push(Block::Paragraph(format!("本决定附以下条件：{c}")));
            }
        } else {
            let why = p
                .reasons
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map_or_else(String::new, |r| format!("理由如下：{r}。"));
            body.push(Block::Paragraph(format!(
                "经审查，申请不符合法定条件、标准。{why}{under}本机关决定：{}。",
                self.decision
            )));
        }
        if let Some(o) = p.opinion.as_deref().filter(|o| !o.trim().is_empty()) {
            body.push(Block::Paragraph(format!("审查意见：{o}")));
        }
        let mut headings = ["一、", "二、", "三、"].into_iter();
        if self.approved {
            body.push(Block::Heading(format!(
                "{}办理结果",
                headings.next().unwrap_or_default()
            )));
            body.push(Block::Paragraph(format!("事项：{}", self.item_name)));
            if let Some(code) = &p.applicant_code {
                body.push(Block::Paragraph(format!("统一社会信用代码：{code}")));
            }
            if !p.result.is_empty() {
                body.push(Block::Paragraph(format!("结果：{}", p.result)));
            }
        }
        if !p.parts.is_empty() {
            body.push(Block::Heading(format!(
                "{}各部门办理意见",
                headings.next().unwrap_or_default()
            )));
            for part in &p.parts {
                let said = if part.approved { "同意" } else { "不同意" };
                let note = part.note.as_deref().unwrap_or_default();
                body.push(Block::Paragraph(format!(
                    "{}：{said}。{note}",
                    part.department
                )));
            }
        }
        if !self.approved {
            body.push(Block::Paragraph(
                "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，\
                 或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
                    .into(),
            ));
        }
        body
    }
}

/// The document as a PDF: laid out after GB/T 9704 with the issuer's seal
/// when it has one and a QR code holding `verify_url`. CPU-bound.
pub fn render(
    doc: &ResultDocument,
    seal: Option<&[u8]>,
    verify_url: &str,
) -> Result<Vec<u8>, DocumentError> {
    let body = doc.body();
    let date = time::chinese_date(doc.decided_at);
    let digest = doc.digest();
    let number = doc.number();
    egov_documents::render(&Official {
        issuer: doc.issuer(),
        number: &number,
        title: doc.title(),
        addressee: &doc.applicant_name,
        body: &body,
        date: &date,
        seal,
        verification: Some(Verification {
            url: verify_url,
            code: &doc.code,
            digest: &digest,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let c = new_code();
        assert_eq!(c.len(), 19);
        assert!(c
            .chars()
            .all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8))));
        assert_eq!(normalise(&c.to_lowercase().replace('-', " ")), c);
        assert_ne!(new_code(), c);
    }
}
