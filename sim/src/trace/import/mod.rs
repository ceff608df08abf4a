//! Importers: SWF, Alibaba GPU 2023, Alibaba 2017 batch tasks, generic CSV and JSON.
//!
//! Every importer reads records, turns each into a [`RawJob`] or a counted drop, and hands the
//! jobs to a [`TraceBuilder`]; the report it fills says how many records were read, kept and
//! dropped (with the reason for each drop) and which header values or assumptions were used.
//! No input makes an importer panic: a malformed record is a [`TraceError::Parse`] naming the
//! file, line, field, what was expected and what was found, or, with
//! [`ImportOptions::skip_malformed`], a drop counted as `malformed: <what>`.
//!
//! Submodules, one per source kind:
//! - `swf`: Standard Workload Format (Parallel Workloads Archive);
//! - `alibaba_gpu`: the Alibaba GPU cluster trace 2023 pod list;
//! - `alibaba_2017`: the Alibaba cluster trace v2017 batch tasks;
//! - `table`: generic CSV and JSON with a [`ColumnMap`];
//! - `columns`: the `--map` syntax ([`ColumnMap`], [`Field`], [`Unit`]).

mod alibaba_2017;
mod alibaba_gpu;
mod columns;
mod csv_rows;
mod swf;
mod table;

#[cfg(test)]
mod testutil;

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use engine::SimTime;

pub use columns::{ColumnMap, ColumnSpec, Field, Unit};

use super::{RawJob, Trace, TraceBuilder, TraceError};

/// The source formats the importers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Standard Workload Format (Parallel Workloads Archive), plain or gzipped.
    Swf,
    /// Alibaba GPU cluster trace 2023, `openb_pod_list_*.csv`.
    AlibabaGpu2023,
    /// Alibaba cluster trace v2017, `batch_task.csv`.
    Alibaba2017,
    /// Any CSV table, with a [`ColumnMap`].
    Csv,
    /// A JSON array of objects or JSON Lines, with a [`ColumnMap`].
    Json,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 5] =
        [Format::Swf, Format::AlibabaGpu2023, Format::Alibaba2017, Format::Csv, Format::Json];

    /// The name used on the command line and in trace metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Swf => "swf",
            Format::AlibabaGpu2023 => "alibaba-gpu-2023",
            Format::Alibaba2017 => "alibaba-2017",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = TraceError;

    fn from_str(s: &str) -> Result<Format, TraceError> {
        let wanted = s.trim();
        Format::ALL.into_iter().find(|format| format.as_str() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|format| format.as_str()).collect();
            TraceError::Usage(format!(
                "unknown import format {s:?}; expected one of {}",
                names.join(", ")
            ))
        })
    }
}

/// How to import a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// The source format.
    pub format: Format,
    /// Column mapping for `csv` and `json`; `None` means the canonical column names (see
    /// [`ColumnMap`]). Ignored by the other formats.
    pub map: Option<ColumnMap>,
    /// Added to relative times (the Alibaba traces, numeric CSV/JSON time columns), and the
    /// origin of an SWF file without `UnixStartTime`.
    pub origin: SimTime,
    /// `false`: the first malformed record is an error. `true`: malformed records are counted
    /// in the report as `malformed: <what>` and skipped.
    pub skip_malformed: bool,
    /// Alibaba 2017 only: infer DAG edges from task timing where the task ids carry none
    /// (see `alibaba_2017`).
    pub timing_dag: Option<TimingDag>,
}

/// Dependencies inferred from timing, for traces whose DAG edges are not recorded: inside
/// one job, a task depends on the tasks that ended before it was created, reduced to the
/// immediate ones (a task that ended before another predecessor was created is its
/// ancestor, not its parent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingDag {
    /// Output each task instance leaves for its dependants, MiB. The trace records no data
    /// sizes, so this is an assumption the scenario states.
    pub output_mib_per_instance: u64,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            format: Format::Csv,
            map: None,
            origin: SimTime::EPOCH,
            skip_malformed: false,
            timing_dag: None,
        }
    }
}

/// Import the file at `path`, gunzipping it first if it starts with the gzip magic bytes
/// (whatever its extension).
pub fn import(path: &Path, options: &ImportOptions) -> Result<Trace, TraceError> {
    let file = File::open(path).map_err(|e| TraceError::io(path, e))?;
    let reader = gunzip_if_gzipped(BufReader::with_capacity(1 << 16, file))
        .map_err(|e| TraceError::io(path, e))?;
    import_reader(reader, path, options)
}

