//! [`LocalScheduler`]: the scheduler inside one shard. It owns the shard's nodes and its queue,
//! and on every [`schedule`](LocalScheduler::schedule) call answers which queued jobs start now
//! and on which nodes. Sans-IO and deterministic: the same calls give the same starts, because
//! every collection is ordered (`BTreeMap`/`BTreeSet`) and every tie is broken by an id.
//!
//! The caller (the sim driver or live controller) calls `schedule` after every change: a job
//! enqueued or finished, a node added or removed. Nothing here ever looks at a clock.
//!
//! # Queue order
//!
//! Jobs are ordered by `(submit, JobId)`. A requeued job (after [`remove_node`]) keeps its
//! original `submit`, so it goes back near the front.
//!
//! # Placement
//!
//! A job *fits a node* when its demand fits the node's free capacity in all three dimensions
//! (milli-vCPUs, MiB, milli-GPUs; see [`Capacity::fits_in`]), the node is not held whole by a
//! multi-node job, and, when the job asks for GPUs (`gpu_milli > 0`) *and* names a kind, the
//! node's GPU kind is that kind. A GPU job that names no kind takes any node with enough GPUs; a
//! job with `gpu_milli == 0` ignores its kind.
//!
//! - **Single-node jobs** are the jobs whose demand fits the *total* capacity of at least one
//!   compatible node. Among the nodes the job fits now, the scheduler takes the **best fit**: the
//!   node that minimises, lexicographically, the free capacity left after placing it as
//!   `(GPU left, CPU left, memory left, InstanceId)`. GPU comes first so that CPU jobs keep off
//!   GPU nodes when a CPU node will do, and the id makes the choice unique.
//! - **Multi-node jobs** (HPC jobs larger than any one node) take `k` whole idle nodes of one
//!   node type, where a type is a (total capacity, GPU kind) pair and
//!   `k = max(ceil(cpu/node cpu), ceil(memory/node memory), ceil(gpu/node gpu))` over the
//!   dimensions the job asks for (for a CPU-bound job this is `ceil(cpu_milli / node cpu)`; a
//!   type lacking a dimension the job asks for is not a candidate). The nodes are held
//!   exclusively: each is allocated its whole total, whatever the job's share. Among the types
//!   with at least `k` idle nodes now, the one with the smallest `k` wins, ties going to the type
//!   whose lowest idle id is lowest; within it the `k` lowest idle ids are taken.
//! - **Sites.** A node may be added at a [`Site`] (the controller uses its region), and a job
//!   may ask to run [`near`](QueuedJob::near) one (where its inputs are). Nearness is a
//!   preference, never a constraint, and comes before every rule above: a single-node job takes
//!   the best fit among the nodes at its site when it fits one of them, else the best fit
//!   elsewhere; a multi-node job's `k` nodes are its type's idle nodes at its site first (lowest
//!   ids), then others, and the type needing the fewest nodes from elsewhere wins after `k`. A
//!   job with no `near` is placed exactly as above, so sites change nothing for it.
//! - A job that fits no node even on an empty shard (single-node: no compatible node is big
//!   enough; multi-node: no type has `k` nodes) is **unplaceable**: it stays queued, is skipped
//!   by both policies (it never blocks the queue), and is listed by
//!   [`unplaceable`](LocalScheduler::unplaceable) so the caller can reject or reroute it. This is
//!   relative to the nodes present now: a shard with no nodes lists every queued job.
//!
//! # FIFO
//!
//! Strict first-come first-served: walk the queue in order, start each job that fits now, and
//! stop at the first (placeable) job that does not.
//!
//! # EASY backfill
//!
//! After Mu'alem & Feitelson (2001), the EASY rule as Slurm's backfill plugin applies it, with
//! the reservation made on concrete nodes because capacity here is a vector on many nodes:
//!
//! 1. Walk the queue in order and start jobs while they fit now, as FIFO does. The first
//!    placeable job that does not fit is the **head**.
//! 2. **Shadow time and reservation.** Every running job is expected to end at
//!    `max(start + estimate, now)`. Replay those ends in order (ties by `JobId`, all ends at
//!    the same instant released together) over a copy of the per-node free capacity; the
//!    **shadow time** is the first end after which the head fits under the placement rules
//!    above, and the **reservation** is the place it would take then (one best-fit node, or `k`
//!    idle nodes of one type, lowest ids first).
//! 3. **Extra capacity.** For every node, `extra(node) = free now + released by the shadow time
//!    − reserved for the head`. This is what the head leaves unused at the shadow time, node by
//!    node, in all three dimensions.
//! 4. **Backfill.** Walk the jobs after the head in queue order, testing at most
//!    `backfill_depth` of them (default [`DEFAULT_BACKFILL_DEPTH`] = 1000, like Slurm's
//!    `bf_max_job_test`). A job starts now when it fits now (same placement rules) and either
//!    - (a) `now + estimate <= shadow time`: it ends by its estimate before the head starts; it
//!      may use any node, reserved ones included; or
//!    - (b) every allocation it makes fits the `extra` of its node, and that `extra` is then
//!      reduced by the allocation: it will still be running at the shadow time, but only on
//!      capacity the head does not need. A multi-node job can only backfill this way on idle
//!      nodes the reservation does not touch.
//!
//!    Only the head holds a reservation (that is what makes it EASY rather than conservative
//!    backfill), and the reservation is recomputed on every call.
//!
//! So, as long as running jobs end by their estimates, no backfilled job delays the head past
//! its shadow time in any dimension on any node; when jobs end early the head can only start
//! earlier. Per-node accounting is exact where an aggregate (cluster-wide total) rule would not
//! be: an aggregate "extra" can be fragmented over nodes the head cannot use.
//!
//! # Cost
//!
//! With `N` nodes, `R` running jobs and `Q` queued jobs, one `schedule` call costs: for each job
//! tested, an `O(1)` aggregate free-capacity check, then a scan of the nodes with at least the
//! job's CPU free (an ordered index), or of the node types for a multi-node job; within one call
//! a failed single-node demand is remembered (up to 32 of them) and any job asking at least as
//! much of the same nodes is rejected without a scan. FIFO tests jobs until the first that
//! does not fit. EASY additionally replays running jobs' ends up to the shadow time
//! (`O(R log R)` at worst) and tests at most `backfill_depth` jobs after the head. Nothing is
//! `O(Q²)` or `O(Q·N)` per call beyond the bounded backfill depth.
//!
//! [`remove_node`]: LocalScheduler::remove_node

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use serde::{Deserialize, Serialize};

