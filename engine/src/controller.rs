//! The controller: the one piece of decision code a simulation and a live deployment share.
//!
//! It is sans-IO (DESIGN §2): the outside world calls [`Controller::submit`] when a job
//! arrives, [`Controller::observe`] with what a provider reports, [`Controller::finished`] when
//! a job's process ends, and [`Controller::decide`] to get the [`Action`]s to carry out now;
//! [`Controller::next_wakeup`] says when it next wants to decide even if nothing happens.
//!
//! # Windows
//!
//! Time is cut into reservation windows `[first + k·window, first + (k+1)·window)`. `lead`
//! before window `k` opens, the [`Policy`] plans it: its shards (one per offer), what to
//! reserve for each (the [`Broker`] buys it, starting at the opening, for the window's length)
//! and the routes from job class (and queue) to shard. The patent's semantics follow:
//!
//! - queues are mapped to shards before the window opens (the plan's routes, fixed at plan
//!   time, take effect at the opening; jobs queued in a shard the new plan no longer routes to
//!   move to their new shard then);
//! - reserved instances join at the opening: when a reservation turns active, the controller
//!   launches its instances into it, and they join their shard once booted;
//! - jobs already queued start then, as soon as the shard's local scheduler places them;
//! - instances leave at the close: when a reservation expires its instances are terminated
//!   (a capacity block's provider terminates them 30 minutes before); jobs running on them are
//!   requeued, up to `max_attempts` attempts, after which they fail (`interrupted`).
//!
//! Between openings the policy scales on-demand or spot capacity every `tick`. Every elastic
//! instance holds a one-hour budget lease from the broker; a lease the budget cannot renew
//! ends the instance, so spending never exceeds the budget.
//!
//! A job whose class no offer can serve is rejected (`no_offer`). A job of a class the current
//! plan has no route for triggers a re-plan of the current window without reservations.
//!
//! A reservation its provider reports `delayed` at its start has not been delivered: the
//! policy's elastic capacity (overflow, bursts) covers its shard meanwhile, and
//! [`Controller::undelivered`] times each such failover ([`Undelivered`]): from the first job
//! left waiting in the shard to replacement capacity ready there, or the late delivery.
//!
//! # Routing and dependencies
//!
//! A job is *ready* when it has arrived and every job it depends on has completed; a job
//! whose parent failed or was rejected fails (`dependency_failed`), and so do its own
//! dependants. A ready job goes to the shard its [`Router`] picks among the plan's shards that
//! can run it (the plan's route, by default). When it starts, its parents' outputs are staged
//! in from where they were written over the [`Fabric`]: the attempt holds its instances for
//! the longest of those transfers before it computes, each transfer's egress is charged
//! ([`Action::Transfer`]), and each edge is counted by the link it crossed. A shard's fallback
//! instances may be in other regions: nodes join its scheduler at their region's
//! [`Site`], and a job its router asks to run near a region takes a node there when one fits.
//!
//! # Re-sharding
//!
//! With `[policy.rebalance] enabled`, every `period_s` the controller shows the [`Rebalancer`]
//! each shard's queue, running jobs, free capacity per node and instances, and carries out
//! its [`Move`]s: a waiting job changes queues; a remapped queue's new arrivals go to its new
//! shard (until it is reverted, or the next window's plan); a running job's attempt stops
//! ([`Action::Migrate`]) and the job is queued on its new shard, resuming from a checkpoint
//! (its next attempt waits for the restore and runs only what was left: [`Action::Start`]'s
//! `done`; the checkpoint's egress is charged) or from the start; a burst launches through
//! the broker; a release terminates an idle instance. Moves do not count against
//! `max_attempts`. Each move is kept with its reason ([`Controller::moves`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::broker::{Broker, BrokerEvent, LaunchIntent, ReserveIntent};
use crate::cloud::{
    Catalog, CloudAction, LaunchOption, Observation, Observed, OfferIx, RegionIx, ReservationState,
    TerminationReason,
};
use crate::fabric::{Fabric, FabricConfig, Link};
use crate::ids::{InstanceId, JobId, QueueId, RequestId, ReservationId};
use crate::job::{GpuKind, Job};
use crate::money::Money;
use crate::policy::{
    InstanceView, JobClass, Plan, PlanContext, Policy, ScaleContext, ShardView, Window,
    offer_capacity, ranked_offers, runs_on_one_instance,
};
use crate::rebalancer::{
    self, Move, MoveRecord, RebalanceConfig, Rebalancer, Resume, ShardLoad, Waiting,
};
use crate::router::{Candidate, Input, Request, Router, RouterKind};
use crate::shard::{Capacity, LocalScheduler, QueuedJob, Site};
use crate::time::{MICROS_PER_SEC, SimDuration, SimTime};

/// The controller's knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControllerConfig {
    /// When the first window opens.
    pub first_window: SimTime,
    /// Window length.
    pub window: SimDuration,
    /// How long before an opening the window is planned (and its reservations requested).
    pub lead: SimDuration,
    /// How often the policy scales elastic capacity.
    pub tick: SimDuration,
    /// The shards' local scheduling discipline.
    pub scheduler: crate::shard::Policy,
    /// Attempts a job gets before an interruption fails it.
    pub max_attempts: u32,
    /// Spending cap, if any.
    pub budget: Option<Money>,
    /// Windows planned after the last job arrived while work remains; what is still waiting
    /// after them fails as `never_ran`.
    pub drain_windows: u32,
    /// How ready jobs are sent to shards, and the fabric their inputs cross.
    #[serde(default)]
    pub routing: RoutingConfig,
    /// Re-sharding between plans (off by default).
    #[serde(default)]
    pub rebalance: RebalanceConfig,
}

/// The routing layer's knobs (`[policy.routing]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// The router.
    pub kind: RouterKind,
    /// Jobs estimated to run at most this long, seconds, are latency-class (`latency-class`
    /// router). Default 600.
    pub short_s: u64,
    /// The inter-shard fabric.
    pub fabric: FabricConfig,
}

impl Default for RoutingConfig {
    fn default() -> RoutingConfig {
        RoutingConfig { kind: RouterKind::default(), short_s: 600, fabric: FabricConfig::default() }
    }
}

/// Why a job left without completing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// No offer of the enabled providers can ever run it.
    NoOffer,
    /// Interrupted `max_attempts` times (spot, window close, instance failure).
    Interrupted,
    /// Still waiting when the simulation ended.
    NeverRan,
    /// A job it depends on failed or was rejected.
    DependencyFailed,
}

impl FailReason {
    /// The snake-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailReason::NoOffer => "no_offer",
            FailReason::Interrupted => "interrupted",
            FailReason::NeverRan => "never_ran",
            FailReason::DependencyFailed => "dependency_failed",
        }
    }
}

