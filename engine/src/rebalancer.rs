//! The rebalancer: dynamic re-sharding between plans (DESIGN §1, "Dynamic Re-Sharding").
//!
//! A window's plan maps queues to shards before the window opens; load does not always follow
//! the forecast. Every `period` the controller shows the [`Rebalancer`] each shard's load
//! ([`ShardLoad`]: its waiting and running jobs, its free capacity per node, its instances),
//! and the rebalancer answers with [`Move`]s, each logged with its [`Reason`]:
//!
//! 1. **Watch.** A shard is *hot* when its oldest waiting job has waited `hot_wait_s`, or its
//!    backlog (waiting demand, in instances of its type) reaches `hot_backlog` × its instances;
//!    it is *spare* when nothing waits and its utilisation is at most `spare_utilisation`.
//!    Both states have hysteresis: a condition must hold for `sustain` reviews in a row to
//!    enter a state, and the exit condition (half the entry thresholds for hot, utilisation
//!    above the midpoint to 1 for spare) for as many to leave it.
//! 2. **Migrate waiting jobs** from hot shards to spare ones, head of the queue first, onto
//!    free capacity of a spare shard's nodes (first fit), nearest spare shard first (same
//!    region, then same provider, then another provider).
//! 3. **Remap a queue.** A hot shard's queue with the most waiting demand is sent to a spare
//!    shard that still has room after the migrations ([`Move::Remap`]: its new arrivals go
//!    there). It goes back ([`Move::Revert`]) when its new shard turns hot, or when its home
//!    shard has been spare for `sustain` reviews and `cooldown_s` has passed; a reverted queue
//!    is not remapped again for `cooldown_s`. A new window's plan clears every remap.
//! 4. **Migrate running jobs** (consolidation): a job running alone on elastic instances
//!    (on-demand or spot, paid by the hour) moves onto an idle reserved instance of a spare
//!    shard (paid anyway), so that its elastic instance can be released. It keeps its work
//!    through a checkpoint (`running = "checkpoint"`: the restore takes `checkpoint_s` plus
//!    moving its memory over the fabric) or restarts (`running = "restart"`, only when it has
//!    computed at most `max_restart_loss_s`); it moves only when at least `min_remaining_s` of
//!    its run is left.
//! 5. **Burst.** A hot shard whose backlog the spare shards could not take launches on-demand
//!    (or spot) instances for the rest, up to `max_vcpus` of elastic capacity in the shard.
//! 6. **Release.** An elastic instance idle for `release_idle_s` in a shard where nothing waits
//!    is let go.
//!
//! A job the rebalancer has moved `max_moves_per_job` times (waiting or running) stays where
//! it is, so that no job bounces for ever: a restarted job could otherwise never finish.
//!
//! The rebalancer is sans-IO like the controller: it is told the time and the load and keeps
//! only its hysteresis counters and remaps; its moves are data the controller carries out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cloud::{Catalog, LaunchOption, OfferIx, RegionIx};
use crate::fabric::{Fabric, Link};
use crate::ids::{InstanceId, JobId, QueueId};
use crate::policy::{InstanceView, JobClass, runs_on_one_instance};
use crate::shard::Capacity;
use crate::time::{SimDuration, SimTime};

/// How running jobs move (`[policy.rebalance] running`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunningMove {
    /// Running jobs stay where they are.
    Off,
    /// Checkpoint, move the checkpoint, resume: the work done is kept.
    #[default]
    Checkpoint,
    /// Stop and start again elsewhere: the work done is lost.
    Restart,
}

/// Bursting above a hot shard's capacity (`[policy.rebalance.burst]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstConfig {
    /// Launch spot (falling back to on demand) instead of on demand.
    #[serde(default)]
    pub spot: bool,
    /// Elastic vCPUs never exceeded in one shard.
    pub max_vcpus: u64,
}

