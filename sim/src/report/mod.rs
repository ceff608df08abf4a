//! What a run reports: `summary.json` and the short table `shardcast run` prints.
//!
//! The summary is a pure function of the scenario, the trace and the seed: no wall-clock time,
//! no absolute paths, fields in a fixed order. Two runs of the same scenario write
//! byte-identical files. The schema is documented in `reports/README.md`.
//!
//! Wait percentiles use the nearest-rank rule: the p-th percentile of n sorted waits is the
//! value at 1-based rank `ceil(p/100 · n)`. It always returns an observed wait and needs no
//! interpolation.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::platform::{EndState, RunOutcome};
use crate::trace::Trace;

/// The contents of `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Scenario seed.
    pub seed: u64,
    /// The platform, as configured.
    pub platform: serde_json::Value,
    /// The workload: source file name (not its path), format, jobs.
    pub workload: WorkloadSummary,
    /// Jobs by end state.
    pub jobs: JobCounts,
    /// Waits (start − submit) of jobs that started, in seconds.
    pub wait_s: WaitStats,
    /// Last completion minus the simulation start (the trace's origin), in seconds.
    pub makespan_s: f64,
    /// Busy machine-time over machines × makespan (fixed platform).
    pub utilisation: Option<f64>,
    /// Events the kernel processed.
    pub events: u64,
    /// BLAKE3 digest of the event log.
    pub digest: String,
    /// Things the reader should know about this run.
    pub notes: Vec<String>,
}

/// The workload part of a summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkloadSummary {
    /// The trace file's name, or the generator.
    pub source: String,
    /// Importer or generator.
    pub format: String,
    /// Jobs replayed.
    pub jobs: u64,
}

/// Jobs by end state; `completed + rejected == submitted`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    /// Jobs submitted.
    pub submitted: u64,
    /// Jobs that ran to completion.
    pub completed: u64,
    /// Jobs the platform could never run.
    pub rejected: u64,
}

/// Wait statistics, seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WaitStats {
    /// Mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl WaitStats {
    /// Statistics of `waits_us` (microseconds); all zero when empty. Sorts in place.
    pub fn of(waits_us: &mut [u64]) -> WaitStats {
        if waits_us.is_empty() {
            return WaitStats::default();
        }
        waits_us.sort_unstable();
        let n = waits_us.len();
        let total: u128 = waits_us.iter().map(|w| u128::from(*w)).sum();
        let secs = |us: u64| us as f64 / 1e6;
        let rank = |p: u64| waits_us[((p as usize * n).div_ceil(100)).clamp(1, n) - 1];
        WaitStats {
            // Divide in integers first so the mean does not depend on float summation order.
            mean: (total as f64 / n as f64) / 1e6,
            p50: secs(rank(50)),
            p95: secs(rank(95)),
            p99: secs(rank(99)),
            max: secs(waits_us[n - 1]),
        }
    }
}

impl Summary {
    /// Summarise `outcome`, a replay of `trace`.
    pub fn new(
        scenario: &str,
        seed: u64,
        platform: serde_json::Value,
        trace: &Trace,
        outcome: &RunOutcome,
    ) -> Summary {
        let mut counts = JobCounts { submitted: trace.jobs.len() as u64, ..JobCounts::default() };
        let mut waits = Vec::with_capacity(trace.jobs.len());
        let mut last_end = outcome.start;
        for (job, result) in trace.jobs.iter().zip(&outcome.jobs) {
            match result.state {
                EndState::Completed => counts.completed += 1,
                EndState::Rejected => counts.rejected += 1,
            }
            if let Some(start) = result.start {
                waits.push((start - job.submit).0);
                last_end = last_end.max(result.end);
            }
        }
        let makespan = last_end.saturating_since(outcome.start);
        let utilisation = (makespan.0 > 0 && outcome.capacity > 0).then(|| {
            outcome.busy_machine_us as f64 / (outcome.capacity as f64 * makespan.0 as f64)
        });
        let source = Path::new(&trace.meta.source)
            .file_name()
            .map_or_else(|| trace.meta.source.clone(), |f| f.to_string_lossy().into_owned());
        Summary {
            scenario: scenario.to_owned(),
            seed,
            platform,
            workload: WorkloadSummary {
                source,
                format: trace.meta.format.clone(),
                jobs: trace.jobs.len() as u64,
            },
            jobs: counts,
            wait_s: WaitStats::of(&mut waits),
            makespan_s: makespan.as_secs_f64(),
            utilisation,
            events: outcome.events,
            digest: outcome.digest.clone(),
            notes: outcome.notes.clone(),
        }
    }

    /// The summary as pretty JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a Summary always serialises");
        text.push('\n');
        text
    }

    /// Write `summary.json` into `dir` (created if needed); returns the file's path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("summary.json");
        std::fs::write(&path, self.to_json())?;
        Ok(path)
    }
}

impl fmt::Display for Summary {
    /// The short table `shardcast run` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.wait_s;
        writeln!(f, "scenario    {} (seed {})", self.scenario, self.seed)?;
        writeln!(
            f,
            "workload    {} ({}), {} jobs",
            self.workload.source, self.workload.format, self.workload.jobs
        )?;
        writeln!(
            f,
            "jobs        {} submitted, {} completed, {} rejected",
            self.jobs.submitted, self.jobs.completed, self.jobs.rejected
        )?;
        writeln!(
            f,
            "wait (s)    mean {:.6}  p50 {:.3}  p95 {:.3}  p99 {:.3}  max {:.3}",
            w.mean, w.p50, w.p95, w.p99, w.max
        )?;
        writeln!(f, "makespan    {:.3} s", self.makespan_s)?;
        if let Some(u) = self.utilisation {
            writeln!(f, "utilisation {:.1} %", u * 100.0)?;
        }
        writeln!(f, "events      {}", self.events)?;
        writeln!(f, "digest      {}", self.digest)?;
        for note in &self.notes {
            writeln!(f, "note        {note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_by_hand() {
        // Waits 1..=10 s. Mean 5.5. p50: rank ceil(0.5·10) = 5 → 5 s. p95: rank ceil(9.5) = 10
        // → 10 s. p99: rank 10 → 10 s.
        let mut waits: Vec<u64> = (1..=10).rev().map(|s| s * 1_000_000).collect();
        let stats = WaitStats::of(&mut waits);
        assert_eq!(stats, WaitStats { mean: 5.5, p50: 5.0, p95: 10.0, p99: 10.0, max: 10.0 });
        // 200 waits 1..=200 µs: p95 is rank 190 → 190 µs; p99 rank 198.
        let mut waits: Vec<u64> = (1..=200).collect();
        let stats = WaitStats::of(&mut waits);
        assert_eq!((stats.p95, stats.p99), (190e-6, 198e-6));
        assert_eq!(WaitStats::of(&mut []), WaitStats::default());
    }
}
