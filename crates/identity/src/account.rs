//! Accounts: citizens register with their resident ID number and phone;
//! enterprises with their credit code (or, for old records, organisation
//! code) and a legal representative, and manage operator sub-accounts;
//! civil servants are created by an administrator, in one department, with roles.

use crate::password::{generate_password, hash_password};
use crate::password_policy::PasswordPolicy;
use crate::policy::{allows, Permission, Principal};
use crate::roles::{Role, RoleGrant, Scope};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::identifier::{CreditCode, MobileNumber, OrgCode, ResidentId};
use egov_kernel::{time, Context};
use egov_store::{query, run, Db, StoreError, Tx};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Citizen,
    Enterprise,
    Staff,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Citizen => "citizen",
            UserKind::Enterprise => "enterprise",
            UserKind::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "citizen" => UserKind::Citizen,
            "enterprise" => UserKind::Enterprise,
            "staff" => UserKind::Staff,
            _ => return None,
        })
    }
}

fn invalid(field: &'static str, zh: &str, en: &str) -> IdentityError {
    IdentityError::Invalid {
        field,
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

pub fn validate_username(username: &str) -> Result<String, IdentityError> {
    let u = username.trim();
    let ok = (3..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(u.to_owned())
    } else {
        Err(invalid(
            "username",
            "用户名须为 3 至 32 位字母、数字或 . _ -",
            "user name must be 3-32 letters, digits, '.', '_' or '-'",
        ))
    }
}

fn validate_name(field: &'static str, name: &str) -> Result<String, IdentityError> {
    let n = name.trim();
    if (1..=50).contains(&n.chars().count()) {
        Ok(n.to_owned())
    } else {
        Err(invalid(
            field,
            "姓名或名称须为 1 至 50 个字符",
            "name must be 1-50 characters",
        ))
    }
}

/// Checks the password against the policy and hashes it off the executor.
async fn checked_hash(password: SecretString, personal: &[&str]) -> Result<String, IdentityError> {
    PasswordPolicy::builtin().check(password.expose_secret(), personal)?;
    Ok(hash_password(password).await?)
}

struct UserRow<'a> {
    username: &'a str,
    display_name: &'a str,
    kind: UserKind,
    department_id: Option<i64>,
    enterprise_id: Option<i64>,
    enterprise_role: Option<&'a str>,
    resident_id: Option<&'a str>,
    phone: Option<&'a str>,
    password_hash: &'a str,
    must_change_password: bool,
    /// False for a self-registered account until its phone is confirmed.
    phone_verified: bool,
    assurance_level: i32,
}

async fn insert_user(tx: &mut Tx, row: UserRow<'_>) -> Result<i64, IdentityError> {
    let inserted: Result<i64, StoreError> = tx
        .fetch_scalar(
            query(
                "INSERT INTO users (username, display_name, kind, department_id, enterprise_id, \
         enterprise_role, resident_id, phone, password_hash, must_change_password, created_at, \
         phone_verified, assurance_level) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(row.username)
            .bind(row.display_name)
            .bind(row.kind.as_str())
            .bind(row.department_id)
            .bind(row.enterprise_id)
            .bind(row.enterprise_role)
            .bind(row.resident_id)
            .bind(row.phone)
            .bind(row.password_hash)
            .bind(row.must_change_password)
            .bind(time::now())
            .bind(row.phone_verified)
            .bind(row.assurance_level),
        )
        .await;
    match inserted {
        Err(e) if e.is_unique_violation() => {
            // Which constraint: its name is in the cause, on either engine.
            if egov_kernel::error::Chain(&e)
                .to_string()
                .contains("resident_id")
            {
                Err(IdentityError::ResidentIdTaken)
            } else {
                Err(IdentityError::UsernameTaken(row.username.to_owned()))
            }
        }
        other => Ok(other?),
    }
}

async fn audit(
    tx: &mut Tx,
    ctx: &Context,
    action: &str,
    user_id: i64,
    detail: serde_json::Value,
) -> Result<(), IdentityError> {
    egov_audit::append(
        tx,
        ctx,
        Event {
            action,
            object_type: "user",
            object_id: &user_id.to_string(),
            detail,
        },
    )
    .await?;
    Ok(())
}

pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub department_id: Option<i64>,
    pub roles: Vec<RoleGrant>,
    pub password: SecretString,
    pub must_change_password: bool,
}

/// Who hands out an account or a role: a signed-in administrator, whose
/// reach the policy decides, or the operator at the command line.
#[derive(Clone, Copy)]
pub enum Grantor<'a> {
    Admin(&'a Principal),
    Operator,
}

/// A [`Grantor`] that a transaction body can own.
#[derive(Clone)]
struct OwnedGrantor(Option<Principal>);

impl OwnedGrantor {
    fn grantor(&self) -> Grantor<'_> {
        self.0.as_ref().map_or(Grantor::Operator, Grantor::Admin)
    }
}

