//! Alibaba cluster trace v2017 batch tasks (`batch_task.csv`): one canonical job per task row,
//! named `{job_id}/{task_id}`, times in seconds from the trace start (some negative).
//!
//! Only tasks that finished in the window are kept: `Terminated` (completed) and `Failed`.
//! Records are dropped, in this order, for status (Waiting, Running, other), run time
//! (`task_end_time - task_create_time`) <= 0, an empty CPU request, and a submit before time 0.
//! A task asks for `instances * plan_cpu * 10` milli-CPUs (plan_cpu 100 = one core) and
//! `instances * plan_mem * 64 GiB` (plan_mem is normalised to the largest machine, taken as
//! 64 GiB). All tasks go to queue `batch`.
//!
//! DAG names (`M2_1`, `R3_1_2`: letters, the task's number, then its parents' numbers) give
//! edges to tasks of the same job; a parent number with no task in the job is a dropped edge.
//! Plain numeric task ids (as in the shared copy) carry no DAG, so no edges, unless
//! [`TimingDag`] is asked for. In this copy a job's tasks are nearly all created at the same
//! instant (the job's submission; 7,267 of 8,646 multi-task jobs) and differ in when they
//! ended, so the stages of a Fuxi job show in their end times: the tasks of a job are grouped
//! by end time into stages, each stage depends on every task of the stage before, and runs
//! from that stage's end to its own (its runtime becomes `end − max(create, previous end)`;
//! a task created before one of its parents is taken as submitted with the latest of them,
//! since a trace lists parents first).
//! Each task leaves `instances × output_mib_per_instance` MiB of output. The inferred edges
//! are counted in the import report's notes.
//!
//! The header row is optional: without one, columns are taken in the documented order.

use std::collections::BTreeMap;
use std::io::BufRead;

use engine::{JobStatus, Resources, SimDuration};

use super::csv_rows::{CsvRows, cell, require_column};
use super::{
    Bad, Ctx, TimingDag, describe_time, offset_time, parse_number, round_u64, secs_to_micros,
};
use crate::trace::{RawJob, TraceBuilder, TraceError};

/// The columns, in the documented order.
const COLUMNS: [&str; 8] = [
    "task_create_time",
    "task_end_time",
    "job_id",
    "task_id",
    "number_of_instances",
    "status",
    "number_of_cpus_requested_per_instance_in_the_task",
    "normalized_memory_requested_per_instance_in_the_task",
];

// Positions in `COLUMNS`.
const CREATE: usize = 0;
const END: usize = 1;
const JOB: usize = 2;
const TASK: usize = 3;
const INSTANCES: usize = 4;
const STATUS: usize = 5;
const CPU: usize = 6;
const MEMORY: usize = 7;

/// MiB that a normalised memory of 1.0 stands for.
const MIB_PER_NORMALISED: f64 = 65_536.0;

/// A kept task and the DAG parents it names.
struct Task {
    job: RawJob,
    job_id: String,
    parents: Vec<u64>,
    instances: f64,
    /// Its stage in its job, from 0 (timing-inferred DAGs only).
    stage: u32,
}

/// How task ids are written.
#[derive(Default)]
struct IdKinds {
    numeric: u64,
    dag: u64,
    other: u64,
}

