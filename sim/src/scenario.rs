//! Scenario files: what to replay, on what, with which policy, under which seed.
//!
//! A scenario is TOML with four tables, each documented in `scenarios/README.md`:
//!
//! ```toml
//! [run]
//! seed = 1                      # the one seed every random stream derives from
//! name = "golden-fifo"          # optional; default: the file name without `.toml`
//! [workload]
//! trace = "../traces/x.parquet" # a trace file (relative paths: from the scenario's folder)
//! format = "csv"                # optional: parquet, swf, csv, json, alibaba-gpu-2023, alibaba-2017
//! map = "submit=submit_s:seconds,runtime=runtime_s:seconds"   # csv/json column mapping
//! # or, instead of `trace`:
//! # [workload.synthetic]
//! # preset = "hpc-seasonal"
//! # jobs = 20000
//! [platform]
//! kind = "fixed"
//! machines = 100
//! [policy]
//! scheduler = "fifo"
//! ```
//!
//! Loading is two steps, as in ripgrep's low- and high-level arguments: the file is parsed
//! into raw serde structs that reject unknown keys ([`Scenario`]), then checked
//! ([`Scenario::validate`]), so every error names the file and the field.
//!
//! `--set key=value` overrides are applied to the parsed TOML table before it is read, so they
//! obey the same rules as the file; `value` is read as TOML (`7`, `true`, `"text"`) and falls
//! back to a plain string.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::platform::fixed::FixedCluster;
use crate::trace::synth::SynthSpec;

/// A scenario as written in its file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Seed and name.
    pub run: RunSection,
    /// The jobs to replay.
    pub workload: Workload,
    /// What they run on.
    pub platform: Platform,
    /// How they are scheduled.
    #[serde(default)]
    pub policy: Policy,
}

/// `[run]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// The scenario seed.
    pub seed: u64,
    /// The scenario's name in reports; default: the file stem.
    pub name: Option<String>,
}

/// `[workload]`: a trace file or a synthetic generator.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// A trace file; relative to the scenario file's folder.
    pub trace: Option<PathBuf>,
    /// Its format; default: from the file name (`.parquet`, `.swf[.gz]`, `.csv[.gz]`, `.json`).
    pub format: Option<String>,
    /// Column mapping for csv and json (`field=column:unit,...`).
    pub map: Option<String>,
    /// RFC 3339 time that relative trace times count from (Alibaba traces, relative CSV).
    pub origin: Option<String>,
    /// Skip malformed records (counted in the import report) instead of failing.
    #[serde(default)]
    pub skip_malformed: bool,
    /// Replay only the first `limit` jobs.
    pub limit: Option<usize>,
    /// Generate the workload instead of reading it.
    pub synthetic: Option<SyntheticWorkload>,
}

/// `[workload.synthetic]`: a preset or a full spec, and how many jobs.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticWorkload {
    /// A named preset (`shardcast trace gen --help` lists them).
    pub preset: Option<String>,
    /// A full generator spec, instead of a preset.
    pub spec: Option<SynthSpec>,
    /// Jobs to generate.
    pub jobs: usize,
}

/// `[platform]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Platform {
    /// M identical machines.
    Fixed {
        /// Number of machines.
        machines: u64,
        /// vCPUs per machine (default 1: one job per machine).
        #[serde(default = "one")]
        cores_per_machine: u64,
    },
}

fn one() -> u64 {
    1
}

impl Platform {
    /// The fixed cluster this platform describes.
    pub fn fixed_cluster(&self) -> FixedCluster {
        match *self {
            Platform::Fixed { machines, cores_per_machine } => {
                FixedCluster { machines, cores_per_machine }
            }
        }
    }
}

/// `[policy]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The scheduler inside the platform.
    #[serde(default)]
    pub scheduler: Scheduler,
}

/// Local schedulers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheduler {
    /// First in, first out, no backfilling.
    #[default]
    Fifo,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The scenario file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The TOML is malformed, or a key is unknown or of the wrong type.
    #[error("{path}: {message}")]
    Toml {
        /// The scenario file.
        path: PathBuf,
        /// The parser's message (with line and column when the file itself is at fault).
        message: String,
    },
    /// A `--set` argument is malformed.
    #[error("--set {arg:?}: {message}")]
    Set {
        /// The argument as given.
        arg: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value is out of range or values contradict each other.
    #[error("{path}: field `{field}`: {message}")]
    Invalid {
        /// The scenario file.
        path: PathBuf,
        /// The field, as a dotted path.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// A scenario read from disk, with the facts that depend on where it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedScenario {
    /// The scenario, with relative paths already resolved.
    pub scenario: Scenario,
    /// The file it came from.
    pub path: PathBuf,
    /// `run.name`, or the file stem.
    pub name: String,
}

impl Scenario {
    /// Read `path`, apply `sets` (each `key.path=value`), check the result.
    pub fn load(path: &Path, sets: &[String]) -> Result<LoadedScenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ScenarioError::Io { path: path.to_owned(), source })?;
        let toml_err = |e: &dyn std::fmt::Display| ScenarioError::Toml {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let mut scenario: Scenario = if sets.is_empty() {
            // Parsing the text directly keeps line and column numbers in errors.
            toml::from_str(&text).map_err(|e| toml_err(&e))?
        } else {
            let mut table: toml::Table = toml::from_str(&text).map_err(|e| toml_err(&e))?;
            for set in sets {
                apply_set(&mut table, set)?;
            }
            Scenario::deserialize(table).map_err(|e| {
                toml_err(&format!("{e}(after applying --set {})", sets.join(" --set ")))
            })?
        };
        let folder = path.parent().unwrap_or(Path::new(""));
        if let Some(trace) = &scenario.workload.trace
            && trace.is_relative()
        {
            scenario.workload.trace = Some(folder.join(trace));
        }
        scenario.validate(path)?;
        let name = scenario.run.name.clone().unwrap_or_else(|| {
            path.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
        });
        Ok(LoadedScenario { scenario, path: path.to_owned(), name })
    }

    /// Check values that serde cannot: ranges and combinations.
    pub fn validate(&self, path: &Path) -> Result<(), ScenarioError> {
        let invalid = |field: &str, message: &str| ScenarioError::Invalid {
            path: path.to_owned(),
            field: field.into(),
            message: message.into(),
        };
        let w = &self.workload;
        match (&w.trace, &w.synthetic) {
            (None, None) => {
                return Err(invalid(
                    "workload",
                    "give either `trace = \"file\"` or a `[workload.synthetic]` table",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "workload",
                    "give `trace` or `[workload.synthetic]`, not both",
                ));
            }
            (None, Some(synthetic)) => {
                if synthetic.preset.is_some() == synthetic.spec.is_some() {
                    return Err(invalid(
                        "workload.synthetic",
                        "give exactly one of `preset = \"name\"` and a `spec` table",
                    ));
                }
                if synthetic.jobs == 0 {
                    return Err(invalid("workload.synthetic.jobs", "must be at least 1"));
                }
            }
            (Some(_), None) => {}
        }
        if w.limit == Some(0) {
            return Err(invalid("workload.limit", "must be at least 1 (or left out)"));
        }
        match self.platform {
            Platform::Fixed { machines, cores_per_machine } => {
                if machines == 0 {
                    return Err(invalid("platform.machines", "must be at least 1"));
                }
                if cores_per_machine == 0 {
                    return Err(invalid("platform.cores_per_machine", "must be at least 1"));
                }
            }
        }
        Ok(())
    }
}

