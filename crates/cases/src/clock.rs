//! The statutory clock of a case: its current deadline, when the clock
//! stands, and the moments electronic supervision warns and raises cards.
//!
//! A deadline is always `amount` units after `from` (its basis), so an
//! extension adds to the amount, a pause moves it on by the working days the
//! clock stood, and loading a year's holiday notice recomputes it exactly.

use crate::case::{AlertLevel, Basis, Case};
use crate::definition::{Clock, ProcessDefinition, Supervision};
use egov_calendar::{Unit, WorkCalendar};
use egov_kernel::time::Timestamp;

// Statutory deadlines are counted in Beijing time.
pub(crate) use egov_kernel::time::{beijing as local, from_beijing as utc};

/// The moments that follow from a basis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timers {
    pub due: Timestamp,
    pub provisional: bool,
    pub warn_at: Timestamp,
    pub red_at: Timestamp,
}

pub(crate) fn timers(sv: &Supervision, cal: &WorkCalendar, b: &Basis) -> Timers {
    let start = local(b.from);
    let due = cal.due(start, b.amount, b.unit);
    // The warning comes once the given share of the period is used, counted
    // in the period's own unit (working days, days or working hours).
    let share = ((f64::from(b.amount) * sv.warn_share).ceil() as u32).clamp(1, b.amount.max(1));
    let warn = cal.due(start, share, b.unit);
    let red = cal.due(due.at, sv.red_after, sv.red_unit());
    Timers {
        due: utc(due.at),
        provisional: due.provisional || red.provisional,
        warn_at: utc(warn.at),
        red_at: utc(red.at),
    }
}

/// The moment of the alert after `level`: warning, yellow card (the
/// deadline), red card (the end of the supervision period).
pub(crate) fn next_alert(
    level: AlertLevel,
    warn_at: Option<Timestamp>,
    due_at: Option<Timestamp>,
    red_at: Option<Timestamp>,
) -> Option<Timestamp> {
    match level {
        AlertLevel::None => warn_at,
        AlertLevel::Warning => due_at,
        AlertLevel::Yellow => red_at,
        AlertLevel::Red => None,
    }
}

/// The clock columns of a case, as they stand after a move.
#[derive(Debug, Clone)]
pub(crate) struct ClockState {
    pub basis: Option<Basis>,
    pub due_at: Option<Timestamp>,
    pub provisional: bool,
    pub warn_at: Option<Timestamp>,
    pub red_at: Option<Timestamp>,
    pub paused_at: Option<Timestamp>,
    pub paused_secs: i64,
    pub cycle: i32,
    pub level: AlertLevel,
}

impl ClockState {
    pub fn of(case: &Case) -> ClockState {
        ClockState {
            basis: case.basis,
            due_at: case.due_at,
            provisional: case.due_provisional,
            warn_at: case.warn_at,
            red_at: case.red_at,
            paused_at: case.paused_at,
            paused_secs: case.paused_secs,
            cycle: case.deadline_cycle,
            level: case.alert_level,
        }
    }

    fn running(&mut self, sv: &Supervision, cal: &WorkCalendar, basis: Basis) {
        let t = timers(sv, cal, &basis);
        self.basis = Some(basis);
        self.due_at = Some(t.due);
        self.provisional = t.provisional;
        self.warn_at = Some(t.warn_at);
        self.red_at = Some(t.red_at);
        self.paused_at = None;
    }

    /// The moment of the next alert to raise, if the clock runs.
    pub fn next_alert_at(&self) -> Option<Timestamp> {
        if self.paused_at.is_some() || self.due_at.is_none() {
            return None;
        }
        next_alert(self.level, self.warn_at, self.due_at, self.red_at)
    }

    /// An approved extension: the period grows by `extra` units.
    pub fn extend(&mut self, sv: &Supervision, cal: &WorkCalendar, extra: u32) {
        if let Some(mut b) = self.basis {
            b.amount += extra;
            self.running(sv, cal, b);
        }
    }

    /// Recomputes the deadline with a calendar that now knows more years.
    pub fn recompute(&mut self, sv: &Supervision, cal: &WorkCalendar) {
        if let (Some(b), None) = (self.basis, self.paused_at) {
            self.running(sv, cal, b);
        }
    }
}

/// When a case of `def` opened at `start` is due to leave its first state
/// (`None` if that state has no clock): what a matter not yet opened as a
/// case is due by, such as a grid report waiting to be filed.
pub fn first_due(
    def: &ProcessDefinition,
    cal: &WorkCalendar,
    start: Timestamp,
) -> Option<Timestamp> {
    enter(
        def,
        cal,
        None,
        &def.initial,
        true,
        start,
        &Default::default(),
    )
    .due_at
}

/// The clock on entering state `to`. `restart` starts the state's period
/// afresh even after a pause (after corrections the acceptance period runs
/// from the complete materials).
pub(crate) fn enter(
    def: &ProcessDefinition,
    cal: &WorkCalendar,
    before: Option<&Case>,
    to: &str,
    restart: bool,
    now: Timestamp,
    limits: &std::collections::BTreeMap<String, u32>,
) -> ClockState {
    let state = def.state(to).expect("validated definition");
    let mut clock = before.map(ClockState::of).unwrap_or(ClockState {
        basis: None,
        due_at: None,
        provisional: false,
        warn_at: None,
        red_at: None,
        paused_at: None,
        paused_secs: 0,
        cycle: 0,
        level: AlertLevel::None,
    });
    // Leaving a pause: count the working time the clock stood, so that
    // handling time can leave it out.
    let stood_since = clock.paused_at.take();
    if let Some(since) = stood_since {
        clock.paused_secs += cal.working_seconds_between(local(since), local(now));
    }
    if state.terminal {
        clock.due_at = None;
        clock.provisional = false;
        return clock;
    }
    if state.clock == Clock::Paused {
        // The basis is kept: resuming moves the same deadline on.
        clock.paused_at = Some(now);
        clock.due_at = None;
        return clock;
    }
    let deadline = state
        .deadline
        .as_ref()
        .expect("running states have deadlines");
    let sv = &def.supervision;
    // Resuming after a pause without a restart: the old deadline moves on by
    // the working days the clock stood still.
    if let (false, Some(since), Some(mut basis)) = (restart, stood_since, clock.basis) {
        if basis.unit == Unit::Workday && deadline.unit() == Unit::Workday {
            basis.amount += cal.workdays_between(local(since).date(), local(now).date());
            clock.running(sv, cal, basis);
            return clock;
        }
    }
    clock.cycle += 1;
    clock.level = AlertLevel::None;
    clock.running(
        sv,
        cal,
        Basis {
            from: now,
            amount: limits.get(to).copied().unwrap_or(deadline.amount),
            unit: deadline.unit(),
        },
    );
    clock
}
