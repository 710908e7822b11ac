//! The one place that decides what a principal may do. Every route asks
//! [`allows`]; the role x route matrix test walks it through the router.

use crate::api_key::Scope as KeyScope;
use crate::{ApiKey, Role, SessionUser, UserKind};

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    /// A person with a session: citizen, enterprise account or civil servant.
    User(SessionUser),
    Machine(ApiKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Public pages and reads: the portal, the directory, reference data.
    ReadPublic,
    /// Citizen and enterprise services (my applications, my account).
    UseCitizenServices,
    /// The staff workbench.
    UseWorkbench,
    /// The admin console.
    UseAdminConsole,
    /// Create and change departments.
    ManageOrg,
    /// Read and verify the audit log.
    ReadAudit,
    /// Create staff accounts and grant roles in a department (None: any).
    ManageUsers { department_id: Option<i64> },
    /// See ID and phone numbers unmasked (each view is audited).
    RevealPersonalData,
    /// Add and remove an enterprise's operators.
    ManageOperators { enterprise_id: i64 },
    /// Register API keys and single sign-on clients.
    ManageClients,
    /// Load reference data: calendars, code lists, process definitions.
    ManageReferenceData,
    /// The supervision board (电子监察), showing the departments the
    /// caller supervises.
    OpenSupervision,
    /// See the statistical reporting pages: a 统计员 anywhere.
    OpenReporting,
    /// The grid's command centre: its dispatchers and the supervisors.
    OpenCommandCentre,
    /// Supervise a department's cases: read them, issue 督办 orders, act
    /// as the process's supervisor. `None`: every department (a city-wide
    /// supervisor only).
    SuperviseCases { department_id: Option<i64> },
    /// Grant or revoke `role` in a department (`None`: a city-wide grant).
    /// A department administrator reaches the department's working roles
    /// in its own department only ([`Role::granted_by_department`]);
    /// everything else is the system administrator's.
    GrantRole {
        role: Role,
        department_id: Option<i64>,
    },
    /// Draft, publish, revise and withdraw the service items of a
    /// department (None: any department).
    ManageServiceItems { department_id: Option<i64> },
    /// Case metrics: any civil servant (their own department's figures are
    /// no secret inside government).
    ReadCaseMetrics,
    /// The indicators engine's data and indicators: civil servants, and
    /// statistics systems with `indicators:write`.
    ReadIndicators,
    /// Define data elements and indicators: the statistics office (a
    /// city-wide 统计员) and system administrators.
    ManageIndicators,
    /// Report values for the unit of `department_id` (None: any unit): its
    /// 统计员, the statistics office, or a statistics system's key.
    ReportIndicators { department_id: Option<i64> },
    /// Browse and search the whole information resource catalogue (open
    /// resources are public): civil servants.
    ReadCatalogue,
    /// Register and revise a department's resources and load their data:
    /// its catalogue administrators (None: any department, a city-wide
    /// one), system administrators, and a reference-data loader's key.
    ManageCatalogue { department_id: Option<i64> },
    /// Publish a department's answered letters (市长信箱 and its own
    /// mailbox) without personal data: its handlers, who answered them.
    PublishLetters { department_id: i64 },
    /// Publish documents of a department's own accord (主动公开) and
    /// withdraw them: its handlers.
    PublishDocuments { department_id: i64 },
}

pub fn allows(principal: &Principal, permission: Permission) -> bool {
    use Permission::*;
    match principal {
        _ if permission == ReadPublic => true,
        Principal::Anonymous => false,
        Principal::Machine(k) => match permission {
            ManageOrg => k.allows(KeyScope::OrgWrite),
            ReadAudit => k.allows(KeyScope::AuditRead),
            ManageReferenceData | ManageServiceItems { .. } | ManageCatalogue { .. } => {
                k.allows(KeyScope::ReferenceWrite)
            }
            ReadIndicators | ReportIndicators { .. } => k.allows(KeyScope::IndicatorsWrite),
            _ => false,
        },
        // Until the second factor, password change or enrolment is done,
        // a session may do nothing but that.
        Principal::User(u) if u.pending_setup().is_some() => false,
        Principal::User(u) => user_allows(u, permission),
    }
}

