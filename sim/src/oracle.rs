//! The oracle of a cloud run (issue 5): per reservation window, the planner's MILP solved with
//! perfect foresight of the window's realised demand, a lower bound on what any policy could
//! have paid; the run's `cost_ratio_to_oracle` divides the run's bill by the sum.
//!
//! Per window `[start, end)` (the run's windows, up to the run's end):
//! - demand: per job tier (the jobs of one class held by the same set of offers, see
//!   [`ranked_offers`]), the mean busy units (vCPUs or GPUs) of its replayed jobs in each
//!   hour, as if each ran from its submission for its runtime ([`Measure::Busy`]); a tier may
//!   use exactly the offers that hold its jobs, so small jobs are priced on small types;
//! - pools: every enabled offer some tier of the class may use, with every reservation
//!   product its provider sells, on-demand and spot; each pool's on-demand and spot instances
//!   are capped at the simulated supply of its region and type (widened by the supply jitter,
//!   so the cap is never tighter than what the run had);
//! - routing is free in every period ([`Routing::PerPeriod`]): the oracle may move work
//!   between pools at any time, as a policy may;
//! - spot is priced at the run's realised prices (the same seeded paths the providers
//!   billed, [`SpotMarket`]), each hour at its lowest, and loses no work (the oracle knows
//!   when interruptions come); backlog is charged
//!   far above any price, so the oracle serves the demand as it comes.
//!
//! Each of those relaxes the run's world, so every window's optimum is at most what the run
//! could pay for that window's work: the duration-block time model averages demand within a
//! block (a relaxation of the hourly model), and where the MILP has more integers than
//! [`MAX_INTEGERS`] its LP relaxation stands in. The reported cost is the solver's dual bound,
//! so a MIP gap never lifts the oracle above the optimum. What the oracle does not see (boot
//! time, billing minimums, instances idle between jobs, jobs packed onto whole instances) is
//! exactly what the ratio measures.

use std::collections::{BTreeMap, BTreeSet};

use engine::Job;
use engine::cloud::{Catalog, OfferIx};
use engine::forecast::{Measure, ResourceClass, SeriesBuilder};
use engine::planner::{
    Constraints, CostParams, Mode, PlanError, PlanWindow, PlanningProblem, Pool, QueueDemand,
    Routing, SolverConfig, Supply, TimeModel,
};
use engine::policy::{JobClass, ranked_offers};
use engine::shard::Capacity;
use engine::time::{SimDuration, SimTime};
use engine::{QueueId, forecast::ForecastError};
use serde::Serialize;

use crate::cloud::{SimCloudConfig, SpotMarket};

/// Above this many integer columns a window's LP relaxation is solved instead of the MILP.
pub const MAX_INTEGERS: usize = 5_000;

/// Duration blocks of the oracle's time model.
pub const BLOCKS: u32 = 24;

/// Backlog penalty, USD per unit-hour waiting an hour: far above any unit price.
const BACKLOG_USD: f64 = 1_000.0;

/// The oracle of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OracleReport {
    /// Sum over the windows of the lower bound, USD.
    pub cost_usd: f64,
    /// Windows solved.
    pub windows: u32,
    /// Windows whose LP relaxation stood in for the MILP.
    pub relaxed_windows: u32,
    /// `milp`, `lp` or `milp+lp` (some windows relaxed).
    pub method: &'static str,
    /// Duration blocks of the time model.
    pub blocks: u32,
    /// Each window's bound, USD, in window order.
    pub window_cost_usd: Vec<f64>,
}

/// Why the oracle could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OracleError {
    /// The realised demand series could not be built.
    #[error("oracle: demand series: {0}")]
    Series(#[from] ForecastError),
    /// A window's model failed.
    #[error("oracle: window {window}: {source}")]
    Plan {
        /// The window index.
        window: u32,
        /// The planner's error.
        source: PlanError,
    },
}

/// The run's windows: `window`-long from `first`, while they start before `end`.
fn windows(first: SimTime, window: SimDuration, end: SimTime) -> Vec<(SimTime, SimTime)> {
    let mut out = vec![];
    let mut start = first;
    while start < end && window.0 > 0 {
        let stop = start.checked_add(window).unwrap_or(SimTime::MAX);
        out.push((start, stop.min(end)));
        start = stop;
    }
    out
}

/// The resource class a job class is counted in.
fn resource_class(class: &JobClass) -> ResourceClass {
    match class {
        JobClass::Cpu => ResourceClass::Vcpu,
        JobClass::Gpu(_) => ResourceClass::Gpu,
    }
}

