//! What a run reports: `summary.json` and the short table `shardcast run` prints.
//!
//! The summary is a pure function of the scenario, the trace and the seed: no wall-clock time,
//! no absolute paths, fields in a fixed order. Two runs of the same scenario write
//! byte-identical files. The schema is documented in `reports/README.md`.
//!
//! - [`jobs`]: `jobs.parquet`, one row per job;
//! - [`timeline`]: `timeline.parquet`, every shard of a cloud run sampled hourly;
//! - [`moves`]: `moves.jsonl`, the rebalancer's log of moves and their reasons;
//! - [`figures`]: the run's figures (cost, capacity per shard, wait CDFs), SVG and PNG;
//! - [`html`]: `report.html`, one offline page with the tables, figures and scenario.
//!
//! Wait percentiles use the nearest-rank rule: the p-th percentile of n sorted waits is the
//! value at 1-based rank `ceil(p/100 · n)`. It always returns an observed wait and needs no
//! interpolation.

pub mod figures;
pub mod html;
pub mod jobs;
pub mod moves;
pub mod timeline;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use engine::cloud::Catalog;
use engine::controller::Undelivered;
use engine::{Money, SimDuration, SimTime};
use serde::Serialize;

use crate::cloud::ChargeKind;
use crate::platform::cloud::CloudOutcome;
use crate::platform::{EndState, RunOutcome};
use crate::trace::Trace;

/// A shard's (or an offer's) name in every report: `provider/region/type`.
pub fn shard_name(offer: &engine::cloud::Offer) -> String {
    format!("{}/{}/{}", offer.cloud, offer.region, offer.instance_type)
}

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
    /// Waits (first start − submit) of jobs that started, in seconds.
    pub wait_s: WaitStats,
    /// The same, per queue (by the trace's queue names).
    pub wait_s_by_queue: BTreeMap<String, WaitStats>,
    /// Service-level attainment: jobs that completed within the wait target.
    pub sla: Sla,
    /// What the run cost (cloud platforms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<CostSummary>,
    /// Reserved instance-time that jobs used over what was paid for (cloud platforms that
    /// reserved anything).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_utilisation: Option<f64>,
    /// What the controller and policy did (cloud platforms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<CloudActivity>,
    /// The oracle's lower bound (`[report] oracle = true`): cost, windows, method (`milp`,
    /// `lp` or `milp+lp`), each window's bound; see `sim::oracle`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle: Option<serde_json::Value>,
    /// `cost_usd.total` over the oracle's cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_ratio_to_oracle: Option<f64>,
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

/// Jobs by end state; `completed + failed + cancelled + rejected == submitted`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    /// Jobs submitted.
    pub submitted: u64,
    /// Jobs that ran to completion.
    pub completed: u64,
    /// Jobs accepted that stopped for good (see `by_reason`).
    pub failed: u64,
    /// Jobs withdrawn before they ran.
    pub cancelled: u64,
    /// Jobs the platform could never run.
    pub rejected: u64,
    /// Failed and rejected jobs by reason (`no_offer`, `interrupted`, `never_ran`,
    /// `too_large`).
    pub by_reason: BTreeMap<String, u64>,
}

/// Service-level attainment.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sla {
    /// The wait target, seconds.
    pub wait_target_s: f64,
    /// Share of submitted jobs that completed with a wait at or under the target.
    pub attained: f64,
    /// The share the SLA asks for (`policy.sla_share`, default 0.99).
    pub share_target: f64,
    /// Whether `attained` reached `share_target`: a policy that misses it is not compared on
    /// cost (a cheap plan that leaves jobs waiting is not a better plan).
    pub met: bool,
}

/// A cloud run's bill, in US dollars (exact sums of micro-dollar charges).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CostSummary {
    /// Everything the providers charged.
    pub total: f64,
    /// The part jobs used (see `sim::platform::cost`).
    pub jobs: f64,
    /// The part no job used: idle instances, unused reservations, commitments, egress.
    pub idle: f64,
    /// By provider.
    pub by_provider: BTreeMap<String, f64>,
    /// By `provider/region`.
    pub by_region: BTreeMap<String, f64>,
    /// By purchase option: `on_demand`, `spot`, `reserved` (usage), a reservation product,
    /// `commitment:<discount>`, `egress`.
    pub by_option: BTreeMap<String, f64>,
    /// The jobs' part by queue (by the trace's queue names).
    pub by_queue: BTreeMap<String, f64>,
}

