//! Demand series: a trace's jobs turned into evenly bucketed time series, one per
//! (queue, resource class), for the forecasters of [`super::model`] to learn from.
//!
//! Two measures ([`Measure`]):
//! - [`Measure::Submitted`]: resource-hours submitted in the bucket (vCPU-hours or GPU-hours =
//!   units × runtime in hours), all attributed to the bucket holding the job's submit time,
//!   whatever the bucket length.
//! - [`Measure::Busy`]: mean concurrent units in the bucket if each job ran from its submit time
//!   for its runtime (no queueing): each job's units are spread over the buckets it overlaps,
//!   in proportion to the overlap, and divided by the bucket length.
//!
//! Over a window that holds every job whole, `Σ busy × bucket hours = Σ submitted`.
//!
//! Sums are kept exactly, as integer milli-units × microseconds in `u128`, and turned into
//! `f64` once per bucket at the end, so the result does not depend on job order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ForecastError;
use crate::ids::QueueId;
use crate::job::Job;
use crate::time::{MICROS_PER_SEC, SimDuration, SimTime};

/// The most buckets one series may have (about 1,141 years of hours); a longer window is a
/// [`ForecastError::TooManyBuckets`] rather than an attempt to allocate it.
pub const MAX_BUCKETS: u64 = 10_000_000;

/// Microseconds in one hour.
const MICROS_PER_HOUR: u64 = 3_600 * MICROS_PER_SEC;

/// What a series counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Measure {
    /// Resource-hours submitted in the bucket, attributed to the submit bucket.
    Submitted,
    /// Mean concurrent units over the bucket if every job ran from submit for its runtime.
    Busy,
}

/// Which resource a series counts. All GPU kinds are counted together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResourceClass {
    /// vCPUs (`cpu_milli / 1000`).
    Vcpu,
    /// GPUs of any kind (`gpu_milli / 1000`).
    Gpu,
}

impl ResourceClass {
    /// The milli-units of this class a job asks for.
    pub fn milli(self, job: &Job) -> u64 {
        match self {
            ResourceClass::Vcpu => job.resources.cpu_milli,
            ResourceClass::Gpu => job.resources.gpu_milli,
        }
    }
}

/// The key of one series in a collection: the queue and the resource class.
pub type SeriesKey = (QueueId, ResourceClass);

/// An evenly bucketed series: `values[i]` covers `[start + i·bucket, start + (i+1)·bucket)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemandSeries {
    /// Start of the first bucket.
    pub start: SimTime,
    /// Length of every bucket.
    pub bucket: SimDuration,
    /// One value per bucket, in the units of the [`Measure`] it was built with.
    pub values: Vec<f64>,
}

impl DemandSeries {
    /// Number of buckets.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the series has no bucket.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Start of bucket `i`, or `None` if it is past the end of the series or of the clock.
    pub fn bucket_start(&self, i: usize) -> Option<SimTime> {
        if i >= self.values.len() {
            return None;
        }
        let offset = self.bucket.0.checked_mul(u64::try_from(i).ok()?)?;
        self.start.checked_add(SimDuration(offset))
    }
}

/// Builds [`DemandSeries`] from jobs: hourly buckets by default, over a window that defaults to
/// the jobs' own span.
///
/// The default window starts at the earliest submit rounded down to a multiple of the bucket
/// since the epoch (so hourly buckets fall on UTC hours) and ends with the bucket holding the
/// latest job end (or latest submit, for jobs of zero runtime). It depends on the jobs only,
/// not on the measure, so the two measures of the same jobs share one grid.
///
/// With an explicit window, the series cover `[start, end)` rounded up to whole buckets from
/// `start`. [`Measure::Submitted`] counts only jobs submitted inside it; [`Measure::Busy`]
/// counts the part of every job's run that falls inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesBuilder {
    bucket: SimDuration,
    window: Option<(SimTime, SimTime)>,
}

