//! `results.parquet`: one row per sweep point, its parameters and its run's metrics; the part
//! files of a split sweep, and their merge.
//!
//! The schema is documented in `reports/README.md` ("Sweeps"). The file is a pure function of
//! the rows and the sweep (no wall clock, no paths, no thread count), written in one row group,
//! so a merge of part files that reads them back and writes the rows again in point order
//! gives the single-machine file byte for byte. The file's key-value metadata carries the
//! sweep's fingerprint, its point count and keys, and (part files only) the part.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::{Part, SweepError};
use crate::report::Summary;

/// The version of the schema, in the file's metadata.
pub const SCHEMA_VERSION: &str = "3";
const META_VERSION: &str = "shardcast.sweep.schema_version";
const META_FINGERPRINT: &str = "shardcast.sweep.fingerprint";
const META_SCENARIO: &str = "shardcast.sweep.scenario";
const META_POINTS: &str = "shardcast.sweep.points";
const META_KEYS: &str = "shardcast.sweep.keys";
const META_PART: &str = "shardcast.sweep.part";

/// Count columns (UInt64, never null), after `point`, the parameters and `seed`.
const COUNTS: [&str; 5] =
    ["jobs_submitted", "jobs_completed", "jobs_failed", "jobs_cancelled", "jobs_rejected"];
/// Float columns (Float64); the ones in `NULLABLE` are null where the run has no such figure.
const FLOATS: [&str; 11] = [
    "wait_mean_s",
    "wait_p95_s",
    "sla_attained",
    "cost_total_usd",
    "cost_jobs_usd",
    "cost_idle_usd",
    "cost_egress_usd",
    "reserved_utilisation",
    "utilisation",
    "makespan_s",
    "cost_ratio_to_oracle",
];
const NULLABLE: [&str; 7] = [
    "cost_total_usd",
    "cost_jobs_usd",
    "cost_idle_usd",
    "cost_egress_usd",
    "reserved_utilisation",
    "utilisation",
    "cost_ratio_to_oracle",
];

/// One point's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The point's index.
    pub point: u64,
    /// The swept values in string form, in key order.
    pub params: Vec<String>,
    /// The scenario seed the point ran with.
    pub seed: u64,
    /// Submitted, completed, failed, cancelled, rejected jobs (the order of `COUNTS`).
    pub counts: [u64; 5],
    /// The float metrics, in the order of the float columns (null: `None`).
    pub floats: [Option<f64>; 11],
    /// Events the kernel processed.
    pub events: u64,
    /// BLAKE3 digest of the run's event log.
    pub digest: String,
}

impl Row {
    /// The row of point `point` from its run's summary.
    pub fn new(point: usize, params: Vec<String>, s: &Summary) -> Row {
        let cost = s.cost_usd.as_ref();
        Row {
            point: point as u64,
            params,
            seed: s.seed,
            counts: [
                s.jobs.submitted,
                s.jobs.completed,
                s.jobs.failed,
                s.jobs.cancelled,
                s.jobs.rejected,
            ],
            floats: [
                Some(s.wait_s.mean),
                Some(s.wait_s.p95),
                Some(s.sla.attained),
                cost.map(|c| c.total),
                cost.map(|c| c.jobs),
                cost.map(|c| c.idle),
                cost.map(|c| c.by_option.get("egress").copied().unwrap_or(0.0)),
                s.reserved_utilisation,
                s.utilisation,
                Some(s.makespan_s),
                s.cost_ratio_to_oracle,
            ],
            events: s.events,
            digest: s.digest.clone(),
        }
    }

    /// The value of float column `name` (`wait_mean_s`, `cost_total_usd`, ...).
    pub fn float(&self, name: &str) -> Option<f64> {
        FLOATS.iter().position(|f| *f == name).and_then(|i| self.floats[i])
    }
}

/// The rows of a sweep, or of one part of it, with what identifies the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    /// The sweep's fingerprint (see `Sweep::fingerprint`).
    pub fingerprint: String,
    /// The scenario's name.
    pub scenario: String,
    /// The swept keys, in order: the parameter columns.
    pub keys: Vec<String>,
    /// Points in the whole sweep.
    pub points: u64,
    /// The part these rows are, if one.
    pub part: Option<Part>,
    /// The rows, in point order.
    pub rows: Vec<Row>,
}

impl Results {
    /// The file name: `results.parquet`, or `results-part-I-of-N.parquet` for a part.
    pub fn file_name(part: Option<Part>) -> String {
        part.map_or_else(
            || "results.parquet".to_owned(),
            |p| format!("results-part-{}-of-{}.parquet", p.index, p.count),
        )
    }