/// The rebalancer's knobs (`[policy.rebalance]`); off unless `enabled`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RebalanceConfig {
    /// Re-shard at all.
    pub enabled: bool,
    /// Seconds between reviews.
    pub period_s: u64,
    /// A shard whose oldest waiting job has waited this long, seconds, is hot.
    pub hot_wait_s: u64,
    /// A shard whose waiting demand reaches this many times its instances is hot.
    pub hot_backlog: f64,
    /// A shard with nothing waiting and at most this share of its capacity busy is spare.
    pub spare_utilisation: f64,
    /// Reviews in a row a condition must hold to enter (or leave) a state.
    pub sustain: u32,
    /// Seconds a remap stands before its home may take the queue back, and a reverted queue
    /// waits before it is remapped again.
    pub cooldown_s: u64,
    /// Migrate waiting jobs from hot shards to spare ones.
    pub waiting: bool,
    /// Remap queues of hot shards to spare ones.
    pub remap: bool,
    /// How running jobs move onto idle reserved capacity.
    pub running: RunningMove,
    /// Seconds a checkpoint takes to write and restore, on top of moving the job's memory.
    pub checkpoint_s: u64,
    /// A running job moves only with at least this much of its run left, seconds.
    pub min_remaining_s: u64,
    /// With `running = "restart"`, a job that has computed longer than this stays, seconds.
    pub max_restart_loss_s: u64,
    /// Burst above hot shards, if set.
    pub burst: Option<BurstConfig>,
    /// Elastic instances idle this long in a shard where nothing waits are released, seconds.
    pub release_idle_s: u64,
    /// Moves of one job, waiting or running, after which it stays where it is: no job
    /// bounces between shards for ever (a restarted job would never finish).
    pub max_moves_per_job: u32,
}

impl Default for RebalanceConfig {
    fn default() -> RebalanceConfig {
        RebalanceConfig {
            enabled: false,
            period_s: 300,
            hot_wait_s: 900,
            hot_backlog: 0.5,
            spare_utilisation: 0.5,
            sustain: 2,
            cooldown_s: 3600,
            waiting: true,
            remap: true,
            running: RunningMove::Checkpoint,
            checkpoint_s: 120,
            min_remaining_s: 1800,
            max_restart_loss_s: 600,
            burst: None,
            release_idle_s: 600,
            max_moves_per_job: 2,
        }
    }
}

impl RebalanceConfig {
    /// Checks the knobs; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.period_s == 0 {
            return Err("`period_s` must be positive".into());
        }
        if !(self.hot_backlog.is_finite() && self.hot_backlog > 0.0) {
            return Err(format!("`hot_backlog` must be positive, got {}", self.hot_backlog));
        }
        if !(0.0..1.0).contains(&self.spare_utilisation) {
            return Err(format!(
                "`spare_utilisation` must be in [0, 1), got {}",
                self.spare_utilisation
            ));
        }
        if self.sustain == 0 {
            return Err("`sustain` must be at least 1".into());
        }
        if self.burst.as_ref().is_some_and(|b| b.max_vcpus == 0) {
            return Err("`burst.max_vcpus` must be positive".into());
        }
        Ok(())
    }
}

/// A job waiting in a shard's queue.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiting {
    /// The job.
    pub job: JobId,
    /// Its queue.
    pub queue: QueueId,
    /// Its class.
    pub class: JobClass,
    /// What it asks for.
    pub demand: Capacity,
    /// Waiting since (ready, or requeued).
    pub since: SimTime,
    /// Times the rebalancer has moved it.
    pub moves: u32,
}

/// A job running in a shard.
#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    /// The job.
    pub job: JobId,
    /// Its class.
    pub class: JobClass,
    /// What it asks for.
    pub demand: Capacity,
    /// Work done so far, counting what a checkpoint restored.
    pub computed: SimDuration,
    /// Estimated run time left.
    pub remaining: SimDuration,
    /// The region of its first node.
    pub region: RegionIx,
    /// Its nodes.
    pub nodes: Vec<InstanceId>,
    /// Its nodes are elastic (on demand or spot) and run nothing else.
    pub alone_on_elastic: bool,
    /// Times the rebalancer has moved it.
    pub moves: u32,
}

/// One shard's load at a review.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardLoad {
    /// The shard, by its offer.
    pub offer: OfferIx,
    /// The offer's region.
    pub region: RegionIx,
    /// One instance's capacity.
    pub instance: Capacity,
    /// Capacity of its ready instances.
    pub total: Capacity,
    /// Free capacity of each ready node.
    pub free_nodes: Vec<(InstanceId, Capacity)>,
    /// Instances launched and not ready yet.
    pub booting: u32,
    /// Its queue, in order.
    pub waiting: Vec<Waiting>,
    /// Its running jobs.
    pub running: Vec<Running>,
    /// Its instances.
    pub instances: Vec<InstanceView>,
}

