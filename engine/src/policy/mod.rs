//! Policies: what to reserve before each window, where each class of job goes, and how much
//! on-demand or spot capacity to run from moment to moment.
//!
//! The [`crate::controller::Controller`] asks a [`Policy`] two questions:
//!
//! - [`Policy::plan`], once per reservation window, `lead` before it opens: the shards of the
//!   window (one per offer), what to reserve for each, and which shard each job class (and
//!   optionally each queue) is routed to;
//! - [`Policy::scale`], every scaling tick: instances to launch (on demand or spot) and
//!   instances to let go.
//!
//! The baselines every cleverer policy must beat (issue 3, DESIGN §6):
//! - [`OnDemand`]: no reservations; scale out while jobs wait and in when idle, between a
//!   minimum and maximum of vCPUs, like a managed batch service (AWS Batch's managed compute
//!   environments); with `single_cloud` it uses only the cheapest provider.
//! - [`StaticReservation`]: reserve, for every window, the historical mean demand of each
//!   class, and nothing else (or on-demand overflow above it, if configured).
//!
//! And the policy they are the baselines of (feature `planner`): `Predictive`, which
//! forecasts each window's demand, plans it with the MILP of [`crate::planner`] and bursts on
//! demand above the plan ([`PredictiveConfig`]).

mod baselines;
mod predictive;

#[cfg(feature = "planner")]
use baselines::scale_shards;
pub use baselines::{
    FALLBACKS, OnDemand, OnDemandConfig, StaticReservation, StaticReservationConfig,
    historical_mean_units, offer_capacity, ranked_offers, runs_on_one_instance,
};
#[cfg(feature = "planner")]
pub use predictive::{
    Predictive, PredictiveError, WindowProblem, build_window_problem, size_tiers,
};
pub use predictive::{PredictiveConfig, Tier, TierForecast, TierSeries, WindowRecord, tier_series};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::broker::ReserveCandidate;
use crate::cloud::{Catalog, LaunchOption, OfferIx};
use crate::ids::{InstanceId, QueueId};
use crate::job::{GpuKind, Job};
use crate::shard::Capacity;
use crate::time::SimTime;

/// The class of a job for routing: CPU only, or GPUs of one kind (or any kind).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum JobClass {
    /// No GPU.
    Cpu,
    /// GPUs; `None` when the job does not name a model.
    Gpu(Option<GpuKind>),
}

impl JobClass {
    /// The class of `job`.
    pub fn of(job: &Job) -> JobClass {
        if job.resources.gpu_milli > 0 {
            JobClass::Gpu(job.resources.gpu_kind.clone())
        } else {
            JobClass::Cpu
        }
    }

    /// A short name for reports: `cpu`, `gpu`, `gpu:A100`.
    pub fn label(&self) -> String {
        match self {
            JobClass::Cpu => "cpu".into(),
            JobClass::Gpu(None) => "gpu".into(),
            JobClass::Gpu(Some(k)) => format!("gpu:{}", k.0),
        }
    }

    /// The class's units of `c`: vCPUs for the CPU class, GPUs for GPU classes.
    pub fn units(&self, c: &Capacity) -> f64 {
        match self {
            JobClass::Cpu => c.cpu_milli as f64 / 1000.0,
            JobClass::Gpu(_) => c.gpu_milli as f64 / 1000.0,
        }
    }

    /// `cpu`, `cpu<=4`, `gpu:T4<=1`: the label of the class's jobs no larger than `up_to`.
    pub fn tier_label(&self, up_to: Option<&Capacity>) -> String {
        match up_to {
            None => self.label(),
            Some(c) => format!("{}<={}", self.label(), self.units(c)),
        }
    }
}

/// A reservation window: `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Window {
    /// Index, 0 for the first.
    pub index: u32,
    /// When it opens.
    pub start: SimTime,
    /// When it closes.
    pub end: SimTime,
}

