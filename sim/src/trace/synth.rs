//! Synthetic workloads: seasonal multi-queue arrivals with heavy-tailed sizes and runtimes,
//! GPU classes and DAG chains, from a seed and a spec (or a named preset).
//!
//! # The model
//!
//! Each queue is a non-homogeneous Poisson process with rate (jobs per hour)
//!
//! ```text
//! λ(t) = rate · (1 + a·cos(2π(h(t) − peak)/24)) · w(t) · (1 + trend · weeks(t)) · b(t)
//! ```
//!
//! where `h(t)` is the hour of day (UTC), `a` the daily amplitude, `w(t)` the weekend factor on
//! Saturdays and Sundays (1 on weekdays), `weeks(t)` the weeks since the start, and `b(t)` the
//! burst multiplier while a burst is on (bursts start as a Poisson process of their own and
//! last a fixed time). Arrivals are drawn by thinning (Lewis and Shedler): candidates from a
//! homogeneous process at a bound `λ̄ ≥ λ(t)`, each kept with probability `λ(t)/λ̄`; the bound is
//! recomputed every week, since the trend makes it grow.
//!
//! Each arrival draws a runtime from a heavy-tailed distribution (log-normal, Pareto or
//! exponential, clipped), a size from a discrete distribution (power-of-two vCPU counts with
//! decaying weights in the presets), a user from a Zipf law (a few heavy users, as in real
//! traces), a GPU request with some probability, and, with some probability, starts a chain of
//! dependent jobs (each link submitted a little after the previous, depending on it by name).
//!
//! # Determinism
//!
//! Every aspect has its own named stream of the seed (`synth:<queue>:arrivals`, `…:runtimes`,
//! `…:sizes`, `…:users`, `…:gpu`, `…:dag`, `…:bursts`), so changing, say, the GPU mix of one
//! queue does not reshuffle the arrivals of any queue. Queues are merged by time, ties by
//! queue order. The first `n_jobs` jobs in submit order are kept.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use engine::{GpuKind, JobStatus, Resources, SimDuration, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Pareto, Zipf};
use serde::{Deserialize, Serialize};

use super::{RawJob, Trace, TraceBuilder, TraceError};
use crate::kernel::RngStreams;

const HOUR_US: f64 = 3_600_000_000.0;
const WEEK_US: u64 = 7 * 24 * 3_600_000_000;
const DAY_US: u64 = 24 * 3_600_000_000;

/// A whole synthetic workload: when it starts and its queues.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthSpec {
    /// A name for reports (`synthetic:<name>`); presets use their own name.
    #[serde(default = "custom")]
    pub name: String,
    /// RFC 3339 time of the first instant of the trace, e.g. `2026-01-05T00:00:00Z` (a Monday).
    pub start: String,
    /// Recorded as the trace's time zone; seasonality itself is computed in UTC.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The queues.
    pub queues: Vec<QueueSpec>,
}

fn custom() -> String {
    "custom".into()
}

/// One queue's arrivals and jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// Queue name.
    pub name: String,
    /// Mean arrivals per hour before seasonality, trend and bursts.
    pub rate_per_hour: f64,
    /// Daily cycle amplitude in [0, 1): the rate swings between (1 − a) and (1 + a).
    #[serde(default)]
    pub daily_amplitude: f64,
    /// Hour of day (UTC, 0–24) of the daily peak.
    #[serde(default = "fourteen")]
    pub peak_hour: f64,
    /// Rate multiplier on Saturdays and Sundays (≥ 0).
    #[serde(default = "one_f")]
    pub weekend_factor: f64,
    /// Relative growth of the rate per week (e.g. 0.02); must keep the rate positive.
    #[serde(default)]
    pub trend_per_week: f64,
    /// Bursts: short periods of much higher rate.
    #[serde(default)]
    pub bursts: Option<BurstSpec>,
    /// Run time, seconds.
    pub runtime: Dist,
    /// vCPUs per job.
    pub vcpus: Choice,
    /// Memory per vCPU, MiB.
    #[serde(default = "default_memory")]
    pub memory_mib_per_vcpu: f64,
    /// GPU requests, if the queue has GPU jobs.
    #[serde(default)]
    pub gpu: Option<GpuSpec>,
    /// Chains of dependent jobs, if the queue has them.
    #[serde(default)]
    pub dag: Option<DagSpec>,
    /// Users over-estimate: requested = runtime × factor (≥ 1), rounded up to 15 minutes.
    #[serde(default = "default_request_factor")]
    pub requested_runtime_factor: f64,
    /// Distinct users, drawn by a Zipf law with exponent 1.2.
    #[serde(default = "default_users")]
    pub users: u32,
}

