//! Samplers compiled once from a validated spec, so that drawing a job allocates nothing but
//! the job itself: distributions, weighted choices (cumulative tables), and the seasonal
//! arrival process of one queue.

use std::f64::consts::TAU;

use engine::GpuKind;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, LogNormal, Pareto, Weibull};

use super::spec::{Dist, GpuSpec, QueueSpec, SizeSpec};
use crate::trace::TraceError;

/// Seconds in a day.
const DAY_S: f64 = 86_400.0;
/// Seconds in a week.
const WEEK_S: f64 = 7.0 * DAY_S;
/// How far past its start a trace may reach, seconds (100 years): beyond it the spec's rates
/// are too low to be meant, and simulated times would approach their limit.
pub(super) const HORIZON_S: f64 = 100.0 * 365.25 * DAY_S;

/// A [`Dist`] ready to sample.
#[derive(Clone, Debug)]
pub(super) enum DistSampler {
    Fixed(f64),
    Uniform { min: f64, max: f64 },
    Exponential { mean: f64, min: f64, max: f64 },
    LogNormal { dist: LogNormal<f64>, min: f64, max: f64 },
    Pareto { dist: Pareto<f64>, max: f64 },
    Weibull { dist: Weibull<f64>, min: f64, max: f64 },
}

impl DistSampler {
    /// Compiles a validated distribution; `field` names it should rand_distr still object.
    pub(super) fn new(dist: &Dist, field: &str) -> Result<DistSampler, TraceError> {
        let rejected = |e: &dyn std::fmt::Display| {
            TraceError::Usage(format!("synthetic spec: `{field}` is not a valid distribution: {e}"))
        };
        Ok(match *dist {
            Dist::Fixed { value } => DistSampler::Fixed(value),
            Dist::Uniform { min, max } => DistSampler::Uniform { min, max },
            Dist::Exponential { mean, min, max } => DistSampler::Exponential { mean, min, max },
            Dist::LogNormal { median, sigma, min, max } => DistSampler::LogNormal {
                dist: LogNormal::new(median.ln(), sigma).map_err(|e| rejected(&e))?,
                min,
                max,
            },
            Dist::Pareto { scale, alpha, max } => DistSampler::Pareto {
                dist: Pareto::new(scale, alpha).map_err(|e| rejected(&e))?,
                max,
            },
            Dist::Weibull { scale, shape, min, max } => DistSampler::Weibull {
                dist: Weibull::new(scale, shape).map_err(|e| rejected(&e))?,
                min,
                max,
            },
        })
    }

    /// One value, clipped to the distribution's bounds.
    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            DistSampler::Fixed(value) => *value,
            DistSampler::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            DistSampler::Exponential { mean, min, max } => {
                (mean * rng.sample::<f64, _>(Exp1)).clamp(*min, *max)
            }
            DistSampler::LogNormal { dist, min, max } => dist.sample(rng).clamp(*min, *max),
            DistSampler::Pareto { dist, max } => dist.sample(rng).min(*max),
            DistSampler::Weibull { dist, min, max } => dist.sample(rng).clamp(*min, *max),
        }
    }
}

/// A weighted choice among `n` items, as a cumulative table searched by bisection.
#[derive(Clone, Debug)]
pub(super) struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// `weights` has one entry per item, or is empty for equal weights (validated).
    pub(super) fn new(weights: &[f64], n: usize) -> Weighted {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|i| {
                total += weights.get(i).copied().unwrap_or(1.0);
                total
            })
            .collect();
        Weighted { cumulative }
    }

    /// Weights `1/k^s` for `k = 1..=n`: a Zipf law.
    pub(super) fn zipf(n: u32, s: f64) -> Weighted {
        let weights: Vec<f64> = (1..=n).map(|k| f64::from(k).powf(-s)).collect();
        Weighted::new(&weights, n as usize)
    }

    /// The index of one item.
    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let u = rng.random::<f64>() * total;
        // The first item whose cumulative weight exceeds u; items of weight 0 are never chosen.
        self.cumulative.partition_point(|c| *c <= u).min(self.cumulative.len().saturating_sub(1))
    }
}

/// Rounds a non-negative count of units to thousandths (vCPUs → milli-CPUs).
fn milli(units: f64) -> u64 {
    (units * 1000.0).round() as u64
}

