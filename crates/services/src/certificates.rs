//! Electronic certificates (电子证照): a decided grant whose result is a
//! licence puts one in its holder's wallet (我的证照), in the transaction
//! that issues the result document. Its holder is the enterprise where one
//! applied (everyone acting for it holds it), else the person. It is
//! verified like the notice, by a code on a public page, and can be given
//! as a material of a later application instead of an upload. It is
//! issued by `result::issue`, in the document's transaction.

use crate::application::Party;
use egov_documents::{Block, DocumentError, Official, Verification};
use egov_kernel::time::{self, Timestamp};
use egov_store::{run, Db, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The certificate a guide's result names: its first part, without the
/// remark in brackets (不动产权证书（电子证照同步生成）；契税完税凭证 →
/// 不动产权证书).
pub fn name_of(result: &str) -> &str {
    let first = result.split(['；', ';']).next().unwrap_or(result).trim();
    match first.find('（') {
        Some(at) if at > 0 && first.ends_with('）') => &first[..at],
        _ => first,
    }
}

/// A certificate with what its result document states.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Certificate {
    pub code: String,
    pub name: String,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    pub holder_name: String,
    pub holder_user_id: i64,
    pub holder_enterprise_id: Option<i64>,
    pub issuer_code: String,
    pub issuer_name: String,
    /// The result document's particulars (JSON), for the credit code.
    #[serde(skip)]
    pub particulars: String,
    pub issued_at: Timestamp,
}

const COLUMNS: &str = "SELECT c.code, c.name, r.case_number, r.item_code, r.item_name, \
     r.applicant_name AS holder_name, c.holder_user_id, c.holder_enterprise_id, r.issuer_code, \
     r.issuer_name, r.particulars, c.issued_at \
     FROM certificates c JOIN result_documents r ON r.case_id = c.case_id";

/// The certificates `party` holds: their own, and their enterprise's.
pub async fn wallet(db: &Db, party: Party) -> Result<Vec<Certificate>, StoreError> {
    let sql = format!(
        "{COLUMNS} WHERE (c.holder_enterprise_id IS NULL AND c.holder_user_id = $1) \
         OR c.holder_enterprise_id = $2 ORDER BY c.issued_at DESC, c.id DESC"
    );
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(party.user_id)
        .bind(party.enterprise_id)
        .fetch_all(&mut *c)
        .await)?)
}

/// The certificate a code belongs to, if any (for the public check).
pub async fn verify(db: &Db, code: &str) -> Result<Option<Certificate>, StoreError> {
    let code = crate::result::normalise(code);
    if code.len() != 19 {
        return Ok(None);
    }
    let sql = format!("{COLUMNS} WHERE c.code = $1");
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(&code)
        .fetch_optional(&mut *c)
        .await)?)
}

/// The certificate `code` if `party` holds it: nobody gives another's.
pub async fn held(db: &Db, code: &str, party: Party) -> Result<Option<Certificate>, StoreError> {
    Ok(verify(db, code).await?.filter(|c| c.held_by(party)))
}

impl Certificate {
    pub fn held_by(&self, party: Party) -> bool {
        match self.holder_enterprise_id {
            Some(e) => party.enterprise_id == Some(e),
            None => self.holder_user_id == party.user_id,
        }
    }

    /// The holder's unified social credit code, for an enterprise's.
    pub fn holder_code(&self) -> Option<String> {
        serde_json::from_str::<crate::result::Particulars>(&self.particulars)
            .ok()
            .and_then(|p| p.applicant_code)
    }

    /// The SHA-256 of what the certificate states, in hex.
    pub fn digest(&self) -> String {
        let stated = serde_json::json!({
            "code": self.code,
            "name": self.name,
            "case_number": self.case_number,
            "item_code": self.item_code,
            "holder": self.holder_name,
            "holder_code": self.holder_code(),
            "issuer_code": self.issuer_code,
            "issued_at": self.issued_at,
        });
        hex::encode(Sha256::digest(stated.to_string()))
    }

    /// The certificate as a PDF, in the issuer's name and under its seal.
    pub fn render(&self, seal: Option<&[u8]>, verify_url: &str) -> Result<Vec<u8>, DocumentError> {
        let date = time::chinese_date(self.issued_at);
        let mut body = vec![Block::Paragraph(format!("持证主体：{}", self.holder_name))];
        if let Some(code) = self.holder_code() {
            body.push(Block::Paragraph(format!("统一社会信用代码：{code}")));
        }
        body.push(Block::Paragraph(format!("许可事项：{}", self.item_name)));
        body.push(Block::Paragraph(format!(
            "依据：受理编号{}的准予决定",
            self.case_number
        )));
        body.push(Block::Paragraph(format!("发证日期：{date}")));
        body.push(Block::Paragraph(
            "本电子证照与纸质证照具有同等效力，可在线核验。".into(),
        ));
        let title = format!("{}（电子证照）", self.name);
        let number = format!("证照编号：{}", self.code);
        let digest = self.digest();
        egov_documents::render(&Official {
            issuer: &self.issuer_name,
            number: &number,
            title: &title,
            addressee: "",
            body: &body,
            date: &date,
            seal,
            verification: Some(Verification {
                url: verify_url,
                code: &self.code,
                digest: &digest,
            }),
        })
    }
}

