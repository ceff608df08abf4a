//! A sweep of 16 points (`run.seed` 1..=8 × two baselines) of the bundled `cloud-mixed-spot`
//! scenario (3,000 jobs each) at 1 and 2 threads: `sim::sweep::run` from the loaded points to
//! the rows, workloads included (each seed generates its own), the Parquet write excluded.
//!
//! Run: `cargo bench -p benches --bench sweep`. The speed-up is the `threads_1` median over
//! the `threads_2` median; it is bounded by the cores free at the time.
//!
//! Measured (release, 2 cores, nothing else running, 2026-12-07): `threads_1` median
//! 363.4 ms, `threads_2` 194.1 ms: a speed-up of 1.87×.

#![allow(missing_docs, reason = "criterion's macros generate undocumented functions")]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sim::sweep::{self, Sweep};

fn sweep_threads(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("a workspace");
    let text = std::fs::read_to_string(root.join("scenarios/cloud-mixed-spot.toml"))
        .expect("the bundled scenario");
    let catalog = root.join("scenarios/catalogs/bundled.toml");
    let text = text.replace(
        "catalog = \"catalogs/bundled.toml\"",
        &format!("catalog = {:?}", catalog.to_str().expect("a UTF-8 path")),
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("sweep-bench.toml");
    let sweep = "[sweep]\n\"run.seed\" = { from = 1, to = 8 }\n\
                 \"policy.baseline.kind\" = [\"on-demand\", \"cheapest-single-cloud\"]\n";
    std::fs::write(&path, format!("{text}\n{sweep}")).expect("written");
    let plan = Sweep::load(&path, &[]).expect("the sweep loads");
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for threads in [1, 2] {
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| sweep::run(&plan, None, threads, &|| {}).expect("the sweep runs").rows.len());
        });
    }
    group.finish();
}

criterion_group!(benches, sweep_threads);
criterion_main!(benches);
