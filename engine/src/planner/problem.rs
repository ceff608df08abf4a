//! The planning problem as plain data: pools, queues with demand scenarios, the window, the
//! constraints and the solver settings, with validation that names the bad field.
//!
//! [`Pool::from_offer`] builds a pool from an [`Offer`](crate::cloud::Offer) of a
//! [`Catalog`] and its provider's [`ProductTerms`]; tests and the benchmark build pools by hand.

use serde::{Deserialize, Serialize};

use crate::cloud::{Catalog, Cloud, OfferIx, ProductKind, ProductTerms, ReservationPrice};
use crate::forecast::ResourceClass;
use crate::ids::QueueId;
use crate::time::{SimDuration, SimTime};

use super::error::PlanError;

/// The window being planned: `buckets` buckets of `bucket` each, from `start`, planned at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanWindow {
    /// When the plan is made; `start − now` is the lead time reservation products must allow.
    pub now: SimTime,
    /// When the window opens.
    pub start: SimTime,
    /// Number of buckets (168 for a week of hours).
    pub buckets: u32,
    /// Length of a bucket (an hour).
    pub bucket: SimDuration,
}

impl PlanWindow {
    /// Bucket length in hours.
    pub fn bucket_hours(&self) -> f64 {
        self.bucket.as_secs_f64() / 3600.0
    }

    /// Window length in hours.
    pub fn hours(&self) -> f64 {
        self.bucket_hours() * f64::from(self.buckets)
    }

    /// Lead time from `now` to `start`, seconds (0 if `start` is not after `now`).
    pub fn lead_s(&self) -> u64 {
        self.start.saturating_since(self.now).as_micros() / 1_000_000
    }
}

/// A supply cap per bucket, in instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Supply {
    /// No cap.
    Unlimited,
    /// The same cap in every bucket.
    Constant(u32),
    /// One cap per bucket of the window.
    PerBucket(Vec<u32>),
}

impl SpotSupply {
    /// The price per instance-hour over `buckets`: the lowest of their prices when known per
    /// bucket, else `usd_per_hour`.
    pub fn usd_per_hour_over(&self, buckets: &[usize]) -> f64 {
        buckets
            .iter()
            .filter_map(|&b| self.usd_per_hour_by_bucket.get(b).copied())
            .reduce(f64::min)
            .unwrap_or(self.usd_per_hour)
    }
}

impl Supply {
    /// The cap in bucket `b`, `None` when unlimited.
    pub fn at(&self, b: usize) -> Option<u32> {
        match self {
            Supply::Unlimited => None,
            Supply::Constant(n) => Some(*n),
            Supply::PerBucket(v) => v.get(b).copied(),
        }
    }
}

/// Spot capacity of a pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpotSupply {
    /// Price per instance-hour.
    pub usd_per_hour: f64,
    /// The price per instance-hour in each bucket of the window, when known (the oracle's
    /// realised prices); empty means `usd_per_hour` throughout. A period of several buckets
    /// is priced at its lowest, so the model never prices spot above what it cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usd_per_hour_by_bucket: Vec<f64>,
    /// Interruptions per instance-hour (the band's hourly hazard).
    pub interruptions_per_hour: f64,
    /// Instances available per bucket (the spot-availability trace, for the oracle).
    pub cap: Supply,
}

/// A reservation product as the planner sees it, for one pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReservationOption {
    /// Which product.
    pub kind: ProductKind,
    /// The provider's name, for reports.
    pub name: String,
    /// Price per instance-hour, paid used or not.
    pub usd_per_instance_hour: f64,
    /// Earliest start after the request, seconds.
    pub min_lead_s: u64,
    /// Latest start after the request, seconds.
    pub max_lead_s: u64,
    /// Shortest commitment, seconds.
    pub min_duration_s: u64,
    /// Allowed durations in hours; empty means any duration of at least `min_duration_s`.
    pub duration_grid_h: Vec<u64>,
    /// Fewest instances in one purchase (minimum commitment); 0 or 1 means none.
    pub min_count: u32,
    /// Most instances.
    pub max_count: u32,
}