fn fourteen() -> f64 {
    14.0
}
fn one_f() -> f64 {
    1.0
}
fn default_memory() -> f64 {
    2048.0
}
fn default_request_factor() -> f64 {
    2.0
}
fn default_users() -> u32 {
    20
}

/// Bursts: a Poisson process of windows during which the rate is multiplied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstSpec {
    /// Mean bursts per week.
    pub per_week: f64,
    /// How long each lasts, hours.
    pub hours: f64,
    /// Rate multiplier during a burst (≥ 1).
    pub multiplier: f64,
}

/// A continuous distribution of seconds, clipped to `[min_s, max_s]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Dist {
    /// Log-normal with the given median and shape σ (p99/p50 ≈ e^(2.326σ)).
    Lognormal {
        /// Median, seconds.
        median_s: f64,
        /// Shape σ of the underlying normal.
        sigma: f64,
        /// Lower clip, seconds.
        min_s: f64,
        /// Upper clip, seconds.
        max_s: f64,
    },
    /// Pareto with the given scale (minimum) and shape α (heavier tail for smaller α).
    Pareto {
        /// Scale (the smallest value), seconds.
        scale_s: f64,
        /// Shape α.
        shape: f64,
        /// Upper clip, seconds.
        max_s: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean, seconds.
        mean_s: f64,
        /// Lower clip, seconds.
        min_s: f64,
        /// Upper clip, seconds.
        max_s: f64,
    },
}

/// A discrete distribution: `values[i]` with probability proportional to `weights[i]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The values.
    pub values: Vec<f64>,
    /// Their relative weights (positive).
    pub weights: Vec<f64>,
}

/// GPU requests of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// Probability that a job asks for GPUs.
    pub probability: f64,
    /// GPUs per job (fractions allowed, e.g. 0.25 for a shared inference GPU).
    pub count: Choice,
    /// GPU models, with weights.
    pub kinds: Vec<String>,
    /// Weights of `kinds`.
    pub kind_weights: Vec<f64>,
}

/// Chains of dependent jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DagSpec {
    /// Probability that an arrival starts a chain.
    pub probability: f64,
    /// Fewest links in a chain (≥ 2, counting the first job).
    pub min_length: u32,
    /// Most links.
    pub max_length: u32,
    /// Seconds between the submits of consecutive links.
    pub gap_s: f64,
    /// Median output per job, MiB (log-normal, σ = 1).
    pub output_mib_median: f64,
}

impl Dist {
    fn check(&self, field: &str) -> Result<(), TraceError> {
        let ok = match *self {
            Dist::Lognormal { median_s, sigma, min_s, max_s } => {
                median_s > 0.0 && sigma >= 0.0 && min_s > 0.0 && min_s <= max_s
            }
            Dist::Pareto { scale_s, shape, max_s } => {
                scale_s > 0.0 && shape > 0.0 && scale_s <= max_s
            }
            Dist::Exponential { mean_s, min_s, max_s } => {
                mean_s > 0.0 && min_s > 0.0 && min_s <= max_s
            }
        };
        if ok { Ok(()) } else { Err(usage(field, "needs positive parameters and min ≤ max")) }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        // Parameters were checked, so the constructors cannot fail.
        let (value, min, max) = match *self {
            Dist::Lognormal { median_s, sigma, min_s, max_s } => {
                let d = LogNormal::new(median_s.ln(), sigma).expect("checked");
                (d.sample(rng), min_s, max_s)
            }
            Dist::Pareto { scale_s, shape, max_s } => {
                let d = Pareto::new(scale_s, shape).expect("checked");
                (d.sample(rng), scale_s, max_s)
            }
            Dist::Exponential { mean_s, min_s, max_s } => {
                let d = Exp::new(1.0 / mean_s).expect("checked");
                (d.sample(rng), min_s, max_s)
            }
        };
        value.clamp(min, max)
    }
}

