//! What `shardcast trace stats` reports: size, time span, per-queue counts and resource totals.
//!
//! Work is summed as resource × runtime: core-hours = vCPUs × runtime in hours, and likewise
//! GPU-hours. Sums are taken in integer milli-unit-microseconds and converted once, so the
//! figures do not depend on summation order.

use std::fmt;

use serde::Serialize;

use super::Trace;

/// Per-queue figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueStats {
    /// Queue name.
    pub name: String,
    /// Jobs in the queue.
    pub jobs: u64,
    /// Work submitted, vCPU-hours.
    pub core_hours: f64,
    /// Work submitted, GPU-hours.
    pub gpu_hours: f64,
}

/// Figures for a whole trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceStats {
    /// Where the trace came from.
    pub source: String,
    /// The importer or generator.
    pub format: String,
    /// Jobs.
    pub jobs: u64,
    /// First submit, RFC 3339 (UTC); `None` for an empty trace.
    pub first_submit: Option<String>,
    /// Last submit, RFC 3339 (UTC).
    pub last_submit: Option<String>,
    /// Last submit minus first submit, in days.
    pub span_days: f64,
    /// The site's time zone, if known.
    pub timezone: Option<String>,
    /// Distinct users.
    pub users: u64,
    /// Jobs asking for at least part of a GPU.
    pub gpu_jobs: u64,
    /// Total work, vCPU-hours.
    pub core_hours: f64,
    /// Total work, GPU-hours.
    pub gpu_hours: f64,
    /// Largest request, vCPUs.
    pub max_vcpus: f64,
    /// Sum of run times, hours.
    pub runtime_hours: f64,
    /// Dependency edges.
    pub dependency_edges: u64,
    /// Per queue, in queue-id order (first appearance in the trace).
    pub queues: Vec<QueueStats>,
}

/// Milli-units × microseconds in one unit-hour.
const MILLI_MICROS_PER_HOUR: f64 = 1000.0 * 3_600_000_000.0;

impl TraceStats {
    /// Compute the figures of `trace`.
    pub fn of(trace: &Trace) -> TraceStats {
        let mut per_queue = vec![(0u64, 0u128, 0u128); trace.queues.len()];
        let (mut cpu_work, mut gpu_work, mut runtime_total) = (0u128, 0u128, 0u128);
        let (mut gpu_jobs, mut edges, mut max_cpu_milli) = (0u64, 0u64, 0u64);
        for job in &trace.jobs {
            let runtime = u128::from(job.runtime.0);
            let cpu = u128::from(job.resources.cpu_milli) * runtime;
            let gpu = u128::from(job.resources.gpu_milli) * runtime;
            let queue = &mut per_queue[job.queue.index()];
            queue.0 += 1;
            queue.1 += cpu;
            queue.2 += gpu;
            cpu_work += cpu;
            gpu_work += gpu;
            runtime_total += runtime;
            gpu_jobs += u64::from(job.resources.gpu_milli > 0);
            edges += job.dependencies.len() as u64;
            max_cpu_milli = max_cpu_milli.max(job.resources.cpu_milli);
        }
        let rfc3339 = |t: engine::SimTime| {
            chrono::DateTime::from_timestamp_micros(t.0 as i64)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        };
        let first = trace.jobs.first().map(|j| j.submit);
        let last = trace.jobs.last().map(|j| j.submit);
        TraceStats {
            source: trace.meta.source.clone(),
            format: trace.meta.format.clone(),
            jobs: trace.jobs.len() as u64,
            first_submit: first.and_then(rfc3339),
            last_submit: last.and_then(rfc3339),
            span_days: match (first, last) {
                (Some(f), Some(l)) => (l - f).as_secs_f64() / 86_400.0,
                _ => 0.0,
            },
            timezone: trace.meta.timezone.clone(),
            users: trace.users.len() as u64,
            gpu_jobs,
            core_hours: cpu_work as f64 / MILLI_MICROS_PER_HOUR,
            gpu_hours: gpu_work as f64 / MILLI_MICROS_PER_HOUR,
            max_vcpus: max_cpu_milli as f64 / 1000.0,
            runtime_hours: runtime_total as f64 / 3_600_000_000.0,
            dependency_edges: edges,
            queues: per_queue
                .into_iter()
                .zip(&trace.queues)
                .map(|((jobs, cpu, gpu), name)| QueueStats {
                    name: name.clone(),
                    jobs,
                    core_hours: cpu as f64 / MILLI_MICROS_PER_HOUR,
                    gpu_hours: gpu as f64 / MILLI_MICROS_PER_HOUR,
                })
                .collect(),
        }
    }
}

impl fmt::Display for TraceStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
        writeln!(f, "source        {} ({})", self.source, self.format)?;
        writeln!(f, "jobs          {}", self.jobs)?;
        writeln!(f, "first submit  {}", or_dash(&self.first_submit))?;
        writeln!(f, "last submit   {}", or_dash(&self.last_submit))?;
        writeln!(f, "span          {:.2} days", self.span_days)?;
        writeln!(f, "time zone     {}", or_dash(&self.timezone))?;
        writeln!(f, "users         {}", self.users)?;
        writeln!(f, "core-hours    {:.1}", self.core_hours)?;
        writeln!(f, "GPU-hours     {:.1} ({} GPU jobs)", self.gpu_hours, self.gpu_jobs)?;
        writeln!(f, "largest job   {} vCPUs", self.max_vcpus)?;
        writeln!(f, "DAG edges     {}", self.dependency_edges)?;
        writeln!(f)?;
        writeln!(f, "{:<24} {:>10} {:>14} {:>12}", "queue", "jobs", "core-hours", "GPU-hours")?;
        for q in &self.queues {
            writeln!(
                f,
                "{:<24} {:>10} {:>14.1} {:>12.1}",
                q.name, q.jobs, q.core_hours, q.gpu_hours
            )?;
        }
        Ok(())
    }
}