/// What the controller did in a cloud run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CloudActivity {
    /// The policy.
    pub policy: String,
    /// The controller's counts.
    pub controller: engine::controller::ControllerStats,
    /// Jobs started more than once (after a spot interruption or an instance failure).
    pub jobs_restarted: u64,
    /// Attempts beyond each job's first, summed over the jobs.
    pub restarts: u64,
    /// What interruptions cost the jobs: work thrown away and time to run again.
    pub failover: Failover,
}

/// Interrupted attempts in a cloud run (instance failures, spot reclaims, reservations
/// ending under running jobs) and how the run recovered from them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Failover {
    /// Interruptions followed by another attempt of the job.
    pub recovered: u64,
    /// Jobs interrupted and never started again (failed `interrupted`, or still waiting).
    pub unrecovered: u64,
    /// Failover latency, seconds: from an interruption to the job's next start.
    pub latency_s: WaitStats,
    /// Run time of the interrupted attempts, job-hours: compute wasted by preemption.
    pub wasted_job_hours: f64,
    /// The same weighted by each job's vCPUs.
    pub wasted_vcpu_hours: f64,
    /// The same weighted by each job's GPUs.
    pub wasted_gpu_hours: f64,
    /// Reservations not delivered at their start, when there were any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undelivered: Option<UndeliveredFailover>,
}

/// Reservations their provider did not deliver at their start (AWS `delayed`), and how their
/// shards recovered (see [`Undelivered`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UndeliveredFailover {
    /// Reservations not delivered at their start.
    pub reservations: u64,
    /// Their instances.
    pub instances: u64,
    /// Those whose shard had another instance ready before the reservation arrived.
    pub replaced: u64,
    /// Those that arrived late, during the run.
    pub delivered: u64,
    /// Those that recovered neither way.
    pub unrecovered: u64,
    /// Failover latency, seconds, over the recovered ones: from the first job left waiting in
    /// the shard since the reservation's start to replacement capacity being ready there, or to
    /// the late delivery; zero when no job waited before the reservation arrived.
    pub latency_s: WaitStats,
    /// Reserved instance-hours not delivered: each reservation's instances × the time from its
    /// start to its delivery (or its end, or the run's end).
    pub missing_instance_hours: f64,
}

impl UndeliveredFailover {
    /// The figures of `records`, for a run that ended at `end`; `None` when there are none.
    fn of(records: &[Undelivered], end: SimTime) -> Option<Self> {
        if records.is_empty() {
            return None;
        }
        let mut latencies: Vec<u64> =
            records.iter().filter_map(|u| u.latency().map(|d| d.as_micros())).collect();
        let missing_us: u128 = records
            .iter()
            .map(|u| {
                let until = u.delivered.or(u.ended).unwrap_or(end);
                u128::from(u.instances) * u128::from(until.saturating_since(u.due).as_micros())
            })
            .sum();
        let count =
            |f: &dyn Fn(&Undelivered) -> bool| records.iter().filter(|u| f(u)).count() as u64;
        Some(UndeliveredFailover {
            reservations: records.len() as u64,
            instances: records.iter().map(|u| u64::from(u.instances)).sum(),
            replaced: count(&|u| u.replaced.is_some_and(|r| u.delivered.is_none_or(|d| r < d))),
            delivered: count(&|u| u.delivered.is_some()),
            unrecovered: count(&|u| u.recovered().is_none()),
            latency_s: WaitStats::of(&mut latencies),
            missing_instance_hours: missing_us as f64 / 3.6e9,
        })
    }
}

