//! Building the MILP of the [module docs](super) with good_lp, solving it with HiGHS (one
//! thread, a relative-gap stop, never a time limit) and reading the [`WindowPlan`] back.

use std::collections::BTreeMap;

use good_lp::{Expression, ProblemVariables, Variable, constraint, highs, variable, variables};
use highs::HighsModelStatus;
use serde::{Deserialize, Serialize};

use crate::cloud::{Cloud, OfferIx, ProductKind};
use crate::ids::QueueId;

use super::error::PlanError;
use super::problem::{LpGuided, Mode, PlanningProblem, Routing, SolverConfig, TimeModel};

/// Cost per `x[q,p]` times `p + 1` added to the objective so that, among plans of equal
/// cost, the one using lower-numbered pools wins (the fixed tie-break rule). Removed from
/// every reported cost.
const TIE_BREAK_USD: f64 = 1e-6;

/// How the solve ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SolveStatus {
    /// Optimal (within HiGHS's tolerances).
    Optimal,
    /// Stopped at the relative gap asked for.
    GapLimit,
    /// Stopped at the node limit with a feasible plan.
    NodeLimit,
    /// The LP-guided restriction's plan ([`LpGuided::Always`]), not proven within the gap
    /// asked for: `gap` is its distance to the full model's LP bound.
    Restricted,
}

/// A reservation the plan buys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedReservation {
    /// Index into [`PlanningProblem::pools`].
    pub pool: usize,
    /// The pool's offer.
    pub offer: OfferIx,
    /// Index into the pool's `products`.
    pub product: usize,
    /// Which product.
    pub kind: ProductKind,
    /// Instances.
    pub count: u32,
    /// What it costs for the window (the whole commitment), USD.
    pub cost_usd: f64,
}

/// Where one queue goes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueAssignment {
    /// The queue.
    pub queue: QueueId,
    /// `(pool index, share of its demand)`, by pool index; shares sum to 1.
    pub pools: Vec<(usize, f64)>,
}

/// The spread of the plan's cost over the scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostSpread {
    /// Cheapest scenario, USD.
    pub min_usd: f64,
    /// Probability-weighted mean, USD (the expected cost).
    pub mean_usd: f64,
    /// Dearest scenario, USD.
    pub max_usd: f64,
    /// Probability-weighted standard deviation, USD.
    pub std_usd: f64,
}

/// One row of the "considered offers → cost" table: a candidate pool, its unit costs and
/// what the plan takes of it (expectations over the scenarios).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferRow {
    /// Index into [`PlanningProblem::pools`].
    pub pool: usize,
    /// The offer.
    pub offer: OfferIx,
    /// Provider.
    pub cloud: Cloud,
    /// Region.
    pub region: String,
    /// Instance type.
    pub instance_type: String,
    /// On-demand USD per unit-hour.
    pub on_demand_usd_per_unit_hour: f64,
    /// Spot USD per unit-hour with the re-run overhead, if spot is sold.
    pub spot_usd_per_unit_hour: Option<f64>,
    /// Cheapest usable reservation, USD per unit-hour of the window, if any.
    pub reserved_usd_per_unit_hour: Option<f64>,
    /// Reserved instances bought (all products).
    pub reserved_instances: u32,
    /// Expected on-demand unit-hours.
    pub on_demand_unit_hours: f64,
    /// Expected spot unit-hours.
    pub spot_unit_hours: f64,
    /// Expected backlog unit-hours (summed over time).
    pub backlog_unit_hours: f64,
    /// Queues mapped to it (wholly or in part).
    pub queues: u32,
    /// Expected cost of the pool: reservations, on-demand, spot and backlog penalty, USD.
    pub expected_cost_usd: f64,
}

/// Size of the model solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSize {
    /// Columns.
    pub variables: usize,
    /// Integer and binary columns (0 when relaxed).
    pub integers: usize,
    /// Rows.
    pub constraints: usize,
}

/// The planner's answer for one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowPlan {
    /// Reservations to buy, by pool then product.
    pub reservations: Vec<PlannedReservation>,
    /// The queue → pool map, in queue order.
    pub queue_map: Vec<QueueAssignment>,
    /// Expected cost: reservations plus the scenario-weighted on-demand, spot and backlog
    /// penalty, USD.
    pub expected_cost_usd: f64,
    /// Expected spend (no penalty), USD.
    pub expected_spend_usd: f64,
    /// Expected backlog penalty, USD.
    pub expected_penalty_usd: f64,
    /// Cost per scenario, USD, in scenario order.
    pub scenario_costs_usd: Vec<f64>,
    /// Their spread.
    pub spread: CostSpread,
    /// How the solve ended.
    pub status: SolveStatus,
    /// Relative gap between the plan and the solver's bound (0 for an LP).
    pub gap: f64,
    /// The solver's lower bound on the objective, USD.
    pub bound_usd: f64,
    /// Whether the integers were relaxed (an LP bound, not a plan to buy).
    pub relaxed: bool,
    /// The considered offers → cost table, one row per candidate pool.
    pub offers: Vec<OfferRow>,
    /// Model size.
    pub size: ModelSize,
}

/// Decisions fixed for [`evaluate`]: reservations and the queue map of a plan (or any other
/// policy's choice).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    /// `(pool, product, count)`.
    pub reservations: Vec<(usize, usize, u32)>,
    /// Per queue, `(pool, share)`.
    pub shares: Vec<Vec<(usize, f64)>>,
}

impl WindowPlan {
    /// The plan's first-stage decisions.
    pub fn decisions(&self) -> Decisions {
        Decisions {
            reservations: self.reservations.iter().map(|r| (r.pool, r.product, r.count)).collect(),
            shares: self.queue_map.iter().map(|a| a.pools.clone()).collect(),
        }
    }
}

/// A period of the model: the buckets it stands for and its length in hours.
struct Period {
    buckets: Vec<usize>,
    hours: f64,
}

/// The model's data after the mode and time model are applied.
struct Shaped {
    probs: Vec<f64>,
    /// `periods[s]`.
    periods: Vec<Vec<Period>>,
    /// `demand[s][t][q]`: mean units of queue `q` over period `t` of scenario `s`.
    demand: Vec<Vec<Vec<f64>>>,
    chronological: bool,
}