impl ShardLoad {
    /// Whether the GPU share measures it (a GPU type), else the vCPU share.
    fn measure(&self, c: &Capacity) -> f64 {
        if self.instance.gpu_milli > 0 {
            c.gpu_milli as f64 / self.instance.gpu_milli as f64
        } else {
            c.cpu_milli as f64 / self.instance.cpu_milli.max(1) as f64
        }
    }

    /// Ready and booting instances (at least one, so a shard without any is not divided by
    /// zero).
    fn instances_held(&self) -> f64 {
        (self.measure(&self.total) + f64::from(self.booting)).max(1.0)
    }

    fn backlog(&self) -> f64 {
        self.waiting.iter().map(|w| self.measure(&w.demand)).sum()
    }

    fn utilisation(&self) -> f64 {
        let total = self.measure(&self.total);
        if total <= 0.0 {
            return 1.0;
        }
        let free: f64 = self.free_nodes.iter().map(|(_, f)| self.measure(f)).sum();
        (1.0 - free / total).clamp(0.0, 1.0)
    }

    fn oldest_wait(&self, now: SimTime) -> SimDuration {
        self.waiting.iter().map(|w| now.saturating_since(w.since)).max().unwrap_or_default()
    }
}

/// How a running job resumes elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resume {
    /// From a checkpoint: `restore` before it computes again, `bytes` moved over `link`.
    Checkpoint {
        /// Writing, moving and reading the checkpoint.
        restore: SimDuration,
        /// Its size (the job's memory).
        bytes: u64,
        /// What it crosses.
        link: Link,
    },
    /// From the start: `lost` of work thrown away.
    Restart {
        /// The work done so far.
        lost: SimDuration,
    },
}

/// One decision of the rebalancer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Move {
    /// New arrivals of `queue`'s `class` go to `to` instead of `from`.
    Remap {
        /// The queue.
        queue: QueueId,
        /// The class of its jobs.
        class: JobClass,
        /// Its shard until now.
        from: OfferIx,
        /// Its shard from now.
        to: OfferIx,
    },
    /// A remap ends: new arrivals go to the plan's shard `to` again.
    Revert {
        /// The queue.
        queue: QueueId,
        /// The class of its jobs.
        class: JobClass,
        /// The shard it was remapped to.
        from: OfferIx,
        /// The plan's shard.
        to: OfferIx,
    },
    /// A waiting job moves to another shard's queue.
    Waiting {
        /// The job.
        job: JobId,
        /// Its shard until now.
        from: OfferIx,
        /// Its new shard.
        to: OfferIx,
    },
    /// A running job stops and resumes on another shard.
    Running {
        /// The job.
        job: JobId,
        /// Its shard until now.
        from: OfferIx,
        /// Its new shard.
        to: OfferIx,
        /// How it resumes.
        resume: Resume,
    },
    /// Launch `count` elastic instances into `shard`.
    Burst {
        /// The shard.
        shard: OfferIx,
        /// On demand, or spot first.
        option: LaunchOption,
        /// How many.
        count: u32,
    },
    /// Let an idle elastic instance go.
    Release {
        /// Its shard.
        shard: OfferIx,
        /// The instance.
        instance: InstanceId,
    },
}

/// Why a move was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Its shard is hot and another is spare.
    Backlog,
    /// Its shard is hot and no spare shard could take the backlog.
    NoSpareShard,
    /// Idle reserved capacity can take work now on elastic instances.
    Consolidate,
    /// The shard a queue was remapped to turned hot.
    TargetHot,
    /// The home shard of a remapped queue is spare again.
    HomeRecovered,
    /// A new window's plan replaced the routes.
    NewPlan,
    /// Idle past `release_idle_s`.
    Idle,
}

impl Reason {
    /// The snake-case name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Backlog => "backlog",
            Reason::NoSpareShard => "no_spare_shard",
            Reason::Consolidate => "consolidate",
            Reason::TargetHot => "target_hot",
            Reason::HomeRecovered => "home_recovered",
            Reason::NewPlan => "new_plan",
            Reason::Idle => "idle",
        }
    }
}

/// A move, when and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MoveRecord {
    /// When it was decided.
    pub at: SimTime,
    /// What.
    #[serde(rename = "move")]
    pub action: Move,
    /// Why.
    pub reason: Reason,
    /// The figures behind it.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, Default)]
