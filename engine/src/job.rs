//! The unit of work a trace replays: a [`Job`] and the [`Resources`] it asks for.
//!
//! Resources are integers in milli-units (`cpu_milli`, `gpu_milli`) because real traces ask for
//! fractions: Alibaba pods request 460 milli-GPUs, Alibaba 2017 tasks half a core. One vCPU is
//! 1000 milli-CPUs.

use serde::{Deserialize, Serialize};

use crate::ids::{JobId, QueueId, UserId};
use crate::time::{SimDuration, SimTime};

/// What a job asks of the machine it runs on.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Resources {
    /// CPU in thousandths of a vCPU (1 vCPU = 1000).
    pub cpu_milli: u64,
    /// Memory in MiB; 0 when the trace does not say.
    pub memory_mib: u64,
    /// GPUs in thousandths of a GPU (one whole GPU = 1000).
    pub gpu_milli: u64,
    /// The GPU model the job needs, if it names one.
    pub gpu_kind: Option<GpuKind>,
}

impl Resources {
    /// Whole vCPUs, rounded up: what a job occupies on machines that cannot share a core.
    pub fn vcpus_ceil(&self) -> u64 {
        self.cpu_milli.div_ceil(1000)
    }

    /// vCPUs as a float, for reports.
    pub fn vcpus(&self) -> f64 {
        self.cpu_milli as f64 / 1000.0
    }

    /// GPUs as a float, for reports.
    pub fn gpus(&self) -> f64 {
        self.gpu_milli as f64 / 1000.0
    }
}

/// A GPU model name as a trace writes it (`V100M32`, `T4`, `A100`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GpuKind(pub String);

impl GpuKind {
    /// Whether a GPU of this kind (an instance type's, e.g. `A100-80GB`) serves a job that
    /// asks for `wanted` (e.g. `A100`): the same name ignoring case, or this name is `wanted`
    /// followed by a variant suffix after `-` (`A100-80GB` serves `A100`, not the reverse).
    /// The policies' offer matching and the shards' schedulers both use this one rule, so a
    /// shard is never given jobs its instances cannot run.
    pub fn serves(&self, wanted: &GpuKind) -> bool {
        let (have, want) = (self.0.as_bytes(), wanted.0.as_bytes());
        have.len() >= want.len()
            && have[..want.len()].eq_ignore_ascii_case(want)
            && (have.len() == want.len() || have[want.len()] == b'-')
    }
}

/// How the job ended in the system the trace was recorded on (provenance, not a simulated
/// outcome).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum JobStatus {
    /// Ran to completion.
    Completed,
    /// Ran and failed.
    Failed,
    /// Cancelled by the user or the system.
    Cancelled,
    /// The trace does not say.
    #[default]
    Unknown,
}

impl JobStatus {
    /// The name used in Parquet files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Unknown => "unknown",
        }
    }

    /// The inverse of [`JobStatus::as_str`].
    pub fn parse(s: &str) -> Option<JobStatus> {
        Some(match s {
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            "unknown" => JobStatus::Unknown,
            _ => return None,
        })
    }
}

/// One job of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Dense id: the job's index in its trace.
    pub id: JobId,
    /// When the job was submitted.
    pub submit: SimTime,
    /// How long it ran (wall clock) on the system it was recorded on.
    pub runtime: SimDuration,
    /// The user's estimate (walltime request), if the trace has one.
    pub requested_runtime: Option<SimDuration>,
    /// The queue it was submitted to.
    pub queue: QueueId,
    /// Who submitted it.
    pub user: UserId,
    /// What it asks for.
    pub resources: Resources,
    /// Jobs that must finish (and whose output must arrive) before this one may start.
    /// Always ids smaller than this job's own, so the graph is acyclic.
    pub dependencies: Vec<JobId>,
    /// Bytes of output it leaves for its dependants.
    pub output_bytes: u64,
    /// How it ended where it was recorded.
    pub status: JobStatus,
}

#[cfg(test)]
mod tests {
    use super::GpuKind;

    #[test]
    fn gpu_kinds_serve_their_own_name_and_variants_only() {
        let kind = |s: &str| GpuKind(s.into());
        assert!(kind("A100").serves(&kind("a100")));
        assert!(kind("A100-80GB").serves(&kind("A100")));
        assert!(!kind("A100").serves(&kind("A100-80GB")));
        assert!(!kind("A10G").serves(&kind("A10")));
        assert!(!kind("T4").serves(&kind("T40")));
    }
}