use super::capacity::Capacity;
use crate::ids::{InstanceId, JobId};
use crate::job::GpuKind;
use crate::time::{SimDuration, SimTime};

/// How many jobs after the head EASY backfill tests per call, by default (Slurm's
/// `bf_max_job_test` default).
pub const DEFAULT_BACKFILL_DEPTH: usize = 1000;

/// How many failed single-node demands one `schedule` call remembers.
const FAILED_MEMO: usize = 32;

/// The queueing discipline of a shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Policy {
    /// Strict first-come first-served: stop at the first job that does not fit.
    Fifo,
    /// EASY backfill: the blocked head gets a reservation; later jobs start if they do not
    /// delay it (see the module docs for the exact rule).
    EasyBackfill,
}

/// A locality domain of a shard's nodes: nodes at one site exchange data for free. Opaque to
/// the scheduler; the controller numbers sites by region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Site(pub u32);

/// A job waiting in a shard's queue: what the scheduler needs to know about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedJob {
    /// The job.
    pub id: JobId,
    /// When it was submitted; the queue is ordered by `(submit, id)`.
    pub submit: SimTime,
    /// What it asks for in total (over all its nodes, for a multi-node job).
    pub demand: Capacity,
    /// The GPU model it needs, if it asks for GPUs and names one.
    pub gpu_kind: Option<GpuKind>,
    /// How long it is expected to run: the user's walltime estimate, or the runtime when the
    /// caller wants perfect estimates. Backfill trusts it.
    pub estimate: SimDuration,
    /// The site it would rather run at (where its inputs are), if any: see "Sites" in the
    /// module docs.
    pub near: Option<Site>,
}

/// A decision: start `job` now on `nodes`, with the capacity it holds on each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    /// The job to start.
    pub job: JobId,
    /// The nodes and what is allocated on each, in increasing id order. One node for a
    /// single-node job; for a multi-node job each node's whole total.
    pub nodes: Vec<(InstanceId, Capacity)>,
}

/// A job the scheduler has started and not yet seen finish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningJob {
    /// The job as it was queued.
    pub job: QueuedJob,
    /// When it started.
    pub start: SimTime,
    /// Its allocations, as in its [`Start`].
    pub nodes: Vec<(InstanceId, Capacity)>,
}