impl Choice {
    fn check(&self, field: &str, min_value: f64) -> Result<(), TraceError> {
        if self.values.is_empty() || self.values.len() != self.weights.len() {
            return Err(usage(field, "needs as many weights as values, and at least one"));
        }
        if self.weights.iter().any(|w| !(*w > 0.0 && w.is_finite())) {
            return Err(usage(field, "weights must be positive"));
        }
        if self.values.iter().any(|v| !(*v >= min_value && v.is_finite())) {
            return Err(usage(field, &format!("values must be at least {min_value}")));
        }
        Ok(())
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        self.values[weighted_index(&self.weights, rng)]
    }
}

/// Index `i` with probability `weights[i] / Σ weights` (weights checked positive).
fn weighted_index(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn usage(field: &str, message: &str) -> TraceError {
    TraceError::Usage(format!("synthetic workload: `{field}` {message}"))
}

impl SynthSpec {
    /// Check every parameter; errors name the field (`queues[1].runtime`, …).
    pub fn validate(&self) -> Result<SimTime, TraceError> {
        let start = super::parse_rfc3339(&self.start)
            .map_err(|e| usage("start", &format!("is not a valid time: {e}")))?;
        if self.queues.is_empty() {
            return Err(usage("queues", "must list at least one queue"));
        }
        for (i, q) in self.queues.iter().enumerate() {
            let f = |name: &str| format!("queues[{i}].{name}");
            if !(q.rate_per_hour > 0.0 && q.rate_per_hour.is_finite()) {
                return Err(usage(&f("rate_per_hour"), "must be positive"));
            }
            if !(0.0..1.0).contains(&q.daily_amplitude) {
                return Err(usage(&f("daily_amplitude"), "must be in [0, 1)"));
            }
            if !(0.0..=24.0).contains(&q.peak_hour) {
                return Err(usage(&f("peak_hour"), "must be an hour in [0, 24]"));
            }
            if !(q.weekend_factor >= 0.0 && q.weekend_factor.is_finite()) {
                return Err(usage(&f("weekend_factor"), "must be ≥ 0"));
            }
            if !(q.trend_per_week > -0.05 && q.trend_per_week < 10.0) {
                return Err(usage(&f("trend_per_week"), "must be in (-0.05, 10)"));
            }
            if let Some(b) = &q.bursts
                && !(b.per_week > 0.0 && b.hours > 0.0 && b.multiplier >= 1.0)
            {
                return Err(usage(&f("bursts"), "needs per_week > 0, hours > 0, multiplier ≥ 1"));
            }
            q.runtime.check(&f("runtime"))?;
            q.vcpus.check(&f("vcpus"), 0.001)?;
            if !(q.memory_mib_per_vcpu >= 0.0 && q.memory_mib_per_vcpu.is_finite()) {
                return Err(usage(&f("memory_mib_per_vcpu"), "must be ≥ 0"));
            }
            if let Some(g) = &q.gpu {
                if !(0.0..=1.0).contains(&g.probability) {
                    return Err(usage(&f("gpu.probability"), "must be in [0, 1]"));
                }
                g.count.check(&f("gpu.count"), 0.001)?;
                if g.kinds.is_empty()
                    || g.kinds.len() != g.kind_weights.len()
                    || g.kind_weights.iter().any(|w| !(*w > 0.0))
                {
                    return Err(usage(&f("gpu.kinds"), "needs one positive weight per kind"));
                }
            }
            if let Some(d) = &q.dag
                && !((0.0..=1.0).contains(&d.probability)
                    && d.min_length >= 2
                    && d.min_length <= d.max_length
                    && d.gap_s >= 0.0
                    && d.output_mib_median > 0.0)
            {
                return Err(usage(
                    &f("dag"),
                    "needs probability in [0, 1], 2 ≤ min_length ≤ max_length, gap_s ≥ 0, output_mib_median > 0",
                ));
            }
            if !(q.requested_runtime_factor >= 1.0) {
                return Err(usage(&f("requested_runtime_factor"), "must be ≥ 1"));
            }
            if q.users == 0 {
                return Err(usage(&f("users"), "must be at least 1"));
            }
        }
        Ok(start)
    }
}

/// One queue's generator state.
struct QueueGen<'s> {
    index: usize,
    spec: &'s QueueSpec,
    arrivals: ChaCha8Rng,
    runtimes: ChaCha8Rng,
    sizes: ChaCha8Rng,
    users: ChaCha8Rng,
    gpu: ChaCha8Rng,
    dag: ChaCha8Rng,
    bursts: ChaCha8Rng,
    user_law: Zipf<f64>,
    /// Time of the last candidate, µs since `start`.
    t: u64,
    burst_until: u64,
    next_burst: u64,
    chains: u64,
}

