//! Generic tables: CSV with a header row, and JSON (a top-level array of objects, or JSON Lines),
//! read through a [`ColumnMap`].
//!
//! Each field is bound to a column: the mapped one, else the field's canonical column name when
//! the input has it. `submit` and `runtime` (or `end`) must be bound. Empty cells in optional
//! columns take the default (1 vCPU, no memory, no GPU, …); a cell that cannot be read is a
//! malformed record. Records are dropped, in this order, for a submit before time 0, a run time
//! <= 0, and negative vCPUs, memory, GPUs or output bytes.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::BufRead;

use engine::{GpuKind, JobStatus, Resources, SimDuration, SimTime};
use serde_json::Value;

use super::columns::{ColumnMap, Field, Unit};
use super::csv_rows::{CsvRows, cell};
use super::{Bad, Ctx, Outcome, describe_time, parse_number, round_u64, to_micros};
use crate::trace::{RawJob, TraceBuilder, TraceError};

/// A field bound to a column.
#[derive(Clone, Debug)]
struct Binding {
    field: Field,
    column: String,
    unit: Unit,
    /// Position in the CSV header (unused for JSON).
    index: usize,
    /// Named in the user's map (not implied by a canonical name).
    explicit: bool,
}

impl Binding {
    /// How errors name the cell: the column, and the field when the names differ.
    fn label(&self) -> String {
        if self.column == self.field.as_str() {
            self.column.clone()
        } else {
            format!("{} ({})", self.column, self.field)
        }
    }

    fn bad(&self, expected: impl Into<String>, found: &str) -> Bad {
        Bad::new(self.label(), expected, found)
    }
}

/// Which column every field is read from.
struct Plan {
    /// Indexed by `Field as usize`.
    bindings: Vec<Option<Binding>>,
}

impl Plan {
    fn get(&self, field: Field) -> Option<&Binding> {
        self.bindings.get(field as usize).and_then(Option::as_ref)
    }

    /// Bind every field: explicitly mapped ones always, the others by canonical name when
    /// `has_column` says the input has it (JSON: always, since keys are known per record).
    fn new(map: &ColumnMap, mut has_column: impl FnMut(&str) -> Option<usize>) -> Plan {
        let end_mapped = map.get(Field::End).is_some();
        let bindings = Field::ALL
            .iter()
            .map(|&field| {
                if let Some(spec) = map.get(field) {
                    let index = has_column(&spec.column).unwrap_or(usize::MAX);
                    return Some(Binding {
                        field,
                        column: spec.column.clone(),
                        unit: spec.unit,
                        index,
                        explicit: true,
                    });
                }
                if field == Field::Runtime && end_mapped {
                    return None;
                }
                let column = field.default_column()?;
                let index = has_column(column)?;
                Some(Binding {
                    field,
                    column: column.to_owned(),
                    unit: field.default_unit(),
                    index,
                    explicit: false,
                })
            })
            .collect();
        Plan { bindings }
    }

    /// The duration-or-end binding, which must exist like `submit`'s.
    fn run_binding(&self) -> Option<&Binding> {
        self.get(Field::Runtime).or_else(|| self.get(Field::End))
    }
}

/// One cell as a record holds it.
enum Cell<'a> {
    /// Not there (JSON key absent or null); read as empty.
    Absent,
    Text(Cow<'a, str>),
    /// A JSON array (dependencies).
    List(Vec<Cow<'a, str>>),
}

/// Facts gathered across records for the notes.
#[derive(Default)]
struct Tally {
    vcpus_defaulted: u64,
    unknown_status: u64,
    first_unknown_status: Option<String>,
    /// Fields whose column was seen in at least one record (JSON).
    seen: BTreeSet<usize>,
}

/// Read a CSV table with a header row into `builder`.
pub(super) fn read_csv(
    reader: impl BufRead,
    ctx: &Ctx<'_>,
    builder: &mut TraceBuilder,
) -> Result<(), TraceError> {
    let mut rows = CsvRows::new(reader);
    if rows.next(ctx)?.is_none() {
        return Err(ctx.format_error("empty file: expected a header row naming the columns"));
    }
    let header = rows.header_names();
    let default_map = ColumnMap::default();
    let map = ctx.options.map.as_ref().unwrap_or(&default_map);
    let plan = Plan::new(map, |name| header.iter().position(|column| column == name));
    for binding in plan.bindings.iter().flatten() {
        if binding.index == usize::MAX {
            return Err(ctx.format_error(format!(
                "mapped column `{}` (field {}) is not in the header; the header has columns: {}",
                binding.column,
                binding.field,
                header.join(", ")
            )));
        }
    }
    check_required(&plan, ctx, &header.join(", "), "the header has columns")?;

    let mut tally = Tally::default();
    let mut row_number: u64 = 0;
    while let Some(line) = rows.next(ctx)? {
        row_number += 1;
        builder.report.rows_read += 1;
        let record = rows.record();
        let get = |binding: &Binding| -> Result<Cell<'_>, Bad> {
            cell(record, binding.index, &binding.label())
                .map(|text| Cell::Text(Cow::Borrowed(text)))
        };
        let outcome = convert(&plan, row_number, line, ctx, &mut tally, get);
        ctx.settle(builder, line, outcome)?;
    }
    for binding in plan.bindings.iter().flatten() {
        tally.seen.insert(binding.field as usize);
    }
    add_notes(&plan, ctx, &tally, builder);
    Ok(())
}