/// A decision for the outside world to carry out.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Send this to the provider of its offer or instance.
    Cloud(CloudAction),
    /// Run `job` now on `instances`; report its end with [`Controller::finished`] and this
    /// `attempt`.
    Start {
        /// The job.
        job: JobId,
        /// Its attempt number, from 1.
        attempt: u32,
        /// Where, with what each instance gives it.
        instances: Vec<(InstanceId, Capacity)>,
        /// How long its inputs (and a checkpoint it resumes from) take to arrive before it
        /// computes (zero without inputs elsewhere).
        stage_in: SimDuration,
        /// Work a checkpoint kept from earlier attempts: the attempt ends
        /// `stage_in + runtime − done` after it starts.
        done: SimDuration,
    },
    /// The rebalancer moves a running attempt elsewhere: stop it (its instances stay); the
    /// job starts again (a new attempt) on its new shard.
    Migrate {
        /// The job.
        job: JobId,
        /// The attempt stopped.
        attempt: u32,
        /// How it resumes.
        resume: Resume,
    },
    /// Data leaves region `from` for region `to` (a parent's output staged in for `job`):
    /// charge its egress to the provider of `from`.
    Transfer {
        /// The job it is for.
        job: JobId,
        /// Where it was written.
        from: RegionIx,
        /// Where it is read.
        to: RegionIx,
        /// What it crosses.
        link: Link,
        /// Its size.
        bytes: u64,
    },
    /// A running attempt was stopped (its instance left); the job is queued again.
    Interrupt {
        /// The job.
        job: JobId,
        /// The attempt stopped.
        attempt: u32,
    },
    /// The job will never run: it leaves the system.
    Reject {
        /// The job.
        job: JobId,
        /// Why.
        reason: FailReason,
    },
    /// The job stopped for good.
    Fail {
        /// The job.
        job: JobId,
        /// Why.
        reason: FailReason,
    },
}

#[derive(Clone, Debug)]
enum JobPhase {
    /// Waiting for jobs it depends on.
    Blocked,
    /// Not yet routed to a shard (before the first opening, or waiting for a re-plan).
    Unrouted,
    Queued {
        shard: OfferIx,
    },
    Running {
        shard: OfferIx,
    },
    Done,
}

#[derive(Clone, Debug)]
struct JobState {
    job: Job,
    class: JobClass,
    attempts: u32,
    /// Attempts the rebalancer stopped (they do not count against `max_attempts`).
    migrations: u32,
    /// Moves the rebalancer made of it, waiting or running.
    moves: u32,
    phase: JobPhase,
    /// Waiting since: ready, or requeued.
    since: SimTime,
    /// The running attempt's start and its stage-in.
    started: SimTime,
    stage_in: SimDuration,
    /// Work a checkpoint kept, and the restore the next attempt waits for first.
    done: SimDuration,
    restore: SimDuration,
    /// The region its router asked it to run near inside its shard (where its inputs are).
    near: Option<RegionIx>,
}

impl JobState {
    /// Work its running attempt has done by `now` (after its stage-in), plus what a
    /// checkpoint kept from before.
    fn computed(&self, now: SimTime) -> SimDuration {
        let ran = now.saturating_since(self.started).0.saturating_sub(self.stage_in.0);
        SimDuration(self.done.0 + ran)
    }
}

/// One instance the controller holds.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceInfo {
    /// What it is.
    pub offer: OfferIx,
    /// How it is paid.
    pub option: LaunchOption,
    /// The shard (by its offer) it serves.
    pub shard: OfferIx,
    /// Booted and in its shard's scheduler.
    pub ready: bool,
    /// Idle since (when ready and running nothing).
    pub idle_since: Option<SimTime>,
}

impl InstanceInfo {
    /// How policies and the rebalancer see instance `id`.
    fn view(&self, id: InstanceId) -> InstanceView {
        InstanceView {
            id,
            offer: self.offer,
            option: self.option,
            booting: !self.ready,
            idle_since: self.idle_since,
        }
    }
}

#[derive(Debug)]
struct ShardState {
    scheduler: LocalScheduler,
    instance: Capacity,
    launching: u32,
}

#[derive(Clone, Debug)]
struct ReservationInfo {
    shard: OfferIx,
    offer: OfferIx,
    count: u32,
    state: ReservationState,
}

/// A shard's state at one instant (see [`Controller::shard_status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardStatus {
    /// The shard, by its offer.
    pub offer: OfferIx,
    /// Jobs waiting in its queue.
    pub queued: usize,
    /// Jobs running on its instances.
    pub running: usize,
    /// Capacity of its booted instances.
    pub total: Capacity,
    /// What of it is free.
    pub free: Capacity,
}

/// A reservation its provider did not deliver at its start (AWS `delayed`), and how its shard
/// recovered: the failover starts when a job first waits in the shard since the start, and
/// ends when another instance of the shard is ready after that (replacement capacity: the
/// overflow, a burst, a fallback), or when the reservation arrives after all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Undelivered {
    /// The reservation.
    pub reservation: ReservationId,
    /// The shard it was bought for, by its offer.
    pub shard: OfferIx,
    /// Its instances.
    pub instances: u32,
    /// When it should have become active: the fault.
    pub due: SimTime,
    /// When a job first waited in the shard since `due`: the fault's effect.
    pub needed: Option<SimTime>,
    /// When the shard's first other instance was ready since `needed`.
    pub replaced: Option<SimTime>,
    /// When it became active after all.
    pub delivered: Option<SimTime>,
    /// When it ended (expired or cancelled) without being delivered.
    pub ended: Option<SimTime>,
}

impl Undelivered {
    /// When the shard had capacity again: replacement or delivery, whichever came first.
    pub fn recovered(&self) -> Option<SimTime> {
        match (self.replaced, self.delivered) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The failover latency: from `needed` to recovery; zero when no job waited before the
    /// reservation arrived; `None` while (or if never) recovered.
    pub fn latency(&self) -> Option<SimDuration> {
        let recovered = self.recovered()?;
        Some(self.needed.map_or(SimDuration::ZERO, |n| recovered.saturating_since(n)))
    }

    fn open(&self) -> bool {
        self.replaced.is_none() && self.delivered.is_none() && self.ended.is_none()
    }
}

/// Counts a report needs from the controller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ControllerStats {
    /// Windows planned.
    pub windows_planned: u64,
    /// Re-plans for unseen job classes.
    pub replans: u64,
    /// Reservations accepted, by product.
    pub reservations: BTreeMap<String, u64>,
    /// Reserved instances requested in accepted reservations.
    pub reserved_instances: u64,
    /// Intents that failed, by reason.
    pub intent_failures: BTreeMap<String, u64>,
    /// Instances launched, by option (`on_demand`, `spot`, `reserved`).
    pub launched: BTreeMap<String, u64>,
    /// Instances terminated, by reason.
    pub terminated: BTreeMap<String, u64>,
    /// Job attempts interrupted.
    pub interruptions: u64,
    /// Queued jobs moved to another shard at a window opening.
    pub migrations: u64,
    /// The router.
    pub router: String,
    /// Dependency edges, by the link each crossed when its child first started (`local`:
    /// the same shard).
    pub edges: BTreeMap<String, u64>,
    /// Bytes staged in over links other than `local`, every attempt.
    pub transfer_bytes: u64,
    /// Time attempts spent waiting for their inputs, summed, microseconds.
    pub stage_in_us: u64,
    /// What the rebalancer did (present when it is enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebalance: Option<RebalanceStats>,
}

/// The rebalancer's moves, counted (the log itself is [`Controller::moves`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RebalanceStats {
    /// Reviews held.
    pub reviews: u64,
    /// Queues remapped to another shard.
    pub remaps: u64,
    /// Remaps ended.
    pub reverts: u64,
    /// Waiting jobs moved to another shard.
    pub waiting_migrated: u64,
    /// Running jobs moved from a checkpoint.
    pub running_checkpointed: u64,
    /// Running jobs moved by restarting them.
    pub running_restarted: u64,
    /// Work thrown away by those restarts, microseconds.
    pub restart_lost_us: u64,
    /// Checkpoint bytes moved between regions.
    pub checkpoint_bytes: u64,
    /// Instances the rebalancer launched.
    pub burst_instances: u64,
    /// Idle instances it let go.
    pub released: u64,
    /// Moves by reason.
    pub by_reason: BTreeMap<String, u64>,
}

/// Where a completed job's output is.
#[derive(Clone, Copy, Debug)]
struct Output {
    shard: OfferIx,
    region: RegionIx,
    bytes: u64,
}

