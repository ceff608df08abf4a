//! `shardcast compare`: runs side by side, with means and 95% confidence intervals over seeds.
//!
//! Reads the `summary.json` of each run folder (`reports/SCENARIO/SEED/`, or the file itself),
//! groups runs that differ only by their seed (by scenario name, or by `cloud.policy`), and for
//! each group and [`Metric`] computes an [`Estimate`]: the mean over the group's runs and, with
//! two runs or more, the half-width of the 95% confidence interval of that mean,
//! `t(0.975, n − 1) · s / √n` (Student t quantile from statrs, `s` the sample standard
//! deviation).
//!
//! A group's runs must really differ only by seed: the same scenario name, platform (but for
//! the times derived from the trace, `*_us`), workload source and format, and summary schema
//! (a cost or none); each seed at most once. Anything else is an error naming both files and
//! the field, so two configurations are never averaged by mistake.
//!
//! Outputs, all in a fixed order (groups in the order their first run was given, runs by seed):
//! the printed table ([`Comparison`]'s `Display`), `compare.csv` and `compare.parquet` (one row
//! per group and metric), `runs.csv` (one row per run with its metrics), and bar charts of
//! the mean cost and the mean p95 wait with 95% CI whiskers (`compare-cost.svg` and `.png`,
//! `compare-wait.svg` and `.png`). A metric a run lacks (a fixed platform has no cost) is left
//! out of its group's estimate; with none left, it is missing (`–` in the table, empty in the
//! CSV).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::plot::{FONT, register_font};

/// How runs are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// By scenario name (`scenario`).
    Scenario,
    /// By the cloud policy (`cloud.policy`); runs without one (fixed platforms) are an error.
    Policy,
}

impl GroupBy {
    /// The name used in outputs: `scenario` or `policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Scenario => "scenario",
            GroupBy::Policy => "policy",
        }
    }
}

/// What a comparison reports, per run and per group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// `cost_usd.total`, USD.
    CostTotal,
    /// `cost_usd.total / jobs.completed` per run, USD (missing when nothing completed).
    CostPerCompletedJob,
    /// `cost_ratio_to_oracle` (missing unless the run had `[report] oracle = true`).
    CostRatioToOracle,
    /// `cost_usd.idle / cost_usd.total` per run (missing when nothing was charged).
    IdleShare,
    /// `wait_s.mean`, seconds.
    WaitMean,
    /// `wait_s.p95`, seconds.
    WaitP95,
    /// `sla.attained`, a share.
    SlaAttained,
    /// `reserved_utilisation`, a share (only runs that reserved anything).
    ReservedUtilisation,
    /// `jobs.completed`.
    JobsCompleted,
    /// `jobs.failed`.
    JobsFailed,
    /// `jobs.rejected`.
    JobsRejected,
}

impl Metric {
    /// Every metric, in the order of the table and the files.
    pub const ALL: [Metric; 11] = [
        Metric::CostTotal,
        Metric::CostPerCompletedJob,
        Metric::CostRatioToOracle,
        Metric::IdleShare,
        Metric::WaitMean,
        Metric::WaitP95,
        Metric::SlaAttained,
        Metric::ReservedUtilisation,
        Metric::JobsCompleted,
        Metric::JobsFailed,
        Metric::JobsRejected,
    ];

    /// The column name in `compare.csv` and `runs.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::CostTotal => "cost_usd",
            Metric::CostPerCompletedJob => "cost_per_completed_job_usd",
            Metric::CostRatioToOracle => "cost_ratio_to_oracle",
            Metric::IdleShare => "idle_share",
            Metric::WaitMean => "wait_mean_s",
            Metric::WaitP95 => "wait_p95_s",
            Metric::SlaAttained => "sla_attained",
            Metric::ReservedUtilisation => "reserved_utilisation",
            Metric::JobsCompleted => "jobs_completed",
            Metric::JobsFailed => "jobs_failed",
            Metric::JobsRejected => "jobs_rejected",
        }
    }

    /// The row label in the printed table.
    fn label(self) -> &'static str {
        match self {
            Metric::CostTotal => "cost (USD)",
            Metric::CostPerCompletedJob => "cost / completed job (USD)",
            Metric::CostRatioToOracle => "cost / oracle",
            Metric::IdleShare => "idle share (%)",
            Metric::WaitMean => "wait mean (s)",
            Metric::WaitP95 => "wait p95 (s)",
            Metric::SlaAttained => "SLA attained (%)",
            Metric::ReservedUtilisation => "reserved utilisation (%)",
            Metric::JobsCompleted => "jobs completed",
            Metric::JobsFailed => "jobs failed",
            Metric::JobsRejected => "jobs rejected",
        }
    }

    /// Shares are printed in percent.
    fn is_share(self) -> bool {
        matches!(self, Metric::IdleShare | Metric::SlaAttained | Metric::ReservedUtilisation)
    }

    /// Decimals in the printed table.
    fn decimals(self) -> usize {
        match self {
            Metric::CostPerCompletedJob => 4,
            Metric::CostRatioToOracle => 3,
            Metric::JobsCompleted | Metric::JobsFailed | Metric::JobsRejected => 1,
            _ => 2,
        }
    }
}

