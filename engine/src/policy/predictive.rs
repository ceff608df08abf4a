//! The predictive policy (issue 5): predictor → planner → broker → router, with on-demand
//! bursting above the plan.
//!
//! Before each window, `lead` ahead of it, [`Predictive::plan`]:
//! 1. turns the history (jobs submitted before `now`) into hourly busy-unit series per job
//!    class ([`Measure::Busy`]: vCPUs for CPU jobs, GPUs for GPU jobs), over the last
//!    [`PredictiveConfig::history_days`];
//! 2. forecasts the window with the 4-week hour-of-week mean ([`MeanProfile`], the best public
//!    model on busy-capacity series), `lead + window` hours ahead, and calibrates split-conformal
//!    quantiles per step on the same model's errors at daily origins of the history
//!    ([`ConformalQuantiles`]); the window's [`PredictiveConfig::scenarios`] equally likely
//!    quantile paths are the demand scenarios;
//! 3. builds a [`PlanningProblem`]: one queue per size tier of each job class ([`Tier`]: the
//!    class's jobs that fit the same size of instance, so that one-GPU jobs are not planned on
//!    four-GPU types); as candidate pools of a tier, the [`PredictiveConfig::pools_per_class`]
//!    cheapest offers on demand and as many on spot that hold the tier's largest job (as
//!    [`ranked_offers`] decides), shared by the class's tiers; spot's
//!    re-run overhead is the mean age of work at a random instant, `E[R²] / 2E[R]` over the
//!    history's runtimes (unit-weighted), since an interruption loses the work done so far;
//! 4. solves it ([`crate::planner::plan`], sample-average or deterministic-quantile mode) and
//!    turns the [`WindowPlan`] into the controller's [`Plan`]: a shard per pool a tier is
//!    mapped to, its reservation (the plan's products, then the same products in the other
//!    pools that hold every tier routed there, as the broker's fallbacks), and a route per
//!    tier (bounded by the tier's largest job; the class's last tier takes any size);
//! 5. keeps a [`WindowRecord`] (the plan, the forecast and the considered offers, as JSON) for
//!    the run's `plan.json`.
//!
//! Between plans, [`Predictive::scale`] bursts: it launches instances while jobs wait, as the
//! on-demand baseline does ([`PredictiveConfig::burst`]), on spot first in pools where the plan
//! expects more spot than on-demand hours (falling back to on-demand), on demand elsewhere;
//! reserved instances are never released.
//!
//! A pool is built per class even when two classes could share an offer, and the problem's
//! GPU model of a class's pools and of its queues is the class label (`gpu:A100`); each
//! tier's queue lists its candidate offers ([`QueueDemand::offers`]), so that the planner's
//! eligibility is exactly "this offer holds this tier's jobs".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{JobClass, OnDemandConfig};
use crate::forecast::{Measure, ResourceClass, SeriesBuilder};
use crate::ids::QueueId;
use crate::job::Job;
use crate::shard::Capacity;
use crate::time::SimTime;

/// The predictive policy's knobs (`[policy.planner]` in a scenario).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictiveConfig {
    /// Demand scenarios per window (equally likely conformal quantile paths).
    #[serde(default = "default_scenarios")]
    pub scenarios: u32,
    /// Plan on one scenario, this quantile of demand, instead of the sample average.
    #[serde(default)]
    pub quantile: Option<f64>,
    /// Candidate offers per class, cheapest on demand (and as many cheapest on spot).
    #[serde(default = "default_pools_per_class")]
    pub pools_per_class: u32,
    /// Let the plan use spot.
    #[serde(default = "default_true")]
    pub spot: bool,
    /// Duration blocks of the planner's time model (0: every hour, chronologically).
    #[serde(default = "default_blocks")]
    pub blocks: u32,
    /// The solver's relative MIP gap.
    #[serde(default = "default_gap")]
    pub mip_rel_gap: f64,
    /// The planner's fast path: keep the plan of the LP-guided restricted queue map without
    /// proving it within the gap of the full model (`planner::LpGuided::Always`; the default,
    /// `false`, is `LpGuided::Proven`). At 50 queues × 100 pools with 6 blocks it solves in
    /// 0.8 s, within 0.8% of the full model's plan (`benches/benches/planner.rs`).
    #[serde(default)]
    pub fast: bool,
    /// Days of history the forecast and its calibration use.
    #[serde(default = "default_history_days")]
    pub history_days: u32,
    /// Penalty per unit-hour of demand left waiting an hour, USD.
    #[serde(default = "default_backlog_penalty")]
    pub backlog_usd_per_unit_hour: f64,
    /// Largest share of the expected work on any one provider.
    #[serde(default)]
    pub max_provider_share: Option<f64>,
    /// Largest expected spend per window, USD.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Bursting above the plan while jobs wait (the on-demand baseline's knobs; `spot` is
    /// ignored: the plan decides where spot is used).
    #[serde(default)]
    pub burst: OnDemandConfig,
}