impl RunningJob {
    /// `start + estimate`, or [`SimTime::MAX`] on overflow.
    pub fn estimated_end(&self) -> SimTime {
        self.start.checked_add(self.job.estimate).unwrap_or(SimTime::MAX)
    }
}

/// Why a call to the scheduler was refused. The scheduler's state is unchanged after an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchedulerError {
    /// `add_node` with an id the shard already has.
    #[error("node {0} is already in the shard")]
    DuplicateNode(InstanceId),
    /// `remove_node` (or a query) with an id the shard does not have.
    #[error("node {0} is not in the shard")]
    UnknownNode(InstanceId),
    /// `enqueue` with a job that is already queued or running here.
    #[error("{0} is already queued or running in the shard")]
    DuplicateJob(JobId),
    /// `finish` with a job that is not running here.
    #[error("{0} is not running in the shard")]
    NotRunning(JobId),
    /// Adding the node would overflow the shard's total capacity.
    #[error("adding node {0} overflows the shard's total capacity")]
    CapacityOverflow(InstanceId),
    /// A call's `now` is earlier than one already seen.
    #[error("time went backwards: now is {now}, but {latest} was already seen")]
    TimeWentBackwards {
        /// The `now` of the refused call.
        now: SimTime,
        /// The latest `now` seen before.
        latest: SimTime,
    },
}

/// Where a job goes: nodes and what it takes on each.
type Placement = Vec<(InstanceId, Capacity)>;

/// A node type: total capacity and GPU kind. Ordered so that iteration is deterministic.
type TypeKey = (u64, u64, u64, Option<GpuKind>);

fn type_key(total: &Capacity, gpu_kind: &Option<GpuKind>) -> TypeKey {
    (total.cpu_milli, total.memory_mib, total.gpu_milli, gpu_kind.clone())
}

fn key_total(key: &TypeKey) -> Capacity {
    Capacity::new(key.0, key.1, key.2)
}

#[derive(Clone, Debug)]
struct Node {
    total: Capacity,
    free: Capacity,
    gpu_kind: Option<GpuKind>,
    /// Jobs holding an allocation here.
    jobs: BTreeSet<JobId>,
    /// Held whole by a multi-node job.
    exclusive: bool,
    site: Option<Site>,
}

#[derive(Clone, Debug, Default)]
struct NodeType {
    members: BTreeSet<InstanceId>,
    idle: BTreeSet<InstanceId>,
}

/// The head's reservation for one EASY pass.
struct Reservation {
    shadow: SimTime,
    /// `extra(node)` for every node released into or reserved by the projection; a node not
    /// listed has `extra = free at the time of the projection`, so fitting it now suffices.
    extra: BTreeMap<InstanceId, Capacity>,
}

/// Whether a job with this demand and kind may use a node with this GPU kind.
fn gpu_ok(demand: &Capacity, kind: &Option<GpuKind>, node_kind: &Option<GpuKind>) -> bool {
    demand.gpu_milli == 0
        || match (kind, node_kind) {
            (None, _) => true,
            (Some(want), Some(have)) => have.serves(want),
            (Some(_), None) => false,
        }
}

/// The local scheduler of one shard. See the [module docs](self) for the rules.
#[derive(Clone, Debug)]
pub struct LocalScheduler {
    policy: Policy,
    backfill_depth: usize,
    latest: SimTime,
    nodes: BTreeMap<InstanceId, Node>,
    types: BTreeMap<TypeKey, NodeType>,
    /// Non-exclusive nodes by free CPU, for the single-node scan.
    by_free_cpu: BTreeSet<(u64, InstanceId)>,
    total: Capacity,
    free: Capacity,
    queue: BTreeMap<(SimTime, JobId), QueuedJob>,
    queued_at: BTreeMap<JobId, SimTime>,
    running: BTreeMap<JobId, RunningJob>,
    /// Running jobs by estimated end.
    ends: BTreeSet<(SimTime, JobId)>,
}

impl LocalScheduler {
    /// An empty shard (no nodes, no jobs) with `policy` and the default backfill depth.
    pub fn new(policy: Policy) -> LocalScheduler {
        LocalScheduler {
            policy,
            backfill_depth: DEFAULT_BACKFILL_DEPTH,
            latest: SimTime::EPOCH,
            nodes: BTreeMap::new(),
            types: BTreeMap::new(),
            by_free_cpu: BTreeSet::new(),
            total: Capacity::ZERO,
            free: Capacity::ZERO,
            queue: BTreeMap::new(),
            queued_at: BTreeMap::new(),
            running: BTreeMap::new(),
            ends: BTreeSet::new(),
        }
    }