impl Grantor<'_> {
    fn owned(self) -> OwnedGrantor {
        OwnedGrantor(match self {
            Grantor::Admin(p) => Some(p.clone()),
            Grantor::Operator => None,
        })
    }

    /// Whether the grantor may give `grant` to a user in `user_department`.
    fn reaches(self, user_department: Option<i64>, grant: &RoleGrant) -> bool {
        match self {
            Grantor::Operator => true,
            Grantor::Admin(p) => {
                allows(
                    p,
                    Permission::ManageUsers {
                        department_id: user_department,
                    },
                ) && allows(
                    p,
                    Permission::GrantRole {
                        role: grant.role,
                        department_id: grant.department_id,
                    },
                )
            }
        }
    }

    fn may_create_in(self, department: Option<i64>) -> bool {
        match self {
            Grantor::Operator => true,
            Grantor::Admin(p) => allows(
                p,
                Permission::ManageUsers {
                    department_id: department,
                },
            ),
        }
    }
}

/// Creates a civil servant's account with its roles, within the grantor's reach.
pub async fn create_staff(
    db: &Db,
    ctx: &Context,
    by: Grantor<'_>,
    new: NewStaff,
) -> Result<i64, IdentityError> {
    let username = validate_username(&new.username)?;
    let display_name = validate_name("display_name", &new.display_name)?;
    if !by.may_create_in(new.department_id) {
        return Err(IdentityError::Forbidden);
    }
    for g in &new.roles {
        check_grant_scope(g)?;
        if !by.reaches(new.department_id, g) {
            return Err(IdentityError::Forbidden);
        }
    }
    let hash = checked_hash(new.password, &[&username]).await?;
    let (ctx, roles, department_id) = (ctx.clone(), new.roles, new.department_id);
    let must_change_password = new.must_change_password;
    db.write(move |tx| {
        Box::pin(async move {
            let id = insert_user(
                tx,
                UserRow {
                    username: &username,
                    display_name: &display_name,
                    kind: UserKind::Staff,
                    department_id,
                    enterprise_id: None,
                    enterprise_role: None,
                    resident_id: None,
                    phone: None,
                    password_hash: &hash,
                    must_change_password,
                    // Made by an administrator who knows who they are.
                    phone_verified: true,
                    assurance_level: 2,
                },
            )
            .await?;
            for g in &roles {
                insert_grant(tx, id, g).await?;
            }
            let role_names: Vec<_> = roles.iter().map(|g| g.role.as_str()).collect();
            audit(
                tx,
                &ctx,
                "user.create",
                id,
                serde_json::json!({ "username": username, "kind": "staff",
                    "department_id": department_id, "roles": role_names }),
            )
            .await?;
            Ok(id)
        })
    })
    .await
}

fn check_grant_scope(g: &RoleGrant) -> Result<(), IdentityError> {
    match (g.role.scope(), g.department_id) {
        (Scope::Department, None) => Err(invalid(
            "roles",
            "该角色须指定部门",
            "this role needs a department",
        )),
        (Scope::City, Some(_)) => Err(invalid(
            "roles",
            "该角色不限于某个部门",
            "this role is city-wide and takes no department",
        )),
        _ => Ok(()),
    }
}