struct Watch {
    hot: bool,
    spare: bool,
    /// Reviews in a row the condition to change `hot` held.
    hot_run: u32,
    /// Likewise for `spare`.
    spare_run: u32,
}

#[derive(Clone, Copy, Debug)]
struct Remapped {
    home: OfferIx,
    to: OfferIx,
    at: SimTime,
}

/// What a review sees besides the load.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The fabric checkpoints cross.
    pub fabric: &'a Fabric,
}

/// See the module docs.
#[derive(Clone, Debug)]
pub struct Rebalancer {
    config: RebalanceConfig,
    watch: BTreeMap<OfferIx, Watch>,
    remaps: BTreeMap<(QueueId, JobClass), Remapped>,
    /// Queues reverted, not to be remapped before this time.
    cooldown: BTreeMap<(QueueId, JobClass), SimTime>,
}

/// Fits `demand` on the first node of `nodes` with room, taking it from that node.
fn take_first_fit(nodes: &mut [(InstanceId, Capacity)], demand: &Capacity) -> bool {
    match nodes.iter_mut().find(|(_, free)| demand.fits_in(free)) {
        Some((_, free)) => {
            *free = free.saturating_sub(demand);
            true
        }
        None => false,
    }
}

impl Rebalancer {
    /// A rebalancer with `config`.
    pub fn new(config: RebalanceConfig) -> Rebalancer {
        Rebalancer {
            config,
            watch: BTreeMap::new(),
            remaps: BTreeMap::new(),
            cooldown: BTreeMap::new(),
        }
    }

    /// Its knobs.
    pub fn config(&self) -> &RebalanceConfig {
        &self.config
    }

    /// The shard `queue`'s `class` is remapped to, if any.
    pub fn remapped(&self, queue: QueueId, class: &JobClass) -> Option<OfferIx> {
        self.remaps.get(&(queue, class.clone())).map(|r| r.to)
    }

    /// A new plan replaced the routes: every remap ends (logged, reason `new_plan`).
    pub fn plan_changed(&mut self, now: SimTime) -> Vec<MoveRecord> {
        std::mem::take(&mut self.remaps)
            .into_iter()
            .map(|((queue, class), r)| MoveRecord {
                at: now,
                action: Move::Revert { queue, class, from: r.to, to: r.home },
                reason: Reason::NewPlan,
                detail: "the window's plan maps queues afresh".into(),
            })
            .collect()
    }

    fn update_watch(&mut self, now: SimTime, shards: &[ShardLoad]) {
        let c = &self.config;
        let hot_wait = SimDuration::from_secs(c.hot_wait_s);
        for s in shards {
            let w = self.watch.entry(s.offer).or_default();
            let (backlog, held, oldest) = (s.backlog(), s.instances_held(), s.oldest_wait(now));
            let change_hot = if w.hot {
                s.waiting.is_empty()
                    || oldest.0 < hot_wait.0 / 2 && backlog < c.hot_backlog / 2.0 * held
            } else {
                !s.waiting.is_empty() && (oldest >= hot_wait || backlog >= c.hot_backlog * held)
            };
            w.hot_run = if change_hot { w.hot_run + 1 } else { 0 };
            if w.hot_run >= c.sustain {
                w.hot = !w.hot;
                w.hot_run = 0;
            }
            let util = s.utilisation();
            let has_nodes = !s.free_nodes.is_empty();
            let change_spare = if w.spare {
                !s.waiting.is_empty() || !has_nodes || util > (1.0 + c.spare_utilisation) / 2.0
            } else {
                s.waiting.is_empty() && has_nodes && util <= c.spare_utilisation
            };
            w.spare_run = if change_spare { w.spare_run + 1 } else { 0 };
            if w.spare_run >= c.sustain {
                w.spare = !w.spare;
                w.spare_run = 0;
            }
        }
        // Shards gone from the view lose their history.
        self.watch.retain(|offer, _| shards.iter().any(|s| s.offer == *offer));
    }

    fn is_hot(&self, offer: OfferIx) -> bool {
        self.watch.get(&offer).is_some_and(|w| w.hot)
    }

    fn is_spare(&self, offer: OfferIx) -> bool {
        self.watch.get(&offer).is_some_and(|w| w.spare)
    }

