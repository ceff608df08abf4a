//! Standard Workload Format (Parallel Workloads Archive): `;` header lines, then one job per
//! line as 18 whitespace-separated numbers, `-1` meaning unknown.
//!
//! Header keys honoured: `UnixStartTime` (added to submit times), `TimeZoneString`, and the
//! `Queue:` / `Partition:` name tables. Submit times and queue names are resolved after the
//! whole file is read, so a header line that comes late still applies to every job.
//!
//! Per job: processors are the allocated count (field 5), else the requested one (field 8);
//! memory is requested (field 10), else used (field 7), KB per processor; the queue is the
//! queue number (field 15) named by the Queue table, else the partition (field 16) named by
//! the Partition table, else `default`; a preceding job (field 17) becomes a dependency.
//! Records are dropped, in this order, for run time <= 0, processors <= 0 and submit < 0.

use std::collections::BTreeMap;
use std::io::BufRead;

use engine::{JobStatus, Resources, SimDuration, SimTime};

use super::{Bad, Ctx, number_name, round_u64, secs_to_micros};
use crate::trace::{RawJob, TraceBuilder, TraceError};

/// Fields per job line.
const FIELDS: usize = 18;

/// Names of the fields, for errors (index = field number - 1).
const FIELD_NAMES: [&str; FIELDS] = [
    "1 (job number)",
    "2 (submit time)",
    "3 (wait time)",
    "4 (run time)",
    "5 (allocated processors)",
    "6 (average CPU time)",
    "7 (used memory)",
    "8 (requested processors)",
    "9 (requested time)",
    "10 (requested memory)",
    "11 (status)",
    "12 (user id)",
    "13 (group id)",
    "14 (executable number)",
    "15 (queue number)",
    "16 (partition number)",
    "17 (preceding job number)",
    "18 (think time)",
];

// 0-based indices of the fields used.
const JOB: usize = 0;
const SUBMIT: usize = 1;
const RUN: usize = 3;
const ALLOC_PROCS: usize = 4;
const USED_MEM: usize = 6;
const REQ_PROCS: usize = 7;
const REQ_TIME: usize = 8;
const REQ_MEM: usize = 9;
const STATUS: usize = 10;
const USER: usize = 11;
const QUEUE: usize = 14;
const PARTITION: usize = 15;
const PRECEDING: usize = 16;

/// Where a job's queue name will come from once all header tables are known.
#[derive(Clone, Copy, Debug)]
enum QueueRef {
    Queue(i64),
    Partition(i64),
    Default,
}

/// A kept job waiting for the header values that complete it.
struct Pending {
    job: RawJob,
    /// Submit time relative to `UnixStartTime`, µs, >= 0.
    submit_micros: i64,
    queue: QueueRef,
}

/// What the `;` lines say.
#[derive(Default)]
struct Header {
    /// `UnixStartTime` in µs since the epoch.
    start_micros: Option<i64>,
    timezone: Option<String>,
    queues: BTreeMap<i64, String>,
    partitions: BTreeMap<i64, String>,
    /// Header lines with a known key whose value could not be used.
    ignored: Vec<String>,
}

/// Read an SWF file into `builder`.
pub(super) fn read(
    mut reader: impl BufRead,
    ctx: &Ctx<'_>,
    builder: &mut TraceBuilder,
) -> Result<(), TraceError> {
    let mut header = Header::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut buf = Vec::with_capacity(256);
    let mut line_no: u64 = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(|e| ctx.io(e))? == 0 {
            break;
        }
        line_no = line_no.saturating_add(1);
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix(b";") {
            // Headers may hold names in Latin-1 (acknowledgements): decode leniently.
            header.read_line(&String::from_utf8_lossy(comment), line_no, ctx)?;
            continue;
        }
        builder.report.rows_read += 1;
        match parse_job(trimmed, line_no) {
            Ok(Some(job)) => pending.push(job),
            Ok(None) => {}
            Err(Drop::Reason(reason)) => builder.report.drop_row(reason),
            Err(Drop::Bad(bad)) => ctx.malformed(builder, line_no, bad)?,
        }
    }
    finish(header, pending, ctx, builder);
    Ok(())
}

