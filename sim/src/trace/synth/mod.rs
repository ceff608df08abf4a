//! Seeded synthetic workloads: seasonal multi-queue arrivals, heavy-tailed runtimes and sizes,
//! GPU classes and dependency chains, from a [`SynthSpec`] or a named [`preset`].
//!
//! # Model
//!
//! Each queue is a non-homogeneous Poisson process of arrivals with rate
//!
//! ```text
//! λ(t) = rate_per_hour × daily(t) × weekly(t) × (1 + trend_per_week × weeks(t)) × burst(t)
//! daily(t)  = 1 + daily_amplitude × cos(2π (hour_of_day(t) − peak_hour) / 24)     (UTC)
//! weekly(t) = weekend_factor on Saturday and Sunday (UTC), 1 otherwise
//! burst(t)  = bursts.multiplier inside a burst window, 1 otherwise
//! ```
//!
//! `weeks(t)` counts weeks since the start. Burst windows open as a Poisson process
//! (`bursts.per_week`) and last `bursts.duration_h`; bursts are independent of the time of day,
//! so they raise the mean rate without moving the daily or weekly profile. Arrivals are drawn by
//! thinning (Lewis–Shedler) against a bound that is constant between midnights and burst
//! edges. Queues are merged by submit time (integer microseconds, rounded), ties going to the
//! lower queue index; the trace holds the first `n_jobs` jobs of that merge.
//!
//! Each arrival draws a runtime ([`Dist`], seconds, clipped), a vCPU count ([`SizeSpec`]),
//! memory (`memory_mib_per_vcpu` × vCPUs), optionally GPUs ([`GpuSpec`]) and a user from a
//! Zipf law over `u1…u<users>`. Requested walltime is `runtime × requested_runtime_factor`
//! rounded up to the next 15 minutes. With [`DagSpec`], an arrival may start a chain: link `k`
//! is submitted `k × link_gap_s` after the head, by the same user in the same queue, depends on
//! link `k − 1` by name, and every link writes `output_bytes`. Chain links are extra jobs on top
//! of the arrival rate, and count towards `n_jobs`. Jobs are named by their 1-based position
//! in the merge (`"1"`, `"2"`, …), like SWF job numbers.
//!
//! # Random streams
//!
//! Every draw comes from a named stream of [`RngStreams`], one per aspect and queue (`<q>` is
//! the queue name): `synth:arrivals:<q>` (thinning), `synth:bursts:<q>` (burst windows),
//! `synth:runtimes:<q>`, `synth:sizes:<q>` (vCPUs), `synth:gpu:<q>`, `synth:users:<q>`
//! (arrivals' attributes), `synth:dag:<q>` (chain starts, lengths, output bytes) and
//! `synth:dag-runtimes:<q>`, `synth:dag-sizes:<q>`, `synth:dag-gpu:<q>` (chain links'
//! attributes). So changing one queue leaves every other queue's jobs as they were; changing
//! a queue's rate keeps the attributes of its k-th arrival; and changing or adding chains keeps
//! every arrival's attributes.
//!
//! # In a scenario
//!
//! ```toml
//! [workload.synthetic]
//! jobs = 20000
//! [workload.synthetic.spec]
//! start = "2026-01-05T00:00:00Z"
//! [[workload.synthetic.spec.queues]]
//! name = "batch"
//! rate_per_hour = 25
//! daily_amplitude = 0.6
//! weekend_factor = 0.45
//! bursts = { per_week = 1, duration_h = 4, multiplier = 3 }
//! runtime = { kind = "lognormal", median = 3600, sigma = 1.5, min = 60, max = 86400 }
//! vcpus = { kind = "power_of_two", min = 1, max = 256, ratio = 0.55 }
//! gpu = { probability = 0.1, counts = [1, 2], kinds = ["T4", "A100"] }
//! [workload.synthetic.spec.queues.dag]
//! probability = 0.2
//! length = { kind = "uniform", min = 2, max = 4 }
//! output_bytes = { kind = "pareto", scale = 1e6, alpha = 1.2, max = 1e12 }
//! ```