/// Read JSON (a top-level array of objects, or one object per line) into `builder`. Lines are
/// numbered in JSON Lines; in an array, `line` in errors is the 1-based record number.
pub(super) fn read_json(
    reader: impl BufRead,
    ctx: &Ctx<'_>,
    builder: &mut TraceBuilder,
) -> Result<(), TraceError> {
    let bytes = super::read_all(reader, ctx)?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let default_map = ColumnMap::default();
    let map = ctx.options.map.as_ref().unwrap_or(&default_map);
    let plan = Plan::new(map, |_| Some(usize::MAX));
    let mut tally = Tally::default();
    let mut first = true;

    let mut take = |value: &Value, line: u64, row: u64, builder: &mut TraceBuilder| {
        builder.report.rows_read += 1;
        let Value::Object(object) = value else {
            let bad = Bad::new("record", "a JSON object", &value.to_string());
            return ctx.malformed(builder, line, bad);
        };
        if std::mem::take(&mut first) {
            let keys: Vec<&str> = object.keys().map(String::as_str).collect();
            check_required_json(&plan, ctx, &keys)?;
        }
        for binding in plan.bindings.iter().flatten() {
            if object.contains_key(&binding.column) {
                tally.seen.insert(binding.field as usize);
            }
        }
        let get = |binding: &Binding| -> Result<Cell<'_>, Bad> {
            Ok(json_cell(object.get(&binding.column)))
        };
        let outcome = convert(&plan, row, line, ctx, &mut tally, get);
        ctx.settle(builder, line, outcome)
    };

    if bytes.trim_ascii_start().starts_with(b"[") {
        let values: Vec<Value> = serde_json::from_slice(bytes).map_err(|e| {
            let line = bytes.split(|b| *b == b'\n').nth(e.line().saturating_sub(1)).unwrap_or(&[]);
            TraceError::parse(
                ctx.path,
                e.line() as u64,
                "JSON",
                format!("a JSON array of objects ({e})"),
                &String::from_utf8_lossy(line),
            )
        })?;
        for (index, value) in values.iter().enumerate() {
            let record = index as u64 + 1;
            take(value, record, record, builder)?;
        }
    } else {
        let mut row: u64 = 0;
        for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
            let line_no = index as u64 + 1;
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            row += 1;
            match serde_json::from_slice::<Value>(line) {
                Ok(value) => take(&value, line_no, row, builder)?,
                Err(e) => {
                    builder.report.rows_read += 1;
                    let found = String::from_utf8_lossy(line);
                    let bad = Bad::new("JSON", "one JSON object per line", &found)
                        .with_detail(e.to_string());
                    ctx.malformed(builder, line_no, bad)?;
                }
            }
        }
    }

    for binding in plan.bindings.iter().flatten() {
        if binding.explicit && !tally.seen.contains(&(binding.field as usize)) && !first {
            return Err(ctx.format_error(format!(
                "mapped key `{}` (field {}) is in no record",
                binding.column, binding.field
            )));
        }
    }
    add_notes(&plan, ctx, &tally, builder);
    Ok(())
}

/// `submit` and a run time must be bound.
fn check_required(plan: &Plan, ctx: &Ctx<'_>, columns: &str, what: &str) -> Result<(), TraceError> {
    if plan.get(Field::Submit).is_none() {
        return Err(ctx.format_error(format!(
            "no submit column: name one with --map submit=COLUMN:UNIT; {what}: {columns}"
        )));
    }
    if plan.run_binding().is_none() {
        return Err(ctx.format_error(format!(
            "no runtime column: name one with --map runtime=COLUMN:UNIT (or end=COLUMN:UNIT); \
             {what}: {columns}"
        )));
    }
    Ok(())
}

/// JSON has no header: the first record must hold the required keys.
fn check_required_json(plan: &Plan, ctx: &Ctx<'_>, keys: &[&str]) -> Result<(), TraceError> {
    let columns = keys.join(", ");
    check_required(plan, ctx, &columns, "the first record has keys")?;
    for binding in [plan.get(Field::Submit), plan.run_binding()].into_iter().flatten() {
        if !keys.contains(&binding.column.as_str()) {
            let how = if binding.explicit { "mapped" } else { "default" };
            return Err(ctx.format_error(format!(
                "{how} key `{}` (field {}) is not in the first record, which has keys: {columns}{}",
                binding.column,
                binding.field,
                if binding.explicit { "" } else { "; name the right one with --map" }
            )));
        }
    }
    Ok(())
}

/// A JSON value as a cell.
fn json_cell(value: Option<&Value>) -> Cell<'_> {
    fn text(value: &Value) -> Cow<'_, str> {
        match value {
            Value::String(s) => Cow::Borrowed(s.as_str()),
            Value::Null => Cow::Borrowed(""),
            other => Cow::Owned(other.to_string()),
        }
    }
    match value {
        None | Some(Value::Null) => Cell::Absent,
        Some(Value::Array(items)) => Cell::List(items.iter().map(text).collect()),
        Some(value) => Cell::Text(text(value)),
    }
}

