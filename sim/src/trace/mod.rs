//! Job traces: the canonical in-memory form, its Parquet storage, importers and generators.
//!
//! Every source (SWF, the Alibaba traces, generic CSV/JSON, the synthetic generators) produces
//! [`RawJob`]s and hands them to a [`TraceBuilder`], which does the work common to all of them:
//! it orders jobs by submit time (ties keep source order), assigns dense [`JobId`]s, interns
//! queue and user names, resolves dependencies given by name, and counts everything it drops in
//! the [`ImportReport`]. Nothing is dropped silently.
//!
//! Submodules:
//! - [`parquet`]: the canonical schema (DESIGN §4) on disk; readable by pandas, polars, DuckDB.
//! - [`import`]: the importers and the column mapping of the generic formats.
//! - [`synth`]: seeded synthetic workloads and their named presets.
//! - [`stats`]: what `shardcast trace stats` prints.

pub mod error;
pub mod import;
pub mod parquet;
pub mod stats;
pub mod synth;

use std::collections::BTreeMap;
use std::fmt;

pub use error::TraceError;

use engine::{Job, JobId, JobStatus, QueueId, Resources, SimDuration, SimTime, UserId};
use serde::{Deserialize, Serialize};

/// A replayable trace: jobs ordered by submit time, with the tables their ids index.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Jobs in submit order; `jobs[i].id == JobId(i)`.
    pub jobs: Vec<Job>,
    /// Where each job came from, indexed like `jobs`.
    pub provenance: Vec<Provenance>,
    /// Queue names, indexed by [`QueueId`].
    pub queues: Vec<String>,
    /// User names, indexed by [`UserId`].
    pub users: Vec<String>,
    /// Facts about the whole trace.
    pub meta: TraceMeta,
}

/// Where one job came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The job's own id or name in its source (SWF job number, pod name, `job/task`).
    pub name: String,
    /// The 1-based line (text formats) or record number the job was read from.
    pub source_row: u64,
}

/// Facts about a whole trace, kept in the Parquet file's metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceMeta {
    /// The file (or generator preset) the trace came from.
    pub source: String,
    /// The importer or generator that made it (`swf`, `csv`, `synthetic:hpc-seasonal`, …).
    pub format: String,
    /// The trace's time origin: SWF `UnixStartTime`, the `--origin` of a relative trace, a
    /// generator's start. Simulations start here, and makespan is measured from here.
    pub origin: SimTime,
    /// The IANA time zone of the site that recorded the trace (SWF `TimeZoneString`), if known.
    pub timezone: Option<String>,
    /// What the importer kept and dropped.
    pub import_report: Option<ImportReport>,
}

/// A job as a source describes it, before ids are assigned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawJob {
    /// The job's id or name in its source; dependencies refer to jobs by this name.
    pub name: String,
    /// Submit time.
    pub submit: SimTime,
    /// Run time.
    pub runtime: SimDuration,
    /// Requested run time (walltime), if known.
    pub requested_runtime: Option<SimDuration>,
    /// Queue name; empty means `default`.
    pub queue: String,
    /// User name; empty means `unknown`.
    pub user: String,
    /// Requested resources.
    pub resources: Resources,
    /// Names of the jobs this one depends on.
    pub depends_on: Vec<String>,
    /// Output bytes.
    pub output_bytes: u64,
    /// Recorded outcome.
    pub status: JobStatus,
    /// 1-based line or record number in the source.
    pub source_row: u64,
}

/// What an importer read, kept and dropped, with the reason for every drop.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Records (job lines, CSV rows, JSON objects) read, not counting headers and comments.
    pub rows_read: u64,
    /// Jobs kept in the trace.
    pub kept: u64,
    /// Records dropped, by reason (e.g. `runtime <= 0`).
    pub dropped: BTreeMap<String, u64>,
    /// Dependency edges kept.
    pub edges_kept: u64,
    /// Dependency edges dropped, by reason (e.g. `parent was dropped`).
    pub edges_dropped: BTreeMap<String, u64>,
    /// Other facts a user should know (assumptions made, header values honoured).
    pub notes: Vec<String>,
}

impl ImportReport {
    /// Count one dropped record.
    pub fn drop_row(&mut self, reason: &str) {
        *self.dropped.entry(reason.to_owned()).or_insert(0) += 1;
    }

    /// Count one dropped dependency edge.
    pub fn drop_edge(&mut self, reason: &str) {
        *self.edges_dropped.entry(reason.to_owned()).or_insert(0) += 1;
    }

