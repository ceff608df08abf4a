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

use engine::policy::{OnDemandConfig, StaticReservationConfig};
use serde::Deserialize;

use crate::cloud::SimCloudConfig;
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
    /// The demand forecaster and its parameters (`[predictor]`, see
    /// `sim::forecast::PredictorSpec`); default: the ensemble of `shardcast forecast`. The
    /// baselines do not forecast; predictive planners read it.
    #[serde(default)]
    pub predictor: crate::forecast::PredictorSpec,
    /// `[report]`: what the run reports besides the summary.
    #[serde(default)]
    pub report: ReportSection,
    /// `[sweep]`: dotted field paths and the values to sweep them over (`shardcast sweep`,
    /// parsed by `sim::sweep::SweepSpec`). A single run ignores it.
    #[serde(default)]
    pub sweep: Option<toml::Table>,
}

/// `[report]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// Solve each window's oracle and report `oracle` and `cost_ratio_to_oracle` (cloud
    /// platforms; needs the `planner` feature).
    #[serde(default)]
    pub oracle: bool,
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
    /// `[workload.timing_dag]` (Alibaba 2017): infer DAG edges from task timing, with each
    /// task instance's output size (`output_mib_per_instance`).
    pub timing_dag: Option<crate::trace::import::TimingDag>,
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
    /// Simulated clouds bought from by the engine's controller under a policy.
    Cloud(Box<CloudSection>),
}

fn one() -> u64 {
    1
}

/// `[platform] kind = "cloud"`: the clouds, the windows and the controller's limits.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudSection {
    /// The price catalog (TOML or JSON; relative paths: from the scenario's folder).
    pub catalog: PathBuf,
    /// Providers enabled (`aws`, `azure`, `gcp`); default: every provider of the catalog.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Regions enabled, by name; default: all.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Instance types enabled, by name; default: all.
    #[serde(default)]
    pub instance_types: Vec<String>,
    /// Reservation window length, hours (default 168: a week).
    #[serde(default = "default_window_h")]
    pub window_h: u64,
    /// How long before a window opens it is planned and reserved, hours (default 24).
    #[serde(default = "default_lead_h")]
    pub lead_h: u64,
    /// How often the policy scales elastic capacity, seconds (default 300).
    #[serde(default = "default_tick_s")]
    pub tick_s: u64,
    /// Attempts a job gets before interruptions fail it (default 3).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Spending cap, USD; default: none.
    pub budget_usd: Option<f64>,
    /// Windows planned after the last arrival while work remains (default 2).
    #[serde(default = "default_drain")]
    pub drain_windows: u32,
    /// Days at the start of the workload given to the policy as history, not replayed
    /// (default 0).
    #[serde(default)]
    pub history_days: u64,
    /// The simulated clouds: supply, quotas, faults, the spot process
    /// (`[platform.clouds]`, see `sim::cloud::SimCloudConfig`).
    #[serde(default)]
    pub clouds: SimCloudConfig,
}

fn default_window_h() -> u64 {
    168
}
fn default_lead_h() -> u64 {
    24
}
fn default_tick_s() -> u64 {
    300
}
fn default_attempts() -> u32 {
    3
}
fn default_drain() -> u32 {
    2
}

impl Platform {
    /// The fixed cluster this platform describes, if it is one.
    pub fn fixed_cluster(&self) -> Option<FixedCluster> {
        match *self {
            Platform::Fixed { machines, cores_per_machine } => {
                Some(FixedCluster { machines, cores_per_machine })
            }
            Platform::Cloud(_) => None,
        }
    }
}

/// `[policy]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The scheduler inside the platform (inside each shard, on clouds).
    #[serde(default)]
    pub scheduler: Scheduler,
    /// What to reserve and scale (`[policy.baseline]`, cloud platforms); default: on-demand.
    #[serde(default)]
    pub baseline: Baseline,
    /// The wait a job should start within, seconds, for SLA attainment (default 3600).
    #[serde(default = "default_sla_wait_s")]
    pub sla_wait_s: u64,
    /// The share of submitted jobs that must complete within `sla_wait_s` for the SLA to be
    /// met (default 0.99).
    #[serde(default = "default_sla_share")]
    pub sla_share: f64,
    /// `[policy.planner]`: the predictive policy (forecast, MILP plan, bursting) instead of
    /// the baseline (cloud platforms; needs the `planner` feature).
    #[serde(default)]
    pub planner: Option<engine::policy::PredictiveConfig>,
    /// `[policy.routing]`: the router (`kind`: planned, cheapest-feasible, least-loaded,
    /// locality, latency-class), the latency-class threshold `short_s` and the
    /// `[policy.routing.fabric]` (cloud platforms).
    #[serde(default)]
    pub routing: engine::controller::RoutingConfig,
    /// `[policy.rebalance]`: re-sharding between plans (`enabled`, the review `period_s`,
    /// hot and spare thresholds with hysteresis, waiting and running migration, remaps,
    /// `[policy.rebalance.burst]`, release; see `engine::rebalancer`), cloud platforms.
    #[serde(default)]
    pub rebalance: engine::rebalancer::RebalanceConfig,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            scheduler: Scheduler::default(),
            baseline: Baseline::default(),
            sla_wait_s: default_sla_wait_s(),
            sla_share: default_sla_share(),
            planner: None,
            routing: engine::controller::RoutingConfig::default(),
            rebalance: engine::rebalancer::RebalanceConfig::default(),
        }
    }
}