fn default_scenarios() -> u32 {
    5
}
fn default_pools_per_class() -> u32 {
    4
}
fn default_true() -> bool {
    true
}
fn default_blocks() -> u32 {
    12
}
fn default_gap() -> f64 {
    0.01
}
fn default_history_days() -> u32 {
    56
}
fn default_backlog_penalty() -> f64 {
    10.0
}

impl Default for PredictiveConfig {
    fn default() -> Self {
        PredictiveConfig {
            scenarios: default_scenarios(),
            quantile: None,
            pools_per_class: default_pools_per_class(),
            spot: true,
            blocks: default_blocks(),
            mip_rel_gap: default_gap(),
            fast: false,
            history_days: default_history_days(),
            backlog_usd_per_unit_hour: default_backlog_penalty(),
            max_provider_share: None,
            budget_usd: None,
            burst: OnDemandConfig::default(),
        }
    }
}

/// What a policy planned for one window, for the run's `plan.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRecord {
    /// The window's index.
    pub window: u32,
    /// The plan as a JSON document.
    pub json: String,
    /// The forecast the plan was made on, per size tier (empty when the window was not
    /// planned).
    pub forecast: Vec<TierForecast>,
}

/// One tier's forecast of a window, hour by hour from the window's start, in busy units
/// ([`Measure::Busy`]: vCPUs or GPUs).
#[derive(Clone, Debug, PartialEq)]
pub struct TierForecast {
    /// The tier.
    pub tier: Tier,
    /// The window's first hour.
    pub start: SimTime,
    /// The point forecast.
    pub point: Vec<f64>,
    /// The lowest and highest scenario paths (quantile levels `levels`): the band the planner
    /// hedged over. Both equal `point` when the forecast had no calibration.
    pub lower: Vec<f64>,
    /// See `lower`.
    pub upper: Vec<f64>,
    /// The quantile levels of `lower` and `upper`.
    pub levels: (f64, f64),
}

/// A size tier of a job class: the class's jobs no larger than `up_to` (and not taken by
/// an earlier tier of the class), or, for the class's last tier (`up_to` is `None`), every
/// job the others do not take. A job's tier is the one its route picks (see [`super::Route`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tier {
    /// The job class.
    pub class: JobClass,
    /// The largest job (component-wise) the tier takes, `None` for any size.
    pub up_to: Option<Capacity>,
    /// The largest job (component-wise) its candidate offers must hold.
    pub largest: Capacity,
}

impl Tier {
    /// `cpu`, `cpu<=4`, `gpu:T4<=1`: the class, and its bound in units when it has one.
    pub fn label(&self) -> String {
        self.class.tier_label(self.up_to.as_ref())
    }
}

/// The index of the tier of `tiers` (one class's, in order) that takes a job of `demand`.
fn tier_of(tiers: &[Tier], demand: &Capacity) -> Option<usize> {
    tiers
        .iter()
        .position(|t| t.up_to.is_none_or(|u| demand.fits_in(&u)))
        .or(tiers.len().checked_sub(1))
}

/// Hourly busy units per tier, by index into the tiers.
pub type TierSeries = BTreeMap<usize, Vec<f64>>;