/// The text of a single-valued cell; `None` when empty or absent.
fn single<'a>(binding: &Binding, cell: Cell<'a>) -> Result<Option<Cow<'a, str>>, Bad> {
    match cell {
        Cell::Absent => Ok(None),
        Cell::Text(text) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                Ok(None)
            } else if trimmed.len() == text.len() {
                Ok(Some(text))
            } else {
                Ok(Some(Cow::Owned(trimmed.to_owned())))
            }
        }
        Cell::List(items) => {
            Err(binding.bad("a single value", &format!("a list of {}", items.len())))
        }
    }
}

/// Turn one record into a job or a drop.
fn convert<'r>(
    plan: &Plan,
    row_number: u64,
    line: u64,
    ctx: &Ctx<'_>,
    tally: &mut Tally,
    get: impl Fn(&Binding) -> Result<Cell<'r>, Bad>,
) -> Result<Outcome, Bad> {
    let origin = ctx.options.origin;
    // Text of an optional field, None when unbound, empty or absent.
    let text = |field: Field| -> Result<Option<(Cow<'r, str>, &Binding)>, Bad> {
        let Some(binding) = plan.get(field) else { return Ok(None) };
        Ok(single(binding, get(binding)?)?.map(|text| (text, binding)))
    };
    let number = |field: Field| -> Result<Option<(f64, &Binding)>, Bad> {
        match text(field)? {
            None => Ok(None),
            Some((text, binding)) => match parse_number(&text) {
                Some(value) => Ok(Some((value, binding))),
                None => Err(binding.bad("a number", &text)),
            },
        }
    };
    let required = |field: Field| -> Result<(Cow<'r, str>, &Binding), Bad> {
        let binding =
            plan.get(field).ok_or_else(|| Bad::new(field.as_str(), "a mapped column", ""))?;
        text(field)?.ok_or_else(|| binding.bad(time_expectation(binding.unit), ""))
    };

    let (submit_text, submit_binding) = required(Field::Submit)?;
    let submit = absolute_time(submit_binding, &submit_text, origin)?;
    let runtime: i128 = match plan.get(Field::Runtime) {
        Some(_) => {
            let (text, binding) = required(Field::Runtime)?;
            i128::from(duration(binding, &text)?)
        }
        None => {
            let (text, binding) = required(Field::End)?;
            absolute_time(binding, &text, origin)? - submit
        }
    };
    let requested_runtime = match text(Field::RequestedRuntime)? {
        Some((text, binding)) => Some(duration(binding, &text)?)
            .filter(|micros| *micros > 0)
            .map(|micros| SimDuration(micros.unsigned_abs())),
        None => None,
    };
    let name = match text(Field::Id)? {
        Some((text, _)) => text.into_owned(),
        None => row_number.to_string(),
    };
    let queue = text(Field::Queue)?.map(|(t, _)| t.into_owned()).unwrap_or_default();
    let user = text(Field::User)?.map(|(t, _)| t.into_owned()).unwrap_or_default();
    let gpu_kind = text(Field::GpuKind)?.map(|(t, _)| GpuKind(t.into_owned()));
    let vcpus = number(Field::Vcpus)?;
    let memory = number(Field::Memory)?;
    let gpus = number(Field::Gpus)?;
    let output = number(Field::OutputBytes)?;
    let status = match text(Field::Status)? {
        None => JobStatus::Unknown,
        Some((text, _)) => parse_status(&text).unwrap_or_else(|| {
            tally.unknown_status += 1;
            tally.first_unknown_status.get_or_insert_with(|| text.chars().take(40).collect());
            JobStatus::Unknown
        }),
    };
    let depends_on = match plan.get(Field::Dependencies) {
        None => Vec::new(),
        Some(binding) => dependencies(binding, get(binding)?),
    };

    // Everything parsed: now the drops, in a fixed order.
    if submit < 0 {
        return Ok(Outcome::Drop("submit before time 0 (set --origin)"));
    }
    let submit = u64::try_from(submit)
        .map(SimTime)
        .map_err(|_| submit_binding.bad("a time within range", &submit_text))?;
    if runtime <= 0 {
        return Ok(Outcome::Drop("runtime <= 0"));
    }
    let runtime = u64::try_from(runtime)
        .map(SimDuration)
        .map_err(|_| Bad::new("runtime", "a run time within range", &format!("{runtime} µs")))?;
    let negative = |value: Option<(f64, &Binding)>| value.is_some_and(|(v, _)| v < 0.0);
    if negative(vcpus) {
        return Ok(Outcome::Drop("vcpus < 0"));
    }
    if negative(memory) {
        return Ok(Outcome::Drop("memory < 0"));
    }
    if negative(gpus) {
        return Ok(Outcome::Drop("gpus < 0"));
    }
    if negative(output) {
        return Ok(Outcome::Drop("output_bytes < 0"));
    }

    let cpu_milli = match vcpus {
        Some((value, binding)) => milli(value, binding)?,
        None => {
            tally.vcpus_defaulted += 1;
            1000
        }
    };
    let memory_mib = match memory {
        Some((value, binding)) => scaled(value, binding, 1 << 20)?,
        None => 0,
    };
    let gpu_milli = match gpus {
        Some((value, binding)) => milli(value, binding)?,
        None => 0,
    };
    let output_bytes = match output {
        Some((value, binding)) => scaled(value, binding, 1)?,
        None => 0,
    };
    Ok(Outcome::Keep(RawJob {
        name,
        submit,
        runtime,
        requested_runtime,
        queue,
        user,
        resources: Resources { cpu_milli, memory_mib, gpu_milli, gpu_kind },
        depends_on,
        output_bytes,
        status,
        source_row: line,
    }))
}