    /// Records dropped, all reasons together.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "rows read      {:>10}", self.rows_read)?;
        writeln!(f, "jobs kept      {:>10}", self.kept)?;
        writeln!(f, "rows dropped   {:>10}", self.dropped_total())?;
        for (reason, n) in &self.dropped {
            writeln!(f, "  {n:>10}  {reason}")?;
        }
        if self.edges_kept > 0 || !self.edges_dropped.is_empty() {
            writeln!(f, "edges kept     {:>10}", self.edges_kept)?;
            for (reason, n) in &self.edges_dropped {
                writeln!(f, "  {n:>10}  edge dropped: {reason}")?;
            }
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}

/// Collects [`RawJob`]s from a source and turns them into a [`Trace`].
#[derive(Debug, Default)]
pub struct TraceBuilder {
    jobs: Vec<RawJob>,
    /// The report the importer fills in while reading; `finish` adds the edge counts.
    pub report: ImportReport,
    meta: TraceMeta,
}

impl TraceBuilder {
    /// A builder for a trace read from `source` by the importer named `format`.
    pub fn new(source: impl Into<String>, format: impl Into<String>) -> TraceBuilder {
        TraceBuilder {
            jobs: Vec::new(),
            report: ImportReport::default(),
            meta: TraceMeta {
                source: source.into(),
                format: format.into(),
                ..TraceMeta::default()
            },
        }
    }

    /// Record the trace's time origin (see [`TraceMeta::origin`]).
    pub fn set_origin(&mut self, origin: SimTime) {
        self.meta.origin = origin;
    }

    /// Record the site's time zone.
    pub fn set_timezone(&mut self, tz: Option<String>) {
        self.meta.timezone = tz;
    }

    /// Keep one job.
    pub fn push(&mut self, job: RawJob) {
        self.jobs.push(job);
    }

    /// Make room for `additional` more jobs (generators know how many they will push).
    pub fn reserve(&mut self, additional: usize) {
        self.jobs.reserve(additional);
    }

    /// Number of jobs pushed so far.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether no job was pushed.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Order, number and link the jobs.
    ///
    /// Jobs are sorted by submit time, ties in the order they were pushed. Queue and user ids
    /// follow first appearance in that order. A dependency is kept only if it names a kept job
    /// that comes earlier in that order (so the graph is acyclic); every other edge is counted
    /// in `edges_dropped` with its reason. When several jobs share a name, a dependency on that
    /// name means the latest of them submitted before the dependant.
    pub fn finish(mut self) -> Trace {
        // Stable sort: equal submit times keep source order.
        self.jobs.sort_by_key(|job| job.submit);

        // Resolve dependencies first, while names can still be borrowed. Only names that
        // some job depends on are indexed (most traces have none), as name -> ids in order.
        let mut report = self.report;
        let wanted: std::collections::BTreeSet<&str> =
            self.jobs.iter().flat_map(|job| job.depends_on.iter().map(String::as_str)).collect();
        let mut by_name: BTreeMap<&str, Vec<JobId>> = BTreeMap::new();
        if !wanted.is_empty() {
            for (index, raw) in self.jobs.iter().enumerate() {
                if wanted.contains(raw.name.as_str()) {
                    by_name.entry(raw.name.as_str()).or_default().push(JobId(index as u64));
                }
            }
        }
        let mut all_dependencies: Vec<Vec<JobId>> = Vec::with_capacity(self.jobs.len());
        for (index, raw) in self.jobs.iter().enumerate() {
            let id = JobId(index as u64);
            let mut dependencies = Vec::with_capacity(raw.depends_on.len());
            for parent in &raw.depends_on {
                match by_name.get(parent.as_str()) {
                    None => report.drop_edge("parent not in trace (dropped or never present)"),
                    Some(candidates) => {
                        match candidates.iter().rev().find(|candidate| **candidate < id) {
                            Some(parent_id) if dependencies.contains(parent_id) => {
                                report.drop_edge("duplicate edge");
                            }
                            Some(parent_id) => {
                                dependencies.push(*parent_id);
                                report.edges_kept += 1;
                            }
                            None => report.drop_edge("parent submitted after the child"),
                        }
                    }
                }
            }
            dependencies.sort_unstable();
            all_dependencies.push(dependencies);
        }
        drop(by_name);

        let mut queue_ids: BTreeMap<String, QueueId> = BTreeMap::new();
        let mut user_ids: BTreeMap<String, UserId> = BTreeMap::new();
        let mut queues = Vec::new();
        let mut users = Vec::new();
        let mut jobs = Vec::with_capacity(self.jobs.len());
        let mut provenance = Vec::with_capacity(self.jobs.len());
        for (index, (raw, dependencies)) in self.jobs.into_iter().zip(all_dependencies).enumerate()
        {
            let queue_name = if raw.queue.is_empty() { "default" } else { raw.queue.as_str() };
            let queue = intern(&mut queue_ids, &mut queues, queue_name, QueueId);
            let user_name = if raw.user.is_empty() { "unknown" } else { raw.user.as_str() };
            let user = intern(&mut user_ids, &mut users, user_name, UserId);
            jobs.push(Job {
                id: JobId(index as u64),
                submit: raw.submit,
                runtime: raw.runtime,
                requested_runtime: raw.requested_runtime,
                queue,
                user,
                resources: raw.resources,
                dependencies,
                output_bytes: raw.output_bytes,
                status: raw.status,
            });
            provenance.push(Provenance { name: raw.name, source_row: raw.source_row });
        }
        report.kept = jobs.len() as u64;
        self.meta.import_report = Some(report);
        Trace { jobs, provenance, queues, users, meta: self.meta }
    }
}

/// The id of `name` in `names`, adding it if new. Ids follow first appearance.
pub(crate) fn intern<Id: Copy>(
    ids: &mut BTreeMap<String, Id>,
    names: &mut Vec<String>,
    name: &str,
    make: fn(u32) -> Id,
) -> Id {
    if let Some(id) = ids.get(name) {
        return *id;
    }
    let id = make(names.len() as u32);
    names.push(name.to_owned());
    ids.insert(name.to_owned(), id);
    id
}

impl Trace {
    /// The name of a queue.
    pub fn queue_name(&self, queue: QueueId) -> &str {
        &self.queues[queue.index()]
    }

