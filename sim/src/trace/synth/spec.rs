//! The generator spec: serde types (written in scenario TOML as `[workload.synthetic.spec]`) and
//! their validation, which names the offending field in every error.

use serde::{Deserialize, Serialize};

use crate::trace::TraceError;

/// The start used when a spec gives none: a Monday, so week 0 begins with five weekdays.
pub const DEFAULT_START: &str = "2026-01-05T00:00:00Z";

/// A whole synthetic workload: when it starts and the queues that feed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthSpec {
    /// A label recorded in the trace's format (`synthetic:<name>`); presets carry their own
    /// name. Default: `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// RFC 3339 start of the trace (its origin); the daily and weekly cycles are anchored to
    /// UTC midnight and the UTC weekday. Default: [`DEFAULT_START`], a Monday.
    #[serde(default = "default_start")]
    pub start: String,
    /// IANA time zone recorded in the trace's metadata (the cycles themselves are in UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The queues; at least one, with distinct names.
    pub queues: Vec<QueueSpec>,
}

/// One queue: its arrival process and the shape of the jobs it receives.
///
/// The arrival rate at time `t` is
/// `rate_per_hour × daily(t) × weekly(t) × (1 + trend_per_week × weeks since start) × burst(t)`
/// (see the [module documentation](super)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// Queue name as it appears in the trace; unique within the spec.
    pub name: String,
    /// Mean arrival rate on a weekday of week 0 outside bursts, jobs (chain heads) per hour.
    pub rate_per_hour: f64,
    /// Amplitude `A` of the daily cycle, in `[0, 1]`: `daily(t) = 1 + A cos(2π (h − peak)/24)`,
    /// `h` the UTC hour of day. Default 0 (flat).
    #[serde(default)]
    pub daily_amplitude: f64,
    /// UTC hour of day, in `[0, 24)`, at which the daily cycle peaks. Default 14.
    #[serde(default = "default_peak_hour")]
    pub peak_hour: f64,
    /// Rate multiplier on Saturdays and Sundays (UTC), `>= 0`. Default 1 (no weekly cycle).
    #[serde(default = "one")]
    pub weekend_factor: f64,
    /// Linear growth of the rate per week since the start, `>= 0` (0.02 = +2 % a week).
    /// Default 0.
    #[serde(default)]
    pub trend_per_week: f64,
    /// Bursts: windows of raised (or lowered) rate. Default: none.
    #[serde(default)]
    pub bursts: BurstSpec,
    /// Run time, in seconds; `min` must be positive.
    pub runtime: Dist,
    /// vCPUs requested.
    pub vcpus: SizeSpec,
    /// Memory requested per vCPU, MiB, `>= 0`. Default 4096.
    #[serde(default = "default_memory")]
    pub memory_mib_per_vcpu: f64,
    /// GPUs requested; `None` (the default) means CPU-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuSpec>,
    /// Dependency chains started by this queue's arrivals; `None` (the default) means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dag: Option<DagSpec>,
    /// Users over-estimate: requested walltime = runtime × factor (`>= 1`), rounded up to the
    /// next 15 minutes. Default 1.
    #[serde(default = "one")]
    pub requested_runtime_factor: f64,
    /// Number of distinct users submitting to this queue (named `u1`, `u2`, …, shared across
    /// queues, so `u1` is the heaviest user everywhere), at least 1. Default 100.
    #[serde(default = "default_users")]
    pub users: u32,
    /// Zipf exponent `s` of user activity: user `k` submits with weight `1/k^s`, `>= 0`
    /// (0 = all equal). Default 1.
    #[serde(default = "one")]
    pub user_zipf: f64,
}

/// Bursts: a Poisson process of windows during which the queue's rate is multiplied.
///
/// Overlapping windows do not compound: inside any window the multiplier applies once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BurstSpec {
    /// Mean number of bursts per week, `>= 0`; 0 disables bursts.
    pub per_week: f64,
    /// Length of each burst window, hours, `> 0`.
    pub duration_h: f64,
    /// Rate multiplier inside a window, `> 0` (below 1 models lulls or outages).
    pub multiplier: f64,
}