    /// One review at `now`: the moves to make, logged.
    pub fn review(
        &mut self,
        now: SimTime,
        ctx: &Context<'_>,
        shards: &[ShardLoad],
    ) -> Vec<MoveRecord> {
        self.update_watch(now, shards);
        let mut out = vec![];
        let by_offer: BTreeMap<OfferIx, &ShardLoad> = shards.iter().map(|s| (s.offer, s)).collect();
        // Free capacity per node of each spare shard, consumed as moves are decided.
        let mut room: BTreeMap<OfferIx, Vec<(InstanceId, Capacity)>> = shards
            .iter()
            .filter(|s| self.is_spare(s.offer))
            .map(|s| (s.offer, s.free_nodes.clone()))
            .collect();
        self.revert_remaps(now, &by_offer, &mut out);
        let mut hot: Vec<&ShardLoad> = shards.iter().filter(|s| self.is_hot(s.offer)).collect();
        hot.sort_by_key(|s| (std::cmp::Reverse(s.oldest_wait(now)), s.offer));
        for h in hot {
            let moved = if self.config.waiting {
                self.migrate_waiting(now, ctx, h, &by_offer, &mut room, &mut out)
            } else {
                vec![]
            };
            if self.config.remap {
                self.remap_queue(now, ctx, h, &by_offer, &room, &mut out);
            }
            if let Some(burst) = &self.config.burst {
                let left: Vec<&Waiting> =
                    h.waiting.iter().filter(|w| !moved.contains(&w.job)).collect();
                Self::burst(now, h, &left, burst, &mut out);
            }
        }
        if self.config.running != RunningMove::Off {
            self.consolidate(now, ctx, shards, &by_offer, &mut room, &mut out);
        }
        self.release(now, shards, &mut out);
        out
    }

    fn revert_remaps(
        &mut self,
        now: SimTime,
        by_offer: &BTreeMap<OfferIx, &ShardLoad>,
        out: &mut Vec<MoveRecord>,
    ) {
        let cooldown = SimDuration::from_secs(self.config.cooldown_s);
        let keys: Vec<(QueueId, JobClass)> = self.remaps.keys().cloned().collect();
        for key in keys {
            let r = self.remaps[&key];
            let reason = if self.is_hot(r.to) || !by_offer.contains_key(&r.to) {
                Reason::TargetHot
            } else if self.is_spare(r.home) && now.saturating_since(r.at) >= cooldown {
                Reason::HomeRecovered
            } else {
                continue;
            };
            self.remaps.remove(&key);
            self.cooldown.insert(key.clone(), now + cooldown);
            let detail = match reason {
                Reason::TargetHot => format!("shard {} turned hot", r.to.0),
                _ => format!("shard {} spare for {} reviews", r.home.0, self.config.sustain),
            };
            let (queue, class) = key;
            out.push(MoveRecord {
                at: now,
                action: Move::Revert { queue, class, from: r.to, to: r.home },
                reason,
                detail,
            });
        }
    }

