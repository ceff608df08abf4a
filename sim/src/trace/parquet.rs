//! The canonical trace on disk: one Parquet row per job (DESIGN §4).
//!
//! | column | Arrow type | meaning |
//! |---|---|---|
//! | `id` | UInt64 | dense job id = row index, submit order |
//! | `name` | Utf8 | the job's id in its source (provenance) |
//! | `submit` | Timestamp(µs, UTC) | submit time |
//! | `runtime` | Duration(µs) | run time |
//! | `requested_runtime` | Duration(µs), nullable | the user's walltime estimate |
//! | `queue` | Utf8 | queue name |
//! | `user` | Utf8 | user name |
//! | `vcpus` | Float64 | vCPUs (fractions allowed; stored exactly as milli-vCPUs / 1000) |
//! | `memory_mib` | UInt64 | memory, MiB |
//! | `gpus` | Float64 | GPUs (fractions allowed, as above) |
//! | `gpu_kind` | Utf8, nullable | GPU model |
//! | `dependencies` | List(UInt64) | ids of the jobs this one waits for |
//! | `output_bytes` | UInt64 | output size |
//! | `status` | Utf8 | recorded outcome: completed, failed, cancelled, unknown |
//! | `source_row` | UInt64 | line or record number in the source file |
//!
//! File metadata (key-value) holds `shardcast.trace.version` (= 1), `shardcast.source`,
//! `shardcast.format`, `shardcast.origin_us`, `shardcast.timezone` and `shardcast.import_report` (JSON).
//!
//! pandas reads `submit` as `datetime64[us, UTC]` and `runtime` as `timedelta64[us]`. Reading
//! accepts any file with these column names whose types cast to the ones above, so a file
//! written by pandas or polars (nanosecond timestamps, signed integers) reads too. Only
//! `submit` and `runtime` are required: an absent column takes its default (queue `default`,
//! 1 vCPU, no GPUs, no dependencies, unknown user and status), noted in the import report.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, DurationMicrosecondArray, Float64Array, ListArray, ListBuilder, RecordBatch,
    StringArray, TimestampMicrosecondArray, UInt64Array, UInt64Builder, new_null_array,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use engine::{GpuKind, Job, JobId, JobStatus, QueueId, Resources, SimDuration, SimTime, UserId};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::{ImportReport, Provenance, Trace, TraceError, TraceMeta, intern};

/// The version of the schema above, written to every file.
pub const SCHEMA_VERSION: &str = "1";
/// Columns a file must have; every other column may be absent and then takes its default.
const REQUIRED_COLUMNS: &[&str] = &["submit", "runtime"];
/// Rows per record batch and row group when writing.
const BATCH_ROWS: usize = 128 * 1024;

/// The Arrow schema of a canonical trace.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::UInt64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("submit", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new("runtime", DataType::Duration(TimeUnit::Microsecond), false),
        Field::new("requested_runtime", DataType::Duration(TimeUnit::Microsecond), true),
        Field::new("queue", DataType::Utf8, false),
        Field::new("user", DataType::Utf8, false),
        Field::new("vcpus", DataType::Float64, false),
        Field::new("memory_mib", DataType::UInt64, false),
        Field::new("gpus", DataType::Float64, false),
        Field::new("gpu_kind", DataType::Utf8, true),
        Field::new(
            "dependencies",
            DataType::List(Arc::new(Field::new("item", DataType::UInt64, true))),
            false,
        ),
        Field::new("output_bytes", DataType::UInt64, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("source_row", DataType::UInt64, false),
    ]))
}

