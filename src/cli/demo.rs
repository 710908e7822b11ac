//! `egov demo load --people`: a tour for a newcomer. One account per role
//! (printed with its password), and applications in every state of the
//! 行政许可 process (awaiting acceptance, corrections, review with a
//! material owed under 容缺, granted, refused, withdrawn) plus cases past
//! their deadline with a warning, a yellow and a red card, so a new
//! installation shows every page filled. Running it again adds nothing
//! for accounts that exist.

use anyhow::Context as _;
use egov_cases::{Acting, Case, Processes};
use egov_documents::{Block, Official};
use egov_identity::{Grantor, NewStaff, Role, RoleGrant};
use egov_kernel::identifier::{CreditCode, MobileNumber, ResidentId};
use egov_kernel::{time, Context};
use egov_services::application::{self, Applicant, Given, Party};
use egov_store::{query, Db};
use serde_json::json;
use std::sync::Arc;

/// The item the cases are filed for: 网络预约出租汽车驾驶员证核发 (行政许可,
/// 北京市交通委员会), one of whose materials may follow later.
const ITEM: &str = "110000JTW0001";
const DEPARTMENT: &str = "110000-JTW";
/// An item enterprises apply for (北京市发展和改革委员会).
const ENTERPRISE_ITEM: &str = "110000FGW0001";

/// One account of the tour, as printed.
struct Person {
    role: &'static str,
    username: &'static str,
    password: String,
    note: &'static str,
}

fn new_password() -> String {
    format!("Demo-{}", &egov_identity::random_secret()[..14])
}

async fn exists(db: &Db, username: &str) -> anyhow::Result<Option<i64>> {
    Ok(egov_identity::list_users(db, &Default::default())
        .await?
        .into_iter()
        .find(|u| u.username == username)
        .map(|u| u.id))
}

/// Makes the people, then their cases, and prints the tour.
pub async fn people(db: &Db, files: &std::path::Path) -> anyhow::Result<()> {
    if exists(db, "demo.citizen").await?.is_some() {
        println!("demo people exist already (demo.citizen); nothing added");
        return Ok(());
    }
    let ctx = Context::system();
    let mut people = Vec::new();

    let password = new_password();
    let registered = egov_identity::register_citizen(
        db,
        &ctx,
        egov_identity::CitizenRegistration {
            username: "demo.citizen".into(),
            real_name: "王晓雨".into(),
            resident_id: ResidentId::parse("110105198506120317")?,
            phone: MobileNumber::parse("13910001001")?,
            password: password.clone().into(),
        },
    )
    .await?;
    egov_identity::confirmation::confirm_from_outbox(db, &registered.pending).await?;
    let citizen = registered.user_id.context("the citizen's account")?;
    // Verified at a counter: items that need it are open to the tour.
    egov_identity::set_assurance(db, &ctx, citizen, 2).await?;
    people.push(Person {
        role: "市民 citizen",
        username: "demo.citizen",
        password,
        note: "我的案件: applications in every state; 我的证照 after a download",
    });

    let password = new_password();
    let (enterprise, registered) = egov_identity::register_enterprise(
        db,
        &ctx,
        egov_identity::EnterpriseRegistration {
            name: "北京示例科技有限公司".into(),
            credit_code: Some(CreditCode::parse("91350100M000100Y43")?),
            org_code: None,
            legal_rep_name: "王建国".into(),
            legal_rep_id: ResidentId::parse("110102197903050419")?,
            username: "demo.company".into(),
            phone: MobileNumber::parse("13910001002")?,
            password: password.clone().into(),
        },
    )
    .await?;
    egov_identity::confirmation::confirm_from_outbox(db, &registered.pending).await?;
    let rep = registered
        .user_id
        .context("the legal representative's account")?;
    people.push(Person {
        role: "企业法定代表人 enterprise",
        username: "demo.company",
        password,
        note: "经办人账户, the enterprise's applications",
    });
    let password = new_password();
    egov_identity::add_operator(
        db,
        &ctx,
        enterprise,
        egov_identity::NewOperator {
            username: "demo.operator".into(),
            display_name: "赵经办".into(),
            phone: MobileNumber::parse("13910001003")?,
            password: password.clone().into(),
        },
    )
    .await?;
    people.push(Person {
        role: "企业经办人 operator",
        username: "demo.operator",
        password,
        note: "sets a new password at first sign-in",
    });

    let jtw = egov_org::department(db, DEPARTMENT).await?.id;
    let staff = [
        Staff {
            role: "窗口受理审查 handler",
            username: "demo.handler",
            display_name: "市交通委窗口",
            department_id: Some(jtw),
            roles: vec![grant(Role::Handler, Some(jtw))],
            note: "工作台: the department's queue, the cases below",
        },
        Staff {
            role: "督办 supervisor",
            username: "demo.supervisor",
            display_name: "市政务服务局督查员",
            department_id: None,
            roles: vec![grant(Role::Supervisor, None)],
            note: "电子监察: warnings and cards, 督办 orders",
        },
        Staff {
            role: "部门管理员 department admin",
            username: "demo.deptadmin",
            display_name: "市交通委管理员",
            department_id: Some(jtw),
            roles: vec![grant(Role::DepartmentAdmin, Some(jtw))],
            note: "管理后台: the department's staff",
        },
        Staff {
            role: "系统管理员 administrator",
            username: "demo.admin",
            display_name: "系统管理员",
            department_id: None,
            roles: vec![grant(Role::SystemAdmin, None)],
            note: "管理后台: departments and seals, items, notices, clients",
        },
        Staff {
            role: "审计员 auditor",
            username: "demo.auditor",
            display_name: "审计员",
            department_id: None,
            roles: vec![grant(Role::Auditor, None)],
            note: "the audit log through the API",
        },
    ];
    for Staff {
        role,
        username,
        display_name,
        department_id,
        roles,
        note,
    } in staff
    {
        let password = new_password();
        egov_identity::create_staff(
            db,
            &ctx,
            Grantor::Operator,
            NewStaff {
                username: username.into(),
                display_name: display_name.into(),
                department_id,
                roles,
                password: password.clone().into(),
                must_change_password: false,
            },
        )
        .await?;
        people.push(Person {
            role,
            username,
            password,
            note,
        });
    }

    let cases = Cases::new(db, files).await?;
    let filed = cases.tour(citizen, jtw).await?;
    cases
        .file(
            Party {
                user_id: rep,
                enterprise_id: Some(enterprise),
            },
            ENTERPRISE_ITEM,
            "法人",
            true,
        )
        .await?;

    println!("demo people (staff enrol a second factor at first sign-in):");
    for p in &people {
        println!(
            "  {:<28} {:<16} {:<22} {}",
            p.role, p.username, p.password, p.note
        );
    }
    println!("cases filed by demo.citizen for {ITEM} (handled by {DEPARTMENT}):");
    for (number, what) in filed {
        println!("  {number}  {what}");
    }
    Ok(())
}