    /// Spare shards that can take work from `from`, nearest first.
    fn targets<'s>(
        &self,
        ctx: &Context<'_>,
        from: &ShardLoad,
        by_offer: &BTreeMap<OfferIx, &'s ShardLoad>,
    ) -> Vec<&'s ShardLoad> {
        let mut t: Vec<&ShardLoad> = by_offer
            .values()
            .copied()
            .filter(|s| s.offer != from.offer && self.is_spare(s.offer))
            .collect();
        t.sort_by_key(|s| (Fabric::link(ctx.catalog, from.region, s.region, false), s.offer));
        t
    }

    fn migrate_waiting(
        &self,
        now: SimTime,
        ctx: &Context<'_>,
        h: &ShardLoad,
        by_offer: &BTreeMap<OfferIx, &ShardLoad>,
        room: &mut BTreeMap<OfferIx, Vec<(InstanceId, Capacity)>>,
        out: &mut Vec<MoveRecord>,
    ) -> Vec<JobId> {
        let targets = self.targets(ctx, h, by_offer);
        let mut moved = vec![];
        for w in h.waiting.iter().filter(|w| w.moves < self.config.max_moves_per_job) {
            for t in &targets {
                if !runs_on_one_instance(ctx.catalog, t.offer, &w.class, w.demand) {
                    continue;
                }
                let Some(nodes) = room.get_mut(&t.offer) else { continue };
                if !take_first_fit(nodes, &w.demand) {
                    continue;
                }
                moved.push(w.job);
                out.push(MoveRecord {
                    at: now,
                    action: Move::Waiting { job: w.job, from: h.offer, to: t.offer },
                    reason: Reason::Backlog,
                    detail: format!(
                        "shard {} hot: {} waiting, backlog {:.1} of {:.0} instances, waited {} s; shard {} spare",
                        h.offer.0,
                        h.waiting.len(),
                        h.backlog(),
                        h.instances_held(),
                        now.saturating_since(w.since).as_secs(),
                        t.offer.0
                    ),
                });
                break;
            }
        }
        moved
    }

    fn remap_queue(
        &mut self,
        now: SimTime,
        ctx: &Context<'_>,
        h: &ShardLoad,
        by_offer: &BTreeMap<OfferIx, &ShardLoad>,
        room: &BTreeMap<OfferIx, Vec<(InstanceId, Capacity)>>,
        out: &mut Vec<MoveRecord>,
    ) {
        // The queue (and class) with the most waiting demand here.
        let mut demand: BTreeMap<(QueueId, JobClass), f64> = BTreeMap::new();
        for w in &h.waiting {
            *demand.entry((w.queue, w.class.clone())).or_default() += h.measure(&w.demand);
        }
        let Some((key, _)) = demand
            .into_iter()
            .filter(|(k, _)| {
                !self.remaps.contains_key(k) && self.cooldown.get(k).is_none_or(|t| *t <= now)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        else {
            return;
        };
        let largest = (h.waiting.iter())
            .filter(|w| (w.queue, &w.class) == (key.0, &key.1))
            .fold(Capacity::ZERO, |acc, w| acc.component_max(&w.demand));
        for t in self.targets(ctx, h, by_offer) {
            if !runs_on_one_instance(ctx.catalog, t.offer, &key.1, largest) {
                continue;
            }
            // Room left for new arrivals after this review's migrations.
            let left: f64 =
                room.get(&t.offer).into_iter().flatten().map(|(_, f)| t.measure(f)).sum();
            if left < self.config.hot_backlog * t.instances_held() {
                continue;
            }
            self.remaps.insert(key.clone(), Remapped { home: h.offer, to: t.offer, at: now });
            let (queue, class) = key;
            out.push(MoveRecord {
                at: now,
                action: Move::Remap { queue, class, from: h.offer, to: t.offer },
                reason: Reason::Backlog,
                detail: format!(
                    "shard {} hot with queue {}'s backlog; shard {} has {:.1} instances free",
                    h.offer.0, queue.0, t.offer.0, left
                ),
            });
            return;
        }
    }

    fn burst(
        now: SimTime,
        h: &ShardLoad,
        left: &[&Waiting],
        burst: &BurstConfig,
        out: &mut Vec<MoveRecord>,
    ) {
        if left.is_empty() || h.instance.cpu_milli == 0 {
            return;
        }
        // Instances to add so the rest fits: per resource, what waits beyond what is free
        // and booting, in whole instances.
        let free = h.free_nodes.iter().fold(Capacity::ZERO, |a, (_, f)| a.saturating_add(f));
        let waiting = left.iter().fold(Capacity::ZERO, |a, w| a.saturating_add(&w.demand));
        let unit = [h.instance.cpu_milli, h.instance.memory_mib, h.instance.gpu_milli];
        let want = [waiting.cpu_milli, waiting.memory_mib, waiting.gpu_milli];
        let have = [free.cpu_milli, free.memory_mib, free.gpu_milli];
        let booting = u64::from(h.booting);
        let need = (0..3)
            .filter(|k| unit[*k] > 0)
            .map(|k| {
                want[k].saturating_sub(have[k]).saturating_sub(booting * unit[k]).div_ceil(unit[k])
            })
            .max()
            .unwrap_or(0);
        let elastic =
            h.instances.iter().filter(|i| !matches!(i.option, LaunchOption::Reserved(_))).count()
                as u64
                + booting;
        let cap = (burst.max_vcpus * 1000 / h.instance.cpu_milli).saturating_sub(elastic);
        let count = need.min(cap).min(u64::from(u32::MAX)) as u32;
        if count == 0 {
            return;
        }
        let option = if burst.spot { LaunchOption::Spot } else { LaunchOption::OnDemand };
        out.push(MoveRecord {
            at: now,
            action: Move::Burst { shard: h.offer, option, count },
            reason: Reason::NoSpareShard,
            detail: format!(
                "shard {} hot: {} jobs left waiting after migrations, {} instances booting",
                h.offer.0,
                left.len(),
                h.booting
            ),
        });
    }

    fn consolidate(
        &self,
        now: SimTime,
        ctx: &Context<'_>,
        shards: &[ShardLoad],
        by_offer: &BTreeMap<OfferIx, &ShardLoad>,
        room: &mut BTreeMap<OfferIx, Vec<(InstanceId, Capacity)>>,
        out: &mut Vec<MoveRecord>,
    ) {
        let c = &self.config;
        let min_left = SimDuration::from_secs(c.min_remaining_s);
        // Jobs alone on elastic instances, longest left first.
        let mut movable: Vec<(&ShardLoad, &Running)> = shards
            .iter()
            .flat_map(|s| s.running.iter().map(move |r| (s, r)))
            .filter(|(_, r)| r.alone_on_elastic && r.nodes.len() == 1 && r.remaining >= min_left)
            .filter(|(_, r)| r.moves < c.max_moves_per_job)
            .collect();
        movable.sort_by_key(|(_, r)| (std::cmp::Reverse(r.remaining), r.job));
        for (from, r) in movable {
            for t in self.targets(ctx, from, by_offer) {
                if !runs_on_one_instance(ctx.catalog, t.offer, &r.class, r.demand) {
                    continue;
                }
                // Only onto idle reserved nodes: capacity paid whether used or not.
                let idle_reserved: Vec<InstanceId> = t
                    .instances
                    .iter()
                    .filter(|i| matches!(i.option, LaunchOption::Reserved(_)))
                    .filter(|i| i.idle_since.is_some())
                    .map(|i| i.id)
                    .collect();
                let Some(nodes) = room.get_mut(&t.offer) else { continue };
                let Some(slot) = nodes
                    .iter_mut()
                    .find(|(id, free)| idle_reserved.contains(id) && r.demand.fits_in(free))
                else {
                    continue;
                };
                let resume = match c.running {
                    RunningMove::Checkpoint => {
                        let bytes = r.demand.memory_mib.saturating_mul(1 << 20);
                        let moved =
                            ctx.fabric.transfer(ctx.catalog, r.region, t.region, false, bytes);
                        let restore = SimDuration::from_secs(c.checkpoint_s) + moved.duration;
                        if restore >= r.remaining {
                            continue;
                        }
                        Resume::Checkpoint { restore, bytes, link: moved.link }
                    }
                    RunningMove::Restart => {
                        if r.computed > SimDuration::from_secs(c.max_restart_loss_s) {
                            continue;
                        }
                        Resume::Restart { lost: r.computed }
                    }
                    RunningMove::Off => return,
                };
                slot.1 = slot.1.saturating_sub(&r.demand);
                out.push(MoveRecord {
                    at: now,
                    action: Move::Running { job: r.job, from: from.offer, to: t.offer, resume },
                    reason: Reason::Consolidate,
                    detail: format!(
                        "alone on elastic instance {} with {} s left; reserved instance {} of shard {} idle",
                        r.nodes[0].0,
                        r.remaining.as_secs(),
                        slot.0.0,
                        t.offer.0
                    ),
                });
                break;
            }
        }
    }

    fn release(&self, now: SimTime, shards: &[ShardLoad], out: &mut Vec<MoveRecord>) {
        let idle = SimDuration::from_secs(self.config.release_idle_s);
        for s in shards.iter().filter(|s| s.waiting.is_empty()) {
            for i in &s.instances {
                if matches!(i.option, LaunchOption::Reserved(_)) {
                    continue;
                }
                let Some(since) = i.idle_since else { continue };
                if now.saturating_since(since) < idle {
                    continue;
                }
                out.push(MoveRecord {
                    at: now,
                    action: Move::Release { shard: s.offer, instance: i.id },
                    reason: Reason::Idle,
                    detail: format!(
                        "idle {} s, nothing waiting in shard {}",
                        now.saturating_since(since).as_secs(),
                        s.offer.0
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