/// Write `trace` to `path` as Parquet (snappy).
pub fn write(trace: &Trace, path: &Path) -> Result<(), TraceError> {
    let pq_err = |e: &dyn std::fmt::Display| TraceError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let file = File::create(path).map_err(|e| TraceError::io(path, e))?;
    let mut metadata = vec![
        KeyValue::new("shardcast.trace.version".into(), SCHEMA_VERSION.to_owned()),
        KeyValue::new("shardcast.source".into(), trace.meta.source.clone()),
        KeyValue::new("shardcast.format".into(), trace.meta.format.clone()),
    ];
    metadata.push(KeyValue::new("shardcast.origin_us".into(), trace.meta.origin.0.to_string()));
    if let Some(tz) = &trace.meta.timezone {
        metadata.push(KeyValue::new("shardcast.timezone".into(), tz.clone()));
    }
    if let Some(report) = &trace.meta.import_report {
        let json = serde_json::to_string(report).map_err(|e| pq_err(&e))?;
        metadata.push(KeyValue::new("shardcast.import_report".into(), json));
    }
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(BATCH_ROWS))
        .set_key_value_metadata(Some(metadata))
        .build();
    let schema = schema();
    let mut writer =
        ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| pq_err(&e))?;
    for start in (0..trace.jobs.len()).step_by(BATCH_ROWS).chain(
        // An empty trace still gets a (schema-only) file.
        (trace.jobs.is_empty()).then_some(0),
    ) {
        let end = (start + BATCH_ROWS).min(trace.jobs.len());
        let batch = to_batch(trace, start..end, &schema).map_err(|e| pq_err(&e))?;
        if batch.num_rows() > 0 {
            writer.write(&batch).map_err(|e| pq_err(&e))?;
        }
    }
    writer.close().map_err(|e| pq_err(&e))?;
    Ok(())
}

fn to_batch(
    trace: &Trace,
    rows: std::ops::Range<usize>,
    schema: &SchemaRef,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let jobs = &trace.jobs[rows.clone()];
    let provenance = &trace.provenance[rows];
    let mut dependencies = ListBuilder::new(UInt64Builder::new());
    for job in jobs {
        dependencies
            .values()
            .append_slice(&job.dependencies.iter().map(|d| d.0).collect::<Vec<_>>());
        dependencies.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(jobs.iter().map(|j| j.id.0))),
        Arc::new(StringArray::from_iter_values(provenance.iter().map(|p| p.name.as_str()))),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(jobs.iter().map(|j| j.submit.0 as i64))
                .with_timezone("UTC"),
        ),
        Arc::new(DurationMicrosecondArray::from_iter_values(
            jobs.iter().map(|j| j.runtime.0 as i64),
        )),
        Arc::new(DurationMicrosecondArray::from_iter(
            jobs.iter().map(|j| j.requested_runtime.map(|d| d.0 as i64)),
        )),
        Arc::new(StringArray::from_iter_values(jobs.iter().map(|j| trace.queue_name(j.queue)))),
        Arc::new(StringArray::from_iter_values(
            jobs.iter().map(|j| trace.users[j.user.index()].as_str()),
        )),
        Arc::new(Float64Array::from_iter_values(jobs.iter().map(|j| j.resources.vcpus()))),
        Arc::new(UInt64Array::from_iter_values(jobs.iter().map(|j| j.resources.memory_mib))),
        Arc::new(Float64Array::from_iter_values(jobs.iter().map(|j| j.resources.gpus()))),
        Arc::new(StringArray::from_iter(
            jobs.iter().map(|j| j.resources.gpu_kind.as_ref().map(|k| k.0.as_str())),
        )),
        Arc::new(dependencies.finish()),
        Arc::new(UInt64Array::from_iter_values(jobs.iter().map(|j| j.output_bytes))),
        Arc::new(StringArray::from_iter_values(jobs.iter().map(|j| j.status.as_str()))),
        Arc::new(UInt64Array::from_iter_values(provenance.iter().map(|p| p.source_row))),
    ];
    RecordBatch::try_new(schema.clone(), columns)
}

/// Read a canonical trace from `path`.
///
/// Checks what the schema promises: ids are 0, 1, 2, … in row order, submit times never
/// decrease, and dependencies point to earlier jobs. A file that breaks a promise is refused
/// with the row and column, because replaying it would give wrong answers quietly.
pub fn read(path: &Path) -> Result<Trace, TraceError> {
    let pq_err = |e: &dyn std::fmt::Display| TraceError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(|e| TraceError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| pq_err(&e))?;
    let mut meta = TraceMeta::default();
    if let Some(kvs) = builder.metadata().file_metadata().key_value_metadata() {
        for kv in kvs {
            let value = kv.value.clone().unwrap_or_default();
            match kv.key.as_str() {
                "shardcast.source" => meta.source = value,
                "shardcast.format" => meta.format = value,
                "shardcast.timezone" => meta.timezone = Some(value),
                "shardcast.origin_us" => {
                    meta.origin = SimTime(value.parse().map_err(|_| TraceError::Format {
                        path: path.to_owned(),
                        message: format!(
                            "metadata shardcast.origin_us is not an integer: {value:?}"
                        ),
                    })?);
                }
                "shardcast.import_report" => {
                    meta.import_report = serde_json::from_str::<ImportReport>(&value).ok();
                }
                _ => {}
            }
        }
    }
    if meta.source.is_empty() {
        meta.source = path.display().to_string();
    }
    if meta.format.is_empty() {
        meta.format = "parquet".into();
    }
    let reader = builder.with_batch_size(BATCH_ROWS).build().map_err(|e| pq_err(&e))?;

    let mut reading = Reading::new(path, meta);
    for batch in reader {
        let batch = batch.map_err(|e| pq_err(&e))?;
        reading.add_batch(&batch)?;
    }
    Ok(reading.finish())
}