/// One size tier's route: the largest job it takes (`None`: any) and its shard.
type TierRoute = (Option<Capacity>, OfferIx);

/// See the module docs.
pub struct Controller {
    catalog: Arc<Catalog>,
    offers: Vec<OfferIx>,
    config: ControllerConfig,
    policy: Box<dyn Policy>,
    broker: Broker,
    jobs: BTreeMap<JobId, JobState>,
    history: Vec<Job>,
    classes: BTreeMap<JobClass, Capacity>,
    next_window: u32,
    /// Planned windows not yet open, by index (with a lead longer than the window, several
    /// wait at once).
    pending_plans: BTreeMap<u32, (Window, Plan)>,
    current: Option<(Window, Plan)>,
    /// Per (queue, class): the routes' size bounds and shards, in plan order.
    routes: BTreeMap<(Option<QueueId>, JobClass), Vec<TierRoute>>,
    shards: BTreeMap<OfferIx, ShardState>,
    instances: BTreeMap<InstanceId, InstanceInfo>,
    reservations: BTreeMap<ReservationId, ReservationInfo>,
    unrouted: BTreeSet<JobId>,
    outbox: Vec<Action>,
    /// Reservation intents held back until their product's latest lead before the opening
    /// (an on-demand capacity reservation can only start when requested), by (issue time,
    /// sequence).
    deferred: BTreeMap<(SimTime, u64), ReserveIntent>,
    next_tick: Option<SimTime>,
    /// Whether the next tick asks the policy to scale (false after the last window closed).
    tick_scales: bool,
    trace_done: bool,
    windows_after_trace: u32,
    needs_replan: bool,
    stats: ControllerStats,
    router: Box<dyn Router>,
    fabric: Fabric,
    /// Blocked jobs' parents still unfinished, by job.
    waiting_on: BTreeMap<JobId, u32>,
    /// Blocked jobs, by the parent they wait for.
    dependants: BTreeMap<JobId, Vec<JobId>>,
    /// Completed jobs' outputs, for dependants not yet started.
    outputs: BTreeMap<JobId, Output>,
    /// Jobs that failed or were rejected (their dependants fail too).
    failed: BTreeSet<JobId>,
    /// Where each running job runs: its shard and its first instance's region.
    placed: BTreeMap<JobId, (OfferIx, RegionIx)>,
    rebalancer: Rebalancer,
    next_review: Option<SimTime>,
    moves: Vec<MoveRecord>,
    /// Reservations not delivered at their start, in order.
    undelivered: Vec<Undelivered>,
    /// Instances asked to terminate (asked once only).
    terminating: BTreeSet<InstanceId>,
}

impl Controller {
    /// A controller buying from `offers` of `catalog` under `policy`.
    pub fn new(
        catalog: Arc<Catalog>,
        offers: Vec<OfferIx>,
        policy: Box<dyn Policy>,
        config: ControllerConfig,
    ) -> Controller {
        let broker = Broker::new(Arc::clone(&catalog), config.budget);
        // An invalid fabric is refused where the scenario is read; here it falls back to the
        // defaults rather than panic.
        let fabric = Fabric::new(config.routing.fabric.clone())
            .unwrap_or_else(|_| Fabric::new(FabricConfig::default()).expect("defaults are valid"));
        let router = crate::router::router(config.routing.kind, config.routing.short_s);
        let stats = ControllerStats {
            router: router.name().to_owned(),
            rebalance: config.rebalance.enabled.then(RebalanceStats::default),
            ..ControllerStats::default()
        };
        let rebalancer = Rebalancer::new(config.rebalance.clone());
        Controller {
            catalog,
            offers,
            config,
            policy,
            broker,
            jobs: BTreeMap::new(),
            history: Vec::new(),
            classes: BTreeMap::new(),
            next_window: 0,
            pending_plans: BTreeMap::new(),
            current: None,
            routes: BTreeMap::new(),
            shards: BTreeMap::new(),
            instances: BTreeMap::new(),
            reservations: BTreeMap::new(),
            unrouted: BTreeSet::new(),
            outbox: Vec::new(),
            deferred: BTreeMap::new(),
            next_tick: None,
            tick_scales: true,
            trace_done: false,
            windows_after_trace: 0,
            needs_replan: false,
            stats,
            router,
            fabric,
            waiting_on: BTreeMap::new(),
            dependants: BTreeMap::new(),
            outputs: BTreeMap::new(),
            failed: BTreeSet::new(),
            placed: BTreeMap::new(),
            rebalancer,
            next_review: None,
            moves: Vec::new(),
            undelivered: Vec::new(),
            terminating: BTreeSet::new(),
        }
    }

    /// The rebalancer's moves so far, in order, each with its reason.
    pub fn moves(&self) -> &[MoveRecord] {
        &self.moves
    }

    /// The reservations not delivered at their start so far, in order, with their recovery.
    pub fn undelivered(&self) -> &[Undelivered] {
        &self.undelivered
    }