/// What a time or duration cell should hold.
fn time_expectation(unit: Unit) -> String {
    match unit {
        Unit::Datetime => "a date-time (RFC 3339, or YYYY-MM-DD HH:MM:SS[.fff] in UTC)".to_owned(),
        unit => format!("a number of {unit}"),
    }
}

/// A time in µs since the epoch (may be negative): a date-time, or origin + a number of units.
fn absolute_time(binding: &Binding, text: &str, origin: SimTime) -> Result<i128, Bad> {
    if binding.unit == Unit::Datetime {
        return parse_datetime(text)
            .map(i128::from)
            .ok_or_else(|| binding.bad(time_expectation(binding.unit), text));
    }
    Ok(i128::from(origin.as_micros()) + i128::from(duration(binding, text)?))
}

/// A number of time units in µs (may be negative).
fn duration(binding: &Binding, text: &str) -> Result<i64, Bad> {
    let micros_per_unit = binding.unit.micros().unwrap_or(1_000_000);
    parse_number(text)
        .and_then(|value| to_micros(value, micros_per_unit))
        .ok_or_else(|| binding.bad(time_expectation(binding.unit), text))
}

/// An RFC 3339 time, or `YYYY-MM-DD HH:MM:SS[.fff]` (or with `T`) as UTC, in µs since the epoch.
fn parse_datetime(text: &str) -> Option<i64> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_micros());
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"].iter().find_map(|format| {
        chrono::NaiveDateTime::parse_from_str(text, format)
            .ok()
            .map(|time| time.and_utc().timestamp_micros())
    })
}

/// A count (or thousandths with the `milli` unit) in thousandths.
fn milli(value: f64, binding: &Binding) -> Result<u64, Bad> {
    let scale = if binding.unit == Unit::Milli { 1.0 } else { 1000.0 };
    round_u64(value * scale).ok_or_else(|| binding.bad("a count within range", &value.to_string()))
}

/// A size in the binding's unit, as a count of `target`-byte units, rounded to nearest.
fn scaled(value: f64, binding: &Binding, target: u64) -> Result<u64, Bad> {
    let bytes = binding.unit.bytes().unwrap_or(target);
    round_u64(value * (bytes as f64 / target as f64))
        .ok_or_else(|| binding.bad("a size within range", &value.to_string()))
}

/// Dependency names: a JSON list, or text split by the binding's separator.
fn dependencies(binding: &Binding, cell: Cell<'_>) -> Vec<String> {
    let names: Vec<Cow<'_, str>> = match cell {
        Cell::Absent => Vec::new(),
        Cell::List(items) => items,
        Cell::Text(text) => {
            let parts: Vec<&str> = match binding.unit {
                Unit::Space => text.split_whitespace().collect(),
                Unit::Comma => text.split(',').collect(),
                Unit::Pipe => text.split('|').collect(),
                _ => text.split(';').collect(),
            };
            parts.into_iter().map(|part| Cow::Owned(part.to_owned())).collect()
        }
    };
    names
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A status word (case-insensitive), with the synonyms schedulers use.
fn parse_status(text: &str) -> Option<JobStatus> {
    Some(match text.to_ascii_lowercase().as_str() {
        "completed" | "complete" | "succeeded" | "success" | "successful" | "terminated"
        | "finished" | "done" | "ok" => JobStatus::Completed,
        "failed" | "failure" | "fail" | "error" => JobStatus::Failed,
        "cancelled" | "canceled" | "killed" | "aborted" => JobStatus::Cancelled,
        "unknown" => JobStatus::Unknown,
        _ => return None,
    })
}