async fn insert_grant(tx: &mut Tx, user_id: i64, g: &RoleGrant) -> Result<(), IdentityError> {
    tx.execute(query("INSERT INTO role_grants (user_id, role, department_id, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING").bind(user_id).bind(g.role.as_str()).bind(g.department_id).bind(time::now())).await.map(|_| ())?;
    Ok(())
}

/// Grants a role (idempotent) within the grantor's reach, audited.
pub async fn grant_role(
    db: &Db,
    ctx: &Context,
    by: Grantor<'_>,
    user_id: i64,
    grant: RoleGrant,
) -> Result<(), IdentityError> {
    check_grant_scope(&grant)?;
    let (ctx, by) = (ctx.clone(), by.owned());
    db.write(move |tx| {
        Box::pin(async move {
            let kind = reach(tx, &by, user_id, &grant).await?;
            if kind != "staff" {
                return Err(invalid(
                    "roles",
                    "只有工作人员可以被授予角色",
                    "only staff accounts hold roles",
                ));
            }
            insert_grant(tx, user_id, &grant).await?;
            audit_grant(tx, &ctx, "user.grant_role", user_id, &grant).await
        })
    })
    .await
}

/// Revokes a role within the grantor's reach, audited.
pub async fn revoke_role(
    db: &Db,
    ctx: &Context,
    by: Grantor<'_>,
    user_id: i64,
    grant: RoleGrant,
) -> Result<(), IdentityError> {
    let (ctx, by) = (ctx.clone(), by.owned());
    db.write(move |tx| {
        Box::pin(async move {
            reach(tx, &by, user_id, &grant).await?;
            tx.execute(
                query(
                    "DELETE FROM role_grants WHERE user_id = $1 AND role = $2 \
                     AND COALESCE(department_id, 0) = COALESCE($3, 0)",
                )
                .bind(user_id)
                .bind(grant.role.as_str())
                .bind(grant.department_id),
            )
            .await?;
            audit_grant(tx, &ctx, "user.revoke_role", user_id, &grant).await
        })
    })
    .await
}

/// The user's kind, once the user is found and `grant` on them is within
/// the grantor's reach.
async fn reach(
    tx: &mut Tx,
    by: &OwnedGrantor,
    user_id: i64,
    grant: &RoleGrant,
) -> Result<String, IdentityError> {
    let user: Option<(String, Option<i64>)> = tx
        .fetch_optional(query("SELECT kind, department_id FROM users WHERE id = $1").bind(user_id))
        .await?;
    let Some((kind, department)) = user else {
        return Err(IdentityError::NotFound);
    };
    if !by.grantor().reaches(department, grant) {
        return Err(IdentityError::Forbidden);
    }
    Ok(kind)
}

async fn audit_grant(
    tx: &mut Tx,
    ctx: &Context,
    action: &str,
    user_id: i64,
    grant: &RoleGrant,
) -> Result<(), IdentityError> {
    let detail = serde_json::json!({ "role": grant.role.as_str(),
        "department_id": grant.department_id });
    audit(tx, ctx, action, user_id, detail).await
}

pub struct CitizenRegistration {
    pub username: String,
    pub real_name: String,
    pub resident_id: ResidentId,
    pub phone: MobileNumber,
    pub password: SecretString,
}

/// A registration taken: the account (none when the identity number was
/// registered already: the reply looks the same) and the phone
/// confirmation that makes it usable.
#[derive(Debug, Clone)]
pub struct Registered {
    pub user_id: Option<i64>,
    pub pending: crate::confirmation::Pending,
}