impl<'s> QueueGen<'s> {
    fn new(index: usize, spec: &'s QueueSpec, streams: &RngStreams) -> QueueGen<'s> {
        let stream = |aspect: &str| streams.stream(&format!("synth:{}:{aspect}", spec.name));
        let mut bursts = stream("bursts");
        let next_burst =
            spec.bursts.as_ref().map_or(u64::MAX, |b| exp_gap_us(&mut bursts, b.per_week / 168.0));
        QueueGen {
            index,
            spec,
            arrivals: stream("arrivals"),
            runtimes: stream("runtimes"),
            sizes: stream("sizes"),
            users: stream("users"),
            gpu: stream("gpu"),
            dag: stream("dag"),
            bursts,
            user_law: Zipf::new(f64::from(spec.users), 1.2).expect("users ≥ 1, exponent > 0"),
            t: 0,
            burst_until: 0,
            next_burst,
            chains: 0,
        }
    }

    /// λ(t) / rate without bursts, at `t` µs after a Monday-00:00-aligned `start_us`.
    fn shape(&self, absolute_us: u64, weeks: f64) -> f64 {
        let q = self.spec;
        let hour = (absolute_us % DAY_US) as f64 / HOUR_US;
        let daily = 1.0 + q.daily_amplitude * (2.0 * PI * (hour - q.peak_hour) / 24.0).cos();
        // 1970-01-01 was a Thursday: day 0 → Thursday, so Saturday is day 2 and Sunday day 3.
        let weekday = (absolute_us / DAY_US + 3) % 7; // 0 = Monday
        let weekly = if weekday >= 5 { q.weekend_factor } else { 1.0 };
        daily * weekly * (1.0 + q.trend_per_week * weeks).max(0.0)
    }

    /// The next arrival, µs after `start_us` (thinning; see the module docs).
    fn next_arrival(&mut self, start_us: u64) -> u64 {
        let q = self.spec;
        let burst_mult = q.bursts.as_ref().map_or(1.0, |b| b.multiplier);
        loop {
            let week = self.t / WEEK_US;
            let weeks_at_end = (week + 1) as f64;
            // An upper bound of λ over this week: every factor at its largest.
            let bound_per_hour = q.rate_per_hour
                * (1.0 + q.daily_amplitude)
                * q.weekend_factor.max(1.0)
                * (1.0 + q.trend_per_week * weeks_at_end)
                    .max(1.0 + q.trend_per_week * week as f64)
                    .max(0.0)
                * burst_mult;
            let candidate = self.t + exp_gap_us(&mut self.arrivals, bound_per_hour);
            let week_end = (week + 1) * WEEK_US;
            if candidate >= week_end {
                // Memorylessness: restart at the week boundary with next week's bound.
                self.t = week_end;
                continue;
            }
            self.t = candidate;
            let in_burst = self.burst_state(candidate);
            let rate = q.rate_per_hour
                * self.shape(start_us + candidate, candidate as f64 / WEEK_US as f64)
                * if in_burst { burst_mult } else { 1.0 };
            if self.arrivals.random::<f64>() * bound_per_hour < rate {
                return candidate;
            }
        }
    }

    /// Whether a burst is on at `t`, advancing the burst process to `t`.
    fn burst_state(&mut self, t: u64) -> bool {
        let Some(b) = &self.spec.bursts else { return false };
        while self.next_burst <= t {
            self.burst_until = self.next_burst.saturating_add((b.hours * HOUR_US) as u64);
            self.next_burst =
                self.next_burst.saturating_add(exp_gap_us(&mut self.bursts, b.per_week / 168.0));
        }
        t < self.burst_until
    }

    /// The jobs of one arrival at `t` µs after start: one job, or a chain.
    fn jobs_at(&mut self, t: u64, start_us: u64, out: &mut Vec<RawJob>) {
        let q = self.spec;
        let chain_len = match &q.dag {
            Some(d) if self.dag.random::<f64>() < d.probability => {
                self.dag.random_range(d.min_length..=d.max_length)
            }
            _ => 1,
        };
        let chain_id = self.chains;
        self.chains += 1;
        let user = format!("{}-u{}", q.name, self.user_law.sample(&mut self.users) as u64);
        for link in 0..chain_len {
            let gap = q.dag.as_ref().map_or(0.0, |d| d.gap_s) * f64::from(link);
            let submit = SimTime(start_us + t + (gap * 1e6) as u64);
            let runtime_s = q.runtime.sample(&mut self.runtimes);
            let vcpus = q.vcpus.sample(&mut self.sizes);
            let (gpu_milli, gpu_kind) = match &q.gpu {
                Some(g) if self.gpu.random::<f64>() < g.probability => (
                    (g.count.sample(&mut self.gpu) * 1000.0).round() as u64,
                    Some(GpuKind(g.kinds[weighted_index(&g.kind_weights, &mut self.gpu)].clone())),
                ),
                _ => (0, None),
            };
            let requested_s =
                ((runtime_s * q.requested_runtime_factor) / 900.0).ceil().max(1.0) * 900.0;
            let (depends_on, output_bytes) = match &q.dag {
                Some(d) if chain_len > 1 => {
                    let law = LogNormal::new(d.output_mib_median.ln(), 1.0).expect("checked");
                    let bytes = (law.sample(&mut self.dag) * 1_048_576.0) as u64;
                    let parent = (link > 0).then(|| format!("{}-c{chain_id}-{}", q.name, link - 1));
                    (parent.into_iter().collect(), bytes)
                }
                _ => (Vec::new(), 0),
            };
            let name = if chain_len > 1 {
                format!("{}-c{chain_id}-{link}", q.name)
            } else {
                format!("{}-c{chain_id}", q.name)
            };
            out.push(RawJob {
                name,
                submit,
                runtime: SimDuration::from_secs_f64(runtime_s)
                    .expect("clipped to a positive range"),
                requested_runtime: SimDuration::from_secs_f64(requested_s),
                queue: q.name.clone(),
                user: user.clone(),
                resources: Resources {
                    cpu_milli: (vcpus * 1000.0).round() as u64,
                    memory_mib: (vcpus * q.memory_mib_per_vcpu).round() as u64,
                    gpu_milli,
                    gpu_kind,
                },
                depends_on,
                output_bytes,
                status: JobStatus::Completed,
                source_row: 0,
            });
        }
    }
}

/// Microseconds to the next event of a Poisson process with `per_hour` events per hour.
fn exp_gap_us(rng: &mut ChaCha8Rng, per_hour: f64) -> u64 {
    if per_hour <= 0.0 {
        return u64::MAX / 4;
    }
    let gap_hours = Exp::new(per_hour).expect("positive rate").sample(rng);
    ((gap_hours * HOUR_US) as u64).max(1)
}

/// Generate `n_jobs` jobs of `spec` with `seed`.
pub fn generate(spec: &SynthSpec, seed: u64, n_jobs: usize) -> Result<Trace, TraceError> {
    let start = spec.validate()?;
    let streams = RngStreams::new(seed);
    let mut queues: Vec<QueueGen<'_>> =
        spec.queues.iter().enumerate().map(|(i, q)| QueueGen::new(i, q, &streams)).collect();
    // Next arrival per queue, merged by (time, queue index).
    let mut pending: BTreeMap<(u64, usize), ()> = BTreeMap::new();
    for q in &mut queues {
        let t = q.next_arrival(start.0);
        pending.insert((t, q.index), ());
    }
    let mut jobs: Vec<RawJob> = Vec::with_capacity(n_jobs + 16);
    let mut latest_submit = 0u64;
    // Generate until n_jobs exist and no later root could still precede a generated job.
    while let Some(((t, index), ())) = pending.pop_first() {
        if jobs.len() >= n_jobs && start.0 + t > latest_submit {
            break;
        }
        let q = &mut queues[index];
        let before = jobs.len();
        q.jobs_at(t, start.0, &mut jobs);
        latest_submit = jobs[before..].iter().map(|j| j.submit.0).fold(latest_submit, u64::max);
        let next = q.next_arrival(start.0);
        pending.insert((next, index), ());
    }
    let mut builder =
        TraceBuilder::new(format!("preset:{}", spec.name), format!("synthetic:{}", spec.name));
    builder.set_origin(start);
    builder.set_timezone(spec.timezone.clone());
    // Order by time (ties: generation order) before cutting at n_jobs, then number the rows.
    jobs.sort_by_key(|j| j.submit);
    jobs.truncate(n_jobs);
    builder.report.rows_read = jobs.len() as u64;
    for (row, mut job) in jobs.into_iter().enumerate() {
        job.source_row = row as u64 + 1;
        builder.push(job);
    }
    builder.report.notes.push(format!("generated with seed {seed}"));
    Ok(builder.finish())
}

/// Names of the presets, for help texts and errors.
pub fn preset_names() -> &'static [&'static str] {
    &["tiny", "hpc-seasonal", "gpu-ml", "dag-pipeline", "mixed"]
}