fn default_sla_wait_s() -> u64 {
    3600
}

fn default_sla_share() -> f64 {
    0.99
}

/// Local schedulers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheduler {
    /// First in, first out, no backfilling.
    #[default]
    Fifo,
    /// EASY backfill: later jobs may start early if they do not delay the head job's
    /// reserved start (cloud platforms).
    EasyBackfill,
}

/// `[policy.baseline]`: the baseline policies of `engine::policy`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Baseline {
    /// Scale on-demand (or spot) capacity with the queue, like a managed batch service.
    OnDemand(OnDemandConfig),
    /// The on-demand baseline on the one provider that serves the workload cheapest.
    CheapestSingleCloud(OnDemandConfig),
    /// Reserve each window's historical mean demand (and optionally overflow on demand).
    StaticReservation(StaticReservationConfig),
}

impl Default for Baseline {
    fn default() -> Baseline {
        Baseline::OnDemand(OnDemandConfig::default())
    }
}

impl Policy {
    /// The engine policy of `[policy]`: the predictive one when `[policy.planner]` is given,
    /// else the baseline. Errors (with what to do) when the planner is not built in.
    pub fn build(&self) -> Result<Box<dyn engine::policy::Policy>, String> {
        match &self.planner {
            None => Ok(self.baseline.build()),
            #[cfg(feature = "planner")]
            Some(c) => Ok(Box::new(engine::policy::Predictive::new(c.clone()))),
            #[cfg(not(feature = "planner"))]
            Some(_) => Err(NEEDS_PLANNER.to_owned()),
        }
    }
}

/// What to do when a scenario needs the MILP planner and the binary was built without it.
pub const NEEDS_PLANNER: &str = "needs the MILP planner, which this binary was built without: \
    rebuild with `--features planner` (HiGHS builds from source with cmake and libclang; \
    see the README)";

