//! Importers against the real traces in `shared/data/traces/`: every job with a positive
//! runtime and size is kept, the rest is accounted for by reason, `trace stats` agrees with an
//! independent reading of the file, and the Parquet round trip is lossless.
//!
//! The independent readings here are deliberately naive (split lines, compare numbers), so
//! that they share no code with the importers they check.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sim::trace::import::{Format, ImportOptions, import};
use sim::trace::stats::TraceStats;
use sim::trace::{Trace, parquet};
use tests::shared_data;

fn gunzip_lines(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).expect("readable");
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2_reader(file))
    } else {
        Box::new(file)
    };
    BufReader::new(reader).lines().map(|l| l.expect("utf-8 line")).collect()
}

fn flate2_reader(file: std::fs::File) -> impl Read {
    flate2::read::GzDecoder::new(file)
}

fn round_trip(trace: &Trace) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("t.parquet");
    parquet::write(trace, &path).expect("writes");
    let back = parquet::read(&path).expect("reads");
    assert_eq!(back.jobs, trace.jobs, "jobs survive the Parquet round trip");
    assert_eq!(back.provenance, trace.provenance);
    assert_eq!(back.queues, trace.queues);
    assert_eq!(back.meta, trace.meta);
}

/// Naive SWF reading: (job lines, kept jobs, core-hours of kept jobs).
fn swf_independent(lines: &[String]) -> (u64, u64, f64) {
    let (mut rows, mut kept, mut core_seconds) = (0u64, 0u64, 0f64);
    for line in lines.iter().filter(|l| !l.trim_start().starts_with(';') && !l.trim().is_empty()) {
        rows += 1;
        let f: Vec<f64> = line.split_whitespace().map(|x| x.parse().expect("numeric")).collect();
        let runtime = f[3];
        let procs = if f[4] > 0.0 { f[4] } else { f[7] };
        if runtime > 0.0 && procs > 0.0 {
            kept += 1;
            core_seconds += runtime * procs;
        }
    }
    (rows, kept, core_seconds / 3600.0)
}

fn check_swf(file: &str) {
    let Some(path) = shared_data(&format!("traces/{file}")) else { return };
    let trace = import(&path, &ImportOptions { format: Format::Swf, ..ImportOptions::default() })
        .expect("the SWF file imports");
    let report = trace.meta.import_report.clone().expect("a report");
    let (rows, kept, core_hours) = swf_independent(&gunzip_lines(&path));
    assert_eq!(report.rows_read, rows, "{file}: rows read");
    assert_eq!(report.kept, kept, "{file}: every job with runtime > 0 and processors > 0 is kept");
    assert_eq!(report.kept + report.dropped_total(), report.rows_read, "{file}: all accounted");
    let stats = TraceStats::of(&trace);
    assert_eq!(stats.jobs, kept);
    let relative = (stats.core_hours - core_hours).abs() / core_hours;
    assert!(relative < 1e-9, "{file}: core-hours {} vs {core_hours}", stats.core_hours);
    round_trip(&trace);
}

#[test]
fn hpc2n_swf() {
    check_swf("HPC2N-2002-2.2-cln.swf.gz");
}

#[test]
fn ctc_sp2_swf() {
    check_swf("CTC-SP2-1996-3.1-cln.swf.gz");
}

#[test]
fn llnl_atlas_swf() {
    check_swf("LLNL-Atlas-2006-2.1-cln.swf.gz");
}

#[test]
fn alibaba_gpu_2023() {
    let Some(path) = shared_data("traces/alibaba_gpu_v2023_openb_pod_list_default.csv") else {
        return;
    };
    let trace = import(
        &path,
        &ImportOptions { format: Format::AlibabaGpu2023, ..ImportOptions::default() },
    )
    .expect("imports");
    let report = trace.meta.import_report.clone().expect("a report");
    let lines = gunzip_lines(&path);
    let (mut rows, mut kept, mut gpu_seconds) = (0u64, 0u64, 0f64);
    for line in &lines[1..] {
        rows += 1;
        let f: Vec<&str> = line.split(',').collect();
        let (num_gpu, gpu_milli) = (f[3].parse::<f64>().unwrap(), f[4].parse::<f64>().unwrap());
        if f[10].is_empty() {
            continue;
        }
        let runtime = f[9].parse::<f64>().unwrap() - f[10].parse::<f64>().unwrap();
        if runtime > 0.0 {
            kept += 1;
            gpu_seconds += runtime * num_gpu * gpu_milli / 1000.0;
        }
    }
    assert_eq!(rows, 8_152);
    assert_eq!(report.rows_read, rows);
    assert_eq!(report.kept, kept);
    assert_eq!(report.kept + report.dropped_total(), rows);
    let stats = TraceStats::of(&trace);
    let relative = (stats.gpu_hours - gpu_seconds / 3600.0).abs() / (gpu_seconds / 3600.0);
    assert!(relative < 1e-9, "GPU-hours {} vs {}", stats.gpu_hours, gpu_seconds / 3600.0);
    round_trip(&trace);
}

#[test]
fn alibaba_2017_batch_tasks() {
    let Some(path) = shared_data("traces/alibaba_v2017_batch_task.csv") else { return };
    let options = ImportOptions {
        format: Format::Alibaba2017,
        // The trace starts at -1078 s; an origin one hour after the epoch keeps every time valid.
        origin: engine::SimTime::from_secs(3600),
        ..ImportOptions::default()
    };
    let trace = import(&path, &options).expect("imports");
    let report = trace.meta.import_report.clone().expect("a report");
    let lines = gunzip_lines(&path);
    let (mut rows, mut kept) = (0u64, 0u64);
    for line in &lines[1..] {
        rows += 1;
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let finished = f[5] == "Terminated" || f[5] == "Failed";
        let runtime = f[1].parse::<i64>().unwrap() - f[0].parse::<i64>().unwrap();
        if finished && runtime > 0 && !f[6].is_empty() {
            kept += 1;
        }
    }
    assert_eq!(rows, 80_553);
    assert_eq!(report.rows_read, rows);
    assert_eq!(report.kept, kept);
    assert_eq!(report.kept + report.dropped_total(), rows);
    round_trip(&trace);
}