/// A civil servant of the tour.
struct Staff {
    role: &'static str,
    username: &'static str,
    display_name: &'static str,
    department_id: Option<i64>,
    roles: Vec<RoleGrant>,
    note: &'static str,
}

fn grant(role: Role, department_id: Option<i64>) -> RoleGrant {
    RoleGrant {
        role,
        department_id,
    }
}

/// What filing and handling the tour's cases needs.
struct Cases<'a> {
    db: &'a Db,
    ctx: Context,
    files: egov_cases::attachments::FileStore,
    cal: Arc<egov_calendar::WorkCalendar>,
    processes: Processes,
}

impl<'a> Cases<'a> {
    async fn new(db: &'a Db, files: &std::path::Path) -> anyhow::Result<Self> {
        Ok(Cases {
            db,
            ctx: Context::system(),
            files: egov_cases::attachments::FileStore::new(files),
            cal: Arc::new(egov_calendar::load_calendar(db).await?),
            processes: Processes::default(),
        })
    }

    /// A one-page PDF standing for a material.
    fn material(name: &str) -> anyhow::Result<Vec<u8>> {
        let body = [Block::Paragraph(format!("演示数据：{name}"))];
        egov_documents::render(&Official {
            issuer: "演示材料",
            number: "",
            title: name,
            addressee: "",
            body: &body,
            date: "",
            seal: None,
            verification: None,
        })
        .map_err(Into::into)
    }

    /// Files an application for `item` with every material the guide asks
    /// for (those that may follow later too, unless `all` is false).
    async fn file(
        &self,
        party: Party,
        item: &str,
        audience: &str,
        all: bool,
    ) -> anyhow::Result<Case> {
        let draft = application::draft(
            self.db,
            &self.ctx,
            item,
            Applicant {
                party,
                audience,
                assurance: 2,
            },
        )
        .await?;
        let guide = application::guide_of(self.db, &draft).await?;
        for (i, m) in guide.materials.iter().enumerate() {
            if !m.required || (m.later && !all) {
                continue;
            }
            application::add_file(
                self.db,
                &self.ctx,
                &self.files,
                draft.id,
                party,
                Given {
                    material: i,
                    name: &format!("{}.pdf", m.name),
                    bytes: Self::material(&m.name)?,
                    certificate: None,
                    identity_level: None,
                },
                10 * 1024 * 1024,
            )
            .await?;
        }
        let key = egov_identity::random_secret();
        Ok(application::submit(
            self.db,
            &self.ctx,
            &self.cal,
            &self.processes,
            draft.id,
            party,
            &key,
        )
        .await?)
    }

    /// Takes `action` on the case as `acting`; answers the case after it.
    async fn act(
        &self,
        case: &Case,
        acting: Acting,
        action: &str,
        fields: serde_json::Value,
    ) -> anyhow::Result<Case> {
        let def = self
            .processes
            .get(self.db, &case.process_id, case.process_version as u32)
            .await?;
        Ok(egov_cases::act(
            self.db,
            &self.ctx,
            &self.cal,
            &def,
            case.id,
            case.version,
            acting,
            action,
            fields,
        )
        .await?)
    }

