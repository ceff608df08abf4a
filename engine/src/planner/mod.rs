//! The Sharding Manager's planner (issue 5): a MILP that decides, before a window opens, what
//! to reserve in which pool and which pool(s) each queue is mapped to, and the oracle that
//! solves the same model with the realised demand.
//!
//! - [`problem`]: the [`PlanningProblem`] as plain data ([`Pool`]s built from catalog offers,
//!   [`QueueDemand`] scenarios, the [`PlanWindow`], [`Constraints`]) and [`SolverConfig`].
//! - [`model`]: the model built with good_lp and solved by HiGHS; [`plan`], [`oracle`],
//!   [`evaluate`], and the [`WindowPlan`] they return.
//! - [`error`](mod@error): [`PlanError`].
//!
//! # The formulation
//!
//! Sets: pools `p` (one catalog offer: provider, region, instance type), their usable
//! reservation products `k`, queues `q`, scenarios `s` with probability `π_s`, periods `t`
//! (hourly buckets, or duration blocks, below) of `h_t` hours. `E(q)` is the set of pools
//! queue `q` may use: same resource class, the GPU model it names, a latency-eligible region,
//! and one of the offers it lists (the types that can hold its jobs), if it lists any.
//!
//! Data: `d[q,s,t]` demand (mean busy units of the queue's class: vCPUs or GPUs); `a_p` units
//! per instance; `c^od_p = price^od_p / a_p` and `c^sp_p = price^sp_p (1 + λ_p ℓ) / a_p` per
//! unit-hour, with `λ_p` interruptions per hour and `ℓ` hours of work lost per interruption;
//! `C_{pk} = price_{pk} · H_{pk}` the cost of one instance of product `k` for the window, with
//! `H_{pk}` the billed hours (the shortest allowed duration that covers the window: the whole
//! commitment is charged to it); `O_{p,t}`, `Z_{p,t}` on-demand and spot instances available
//! (the smallest cap over the period's buckets); `β` the backlog penalty per unit-hour per hour.
//!
//! Variables:
//! - `r[p,k] ∈ ℤ, 0 ≤ r ≤ max_count_k`: reserved instances, held for the whole window, paid
//!   used or not; only products whose lead time range contains `start − now` and whose
//!   duration grid covers the window. A minimum commitment `m_k > 1` adds `y[p,k] ∈ {0,1}`
//!   with `m_k y ≤ r ≤ max_count_k y`.
//! - `x[q,p] ∈ {0,1}` for `p ∈ E(q)`: queue `q` is mapped to pool `p`; `f[q,p] ∈ [0,1]` the
//!   share of its demand sent there (`f = x` when each queue is one shard).
//! - `o[p,s,t] ∈ [0, a_p O_{p,t}]`, `z[p,s,t] ∈ [0, a_p Z_{p,t}]`: on-demand and spot units.
//! - `u[p,s,t] ≥ 0`: backlog of the pool, unit-hours.
//!
//! Constraints:
//! - mapping: `Σ_p f[q,p] = 1`, `f[q,p] ≤ x[q,p]`, `Σ_p x[q,p] ≤ M` (pools per queue);
//! - capacity, chronological: `h_t (a_p Σ_k r[p,k] + o + z − L[p,s,t]) + u[p,s,t] − u[p,s,t−1]
//!   ≥ 0`, with the load `L[p,s,t] = Σ_q f[q,p] d[q,s,t]` (linear: `d` is data) and
//!   `u[p,s,−1] = 0`, so backlog carries from hour to hour and work may wait;
//! - SLA: `u[p,s,t] ≤ W · Σ_q f[q,p] d̄[q,s]` (backlog at most `W` hours of the pool's mean
//!   demand `d̄`, about a wait bound by Little's law);
//! - quotas: per region, bucket and scenario, `Σ_{p in region} vcpus_p (Σ_k r + (o + z)/a_p)
//!   ≤ quota` (and the same with GPUs);
//! - provider share: per provider `c`, `Σ_q Σ_{p of c} f[q,p] D_q ≤ σ Σ_q D_q`, with `D_q` the
//!   queue's expected work;
//! - budget: `Σ C r + Σ_s π_s Σ_{p,t} h_t (c^od o + c^sp z) ≤ B` (expected spend).
//!
//! Objective (sample-average approximation over the scenarios):
//!
//! ```text
//! min Σ_{p,k} C_{pk} r[p,k] + Σ_s π_s Σ_{p,t} h_t (c^od_p o + c^sp_p z + β u) + ε Σ (p+1) x[q,p]
//! ```
//!
//! [`Routing::PerPeriod`] replaces the window's split by flows `g[q,p,s,t] ≥ 0` with
//! `Σ_p g[q,p,s,t] = d[q,s,t]` and the load `L[p,s,t] = Σ_q g[q,p,s,t]` (no `x`, no `f`):
//! work may move between pools at any time. The oracle routes so (a policy may re-route at
//! will, so a fixed split would not bound it from below); the tie-break is then `ε (p+1)` per
//! unit-hour of flow.
//!
//! The last term (`ε` = 10⁻⁶ USD) is the fixed tie-break: among equal plans, lower-numbered
//! pools win; reported costs are recomputed without it.
//!
//! [`Mode::Quantile`]`(τ)` replaces the scenarios by one: per queue and bucket, the
//! τ-quantile of the scenarios (deterministic-quantile planning, for comparison).
//!
//! # Keeping it solvable
//!
//! The load rows carry one coefficient per eligible queue, so the hourly model has
//! `|P|·|S|·|T|` rows of `|Q|` entries each. [`TimeModel::Blocks`]`(K)` aggregates time with
//! duration blocks: per scenario, the buckets are sorted by total demand (ties by index) and
//! cut into `K` blocks of near-equal length; each queue's demand in a block is its mean there
//! and a supply cap the smallest over the block. The loss: peaks inside a block are averaged
//! away (for fixed decisions the block model's recourse cost is at most the hourly one, since
//! the recourse cost is convex in demand), and backlog no longer carries between periods (a
//! block's shortfall is charged `β` per unit-hour once). The benchmark measures the difference.
//!
//! # Newsvendor check
//!
//! One pool, one queue, reserved price `c_r`, on-demand price `c_o`, a high backlog penalty and
//! i.i.d. demand: reserving the `R`-th unit costs `c_r` for sure and saves `c_o` only when
//! demand exceeds `R − 1`, so the optimum is the smallest `R` with `P(D ≥ R + 1) ≤ c_r / c_o`,
//! i.e. the demand quantile at the critical ratio `(c_o − c_r)/c_o`
//! (`shared/reference/cloud-products.md` §3.1). The tests check it.
//!
//! # Oracle
//!
//! [`oracle`] solves the model with one scenario, the realised demand (and the pools' caps as
//! the realised supply): perfect foresight, a lower bound on any policy's cost on that demand.
//! When the model has more integer columns than asked, it solves the LP relaxation (still a
//! lower bound) and the plan says `relaxed`. [`evaluate`] prices fixed decisions on realised
//! demand, the other side of the cost ratio.
//!
//! # Determinism
//!
//! HiGHS runs with one thread, a fixed random seed, and stops on a relative gap
//! ([`SolverConfig::mip_rel_gap`], 10⁻⁴ by default) or a node limit, never on time. The model
//! is built in a fixed order (pools, products, queues, scenarios, periods), so the same input
//! gives the same plan.

mod dominance;
pub mod error;
pub mod model;
pub mod problem;

pub use error::PlanError;
pub use model::{
    CostSpread, Decisions, ModelSize, OfferRow, PlannedReservation, QueueAssignment, SolveStatus,
    WindowPlan, evaluate, oracle, plan,
};
pub use problem::{
    Constraints, CostParams, LpGuided, Mode, PlanWindow, PlanningProblem, Pool, QueueDemand,
    RegionQuota, ReservationOption, Routing, SolverConfig, SpotSupply, Supply, TimeModel,
};

#[cfg(test)]
mod tests;