mod presets;
mod sample;
mod spec;

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use engine::{JobStatus, Resources, SimDuration, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub use presets::{preset, preset_names};
pub use spec::{BurstSpec, DEFAULT_START, DagSpec, Dist, GpuSpec, QueueSpec, SizeSpec, SynthSpec};

use super::{RawJob, Trace, TraceBuilder, TraceError};
use crate::kernel::RngStreams;
use sample::{Arrivals, DistSampler, GpuSampler, SizeSampler, Weighted};

/// Requested walltimes are rounded up to a multiple of this (15 minutes), in microseconds.
const WALLTIME_STEP_US: u64 = 15 * 60 * 1_000_000;

/// Generate the first `n_jobs` jobs of `spec`'s workload under `seed`.
///
/// The spec is validated first; a bad field is a [`TraceError::Usage`] naming it
/// (`queues[1].rate_per_hour`). The trace's format is `synthetic:<name>`, where the name is the
/// spec's `name`, or `custom` when it has none or when it names a preset it no longer equals;
/// its source is `preset:<name>` for an unmodified preset and `spec:<name>` otherwise. The
/// seed is in the import report's notes.
///
/// Same spec, seed and `n_jobs`, same trace; a smaller `n_jobs` gives a prefix of a larger one.
pub fn generate(spec: &SynthSpec, seed: u64, n_jobs: usize) -> Result<Trace, TraceError> {
    spec.validate()?;
    let start = super::parse_rfc3339(&spec.start)?;
    let streams = RngStreams::new(seed);
    let mut queues = spec
        .queues
        .iter()
        .enumerate()
        .map(|(i, queue)| QueueGen::new(queue, i, start, &streams))
        .collect::<Result<Vec<_>, _>>()?;

    let (label, source, renamed) = label(spec);
    let mut builder = TraceBuilder::new(source, format!("synthetic:{label}"));
    builder.set_origin(start);
    builder.reserve(n_jobs);
    builder.set_timezone(spec.timezone.clone());
    builder.report.rows_read = n_jobs as u64;
    builder.report.notes.push(format!(
        "generated: {n_jobs} jobs from {} queue(s), seed {seed}, starting {}",
        spec.queues.len(),
        spec.start
    ));
    if let Some(preset) = renamed {
        builder.report.notes.push(format!(
            "the spec is named after preset {preset:?} but differs from it; recorded as custom"
        ));
    }

    let mut events = BinaryHeap::with_capacity(2 * queues.len());
    for queue in &mut queues {
        if let Some(event) = queue.next_arrival(start) {
            events.push(Reverse(event));
        }
    }
    let mut link_seq = 0u64;
    while builder.len() < n_jobs {
        let Some(Reverse(event)) = events.pop() else {
            return Err(TraceError::Usage(format!(
                "synthetic spec: the queues' rates are too low to produce {n_jobs} jobs within \
                 {} years; raise `rate_per_hour`",
                (sample::HORIZON_S / (365.25 * 86_400.0)).round()
            )));
        };
        let index = builder.len() as u64 + 1;
        let queue = &mut queues[event.queue as usize];
        let (job, chain) = match event.link {
            None => queue.arrival(index, event.time),
            Some(link) => queue.link(index, event.time, link),
        };
        // Every pending event has a distinct key (one arrival per queue, numbered links), so
        // the heap pops in the same order whatever order events were pushed in.
        if let Some(next) = chain {
            link_seq += 1;
            events.push(Reverse(Event { seq: link_seq, ..next }));
        }
        if event.link.is_none()
            && let Some(next) = queue.next_arrival(start)
        {
            events.push(Reverse(next));
        }
        builder.push(job);
    }
    Ok(builder.finish())
}

/// How a trace records its spec: the name in its format (`synthetic:<name>`), its source
/// (`preset:<name>` for an unmodified preset, `spec:<name>` otherwise), and the preset a
/// modified spec is still named after.
fn label(spec: &SynthSpec) -> (String, String, Option<String>) {
    match spec.name.as_deref() {
        Some(name) if preset(name).is_ok_and(|p| p == *spec) => {
            (name.to_owned(), format!("preset:{name}"), None)
        }
        Some(name) if preset_names().contains(&name) => {
            ("custom".to_owned(), "spec:custom".to_owned(), Some(name.to_owned()))
        }
        Some(name) => (name.to_owned(), format!("spec:{name}"), None),
        None => ("custom".to_owned(), "spec:custom".to_owned(), None),
    }
}

/// Something due to be submitted: a queue's next arrival or the next link of a chain.
///
/// Ordered by time, then queue index, then arrivals before links, then link creation order, so
/// the merge is deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    /// Submit time, microseconds since the epoch.
    time: u64,
    queue: u32,
    /// 0 for an arrival; links are numbered from 1 in the order they are created.
    seq: u64,
    /// `None` for an arrival.
    link: Option<Link>,
}

