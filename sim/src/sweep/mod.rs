//! Parameter sweeps: a scenario's `[sweep]` table, its points, and running them in parallel.
//!
//! A `[sweep]` table maps dotted field paths (the keys of `--set`, written quoted:
//! `"run.seed"`, `"policy.baseline.kind"`) to the values to try:
//!
//! ```toml
//! [sweep]
//! "run.seed" = { from = 1, to = 4 }                           # a range (step 1 by default)
//! "policy.baseline.kind" = ["on-demand", "cheapest-single-cloud"]  # a list
//! "platform.clouds.supply.default_instances" = 48             # a single value
//! "platform.providers" = [["aws"], ["gcp"]]                   # a list of arrays
//! ```
//!
//! Unquoted keys (`run.seed = [1, 2]`, or a `[sweep.run]` table) mean the same. A range is a
//! table with `from` and `to` (inclusive) and an optional positive `step` (default 1);
//! integers give integers, any float gives floats (`from + i·step` up to `to`).
//!
//! The points are the cartesian product of the values, in a fixed order: keys sorted by
//! name, values in the order given, the last key varying fastest (point 0 takes every key's
//! first value). Each point is the scenario loaded with `--set key=value` for each key, after
//! the command's own `--set`s, so it obeys exactly the same validation as `shardcast run`.
//!
//! [`run()`] runs the points (or one part of them, [`Part`]) on a local rayon pool and returns
//! their rows in point order, so the result does not depend on the thread count;
//! [`results`] writes, reads and merges `results.parquet`.

pub mod results;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rayon::prelude::*;

use crate::run::{self, RunError};
use crate::scenario::{LoadedScenario, Scenario, ScenarioError};
use crate::trace::{Trace, TraceError};

pub use results::{Results, Row};

/// The most points one sweep may have.
pub const MAX_POINTS: usize = 1_000_000;

/// Why a sweep could not be planned, run, written or merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The scenario could not be loaded (before any sweep value is applied).
    #[error(transparent)]
    Scenario(Box<ScenarioError>),
    /// The scenario has no `[sweep]` table.
    #[error(
        "{path}: no [sweep] table; add one, e.g.\n[sweep]\n\"run.seed\" = {{ from = 1, to = 8 }}"
    )]
    NoSweep {
        /// The scenario file.
        path: PathBuf,
    },
    /// A `[sweep]` key or its values are malformed, or one of its values fails validation.
    #[error("{path}: sweep key `{key}`: {message}")]
    Key {
        /// The scenario file.
        path: PathBuf,
        /// The dotted key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A combination of values fails validation.
    #[error("sweep point {index} ({sets}): {source}")]
    Point {
        /// The point's index.
        index: usize,
        /// Its `key=value`s.
        sets: String,
        /// The scenario's error.
        source: Box<ScenarioError>,
    },
    /// The sweep has too many points.
    #[error("{path}: the sweep has {points} points, more than the {MAX_POINTS} allowed")]
    TooLarge {
        /// The scenario file.
        path: PathBuf,
        /// Points (saturated).
        points: u128,
    },
    /// A point's workload could not be loaded.
    #[error("sweep point {index} ({sets}): workload")]
    Workload {
        /// The point's index.
        index: usize,
        /// Its `key=value`s.
        sets: String,
        /// The cause.
        source: Box<TraceError>,
    },
    /// A point's run failed.
    #[error("sweep point {index} ({sets})")]
    Run {
        /// The point's index.
        index: usize,
        /// Its `key=value`s.
        sets: String,
        /// The cause.
        source: Box<RunError>,
    },
    /// `--threads` is zero or the pool could not start.
    #[error("--threads: {0}")]
    Threads(String),
    /// A results file could not be written or read.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Part files do not merge into one sweep.
    #[error("merge: {0}")]
    Merge(String),
}

impl From<ScenarioError> for SweepError {
    fn from(e: ScenarioError) -> SweepError {
        SweepError::Scenario(Box::new(e))
    }
}

/// One swept key and its values, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The dotted field path.
    pub key: String,
    /// The values, at least one.
    pub values: Vec<toml::Value>,
}

/// A parsed `[sweep]` table: its axes, sorted by key.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// The axes, sorted by key.
    pub axes: Vec<Axis>,
}

