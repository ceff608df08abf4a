//! Alibaba GPU cluster trace 2023 ("openb") pod list: one pod per CSV row, times in seconds
//! from the trace start.
//!
//! Submit is the origin plus `creation_time`; the run time is `deletion_time -
//! scheduled_time` (the pod's time on a node). Pods never scheduled (Pending, no
//! `scheduled_time`) and pods with a run time <= 0 are dropped. `gpu_milli` is each GPU's
//! share, so a pod asks for `num_gpu * gpu_milli` milli-GPUs. The QoS class is the queue.
//! Running pods were still running when the snapshot was taken: their `deletion_time` is the
//! end of the observation, so their run times are cut there.

use std::io::BufRead;

use engine::{GpuKind, JobStatus, Resources, SimDuration};

use super::csv_rows::{CsvRows, cell, require_column};
use super::{
    Bad, Ctx, Outcome, describe_time, offset_time, parse_number, round_u64, secs_to_micros,
};
use crate::trace::{RawJob, TraceBuilder, TraceError};

/// The columns read, in header order.
const COLUMNS: [&str; 11] = [
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
];

// Positions in `COLUMNS`.
const NAME: usize = 0;
const CPU: usize = 1;
const MEMORY: usize = 2;
const NUM_GPU: usize = 3;
const GPU_MILLI: usize = 4;
const GPU_SPEC: usize = 5;
const QOS: usize = 6;
const PHASE: usize = 7;
const CREATION: usize = 8;
const DELETION: usize = 9;
const SCHEDULED: usize = 10;

/// Read a pod list into `builder`.
pub(super) fn read(
    reader: impl BufRead,
    ctx: &Ctx<'_>,
    builder: &mut TraceBuilder,
) -> Result<(), TraceError> {
    let mut rows = CsvRows::new(reader);
    if rows.next(ctx)?.is_none() {
        return Err(ctx.format_error(format!(
            "empty file: expected a header row with columns {}",
            COLUMNS.join(",")
        )));
    }
    let header = rows.header_names();
    let mut index = [0_usize; COLUMNS.len()];
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        *slot = require_column(ctx, &header, name, "Alibaba GPU 2023 pod list")?;
    }
    let mut running: u64 = 0;
    while let Some(line) = rows.next(ctx)? {
        builder.report.rows_read += 1;
        let outcome = pod(rows.record(), &index, line, ctx);
        if let Ok(Outcome::Keep(job)) = &outcome
            && job.status == JobStatus::Unknown
            && rows.record().get(index[PHASE]) == Some(b"Running".as_slice())
        {
            running += 1;
        }
        ctx.settle(builder, line, outcome)?;
    }

    let notes = &mut builder.report.notes;
    notes.push(format!(
        "submit = origin {} + creation_time; runtime = deletion_time - scheduled_time",
        describe_time(ctx.options.origin)
    ));
    notes.push("GPU demand = num_gpu x gpu_milli (gpu_milli is each GPU's share)".to_owned());
    notes.push("queue = qos class".to_owned());
    if running > 0 {
        notes.push(format!(
            "{running} Running pods: deletion_time is the end of the observation, so their \
             runtimes are cut there (status unknown)"
        ));
    }
    Ok(())
}