fn quantile(values: &mut [(f64, f64)], tau: f64) -> f64 {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for &(v, p) in values.iter() {
        acc += p;
        if acc + 1e-12 >= tau {
            return v;
        }
    }
    values.last().map_or(0.0, |v| v.0)
}

fn shape(problem: &PlanningProblem, cfg: &SolverConfig) -> Shaped {
    let nb = problem.window.buckets as usize;
    let nq = problem.queues.len();
    let bh = problem.window.bucket_hours();
    // demand[s][b][q]
    let (probs, raw): (Vec<f64>, Vec<Vec<Vec<f64>>>) = match cfg.mode {
        Mode::SampleAverage => (
            problem.scenario_probabilities.clone(),
            (0..problem.scenario_probabilities.len())
                .map(|s| {
                    (0..nb)
                        .map(|b| problem.queues.iter().map(|q| q.demand[s][b]).collect())
                        .collect()
                })
                .collect(),
        ),
        Mode::Quantile(tau) => {
            let one: Vec<Vec<f64>> = (0..nb)
                .map(|b| {
                    problem
                        .queues
                        .iter()
                        .map(|q| {
                            let mut v: Vec<(f64, f64)> = q
                                .demand
                                .iter()
                                .zip(&problem.scenario_probabilities)
                                .map(|(row, &p)| (row[b], p))
                                .collect();
                            quantile(&mut v, tau)
                        })
                        .collect()
                })
                .collect();
            (vec![1.0], vec![one])
        }
    };
    match cfg.time {
        TimeModel::Chronological => Shaped {
            periods: probs
                .iter()
                .map(|_| (0..nb).map(|b| Period { buckets: vec![b], hours: bh }).collect())
                .collect(),
            demand: raw,
            probs,
            chronological: true,
        },
        TimeModel::Blocks(k) => {
            let k = (k as usize).min(nb);
            let mut periods = Vec::new();
            let mut demand = Vec::new();
            for scen in &raw {
                let totals: Vec<f64> = scen.iter().map(|row| row.iter().sum()).collect();
                let mut order: Vec<usize> = (0..nb).collect();
                order.sort_by(|&a, &b| totals[b].total_cmp(&totals[a]).then(a.cmp(&b)));
                let mut ps = Vec::new();
                let mut ds = Vec::new();
                for i in 0..k {
                    let (lo, hi) = (i * nb / k, (i + 1) * nb / k);
                    let buckets: Vec<usize> = order[lo..hi].to_vec();
                    let n = buckets.len() as f64;
                    let d: Vec<f64> = (0..nq)
                        .map(|q| buckets.iter().map(|&b| scen[b][q]).sum::<f64>() / n)
                        .collect();
                    ps.push(Period { hours: bh * n, buckets });
                    ds.push(d);
                }
                periods.push(ps);
                demand.push(ds);
            }
            Shaped { probs, periods, demand, chronological: false }
        }
    }
}

/// What a column stands for, so that a solution of one model (the LP-guided restriction)
/// can start another (the full model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// `r[p,k]`.
    Reserve(usize, usize),
    /// `y[p,k]`.
    Commit(usize, usize),
    /// `x[q,p]`.
    Map(usize, usize),
    /// `f[q,p]` (when separate from `x`).
    Share(usize, usize),
    /// `o[p,s,t]`, as `(s, t, p)`.
    OnDemand(usize, usize, usize),
    /// `z[p,s,t]`, as `(s, t, p)`.
    Spot(usize, usize, usize),
    /// `u[p,s,t]`, as `(s, t, p)`.
    Backlog(usize, usize, usize),
    /// `g[q,p,s,t]` (per-period routing), as `(s, t, q, p)`.
    Flow(usize, usize, usize, usize),
}

/// Column bookkeeping: good_lp numbers columns in the order variables are added.
struct Cols {
    vars: ProblemVariables,
    n: usize,
    integers: usize,
    keys: Vec<Key>,
}

impl Cols {
    fn add(
        &mut self,
        def: good_lp::VariableDefinition,
        integer: bool,
        key: Key,
    ) -> (Variable, usize) {
        let i = self.n;
        self.n += 1;
        if integer {
            self.integers += 1;
        }
        self.keys.push(key);
        (self.vars.add(def), i)
    }
}

struct ResVar {
    pool: usize,
    product: usize,
    col: usize,
    var: Variable,
    usd: f64,
}

struct RecourseVar {
    col: usize,
    var: Variable,
}

/// Per (s, t, p) the recourse columns.
struct Recourse {
    od: RecourseVar,
    spot: Option<RecourseVar>,
    backlog: RecourseVar,
}

/// The built model, ready for HiGHS.
struct Built {
    res: Vec<ResVar>,
    /// `share[q]`: `(pool, column, variable)` of `f[q,p]` (or `x[q,p]` when one pool each);
    /// empty with per-period routing.
    share: Vec<Vec<(usize, usize, Variable)>>,
    /// Per-period routing: `flows[q]` lists `(pool, column, weight)` of every `g[q,p,s,t]`,
    /// weighted so that the weighted sum over a pool is the queue's share there.
    flows: Vec<Vec<(usize, usize, f64)>>,
    /// `rec[s][t][p]`, `None` for pools no queue may use.
    rec: Vec<Vec<Vec<Option<Recourse>>>>,
    /// Pools in the model (a candidate of some queue).
    active: Vec<bool>,
    /// Pools listed in the offers table: eligible for some queue, in the model or not.
    listed: Vec<bool>,
    /// What each column stands for.
    keys: Vec<Key>,
    size: ModelSize,
}

/// On-demand and spot USD per unit-hour of pool `p` over `buckets` (spot at its lowest price
/// there when priced per bucket); `None` buckets means the nominal prices.
fn unit_costs(
    problem: &PlanningProblem,
    p: usize,
    buckets: Option<&[usize]>,
) -> (f64, Option<f64>) {
    let pool = &problem.pools[p];
    let od = pool.on_demand_usd_per_hour / pool.units_per_instance;
    let spot = pool.spot.as_ref().map(|s| {
        buckets.map_or(s.usd_per_hour, |b| s.usd_per_hour_over(b))
            * (1.0 + s.interruptions_per_hour * problem.costs.spot_lost_hours_per_interruption)
            / pool.units_per_instance
    });
    (od, spot)
}