impl Default for SeriesBuilder {
    fn default() -> Self {
        SeriesBuilder::hourly()
    }
}

impl SeriesBuilder {
    /// Hourly buckets over the jobs' own span.
    pub const fn hourly() -> SeriesBuilder {
        SeriesBuilder { bucket: SimDuration::from_hours(1), window: None }
    }

    /// Uses buckets of length `bucket`; zero is an error.
    pub fn with_bucket(self, bucket: SimDuration) -> Result<SeriesBuilder, ForecastError> {
        if bucket == SimDuration::ZERO {
            return Err(ForecastError::InvalidParameter {
                name: "bucket",
                expected: "a positive duration",
                found: bucket.to_string(),
            });
        }
        Ok(SeriesBuilder { bucket, ..self })
    }

    /// Covers exactly `[start, end)`, rounded up to whole buckets; `end <= start` is an error.
    pub fn with_window(self, start: SimTime, end: SimTime) -> Result<SeriesBuilder, ForecastError> {
        if end <= start {
            return Err(ForecastError::InvalidParameter {
                name: "window",
                expected: "end later than start",
                found: format!("start {start}, end {end}"),
            });
        }
        Ok(SeriesBuilder { window: Some((start, end)), ..self })
    }

    /// The bucket length.
    pub const fn bucket(&self) -> SimDuration {
        self.bucket
    }

    /// One series per (queue, resource class) that some job asks for a positive amount of,
    /// all on the same grid. No jobs give an empty map.
    pub fn build(
        &self,
        jobs: &[Job],
        measure: Measure,
    ) -> Result<BTreeMap<SeriesKey, DemandSeries>, ForecastError> {
        let Some((start, len)) = self.grid(jobs)? else {
            return Ok(BTreeMap::new());
        };
        let mut accs: BTreeMap<SeriesKey, Accumulator> = BTreeMap::new();
        for job in jobs {
            for class in [ResourceClass::Vcpu, ResourceClass::Gpu] {
                let milli = class.milli(job);
                if milli == 0 {
                    continue;
                }
                let acc = accs.entry((job.queue, class)).or_insert_with(|| Accumulator::new(len));
                match measure {
                    Measure::Submitted => self.add_submitted(acc, start, job, milli)?,
                    Measure::Busy => self.add_busy(acc, start, job, milli)?,
                }
            }
        }
        let b = u128::from(self.bucket.0);
        // Submitted: milli × µs → units × hours. Busy: milli × µs → units × bucket.
        let divisor = match measure {
            Measure::Submitted => 1000.0 * MICROS_PER_HOUR as f64,
            Measure::Busy => 1000.0 * self.bucket.0 as f64,
        };
        let mut out = BTreeMap::new();
        for (key, acc) in accs {
            let mut values = Vec::with_capacity(len);
            let mut running: u128 = 0;
            for i in 0..len {
                running = running
                    .checked_add(acc.starts[i])
                    .and_then(|r| r.checked_sub(acc.stops[i]))
                    .ok_or(ForecastError::Overflow { bucket: i })?;
                let total = running
                    .checked_mul(b)
                    .and_then(|full| full.checked_add(acc.partial[i]))
                    .ok_or(ForecastError::Overflow { bucket: i })?;
                values.push(total as f64 / divisor);
            }
            out.insert(key, DemandSeries { start, bucket: self.bucket, values });
        }
        Ok(out)
    }