    /// The same scheduler testing at most `depth` jobs after the head per EASY pass.
    pub fn with_backfill_depth(mut self, depth: usize) -> LocalScheduler {
        self.backfill_depth = depth;
        self
    }

    /// The queueing discipline.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// How many jobs after the head EASY backfill tests per call.
    pub fn backfill_depth(&self) -> usize {
        self.backfill_depth
    }

    fn advance(&mut self, now: SimTime) -> Result<(), SchedulerError> {
        if now < self.latest {
            return Err(SchedulerError::TimeWentBackwards { now, latest: self.latest });
        }
        self.latest = now;
        Ok(())
    }

    // ---- nodes -------------------------------------------------------------------------

    /// Adds an idle node with capacity `total` and GPU model `gpu_kind`, at no site.
    pub fn add_node(
        &mut self,
        now: SimTime,
        id: InstanceId,
        total: Capacity,
        gpu_kind: Option<GpuKind>,
    ) -> Result<(), SchedulerError> {
        self.add_node_at(now, id, total, gpu_kind, None)
    }

    /// Adds an idle node as [`add_node`](Self::add_node) does, at `site`.
    pub fn add_node_at(
        &mut self,
        now: SimTime,
        id: InstanceId,
        total: Capacity,
        gpu_kind: Option<GpuKind>,
        site: Option<Site>,
    ) -> Result<(), SchedulerError> {
        if now < self.latest {
            return Err(SchedulerError::TimeWentBackwards { now, latest: self.latest });
        }
        if self.nodes.contains_key(&id) {
            return Err(SchedulerError::DuplicateNode(id));
        }
        let new_total =
            self.total.checked_add(&total).ok_or(SchedulerError::CapacityOverflow(id))?;
        let new_free = self.free.checked_add(&total).ok_or(SchedulerError::CapacityOverflow(id))?;
        self.advance(now)?;
        self.total = new_total;
        self.free = new_free;
        let ty = self.types.entry(type_key(&total, &gpu_kind)).or_default();
        ty.members.insert(id);
        ty.idle.insert(id);
        self.by_free_cpu.insert((total.cpu_milli, id));
        self.nodes.insert(
            id,
            Node { total, free: total, gpu_kind, jobs: BTreeSet::new(), exclusive: false, site },
        );
        Ok(())
    }

    /// Removes a node (an instance leaving: interrupted, terminated, the window closing). The
    /// jobs running on it are stopped, all their allocations (on this and any other node) are
    /// freed, and their ids are returned in increasing order so the caller can requeue them.
    pub fn remove_node(
        &mut self,
        now: SimTime,
        id: InstanceId,
    ) -> Result<Vec<JobId>, SchedulerError> {
        if now < self.latest {
            return Err(SchedulerError::TimeWentBackwards { now, latest: self.latest });
        }
        let Some(node) = self.nodes.get(&id) else {
            return Err(SchedulerError::UnknownNode(id));
        };
        let stopped: Vec<JobId> = node.jobs.iter().copied().collect();
        self.advance(now)?;
        for job in &stopped {
            self.stop(*job);
        }
        if let Some(node) = self.nodes.remove(&id) {
            // All its jobs are gone, so it is idle with free == total.
            self.by_free_cpu.remove(&(node.free.cpu_milli, id));
            let key = type_key(&node.total, &node.gpu_kind);
            if let Some(ty) = self.types.get_mut(&key) {
                ty.members.remove(&id);
                ty.idle.remove(&id);
                if ty.members.is_empty() {
                    self.types.remove(&key);
                }
            }
            self.total = self.total.saturating_sub(&node.total);
            self.free = self.free.saturating_sub(&node.free);
        }
        Ok(stopped)
    }

    /// The ids of the shard's nodes, in increasing order.
    pub fn node_ids(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.nodes.keys().copied()
    }

    /// A node's total and free capacity, or `None` if it is not in the shard.
    pub fn node_capacity(&self, id: InstanceId) -> Option<(Capacity, Capacity)> {
        self.nodes.get(&id).map(|n| (n.total, n.free))
    }

