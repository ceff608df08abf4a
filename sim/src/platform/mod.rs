//! The simulated platforms a trace can be replayed on.
//!
//! - [`fixed`]: M identical machines with a first-in-first-out scheduler; the simplest platform
//!   and the proof of the kernel against the golden result in `shared/data/golden/`.
//! - [`cloud`]: the simulated clouds (`sim::cloud`) driven by the engine's controller, with
//!   reservation windows, a policy, shards and their local schedulers; costs every job.
//! - [`cost`]: how a cloud run's bill is shared out between jobs and idle capacity.
//!
//! A platform replays a [`crate::trace::Trace`] and returns a [`RunOutcome`]: when each job
//! started and ended and how, plus the event count and digest. Reports are computed from the
//! outcome, so every platform reports the same way.

pub mod cloud;
pub mod cost;
pub mod fixed;

use engine::{SimDuration, SimTime};

/// How a job left the simulation. Every submitted job ends in exactly one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EndState {
    /// Ran to the end of its runtime.
    Completed,
    /// Could never run on this platform (asks for more than the platform has).
    Rejected,
    /// Stopped for good after it was accepted (see [`JobOutcome::reason`]).
    Failed,
    /// Withdrawn before it ran (the trace records it as cancelled while queued).
    Cancelled,
}

impl EndState {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EndState::Completed => "completed",
            EndState::Rejected => "rejected",
            EndState::Failed => "failed",
            EndState::Cancelled => "cancelled",
        }
    }
}

/// What happened to one job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobOutcome {
    /// When it could first run: its submission, or the end of the last job it depends on if
    /// later. Waits are measured from here.
    pub ready: SimTime,
    /// When its first attempt started; `None` if it never ran. Waits are measured to here.
    pub first_start: Option<SimTime>,
    /// When its last attempt (the one that completed, if any) started.
    pub start: Option<SimTime>,
    /// When it left the simulation (completion, or the submit time for a rejection).
    pub end: SimTime,
    /// How it left.
    pub state: EndState,
    /// Why it failed or was rejected, where the platform says (`no_offer`, `interrupted`,
    /// `never_ran`).
    pub reason: Option<&'static str>,
}

impl JobOutcome {
    /// How long it waited, from ready to its first start; `None` if it never ran.
    pub fn wait(&self) -> Option<SimDuration> {
        self.first_start.map(|s| s.saturating_since(self.ready))
    }
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