/// Hourly busy units ([`Measure::Busy`]) per tier over `[from, now)`, by index into `tiers`;
/// each job counts in the tier its route would pick. The predictive policy forecasts these
/// series; the run's report draws the realised ones against the forecast.
pub fn tier_series(
    history: &[Job],
    tiers: &[Tier],
    from: SimTime,
    now: SimTime,
) -> Result<TierSeries, crate::forecast::ForecastError> {
    let mut out: TierSeries = BTreeMap::new();
    if now <= from {
        return Ok(out);
    }
    let builder = SeriesBuilder::hourly().with_window(from, now)?;
    // Series are per (queue, resource class); a tier is a finer cut, so build per tier
    // from the tier's jobs.
    let mut by_tier: BTreeMap<usize, Vec<Job>> = BTreeMap::new();
    for job in history {
        let class = JobClass::of(job);
        let Some(first) = tiers.iter().position(|t| t.class == class) else { continue };
        let count = tiers[first..].iter().take_while(|t| t.class == class).count();
        let demand = Capacity::from_resources(&job.resources);
        if let Some(i) = tier_of(&tiers[first..first + count], &demand) {
            let mut j = job.clone();
            j.queue = QueueId(0);
            by_tier.entry(first + i).or_default().push(j);
        }
    }
    for (i, jobs) in by_tier {
        let rc = resource_class(&tiers[i].class);
        let series = builder.build(&jobs, Measure::Busy)?;
        if let Some(s) = series.get(&(QueueId(0), rc)) {
            out.insert(i, s.values.clone());
        }
    }
    Ok(out)
}

fn resource_class(class: &JobClass) -> ResourceClass {
    match class {
        JobClass::Cpu => ResourceClass::Vcpu,
        JobClass::Gpu(_) => ResourceClass::Gpu,
    }
}

#[cfg(feature = "planner")]
pub use imp::{Predictive, PredictiveError, WindowProblem, build_window_problem, size_tiers};

#[cfg(feature = "planner")]
mod imp {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::super::{
        FALLBACKS, JobClass, Plan, PlanContext, Policy, Route, Scale, ScaleContext, ShardPlan,
        ranked_offers, scale_shards,
    };
    use super::{PredictiveConfig, Tier, TierForecast, WindowRecord, resource_class, tier_series};
    use crate::broker::ReserveCandidate;
    use crate::cloud::{LaunchOption, OfferIx};
    use crate::forecast::conformal::ConformalQuantiles;
    use crate::forecast::{Forecaster, MeanProfile};
    use crate::ids::QueueId;
    use crate::job::Job;
    use crate::planner::{
        Constraints, CostParams, LpGuided, Mode, PlanError, PlanWindow, PlanningProblem, Pool,
        QueueDemand, SolverConfig, TimeModel, WindowPlan,
    };
    use crate::shard::Capacity;
    use crate::time::{SimDuration, SimTime};

    const HOUR: SimDuration = SimDuration::from_hours(1);

    /// The size tiers of every class of `ctx` (in class order, each class's in size order):
    /// the class's jobs in the history are cut at the unit sizes of the instance types that
    /// serve the class (for GPUs 1, 4, 8, ...; for CPUs 4, 16, 64 vCPUs), each non-empty cut
    /// is a tier bounded by its largest job, and the last takes any size (its offers hold the
    /// class's largest job ever seen).
    pub fn size_tiers(ctx: &PlanContext<'_>) -> Vec<Tier> {
        let mut out = vec![];
        for (class, class_largest) in ctx.classes {
            let mut sizes: Vec<f64> = ranked_offers(ctx.catalog, ctx.offers, class, Capacity::ZERO)
                .iter()
                .map(|&o| class.units(&super::super::offer_capacity(ctx.catalog, o)))
                .collect();
            sizes.sort_by(f64::total_cmp);
            sizes.dedup();
            let mut cuts: BTreeMap<usize, Capacity> = BTreeMap::new();
            for job in ctx.history.iter().filter(|j| &JobClass::of(j) == class) {
                let demand = Capacity::from_resources(&job.resources);
                let u = class.units(&demand);
                let cut = sizes.iter().position(|&s| u <= s).unwrap_or(sizes.len());
                let c = cuts.entry(cut).or_insert(Capacity::ZERO);
                *c = c.component_max(&demand);
            }
            let n = cuts.len();
            for (i, (_, largest)) in cuts.into_iter().enumerate() {
                if i + 1 < n {
                    out.push(Tier { class: class.clone(), up_to: Some(largest), largest });
                } else {
                    let largest = largest.component_max(class_largest);
                    out.push(Tier { class: class.clone(), up_to: None, largest });
                }
            }
            if n == 0 {
                out.push(Tier { class: class.clone(), up_to: None, largest: *class_largest });
            }
        }
        out
    }