/// Why a job line gives no job.
enum Drop {
    Reason(&'static str),
    Bad(Bad),
}

impl From<Bad> for Drop {
    fn from(bad: Bad) -> Drop {
        Drop::Bad(bad)
    }
}

/// Parse one job line (already trimmed, not a comment).
fn parse_job(line: &[u8], line_no: u64) -> Result<Option<Pending>, Drop> {
    let text = std::str::from_utf8(line)
        .map_err(|_| Bad::new("line", "ASCII numbers", &String::from_utf8_lossy(line)))?;
    let mut values = [0.0_f64; FIELDS];
    let mut count = 0_usize;
    for token in text.split_ascii_whitespace() {
        if let Some(slot) = values.get_mut(count) {
            *slot = super::parse_number(token)
                .ok_or_else(|| Bad::new(field_name(count), "a number (-1 for unknown)", token))?;
        }
        count += 1;
    }
    if count != FIELDS {
        let found = format!("{count} fields: {text}");
        return Err(
            Bad::new("line", format!("{FIELDS} whitespace-separated fields"), &found).into()
        );
    }
    let time = |index: usize| {
        secs_to_micros(values[index])
            .ok_or_else(|| Bad::new(field_name(index), "seconds within ±292,000 years", text))
    };

    let run_micros = time(RUN)?;
    if run_micros <= 0 {
        return Err(Drop::Reason("runtime <= 0 (or unknown)"));
    }
    let procs = if values[ALLOC_PROCS] > 0.0 { values[ALLOC_PROCS] } else { values[REQ_PROCS] };
    if procs <= 0.0 {
        return Err(Drop::Reason("processors <= 0 (or unknown)"));
    }
    let submit_micros = time(SUBMIT)?;
    if submit_micros < 0 {
        return Err(Drop::Reason("submit < 0 (or unknown)"));
    }
    let cpu_milli = round_u64(procs * 1000.0)
        .ok_or_else(|| Bad::new(field_name(ALLOC_PROCS), "a processor count in range", text))?;
    let mem_kb = if values[REQ_MEM] > 0.0 {
        values[REQ_MEM]
    } else if values[USED_MEM] > 0.0 {
        values[USED_MEM]
    } else {
        0.0
    };
    // KB per processor times processors, in MiB, rounded down.
    let memory_mib = round_u64((mem_kb * procs / 1024.0).floor())
        .ok_or_else(|| Bad::new(field_name(REQ_MEM), "a memory size in range", text))?;
    let requested_runtime = if values[REQ_TIME] > 0.0 {
        Some(SimDuration(time(REQ_TIME)?.unsigned_abs()))
    } else {
        None
    };
    let status = match values[STATUS] {
        1.0 => JobStatus::Completed,
        0.0 => JobStatus::Failed,
        5.0 => JobStatus::Cancelled,
        _ => JobStatus::Unknown,
    };
    let queue = if values[QUEUE] > 0.0 {
        QueueRef::Queue(table_key(values[QUEUE]))
    } else if values[PARTITION] > 0.0 {
        QueueRef::Partition(table_key(values[PARTITION]))
    } else {
        QueueRef::Default
    };
    let depends_on =
        if values[PRECEDING] > 0.0 { vec![number_name(values[PRECEDING])] } else { Vec::new() };
    let user = if values[USER] >= 0.0 { number_name(values[USER]) } else { String::new() };

    let job = RawJob {
        name: number_name(values[JOB]),
        // Set in `finish`, once UnixStartTime is known.
        submit: SimTime::EPOCH,
        runtime: SimDuration(run_micros.unsigned_abs()),
        requested_runtime,
        queue: String::new(),
        user,
        resources: Resources { cpu_milli, memory_mib, gpu_milli: 0, gpu_kind: None },
        depends_on,
        output_bytes: 0,
        status,
        source_row: line_no,
    };
    Ok(Some(Pending { job, submit_micros, queue }))
}

/// The name of 0-based field `index`.
fn field_name(index: usize) -> &'static str {
    FIELD_NAMES.get(index).copied().unwrap_or("extra field")
}

/// A queue or partition number as a table key (a fractional number matches no table entry).
fn table_key(value: f64) -> i64 {
    if value.fract() == 0.0 && value.abs() < 9.0e15 { value as i64 } else { -1 }
}