    /// The sum of all nodes' capacities.
    pub fn total_capacity(&self) -> Capacity {
        self.total
    }

    /// The sum of all nodes' free capacities (a node held by a multi-node job has none).
    pub fn free_capacity(&self) -> Capacity {
        self.free
    }

    // ---- jobs --------------------------------------------------------------------------

    /// Queues a job. It starts at a later [`schedule`](Self::schedule) call.
    pub fn enqueue(&mut self, now: SimTime, job: QueuedJob) -> Result<(), SchedulerError> {
        if now < self.latest {
            return Err(SchedulerError::TimeWentBackwards { now, latest: self.latest });
        }
        if self.queued_at.contains_key(&job.id) || self.running.contains_key(&job.id) {
            return Err(SchedulerError::DuplicateJob(job.id));
        }
        self.advance(now)?;
        self.queued_at.insert(job.id, job.submit);
        self.queue.insert((job.submit, job.id), job);
        Ok(())
    }

    /// Takes a queued job out of the queue (to migrate it elsewhere); `None` if it is not
    /// queued here.
    pub fn dequeue(&mut self, id: JobId) -> Option<QueuedJob> {
        let submit = self.queued_at.remove(&id)?;
        self.queue.remove(&(submit, id))
    }

    /// Records that a running job ended, freeing its allocations.
    pub fn finish(&mut self, now: SimTime, id: JobId) -> Result<(), SchedulerError> {
        if now < self.latest {
            return Err(SchedulerError::TimeWentBackwards { now, latest: self.latest });
        }
        if !self.running.contains_key(&id) {
            return Err(SchedulerError::NotRunning(id));
        }
        self.advance(now)?;
        self.stop(id);
        Ok(())
    }