/// A [`SizeSpec`] ready to sample, in milli-vCPUs.
#[derive(Clone, Debug)]
pub(super) enum SizeSampler {
    Fixed(u64),
    Choice { milli: Vec<u64>, pick: Weighted },
    PowerOfTwo { min_exponent: u32, pick: Weighted, non_power: f64 },
}

impl SizeSampler {
    pub(super) fn new(spec: &SizeSpec) -> SizeSampler {
        match spec {
            SizeSpec::Fixed { value } => SizeSampler::Fixed(milli(*value)),
            SizeSpec::Choice { values, weights } => SizeSampler::Choice {
                milli: values.iter().map(|v| milli(*v)).collect(),
                pick: Weighted::new(weights, values.len()),
            },
            SizeSpec::PowerOfTwo { min, max, ratio, non_power } => {
                let (lo, hi) = (min.trailing_zeros(), max.trailing_zeros());
                let weights: Vec<f64> = (lo..=hi).map(|e| ratio.powi((e - lo) as i32)).collect();
                SizeSampler::PowerOfTwo {
                    min_exponent: lo,
                    pick: Weighted::new(&weights, weights.len()),
                    non_power: *non_power,
                }
            }
        }
    }

    /// Milli-vCPUs of one job.
    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> u64 {
        match self {
            SizeSampler::Fixed(milli) => *milli,
            SizeSampler::Choice { milli, pick } => milli[pick.sample(rng)],
            SizeSampler::PowerOfTwo { min_exponent, pick, non_power } => {
                let step = pick.sample(rng) as u32;
                let size = 1u64 << (min_exponent + step);
                // Not for the smallest size, whose half-open range would fall below `min`.
                let vcpus = if *non_power > 0.0 && rng.random::<f64>() < *non_power && step > 0 {
                    // Uniform on (size/2, size]: 5..=8 for 8.
                    size / 2 + 1 + rng.random_range(0..size / 2)
                } else {
                    size
                };
                vcpus * 1000
            }
        }
    }
}

/// A [`GpuSpec`] ready to sample.
#[derive(Clone, Debug)]
pub(super) struct GpuSampler {
    probability: f64,
    counts: Vec<u32>,
    count_pick: Weighted,
    kinds: Vec<GpuKind>,
    kind_pick: Weighted,
    fractional_probability: f64,
    shares_milli: Vec<u64>,
    share_pick: Weighted,
}

impl GpuSampler {
    pub(super) fn new(spec: &GpuSpec) -> GpuSampler {
        GpuSampler {
            probability: spec.probability,
            counts: spec.counts.clone(),
            count_pick: Weighted::new(&spec.count_weights, spec.counts.len()),
            kinds: spec.kinds.iter().map(|k| GpuKind(k.clone())).collect(),
            kind_pick: Weighted::new(&spec.kind_weights, spec.kinds.len()),
            fractional_probability: spec.fractional_probability,
            shares_milli: spec.shares.iter().map(|s| milli(*s)).collect(),
            share_pick: Weighted::new(&spec.share_weights, spec.shares.len()),
        }
    }

    /// Milli-GPUs and model of one job; `(0, None)` for a CPU-only job.
    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> (u64, Option<GpuKind>) {
        if rng.random::<f64>() >= self.probability {
            return (0, None);
        }
        let fractional =
            self.fractional_probability > 0.0 && rng.random::<f64>() < self.fractional_probability;
        let gpu_milli = if fractional {
            self.shares_milli[self.share_pick.sample(rng)]
        } else {
            u64::from(self.counts[self.count_pick.sample(rng)]) * 1000
        };
        let kind = (!self.kinds.is_empty()).then(|| self.kinds[self.kind_pick.sample(rng)].clone());
        (gpu_milli, kind)
    }
}