impl ReservationOption {
    /// The hours billed when this product covers a window of `window_h` hours starting
    /// `lead_s` after now, or `None` if it cannot (lead outside its range, or no allowed
    /// duration covers the window). The commitment may be longer than the window: the whole
    /// of it is charged to the window (the hours after the close are not valued).
    pub fn billed_hours(&self, lead_s: u64, window_h: f64) -> Option<f64> {
        if lead_s < self.min_lead_s || lead_s > self.max_lead_s {
            return None;
        }
        let min_h = self.min_duration_s as f64 / 3600.0;
        if self.duration_grid_h.is_empty() {
            return Some(window_h.max(min_h));
        }
        let mut grid = self.duration_grid_h.clone();
        grid.sort_unstable();
        grid.into_iter().map(|h| h as f64).find(|&h| h + 1e-9 >= window_h && h + 1e-9 >= min_h)
    }
}

/// A pool: one offer (provider, region, instance type), the unit of reservation and scaling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    /// The catalog offer.
    pub offer: OfferIx,
    /// Provider.
    pub cloud: Cloud,
    /// Region name.
    pub region: String,
    /// Instance type name, for reports.
    pub instance_type: String,
    /// The resource class it serves.
    pub class: ResourceClass,
    /// GPU model, for GPU pools.
    pub gpu_kind: Option<String>,
    /// Capacity units (vCPUs or GPUs of `class`) per instance.
    pub units_per_instance: f64,
    /// vCPUs per instance (for vCPU quotas).
    pub vcpus: u32,
    /// GPUs per instance (for GPU quotas).
    pub gpus: u32,
    /// On-demand price per instance-hour.
    pub on_demand_usd_per_hour: f64,
    /// On-demand instances available per bucket (stockouts enter here).
    pub on_demand_cap: Supply,
    /// Spot, when sold.
    pub spot: Option<SpotSupply>,
    /// Reservation products sold for this pool.
    pub products: Vec<ReservationOption>,
}

impl Pool {
    /// The pool of `offer` in `catalog` serving `class`, with every reservation product its
    /// provider sells for it (GPU-only products only on GPU types; a minimum of vCPUs becomes
    /// a minimum count). Supply is unlimited; set `on_demand_cap` and the spot cap for stockouts.
    /// `None` if the type has no unit of `class` (a CPU-only type for GPU work).
    pub fn from_offer(catalog: &Catalog, offer: OfferIx, class: ResourceClass) -> Option<Pool> {
        let o = catalog.offer(offer);
        let (_, type_ix) = catalog.offer_key(offer);
        let it = catalog.instance_type(type_ix);
        let units = match class {
            ResourceClass::Vcpu => f64::from(it.vcpus),
            ResourceClass::Gpu => f64::from(it.gpus),
        };
        if units <= 0.0 {
            return None;
        }
        let terms = catalog.provider(o.cloud);
        let products = terms
            .map(|t| {
                t.products
                    .iter()
                    .filter(|p| !p.gpu_only || it.gpus > 0)
                    .map(|p| reservation_option(p, o.on_demand_usd_per_hour, it.vcpus))
                    .collect()
            })
            .unwrap_or_default();
        let spot = o.spot.as_ref().map(|s| SpotSupply {
            usd_per_hour: s.usd_per_hour,
            usd_per_hour_by_bucket: vec![],
            interruptions_per_hour: s
                .band
                .or(terms.map(|t| t.spot.default_band))
                .map_or(0.0, |b| b.hourly_hazard()),
            cap: Supply::Unlimited,
        });
        Some(Pool {
            offer,
            cloud: o.cloud,
            region: o.region.clone(),
            instance_type: o.instance_type.clone(),
            class,
            gpu_kind: it.gpu_kind.clone(),
            units_per_instance: units,
            vcpus: it.vcpus,
            gpus: it.gpus,
            on_demand_usd_per_hour: o.on_demand_usd_per_hour,
            on_demand_cap: Supply::Unlimited,
            spot,
            products,
        })
    }
}

fn reservation_option(p: &ProductTerms, on_demand: f64, vcpus: u32) -> ReservationOption {
    let price = match p.price {
        ReservationPrice::OnDemand => on_demand,
        ReservationPrice::OnDemandMultiple(m) => on_demand * m,
    };
    let min_count = if p.min_vcpus > 0 && vcpus > 0 { p.min_vcpus.div_ceil(vcpus) } else { 0 };
    ReservationOption {
        kind: p.kind,
        name: p.name.clone(),
        usd_per_instance_hour: price,
        min_lead_s: p.min_lead_s,
        max_lead_s: p.max_lead_s,
        min_duration_s: p.min_duration_s,
        duration_grid_h: p.duration_grid_h.clone(),
        min_count,
        max_count: p.max_count,
    }
}