/// A pending chain link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Link {
    /// The 1-based index (and name) of the job it depends on.
    parent: u64,
    /// Links still to come, this one included.
    remaining: u32,
    /// The chain's user, as an index into the queue's users.
    user: u32,
    /// Microseconds between links.
    gap: u64,
}

/// The streams that draw one kind of job's attributes (arrivals' or links').
struct AttrStreams {
    runtimes: ChaCha8Rng,
    sizes: ChaCha8Rng,
    gpu: ChaCha8Rng,
}

impl AttrStreams {
    fn new(streams: &RngStreams, prefix: &str, queue: &str) -> AttrStreams {
        AttrStreams {
            runtimes: streams.stream(&format!("synth:{prefix}runtimes:{queue}")),
            sizes: streams.stream(&format!("synth:{prefix}sizes:{queue}")),
            gpu: streams.stream(&format!("synth:{prefix}gpu:{queue}")),
        }
    }
}

/// A compiled chain spec.
struct DagGen {
    probability: f64,
    length: DistSampler,
    output_bytes: DistSampler,
    gap_us: u64,
}

/// One queue's generator: its arrival process, samplers and streams.
struct QueueGen<'a> {
    spec: &'a QueueSpec,
    index: u32,
    arrivals: Arrivals,
    main: AttrStreams,
    links: AttrStreams,
    users_rng: ChaCha8Rng,
    dag_rng: ChaCha8Rng,
    runtime: DistSampler,
    /// Runtime bounds in microseconds, so rounding never leaves `[min, max]`.
    runtime_min_us: u64,
    runtime_max_us: u64,
    vcpus: SizeSampler,
    gpu: Option<GpuSampler>,
    dag: Option<DagGen>,
    users: Weighted,
}