impl Default for BurstSpec {
    fn default() -> BurstSpec {
        BurstSpec { per_week: 0.0, duration_h: 2.0, multiplier: 3.0 }
    }
}

/// A distribution of non-negative values, clipped to `[min, max]`. The unit is the one of the
/// field that uses it (seconds for `runtime`, bytes for `output_bytes`, jobs for `length`).
///
/// In TOML: `runtime = { kind = "lognormal", median = 600, sigma = 1.5, min = 10, max = 172800 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always `value`.
    Fixed {
        /// The value.
        value: f64,
    },
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Exponential with mean `mean`, clipped.
    Exponential {
        /// Mean before clipping.
        mean: f64,
        /// Lower clip.
        min: f64,
        /// Upper clip.
        max: f64,
    },
    /// Log-normal: `ln X ~ Normal(ln median, sigma²)`, clipped. `p99/p50 = exp(2.326 σ)`.
    #[serde(rename = "lognormal")]
    LogNormal {
        /// Median before clipping.
        median: f64,
        /// Standard deviation of `ln X`.
        sigma: f64,
        /// Lower clip.
        min: f64,
        /// Upper clip.
        max: f64,
    },
    /// Pareto with `P(X > x) = (scale/x)^alpha` for `x >= scale`, clipped above at `max`.
    Pareto {
        /// Scale: the smallest value.
        scale: f64,
        /// Tail index; below 2 the variance is infinite.
        alpha: f64,
        /// Upper clip.
        max: f64,
    },
    /// Weibull with `P(X > x) = exp(-(x/scale)^shape)`, clipped; `shape < 1` is heavy-ish.
    Weibull {
        /// Scale.
        scale: f64,
        /// Shape.
        shape: f64,
        /// Lower clip.
        min: f64,
        /// Upper clip.
        max: f64,
    },
}

impl Dist {
    /// The smallest value the distribution can produce.
    pub fn lower(&self) -> f64 {
        match *self {
            Dist::Fixed { value } => value,
            Dist::Pareto { scale, .. } => scale,
            Dist::Uniform { min, .. }
            | Dist::Exponential { min, .. }
            | Dist::LogNormal { min, .. }
            | Dist::Weibull { min, .. } => min,
        }
    }

    /// The largest value the distribution can produce.
    pub fn upper(&self) -> f64 {
        match *self {
            Dist::Fixed { value } => value,
            Dist::Uniform { max, .. }
            | Dist::Exponential { max, .. }
            | Dist::LogNormal { max, .. }
            | Dist::Pareto { max, .. }
            | Dist::Weibull { max, .. } => max,
        }
    }
}

/// How many vCPUs a job asks for. Values may be fractional (0.5 = half a core); they become
/// `cpu_milli` rounded to the nearest thousandth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SizeSpec {
    /// Always `value` vCPUs.
    Fixed {
        /// vCPUs.
        value: f64,
    },
    /// One of `values`, with probability proportional to `weights` (empty: all equal).
    Choice {
        /// vCPU counts.
        values: Vec<f64>,
        /// Relative weights, one per value, or empty.
        #[serde(default)]
        weights: Vec<f64>,
    },
    /// Powers of two from `min` to `max`, each `ratio` times as likely as the one below:
    /// with `ratio = 0.5`, `P(size >= s) ∝ 1/s`, the heavy tail of HPC job sizes.
    PowerOfTwo {
        /// Smallest size, a power of two.
        min: u32,
        /// Largest size, a power of two `>= min`.
        max: u32,
        /// Weight of size `2s` relative to size `s`, `> 0`.
        ratio: f64,
        /// Fraction of jobs, in `[0, 1]`, whose size is instead uniform among the integers
        /// above the power of two below the chosen one, up to the chosen one (5–8 for 8): real
        /// traces are not all powers of two. Never applied to `min`. Default 0.
        #[serde(default)]
        non_power: f64,
    },
}