    /// The queued jobs in queue order (`(submit, id)`).
    pub fn queued(&self) -> impl Iterator<Item = &QueuedJob> + '_ {
        self.queue.values()
    }

    /// The running jobs in id order.
    pub fn running(&self) -> impl Iterator<Item = &RunningJob> + '_ {
        self.running.values()
    }

    /// The queued jobs that could not start even on the current nodes all idle, in queue order
    /// (see the module docs). The caller may reject or reroute them.
    pub fn unplaceable(&self) -> Vec<JobId> {
        self.queue.values().filter(|j| !self.placeable_ever(j)).map(|j| j.id).collect()
    }

    // ---- scheduling --------------------------------------------------------------------

    /// Starts what the policy allows at `now`, records the allocations, and returns the
    /// starts in the order they were decided. A `now` earlier than the latest seen is treated
    /// as the latest.
    pub fn schedule(&mut self, now: SimTime) -> Vec<Start> {
        let now = now.max(self.latest);
        self.latest = now;
        let mut starts = Vec::new();
        if self.nodes.is_empty() || self.queue.is_empty() {
            return starts;
        }
        let mut failed: Vec<(Capacity, Option<GpuKind>)> = Vec::new();
        let mut cursor: Option<(SimTime, JobId)> = None;

        // Phase 1: in queue order while jobs fit (FIFO, and EASY up to its head).
        let head = loop {
            let Some(job) = self.next_queued(cursor) else {
                return starts;
            };
            cursor = Some((job.submit, job.id));
            if !self.placeable_ever(&job) {
                continue;
            }
            match self.try_place(&job, &mut failed, true, |_, _| true) {
                Some(place) => starts.push(self.start(now, job, place)),
                None => break job,
            }
        };
        if self.policy == Policy::Fifo {
            return starts;
        }

        // Phase 2: the head's reservation, then backfill.
        let Some(mut res) = self.reservation(now, &head) else {
            return starts;
        };
        let mut tested = 0;
        while tested < self.backfill_depth {
            let Some(job) = self.next_queued(cursor) else {
                break;
            };
            cursor = Some((job.submit, job.id));
            tested += 1;
            if self.free.is_zero() {
                break;
            }
            if !self.placeable_ever(&job) {
                continue;
            }
            let ends_before = now.checked_add(job.estimate).is_some_and(|end| end <= res.shadow);
            let place = if ends_before {
                self.try_place(&job, &mut failed, true, |_, _| true)
            } else {
                let extra = &res.extra;
                let place = self.try_place(&job, &mut failed, false, |id, alloc| {
                    extra.get(&id).is_none_or(|e| alloc.fits_in(e))
                });
                if let Some(place) = &place {
                    for (id, alloc) in place {
                        if let Some(e) = res.extra.get_mut(id) {
                            *e = e.saturating_sub(alloc);
                        }
                    }
                }
                place
            };
            if let Some(place) = place {
                starts.push(self.start(now, job, place));
            }
        }
        starts
    }

    fn next_queued(&self, after: Option<(SimTime, JobId)>) -> Option<QueuedJob> {
        let lower = match after {
            Some(key) => Bound::Excluded(key),
            None => Bound::Unbounded,
        };
        self.queue.range((lower, Bound::Unbounded)).next().map(|(_, j)| j.clone())
    }

    /// Whether the job fits one node's total (so it is placed on one node).
    fn is_single_node(&self, job: &QueuedJob) -> bool {
        self.types.keys().any(|key| {
            gpu_ok(&job.demand, &job.gpu_kind, &key.3) && job.demand.fits_in(&key_total(key))
        })
    }

    /// Whether the job could start on the current nodes, all idle.
    fn placeable_ever(&self, job: &QueuedJob) -> bool {
        self.types.iter().any(|(key, ty)| {
            gpu_ok(&job.demand, &job.gpu_kind, &key.3)
                && job
                    .demand
                    .nodes_needed_on(&key_total(key))
                    .is_some_and(|k| k <= ty.members.len() as u64)
        })
    }

    /// Where the job would start now, with every allocation passing `allowed(node, alloc)`.
    /// `failed` remembers single-node demands that found no node at all; `record` says whether
    /// a failure here is one (true only when `allowed` allows everything).
    fn try_place(
        &self,
        job: &QueuedJob,
        failed: &mut Vec<(Capacity, Option<GpuKind>)>,
        record: bool,
        allowed: impl Fn(InstanceId, &Capacity) -> bool,
    ) -> Option<Vec<(InstanceId, Capacity)>> {
        // Any placement takes at most the free capacity, aggregated.
        if !job.demand.fits_in(&self.free) {
            return None;
        }
        if self.is_single_node(job) {
            let kind = effective_kind(&job.demand, &job.gpu_kind);
            let dominated = failed.iter().any(|(d, k)| {
                d.fits_in(&job.demand) && (k.is_none() || (kind.is_some() && k == &kind))
            });
            if dominated {
                return None;
            }
            let found = self.best_single(job, &allowed);
            if found.is_none() && record && failed.len() < FAILED_MEMO {
                failed.push((job.demand, kind));
            }
            found.map(|id| vec![(id, job.demand)])
        } else {
            self.multi_now(job, &allowed)
        }
    }

    /// The best-fit node the job fits now (see the module docs), among those `allowed`.
    fn best_single(
        &self,
        job: &QueuedJob,
        allowed: &impl Fn(InstanceId, &Capacity) -> bool,
    ) -> Option<InstanceId> {
        let d = &job.demand;
        // (away from its site, GPU left, CPU left, memory left, id): the smallest wins.
        type FitKey = (bool, u64, u64, u64, InstanceId);
        let mut best: Option<(FitKey, InstanceId)> = None;
        for &(_, id) in self.by_free_cpu.range((d.cpu_milli, InstanceId(0))..) {
            let Some(node) = self.nodes.get(&id) else { continue };
            if node.exclusive || !gpu_ok(d, &job.gpu_kind, &node.gpu_kind) {
                continue;
            }
            let Some(left) = node.free.checked_sub(d) else { continue };
            if !allowed(id, d) {
                continue;
            }
            let far = job.near.is_some() && node.site != job.near;
            let key = (far, left.gpu_milli, left.cpu_milli, left.memory_mib, id);
            if best.as_ref().is_none_or(|(b, _)| key < *b) {
                best = Some((key, id));
            }
        }
        best.map(|(_, id)| id)
    }

    /// `k` whole idle nodes of one type for a multi-node job (see the module docs).
    fn multi_now(
        &self,
        job: &QueuedJob,
        allowed: &impl Fn(InstanceId, &Capacity) -> bool,
    ) -> Option<Vec<(InstanceId, Capacity)>> {
        let mut best: Option<((u64, usize, InstanceId), Placement)> = None;
        for (key, ty) in &self.types {
            if !gpu_ok(&job.demand, &job.gpu_kind, &key.3) {
                continue;
            }
            let Some(k) = job.demand.nodes_needed_on(&key_total(key)) else { continue };
            if (ty.idle.len() as u64) < k {
                continue;
            }
            let total = key_total(key);
            let usable = |id: &&InstanceId| allowed(**id, &total);
            // At its site (every node is, for a job that names none): those first.
            let at = |id: &&InstanceId| {
                job.near.is_none() || self.nodes.get(id).is_some_and(|n| n.site == job.near)
            };
            let take = usize::try_from(k).unwrap_or(usize::MAX);
            let first = ty.idle.iter().filter(usable).filter(at);
            let then = ty.idle.iter().filter(usable).filter(|id| !at(id));
            let mut picked: Vec<(InstanceId, Capacity)> =
                first.chain(then).take(take).map(|&id| (id, total)).collect();
            if (picked.len() as u64) < k {
                continue;
            }
            let far = picked.iter().filter(|(id, _)| !at(&id)).count();
            picked.sort_by_key(|(id, _)| *id);
            let rank = (k, far, picked[0].0);
            if best.as_ref().is_none_or(|(b, _)| rank < *b) {
                best = Some((rank, picked));
            }
        }
        best.map(|(_, picked)| picked)
    }

    /// The head's shadow time and the per-node extra capacity (see the module docs).
    fn reservation(&self, now: SimTime, head: &QueuedJob) -> Option<Reservation> {
        let single = self.is_single_node(head);
        // Per touched node: capacity released so far, and how many of its jobs ended.
        let mut released: BTreeMap<InstanceId, (Capacity, usize)> = BTreeMap::new();
        // Multi-node head: nodes that became idle in the projection, per type.
        let mut newly_idle: BTreeMap<&TypeKey, BTreeSet<InstanceId>> = BTreeMap::new();
        let mut ends = self.ends.iter().peekable();
        while let Some(&&(end, _)) = ends.peek() {
            let at = end.max(now);
            let mut touched: BTreeSet<InstanceId> = BTreeSet::new();
            while let Some(&&(e, job)) = ends.peek() {
                if e.max(now) != at {
                    break;
                }
                ends.next();
                let Some(run) = self.running.get(&job) else { continue };
                for (id, alloc) in &run.nodes {
                    let entry = released.entry(*id).or_insert((Capacity::ZERO, 0));
                    entry.0 = entry.0.saturating_add(alloc);
                    entry.1 += 1;
                    touched.insert(*id);
                }
            }
            let reserved: Option<Vec<(InstanceId, Capacity)>> = if single {
                let d = &head.demand;
                let mut best: Option<((u64, u64, u64, InstanceId), InstanceId)> = None;
                for id in &touched {
                    let (Some(node), Some((rel, count))) = (self.nodes.get(id), released.get(id))
                    else {
                        continue;
                    };
                    let idle = *count >= node.jobs.len();
                    if (node.exclusive && !idle) || !gpu_ok(d, &head.gpu_kind, &node.gpu_kind) {
                        continue;
                    }
                    let free = node.free.saturating_add(rel);
                    let Some(left) = free.checked_sub(d) else { continue };
                    let key = (left.gpu_milli, left.cpu_milli, left.memory_mib, *id);
                    if best.as_ref().is_none_or(|(b, _)| key < *b) {
                        best = Some((key, *id));
                    }
                }
                best.map(|(_, id)| vec![(id, *d)])
            } else {
                for id in &touched {
                    let (Some(node), Some((_, count))) = (self.nodes.get(id), released.get(id))
                    else {
                        continue;
                    };
                    if *count >= node.jobs.len() {
                        let key = self
                            .types
                            .get_key_value(&type_key(&node.total, &node.gpu_kind))
                            .map(|(k, _)| k);
                        if let Some(key) = key {
                            newly_idle.entry(key).or_default().insert(*id);
                        }
                    }
                }
                self.multi_projected(head, &newly_idle)
            };
            if let Some(reserved) = reserved {
                let mut extra = BTreeMap::new();
                for (id, (rel, _)) in &released {
                    if let Some(node) = self.nodes.get(id) {
                        extra.insert(*id, node.free.saturating_add(rel));
                    }
                }
                for (id, alloc) in &reserved {
                    let free = self.nodes.get(id).map_or(Capacity::ZERO, |n| n.free);
                    let e = extra.entry(*id).or_insert(free);
                    *e = e.saturating_sub(alloc);
                }
                return Some(Reservation { shadow: at, extra });
            }
        }
        None
    }

    /// The multi-node head's nodes once `newly_idle` have joined the idle ones, if enough.
    fn multi_projected(
        &self,
        head: &QueuedJob,
        newly_idle: &BTreeMap<&TypeKey, BTreeSet<InstanceId>>,
    ) -> Option<Vec<(InstanceId, Capacity)>> {
        let mut best: Option<((u64, InstanceId), Placement)> = None;
        for (key, ty) in &self.types {
            if !gpu_ok(&head.demand, &head.gpu_kind, &key.3) {
                continue;
            }
            let total = key_total(key);
            let Some(k) = head.demand.nodes_needed_on(&total) else { continue };
            let empty = BTreeSet::new();
            let extra_idle = newly_idle.get(key).unwrap_or(&empty);
            if ((ty.idle.len() + extra_idle.len()) as u64) < k {
                continue;
            }
            let mut ids: Vec<InstanceId> = ty.idle.union(extra_idle).copied().collect();
            ids.truncate(usize::try_from(k).unwrap_or(usize::MAX));
            let rank = (k, ids[0]);
            if best.as_ref().is_none_or(|(b, _)| rank < *b) {
                best = Some((rank, ids.into_iter().map(|id| (id, total)).collect()));
            }
        }
        best.map(|(_, picked)| picked)
    }

    /// Moves a queued job to running on `place`, and returns its [`Start`].
    fn start(
        &mut self,
        now: SimTime,
        job: QueuedJob,
        mut place: Vec<(InstanceId, Capacity)>,
    ) -> Start {
        place.sort_by_key(|(id, _)| *id);
        self.queue.remove(&(job.submit, job.id));
        self.queued_at.remove(&job.id);
        let exclusive = !self.is_single_node(&job);
        for (id, alloc) in &place {
            self.allocate(job.id, *id, alloc, exclusive);
        }
        let run = RunningJob { job, start: now, nodes: place.clone() };
        self.ends.insert((run.estimated_end(), run.job.id));
        let id = run.job.id;
        self.running.insert(id, run);
        Start { job: id, nodes: place }
    }

    /// Stops a running job, freeing its allocations. A no-op for a job not running.
    fn stop(&mut self, job: JobId) {
        let Some(run) = self.running.remove(&job) else { return };
        self.ends.remove(&(run.estimated_end(), job));
        for (id, alloc) in &run.nodes {
            self.release(job, *id, alloc);
        }
    }

    fn allocate(&mut self, job: JobId, id: InstanceId, alloc: &Capacity, exclusive: bool) {
        let Some(node) = self.nodes.get_mut(&id) else { return };
        if !node.exclusive {
            self.by_free_cpu.remove(&(node.free.cpu_milli, id));
        }
        let was_idle = node.jobs.is_empty();
        debug_assert!(alloc.fits_in(&node.free), "allocation beyond a node's free capacity");
        node.free = node.free.saturating_sub(alloc);
        node.jobs.insert(job);
        node.exclusive = exclusive;
        if !exclusive {
            self.by_free_cpu.insert((node.free.cpu_milli, id));
        }
        self.free = self.free.saturating_sub(alloc);
        if was_idle && let Some(ty) = self.types.get_mut(&type_key(&node.total, &node.gpu_kind)) {
            ty.idle.remove(&id);
        }
    }

    fn release(&mut self, job: JobId, id: InstanceId, alloc: &Capacity) {
        let Some(node) = self.nodes.get_mut(&id) else { return };
        if !node.jobs.remove(&job) {
            return;
        }
        if !node.exclusive {
            self.by_free_cpu.remove(&(node.free.cpu_milli, id));
        }
        node.free = node.free.saturating_add(alloc);
        if node.jobs.is_empty() {
            node.exclusive = false;
            node.free = node.total;
            if let Some(ty) = self.types.get_mut(&type_key(&node.total, &node.gpu_kind)) {
                ty.idle.insert(id);
            }
        }
        if !node.exclusive {
            self.by_free_cpu.insert((node.free.cpu_milli, id));
        }
        self.free = self.free.saturating_add(alloc);
    }
}

/// The GPU kind that restricts a job's nodes: its kind when it asks for GPUs, else none.
fn effective_kind(demand: &Capacity, kind: &Option<GpuKind>) -> Option<GpuKind> {
    if demand.gpu_milli > 0 { kind.clone() } else { None }
}
