//! A fixed cluster of M identical machines, scheduled first in, first out.
//!
//! A job needs `ceil(vCPUs / cores_per_machine)` whole machines (at least one) for its whole
//! runtime. Jobs start strictly in submit order: the job at the head of the queue starts as
//! soon as enough machines are free, and no later job may overtake it (no backfilling). A job
//! needing more machines than the cluster has is rejected at submission.
//!
//! Dependencies and GPU requests are not enforced here: the fixed cluster replays submit times
//! as recorded and schedules by vCPUs. The run's notes say how many edges and GPU jobs there
//! were.
//!
//! Events: `Arrival` (the next job of the trace is submitted) and `Finish` (a job releases its
//! machines). Arrivals are fed one at a time (each schedules the next), which keeps the heap
//! as small as the number of running jobs. A finish and an arrival at the same microsecond
//! are processed in scheduling order (see [`crate::kernel::queue`]); with strict FIFO the
//! order does not change any start time, since the arriving job either starts at that same
//! instant or waits behind earlier ones either way.

use serde::{Deserialize, Serialize};

use super::{EndState, JobOutcome, RunOutcome};
use crate::kernel::{EventLog, EventQueue};
use crate::trace::Trace;

/// The cluster's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedCluster {
    /// Identical machines.
    pub machines: u64,
    /// vCPUs per machine; a job occupies whole machines.
    pub cores_per_machine: u64,
}

/// Event-log kinds of this platform.
mod kind {
    pub(super) const ARRIVAL: u8 = 0;
    pub(super) const START: u8 = 1;
    pub(super) const FINISH: u8 = 2;
    pub(super) const REJECT: u8 = 3;
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next job of the trace is submitted.
    Arrival,
    /// Job `job` finishes and releases `machines`.
    Finish { job: u32, machines: u32 },
}