/// What a policy sees when it plans a window.
#[derive(Clone, Copy, Debug)]
pub struct PlanContext<'a> {
    /// Everything that can be bought (only the enabled providers and regions).
    pub catalog: &'a Catalog,
    /// The offers the scenario allows, best-known order (file order).
    pub offers: &'a [OfferIx],
    /// The window being planned.
    pub window: Window,
    /// Jobs submitted before `now`, with their recorded runtimes: the history.
    pub history: &'a [Job],
    /// The job classes seen so far, each with its largest single-job demand.
    pub classes: &'a BTreeMap<JobClass, Capacity>,
}

/// One shard of a window's plan.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardPlan {
    /// The instances it is made of.
    pub offer: OfferIx,
    /// What to reserve for it (candidates best first, and the instance count), if anything.
    pub reserve: Option<(Vec<ReserveCandidate>, u32)>,
}

/// A route: jobs of `class` (and of `queue`, when set), no larger than `up_to` when set, go
/// to shard `shard` of the plan.
///
/// A class may have several routes, one per size tier: a job takes the first of its class's
/// routes (in plan order) whose `up_to` holds its demand, and the last one when none does, so
/// every job of a routed class has a shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The queue, or `None` for every queue.
    pub queue: Option<QueueId>,
    /// The job class.
    pub class: JobClass,
    /// The largest job (component-wise) this route takes, or `None` for any size.
    pub up_to: Option<Capacity>,
    /// Index into [`Plan::shards`].
    pub shard: usize,
}

impl Route {
    /// `cpu`, `cpu<=4`: the jobs the route takes (see [`JobClass::tier_label`]).
    pub fn label(&self) -> String {
        self.class.tier_label(self.up_to.as_ref())
    }
}

/// A window's plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// The shards of the window.
    pub shards: Vec<ShardPlan>,
    /// Where jobs go; a queue-specific route wins over an all-queues one.
    pub routes: Vec<Route>,
}

/// One instance, as the autoscaler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceView {
    /// Its id.
    pub id: InstanceId,
    /// What it is (a fallback may differ from its shard's offer).
    pub offer: OfferIx,
    /// How it is paid.
    pub option: LaunchOption,
    /// Still booting.
    pub booting: bool,
    /// Running no job since this time (`None` while busy or booting).
    pub idle_since: Option<SimTime>,
}

/// One shard, as the autoscaler sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardView {
    /// Index into the current plan's shards.
    pub index: usize,
    /// Its offer.
    pub offer: OfferIx,
    /// One instance's capacity.
    pub instance: Capacity,
    /// Waiting jobs' demands, in queue order.
    pub queued: Vec<Capacity>,
    /// Free capacity of ready instances.
    pub free: Capacity,
    /// Its instances (ready and booting).
    pub instances: Vec<InstanceView>,
    /// Launches requested and not yet answered.
    pub launching: u32,
}

/// What a policy sees at a scaling tick.
#[derive(Clone, Copy, Debug)]
pub struct ScaleContext<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The shards of the current window.
    pub shards: &'a [ShardView],
}

/// Instances to add to one shard.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleOut {
    /// The shard, by its index in the plan.
    pub shard: usize,
    /// Offers and ways to pay, best first (the broker falls back along them).
    pub candidates: Vec<(OfferIx, LaunchOption)>,
    /// How many.
    pub count: u32,
}

/// A scaling decision.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scale {
    /// Instances to launch.
    pub launch: Vec<ScaleOut>,
    /// Let these instances go.
    pub terminate: Vec<InstanceId>,
}

/// A reservation and scaling policy (see the module docs).
pub trait Policy {
    /// A short name for reports.
    fn name(&self) -> &'static str;

    /// The plan of `ctx.window`, decided at `now` (the window's start less the lead time).
    fn plan(&mut self, now: SimTime, ctx: &PlanContext<'_>) -> Plan;

    /// Launches and terminations at `now`.
    fn scale(&mut self, now: SimTime, ctx: &ScaleContext<'_>) -> Scale;

    /// What the policy planned for each window so far, for the run's `plan.json` (policies
    /// without a planner keep none).
    fn records(&self) -> &[WindowRecord] {
        &[]
    }
}
