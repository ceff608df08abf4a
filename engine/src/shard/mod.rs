//! A shard's inside: the nodes (instances) it holds and the local scheduler that starts queued
//! jobs on them (DESIGN §1, "within a shard a local scheduler (FIFO, EASY backfill)").
//!
//! - [`capacity`]: [`Capacity`], the milli-vCPU / MiB / milli-GPU vector jobs are packed by;
//! - [`scheduler`]: [`LocalScheduler`], sans-IO and deterministic: strict FIFO or EASY backfill,
//!   best-fit placement on one node, and multi-node (HPC) jobs on whole idle nodes.

pub mod capacity;
pub mod scheduler;

#[cfg(test)]
mod tests;

pub use capacity::Capacity;
pub use scheduler::{
    DEFAULT_BACKFILL_DEPTH, LocalScheduler, Policy, QueuedJob, RunningJob, SchedulerError, Site,
    Start,
};