/// Registers a citizen. The account is usable once the code sent to the
/// phone is confirmed. Whether the resident ID number was registered
/// already is not told to the one registering; the phone's holder is told.
pub async fn register_citizen(
    db: &Db,
    ctx: &Context,
    reg: CitizenRegistration,
) -> Result<Registered, IdentityError> {
    let username = validate_username(&reg.username)?;
    let real_name = validate_name("real_name", &reg.real_name)?;
    let hash = checked_hash(
        reg.password,
        &[&username, reg.resident_id.as_str(), reg.phone.as_str()],
    )
    .await?;
    let (ctx, resident_id, phone) = (ctx.clone(), reg.resident_id, reg.phone);
    let (id_again, phone_again, ctx_again) = (resident_id.clone(), phone.clone(), ctx.clone());
    let registered = db
        .write(move |tx| {
            Box::pin(async move {
                let taken: i64 = tx
                    .fetch_scalar(
                        query("SELECT count(*) FROM users WHERE resident_id = $1")
                            .bind(resident_id.as_str()),
                    )
                    .await?;
                if taken > 0 {
                    return registered_already(tx, &ctx, &resident_id, &phone).await;
                }
                let id = insert_user(
                    tx,
                    UserRow {
                        username: &username,
                        display_name: &real_name,
                        kind: UserKind::Citizen,
                        department_id: None,
                        enterprise_id: None,
                        enterprise_role: None,
                        resident_id: Some(resident_id.as_str()),
                        phone: Some(phone.as_str()),
                        password_hash: &hash,
                        must_change_password: false,
                        phone_verified: false,
                        assurance_level: 0,
                    },
                )
                .await?;
                let pending = crate::confirmation::open(tx, Some(id), &phone).await?;
                // The audit record keeps the masked forms only.
                audit(
                    tx,
                    &ctx,
                    "user.register",
                    id,
                    serde_json::json!({ "username": username, "kind": "citizen",
                        "resident_id": resident_id.masked(), "phone": phone.masked() }),
                )
                .await?;
                Ok(Registered {
                    user_id: Some(id),
                    pending,
                })
            })
        })
        .await;
    match registered {
        // Someone registered the same number a moment ago: this body rolled
        // back, and the reply is the one for a number registered already.
        Err(IdentityError::ResidentIdTaken) => {
            db.write(move |tx| {
                Box::pin(async move {
                    registered_already(tx, &ctx_again, &id_again, &phone_again).await
                })
            })
            .await
        }
        other => other,
    }
}

/// The reply to a registration of an identity number registered already:
/// a confirmation without a code, the phone told, the attempt audited.
async fn registered_already(
    tx: &mut Tx,
    ctx: &Context,
    resident_id: &ResidentId,
    phone: &MobileNumber,
) -> Result<Registered, IdentityError> {
    let pending = crate::confirmation::open(tx, None, phone).await?;
    egov_audit::append(
        tx,
        ctx,
        Event {
            action: "user.register_refused",
            object_type: "resident_id",
            object_id: &resident_id.masked(),
            detail: serde_json::json!({ "phone": phone.masked(), "reason": "registered already" }),
        },
    )
    .await?;
    Ok(Registered {
        user_id: None,
        pending,
    })
}

pub struct EnterpriseRegistration {
    pub name: String,
    pub credit_code: Option<CreditCode>,
    pub org_code: Option<OrgCode>,
    pub legal_rep_name: String,
    pub legal_rep_id: ResidentId,
    pub username: String,
    pub phone: MobileNumber,
    pub password: SecretString,
}