impl Header {
    /// Take in one `;` line (without the `;`).
    fn read_line(&mut self, text: &str, line_no: u64, ctx: &Ctx<'_>) -> Result<(), TraceError> {
        let Some((key, value)) = text.split_once(':') else { return Ok(()) };
        let value = value.trim();
        match key.trim() {
            "UnixStartTime" => {
                let start = value
                    .parse::<i64>()
                    .ok()
                    .filter(|secs| *secs >= 0)
                    .and_then(|secs| secs.checked_mul(1_000_000))
                    .ok_or_else(|| {
                        TraceError::parse(
                            ctx.path,
                            line_no,
                            "UnixStartTime",
                            "whole seconds since 1970-01-01",
                            value,
                        )
                    })?;
                self.start_micros = Some(start);
            }
            "TimeZoneString" if !value.is_empty() => self.timezone = Some(value.to_owned()),
            key @ ("Queue" | "Partition") => {
                // `1 DSI`, `1  [fque:1]`: a number, then the name.
                let (number, name) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
                let name = name.trim();
                match number.parse::<i64>() {
                    Ok(number) if !name.is_empty() => {
                        let table =
                            if key == "Queue" { &mut self.queues } else { &mut self.partitions };
                        table.insert(number, name.to_owned());
                    }
                    _ => self.ignored.push(format!("line {line_no}: `{key}: {value}`")),
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Place submit times and name queues, now that the header is complete; push the jobs.
fn finish(header: Header, pending: Vec<Pending>, ctx: &Ctx<'_>, builder: &mut TraceBuilder) {
    let mut notes = Vec::new();
    let start_micros = match header.start_micros {
        Some(start) => {
            notes.push(format!("UnixStartTime {} added to submit times", start / 1_000_000));
            start
        }
        None => {
            notes.push(format!(
                "no UnixStartTime in the header: submit times count from the origin {}",
                super::describe_time(ctx.options.origin)
            ));
            // Origins beyond i64 µs (year 294,000) are not a real use; saturate.
            i64::try_from(ctx.options.origin.as_micros()).unwrap_or(i64::MAX)
        }
    };
    builder.set_origin(SimTime(start_micros.unsigned_abs()));
    if let Some(tz) = &header.timezone {
        notes.push(format!("time zone {tz} from header TimeZoneString"));
    }
    builder.set_timezone(header.timezone);
    for ignored in &header.ignored {
        notes.push(format!("ignored header {ignored} (expected a number, then a name)"));
    }

    let (mut queue_named, mut queue_numbered, mut part_named, mut part_numbered, mut default) =
        (0_u64, 0_u64, 0_u64, 0_u64, 0_u64);
    for Pending { mut job, submit_micros, queue } in pending {
        // Both are >= 0 and < 2^63, so the sum fits in a u64.
        job.submit = SimTime(start_micros.unsigned_abs() + submit_micros.unsigned_abs());
        job.queue = match queue {
            QueueRef::Queue(n) => lookup(&header.queues, n, &mut queue_named, &mut queue_numbered),
            QueueRef::Partition(n) => {
                lookup(&header.partitions, n, &mut part_named, &mut part_numbered)
            }
            QueueRef::Default => {
                default += 1;
                String::new()
            }
        };
        builder.push(job);
    }
    if queue_named > 0 {
        notes.push(format!("queue names from header Queue table ({queue_named} jobs)"));
    }
    if queue_numbered > 0 {
        notes.push(format!(
            "{queue_numbered} jobs have queue numbers missing from the Queue table: named by number"
        ));
    }
    if part_named > 0 {
        notes.push(format!(
            "queue names from header Partition table for {part_named} jobs without a queue number"
        ));
    }
    if part_numbered > 0 {
        notes.push(format!(
            "{part_numbered} jobs have partition numbers missing from the Partition table: \
             named by number"
        ));
    }
    if default > 0 {
        notes.push(format!("{default} jobs have neither queue nor partition: queue `default`"));
    }
    builder.report.notes.extend(notes);
}

/// The name of table entry `number`, or the number itself.
fn lookup(
    table: &BTreeMap<i64, String>,
    number: i64,
    named: &mut u64,
    numbered: &mut u64,
) -> String {
    match table.get(&number) {
        Some(name) => {
            *named += 1;
            name.clone()
        }
        None => {
            *numbered += 1;
            number.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};
    use std::path::Path;

    use engine::JobId;
    use proptest::prelude::*;

    use super::super::testutil::{shared_gz_text, shared_path};
    use super::super::{Format, ImportOptions, gunzip_if_gzipped, import, import_reader};
    use super::*;
    use crate::trace::Trace;

    fn options() -> ImportOptions {
        ImportOptions { format: Format::Swf, ..ImportOptions::default() }
    }

    fn read_str(text: &str, options: &ImportOptions) -> Result<Trace, TraceError> {
        import_reader(Cursor::new(text.as_bytes()), Path::new("test.swf"), options)
    }

    const SAMPLE: &str = "\
; Version: 2.2
; UnixStartTime: 1000
; TimeZoneString: Europe/Stockholm
; Queue:  1 DSI
; Queue:  2  [fque:1]
; Partition:  1  pbatch
;
    1   0  5  100  4  1.5  2048  -1  300  -1  1  7  1  1  1  -1  -1  -1
    2  10  5   50  -1 -1  -1     8   -1   512 0  8  1  1  -1  1  -1  -1
    3  20  5    0  4  -1  -1    4   -1   -1  5  7  1  1  -1  -1  -1  -1
    4  30  5   10  0  -1  -1    -1  -1   -1  5  7  1  1  -1  -1  -1  -1
    5  40  5   10  2  -1  -1    -1  -1   -1  5  -1 1  1  3  2  1  -1

    6  50.00  5  10.5  2  -1  -1  -1  -1  -1  3  9  1  1  -1  -1  5  -1
";

    #[test]
    fn sample_fields_and_header() {
        let trace = read_str(SAMPLE, &options()).unwrap();
        let report = trace.meta.import_report.clone().unwrap();
        assert_eq!(report.rows_read, 6);
        assert_eq!(report.kept, 4);
        assert_eq!(report.dropped["runtime <= 0 (or unknown)"], 1);
        assert_eq!(report.dropped["processors <= 0 (or unknown)"], 1);
        assert!(report.notes.iter().any(|n| n == "UnixStartTime 1000 added to submit times"));
        assert_eq!(trace.meta.timezone.as_deref(), Some("Europe/Stockholm"));
        assert_eq!(trace.meta.origin, SimTime::from_secs(1000));

        let names: Vec<&str> = trace.provenance.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["1", "2", "5", "6"]);
        let j1 = &trace.jobs[0];
        assert_eq!(j1.submit, SimTime::from_secs(1000));
        assert_eq!(j1.runtime, SimDuration::from_secs(100));
        assert_eq!(j1.requested_runtime, Some(SimDuration::from_secs(300)));
        assert_eq!(j1.resources.cpu_milli, 4000);
        // Used memory 2048 KB/proc x 4 procs = 8 MiB.
        assert_eq!(j1.resources.memory_mib, 8);
        assert_eq!(j1.status, JobStatus::Completed);
        assert_eq!(trace.queue_name(j1.queue), "DSI");
        assert_eq!(trace.users[j1.user.index()], "7");

        let j2 = &trace.jobs[1];
        // Requested processors when allocated is unknown; requested memory 512 KB x 8 = 4 MiB.
        assert_eq!(j2.resources.cpu_milli, 8000);
        assert_eq!(j2.resources.memory_mib, 4);
        assert_eq!(j2.status, JobStatus::Failed);
        assert_eq!(trace.queue_name(j2.queue), "pbatch");

        let j5 = &trace.jobs[2];
        assert_eq!(trace.queue_name(j5.queue), "3", "queue 3 is not in the table");
        assert_eq!(trace.users[j5.user.index()], "unknown");
        assert_eq!(j5.status, JobStatus::Cancelled);

        let j6 = &trace.jobs[3];
        assert_eq!(j6.submit, SimTime::from_secs(1050));
        assert_eq!(j6.runtime, SimDuration(10_500_000));
        assert_eq!(trace.queue_name(j6.queue), "default");
        assert_eq!(j6.status, JobStatus::Unknown);
        assert_eq!(j6.dependencies, [JobId(2)]);
        assert_eq!(j5.dependencies, [JobId(0)]);
        assert_eq!(report.edges_kept, 2);
        assert_eq!(report.rows_read, report.kept + report.dropped_total());
    }

    #[test]
    fn missing_start_time_uses_origin_and_says_so() {
        let text = "1 10 -1 5 1 -1 -1 -1 -1 -1 1 1 -1 -1 -1 -1 -1 -1\n";
        let options = ImportOptions { origin: SimTime::from_secs(500), ..options() };
        let trace = read_str(text, &options).unwrap();
        assert_eq!(trace.jobs[0].submit, SimTime::from_secs(510));
        let notes = &trace.meta.import_report.as_ref().unwrap().notes;
        assert!(notes.iter().any(|n| n.contains("no UnixStartTime")), "{notes:?}");
        assert_eq!(trace.meta.timezone, None);
    }

    #[test]
    fn malformed_lines_name_line_and_field() {
        let good = "1 10 -1 5 1 -1 -1 -1 -1 -1 1 1 -1 -1 -1 -1 -1 -1\n";
        let cases = [
            ("1 10 -1 5 1\n", "line", "5 fields"),
            ("1 10 -1 five 1 -1 -1 -1 -1 -1 1 1 -1 -1 -1 -1 -1 -1\n", "4 (run time)", "five"),
            ("1 10 -1 5 1 -1 -1 -1 -1 -1 1 1 -1 -1 -1 -1 -1 -1 9\n", "line", "19 fields"),
            ("1 1e300 -1 5 1 -1 -1 -1 -1 -1 1 1 -1 -1 -1 -1 -1 -1\n", "2 (submit time)", "1e300"),
            ("1 10 -1 nan 1 -1 -1 -1 -1 -1 1 1 -1 -1 -1 -1 -1 -1\n", "4 (run time)", "nan"),
        ];
        for (bad, field, found) in cases {
            let text = format!("; UnixStartTime: 0\n{good}{bad}");
            let error = read_str(&text, &options()).unwrap_err().to_string();
            assert!(error.starts_with("test.swf:3: "), "{error}");
            assert!(error.contains(&format!("field `{field}`")), "{error}");
            assert!(error.contains(found), "{error}");

            let skip = ImportOptions { skip_malformed: true, ..options() };
            let trace = read_str(&text, &skip).unwrap();
            let report = trace.meta.import_report.unwrap();
            assert_eq!((report.rows_read, report.kept), (2, 1));
            let (reason, n) = report.dropped.iter().next().unwrap();
            assert!(reason.starts_with("malformed: "), "{reason}");
            assert_eq!(*n, 1);
        }

        let bytes = b"1 10 -1 5 1 -1 -1 -1 -1 -1 1 1 -1 -1 -1 -1 -1 \xff\n";
        let error = import_reader(Cursor::new(&bytes[..]), Path::new("b.swf"), &options());
        let error = error.unwrap_err().to_string();
        assert!(error.contains("b.swf:1: field `line`"), "{error}");

        let error = read_str("; UnixStartTime: soon\n", &options()).unwrap_err().to_string();
        assert!(error.contains("test.swf:1: field `UnixStartTime`") && error.contains("soon"));
    }

    /// An independent count of a real SWF file: job lines, and those with run time > 0 and
    /// allocated or requested processors > 0; plus the first job line's job number and submit.
    struct SwfCount {
        lines: u64,
        keep: u64,
        start: u64,
        first: (String, u64),
        timezone: String,
    }

    fn count_swf(text: &str) -> SwfCount {
        let mut count = SwfCount {
            lines: 0,
            keep: 0,
            start: 0,
            first: (String::new(), 0),
            timezone: "".into(),
        };
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("; UnixStartTime:") {
                count.start = rest.trim().parse().unwrap();
            } else if let Some(rest) = line.strip_prefix("; TimeZoneString:") {
                count.timezone = rest.trim().to_owned();
            } else if !line.starts_with(';') && !line.trim().is_empty() {
                count.lines += 1;
                let f: Vec<f64> = line.split_whitespace().map(|x| x.parse().unwrap()).collect();
                if f[3] > 0.0 && (f[4] > 0.0 || f[7] > 0.0) {
                    count.keep += 1;
                    if count.first.0.is_empty() {
                        count.first = (line.split_whitespace().next().unwrap().into(), f[1] as u64);
                    }
                }
            }
        }
        count
    }

    fn check_real_swf(file: &str) {
        let Some(path) = shared_path(&format!("traces/{file}")) else { return };
        let text = shared_gz_text(&path);
        let expected = count_swf(&text);
        let trace = import(&path, &options()).unwrap();
        let report = trace.meta.import_report.clone().unwrap();
        eprintln!("{file}:\n{report}");
        assert_eq!(report.rows_read, expected.lines, "{file}");
        assert_eq!(report.kept, expected.keep, "{file}");
        assert_eq!(trace.jobs.len() as u64, expected.keep);
        assert_eq!(report.rows_read, report.kept + report.dropped_total());
        assert_eq!(trace.meta.timezone.as_deref(), Some(expected.timezone.as_str()));
        assert_eq!(trace.meta.origin, SimTime::from_secs(expected.start));

        let (first_name, first_submit) = &expected.first;
        let index = trace.provenance.iter().position(|p| &p.name == first_name).unwrap();
        assert_eq!(
            trace.jobs[index].submit.as_micros(),
            (expected.start + first_submit) * 1_000_000,
            "{file}"
        );
    }

    #[test]
    fn real_hpc2n() {
        check_real_swf("HPC2N-2002-2.2-cln.swf.gz");
        let Some(path) = shared_path("traces/HPC2N-2002-2.2-cln.swf.gz") else { return };
        // Queue table present, but job lines use partitions: names come from Partition.
        let trace = import(&path, &options()).unwrap();
        assert_eq!(trace.queues, ["DEFAULT", "ALL"]);
        assert_eq!(trace.meta.timezone.as_deref(), Some("Europe/Stockholm"));
    }

    #[test]
    fn real_ctc_sp2() {
        check_real_swf("CTC-SP2-1996-3.1-cln.swf.gz");
        let Some(path) = shared_path("traces/CTC-SP2-1996-3.1-cln.swf.gz") else { return };
        let trace = import(&path, &options()).unwrap();
        let mut queues = trace.queues.clone();
        queues.sort();
        assert_eq!(queues, ["DSI", "astro", "informix", "piofs"]);
    }

    #[test]
    fn real_llnl_atlas() {
        check_real_swf("LLNL-Atlas-2006-2.1-cln.swf.gz");
        let Some(path) = shared_path("traces/LLNL-Atlas-2006-2.1-cln.swf.gz") else { return };
        let trace = import(&path, &options()).unwrap();
        let mut queues = trace.queues.clone();
        queues.sort();
        assert_eq!(queues, ["moody20", "pbatch", "pbroke", "pdebug"]);
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// Import bytes the way `import` does (gunzip when gzipped); must return, never panic.
    fn import_bytes(bytes: &[u8], skip: bool) -> Result<Trace, TraceError> {
        let options = ImportOptions { skip_malformed: skip, ..options() };
        let reader = gunzip_if_gzipped(Cursor::new(bytes)).map_err(|e| TraceError::io("x", e))?;
        import_reader(reader, Path::new("fuzz.swf"), &options)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                                       skip in any::<bool>()) {
            let _ = import_bytes(&bytes, skip);
        }

        #[test]
        fn truncations_never_panic(cut in 0..SAMPLE.len(), skip in any::<bool>()) {
            let _ = import_bytes(&SAMPLE.as_bytes()[..cut], skip);
            let gz = gzip(SAMPLE.as_bytes());
            let gz_cut = cut * gz.len() / SAMPLE.len();
            let _ = import_bytes(&gz[..gz_cut], skip);
        }

        #[test]
        fn line_mutations_never_panic(
            line in 0..16_usize,
            replacement in "[ -~\t]{0,120}",
            skip in any::<bool>(),
        ) {
            let mut lines: Vec<&str> = SAMPLE.lines().collect();
            let index = line % lines.len();
            lines[index] = &replacement;
            let text = lines.join("\n");
            let result = import_bytes(text.as_bytes(), skip);
            if let Ok(trace) = result {
                let report = trace.meta.import_report.unwrap();
                prop_assert_eq!(report.rows_read, report.kept + report.dropped_total());
            }
        }

        #[test]
        fn numeric_mutations_never_panic(
            field in 0..FIELDS,
            value in prop_oneof![
                any::<f64>().prop_map(|v| v.to_string()),
                any::<i64>().prop_map(|v| v.to_string()),
                Just("-1".to_owned()),
                Just("9223372036854775807".to_owned()),
            ],
        ) {
            let mut fields = vec!["1"; FIELDS];
            fields[field] = &value;
            let text = format!("; UnixStartTime: 9223372036854\n{}\n", fields.join(" "));
            let _ = import_bytes(text.as_bytes(), false);
        }
    }
}
