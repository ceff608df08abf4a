//! Shared workloads for the benchmarks.
//!
//! [`fifo_model`] is the golden FIFO model of `shared/data/golden/` at any size: Poisson
//! arrivals with a mean gap of 1 s and exponential runtimes with a mean of 90 s, here drawn
//! from a seeded ChaCha8 stream (the golden file itself was drawn with Python's RNG, so the
//! jobs differ but the model is the same). [`bare_heap_fifo`] is the same simulation written as
//! a plain `BinaryHeap` loop with no kernel around it: the floor the kernel is measured against.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::PathBuf;

use engine::{Resources, SimDuration, SimTime};
use rand_distr::{Distribution, Exp};
use sim::kernel::RngStreams;
use sim::trace::{RawJob, Trace, TraceBuilder};

/// The golden FIFO model with `jobs` jobs.
pub fn fifo_model(jobs: usize, seed: u64) -> Trace {
    let streams = RngStreams::new(seed);
    let mut rng = streams.stream("bench:fifo");
    let gap = Exp::new(1.0).expect("rate 1 is valid");
    let runtime = Exp::new(1.0 / 90.0).expect("rate 1/90 is valid");
    let mut builder = TraceBuilder::new("bench:fifo", "synthetic:fifo-model");
    let mut t = 0.0f64;
    for index in 0..jobs {
        t += gap.sample(&mut rng);
        let run: f64 = runtime.sample(&mut rng);
        builder.push(RawJob {
            name: index.to_string(),
            submit: SimTime(SimDuration::from_secs_f64(t).expect("finite").0),
            runtime: SimDuration::from_secs_f64(run).expect("finite"),
            resources: Resources { cpu_milli: 1000, ..Resources::default() },
            source_row: index as u64 + 1,
            ..RawJob::default()
        });
    }
    builder.finish()
}

/// FIFO on `machines` single-job machines as a bare binary-heap loop; returns the sum of
/// waits in µs, so the optimiser cannot drop the work.
pub fn bare_heap_fifo(trace: &Trace, machines: u64) -> u128 {
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
    let mut waiting: VecDeque<u32> = VecDeque::new();
    let mut seq = 0u64;
    let mut free = machines;
    let mut next = 0usize;
    let mut total_wait = 0u128;
    if let Some(first) = trace.jobs.first() {
        heap.push(Reverse((first.submit.0, seq, u32::MAX)));
        seq += 1;
    }
    while let Some(Reverse((now, _, job))) = heap.pop() {
        if job == u32::MAX {
            waiting.push_back(next as u32);
            next += 1;
            if let Some(following) = trace.jobs.get(next) {
                heap.push(Reverse((following.submit.0, seq, u32::MAX)));
                seq += 1;
            }
        } else {
            free += 1;
        }
        while free > 0 {
            let Some(index) = waiting.pop_front() else { break };
            free -= 1;
            let job = &trace.jobs[index as usize];
            total_wait += u128::from(now - job.submit.0);
            heap.push(Reverse((now + job.runtime.0, seq, index)));
            seq += 1;
        }
    }
    total_wait
}

/// `../shared/data/<relative>` if present; otherwise prints a notice and returns `None`.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    sim::shared_data::path(relative)
}