impl SweepSpec {
    /// Parse a `[sweep]` table; errors name the key (`path` is the scenario, for messages).
    pub fn from_table(table: &toml::Table, path: &Path) -> Result<SweepSpec, SweepError> {
        let mut axes = BTreeMap::new();
        flatten(table, "", path, &mut axes)?;
        let axes: Vec<Axis> = axes.into_iter().map(|(key, values)| Axis { key, values }).collect();
        if axes.is_empty() {
            return Err(SweepError::NoSweep { path: path.to_owned() });
        }
        let points = axes.iter().fold(1u128, |n, a| n.saturating_mul(a.values.len() as u128));
        if points > MAX_POINTS as u128 {
            return Err(SweepError::TooLarge { path: path.to_owned(), points });
        }
        Ok(SweepSpec { axes })
    }

    /// The number of points: the product of the value counts.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Always false: a spec has at least one axis of at least one value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value index of each axis at point `index` (the last axis varies fastest).
    pub fn coordinates(&self, mut index: usize) -> Vec<usize> {
        let mut out = vec![0; self.axes.len()];
        for (slot, axis) in out.iter_mut().zip(&self.axes).rev() {
            *slot = index % axis.values.len();
            index /= axis.values.len();
        }
        out
    }

    /// The `key=value` overrides of point `index`, one per axis, in key order.
    pub fn sets(&self, index: usize) -> Vec<String> {
        self.coordinates(index)
            .iter()
            .zip(&self.axes)
            .map(|(i, axis)| format!("{}={}", axis.key, axis.values[*i]))
            .collect()
    }

    /// The values of point `index` in string form (strings bare, others as TOML), in key order.
    pub fn params(&self, index: usize) -> Vec<String> {
        self.coordinates(index)
            .iter()
            .zip(&self.axes)
            .map(|(i, a)| display(&a.values[*i]))
            .collect()
    }
}

/// A value's string form in `results.parquet`: strings bare, anything else as TOML.
pub fn display(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flatten(
    table: &toml::Table,
    prefix: &str,
    path: &Path,
    out: &mut BTreeMap<String, Vec<toml::Value>>,
) -> Result<(), SweepError> {
    for (name, value) in table {
        let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let err =
            |message: String| SweepError::Key { path: path.to_owned(), key: key.clone(), message };
        if key.split('.').any(str::is_empty) {
            return Err(err("the key has an empty part; expected e.g. \"run.seed\"".into()));
        }
        if key == "sweep" || key.starts_with("sweep.") {
            return Err(err("a sweep cannot sweep its own table".into()));
        }
        let values = match value {
            toml::Value::Table(t) if is_range(t) => range(t).map_err(err)?,
            toml::Value::Table(t) => {
                flatten(t, &key, path, out)?;
                continue;
            }
            toml::Value::Array(list) if list.is_empty() => {
                return Err(err("the list of values is empty; give at least one".into()));
            }
            toml::Value::Array(list) => list.clone(),
            single => vec![single.clone()],
        };
        if out.insert(key.clone(), values).is_some() {
            return Err(err("given twice (quoted and as a table)".into()));
        }
    }
    Ok(())
}

/// A table is a range when it has `from` or `to` and nothing but `from`, `to` and `step`.
fn is_range(t: &toml::Table) -> bool {
    (t.contains_key("from") || t.contains_key("to"))
        && t.keys().all(|k| matches!(k.as_str(), "from" | "to" | "step"))
}

fn range(t: &toml::Table) -> Result<Vec<toml::Value>, String> {
    use toml::Value::{Float, Integer};
    let get = |name: &str| t.get(name);
    let (Some(from), Some(to)) = (get("from"), get("to")) else {
        return Err("a range needs both `from` and `to` (and optionally `step`)".into());
    };
    let step = get("step").cloned().unwrap_or(Integer(1));
    let too_many = || format!("the range has more than {MAX_POINTS} values");
    match (from, to, &step) {
        (Integer(from), Integer(to), Integer(step)) => {
            if *step <= 0 {
                return Err(format!("range `step` must be positive, not {step}"));
            }
            if from > to {
                return Err(format!("range `from` ({from}) is after `to` ({to})"));
            }
            let count = (i128::from(*to) - i128::from(*from)) / i128::from(*step) + 1;
            if count > MAX_POINTS as i128 {
                return Err(too_many());
            }
            Ok((0..count as i64).map(|i| Integer(from + i * step)).collect())
        }
        (from, to, step) => {
            let number = |name: &str, v: &toml::Value| match v {
                Integer(i) => Ok(*i as f64),
                Float(f) if f.is_finite() => Ok(*f),
                other => Err(format!("range `{name}` must be a number, not {other}")),
            };
            let (from, to, step) =
                (number("from", from)?, number("to", to)?, number("step", step)?);
            if step <= 0.0 {
                return Err(format!("range `step` must be positive, not {step}"));
            }
            if from > to {
                return Err(format!("range `from` ({from}) is after `to` ({to})"));
            }
            // A small tolerance so that 0.1-steps reach `to` despite rounding.
            let count = ((to - from) / step + 1e-9).floor() + 1.0;
            if count > MAX_POINTS as f64 {
                return Err(too_many());
            }
            Ok((0..count as u64).map(|i| Float(from + i as f64 * step)).collect())
        }
    }
}

/// One part of a sweep split for several machines: `index` of `count`, 1-based. Part `i/N`
/// runs the points whose index modulo N is i − 1 (round robin, so each part gets a similar
/// mix of parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// Which part, from 1.
    pub index: usize,
    /// Of how many.
    pub count: usize,
}