    /// The grid's first bucket start and its number of buckets, or `None` with no jobs and no
    /// explicit window.
    fn grid(&self, jobs: &[Job]) -> Result<Option<(SimTime, usize)>, ForecastError> {
        let b = self.bucket.0;
        let (start, end) = match self.window {
            Some((start, end)) => (start.0, end.0),
            None => {
                if jobs.is_empty() {
                    return Ok(None);
                }
                let mut lo = u64::MAX;
                let mut hi = 0;
                for job in jobs {
                    let end = job_end(job)?;
                    lo = lo.min(job.submit.0);
                    hi = hi.max(end.0).max(job.submit.0.saturating_add(1));
                }
                (lo - lo % b, hi)
            }
        };
        let buckets = (end - start).div_ceil(b);
        if buckets > MAX_BUCKETS {
            return Err(ForecastError::TooManyBuckets { buckets, limit: MAX_BUCKETS });
        }
        // At most MAX_BUCKETS, so it fits a usize on every supported target.
        let len = usize::try_from(buckets)
            .map_err(|_| ForecastError::TooManyBuckets { buckets, limit: MAX_BUCKETS })?;
        Ok(Some((SimTime(start), len)))
    }

    fn add_submitted(
        &self,
        acc: &mut Accumulator,
        start: SimTime,
        job: &Job,
        milli: u64,
    ) -> Result<(), ForecastError> {
        let Some(offset) = job.submit.0.checked_sub(start.0) else {
            return Ok(());
        };
        let Ok(i) = usize::try_from(offset / self.bucket.0) else {
            return Ok(());
        };
        if i >= acc.partial.len() {
            return Ok(());
        }
        let work = u128::from(milli) * u128::from(job.runtime.0);
        acc.partial[i] =
            acc.partial[i].checked_add(work).ok_or(ForecastError::Overflow { bucket: i })?;
        Ok(())
    }

    fn add_busy(
        &self,
        acc: &mut Accumulator,
        start: SimTime,
        job: &Job,
        milli: u64,
    ) -> Result<(), ForecastError> {
        let len = acc.partial.len();
        let b = u128::from(self.bucket.0);
        let g0 = u128::from(start.0);
        let g1 = g0 + b * len as u128;
        // Positions relative to the grid start, clipped to the grid.
        let s = u128::from(job.submit.0).clamp(g0, g1) - g0;
        let e = u128::from(job_end(job)?.0).clamp(g0, g1) - g0;
        if e <= s {
            return Ok(());
        }
        let m = u128::from(milli);
        // Both below `len`, which is a usize.
        let first = (s / b) as usize;
        let last = ((e - 1) / b) as usize;
        let overflow = |bucket| ForecastError::Overflow { bucket };
        if first == last {
            acc.partial[first] =
                acc.partial[first].checked_add(m * (e - s)).ok_or(overflow(first))?;
            return Ok(());
        }
        let head = (first as u128 + 1) * b - s;
        let tail = e - last as u128 * b;
        acc.partial[first] = acc.partial[first].checked_add(m * head).ok_or(overflow(first))?;
        acc.partial[last] = acc.partial[last].checked_add(m * tail).ok_or(overflow(last))?;
        if first + 1 < last {
            acc.starts[first + 1] =
                acc.starts[first + 1].checked_add(m).ok_or(overflow(first + 1))?;
            acc.stops[last] = acc.stops[last].checked_add(m).ok_or(overflow(last))?;
        }
        Ok(())
    }
}

/// Exact per-bucket sums for one series.
struct Accumulator {
    /// Milli-units × microseconds added directly to each bucket.
    partial: Vec<u128>,
    /// Milli-units that occupy whole buckets from this one on (a difference array) ...
    starts: Vec<u128>,
    /// ... until this one (exclusive).
    stops: Vec<u128>,
}

impl Accumulator {
    fn new(len: usize) -> Accumulator {
        Accumulator { partial: vec![0; len], starts: vec![0; len], stops: vec![0; len] }
    }
}

