//! Dominated pools, left out of the model before it is built (an exact reduction).
//!
//! Pool `d` dominates pool `p` when every plan that uses `p` can be rewritten onto `d` at no
//! more cost without breaking a constraint: move every queue's share of `p` to `d`, and add
//! `p`'s reserved, on-demand, spot and backlog units to `d`'s. That holds when
//!
//! - `d` serves every queue `p` serves (same class; eligibility a superset);
//! - with a provider-share limit, `d` is of the same provider; when a region quota covers
//!   `d`'s region, `p` is in that region too and `d` has no more vCPUs (GPUs) per unit;
//! - every recourse `p` may use (on-demand, spot; open in some bucket) costs per unit at
//!   least the cheapest *uncapped* recourse of `d` (uncapped, so the units added fit);
//! - every reservation product `p` may buy for the window costs per unit at least one of
//!   `d`'s, that one has no minimum commitment and enough instances to cover the peak demand
//!   of every queue `d` serves, and `d`'s instance size divides `p`'s (so `p`'s instances
//!   are a whole number of `d`'s).
//!
//! Both capacity rows are linear in the units, so the rewritten plan is feasible: backlog
//! and the SLA bound add up, quotas see no more vCPUs, the provider's share is unchanged,
//! spend and cost do not grow. Dominance is a preorder (transitive); a pool is dropped when
//! a pool dominates it strictly, or equally with a lower index, so each class of equivalent
//! pools keeps its lowest-numbered member and every dropped pool is dominated by a kept one.
//! The optimal cost is unchanged; among plans of equal cost the tie-break may then pick the
//! dominating pool where the full model would have picked the dominated one.

use super::problem::{PlanningProblem, Supply};

/// A pool's unit prices and supply as dominance compares them.
struct Terms {
    /// Unit prices of the recourse the pool may use (on-demand, spot) in some bucket.
    open: Vec<f64>,
    /// The cheapest unit price of a recourse without a cap, if any.
    uncapped: Option<f64>,
    /// Usable reservation products: window cost per unit, minimum and maximum count.
    products: Vec<(f64, u32, u32)>,
    /// Queues it serves.
    serves: Vec<bool>,
    /// Peak demand of the queues it serves (sum of each one's peak over scenarios and
    /// buckets), units.
    peak: f64,
}

fn open(cap: &Supply, buckets: usize) -> bool {
    match cap {
        Supply::Unlimited => true,
        Supply::Constant(n) => *n > 0,
        Supply::PerBucket(v) => v.iter().take(buckets).any(|&n| n > 0),
    }
}

fn terms(problem: &PlanningProblem, eligible: &[Vec<usize>]) -> Vec<Terms> {
    let nb = problem.window.buckets as usize;
    let window_h = problem.window.hours();
    let lead_s = problem.window.lead_s();
    let peaks: Vec<f64> = problem
        .queues
        .iter()
        .map(|q| q.demand.iter().flatten().copied().fold(0.0, f64::max))
        .collect();
    let mut serves = vec![vec![false; problem.queues.len()]; problem.pools.len()];
    for (q, e) in eligible.iter().enumerate() {
        for &p in e {
            serves[p][q] = true;
        }
    }
    problem
        .pools
        .iter()
        .zip(serves)
        .map(|(pool, serves)| {
            let a = pool.units_per_instance;
            let mut open_prices = Vec::new();
            let mut uncapped: Option<f64> = None;
            // A recourse priced per bucket is compared at its lowest price where it may be
            // dominated and at its highest where it dominates, so pruning stays exact.
            let mut recourse = |lowest: f64, highest: f64, cap: &Supply| {
                if open(cap, nb) {
                    open_prices.push(lowest);
                }
                if matches!(cap, Supply::Unlimited) {
                    uncapped = Some(uncapped.map_or(highest, |u| u.min(highest)));
                }
            };
            let od = pool.on_demand_usd_per_hour / a;
            recourse(od, od, &pool.on_demand_cap);
            if let Some(s) = &pool.spot {
                let per_unit = |usd_per_hour: f64| {
                    usd_per_hour
                        * (1.0
                            + s.interruptions_per_hour
                                * problem.costs.spot_lost_hours_per_interruption)
                        / a
                };
                let prices = || s.usd_per_hour_by_bucket.iter().copied();
                let lowest = prices().reduce(f64::min).unwrap_or(s.usd_per_hour);
                let highest = prices().reduce(f64::max).unwrap_or(s.usd_per_hour);
                recourse(per_unit(lowest), per_unit(highest), &s.cap);
            }
            let products = pool
                .products
                .iter()
                .filter_map(|r| {
                    r.billed_hours(lead_s, window_h)
                        .map(|h| (r.usd_per_instance_hour * h / a, r.min_count, r.max_count))
                })
                .collect();
            let peak = serves.iter().zip(&peaks).filter(|(s, _)| **s).map(|(_, d)| d).sum();
            Terms { open: open_prices, uncapped, products, serves, peak }
        })
        .collect()
}

