//! One run of a scenario: load the workload, replay it on the platform, summarise.
//!
//! This is the single entry point the CLI, the tests and the benchmarks share, so they all
//! exercise the same path. Output directories are derived from the scenario name and seed
//! (`reports/<scenario>/<seed>/`), never from the wall clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::cloud::{Catalog, Cloud, OfferIx};
use engine::controller::ControllerConfig;
use engine::{Money, SimDuration};

use crate::catalog::CatalogFileError;
use crate::platform::cloud::{self, CloudJob, CloudPlatform, CloudRunError, TimelineRow};
use crate::platform::{RunOutcome, fixed};
use crate::report::Summary;
use crate::report::jobs::{JobsTable, JobsTableError};
use crate::scenario::{CloudSection, LoadedScenario, Platform, Scheduler};
use crate::trace::import::{ColumnMap, ImportOptions};
use crate::trace::{self, Trace, TraceError};

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The workload could not be read or generated.
    #[error("workload")]
    Trace(#[from] TraceError),
    /// The price catalog could not be loaded.
    #[error("platform.catalog")]
    Catalog(#[from] CatalogFileError),
    /// The providers, regions and types enabled leave no offer.
    #[error(
        "platform: no offer of the catalog matches providers {providers:?}, regions {regions:?} \
         and instance_types {types:?}; `shardcast catalog show CATALOG` lists them"
    )]
    NoOffers {
        /// Providers enabled.
        providers: Vec<String>,
        /// Regions enabled.
        regions: Vec<String>,
        /// Types enabled.
        types: Vec<String>,
    },
    /// The cloud replay failed.
    #[error(transparent)]
    Cloud(#[from] CloudRunError),
    /// The policy cannot be built (the planner is not compiled in).
    #[error("policy.planner: {0}")]
    Policy(String),
    /// The oracle could not be solved.
    #[cfg(feature = "planner")]
    #[error(transparent)]
    Oracle(#[from] crate::oracle::OracleError),
    /// A report file could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// `jobs.parquet` could not be written.
    #[error(transparent)]
    JobsTable(#[from] JobsTableError),
    /// A figure could not be drawn.
    #[error(transparent)]
    Figure(#[from] crate::report::figures::FigureError),
    /// `report.html` could not be written.
    #[error(transparent)]
    Html(#[from] crate::report::html::HtmlError),
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
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The summary (`summary.json`).
    pub summary: Summary,
    /// The jobs replayed (on clouds, without the history prefix).
    pub trace: Trace,
    /// What happened to each.
    pub outcome: RunOutcome,
    /// On cloud platforms: the catalog, each job's placement and cost, the shard timeline.
    pub cloud: Option<CloudResult>,
    /// The scenario file, shown in `report.html`.
    pub scenario_path: PathBuf,
}

/// What only a cloud run produces.
#[derive(Clone, Debug)]
pub struct CloudResult {
    /// The catalog the run bought from.
    pub catalog: Arc<Catalog>,
    /// Per job: placement, attempts, cost.
    pub jobs: Vec<CloudJob>,
    /// What a planning policy planned per window (`plans/window-NNNN.json`).
    pub plans: Vec<engine::policy::WindowRecord>,
    /// Every shard sampled hourly (`timeline.parquet`).
    pub timeline: Vec<TimelineRow>,
    /// The rebalancer's moves (`moves.jsonl`, written when it is enabled).
    pub moves: Vec<engine::rebalancer::MoveRecord>,
    /// Whether the rebalancer was enabled.
    pub rebalanced: bool,
}

impl RunResult {
    /// The rows of `jobs.parquet`.
    pub fn jobs_table(&self) -> JobsTable<'_> {
        JobsTable {
            trace: &self.trace,
            outcome: &self.outcome,
            cloud: self.cloud.as_ref().map(|c| (c.catalog.as_ref(), c.jobs.as_slice())),
        }
    }

    /// Writes `summary.json`, `jobs.parquet`, for cloud runs `timeline.parquet` (and
    /// `moves.jsonl` with the rebalancer on), the figures
    /// (SVG and PNG) and `report.html` into `dir` (created if needed); returns the summary's
    /// path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, RunError> {
        let path = self
            .summary
            .write(dir)
            .map_err(|source| RunError::Write { path: dir.join("summary.json"), source })?;
        self.jobs_table().write(&dir.join("jobs.parquet"))?;
        if let Some(cloud) = &self.cloud {
            crate::report::timeline::write(
                &cloud.catalog,
                &cloud.timeline,
                &dir.join("timeline.parquet"),
            )?;
            if cloud.rebalanced {
                let path = dir.join("moves.jsonl");
                crate::report::moves::write(&cloud.catalog, &cloud.moves, &path)
                    .map_err(|source| RunError::Write { path, source })?;
            }
            if !cloud.plans.is_empty() {
                let plans = dir.join("plans");
                std::fs::create_dir_all(&plans)
                    .map_err(|source| RunError::Write { path: plans.clone(), source })?;
                for record in &cloud.plans {
                    let path = plans.join(format!("window-{:04}.json", record.window));
                    std::fs::write(&path, format!("{}\n", record.json))
                        .map_err(|source| RunError::Write { path, source })?;
                }
            }
        }
        let cloud = self.cloud.as_ref().map(|c| crate::report::figures::CloudFigures {
            catalog: c.catalog.as_ref(),
            timeline: &c.timeline,
            plans: &c.plans,
        });
        let svgs = crate::report::figures::write_all(
            dir,
            &self.summary,
            &self.trace,
            &self.outcome,
            cloud,
        )?;
        let scenario_text = std::fs::read_to_string(&self.scenario_path).unwrap_or_default();
        crate::report::html::write(dir, &self.summary, &svgs, &scenario_text)?;
        Ok(path)
    }
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
        let mut options = ImportOptions {
            skip_malformed: workload.skip_malformed,
            timing_dag: workload.timing_dag,
            ..ImportOptions::default()
        };
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
    run_trace(loaded, trace, progress)
}

/// Run a loaded scenario on `trace`, already loaded with [`load_workload`] (benchmarks and
/// sweeps load a trace once and replay it many times).
pub fn run_trace(
    loaded: &LoadedScenario,
    trace: Trace,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunResult, RunError> {
    let scenario = &loaded.scenario;
    let sla_wait = SimDuration::from_secs(scenario.policy.sla_wait_s);
    let sla_share = scenario.policy.sla_share;
    match &scenario.platform {
        Platform::Fixed { machines, cores_per_machine } => {
            progress(Progress::Loaded { jobs: trace.jobs.len() as u64 });
            let cluster =
                fixed::FixedCluster { machines: *machines, cores_per_machine: *cores_per_machine };
            let outcome =
                fixed::run_fifo(&trace, cluster, &mut |done| progress(Progress::Jobs(done)));
            let json = serde_json::json!({
                "kind": "fixed",
                "machines": cluster.machines,
                "cores_per_machine": cluster.cores_per_machine,
                "scheduler": "fifo",
            });
            let summary = Summary::new(
                &loaded.name,
                scenario.run.seed,
                json,
                &trace,
                &outcome,
                sla_wait,
                sla_share,
            );
            Ok(RunResult {
                summary,
                trace,
                outcome,
                cloud: None,
                scenario_path: loaded.path.clone(),
            })
        }
        Platform::Cloud(section) => run_cloud(loaded, section, trace, sla_wait, progress),
    }
}

/// The offers of `catalog` that `section` enables, in catalog order.
pub fn enabled_offers(catalog: &Catalog, section: &CloudSection) -> Vec<OfferIx> {
    let wanted = |list: &[String], name: &str| list.is_empty() || list.iter().any(|x| x == name);
    catalog
        .offer_ids()
        .filter(|ix| {
            let o = catalog.offer(*ix);
            wanted(&section.providers, o.cloud.as_str())
                && wanted(&section.regions, &o.region)
                && wanted(&section.instance_types, &o.instance_type)
        })
        .collect()
}

fn run_cloud(
    loaded: &LoadedScenario,
    section: &CloudSection,
    trace: Trace,
    sla_wait: SimDuration,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunResult, RunError> {
    let scenario = &loaded.scenario;
    let catalog = Arc::new(crate::catalog::load(&section.catalog)?);
    let offers = enabled_offers(&catalog, section);
    if offers.is_empty() {
        return Err(RunError::NoOffers {
            providers: section.providers.clone(),
            regions: section.regions.clone(),
            types: section.instance_types.clone(),
        });
    }
    let origin = trace.meta.origin.min(trace.first_submit().unwrap_or(trace.meta.origin));
    let replay_from = origin + SimDuration::from_hours(24 * section.history_days);
    let (history, replay) = cloud::split_history(&trace, replay_from);
    progress(Progress::Loaded { jobs: replay.jobs.len() as u64 });
    let start = if history.is_empty() { origin } else { replay_from };
    let controller = ControllerConfig {
        first_window: start,
        window: SimDuration::from_hours(section.window_h),
        lead: SimDuration::from_hours(section.lead_h),
        tick: SimDuration::from_secs(section.tick_s),
        scheduler: match scenario.policy.scheduler {
            Scheduler::Fifo => engine::shard::Policy::Fifo,
            Scheduler::EasyBackfill => engine::shard::Policy::EasyBackfill,
        },
        max_attempts: section.max_attempts,
        budget: section.budget_usd.and_then(Money::from_usd),
        drain_windows: section.drain_windows,
        routing: scenario.policy.routing.clone(),
        rebalance: scenario.policy.rebalance.clone(),
    };
    let platform = CloudPlatform {
        catalog: Arc::clone(&catalog),
        offers,
        sim: section.clouds.clone(),
        controller,
        seed: scenario.run.seed,
    };
    let policy = scenario.policy.build().map_err(RunError::Policy)?;
    let out = cloud::run(&replay, history, &platform, policy, &mut |done| {
        progress(Progress::Jobs(done));
    })?;
    let providers: Vec<&str> = Cloud::ALL
        .iter()
        .filter(|c| platform.offers.iter().any(|o| catalog.offer(*o).cloud == **c))
        .map(|c| c.as_str())
        .collect();
    let json = serde_json::json!({
        "kind": "cloud",
        "catalog": section.catalog.file_name().map(|f| f.to_string_lossy().into_owned()),
        "providers": providers,
        "offers": platform.offers.len(),
        "window_h": section.window_h,
        "lead_h": section.lead_h,
        "scheduler": match scenario.policy.scheduler {
            Scheduler::Fifo => "fifo",
            Scheduler::EasyBackfill => "easy-backfill",
        },
        "policy": out.policy,
        "replay_start_us": start.0,
        "end_us": out.end.0,
    });
    let sla_share = scenario.policy.sla_share;
    let mut summary =
        Summary::new(&loaded.name, scenario.run.seed, json, &replay, &out.run, sla_wait, sla_share);
    summary.add_cloud(&replay, &catalog, &out);
    #[cfg(feature = "planner")]
    if scenario.report.oracle {
        let spot = crate::cloud::SpotMarket::of_run(&catalog, &platform.sim, platform.seed, start);
        let report = crate::oracle::oracle(
            &catalog,
            &platform.offers,
            &platform.sim,
            &spot,
            &replay.jobs,
            start,
            platform.controller.window,
            out.end,
        )?;
        summary.add_oracle(report.cost_usd, serde_json::to_value(&report).unwrap_or_default());
    }
    Ok(RunResult {
        summary,
        trace: replay,
        outcome: out.run,
        cloud: Some(CloudResult {
            catalog,
            jobs: out.jobs,
            timeline: out.timeline,
            plans: out.plans,
            moves: out.moves,
            rebalanced: platform.controller.rebalance.enabled,
        }),
        scenario_path: loaded.path.clone(),
    })
}