/// The notes every table import ends with: defaults taken and columns implied.
fn add_notes(plan: &Plan, ctx: &Ctx<'_>, tally: &Tally, builder: &mut TraceBuilder) {
    let notes = &mut builder.report.notes;
    let used = |field: Field| tally.seen.contains(&(field as usize));
    let implied: Vec<&str> = plan
        .bindings
        .iter()
        .flatten()
        .filter(|binding| !binding.explicit && used(binding.field))
        .map(|binding| binding.column.as_str())
        .collect();
    if !implied.is_empty() {
        notes.push(format!("columns read by their canonical names: {}", implied.join(", ")));
    }
    let relative = [plan.get(Field::Submit), plan.get(Field::End)]
        .into_iter()
        .flatten()
        .any(|binding| binding.unit != Unit::Datetime);
    if relative {
        notes.push(format!(
            "numeric times count from the origin {}",
            describe_time(ctx.options.origin)
        ));
    }
    if !used(Field::Vcpus) {
        notes.push("vcpus not mapped: every job asks for 1 vCPU".to_owned());
    } else if tally.vcpus_defaulted > 0 {
        notes.push(format!("{} rows have no vcpus value: 1 vCPU assumed", tally.vcpus_defaulted));
    }
    if !used(Field::Id) {
        notes.push("id not mapped: jobs are named by their 1-based row number".to_owned());
    }
    if let Some(first) = &tally.first_unknown_status {
        notes.push(format!(
            "{} rows have an unrecognised status (first: {first:?}): status unknown",
            tally.unknown_status
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;

    use engine::JobId;
    use proptest::prelude::*;

    use super::super::testutil::shared_path;
    use super::super::{Format, ImportOptions, gunzip_if_gzipped, import, import_reader};
    use super::*;
    use crate::trace::Trace;

    fn options(format: Format, map: Option<&str>) -> ImportOptions {
        ImportOptions { format, map: map.map(|m| m.parse().unwrap()), ..ImportOptions::default() }
    }

    fn csv(text: &str, map: Option<&str>) -> Result<Trace, TraceError> {
        let options = options(Format::Csv, map);
        import_reader(Cursor::new(text.as_bytes()), Path::new("t.csv"), &options)
    }

    fn json(text: &str, map: Option<&str>) -> Result<Trace, TraceError> {
        let options = options(Format::Json, map);
        import_reader(Cursor::new(text.as_bytes()), Path::new("t.json"), &options)
    }

    fn report(trace: &Trace) -> &crate::trace::ImportReport {
        trace.meta.import_report.as_ref().unwrap()
    }

    #[test]
    fn golden_fifo_100k() {
        let Some(path) = shared_path("golden/fifo-100k.csv.gz") else { return };
        let map = "submit=submit_s:seconds,runtime=runtime_s:seconds";
        let trace = import(&path, &options(Format::Csv, Some(map))).unwrap();
        assert_eq!(trace.jobs.len(), 100_000);
        let report = report(&trace);
        assert_eq!((report.rows_read, report.kept, report.dropped_total()), (100_000, 100_000, 0));
        assert_eq!(trace.jobs[0].submit, SimTime(1_020_060));
        assert_eq!(trace.jobs[0].runtime, SimDuration(2_279_596));
        assert_eq!(trace.jobs[0].resources.cpu_milli, 1000);
        assert!(report.notes.iter().any(|n| n == "vcpus not mapped: every job asks for 1 vCPU"));
        assert_eq!(trace.provenance[0].name, "1");
        assert_eq!(trace.provenance[0].source_row, 2);
    }

    const CANONICAL: &str = "\
id,submit,runtime,queue,user,vcpus,memory_mib,gpus,gpu_kind,requested_runtime,dependencies,output_bytes,status
a,1.020060287274801,2.2795955138465,batch,alice,2,1024,0.5,T4,60,,100,completed
b,1.3416843513497665,22.732756710310216,,bob,,,,,,a,,FAILED
c,2.6752770241578494,101.62557079187334,gpu,alice,0.25,2048,1,V100M16|V100M32,,a;b,0,cancelled
";

    const CANONICAL_JSONL: &str = r#"
{"id":"a","submit":1.020060287274801,"runtime":2.2795955138465,"queue":"batch","user":"alice","vcpus":2,"memory_mib":1024,"gpus":0.5,"gpu_kind":"T4","requested_runtime":60,"output_bytes":100,"status":"completed"}
{"id":"b","submit":"1.3416843513497665","runtime":22.732756710310216,"user":"bob","vcpus":null,"dependencies":"a","status":"FAILED"}

{"id":"c","submit":2.6752770241578494,"runtime":101.62557079187334,"queue":"gpu","user":"alice","vcpus":0.25,"memory_mib":2048,"gpus":1,"gpu_kind":"V100M16|V100M32","dependencies":["a","b"],"output_bytes":0,"status":"cancelled"}
"#;

    #[test]
    fn canonical_csv_default_mapping() {
        let trace = csv(CANONICAL, None).unwrap();
        assert_eq!(trace.jobs.len(), 3);
        let a = &trace.jobs[0];
        assert_eq!(a.submit, SimTime(1_020_060));
        assert_eq!(a.runtime, SimDuration(2_279_596));
        assert_eq!(a.requested_runtime, Some(SimDuration::from_secs(60)));
        assert_eq!(a.resources.cpu_milli, 2000);
        assert_eq!(a.resources.memory_mib, 1024);
        assert_eq!(a.resources.gpu_milli, 500);
        assert_eq!(a.resources.gpu_kind, Some(GpuKind("T4".into())));
        assert_eq!(a.output_bytes, 100);
        assert_eq!(a.status, JobStatus::Completed);
        let b = &trace.jobs[1];
        assert_eq!(b.resources.cpu_milli, 1000, "empty vcpus cell: 1 vCPU");
        assert_eq!(trace.queue_name(b.queue), "default");
        assert_eq!(b.status, JobStatus::Failed);
        assert_eq!(b.dependencies, [JobId(0)]);
        let c = &trace.jobs[2];
        assert_eq!(c.resources.cpu_milli, 250);
        assert_eq!(c.resources.gpu_kind, Some(GpuKind("V100M16|V100M32".into())));
        assert_eq!(c.dependencies, [JobId(0), JobId(1)]);
        assert_eq!(c.status, JobStatus::Cancelled);
        assert_eq!(trace.users, ["alice", "bob"]);
        let notes = &report(&trace).notes;
        assert!(
            notes.iter().any(|n| n == "1 rows have no vcpus value: 1 vCPU assumed"),
            "{notes:?}"
        );
        assert!(notes.iter().any(|n| n.starts_with("columns read by their canonical names: id,")));
    }

    #[test]
    fn json_lines_and_array_equal_csv() {
        let from_csv = csv(CANONICAL, None).unwrap();
        let from_lines = json(CANONICAL_JSONL, None).unwrap();
        // Same jobs, tables and report numbers; only the source name and rows differ.
        assert_eq!(from_lines.jobs, from_csv.jobs);
        assert_eq!(from_lines.queues, from_csv.queues);
        assert_eq!(from_lines.users, from_csv.users);
        let names = |t: &Trace| t.provenance.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&from_lines), names(&from_csv));
        assert_eq!(from_lines.provenance[2].source_row, 5, "line numbers count blank lines");
        let (r_csv, r_json) = (report(&from_csv), report(&from_lines));
        assert_eq!((r_json.rows_read, r_json.kept, r_json.edges_kept), (3, 3, 3));
        assert_eq!(r_json.notes, r_csv.notes);

        let objects: Vec<&str> =
            CANONICAL_JSONL.lines().filter(|line| !line.trim().is_empty()).collect();
        let array = format!("[\n{}\n]", objects.join(",\n"));
        let from_array = json(&array, None).unwrap();
        assert_eq!(from_array.jobs, from_csv.jobs);
        assert_eq!(from_array.provenance[2].source_row, 3, "array: record numbers");
    }

    #[test]
    fn units_end_datetime_and_origin() {
        let text = "\
name,start,stop,mins,mem,deps
x,2024-01-02 03:04:05,2024-01-02T03:05:05.5Z,1.5,2,
y,2024-01-02T03:04:06+01:00,2024-01-02 03:04:07.25,0,0.5,x y
";
        let map = "id=name,submit=start:datetime,end=stop:datetime,requested_runtime=mins:minutes,\
                   memory=mem:gib,dependencies=deps:space";
        let trace = csv(text, Some(map)).unwrap();
        let base = 1_704_164_645_000_000; // 2024-01-02T03:04:05Z
        // y is at 02:04:06Z (UTC+1), so it comes first.
        let y = &trace.jobs[0];
        assert_eq!(y.submit, SimTime(base - 3_599_000_000));
        assert_eq!(y.runtime, SimDuration(3_601_250_000));
        assert_eq!(y.requested_runtime, None, "0 minutes: unknown");
        assert_eq!(y.resources.memory_mib, 512);
        let x = &trace.jobs[1];
        assert_eq!(x.submit, SimTime(base));
        assert_eq!(x.runtime, SimDuration(60_500_000));
        assert_eq!(x.requested_runtime, Some(SimDuration(90_000_000)));
        assert_eq!(x.resources.memory_mib, 2048);
        // y depends on x, submitted later, and on itself: the builder drops both edges.
        assert_eq!(report(&trace).edges_dropped.values().sum::<u64>(), 2);

        let text = "t,r\n10,500\n-20,1000\n5,0\n";
        let mut options = options(Format::Csv, Some("submit=t:minutes,runtime=r:milliseconds"));
        options.origin = SimTime::from_secs(1_000);
        let trace = import_reader(Cursor::new(text), Path::new("t.csv"), &options).unwrap();
        assert_eq!(trace.jobs.len(), 1);
        assert_eq!(trace.jobs[0].submit, SimTime::from_secs(1_600));
        assert_eq!(trace.jobs[0].runtime, SimDuration(500_000));
        let report = report(&trace);
        assert_eq!(report.dropped["submit before time 0 (set --origin)"], 1);
        assert_eq!(report.dropped["runtime <= 0"], 1);
        assert_eq!(report.rows_read, 3);
        assert!(
            report.notes.iter().any(|n| n.contains("origin 1970-01-01T00:16:40Z")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn drops_for_negative_resources() {
        let text = "submit,runtime,vcpus,memory_mib,gpus,output_bytes
1,1,-1,,,
1,1,,-1,,
1,1,,,-0.5,
1,1,,,,-3
1,-1,,,,
1,1,1,1,1,1
";
        let trace = csv(text, None).unwrap();
        let report = report(&trace);
        assert_eq!(report.kept, 1);
        for reason in ["vcpus < 0", "memory < 0", "gpus < 0", "output_bytes < 0", "runtime <= 0"] {
            assert_eq!(report.dropped[reason], 1, "{reason}");
        }
        assert_eq!(report.rows_read, report.kept + report.dropped_total());
    }

    #[test]
    fn unparsable_cells_name_line_column_and_value() {
        let cases: [(&str, Option<&str>, &str); 8] = [
            (
                "submit,runtime\n1,2\nsoon,2\n",
                None,
                "t.csv:3: field `submit`: expected a number of seconds, found \"soon\"",
            ),
            (
                "s,r\n1,2\n1,2\n3,x\n",
                Some("submit=s,runtime=r"),
                "t.csv:4: field `r (runtime)`: expected a number of seconds, found \"x\"",
            ),
            (
                "submit,runtime,vcpus\n1,2,many\n",
                None,
                "t.csv:2: field `vcpus`: expected a number, found \"many\"",
            ),
            (
                "submit,runtime\n1,2\n5\n",
                None,
                "t.csv:3: field `runtime`: expected a cell in column 2",
            ),
            (
                "submit,runtime\n,2\n",
                None,
                "t.csv:2: field `submit`: expected a number of seconds, found \"\"",
            ),
            (
                "d,r\n2024-13-01 00:00:00,2\n",
                Some("submit=d:datetime,runtime=r"),
                "t.csv:2: field `d (submit)`: expected a date-time",
            ),
            (
                "submit,runtime\n1e400,2\n",
                None,
                "t.csv:2: field `submit`: expected a number of seconds, found \"1e400\"",
            ),
            (
                "submit,runtime,memory_mib\n1,2,1e30\n",
                None,
                "t.csv:2: field `memory_mib (memory)`: expected a size within range",
            ),
        ];
        for (text, map, message) in cases {
            let error = csv(text, map).unwrap_err();
            assert!(matches!(error, TraceError::Parse { .. }), "{error:?}");
            let error = error.to_string();
            assert!(error.contains(message), "{error}\nwanted: {message}");

            let mut skip = options(Format::Csv, map);
            skip.skip_malformed = true;
            let trace = import_reader(Cursor::new(text), Path::new("t.csv"), &skip).unwrap();
            let report = report(&trace);
            assert_eq!(report.rows_read, report.kept + report.dropped_total());
            assert!(report.dropped.keys().any(|k| k.starts_with("malformed: ")), "{report:?}");
        }

        let bytes: &[u8] = b"submit,runtime\n1,\xff\n";
        let error =
            import_reader(Cursor::new(bytes), Path::new("t.csv"), &options(Format::Csv, None));
        let error = error.unwrap_err().to_string();
        assert!(error.contains("t.csv:2: field `runtime`: expected UTF-8 text"), "{error}");
    }

    #[test]
    fn json_errors_name_line_and_key() {
        let cases: [(&str, Option<&str>, &str); 5] = [
            (
                "{\"submit\":1,\"runtime\":2}\n{\"submit\":\"x\",\"runtime\":2}\n",
                None,
                "t.json:2: field `submit`: expected a number of seconds, found \"x\"",
            ),
            (
                "{\"submit\":1,\"runtime\":2}\n\n{\"submit\":1,\n",
                None,
                "t.json:3: field `JSON`: expected one JSON object per line",
            ),
            (
                "{\"submit\":1,\"runtime\":2}\n[1,2]\n",
                None,
                "t.json:2: field `record`: expected a JSON object, found \"[1,2]\"",
            ),
            (
                "{\"submit\":1,\"runtime\":2}\n{\"submit\":1}\n",
                None,
                "t.json:2: field `runtime`: expected a number of seconds, found \"\"",
            ),
            (
                "{\"submit\":1,\"runtime\":2,\"q\":[\"a\"]}\n",
                Some("submit=submit,runtime=runtime,queue=q"),
                "t.json:1: field `q (queue)`: expected a single value, found \"a list of 1\"",
            ),
        ];
        for (text, map, message) in cases {
            let error = json(text, map).unwrap_err();
            assert!(matches!(error, TraceError::Parse { .. }), "{error:?}");
            let error = error.to_string();
            assert!(error.contains(message), "{error}\nwanted: {message}");
        }
        let error = json("[{\"submit\":1,\"runtime\":2},\n{\"submit\" 1}]", None).unwrap_err();
        let error = error.to_string();
        assert!(
            error.starts_with("t.json:2: field `JSON`: expected a JSON array of objects"),
            "{error}"
        );
    }

    #[test]
    fn skipped_json_lines_share_one_reason() {
        let text = "{\"submit\":1,\"runtime\":2}\n{\"submit\":\n{oops}\n[1]\n";
        let mut options = options(Format::Json, None);
        options.skip_malformed = true;
        let trace = import_reader(Cursor::new(text), Path::new("t.json"), &options).unwrap();
        let report = report(&trace);
        assert_eq!((report.rows_read, report.kept), (4, 1));
        assert_eq!(report.dropped["malformed: JSON: expected one JSON object per line"], 2);
        assert_eq!(report.dropped["malformed: record: expected a JSON object"], 1);
        // Without skipping, the parser's own message is in the error.
        let error = json(text, None).unwrap_err().to_string();
        assert!(error.contains("t.json:2: field `JSON`: expected one JSON object per line (EOF"));
    }

    #[test]
    fn missing_columns_are_format_errors_listing_the_header() {
        let cases: [(&str, Option<&str>, &str); 4] = [
            (
                "a,b\n1,2\n",
                Some("submit=s,runtime=b"),
                "mapped column `s` (field submit) is not in the header; the header has columns: a, b",
            ),
            (
                "a,b\n1,2\n",
                None,
                "no submit column: name one with --map submit=COLUMN:UNIT; the header has columns: a, b",
            ),
            ("submit,b\n1,2\n", None, "no runtime column"),
            ("", None, "empty file"),
        ];
        for (text, map, message) in cases {
            let error = csv(text, map).unwrap_err();
            assert!(matches!(error, TraceError::Format { .. }), "{error:?}");
            let error = error.to_string();
            assert!(error.contains(message), "{error}\nwanted: {message}");
        }
        let error = json("{\"t\":1,\"r\":2}\n", Some("submit=t,runtime=run")).unwrap_err();
        let error = error.to_string();
        assert!(
            error.contains(
                "mapped key `run` (field runtime) is not in the first record, which has keys: r, t"
            ),
            "{error}"
        );
        let error = json("{\"t\":1,\"r\":2}\n", Some("submit=t,runtime=r,user=u")).unwrap_err();
        assert!(
            error.to_string().contains("mapped key `u` (field user) is in no record"),
            "{error}"
        );
        let error = json("{\"t\":1,\"r\":2}\n", None).unwrap_err().to_string();
        assert!(
            error.contains("no submit column") || error.contains("default key `submit`"),
            "{error}"
        );
    }

    #[test]
    fn unrecognised_status_is_unknown_with_a_note() {
        let trace = csv("submit,runtime,status\n1,1,weird\n2,1,ok\n", None).unwrap();
        assert_eq!(trace.jobs[0].status, JobStatus::Unknown);
        assert_eq!(trace.jobs[1].status, JobStatus::Completed);
        let notes = &report(&trace).notes;
        assert!(
            notes
                .iter()
                .any(|n| n.contains("1 rows have an unrecognised status (first: \"weird\")"))
        );
    }

    fn import_bytes(bytes: &[u8], format: Format, skip: bool) -> Result<Trace, TraceError> {
        let mut options = options(format, None);
        options.skip_malformed = skip;
        let reader = gunzip_if_gzipped(Cursor::new(bytes)).map_err(|e| TraceError::io("x", e))?;
        import_reader(reader, Path::new("fuzz"), &options)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                                       skip in any::<bool>()) {
            let _ = import_bytes(&bytes, Format::Csv, skip);
            let _ = import_bytes(&bytes, Format::Json, skip);
        }

        #[test]
        fn truncations_never_panic(cut in 0..CANONICAL.len(), skip in any::<bool>()) {
            let _ = import_bytes(&CANONICAL.as_bytes()[..cut], Format::Csv, skip);
            let gz = gzip(CANONICAL.as_bytes());
            let _ = import_bytes(&gz[..cut * gz.len() / CANONICAL.len()], Format::Csv, skip);
            let cut = cut * CANONICAL_JSONL.len() / CANONICAL.len();
            let _ = import_bytes(&CANONICAL_JSONL.as_bytes()[..cut], Format::Json, skip);
        }

        #[test]
        fn line_mutations_never_panic(
            line in 0..8_usize,
            replacement in "[ -~\t]{0,160}",
            skip in any::<bool>(),
        ) {
            for (text, format) in [(CANONICAL, Format::Csv), (CANONICAL_JSONL, Format::Json)] {
                let mut lines: Vec<&str> = text.lines().collect();
                let index = line % lines.len();
                lines[index] = &replacement;
                let text = lines.join("\n");
                if let Ok(trace) = import_bytes(text.as_bytes(), format, skip) {
                    let report = trace.meta.import_report.unwrap();
                    prop_assert_eq!(report.rows_read, report.kept + report.dropped_total());
                }
            }
        }

        #[test]
        fn cell_mutations_never_panic(
            column in 0..13_usize,
            value in prop_oneof![
                any::<f64>().prop_map(|v| v.to_string()),
                any::<i64>().prop_map(|v| v.to_string()),
                "[0-9:. TZ+-]{0,30}",
                Just("1e308".to_owned()),
                Just("-9223372036854775808".to_owned()),
            ],
            unit in 0..6_usize,
        ) {
            let header = CANONICAL.lines().next().unwrap();
            let mut cells = vec!["1"; 13];
            cells[column] = &value;
            let text = format!("{header}\n{}\n", cells.join(","));
            let units = ["seconds", "minutes", "hours", "milliseconds", "microseconds", "datetime"];
            let map = format!("submit=submit:{},runtime=runtime:{}", units[unit], units[unit % 5]);
            let options = options(Format::Csv, Some(&map));
            let _ = import_reader(Cursor::new(text.as_bytes()), Path::new("f.csv"), &options);
        }
    }
}