    /// Write to `path` (through a temporary file beside it, renamed when complete).
    pub fn write(&self, path: &Path) -> Result<(), SweepError> {
        let err = |e: &dyn std::fmt::Display| SweepError::File {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let batch = self.to_batch().map_err(|e| err(&e))?;
        let mut metadata = vec![
            KeyValue::new(META_VERSION.into(), SCHEMA_VERSION.to_owned()),
            KeyValue::new(META_FINGERPRINT.into(), self.fingerprint.clone()),
            KeyValue::new(META_SCENARIO.into(), self.scenario.clone()),
            KeyValue::new(META_POINTS.into(), self.points.to_string()),
            KeyValue::new(
                META_KEYS.into(),
                serde_json::to_string(&self.keys).map_err(|e| err(&e))?,
            ),
        ];
        if let Some(part) = self.part {
            metadata.push(KeyValue::new(META_PART.into(), part.to_string()));
        }
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(super::MAX_POINTS))
            .set_key_value_metadata(Some(metadata))
            .build();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|e| err(&e))?;
        let mut writer =
            ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(|e| err(&e))?;
        if batch.num_rows() > 0 {
            writer.write(&batch).map_err(|e| err(&e))?;
        }
        writer.close().map_err(|e| err(&e))?;
        std::fs::rename(&tmp, path).map_err(|e| err(&e))?;
        Ok(())
    }

    fn to_batch(&self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let rows = &self.rows;
        let mut fields = vec![Field::new("point", DataType::UInt64, false)];
        let mut columns: Vec<ArrayRef> =
            vec![Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.point)))];
        for (i, key) in self.keys.iter().enumerate() {
            fields.push(Field::new(key, DataType::Utf8, false));
            columns.push(Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.params.get(i).map_or("", String::as_str)),
            )));
        }
        fields.push(Field::new("seed", DataType::UInt64, false));
        columns.push(Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.seed))));
        for (i, name) in COUNTS.iter().enumerate() {
            fields.push(Field::new(*name, DataType::UInt64, false));
            columns.push(Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.counts[i]))));
        }
        for (i, name) in FLOATS.iter().enumerate() {
            fields.push(Field::new(*name, DataType::Float64, NULLABLE.contains(name)));
            columns.push(Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.floats[i]))));
        }
        fields.push(Field::new("events", DataType::UInt64, false));
        columns.push(Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.events))));
        fields.push(Field::new("digest", DataType::Utf8, false));
        columns
            .push(Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.digest.as_str()))));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
    }

    /// Read a file written by [`Results::write`].
    pub fn read(path: &Path) -> Result<Results, SweepError> {
        let err = |message: String| SweepError::File { path: path.to_owned(), message };
        let file = File::open(path).map_err(|e| err(e.to_string()))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(e.to_string()))?;
        let meta = |key: &str| -> Result<String, SweepError> {
            builder
                .metadata()
                .file_metadata()
                .key_value_metadata()
                .and_then(|kvs| kvs.iter().find(|kv| kv.key == key))
                .and_then(|kv| kv.value.clone())
                .ok_or_else(|| err(format!("not a sweep results file: no `{key}` metadata")))
        };
        let version = meta(META_VERSION)?;
        if version != SCHEMA_VERSION {
            return Err(err(format!(
                "results schema version {version}; this shardcast reads version {SCHEMA_VERSION}"
            )));
        }
        let fingerprint = meta(META_FINGERPRINT)?;
        let scenario = meta(META_SCENARIO)?;
        let points: u64 = meta(META_POINTS)?
            .parse()
            .map_err(|_| err(format!("`{META_POINTS}` metadata is not a count")))?;
        let keys: Vec<String> = serde_json::from_str(&meta(META_KEYS)?)
            .map_err(|e| err(format!("`{META_KEYS}` metadata: {e}")))?;
        let part = match builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kvs| kvs.iter().find(|kv| kv.key == META_PART))
            .and_then(|kv| kv.value.as_deref())
        {
            Some(text) => Some(text.parse::<Part>().map_err(|e| err(format!("part {e}")))?),
            None => None,
        };
        let reader = builder.build().map_err(|e| err(e.to_string()))?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| err(e.to_string()))?;
            let column = |name: &str| {
                batch.column_by_name(name).ok_or_else(|| err(format!("no column `{name}`")))
            };
            let u64s = |name: &str| -> Result<UInt64Array, SweepError> {
                column(name)?
                    .as_any()
                    .downcast_ref::<UInt64Array>()
                    .cloned()
                    .ok_or_else(|| err(format!("column `{name}` is not UInt64")))
            };
            let strs = |name: &str| -> Result<StringArray, SweepError> {
                column(name)?
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .cloned()
                    .ok_or_else(|| err(format!("column `{name}` is not Utf8")))
            };
            let f64s = |name: &str| -> Result<Float64Array, SweepError> {
                column(name)?
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .cloned()
                    .ok_or_else(|| err(format!("column `{name}` is not Float64")))
            };
            let point = u64s("point")?;
            let params = keys.iter().map(|k| strs(k)).collect::<Result<Vec<_>, _>>()?;
            let seed = u64s("seed")?;
            let counts = COUNTS.iter().map(|c| u64s(c)).collect::<Result<Vec<_>, _>>()?;
            let floats = FLOATS.iter().map(|c| f64s(c)).collect::<Result<Vec<_>, _>>()?;
            let events = u64s("events")?;
            let digest = strs("digest")?;
            for i in 0..batch.num_rows() {
                rows.push(Row {
                    point: point.value(i),
                    params: params.iter().map(|p| p.value(i).to_owned()).collect(),
                    seed: seed.value(i),
                    counts: std::array::from_fn(|c| counts[c].value(i)),
                    floats: std::array::from_fn(|f| {
                        (!floats[f].is_null(i)).then(|| floats[f].value(i))
                    }),
                    events: events.value(i),
                    digest: digest.value(i).to_owned(),
                });
            }
        }
        Ok(Results { fingerprint, scenario, keys, points, part, rows })
    }
}