fn lognormal(median_s: f64, sigma: f64, min_s: f64, max_s: f64) -> Dist {
    Dist::Lognormal { median_s, sigma, min_s, max_s }
}

fn choice(values: &[f64], weights: &[f64]) -> Choice {
    Choice { values: values.to_vec(), weights: weights.to_vec() }
}

fn queue(name: &str, rate_per_hour: f64, runtime: Dist, vcpus: Choice) -> QueueSpec {
    QueueSpec {
        name: name.into(),
        rate_per_hour,
        daily_amplitude: 0.6,
        peak_hour: 14.0,
        weekend_factor: 0.35,
        trend_per_week: 0.01,
        bursts: None,
        runtime,
        vcpus,
        memory_mib_per_vcpu: 2048.0,
        gpu: None,
        dag: None,
        requested_runtime_factor: 2.0,
        users: 30,
    }
}

/// HPC queues: many short jobs, fewer long wide ones (sizes powers of two, up to 256 vCPUs).
fn hpc_queues() -> Vec<QueueSpec> {
    let bursts = Some(BurstSpec { per_week: 2.0, hours: 3.0, multiplier: 4.0 });
    vec![
        QueueSpec {
            bursts: bursts.clone(),
            ..queue(
                "short",
                40.0,
                lognormal(120.0, 1.2, 5.0, 3_600.0),
                choice(&[1.0, 2.0, 4.0, 8.0, 16.0], &[40.0, 20.0, 20.0, 12.0, 8.0]),
            )
        },
        queue(
            "batch",
            12.0,
            lognormal(1_800.0, 1.3, 60.0, 86_400.0),
            choice(&[4.0, 8.0, 16.0, 32.0, 64.0, 128.0], &[25.0, 25.0, 20.0, 15.0, 10.0, 5.0]),
        ),
        QueueSpec {
            daily_amplitude: 0.3,
            ..queue(
                "long",
                1.5,
                lognormal(14_400.0, 0.8, 600.0, 172_800.0),
                choice(&[16.0, 32.0, 64.0, 128.0, 256.0], &[30.0, 30.0, 20.0, 15.0, 5.0]),
            )
        },
    ]
}