/// Import from `reader` (already decompressed); `source_name` names the input in errors and in
/// the trace's metadata.
pub fn import_reader(
    reader: impl BufRead,
    source_name: &Path,
    options: &ImportOptions,
) -> Result<Trace, TraceError> {
    let mut builder = TraceBuilder::new(source_name.display().to_string(), options.format.as_str());
    builder.set_origin(options.origin);
    let ctx = Ctx { path: source_name, options };
    match options.format {
        Format::Swf => swf::read(reader, &ctx, &mut builder)?,
        Format::AlibabaGpu2023 => alibaba_gpu::read(reader, &ctx, &mut builder)?,
        Format::Alibaba2017 => alibaba_2017::read(reader, &ctx, &mut builder)?,
        Format::Csv => table::read_csv(reader, &ctx, &mut builder)?,
        Format::Json => table::read_json(reader, &ctx, &mut builder)?,
    }
    Ok(builder.finish())
}

/// Wrap `reader` in a gzip decoder when its first bytes are the gzip magic `1f 8b`.
fn gunzip_if_gzipped<'a, R: BufRead + 'a>(mut reader: R) -> std::io::Result<Box<dyn BufRead + 'a>> {
    let gzipped = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzipped {
        // Multi-member: `gzip` concatenations are valid gzip files too.
        Box::new(BufReader::with_capacity(1 << 16, flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    })
}

/// What every importer needs besides the reader and the builder.
pub(crate) struct Ctx<'a> {
    /// The input's name, for errors.
    pub(crate) path: &'a Path,
    /// The user's options.
    pub(crate) options: &'a ImportOptions,
}

impl Ctx<'_> {
    /// An I/O error on the input.
    pub(crate) fn io(&self, error: std::io::Error) -> TraceError {
        TraceError::io(self.path, error)
    }

    /// A whole-file format error.
    pub(crate) fn format_error(&self, message: impl Into<String>) -> TraceError {
        TraceError::Format { path: self.path.to_path_buf(), message: message.into() }
    }

    /// Account for one record: keep its job, count its drop, or (for a malformed record) fail
    /// or count it, as [`ImportOptions::skip_malformed`] says.
    pub(crate) fn settle(
        &self,
        builder: &mut TraceBuilder,
        line: u64,
        outcome: Result<Outcome, Bad>,
    ) -> Result<(), TraceError> {
        match outcome {
            Ok(Outcome::Keep(job)) => builder.push(job),
            Ok(Outcome::Drop(reason)) => builder.report.drop_row(reason),
            Err(bad) => self.malformed(builder, line, bad)?,
        }
        Ok(())
    }

    /// A malformed record: an error, or a counted drop with `skip_malformed`.
    pub(crate) fn malformed(
        &self,
        builder: &mut TraceBuilder,
        line: u64,
        bad: Bad,
    ) -> Result<(), TraceError> {
        if self.options.skip_malformed {
            // The detail is left out so that reasons stay few (no per-row counts or columns).
            builder
                .report
                .drop_row(&format!("malformed: {}: expected {}", bad.field, bad.expected));
            Ok(())
        } else {
            let expected = if bad.detail.is_empty() {
                bad.expected
            } else {
                format!("{} ({})", bad.expected, bad.detail)
            };
            Err(TraceError::parse(self.path, line, bad.field, expected, &bad.found))
        }
    }
}

/// What became of one well-formed record.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Keep this job.
    Keep(RawJob),
    /// Drop the record for this reason.
    Drop(&'static str),
}

/// A malformed field of a record: which, what it should hold, what it held.
#[derive(Debug)]
pub(crate) struct Bad {
    /// The field or column name.
    pub(crate) field: String,
    /// What the field should hold.
    pub(crate) expected: String,
    /// What it held.
    pub(crate) found: String,
    /// Specifics for the error message only (a parser's message, a cell count).
    pub(crate) detail: String,
}

impl Bad {
    /// A malformed `field` that held `found` instead of `expected`.
    pub(crate) fn new(field: impl Into<String>, expected: impl Into<String>, found: &str) -> Bad {
        // Shortened like `TraceError::parse` does, so a binary blob is not copied around.
        Bad {
            field: field.into(),
            expected: expected.into(),
            found: found.chars().take(80).collect(),
            detail: String::new(),
        }
    }

    /// The same, with specifics shown in the error but not in the drop reason.
    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Bad {
        self.detail = detail.into();
        self
    }
}

/// Microseconds in one second, as a signed number for time arithmetic.
const MICROS: i64 = 1_000_000;

/// Parse a decimal number. Integers take an exact fast path; anything else must be a finite
/// float (`inf` and `NaN` are rejected).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    match text.parse::<i64>() {
        Ok(int) => Some(int as f64),
        Err(_) => text.parse::<f64>().ok().filter(|value| value.is_finite()),
    }
}