impl Failover {
    /// The failover figures of `cloud`, the cloud outcome of `trace`.
    fn of(trace: &Trace, cloud: &CloudOutcome) -> Failover {
        let jobs = &cloud.jobs;
        let mut latencies: Vec<u64> =
            jobs.iter().flat_map(|j| j.failovers.iter().map(|d| d.as_micros())).collect();
        // Sum micro-hours of milli-units in integers, so the totals do not depend on order.
        let (mut us, mut cpu, mut gpu) = (0u128, 0u128, 0u128);
        for (job, cj) in trace.jobs.iter().zip(jobs) {
            let lost = u128::from(cj.lost.as_micros());
            us += lost;
            cpu += lost * u128::from(job.resources.cpu_milli);
            gpu += lost * u128::from(job.resources.gpu_milli);
        }
        let hours = |x: u128, milli: f64| x as f64 / 3.6e9 / milli;
        Failover {
            recovered: latencies.len() as u64,
            unrecovered: jobs.iter().filter(|j| j.unrecovered).count() as u64,
            latency_s: WaitStats::of(&mut latencies),
            wasted_job_hours: hours(us, 1.0),
            wasted_vcpu_hours: hours(cpu, 1000.0),
            wasted_gpu_hours: hours(gpu, 1000.0),
            undelivered: UndeliveredFailover::of(&cloud.undelivered, cloud.end),
        }
    }
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
        sla_wait: SimDuration,
        sla_share: f64,
    ) -> Summary {
        let mut counts = JobCounts { submitted: trace.jobs.len() as u64, ..JobCounts::default() };
        let mut waits = Vec::with_capacity(trace.jobs.len());
        let mut by_queue: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut within_target = 0u64;
        let mut last_end = outcome.start;
        for (job, result) in trace.jobs.iter().zip(&outcome.jobs) {
            match result.state {
                EndState::Completed => counts.completed += 1,
                EndState::Failed => counts.failed += 1,
                EndState::Cancelled => counts.cancelled += 1,
                EndState::Rejected => counts.rejected += 1,
            }
            if let Some(reason) = result.reason {
                *counts.by_reason.entry(reason.to_owned()).or_default() += 1;
            }
            if let Some(wait) = result.wait() {
                waits.push(wait.0);
                by_queue.entry(queue_name(trace, job.queue.0 as usize)).or_default().push(wait.0);
                last_end = last_end.max(result.end);
                if result.state == EndState::Completed && wait <= sla_wait {
                    within_target += 1;
                }
            }
        }
        let attained = if counts.submitted == 0 {
            1.0
        } else {
            within_target as f64 / counts.submitted as f64
        };
        let sla = Sla {
            wait_target_s: sla_wait.as_secs_f64(),
            attained,
            share_target: sla_share,
            met: attained >= sla_share,
        };
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
            wait_s_by_queue: by_queue
                .into_iter()
                .map(|(q, mut w)| (q, WaitStats::of(&mut w)))
                .collect(),
            sla,
            cost_usd: None,
            reserved_utilisation: None,
            cloud: None,
            oracle: None,
            cost_ratio_to_oracle: None,
            makespan_s: makespan.as_secs_f64(),
            utilisation,
            events: outcome.events,
            digest: outcome.digest.clone(),
            notes: outcome.notes.clone(),
        }
    }

    /// Records the oracle's lower bound `cost_usd` (and its `detail`) and the run's cost ratio
    /// to it (`None` when either cost is missing or the bound is 0).
    pub fn add_oracle(&mut self, cost_usd: f64, detail: serde_json::Value) {
        self.cost_ratio_to_oracle =
            self.cost_usd.as_ref().filter(|_| cost_usd > 0.0).map(|c| c.total / cost_usd);
        self.oracle = Some(detail);
    }

    /// Adds what a cloud run knows: the bill and its breakdowns, reserved utilisation, the
    /// controller's counts.
    pub fn add_cloud(&mut self, trace: &Trace, catalog: &Catalog, cloud: &CloudOutcome) {
        let usd = |m: Money| m.as_usd();
        let mut total = Money::ZERO;
        let mut by_provider: BTreeMap<String, Money> = BTreeMap::new();
        let mut by_region: BTreeMap<String, Money> = BTreeMap::new();
        let mut by_option: BTreeMap<String, Money> = BTreeMap::new();
        let add = |map: &mut BTreeMap<String, Money>, key: String, m: Money| {
            let e = map.entry(key).or_insert(Money::ZERO);
            *e = Money(e.0 + m.0);
        };
        for c in &cloud.charges {
            total = Money(total.0 + c.amount.0);
            add(&mut by_provider, c.cloud.as_str().to_owned(), c.amount);
            let region = catalog.regions().get(c.region.index()).map_or("?", |r| r.name.as_str());
            add(&mut by_region, format!("{}/{region}", c.cloud.as_str()), c.amount);
            add(&mut by_option, option_key(c.kind), c.amount);
        }
        let mut by_queue: BTreeMap<String, Money> = BTreeMap::new();
        let mut jobs = Money::ZERO;
        for (job, cj) in trace.jobs.iter().zip(&cloud.jobs) {
            jobs = Money(jobs.0 + cj.cost.0);
            add(&mut by_queue, queue_name(trace, job.queue.0 as usize), cj.cost);
        }
        let dollars =
            |map: BTreeMap<String, Money>| map.into_iter().map(|(k, v)| (k, usd(v))).collect();
        self.cost_usd = Some(CostSummary {
            total: usd(total),
            jobs: usd(jobs),
            idle: usd(cloud.attribution.idle),
            by_provider: dollars(by_provider),
            by_region: dollars(by_region),
            by_option: dollars(by_option),
            by_queue: dollars(by_queue),
        });
        self.reserved_utilisation = cloud.attribution.reserved_utilisation();
        self.cloud = Some(CloudActivity {
            policy: cloud.policy.clone(),
            controller: cloud.controller.clone(),
            jobs_restarted: cloud.jobs.iter().filter(|j| j.attempts > 1).count() as u64,
            restarts: cloud.jobs.iter().map(|j| u64::from(j.attempts.saturating_sub(1))).sum(),
            failover: Failover::of(trace, cloud),
        });
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

/// A queue's name in reports: the trace's name for it, or its index.
fn queue_name(trace: &Trace, queue: usize) -> String {
    trace.queues.get(queue).cloned().unwrap_or_else(|| format!("queue-{queue}"))
}

/// The `by_option` key of a charge.
fn option_key(kind: ChargeKind) -> String {
    match kind {
        ChargeKind::Usage { option } => option.as_str().into(),
        ChargeKind::Reservation { product } | ChargeKind::Upfront { product } => {
            product.as_str().into()
        }
        ChargeKind::Commitment { discount } => format!("commitment:{}", discount.as_str()),
        ChargeKind::Egress => "egress".into(),
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
        let j = &self.jobs;
        writeln!(
            f,
            "jobs        {} submitted, {} completed, {} failed, {} cancelled, {} rejected",
            j.submitted, j.completed, j.failed, j.cancelled, j.rejected
        )?;
        for (reason, n) in &j.by_reason {
            writeln!(f, "            {n} {reason}")?;
        }
        writeln!(
            f,
            "wait (s)    mean {:.6}  p50 {:.3}  p95 {:.3}  p99 {:.3}  max {:.3}",
            w.mean, w.p50, w.p95, w.p99, w.max
        )?;
        writeln!(
            f,
            "sla         {:.1} % completed within {} s",
            self.sla.attained * 100.0,
            self.sla.wait_target_s
        )?;
        if let Some(c) = &self.cost_usd {
            writeln!(
                f,
                "cost (USD)  {:.2} total: {:.2} jobs, {:.2} idle",
                c.total, c.jobs, c.idle
            )?;
            let line = |m: &BTreeMap<String, f64>| {
                m.iter().map(|(k, v)| format!("{k} {v:.2}")).collect::<Vec<_>>().join(", ")
            };
            writeln!(f, "  provider  {}", line(&c.by_provider))?;
            writeln!(f, "  option    {}", line(&c.by_option))?;
        }
        if let Some(u) = self.reserved_utilisation {
            writeln!(f, "reserved    {:.1} % used", u * 100.0)?;
        }
        if let (Some(r), Some(o)) = (self.cost_ratio_to_oracle, &self.oracle) {
            let cost = o.get("cost_usd").and_then(serde_json::Value::as_f64).unwrap_or(0.0);
            let method = o.get("method").and_then(serde_json::Value::as_str).unwrap_or("?");
            writeln!(f, "oracle      {cost:.2} USD ({method}); cost ratio {r:.3}")?;
        }
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