    /// Keep only the first `n` jobs; dependencies stay valid because they point backwards.
    pub fn truncate(&mut self, n: usize) {
        self.jobs.truncate(n);
        self.provenance.truncate(n);
    }

    /// The first submit time, or `None` for an empty trace.
    pub fn first_submit(&self) -> Option<SimTime> {
        self.jobs.first().map(|job| job.submit)
    }
}

/// Formats `load` reads: `parquet` plus every importer's.
pub const LOADABLE_FORMATS: &str = "parquet, swf, csv, json, alibaba-gpu-2023, alibaba-2017";

/// Read a trace of any supported kind: canonical Parquet, or anything an importer reads.
///
/// `format` names the kind; when `None` it is inferred from the file name (`.parquet`,
/// `.swf`, `.csv`, `.json`, `.jsonl`, each optionally followed by `.gz`).
pub fn load(
    path: &std::path::Path,
    format: Option<&str>,
    options: &import::ImportOptions,
) -> Result<Trace, TraceError> {
    let format = match format {
        Some(format) => format.to_owned(),
        None => infer_format(path).ok_or_else(|| {
            TraceError::Usage(format!(
                "{}: cannot tell the trace format from the file name; give one of {LOADABLE_FORMATS}",
                path.display()
            ))
        })?,
    };
    if format == "parquet" {
        return parquet::read(path);
    }
    let format: import::Format = format.parse().map_err(|_| {
        TraceError::Usage(format!(
            "unknown trace format {format:?}; expected one of {LOADABLE_FORMATS}"
        ))
    })?;
    import::import(path, &import::ImportOptions { format, ..options.clone() })
}

/// The format a file name suggests, if any.
pub fn infer_format(path: &std::path::Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let ext = name.rsplit_once('.')?.1;
    Some(
        match ext {
            "parquet" => "parquet",
            "swf" => "swf",
            "csv" => "csv",
            "json" | "jsonl" | "ndjson" => "json",
            _ => return None,
        }
        .to_owned(),
    )
}

/// Parse an RFC 3339 time (`2026-01-05T00:00:00Z`) into a [`SimTime`].
pub fn parse_rfc3339(text: &str) -> Result<SimTime, TraceError> {
    let parsed = chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        TraceError::Usage(format!(
            "{text:?} is not an RFC 3339 time such as 2026-01-05T00:00:00Z: {e}"
        ))
    })?;
    u64::try_from(parsed.timestamp_micros()).map(SimTime).map_err(|_| {
        TraceError::Usage(format!(
            "{text:?} is before 1970-01-01, which shardcast cannot represent"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, submit_s: u64, deps: &[&str]) -> RawJob {
        RawJob {
            name: name.to_owned(),
            submit: SimTime::from_secs(submit_s),
            runtime: SimDuration::from_secs(10),
            queue: if (submit_s / 10).is_multiple_of(2) { "even".into() } else { "odd".into() },
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
            ..RawJob::default()
        }
    }

    #[test]
    fn builder_sorts_numbers_and_links() {
        let mut builder = TraceBuilder::new("test", "test");
        builder.push(raw("c", 30, &["a", "b", "missing"]));
        builder.push(raw("a", 10, &[]));
        builder.push(raw("b", 10, &["c"])); // c comes later: edge dropped
        builder.push(raw("d", 40, &["a", "a"])); // duplicate edge
        let trace = builder.finish();

        let names: Vec<&str> = trace.provenance.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        assert_eq!(trace.jobs[2].dependencies, [JobId(0), JobId(1)]);
        assert!(trace.jobs[1].dependencies.is_empty());
        // a, b and c (tens 1 and 3) are odd, d (tens 4) even; ids follow first appearance.
        assert_eq!(trace.queues, ["odd", "even"]);
        assert_eq!(trace.users, ["unknown"]);
        let report = trace.meta.import_report.unwrap();
        assert_eq!(report.kept, 4);
        assert_eq!(report.edges_kept, 3);
        assert_eq!(report.edges_dropped.values().sum::<u64>(), 3);
    }
}
