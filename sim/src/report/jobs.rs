//! `jobs.parquet`: one row per job of a run, for pandas and polars.
//!
//! Columns (times are UTC timestamps in microseconds, nullable where a job never started):
//! `job` (u64, its index in the replayed trace), `queue`, `submit`, `first_start` (its first
//! attempt), `start` (its last attempt, the one that completed), `end`, `wait_s` (first start −
//! ready: the submit time, or the end of the last job it depends on if later), `end_state` (`completed`, `failed`, `cancelled`, `rejected`), `reason` (why it
//! failed or was rejected), `attempts`, and on cloud platforms `shard` (its shard's offer,
//! `provider/region/type`), where its first instance was (`provider`, `region`,
//! `instance_type`: a fallback's may differ from the shard's), `option` (`on_demand`, `spot`,
//! `reserved`), `cost_usd` and
//! `cost_micro_usd` (the exact integer amount; `cost_usd` is it divided by 10⁶).
//!
//! Rows are in job order and the file is a pure function of the run, so it is byte-identical
//! across runs of the same scenario and seed.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
    UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use engine::cloud::Catalog;

use crate::platform::RunOutcome;
use crate::platform::cloud::CloudJob;
use crate::trace::Trace;

/// Why `jobs.parquet` could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write the jobs table: {message}")]
pub struct JobsTableError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Everything a `jobs.parquet` row is made from.
#[derive(Clone, Copy)]
pub struct JobsTable<'a> {
    /// The replayed trace.
    pub trace: &'a Trace,
    /// Its outcome.
    pub outcome: &'a RunOutcome,
    /// Cloud placements and costs, with their catalog, on cloud platforms.
    pub cloud: Option<(&'a Catalog, &'a [CloudJob])>,
}

impl JobsTable<'_> {
    /// The table as one Arrow batch.
    pub fn to_batch(&self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let trace = self.trace;
        let outcome = &self.outcome.jobs;
        let n = trace.jobs.len();
        let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let mut fields = vec![
            Field::new("job", DataType::UInt64, false),
            Field::new("queue", DataType::Utf8, false),
            Field::new("submit", ts(), false),
            Field::new("first_start", ts(), true),
            Field::new("start", ts(), true),
            Field::new("end", ts(), false),
            Field::new("wait_s", DataType::Float64, true),
            Field::new("end_state", DataType::Utf8, false),
            Field::new("reason", DataType::Utf8, true),
            Field::new("attempts", DataType::UInt32, false),
        ];
        let micros = |t: engine::SimTime| i64::try_from(t.0).unwrap_or(i64::MAX);
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(UInt64Array::from_iter_values(trace.jobs.iter().map(|j| j.id.0))),
            Arc::new(StringArray::from_iter_values(
                trace
                    .jobs
                    .iter()
                    .map(|j| trace.queues.get(j.queue.0 as usize).map_or("", String::as_str)),
            )),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(
                    trace.jobs.iter().map(|j| micros(j.submit)),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(
                TimestampMicrosecondArray::from(
                    outcome.iter().map(|o| o.first_start.map(micros)).collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(
                TimestampMicrosecondArray::from(
                    outcome.iter().map(|o| o.start.map(micros)).collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(outcome.iter().map(|o| micros(o.end)))
                    .with_timezone("UTC"),
            ),
            Arc::new(Float64Array::from(
                trace
                    .jobs
                    .iter()
                    .zip(outcome)
                    .map(|(_, o)| o.wait().map(|w| w.as_secs_f64()))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from_iter_values(outcome.iter().map(|o| o.state.as_str()))),
            Arc::new(StringArray::from(outcome.iter().map(|o| o.reason).collect::<Vec<_>>())),
        ];
        let attempts: Vec<u32> = match self.cloud {
            Some((_, jobs)) => jobs.iter().map(|j| j.attempts).collect(),
            None => outcome.iter().map(|o| u32::from(o.start.is_some())).collect(),
        };
        columns.push(Arc::new(UInt32Array::from(attempts)));
        if let Some((catalog, jobs)) = self.cloud {
            let mut shard = Vec::with_capacity(n);
            let mut provider = Vec::with_capacity(n);
            let mut region = Vec::with_capacity(n);
            let mut itype = Vec::with_capacity(n);
            let mut option = Vec::with_capacity(n);
            for j in jobs {
                match j.placement {
                    Some(p) => {
                        shard.push(Some(super::shard_name(catalog.offer(p.shard))));
                        let (o, opt) = (catalog.offer(p.offer), p.option);
                        provider.push(Some(o.cloud.as_str().to_owned()));
                        region.push(Some(o.region.clone()));
                        itype.push(Some(o.instance_type.clone()));
                        option.push(Some(opt.as_str()));
                    }
                    None => {
                        shard.push(None);
                        provider.push(None);
                        region.push(None);
                        itype.push(None);
                        option.push(None);
                    }
                }
            }
            for name in ["shard", "provider", "region", "instance_type", "option"] {
                fields.push(Field::new(name, DataType::Utf8, true));
            }
            columns.push(Arc::new(StringArray::from(shard)));
            columns.push(Arc::new(StringArray::from(provider)));
            columns.push(Arc::new(StringArray::from(region)));
            columns.push(Arc::new(StringArray::from(itype)));
            columns.push(Arc::new(StringArray::from(option)));
            fields.push(Field::new("cost_usd", DataType::Float64, false));
            fields.push(Field::new("cost_micro_usd", DataType::Int64, false));
            columns.push(Arc::new(Float64Array::from_iter_values(
                jobs.iter().map(|j| j.cost.as_usd()),
            )));
            columns.push(Arc::new(Int64Array::from_iter_values(jobs.iter().map(|j| j.cost.0))));
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
    }

    /// Writes the table to `path` (Parquet, Snappy).
    pub fn write(&self, path: &Path) -> Result<(), JobsTableError> {
        let err = |e: &dyn std::fmt::Display| JobsTableError {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let batch = self.to_batch().map_err(|e| err(&e))?;
        crate::table::write_parquet(&batch, path).map_err(|e| err(&e))?;
        Ok(())
    }
}