fn min_cap(cap: &super::problem::Supply, buckets: &[usize]) -> Option<f64> {
    buckets.iter().filter_map(|&b| cap.at(b)).min().map(f64::from)
}

/// Per queue, the pools it may use, in pool order; an error names a queue with none.
fn eligibility(problem: &PlanningProblem) -> Result<Vec<Vec<usize>>, PlanError> {
    let np = problem.pools.len();
    let eligible: Vec<Vec<usize>> = (0..problem.queues.len())
        .map(|q| (0..np).filter(|&p| problem.eligible(q, p)).collect())
        .collect();
    for (q, e) in eligible.iter().enumerate() {
        if e.is_empty() {
            return Err(PlanError::NoEligiblePool {
                index: q,
                queue: problem.queues[q].queue.to_string(),
            });
        }
    }
    Ok(eligible)
}

/// The pools each queue may be mapped to in one model, and the pools the offers table lists
/// (every pool eligible for some queue, so the table is the same whatever was left out).
#[derive(Clone, Debug, PartialEq)]
struct Candidates {
    map: Vec<Vec<usize>>,
    listed: Vec<bool>,
}

/// Pools some queue may use.
fn used_by(np: usize, lists: &[Vec<usize>]) -> Vec<bool> {
    let mut used = vec![false; np];
    for e in lists {
        for &p in e {
            used[p] = true;
        }
    }
    used
}

/// Per-period routing: one queue's flows `(pool, g[q,p,s,t])` in one scenario and period.
type FlowRow = Vec<(usize, Variable)>;

/// Per queue, its expected work over the window: `Σ_s π_s Σ_t h_t d[q,s,t]`, unit-hours.
fn expected_work(shaped: &Shaped, nq: usize) -> Vec<f64> {
    (0..nq)
        .map(|q| {
            (0..shaped.probs.len())
                .map(|s| {
                    shaped.probs[s]
                        * shaped.periods[s]
                            .iter()
                            .enumerate()
                            .map(|(t, per)| per.hours * shaped.demand[s][t][q])
                            .sum::<f64>()
                })
                .sum()
        })
        .collect()
}