/// Registers an enterprise and its legal representative's account, which
/// manages the enterprise's operators.
pub async fn register_enterprise(
    db: &Db,
    ctx: &Context,
    reg: EnterpriseRegistration,
) -> Result<(i64, Registered), IdentityError> {
    let username = validate_username(&reg.username)?;
    let name = validate_name("name", &reg.name)?;
    let rep = validate_name("legal_rep_name", &reg.legal_rep_name)?;
    if reg.credit_code.is_none() && reg.org_code.is_none() {
        return Err(invalid(
            "credit_code",
            "请填写统一社会信用代码（或旧的组织机构代码）",
            "give the unified social credit code (or the old organisation code)",
        ));
    }
    let credit = reg.credit_code.as_ref().map(|c| c.as_str().to_owned());
    let org = reg.org_code.as_ref().map(|c| c.formatted());
    let hash = checked_hash(reg.password, &[&username, reg.phone.as_str()]).await?;
    let (ctx, legal_rep_id, phone) = (ctx.clone(), reg.legal_rep_id, reg.phone);
    db.write(move |tx| {
        Box::pin(async move {
                let enterprise: Result<i64, StoreError> = tx
                    .fetch_scalar(
                        query(
                            "INSERT INTO enterprises (name, credit_code, org_code, legal_rep_name, \
                     legal_rep_id_number, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        )
                        .bind(&name)
                        .bind(credit.as_deref())
                        .bind(org.as_deref())
                        .bind(&rep)
                        .bind(legal_rep_id.as_str())
                        .bind(time::now()),
                    )
                    .await;
                let enterprise_id = match enterprise {
                    Err(e) if e.is_unique_violation() => return Err(IdentityError::EnterpriseTaken),
                    other => other?,
                };
                let user_id = insert_user(
                    tx,
                    UserRow {
                        username: &username,
                        display_name: &rep,
                        kind: UserKind::Enterprise,
                        department_id: None,
                        enterprise_id: Some(enterprise_id),
                        enterprise_role: Some("legal_rep"),
                        resident_id: None,
                        phone: Some(phone.as_str()),
                        password_hash: &hash,
                        must_change_password: false,
                        phone_verified: false,
                        assurance_level: 0,
                    },
                )
                .await?;
                let pending = crate::confirmation::open(tx, Some(user_id), &phone).await?;
                egov_audit::append(
                    tx,
                    &ctx,
                    Event {
                        action: "enterprise.register",
                        object_type: "enterprise",
                        object_id: &enterprise_id.to_string(),
                        detail: serde_json::json!({ "name": name, "credit_code": credit, "org_code": org,
                            "legal_rep": rep, "legal_rep_id": legal_rep_id.masked(), "user_id": user_id }),
                    },
                )
                .await?;
                Ok((
                    enterprise_id,
                    Registered {
                        user_id: Some(user_id),
                        pending,
                    },
                ))
        })
    })
    .await
}

pub struct NewOperator {
    pub username: String,
    pub display_name: String,
    pub phone: MobileNumber,
    pub password: SecretString,
}

/// Adds an operator sub-account to an enterprise.
pub async fn add_operator(
    db: &Db,
    ctx: &Context,
    enterprise_id: i64,
    op: NewOperator,
) -> Result<i64, IdentityError> {
    let username = validate_username(&op.username)?;
    let display_name = validate_name("display_name", &op.display_name)?;
    let hash = checked_hash(op.password, &[&username, op.phone.as_str()]).await?;
    let (ctx, phone) = (ctx.clone(), op.phone);
    db.write(move |tx| {
        Box::pin(async move {
            let id = insert_user(
                tx,
                UserRow {
                    username: &username,
                    display_name: &display_name,
                    kind: UserKind::Enterprise,
                    department_id: None,
                    enterprise_id: Some(enterprise_id),
                    enterprise_role: Some("operator"),
                    resident_id: None,
                    phone: Some(phone.as_str()),
                    password_hash: &hash,
                    must_change_password: true,
                    // Added by the legal representative, who vouches for them.
                    phone_verified: true,
                    assurance_level: 1,
                },
            )
            .await?;
            audit(
                tx,
                &ctx,
                "enterprise.add_operator",
                id,
                serde_json::json!({ "username": username, "enterprise_id": enterprise_id }),
            )
            .await?;
            Ok(id)
        })
    })
    .await
}

/// Disables or re-enables an account; disabling ends its sessions.
pub async fn set_disabled(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    disabled: bool,
) -> Result<(), IdentityError> {
    set_disabled_within(db, ctx, None, user_id, disabled).await
}

/// An enterprise's legal representative stops (or lets again) one of its
/// operators acting for it: disabling ends the operator's sessions at
/// once. Not found for anyone but an operator of that enterprise.
pub async fn set_operator_disabled(
    db: &Db,
    ctx: &Context,
    enterprise_id: i64,
    user_id: i64,
    disabled: bool,
) -> Result<(), IdentityError> {
    set_disabled_within(db, ctx, Some(enterprise_id), user_id, disabled).await
}

/// An enterprise's legal representative limits one of its operators to
/// seeing the enterprise's applications and results (`view_only`), or lets
/// them act again. Not found for anyone but an operator of that enterprise.
pub async fn set_operator_view_only(
    db: &Db,
    ctx: &Context,
    enterprise_id: i64,
    user_id: i64,
    view_only: bool,
) -> Result<(), IdentityError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE users SET view_only = $1 WHERE id = $2 AND enterprise_id = $3 \
                         AND enterprise_role = 'operator'",
                    )
                    .bind(view_only)
                    .bind(user_id)
                    .bind(enterprise_id),
                )
                .await?;
            if n == 0 {
                return Err(IdentityError::NotFound);
            }
            let action = match view_only {
                true => "enterprise.limit_operator",
                false => "enterprise.unlimit_operator",
            };
            let detail = serde_json::json!({ "enterprise_id": enterprise_id });
            audit(tx, &ctx, action, user_id, detail).await
        })
    })
    .await
}

