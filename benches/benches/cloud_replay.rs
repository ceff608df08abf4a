//! The full HPC2N replay (202,871 jobs, the first 28 days as history) on the bundled clouds
//! with the on-demand baseline, EASY backfill in every shard: the scenario
//! `scenarios/replays/hpc2n-on-demand.toml`, timed from the loaded trace to the costed outcome
//! (trace import excluded; `trace_io` times it). Also the same replay of the Alibaba GPU trace
//! (7,253 pods after its 7-day history).
//!
//! Run: `cargo bench -p benches --bench cloud_replay`. Jobs per second = replayed jobs ÷ the
//! median.

#![allow(missing_docs, reason = "criterion's macros generate undocumented functions")]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim::run;
use sim::scenario::Scenario;

fn replay(c: &mut Criterion, name: &str, scenario: &str, trace: &str) {
    if benches::shared_data(trace).is_none() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("a workspace");
    let loaded = Scenario::load(&root.join(scenario), &[]).expect("the scenario loads");
    let trace = run::load_workload(&loaded).expect("the trace loads");
    let result = run::run_trace(&loaded, trace.clone(), &mut |_| {}).expect("the replay runs");
    let jobs = result.summary.jobs.submitted;
    let mut group = c.benchmark_group("cloud_replay");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(jobs));
    group.bench_function(name, |b| {
        b.iter(|| {
            let trace = trace.clone();
            run::run_trace(&loaded, trace, &mut |_| {}).expect("the replay runs").summary.cost_usd
        });
    });
    group.finish();
}

fn cloud_replay(c: &mut Criterion) {
    replay(
        c,
        "hpc2n_on_demand",
        "scenarios/replays/hpc2n-on-demand.toml",
        "traces/HPC2N-2002-2.2-cln.swf.gz",
    );
    replay(
        c,
        "alibaba_gpu_on_demand",
        "scenarios/replays/alibaba-gpu-on-demand.toml",
        "traces/alibaba_gpu_v2023_openb_pod_list_default.csv",
    );
}

criterion_group!(benches, cloud_replay);
criterion_main!(benches);