/// Builds the model over `candidates[q]`, the pools queue `q` may be mapped to (its eligible
/// pools, or fewer). With `fixed`, reservations and shares are pinned to those decisions.
fn build(
    problem: &PlanningProblem,
    shaped: &Shaped,
    cfg: &SolverConfig,
    fixed: Option<&Decisions>,
    with_budget: bool,
    candidates: &Candidates,
) -> Result<BuiltModel, PlanError> {
    let nq = problem.queues.len();
    let np = problem.pools.len();
    let window_h = problem.window.hours();
    let lead_s = problem.window.lead_s();
    let relax = cfg.relax;
    let mut cols = Cols { vars: variables!(), n: 0, integers: 0, keys: Vec::new() };
    let mut cons: Vec<good_lp::Constraint> = Vec::new();
    let mut objective = Expression::default();
    let mut spend = Expression::default();

    let eligible = &candidates.map;
    let active = used_by(np, eligible);

    // Reservations r[p,k] (+ y[p,k] for a minimum commitment).
    let mut res = Vec::new();
    let mut reserved: Vec<Expression> = vec![Expression::default(); np];
    for p in (0..np).filter(|&p| active[p]) {
        for (k, prod) in problem.pools[p].products.iter().enumerate() {
            let Some(billed) = prod.billed_hours(lead_s, window_h) else { continue };
            let usd = prod.usd_per_instance_hour * billed;
            let pinned = fixed.map(|d| {
                d.reservations
                    .iter()
                    .filter(|r| r.0 == p && r.1 == k)
                    .map(|r| f64::from(r.2))
                    .sum::<f64>()
            });
            let max = f64::from(prod.max_count);
            let def = match pinned {
                Some(v) => variable().min(v).max(v),
                None if relax => variable().min(0.0).max(max),
                None => variable().integer().min(0.0).max(max),
            };
            let (var, col) = cols.add(def, pinned.is_none() && !relax, Key::Reserve(p, k));
            if pinned.is_none() && prod.min_count > 1 {
                let ydef = if relax { variable().min(0.0).max(1.0) } else { variable().binary() };
                let (y, _) = cols.add(ydef, !relax, Key::Commit(p, k));
                cons.push(constraint!(var >= f64::from(prod.min_count) * y));
                cons.push(constraint!(var <= max * y));
            }
            objective += usd * var;
            spend += usd * var;
            reserved[p] += var;
            res.push(ResVar { pool: p, product: k, col, var, usd });
        }
    }

    // Assignment: x[q,p] binary, f[q,p] share (f = x with one pool per queue); with
    // per-period routing the flows below take its place.
    let per_period = cfg.routing == Routing::PerPeriod && fixed.is_none();
    let m = problem.constraints.max_pools_per_queue;
    let mut share: Vec<Vec<(usize, usize, Variable)>> = Vec::with_capacity(nq);
    for (q, e) in eligible.iter().enumerate() {
        if per_period {
            share.push(Vec::new());
            continue;
        }
        let mut row = Vec::new();
        let mut sum_f = Expression::default();
        let mut sum_x = Expression::default();
        for &p in e {
            let pinned = fixed.map(|d| {
                d.shares
                    .get(q)
                    .map_or(0.0, |v| v.iter().filter(|s| s.0 == p).map(|s| s.1).sum::<f64>())
            });
            let tie = TIE_BREAK_USD * (p as f64 + 1.0);
            if let Some(v) = pinned {
                let (f, col) = cols.add(variable().min(v).max(v), false, Key::Share(q, p));
                sum_f += f;
                row.push((p, col, f));
            } else if m == 1 || e.len() == 1 {
                let def = if relax { variable().min(0.0).max(1.0) } else { variable().binary() };
                let (x, col) = cols.add(def, !relax, Key::Map(q, p));
                objective += tie * x;
                sum_f += x;
                row.push((p, col, x));
            } else {
                let def = if relax { variable().min(0.0).max(1.0) } else { variable().binary() };
                let (x, _) = cols.add(def, !relax, Key::Map(q, p));
                let (f, col) = cols.add(variable().min(0.0).max(1.0), false, Key::Share(q, p));
                cons.push(constraint!(f <= x));
                objective += tie * x;
                sum_f += f;
                sum_x += x;
                row.push((p, col, f));
            }
        }
        if fixed.is_some() {
            // Shares as given; a plan that leaves work unrouted is the caller's error.
            let total: f64 =
                fixed.and_then(|d| d.shares.get(q)).map_or(0.0, |v| v.iter().map(|s| s.1).sum());
            if (total - 1.0).abs() > 1e-6 {
                return Err(PlanError::invalid(
                    format!("decisions.shares[{q}]"),
                    "shares over eligible pools summing to 1",
                    total,
                ));
            }
        } else {
            cons.push(constraint!(sum_f == 1.0));
            if m > 1 && e.len() > 1 {
                cons.push(constraint!(sum_x <= f64::from(m)));
            }
        }
        share.push(row);
    }

    // Pool loads per (s, t): Σ_q f[q,p] d[q,s,t] (or Σ_q g[q,p,s,t]), and mean loads per s
    // for the SLA.
    let ns = shaped.probs.len();
    let work = expected_work(shaped, nq);
    let mut flows: Vec<Vec<(usize, usize, f64)>> = vec![Vec::new(); nq];
    // Per-period routing: per (s, t, q) the flows g[q,p,s,t] summing to the demand.
    let mut flow_vars: Vec<Vec<Vec<FlowRow>>> = Vec::new();
    if per_period {
        for s in 0..ns {
            let mut per_t = Vec::new();
            for (t, period) in shaped.periods[s].iter().enumerate() {
                let mut per_q = Vec::new();
                for (q, e) in eligible.iter().enumerate() {
                    let d = shaped.demand[s][t][q];
                    let mut row = Vec::new();
                    if d != 0.0 {
                        let mut sum = Expression::default();
                        for &p in e {
                            let (g, col) =
                                cols.add(variable().min(0.0).max(d), false, Key::Flow(s, t, q, p));
                            // The fixed tie-break, per unit-hour: lower-numbered pools win.
                            objective += TIE_BREAK_USD
                                * (p as f64 + 1.0)
                                * shaped.probs[s]
                                * period.hours
                                * g;
                            sum += g;
                            row.push((p, g));
                            if work[q] > 0.0 {
                                flows[q].push((p, col, shaped.probs[s] * period.hours / work[q]));
                            }
                        }
                        cons.push(constraint!(sum == d));
                    }
                    per_q.push(row);
                }
                per_t.push(per_q);
            }
            flow_vars.push(per_t);
        }
    }
    let mut rec: Vec<Vec<Vec<Option<Recourse>>>> = Vec::with_capacity(ns);
    #[allow(clippy::needless_range_loop)] // s indexes probs, periods, demand and flows alike
    for s in 0..ns {
        let prob = shaped.probs[s];
        let periods = &shaped.periods[s];
        let mut mean_load: Vec<Expression> = vec![Expression::default(); np];
        if per_period && problem.constraints.max_backlog_hours.is_some() {
            for (t, per) in periods.iter().enumerate() {
                for row in &flow_vars[s][t] {
                    for &(p, g) in row {
                        mean_load[p] += (per.hours / window_h) * g;
                    }
                }
            }
        } else if problem.constraints.max_backlog_hours.is_some() {
            for (q, row) in share.iter().enumerate() {
                let mean = periods
                    .iter()
                    .enumerate()
                    .map(|(t, per)| per.hours * shaped.demand[s][t][q])
                    .sum::<f64>()
                    / window_h;
                for &(p, _, f) in row {
                    mean_load[p] += mean * f;
                }
            }
        }
        let mut per_t = Vec::with_capacity(periods.len());
        let mut prev_backlog: Vec<Option<Variable>> = vec![None; np];
        for (t, period) in periods.iter().enumerate() {
            let mut load: Vec<Expression> = vec![Expression::default(); np];
            if per_period {
                for row in &flow_vars[s][t] {
                    for &(p, g) in row {
                        load[p] += g;
                    }
                }
            }
            for (q, row) in share.iter().enumerate() {
                let d = shaped.demand[s][t][q];
                if d != 0.0 {
                    for &(p, _, f) in row {
                        load[p] += d * f;
                    }
                }
            }
            let mut per_p = Vec::with_capacity(np);
            let mut region_vcpu: Vec<(usize, Expression)> = Vec::new();
            let mut region_gpu: Vec<(usize, Expression)> = Vec::new();
            for p in 0..np {
                if !active[p] {
                    per_p.push(None);
                    continue;
                }
                let pool = &problem.pools[p];
                let (c_od, c_spot) = unit_costs(problem, p, Some(&period.buckets));
                let units = pool.units_per_instance;
                let od_max = min_cap(&pool.on_demand_cap, &period.buckets).map(|c| c * units);
                let odd = match od_max {
                    Some(c) => variable().min(0.0).max(c),
                    None => variable().min(0.0),
                };
                let (od, od_col) = cols.add(odd, false, Key::OnDemand(s, t, p));
                let spot = match (&pool.spot, c_spot) {
                    (Some(sp), Some(c)) => {
                        let cap = min_cap(&sp.cap, &period.buckets).map(|c| c * units);
                        let def = match cap {
                            Some(c) => variable().min(0.0).max(c),
                            None => variable().min(0.0),
                        };
                        let (z, col) = cols.add(def, false, Key::Spot(s, t, p));
                        let w = prob * period.hours * c;
                        objective += w * z;
                        spend += w * z;
                        Some((RecourseVar { col, var: z }, units))
                    }
                    _ => None,
                };
                let (u, u_col) = cols.add(variable().min(0.0), false, Key::Backlog(s, t, p));
                let w_od = prob * period.hours * c_od;
                objective += w_od * od;
                spend += w_od * od;
                let pen = problem.costs.backlog_usd_per_unit_hour;
                objective += if shaped.chronological {
                    prob * period.hours * pen * u
                } else {
                    prob * pen * u
                };
                // Capacity: h (units R + o + z − load) + u_t − u_{t−1} ≥ 0 (chronological:
                // the backlog grows by what is not served), h (units R + o + z − load) + u_t
                // ≥ 0 (blocks: the shortfall).
                let h = period.hours;
                let mut supply: Expression = (h * units) * reserved[p].clone() + h * od;
                if let Some((z, _)) = &spot {
                    supply += h * z.var;
                }
                let mut lhs = supply - h * load[p].clone() + u;
                if shaped.chronological
                    && let Some(prev) = prev_backlog[p]
                {
                    lhs -= prev;
                }
                cons.push(constraint!(lhs >= 0.0));
                if let Some(wh) = problem.constraints.max_backlog_hours {
                    cons.push(constraint!(u <= wh * mean_load[p].clone()));
                }
                prev_backlog[p] = Some(u);
                // Instances running, for quotas.
                let mut inst: Expression = reserved[p].clone() + od * (1.0 / units);
                if let Some((z, _)) = &spot {
                    inst += z.var * (1.0 / units);
                }
                for (qi, quota) in problem.constraints.region_quotas.iter().enumerate() {
                    if quota.cloud == pool.cloud && quota.region == pool.region {
                        if quota.max_vcpus.is_some() {
                            push_region(&mut region_vcpu, qi, f64::from(pool.vcpus) * inst.clone());
                        }
                        if quota.max_gpus.is_some() && pool.gpus > 0 {
                            push_region(&mut region_gpu, qi, f64::from(pool.gpus) * inst.clone());
                        }
                    }
                }
                per_p.push(Some(Recourse {
                    od: RecourseVar { col: od_col, var: od },
                    spot: spot.map(|(z, _)| z),
                    backlog: RecourseVar { col: u_col, var: u },
                }));
            }
            for (qi, e) in region_vcpu {
                let cap = problem.constraints.region_quotas[qi].max_vcpus.unwrap_or(0);
                cons.push(constraint!(e <= f64::from(cap)));
            }
            for (qi, e) in region_gpu {
                let cap = problem.constraints.region_quotas[qi].max_gpus.unwrap_or(0);
                cons.push(constraint!(e <= f64::from(cap)));
            }
            per_t.push(per_p);
        }
        rec.push(per_t);
    }

    // Provider share of expected work.
    if let Some(max_share) = problem.constraints.max_provider_share
        && fixed.is_none()
    {
        let total: f64 = work.iter().sum();
        if total > 0.0 {
            for cloud in Cloud::ALL {
                let mut e = Expression::default();
                let mut any = false;
                for (q, row) in share.iter().enumerate() {
                    for &(p, _, f) in row {
                        if problem.pools[p].cloud == cloud {
                            e += work[q] * f;
                            any = true;
                        }
                    }
                }
                for (s, per_t) in flow_vars.iter().enumerate() {
                    for (t, per_q) in per_t.iter().enumerate() {
                        let w = shaped.probs[s] * shaped.periods[s][t].hours;
                        for &(p, g) in per_q.iter().flatten() {
                            if problem.pools[p].cloud == cloud {
                                e += w * g;
                                any = true;
                            }
                        }
                    }
                }
                if any {
                    cons.push(constraint!(e <= max_share * total));
                }
            }
        }
    }

    if with_budget && let Some(b) = problem.constraints.budget_usd {
        cons.push(constraint!(spend <= b));
    }

    let size = ModelSize {
        variables: cols.n,
        integers: if relax { 0 } else { cols.integers },
        constraints: cons.len(),
    };
    Ok(BuiltModel {
        built: Built {
            res,
            share,
            flows,
            rec,
            active,
            listed: candidates.listed.clone(),
            keys: cols.keys,
            size,
        },
        vars: cols.vars,
        objective,
        cons,
    })
}

