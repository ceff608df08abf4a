//! Trace I/O: importing HPC2N (203k jobs, SWF, gzipped) and writing and reading back the
//! canonical Parquet of 1,000,000 jobs. The foundation issue asks each to stay under a second
//! in release. Also the synthetic generator at 1,000,000 jobs (the `mixed` preset).

#![allow(missing_docs, reason = "criterion's macros generate undocumented functions")]

use benches::{fifo_model, shared_data};
use criterion::{Criterion, criterion_group, criterion_main};
use sim::trace::import::{Format, ImportOptions, import};
use sim::trace::{parquet, synth};

fn trace_io(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace_io");
    group.sample_size(10);
    let dir = tempfile::tempdir().expect("a temp dir");
    if let Some(hpc2n) = shared_data("traces/HPC2N-2002-2.2-cln.swf.gz") {
        let options = ImportOptions { format: Format::Swf, ..ImportOptions::default() };
        group.bench_function("import_hpc2n_swf_gz", |b| {
            b.iter(|| import(&hpc2n, &options).expect("HPC2N imports").jobs.len());
        });
        // What `shardcast trace import` does: import, then write the canonical Parquet.
        let out = dir.path().join("hpc2n.parquet");
        group.bench_function("import_hpc2n_to_parquet", |b| {
            b.iter(|| {
                let trace = import(&hpc2n, &options).expect("HPC2N imports");
                parquet::write(&trace, &out).expect("writes");
            });
        });
    }
    let trace = fifo_model(1_000_000, 7);
    let path = dir.path().join("1m.parquet");
    group.bench_function("parquet_write_1m_jobs", |b| {
        b.iter(|| parquet::write(&trace, &path).expect("writes"));
    });
    parquet::write(&trace, &path).expect("writes");
    group.bench_function("parquet_read_1m_jobs", |b| {
        b.iter(|| parquet::read(&path).expect("reads").jobs.len());
    });
    let mixed = synth::preset("mixed").expect("a preset");
    group.bench_function("synth_generate_1m_mixed", |b| {
        b.iter(|| synth::generate(&mixed, 1, 1_000_000).expect("generates").jobs.len());
    });
    group.finish();
}

criterion_group!(benches, trace_io);
criterion_main!(benches);