/// Read batch tasks into `builder`.
pub(super) fn read(
    reader: impl BufRead,
    ctx: &Ctx<'_>,
    builder: &mut TraceBuilder,
) -> Result<(), TraceError> {
    let mut rows = CsvRows::new(reader);
    let Some(first_line) = rows.next(ctx)? else {
        return Err(ctx.format_error(format!(
            "empty file: expected task rows with columns {}",
            COLUMNS.join(", ")
        )));
    };
    // A header, unless the first cell is a number (the original file has no header).
    let headerless = rows
        .record()
        .get(0)
        .and_then(|cell| std::str::from_utf8(cell).ok())
        .and_then(parse_number)
        .is_some();
    let mut index = [0_usize; COLUMNS.len()];
    if headerless {
        for (i, slot) in index.iter_mut().enumerate() {
            *slot = i;
        }
        builder.report.notes.push("no header row: columns taken in the documented order".into());
    } else {
        let header = rows.header_names();
        for (slot, name) in index.iter_mut().zip(COLUMNS) {
            *slot = require_column(ctx, &header, name, "Alibaba 2017 batch_task")?;
        }
    }

    let mut tasks: Vec<Task> = Vec::new();
    // job id -> task number -> full task id, over every row with a DAG name.
    let mut dag: BTreeMap<String, BTreeMap<u64, String>> = BTreeMap::new();
    let mut kinds = IdKinds::default();
    let mut line = Some(first_line).filter(|_| headerless);
    loop {
        let line_no = match line.take() {
            Some(line_no) => line_no,
            None => match rows.next(ctx)? {
                Some(line_no) => line_no,
                None => break,
            },
        };
        builder.report.rows_read += 1;
        let record = rows.record();
        let ids = cell(record, index[JOB], COLUMNS[JOB])
            .and_then(|job| Ok((job, cell(record, index[TASK], COLUMNS[TASK])?)));
        let (job_id, task_id) = match ids {
            Ok(ids) => ids,
            Err(bad) => {
                ctx.malformed(builder, line_no, bad)?;
                continue;
            }
        };
        let name = dag_name(task_id);
        match &name {
            Some((number, _)) => {
                kinds.dag += 1;
                dag.entry(job_id.to_owned())
                    .or_default()
                    .entry(*number)
                    .or_insert_with(|| task_id.to_owned());
            }
            None if !task_id.is_empty() && task_id.bytes().all(|b| b.is_ascii_digit()) => {
                kinds.numeric += 1;
            }
            None => kinds.other += 1,
        }
        match task(record, &index, line_no, ctx, job_id, task_id) {
            Ok(Ok(job)) => tasks.push(Task {
                job,
                job_id: job_id.to_owned(),
                parents: name.map(|(_, parents)| parents).unwrap_or_default(),
                instances: cell(record, index[INSTANCES], COLUMNS[INSTANCES])
                    .ok()
                    .and_then(parse_number)
                    .unwrap_or(0.0),
                stage: 0,
            }),
            Ok(Err(reason)) => builder.report.drop_row(reason),
            Err(bad) => ctx.malformed(builder, line_no, bad)?,
        }
    }

    let inferred = match ctx.options.timing_dag {
        Some(timing) if kinds.dag == 0 => infer_from_timing(&mut tasks, timing),
        _ => 0,
    };
    for Task { mut job, job_id, parents, .. } in tasks {
        let siblings = dag.get(&job_id);
        for parent in parents {
            match siblings.and_then(|tasks| tasks.get(&parent)) {
                Some(task_id) => job.depends_on.push(format!("{job_id}/{task_id}")),
                None => builder.report.drop_edge("parent task not in job"),
            }
        }
        builder.push(job);
    }

    let notes = &mut builder.report.notes;
    notes.push(format!("times count from the origin {}", describe_time(ctx.options.origin)));
    notes.push("cpu = instances x plan_cpu (plan_cpu 100 = 1 core)".to_owned());
    notes.push("memory assumes the normalised 1.0 = 64 GiB".to_owned());
    if kinds.numeric > 0 && kinds.dag == 0 {
        notes.push(format!(
            "{} tasks have plain numeric ids: no DAG edges in this copy",
            kinds.numeric
        ));
    } else if kinds.numeric > 0 {
        notes
            .push(format!("{} tasks have plain numeric ids: no DAG edges for them", kinds.numeric));
    }
    if ctx.options.timing_dag.is_some() {
        notes.push(if kinds.dag == 0 {
            format!(
                "{inferred} DAG edges inferred from task timing (a job's tasks grouped by end \
                 time into stages, each stage after the one before)"
            )
        } else {
            "task ids name their DAG: no edges inferred from timing".to_owned()
        });
    }
    if kinds.other > 0 {
        notes.push(format!(
            "{} task ids are neither numbers nor DAG names like M2_1: no DAG edges for them",
            kinds.other
        ));
    }
    Ok(())
}