struct BuiltModel {
    built: Built,
    vars: ProblemVariables,
    objective: Expression,
    cons: Vec<good_lp::Constraint>,
}

fn push_region(list: &mut Vec<(usize, Expression)>, qi: usize, e: Expression) {
    match list.iter_mut().find(|(i, _)| *i == qi) {
        Some((_, acc)) => *acc += e,
        None => list.push((qi, e)),
    }
}

/// The raw outcome of one HiGHS solve.
struct Solved {
    columns: Vec<f64>,
    status: SolveStatus,
    gap: f64,
    bound: f64,
    /// The objective of the solution (with the tie-break term).
    objective: f64,
}

enum SolveFailure {
    Infeasible,
    Other(String),
}

/// Solves a built model; `start` is a feasible solution to start from (a MIP start), one
/// value per column.
fn run_highs(
    model: BuiltModel,
    cfg: &SolverConfig,
    start: Option<&[f64]>,
) -> Result<(Built, Solved), SolveFailure> {
    let BuiltModel { built, vars, objective, cons } = model;
    let mut problem = vars.minimise(objective).using(highs);
    for c in cons {
        good_lp::SolverModel::add_constraint(&mut problem, c);
    }
    let mut m = problem
        .try_into_inner()
        .map_err(|e| SolveFailure::Other(format!("building the HiGHS model: {e}")))?;
    fn set<V: highs::HighsOptionValue>(
        m: &mut highs::Model,
        name: &str,
        value: V,
    ) -> Result<(), SolveFailure> {
        m.try_set_option(name, value)
            .map_err(|e| SolveFailure::Other(format!("setting HiGHS option {name}: {e:?}")))
    }
    set(&mut m, "output_flag", false)?;
    set(&mut m, "threads", 1)?;
    set(&mut m, "random_seed", 0)?;
    set(&mut m, "mip_rel_gap", cfg.mip_rel_gap)?;
    if let Some(n) = cfg.max_nodes {
        set(&mut m, "mip_max_nodes", i32::try_from(n).unwrap_or(i32::MAX))?;
    }
    if let Some(start) = start {
        m.try_set_solution(Some(start), None, None, None)
            .map_err(|e| SolveFailure::Other(format!("setting the MIP start: {e:?}")))?;
    }
    let solved = m.try_solve().map_err(|e| SolveFailure::Other(format!("HiGHS solve: {e:?}")))?;
    let status = match solved.status() {
        HighsModelStatus::Optimal => {
            let gap = solved.mip_gap();
            if built.size.integers > 0 && gap.is_finite() && gap > cfg.mip_rel_gap.min(1e-9) {
                SolveStatus::GapLimit
            } else {
                SolveStatus::Optimal
            }
        }
        HighsModelStatus::ReachedSolutionLimit | HighsModelStatus::ReachedIterationLimit => {
            SolveStatus::NodeLimit
        }
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return Err(SolveFailure::Infeasible);
        }
        other => return Err(SolveFailure::Other(format!("HiGHS status {other:?}"))),
    };
    if solved.primal_solution_status() != highs::HighsSolutionStatus::Feasible {
        return Err(SolveFailure::Other("HiGHS found no feasible plan within the limits".into()));
    }
    let gap = if built.size.integers > 0 {
        let g = solved.mip_gap();
        if g.is_finite() { g.max(0.0) } else { 0.0 }
    } else {
        0.0
    };
    let bound = if built.size.integers > 0 {
        solved.double_info_value(c"mip_dual_bound").unwrap_or(f64::NAN)
    } else {
        solved.objective_value()
    };
    let objective = solved.objective_value();
    let columns = solved.get_solution().columns().to_vec();
    Ok((built, Solved { columns, status, gap, bound, objective }))
}