/// One queue's demand and where it may run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueDemand {
    /// The queue.
    pub queue: QueueId,
    /// The resource class its demand is counted in.
    pub class: ResourceClass,
    /// The GPU model it needs, if it names one.
    pub gpu_kind: Option<String>,
    /// Latency-eligible regions `(cloud, region)`; empty means any region.
    pub regions: Vec<(Cloud, String)>,
    /// The offers whose instances can hold its jobs (a queue of large jobs cannot use small
    /// types); empty means any offer.
    #[serde(default)]
    pub offers: Vec<OfferIx>,
    /// Demand in units of `class` (mean busy units per bucket): `demand[s][b]` for scenario
    /// `s` (of [`PlanningProblem::scenario_probabilities`]) and bucket `b`.
    pub demand: Vec<Vec<f64>>,
}

/// Hard constraints of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    /// Quotas per region.
    pub region_quotas: Vec<RegionQuota>,
    /// Largest share of the expected work any one provider may carry (resilience), in (0, 1].
    pub max_provider_share: Option<f64>,
    /// Largest expected spend (reservations, on-demand and spot; not the backlog penalty).
    pub budget_usd: Option<f64>,
    /// SLA: a pool's backlog may never exceed this many hours of its mean demand (about a
    /// bound on the wait, by Little's law). `Some(0.0)` forbids any backlog.
    pub max_backlog_hours: Option<f64>,
    /// Most pools one queue may be split over (1: each queue is one shard).
    pub max_pools_per_queue: u32,
}

impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            region_quotas: Vec::new(),
            max_provider_share: None,
            budget_usd: None,
            max_backlog_hours: None,
            max_pools_per_queue: 1,
        }
    }
}

/// A quota of one region, on instances of every pool in it, in every bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionQuota {
    /// Provider.
    pub cloud: Cloud,
    /// Region.
    pub region: String,
    /// Most vCPUs running at once.
    pub max_vcpus: Option<u32>,
    /// Most GPUs running at once.
    pub max_gpus: Option<u32>,
}

/// What the objective charges besides prices.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostParams {
    /// Penalty per unit-hour of work waiting one hour in a backlog.
    pub backlog_usd_per_unit_hour: f64,
    /// Work lost per spot interruption, hours (re-run overhead): spot's effective price is
    /// `price · (1 + interruptions_per_hour · lost_hours)`.
    pub spot_lost_hours_per_interruption: f64,
}

impl Default for CostParams {
    fn default() -> Self {
        CostParams { backlog_usd_per_unit_hour: 10.0, spot_lost_hours_per_interruption: 1.0 }
    }
}

/// A planning problem for one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanningProblem {
    /// The window.
    pub window: PlanWindow,
    /// Candidate pools.
    pub pools: Vec<Pool>,
    /// Queues and their demand scenarios.
    pub queues: Vec<QueueDemand>,
    /// Probability of each scenario (sum to 1); every queue has one demand row per scenario.
    pub scenario_probabilities: Vec<f64>,
    /// Hard constraints.
    pub constraints: Constraints,
    /// Penalties and overheads.
    pub costs: CostParams,
}

/// How the scenarios enter the objective.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Mode {
    /// Sample-average approximation: expected cost over all scenarios.
    SampleAverage,
    /// One scenario: per queue and bucket, the `τ`-quantile of the scenarios (weighted by
    /// probability: the smallest value whose cumulative probability reaches `τ`).
    Quantile(f64),
}

/// How time is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum TimeModel {
    /// Every bucket, in order, with backlog carried from bucket to bucket.
    Chronological,
    /// Duration blocks: per scenario, buckets sorted by total demand (ties by bucket index)
    /// and cut into this many blocks of near-equal length; each queue's demand in a block is
    /// its mean there. Backlog is not carried (a block's shortfall is charged once).
    Blocks(u32),
}

/// Solver settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SolverConfig {
    /// Scenario handling.
    pub mode: Mode,
    /// Time handling.
    pub time: TimeModel,
    /// HiGHS `mip_rel_gap`: stop when the incumbent is within this share of the bound.
    pub mip_rel_gap: f64,
    /// HiGHS `mip_max_nodes`: a deterministic work limit (never a time limit).
    pub max_nodes: Option<u64>,
    /// Solve the LP relaxation (integers relaxed): a lower bound, not a plan to buy.
    pub relax: bool,
    /// Leave out of the model every pool another pool dominates (no dearer on every unit
    /// price, supply at least as open, serving every queue it serves; see the module docs).
    /// Exact: the optimal cost is unchanged. On by default.
    #[serde(default = "yes")]
    pub drop_dominated: bool,
    /// LP-guided restriction of the queue map (see [`LpGuided`]); [`LpGuided::Proven`] by
    /// default.
    #[serde(default)]
    pub lp_guided: LpGuided,
    /// How work is routed to pools ([`Routing::Window`] by default).
    #[serde(default)]
    pub routing: Routing,
}