/// One pod row.
fn pod(
    record: &csv::ByteRecord,
    index: &[usize; COLUMNS.len()],
    line: u64,
    ctx: &Ctx<'_>,
) -> Result<Outcome, Bad> {
    let text = |column: usize| cell(record, index[column], COLUMNS[column]);
    let number = |column: usize| -> Result<f64, Bad> {
        let text = text(column)?;
        parse_number(text)
            .filter(|value| *value >= 0.0)
            .ok_or_else(|| Bad::new(COLUMNS[column], "a number >= 0", text))
    };
    let whole = |column: usize| -> Result<u64, Bad> {
        round_u64(number(column)?).ok_or_else(|| {
            Bad::new(COLUMNS[column], "a number in range", text(column).unwrap_or_default())
        })
    };
    let seconds = |column: usize| -> Result<i64, Bad> {
        let text = text(column)?;
        parse_number(text)
            .and_then(secs_to_micros)
            .ok_or_else(|| Bad::new(COLUMNS[column], "seconds from the trace start", text))
    };

    let name = text(NAME)?.to_owned();
    let cpu_milli = whole(CPU)?;
    let memory_mib = whole(MEMORY)?;
    let num_gpu = number(NUM_GPU)?;
    let gpu_milli = if num_gpu > 0.0 {
        round_u64(num_gpu * number(GPU_MILLI)?).ok_or_else(|| {
            Bad::new(
                COLUMNS[GPU_MILLI],
                "a GPU share in range",
                text(GPU_MILLI).unwrap_or_default(),
            )
        })?
    } else {
        0
    };
    let gpu_kind = Some(text(GPU_SPEC)?).filter(|spec| !spec.is_empty()).map(|s| GpuKind(s.into()));
    let queue = text(QOS)?.to_owned();
    let status = match text(PHASE)? {
        "Succeeded" => JobStatus::Completed,
        "Failed" => JobStatus::Failed,
        _ => JobStatus::Unknown,
    };
    let creation = seconds(CREATION)?;
    if text(SCHEDULED)?.is_empty() {
        return Ok(Outcome::Drop("never scheduled (no scheduled_time)"));
    }
    let scheduled = seconds(SCHEDULED)?;
    let deletion = seconds(DELETION)?;
    let runtime = i128::from(deletion) - i128::from(scheduled);
    if runtime <= 0 {
        return Ok(Outcome::Drop("runtime <= 0"));
    }
    let submit = match offset_time(ctx.options.origin, creation) {
        Ok(submit) => submit,
        Err(true) => return Ok(Outcome::Drop("submit before time 0 (set --origin)")),
        Err(false) => {
            let found = text(CREATION)?;
            return Err(Bad::new(COLUMNS[CREATION], "a time within range", found));
        }
    };
    // Both are i64, so the difference is below 2^64.
    let runtime = SimDuration(u64::try_from(runtime).unwrap_or(u64::MAX));
    Ok(Outcome::Keep(RawJob {
        name,
        submit,
        runtime,
        requested_runtime: None,
        queue,
        user: String::new(),
        resources: Resources { cpu_milli, memory_mib, gpu_milli, gpu_kind },
        depends_on: Vec::new(),
        output_bytes: 0,
        status,
        source_row: line,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Cursor;
    use std::path::Path;

    use engine::SimTime;

    use super::super::testutil::{shared_gz_text, shared_path};
    use super::super::{Format, ImportOptions, import, import_reader};
    use super::*;
    use crate::trace::Trace;

    fn options() -> ImportOptions {
        ImportOptions { format: Format::AlibabaGpu2023, ..ImportOptions::default() }
    }

    fn read_str(text: &str, options: &ImportOptions) -> Result<Trace, TraceError> {
        import_reader(Cursor::new(text.as_bytes()), Path::new("pods.csv"), options)
    }

    const HEADER: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,\
                          creation_time,deletion_time,scheduled_time\n";

    #[test]
    fn fields_and_drops() {
        let text = format!(
            "{HEADER}\
p0,12000,16384,1,460,,LS,Running,0,100,10
p1,6000,8192,2,1000,V100M16|V100M32,BE,Succeeded,5,50,7
p2,1000,512,0,0,,BE,Pending,6,60,
p3,1000,512,0,250,,Burstable,Failed,8,9,9
p4,1000,512,0,250,,Guaranteed,Failed,9,19,9
"
        );
        let options = ImportOptions { origin: SimTime::from_secs(1_000), ..options() };
        let trace = read_str(&text, &options).unwrap();
        let report = trace.meta.import_report.clone().unwrap();
        assert_eq!((report.rows_read, report.kept), (5, 3));
        assert_eq!(report.dropped["never scheduled (no scheduled_time)"], 1);
        assert_eq!(report.dropped["runtime <= 0"], 1);
        assert!(report.notes.iter().any(|n| n.starts_with("1 Running pods")), "{report}");

        let p0 = &trace.jobs[0];
        assert_eq!(p0.submit, SimTime::from_secs(1_000));
        assert_eq!(p0.runtime, SimDuration::from_secs(90));
        assert_eq!(p0.resources.cpu_milli, 12_000);
        assert_eq!(p0.resources.memory_mib, 16_384);
        assert_eq!(p0.resources.gpu_milli, 460);
        assert_eq!(p0.resources.gpu_kind, None);
        assert_eq!(p0.status, JobStatus::Unknown);
        assert_eq!(trace.queue_name(p0.queue), "LS");
        let p1 = &trace.jobs[1];
        assert_eq!(p1.resources.gpu_milli, 2_000);
        assert_eq!(p1.resources.gpu_kind, Some(GpuKind("V100M16|V100M32".into())));
        assert_eq!(p1.status, JobStatus::Completed);
        assert_eq!(p1.runtime, SimDuration::from_secs(43));
        let p4 = &trace.jobs[2];
        assert_eq!(p4.resources.gpu_milli, 0, "num_gpu 0: no GPU whatever gpu_milli says");
        assert_eq!(p4.status, JobStatus::Failed);
        assert_eq!(trace.provenance[2].name, "p4");
        assert_eq!(trace.provenance[2].source_row, 6);
    }

    #[test]
    fn errors_name_line_and_column() {
        let error = read_str("name,cpu_milli\np,1\n", &options()).unwrap_err().to_string();
        assert!(error.contains("no column `memory_mib`") && error.contains("name, cpu_milli"));
        let text = format!(
            "{HEADER}p0,12000,16384,1,460,,LS,Running,0,100,10\np1,lots,1,1,1,,LS,Running,0,1,0\n"
        );
        let error = read_str(&text, &options()).unwrap_err().to_string();
        assert!(
            error.contains("pods.csv:3: field `cpu_milli`: expected a number >= 0, found \"lots\"")
        );
        let text = format!("{HEADER}p0,12000,16384,1,460,,LS,Running,0,100\n");
        let error = read_str(&text, &options()).unwrap_err().to_string();
        assert!(error.contains("pods.csv:2: field `scheduled_time`"), "{error}");
        let skip = ImportOptions { skip_malformed: true, ..options() };
        let trace = read_str(&text, &skip).unwrap();
        let report = trace.meta.import_report.unwrap();
        assert_eq!((report.rows_read, report.dropped_total()), (1, 1));
    }

    #[test]
    fn real_pod_list() {
        let Some(path) = shared_path("traces/alibaba_gpu_v2023_openb_pod_list_default.csv") else {
            return;
        };
        // Independent count: rows, by phase, and by whether scheduled_time is empty.
        let text = shared_gz_text(&path);
        let mut rows = 0_u64;
        let mut unscheduled = 0_u64;
        let mut nonpositive = 0_u64;
        let mut phases: BTreeMap<String, u64> = BTreeMap::new();
        for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
            let cells: Vec<&str> = line.split(',').collect();
            rows += 1;
            if cells[10].is_empty() {
                unscheduled += 1;
                continue;
            }
            let run = cells[9].parse::<f64>().unwrap() - cells[10].parse::<f64>().unwrap();
            if run <= 0.0 {
                nonpositive += 1;
                continue;
            }
            *phases.entry(cells[7].to_owned()).or_default() += 1;
        }
        assert_eq!(rows, 8_152);
        assert_eq!(unscheduled, 897);

        let trace = import(&path, &options()).unwrap();
        let report = trace.meta.import_report.clone().unwrap();
        eprintln!("{report}");
        assert_eq!(report.rows_read, rows);
        assert_eq!(report.dropped["never scheduled (no scheduled_time)"], unscheduled);
        assert_eq!(report.dropped.get("runtime <= 0").copied().unwrap_or(0), nonpositive);
        assert_eq!(report.kept, rows - unscheduled - nonpositive);
        assert_eq!(report.rows_read, report.kept + report.dropped_total());
        let completed = trace.jobs.iter().filter(|j| j.status == JobStatus::Completed).count();
        let failed = trace.jobs.iter().filter(|j| j.status == JobStatus::Failed).count();
        assert_eq!(completed as u64, phases.get("Succeeded").copied().unwrap_or(0));
        assert_eq!(failed as u64, phases.get("Failed").copied().unwrap_or(0));
        let running = phases.get("Running").copied().unwrap_or(0);
        assert!(report.notes.iter().any(|n| n.starts_with(&format!("{running} Running pods"))));
    }
}