    /// Why a window could not be planned (the policy then falls back to bursting only).
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum PredictiveError {
        /// The forecast failed.
        #[error("forecast: {0}")]
        Forecast(#[from] crate::forecast::ForecastError),
        /// The planner failed.
        #[error("planner: {0}")]
        Plan(#[from] PlanError),
        /// No job class has an offer that holds its jobs.
        #[error("no enabled offer serves any job class of the history")]
        NoPools,
    }

    /// A window's planning problem and what it was built from.
    #[derive(Clone, Debug)]
    pub struct WindowProblem {
        /// The problem handed to the planner.
        pub problem: PlanningProblem,
        /// The job class and size tier of each queue of the problem.
        pub tiers: Vec<Tier>,
        /// The point forecast of each class over the window (mean busy units per hour).
        pub point: Vec<Vec<f64>>,
        /// The scenario levels (quantiles) of the demand paths.
        pub levels: Vec<f64>,
        /// Conformal calibration origins used (0: the point forecast is the only scenario).
        pub calibration_origins: usize,
    }

    impl WindowProblem {
        /// Each tier's forecast: the point and the band of the lowest and highest scenario.
        pub fn tier_forecasts(&self) -> Vec<TierForecast> {
            let lo = self.levels.first().copied().unwrap_or(0.5);
            let hi = self.levels.last().copied().unwrap_or(0.5);
            self.tiers
                .iter()
                .zip(&self.point)
                .zip(&self.problem.queues)
                .map(|((tier, point), queue)| TierForecast {
                    tier: tier.clone(),
                    start: self.problem.window.start,
                    point: point.clone(),
                    lower: queue.demand.first().cloned().unwrap_or_else(|| point.clone()),
                    upper: queue.demand.last().cloned().unwrap_or_else(|| point.clone()),
                    levels: (lo, hi),
                })
                .collect()
        }
    }

    /// One class's forecast of a window.
    struct ClassForecast {
        /// The point forecast, per hour of the window.
        point: Vec<f64>,
        /// The demand scenarios (quantile paths), or the point forecast alone.
        paths: Vec<Vec<f64>>,
        /// Conformal calibration origins used (0: no calibration, `paths` is the point).
        origins: usize,
    }

    impl ClassForecast {
        /// A forecast with no spread: `point` is the only scenario.
        fn point_only(point: Vec<f64>) -> Self {
            ClassForecast { paths: vec![point.clone()], point, origins: 0 }
        }
    }

    /// Point forecast of `window` hours starting `gap` hours after the end of `history`, and
    /// its scenarios from the conformal residuals of the same forecast at daily origins before.
    fn forecast(
        history: &[f64],
        gap: usize,
        window: usize,
        scenarios: usize,
    ) -> Result<ClassForecast, crate::forecast::ForecastError> {
        let model = MeanProfile::weekly(4);
        let horizon = gap + window;
        if history.len() < model.period {
            // Too short for an hour-of-week profile: the mean, flat.
            let mean = history.iter().sum::<f64>() / history.len().max(1) as f64;
            return Ok(ClassForecast::point_only(vec![mean; window]));
        }
        let point = model.fit_predict(history, horizon)?[gap..].to_vec();
        let mut actuals = vec![];
        let mut forecasts = vec![];
        let mut origin = history.len().checked_sub(horizon);
        while let Some(o) = origin
            && o >= model.period
        {
            forecasts.push(model.fit_predict(&history[..o], horizon)?[gap..].to_vec());
            actuals.push(history[o + gap..o + horizon].to_vec());
            origin = o.checked_sub(24);
        }
        if actuals.is_empty() || scenarios <= 1 {
            return Ok(ClassForecast::point_only(point));
        }
        let residuals = crate::forecast::conformal::residuals_from_backtest(&actuals, &forecasts)?;
        let cq = ConformalQuantiles::calibrate(&residuals)?;
        let levels = ConformalQuantiles::scenario_levels(scenarios);
        let paths = cq.quantile_paths(&point, &levels)?;
        Ok(ClassForecast {
            point,
            paths: paths.into_iter().map(|(_, p)| p).collect(),
            origins: actuals.len(),
        })
    }

    /// Mean age of work at a random instant, hours: `Σ u R² / 2 Σ u R` over the jobs.
    fn lost_hours_per_interruption(history: &[Job]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for job in history {
            let units = job.resources.vcpus().max(job.resources.gpus());
            let r = job.runtime.as_secs_f64() / 3600.0;
            num += units * r * r;
            den += units * r;
        }
        if den > 0.0 { num / (2.0 * den) } else { 0.0 }
    }

    /// The candidate offers of a tier of `class` whose largest job is `largest`: the `n`
    /// cheapest on demand, then the `n` cheapest on spot not already in, in that order; only
    /// the largest instances when none holds `largest`.
    fn candidates(
        ctx: &PlanContext<'_>,
        class: &JobClass,
        largest: Capacity,
        n: usize,
        spot: bool,
    ) -> Vec<OfferIx> {
        let mut ranked = ranked_offers(ctx.catalog, ctx.offers, class, largest);
        // A job larger than any instance spans whole instances, and a shard of small ones
        // fragments: its nodes fill with small jobs while a large one waits for enough empty
        // ones. So a tier whose largest job no instance holds is planned on the largest
        // instances (the fewest nodes per job). Tiers that fit keep every offer: restricting
        // them to offers that hold their largest job raised cost on HPC2N and Alibaba by a
        // third on the HPC2N and Alibaba replays, and size tiers already keep small
        // jobs apart.
        let size = |o: &OfferIx| super::super::offer_capacity(ctx.catalog, *o);
        if !ranked.iter().any(|o| largest.fits_in(&size(o)))
            && let Some(most) = ranked.iter().map(|o| size(o).cpu_milli).max()
        {
            ranked.retain(|o| size(o).cpu_milli == most);
        }
        let mut out: Vec<OfferIx> = ranked.iter().take(n).copied().collect();
        if spot {
            let mut by_spot: Vec<(f64, usize, OfferIx)> = ranked
                .iter()
                .enumerate()
                .filter_map(|(pos, &o)| {
                    let price = ctx.catalog.offer(o).spot.as_ref()?.usd_per_hour;
                    let t = ctx.catalog.instance_type(ctx.catalog.offer_key(o).1);
                    let units = match class {
                        JobClass::Cpu => f64::from(t.vcpus),
                        JobClass::Gpu(_) => f64::from(t.gpus.max(1)),
                    };
                    Some((price / units, pos, o))
                })
                .collect();
            by_spot.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (_, _, o) in by_spot.into_iter().take(n) {
                if !out.contains(&o) {
                    out.push(o);
                }
            }
        }
        out
    }

    /// Builds the planning problem of `ctx.window`, planned at `now` (see the module docs).
    pub fn build_window_problem(
        config: &PredictiveConfig,
        now: SimTime,
        ctx: &PlanContext<'_>,
    ) -> Result<WindowProblem, PredictiveError> {
        let window_h = (ctx.window.end.saturating_since(ctx.window.start).0 / HOUR.0) as usize;
        let gap_h = ctx.window.start.saturating_since(now).0.div_ceil(HOUR.0) as usize;
        let span = SimDuration::from_hours(24 * u64::from(config.history_days));
        let from = SimTime(now.0.saturating_sub(span.0));
        // Whole hours back from `now`, so that hour-of-week positions line up with the window.
        let from = SimTime(now.0 - (now.0 - from.0) / HOUR.0 * HOUR.0);
        let all_tiers = size_tiers(ctx);
        let series = tier_series(ctx.history, &all_tiers, from, now)?;
        let mut pools: Vec<Pool> = vec![];
        let mut queues = vec![];
        let mut tiers = vec![];
        let mut points = vec![];
        let mut levels = vec![];
        let mut origins = 0;
        let scenarios = config.scenarios.max(1) as usize;
        for (i, tier) in all_tiers.iter().enumerate() {
            let class = &tier.class;
            let rc = resource_class(class);
            let tag = Some(class.label());
            let mut offers = vec![];
            for o in
                candidates(ctx, class, tier.largest, config.pools_per_class as usize, config.spot)
            {
                let shared = pools.iter().any(|p| p.offer == o && p.gpu_kind == tag);
                if !shared {
                    let Some(mut pool) = Pool::from_offer(ctx.catalog, o, rc) else { continue };
                    pool.gpu_kind = tag.clone();
                    if !config.spot {
                        pool.spot = None;
                    }
                    pools.push(pool);
                }
                offers.push(o);
            }
            if offers.is_empty() {
                continue;
            }
            let history = series.get(&i).cloned().unwrap_or_default();
            let ClassForecast { point, paths, origins: n } = if history.is_empty() {
                ClassForecast::point_only(vec![0.0; window_h])
            } else {
                forecast(&history, gap_h, window_h, scenarios)?
            };
            origins = origins.max(n);
            let paths =
                if paths.len() == scenarios { paths } else { vec![paths[0].clone(); scenarios] };
            if levels.is_empty() {
                levels = if n > 0 {
                    ConformalQuantiles::scenario_levels(scenarios)
                } else {
                    vec![0.5; scenarios]
                };
            }
            queues.push(QueueDemand {
                queue: QueueId(queues.len() as u32),
                class: rc,
                gpu_kind: tag,
                regions: vec![],
                offers,
                demand: paths,
            });
            tiers.push(tier.clone());
            points.push(point);
        }
        if queues.is_empty() {
            return Err(PredictiveError::NoPools);
        }
        let problem = PlanningProblem {
            window: PlanWindow {
                now,
                start: ctx.window.start,
                buckets: window_h as u32,
                bucket: HOUR,
            },
            pools,
            queues,
            scenario_probabilities: vec![1.0 / scenarios as f64; scenarios],
            constraints: Constraints {
                max_provider_share: config.max_provider_share,
                budget_usd: config.budget_usd,
                ..Constraints::default()
            },
            costs: CostParams {
                backlog_usd_per_unit_hour: config.backlog_usd_per_unit_hour,
                spot_lost_hours_per_interruption: lost_hours_per_interruption(ctx.history),
            },
        };
        Ok(WindowProblem { problem, tiers, point: points, levels, calibration_origins: origins })
    }

    /// The solver settings of `config`.
    pub(crate) fn solver(config: &PredictiveConfig) -> SolverConfig {
        SolverConfig {
            mode: config.quantile.map_or(Mode::SampleAverage, Mode::Quantile),
            time: if config.blocks == 0 {
                TimeModel::Chronological
            } else {
                TimeModel::Blocks(config.blocks)
            },
            mip_rel_gap: config.mip_rel_gap,
            lp_guided: if config.fast { LpGuided::Always } else { LpGuided::Proven },
            max_nodes: Some(100_000),
            relax: false,
            ..SolverConfig::default()
        }
    }

    /// The predictive policy (see the module docs).
    #[derive(Clone, Debug, Default)]
    pub struct Predictive {
        /// Knobs.
        pub config: PredictiveConfig,
        /// Per shard of the current plan: launch options for bursting, best first.
        options: BTreeMap<usize, Vec<LaunchOption>>,
        /// Per shard: fallback offers.
        fallbacks: BTreeMap<usize, Vec<OfferIx>>,
        records: Vec<WindowRecord>,
    }

    /// One shard of `plan.json`.
    #[derive(Serialize)]
    struct ShardJson<'a> {
        offer: u32,
        cloud: &'a str,
        region: &'a str,
        instance_type: &'a str,
        classes: Vec<String>,
        reserve: Vec<(String, u32)>,
        burst: Vec<&'static str>,
    }

    impl Predictive {
        /// The policy with `config`.
        pub fn new(config: PredictiveConfig) -> Predictive {
            Predictive { config, ..Predictive::default() }
        }

        /// The plan of `ctx.window` at `now`, with the problem and the planner's answer.
        pub fn plan_window(
            &self,
            now: SimTime,
            ctx: &PlanContext<'_>,
        ) -> Result<(WindowProblem, WindowPlan, Plan), PredictiveError> {
            let wp = build_window_problem(&self.config, now, ctx)?;
            let answer = crate::planner::plan(&wp.problem, &solver(&self.config))?;
            let plan = to_plan(ctx, &wp, &answer);
            Ok((wp, answer, plan))
        }

        /// The plan as the JSON document of `plan.json`.
        pub fn plan_json(
            ctx: &PlanContext<'_>,
            now: SimTime,
            wp: &WindowProblem,
            answer: &WindowPlan,
            plan: &Plan,
        ) -> String {
            let shards: Vec<ShardJson<'_>> = plan
                .shards
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let o = ctx.catalog.offer(s.offer);
                    ShardJson {
                        offer: s.offer.0,
                        cloud: o.cloud.as_str(),
                        region: &o.region,
                        instance_type: &o.instance_type,
                        classes: plan
                            .routes
                            .iter()
                            .filter(|r| r.shard == i)
                            .map(Route::label)
                            .collect(),
                        reserve: s
                            .reserve
                            .iter()
                            .map(|(c, n)| {
                                (c.first().map_or("", |c| c.product.as_str()).to_owned(), *n)
                            })
                            .collect(),
                        burst: burst_options(answer, wp, s.offer)
                            .iter()
                            .map(|o| o.as_str())
                            .collect(),
                    }
                })
                .collect();
            let doc = serde_json::json!({
                "window": {
                    "index": ctx.window.index,
                    "start_us": ctx.window.start.0,
                    "end_us": ctx.window.end.0,
                },
                "planned_at_us": now.0,
                "shards": shards,
                "forecast": {
                    "model": "MeanProfile168x4 + split-conformal quantile paths",
                    "classes": wp.tiers.iter().map(Tier::label).collect::<Vec<_>>(),
                    "levels": wp.levels,
                    "calibration_origins": wp.calibration_origins,
                    "mean_units": wp.point.iter()
                        .map(|p| p.iter().sum::<f64>() / p.len().max(1) as f64)
                        .collect::<Vec<_>>(),
                    "hourly": wp.tier_forecasts().iter().map(|f| serde_json::json!({
                        "class": f.tier.label(),
                        "point": f.point,
                        "lower": f.lower,
                        "upper": f.upper,
                        "levels": [f.levels.0, f.levels.1],
                    })).collect::<Vec<_>>(),
                },
                "spot_lost_hours_per_interruption":
                    wp.problem.costs.spot_lost_hours_per_interruption,
                "plan": answer,
            });
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        }
    }

    /// Launch options for bursting in the pool of `offer`: spot first where the plan expects
    /// more spot than on-demand hours there.
    fn burst_options(answer: &WindowPlan, wp: &WindowProblem, offer: OfferIx) -> Vec<LaunchOption> {
        let row = answer.offers.iter().find(|r| wp.problem.pools[r.pool].offer == offer);
        match row {
            Some(r) if r.spot_unit_hours > r.on_demand_unit_hours => {
                vec![LaunchOption::Spot, LaunchOption::OnDemand]
            }
            _ => vec![LaunchOption::OnDemand],
        }
    }

    /// Per shard of `plan`, the offers other than its own that every tier routed to it may
    /// use, in pool order: fallbacks that hold all the jobs the shard takes.
    fn shard_alternatives(wp: &WindowProblem, plan: &Plan) -> Vec<Vec<OfferIx>> {
        let queue_of =
            |r: &Route| wp.tiers.iter().position(|t| t.class == r.class && t.up_to == r.up_to);
        (0..plan.shards.len())
            .map(|i| {
                let own = plan.shards[i].offer;
                let queues: Vec<usize> =
                    plan.routes.iter().filter(|r| r.shard == i).filter_map(queue_of).collect();
                let mut out: Vec<OfferIx> = vec![];
                for p in &wp.problem.pools {
                    let usable = |q: &usize| {
                        let queue = &wp.problem.queues[*q];
                        queue.gpu_kind == p.gpu_kind && queue.offers.contains(&p.offer)
                    };
                    if p.offer != own && !out.contains(&p.offer) && queues.iter().all(usable) {
                        out.push(p.offer);
                    }
                }
                out
            })
            .collect()
    }

    /// The controller's plan from the planner's answer.
    fn to_plan(ctx: &PlanContext<'_>, wp: &WindowProblem, answer: &WindowPlan) -> Plan {
        let mut plan = Plan::default();
        let mut shard_of_offer: BTreeMap<OfferIx, usize> = BTreeMap::new();
        let pools = &wp.problem.pools;
        for (q, assignment) in answer.queue_map.iter().enumerate() {
            // The pool with the largest share, ties to the lower index.
            let Some(&(best, _)) =
                assignment.pools.iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            else {
                continue;
            };
            let offer = pools[best].offer;
            let index = *shard_of_offer.entry(offer).or_insert_with(|| {
                plan.shards.push(ShardPlan { offer, reserve: None });
                plan.shards.len() - 1
            });
            let tier = &wp.tiers[q];
            plan.routes.push(Route {
                queue: None,
                class: tier.class.clone(),
                up_to: tier.up_to,
                shard: index,
            });
        }
        let alternatives = shard_alternatives(wp, &plan);
        for r in &answer.reservations {
            if r.count == 0 {
                continue;
            }
            let offer = pools[r.pool].offer;
            let Some(&index) = shard_of_offer.get(&offer) else { continue };
            // The planned product, then the same product in the other pools that hold every
            // tier routed to the shard.
            let mut cands = vec![ReserveCandidate { offer, product: r.kind }];
            for &o in &alternatives[index] {
                if cands.len() > FALLBACKS {
                    break;
                }
                let sells = pools
                    .iter()
                    .any(|p| p.offer == o && p.products.iter().any(|k| k.kind == r.kind));
                if sells {
                    cands.push(ReserveCandidate { offer: o, product: r.kind });
                }
            }
            let shard = &mut plan.shards[index];
            let before = shard.reserve.as_ref().map_or(0, |(_, n)| *n);
            match &mut shard.reserve {
                Some((existing, n)) => {
                    for c in cands {
                        if !existing.contains(&c) {
                            existing.push(c);
                        }
                    }
                    *n = before + r.count;
                }
                None => shard.reserve = Some((cands, r.count)),
            }
        }
        let _ = ctx;
        plan
    }

    impl Policy for Predictive {
        fn name(&self) -> &'static str {
            "predictive"
        }

        fn plan(&mut self, now: SimTime, ctx: &PlanContext<'_>) -> Plan {
            self.options.clear();
            self.fallbacks.clear();
            match self.plan_window(now, ctx) {
                Ok((wp, answer, plan)) => {
                    let alternatives = shard_alternatives(&wp, &plan);
                    for (i, (shard, others)) in plan.shards.iter().zip(alternatives).enumerate() {
                        self.options.insert(i, burst_options(&answer, &wp, shard.offer));
                        self.fallbacks.insert(i, others.into_iter().take(FALLBACKS).collect());
                    }
                    let json = Predictive::plan_json(ctx, now, &wp, &answer, &plan);
                    self.records.retain(|r| r.window != ctx.window.index);
                    self.records.push(WindowRecord {
                        window: ctx.window.index,
                        json,
                        forecast: wp.tier_forecasts(),
                    });
                    plan
                }
                Err(e) => {
                    // No plan (no history yet, or an infeasible constraint): burst on demand on
                    // each class's cheapest offer, and say why in plan.json.
                    let mut plan = Plan::default();
                    for (class, largest) in ctx.classes {
                        let ranked = ranked_offers(ctx.catalog, ctx.offers, class, *largest);
                        let Some(&best) = ranked.first() else { continue };
                        let index =
                            plan.shards.iter().position(|s| s.offer == best).unwrap_or_else(|| {
                                plan.shards.push(ShardPlan { offer: best, reserve: None });
                                plan.shards.len() - 1
                            });
                        self.fallbacks.insert(
                            index,
                            ranked.iter().skip(1).take(FALLBACKS).copied().collect(),
                        );
                        self.options.insert(index, vec![LaunchOption::OnDemand]);
                        plan.routes.push(Route {
                            queue: None,
                            class: class.clone(),
                            up_to: None,
                            shard: index,
                        });
                    }
                    let json = serde_json::to_string_pretty(&serde_json::json!({
                        "window": {
                            "index": ctx.window.index,
                            "start_us": ctx.window.start.0,
                            "end_us": ctx.window.end.0,
                        },
                        "planned_at_us": now.0,
                        "shards": [],
                        "error": e.to_string(),
                    }))
                    .unwrap_or_default();
                    self.records.retain(|r| r.window != ctx.window.index);
                    self.records.push(WindowRecord {
                        window: ctx.window.index,
                        json,
                        forecast: vec![],
                    });
                    plan
                }
            }
        }

        fn scale(&mut self, now: SimTime, ctx: &ScaleContext<'_>) -> Scale {
            let config = super::super::OnDemandConfig { spot: false, ..self.config.burst.clone() };
            let mut scale = scale_shards(now, ctx, &config, &self.fallbacks);
            for out in &mut scale.launch {
                let options =
                    self.options.get(&out.shard).cloned().unwrap_or(vec![LaunchOption::OnDemand]);
                let offers: Vec<OfferIx> = out.candidates.iter().map(|c| c.0).collect();
                out.candidates =
                    options.iter().flat_map(|&opt| offers.iter().map(move |&o| (o, opt))).collect();
            }
            scale
        }

        fn records(&self) -> &[WindowRecord] {
            &self.records
        }
    }
}