/// Gives every task its parents by the stage rule of the module docs (as names in
/// `depends_on`), its re-timed runtime and its output size. Returns the number of edges.
fn infer_from_timing(tasks: &mut [Task], timing: TimingDag) -> u64 {
    let mut by_job: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in tasks.iter().enumerate() {
        by_job.entry(t.job_id.as_str()).or_default().push(i);
    }
    let bytes_per_instance = timing.output_mib_per_instance as f64 * 1_048_576.0;
    let end = |t: &Task| t.job.submit + t.job.runtime;
    let ends: Vec<engine::SimTime> = tasks.iter().map(end).collect();
    let mut submit_now: Vec<engine::SimTime> = tasks.iter().map(|t| t.job.submit).collect();
    let mut stage_of: Vec<u32> = vec![0; tasks.len()];
    let mut parents: Vec<Vec<String>> = vec![Vec::new(); tasks.len()];
    let mut runtimes: Vec<Option<SimDuration>> = vec![None; tasks.len()];
    let mut edges = 0;
    for members in by_job.values() {
        // Stages: the job's tasks by end time, in order.
        let mut stages: BTreeMap<engine::SimTime, Vec<usize>> = BTreeMap::new();
        for &i in members {
            stages.entry(ends[i]).or_default().push(i);
        }
        let mut previous: Option<(engine::SimTime, &Vec<usize>)> = None;
        for (k, (stage_end, stage)) in stages.iter().enumerate() {
            for &i in stage {
                stage_of[i] = k as u32;
            }
            if let Some((prev_end, prev)) = previous {
                let names: Vec<String> = prev.iter().map(|&a| tasks[a].job.name.clone()).collect();
                // A trace lists parents before children: a task created before a parent is
                // taken as submitted with its latest parent (it could not run before anyway).
                let latest = prev.iter().map(|&a| submit_now[a]).max();
                for &b in stage {
                    edges += names.len() as u64;
                    parents[b] = names.clone();
                    submit_now[b] = submit_now[b].max(latest.unwrap_or(submit_now[b]));
                    let from = tasks[b].job.submit.max(prev_end);
                    runtimes[b] = Some(stage_end.saturating_since(from));
                }
            }
            previous = Some((*stage_end, stage));
        }
    }
    for ((((task, names), runtime), submit), stage) in
        tasks.iter_mut().zip(parents).zip(runtimes).zip(submit_now).zip(stage_of)
    {
        task.stage = stage;
        task.job.depends_on = names;
        task.job.submit = submit;
        if let Some(r) = runtime {
            task.job.runtime = r;
        }
        task.job.output_bytes = round_u64(task.instances * bytes_per_instance).unwrap_or(0);
    }
    // The builder keeps source order among equal submit times: put each stage before the
    // next, so every parent precedes its children.
    tasks.sort_by_key(|t| (t.job.submit, t.stage));
    edges
}

/// A DAG task name: letters, the task number, then `_`-separated parent numbers
/// (`R3_1_2` -> (3, [1, 2])).
fn dag_name(task_id: &str) -> Option<(u64, Vec<u64>)> {
    let digits = task_id.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    if digits.len() == task_id.len() {
        return None;
    }
    let number = |part: &str| {
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u64>().ok())
            .flatten()
    };
    let mut parts = digits.split('_');
    let own = number(parts.next()?)?;
    let parents = parts.map(number).collect::<Option<Vec<u64>>>()?;
    Some((own, parents))
}