/// Why a comparison failed. Every variant names the file (or folder) and the field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    /// Nothing to compare.
    #[error("no runs given: name run folders (reports/SCENARIO/SEED/) or summary.json files")]
    NoRuns,
    /// A run folder or file does not exist.
    #[error("{path}: no such run folder or summary.json")]
    Missing {
        /// The path given.
        path: String,
    },
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A file is not JSON, or not a run summary.
    #[error("{path}: not a run summary ({what}); expected the summary.json of `shardcast run`")]
    NotASummary {
        /// The file.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// A field is missing or has the wrong type.
    #[error("{path}: field `{field}`: expected {expected}, found {found}")]
    Field {
        /// The file.
        path: String,
        /// The field, dotted (`cost_usd.total`).
        field: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// `--by policy` and a run without a policy.
    #[error(
        "{path}: field `cloud.policy` is missing (a fixed-platform run has no policy); \
         compare it --by scenario"
    )]
    NoPolicy {
        /// The file.
        path: String,
    },
    /// Two runs of a group differ by more than their seed.
    #[error("{0}")]
    Mixed(Box<MixedRuns>),
    /// The same seed twice in a group.
    #[error(
        "{group_by} group {group:?}: {first} and {other} are both seed {seed}{what}; \
         each seed may appear once per group"
    )]
    DuplicateSeed {
        /// `scenario` or `policy`.
        group_by: &'static str,
        /// The group.
        group: String,
        /// The earlier file.
        first: String,
        /// The later file.
        other: String,
        /// The seed.
        seed: u64,
        /// ` (the same run)` or ` but different runs (digests differ)`.
        what: &'static str,
    },
    /// An output could not be written.
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The file or folder.
        path: String,
        /// The error.
        message: String,
    },
}

/// Two runs of a group that differ by more than their seed: which, and in what.
#[derive(Debug, thiserror::Error)]
#[error(
    "{group_by} group {group:?}: {first} and {other} differ in `{field}` ({a} vs {b}); \
     runs of a group may differ only by seed{hint}"
)]
pub struct MixedRuns {
    /// `scenario` or `policy`.
    pub group_by: &'static str,
    /// The group.
    pub group: String,
    /// The group's first file.
    pub first: String,
    /// The file that differs.
    pub other: String,
    /// The field.
    pub field: String,
    /// Its value in `first`.
    pub a: String,
    /// Its value in `other`.
    pub b: String,
    /// How to compare them instead, if there is a way.
    pub hint: &'static str,
}

/// One run, as read from its `summary.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The summary file, as given (`DIR/summary.json` for a folder).
    pub path: PathBuf,
    /// `scenario`.
    pub scenario: String,
    /// `seed`.
    pub seed: u64,
    /// `cloud.policy`, on cloud platforms.
    pub policy: Option<String>,
    /// `digest`: equal digests mean identical runs.
    pub digest: String,
    /// The metrics, in [`Metric::ALL`] order; `None` when the run lacks one.
    pub metrics: Vec<Option<f64>>,
    /// What must agree within a group: (field, value), in a fixed order.
    identity: Vec<(String, Value)>,
}

impl Run {
    /// The value of `metric`, if the run has it.
    pub fn metric(&self, metric: Metric) -> Option<f64> {
        self.metrics[metric as usize]
    }
}

/// A metric's mean over a group's runs, with its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Runs that have the metric.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator); `None` with one run.
    pub std_dev: Option<f64>,
    /// Half-width of the 95% CI of the mean, `t(0.975, n − 1) · s / √n`; `None` with one run.
    pub half_width: Option<f64>,
}

