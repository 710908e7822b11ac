//! The principal x route matrix: every route, every kind of caller (each
//! role, citizens, enterprises, API keys, nobody), the expected answer. A
//! documented API route without a row here fails the last test.

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use egov_identity::Scope;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Citizen,
    EnterpriseRep,
    Handler,
    DeptAdmin,
    Dispatcher,
    /// A city-wide supervisor.
    Supervisor,
    /// A supervisor of another department than the matrix case's.
    OtherSupervisor,
    CatalogueAdmin,
    /// The matrix department's 统计员.
    Statistician,
    Auditor,
    Admin,
    KeyOrgWrite,
    KeyAuditRead,
}

const ALL: [Who; 14] = [
    Who::Anonymous,
    Who::Citizen,
    Who::EnterpriseRep,
    Who::Handler,
    Who::DeptAdmin,
    Who::Dispatcher,
    Who::Supervisor,
    Who::OtherSupervisor,
    Who::CatalogueAdmin,
    Who::Statistician,
    Who::Auditor,
    Who::Admin,
    Who::KeyOrgWrite,
    Who::KeyAuditRead,
];

/// What a caller gets: allowed (2xx), sent to sign in, or refused.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Outcome {
    Allowed,
    SignIn,
    Unauthorized,
    Forbidden,
    /// A case the caller may not see is "not found": numbers cannot be probed.
    Hidden,
    /// Let in, and the input judged (400, 409, 422): the matrix sends input
    /// that changes nothing where a change would upset later rows.
    Judged,
}

impl Outcome {
    /// Allowed to a thing that is not there: "not found".
    fn min_found(self) -> Outcome {
        match self {
            Outcome::Allowed => Outcome::Hidden,
            o => o,
        }
    }

    /// Signed in, "not found" whether or not the case may be seen.
    fn min_hidden(self) -> Outcome {
        match self {
            Outcome::Forbidden => Outcome::Hidden,
            o => o,
        }
    }
}

impl Who {
    fn is_key(self) -> bool {
        matches!(self, Who::KeyOrgWrite | Who::KeyAuditRead)
    }
    fn signed_in(self) -> bool {
        !self.is_key() && self != Who::Anonymous
    }
    fn is_applicant(self) -> bool {
        matches!(self, Who::Citizen | Who::EnterpriseRep)
    }
    fn is_staff(self) -> bool {
        self.signed_in() && !matches!(self, Who::Citizen | Who::EnterpriseRep)
    }
    /// A page only `allowed` may open: others signed in get 403, the rest sign in.
    fn page(self, allowed: bool) -> Outcome {
        match (allowed, self.signed_in()) {
            (true, _) => Outcome::Allowed,
            (false, true) => Outcome::Forbidden,
            (false, false) => Outcome::SignIn,
        }
    }
    /// Who may see the matrix case: its applicant (the citizen), staff of
    /// its department, its supervisors, auditors and administrators.
    fn sees_case(self) -> bool {
        self.signed_in() && !matches!(self, Who::EnterpriseRep | Who::OtherSupervisor)
    }
    /// A route on the matrix case: people who may not see it get "not found".
    fn on_case(self, allowed: bool) -> Outcome {
        match (allowed, self) {
            (true, _) => Outcome::Allowed,
            (false, Who::Anonymous) => Outcome::Unauthorized,
            (false, w) if w.is_key() => Outcome::Forbidden,
            (false, w) if !w.sees_case() => Outcome::Hidden,
            (false, _) => Outcome::Forbidden,
        }
    }
    /// A page on the matrix case: people who may not see it get the "not
    /// found" page, the rest 403; nobody signed in is sent to sign in.
    fn on_case_page(self, allowed: bool) -> Outcome {
        match (allowed, self) {
            (_, w) if !w.signed_in() => Outcome::SignIn,
            (true, _) => Outcome::Allowed,
            (false, w) if !w.sees_case() => Outcome::Hidden,
            (false, _) => Outcome::Forbidden,
        }
    }
    /// Whether a process lets this caller open a case: applicants, and
    /// handlers and dispatchers in their department.
    fn opens_cases(self) -> bool {
        matches!(
            self,
            Who::Citizen | Who::EnterpriseRep | Who::Handler | Who::Dispatcher
        )
    }
    /// A page of the enterprise's draft application: `owner` is what it
    /// gets; the citizen finds nothing; staff may not; nobody signs in.
    fn own_draft(self, owner: Outcome) -> Outcome {
        match self {
            Who::EnterpriseRep => owner,
            Who::Citizen => Outcome::Hidden,
            w => w.page(false),
        }
    }
    /// An API route on the enterprise's draft application: `owner` is what
    /// it gets; the citizen finds nothing; the others may not.
    fn own_draft_api(self, owner: Outcome) -> Outcome {
        match self {
            Who::EnterpriseRep => owner,
            Who::Citizen => Outcome::Hidden,
            w => w.api(false),
        }
    }
    /// An API route only `allowed` may call.
    fn api(self, allowed: bool) -> Outcome {
        match (allowed, self) {
            (true, _) => Outcome::Allowed,
            (false, Who::Anonymous) => Outcome::Unauthorized,
            (false, _) => Outcome::Forbidden,
        }
    }
}

/// Who may bring or register a petition: a resident with an account of
/// their own, and handlers.
fn registers(w: Who) -> bool {
    matches!(w, Who::Citizen | Who::Handler)
}

struct Route {
    method: Method,
    path: &'static str,
    expect: fn(Who) -> Outcome,
}

fn public(_: Who) -> Outcome {
    Outcome::Allowed
}