    /// The policy's name.
    pub fn policy_name(&self) -> &'static str {
        self.policy.name()
    }

    /// What the policy planned per window, for `plan.json` (see [`Policy::records`]).
    pub fn policy_records(&self) -> &[crate::policy::WindowRecord] {
        self.policy.records()
    }

    /// What the controller did.
    pub fn stats(&self) -> &ControllerStats {
        &self.stats
    }

    /// The broker (its stats and committed spend).
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// Instances held now.
    pub fn instances(&self) -> &BTreeMap<InstanceId, InstanceInfo> {
        &self.instances
    }

    /// Every shard now, by its offer: queue, running jobs and capacity (for timelines).
    pub fn shard_status(&self) -> Vec<ShardStatus> {
        self.shards
            .iter()
            .map(|(offer, s)| ShardStatus {
                offer: *offer,
                queued: s.scheduler.queued().count(),
                running: s.scheduler.running().count(),
                total: s.scheduler.total_capacity(),
                free: s.scheduler.free_capacity(),
            })
            .collect()
    }

    /// A job recorded before the replay starts: history for the policy, never run.
    pub fn record_history(&mut self, job: Job) {
        if self.servable(&job) {
            self.note_class(&job);
        }
        self.history.push(job);
    }

    /// Whether some offer can run `job` on its own. A job no offer can run must not widen its
    /// class's largest demand: that would make the whole class unroutable, and every job of
    /// it rejected.
    fn servable(&self, job: &Job) -> bool {
        let demand = Capacity::from_resources(&job.resources);
        !ranked_offers(&self.catalog, &self.offers, &JobClass::of(job), demand).is_empty()
    }

    fn note_class(&mut self, job: &Job) -> JobClass {
        let class = JobClass::of(job);
        let demand = Capacity::from_resources(&job.resources);
        let e = self.classes.entry(class.clone()).or_insert(demand);
        *e = Capacity {
            cpu_milli: e.cpu_milli.max(demand.cpu_milli),
            memory_mib: e.memory_mib.max(demand.memory_mib),
            gpu_milli: e.gpu_milli.max(demand.gpu_milli),
        };
        class
    }

    /// A job arrives. A job no offer can ever run is rejected (`no_offer`) at the next
    /// [`Controller::decide`].
    pub fn submit(&mut self, now: SimTime, job: Job) {
        if !self.servable(&job) {
            self.outbox.push(Action::Reject { job: job.id, reason: FailReason::NoOffer });
            self.failed.insert(job.id);
            return;
        }
        if job.dependencies.iter().any(|d| self.failed.contains(d)) {
            self.outbox.push(Action::Fail { job: job.id, reason: FailReason::DependencyFailed });
            self.failed.insert(job.id);
            return;
        }
        let known = self.classes.contains_key(&JobClass::of(&job));
        let class = self.note_class(&job);
        let id = job.id;
        self.history.push(job.clone());
        // Parents not yet done; a parent never seen (dropped with the history) is no wait.
        let pending: Vec<JobId> =
            job.dependencies.iter().copied().filter(|d| self.jobs.contains_key(d)).collect();
        let blocked = !pending.is_empty();
        let phase = if blocked { JobPhase::Blocked } else { JobPhase::Unrouted };
        self.jobs.insert(
            id,
            JobState {
                job,
                class,
                attempts: 0,
                migrations: 0,
                moves: 0,
                phase,
                since: now,
                started: now,
                stage_in: SimDuration::ZERO,
                done: SimDuration::ZERO,
                restore: SimDuration::ZERO,
                near: None,
            },
        );
        if blocked {
            self.waiting_on.insert(id, pending.len() as u32);
            for parent in pending {
                self.dependants.entry(parent).or_default().push(id);
            }
            return;
        }
        self.release(now, id, known);
    }

    /// Job `id` is ready: route it (`known`: its class was seen before it arrived).
    fn release(&mut self, now: SimTime, id: JobId, known: bool) {
        if let Some(state) = self.jobs.get_mut(&id) {
            state.since = now;
        }
        if self.current.is_some() {
            if !known && self.route_of(id).is_none() {
                self.needs_replan = true;
            }
            self.route(now, id);
        } else {
            self.unrouted.insert(id);
        }
    }

    /// The trace has no more jobs: plan no window after the work is done.
    pub fn end_of_trace(&mut self) {
        self.trace_done = true;
    }

    /// The shard of job `id`: the first route of its queue and class (or of its class, for
    /// every queue) whose size bound holds it, else the last of them (see [`Route`]).
    fn route_of(&self, id: JobId) -> Option<OfferIx> {
        let state = &self.jobs[&id];
        if let Some(to) = self.rebalancer.remapped(state.job.queue, &state.class) {
            return Some(to);
        }
        let tiers = self
            .routes
            .get(&(Some(state.job.queue), state.class.clone()))
            .or_else(|| self.routes.get(&(None, state.class.clone())))?;
        let demand = Capacity::from_resources(&state.job.resources);
        tiers
            .iter()
            .find(|(up_to, _)| up_to.is_none_or(|u| demand.fits_in(&u)))
            .or(tiers.last())
            .map(|(_, offer)| *offer)
    }

    fn queued_job(state: &JobState) -> QueuedJob {
        let job = &state.job;
        QueuedJob {
            id: job.id,
            submit: job.submit,
            demand: Capacity::from_resources(&job.resources),
            gpu_kind: job.resources.gpu_kind.clone(),
            estimate: job.requested_runtime.unwrap_or(job.runtime).max(job.runtime),
            near: state.near.map(|r| Site(r.0)),
        }
    }

    /// The shard the router sends job `id` to (the plan's route, or another shard of the plan
    /// that can run it), and the region to run near inside it.
    fn target_of(&self, id: JobId) -> Option<(OfferIx, Option<RegionIx>)> {
        let planned = self.route_of(id)?;
        if self.config.routing.kind == RouterKind::Planned {
            return Some((planned, None));
        }
        let (_, plan) = self.current.as_ref()?;
        let state = &self.jobs[&id];
        let demand = Capacity::from_resources(&state.job.resources);
        let mut candidates = vec![];
        let mut seen = BTreeSet::new();
        for sp in &plan.shards {
            if !seen.insert(sp.offer) {
                continue;
            }
            let is_planned = sp.offer == planned;
            // Elsewhere only where the job fits on one instance: a multi-node job stays on
            // the shard the plan sized for it (elsewhere it might need more instances than
            // the pool has, and hold a growing fleet idle while it waits).
            if !is_planned && !runs_on_one_instance(&self.catalog, sp.offer, &state.class, demand) {
                continue;
            }
            let Some(shard) = self.shards.get(&sp.offer) else { continue };
            let queued = shard
                .scheduler
                .queued()
                .fold(Capacity::default(), |acc, q| acc.saturating_add(&q.demand));
            let total = shard.scheduler.total_capacity();
            let free = shard.scheduler.free_capacity();
            let booting = (0..shard.launching)
                .fold(Capacity::default(), |acc, _| acc.saturating_add(&shard.instance));
            candidates.push(Candidate {
                offer: sp.offer,
                region: self.catalog.offer_key(sp.offer).0,
                planned: is_planned,
                usd_per_hour: self.catalog.offer(sp.offer).on_demand_usd_per_hour,
                instance: shard.instance,
                total: total.saturating_add(&booting),
                free,
                queued,
                running: total.saturating_sub(&free),
            });
        }
        if candidates.is_empty() {
            return Some((planned, None));
        }
        let inputs: Vec<Input> = state
            .job
            .dependencies
            .iter()
            .filter_map(|d| self.outputs.get(d))
            .map(|o| Input { shard: o.shard, region: o.region, bytes: o.bytes })
            .collect();
        let request =
            Request { demand, estimate: Self::queued_job(state).estimate, inputs: &inputs };
        let pick = self.router.choose(&self.catalog, &request, &candidates);
        Some((candidates.get(pick.candidate).map_or(planned, |c| c.offer), pick.near))
    }

    /// Puts job `id` in the queue of its router's shard, or leaves it unrouted.
    fn route(&mut self, now: SimTime, id: JobId) {
        let Some((shard, near)) = self.target_of(id) else {
            self.unrouted.insert(id);
            return;
        };
        let state = self.jobs.get_mut(&id).expect("routed jobs are known");
        state.near = near;
        let queued = Self::queued_job(state);
        let shard_state = self.shards.get_mut(&shard).expect("routes point at shards");
        if shard_state.scheduler.enqueue(now, queued).is_ok() {
            state.phase = JobPhase::Queued { shard };
            self.unrouted.remove(&id);
        } else {
            self.unrouted.insert(id);
        }
    }

    /// A job's attempt ended normally.
    pub fn finished(&mut self, now: SimTime, job: JobId, attempt: u32) {
        let Some(state) = self.jobs.get_mut(&job) else { return };
        let JobPhase::Running { shard } = state.phase else { return };
        if state.attempts != attempt {
            return;
        }
        state.phase = JobPhase::Done;
        self.leave_shard(now, shard, job);
        let done = self.jobs.remove(&job);
        let placed = self.placed.remove(&job);
        if let (Some(state), Some((shard, region))) = (done, placed) {
            self.outputs.insert(job, Output { shard, region, bytes: state.job.output_bytes });
        }
        for child in self.dependants.remove(&job).unwrap_or_default() {
            let Some(left) = self.waiting_on.get_mut(&child) else { continue };
            *left -= 1;
            if *left == 0 {
                self.waiting_on.remove(&child);
                if let Some(state) = self.jobs.get_mut(&child) {
                    state.phase = JobPhase::Unrouted;
                    // Its class may be one the plan has never routed: let `release` check.
                    self.release(now, child, false);
                }
            }
        }
    }

    /// Takes running job `id` off `shard`'s scheduler; its nodes left with nothing to run are
    /// idle from `now`. Whether the shard was running it.
    fn leave_shard(&mut self, now: SimTime, shard: OfferIx, id: JobId) -> bool {
        let Some(s) = self.shards.get_mut(&shard) else { return false };
        let nodes: Vec<InstanceId> = s
            .scheduler
            .running()
            .find(|r| r.job.id == id)
            .map(|r| r.nodes.iter().map(|(n, _)| *n).collect())
            .unwrap_or_default();
        if s.scheduler.finish(now, id).is_err() {
            return false;
        }
        for n in nodes {
            if let (Some(info), Some((total, free))) =
                (self.instances.get_mut(&n), s.scheduler.node_capacity(n))
                && total == free
            {
                info.idle_since = Some(now);
            }
        }
        true
    }

    /// Job `id` failed or was rejected: every job waiting for it, directly or not, fails
    /// (`dependency_failed`).
    fn fail_dependants(&mut self, id: JobId) {
        self.failed.insert(id);
        let mut stack = vec![id];
        while let Some(parent) = stack.pop() {
            for child in self.dependants.remove(&parent).unwrap_or_default() {
                self.waiting_on.remove(&child);
                if self.jobs.remove(&child).is_some() {
                    self.outbox
                        .push(Action::Fail { job: child, reason: FailReason::DependencyFailed });
                    self.failed.insert(child);
                    stack.push(child);
                }
            }
        }
    }

    /// Jobs not yet done (queued, running or unrouted).
    pub fn unfinished(&self) -> usize {
        self.jobs.len()
    }

    /// Follows a provider's observation.
    pub fn observe(&mut self, now: SimTime, obs: &Observed) {
        let (actions, events) = self.broker.observe(obs);
        self.outbox.extend(actions.into_iter().map(Action::Cloud));
        for event in events {
            self.on_broker_event(now, event);
        }
        match &obs.observation {
            Observation::Ready { instance } => self.instance_ready(now, *instance),
            Observation::Terminated { instance, reason } => {
                self.instance_gone(now, *instance, *reason);
            }
            _ => {}
        }
    }

    fn instance_ready(&mut self, now: SimTime, id: InstanceId) {
        let Some(info) = self.instances.get_mut(&id) else { return };
        let Some(shard) = self.shards.get_mut(&info.shard) else { return };
        let cap = offer_capacity(&self.catalog, info.offer);
        let kind = self
            .catalog
            .instance_type(self.catalog.offer_key(info.offer).1)
            .gpu_kind
            .clone()
            .map(GpuKind);
        let site = Site(self.catalog.offer_key(info.offer).0.0);
        if shard.scheduler.add_node_at(now, id, cap, kind, Some(site)).is_ok() {
            info.ready = true;
            info.idle_since = Some(now);
            for u in &mut self.undelivered {
                let other = info.option != LaunchOption::Reserved(u.reservation);
                if u.open() && u.needed.is_some() && u.shard == info.shard && other {
                    u.replaced = Some(now);
                }
            }
        }
    }

    fn instance_gone(&mut self, now: SimTime, id: InstanceId, reason: TerminationReason) {
        self.broker.forget(id);
        // Count each instance once, even if its termination is reported twice.
        self.terminating.remove(&id);
        let Some(info) = self.instances.remove(&id) else { return };
        *self.stats.terminated.entry(reason.as_str().to_owned()).or_default() += 1;
        if !info.ready {
            return;
        }
        let Some(shard) = self.shards.get_mut(&info.shard) else { return };
        let stopped = shard.scheduler.remove_node(now, id).unwrap_or_default();
        // The other nodes of a stopped multi-node job are free now: idle from `now`, or the
        // autoscaler would never let them go.
        if !stopped.is_empty() {
            for (node, other) in &mut self.instances {
                if other.shard == info.shard
                    && other.ready
                    && other.idle_since.is_none()
                    && shard.scheduler.node_capacity(*node).is_some_and(|(t, f)| t == f)
                {
                    other.idle_since = Some(now);
                }
            }
        }
        for job in stopped {
            let Some(state) = self.jobs.get_mut(&job) else { continue };
            self.stats.interruptions += 1;
            self.outbox.push(Action::Interrupt { job, attempt: state.attempts });
            self.placed.remove(&job);
            state.since = now;
            if state.attempts - state.migrations >= self.config.max_attempts {
                self.outbox.push(Action::Fail { job, reason: FailReason::Interrupted });
                self.jobs.remove(&job);
                self.fail_dependants(job);
            } else {
                state.phase = JobPhase::Unrouted;
                self.route(now, job);
            }
        }
    }

    fn on_broker_event(&mut self, now: SimTime, event: BrokerEvent) {
        match event {
            BrokerEvent::Launched { tag, instance, offer, option, .. } => {
                let shard = OfferIx(tag as u32);
                if let Some(s) = self.shards.get_mut(&shard) {
                    s.launching = s.launching.saturating_sub(1);
                }
                *self.stats.launched.entry(option.as_str().to_owned()).or_default() += 1;
                self.instances.insert(
                    instance,
                    InstanceInfo { offer, option, shard, ready: false, idle_since: None },
                );
            }
            BrokerEvent::Failed { tag, failure, missing } => {
                let shard = OfferIx(tag as u32);
                if let Some(s) = self.shards.get_mut(&shard) {
                    s.launching = s.launching.saturating_sub(missing);
                }
                *self.stats.intent_failures.entry(failure.as_str().to_owned()).or_default() += 1;
            }
            BrokerEvent::Reserved { tag, reservation, offer, product, count } => {
                *self.stats.reservations.entry(product.as_str().to_owned()).or_default() += 1;
                self.stats.reserved_instances += u64::from(count);
                self.reservations.insert(
                    reservation,
                    ReservationInfo {
                        shard: OfferIx(tag as u32),
                        offer,
                        count,
                        state: ReservationState::Scheduled,
                    },
                );
                // An on-demand capacity reservation may be active at once.
                self.reservation_state(now, reservation, ReservationState::Scheduled);
            }
            BrokerEvent::ReservationState { reservation, state, .. } => {
                self.reservation_state(now, reservation, state);
            }
        }
    }

    fn reservation_state(&mut self, now: SimTime, id: ReservationId, state: ReservationState) {
        let Some(info) = self.reservations.get_mut(&id) else { return };
        let was = info.state;
        info.state = state;
        if state == ReservationState::Delayed && was != ReservationState::Delayed {
            self.undelivered.push(Undelivered {
                reservation: id,
                shard: info.shard,
                instances: info.count,
                due: now,
                needed: None,
                replaced: None,
                delivered: None,
                ended: None,
            });
        }
        if was == ReservationState::Delayed
            && state != ReservationState::Delayed
            && let Some(u) = self.undelivered.iter_mut().rev().find(|u| u.reservation == id)
        {
            if state == ReservationState::Active {
                u.delivered = Some(now);
            } else {
                u.ended = Some(now);
            }
        }
        match state {
            ReservationState::Active if was != ReservationState::Active => {
                let intent = LaunchIntent {
                    tag: u64::from(info.shard.0),
                    candidates: vec![(info.offer, LaunchOption::Reserved(id))],
                    count: info.count,
                };
                if let Some(s) = self.shards.get_mut(&info.shard) {
                    s.launching += info.count;
                }
                let (actions, events) = self.broker.launch(now, intent);
                self.outbox.extend(actions.into_iter().map(Action::Cloud));
                for e in events {
                    self.on_broker_event(now, e);
                }
            }
            ReservationState::Expired | ReservationState::Cancelled => {
                // The window closes: the reservation's instances leave.
                let leaving: Vec<InstanceId> = self
                    .instances
                    .iter()
                    .filter(|(_, i)| i.option == LaunchOption::Reserved(id))
                    .map(|(k, _)| *k)
                    .collect();
                for instance in leaving {
                    self.terminate(instance);
                }
                self.reservations.remove(&id);
            }
            _ => {}
        }
    }

    fn terminate(&mut self, instance: InstanceId) {
        if !self.terminating.insert(instance) {
            return;
        }
        // Request ids for terminations live in their own range so they never collide with the
        // broker's counter.
        let request = RequestId((1 << 63) | instance.0);
        self.outbox.push(Action::Cloud(CloudAction::Terminate { request, instance }));
    }

    fn window(&self, index: u32) -> Window {
        let start = self
            .config
            .first_window
            .checked_add(SimDuration(self.config.window.0.saturating_mul(u64::from(index))))
            .unwrap_or(SimTime::MAX);
        Window { index, start, end: start.checked_add(self.config.window).unwrap_or(SimTime::MAX) }
    }

    fn plan_time(&self, index: u32) -> SimTime {
        SimTime(self.window(index).start.0.saturating_sub(self.config.lead.0))
    }

    fn wants_more_windows(&self) -> bool {
        !self.trace_done
            || !self.jobs.is_empty() && self.windows_after_trace < self.config.drain_windows
    }

    fn plan_window(&mut self, now: SimTime, window: Window, with_reservations: bool) -> Plan {
        let history = std::mem::take(&mut self.history);
        let ctx = PlanContext {
            catalog: &self.catalog,
            offers: &self.offers,
            window,
            history: &history,
            classes: &self.classes,
        };
        let mut plan = self.policy.plan(now, &ctx);
        self.history = history;
        for shard in &plan.shards {
            self.shards.entry(shard.offer).or_insert_with(|| ShardState {
                scheduler: LocalScheduler::new(self.config.scheduler),
                instance: offer_capacity(&self.catalog, shard.offer),
                launching: 0,
            });
        }
        if with_reservations {
            for shard in &plan.shards {
                let Some((candidates, count)) = &shard.reserve else { continue };
                let intent = ReserveIntent {
                    tag: u64::from(shard.offer.0),
                    candidates: candidates.clone(),
                    count: *count,
                    start: window.start,
                    duration: self.config.window,
                };
                // Ask no earlier than the best candidate's product allows.
                let max_lead = candidates.first().and_then(|c| {
                    let cloud = self.catalog.offer(c.offer).cloud;
                    Some(self.catalog.provider(cloud)?.product(c.product)?.max_lead_s)
                });
                let earliest = max_lead.map_or(now, |lead| {
                    SimTime(window.start.0.saturating_sub(lead.saturating_mul(MICROS_PER_SEC)))
                });
                if earliest > now {
                    let seq = self.deferred.len() as u64;
                    self.deferred.insert((earliest, seq), intent);
                } else {
                    self.reserve_now(now, intent);
                }
            }
        } else {
            for shard in &mut plan.shards {
                shard.reserve = None;
            }
        }
        plan
    }

    fn reserve_now(&mut self, now: SimTime, intent: ReserveIntent) {
        let (actions, events) = self.broker.reserve(now, intent);
        self.outbox.extend(actions.into_iter().map(Action::Cloud));
        for e in events {
            self.on_broker_event(now, e);
        }
    }

    /// Applies `plan` at the opening of `window` (or at once, for a re-plan: `replanned`).
    fn open(&mut self, now: SimTime, window: Window, plan: Plan, replanned: bool) {
        self.routes = BTreeMap::new();
        for r in &plan.routes {
            self.routes
                .entry((r.queue, r.class.clone()))
                .or_default()
                .push((r.up_to, plan.shards[r.shard].offer));
        }
        self.current = Some((window, plan));
        let ended = self.rebalancer.plan_changed(now);
        self.log_moves(ended);
        // Queued jobs whose route changed move; unrouted ones get a route.
        let mut moves = vec![];
        let planned = self.config.routing.kind == RouterKind::Planned;
        let kept: BTreeSet<OfferIx> = self
            .current
            .as_ref()
            .map(|(_, p)| p.shards.iter().map(|s| s.offer).collect())
            .unwrap_or_default();
        for (id, state) in &self.jobs {
            // Under the plan's routes a queued job follows its route; under another router it
            // stays where it was sent unless the plan dropped its shard.
            if let JobPhase::Queued { shard } = state.phase
                && (planned && self.route_of(*id).is_some_and(|s| s != shard)
                    || !planned && !kept.contains(&shard))
            {
                moves.push((*id, shard));
            }
        }
        for (id, shard) in moves {
            if let Some(s) = self.shards.get_mut(&shard) {
                s.scheduler.dequeue(id);
            }
            self.stats.migrations += 1;
            self.route(now, id);
        }
        let waiting: Vec<JobId> = self.unrouted.iter().copied().collect();
        for id in waiting {
            self.route(now, id);
        }
        if replanned {
            self.reject_unroutable();
        } else if self.unrouted.iter().any(|id| self.route_of(*id).is_none()) {
            // A class first seen after the plan was made: re-plan the window with it (at once,
            // in this `decide`) before rejecting anything.
            self.needs_replan = true;
        }
    }

    /// Jobs no shard of the plan can take, and whose class no offer can serve, are rejected.
    fn reject_unroutable(&mut self) {
        let stuck: Vec<JobId> = self.unrouted.iter().copied().collect();
        for id in stuck {
            if self.route_of(id).is_none() {
                self.unrouted.remove(&id);
                self.jobs.remove(&id);
                self.outbox.push(Action::Reject { job: id, reason: FailReason::NoOffer });
                self.fail_dependants(id);
            }
        }
    }

    /// The actions to carry out now.
    #[must_use]
    pub fn decide(&mut self, now: SimTime) -> Vec<Action> {
        // Plan every window whose plan time has come.
        while self.wants_more_windows() && self.plan_time(self.next_window) <= now {
            let window = self.window(self.next_window);
            self.next_window += 1;
            self.stats.windows_planned += 1;
            if self.trace_done {
                self.windows_after_trace += 1;
            }
            let plan = self.plan_window(now, window, true);
            self.pending_plans.insert(window.index, (window, plan));
            if self.next_tick.is_none() {
                self.next_tick = Some(now);
            }
        }
        // Reservations whose product could not be asked for earlier.
        while let Some(entry) = self.deferred.first_entry()
            && entry.key().0 <= now
        {
            let intent = entry.remove();
            self.reserve_now(now, intent);
        }
        // Open every planned window whose start has come, in order.
        while let Some(entry) = self.pending_plans.first_entry()
            && entry.get().0.start <= now
        {
            let (window, plan) = entry.remove();
            self.open(now, window, plan, false);
        }
        if self.needs_replan
            && let Some((window, _)) = self.current.clone()
        {
            self.needs_replan = false;
            self.stats.replans += 1;
            let plan = self.plan_window(now, window, false);
            self.open(now, window, plan, true);
        }
        if let Some(tick) = self.next_tick
            && tick <= now
        {
            self.scale(now, self.tick_scales);
            // Tick while windows are still to come or the last planned one is open; after
            // that, while jobs still run, tick for their instances' leases only (renewed or
            // ended, or spending would pass the budget), launching nothing.
            let last_close = self.window(self.next_window).start;
            let in_windows = self.wants_more_windows() || now < last_close;
            let running = self.jobs.values().any(|j| matches!(j.phase, JobPhase::Running { .. }));
            self.tick_scales = in_windows;
            self.next_tick = (in_windows || running)
                .then(|| now.checked_add(self.config.tick).unwrap_or(SimTime::MAX));
        }
        if self.next_tick.is_none() {
            // Reviews stop with the ticks (no window to come and nothing running), so that
            // jobs nothing can run do not keep the run going for ever.
            self.next_review = None;
        } else if self.config.rebalance.enabled && self.current.is_some() {
            let due = self.next_review.is_none_or(|t| t <= now);
            if due {
                self.rebalance(now);
                let period = SimDuration::from_secs(self.config.rebalance.period_s);
                let busy = !self.trace_done || !self.jobs.is_empty();
                self.next_review = busy.then(|| now.checked_add(period).unwrap_or(SimTime::MAX));
            }
        }
        self.schedule(now);
        std::mem::take(&mut self.outbox)
    }

    /// One review of the rebalancer: show it every shard's load, carry out its moves.
    fn rebalance(&mut self, now: SimTime) {
        let loads = self.shard_loads(now);
        let ctx = rebalancer::Context { catalog: &self.catalog, fabric: &self.fabric };
        let records = self.rebalancer.review(now, &ctx, &loads);
        if let Some(r) = &mut self.stats.rebalance {
            r.reviews += 1;
        }
        for record in &records {
            self.apply_move(now, &record.action);
        }
        self.log_moves(records);
    }

    fn log_moves(&mut self, records: Vec<MoveRecord>) {
        let Some(stats) = &mut self.stats.rebalance else { return };
        for record in &records {
            *stats.by_reason.entry(record.reason.as_str().to_owned()).or_default() += 1;
            match &record.action {
                Move::Remap { .. } => stats.remaps += 1,
                Move::Revert { .. } => stats.reverts += 1,
                Move::Waiting { .. } => stats.waiting_migrated += 1,
                Move::Running { resume: Resume::Checkpoint { bytes, link, .. }, .. } => {
                    stats.running_checkpointed += 1;
                    if *link != Link::Local {
                        stats.checkpoint_bytes += bytes;
                    }
                }
                Move::Running { resume: Resume::Restart { lost }, .. } => {
                    stats.running_restarted += 1;
                    stats.restart_lost_us += lost.as_micros();
                }
                Move::Burst { count, .. } => stats.burst_instances += u64::from(*count),
                Move::Release { .. } => stats.released += 1,
            }
        }
        self.moves.extend(records);
    }

    /// Every shard of the plan, or holding instances, as the rebalancer sees it.
    fn shard_loads(&self, now: SimTime) -> Vec<ShardLoad> {
        let planned: BTreeSet<OfferIx> = self
            .current
            .as_ref()
            .map(|(_, p)| p.shards.iter().map(|s| s.offer).collect())
            .unwrap_or_default();
        let mut views: BTreeMap<OfferIx, Vec<InstanceView>> = BTreeMap::new();
        for (id, i) in &self.instances {
            views.entry(i.shard).or_default().push(i.view(*id));
        }
        let mut loads = vec![];
        for (offer, shard) in &self.shards {
            let instances = views.remove(offer).unwrap_or_default();
            if !planned.contains(offer) && instances.is_empty() {
                continue;
            }
            let waiting = shard
                .scheduler
                .queued()
                .filter_map(|q| {
                    let state = self.jobs.get(&q.id)?;
                    Some(Waiting {
                        job: q.id,
                        queue: state.job.queue,
                        class: state.class.clone(),
                        demand: q.demand,
                        since: state.since,
                        moves: state.moves,
                    })
                })
                .collect();
            let mut jobs_on: BTreeMap<InstanceId, u32> = BTreeMap::new();
            for r in shard.scheduler.running() {
                for (n, _) in &r.nodes {
                    *jobs_on.entry(*n).or_default() += 1;
                }
            }
            let running = shard
                .scheduler
                .running()
                .filter_map(|r| {
                    let state = self.jobs.get(&r.job.id)?;
                    let nodes: Vec<InstanceId> = r.nodes.iter().map(|(n, _)| *n).collect();
                    let alone_on_elastic = nodes.iter().all(|n| {
                        jobs_on.get(n) == Some(&1)
                            && self
                                .instances
                                .get(n)
                                .is_some_and(|i| !matches!(i.option, LaunchOption::Reserved(_)))
                    });
                    let computed = state.computed(now);
                    let region = self.placed.get(&r.job.id).map(|p| p.1)?;
                    Some(rebalancer::Running {
                        job: r.job.id,
                        class: state.class.clone(),
                        demand: r.job.demand,
                        computed,
                        remaining: SimDuration(r.job.estimate.0.saturating_sub(computed.0)),
                        region,
                        nodes,
                        alone_on_elastic,
                        moves: state.moves,
                    })
                })
                .collect();
            let free_nodes = shard
                .scheduler
                .node_ids()
                .filter_map(|n| Some((n, shard.scheduler.node_capacity(n)?.1)))
                .collect();
            let booting = instances.iter().filter(|i| i.booting).count() as u32 + shard.launching;
            loads.push(ShardLoad {
                offer: *offer,
                region: self.catalog.offer_key(*offer).0,
                instance: shard.instance,
                total: shard.scheduler.total_capacity(),
                free_nodes,
                booting,
                waiting,
                running,
                instances,
            });
        }
        loads
    }

    /// Carries out one of the rebalancer's moves.
    fn apply_move(&mut self, now: SimTime, action: &Move) {
        match action {
            Move::Remap { .. } | Move::Revert { .. } => {}
            Move::Waiting { job, from, to } => {
                let Some(state) = self.jobs.get_mut(job) else { return };
                let Some(q) = self.shards.get_mut(from).and_then(|s| s.scheduler.dequeue(*job))
                else {
                    return;
                };
                if let Some(target) = self.shards.get_mut(to)
                    && target.scheduler.enqueue(now, q.clone()).is_ok()
                {
                    state.phase = JobPhase::Queued { shard: *to };
                    state.moves += 1;
                } else if let Some(back) = self.shards.get_mut(from) {
                    let _ = back.scheduler.enqueue(now, q);
                }
            }
            Move::Running { job, from, to, resume } => {
                self.migrate_running(now, *job, *from, *to, *resume)
            }
            Move::Burst { shard, option, count } => {
                let mut candidates = vec![(*shard, *option)];
                if *option == LaunchOption::Spot {
                    candidates.push((*shard, LaunchOption::OnDemand));
                }
                if let Some(s) = self.shards.get_mut(shard) {
                    s.launching += count;
                }
                let intent = LaunchIntent { tag: u64::from(shard.0), candidates, count: *count };
                let (actions, events) = self.broker.launch(now, intent);
                self.outbox.extend(actions.into_iter().map(Action::Cloud));
                for e in events {
                    self.on_broker_event(now, e);
                }
            }
            Move::Release { instance, .. } => {
                if self.instances.get(instance).is_some_and(|i| i.idle_since.is_some()) {
                    self.terminate(*instance);
                }
            }
        }
    }

    /// Stops job `id`'s attempt on `from` and queues it on `to`, resuming as `resume` says.
    fn migrate_running(
        &mut self,
        now: SimTime,
        id: JobId,
        from: OfferIx,
        to: OfferIx,
        resume: Resume,
    ) {
        let running_there = self
            .jobs
            .get(&id)
            .is_some_and(|s| matches!(s.phase, JobPhase::Running { shard } if shard == from));
        if !running_there || !self.leave_shard(now, from, id) {
            return;
        }
        let state = self.jobs.get_mut(&id).expect("checked above");
        self.outbox.push(Action::Migrate { job: id, attempt: state.attempts, resume });
        let from_region = self.placed.remove(&id).map(|p| p.1);
        let to_region = self.catalog.offer_key(to).0;
        match resume {
            Resume::Checkpoint { restore, bytes, link } => {
                state.done = state.computed(now);
                state.restore = restore;
                if link != Link::Local
                    && let Some(from) = from_region
                {
                    self.outbox.push(Action::Transfer {
                        job: id,
                        from,
                        to: to_region,
                        link,
                        bytes,
                    });
                }
            }
            Resume::Restart { .. } => {
                state.done = SimDuration::ZERO;
                state.restore = SimDuration::ZERO;
            }
        }
        state.migrations += 1;
        state.moves += 1;
        state.since = now;
        state.phase = JobPhase::Unrouted;
        let queued = Self::queued_job(state);
        if let Some(target) = self.shards.get_mut(&to)
            && target.scheduler.enqueue(now, queued).is_ok()
        {
            state.phase = JobPhase::Queued { shard: to };
        } else {
            self.route(now, id);
        }
    }

    /// Renews or ends the leases due before the next tick, then (with `policy`) asks the
    /// policy what to launch and let go.
    fn scale(&mut self, now: SimTime, policy: bool) {
        // The policy's decision first, so that an instance it lets go is not renewed.
        let mut letting_go: BTreeSet<InstanceId> = BTreeSet::new();
        let mut launches = vec![];
        if policy && let Some((_, plan)) = &self.current {
            let views: Vec<ShardView> = plan
                .shards
                .iter()
                .enumerate()
                .filter_map(|(index, sp)| {
                    let s = self.shards.get(&sp.offer)?;
                    let instances = self
                        .instances
                        .iter()
                        .filter(|(_, i)| i.shard == sp.offer)
                        .map(|(id, i)| i.view(*id))
                        .collect();
                    Some(ShardView {
                        index,
                        offer: sp.offer,
                        instance: s.instance,
                        queued: s.scheduler.queued().map(|q| q.demand).collect(),
                        free: s.scheduler.free_capacity(),
                        instances,
                        launching: s.launching,
                    })
                })
                .collect();
            let ctx = ScaleContext { catalog: &self.catalog, shards: &views };
            let scale = self.policy.scale(now, &ctx);
            let shard_offers: Vec<OfferIx> = plan.shards.iter().map(|s| s.offer).collect();
            letting_go = scale
                .terminate
                .into_iter()
                .filter(|id| self.instances.get(id).is_some_and(|i| i.idle_since.is_some()))
                .collect();
            // A shard the current plan dropped gets no jobs any more (its queue moved at the
            // opening): its idle elastic instances go, or they would hold supply forever.
            // Reserved ones stay until their reservation ends; busy ones finish their jobs.
            letting_go.extend(
                self.instances
                    .iter()
                    .filter(|(_, i)| {
                        !plan.shards.iter().any(|sp| sp.offer == i.shard)
                            && i.idle_since.is_some()
                            && !matches!(i.option, LaunchOption::Reserved(_))
                    })
                    .map(|(id, _)| *id),
            );
            launches = scale
                .launch
                .into_iter()
                .filter_map(|out| Some((*shard_offers.get(out.shard)?, out.candidates, out.count)))
                .collect();
        }
        // Leases: an elastic instance whose lease ends before the next tick is renewed or let
        // go.
        let horizon = now.checked_add(self.config.tick).unwrap_or(SimTime::MAX);
        let due: Vec<InstanceId> = self
            .instances
            .keys()
            .copied()
            .filter(|i| !letting_go.contains(i))
            .filter(|i| self.broker.lease_end(*i).is_some_and(|end| end <= horizon))
            .collect();
        for id in due {
            if !self.broker.renew(now, id) {
                self.terminate(id);
            }
        }
        for id in letting_go {
            self.terminate(id);
        }
        for (shard, candidates, count) in launches {
            if let Some(s) = self.shards.get_mut(&shard) {
                s.launching += count;
            }
            let intent = LaunchIntent { tag: u64::from(shard.0), candidates, count };
            let (actions, events) = self.broker.launch(now, intent);
            self.outbox.extend(actions.into_iter().map(Action::Cloud));
            for e in events {
                self.on_broker_event(now, e);
            }
        }
    }

    fn schedule(&mut self, now: SimTime) {
        let mut starts = vec![];
        for (offer, shard) in &mut self.shards {
            for start in shard.scheduler.schedule(now) {
                starts.push((*offer, start));
            }
        }
        // A reservation not delivered starts to hurt when a job of its shard waits.
        for u in &mut self.undelivered {
            let waiting = |shard| {
                self.shards.get(&shard).is_some_and(|s| s.scheduler.queued().next().is_some())
            };
            if u.open() && u.needed.is_none() && waiting(u.shard) {
                u.needed = Some(now);
            }
        }
        for (offer, start) in starts {
            let Some(state) = self.jobs.get_mut(&start.job) else { continue };
            state.attempts += 1;
            state.phase = JobPhase::Running { shard: offer };
            let attempt = state.attempts;
            let parents = state.job.dependencies.clone();
            for (node, _) in &start.nodes {
                if let Some(info) = self.instances.get_mut(node) {
                    info.idle_since = None;
                }
            }
            let region = start.nodes.first().and_then(|(n, _)| self.instances.get(n)).map_or_else(
                || self.catalog.offer_key(offer).0,
                |i| self.catalog.offer_key(i.offer).0,
            );
            self.placed.insert(start.job, (offer, region));
            let inputs = self.stage_in(start.job, attempt, &parents, offer, region);
            let state = self.jobs.get_mut(&start.job).expect("started jobs are known");
            let stage_in = inputs + std::mem::take(&mut state.restore);
            state.started = now;
            state.stage_in = stage_in;
            self.outbox.push(Action::Start {
                job: start.job,
                attempt,
                instances: start.nodes,
                stage_in,
                done: state.done,
            });
        }
    }

    /// Stages in the outputs of `parents` for `job`'s `attempt` on `shard` in `region`: one
    /// transfer per parent output not already there (charged), edges counted at the first
    /// attempt. Returns how long the slowest transfer takes.
    fn stage_in(
        &mut self,
        job: JobId,
        attempt: u32,
        parents: &[JobId],
        shard: OfferIx,
        region: RegionIx,
    ) -> SimDuration {
        let mut longest = SimDuration::ZERO;
        for parent in parents {
            let Some(out) = self.outputs.get(parent).copied() else { continue };
            let same_shard = out.shard == shard && out.region == region;
            let t = self.fabric.transfer(&self.catalog, out.region, region, same_shard, out.bytes);
            if attempt == 1 {
                *self.stats.edges.entry(t.link.as_str().to_owned()).or_default() += 1;
            }
            if t.link == Link::Local {
                continue;
            }
            longest = longest.max(t.duration);
            self.stats.transfer_bytes += out.bytes;
            self.outbox.push(Action::Transfer {
                job,
                from: out.region,
                to: region,
                link: t.link,
                bytes: out.bytes,
            });
        }
        self.stats.stage_in_us += longest.as_micros();
        longest
    }

    /// When the controller next wants [`Controller::decide`] called, if nothing else happens.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        let plan = self.wants_more_windows().then(|| self.plan_time(self.next_window));
        let open = self.pending_plans.values().next().map(|(w, _)| w.start);
        let deferred = self.deferred.keys().next().map(|(t, _)| *t);
        [plan, open, deferred, self.next_tick, self.next_review].into_iter().flatten().min()
    }

    /// Ends the simulation at `now`: jobs still waiting fail (`never_ran`) and every instance
    /// is terminated. Returns the actions to carry out.
    #[must_use]
    pub fn shutdown(&mut self, now: SimTime) -> Vec<Action> {
        let _ = now;
        let left: Vec<JobId> = self.jobs.keys().copied().collect();
        for job in left {
            self.outbox.push(Action::Fail { job, reason: FailReason::NeverRan });
        }
        self.jobs.clear();
        let all: Vec<InstanceId> = self.instances.keys().copied().collect();
        for id in all {
            self.terminate(id);
        }
        self.trace_done = true;
        self.next_tick = None;
        self.next_review = None;
        std::mem::take(&mut self.outbox)
    }
}