/// The oracle of a run that replayed `jobs` on `offers` of `catalog` with supply `sim` and
/// spot prices `spot`, in windows of `window` from `first` up to `end`.
#[allow(clippy::too_many_arguments)] // the run's world, piece by piece
pub fn oracle(
    catalog: &Catalog,
    offers: &[OfferIx],
    sim: &SimCloudConfig,
    spot: &SpotMarket,
    jobs: &[Job],
    first: SimTime,
    window: SimDuration,
    end: SimTime,
) -> Result<OracleReport, OracleError> {
    // Job tiers: per class, the jobs held by the same offers. Each tier is a queue of the
    // oracle that may use exactly those offers, so a small job is priced on the small types
    // it can run on however large the class's largest job is.
    let mut tiers: BTreeMap<(JobClass, Vec<OfferIx>), Vec<Job>> = BTreeMap::new();
    for job in jobs {
        let class = JobClass::of(job);
        let mut fits =
            ranked_offers(catalog, offers, &class, Capacity::from_resources(&job.resources));
        if fits.is_empty() {
            continue; // rejected by the run too: no offer holds it
        }
        fits.sort();
        let mut j = job.clone();
        j.queue = QueueId(0);
        tiers.entry((class, fits)).or_default().push(j);
    }
    // Pools: every offer some tier of the class may use, in offer order.
    let mut class_offers: BTreeMap<&JobClass, BTreeSet<OfferIx>> = BTreeMap::new();
    for (class, fits) in tiers.keys() {
        class_offers.entry(class).or_default().extend(fits.iter().copied());
    }
    let mut pools = vec![];
    for (class, offer_set) in &class_offers {
        for &o in offer_set {
            let Some(mut pool) = Pool::from_offer(catalog, o, resource_class(class)) else {
                continue;
            };
            let offer = catalog.offer(o);
            let n = sim.supply.instances(&offer.region, &offer.instance_type);
            let cap = (f64::from(n) * (1.0 + sim.supply.jitter)).ceil() as u32;
            pool.on_demand_cap = Supply::Constant(cap);
            if let Some(spot) = &mut pool.spot {
                spot.cap = Supply::Constant(cap);
            }
            pool.gpu_kind = Some(class.label());
            pools.push(pool);
        }
    }
    // A tier no pool serves (a type without units of its class) is left out, as the run
    // cannot serve it either.
    tiers.retain(|(class, fits), _| {
        pools
            .iter()
            .any(|p| p.gpu_kind.as_deref() == Some(&class.label()) && fits.contains(&p.offer))
    });
    let cfg = SolverConfig {
        mode: Mode::SampleAverage,
        time: TimeModel::Blocks(BLOCKS),
        mip_rel_gap: 1e-3,
        max_nodes: Some(100_000),
        relax: false,
        routing: Routing::PerPeriod,
        ..SolverConfig::default()
    };
    let mut report = OracleReport {
        cost_usd: 0.0,
        windows: 0,
        relaxed_windows: 0,
        method: "milp",
        blocks: BLOCKS,
        window_cost_usd: vec![],
    };
    for (index, (start, stop)) in windows(first, window, end).into_iter().enumerate() {
        let index = index as u32;
        let hours = stop.saturating_since(start).0.div_ceil(SimDuration::from_hours(1).0).max(1);
        let grid_end = start + SimDuration::from_hours(hours);
        let builder = SeriesBuilder::hourly().with_window(start, grid_end)?;
        let mut queues = vec![];
        let mut realised = vec![];
        for ((class, fits), tier_jobs) in &tiers {
            let series = builder.build(tier_jobs, Measure::Busy)?;
            let values = series
                .get(&(QueueId(0), resource_class(class)))
                .map_or_else(|| vec![0.0; hours as usize], |s| s.values.clone());
            queues.push(QueueDemand {
                queue: QueueId(queues.len() as u32),
                class: resource_class(class),
                gpu_kind: Some(class.label()),
                regions: vec![],
                offers: fits.clone(),
                demand: vec![values.clone()],
            });
            realised.push(values);
        }
        report.windows += 1;
        if queues.is_empty() || realised.iter().all(|r| r.iter().all(|v| *v == 0.0)) {
            report.window_cost_usd.push(0.0);
            continue;
        }
        let mut window_pools = pools.clone();
        for pool in &mut window_pools {
            if let Some(s) = &mut pool.spot {
                s.usd_per_hour_by_bucket = (0..hours)
                    .map(|h| {
                        let from = start + SimDuration::from_hours(h);
                        let to = from + SimDuration::from_hours(1);
                        spot.min_price(pool.offer, from, to).unwrap_or(s.usd_per_hour)
                    })
                    .collect();
            }
        }
        let problem = PlanningProblem {
            window: PlanWindow {
                now: start,
                start,
                buckets: hours as u32,
                bucket: SimDuration::from_hours(1),
            },
            pools: window_pools,
            queues,
            scenario_probabilities: vec![1.0],
            constraints: Constraints::default(),
            costs: CostParams {
                backlog_usd_per_unit_hour: BACKLOG_USD,
                spot_lost_hours_per_interruption: 0.0,
            },
        };
        let plan = engine::planner::oracle(&problem, &realised, &cfg, MAX_INTEGERS)
            .map_err(|source| OracleError::Plan { window: index, source })?;
        if plan.relaxed {
            report.relaxed_windows += 1;
        }
        // The dual bound: never above the optimum, whatever the gap.
        let bound = if plan.relaxed { plan.expected_cost_usd } else { plan.bound_usd };
        let bound = bound.min(plan.expected_cost_usd).max(0.0);
        report.cost_usd += bound;
        report.window_cost_usd.push(bound);
    }
    report.method = match (report.relaxed_windows, report.windows) {
        (0, _) => "milp",
        (r, w) if r == w => "lp",
        _ => "milp+lp",
    };
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_run_and_cut_the_last() {
        let h = SimDuration::from_hours(1);
        let w = windows(SimTime(0), SimDuration::from_hours(168), SimTime(200 * h.0));
        assert_eq!(
            w,
            vec![(SimTime(0), SimTime(168 * h.0)), (SimTime(168 * h.0), SimTime(200 * h.0))]
        );
        assert!(windows(SimTime(5), SimDuration::from_hours(1), SimTime(5)).is_empty());
    }
}