/// One task row: a job, a drop reason, or a malformed cell.
fn task(
    record: &csv::ByteRecord,
    index: &[usize; COLUMNS.len()],
    line: u64,
    ctx: &Ctx<'_>,
    job_id: &str,
    task_id: &str,
) -> Result<Result<RawJob, &'static str>, Bad> {
    let text = |column: usize| cell(record, index[column], COLUMNS[column]);
    let seconds = |column: usize| -> Result<i64, Bad> {
        let text = text(column)?;
        parse_number(text)
            .and_then(secs_to_micros)
            .ok_or_else(|| Bad::new(COLUMNS[column], "seconds from the trace start", text))
    };
    let amount = |column: usize| -> Result<f64, Bad> {
        let text = text(column)?;
        parse_number(text)
            .filter(|value| *value >= 0.0)
            .ok_or_else(|| Bad::new(COLUMNS[column], "a number >= 0", text))
    };

    let status = match text(STATUS)? {
        "Terminated" => JobStatus::Completed,
        "Failed" => JobStatus::Failed,
        "Waiting" => return Ok(Err("not finished in trace window (Waiting)")),
        "Running" => return Ok(Err("not finished in trace window (Running)")),
        _ => return Ok(Err("unrecognised status")),
    };
    let create = seconds(CREATE)?;
    let runtime = i128::from(seconds(END)?) - i128::from(create);
    if runtime <= 0 {
        return Ok(Err("runtime <= 0"));
    }
    if text(CPU)?.is_empty() {
        return Ok(Err("missing cpu request"));
    }
    let instances = amount(INSTANCES)?;
    let cpu_milli = round_u64(instances * amount(CPU)? * 10.0)
        .ok_or_else(|| Bad::new(COLUMNS[CPU], "a CPU request in range", text(CPU).unwrap_or("")))?;
    let memory_mib = if text(MEMORY)?.is_empty() {
        0
    } else {
        round_u64(instances * amount(MEMORY)? * MIB_PER_NORMALISED).ok_or_else(|| {
            Bad::new(COLUMNS[MEMORY], "a memory request in range", text(MEMORY).unwrap_or(""))
        })?
    };
    let submit = match offset_time(ctx.options.origin, create) {
        Ok(submit) => submit,
        Err(true) => return Ok(Err("submit before time 0 (set --origin)")),
        Err(false) => {
            return Err(Bad::new(COLUMNS[CREATE], "a time within range", text(CREATE)?));
        }
    };
    Ok(Ok(RawJob {
        name: format!("{job_id}/{task_id}"),
        submit,
        // Both ends are i64 µs, so the difference is below 2^64.
        runtime: SimDuration(u64::try_from(runtime).unwrap_or(u64::MAX)),
        requested_runtime: None,
        queue: "batch".to_owned(),
        user: String::new(),
        resources: Resources { cpu_milli, memory_mib, gpu_milli: 0, gpu_kind: None },
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

    use engine::{JobId, SimTime};

    use super::super::testutil::{shared_gz_text, shared_path};
    use super::super::{Format, ImportOptions, import, import_reader};
    use super::*;
    use crate::trace::Trace;

    fn options(origin_s: u64) -> ImportOptions {
        ImportOptions {
            format: Format::Alibaba2017,
            origin: SimTime::from_secs(origin_s),
            ..ImportOptions::default()
        }
    }

    fn read_str(text: &str, options: &ImportOptions) -> Result<Trace, TraceError> {
        import_reader(Cursor::new(text.as_bytes()), Path::new("batch_task.csv"), options)
    }

    const HEADER: &str = "task_create_time, task_end_time, job_id, task_id,number_of_instances, \
                          status, number_of_cpus_requested_per_instance_in_the_task,\
                          normalized_memory_requested_per_instance_in_the_task\r\n";

    #[test]
    fn dag_names() {
        assert_eq!(dag_name("M1"), Some((1, vec![])));
        assert_eq!(dag_name("R3_1_2"), Some((3, vec![1, 2])));
        assert_eq!(dag_name("J4_2_3"), Some((4, vec![2, 3])));
        for plain in ["17", "", "M", "task_Nzg3", "MergeTask", "M1_", "M1__2", "M+1", "M1_x"] {
            assert_eq!(dag_name(plain), None, "{plain}");
        }
    }

    #[test]
    fn timing_groups_a_jobs_tasks_into_stages_by_end_time() {
        // Job 7: A (10–20 s) and B (15–20 s) end first: stage 1. C (10–30 s) is stage 2 and
        // depends on A and B; D (12–50 s) is stage 3 and depends on C. Re-timed: C runs from
        // stage 1's end, 30 − 20 = 10 s; D 50 − 30 = 20 s; A and B keep 10 s and 5 s. Job 8's
        // task F is alone. Outputs: instances × 4 MiB.
        let text = format!(
            "{HEADER}\
10,20,7,1,2,Terminated,50,0.5\r
15,20,7,2,1,Terminated,50,0.5\r
10,30,7,3,1,Terminated,50,0.5\r
12,50,7,4,3,Terminated,50,0.5\r
60,70,8,6,1,Terminated,50,0.5\r
"
        );
        let mut opts = options(0);
        opts.timing_dag = Some(TimingDag { output_mib_per_instance: 4 });
        let trace = read_str(&text, &opts).expect("imports");
        let by_name: BTreeMap<String, usize> =
            trace.provenance.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
        let job = |name: &str| &trace.jobs[by_name[name]];
        let deps = |name: &str| {
            let mut names: Vec<String> = job(name)
                .dependencies
                .iter()
                .map(|d| trace.provenance[d.0 as usize].name.clone())
                .collect();
            names.sort();
            names
        };
        assert_eq!(deps("7/1"), Vec::<String>::new());
        assert_eq!(deps("7/2"), Vec::<String>::new());
        assert_eq!(deps("7/3"), ["7/1", "7/2"]);
        assert_eq!(deps("7/4"), ["7/3"]);
        assert_eq!(deps("8/6"), Vec::<String>::new());
        let secs = |name: &str| job(name).runtime.as_secs_f64();
        assert_eq!([secs("7/1"), secs("7/2"), secs("7/3"), secs("7/4")], [10.0, 5.0, 10.0, 20.0]);
        assert_eq!(job("7/1").output_bytes, 2 * 4 * 1_048_576);
        assert_eq!(job("7/4").output_bytes, 3 * 4 * 1_048_576);
        let report = trace.meta.import_report.as_ref().expect("a report");
        assert_eq!(report.edges_kept, 3);
        assert!(
            report.notes.iter().any(|n| n.starts_with("3 DAG edges inferred from task timing"))
        );
        // Without the option the same rows have no edges and keep their runtimes.
        let plain = read_str(&text, &options(0)).expect("imports");
        assert!(plain.jobs.iter().all(|j| j.dependencies.is_empty()));
    }

    #[test]
    fn dag_edges_inside_a_job() {
        let text = format!(
            "{HEADER}\
10,20,7,M1,2,Terminated,50,0.5\r
11,30,7,M2_1,1,Terminated,100,\r
21,40,7,R3_1_2,1,Terminated,100,0.25\r
22,40,7,R4_3_9,1,Failed,100,0.25\r
12,40,8,M2_1,1,Terminated,100,0.25\r
5,9,7,M5,1,Terminated,100,0.25\r
"
        );
        let trace = read_str(&text, &options(100)).unwrap();
        let names: Vec<&str> = trace.provenance.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["7/M5", "7/M1", "7/M2_1", "8/M2_1", "7/R3_1_2", "7/R4_3_9"]);
        assert_eq!(trace.jobs[1].dependencies, Vec::<JobId>::new());
        assert_eq!(trace.jobs[2].dependencies, [JobId(1)]);
        // Job 8 has no task 1: a dropped edge, not an edge to job 7's M1.
        assert_eq!(trace.jobs[3].dependencies, Vec::<JobId>::new());
        assert_eq!(trace.jobs[4].dependencies, [JobId(1), JobId(2)]);
        // R4's parent 9 is not a task of job 7.
        assert_eq!(trace.jobs[5].dependencies, [JobId(4)]);
        let report = trace.meta.import_report.clone().unwrap();
        assert_eq!(report.edges_kept, 4);
        assert_eq!(report.edges_dropped["parent task not in job"], 2);

        let m1 = &trace.jobs[1];
        assert_eq!(m1.submit, SimTime::from_secs(110));
        assert_eq!(m1.runtime, SimDuration::from_secs(10));
        assert_eq!(m1.resources.cpu_milli, 1_000, "2 instances x 50 = 1 core");
        assert_eq!(m1.resources.memory_mib, 65_536, "2 x 0.5 x 64 GiB");
        assert_eq!(trace.jobs[2].resources.memory_mib, 0, "empty memory");
        assert_eq!(trace.queue_name(m1.queue), "batch");
        assert!(report.notes.iter().any(|n| n == "memory assumes the normalised 1.0 = 64 GiB"));
    }

    #[test]
    fn drops_by_status_time_and_cpu() {
        let text = format!(
            "{HEADER}\
-1078,-1000,1,1,1,Terminated,50,0.01
10,20,1,2,1,Waiting,,
10,20,1,3,1,Running,50,0.01
10,20,1,4,1,Failed,50,0.01
10,10,1,5,1,Terminated,50,0.01
10,20,1,6,1,Terminated,,
10,20,1,7,1,Lost,50,0.01
"
        );
        let trace = read_str(&text, &options(0)).unwrap();
        let report = trace.meta.import_report.clone().unwrap();
        assert_eq!((report.rows_read, report.kept), (7, 1));
        assert_eq!(trace.jobs[0].status, JobStatus::Failed);
        for reason in [
            "submit before time 0 (set --origin)",
            "not finished in trace window (Waiting)",
            "not finished in trace window (Running)",
            "runtime <= 0",
            "missing cpu request",
            "unrecognised status",
        ] {
            assert_eq!(report.dropped[reason], 1, "{reason}");
        }
        assert!(
            report
                .notes
                .iter()
                .any(|n| n == "7 tasks have plain numeric ids: no DAG edges in this copy")
        );

        // With an origin before the window, the early task is kept, at origin - 1078 s.
        let trace = read_str(&text, &options(2_000)).unwrap();
        assert_eq!(trace.jobs[0].submit, SimTime::from_secs(922));
        assert_eq!(trace.jobs[0].runtime, SimDuration::from_secs(78));

        // Headerless, as the original file is.
        let body = text.split_once('\n').unwrap().1;
        let trace = read_str(body, &options(2_000)).unwrap();
        assert_eq!(trace.jobs.len(), 2);
        let notes = &trace.meta.import_report.as_ref().unwrap().notes;
        assert!(notes.iter().any(|n| n.starts_with("no header row")));
    }

    #[test]
    fn malformed_cells_are_errors() {
        let text = format!("{HEADER}10,x,1,1,1,Terminated,50,0.01\n");
        let error = read_str(&text, &options(0)).unwrap_err().to_string();
        assert!(
            error.contains("batch_task.csv:2: field `task_end_time`: expected seconds from the trace start, found \"x\""),
            "{error}"
        );
        let text = format!("{HEADER}10,20,1,1,-4,Terminated,50,0.01\n");
        let error = read_str(&text, &options(0)).unwrap_err().to_string();
        assert!(
            error.contains(":2: field `number_of_instances`: expected a number >= 0"),
            "{error}"
        );
        let error = read_str("a,b\n", &options(0)).unwrap_err().to_string();
        assert!(
            error.contains("no column `task_create_time`") && error.contains("a, b"),
            "{error}"
        );
    }

    #[test]
    fn real_batch_tasks() {
        let Some(path) = shared_path("traces/alibaba_v2017_batch_task.csv") else { return };
        // Independent count by status, then by the drop rules in order.
        let text = shared_gz_text(&path);
        let mut rows = 0_u64;
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        let mut kept_by_status: BTreeMap<&str, u64> = BTreeMap::new();
        let origin = 10_000_i64;
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split(',').map(str::trim).collect();
            rows += 1;
            let reason = match c[5] {
                "Waiting" | "Running" => format!("not finished in trace window ({})", c[5]),
                _ if c[1].parse::<i64>().unwrap() <= c[0].parse::<i64>().unwrap() => {
                    "runtime <= 0".into()
                }
                _ if c[6].is_empty() => "missing cpu request".into(),
                _ if origin + c[0].parse::<i64>().unwrap() < 0 => {
                    "submit before time 0 (set --origin)".into()
                }
                status => {
                    *kept_by_status
                        .entry(if status == "Terminated" { "c" } else { "f" })
                        .or_default() += 1;
                    continue;
                }
            };
            *expected.entry(reason).or_default() += 1;
        }
        assert_eq!(rows, 80_553);

        let trace = import(&path, &options(origin as u64)).unwrap();
        let report = trace.meta.import_report.clone().unwrap();
        eprintln!("{report}");
        assert_eq!(report.rows_read, rows);
        assert_eq!(report.dropped, expected);
        assert_eq!(report.rows_read, report.kept + report.dropped_total());
        let completed = trace.jobs.iter().filter(|j| j.status == JobStatus::Completed).count();
        let failed = trace.jobs.iter().filter(|j| j.status == JobStatus::Failed).count();
        assert_eq!(completed as u64, kept_by_status["c"]);
        assert_eq!(failed as u64, kept_by_status["f"]);
        assert_eq!(report.edges_kept, 0);
        assert!(
            report.notes.contains(&format!(
                "{rows} tasks have plain numeric ids: no DAG edges in this copy"
            ))
        );

        // With the epoch as origin, the tasks created before the window are dropped.
        let trace = import(&path, &options(0)).unwrap();
        let report = trace.meta.import_report.unwrap();
        assert!(report.dropped["submit before time 0 (set --origin)"] > 0);
    }
}
