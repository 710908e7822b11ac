//! The working-day calendar. Statutory deadlines run in working days (the
//! State Council's annual holiday notice decides which days those are), in
//! working hours, or in calendar days. The schedule is data: years are
//! loaded from versioned files, and a deadline that runs into a year whose
//! notice is not loaded yet is marked provisional.

mod calendar;
mod schedule;
mod store;

pub use calendar::{DayKind, Due, Unit, WorkCalendar};
pub use schedule::{
    CalendarFile, HolidayPeriod, ScheduleError, WorkingHours, WorkingHoursSpec, YearSchedule,
};
pub use store::{load_calendar, load_file, seed_builtin, CalendarCache, LoadError, BUILTIN};