fn gpu_train() -> QueueSpec {
    QueueSpec {
        gpu: Some(GpuSpec {
            probability: 1.0,
            // Echoes the Alibaba GPU 2023 mix: most 1 GPU, a few 2, 4 and 8.
            count: choice(&[1.0, 2.0, 4.0, 8.0], &[86.0, 4.0, 4.0, 6.0]),
            kinds: vec!["V100M32".into(), "A100".into(), "T4".into()],
            kind_weights: vec![45.0, 35.0, 20.0],
        }),
        memory_mib_per_vcpu: 4096.0,
        ..queue(
            "train",
            6.0,
            lognormal(7_200.0, 1.2, 300.0, 259_200.0),
            choice(&[4.0, 8.0, 16.0], &[40.0, 40.0, 20.0]),
        )
    }
}

fn gpu_infer() -> QueueSpec {
    QueueSpec {
        daily_amplitude: 0.7,
        peak_hour: 20.0,
        weekend_factor: 0.8,
        gpu: Some(GpuSpec {
            probability: 0.9,
            // GPU-sharing inference pods ask for fractions of a GPU.
            count: choice(&[0.25, 0.5, 1.0], &[40.0, 35.0, 25.0]),
            kinds: vec!["T4".into(), "A10".into()],
            kind_weights: vec![70.0, 30.0],
        }),
        ..queue(
            "infer",
            30.0,
            lognormal(600.0, 1.0, 30.0, 21_600.0),
            choice(&[1.0, 2.0, 4.0], &[50.0, 35.0, 15.0]),
        )
    }
}

