//! The one place that decides what a principal may do. Every route asks
//! [`allows`]; the role x route matrix test walks it through the router.

use crate::{ApiKey, Scope, SessionUser};

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    Staff(SessionUser),
    Machine(ApiKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Public pages and reads: the portal, the directory, reference data.
    ReadPublic,
    /// The staff workbench.
    UseWorkbench,
    /// The admin console.
    UseAdminConsole,
    /// Create and change departments.
    ManageOrg,
    /// Read and verify the audit log.
    ReadAudit,
}

pub fn allows(principal: &Principal, permission: Permission) -> bool {
    use Permission::*;
    match (principal, permission) {
        (_, ReadPublic) => true,
        (Principal::Anonymous, _) => false,
        (Principal::Staff(u), UseWorkbench) => !u.must_change_password,
        (Principal::Staff(u), UseAdminConsole | ManageOrg | ReadAudit) => {
            u.is_admin && !u.must_change_password
        }
        (Principal::Machine(_), UseWorkbench | UseAdminConsole) => false,
        (Principal::Machine(k), ManageOrg) => k.allows(Scope::OrgWrite),
        (Principal::Machine(k), ReadAudit) => k.allows(Scope::AuditRead),
    }
}