impl Baseline {
    /// The engine policy this names.
    pub fn build(&self) -> Box<dyn engine::policy::Policy> {
        use engine::policy::{OnDemand, StaticReservation};
        match self {
            Baseline::OnDemand(c) => Box::new(OnDemand::new(c.clone())),
            Baseline::CheapestSingleCloud(c) => {
                Box::new(OnDemand::new(OnDemandConfig { single_cloud: true, ..c.clone() }))
            }
            Baseline::StaticReservation(c) => Box::new(StaticReservation::new(c.clone())),
        }
    }
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
        if let Platform::Cloud(cloud) = &mut scenario.platform
            && cloud.catalog.is_relative()
        {
            cloud.catalog = folder.join(&cloud.catalog);
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
        if let Err(e) = self.policy.rebalance.validate() {
            return Err(invalid("policy.rebalance", &e));
        }
        if let Err(e) = self.policy.routing.fabric.validate() {
            return Err(invalid(&format!("policy.routing.fabric.{}", e.field), &e.to_string()));
        }
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
        if let Err(e) = self.predictor.validate() {
            return Err(invalid("predictor", &e.to_string()));
        }
        if w.limit == Some(0) {
            return Err(invalid("workload.limit", "must be at least 1 (or left out)"));
        }
        let share = self.policy.sla_share;
        if !(share > 0.0 && share <= 1.0) {
            return Err(invalid("policy.sla_share", "a share above 0 and at most 1, such as 0.99"));
        }
        let cloud = matches!(self.platform, Platform::Cloud(_));
        if let Some(p) = &self.policy.planner {
            if !cloud {
                return Err(invalid("policy.planner", "plans cloud platforms only"));
            }
            if cfg!(not(feature = "planner")) {
                return Err(invalid("policy.planner", NEEDS_PLANNER));
            }
            if p.scenarios == 0 {
                return Err(invalid("policy.planner.scenarios", "must be at least 1"));
            }
            if p.pools_per_class == 0 {
                return Err(invalid("policy.planner.pools_per_class", "must be at least 1"));
            }
            if p.quantile.is_some_and(|q| !(q > 0.0 && q < 1.0)) {
                return Err(invalid("policy.planner.quantile", "a level strictly between 0 and 1"));
            }
            if !(p.mip_rel_gap.is_finite() && p.mip_rel_gap >= 0.0) {
                return Err(invalid("policy.planner.mip_rel_gap", "a finite gap, 0 or more"));
            }
            if p.history_days == 0 {
                return Err(invalid("policy.planner.history_days", "must be at least 1"));
            }
        }
        if self.report.oracle {
            if !cloud {
                return Err(invalid("report.oracle", "applies to cloud platforms only"));
            }
            if cfg!(not(feature = "planner")) {
                return Err(invalid("report.oracle", NEEDS_PLANNER));
            }
        }
        match &self.platform {
            Platform::Fixed { machines, cores_per_machine } => {
                if *machines == 0 {
                    return Err(invalid("platform.machines", "must be at least 1"));
                }
                if *cores_per_machine == 0 {
                    return Err(invalid("platform.cores_per_machine", "must be at least 1"));
                }
                if self.policy.scheduler != Scheduler::Fifo {
                    return Err(invalid(
                        "policy.scheduler",
                        "the fixed platform schedules first in, first out only; use \"fifo\"",
                    ));
                }
            }
            Platform::Cloud(c) => {
                for p in &c.providers {
                    if engine::cloud::Cloud::parse(p).is_none() {
                        return Err(invalid(
                            "platform.providers",
                            &format!("unknown provider {p:?}; expected aws, azure or gcp"),
                        ));
                    }
                }
                if c.window_h == 0 {
                    return Err(invalid("platform.window_h", "must be at least 1 hour"));
                }
                if c.tick_s == 0 {
                    return Err(invalid("platform.tick_s", "must be at least 1 second"));
                }
                if c.max_attempts == 0 {
                    return Err(invalid("platform.max_attempts", "must be at least 1"));
                }
                if c.budget_usd.is_some_and(|b| !(b.is_finite() && b >= 0.0)) {
                    return Err(invalid("platform.budget_usd", "must be a non-negative amount"));
                }
                if let Err(e) = c.clouds.validate() {
                    return Err(invalid("platform.clouds", &e.to_string()));
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
        assert_eq!(loaded.scenario.platform.fixed_cluster().unwrap().machines, 9);
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
        let err = load(&GOOD.replace("kind = \"fixed\"", "kind = \"clud\""), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("clud"), "{err}");
    }

    const CLOUD: &str = r#"
[run]
seed = 1
[workload]
trace = "t.csv"
[platform]
kind = "cloud"
catalog = "catalogs/c.toml"
providers = ["aws"]
[platform.clouds.supply]
default_instances = 8
[policy]
scheduler = "easy-backfill"
[policy.baseline]
kind = "static-reservation"
product = "capacity_reservation"
"#;

    #[test]
    fn the_predictor_is_named_with_its_parameters() {
        let text = format!("{GOOD}\n[predictor]\nmodel = \"mean_profile\"\nweeks = 6\n");
        let loaded = load(&text, &[]).unwrap();
        assert_eq!(
            loaded.scenario.predictor,
            toml::from_str::<crate::forecast::PredictorSpec>("model = \"mean_profile\"\nweeks = 6")
                .unwrap()
        );
        assert_eq!(load(GOOD, &[]).unwrap().scenario.predictor, Default::default());
        let err = load(&format!("{GOOD}\n[predictor]\nmodel = \"mean_profile\"\nwekes = 6\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("wekes"), "{err}");
        let err = load(&format!("{GOOD}\n[predictor]\nmodel = \"mean_profile\"\nweeks = 0\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("predictor"), "{err}");
    }

    #[test]
    fn cloud_platforms_load_with_their_defaults_and_reject_bad_values() {
        let loaded = load(CLOUD, &[]).unwrap();
        let Platform::Cloud(c) = &loaded.scenario.platform else { panic!("a cloud platform") };
        assert_eq!(c.catalog, loaded.path.parent().unwrap().join("catalogs/c.toml"));
        assert_eq!((c.window_h, c.lead_h, c.tick_s, c.max_attempts), (168, 24, 300, 3));
        assert_eq!(c.clouds.supply.default_instances, 8);
        assert_eq!(loaded.scenario.policy.scheduler, Scheduler::EasyBackfill);
        assert!(matches!(loaded.scenario.policy.baseline, Baseline::StaticReservation(_)));
        let err = load(CLOUD, &["platform.providers=[\"ibm\"]"]).unwrap_err().to_string();
        assert!(err.contains("platform.providers") && err.contains("ibm"), "{err}");
        let err = load(CLOUD, &["platform.window_h=0"]).unwrap_err().to_string();
        assert!(err.contains("platform.window_h"), "{err}");
        let err = load(CLOUD, &["policy.baseline.kind=\"magic\""]).unwrap_err().to_string();
        assert!(err.contains("magic"), "{err}");
        let err = load(CLOUD, &["policy.baseline.prodct=1"]).unwrap_err().to_string();
        assert!(err.contains("prodct"), "{err}");
        let err = load(GOOD, &["policy.scheduler=\"easy-backfill\""]).unwrap_err().to_string();
        assert!(err.contains("policy.scheduler"), "{err}");
    }
}