/// GPU requests of a queue.
///
/// A job uses a GPU with `probability`. A GPU job is fractional (a share of one GPU, like an
/// inference pod) with `fractional_probability`, and otherwise asks for a whole count of GPUs.
/// Weight lists may be empty (all equal) or have one weight per choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// Chance a job asks for a GPU, in `[0, 1]`. Default 1.
    #[serde(default = "one")]
    pub probability: f64,
    /// Whole GPU counts (each `>= 1`). Default `[1]`.
    #[serde(default = "default_counts")]
    pub counts: Vec<u32>,
    /// Weights of `counts`.
    #[serde(default)]
    pub count_weights: Vec<f64>,
    /// GPU models (`T4`, `V100`, `A100`); empty means any model. Default empty.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Weights of `kinds`.
    #[serde(default)]
    pub kind_weights: Vec<f64>,
    /// Chance a GPU job asks for a share of one GPU, in `[0, 1]`. Default 0.
    #[serde(default)]
    pub fractional_probability: f64,
    /// Shares of one GPU, each in `(0, 1)` (0.25 = a quarter); needed when
    /// `fractional_probability > 0`.
    #[serde(default)]
    pub shares: Vec<f64>,
    /// Weights of `shares`.
    #[serde(default)]
    pub share_weights: Vec<f64>,
}

/// Dependency chains: some arrivals start a chain of jobs, each depending on the one before.
///
/// Link `k` (the head is link 0) is submitted `k × link_gap_s` after the head, in the head's
/// queue and by the head's user; it depends on link `k − 1` by name. Every link writes
/// `output_bytes` for its dependant (the last one for whoever consumes the pipeline).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DagSpec {
    /// Chance an arrival starts a chain, in `[0, 1]`.
    pub probability: f64,
    /// Jobs in a chain, head included: rounded to the nearest integer, at least 2, `max` at
    /// most 10,000.
    pub length: Dist,
    /// Output of each link, bytes.
    pub output_bytes: Dist,
    /// Seconds between the submits of consecutive links, `>= 0`. Default 1.
    #[serde(default = "one")]
    pub link_gap_s: f64,
}

fn default_start() -> String {
    DEFAULT_START.to_owned()
}

fn default_peak_hour() -> f64 {
    14.0
}

fn one() -> f64 {
    1.0
}

fn default_memory() -> f64 {
    4096.0
}

fn default_users() -> u32 {
    100
}

fn default_counts() -> Vec<u32> {
    vec![1]
}

/// The longest runtime accepted, seconds (about 31 years): keeps every time in range.
const MAX_RUNTIME_S: f64 = 1e9;
/// The longest chain accepted.
pub(super) const MAX_CHAIN: f64 = 10_000.0;

/// A usage error about `field`.
fn bad(field: &str, what: impl std::fmt::Display) -> TraceError {
    TraceError::Usage(format!("synthetic spec: `{field}` {what}"))
}

/// Checks that `value` is finite and within `[lo, hi]`.
fn check_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<(), TraceError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(bad(field, format_args!("must be in [{lo}, {hi}], got {value}")))
    }
}

/// Checks that `value` is finite and `> 0`.
fn check_positive(field: &str, value: f64) -> Result<(), TraceError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(bad(field, format_args!("must be a finite number > 0, got {value}")))
    }
}

/// Checks that `value` is finite and `>= 0`.
fn check_non_negative(field: &str, value: f64) -> Result<(), TraceError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(bad(field, format_args!("must be a finite number >= 0, got {value}")))
    }
}

/// Checks a weight list: empty, or one finite non-negative weight per choice, not all zero.
pub(super) fn check_weights(
    field: &str,
    weights: &[f64],
    choices: usize,
) -> Result<(), TraceError> {
    if weights.is_empty() {
        return Ok(());
    }
    if weights.len() != choices {
        return Err(bad(
            field,
            format_args!(
                "has {} weights for {choices} choices; give one each, or none",
                weights.len()
            ),
        ));
    }
    for (i, w) in weights.iter().enumerate() {
        check_non_negative(&format!("{field}[{i}]"), *w)?;
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(bad(field, "must not be all zero"));
    }
    Ok(())
}

