//! `timeline.parquet`: every shard of a cloud run, sampled hourly.
//!
//! One row per (sampled instant, shard) where the shard held instances or queued jobs, in time
//! then shard order: `at` (UTC timestamp, µs), `shard` (`provider/region/type`), `provider`,
//! `region`, `instance_type`, instances held by purchase option (`on_demand`, `spot`,
//! `reserved`) and `booting`, booted capacity and what of it is busy (`vcpus_total`,
//! `vcpus_busy`, `gpus_total`, `gpus_busy`), jobs `queued` and `running`, and
//! `rate_usd_per_h`, the list-price rate of the instances held (on-demand price for on-demand
//! and reserved instances, the catalog's spot price for spot; the bill itself is in
//! `summary.json`). The sample at `t` is the state just before the events at `t`.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array,
    UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use engine::cloud::Catalog;

use super::jobs::JobsTableError;
use crate::platform::cloud::TimelineRow;

/// The timeline as one Arrow batch.
pub fn to_batch(
    catalog: &Catalog,
    rows: &[TimelineRow],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let mut fields = vec![Field::new("at", ts, false)];
    for name in ["shard", "provider", "region", "instance_type"] {
        fields.push(Field::new(name, DataType::Utf8, false));
    }
    for name in ["on_demand", "spot", "reserved", "booting"] {
        fields.push(Field::new(name, DataType::UInt32, false));
    }
    for name in ["vcpus_total", "vcpus_busy", "gpus_total", "gpus_busy"] {
        fields.push(Field::new(name, DataType::Float64, false));
    }
    fields.push(Field::new("queued", DataType::UInt64, false));
    fields.push(Field::new("running", DataType::UInt64, false));
    fields.push(Field::new("rate_usd_per_h", DataType::Float64, false));
    let offer = |r: &TimelineRow| catalog.offer(r.shard);
    let text = |f: &dyn Fn(&TimelineRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let count = |f: &dyn Fn(&TimelineRow) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(f)))
    };
    let milli = |f: &dyn Fn(&TimelineRow) -> u64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| f(r) as f64 / 1000.0)))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(
                rows.iter().map(|r| i64::try_from(r.at.0).unwrap_or(i64::MAX)),
            )
            .with_timezone("UTC"),
        ),
        text(&|r| super::shard_name(offer(r))),
        text(&|r| offer(r).cloud.as_str().to_owned()),
        text(&|r| offer(r).region.clone()),
        text(&|r| offer(r).instance_type.clone()),
        count(&|r| r.instances[0]),
        count(&|r| r.instances[1]),
        count(&|r| r.instances[2]),
        count(&|r| r.booting),
        milli(&|r| r.total.cpu_milli),
        milli(&|r| r.busy.cpu_milli),
        milli(&|r| r.total.gpu_milli),
        milli(&|r| r.busy.gpu_milli),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.queued as u64))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.running as u64))),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.rate_micro_usd_per_h as f64 / 1e6),
        )),
    ];
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// Writes the timeline to `path` (Parquet, Snappy).
pub fn write(catalog: &Catalog, rows: &[TimelineRow], path: &Path) -> Result<(), JobsTableError> {
    let err = |e: &dyn std::fmt::Display| JobsTableError {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let batch = to_batch(catalog, rows).map_err(|e| err(&e))?;
    crate::table::write_parquet(&batch, path).map_err(|e| err(&e))?;
    Ok(())
}