/// The files to merge: each argument is a file, or a folder whose `results-part-*.parquet`
/// files are taken (in name order).
pub fn part_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, SweepError> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input)
                .map_err(|e| SweepError::File { path: input.clone(), message: e.to_string() })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("results-part-") && n.ends_with(".parquet"))
                })
                .collect();
            if found.is_empty() {
                return Err(SweepError::Merge(format!(
                    "{}: no results-part-*.parquet files in this folder",
                    input.display()
                )));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    if files.is_empty() {
        return Err(SweepError::Merge("no part files given".into()));
    }
    Ok(files)
}

/// Merge part files (each read with [`Results::read`], with its path for errors) into the
/// whole sweep's results, refusing files of different sweeps and missing or duplicate points.
pub fn merge(parts: Vec<(PathBuf, Results)>) -> Result<Results, SweepError> {
    let Some((first_path, first)) = parts.first() else {
        return Err(SweepError::Merge("no part files given".into()));
    };
    let whole = Results { part: None, rows: Vec::new(), ..first.clone() };
    let mut owner: Vec<Option<usize>> = vec![None; whole.points as usize];
    let mut rows = Vec::with_capacity(whole.points as usize);
    for (file, (path, results)) in parts.iter().enumerate() {
        if results.fingerprint != whole.fingerprint
            || results.points != whole.points
            || results.keys != whole.keys
        {
            return Err(SweepError::Merge(format!(
                "{} is from a different sweep than {} (fingerprint {} against {}): parts must \
                 come from the same scenario, --set values and [sweep] table",
                path.display(),
                first_path.display(),
                short(&results.fingerprint),
                short(&whole.fingerprint),
            )));
        }
        for row in &results.rows {
            let Some(slot) = owner.get_mut(row.point as usize) else {
                return Err(SweepError::Merge(format!(
                    "{}: point {} is out of range (the sweep has {} points)",
                    path.display(),
                    row.point,
                    whole.points
                )));
            };
            if let Some(other) = *slot {
                return Err(SweepError::Merge(format!(
                    "point {} is in both {} and {}",
                    row.point,
                    parts[other].0.display(),
                    path.display()
                )));
            }
            *slot = Some(file);
            rows.push(row.clone());
        }
    }
    let missing: Vec<usize> =
        owner.iter().enumerate().filter(|(_, o)| o.is_none()).map(|(i, _)| i).collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(ToString::to_string).collect();
        return Err(SweepError::Merge(format!(
            "{} of {} points missing (points {}{}); is a part file missing?",
            missing.len(),
            whole.points,
            shown.join(", "),
            if missing.len() > 10 { ", ..." } else { "" }
        )));
    }
    rows.sort_by_key(|r| r.point);
    Ok(Results { rows, ..whole })
}

fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}

/// A short table: point, the swept values, completed jobs, mean wait, SLA and cost (the first
/// 40 rows).
impl std::fmt::Display for Results {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 40;
        let mut header: Vec<String> = vec!["point".into()];
        header.extend(self.keys.iter().cloned());
        header.extend(["completed", "wait_mean_s", "sla", "cost_usd"].map(String::from));
        let mut lines = vec![header];
        for row in self.rows.iter().take(SHOWN) {
            let mut line = vec![row.point.to_string()];
            line.extend(row.params.iter().cloned());
            line.push(format!("{}/{}", row.counts[1], row.counts[0]));
            line.push(format!("{:.1}", row.floats[0].unwrap_or(0.0)));
            line.push(format!("{:.3}", row.floats[2].unwrap_or(0.0)));
            line.push(row.floats[3].map_or_else(|| "-".into(), |c| format!("{c:.2}")));
            lines.push(line);
        }
        let mut widths = vec![0; lines[0].len()];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for line in &lines {
            let cells: Vec<String> =
                line.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect();
            writeln!(f, "{}", cells.join("  "))?;
        }
        if self.rows.len() > SHOWN {
            writeln!(f, "... {} more rows", self.rows.len() - SHOWN)?;
        }
        Ok(())
    }
}