fn active_constraints(problem: &PlanningProblem) -> String {
    let c = &problem.constraints;
    let mut v = Vec::new();
    if !c.region_quotas.is_empty() {
        v.push("constraints.region_quotas");
    }
    if c.max_provider_share.is_some() {
        v.push("constraints.max_provider_share");
    }
    if c.budget_usd.is_some() {
        v.push("constraints.budget_usd");
    }
    if c.max_backlog_hours.is_some() {
        v.push("constraints.max_backlog_hours");
    }
    if problem.pools.iter().any(|p| {
        !matches!(p.on_demand_cap, super::problem::Supply::Unlimited)
            || p.spot.as_ref().is_some_and(|s| !matches!(s.cap, super::problem::Supply::Unlimited))
    }) {
        v.push("pools[..].on_demand_cap / spot.cap");
    }
    if v.is_empty() { "supply caps and minimum commitments".into() } else { v.join(", ") }
}

/// The candidates of the full model: every eligible pool, less the dominated ones when asked.
fn full_candidates(
    problem: &PlanningProblem,
    cfg: &SolverConfig,
    fixed: Option<&Decisions>,
) -> Result<Candidates, PlanError> {
    let eligible = eligibility(problem)?;
    let listed = used_by(problem.pools.len(), &eligible);
    let map = if cfg.drop_dominated && fixed.is_none() {
        let dropped = super::dominance::dominated(problem, &eligible);
        eligible.into_iter().map(|e| e.into_iter().filter(|&p| !dropped[p]).collect()).collect()
    } else {
        eligible
    };
    Ok(Candidates { map, listed })
}

fn solve_shaped(
    problem: &PlanningProblem,
    shaped: &Shaped,
    cfg: &SolverConfig,
    fixed: Option<&Decisions>,
) -> Result<WindowPlan, PlanError> {
    let candidates = full_candidates(problem, cfg, fixed)?;
    let mut start = None;
    // The restriction narrows the queue map; per-period routing has none to narrow.
    if cfg.lp_guided != LpGuided::Off
        && cfg.routing == Routing::Window
        && !cfg.relax
        && fixed.is_none()
    {
        match lp_guided(problem, shaped, cfg, &candidates)? {
            Guided::Plan(plan) => return Ok(*plan),
            Guided::Start(s) => start = Some(s),
            Guided::Nothing => {}
        }
    }
    solve_full(problem, shaped, cfg, fixed, &candidates, start.as_ref())
}

/// What the LP-guided restriction gave.
enum Guided {
    /// A plan within the gap of the full model's LP bound.
    Plan(Box<WindowPlan>),
    /// A feasible solution of the full model (the restriction's, by column meaning), to
    /// start it from.
    Start(BTreeMap<Key, f64>),
    /// Nothing usable: solve the full model from scratch.
    Nothing,
}

/// The LP-guided restriction of the queue map ([`LpGuided`]): solve the LP relaxation over
/// `candidates`, restrict each queue to the pools its LP solution uses, and solve that MILP.
/// Returns its plan if it is within the gap of the LP bound or [`LpGuided::Always`] is asked
/// (the gap and bound reported are the full model's LP bound).
fn lp_guided(
    problem: &PlanningProblem,
    shaped: &Shaped,
    cfg: &SolverConfig,
    candidates: &Candidates,
) -> Result<Guided, PlanError> {
    let lp_cfg = SolverConfig { relax: true, ..*cfg };
    let lp_model = build(problem, shaped, &lp_cfg, None, true, candidates)?;
    let Ok((lp_built, lp)) = run_highs(lp_model, &lp_cfg, None) else {
        // Infeasible or failed: the full solve says why.
        return Ok(Guided::Nothing);
    };
    let lower = lp.objective;
    let shares: Vec<Vec<(usize, f64)>> = lp_built
        .share
        .iter()
        .map(|row| {
            row.iter()
                .map(|&(p, col, _)| (p, lp.columns.get(col).copied().unwrap_or(0.0)))
                .collect()
        })
        .collect();
    let support: Vec<Vec<usize>> =
        shares.iter().map(|row| row.iter().filter(|s| s.1 > 1e-6).map(|s| s.0).collect()).collect();
    if support == candidates.map || support.iter().any(Vec::is_empty) {
        return Ok(Guided::Nothing);
    }
    let restricted = Candidates { map: support, listed: candidates.listed.clone() };
    let model = build(problem, shaped, cfg, None, true, &restricted)?;
    let Ok((built, mut solved)) = run_highs(model, cfg, None) else {
        // Infeasible restricted (a constraint the LP met only by splitting): full model.
        return Ok(Guided::Nothing);
    };
    let slack = (solved.objective - lower).max(0.0);
    let scale = solved.objective.abs().max(1e-9);
    let proven = slack <= cfg.mip_rel_gap * scale + 1e-9 * scale.max(1.0);
    if proven || cfg.lp_guided == LpGuided::Always {
        solved.gap = slack / scale;
        solved.bound = lower;
        solved.status = if !proven {
            SolveStatus::Restricted
        } else if solved.gap <= 1e-9 {
            SolveStatus::Optimal
        } else {
            SolveStatus::GapLimit
        };
        return Ok(Guided::Plan(Box::new(read_plan(problem, shaped, cfg, &built, &solved))));
    }
    // Not provably within the gap: start the full model from this plan (every column the
    // restriction lacks is 0: no share, no reservation, no recourse on pools it left out).
    Ok(Guided::Start(built.keys.iter().copied().zip(solved.columns.iter().copied()).collect()))
}