impl Estimate {
    /// The estimate of `values` (summed in the order given); `None` when empty.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(Estimate { n, mean, std_dev: None, half_width: None });
        }
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        let s = var.sqrt();
        let half = t_975(n - 1) * s / (n as f64).sqrt();
        Some(Estimate { n, mean, std_dev: Some(s), half_width: Some(half) })
    }

    /// The interval's ends, `mean ∓ half_width`.
    pub fn interval(&self) -> Option<(f64, f64)> {
        self.half_width.map(|h| (self.mean - h, self.mean + h))
    }
}

/// The 0.975 quantile of Student's t with `df` (≥ 1) degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64).expect("df ≥ 1 is a valid Student t").inverse_cdf(0.975)
}

/// Runs that differ only by seed, and their estimates.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The scenario name or the policy.
    pub key: String,
    /// The runs, by seed.
    pub runs: Vec<Run>,
    /// One per metric, in [`Metric::ALL`] order.
    pub estimates: Vec<Option<Estimate>>,
}

impl Group {
    /// The estimate of `metric`.
    pub fn estimate(&self, metric: Metric) -> Option<Estimate> {
        self.estimates[metric as usize]
    }

    /// The seeds, ascending.
    pub fn seeds(&self) -> Vec<u64> {
        self.runs.iter().map(|r| r.seed).collect()
    }
}

/// The comparison of some runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// How runs were grouped.
    pub by: GroupBy,
    /// The groups, in the order their first run was given.
    pub groups: Vec<Group>,
}

/// The `summary.json` a path names: the path itself if it is a file, else `path/summary.json`.
pub fn summary_path(path: &Path) -> Result<PathBuf, CompareError> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else if path.is_dir() {
        let file = path.join("summary.json");
        if file.is_file() {
            Ok(file)
        } else {
            Err(CompareError::Missing { path: file.display().to_string() })
        }
    } else {
        Err(CompareError::Missing { path: path.display().to_string() })
    }
}

/// The value at a dotted path.
fn at<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    field.split('.').try_fold(v, |v, key| v.get(key))
}

/// A short description of what was found at a field.
fn found(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => format!("the boolean {b}"),
        Some(Value::Number(n)) => format!("the number {n}"),
        Some(Value::String(s)) => format!("the string {s:?}"),
        Some(Value::Array(_)) => "a list".into(),
        Some(Value::Object(_)) => "an object".into(),
    }
}

