//! The kernel on the golden FIFO model scaled to 1,000,000 jobs (the foundation issue's
//! yardstick: DSLab's simcore takes about 0.15 s on this model here, a bare `BinaryHeap`
//! loop about 0.08 s). Both shardcast's kernel (`run_fifo`, with its event log and digest)
//! and the bare loop are measured, so the ratio is read off one run.

#![allow(missing_docs, reason = "criterion's macros generate undocumented functions")]

use benches::{bare_heap_fifo, fifo_model};
use criterion::{Criterion, criterion_group, criterion_main};
use sim::platform::fixed::{FixedCluster, run_fifo};

fn kernel(c: &mut Criterion) {
    let trace = fifo_model(1_000_000, 42);
    let cluster = FixedCluster { machines: 100, cores_per_machine: 1 };
    let mut group = c.benchmark_group("fifo_1m_jobs_100_machines");
    group.sample_size(20);
    group.bench_function("shardcast_kernel", |b| {
        b.iter(|| run_fifo(&trace, cluster, &mut |_| {}).events);
    });
    group.bench_function("bare_binary_heap", |b| b.iter(|| bare_heap_fifo(&trace, 100)));
    group.finish();
}

criterion_group!(benches, kernel);
criterion_main!(benches);