/// The materials the platform's verification of the applicant may stand
/// for: the applicant's own identity card and nothing more (not a parent's,
/// a spouse's, an agent's, a form, or a card combined with another proof).
const OWN_IDENTITY_CARD: &[&str] = &[
    "居民身份证",
    "本人居民身份证",
    "本人有效身份证件",
    "居民身份证或社会保障卡",
    "居民身份证或医保电子凭证",
    "原居民身份证",
];

/// Whether the guide's material `name` is the applicant's own identity
/// card, which the platform's verification of them may stand for.
pub fn is_identity_document(name: &str) -> bool {
    OWN_IDENTITY_CARD.contains(&name.trim())
}

/// Whether a person verified to `level`, applying for an enterprise or not,
/// may give their verified identity for material `name`: their own
/// application, their own identity card, verified at a counter or better.
pub fn identity_stands_for(level: i32, for_enterprise: bool, name: &str) -> bool {
    !for_enterprise && level >= IDENTITY_GIVEN_FROM && is_identity_document(name)
}

/// The lowest assurance level whose identity may be given for an identity
/// document: the identity card seen at a counter (2) or a digital
/// certificate (3), not a confirmed phone alone.
pub const IDENTITY_GIVEN_FROM: i32 = 2;

/// The applicant's identity as the platform verified it, as a PDF given
/// for an identity document: the name, the ID number masked (staff reveal
/// it on the case, audited), how and to which level it was verified, and
/// for which item it was given.
pub fn identity_attestation(
    name: &str,
    masked_id: &str,
    level: i32,
    item_name: &str,
    at: Timestamp,
) -> Result<Vec<u8>, DocumentError> {
    let how = match level {
        3 => "数字证书认证",
        _ => "窗口查验居民身份证原件",
    };
    let date = time::chinese_date(at);
    let body = vec![
        Block::Paragraph(format!("姓名：{name}")),
        Block::Paragraph(format!("公民身份号码：{masked_id}")),
        Block::Paragraph(format!("核验方式：{how}（实名等级{level}）")),
        Block::Paragraph(format!("用于办理：{item_name}")),
        Block::Paragraph(
            "申请人的身份已由本平台核验，可代替居民身份证复印件。完整号码由承办人员在办件页面查看，查看留痕。".into(),
        ),
    ];
    egov_documents::render(&Official {
        issuer: "北京市统一身份认证平台",
        number: "",
        title: "身份核验结果",
        addressee: "",
        body: &body,
        date: &date,
        seal: None,
        verification: None,
    })
}

/// The party's granted applications whose result (and certificate) is not
/// issued yet, by case number: the wallet issues them when it is opened.
pub async fn undocumented_grants(db: &Db, party: Party) -> Result<Vec<String>, StoreError> {
    let sql = "SELECT c.number FROM cases c JOIN applications a ON a.case_id = c.id \
               WHERE c.state = 'approved' \
               AND ((a.enterprise_id IS NULL AND a.applicant_id = $1) OR a.enterprise_id = $2) \
               AND NOT EXISTS (SELECT 1 FROM result_documents r WHERE r.case_id = c.id) \
               ORDER BY c.id";
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(sql)
        .bind(party.user_id)
        .bind(party.enterprise_id)
        .fetch_all(&mut *c)
        .await)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_applicants_own_identity_card_may_be_stood_for() {
        for own in ["居民身份证", "本人有效身份证件", "居民身份证或社会保障卡"]
        {
            assert!(super::is_identity_document(own), "{own}");
        }
        for other in [
            "父母或其他法定监护人身份证",
            "夫妻双方居民身份证",
            "授权委托书及代理人身份证明",
            "居民身份证申领登记表",
            "申请人身份证件及与死者关系证明",
        ] {
            assert!(!super::is_identity_document(other), "{other}");
        }
    }

    #[test]
    fn a_certificate_is_named_by_the_results_first_part_without_its_remark() {
        assert_eq!(
            super::name_of("不动产权证书（电子证照同步生成）；契税完税凭证"),
            "不动产权证书"
        );
        assert_eq!(super::name_of("食品经营许可证"), "食品经营许可证");
        assert_eq!(super::name_of("（副本）"), "（副本）");
    }
}