impl Dist {
    /// Checks the parameters; `field` names the distribution in errors.
    pub(super) fn validate(&self, field: &str) -> Result<(), TraceError> {
        let sub = |name: &str| format!("{field}.{name}");
        let check_clip = |min: f64, max: f64| -> Result<(), TraceError> {
            check_non_negative(&sub("min"), min)?;
            check_non_negative(&sub("max"), max)?;
            if max < min {
                return Err(bad(&sub("max"), format_args!("({max}) is below min ({min})")));
            }
            Ok(())
        };
        match *self {
            Dist::Fixed { value } => check_non_negative(&sub("value"), value),
            Dist::Uniform { min, max } => check_clip(min, max),
            Dist::Exponential { mean, min, max } => {
                check_positive(&sub("mean"), mean)?;
                check_clip(min, max)
            }
            Dist::LogNormal { median, sigma, min, max } => {
                check_positive(&sub("median"), median)?;
                check_non_negative(&sub("sigma"), sigma)?;
                check_clip(min, max)
            }
            Dist::Pareto { scale, alpha, max } => {
                check_positive(&sub("scale"), scale)?;
                check_positive(&sub("alpha"), alpha)?;
                check_clip(scale, max)
            }
            Dist::Weibull { scale, shape, min, max } => {
                check_positive(&sub("scale"), scale)?;
                check_positive(&sub("shape"), shape)?;
                check_clip(min, max)
            }
        }
    }
}

impl SizeSpec {
    fn validate(&self, field: &str) -> Result<(), TraceError> {
        // A thousandth of a vCPU is the resolution of `cpu_milli`; a million vCPUs is absurd.
        let check_vcpus = |name: String, v: f64| check_range(&name, v, 0.001, 1e6);
        match self {
            SizeSpec::Fixed { value } => check_vcpus(format!("{field}.value"), *value),
            SizeSpec::Choice { values, weights } => {
                if values.is_empty() {
                    return Err(bad(&format!("{field}.values"), "must not be empty"));
                }
                for (i, v) in values.iter().enumerate() {
                    check_vcpus(format!("{field}.values[{i}]"), *v)?;
                }
                check_weights(&format!("{field}.weights"), weights, values.len())
            }
            SizeSpec::PowerOfTwo { min, max, ratio, non_power } => {
                for (name, v) in [("min", *min), ("max", *max)] {
                    if !v.is_power_of_two() {
                        return Err(bad(
                            &format!("{field}.{name}"),
                            format_args!("must be a power of two >= 1, got {v}"),
                        ));
                    }
                }
                if max < min {
                    return Err(bad(&format!("{field}.max"), format_args!("is below min ({min})")));
                }
                check_positive(&format!("{field}.ratio"), *ratio)?;
                check_range(&format!("{field}.non_power"), *non_power, 0.0, 1.0)
            }
        }
    }
}

impl GpuSpec {
    fn validate(&self, field: &str) -> Result<(), TraceError> {
        check_range(&format!("{field}.probability"), self.probability, 0.0, 1.0)?;
        if self.counts.is_empty() {
            return Err(bad(&format!("{field}.counts"), "must not be empty"));
        }
        if let Some(i) = self.counts.iter().position(|c| *c == 0) {
            return Err(bad(&format!("{field}.counts[{i}]"), "must be at least 1"));
        }
        check_weights(&format!("{field}.count_weights"), &self.count_weights, self.counts.len())?;
        if let Some(i) = self.kinds.iter().position(|k| k.trim().is_empty()) {
            return Err(bad(&format!("{field}.kinds[{i}]"), "must not be empty"));
        }
        check_weights(&format!("{field}.kind_weights"), &self.kind_weights, self.kinds.len())?;
        let fractional = format!("{field}.fractional_probability");
        check_range(&fractional, self.fractional_probability, 0.0, 1.0)?;
        if self.fractional_probability > 0.0 && self.shares.is_empty() {
            return Err(bad(
                &format!("{field}.shares"),
                format_args!("must be given when `{fractional}` > 0"),
            ));
        }
        for (i, share) in self.shares.iter().enumerate() {
            // A share must survive rounding to milli-GPUs and stay below a whole GPU.
            check_range(&format!("{field}.shares[{i}]"), *share, 0.001, 0.999)?;
        }
        check_weights(&format!("{field}.share_weights"), &self.share_weights, self.shares.len())
    }
}