/// How a queue's work is split between its pools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Routing {
    /// One split for the whole window, the queue map the router carries out: `f[q,p]` with at
    /// most [`Constraints::max_pools_per_queue`] pools per queue.
    #[default]
    Window,
    /// A free split in every scenario and period (flows `g[q,p,s,t] ≥ 0`, summing to the
    /// demand): perfect routing, what the oracle allows (a policy may move work between
    /// pools at any time, so a fixed split would not bound it from below). No queue map is
    /// chosen: the plan's shares are the flows' averages, and `max_pools_per_queue` does not
    /// apply. Decisions given to [`evaluate`](super::evaluate) are always routed by window.
    PerPeriod,
}

fn yes() -> bool {
    true
}

/// The LP-guided decomposition: solve the LP relaxation of the model, restrict each queue to
/// the pools its LP solution uses, and solve that smaller MILP. Its plan is feasible for the
/// full model; the full model's LP bound says how far from optimal it can be at most.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LpGuided {
    /// One MILP over every candidate pool.
    Off,
    /// Keep the restricted plan only when it is within
    /// [`mip_rel_gap`](SolverConfig::mip_rel_gap) of the full model's LP bound; otherwise solve
    /// the full MILP, starting from it. The answer is always within the gap of the full model.
    #[default]
    Proven,
    /// Keep the restricted plan whatever its distance to the full model's LP bound: the fast
    /// path. The plan's `gap` and `bound_usd` are against that bound (so the gap may exceed
    /// `mip_rel_gap`), and its status is [`Restricted`](super::SolveStatus::Restricted) when
    /// the gap is not proven.
    Always,
}

impl Default for SolverConfig {
    fn default() -> Self {
        SolverConfig {
            mode: Mode::SampleAverage,
            time: TimeModel::Chronological,
            mip_rel_gap: 1e-4,
            max_nodes: None,
            relax: false,
            drop_dominated: true,
            lp_guided: LpGuided::Proven,
            routing: Routing::Window,
        }
    }
}

fn finite_nonneg(field: impl Into<String>, v: f64) -> Result<(), PlanError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(PlanError::invalid(field, "a finite, non-negative number", v))
    }
}