/// Reads one run's summary.
pub fn read_run(path: &Path) -> Result<Run, CompareError> {
    let file = summary_path(path)?;
    let name = file.display().to_string();
    let text = std::fs::read_to_string(&file)
        .map_err(|source| CompareError::Read { path: name.clone(), source })?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|e| CompareError::NotASummary { path: name.clone(), what: e.to_string() })?;
    if !json.is_object() {
        return Err(CompareError::NotASummary {
            path: name,
            what: format!("the file holds {}, not an object", found(Some(&json))),
        });
    }
    for key in ["scenario", "seed", "jobs", "wait_s", "digest"] {
        if json.get(key).is_none() {
            return Err(CompareError::NotASummary { path: name, what: format!("no `{key}`") });
        }
    }
    let err = |field: &str, expected: &'static str| CompareError::Field {
        path: name.clone(),
        field: field.to_owned(),
        expected,
        found: found(at(&json, field)),
    };
    let number = |field: &str| {
        at(&json, field).and_then(Value::as_f64).ok_or_else(|| err(field, "a number"))
    };
    let string = |field: &str| {
        at(&json, field)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| err(field, "a string"))
    };
    let scenario = string("scenario")?;
    let seed =
        at(&json, "seed").and_then(Value::as_u64).ok_or_else(|| err("seed", "an integer"))?;
    let digest = string("digest")?;
    let kind = string("platform.kind")?;
    let completed = at(&json, "jobs.completed")
        .and_then(Value::as_u64)
        .ok_or_else(|| err("jobs.completed", "an integer"))?;
    let count = |field: &str| {
        at(&json, field)
            .and_then(Value::as_u64)
            .map(|n| n as f64)
            .ok_or_else(|| err(field, "an integer"))
    };
    let (cost, cost_per_job, idle_share) = match json.get("cost_usd") {
        None | Some(Value::Null) => (None, None, None),
        Some(_) => {
            let total = number("cost_usd.total")?;
            let idle = number("cost_usd.idle")?;
            (
                Some(total),
                (completed > 0).then(|| total / completed as f64),
                (total > 0.0).then(|| idle / total),
            )
        }
    };
    let reserved = match json.get("reserved_utilisation") {
        None | Some(Value::Null) => None,
        Some(_) => Some(number("reserved_utilisation")?),
    };
    let ratio = match json.get("cost_ratio_to_oracle") {
        None | Some(Value::Null) => None,
        Some(_) => Some(number("cost_ratio_to_oracle")?),
    };
    let policy = match at(&json, "cloud.policy") {
        None | Some(Value::Null) => None,
        Some(_) => Some(string("cloud.policy")?),
    };
    let mut metrics = vec![None; Metric::ALL.len()];
    metrics[Metric::CostTotal as usize] = cost;
    metrics[Metric::CostPerCompletedJob as usize] = cost_per_job;
    metrics[Metric::CostRatioToOracle as usize] = ratio;
    metrics[Metric::IdleShare as usize] = idle_share;
    metrics[Metric::WaitMean as usize] = Some(number("wait_s.mean")?);
    metrics[Metric::WaitP95 as usize] = Some(number("wait_s.p95")?);
    metrics[Metric::SlaAttained as usize] = Some(number("sla.attained")?);
    metrics[Metric::ReservedUtilisation as usize] = reserved;
    metrics[Metric::JobsCompleted as usize] = Some(completed as f64);
    metrics[Metric::JobsFailed as usize] = Some(count("jobs.failed")?);
    metrics[Metric::JobsRejected as usize] = Some(count("jobs.rejected")?);

    // What must agree within a group. Platform times (`*_us`) follow the trace, which a seed
    // may change; everything else of the platform is configuration.
    let mut identity = vec![
        ("scenario".to_owned(), Value::String(scenario.clone())),
        ("platform.kind".to_owned(), Value::String(kind)),
        (
            "cost_usd".to_owned(),
            Value::String(if cost.is_some() { "present" } else { "absent" }.into()),
        ),
        ("workload.source".to_owned(), Value::String(string("workload.source")?)),
        ("workload.format".to_owned(), Value::String(string("workload.format")?)),
    ];
    if let Some(Value::Object(platform)) = json.get("platform") {
        for (key, value) in platform {
            if key != "kind" && !key.ends_with("_us") {
                identity.push((format!("platform.{key}"), value.clone()));
            }
        }
    }
    Ok(Run { path: file, scenario, seed, policy, digest, metrics, identity })
}

/// Compares the runs at `paths` (run folders or summary files), grouped `by`.
pub fn compare(paths: &[PathBuf], by: GroupBy) -> Result<Comparison, CompareError> {
    if paths.is_empty() {
        return Err(CompareError::NoRuns);
    }
    let mut groups: Vec<(String, Vec<Run>)> = Vec::new();
    for path in paths {
        let run = read_run(path)?;
        let key = match by {
            GroupBy::Scenario => run.scenario.clone(),
            GroupBy::Policy => run
                .policy
                .clone()
                .ok_or_else(|| CompareError::NoPolicy { path: run.path.display().to_string() })?,
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, runs)) => runs.push(run),
            None => groups.push((key, vec![run])),
        }
    }
    let groups = groups
        .into_iter()
        .map(|(key, mut runs)| {
            // A stable sort: the given order decides nothing but ties, which are errors below.
            runs.sort_by_key(|r| r.seed);
            check_group(by, &key, &runs)?;
            let estimates = Metric::ALL
                .iter()
                .map(|m| {
                    let values: Vec<f64> = runs.iter().filter_map(|r| r.metric(*m)).collect();
                    Estimate::of(&values)
                })
                .collect();
            Ok(Group { key, runs, estimates })
        })
        .collect::<Result<Vec<_>, CompareError>>()?;
    Ok(Comparison { by, groups })
}

/// The value of an identity field of `run`.
fn identity_value<'a>(run: &'a Run, field: &str) -> Option<&'a Value> {
    run.identity.iter().find(|(f, _)| f == field).map(|(_, v)| v)
}