fn etl() -> QueueSpec {
    QueueSpec {
        dag: Some(DagSpec {
            probability: 0.6,
            min_length: 2,
            max_length: 6,
            gap_s: 5.0,
            output_mib_median: 512.0,
        }),
        ..queue(
            "etl",
            20.0,
            lognormal(300.0, 1.0, 10.0, 14_400.0),
            choice(&[1.0, 2.0, 4.0, 8.0], &[30.0, 30.0, 25.0, 15.0]),
        )
    }
}

/// A named preset:
/// - `tiny`: one queue, about 30 jobs an hour of small short jobs; for quick tests.
/// - `hpc-seasonal`: an HPC centre's `short`, `batch` and `long` queues (about 54 jobs an hour
///   on weekday averages), strong daily and weekly cycles, bursts in `short`, 1–256 vCPUs.
/// - `gpu-ml`: `train` (whole GPUs, 1–8, V100/A100/T4, hours long) and `infer` (fractional
///   T4/A10 GPUs, minutes long, evening peak), about 36 jobs an hour.
/// - `dag-pipeline`: an `etl` queue where 60% of arrivals start a chain of 2–6 dependent jobs
///   with outputs of about 512 MiB each.
/// - `mixed`: `short` HPC, `infer` GPU and `etl` DAG queues together.
pub fn preset(name: &str) -> Result<SynthSpec, TraceError> {
    let queues = match name {
        "tiny" => vec![QueueSpec {
            daily_amplitude: 0.5,
            trend_per_week: 0.0,
            users: 5,
            ..queue(
                "default",
                30.0,
                lognormal(300.0, 1.0, 10.0, 7_200.0),
                choice(&[1.0, 2.0, 4.0], &[60.0, 30.0, 10.0]),
            )
        }],
        "hpc-seasonal" => hpc_queues(),
        "gpu-ml" => vec![gpu_train(), gpu_infer()],
        "dag-pipeline" => vec![etl()],
        "mixed" => {
            let mut hpc = hpc_queues();
            vec![hpc.swap_remove(0), gpu_infer(), etl()]
        }
        _ => {
            return Err(TraceError::Usage(format!(
                "unknown preset {name:?}; the presets are {}",
                preset_names().join(", ")
            )));
        }
    };
    Ok(SynthSpec {
        name: name.to_owned(),
        // A Monday, so weeks in reports line up with calendar weeks.
        start: "2026-01-05T00:00:00Z".into(),
        timezone: Some("UTC".into()),
        queues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_trace_other_seed_other_trace() {
        let spec = preset("mixed").unwrap();
        let a = generate(&spec, 5, 2_000).unwrap();
        assert_eq!(a, generate(&spec, 5, 2_000).unwrap());
        assert_ne!(a.jobs, generate(&spec, 6, 2_000).unwrap().jobs);
    }

    #[test]
    fn every_preset_makes_exactly_n_valid_jobs() {
        for name in preset_names() {
            let spec = preset(name).unwrap();
            let trace = generate(&spec, 1, 1_000).unwrap();
            assert_eq!(trace.jobs.len(), 1_000, "{name}");
            assert!(trace.jobs.windows(2).all(|w| w[0].submit <= w[1].submit), "{name}");
            let report = trace.meta.import_report.as_ref().unwrap();
            assert!(report.edges_dropped.is_empty(), "{name}: {:?}", report.edges_dropped);
            for q in &spec.queues {
                let (lo, hi) = match q.runtime {
                    Dist::Lognormal { min_s, max_s, .. }
                    | Dist::Exponential { min_s, max_s, .. } => (min_s, max_s),
                    Dist::Pareto { scale_s, max_s, .. } => (scale_s, max_s),
                };
                let queue_id = trace.queues.iter().position(|n| *n == q.name);
                for job in trace.jobs.iter().filter(|j| Some(j.queue.index()) == queue_id) {
                    let s = job.runtime.as_secs_f64();
                    assert!(s >= lo - 1e-6 && s <= hi + 1e-6, "{name}/{}: runtime {s}", q.name);
                }
            }
            // The spec survives a TOML round trip, so scenarios can carry it.
            let text = toml::to_string(&spec).unwrap();
            assert_eq!(toml::from_str::<SynthSpec>(&text).unwrap(), spec, "{name}");
        }
        let dag = generate(&preset("dag-pipeline").unwrap(), 1, 1_000).unwrap();
        assert!(dag.jobs.iter().filter(|j| !j.dependencies.is_empty()).count() > 300);
    }

    fn one_queue(q: QueueSpec) -> SynthSpec {
        SynthSpec {
            name: "t".into(),
            start: "2026-01-05T00:00:00Z".into(),
            timezone: None,
            queues: vec![q],
        }
    }

    #[test]
    fn daily_and_weekly_cycles_are_there() {
        // Rate 100/h, amplitude 0.6 peaking at 14:00, weekend factor 0.4, no trend. Over 4
        // weeks (~67k weekday arrivals... fewer on weekends) the 14:00 bucket's expected share of
        // weekday arrivals is (1+0.6)/24 and the 02:00 bucket's (1−0.6)/24: a ratio of 4. With
        // ~2,000 arrivals a bucket the Poisson noise is ~2-5%, so a ratio above 3 is safe.
        // Weekend days should carry 0.4× a weekday's arrivals (±10%).
        let q = QueueSpec {
            trend_per_week: 0.0,
            weekend_factor: 0.4,
            rate_per_hour: 100.0,
            ..queue("q", 1.0, lognormal(60.0, 0.5, 1.0, 600.0), choice(&[1.0], &[1.0]))
        };
        let trace = generate(&one_queue(q), 3, 60_000).unwrap();
        let start = trace.meta.origin.0;
        let mut by_hour = [0u64; 24];
        let mut by_weekday = [0u64; 7];
        for job in &trace.jobs {
            let t = job.submit.0 - start;
            let day = (t / DAY_US) % 7; // start is a Monday
            by_weekday[day as usize] += 1;
            if day < 5 {
                by_hour[((t % DAY_US) / 3_600_000_000) as usize] += 1;
            }
        }
        let ratio = by_hour[14] as f64 / by_hour[2] as f64;
        assert!(ratio > 3.0 && ratio < 5.5, "peak/trough {ratio}: {by_hour:?}");
        let weekday_mean = by_weekday[..5].iter().sum::<u64>() as f64 / 5.0;
        let weekend_mean = by_weekday[5..].iter().sum::<u64>() as f64 / 2.0;
        let factor = weekend_mean / weekday_mean;
        assert!((factor - 0.4).abs() < 0.04, "weekend factor {factor}");
    }

    #[test]
    fn lognormal_runtimes_have_the_configured_median_and_tail() {
        // Median 600 s, σ = 1.5: p99/p50 = e^(2.326·1.5) ≈ 32.8. Clips far away (1 s, 10⁷ s).
        let q = queue("q", 500.0, lognormal(600.0, 1.5, 1.0, 1e7), choice(&[1.0], &[1.0]));
        let trace = generate(&one_queue(q), 9, 40_000).unwrap();
        let mut runtimes: Vec<f64> = trace.jobs.iter().map(|j| j.runtime.as_secs_f64()).collect();
        runtimes.sort_by(f64::total_cmp);
        let p50 = runtimes[runtimes.len() / 2];
        let p99 = runtimes[runtimes.len() * 99 / 100];
        assert!((p50 / 600.0 - 1.0).abs() < 0.04, "median {p50}");
        let tail = p99 / p50;
        assert!((tail / 32.8 - 1.0).abs() < 0.15, "p99/p50 {tail}");
    }

    #[test]
    fn invalid_specs_name_the_field() {
        let mut spec = preset("hpc-seasonal").unwrap();
        spec.queues[1].daily_amplitude = 1.5;
        let err = generate(&spec, 1, 10).unwrap_err().to_string();
        assert!(err.contains("queues[1].daily_amplitude"), "{err}");
        let mut spec = preset("tiny").unwrap();
        spec.queues[0].vcpus.weights.pop();
        assert!(generate(&spec, 1, 10).unwrap_err().to_string().contains("queues[0].vcpus"));
        let mut spec = preset("tiny").unwrap();
        spec.start = "yesterday".into();
        assert!(generate(&spec, 1, 10).unwrap_err().to_string().contains("`start`"));
        assert!(preset("nope").unwrap_err().to_string().contains("hpc-seasonal"));
    }
}