/// Whether pool `d` dominates pool `p` (see the module docs).
fn dominates(problem: &PlanningProblem, t: &[Terms], d: usize, p: usize) -> bool {
    let (pd, pp) = (&problem.pools[d], &problem.pools[p]);
    let (td, tp) = (&t[d], &t[p]);
    if pd.class != pp.class || tp.serves.iter().zip(&td.serves).any(|(&sp, &sd)| sp && !sd) {
        return false;
    }
    let c = &problem.constraints;
    if c.max_provider_share.is_some() && pd.cloud != pp.cloud {
        return false;
    }
    for quota in &c.region_quotas {
        if quota.cloud != pd.cloud || quota.region != pd.region {
            continue;
        }
        if pp.cloud != pd.cloud || pp.region != pd.region {
            return false;
        }
        let per_unit = |n: u32, a: f64| f64::from(n) / a;
        if quota.max_vcpus.is_some()
            && per_unit(pd.vcpus, pd.units_per_instance) > per_unit(pp.vcpus, pp.units_per_instance)
        {
            return false;
        }
        if quota.max_gpus.is_some()
            && per_unit(pd.gpus, pd.units_per_instance) > per_unit(pp.gpus, pp.units_per_instance)
        {
            return false;
        }
    }
    if !tp.open.is_empty() {
        match td.uncapped {
            Some(u) if tp.open.iter().all(|&price| u <= price) => {}
            _ => return false,
        }
    }
    if tp.products.is_empty() {
        return true;
    }
    let ratio = pp.units_per_instance / pd.units_per_instance;
    if ratio < 1.0 - 1e-9 || (ratio - ratio.round()).abs() > 1e-9 {
        return false;
    }
    let fits = |&(_, min_count, max_count): &(f64, u32, u32)| {
        min_count <= 1 && f64::from(max_count) * pd.units_per_instance >= td.peak
    };
    tp.products.iter().all(|&(cost_p, _, _)| td.products.iter().any(|k| fits(k) && k.0 <= cost_p))
}

/// Per pool, whether it is left out of the model: some other pool dominates it strictly, or
/// equally and has a lower index. `eligible[q]` lists the pools queue `q` may use.
pub(super) fn dominated(problem: &PlanningProblem, eligible: &[Vec<usize>]) -> Vec<bool> {
    let t = terms(problem, eligible);
    let np = problem.pools.len();
    let in_use: Vec<bool> = t.iter().map(|x| x.serves.iter().any(|&s| s)).collect();
    (0..np)
        .map(|p| {
            in_use[p]
                && (0..np).any(|d| {
                    d != p
                        && in_use[d]
                        && dominates(problem, &t, d, p)
                        && (d < p || !dominates(problem, &t, p, d))
                })
        })
        .collect()
}