/// Every run of a group agrees with the first on its identity, and no seed repeats.
fn check_group(by: GroupBy, key: &str, runs: &[Run]) -> Result<(), CompareError> {
    let first = &runs[0];
    let show = |v: Option<&Value>| v.map_or_else(|| "absent".to_owned(), Value::to_string);
    for run in &runs[1..] {
        let fields = first.identity.iter().chain(&run.identity).map(|(f, _)| f.as_str());
        for field in fields {
            let (a, b) = (identity_value(first, field), identity_value(run, field));
            if a != b {
                let hint = match (by, field) {
                    (GroupBy::Scenario, "platform.policy") => {
                        " (compare them --by policy, or name them apart with --set run.name=...)"
                    }
                    (GroupBy::Policy, "scenario") => " (compare them --by scenario)",
                    _ => "",
                };
                return Err(CompareError::Mixed(Box::new(MixedRuns {
                    group_by: by.as_str(),
                    group: key.to_owned(),
                    first: first.path.display().to_string(),
                    other: run.path.display().to_string(),
                    field: field.to_owned(),
                    a: show(a),
                    b: show(b),
                    hint,
                })));
            }
        }
    }
    for pair in runs.windows(2) {
        if pair[0].seed == pair[1].seed {
            return Err(CompareError::DuplicateSeed {
                group_by: by.as_str(),
                group: key.to_owned(),
                first: pair[0].path.display().to_string(),
                other: pair[1].path.display().to_string(),
                seed: pair[0].seed,
                what: if pair[0].digest == pair[1].digest {
                    " (the same run)"
                } else {
                    " but different runs (their digests differ)"
                },
            });
        }
    }
    Ok(())
}

/// A table cell: `mean ± half-width`, the mean alone with one run, `–` when missing; `(k/n)`
/// when only k of the group's n runs have the metric.
fn cell(metric: Metric, estimate: Option<Estimate>, runs: usize) -> String {
    let Some(e) = estimate else { return "–".to_owned() };
    let scale = if metric.is_share() { 100.0 } else { 1.0 };
    let d = metric.decimals();
    let mut text = format!("{:.d$}", e.mean * scale);
    if let Some(h) = e.half_width {
        text.push_str(&format!(" ± {:.d$}", h * scale));
    }
    if e.n < runs {
        text.push_str(&format!(" ({}/{runs})", e.n));
    }
    text
}

/// Seeds as a short list: `1, 2, 3` or `1–10` for a contiguous range of more than three.
fn seed_list(seeds: &[u64]) -> String {
    let contiguous = seeds.windows(2).all(|w| w[1] == w[0] + 1);
    match seeds {
        [first, .., last] if seeds.len() > 3 && contiguous => format!("{first}–{last}"),
        _ => seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    }
}

