//! One run of a scenario: load the workload, replay it on the platform, summarise.
//!
//! This is the single entry point the CLI, the tests and the benchmarks share, so they all
//! exercise the same path. Output directories are derived from the scenario name and seed
//! (`reports/<scenario>/<seed>/`), never from the wall clock.

use std::path::PathBuf;

use crate::platform::fixed;
use crate::report::Summary;
use crate::scenario::{LoadedScenario, Platform, Scheduler};
use crate::trace::import::{ColumnMap, ImportOptions};
use crate::trace::{self, Trace, TraceError};

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The workload could not be read or generated.
    #[error("workload: {0}")]
    Trace(#[from] TraceError),
}

/// Progress of a run, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The workload is loaded; this many jobs will be replayed.
    Loaded {
        /// Jobs in the workload.
        jobs: u64,
    },
    /// This many jobs have left the simulation.
    Jobs(u64),
}

/// What a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// The summary (`summary.json`).
    pub summary: Summary,
}

/// The default output folder of a run: `reports/<scenario>/<seed>/`.
pub fn default_out_dir(loaded: &LoadedScenario) -> PathBuf {
    PathBuf::from("reports").join(&loaded.name).join(loaded.scenario.run.seed.to_string())
}

/// Load or generate the workload of a scenario.
pub fn load_workload(loaded: &LoadedScenario) -> Result<Trace, TraceError> {
    let scenario = &loaded.scenario;
    let workload = &scenario.workload;
    let mut trace = if let Some(synthetic) = &workload.synthetic {
        let spec = match (&synthetic.preset, &synthetic.spec) {
            (Some(name), _) => trace::synth::preset(name)?,
            (None, Some(spec)) => spec.clone(),
            (None, None) => unreachable!("validated: preset or spec"),
        };
        trace::synth::generate(&spec, scenario.run.seed, synthetic.jobs)?
    } else {
        let path = workload.trace.as_ref().expect("validated: trace or synthetic");
        let mut options =
            ImportOptions { skip_malformed: workload.skip_malformed, ..ImportOptions::default() };
        if let Some(map) = &workload.map {
            options.map = Some(map.parse::<ColumnMap>()?);
        }
        if let Some(origin) = &workload.origin {
            options.origin = trace::parse_rfc3339(origin)?;
        }
        trace::load(path, workload.format.as_deref(), &options)?
    };
    if let Some(limit) = workload.limit {
        trace.truncate(limit);
    }
    Ok(trace)
}

/// Run a loaded scenario. `progress` is told when the workload is loaded and, now and then,
/// how far the replay has got.
pub fn run(
    loaded: &LoadedScenario,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunResult, RunError> {
    let trace = load_workload(loaded)?;
    progress(Progress::Loaded { jobs: trace.jobs.len() as u64 });
    let scenario = &loaded.scenario;
    let (outcome, platform_json) = match (&scenario.platform, scenario.policy.scheduler) {
        (Platform::Fixed { .. }, Scheduler::Fifo) => {
            let cluster = scenario.platform.fixed_cluster();
            let outcome =
                fixed::run_fifo(&trace, cluster, &mut |done| progress(Progress::Jobs(done)));
            let json = serde_json::json!({
                "kind": "fixed",
                "machines": cluster.machines,
                "cores_per_machine": cluster.cores_per_machine,
                "scheduler": "fifo",
            });
            (outcome, json)
        }
    };
    let summary = Summary::new(&loaded.name, scenario.run.seed, platform_json, &trace, &outcome);
    Ok(RunResult { summary })
}