impl<'a> QueueGen<'a> {
    fn new(
        spec: &'a QueueSpec,
        index: usize,
        start: SimTime,
        streams: &RngStreams,
    ) -> Result<QueueGen<'a>, TraceError> {
        let name = spec.name.as_str();
        let field = format!("queues[{index}]");
        let stream = |aspect: &str| streams.stream(&format!("synth:{aspect}:{name}"));
        let start_us = start.as_micros();
        let arrivals = Arrivals::new(
            spec,
            start_us / 1_000_000,
            (start_us % 1_000_000) as f64 / 1e6,
            stream("arrivals"),
            stream("bursts"),
        );
        let dag = match &spec.dag {
            None => None,
            Some(dag) => Some(DagGen {
                probability: dag.probability,
                length: DistSampler::new(&dag.length, &format!("{field}.dag.length"))?,
                output_bytes: DistSampler::new(
                    &dag.output_bytes,
                    &format!("{field}.dag.output_bytes"),
                )?,
                gap_us: (dag.link_gap_s * 1e6).round() as u64,
            }),
        };
        // Validated: 0 < min <= max <= 1e9 s, so these fit and min_us >= 1.
        let runtime_min_us = ((spec.runtime.lower() * 1e6).ceil() as u64).max(1);
        let runtime_max_us = ((spec.runtime.upper() * 1e6).floor() as u64).max(runtime_min_us);
        Ok(QueueGen {
            spec,
            index: index as u32,
            arrivals,
            main: AttrStreams::new(streams, "", name),
            links: AttrStreams::new(streams, "dag-", name),
            users_rng: stream("users"),
            dag_rng: stream("dag"),
            runtime: DistSampler::new(&spec.runtime, &format!("{field}.runtime"))?,
            runtime_min_us,
            runtime_max_us,
            vcpus: SizeSampler::new(&spec.vcpus),
            gpu: spec.gpu.as_ref().map(GpuSampler::new),
            dag,
            users: Weighted::zipf(spec.users, spec.user_zipf),
        })
    }

    /// The queue's next arrival, or `None` once it is past the horizon.
    fn next_arrival(&mut self, start: SimTime) -> Option<Event> {
        let offset_s = self.arrivals.next()?;
        let time = start.as_micros() + (offset_s * 1e6).round() as u64;
        Some(Event { time, queue: self.index, link: None, seq: 0 })
    }

    /// The job of an arrival, and the first link of the chain it starts, if any.
    fn arrival(&mut self, index: u64, time: u64) -> (RawJob, Option<Event>) {
        let user = self.users.sample(&mut self.users_rng) as u32;
        let mut job = self.job(index, time, user, false);
        let mut chain = None;
        if let Some(dag) = &self.dag
            && self.dag_rng.random::<f64>() < dag.probability
        {
            // Validated: the length's maximum is at most MAX_CHAIN, so it fits in u32.
            let length = dag.length.sample(&mut self.dag_rng).round().max(2.0) as u32;
            job.output_bytes = dag.output_bytes.sample(&mut self.dag_rng).round() as u64;
            let link = Link { parent: index, remaining: length - 1, user, gap: dag.gap_us };
            chain = Some(self.link_event(time, link));
        }
        (job, chain)
    }

    /// The job of a chain link, and the chain's next link, if any.
    fn link(&mut self, index: u64, time: u64, link: Link) -> (RawJob, Option<Event>) {
        let mut job = self.job(index, time, link.user, true);
        job.depends_on.push(link.parent.to_string());
        if let Some(dag) = &self.dag {
            job.output_bytes = dag.output_bytes.sample(&mut self.dag_rng).round() as u64;
        }
        let chain = (link.remaining > 1).then(|| {
            self.link_event(time, Link { parent: index, remaining: link.remaining - 1, ..link })
        });
        (job, chain)
    }

    fn link_event(&self, time: u64, link: Link) -> Event {
        Event { time: time.saturating_add(link.gap), queue: self.index, link: Some(link), seq: 0 }
    }

    /// A job with freshly drawn runtime and resources; no dependencies or output yet.
    fn job(&mut self, index: u64, time: u64, user: u32, is_link: bool) -> RawJob {
        let streams = if is_link { &mut self.links } else { &mut self.main };
        let runtime_s = self.runtime.sample(&mut streams.runtimes);
        let runtime_us =
            ((runtime_s * 1e6).round() as u64).clamp(self.runtime_min_us, self.runtime_max_us);
        let requested_us = ((runtime_us as f64 * self.spec.requested_runtime_factor)
            / WALLTIME_STEP_US as f64)
            .ceil() as u64
            * WALLTIME_STEP_US;
        let cpu_milli = self.vcpus.sample(&mut streams.sizes);
        let (gpu_milli, gpu_kind) = match &self.gpu {
            Some(gpu) => gpu.sample(&mut streams.gpu),
            None => (0, None),
        };
        let memory_mib = (cpu_milli as f64 / 1000.0 * self.spec.memory_mib_per_vcpu).round() as u64;
        RawJob {
            name: index.to_string(),
            submit: SimTime(time),
            runtime: SimDuration(runtime_us),
            // Rounding the product can fall a hair short; a request never undercuts the runtime.
            requested_runtime: Some(SimDuration(
                requested_us.max(runtime_us.div_ceil(WALLTIME_STEP_US) * WALLTIME_STEP_US),
            )),
            queue: self.spec.name.clone(),
            user: format!("u{}", user + 1),
            resources: Resources { cpu_milli, memory_mib, gpu_milli, gpu_kind },
            depends_on: Vec::new(),
            output_bytes: 0,
            status: JobStatus::Completed,
            source_row: index,
        }
    }
}