/// Apply one `key.path=value` override to a parsed scenario table.
fn apply_set(table: &mut toml::Table, set: &str) -> Result<(), ScenarioError> {
    let set_err = |message: &str| ScenarioError::Set { arg: set.into(), message: message.into() };
    let (key, raw_value) =
        set.split_once('=').ok_or_else(|| set_err("expected key=value, e.g. run.seed=7"))?;
    let parts: Vec<&str> = key.trim().split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(set_err("the key has an empty part; expected e.g. platform.machines"));
    }
    // Read the value as TOML (numbers, booleans, quoted strings, arrays); else a plain string.
    let value = toml::from_str::<toml::Table>(&format!("v = {raw_value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw_value.to_owned()));
    let (last, parents) = parts.split_last().ok_or_else(|| set_err("empty key"))?;
    let mut current = table;
    for part in parents {
        let entry = current
            .entry((*part).to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| set_err(&format!("`{part}` is a value, not a table")))?;
    }
    current.insert((*last).to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn load(text: &str, sets: &[&str]) -> Result<LoadedScenario, ScenarioError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.toml");
        std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
        let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
        Scenario::load(&path, &sets)
    }

    const GOOD: &str = r#"
[run]
seed = 1
[workload]
trace = "t.csv"
[platform]
kind = "fixed"
machines = 4
"#;

    #[test]
    fn relative_paths_resolve_against_the_scenario_folder() {
        let loaded = load(GOOD, &[]).unwrap();
        let trace = loaded.scenario.workload.trace.unwrap();
        assert_eq!(trace, loaded.path.parent().unwrap().join("t.csv"));
        assert_eq!(loaded.name, "case");
        assert_eq!(loaded.scenario.policy.scheduler, Scheduler::Fifo);
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let err = load(&GOOD.replace("machines = 4", "machines = 4\nmachnes = 5"), &[])
            .unwrap_err()
            .to_string();
        // `[platform]` is a tagged table, so the parser points at its header (line 6) and
        // names the unknown key with the valid ones.
        assert!(err.contains("unknown field `machnes`, expected `machines`"), "{err}");
        assert!(err.contains("line 6"), "{err}");
        let err = load(&format!("{GOOD}\n[polcy]\nx=1\n"), &[]).unwrap_err().to_string();
        assert!(err.contains("polcy"), "{err}");
    }

    #[test]
    fn sets_override_and_obey_the_same_rules() {
        let loaded = load(GOOD, &["platform.machines=9", "run.name=renamed"]).unwrap();
        assert_eq!(loaded.scenario.platform.fixed_cluster().machines, 9);
        assert_eq!(loaded.name, "renamed");
        let err = load(GOOD, &["platform.machnes=9"]).unwrap_err().to_string();
        assert!(err.contains("machnes"), "{err}");
        let err = load(GOOD, &["platform.machines=0"]).unwrap_err().to_string();
        assert!(err.contains("platform.machines"), "{err}");
        assert!(matches!(load(GOOD, &["nokey"]), Err(ScenarioError::Set { .. })));
        assert!(matches!(load(GOOD, &["run.seed.x=1"]), Err(ScenarioError::Set { .. })));
    }

    #[test]
    fn workload_must_be_exactly_one_source() {
        let none = GOOD.replace("trace = \"t.csv\"", "");
        assert!(load(&none, &[]).unwrap_err().to_string().contains("`workload`"));
        let both = format!("{GOOD}\n[workload.synthetic]\npreset = \"tiny\"\njobs = 5\n");
        assert!(load(&both, &[]).unwrap_err().to_string().contains("not both"));
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = load(&GOOD.replace("machines = 4", "machines = \"four\""), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("machines") || err.contains("line"), "{err}");
        let err = load(&GOOD.replace("kind = \"fixed\"", "kind = \"cloud\""), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cloud"), "{err}");
    }
}