/// Solves the model over `candidates` (from `start` if given); an infeasible model is
/// explained (a budget too small, or the active constraints).
fn solve_full(
    problem: &PlanningProblem,
    shaped: &Shaped,
    cfg: &SolverConfig,
    fixed: Option<&Decisions>,
    candidates: &Candidates,
    start: Option<&BTreeMap<Key, f64>>,
) -> Result<WindowPlan, PlanError> {
    let model = build(problem, shaped, cfg, fixed, true, candidates)?;
    let start: Option<Vec<f64>> = start.map(|values| {
        model.built.keys.iter().map(|k| values.get(k).copied().unwrap_or(0.0)).collect()
    });
    match run_highs(model, cfg, start.as_deref()) {
        Ok((built, solved)) => Ok(read_plan(problem, shaped, cfg, &built, &solved)),
        Err(SolveFailure::Other(e)) => Err(PlanError::Solver(e)),
        Err(SolveFailure::Infeasible) => {
            if let Some(budget) = problem.constraints.budget_usd {
                let model = build(problem, shaped, cfg, fixed, false, candidates)?;
                if let Ok((built, solved)) = run_highs(model, cfg, None) {
                    let plan = read_plan(problem, shaped, cfg, &built, &solved);
                    return Err(PlanError::BudgetInfeasible {
                        budget_usd: budget,
                        unconstrained_spend_usd: plan.expected_spend_usd,
                    });
                }
            }
            Err(PlanError::Infeasible { active: active_constraints(problem) })
        }
    }
}

fn read_plan(
    problem: &PlanningProblem,
    shaped: &Shaped,
    cfg: &SolverConfig,
    built: &Built,
    solved: &Solved,
) -> WindowPlan {
    let val = |col: usize| solved.columns.get(col).copied().unwrap_or(0.0);
    let np = problem.pools.len();
    let ns = shaped.probs.len();
    let mut reservations = Vec::new();
    let mut reserved_cost = vec![0.0; np];
    let mut reserved_inst = vec![0u32; np];
    let mut res_total = 0.0;
    for r in &built.res {
        let v = val(r.col).max(0.0);
        let (count, cost) = if cfg.relax {
            (v.floor() as u32, v * r.usd)
        } else {
            let c = v.round();
            (c as u32, c * r.usd)
        };
        let _ = r.var;
        reserved_cost[r.pool] += cost;
        reserved_inst[r.pool] += count;
        res_total += cost;
        if count > 0 || (cfg.relax && v > 1e-9) {
            reservations.push(PlannedReservation {
                pool: r.pool,
                offer: problem.pools[r.pool].offer,
                product: r.product,
                kind: problem.pools[r.pool].products[r.product].kind,
                count,
                cost_usd: cost,
            });
        }
    }
    let mut queues_on = vec![0u32; np];
    let queue_map = built
        .share
        .iter()
        .enumerate()
        .map(|(q, row)| {
            let mut pools: Vec<(usize, f64)> = row
                .iter()
                .map(|&(p, col, _)| (p, val(col).clamp(0.0, 1.0)))
                .filter(|&(_, f)| f > 1e-9)
                .collect();
            if !built.flows[q].is_empty() {
                // Per-period routing: the share is the flows' average over the window.
                let mut by_pool: BTreeMap<usize, f64> = BTreeMap::new();
                for &(p, col, w) in &built.flows[q] {
                    *by_pool.entry(p).or_default() += w * val(col).max(0.0);
                }
                pools = by_pool.into_iter().filter(|&(_, f)| f > 1e-9).collect();
            } else if !cfg.relax && problem.constraints.max_pools_per_queue == 1 {
                for s in &mut pools {
                    s.1 = s.1.round();
                }
                pools.retain(|s| s.1 > 0.0);
            }
            for &(p, _) in &pools {
                queues_on[p] += 1;
            }
            QueueAssignment { queue: problem.queues[q].queue, pools }
        })
        .collect();

    // Per-scenario costs and per-pool expectations, recomputed from the columns (so the
    // tie-break term never shows).
    let mut scen = vec![res_total; ns];
    let mut od_uh = vec![0.0; np];
    let mut spot_uh = vec![0.0; np];
    let mut back_uh = vec![0.0; np];
    let mut pool_cost = reserved_cost.clone();
    let mut spend = res_total;
    let mut penalty = 0.0;
    let pen = problem.costs.backlog_usd_per_unit_hour;
    for (s, scen_cost) in scen.iter_mut().enumerate() {
        let prob = shaped.probs[s];
        for (t, per) in shaped.periods[s].iter().enumerate() {
            for p in (0..np).filter(|&p| built.active[p]) {
                let Some(rc) = &built.rec[s][t][p] else { continue };
                let (c_od, c_spot) = unit_costs(problem, p, Some(&per.buckets));
                let o = val(rc.od.col).max(0.0) * per.hours;
                let z = rc.spot.as_ref().map_or(0.0, |z| val(z.col).max(0.0)) * per.hours;
                let u = val(rc.backlog.col).max(0.0);
                let u_cost = if shaped.chronological { u * per.hours * pen } else { u * pen };
                let money = o * c_od + z * c_spot.unwrap_or(0.0);
                *scen_cost += money + u_cost;
                spend += prob * money;
                penalty += prob * u_cost;
                od_uh[p] += prob * o;
                spot_uh[p] += prob * z;
                back_uh[p] += prob * if shaped.chronological { u * per.hours } else { u };
                pool_cost[p] += prob * (money + u_cost);
                let _ = (&rc.od.var, &rc.backlog.var);
            }
        }
    }
    let mean: f64 = scen.iter().zip(&shaped.probs).map(|(c, p)| c * p).sum();
    let var: f64 = scen.iter().zip(&shaped.probs).map(|(c, p)| p * (c - mean).powi(2)).sum();
    let spread = CostSpread {
        min_usd: scen.iter().copied().fold(f64::INFINITY, f64::min),
        mean_usd: mean,
        max_usd: scen.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        std_usd: var.max(0.0).sqrt(),
    };
    let window_h = problem.window.hours();
    let lead_s = problem.window.lead_s();
    let offers = (0..np)
        .filter(|&p| built.listed[p])
        .map(|p| {
            let pool = &problem.pools[p];
            let (c_od, c_spot) = unit_costs(problem, p, None);
            let reserved = pool
                .products
                .iter()
                .filter_map(|r| {
                    r.billed_hours(lead_s, window_h)
                        .map(|h| r.usd_per_instance_hour * h / window_h / pool.units_per_instance)
                })
                .fold(None, |acc: Option<f64>, v| Some(acc.map_or(v, |a| a.min(v))));
            OfferRow {
                pool: p,
                offer: pool.offer,
                cloud: pool.cloud,
                region: pool.region.clone(),
                instance_type: pool.instance_type.clone(),
                on_demand_usd_per_unit_hour: c_od,
                spot_usd_per_unit_hour: c_spot,
                reserved_usd_per_unit_hour: reserved,
                reserved_instances: reserved_inst[p],
                on_demand_unit_hours: od_uh[p],
                spot_unit_hours: spot_uh[p],
                backlog_unit_hours: back_uh[p],
                queues: queues_on[p],
                expected_cost_usd: pool_cost[p],
            }
        })
        .collect();
    let bound = if solved.bound.is_finite() {
        // The bound carries the tie-break term too; it is at most the plan's cost.
        solved.bound.min(mean)
    } else {
        mean
    };
    WindowPlan {
        reservations,
        queue_map,
        expected_cost_usd: mean,
        expected_spend_usd: spend,
        expected_penalty_usd: penalty,
        scenario_costs_usd: scen,
        spread,
        status: solved.status,
        gap: solved.gap,
        bound_usd: bound,
        relaxed: cfg.relax,
        offers,
        size: built.size,
    }
}