/// [`set_disabled`], reaching only the operators of `enterprise` when one
/// is named.
async fn set_disabled_within(
    db: &Db,
    ctx: &Context,
    enterprise: Option<i64>,
    user_id: i64,
    disabled: bool,
) -> Result<(), IdentityError> {
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE users SET disabled = $1 WHERE id = $2 AND ($3 IS NULL \
                         OR (enterprise_id = $3 AND enterprise_role = 'operator'))",
                    )
                    .bind(disabled)
                    .bind(user_id)
                    .bind(enterprise),
                )
                .await?;
            if n == 0 {
                return Err(IdentityError::NotFound);
            }
            if disabled {
                crate::session::end_sessions(
                    tx,
                    crate::session::Sessions::AllOf {
                        user_id,
                        keep: None,
                    },
                    crate::session::Ending::AccountDisabled,
                )
                .await?;
            }
            let action = match (enterprise, disabled) {
                (None, true) => "user.disable",
                (None, false) => "user.enable",
                (Some(_), true) => "enterprise.disable_operator",
                (Some(_), false) => "enterprise.enable_operator",
            };
            let detail = match enterprise {
                Some(id) => serde_json::json!({ "enterprise_id": id }),
                None => serde_json::json!({}),
            };
            audit(tx, &ctx, action, user_id, detail).await
        })
    })
    .await
}

/// Records how well a holder's identity is established: 2 when verified in
/// person at a counter (identity card seen), 3 by a digital certificate.
/// Audited; only ever set by staff with the reach to manage the account.
pub async fn set_assurance(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    level: i32,
) -> Result<(), IdentityError> {
    if !(1..=3).contains(&level) {
        return Err(invalid(
            "assurance_level",
            "身份核验等级须为 1 至 3",
            "the assurance level is 1 to 3",
        ));
    }
    let ctx = ctx.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let n = tx
                .execute(
                    query(
                        "UPDATE users SET assurance_level = $1 WHERE id = $2 \
                         AND phone_verified = TRUE",
                    )
                    .bind(level)
                    .bind(user_id),
                )
                .await?;
            if n == 0 {
                return Err(IdentityError::NotFound);
            }
            audit(
                tx,
                &ctx,
                "user.set_assurance",
                user_id,
                serde_json::json!({ "level": level }),
            )
            .await
        })
    })
    .await
}