/// The state of a read in progress: the trace so far and the name tables.
struct Reading<'p> {
    path: &'p Path,
    trace: Trace,
    queue_ids: std::collections::BTreeMap<String, QueueId>,
    user_ids: std::collections::BTreeMap<String, UserId>,
    /// Optional columns the file does not have.
    absent: Vec<String>,
}

impl<'p> Reading<'p> {
    fn new(path: &'p Path, meta: TraceMeta) -> Reading<'p> {
        Reading {
            path,
            trace: Trace {
                jobs: Vec::new(),
                provenance: Vec::new(),
                queues: Vec::new(),
                users: Vec::new(),
                meta,
            },
            queue_ids: Default::default(),
            user_ids: Default::default(),
            absent: Vec::new(),
        }
    }

    /// The column `name` of `batch`, cast to the canonical type `want`.
    fn column(
        &self,
        batch: &RecordBatch,
        name: &str,
        want: &DataType,
    ) -> Result<ArrayRef, TraceError> {
        let column = batch.column_by_name(name).ok_or_else(|| TraceError::Format {
            path: self.path.to_owned(),
            message: format!(
                "column `{name}` is missing; a canonical trace has columns {}",
                schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?;
        let cast_column = cast(column, want).map_err(|e| TraceError::Format {
            path: self.path.to_owned(),
            message: format!(
                "column `{name}` has type {}, which does not convert to {want}: {e}",
                column.data_type()
            ),
        })?;
        Ok(cast_column)
    }

    fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), TraceError> {
        let want = schema();
        let mut cols = Vec::with_capacity(want.fields().len());
        for field in want.fields() {
            let name = field.name().as_str();
            if batch.column_by_name(name).is_none() && !REQUIRED_COLUMNS.contains(&name) {
                // Files written by other tools may leave optional columns out: read them as
                // nulls, which mean the documented defaults, and say so once.
                if !self.absent.iter().any(|a| a == name) {
                    self.absent.push(name.to_owned());
                }
                cols.push(Some(new_null_array(field.data_type(), batch.num_rows())));
                continue;
            }
            let want_type = match (name, batch.column_by_name(name).map(|c| c.data_type())) {
                // Arrow timestamps are instants since the epoch whatever their zone: convert the
                // unit only and keep the zone (a cast between zones would shift wall clocks, and
                // naive timestamps are read as UTC).
                ("submit", Some(DataType::Timestamp(_, zone))) => {
                    DataType::Timestamp(TimeUnit::Microsecond, zone.clone())
                }
                _ => field.data_type().clone(),
            };
            cols.push(Some(self.column(batch, name, &want_type)?));
        }
        let get = |i: usize| cols[i].as_ref();
        let u64s = |i: usize| get(i).and_then(|c| c.as_any().downcast_ref::<UInt64Array>());
        let strs = |i: usize| get(i).and_then(|c| c.as_any().downcast_ref::<StringArray>());
        let f64s = |i: usize| get(i).and_then(|c| c.as_any().downcast_ref::<Float64Array>());
        let durs =
            |i: usize| get(i).and_then(|c| c.as_any().downcast_ref::<DurationMicrosecondArray>());
        let (ids, names, source_rows) = (u64s(0), strs(1), u64s(14));
        let submit = get(2).and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>());
        let (runtime, requested) = (durs(3), durs(4));
        let (queue, user, vcpus, memory) = (strs(5), strs(6), f64s(7), u64s(8));
        let (gpus, gpu_kind, output, status) = (f64s(9), strs(10), u64s(12), strs(13));
        let deps = get(11).and_then(|c| c.as_any().downcast_ref::<ListArray>());
        let (
            Some(submit),
            Some(runtime),
            Some(requested),
            Some(queue),
            Some(user),
            Some(vcpus),
            Some(memory),
            Some(gpus),
            Some(gpu_kind),
            Some(deps),
            Some(output),
            Some(status),
        ) = (
            submit, runtime, requested, queue, user, vcpus, memory, gpus, gpu_kind, deps, output,
            status,
        )
        else {
            return Err(TraceError::Format {
                path: self.path.to_owned(),
                message: "columns did not convert to the canonical types".into(),
            });
        };

        for row in 0..batch.num_rows() {
            let index = self.trace.jobs.len() as u64;
            let bad = |column: &str, expected: &str, found: String| {
                TraceError::parse(self.path, index + 1, column, expected, &found)
            };
            for (name, array) in
                [("submit", submit.is_null(row)), ("runtime", runtime.is_null(row))]
            {
                if array {
                    return Err(bad(name, "a value", "null".into()));
                }
            }
            if let Some(ids) = ids
                && !ids.is_null(row)
                && ids.value(row) != index
            {
                return Err(bad(
                    "id",
                    &format!("{index} (ids are row numbers)"),
                    ids.value(row).to_string(),
                ));
            }
            let submit_us = submit.value(row);
            let submit_time = u64::try_from(submit_us)
                .map_err(|_| bad("submit", "a time after 1970-01-01", submit_us.to_string()))?;
            if self.trace.jobs.last().is_some_and(|prev| prev.submit.0 > submit_time) {
                return Err(bad("submit", "rows sorted by submit time", submit_us.to_string()));
            }
            let runtime_us = u64::try_from(runtime.value(row))
                .map_err(|_| bad("runtime", "a duration >= 0", runtime.value(row).to_string()))?;
            let requested_runtime = if requested.is_null(row) {
                None
            } else {
                Some(SimDuration(u64::try_from(requested.value(row)).map_err(|_| {
                    bad("requested_runtime", "a duration >= 0", requested.value(row).to_string())
                })?))
            };
            let milli = |column: &str, value: f64| -> Result<u64, TraceError> {
                let m = (value * 1000.0).round();
                if m.is_finite() && m >= 0.0 && m < u64::MAX as f64 {
                    Ok(m as u64)
                } else {
                    Err(bad(column, "a number >= 0", value.to_string()))
                }
            };
            let dependencies: Vec<JobId> = if deps.is_null(row) {
                Vec::new()
            } else {
                let list = deps.value(row);
                let Some(list) = list.as_any().downcast_ref::<UInt64Array>() else {
                    return Err(bad("dependencies", "a list of job ids", "other".into()));
                };
                let mut out = Vec::with_capacity(list.len());
                for parent in list.iter().flatten() {
                    if parent >= index {
                        return Err(bad("dependencies", "ids of earlier rows", parent.to_string()));
                    }
                    out.push(JobId(parent));
                }
                out
            };
            let queue_name = if queue.is_null(row) { "default" } else { queue.value(row) };
            let queue = intern(&mut self.queue_ids, &mut self.trace.queues, queue_name, QueueId);
            let user_name = if user.is_null(row) { "unknown" } else { user.value(row) };
            let user = intern(&mut self.user_ids, &mut self.trace.users, user_name, UserId);
            let status_name = if status.is_null(row) { "unknown" } else { status.value(row) };
            let status = JobStatus::parse(status_name).ok_or_else(|| {
                bad("status", "completed, failed, cancelled or unknown", status_name.into())
            })?;
            self.trace.jobs.push(Job {
                id: JobId(index),
                submit: SimTime(submit_time),
                runtime: SimDuration(runtime_us),
                requested_runtime,
                queue,
                user,
                resources: Resources {
                    cpu_milli: if vcpus.is_null(row) {
                        1000
                    } else {
                        milli("vcpus", vcpus.value(row))?
                    },
                    memory_mib: if memory.is_null(row) { 0 } else { memory.value(row) },
                    gpu_milli: if gpus.is_null(row) { 0 } else { milli("gpus", gpus.value(row))? },
                    gpu_kind: (!gpu_kind.is_null(row))
                        .then(|| GpuKind(gpu_kind.value(row).to_owned())),
                },
                dependencies,
                output_bytes: if output.is_null(row) { 0 } else { output.value(row) },
                status,
            });
            self.trace.provenance.push(Provenance {
                name: names
                    .filter(|n| !n.is_null(row))
                    .map_or_else(|| index.to_string(), |n| n.value(row).to_owned()),
                source_row: source_rows
                    .filter(|r| !r.is_null(row))
                    .map_or(index + 1, |r| r.value(row)),
            });
        }
        Ok(())
    }

    fn finish(mut self) -> Trace {
        if !self.absent.is_empty() {
            let jobs = self.trace.jobs.len() as u64;
            let report = self.trace.meta.import_report.get_or_insert_with(|| ImportReport {
                rows_read: jobs,
                kept: jobs,
                ..ImportReport::default()
            });
            report.notes.push(format!(
                "columns absent, defaults used: {} (queue `default`, 1 vCPU, unknown user and \
                 status, no GPUs, dependencies or output)",
                self.absent.join(", ")
            ));
        }
        self.trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{RawJob, TraceBuilder};
    use arrow::array::{DurationNanosecondArray, Int64Array, TimestampNanosecondArray};

    /// Write a batch of arbitrary columns, as another tool would.
    fn write_foreign(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let mut writer =
            ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn every_field_survives_a_round_trip() {
        let mut builder = TraceBuilder::new("unit", "test");
        builder.set_origin(SimTime::from_secs(100));
        builder.set_timezone(Some("Europe/Stockholm".into()));
        builder.push(RawJob {
            name: "a".into(),
            submit: SimTime::from_secs(100),
            runtime: SimDuration(1_500_001),
            requested_runtime: Some(SimDuration::from_secs(3600)),
            queue: "gpu".into(),
            user: "ann".into(),
            resources: Resources {
                cpu_milli: 500,
                memory_mib: 12_288,
                gpu_milli: 460,
                gpu_kind: Some(GpuKind("V100M16|V100M32".into())),
            },
            status: JobStatus::Failed,
            source_row: 7,
            ..RawJob::default()
        });
        builder.push(RawJob {
            name: "b".into(),
            submit: SimTime::from_secs(101),
            runtime: SimDuration(1),
            depends_on: vec!["a".into()],
            output_bytes: 1 << 40,
            source_row: 9,
            ..RawJob::default()
        });
        let trace = builder.finish();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write(&trace, &path).unwrap();
        assert_eq!(read(&path).unwrap(), trace);
    }

    #[test]
    fn a_foreign_file_needs_only_submit_and_runtime() {
        // As pandas writes by default: nanosecond timestamp and duration, signed integers.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pandas.parquet");
        write_foreign(
            &path,
            vec![
                (
                    "submit",
                    Arc::new(TimestampNanosecondArray::from(vec![5_000_000_000, 6_000_000_000]))
                        as ArrayRef,
                ),
                ("runtime", Arc::new(DurationNanosecondArray::from(vec![30_000_000_000, 1_000]))),
                ("vcpus", Arc::new(Int64Array::from(vec![2, 4]))),
            ],
        );
        let trace = read(&path).unwrap();
        assert_eq!(trace.jobs.len(), 2);
        assert_eq!(trace.jobs[0].submit, SimTime::from_secs(5));
        assert_eq!(trace.jobs[1].runtime, SimDuration(1));
        assert_eq!(trace.jobs[1].resources.cpu_milli, 4000);
        assert_eq!(trace.queues, ["default"]);
        assert_eq!(trace.provenance[1], Provenance { name: "1".into(), source_row: 2 });
        let notes = &trace.meta.import_report.unwrap().notes;
        assert!(notes[0].contains("queue, user"), "{notes:?}");
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        write_foreign(&path, vec![("submit", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]);
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("column `runtime` is missing"), "{err}");
    }

    #[test]
    fn unsorted_rows_are_refused_with_their_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        write_foreign(
            &path,
            vec![
                ("submit", Arc::new(TimestampMicrosecondArray::from(vec![2, 1])) as ArrayRef),
                ("runtime", Arc::new(DurationMicrosecondArray::from(vec![1, 1]))),
            ],
        );
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("x.parquet:2: field `submit`: expected rows sorted"), "{err}");
    }
}