fn routes() -> Vec<Route> {
    let get = |path, expect| Route {
        method: Method::GET,
        path,
        expect,
    };
    let post = |path, expect| Route {
        method: Method::POST,
        path,
        expect,
    };
    let put = |path, expect| Route {
        method: Method::PUT,
        path,
        expect,
    };
    let delete = |path, expect| Route {
        method: Method::DELETE,
        path,
        expect,
    };
    vec![
        get("/", public),
        get("/departments", public),
        get("/departments/110105-SCJGJ", public),
        get("/login", public),
        get("/login/forgot", public),
        // No such reset under way: not found, whoever asks.
        get("/login/reset?t=none", |_| Outcome::Hidden),
        get("/register", public),
        get("/register/citizen", public),
        get("/register/enterprise", public),
        // No such confirmation under way: not found, whoever asks.
        get("/register/confirm?t=none", |_| Outcome::Hidden),
        get("/healthz", public),
        get("/readyz", public),
        // Open to the server's own host or the metrics token only: none
        // of these callers is either.
        get("/metrics", |_| Outcome::Unauthorized),
        get("/api/openapi.json", public),
        get("/api/docs", public),
        get("/.well-known/openid-configuration", public),
        get("/oidc/jwks", public),
        get("/api/v1/divisions", public),
        get("/api/v1/divisions/110105", public),
        get("/services", public),
        get("/services/statistics", public),
        get("/services/110105SCJGJ9001", public),
        get("/api/v1/services", public),
        get("/api/v1/services/search?q=食品", public),
        get("/admin/search", |w| w.page(w == Who::Admin)),
        // An empty list is a valid one: saved.
        post("/admin/search", |w| match w {
            Who::Admin => Outcome::Allowed,
            Who::DeptAdmin => Outcome::Forbidden,
            w => w.page(false),
        }),
        get("/api/v1/services/110105SCJGJ9001", public),
        // The matrix item serves 法人: the enterprise begins application 1.
        post("/services/110105SCJGJ9001/apply", |w| match w {
            Who::EnterpriseRep => Outcome::Allowed,
            Who::Citizen => Outcome::Forbidden,
            w => w.page(false),
        }),
        get("/applications/1", |w| w.own_draft(Outcome::Allowed)),
        get("/applications/1/materials", |w| {
            w.own_draft(Outcome::Allowed)
        }),
        get("/applications/1/check", |w| w.own_draft(Outcome::Allowed)),
        post("/applications/1/form", |w| w.own_draft(Outcome::Allowed)),
        // No material named: judged. Filing without the material: judged.
        post("/applications/1/files", |w| w.own_draft(Outcome::Judged)),
        post("/applications/1/submit", |w| w.own_draft(Outcome::Judged)),
        // A certificate nobody holds: not found, whoever's draft it is.
        post("/applications/1/certificate", |w| {
            w.own_draft(Outcome::Hidden)
        }),
        // The same through the API: the enterprise resumes application 1.
        post("/api/v1/services/110105SCJGJ9001/applications", |w| {
            w.api(w == Who::EnterpriseRep)
        }),
        get("/api/v1/applications/1", |w| {
            w.own_draft_api(Outcome::Allowed)
        }),
        put("/api/v1/applications/1/form", |w| {
            w.own_draft_api(Outcome::Allowed)
        }),
        // No material named: judged. Filing without the material: judged.
        post("/api/v1/applications/1/files", |w| {
            w.own_draft_api(Outcome::Judged)
        }),
        post("/api/v1/applications/1/submit", |w| {
            w.own_draft_api(Outcome::Judged)
        }),
        get("/api/v1/departments", public),
        get("/api/v1/departments/110105-GOV", public),
        get("/workbench", |w| w.page(w.is_staff())),
        get("/workbench/statistics", |w| w.page(w.is_staff())),
        get("/indicators/report", |w| w.page(w.is_staff())),
        get("/statistics", public),
        // Open311 GeoReport v2: reading is open to anyone; posting takes
        // an API key with open311:write in the form (tests/it/open311.rs),
        // which no caller here holds.
        get("/open311/v2/discovery.json", public),
        get("/open311/v2/services.xml", public),
        get("/open311/v2/requests.json", public),
        get("/open311/v2/services/e0102.json", public),
        get("/open311/v2/requests/2026000000.json", |_| Outcome::Hidden),
        get("/open311/v2/tokens/none.json", |_| Outcome::Hidden),
        post("/open311/v2/requests.json", |_| Outcome::Forbidden),
        get("/api/v1/grid/areas", public),
        // The catalogue (tests/it/catalogue.rs): civil servants read it, a
        // department's catalogue administrators keep its resources (this
        // one breaks a rule: judged) and their data (no such resource).
        get("/api/v1/catalogue/resources", |w| w.api(w.is_staff())),
        post("/api/v1/catalogue/resources", |w| {
            match w.api(matches!(w, Who::CatalogueAdmin | Who::Admin)) {
                Outcome::Allowed => Outcome::Judged,
                o => o,
            }
        }),
        get("/api/v1/catalogue/resources/110000-ZWFWJ-99999", |w| {
            w.api(w.is_staff()).min_found()
        }),
        get("/api/v1/catalogue/resources/110000-ZWFWJ-99999/rows", |w| {
            w.api(w.is_staff()).min_found()
        }),
        post("/api/v1/catalogue/resources/110000-ZWFWJ-99999/rows", |w| {
            w.api(w.is_staff()).min_found()
        }),
        // Sharing (tests/it/exchange.rs): a department's catalogue
        // administrators ask (for a resource that is not there) and answer
        // (a request that is not there); staff read their grants and the
        // usage; administrators bind clients (to no such client: judged);
        // the exchange itself takes only client-credentials tokens.
        post(
            "/api/v1/catalogue/resources/110000-ZWFWJ-99999/requests",
            |w| {
                w.api(matches!(w, Who::CatalogueAdmin | Who::Admin))
                    .min_found()
            },
        ),
        post("/api/v1/catalogue/requests/CASE/answer", |w| {
            w.api(w.is_staff()).min_found()
        }),
        get("/api/v1/catalogue/grants", |w| w.api(w.is_staff())),
        get("/api/v1/exchange/usage", |w| w.api(w.is_staff())),
        put("/api/v1/exchange/clients/none", |w| {
            match w.api(w == Who::Admin) {
                Outcome::Allowed => Outcome::Judged,
                o => o,
            }
        }),
        get("/api/v1/exchange/keys", public),
        get("/api/v1/exchange/resources/110000-ZWFWJ-99999/rows", |_| {
            Outcome::Unauthorized
        }),
        get("/catalogue", |w| w.page(w.is_staff())),
        get("/catalogue/110000-ZWFWJ-99999", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // The keepers' forms (tests/it/catalogue.rs): no such resource or
        // request, so civil servants are told it is not there.
        get("/catalogue/new", |w| {
            w.page(matches!(w, Who::CatalogueAdmin | Who::Admin))
        }),
        post("/catalogue/new", |w| {
            match w.page(matches!(w, Who::CatalogueAdmin | Who::Admin)) {
                Outcome::Allowed => Outcome::Judged,
                o => o,
            }
        }),
        get("/catalogue/110000-ZWFWJ-99999/edit", |w| {
            w.page(w.is_staff()).min_found()
        }),
        post("/catalogue/110000-ZWFWJ-99999/edit", |w| {
            w.page(w.is_staff()).min_found()
        }),
        post("/catalogue/110000-ZWFWJ-99999/data", |w| {
            w.page(w.is_staff()).min_found()
        }),
        post("/catalogue/110000-ZWFWJ-99999/request", |w| {
            w.page(w.is_staff()).min_found()
        }),
        get("/catalogue/requests/CASE", |w| {
            w.page(w.is_staff()).min_found()
        }),
        post("/catalogue/requests/CASE/answer", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // Open data is everyone's: the portal, its files, DCAT and CKAN's
        // Action API (tests/it/catalogue.rs and the ckanapi client).
        get("/open-data", public),
        get("/open-data/none", |_| Outcome::Hidden),
        get("/catalog.jsonld", public),
        get("/catalog.ttl", public),
        get("/api/3/action/status_show", public),
        post("/api/3/action/status_show", public),
        get("/api/action/status_show", public),
        post("/api/action/status_show", public),
        // Reporting is for anyone signed in (tests/it/grid_pages.rs); a
        // report's follow link is public, and this token names none.
        get("/grid/report", |w| w.page(w.signed_in())),
        post("/grid/report", |w| {
            if w.signed_in() {
                Outcome::Judged
            } else {
                Outcome::SignIn
            }
        }),
        // The mailboxes (tests/it/mailbox.rs): anyone reads the published
        // letters and writes (a letter that breaks a rule: judged; nobody
        // signed in posts with the form's double-submit token, which the
        // matrix does not carry); the texted code and the follow link name
        // no letter here; the answering department's handlers publish (the
        // matrix case is no letter: not found).
        get("/mailbox", public),
        get("/mailbox/write", public),
        post("/mailbox/write", |w| {
            if w.signed_in() {
                Outcome::Judged
            } else {
                Outcome::Forbidden
            }
        }),
        get("/mailbox/confirm/none", |_| Outcome::Hidden),
        post("/mailbox/confirm/none", |_| Outcome::Forbidden),
        get("/mailbox/follow/none", |_| Outcome::Hidden),
        post("/mailbox/follow/none/rate", |_| Outcome::Forbidden),
        get("/mailbox/letters/none", |_| Outcome::Hidden),
        get("/mailbox/letters/CASE/publish", |w| {
            w.page(w.is_staff()).min_found()
        }),
        post("/mailbox/letters/CASE/publish", |w| {
            w.page(w.is_staff()).min_found()
        }),
        get("/api/v1/mailbox/letters", public),
        post("/api/v1/mailbox/letters", |w| match w.api(w.signed_in()) {
            Outcome::Allowed => Outcome::Judged,
            o => o,
        }),
        get("/api/v1/mailbox/letters/CASE", |_| Outcome::Hidden),
        get("/api/v1/mailbox/figures", public),
        get("/api/v1/mailbox/letters/CASE/publication", |w| {
            w.api(w.signed_in()).min_found()
        }),
        put("/api/v1/mailbox/letters/CASE/publication", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/mailbox/letters/CASE/withdrawal", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/mailbox/letters/CASE/withdraw", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // Disclosure (tests/it/disclosure.rs): anyone reads the list, a
        // document and the table; citizens and enterprises request (the
        // matrix's empty form is judged); a department's handlers publish
        // (the matrix's form names no department of theirs: refused) and
        // withdraw (no document has this id: not found).
        get("/disclosure", public),
        get("/disclosure/documents/999999999", |_| Outcome::Hidden),
        post("/disclosure/documents/999999999/withdraw", |w| {
            w.page(w.is_staff()).min_found()
        }),
        get("/disclosure/publish", |w| w.page(w == Who::Handler)),
        post("/disclosure/publish", |w| w.page(false)),
        get("/disclosure/apply", |w| w.page(w.is_applicant())),
        post("/disclosure/apply", |w| match w.page(w.is_applicant()) {
            Outcome::Allowed => Outcome::Judged,
            o => o,
        }),
        get("/disclosure/report", public),
        get("/api/v1/disclosure/documents", public),
        post("/api/v1/disclosure/documents", |w| {
            match w.api(w.signed_in()) {
                Outcome::Allowed if w == Who::Handler => Outcome::Judged,
                Outcome::Allowed => Outcome::Forbidden,
                o => o,
            }
        }),
        get("/api/v1/disclosure/documents/1", |_| Outcome::Hidden),
        post("/api/v1/disclosure/documents/1/withdrawal", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/disclosure/requests", |w| {
            match w.api(w.signed_in()) {
                Outcome::Allowed => Outcome::Judged,
                o => o,
            }
        }),
        get("/api/v1/disclosure/report/2026", public),
        // Petitions (tests/it/petitions.rs): anyone signed in opens the
        // list page (staff see their agency's petitions); residents bring
        // petitions and handlers register them (the matrix's empty form is
        // judged); the matrix case is no petition: not found to anyone
        // signed in. The API lists petitions to handlers and supervisors.
        get("/petitions", |w| w.page(w.signed_in())),
        get("/petitions/new", |w| w.page(registers(w))),
        post("/petitions/new", |w| match w.page(registers(w)) {
            Outcome::Allowed => Outcome::Judged,
            o => o,
        }),
        get("/petitions/register", |w| w.page(registers(w))),
        post("/petitions/register", |w| match w.page(registers(w)) {
            Outcome::Allowed => Outcome::Judged,
            o => o,
        }),
        get("/petitions/CASE", |w| w.page(w.signed_in()).min_found()),
        get("/petitions/CASE/notices/petition_accepted", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/api/v1/petitions", |w| match w.api(registers(w)) {
            Outcome::Allowed => Outcome::Judged,
            o => o,
        }),
        get("/api/v1/petitions", |w| {
            w.api(matches!(
                w,
                Who::Handler | Who::Supervisor | Who::OtherSupervisor
            ))
        }),
        get("/api/v1/petitions/CASE", |w| {
            w.api(w.signed_in()).min_found()
        }),
        // Work plans (tests/it/workplan.rs): anyone signed in lists the
        // plans they may see; a supervisor drafts one (the matrix's title is
        // too short: judged); no plan or node has the matrix's id, so those
        // let past the sign-in are told it is not there.
        get("/api/v1/workplans", |w| w.api(w.signed_in())),
        post("/api/v1/workplans", |w| match w {
            Who::Supervisor | Who::OtherSupervisor => Outcome::Judged,
            w => w.api(false),
        }),
        get("/api/v1/workplans/1", |_| Outcome::Hidden),
        get("/api/v1/workplans/1/diff", |_| Outcome::Hidden),
        post("/api/v1/workplans/1/nodes", |w| {
            w.api(w.signed_in()).min_found()
        }),
        put("/api/v1/workplan-nodes/1", |w| {
            w.api(w.signed_in()).min_found()
        }),
        delete("/api/v1/workplan-nodes/1", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/workplans/1/confirmations", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/workplans/1/versions", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/workplan-nodes/1/reports", |w| {
            w.api(w.signed_in()).min_found()
        }),
        get("/api/v1/workplan-nodes/1/reports", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/workplan-nodes/1/decisions", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/workplan-reports/1/evidence", |_| Outcome::Judged),
        // The work plans' pages: anyone signed in lists plans; a supervisor
        // drafts one (the matrix's empty title: judged); a department's
        // handlers and administrator have their task list; no plan, node,
        // report or file has the matrix's id.
        get("/workplans", public),
        get("/workplans/1/summary", |_| Outcome::Hidden),
        get("/workplans/1/summary.pdf", |_| Outcome::Hidden),
        get("/workplans/1/summary.xlsx", |_| Outcome::Hidden),
        get("/api/v1/workplans/1/scores", |_| Outcome::Hidden),
        post("/workplans", |w| match w {
            Who::Supervisor | Who::OtherSupervisor => Outcome::Judged,
            w => w.page(false),
        }),
        get("/workplans/office", |w| {
            w.page(matches!(w, Who::Supervisor | Who::OtherSupervisor))
        }),
        get("/workplans/mine", |w| {
            w.page(matches!(w, Who::Handler | Who::DeptAdmin))
        }),
        get("/workplans/1", |_| Outcome::Hidden),
        get("/workplans/1/diff", |_| Outcome::Hidden),
        post("/workplans/1/nodes", |w| w.page(w.signed_in()).min_found()),
        post("/workplans/1/confirm", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/workplans/1/publish", |w| {
            w.page(w.signed_in()).min_found()
        }),
        get("/workplans/tasks/1", |w| w.page(w.signed_in()).min_found()),
        post("/workplans/tasks/1/report", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/workplans/tasks/1/decide", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/workplans/tasks/1/edit", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/workplans/reports/1/evidence", |w| {
            w.page(w.signed_in()).min_found()
        }),
        get("/workplans/evidence/1", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/workplans/tasks/1/orders", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/workplans/orders/CASE/step", |w| {
            w.page(w.signed_in()).min_found()
        }),
        post("/api/v1/workplan-nodes/1/orders", |w| {
            w.api(w.signed_in()).min_found()
        }),
        get("/api/v1/workplan-nodes/1/orders", |w| {
            w.api(w.signed_in()).min_found()
        }),
        post("/api/v1/workplan-orders/CASE/steps", |w| {
            w.api(w.signed_in()).min_found()
        }),
        get("/grid/follow/none", |_| Outcome::Hidden),
        // Following a report and deciding on one (tests/it/grid_pages.rs):
        // no report has this id, so those who may are told it is not there.
        post("/grid/reports/999999999/follow", |w| {
            w.page(w.signed_in()).min_found()
        }),
        get("/grid/reports/999999999", |w| {
            w.page(w.is_staff()).min_found()
        }),
        post("/grid/reports/999999999/decide", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // Merging a case (tests/it/grid_pages.rs): no grid case has this
        // number, so those who may are told it is not there.
        get("/grid/requests/2026000000/duplicates", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // The routing advice (tests/it/grid_routing.rs): as the duplicates.
        get("/grid/requests/2026000000/dispatch", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // The reporter's contact (tests/it/grid_pages.rs): as the duplicates.
        get("/grid/requests/2026000000/reporter", |w| {
            w.page(w.is_staff()).min_found()
        }),
        post("/grid/requests/2026000000/reporter", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // The command centre: its dispatchers and the supervisors.
        get("/grid/centre", |w| {
            w.page(matches!(
                w,
                Who::Dispatcher | Who::Supervisor | Who::OtherSupervisor
            ))
        }),
        get("/grid/centre/cases.json", |w| {
            w.page(matches!(
                w,
                Who::Dispatcher | Who::Supervisor | Who::OtherSupervisor
            ))
        }),
        get("/grid/centre/events", |w| {
            w.page(matches!(
                w,
                Who::Dispatcher | Who::Supervisor | Who::OtherSupervisor
            ))
        }),
        // A follow link's forms: the link is the right to use them, with the
        // form token its page set (tests/it/grid_pages.rs), which no caller
        // here echoes.
        post("/grid/follow/none/reopen", |_| Outcome::Forbidden),
        post("/grid/follow/none/rate", |_| Outcome::Forbidden),
        post("/grid/follow/none/withdraw", |_| Outcome::Forbidden),
        // The call-back's rating: as the contact.
        post("/grid/requests/2026000000/callback", |w| {
            w.page(w.is_staff()).min_found()
        }),
        // Without the case to merge into: judged, for civil servants.
        post("/grid/requests/2026000000/merge", |w| match w {
            w if w.is_staff() => Outcome::Judged,
            w => w.page(false),
        }),
        // Report photos are public by digest (tests/it/open311.rs); no
        // report has this one.
        get(
            "/grid/photos/0000000000000000000000000000000000000000000000000000000000000000.jpg",
            |_| Outcome::Hidden,
        ),
        // The matrix indicator is internal: civil servants see its
        // dashboard (no values yet) and figures; to the rest it is not there.
        get("/statistics/matrix_rate", |w| {
            if w.is_staff() {
                Outcome::Allowed
            } else {
                Outcome::Hidden
            }
        }),
        get("/statistics/matrix_rate/series.csv", |w| {
            if w.is_staff() {
                Outcome::Allowed
            } else {
                Outcome::Hidden
            }
        }),
        // No such index: the not-found page, to everyone.
        get("/rankings/matrix_rate", |_| Outcome::Hidden),
        // No area named: judged, for civil servants.
        post("/statistics/matrix_rate/watch", |w| match w {
            w if w.is_staff() => Outcome::Judged,
            w => w.page(false),
        }),
        // No data set named: not found, for civil servants.
        post("/indicators/report", |w| match w {
            w if w.is_staff() => Outcome::Hidden,
            w => w.page(false),
        }),
        // Not a multipart form: judged, for civil servants.
        post("/indicators/report/upload", |w| match w {
            w if w.is_staff() => Outcome::Judged,
            w => w.page(false),
        }),
        get("/supervision", |w| {
            w.page(matches!(w, Who::Supervisor | Who::OtherSupervisor))
        }),
        get("/cases", |w| {
            w.page(matches!(w, Who::Citizen | Who::EnterpriseRep))
        }),
        get("/cases/new", |w| w.page(w.opens_cases())),
        // An empty title: judged by those who may open a case.
        post("/cases/new", |w| match w {
            w if w.opens_cases() => Outcome::Judged,
            w => w.page(false),
        }),
        get("/cases/CASE", |w| w.on_case_page(w.sees_case())),
        // The matrix case is undecided: it has no result document yet.
        get("/cases/CASE/result", |w| w.on_case_page(false).min_hidden()),
        // The applicant's numbers unmasked: the handling department's
        // handlers and dispatchers, and the roles that need personal data.
        post("/cases/CASE/applicant", |w| match w {
            w if !w.signed_in() => Outcome::SignIn,
            w if !w.is_staff() => Outcome::Forbidden,
            w if !w.sees_case() => Outcome::Hidden,
            Who::Handler | Who::Dispatcher | Who::Auditor | Who::Admin => Outcome::Allowed,
            _ => Outcome::Forbidden,
        }),
        get("/verify", public),
        // The page forms send input that is refused (an empty comment, a
        // stale version, an open case to rate, an empty order or answer),
        // except the file, which those who see the case may add.
        post("/cases/CASE/comments", |w| match w {
            w if w.signed_in() && w.sees_case() => Outcome::Judged,
            w => w.on_case_page(false),
        }),
        post("/cases/CASE/attachments", |w| w.on_case_page(w.sees_case())),
        post("/cases/CASE/actions", |w| match w {
            Who::Citizen | Who::Handler | Who::Dispatcher | Who::Supervisor => Outcome::Judged,
            w => w.on_case_page(false),
        }),
        post("/cases/CASE/rating", |w| match w {
            Who::Citizen => Outcome::Judged,
            w => w.on_case_page(false),
        }),
        post("/cases/CASE/orders", |w| match w {
            Who::Supervisor => Outcome::Judged,
            Who::EnterpriseRep => Outcome::Forbidden,
            w => w.on_case_page(false),
        }),
        // Roles on the handler's account: a department administrator hands
        // out its department's working roles (the handler's own, again:
        // nothing changes); supervision, audit and city-wide grants are the
        // system administrator's (revoked, as nobody holds them: nothing
        // changes either).
        post("/admin/users/HANDLER/roles#grant-handler", |w| {
            w.page(matches!(w, Who::Admin | Who::DeptAdmin))
        }),
        post("/admin/users/HANDLER/roles#revoke-supervisor", |w| {
            w.page(w == Who::Admin)
        }),
        post("/admin/users/HANDLER/roles#revoke-supervisor-city", |w| {
            w.page(w == Who::Admin)
        }),
        post("/admin/users/HANDLER/roles#revoke-auditor", |w| {
            w.page(w == Who::Admin)
        }),
        post("/orders/1/answer", |w| match w {
            Who::Handler | Who::DeptAdmin => Outcome::Judged,
            // The order's case is another department's: not found.
            Who::OtherSupervisor => Outcome::Hidden,
            w => w.page(false),
        }),
        get("/admin", |w| {
            w.page(matches!(w, Who::Admin | Who::DeptAdmin))
        }),
        get("/admin/users", |w| {
            w.page(matches!(w, Who::Admin | Who::DeptAdmin))
        }),
        get("/admin/departments", |w| w.page(w == Who::Admin)),
        // Seals are the organisation's: system administrators'. The
        // department has none yet (its image is not found); a PDF is not a
        // seal (judged); removing none changes nothing.
        get("/admin/departments/110105-SCJGJ/seal", |w| {
            w.page(w == Who::Admin)
        }),
        get("/admin/departments/110105-SCJGJ/seal.png", |w| match w {
            Who::Admin => Outcome::Hidden,
            w => w.page(false),
        }),
        post("/admin/departments/110105-SCJGJ/seal", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        post("/admin/departments/110105-SCJGJ/seal/remove", |w| {
            w.page(w == Who::Admin)
        }),
        get("/admin/clients", |w| w.page(w == Who::Admin)),
        // A client that does not exist: found by nobody, refused to others.
        post("/admin/clients/c_none/secret", |w| match w {
            Who::Admin => Outcome::Hidden,
            w => w.page(false),
        }),
        post("/admin/clients/c_none/delete", |w| match w {
            Who::Admin => Outcome::Hidden,
            w => w.page(false),
        }),
        get("/admin/api-keys", |w| w.page(w == Who::Admin)),
        // No name, no scope: judged.
        post("/admin/api-keys", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        post("/admin/api-keys/999999/revoke", |w| match w {
            Who::Admin => Outcome::Hidden,
            w => w.page(false),
        }),
        // Nobody's account 999999: not found for those who manage accounts.
        post("/admin/users/999999/password-reset", |w| match w {
            Who::Admin | Who::DeptAdmin => Outcome::Hidden,
            w => w.page(false),
        }),
        post("/admin/users/999999/second-factor-reset", |w| match w {
            Who::Admin | Who::DeptAdmin => Outcome::Hidden,
            w => w.page(false),
        }),
        // Enabling the (enabled) handler changes nothing.
        post("/admin/users/HANDLER/state#enable-none", |w| {
            w.page(matches!(w, Who::Admin | Who::DeptAdmin))
        }),
        get("/enterprise/operators", |w| w.page(w == Who::EnterpriseRep)),
        // No operator named: judged for the legal representative.
        post("/enterprise/operators", |w| match w {
            Who::EnterpriseRep => Outcome::Judged,
            w => w.page(false),
        }),
        // No state asked for: judged for the legal representative.
        post("/enterprise/operators/nobody/state", |w| match w {
            Who::EnterpriseRep => Outcome::Judged,
            w => w.page(false),
        }),
        get("/admin/users/HANDLER", |w| {
            w.page(matches!(w, Who::Admin | Who::DeptAdmin))
        }),
        // Empty forms: judged by those the console lets in.
        post("/admin/users", |w| match w {
            Who::Admin | Who::DeptAdmin => Outcome::Judged,
            w => w.page(false),
        }),
        post("/admin/departments", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        post("/admin/clients", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        // The handler's department administrator records it too.
        post("/admin/users/HANDLER/assurance", |w| match w {
            Who::Admin | Who::DeptAdmin => Outcome::Judged,
            w => w.page(false),
        }),
        // Shown (and audited) to system administrators; the console is
        // not the auditors' (they read personal data through the API).
        post("/admin/users/HANDLER/reveal", |w| w.page(w == Who::Admin)),
        // The account's own forms, empty: judged for whoever is signed in.
        post("/account/password", |w| match w {
            w if w.signed_in() => Outcome::Judged,
            w => w.page(false),
        }),
        post("/account/mfa", |w| match w {
            w if w.signed_in() => Outcome::Judged,
            w => w.page(false),
        }),
        post("/account/mfa/disable", |w| match w {
            w if w.signed_in() => Outcome::Judged,
            w => w.page(false),
        }),
        post("/account/mfa/recovery", |w| match w {
            w if w.signed_in() => Outcome::Judged,
            w => w.page(false),
        }),
        // No consent for an unknown application: not found for whoever is
        // signed in.
        post("/account/apps/c_nobody/withdraw", |w| match w {
            w if w.signed_in() => Outcome::Hidden,
            w => w.page(false),
        }),
        // Personal access tokens: citizens' and enterprises' own. An empty
        // form is judged; nobody's token 999999 is not found.
        get("/account/tokens", |w| w.page(w.is_applicant())),
        // The wallet is applicants'; a certificate nobody holds is not found.
        get("/account/certificates", |w| w.page(w.is_applicant())),
        get("/account/certificates/ABCD-EFGH-JKLM-NPQR", |w| match w {
            w if w.is_applicant() => Outcome::Hidden,
            w => w.page(false),
        }),
        post("/account/tokens", |w| match w {
            w if w.is_applicant() => Outcome::Judged,
            w => w.page(false),
        }),
        post("/account/tokens/999999/revoke", |w| match w {
            w if w.is_applicant() => Outcome::Hidden,
            w => w.page(false),
        }),
        // The message centre and the notification settings: everyone's
        // own. Nobody's message 999999 is not found; an empty email or
        // code is judged; no channel chosen is a valid choice.
        get("/messages", |w| w.page(w.signed_in())),
        post("/messages/999999/open", |w| match w {
            w if w.signed_in() => Outcome::Hidden,
            w => w.page(false),
        }),
        post("/messages/read-all", |w| w.page(w.signed_in())),
        get("/api/v1/messages", |w| w.api(w.signed_in())),
        // Message 1 told the matrix case's handler; nobody else has it.
        post("/api/v1/messages/1/read", |w| match w {
            Who::Handler => Outcome::Allowed,
            w if w.signed_in() => Outcome::Hidden,
            w => w.api(false),
        }),
        post("/api/v1/messages/read-all", |w| w.api(w.signed_in())),
        get("/account/notifications", |w| w.page(w.signed_in())),
        post("/account/notifications", |w| w.page(w.signed_in())),
        post("/account/notifications/email", |w| match w {
            w if w.signed_in() => Outcome::Judged,
            w => w.page(false),
        }),
        post("/account/notifications/email/confirm", |w| match w {
            w if w.signed_in() => Outcome::Judged,
            w => w.page(false),
        }),
        // Notice templates: system administrators word them; an empty
        // wording is judged, a reset of an unchanged one goes back.
        get("/admin/notifications", |w| w.page(w == Who::Admin)),
        get("/admin/notifications/task_assigned/zh-CN", |w| {
            w.page(w == Who::Admin)
        }),
        post("/admin/notifications/task_assigned/zh-CN", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        post("/admin/notifications/task_assigned/en/reset", |w| {
            w.page(w == Who::Admin)
        }),
        // The grid's classes, dispatch rules and classifier: system
        // administrators; an empty file is judged and loads nothing, as is
        // training with no dispatches yet.
        get("/admin/grid", |w| w.page(w == Who::Admin)),
        post("/admin/grid/classes", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        post("/admin/grid/routing", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        post("/admin/grid/train", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.page(false),
        }),
        // Nobody's notice 999999: not found for whoever is signed in.
        post("/account/notices/999999/read", |w| match w {
            w if w.signed_in() => Outcome::Hidden,
            w => w.page(false),
        }),
        get("/account", |w| w.page(w.signed_in())),
        get("/account/password", |w| w.page(w.signed_in())),
        get("/account/mfa", |w| w.page(w.signed_in())),
        // Staff keep their second factor; the others here have none yet.
        get("/account/mfa/disable", |w| {
            w.page(matches!(w, Who::Citizen | Who::EnterpriseRep))
        }),
        get("/account/mfa/recovery", |w| w.page(w.is_staff())),
        Route {
            method: Method::POST,
            path: "/api/v1/departments",
            expect: |w| w.api(matches!(w, Who::Admin | Who::KeyOrgWrite)),
        },
        get("/api/v1/me", |w| {
            if w.signed_in() {
                Outcome::Allowed
            } else {
                Outcome::Unauthorized
            }
        }),
        // Account 1 is the citizen, in no department: system administrators
        // and auditors (who may see personal data) only.
        get("/api/v1/users/1", |w| {
            w.api(matches!(w, Who::Admin | Who::Auditor))
        }),
        get("/api/v1/calendar/2026", public),
        get("/api/v1/calendar/due?start=2026-09-24&n=20", public),
        Route {
            method: Method::POST,
            path: "/api/v1/calendar",
            expect: |w| w.api(w == Who::Admin),
        },
        get("/api/v1/audit/verify", |w| {
            w.api(matches!(w, Who::Admin | Who::Auditor | Who::KeyAuditRead))
        }),
        get("/api/v1/audit/checkpoints", |w| {
            w.api(matches!(w, Who::Admin | Who::Auditor | Who::KeyAuditRead))
        }),
        get("/.well-known/egov-audit-keys", public),
        get("/api/v1/processes", public),
        post("/api/v1/processes", |w| w.api(w == Who::Admin)),
        get("/api/v1/cases", |w| match w {
            Who::Anonymous => Outcome::Unauthorized,
            w if w.is_key() => Outcome::Forbidden,
            _ => Outcome::Allowed,
        }),
        // Applicants open their own; handlers register one at the counter.
        post("/api/v1/cases", |w| {
            w.api(matches!(
                w,
                Who::Citizen | Who::EnterpriseRep | Who::Handler
            ))
        }),
        get("/api/v1/cases/CASE", |w| match w {
            w if w.is_key() => Outcome::Hidden,
            w => w.on_case(w.sees_case()),
        }),
        post("/api/v1/cases/CASE/comments", |w| w.on_case(w.sees_case())),
        post("/api/v1/cases/CASE/attachments", |w| {
            w.on_case(w.sees_case())
        }),
        get("/api/v1/cases/CASE/attachments/1", |w| match w {
            w if w.is_key() => Outcome::Hidden,
            w => w.on_case(w.sees_case()),
        }),
        // A stale version: those who hold a role in the engine reach the
        // version check; the others are refused first.
        post("/api/v1/cases/CASE/actions", |w| match w {
            Who::Citizen | Who::Handler | Who::Dispatcher | Who::Supervisor => Outcome::Judged,
            w => w.on_case(false),
        }),
        // Only the applicant rates, and only a closed case.
        post("/api/v1/cases/CASE/rating", |w| match w {
            Who::Citizen => Outcome::Judged,
            w => w.on_case(false),
        }),
        // An empty order and an empty answer: let in, then refused as empty.
        post("/api/v1/cases/CASE/orders", |w| match w {
            Who::Supervisor => Outcome::Judged,
            Who::OtherSupervisor => Outcome::Hidden,
            w => w.api(false),
        }),
        post("/api/v1/orders/1/answer", |w| match w {
            Who::Handler | Who::DeptAdmin => Outcome::Judged,
            w => w.api(false),
        }),
        get("/api/v1/supervision/board", |w| {
            w.api(matches!(w, Who::Supervisor | Who::OtherSupervisor))
        }),
        get("/api/v1/metrics/cases", |w| w.api(w.is_staff())),
        get("/api/v1/indicators/elements", |w| w.api(w.is_staff())),
        // A new element each time: the office (none here) and administrators.
        post("/api/v1/indicators/elements", |w| w.api(w == Who::Admin)),
        get("/api/v1/indicators", public),
        // A formula naming an unknown element: judged, for those who may.
        put("/api/v1/indicators/matrix_rate", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.api(false),
        }),
        // Not public: civil servants read it; to anyone else it is not there.
        get(
            "/api/v1/indicators/matrix_rate/data?from=2026&to=2026",
            |w| {
                if w.is_staff() {
                    Outcome::Allowed
                } else {
                    Outcome::Hidden
                }
            },
        ),
        get(
            "/api/v1/indicators/matrix_rate/lights?from=2026&to=2026",
            |w| {
                if w.is_staff() {
                    Outcome::Allowed
                } else {
                    Outcome::Hidden
                }
            },
        ),
        get(
            "/api/v1/indicators/matrix_rate/forecast?from=2015&to=2026",
            |w| {
                if w.is_staff() {
                    Outcome::Allowed
                } else {
                    Outcome::Hidden
                }
            },
        ),
        // An empty set: stored (nothing), for a unit's 统计员.
        post("/api/v1/indicators/dataValueSets", |w| {
            w.api(w == Who::Statistician)
        }),
        get(
            "/api/v1/indicators/dataValueSets?dataElement=matrix_cases&orgUnit=110000",
            |w| w.api(w.is_staff()),
        ),
        get("/api/v1/indicators/validationRules", |w| {
            w.api(w.is_staff())
        }),
        // A side naming an unknown element: judged, for those who may.
        put(
            "/api/v1/indicators/validationRules/matrix_rate",
            |w| match w {
                Who::Admin => Outcome::Judged,
                w => w.api(false),
            },
        ),
        get("/api/v1/indicators/violations?from=2026&to=2026", |w| {
            w.api(w.is_staff())
        }),
        get(
            "/api/v1/indicators/outliers?element=matrix_cases&from=2026&to=2026",
            |w| w.api(w.is_staff()),
        ),
        get("/api/v1/indicators/dataSets", |w| w.api(w.is_staff())),
        get("/api/v1/indicators/composites", public),
        put(
            "/api/v1/indicators/matrix_rate/subscription?area=110000",
            |w| w.api(w.is_staff()),
        ),
        delete(
            "/api/v1/indicators/matrix_rate/subscription?area=110000",
            |w| w.api(w.is_staff()),
        ),
        // An index naming an unknown indicator: judged, for those who may.
        put("/api/v1/indicators/composites/matrix_rate", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.api(false),
        }),
        // No such index: not found, to everyone.
        get(
            "/api/v1/indicators/composites/matrix_rate/ranking?period=2026",
            |_| Outcome::Hidden,
        ),
        get(
            "/api/v1/indicators/composites/matrix_rate/lights?from=2026&to=2026",
            |_| Outcome::Hidden,
        ),
        // A set naming an unknown unit: judged, for those who may.
        put("/api/v1/indicators/dataSets/matrix_rate", |w| match w {
            Who::Admin => Outcome::Judged,
            w => w.api(false),
        }),
        // No such set: not found, for civil servants.
        get(
            "/api/v1/indicators/dataSets/matrix_rate/reporting?from=2026&to=2026",
            |w| {
                if w.is_staff() {
                    Outcome::Hidden
                } else {
                    w.api(false)
                }
            },
        ),
        // Service items: the matrix item belongs to 110105-SCJGJ, which no
        // department administrator here manages. Loading it again changes
        // nothing; an empty guide from the page is judged.
        post("/api/v1/services", |w| w.api(w == Who::Admin)),
        get("/admin/services", |w| {
            w.page(matches!(w, Who::Admin | Who::DeptAdmin))
        }),
        post("/admin/services", |w| match w {
            Who::Admin | Who::DeptAdmin => Outcome::Judged,
            w => w.page(false),
        }),
        // Withdrawn, then published again, so the item stays on offer.
        post("/api/v1/services/110105SCJGJ9001/withdraw", |w| {
            w.api(w == Who::Admin)
        }),
        post("/api/v1/services/110105SCJGJ9001/publish", |w| {
            w.api(w == Who::Admin)
        }),
        post("/admin/services/110105SCJGJ9001/withdraw", |w| {
            w.page(w == Who::Admin)
        }),
        post("/admin/services/110105SCJGJ9001/publish", |w| {
            w.page(w == Who::Admin)
        }),
    ]
}

/// Each signed-in caller's session cookie and CSRF token, and the keys.
struct Callers {
    sessions: std::collections::HashMap<String, (String, String)>,
    /// The matrix case: the citizen's licence application to the department.
    case_number: String,
    /// The handler's account, whose roles the grant rows change.
    handler_id: i64,
    org_key: String,
    audit_key: String,
}

impl Callers {
    async fn new(app: &TestApp) -> Callers {
        use egov_identity::{Role, RoleGrant};
        let dept = egov_org::department(app.db(), "110000-ZWFWJ")
            .await
            .unwrap()
            .id;
        let mut sessions = std::collections::HashMap::new();
        let pw = app.citizen("zhang.san").await;
        sessions.insert("Citizen".to_owned(), app.sign_in("zhang.san", &pw).await);
        let pw = app.enterprise("ent.rep").await;
        sessions.insert(
            "EnterpriseRep".to_owned(),
            app.sign_in("ent.rep", &pw).await,
        );
        let staff = [
            (Who::Handler, Role::Handler, true),
            (Who::DeptAdmin, Role::DepartmentAdmin, true),
            (Who::Dispatcher, Role::Dispatcher, true),
            (Who::Supervisor, Role::Supervisor, false),
            (Who::CatalogueAdmin, Role::CatalogueAdmin, true),
            (Who::Statistician, Role::Statistician, true),
            (Who::Auditor, Role::Auditor, false),
            (Who::Admin, Role::SystemAdmin, false),
        ];
        let elsewhere = egov_org::department(app.db(), "110108-SCJGJ")
            .await
            .unwrap()
            .id;
        for (who, role, scoped) in
            staff
                .into_iter()
                .chain([(Who::OtherSupervisor, Role::Supervisor, true)])
        {
            let username = format!("staff.{}", format!("{who:?}").to_lowercase());
            let home = if who == Who::OtherSupervisor {
                elsewhere
            } else {
                dept
            };
            let grant = RoleGrant {
                role,
                department_id: scoped.then_some(home),
            };
            let pw = app.staff_with(&username, Some(home), vec![grant]).await;
            sessions.insert(format!("{who:?}"), app.sign_in(&username, &pw).await);
        }
        let (case_number, _) = matrix_case(app, dept).await;
        let ctx = egov_kernel::Context::system();
        matrix_indicator(app).await;
        egov_services::registry::load(app.db(), &ctx, include_str!("fixtures/service-item.toml"))
            .await
            .unwrap();
        egov_services::registry::publish(app.db(), &ctx, "110105SCJGJ9001")
            .await
            .unwrap();
        let handler_id = egov_identity::list_users(app.db(), &Default::default())
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.username == "staff.handler")
            .unwrap()
            .id;
        Callers {
            sessions,
            case_number,
            handler_id,
            org_key: app.api_key(&[Scope::OrgWrite]).await,
            audit_key: app.api_key(&[Scope::AuditRead]).await,
        }
    }
}

/// The citizen's open licence application, with one visible file and one
/// supervision order to the department.
async fn matrix_case(app: &TestApp, dept: i64) -> (String, i64) {
    let ctx = egov_kernel::Context::system();
    let cal = egov_calendar::load_calendar(app.db()).await.unwrap();
    let processes = egov_cases::Processes::default();
    let def = processes
        .latest(app.db(), "administrative_license")
        .await
        .unwrap();
    let mut new = egov_cases::NewCase::new(&def, dept, "矩阵案件");
    new.applicant_id = Some(1);
    let case = egov_cases::start(
        app.db(),
        &ctx,
        &cal,
        egov_cases::Acting::Applicant {
            user_id: 1,
            enterprise_id: None,
        },
        new,
    )
    .await
    .unwrap();
    let files = egov_cases::attachments::FileStore::new(egov_web::WebSettings::default().files_dir);
    let upload = egov_cases::attachments::Upload {
        case_id: case.id,
        case_number: &case.number,
        name: "材料.pdf",
        bytes: egov_cases::attachments::samples::pdf("matrix", b""),
        internal: false,
        uploaded_by: Some(1),
        answers: None,
    };
    egov_cases::attachments::attach(app.db(), &ctx, &files, upload, 1024)
        .await
        .unwrap();
    egov_cases::orders::issue(app.db(), &ctx, &cal, case.id, 1, "请尽快办理", 3)
        .await
        .unwrap();
    (case.number, case.id)
}

/// An element and an indicator for civil servants only.
async fn matrix_indicator(app: &TestApp) {
    let ctx = egov_kernel::Context::system();
    egov_indicators::store::define_element(
        app.db(),
        &ctx,
        &egov_indicators::DataElement {
            code: "matrix_cases".into(),
            name: "矩阵件数".into(),
            name_en: None,
            unit: String::new(),
            aggregation: egov_indicators::Aggregation::Sum,
        },
    )
    .await
    .unwrap();
    let rate = egov_indicators::IndicatorDefinition {
        code: "matrix_rate".into(),
        name: "矩阵指标".into(),
        name_en: None,
        numerator: "#{matrix_cases}".into(),
        denominator: "1".into(),
        factor: 1.0,
        unit: String::new(),
        decimals: 0,
        public: false,
        bands: None,
    };
    egov_indicators::definition::define(app.db(), &ctx, &rate)
        .await
        .unwrap();
}

/// A PDF upload; a page's form also carries its CSRF field.
fn multipart_pdf(csrf: &str) -> (String, String) {
    let boundary = "matrixboundary";
    let token = match csrf {
        "" => String::new(),
        t => {
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n")
        }
    };
    let pdf = String::from_utf8(egov_cases::attachments::samples::pdf("matrix", b"")).unwrap();
    let body = format!(
        "{token}--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n{pdf}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The caller's session CSRF token, for page forms.
fn csrf_of(callers: &Callers, who: Who) -> String {
    callers
        .sessions
        .get(&format!("{who:?}"))
        .map(|(_, csrf)| csrf.clone())
        .unwrap_or_default()
}

async fn call(app: &TestApp, callers: &Callers, who: Who, route: &Route, n: usize) -> Outcome {
    let mut headers: Vec<(String, String)> = Vec::new();
    let (path, variant) = route.path.split_once('#').unwrap_or((route.path, ""));
    let path = path
        .replace("CASE", &callers.case_number)
        .replace("HANDLER", &callers.handler_id.to_string());
    match who {
        Who::Anonymous => {}
        Who::KeyOrgWrite => headers.push((
            "authorization".into(),
            format!("Bearer {}", callers.org_key),
        )),
        Who::KeyAuditRead => headers.push((
            "authorization".into(),
            format!("Bearer {}", callers.audit_key),
        )),
        person => {
            let (cookie, csrf) = &callers.sessions[&format!("{person:?}")];
            headers.push(("cookie".into(), cookie.clone()));
            headers.push(("x-csrf-token".into(), csrf.clone()));
        }
    }
    let json = |v: serde_json::Value, headers: &mut Vec<(String, String)>| {
        headers.push(("content-type".into(), "application/json".into()));
        v.to_string()
    };
    let page_form = route.method == Method::POST && !route.path.starts_with("/api/");
    let body = if page_form
        && (route.path.ends_with("/attachments")
            || route.path.ends_with("/files")
            || route.path.ends_with("/seal")
            || route.path.ends_with("/evidence")
            || route.path.ends_with("/data"))
    {
        let (content_type, body) = multipart_pdf(&csrf_of(callers, who));
        headers.push(("content-type".into(), content_type));
        body
    } else if page_form {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        let fields = if let Some((action, role)) = variant.split_once('-') {
            let (role, city) = match role.strip_suffix("-city") {
                Some(r) => (r, "&city_wide=on"),
                None => (role, ""),
            };
            format!("action={action}&role={role}{city}")
        } else if route.path == "/cases/new" {
            "process=administrative_license&department=110000-ZWFWJ&title=".to_owned()
        } else if route.path.ends_with("/actions") {
            "action=withdraw&version=999".to_owned()
        } else if route.path.ends_with("/rating") {
            "grade=5".to_owned()
        } else if route.path.ends_with("/certificate") {
            "material=0&certificate=ABCD-EFGH-JKLM-NPQR".to_owned()
        } else {
            "text=&body=&note=&key=matrix-key-0123456789".to_owned()
        };
        format!("csrf={}&{fields}", csrf_of(callers, who))
    } else if route.path == "/api/v1/services" && route.method == Method::POST {
        include_str!("fixtures/service-item.toml").to_owned()
    } else if route.path == "/api/v1/indicators/elements" {
        json(
            serde_json::json!({"code": format!("matrix_{n}"), "name": "矩阵", "aggregation": "sum"}),
            &mut headers,
        )
    } else if route.path == "/api/v1/indicators/matrix_rate" {
        json(
            serde_json::json!({"code": "matrix_rate", "name": "矩阵", "numerator": "#{nothing}",
                "denominator": "1", "factor": 1.0}),
            &mut headers,
        )
    } else if route.path == "/api/v1/indicators/validationRules/matrix_rate" {
        json(
            serde_json::json!({"code": "matrix_rate", "name": "矩阵", "left": "#{nothing}",
                "operator": "==", "right": "0"}),
            &mut headers,
        )
    } else if route.path == "/api/v1/indicators/dataSets/matrix_rate" {
        json(
            serde_json::json!({"code": "matrix_rate", "name": "矩阵", "frequency": "monthly",
                "elements": ["matrix_cases"], "units": ["119999"], "due_days": 5}),
            &mut headers,
        )
    } else if route.path == "/api/v1/indicators/composites/matrix_rate" {
        json(
            serde_json::json!({"code": "matrix_rate", "name": "矩阵", "normalisation": "min_max",
                "components": [{"indicator": "nothing", "weight": 1.0}]}),
            &mut headers,
        )
    } else if route.path == "/api/v1/catalogue/resources" {
        json(
            serde_json::json!({"code": "110000-ZWFWJ-00001", "department": "110000-ZWFWJ",
                "class": "303", "name": "矩阵资源", "abstract": "矩阵", "format": "接口",
                "update_cycle": "daily", "published": "2026-01-01", "sharing": "none",
                "open": "closed", "items": [{"name": "a", "title": "甲", "type": "string"}]}),
            &mut headers,
        )
    } else if route.path == "/api/v1/disclosure/requests" {
        // Too short to name anything: judged, nothing filed.
        json(
            serde_json::json!({"department": "110000-ZWFWJ", "information": "矩阵",
                "applicant_kind": "person", "form": "electronic", "delivery": "online"}),
            &mut headers,
        )
    } else if route.path == "/api/v1/workplans" {
        json(
            serde_json::json!({"title": "矩", "kind": "points", "year": 2026}),
            &mut headers,
        )
    } else if route.path.starts_with("/api/v1/workplan") && route.path.ends_with("/nodes")
        || route.path == "/api/v1/workplan-nodes/1" && route.method == Method::PUT
    {
        json(
            serde_json::json!({"level": "item", "title": "矩阵"}),
            &mut headers,
        )
    } else if route.path == "/api/v1/workplan-nodes/1/orders" && route.method == Method::POST {
        json(
            serde_json::json!({"what": "矩阵督办事项", "days": 5}),
            &mut headers,
        )
    } else if route.path == "/api/v1/workplan-orders/CASE/steps" {
        json(serde_json::json!({"action": "accept"}), &mut headers)
    } else if route.path == "/api/v1/workplans/1/confirmations" {
        json(
            serde_json::json!({"department": "110000-ZWFWJ", "decision": "confirmed"}),
            &mut headers,
        )
    } else if route.path == "/api/v1/workplans/1/versions" {
        json(serde_json::json!({"note": "矩阵"}), &mut headers)
    } else if route.path == "/api/v1/workplan-nodes/1/reports" && route.method == Method::POST {
        json(
            serde_json::json!({"progress": 1, "text": "矩阵"}),
            &mut headers,
        )
    } else if route.path == "/api/v1/workplan-nodes/1/decisions" {
        json(serde_json::json!({"verdict": "accept"}), &mut headers)
    } else if route.path == "/api/v1/petitions" {
        // A matter too short: judged, nothing registered.
        json(
            serde_json::json!({"department": "110000-ZWFWJ", "channel": "letter",
                "category": "其他", "matter": "矩阵", "request": "矩阵",
                "petitioner": {"name": "矩阵", "phone": "13800000000"}}),
            &mut headers,
        )
    } else if route.path == "/api/v1/disclosure/documents" {
        // A title too short: judged, nothing published.
        json(
            serde_json::json!({"department": "110000-ZWFWJ", "title": "矩", "issued_on": "2026-01-01",
                "category": "other", "body": "矩阵文件的正文内容"}),
            &mut headers,
        )
    } else if route.path.ends_with("/requests") {
        json(
            serde_json::json!({"purpose": "矩阵", "fields": ["a"], "until": "2027-01-01"}),
            &mut headers,
        )
    } else if route.path.ends_with("/answer") && route.path.contains("catalogue") {
        json(
            serde_json::json!({"decision": "refuse", "reason": "矩阵"}),
            &mut headers,
        )
    } else if route.path == "/api/v1/mailbox/letters" {
        json(
            serde_json::json!({"mailbox": "mayor", "category": "matrix", "subject": "矩阵来信",
                "body": "矩阵来信的内容"}),
            &mut headers,
        )
    } else if route.path.ends_with("/withdrawal") {
        json(serde_json::json!({"reason": "矩阵"}), &mut headers)
    } else if route.path.ends_with("/publication") {
        json(
            serde_json::json!({"subject": "矩阵", "body": "矩阵", "answer": "矩阵"}),
            &mut headers,
        )
    } else if route.path.starts_with("/api/v1/exchange/clients/") {
        json(
            serde_json::json!({"department": "110000-ZWFWJ"}),
            &mut headers,
        )
    } else if route.path.starts_with("/api/v1/catalogue/") && route.method == Method::POST {
        json(serde_json::json!({"rows": []}), &mut headers)
    } else if route.path == "/api/v1/indicators/dataValueSets" {
        json(serde_json::json!({"dataValues": []}), &mut headers)
    } else if route.path == "/api/v1/calendar" {
        // An empty calendar file: valid, loads nothing.
        "version = \"matrix\"\n".to_owned()
    } else if route.path == "/api/v1/processes" && route.method == Method::POST {
        // A shipped definition again: already loaded, nothing changes.
        include_str!("../../data/processes/city-grid-case.toml").to_owned()
    } else if route.path == "/api/v1/cases" && route.method == Method::POST {
        json(
            serde_json::json!({"process": "administrative_license",
                "department": "110000-ZWFWJ", "title": "矩阵申请"}),
            &mut headers,
        )
    } else if route.path.ends_with("/comments") {
        json(serde_json::json!({"body": "矩阵留言"}), &mut headers)
    } else if route.path.ends_with("/form") {
        json(serde_json::json!({"form": {}}), &mut headers)
    } else if route.path.ends_with("/submit") {
        json(
            serde_json::json!({"key": "matrix-key-0123456789"}),
            &mut headers,
        )
    } else if route.path.ends_with("/attachments") || route.path.ends_with("/files") {
        let (content_type, body) = multipart_pdf("");
        headers.push(("content-type".into(), content_type));
        body
    } else if route.path.ends_with("/actions") {
        json(
            serde_json::json!({"action": "withdraw", "version": 999}),
            &mut headers,
        )
    } else if route.path.ends_with("/rating") {
        json(serde_json::json!({"grade": 5}), &mut headers)
    } else if route.path.ends_with("/orders") {
        json(serde_json::json!({"body": ""}), &mut headers)
    } else if route.path.ends_with("/answer") {
        json(serde_json::json!({"answer": ""}), &mut headers)
    } else if route.method == Method::POST {
        headers.push(("content-type".into(), "application/json".into()));
        serde_json::json!({"code": format!("110105-M{n}"), "name": "矩阵测试部门",
            "kind": "district", "division": "110105", "parent": "110105-GOV"})
        .to_string()
    } else {
        String::new()
    };
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.send(route.method.clone(), &path, &h, body).await;
    match res.status {
        s if s.is_success() => Outcome::Allowed,
        StatusCode::SEE_OTHER if res.header("location").starts_with("/login") => Outcome::SignIn,
        // A signed-in user asking for the sign-in form is sent onwards.
        StatusCode::SEE_OTHER => Outcome::Allowed,
        StatusCode::UNAUTHORIZED => Outcome::Unauthorized,
        StatusCode::FORBIDDEN => Outcome::Forbidden,
        StatusCode::NOT_FOUND => Outcome::Hidden,
        StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
            Outcome::Judged
        }
        other => panic!(
            "{who:?} {} {}: unexpected {other}: {}",
            route.method, route.path, res.body
        ),
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_policy_says() {
    let app = TestApp::new().await;
    let callers = Callers::new(&app).await;
    let mut failures = Vec::new();
    let mut n = 0;
    for route in routes() {
        for who in ALL {
            n += 1;
            let got = call(&app, &callers, who, &route, n).await;
            let want = (route.expect)(who);
            if got != want {
                failures.push(format!(
                    "{who:?} {} {}: want {want:?}, got {got:?}",
                    route.method, route.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_session_write_without_the_csrf_header_is_refused() {
    let app = TestApp::new().await;
    let pw = app.staff("admin.user", true).await;
    let (cookie, _) = app.sign_in("admin.user", &pw).await;
    let body = serde_json::json!({"code": "110105-CSRF", "name": "跨站", "kind": "district",
        "division": "110105"});
    let res = app
        .send(
            Method::POST,
            "/api/v1/departments",
            &[("cookie", &cookie), ("content-type", "application/json")],
            body.to_string(),
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.get("/api/v1/departments/110105-CSRF").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_page_form_with_a_wrong_token_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let callers = Callers::new(&app).await;
    let tables = [
        "cases",
        "case_events",
        "case_comments",
        "case_attachments",
        "supervision_orders",
        "case_ratings",
        "applications",
        "application_files",
        "role_grants",
        "catalogue_loads",
        "catalogue_grants",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(app.count(t).await);
    }
    for route in routes()
        .iter()
        .filter(|r| r.method == Method::POST && !r.path.starts_with("/api/"))
    {
        for who in [Who::Citizen, Who::Handler, Who::Supervisor] {
            let (cookie, _) = &callers.sessions[&format!("{who:?}")];
            let path = route
                .path
                .split('#')
                .next()
                .unwrap()
                .replace("CASE", &callers.case_number)
                .replace("HANDLER", &callers.handler_id.to_string());
            let res = if path.ends_with("/attachments")
                || path.ends_with("/files")
                || path.ends_with("/upload")
                || path.ends_with("/evidence")
                || path.ends_with("/data")
            {
                let (ct, body) = multipart_pdf("forged");
                app.send(
                    Method::POST,
                    &path,
                    &[("cookie", cookie), ("content-type", &ct)],
                    body,
                )
                .await
            } else {
                app.post_form(
                    &path,
                    Some(cookie),
                    &[
                        ("csrf", "forged"),
                        ("body", "跨站留言"),
                        ("text", "跨站督办"),
                        ("grade", "5"),
                        ("action", "withdraw"),
                        ("version", "1"),
                        ("process", "administrative_license"),
                        ("title", "跨站申请"),
                        ("key", "matrix-key-0123456789"),
                        ("role", "supervisor"),
                    ],
                )
                .await
            };
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{who:?} {path}");
        }
    }
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(app.count(t).await, n, "{t} changed");
    }
}

/// Every API path in the OpenAPI document has a row in the matrix.
#[test]
fn the_matrix_covers_every_documented_route() {
    let doc = serde_json::to_value(egov_web::openapi()).unwrap();
    let covered: Vec<String> = routes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path.split('?').next().unwrap()))
        .collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "1")
                .replace("{number}", "CASE")
                .replace("{client_id}", "none")
                .replace("{year}", "2026")
                .replace(
                    "{code}",
                    if path.contains("divisions") {
                        "110105"
                    } else if path.contains("services") {
                        "110105SCJGJ9001"
                    } else if path.contains("indicators") {
                        "matrix_rate"
                    } else if path.contains("catalogue") || path.contains("exchange/resources") {
                        "110000-ZWFWJ-99999"
                    } else {
                        "110105-GOV"
                    },
                );
            let key = format!("{} {}", method.to_uppercase(), concrete);
            assert!(covered.contains(&key), "no matrix row for {key}");
        }
    }
}

/// Routes the matrix leaves to other tests, each with the reason. Anything
/// else a web part routes needs a row.
const NOT_IN_THE_MATRIX: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/assets/{*path}",
        "static files, the same for everyone",
    ),
    ("GET", "/favicon.ico", "a redirect to an asset"),
    ("GET", "/locale", "sets the language cookie, for anyone"),
    (
        "GET",
        "/oidc/authorize",
        "OpenID Connect protocol: tests/it/oidc.rs and the standard clients",
    ),
    ("POST", "/oidc/authorize", "OpenID Connect protocol"),
    (
        "GET",
        "/oidc/userinfo",
        "OpenID Connect protocol: a bearer access token",
    ),
    (
        "POST",
        "/oidc/userinfo",
        "OpenID Connect protocol: a bearer access token",
    ),
    ("GET", "/oidc/logout", "OpenID Connect RP-initiated logout"),
    ("POST", "/oidc/logout", "OpenID Connect RP-initiated logout"),
    (
        "POST",
        "/login",
        "the sign-in form: tests/it/pages.rs and identity.rs",
    ),
    (
        "GET",
        "/login/mfa",
        "the second step of signing in, for a half-signed-in session only",
    ),
    ("POST", "/login/mfa", "the second step of signing in"),
    (
        "POST",
        "/logout",
        "would end the matrix's own sessions: tests/it/pages.rs",
    ),
    (
        "POST",
        "/register/citizen",
        "registration before sign-in: tests/it/identity.rs",
    ),
    (
        "POST",
        "/register/enterprise",
        "registration before sign-in: tests/it/identity.rs",
    ),
    (
        "POST",
        "/register/confirm",
        "the phone confirmation of a registration",
    ),
    (
        "POST",
        "/login/forgot",
        "a password reset before sign-in: tests/it/password_reset.rs",
    ),
    (
        "POST",
        "/login/reset",
        "a password reset before sign-in: tests/it/password_reset.rs",
    ),
    (
        "POST",
        "/account/sessions/revoke",
        "would end the matrix's own sessions: tests/it/identity.rs",
    ),
    (
        "POST",
        "/account/sessions/end-all",
        "would end the matrix's own sessions: tests/it/identity.rs",
    ),
];

/// Every `.route("path", method(..))` in the web parts' sources, as
/// (method, path pattern).
fn routes_in_the_source() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        let src = krate.unwrap().path().join("src");
        if src.is_dir() {
            walk(&src, &mut files);
        }
    }
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let Some(path) = rest
                .trim_start()
                .strip_prefix('"')
                .and_then(|p| p.split('"').next())
            else {
                continue;
            };
            // The call's arguments: up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let args = &rest[..end];
            for method in ["get", "post", "put", "delete", "patch"] {
                let call = format!("{method}(");
                let named = args.match_indices(&call).any(|(i, _)| {
                    i == 0
                        || !args[..i]
                            .ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if named {
                    found.push((method.to_uppercase(), path.to_owned()));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Every route a web part declares (pages and all) has a matrix row, or is
/// named above with the reason it has none.
#[test]
fn the_matrix_covers_every_routed_page() {
    let rows: Vec<(String, String)> = routes()
        .iter()
        .map(|r| {
            let path = r.path.split(['?', '#']).next().unwrap();
            (r.method.to_string(), path.to_owned())
        })
        .collect();
    let fits = |pattern: &str, path: &str| {
        let (a, b): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
        a.len() == b.len()
            && a.iter()
                .zip(&b)
                .all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}')))
    };
    let declared = routes_in_the_source();
    assert!(
        declared.len() > 50,
        "the source scan found {} routes",
        declared.len()
    );
    let missing: Vec<String> = declared
        .iter()
        .filter(|(m, p)| {
            !NOT_IN_THE_MATRIX
                .iter()
                .any(|(em, ep, _)| em == m && ep == p)
        })
        .filter(|(m, p)| !rows.iter().any(|(rm, rp)| rm == m && fits(p, rp)))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a matrix row: {missing:?}"
    );
    // The exemptions name real routes, so the list cannot go stale.
    for (m, p, _) in NOT_IN_THE_MATRIX {
        assert!(
            declared.iter().any(|(dm, dp)| dm == m && dp == p),
            "{m} {p} is exempted but routed nowhere"
        );
    }
}