fn user_allows(u: &SessionUser, permission: Permission) -> bool {
    use Permission::*;
    let admin = u.has_role(Role::SystemAdmin);
    match permission {
        ReadPublic => true,
        UseCitizenServices => matches!(u.kind, UserKind::Citizen | UserKind::Enterprise),
        UseWorkbench => u.kind == UserKind::Staff,
        UseAdminConsole => admin || u.has_role(Role::DepartmentAdmin),
        ManageOrg | ManageClients | ManageReferenceData => admin,
        ReadAudit => admin || u.has_role(Role::Auditor),
        ManageUsers { department_id } | ManageServiceItems { department_id } => {
            admin
                || department_id.is_some_and(|d| {
                    u.roles
                        .iter()
                        .any(|g| g.role == Role::DepartmentAdmin && g.department_id == Some(d))
                })
        }
        RevealPersonalData => admin || u.has_role(Role::Auditor),
        OpenSupervision => u.has_role(Role::Supervisor),
        OpenReporting => u.has_role(Role::Statistician),
        OpenCommandCentre => u.has_role(Role::Dispatcher) || u.has_role(Role::Supervisor),
        SuperviseCases { department_id } => u.has_role_for(Role::Supervisor, department_id),
        GrantRole {
            role,
            department_id,
        } => {
            admin
                || (role.granted_by_department()
                    && department_id.is_some_and(|d| {
                        u.roles
                            .iter()
                            .any(|g| g.role == Role::DepartmentAdmin && g.department_id == Some(d))
                    }))
        }
        ReadCaseMetrics | ReadIndicators | ReadCatalogue => u.kind == UserKind::Staff,
        ManageCatalogue { department_id } => {
            admin || u.has_role_for(Role::CatalogueAdmin, department_id)
        }
        ManageIndicators => admin || u.has_role_for(Role::Statistician, None),
        PublishLetters { department_id } | PublishDocuments { department_id } => {
            u.has_role_for(Role::Handler, Some(department_id))
        }
        ReportIndicators { department_id } => u.has_role_for(Role::Statistician, department_id),
        ManageOperators { enterprise_id } => {
            u.is_legal_rep() && u.enterprise_id == Some(enterprise_id)
        }
    }
}

/// The departments a person acts for under one department-scoped role:
/// whose cases a supervisor supervises, whose units a 统计员 reports for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Everywhere,
    Departments(Vec<i64>),
}

impl Reach {
    /// The departments as a filter: `None` for every one.
    pub fn as_filter(&self) -> Option<&[i64]> {
        match self {
            Reach::Everywhere => None,
            Reach::Departments(d) => Some(d),
        }
    }

    /// Whether the person acts for some department at all.
    pub fn any(&self) -> bool {
        match self {
            Reach::Everywhere => true,
            Reach::Departments(d) => !d.is_empty(),
        }
    }

    /// Whether the reach takes in `department_id` (`None`: no department, which
    /// only a city-wide reach covers).
    pub fn covers(&self, department_id: Option<i64>) -> bool {
        match (self, department_id) {
            (Reach::Everywhere, _) => true,
            (Reach::Departments(d), Some(id)) => d.contains(&id),
            (Reach::Departments(_), None) => false,
        }
    }
}

/// Whose cases `principal` supervises (an empty list for non-supervisors).
pub fn supervision_reach(principal: &Principal) -> Reach {
    reach(principal, Role::Supervisor, |department_id| {
        Permission::SuperviseCases { department_id }
    })
}

/// Whose units `principal` reports indicator values for: a statistics system's
/// key with `indicators:write` and the city's 统计员 everywhere, a department's
/// 统计员 for that department.
pub fn report_reach(principal: &Principal) -> Reach {
    reach(principal, Role::Statistician, |department_id| {
        Permission::ReportIndicators { department_id }
    })
}

/// The departments for which `principal` holds `role` and `permission` allows
/// it; everywhere when the permission is allowed without a department.
fn reach(principal: &Principal, role: Role, permission: fn(Option<i64>) -> Permission) -> Reach {
    if allows(principal, permission(None)) {
        return Reach::Everywhere;
    }
    let Principal::User(u) = principal else {
        return Reach::Departments(Vec::new());
    };
    let mut departments: Vec<i64> = u
        .roles
        .iter()
        .filter(|g| g.role == role)
        .filter_map(|g| g.department_id)
        .filter(|&d| allows(principal, permission(Some(d))))
        .collect();
    departments.sort_unstable();
    departments.dedup();
    Reach::Departments(departments)
}