/// The seasonal arrival process of one queue: a non-homogeneous Poisson process sampled by
/// thinning (Lewis–Shedler), with a bound that is constant on segments.
///
/// Time is kept in seconds since UTC midnight of the start's day. A segment ends at the next
/// midnight or the next change of burst state, and its bound is the rate's maximum over it:
/// `rate × (1 + A) × weekly(day) × burst × (1 + trend × weeks at the segment's end)`. Candidates
/// are drawn at the bound's rate and kept with probability `λ(t) / bound`; a candidate past
/// the segment's end is discarded and drawing restarts there, which is exact because the
/// exponential gaps are memoryless. Acceptance is about `1 / (1 + A)`.
#[derive(Clone, Debug)]
pub(super) struct Arrivals {
    rate_per_s: f64,
    amplitude: f64,
    /// Second of the day of the daily peak.
    peak_s: f64,
    weekend_factor: f64,
    trend_per_s: f64,
    /// Bursts per second; 0 when disabled.
    burst_rate: f64,
    burst_len_s: f64,
    burst_multiplier: f64,
    /// Where the trace starts: seconds since midnight of the start's day.
    origin: f64,
    /// Weekday of the start's day, 0 = Monday.
    start_weekday: u64,
    /// The process has been sampled up to here.
    t: f64,
    next_burst: f64,
    burst_until: f64,
    arrivals: ChaCha8Rng,
    bursts: ChaCha8Rng,
}

impl Arrivals {
    /// The process of `queue` for a trace starting at `start_s` seconds since the Unix epoch.
    pub(super) fn new(
        queue: &QueueSpec,
        start_s: u64,
        start_subsec_s: f64,
        arrivals: ChaCha8Rng,
        mut bursts: ChaCha8Rng,
    ) -> Arrivals {
        let days = start_s / 86_400;
        let origin = (start_s % 86_400) as f64 + start_subsec_s;
        let burst_rate = queue.bursts.per_week / WEEK_S;
        let next_burst = if burst_rate > 0.0 {
            origin + bursts.sample::<f64, _>(Exp1) / burst_rate
        } else {
            f64::INFINITY
        };
        Arrivals {
            rate_per_s: queue.rate_per_hour / 3600.0,
            amplitude: queue.daily_amplitude,
            peak_s: queue.peak_hour * 3600.0,
            weekend_factor: queue.weekend_factor,
            trend_per_s: queue.trend_per_week / WEEK_S,
            burst_rate,
            burst_len_s: queue.bursts.duration_h * 3600.0,
            burst_multiplier: queue.bursts.multiplier,
            origin,
            // 1970-01-01 was a Thursday (3 with Monday = 0).
            start_weekday: (days + 3) % 7,
            t: origin,
            next_burst,
            burst_until: f64::NEG_INFINITY,
            arrivals,
            bursts,
        }
    }

    /// The next arrival, in seconds since the trace start, or `None` past [`HORIZON_S`].
    pub(super) fn next(&mut self) -> Option<f64> {
        loop {
            if self.t - self.origin > HORIZON_S {
                return None;
            }
            // Open every burst that has started by now; overlapping windows merge.
            while self.next_burst <= self.t {
                self.burst_until = self.burst_until.max(self.next_burst + self.burst_len_s);
                self.next_burst += self.bursts.sample::<f64, _>(Exp1) / self.burst_rate;
            }
            let mut day = (self.t / DAY_S).floor();
            if (day + 1.0) * DAY_S <= self.t {
                day += 1.0; // guards against the division rounding up to the next day
            }
            let in_burst = self.t < self.burst_until;
            let burst_edge = if in_burst { self.burst_until } else { self.next_burst };
            let segment_end = ((day + 1.0) * DAY_S).min(burst_edge);
            let weekday = (self.start_weekday + day as u64) % 7;
            let weekly = if weekday >= 5 { self.weekend_factor } else { 1.0 };
            let burst = if in_burst { self.burst_multiplier } else { 1.0 };
            let base = self.rate_per_s * weekly * burst;
            // The trend is non-negative, so its maximum over the segment is at the end.
            let bound = base
                * (1.0 + self.amplitude)
                * (1.0 + self.trend_per_s * (segment_end - self.origin));
            if bound <= 0.0 {
                self.t = segment_end;
                continue;
            }
            let candidate = self.t + self.arrivals.sample::<f64, _>(Exp1) / bound;
            if candidate >= segment_end {
                self.t = segment_end;
                continue;
            }
            self.t = candidate;
            let daily = 1.0
                + self.amplitude * (TAU * (candidate - day * DAY_S - self.peak_s) / DAY_S).cos();
            let rate = base * daily * (1.0 + self.trend_per_s * (candidate - self.origin));
            if self.arrivals.random::<f64>() * bound < rate {
                return Some(candidate - self.origin);
            }
        }
    }
}