/// How often (in processed events) the progress callback is called.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Replay `trace` on `cluster` with strict FIFO. `progress` is called now and then with the
/// number of jobs that have left the simulation.
///
/// # Panics
///
/// If the trace has 2³² jobs or more (job indices are `u32` on this hot path).
pub fn run_fifo(trace: &Trace, cluster: FixedCluster, progress: &mut dyn FnMut(u64)) -> RunOutcome {
    assert!(trace.jobs.len() < u32::MAX as usize, "trace too large for the fixed platform");
    let start = trace.meta.origin.min(trace.first_submit().unwrap_or(trace.meta.origin));
    let mut queue: EventQueue<Event> = EventQueue::new(start);
    let mut log = EventLog::new();
    let mut outcomes: Vec<JobOutcome> = Vec::with_capacity(trace.jobs.len());
    let mut waiting: std::collections::VecDeque<(u32, u32)> = std::collections::VecDeque::new();
    let mut free = cluster.machines;
    let mut next_arrival = 0usize;
    let mut left = 0u64;
    let mut events = 0u64;
    let mut busy_machine_us = 0u128;
    let cores = cluster.cores_per_machine.max(1);

    if let Some(first) = trace.jobs.first() {
        queue.schedule(first.submit, Event::Arrival);
    }
    while let Some((now, event)) = queue.pop() {
        events += 1;
        match event {
            Event::Arrival => {
                let job = &trace.jobs[next_arrival];
                let index = next_arrival as u32;
                next_arrival += 1;
                if let Some(next) = trace.jobs.get(next_arrival) {
                    queue.schedule(next.submit, Event::Arrival);
                }
                log.record(now, kind::ARRIVAL, u64::from(index));
                let needed = job.resources.vcpus_ceil().div_ceil(cores).max(1);
                // The fixed cluster replays submit times and ignores dependencies.
                outcomes.push(JobOutcome {
                    ready: job.submit,
                    first_start: None,
                    start: None,
                    end: now,
                    state: EndState::Rejected,
                    reason: Some("too_large"),
                });
                if needed > cluster.machines {
                    log.record(now, kind::REJECT, u64::from(index));
                    left += 1;
                } else {
                    waiting.push_back((index, needed as u32));
                }
            }
            Event::Finish { job, machines } => {
                log.record(now, kind::FINISH, u64::from(job));
                free += u64::from(machines);
                left += 1;
            }
        }
        // Start jobs from the head of the queue while they fit.
        while let Some(&(index, machines)) = waiting.front() {
            if u64::from(machines) > free {
                break;
            }
            waiting.pop_front();
            free -= u64::from(machines);
            let runtime = trace.jobs[index as usize].runtime;
            busy_machine_us += u128::from(runtime.0) * u128::from(machines);
            let end = now + runtime;
            let outcome = &mut outcomes[index as usize];
            outcome.start = Some(now);
            outcome.first_start = Some(now);
            outcome.end = end;
            outcome.state = EndState::Completed;
            outcome.reason = None;
            log.record(now, kind::START, u64::from(index));
            queue.schedule(end, Event::Finish { job: index, machines });
        }
        if events.is_multiple_of(PROGRESS_EVERY) {
            progress(left);
        }
    }
    progress(left);
    debug_assert!(waiting.is_empty(), "jobs left waiting with nothing running");

    let edges: usize = trace.jobs.iter().map(|job| job.dependencies.len()).sum();
    let gpu_jobs = trace.jobs.iter().filter(|job| job.resources.gpu_milli > 0).count();
    let mut notes = Vec::new();
    if gpu_jobs > 0 {
        notes.push(format!(
            "{gpu_jobs} jobs ask for GPUs: the fixed cluster schedules by vCPUs and ignores GPUs"
        ));
    }
    if edges > 0 {
        notes.push(format!(
            "{edges} dependency edges ignored: the fixed cluster replays recorded submit times"
        ));
    }
    RunOutcome {
        jobs: outcomes,
        start,
        capacity: cluster.machines,
        busy_machine_us,
        events,
        digest: log.digest(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{RawJob, TraceBuilder};
    use engine::{Resources, SimDuration, SimTime};

    fn trace(jobs: &[(u64, u64, u64)]) -> Trace {
        let mut builder = TraceBuilder::new("test", "test");
        for (i, &(submit, runtime, vcpus)) in jobs.iter().enumerate() {
            builder.push(RawJob {
                name: i.to_string(),
                submit: SimTime::from_secs(submit),
                runtime: SimDuration::from_secs(runtime),
                resources: Resources { cpu_milli: vcpus * 1000, ..Resources::default() },
                ..RawJob::default()
            });
        }
        builder.finish()
    }

    fn starts(outcome: &RunOutcome) -> Vec<Option<u64>> {
        outcome.jobs.iter().map(|j| j.start.map(|t| t.as_secs())).collect()
    }

    #[test]
    fn strict_fifo_by_hand() {
        // Two machines. Job 0 (1 machine, t=0..10), job 1 (2 machines) must wait for job 0:
        // starts at 10, ends 15. Job 2 (1 machine, submitted at 1) may not overtake job 1 even
        // though a machine is free from t=1: starts at 15. Job 3 needs 3 machines: rejected.
        let t = trace(&[(0, 10, 1), (0, 5, 2), (1, 1, 1), (2, 1, 3)]);
        let out = run_fifo(&t, FixedCluster { machines: 2, cores_per_machine: 1 }, &mut |_| {});
        assert_eq!(starts(&out), [Some(0), Some(10), Some(15), None]);
        assert_eq!(out.jobs[3].state, EndState::Rejected);
        assert_eq!(out.jobs[2].end, SimTime::from_secs(16));
        // 4 arrivals + 3 finishes.
        assert_eq!(out.events, 7);
    }

    #[test]
    fn cores_per_machine_packs_vcpus_into_machines() {
        // 4 cores per machine: an 8-vCPU job takes 2 of the 2 machines, a 3-vCPU job 1.
        let t = trace(&[(0, 10, 8), (0, 10, 3)]);
        let out = run_fifo(&t, FixedCluster { machines: 2, cores_per_machine: 4 }, &mut |_| {});
        assert_eq!(starts(&out), [Some(0), Some(10)]);
    }

    #[test]
    fn same_input_same_digest() {
        let t = trace(&[(0, 10, 1), (0, 5, 2), (1, 1, 1)]);
        let cluster = FixedCluster { machines: 2, cores_per_machine: 1 };
        let a = run_fifo(&t, cluster, &mut |_| {});
        let b = run_fifo(&t, cluster, &mut |_| {});
        assert_eq!(a.digest, b.digest);
        let other = run_fifo(&t, FixedCluster { machines: 3, cores_per_machine: 1 }, &mut |_| {});
        assert_ne!(a.digest, other.digest);
    }
}