/// When `job` ends if it runs from its submit time for its runtime.
fn job_end(job: &Job) -> Result<SimTime, ForecastError> {
    job.submit.checked_add(job.runtime).ok_or(ForecastError::TimeOverflow { job: job.id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{JobId, UserId};
    use crate::job::{JobStatus, Resources};

    const HOUR: u64 = MICROS_PER_HOUR;
    const MIN: u64 = 60 * MICROS_PER_SEC;

    fn job(id: u64, queue: u32, submit: u64, runtime: u64, cpu_milli: u64, gpu_milli: u64) -> Job {
        Job {
            id: JobId(id),
            submit: SimTime(submit),
            runtime: SimDuration(runtime),
            requested_runtime: None,
            queue: QueueId(queue),
            user: UserId(0),
            resources: Resources { cpu_milli, memory_mib: 0, gpu_milli, gpu_kind: None },
            dependencies: Vec::new(),
            output_bytes: 0,
            status: JobStatus::Completed,
        }
    }

    fn values(
        map: &BTreeMap<SeriesKey, DemandSeries>,
        queue: u32,
        class: ResourceClass,
    ) -> Vec<f64> {
        map[&(QueueId(queue), class)].values.clone()
    }

    #[test]
    fn two_vcpu_job_at_half_past_for_ninety_minutes() {
        // Submitted at 00:30 for 90 min with 2 vCPUs: 2 × 1.5 h = 3 vCPU-h, all in bucket 0.
        // Busy: 00:30–01:00 is 0.5 h of 2 vCPUs in bucket 0 → 2 × 0.5 / 1 = 1.0;
        // 01:00–02:00 is the whole of bucket 1 → 2.0; nothing after 02:00.
        let jobs = [job(0, 0, 30 * MIN, 90 * MIN, 2000, 0)];
        let hourly = SeriesBuilder::hourly();
        let sub = hourly.build(&jobs, Measure::Submitted).unwrap();
        let busy = hourly.build(&jobs, Measure::Busy).unwrap();
        // Default grid: 00:00 (submit floored) to 02:00 (the end): 2 buckets.
        assert_eq!(values(&sub, 0, ResourceClass::Vcpu), [3.0, 0.0]);
        assert_eq!(values(&busy, 0, ResourceClass::Vcpu), [1.0, 2.0]);
        assert_eq!(sub[&(QueueId(0), ResourceClass::Vcpu)].start, SimTime(0));
        // No GPU asked, so no GPU series.
        assert_eq!(sub.len(), 1);

        let window = hourly.with_window(SimTime(0), SimTime(4 * HOUR)).unwrap();
        let busy = window.build(&jobs, Measure::Busy).unwrap();
        assert_eq!(values(&busy, 0, ResourceClass::Vcpu), [1.0, 2.0, 0.0, 0.0]);
        let sub = window.build(&jobs, Measure::Submitted).unwrap();
        assert_eq!(values(&sub, 0, ResourceClass::Vcpu), [3.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn long_job_fills_whole_middle_buckets() {
        // 500 milli-vCPU from 00:15 to 04:45 (4.5 h): bucket 0 gets 0.5 × 0.75 = 0.375, buckets
        // 1–3 get 0.5 each, bucket 4 gets 0.5 × 0.75 = 0.375. Submitted 0.5 × 4.5 = 2.25.
        let jobs = [job(0, 0, 15 * MIN, 270 * MIN, 500, 0)];
        let busy = SeriesBuilder::hourly().build(&jobs, Measure::Busy).unwrap();
        assert_eq!(values(&busy, 0, ResourceClass::Vcpu), [0.375, 0.5, 0.5, 0.5, 0.375]);
        let sub = SeriesBuilder::hourly().build(&jobs, Measure::Submitted).unwrap();
        assert_eq!(values(&sub, 0, ResourceClass::Vcpu), [2.25, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn queues_and_gpu_classes_are_separate_series() {
        // Job 0: queue 1, 1 vCPU + 0.5 GPU, 01:00 for 2 h → vCPU 2 h, GPU 1 h submitted in
        //        bucket 0 of the grid (which starts at 01:00).
        // Job 1: queue 0, 4 vCPU, 02:00 for 30 min → 2 vCPU-h in bucket 1.
        // Job 2: queue 1, 2 GPUs (no CPU), 02:30 for 1 h → 2 GPU-h in bucket 1.
        let jobs = [
            job(0, 1, HOUR, 2 * HOUR, 1000, 500),
            job(1, 0, 2 * HOUR, 30 * MIN, 4000, 0),
            job(2, 1, 2 * HOUR + 30 * MIN, HOUR, 0, 2000),
        ];
        let sub = SeriesBuilder::hourly().build(&jobs, Measure::Submitted).unwrap();
        let keys: Vec<_> = sub.keys().copied().collect();
        assert_eq!(
            keys,
            [
                (QueueId(0), ResourceClass::Vcpu),
                (QueueId(1), ResourceClass::Vcpu),
                (QueueId(1), ResourceClass::Gpu),
            ]
        );
        // Grid: 01:00 to 03:30 (latest end, job 2) → 3 buckets, shared by every series.
        assert_eq!(values(&sub, 0, ResourceClass::Vcpu), [0.0, 2.0, 0.0]);
        assert_eq!(values(&sub, 1, ResourceClass::Vcpu), [2.0, 0.0, 0.0]);
        assert_eq!(values(&sub, 1, ResourceClass::Gpu), [1.0, 2.0, 0.0]);
        // Busy GPUs in queue 1: job 0 gives 0.5 in buckets 0 and 1; job 2 gives 2 × 0.5 h in
        // bucket 1 (→ 1.0) and 2 × 0.5 h in bucket 2 (→ 1.0).
        let busy = SeriesBuilder::hourly().build(&jobs, Measure::Busy).unwrap();
        assert_eq!(values(&busy, 1, ResourceClass::Gpu), [0.5, 1.5, 1.0]);
        assert_eq!(busy[&(QueueId(1), ResourceClass::Gpu)].start, SimTime(HOUR));
    }

    #[test]
    fn busy_conserves_submitted_work_when_the_window_holds_every_job() {
        let jobs = [
            job(0, 0, 7 * MIN, 200 * MIN, 1500, 0),
            job(1, 0, 50 * MIN, 3 * MIN, 250, 0),
            job(2, 0, 3 * HOUR + MIN, 0, 8000, 0),
            job(3, 0, 2 * HOUR, 10 * HOUR, 3000, 0),
        ];
        for bucket in [SimDuration::from_hours(1), SimDuration(45 * MIN), SimDuration(7 * MIN)] {
            let builder = SeriesBuilder::hourly().with_bucket(bucket).unwrap();
            let sub: f64 =
                values(&builder.build(&jobs, Measure::Submitted).unwrap(), 0, ResourceClass::Vcpu)
                    .iter()
                    .sum();
            let busy: f64 =
                values(&builder.build(&jobs, Measure::Busy).unwrap(), 0, ResourceClass::Vcpu)
                    .iter()
                    .sum();
            let bucket_hours = bucket.0 as f64 / HOUR as f64;
            assert!((busy * bucket_hours - sub).abs() < 1e-9, "{bucket}: {busy} vs {sub}");
        }
    }

    #[test]
    fn job_order_does_not_change_a_single_bit() {
        // Sums are exact integers until the final division, so any order gives the same f64s.
        let mut jobs: Vec<Job> = (0..50)
            .map(|i| job(i, (i % 3) as u32, i * 37 * MIN, (i % 7) * 41 * MIN, 333 * (i % 5), 0))
            .collect();
        for measure in [Measure::Submitted, Measure::Busy] {
            let forward = SeriesBuilder::hourly().build(&jobs, measure).unwrap();
            jobs.reverse();
            let backward = SeriesBuilder::hourly().build(&jobs, measure).unwrap();
            let bits = |m: &BTreeMap<SeriesKey, DemandSeries>| -> Vec<u64> {
                m.values().flat_map(|s| s.values.iter().map(|v| v.to_bits())).collect()
            };
            assert_eq!(bits(&forward), bits(&backward));
        }
    }

    #[test]
    fn half_hour_buckets() {
        // 1 vCPU from 00:10 to 01:10 in 30-min buckets: busy 20/30, 1, 10/30; submitted 1 h.
        let jobs = [job(0, 0, 10 * MIN, HOUR, 1000, 0)];
        let builder = SeriesBuilder::hourly().with_bucket(SimDuration(30 * MIN)).unwrap();
        let busy = builder.build(&jobs, Measure::Busy).unwrap();
        let v = values(&busy, 0, ResourceClass::Vcpu);
        assert_eq!(v.len(), 3);
        assert!(
            (v[0] - 2.0 / 3.0).abs() < 1e-12 && v[1] == 1.0 && (v[2] - 1.0 / 3.0).abs() < 1e-12
        );
        let sub = builder.build(&jobs, Measure::Submitted).unwrap();
        assert_eq!(values(&sub, 0, ResourceClass::Vcpu), [1.0, 0.0, 0.0]);
        assert_eq!(busy[&(QueueId(0), ResourceClass::Vcpu)].bucket_start(2), Some(SimTime(HOUR)));
        assert_eq!(busy[&(QueueId(0), ResourceClass::Vcpu)].bucket_start(3), None);
    }

    #[test]
    fn explicit_window_clips_busy_and_selects_submitted_by_submit_time() {
        // Job 0 (2 vCPU, 00:00–03:00) starts before the window [01:00, 03:00): busy counts its
        // 2 h inside, submitted does not count it. Job 1 (1 vCPU, 02:30 for 2 h) runs past the
        // end: busy 0.5 in bucket 1, submitted 2 vCPU-h in bucket 1.
        let jobs =
            [job(0, 0, 0, 3 * HOUR, 2000, 0), job(1, 0, 2 * HOUR + 30 * MIN, 2 * HOUR, 1000, 0)];
        let builder =
            SeriesBuilder::hourly().with_window(SimTime(HOUR), SimTime(3 * HOUR)).unwrap();
        let busy = builder.build(&jobs, Measure::Busy).unwrap();
        assert_eq!(values(&busy, 0, ResourceClass::Vcpu), [2.0, 2.5]);
        let sub = builder.build(&jobs, Measure::Submitted).unwrap();
        assert_eq!(values(&sub, 0, ResourceClass::Vcpu), [0.0, 2.0]);
    }

    #[test]
    fn zero_runtime_job_gets_its_submit_bucket() {
        // A job exactly on a bucket boundary with no runtime still opens a one-bucket grid.
        let jobs = [job(0, 3, 5 * HOUR, 0, 1000, 0)];
        let sub = SeriesBuilder::hourly().build(&jobs, Measure::Submitted).unwrap();
        assert_eq!(values(&sub, 3, ResourceClass::Vcpu), [0.0]);
        assert_eq!(sub[&(QueueId(3), ResourceClass::Vcpu)].start, SimTime(5 * HOUR));
        assert!(SeriesBuilder::hourly().build(&[], Measure::Busy).unwrap().is_empty());
    }

    #[test]
    fn bad_parameters_and_overflow_are_errors() {
        assert!(matches!(
            SeriesBuilder::hourly().with_bucket(SimDuration::ZERO),
            Err(ForecastError::InvalidParameter { name: "bucket", .. })
        ));
        assert!(matches!(
            SeriesBuilder::hourly().with_window(SimTime(5), SimTime(5)),
            Err(ForecastError::InvalidParameter { name: "window", .. })
        ));
        let overflow = [job(7, 0, u64::MAX - 10, 11, 1000, 0)];
        assert_eq!(
            SeriesBuilder::hourly().build(&overflow, Measure::Busy),
            Err(ForecastError::TimeOverflow { job: JobId(7) })
        );
        let long = [job(0, 0, 0, u64::MAX / 2, 1000, 0)];
        assert!(matches!(
            SeriesBuilder::hourly().build(&long, Measure::Submitted),
            Err(ForecastError::TooManyBuckets { .. })
        ));
    }
}