/// Offboards a civil servant who leaves: the account is disabled, every
/// role revoked and every session ended (with the single sign-on tokens
/// issued in them), in one transaction.
pub async fn offboard(
    db: &Db,
    ctx: &Context,
    by: Grantor<'_>,
    user_id: i64,
) -> Result<(), IdentityError> {
    let (ctx, by) = (ctx.clone(), by.owned());
    db.write(move |tx| {
        Box::pin(async move {
            let user: Option<(String, Option<i64>)> = tx
                .fetch_optional(
                    query("SELECT kind, department_id FROM users WHERE id = $1").bind(user_id),
                )
                .await?;
            let Some((kind, department)) = user else {
                return Err(IdentityError::NotFound);
            };
            if kind != "staff" || !by.grantor().may_create_in(department) {
                return Err(IdentityError::Forbidden);
            }
            let roles: Vec<(String,)> = tx
                .fetch_all(
                    query("DELETE FROM role_grants WHERE user_id = $1 RETURNING role")
                        .bind(user_id),
                )
                .await?;
            let roles: Vec<String> = roles.into_iter().map(|(r,)| r).collect();
            tx.execute(query("UPDATE users SET disabled = TRUE WHERE id = $1").bind(user_id))
                .await?;
            crate::session::end_sessions(
                tx,
                crate::session::Sessions::AllOf {
                    user_id,
                    keep: None,
                },
                crate::session::Ending::AccountDisabled,
            )
            .await?;
            audit(
                tx,
                &ctx,
                "user.offboard",
                user_id,
                serde_json::json!({ "revoked_roles": roles }),
            )
            .await
        })
    })
    .await
}

/// An account as administrators and the account holder see it. The ID
/// number and phone here are full; callers mask them unless the viewer's
/// role needs them (see `crate::personal`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub kind: String,
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub enterprise_id: Option<i64>,
    pub enterprise_role: Option<String>,
    /// An operator limited to seeing the enterprise's business.
    pub view_only: bool,
    /// The enterprise's name.
    pub enterprise_name: Option<String>,
    /// The enterprise's credit code (or old organisation code).
    pub enterprise_code: Option<String>,
    pub resident_id: Option<String>,
    pub phone: Option<String>,
    pub mfa_enabled: bool,
    pub disabled: bool,
    pub created_at: time::Timestamp,
    /// How well the holder's identity is established (0-3; see
    /// [`set_assurance`]).
    pub assurance_level: i32,
    pub phone_verified: bool,
}

const USER_COLUMNS: &str = "SELECT u.id, u.username, u.display_name, u.kind, u.department_id, \
     d.code AS department_code, u.enterprise_id, u.enterprise_role, u.view_only, \
     e.name AS enterprise_name, COALESCE(e.credit_code, e.org_code) AS enterprise_code, \
     u.resident_id, u.phone, \
     (u.totp_secret IS NOT NULL) AS mfa_enabled, u.disabled, u.created_at, \
     u.assurance_level, u.phone_verified \
     FROM users u LEFT JOIN departments d ON d.id = u.department_id \
     LEFT JOIN enterprises e ON e.id = u.enterprise_id";

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub kind: Option<UserKind>,
}

pub async fn list_users(db: &Db, filter: &UserFilter) -> Result<Vec<UserRecord>, IdentityError> {
    let mut r = db.reader().await?;
    let sql = format!(
        "{USER_COLUMNS} WHERE ($1 IS NULL OR u.department_id = $1) \
         AND ($2 IS NULL OR u.enterprise_id = $2) AND ($3 IS NULL OR u.kind = $3) \
         ORDER BY u.id LIMIT 1000"
    );
    Ok(run!(r, |c| sqlx::query_as(&sql)
        .bind(filter.department_id)
        .bind(filter.enterprise_id)
        .bind(filter.kind.map(UserKind::as_str))
        .fetch_all(&mut *c)
        .await)?)
}

/// How staff see who applied, for each of `ids`: the person's name, and for
/// someone acting for an enterprise the enterprise's name before it.
pub async fn applicant_names(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT u.id, u.display_name, e.name FROM users u \
         LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE u.id IN ({})",
        egov_store::in_list(1, ids.len())
    );
    let mut r = db.reader().await?;
    let rows: Vec<(i64, String, Option<String>)> = run!(r, |c| {
        let mut q = sqlx::query_as(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(&mut *c).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, person, enterprise)| {
            let name = match enterprise {
                Some(e) => format!("{e}（{person}）"),
                None => person,
            };
            (id, name)
        })
        .collect())
}