/// Plans a window: solves the MILP of the [module docs](super) for `problem` under `cfg`.
///
/// Errors name the bad field of invalid input, the queue that has no eligible pool, or the
/// constraint that makes the problem infeasible (a budget too small is reported with the
/// spend of the best plan without it).
pub fn plan(problem: &PlanningProblem, cfg: &SolverConfig) -> Result<WindowPlan, PlanError> {
    problem.validate()?;
    cfg.validate()?;
    let shaped = shape(problem, cfg);
    solve_shaped(problem, &shaped, cfg, None)
}

/// The problem with one scenario, the realised demand `realised[q][b]` (pool supply caps are
/// taken as the realised supply).
fn with_realised(
    problem: &PlanningProblem,
    realised: &[Vec<f64>],
) -> Result<PlanningProblem, PlanError> {
    if realised.len() != problem.queues.len() {
        return Err(PlanError::invalid("realised", "one row per queue", realised.len()));
    }
    let mut p = problem.clone();
    p.scenario_probabilities = vec![1.0];
    for (q, row) in realised.iter().enumerate() {
        p.queues[q].demand = vec![row.clone()];
    }
    p.validate().map_err(|e| match e {
        PlanError::Invalid { field, expected, found } => PlanError::Invalid {
            field: field.replace("queues[", "realised[").replace("].demand[0]", "]"),
            expected,
            found,
        },
        other => other,
    })?;
    Ok(p)
}

/// The oracle: the same MILP solved with perfect foresight, one scenario equal to the realised
/// demand `realised[q][b]` (and the pools' caps as the realised supply). Its cost is a lower
/// bound on any policy's cost on that demand (up to the gap). When the model has more than
/// `max_integers` integer columns, the LP relaxation is solved instead, still a valid lower
/// bound, and the result says so (`relaxed`).
pub fn oracle(
    problem: &PlanningProblem,
    realised: &[Vec<f64>],
    cfg: &SolverConfig,
    max_integers: usize,
) -> Result<WindowPlan, PlanError> {
    let p = with_realised(problem, realised)?;
    let mut cfg = SolverConfig { mode: Mode::SampleAverage, ..*cfg };
    cfg.validate()?;
    let shaped = shape(&p, &cfg);
    if !cfg.relax {
        let candidates = full_candidates(&p, &cfg, None)?;
        let size = build(&p, &shaped, &cfg, None, true, &candidates)?.built.size;
        if size.integers > max_integers {
            cfg.relax = true;
        }
    }
    solve_shaped(&p, &shaped, &cfg, None)
}

/// The cost of fixed first-stage `decisions` (reservations and queue shares) on the realised
/// demand `realised[q][b]`: on-demand, spot and backlog chosen optimally given them (an LP).
/// Returns the resulting plan; its `expected_cost_usd` is the cost on that demand.
pub fn evaluate(
    problem: &PlanningProblem,
    decisions: &Decisions,
    realised: &[Vec<f64>],
    cfg: &SolverConfig,
) -> Result<WindowPlan, PlanError> {
    let p = with_realised(problem, realised)?;
    let cfg = SolverConfig { mode: Mode::SampleAverage, relax: false, ..*cfg };
    cfg.validate()?;
    if decisions.shares.len() != p.queues.len() {
        return Err(PlanError::invalid(
            "decisions.shares",
            "one entry per queue",
            decisions.shares.len(),
        ));
    }
    for (i, r) in decisions.reservations.iter().enumerate() {
        if r.0 >= p.pools.len() || r.1 >= p.pools[r.0].products.len() {
            return Err(PlanError::invalid(
                format!("decisions.reservations[{i}]"),
                "a pool and product of the problem",
                format!("({}, {})", r.0, r.1),
            ));
        }
        let usable =
            p.pools[r.0].products[r.1].billed_hours(p.window.lead_s(), p.window.hours()).is_some();
        if r.2 > 0 && !usable {
            return Err(PlanError::invalid(
                format!("decisions.reservations[{i}]"),
                "a product whose lead time and durations fit the window",
                format!("({}, {})", r.0, r.1),
            ));
        }
    }
    for (q, row) in decisions.shares.iter().enumerate() {
        for &(pool, _) in row {
            if pool >= p.pools.len() || !p.eligible(q, pool) {
                return Err(PlanError::invalid(
                    format!("decisions.shares[{q}]"),
                    "pools eligible for the queue",
                    pool,
                ));
            }
        }
    }
    let shaped = shape(&p, &cfg);
    solve_shaped(&p, &shaped, &cfg, Some(decisions))
}