impl fmt::Display for Comparison {
    /// Groups side by side (one column each), metrics as rows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs: usize = self.groups.iter().map(|g| g.runs.len()).sum();
        writeln!(
            f,
            "{} runs in {} groups by {}; mean ± half-width of the 95% CI over seeds (Student t)",
            runs,
            self.groups.len(),
            self.by.as_str()
        )?;
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut header = vec![self.by.as_str().to_owned()];
        header.extend(self.groups.iter().map(|g| g.key.clone()));
        rows.push(header);
        let mut seeds = vec!["runs (seeds)".to_owned()];
        seeds.extend(
            self.groups.iter().map(|g| format!("{} ({})", g.runs.len(), seed_list(&g.seeds()))),
        );
        rows.push(seeds);
        for metric in Metric::ALL {
            let mut row = vec![metric.label().to_owned()];
            row.extend(self.groups.iter().map(|g| cell(metric, g.estimate(metric), g.runs.len())));
            rows.push(row);
        }
        let columns = rows[0].len();
        let widths: Vec<usize> = (0..columns)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = String::new();
            for (c, text) in row.iter().enumerate() {
                let pad = widths[c] - text.chars().count();
                if c == 0 {
                    line.push_str(text);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str("   ");
                    line.push_str(&" ".repeat(pad));
                    line.push_str(text);
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// The files [`Comparison::write`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Every file, in the order written.
    pub files: Vec<PathBuf>,
}

impl Comparison {
    /// One row per group and metric: `group`, `runs`, `seeds` (space-separated), `metric`,
    /// `n`, `mean`, `std_dev`, `ci95_low`, `ci95_high`, `ci95_half_width` (nulls when
    /// missing), and the grouping in `by`.
    pub fn table(&self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let mut by = Vec::new();
        let mut group = Vec::new();
        let mut runs = Vec::new();
        let mut seeds = Vec::new();
        let mut metric = Vec::new();
        let mut n = Vec::new();
        let mut cols: [Vec<Option<f64>>; 5] = Default::default();
        for g in &self.groups {
            let seed_text = g.seeds().iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
            for m in Metric::ALL {
                by.push(self.by.as_str());
                group.push(g.key.clone());
                runs.push(g.runs.len() as u64);
                seeds.push(seed_text.clone());
                metric.push(m.name());
                let e = g.estimate(m);
                n.push(e.map_or(0, |e| e.n as u64));
                let interval = e.and_then(|e| e.interval());
                let row = [
                    e.map(|e| e.mean),
                    e.and_then(|e| e.std_dev),
                    interval.map(|i| i.0),
                    interval.map(|i| i.1),
                    e.and_then(|e| e.half_width),
                ];
                for (col, v) in cols.iter_mut().zip(row) {
                    col.push(v);
                }
            }
        }
        let [mean, std_dev, low, high, half] = cols;
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("by", Arc::new(StringArray::from(by))),
            ("group", Arc::new(StringArray::from(group))),
            ("runs", Arc::new(UInt64Array::from(runs))),
            ("seeds", Arc::new(StringArray::from(seeds))),
            ("metric", Arc::new(StringArray::from(metric))),
            ("n", Arc::new(UInt64Array::from(n))),
            ("mean", Arc::new(Float64Array::from(mean))),
            ("std_dev", Arc::new(Float64Array::from(std_dev))),
            ("ci95_low", Arc::new(Float64Array::from(low))),
            ("ci95_high", Arc::new(Float64Array::from(high))),
            ("ci95_half_width", Arc::new(Float64Array::from(half))),
        ];
        RecordBatch::try_from_iter(columns)
    }

    /// One row per run, groups in order and runs by seed: `group`, `scenario`, `policy`,
    /// `seed`, `summary` (the path as given), `digest`, then one column per metric.
    pub fn runs_table(&self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let all: Vec<(&Group, &Run)> =
            self.groups.iter().flat_map(|g| g.runs.iter().map(move |r| (g, r))).collect();
        let strings = |f: &dyn Fn(&Group, &Run) -> Option<String>| -> ArrayRef {
            Arc::new(StringArray::from(all.iter().map(|(g, r)| f(g, r)).collect::<Vec<_>>()))
        };
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("group", strings(&|g, _| Some(g.key.clone()))),
            ("scenario", strings(&|_, r| Some(r.scenario.clone()))),
            ("policy", strings(&|_, r| r.policy.clone())),
            (
                "seed",
                Arc::new(UInt64Array::from(all.iter().map(|(_, r)| r.seed).collect::<Vec<_>>())),
            ),
            ("summary", strings(&|_, r| Some(r.path.display().to_string()))),
            ("digest", strings(&|_, r| Some(r.digest.clone()))),
        ];
        for m in Metric::ALL {
            let values: Vec<Option<f64>> = all.iter().map(|(_, r)| r.metric(m)).collect();
            columns.push((m.name(), Arc::new(Float64Array::from(values))));
        }
        RecordBatch::try_from_iter(columns)
    }

    /// Writes `compare.csv`, `compare.parquet`, `runs.csv`, and the figures
    /// `compare-cost.svg` and `.png` (when some group has a cost) and `compare-wait.svg` and
    /// `.png` into `dir` (created).
    pub fn write(&self, dir: &Path) -> Result<Written, CompareError> {
        let err = |path: &Path, e: &dyn fmt::Display| CompareError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| err(dir, &e))?;
        let mut written = Written::default();
        let table = self.table().map_err(|e| err(dir, &e))?;
        let path = dir.join("compare.csv");
        crate::table::write_csv(&table, &path).map_err(|e| err(&path, &e))?;
        written.files.push(path);
        let path = dir.join("compare.parquet");
        crate::table::write_parquet(&table, &path).map_err(|e| err(&path, &e))?;
        written.files.push(path);
        let runs = self.runs_table().map_err(|e| err(dir, &e))?;
        let path = dir.join("runs.csv");
        crate::table::write_csv(&runs, &path).map_err(|e| err(&path, &e))?;
        written.files.push(path);
        for (metric, name, y_label) in [
            (Metric::CostTotal, "compare-cost", "cost (USD)"),
            (Metric::WaitP95, "compare-wait", "p95 wait (s)"),
        ] {
            let bars: Vec<Bar> = self
                .groups
                .iter()
                .filter_map(|g| {
                    g.estimate(metric).map(|e| Bar {
                        label: g.key.clone(),
                        mean: e.mean,
                        interval: e.interval(),
                    })
                })
                .collect();
            if bars.is_empty() {
                continue;
            }
            let title = format!("mean {y_label} by {}, with 95% CI over seeds", self.by.as_str());
            let size = bars_size(bars.len());
            let path = dir.join(format!("{name}.svg"));
            {
                let root = SVGBackend::new(&path, size).into_drawing_area();
                draw_bars(&root, &title, y_label, &bars).map_err(|e| err(&path, &e))?;
            }
            written.files.push(path);
            let path = dir.join(format!("{name}.png"));
            {
                let root = BitMapBackend::new(&path, size).into_drawing_area();
                draw_bars(&root, &title, y_label, &bars).map_err(|e| err(&path, &e))?;
            }
            written.files.push(path);
        }
        Ok(written)
    }
}