impl DagSpec {
    fn validate(&self, field: &str) -> Result<(), TraceError> {
        check_range(&format!("{field}.probability"), self.probability, 0.0, 1.0)?;
        let length = format!("{field}.length");
        self.length.validate(&length)?;
        if self.length.upper() > MAX_CHAIN {
            return Err(bad(&format!("{length}.max"), format_args!("must be at most {MAX_CHAIN}")));
        }
        let bytes = format!("{field}.output_bytes");
        self.output_bytes.validate(&bytes)?;
        // u64 holds 1.8e19; 1e18 bytes (an exabyte) is plenty for one job's output.
        if self.output_bytes.upper() > 1e18 {
            return Err(bad(&format!("{bytes}.max"), "must be at most 1e18 bytes"));
        }
        check_range(&format!("{field}.link_gap_s"), self.link_gap_s, 0.0, 86_400.0)
    }
}

impl QueueSpec {
    fn validate(&self, field: &str) -> Result<(), TraceError> {
        let sub = |name: &str| format!("{field}.{name}");
        if self.name.trim().is_empty() {
            return Err(bad(&sub("name"), "must not be empty"));
        }
        check_positive(&sub("rate_per_hour"), self.rate_per_hour)?;
        // Beyond a million a second, submit times collide at microsecond resolution.
        check_range(&sub("rate_per_hour"), self.rate_per_hour, 0.0, 3.6e9)?;
        check_range(&sub("daily_amplitude"), self.daily_amplitude, 0.0, 1.0)?;
        if !(self.peak_hour.is_finite() && (0.0..24.0).contains(&self.peak_hour)) {
            return Err(bad(
                &sub("peak_hour"),
                format_args!("must be in [0, 24), got {}", self.peak_hour),
            ));
        }
        check_non_negative(&sub("weekend_factor"), self.weekend_factor)?;
        // A falling rate would eventually stop the queue and the generator with it.
        check_non_negative(&sub("trend_per_week"), self.trend_per_week)?;
        check_non_negative(&sub("bursts.per_week"), self.bursts.per_week)?;
        check_positive(&sub("bursts.duration_h"), self.bursts.duration_h)?;
        check_positive(&sub("bursts.multiplier"), self.bursts.multiplier)?;
        let runtime = sub("runtime");
        self.runtime.validate(&runtime)?;
        let lower = self.runtime.lower();
        if lower <= 0.0 {
            let name = if matches!(self.runtime, Dist::Fixed { .. }) { "value" } else { "min" };
            return Err(bad(&format!("{runtime}.{name}"), "must be > 0 seconds: every job runs"));
        }
        if self.runtime.upper() > MAX_RUNTIME_S {
            return Err(bad(
                &format!("{runtime}.max"),
                format_args!("must be at most {MAX_RUNTIME_S} seconds"),
            ));
        }
        self.vcpus.validate(&sub("vcpus"))?;
        check_range(&sub("memory_mib_per_vcpu"), self.memory_mib_per_vcpu, 0.0, 1e9)?;
        if let Some(gpu) = &self.gpu {
            gpu.validate(&sub("gpu"))?;
        }
        if let Some(dag) = &self.dag {
            dag.validate(&sub("dag"))?;
        }
        check_range(&sub("requested_runtime_factor"), self.requested_runtime_factor, 1.0, 1e6)?;
        if !(1..=1_000_000).contains(&self.users) {
            return Err(bad(
                &sub("users"),
                format_args!("must be in [1, 1000000], got {}", self.users),
            ));
        }
        check_range(&sub("user_zipf"), self.user_zipf, 0.0, 100.0)
    }
}

impl SynthSpec {
    /// Checks every field; the error names the first bad one (`queues[1].rate_per_hour`).
    pub fn validate(&self) -> Result<(), TraceError> {
        crate::trace::parse_rfc3339(&self.start)
            .map_err(|e| bad("start", format_args!("is invalid: {e}")))?;
        if self.queues.is_empty() {
            return Err(bad("queues", "must list at least one queue"));
        }
        for (i, queue) in self.queues.iter().enumerate() {
            queue.validate(&format!("queues[{i}]"))?;
            if let Some(j) = self.queues[..i].iter().position(|q| q.name == queue.name) {
                return Err(bad(
                    &format!("queues[{i}].name"),
                    format_args!("{:?} is already the name of queues[{j}]", queue.name),
                ));
            }
        }
        Ok(())
    }
}