    /// The citizen's cases, one per state, and three past their deadline.
    async fn tour(
        &self,
        citizen: i64,
        department_id: i64,
    ) -> anyhow::Result<Vec<(String, &'static str)>> {
        let me = Party {
            user_id: citizen,
            enterprise_id: None,
        };
        let applicant = Acting::Applicant {
            user_id: citizen,
            enterprise_id: None,
        };
        let handler = Acting::Handler { department_id };
        let mut out = Vec::new();

        let c = self.file(me, ITEM, "个人", true).await?;
        out.push((c.number, "待受理: awaiting acceptance"));

        let c = self.file(me, ITEM, "个人", true).await?;
        let c = self
            .act(
                &c,
                handler,
                "request_correction",
                json!({ "missing": ["机动车驾驶证"], "note": "驾驶证页面不清晰，请重新扫描上传" }),
            )
            .await?;
        out.push((c.number, "待补正: corrections asked for, the clock stopped"));

        let c = self.file(me, ITEM, "个人", false).await?;
        let c = self.act(&c, handler, "accept", json!({})).await?;
        out.push((c.number, "审查: under review, the photo owed (容缺)"));

        let c = self.file(me, ITEM, "个人", true).await?;
        let c = self.act(&c, handler, "accept", json!({})).await?;
        let c = self
            .act(
                &c,
                handler,
                "approve",
                json!({ "opinion": "材料齐全，符合条件" }),
            )
            .await?;
        out.push((
            c.number,
            "准予许可: granted (download the result; the certificate goes to 我的证照)",
        ));

        let c = self.file(me, ITEM, "个人", true).await?;
        let c = self.act(&c, handler, "accept", json!({})).await?;
        let c = self
            .act(
                &c,
                handler,
                "refuse",
                json!({ "reasons": "驾驶证记满12分记录未满一年" }),
            )
            .await?;
        out.push((c.number, "不予许可: refused, with the reasons and remedies"));

        let c = self.file(me, ITEM, "个人", true).await?;
        let c = self
            .act(&c, applicant, "withdraw", json!({ "reason": "暂不办理" }))
            .await?;
        out.push((c.number, "已撤回: withdrawn by the applicant"));

        for (level, what) in [
            (Past::Warning, "审查, 预警: its deadline is near"),
            (Past::Due, "审查, 黄牌: past its deadline"),
            (Past::Red, "审查, 红牌: past the supervision period"),
        ] {
            let c = self.file(me, ITEM, "个人", true).await?;
            let c = self.act(&c, handler, "accept", json!({})).await?;
            self.backdate(&c, level).await?;
            out.push((c.number, what));
        }
        egov_cases::supervision::scan(self.db, "demo", time::now(), 100).await?;
        Ok(out)
    }

    /// Moves a case's clock back, as if it had been filed earlier, so that
    /// the supervision scan finds the alert `past` due. Its events move
    /// with it; the audit log keeps the real moments.
    async fn backdate(&self, case: &Case, past: Past) -> anyhow::Result<()> {
        let id = case.id;
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    type Moments = (
                        Option<time::Timestamp>,
                        Option<time::Timestamp>,
                        Option<time::Timestamp>,
                    );
                    let (warn, due, red): Moments = tx
                        .fetch_optional(
                            query("SELECT warn_at, due_at, red_at FROM cases WHERE id = $1")
                                .bind(id),
                        )
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("case {id} is gone"))?;
                    let target = match past {
                        Past::Warning => warn,
                        Past::Due => due,
                        Past::Red => red,
                    }
                    .ok_or_else(|| anyhow::anyhow!("case {id} has no such alert moment"))?;
                    let now = time::now();
                    let shift = (target - now) + chrono::Duration::hours(1);
                    let back = |t: Option<time::Timestamp>| t.map(|t| t - shift);
                    tx.execute(
                        query(
                            "UPDATE cases SET created_at = $1, state_entered_at = $1, \
                             warn_at = $2, due_at = $3, red_at = $4, next_alert_at = $2 \
                             WHERE id = $5",
                        )
                        .bind(now - shift)
                        .bind(back(warn))
                        .bind(back(due))
                        .bind(back(red))
                        .bind(id),
                    )
                    .await?;
                    let events: Vec<(i32, time::Timestamp)> = tx
                        .fetch_all(
                            query("SELECT seq, at FROM case_events WHERE case_id = $1").bind(id),
                        )
                        .await?;
                    for (seq, at) in events {
                        tx.execute(
                            query("UPDATE case_events SET at = $1 WHERE case_id = $2 AND seq = $3")
                                .bind(at - shift)
                                .bind(id)
                                .bind(seq),
                        )
                        .await?;
                    }
                    Ok::<_, anyhow::Error>(())
                })
            })
            .await
    }
}

#[derive(Clone, Copy)]
enum Past {
    Warning,
    Due,
    Red,
}