impl PlanningProblem {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), PlanError> {
        let w = &self.window;
        if w.buckets == 0 {
            return Err(PlanError::invalid("window.buckets", "at least 1", w.buckets));
        }
        if w.bucket.as_micros() == 0 {
            return Err(PlanError::invalid("window.bucket", "a positive duration", "0"));
        }
        let nb = w.buckets as usize;
        let ns = self.scenario_probabilities.len();
        if ns == 0 {
            return Err(PlanError::invalid("scenario_probabilities", "at least one", "none"));
        }
        for (s, &p) in self.scenario_probabilities.iter().enumerate() {
            if !(p.is_finite() && p > 0.0) {
                return Err(PlanError::invalid(
                    format!("scenario_probabilities[{s}]"),
                    "a positive probability",
                    p,
                ));
            }
        }
        let total: f64 = self.scenario_probabilities.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(PlanError::invalid("scenario_probabilities", "a sum of 1", total));
        }
        if self.pools.is_empty() {
            return Err(PlanError::invalid("pools", "at least one pool", "none"));
        }
        for (i, p) in self.pools.iter().enumerate() {
            let f = |name: &str| format!("pools[{i}].{name}");
            if !(p.units_per_instance.is_finite() && p.units_per_instance > 0.0) {
                return Err(PlanError::invalid(
                    f("units_per_instance"),
                    "a positive number",
                    p.units_per_instance,
                ));
            }
            finite_nonneg(f("on_demand_usd_per_hour"), p.on_demand_usd_per_hour)?;
            if let Supply::PerBucket(v) = &p.on_demand_cap
                && v.len() != nb
            {
                return Err(PlanError::invalid(f("on_demand_cap"), "one cap per bucket", v.len()));
            }
            if let Some(s) = &p.spot {
                finite_nonneg(f("spot.usd_per_hour"), s.usd_per_hour)?;
                if !s.usd_per_hour_by_bucket.is_empty() && s.usd_per_hour_by_bucket.len() != nb {
                    return Err(PlanError::invalid(
                        f("spot.usd_per_hour_by_bucket"),
                        "one price per bucket (or none)",
                        s.usd_per_hour_by_bucket.len(),
                    ));
                }
                for &price in &s.usd_per_hour_by_bucket {
                    finite_nonneg(f("spot.usd_per_hour_by_bucket"), price)?;
                }
                finite_nonneg(f("spot.interruptions_per_hour"), s.interruptions_per_hour)?;
                if let Supply::PerBucket(v) = &s.cap
                    && v.len() != nb
                {
                    return Err(PlanError::invalid(f("spot.cap"), "one cap per bucket", v.len()));
                }
            }
            for (k, r) in p.products.iter().enumerate() {
                finite_nonneg(
                    format!("pools[{i}].products[{k}].usd_per_instance_hour"),
                    r.usd_per_instance_hour,
                )?;
                if r.min_count > r.max_count {
                    return Err(PlanError::invalid(
                        format!("pools[{i}].products[{k}].min_count"),
                        "at most max_count",
                        r.min_count,
                    ));
                }
            }
        }
        if self.queues.is_empty() {
            return Err(PlanError::invalid("queues", "at least one queue", "none"));
        }
        for (q, queue) in self.queues.iter().enumerate() {
            if queue.demand.len() != ns {
                return Err(PlanError::invalid(
                    format!("queues[{q}].demand"),
                    "one row per scenario",
                    queue.demand.len(),
                ));
            }
            for (s, row) in queue.demand.iter().enumerate() {
                if row.len() != nb {
                    return Err(PlanError::invalid(
                        format!("queues[{q}].demand[{s}]"),
                        "one value per bucket",
                        row.len(),
                    ));
                }
                for (b, &d) in row.iter().enumerate() {
                    finite_nonneg(format!("queues[{q}].demand[{s}][{b}]"), d)?;
                }
            }
        }
        let c = &self.constraints;
        if let Some(share) = c.max_provider_share
            && !(share > 0.0 && share <= 1.0)
        {
            return Err(PlanError::invalid(
                "constraints.max_provider_share",
                "a share in (0, 1]",
                share,
            ));
        }
        if let Some(b) = c.budget_usd {
            finite_nonneg("constraints.budget_usd", b)?;
        }
        if let Some(h) = c.max_backlog_hours {
            finite_nonneg("constraints.max_backlog_hours", h)?;
        }
        if c.max_pools_per_queue == 0 {
            return Err(PlanError::invalid("constraints.max_pools_per_queue", "at least 1", 0));
        }
        finite_nonneg("costs.backlog_usd_per_unit_hour", self.costs.backlog_usd_per_unit_hour)?;
        finite_nonneg(
            "costs.spot_lost_hours_per_interruption",
            self.costs.spot_lost_hours_per_interruption,
        )?;
        Ok(())
    }

    /// Whether queue `q` may use pool `p`: same class, the GPU model it names (if any), a
    /// latency-eligible region, and an offer it lists (if it lists any).
    pub fn eligible(&self, q: usize, p: usize) -> bool {
        let (queue, pool) = (&self.queues[q], &self.pools[p]);
        queue.class == pool.class
            && (queue.gpu_kind.is_none() || queue.gpu_kind == pool.gpu_kind)
            && (queue.regions.is_empty()
                || queue.regions.iter().any(|(c, r)| *c == pool.cloud && *r == pool.region))
            && (queue.offers.is_empty() || queue.offers.contains(&pool.offer))
    }
}

impl SolverConfig {
    /// Checks the settings; the error names the bad field.
    pub fn validate(&self) -> Result<(), PlanError> {
        if !(self.mip_rel_gap.is_finite() && self.mip_rel_gap >= 0.0) {
            return Err(PlanError::invalid(
                "solver.mip_rel_gap",
                "a finite, non-negative gap",
                self.mip_rel_gap,
            ));
        }
        if let Mode::Quantile(t) = self.mode
            && !(t > 0.0 && t < 1.0)
        {
            return Err(PlanError::invalid("solver.mode.quantile", "a level in (0, 1)", t));
        }
        if let TimeModel::Blocks(0) = self.time {
            return Err(PlanError::invalid("solver.time.blocks", "at least 1 block", 0));
        }
        Ok(())
    }
}