/// One bar of a bar chart: a group's mean and its 95% CI, if it has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The group.
    pub label: String,
    /// Its mean.
    pub mean: f64,
    /// The CI's ends.
    pub interval: Option<(f64, f64)>,
}

/// The size of a bar chart of `n` bars, in pixels.
pub fn bars_size(n: usize) -> (u32, u32) {
    ((160 * n as u32 + 160).clamp(480, 1600), 460)
}

/// A bar chart of `bars` with CI whiskers on `root` (an SVG or PNG figure of
/// [`bars_size`]), presented.
pub fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    bars: &[Bar],
) -> Result<(), String> {
    register_font();
    let top = bars
        .iter()
        .map(|b| b.interval.map_or(b.mean, |i| i.1).max(b.mean))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let bottom = bars
        .iter()
        .filter_map(|b| b.interval.map(|i| i.0))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min);
    let n = bars.len();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..n as f64, bottom..top)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_label)
        .label_style((FONT, 12))
        .draw()
        .map_err(|e| e.to_string())?;
    let colour = RGBColor(0x4c, 0x72, 0xb0);
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let x = i as f64;
            Rectangle::new([(x + 0.2, 0.0), (x + 0.8, b.mean)], colour.mix(0.8).filled())
        }))
        .map_err(|e| e.to_string())?;
    for (i, b) in bars.iter().enumerate() {
        let Some((low, high)) = b.interval else { continue };
        let x = i as f64 + 0.5;
        let lines = [
            vec![(x, low), (x, high)],
            vec![(x - 0.08, low), (x + 0.08, low)],
            vec![(x - 0.08, high), (x + 0.08, high)],
        ];
        chart
            .draw_series(lines.into_iter().map(|l| PathElement::new(l, BLACK.stroke_width(2))))
            .map_err(|e| e.to_string())?;
    }
    // Group names under the bars, centred, in pixels of the whole figure.
    let style =
        TextStyle::from((FONT, 13).into_font()).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ));
    for (i, b) in bars.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64 + 0.5, bottom));
        root.draw(&Text::new(b.label.clone(), (px, py + 8), style.clone()))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_interval_by_hand() {
        // 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302653, half-width 4.302653 / √3 = 2.484138.
        let e = Estimate::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!((e.n, e.mean, e.std_dev), (3, 2.0, Some(1.0)));
        assert!((e.half_width.unwrap() - 2.484_138).abs() < 1e-6, "{e:?}");
        assert!((t_975(1) - 12.706_205).abs() < 1e-5);
        assert!((t_975(30) - 2.042_272).abs() < 1e-5);
        let one = Estimate::of(&[5.0]).unwrap();
        assert_eq!((one.mean, one.std_dev, one.half_width), (5.0, None, None));
        assert_eq!(Estimate::of(&[]), None);
    }

    #[test]
    fn cells_and_seed_lists() {
        let e = Estimate::of(&[0.5, 0.7]);
        assert_eq!(cell(Metric::SlaAttained, e, 2).split(' ').next(), Some("60.00"));
        assert_eq!(cell(Metric::CostTotal, None, 3), "–");
        assert_eq!(cell(Metric::CostTotal, Estimate::of(&[2.0]), 3), "2.00 (1/3)");
        assert_eq!(seed_list(&[1, 2, 3]), "1, 2, 3");
        assert_eq!(seed_list(&[1, 2, 3, 4]), "1–4");
        assert_eq!(seed_list(&[1, 3, 4, 5]), "1, 3, 4, 5");
    }
}