pub async fn get_user(db: &Db, id: i64) -> Result<UserRecord, IdentityError> {
    let mut r = db.reader().await?;
    let sql = format!("{USER_COLUMNS} WHERE u.id = $1");
    run!(r, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?
    .ok_or(IdentityError::NotFound)
}

pub async fn roles_of(db: &Db, user_id: i64) -> Result<Vec<RoleGrant>, egov_store::StoreError> {
    let mut r = db.reader().await?;
    let rows: Vec<(String, Option<i64>)> = run!(r, |c| sqlx::query_as(
        "SELECT role, department_id FROM role_grants WHERE user_id = $1 ORDER BY role"
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(role, department_id)| {
            Some(RoleGrant {
                role: role.parse().ok()?,
                department_id,
            })
        })
        .collect())
}

pub async fn count_users(db: &Db) -> Result<i64, IdentityError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM users"
    )
    .fetch_one(&mut *c)
    .await)?)
}

/// The first administrator's one-time credentials, shown once at first start.
pub struct FirstAdmin {
    pub username: String,
    pub password: SecretString,
}

pub const FIRST_ADMIN_USERNAME: &str = "admin";

/// Creates the first system administrator when there is none. Returns the
/// credentials only when it created them, so they are printed exactly once.
pub async fn ensure_first_admin(db: &Db) -> Result<Option<FirstAdmin>, IdentityError> {
    let mut r = db.reader().await?;
    let admins: i64 = run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM role_grants WHERE role = 'system_admin'"
    )
    .fetch_one(&mut *c)
    .await)?;
    drop(r);
    if admins > 0 {
        return Ok(None);
    }
    let password = generate_password();
    create_staff(
        db,
        &Context::system(),
        Grantor::Operator,
        NewStaff {
            username: FIRST_ADMIN_USERNAME.to_owned(),
            display_name: "系统管理员".to_owned(),
            department_id: None,
            roles: vec![RoleGrant {
                role: Role::SystemAdmin,
                department_id: None,
            }],
            password: SecretString::from(password.clone()),
            must_change_password: true,
        },
    )
    .await?;
    Ok(Some(FirstAdmin {
        username: FIRST_ADMIN_USERNAME.to_owned(),
        password: SecretString::from(password),
    }))
}

/// Replaces a user's password after `proof` (the current password, counted
/// like a sign-in attempt, and a code when a second factor is enrolled),
/// clears the must-change flag, and ends the user's other sessions.
pub async fn change_password(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    keep_session: Option<&str>,
    proof: crate::reauth::Proof,
    new_password: SecretString,
) -> Result<(), IdentityError> {
    let mut r = db.reader().await?;
    let username: String = run!(r, |c| sqlx::query_scalar(
        "SELECT username FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_one(&mut *c)
    .await)?;
    drop(r);
    // Check the new one first: a weak new password costs no attempt.
    PasswordPolicy::builtin().check(new_password.expose_secret(), &[&username])?;
    crate::reauth::confirm(db, ctx, user_id, proof).await?;
    let hash = checked_hash(new_password, &[&username]).await?;
    let (ctx, keep) = (ctx.clone(), keep_session.map(str::to_owned));
    db.write(move |tx| {
        Box::pin(async move {
            tx.execute(
                query(
                    "UPDATE users SET password_hash = $1, must_change_password = FALSE \
                     WHERE id = $2",
                )
                .bind(&hash)
                .bind(user_id),
            )
            .await?;
            crate::session::end_sessions(
                tx,
                crate::session::Sessions::AllOf {
                    user_id,
                    keep: keep.as_deref(),
                },
                crate::session::Ending::PasswordChanged,
            )
            .await?;
            // Whoever had the old password may have made a token with it.
            crate::session::revoke_personal_tokens(tx, user_id).await?;
            audit(
                tx,
                &ctx,
                "user.change_password",
                user_id,
                serde_json::json!({}),
            )
            .await
        })
    })
    .await
}