/// `value` units of `micros_per_unit` microseconds each, rounded to the nearest microsecond;
/// `None` when it does not fit in an `i64`.
///
/// For seconds this is exactly [`engine::SimDuration::from_secs_f64`]'s rounding (`value * 1e6`
/// rounded half away from zero), extended to negative values; whole values are converted
/// without going through a float product, so large integer times stay exact.
pub(crate) fn to_micros(value: f64, micros_per_unit: i64) -> Option<i64> {
    // Every integer below 2^53 is exact in an f64, so the cast back to i64 is lossless.
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        return (value as i64).checked_mul(micros_per_unit);
    }
    let micros = (value * micros_per_unit as f64).round();
    // i64::MAX as f64 rounds up to 2^63, so `<` keeps the cast in range.
    (micros.is_finite() && micros >= i64::MIN as f64 && micros < i64::MAX as f64)
        .then_some(micros as i64)
}

/// Seconds (a number) to microseconds.
pub(crate) fn secs_to_micros(secs: f64) -> Option<i64> {
    to_micros(secs, MICROS)
}

/// `origin + offset_micros` as a time, `Err(true)` if before the epoch, `Err(false)` if past
/// the representable range.
pub(crate) fn offset_time(origin: SimTime, offset_micros: i64) -> Result<SimTime, bool> {
    let micros = i128::from(origin.as_micros()) + i128::from(offset_micros);
    if micros < 0 {
        return Err(true);
    }
    u64::try_from(micros).map(SimTime).map_err(|_| false)
}

/// A non-negative quantity rounded to the nearest integer, or `None` if negative, not finite
/// or too large.
pub(crate) fn round_u64(value: f64) -> Option<u64> {
    let rounded = value.round();
    // u64::MAX as f64 is 2^64, out of range, hence `<`.
    (rounded.is_finite() && rounded >= 0.0 && rounded < u64::MAX as f64).then_some(rounded as u64)
}

/// The name a number gets when it names a job, queue or user: integers without a fraction, so
/// that `17` and `17.00` name the same job.
pub(crate) fn number_name(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        (value as i64).to_string()
    } else {
        value.to_string()
    }
}

/// A time as RFC 3339 for notes, or microseconds when out of chrono's range.
pub(crate) fn describe_time(time: SimTime) -> String {
    i64::try_from(time.as_micros())
        .ok()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| format!("{} µs after 1970-01-01", time.as_micros()))
}

/// Read everything (for formats that need the whole input, like a JSON array).
pub(crate) fn read_all(mut reader: impl Read, ctx: &Ctx<'_>) -> Result<Vec<u8>, TraceError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| ctx.io(e))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use engine::SimDuration;

    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>().unwrap(), format);
        }
        let error = "parquet".parse::<Format>().unwrap_err().to_string();
        assert!(error.contains("parquet") && error.contains("alibaba-gpu-2023"), "{error}");
    }

    #[test]
    fn default_options() {
        let options = ImportOptions::default();
        assert_eq!(options.format, Format::Csv);
        assert_eq!(options.map, None);
        assert_eq!(options.origin, SimTime::EPOCH);
        assert!(!options.skip_malformed);
    }

    #[test]
    fn float_seconds_round_like_sim_duration() {
        for secs in [1.020060287274801, 2.2795955138465, 0.0000015, 12.5, 1e9 + 0.25] {
            let expected = SimDuration::from_secs_f64(secs).unwrap().as_micros();
            assert_eq!(secs_to_micros(secs), Some(expected as i64), "{secs}");
        }
        assert_eq!(secs_to_micros(-1.5), Some(-1_500_000));
        assert_eq!(secs_to_micros(1e300), None);
        assert_eq!(to_micros(9.0e15, MICROS), None);
        assert_eq!(offset_time(SimTime(5), -6), Err(true));
        assert_eq!(offset_time(SimTime(u64::MAX), 1), Err(false));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("-1"), Some(-1.0));
        assert_eq!(number_name(17.0), "17");
    }

    #[test]
    fn gzip_is_detected_by_content_and_truncation_is_an_error() {
        let text = "submit,runtime\n1,2\n3,4\n";
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        let gz = encoder.finish().unwrap();

        let dir = tempfile::tempdir().unwrap();
        // A misleading extension: detection goes by the magic bytes.
        let path = dir.path().join("jobs.csv");
        std::fs::write(&path, &gz).unwrap();
        let trace = import(&path, &ImportOptions::default()).unwrap();
        assert_eq!(trace.jobs.len(), 2);

        let truncated = &gz[..gz.len() - 12];
        let reader = gunzip_if_gzipped(Cursor::new(truncated)).unwrap();
        let error = import_reader(reader, Path::new("t.csv.gz"), &ImportOptions::default());
        assert!(matches!(error, Err(TraceError::Io { .. })), "{error:?}");

        let missing = import(&dir.path().join("absent.csv"), &ImportOptions::default());
        assert!(matches!(missing, Err(TraceError::Io { .. })));
    }
}