impl Part {
    /// Whether point `point` belongs to this part.
    pub fn contains(&self, point: usize) -> bool {
        point % self.count == self.index - 1
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Part {
    type Err = String;
    fn from_str(s: &str) -> Result<Part, String> {
        let bad = || format!("{s:?}: expected i/N with 1 <= i <= N, e.g. 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Part { index, count })
    }
}

/// One point of a sweep, loaded and validated.
#[derive(Clone, Debug)]
pub struct Point {
    /// Its index in the sweep's fixed order.
    pub index: usize,
    /// The swept values in string form, in key order.
    pub params: Vec<String>,
    /// The `key=value` overrides that make it.
    pub sets: Vec<String>,
    /// The scenario with them applied.
    pub loaded: LoadedScenario,
}

/// A scenario's sweep: every point loaded and checked.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The scenario's name (before any sweep value).
    pub name: String,
    /// The scenario file.
    pub path: PathBuf,
    /// The parsed `[sweep]` table.
    pub spec: SweepSpec,
    /// The points, in order.
    pub points: Vec<Point>,
    /// BLAKE3 (hex) of the scenario text, the command's `--set`s and every point's overrides:
    /// part files with the same fingerprint belong to the same sweep.
    pub fingerprint: String,
}

impl Sweep {
    /// Load `path` with `sets`, parse its `[sweep]`, and load every point. Errors name the
    /// sweep key at fault where one is.
    pub fn load(path: &Path, sets: &[String]) -> Result<Sweep, SweepError> {
        let base = Scenario::load(path, sets)?;
        let table = base
            .scenario
            .sweep
            .clone()
            .ok_or_else(|| SweepError::NoSweep { path: path.to_owned() })?;
        let spec = SweepSpec::from_table(&table, path)?;
        // Each key alone first, with each of its values, so an error names the key.
        for axis in &spec.axes {
            for value in &axis.values {
                let mut all = sets.to_vec();
                all.push(format!("{}={value}", axis.key));
                Scenario::load(path, &all).map_err(|e| SweepError::Key {
                    path: path.to_owned(),
                    key: axis.key.clone(),
                    message: format!("value {value}: {}", strip_path(&e, path)),
                })?;
            }
        }
        let points = (0..spec.len())
            .map(|index| {
                let point_sets = spec.sets(index);
                let all: Vec<String> = sets.iter().chain(&point_sets).cloned().collect();
                let loaded = Scenario::load(path, &all).map_err(|source| SweepError::Point {
                    index,
                    sets: point_sets.join(" "),
                    source: Box::new(source),
                })?;
                Ok(Point { index, params: spec.params(index), sets: point_sets, loaded })
            })
            .collect::<Result<Vec<_>, SweepError>>()?;
        let text = std::fs::read_to_string(path)
            .map_err(|source| ScenarioError::Io { path: path.to_owned(), source })?;
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"shardcast sweep v1\n");
        hasher.update(&(text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
        for set in sets {
            hasher.update(b"\n--set ");
            hasher.update(set.as_bytes());
        }
        for point in &points {
            hasher.update(b"\npoint ");
            hasher.update(point.sets.join("\u{1f}").as_bytes());
        }
        let fingerprint = hasher.finalize().to_hex().to_string();
        Ok(Sweep { name: base.name, path: path.to_owned(), spec, points, fingerprint })
    }

    /// The swept keys, in order.
    pub fn keys(&self) -> Vec<String> {
        self.spec.axes.iter().map(|a| a.key.clone()).collect()
    }

    /// The default output folder: `reports/<scenario>/sweep/`.
    pub fn default_out_dir(&self) -> PathBuf {
        PathBuf::from("reports").join(&self.name).join("sweep")
    }

    /// The points of `part` (all without one), in order.
    pub fn select(&self, part: Option<Part>) -> Vec<&Point> {
        self.points.iter().filter(|p| part.is_none_or(|part| part.contains(p.index))).collect()
    }
}

/// A scenario error's message without the leading `path: ` (the caller names the file).
fn strip_path(e: &ScenarioError, path: &Path) -> String {
    let text = e.to_string();
    let prefix = format!("{}: ", path.display());
    text.strip_prefix(&prefix).map_or_else(|| text.clone(), str::to_owned)
}

/// The default thread count: the machine's available parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Run the points of `part` (all without one) on a pool of `threads` threads; `progress` is
/// called once per finished point, from any thread. Each distinct workload is loaded once.
/// The rows come back in point order whatever the thread count; on failure, the error of the
/// lowest failing point is returned.
pub fn run(
    sweep: &Sweep,
    part: Option<Part>,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Results, SweepError> {
    if threads == 0 {
        return Err(SweepError::Threads("must be at least 1".into()));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("sweep-{i}"))
        .build()
        .map_err(|e| SweepError::Threads(e.to_string()))?;
    let points = sweep.select(part);
    // Points whose workload section (and, for generated workloads, seed) agree share a trace,
    // loaded once up front; a workload only one point uses is loaded in that point's task, so
    // a sweep over generated seeds holds no more traces than it has threads.
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    let mut firsts: Vec<(&Point, usize)> = Vec::new();
    let slots: Vec<usize> = points
        .iter()
        .map(|p| {
            let slot = *keys.entry(workload_key(&p.loaded)).or_insert_with(|| {
                firsts.push((p, 0));
                firsts.len() - 1
            });
            firsts[slot].1 += 1;
            slot
        })
        .collect();
    let load = |p: &Point| {
        run::load_workload(&p.loaded).map_err(|source| SweepError::Workload {
            index: p.index,
            sets: p.sets.join(" "),
            source: Box::new(source),
        })
    };
    let rows = pool.install(|| {
        let shared = firsts
            .par_iter()
            .map(|(p, uses)| if *uses > 1 { load(p).map(|t| Some(Arc::new(t))) } else { Ok(None) })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<Vec<Option<Arc<Trace>>>, SweepError>>()?;
        points
            .par_iter()
            .zip(slots.par_iter())
            .map(|(p, slot)| {
                let trace = match &shared[*slot] {
                    Some(trace) => Trace::clone(trace),
                    None => load(p)?,
                };
                let result = run::run_trace(&p.loaded, trace, &mut |_| {}).map_err(|source| {
                    SweepError::Run {
                        index: p.index,
                        sets: p.sets.join(" "),
                        source: Box::new(source),
                    }
                });
                progress();
                result.map(|r| Row::new(p.index, p.params.clone(), &r.summary))
            })
            .collect::<Vec<_>>()
            // In point order, so the error reported is the lowest point's at any thread count.
            .into_iter()
            .collect::<Result<Vec<Row>, SweepError>>()
    })?;
    Ok(Results {
        fingerprint: sweep.fingerprint.clone(),
        scenario: sweep.name.clone(),
        keys: sweep.keys(),
        points: sweep.points.len() as u64,
        part,
        rows,
    })
}

/// What decides a point's workload: its `[workload]` section, and its seed when generated.
fn workload_key(loaded: &LoadedScenario) -> String {
    let s = &loaded.scenario;
    let seed = s.workload.synthetic.as_ref().map(|_| s.run.seed);
    format!("{:?}|{seed:?}", s.workload)
}
