//! The simulated platforms a trace can be replayed on.
//!
//! - [`fixed`]: M identical machines with a first-in-first-out scheduler; the simplest platform
//!   and the proof of the kernel against the golden result in `shared/data/golden/`.
//!
//! A platform replays a [`crate::trace::Trace`] and returns a [`RunOutcome`]: when each job
//! started and ended and how, plus the event count and digest. Reports are computed from the
//! outcome, so every platform reports the same way.

pub mod fixed;

use engine::SimTime;

/// How a job left the simulation. Every submitted job ends in exactly one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EndState {
    /// Ran to the end of its runtime.
    Completed,
    /// Could never run on this platform (asks for more than the platform has).
    Rejected,
}

impl EndState {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EndState::Completed => "completed",
            EndState::Rejected => "rejected",
        }
    }
}

/// What happened to one job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobOutcome {
    /// When it started running; `None` if it never did.
    pub start: Option<SimTime>,
    /// When it left the simulation (completion, or the submit time for a rejection).
    pub end: SimTime,
    /// How it left.
    pub state: EndState,
}

/// The result of replaying a trace on a platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// One entry per job of the trace, indexed by job id.
    pub jobs: Vec<JobOutcome>,
    /// When the simulation started (the trace's origin).
    pub start: SimTime,
    /// Machines the platform had (0 where capacity varies).
    pub capacity: u64,
    /// Sum over started jobs of machines held × runtime, in machine-microseconds.
    pub busy_machine_us: u128,
    /// Events the kernel processed.
    pub events: u64,
    /// The event log's digest (see [`crate::kernel::log`]).
    pub digest: String,
    /// Facts the report should mention (e.g. features of the trace this platform ignores).
    pub notes: Vec<String>,
}
