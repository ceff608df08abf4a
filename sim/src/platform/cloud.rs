//! The cloud platform: a trace replayed through the engine's [`Controller`] onto the
//! simulated providers of [`crate::cloud`], costed to the micro-dollar.
//!
//! This is the sim driver of DESIGN §2. It owns time and nothing else: the controller decides
//! (sans-IO, `now` is an argument), the providers answer, the driver carries decisions and
//! answers between them and plays each job's runtime.
//!
//! # The loop
//!
//! The next instant is the earliest of: the next arrival, the next job end, a provider's
//! [`Provider::next_due`], the controller's [`Controller::next_wakeup`]. At that instant, in
//! this fixed order: arrivals are submitted, finished attempts reported, every provider polled
//! (in [`Cloud::ALL`] order) and its observations given to the controller; then the
//! controller decides and its actions are carried out (cloud actions to their provider, a
//! `Start` schedules the attempt's end), and the providers are polled again, until a round
//! produces nothing new. The run ends when every job has left and the trace is exhausted,
//! or when nothing is due any more; [`Controller::shutdown`] then fails what still waits
//! (`never_ran`) and terminates every instance, and the ledgers are closed.
//!
//! Ties at one instant are broken by that order and, within a kind, by job id, cloud order
//! and the providers' own timer order, so a run is a function of its inputs and seed.
//!
//! # History
//!
//! Jobs submitted before `history_until` are not replayed: they are given to the controller
//! as history ([`Controller::record_history`]), which is what the static-reservation baseline
//! sizes its reservation from. [`split_history`] cuts a trace so.

use std::collections::BTreeMap;
use std::sync::Arc;

use engine::cloud::{
    Catalog, Cloud, CloudAction, LaunchOption, Observation, Observed, OfferIx, Provider,
    ProviderError, ReservationState,
};
use engine::controller::{Action, Controller, ControllerConfig, ControllerStats};
use engine::fabric::bytes_to_gb;
use engine::ids::{InstanceId, JobId, RequestId, ReservationId};
use engine::policy::Policy;
use engine::shard::Capacity;
use engine::{Job, Money, SimDuration, SimTime};

use super::cost::{Attribution, InstanceLife, ReservationSpan, Segment, attribute};
use super::{EndState, JobOutcome, RunOutcome};
use crate::cloud::{Charge, SimCloudConfig, SimCloudError, SimProvider};
use crate::kernel::rng::RngStreams;
use crate::kernel::{EventLog, EventQueue};
use crate::trace::Trace;

/// Event-log kinds of this platform.
mod kind {
    pub(super) const ARRIVAL: u8 = 0;
    pub(super) const START: u8 = 1;
    pub(super) const FINISH: u8 = 2;
    pub(super) const REJECT: u8 = 3;
    pub(super) const FAIL: u8 = 4;
    pub(super) const INTERRUPT: u8 = 5;
    pub(super) const LAUNCHED: u8 = 6;
    pub(super) const TERMINATED: u8 = 7;
    pub(super) const RESERVATION: u8 = 8;
    pub(super) const REFUSED: u8 = 9;
    pub(super) const TRANSFER: u8 = 10;
    pub(super) const MIGRATE: u8 = 11;
}

/// Rounds of decide-and-carry-out at one instant before the driver calls it a livelock.
const MAX_ROUNDS: u32 = 10_000;

/// How often (in instants) the progress callback is called.
const PROGRESS_EVERY: u64 = 1 << 14;

/// Everything the cloud platform needs besides the trace and the policy.
#[derive(Clone, Debug)]
pub struct CloudPlatform {
    /// The catalog every provider and the policy read.
    pub catalog: Arc<Catalog>,
    /// The offers the policy may use (enabled providers, regions and types).
    pub offers: Vec<OfferIx>,
    /// The simulated clouds' knobs.
    pub sim: SimCloudConfig,
    /// The controller's knobs; `first_window` is where the replay starts.
    pub controller: ControllerConfig,
    /// The scenario seed (the providers' random streams derive from it).
    pub seed: u64,
}

/// Why a cloud run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CloudRunError {
    /// A simulated provider could not be built from the catalog and configuration.
    #[error(transparent)]
    Setup(#[from] SimCloudError),
    /// A provider rejected a request as malformed: a bug in the controller or broker.
    #[error("provider error (a bug; please report it with the scenario): {0}")]
    Provider(#[from] ProviderError),
    /// An egress charge was malformed: a bug in the controller.
    #[error("egress charge refused (a bug; please report it with the scenario): {0}")]
    Egress(#[from] crate::cloud::EgressError),
    /// An action named an instance or reservation no provider reported.
    #[error("the controller addressed {what}, which no provider reported (a bug)")]
    Unaddressed {
        /// What.
        what: String,
    },
    /// The controller and providers kept answering each other at one instant.
    #[error("no progress after {MAX_ROUNDS} rounds at t = {at} (a bug; please report it)")]
    Livelock {
        /// The instant.
        at: SimTime,
    },
}

/// How often the timeline samples the shards.
pub const TIMELINE_STEP: SimDuration = SimDuration::from_hours(1);

/// One shard at one sampled instant (`timeline.parquet`; see `sim::report::timeline`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineRow {
    /// The instant (a multiple of [`TIMELINE_STEP`] after the replay start).
    pub at: SimTime,
    /// The shard, by its offer.
    pub shard: OfferIx,
    /// Instances held, by how they are paid: on demand, spot, reserved.
    pub instances: [u32; 3],
    /// Of those, still booting.
    pub booting: u32,
    /// Booted capacity and what of it is busy.
    pub total: Capacity,
    /// Busy capacity.
    pub busy: Capacity,
    /// Jobs waiting.
    pub queued: usize,
    /// Jobs running.
    pub running: usize,
    /// The list-price rate of the instances held, micro-dollars per hour (on-demand price for
    /// on-demand and reserved instances, the catalog's spot price for spot).
    pub rate_micro_usd_per_h: i64,
}

/// Where a job last ran and what it paid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloudJob {
    /// Where its last attempt ran.
    pub placement: Option<Placement>,
    /// Attempts started.
    pub attempts: u32,
    /// Its part of the bill (see [`super::cost`]).
    pub cost: Money,
    /// Run time of its attempts that were interrupted (instance failure, spot reclaim,
    /// reservation end): compute done and thrown away.
    pub lost: SimDuration,
    /// Per interruption that was followed by another attempt: the time from the
    /// interruption to that attempt's start (the failover latency), in order.
    pub failovers: Vec<SimDuration>,
    /// Interrupted and never started again (failed or still waiting at the end).
    pub unrecovered: bool,
    /// Attempts the rebalancer moved to another shard.
    pub migrations: u32,
    /// Work thrown away by the rebalancer's restarts.
    pub restart_lost: SimDuration,
}

/// Where a job's attempt ran: its shard, and what its first instance was (a fallback may be
/// another type, or in another region, than its shard's offer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The shard, by its offer.
    pub shard: OfferIx,
    /// The first instance's offer.
    pub offer: OfferIx,
    /// How the first instance was paid.
    pub option: LaunchOption,
}

/// A cloud run's result: the common [`RunOutcome`] plus what only clouds have.
#[derive(Clone, Debug)]
pub struct CloudOutcome {
    /// Starts, ends and end states, event count and digest.
    pub run: RunOutcome,
    /// Per job, indexed like the trace.
    pub jobs: Vec<CloudJob>,
    /// Every provider's charges, providers in [`Cloud::ALL`] order.
    pub charges: Vec<Charge>,
    /// The bill shared out.
    pub attribution: Attribution,
    /// Every instance launched: when it was launched and terminated (or the run's end).
    pub instances: BTreeMap<InstanceId, InstanceLife>,
    /// What the controller did.
    pub controller: ControllerStats,
    /// Every shard with instances or queued jobs, sampled every [`TIMELINE_STEP`].
    pub timeline: Vec<TimelineRow>,
    /// The policy's name.
    pub policy: String,
    /// What the policy planned per window (planning policies only), in window order.
    pub plans: Vec<engine::policy::WindowRecord>,
    /// The rebalancer's moves, in order (empty when it is off).
    pub moves: Vec<engine::rebalancer::MoveRecord>,
    /// The reservations not delivered at their start, in order.
    pub undelivered: Vec<engine::controller::Undelivered>,
    /// When the run ended (the ledgers were closed then).
    pub end: SimTime,
}

/// Cuts `trace` at `until`: the jobs submitted before it (history, in submit order) and a
/// trace of the rest with dense ids again (dependencies on history jobs are dropped, the
/// others renumbered).
pub fn split_history(trace: &Trace, until: SimTime) -> (Vec<Job>, Trace) {
    let n = trace.jobs.partition_point(|j| j.submit < until);
    let history = trace.jobs[..n].to_vec();
    let shift = n as u64;
    let jobs = trace.jobs[n..]
        .iter()
        .map(|j| {
            let mut j = j.clone();
            j.id = JobId(j.id.0 - shift);
            j.dependencies = j
                .dependencies
                .iter()
                .filter(|d| d.0 >= shift)
                .map(|d| JobId(d.0 - shift))
                .collect();
            j
        })
        .collect();
    let replay = Trace {
        jobs,
        provenance: trace.provenance.get(n..).map(<[_]>::to_vec).unwrap_or_default(),
        queues: trace.queues.clone(),
        users: trace.users.clone(),
        meta: trace.meta.clone(),
    };
    (history, replay)
}

struct Attempt {
    number: u32,
    start: SimTime,
    instances: Vec<(InstanceId, Capacity)>,
    /// When one of its instances failed silently (health checks on): it computes no more, and
    /// its end never comes; the controller learns of it when the failure is detected.
    dead: Option<SimTime>,
}

struct Driver<'a> {
    trace: &'a Trace,
    start: SimTime,
    catalog: Arc<Catalog>,
    providers: BTreeMap<Cloud, SimProvider>,
    controller: Controller,
    ends: EventQueue<(JobId, u32)>,
    log: EventLog,
    outcomes: Vec<JobOutcome>,
    jobs: Vec<CloudJob>,
    running: BTreeMap<JobId, Attempt>,
    /// Jobs interrupted and not started again yet, with the instant of the interruption.
    interrupted: BTreeMap<JobId, SimTime>,
    segments: Vec<Segment>,
    lives: BTreeMap<InstanceId, InstanceLife>,
    reservation_cloud: BTreeMap<ReservationId, Cloud>,
    request_count: BTreeMap<RequestId, u32>,
    reservation_count: BTreeMap<ReservationId, u32>,
    instance_offer: BTreeMap<InstanceId, OfferIx>,
    spans: BTreeMap<ReservationId, ReservationSpan>,
    timeline: Vec<TimelineRow>,
    left: u64,
}

/// Replays `trace` on `platform` under `policy`; `history` is given to the controller first.
/// `progress` is called now and then with the number of jobs that have left.
pub fn run(
    trace: &Trace,
    history: Vec<Job>,
    platform: &CloudPlatform,
    policy: Box<dyn Policy>,
    progress: &mut dyn FnMut(u64),
) -> Result<CloudOutcome, CloudRunError> {
    let start = platform.controller.first_window;
    let streams = RngStreams::new(platform.seed);
    let mut providers = BTreeMap::new();
    for cloud in Cloud::ALL {
        if platform.catalog.provider(cloud).is_some()
            && platform.offers.iter().any(|o| platform.catalog.offer(*o).cloud == cloud)
        {
            let p = SimProvider::new(
                cloud,
                Arc::clone(&platform.catalog),
                &platform.sim,
                &streams,
                start,
            )?;
            providers.insert(cloud, p);
        }
    }
    let policy_name = policy.name().to_owned();
    let mut controller = Controller::new(
        Arc::clone(&platform.catalog),
        platform.offers.clone(),
        policy,
        platform.controller.clone(),
    );
    let history_jobs = history.len();
    for job in history {
        controller.record_history(job);
    }
    let mut driver = Driver {
        trace,
        start,
        catalog: Arc::clone(&platform.catalog),
        providers,
        controller,
        ends: EventQueue::new(start),
        log: EventLog::new(),
        outcomes: trace
            .jobs
            .iter()
            .map(|j| JobOutcome {
                ready: j.submit,
                first_start: None,
                start: None,
                end: j.submit,
                state: EndState::Failed,
                reason: Some("never_ran"),
            })
            .collect(),
        jobs: vec![CloudJob::default(); trace.jobs.len()],
        running: BTreeMap::new(),
        interrupted: BTreeMap::new(),
        segments: Vec::new(),
        lives: BTreeMap::new(),
        reservation_cloud: BTreeMap::new(),
        request_count: BTreeMap::new(),
        reservation_count: BTreeMap::new(),
        instance_offer: BTreeMap::new(),
        spans: BTreeMap::new(),
        timeline: Vec::new(),
        left: 0,
    };
    let end = driver.replay(start, progress)?;
    let mut outcome = driver.finish(end, policy_name)?;
    if history_jobs > 0 {
        outcome.run.notes.push(format!(
            "{history_jobs} jobs submitted before the replay were given to the policy as \
             history and not replayed"
        ));
    }
    Ok(outcome)
}

impl Driver<'_> {
    fn replay(
        &mut self,
        start: SimTime,
        progress: &mut dyn FnMut(u64),
    ) -> Result<SimTime, CloudRunError> {
        let mut next_arrival = 0usize;
        let mut now = start;
        let mut next_sample = start;
        let mut instants = 0u64;
        if self.trace.jobs.is_empty() {
            self.controller.end_of_trace();
        }
        loop {
            let arrivals_done = next_arrival >= self.trace.jobs.len();
            if arrivals_done && self.controller.unfinished() == 0 {
                break;
            }
            let candidates = [
                self.trace.jobs.get(next_arrival).map(|j| j.submit.max(now)),
                self.ends.peek_time(),
                self.providers.values().filter_map(|p| p.next_due()).min(),
                self.controller.next_wakeup(),
            ];
            // With no arrival, no job running and the controller done planning, provider
            // timers alone (spot reprices, notices of idle instances) cannot move a job.
            let anything_but_providers =
                candidates[0].is_some() || candidates[1].is_some() || candidates[3].is_some();
            if !anything_but_providers {
                break;
            }
            let Some(t) = candidates.into_iter().flatten().min() else { break };
            now = t.max(now);
            // State is constant between instants, so the state before this one is the state
            // at every sample time passed since the last.
            while next_sample <= now {
                self.sample(next_sample);
                next_sample += TIMELINE_STEP;
            }
            instants += 1;
            while let Some(job) = self.trace.jobs.get(next_arrival)
                && job.submit <= now
            {
                self.log.record(now, kind::ARRIVAL, job.id.0);
                self.controller.submit(now, job.clone());
                next_arrival += 1;
                if next_arrival == self.trace.jobs.len() {
                    self.controller.end_of_trace();
                }
            }
            while self.ends.peek_time().is_some_and(|e| e <= now) {
                let Some((_, (job, attempt))) = self.ends.pop() else { break };
                self.attempt_ended(now, job, attempt);
            }
            self.settle(now)?;
            // A controller that still wants waking at an instant it has settled would spin
            // here for ever: a bug, reported rather than hung on.
            if self.controller.next_wakeup().is_some_and(|t| t <= now) {
                return Err(CloudRunError::Livelock { at: now });
            }
            if instants.is_multiple_of(PROGRESS_EVERY) {
                progress(self.left);
            }
        }
        progress(self.left);
        Ok(now)
    }

    /// Polls, decides and carries out until a round produces nothing at `now`.
    fn settle(&mut self, now: SimTime) -> Result<(), CloudRunError> {
        for _ in 0..MAX_ROUNDS {
            let observed = self.poll(now);
            for obs in &observed {
                self.controller.observe(now, obs);
            }
            let actions = self.controller.decide(now);
            if observed.is_empty() && actions.is_empty() {
                return Ok(());
            }
            self.carry_out(now, actions)?;
        }
        Err(CloudRunError::Livelock { at: now })
    }

    /// Records every shard that holds instances or queued jobs at `at`.
    fn sample(&mut self, at: SimTime) {
        let mut by_shard: BTreeMap<OfferIx, ([u32; 3], u32, i64)> = BTreeMap::new();
        for info in self.controller.instances().values() {
            let e = by_shard.entry(info.shard).or_default();
            let offer = self.catalog.offer(info.offer);
            let (slot, usd) = match info.option {
                LaunchOption::OnDemand => (0, offer.on_demand_usd_per_hour),
                LaunchOption::Spot => {
                    (1, offer.spot.map_or(offer.on_demand_usd_per_hour, |s| s.usd_per_hour))
                }
                LaunchOption::Reserved(_) => (2, offer.on_demand_usd_per_hour),
            };
            e.0[slot] += 1;
            e.1 += u32::from(!info.ready);
            e.2 += Money::from_usd(usd).map_or(0, |m| m.0);
        }
        for status in self.controller.shard_status() {
            let (instances, booting, rate) =
                by_shard.get(&status.offer).copied().unwrap_or_default();
            if instances == [0; 3] && status.queued == 0 {
                continue;
            }
            let busy = status.total.checked_sub(&status.free).unwrap_or_default();
            self.timeline.push(TimelineRow {
                at,
                shard: status.offer,
                instances,
                booting,
                total: status.total,
                busy,
                queued: status.queued,
                running: status.running,
                rate_micro_usd_per_h: rate,
            });
        }
    }

    fn poll(&mut self, now: SimTime) -> Vec<Observed> {
        let mut all = Vec::new();
        let mut silent = Vec::new();
        for provider in self.providers.values_mut() {
            all.extend(provider.poll(now));
            silent.extend(provider.take_silent_failures());
        }
        for (instance, at) in silent {
            for a in self.running.values_mut() {
                if a.dead.is_none() && a.instances.iter().any(|(i, _)| *i == instance) {
                    a.dead = Some(at);
                }
            }
        }
        for obs in &all {
            self.track(obs);
        }
        all
    }

    /// Keeps the facts the bill and the routing of actions need.
    fn track(&mut self, obs: &Observed) {
        match &obs.observation {
            Observation::Launched { instance, option, offer, .. } => {
                self.log.record(obs.at, kind::LAUNCHED, instance.0);
                self.instance_offer.insert(*instance, *offer);
                let reservation = match option {
                    LaunchOption::Reserved(r) => Some(*r),
                    _ => None,
                };
                self.lives.insert(
                    *instance,
                    InstanceLife { launched: obs.at, ended: SimTime::MAX, reservation },
                );
            }
            Observation::Terminated { instance, .. } => {
                self.log.record(obs.at, kind::TERMINATED, instance.0);
                if let Some(life) = self.lives.get_mut(instance) {
                    life.ended = obs.at;
                }
            }
            Observation::Reservation { request, reservation, state, .. } => {
                self.log.record(obs.at, kind::RESERVATION, reservation.0);
                self.reservation_cloud.insert(*reservation, obs.cloud);
                if let Some(count) = self.request_count.get(request) {
                    self.reservation_count.insert(*reservation, *count);
                }
                match state {
                    ReservationState::Active => {
                        let count = self.reservation_count.get(reservation).copied().unwrap_or(0);
                        self.spans.entry(*reservation).or_insert(ReservationSpan {
                            count,
                            active_from: obs.at,
                            until: SimTime::MAX,
                        });
                    }
                    ReservationState::Expired | ReservationState::Cancelled => {
                        if let Some(span) = self.spans.get_mut(reservation) {
                            span.until = span.until.min(obs.at);
                        }
                    }
                    _ => {}
                }
            }
            Observation::Refused { request, .. } => {
                self.log.record(obs.at, kind::REFUSED, request.0);
            }
            _ => {}
        }
    }

    fn carry_out(&mut self, now: SimTime, actions: Vec<Action>) -> Result<(), CloudRunError> {
        for action in actions {
            match action {
                Action::Cloud(cloud_action) => {
                    let cloud = self.cloud_of(&cloud_action)?;
                    if let CloudAction::Reserve(r) = &cloud_action {
                        // The provider's reports name the request, not the count.
                        self.request_count.insert(r.request, r.count);
                    }
                    let provider = self.providers.get_mut(&cloud).ok_or_else(|| {
                        CloudRunError::Unaddressed { what: format!("provider {cloud}") }
                    })?;
                    provider.execute(now, &cloud_action)?;
                }
                Action::Start { job, attempt, instances, stage_in, done } => {
                    self.log.record(now, kind::START, job.0);
                    let runtime = self.trace.jobs[job.0 as usize].runtime;
                    let left = SimDuration(runtime.0.saturating_sub(done.0));
                    self.ends.schedule(now + stage_in + left, (job, attempt));
                    let j = &mut self.jobs[job.0 as usize];
                    j.attempts = attempt;
                    j.placement = instances.first().and_then(|(i, _)| {
                        let info = self.controller.instances().get(i)?;
                        Some(Placement {
                            shard: info.shard,
                            offer: info.offer,
                            option: info.option,
                        })
                    });
                    if let Some(at) = self.interrupted.remove(&job) {
                        j.failovers.push(now.saturating_since(at));
                    }
                    if attempt == 1 {
                        // Its parents have all completed by now: ready at the last one's end.
                        let parents = &self.trace.jobs[job.0 as usize].dependencies;
                        let last = parents.iter().map(|p| self.outcomes[p.0 as usize].end).max();
                        let o = &mut self.outcomes[job.0 as usize];
                        o.ready = last.map_or(o.ready, |t| t.max(o.ready));
                    }
                    let o = &mut self.outcomes[job.0 as usize];
                    o.start = Some(now);
                    o.first_start.get_or_insert(now);
                    self.running.insert(
                        job,
                        Attempt { number: attempt, start: now, instances, dead: None },
                    );
                }
                // The provider books it at the same list price the fabric quoted the router.
                Action::Transfer { job, from, to, bytes, .. } => {
                    self.log.record(now, kind::TRANSFER, job.0);
                    let cloud = self.catalog.region(from).cloud;
                    let provider = self.providers.get_mut(&cloud).ok_or_else(|| {
                        CloudRunError::Unaddressed { what: format!("provider {cloud}") }
                    })?;
                    provider.charge_egress(now, from, to, bytes_to_gb(bytes))?;
                }
                Action::Interrupt { job, attempt } => {
                    self.log.record(now, kind::INTERRUPT, job.0);
                    if let Some(a) = self.running.get(&job)
                        && a.number == attempt
                    {
                        // A silent failure stopped it earlier than the controller knows: the
                        // work and the failover both count from the fault.
                        let fault = a.dead.unwrap_or(now);
                        let j = &mut self.jobs[job.0 as usize];
                        j.lost = j.lost + fault.saturating_since(a.start);
                        self.interrupted.insert(job, fault);
                        self.close_attempt(now, job);
                    }
                }
                // The rebalancer moves the attempt: the work a restart throws away is counted
                // as the job's, not as preemption's.
                Action::Migrate { job, attempt, resume } => {
                    self.log.record(now, kind::MIGRATE, job.0);
                    if self.running.get(&job).is_some_and(|a| a.number == attempt) {
                        let j = &mut self.jobs[job.0 as usize];
                        j.migrations += 1;
                        if let engine::rebalancer::Resume::Restart { lost } = resume {
                            j.restart_lost = j.restart_lost + lost;
                        }
                        self.close_attempt(now, job);
                    }
                }
                Action::Reject { job, reason } => {
                    self.log.record(now, kind::REJECT, job.0);
                    self.leave(now, job, EndState::Rejected, Some(reason.as_str()));
                }
                Action::Fail { job, reason } => {
                    self.log.record(now, kind::FAIL, job.0);
                    if self.running.contains_key(&job) {
                        self.close_attempt(now, job);
                    }
                    self.leave(now, job, EndState::Failed, Some(reason.as_str()));
                }
            }
        }
        Ok(())
    }

    fn cloud_of(&self, action: &CloudAction) -> Result<Cloud, CloudRunError> {
        let unaddressed = |what: String| CloudRunError::Unaddressed { what };
        match action {
            CloudAction::Reserve(r) => Ok(self.catalog.offer(r.offer).cloud),
            CloudAction::Launch(l) => Ok(self.catalog.offer(l.offer).cloud),
            CloudAction::Commit(c) => Ok(self.catalog.offer(c.offer).cloud),
            CloudAction::Cancel { reservation, .. } => self
                .reservation_cloud
                .get(reservation)
                .copied()
                .ok_or_else(|| unaddressed(format!("reservation {reservation}"))),
            CloudAction::Terminate { instance, .. } => self
                .instance_offer
                .get(instance)
                .map(|offer| self.catalog.offer(*offer).cloud)
                .ok_or_else(|| unaddressed(format!("instance {instance}"))),
        }
    }

    fn attempt_ended(&mut self, now: SimTime, job: JobId, attempt: u32) {
        if self.running.get(&job).is_none_or(|a| a.number != attempt || a.dead.is_some()) {
            return; // An interrupted attempt's end (already closed), or one on a dead instance.
        }
        self.log.record(now, kind::FINISH, job.0);
        self.close_attempt(now, job);
        self.controller.finished(now, job, attempt);
        self.leave(now, job, EndState::Completed, None);
    }

    fn close_attempt(&mut self, now: SimTime, job: JobId) {
        let Some(attempt) = self.running.remove(&job) else { return };
        for (instance, given) in attempt.instances {
            let Some(info) = self.controller_instance_capacity(instance) else { continue };
            // A GPU instance is shared by GPUs, any other by vCPUs.
            let (part, whole) = if info.gpu_milli > 0 {
                (given.gpu_milli, info.gpu_milli)
            } else {
                (given.cpu_milli, info.cpu_milli)
            };
            let share_ppm = part.saturating_mul(1_000_000).checked_div(whole).unwrap_or(0);
            self.segments.push(Segment {
                job,
                instance,
                share_ppm: share_ppm.min(1_000_000),
                start: attempt.start,
                end: now,
            });
        }
    }

    fn controller_instance_capacity(&self, instance: InstanceId) -> Option<Capacity> {
        let offer = self.instance_offer.get(&instance)?;
        Some(engine::policy::offer_capacity(&self.catalog, *offer))
    }

    fn leave(&mut self, now: SimTime, job: JobId, state: EndState, reason: Option<&'static str>) {
        let o = &mut self.outcomes[job.0 as usize];
        o.end = now;
        o.state = state;
        o.reason = reason;
        self.left += 1;
    }

    fn finish(mut self, end: SimTime, policy: String) -> Result<CloudOutcome, CloudRunError> {
        let actions = self.controller.shutdown(end);
        self.carry_out(end, actions)?;
        let observed = self.poll(end);
        for obs in &observed {
            self.controller.observe(end, obs);
        }
        let mut charges = Vec::new();
        for provider in self.providers.values_mut() {
            provider.close(end)?;
            charges.extend(provider.ledger().charges().iter().cloned());
        }
        for life in self.lives.values_mut() {
            life.ended = life.ended.min(end);
        }
        for span in self.spans.values_mut() {
            span.until = span.until.min(end);
        }
        let attribution = attribute(&charges, &self.lives, &self.spans, &self.segments);
        let instances = std::mem::take(&mut self.lives);
        for (job, cost) in &attribution.per_job {
            self.jobs[job.0 as usize].cost = *cost;
        }
        for job in self.interrupted.keys() {
            self.jobs[job.0 as usize].unrecovered = true;
        }
        let busy: u128 =
            self.segments.iter().map(|s| u128::from(s.end.saturating_since(s.start).0)).sum();
        let run = RunOutcome {
            jobs: self.outcomes,
            start: self.start,
            capacity: 0,
            busy_machine_us: busy,
            events: self.log.events(),
            digest: self.log.digest(),
            notes: Vec::new(),
        };
        Ok(CloudOutcome {
            run,
            jobs: self.jobs,
            charges,
            attribution,
            instances,
            timeline: self.timeline,
            controller: self.controller.stats().clone(),
            plans: {
                let mut plans = self.controller.policy_records().to_vec();
                plans.sort_by_key(|r| r.window);
                plans
            },
            moves: self.controller.moves().to_vec(),
            undelivered: self.controller.undelivered().to_vec(),
            policy,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::import::load_terms;
    use crate::trace::{RawJob, TraceBuilder};
    use engine::cloud::{CatalogFile, CatalogMeta, InstanceType, Offer, Region, SpotOffer};
    use engine::policy::{OnDemand, OnDemandConfig};
    use engine::{Resources, SimDuration};

    /// AWS terms (per-second billing, 60 s minimum, 75 s boot) with one region and one
    /// 4-vCPU type at $0.40/h on demand, $0.12/h spot.
    fn catalog() -> Arc<Catalog> {
        let file = CatalogFile {
            meta: CatalogMeta {
                name: "test".into(),
                prices_date: "2026-11-25".into(),
                sources: vec![],
                notes: vec![],
            },
            providers: vec![load_terms(Cloud::Aws, None).unwrap()],
            regions: vec![Region { cloud: Cloud::Aws, name: "r1".into(), location: None }],
            instance_types: vec![InstanceType {
                cloud: Cloud::Aws,
                name: "m.xlarge".into(),
                vcpus: 4,
                memory_mib: 16_384,
                gpus: 0,
                gpu_kind: None,
            }],
            offers: vec![Offer {
                cloud: Cloud::Aws,
                region: "r1".into(),
                instance_type: "m.xlarge".into(),
                on_demand_usd_per_hour: 0.40,
                spot: Some(SpotOffer { usd_per_hour: 0.12, band: None }),
                discounted_usd_per_hour: BTreeMap::new(),
            }],
        };
        Arc::new(Catalog::new(file).unwrap())
    }

    fn trace(jobs: &[(u64, u64, u64)]) -> Trace {
        let mut builder = TraceBuilder::new("test", "test");
        for (i, &(submit, runtime, vcpus)) in jobs.iter().enumerate() {
            builder.push(RawJob {
                name: i.to_string(),
                submit: SimTime::from_secs(submit),
                runtime: SimDuration::from_secs(runtime),
                resources: Resources {
                    cpu_milli: vcpus * 1000,
                    memory_mib: 1024,
                    ..Resources::default()
                },
                ..RawJob::default()
            });
        }
        builder.finish()
    }

    fn platform(catalog: Arc<Catalog>) -> CloudPlatform {
        let offers = catalog.offer_ids().collect();
        CloudPlatform {
            catalog,
            offers,
            sim: SimCloudConfig { failure_rate_per_hour: 0.0, ..SimCloudConfig::default() },
            controller: ControllerConfig {
                first_window: SimTime(0),
                window: SimDuration::from_hours(168),
                lead: SimDuration::from_hours(24),
                tick: SimDuration::from_secs(60),
                scheduler: engine::shard::Policy::Fifo,
                max_attempts: 3,
                budget: None,
                drain_windows: 1,
                routing: Default::default(),
                rebalance: Default::default(),
            },
            seed: 1,
        }
    }

    #[test]
    fn on_demand_replay_by_hand() {
        // One 4-vCPU job at t = 0 running 3,600 s. The first decision (t = 0) plans the window
        // and scales: one instance is launched at t = 0 and boots in 75 s (AWS terms), so the
        // job starts at 75 s and ends at 3,675 s. The instance idles from then; with a 300 s
        // idle timeout and a 60 s tick it is let go at the first tick at or after
        // 3,675 + 300 = 3,975 s, i.e. t = 4,020 s (ticks fall on multiples of 60 s).
        // Billed per second: 4,020 s × $0.40/h = $0.446667 (446 667 µ$). The job held the
        // whole instance for 3,600 of its 4,020 s: 446 667 × 3600/4020 = 400 000 µ$ (rounded
        // down); idle the remaining 46 667 µ$.
        let catalog = catalog();
        let t = trace(&[(0, 3600, 4)]);
        let policy = Box::new(OnDemand::new(OnDemandConfig::default()));
        let out = run(&t, vec![], &platform(catalog), policy, &mut |_| {}).unwrap();
        let job = out.run.jobs[0];
        assert_eq!(job.state, EndState::Completed);
        assert_eq!(job.start, Some(SimTime::from_secs(75)));
        assert_eq!(job.end, SimTime::from_secs(3675));
        let total: i64 = out.charges.iter().map(|c| c.amount.0).sum();
        assert_eq!(total, 408_333);
        assert_eq!(out.jobs[0].cost, Money(399_999));
        assert_eq!(out.attribution.idle, Money(8_334));
        // Hourly samples from t = 0: at 0 nothing is held yet (the state before the first
        // events); at 3,600 s the shard holds the one booted on-demand instance, its 4 vCPUs
        // all busy with the job, at $0.40/h. The run ends at 3,675 s, before the next sample.
        assert_eq!(out.timeline.len(), 1);
        let row = &out.timeline[0];
        assert_eq!((row.at, row.instances, row.booting), (SimTime::from_secs(3600), [1, 0, 0], 0));
        assert_eq!((row.total.cpu_milli, row.busy.cpu_milli), (4000, 4000));
        assert_eq!((row.queued, row.running, row.rate_micro_usd_per_h), (0, 1, 400_000));
    }

    #[test]
    fn a_spot_storm_interrupts_and_the_failover_is_measured_by_hand() {
        // One 4-vCPU job at t = 0 running 7,200 s on spot. It starts at 75 s (boot), as in
        // `on_demand_replay_by_hand`. A storm in r1 at 1 h (reclaim 1) gives the instance its
        // 120 s notice: it ends at 3,720 s and the job is interrupted, 3,645 s of work lost.
        // Spot in r1 is refused until 1.5 h = 5,400 s; the ticks at 3,720 s … 5,340 s fail,
        // the tick at 5,400 s launches, the instance boots at 5,475 s and the second attempt
        // starts then: a failover latency of 5,475 − 3,720 = 1,755 s. It ends at 12,675 s.
        let catalog = catalog();
        let t = trace(&[(0, 7200, 4)]);
        let mut platform = platform(catalog);
        platform.sim.spot_storms.push(crate::cloud::SpotStorm {
            region: "r1".into(),
            start_h: 1.0,
            hours: 0.5,
            reclaim: 1.0,
        });
        let config = OnDemandConfig { spot: true, ..OnDemandConfig::default() };
        let out = run(&t, vec![], &platform, Box::new(OnDemand::new(config)), &mut |_| {}).unwrap();
        let job = out.run.jobs[0];
        assert_eq!(job.state, EndState::Completed);
        assert_eq!(job.first_start, Some(SimTime::from_secs(75)));
        assert_eq!(job.start, Some(SimTime::from_secs(5475)));
        assert_eq!(job.end, SimTime::from_secs(12_675));
        let cj = &out.jobs[0];
        assert_eq!(cj.attempts, 2);
        assert_eq!(cj.lost, SimDuration::from_secs(3645));
        assert_eq!(cj.failovers, [SimDuration::from_secs(1755)]);
        assert!(!cj.unrecovered);
        assert_eq!(out.controller.interruptions, 1);
    }

    #[test]
    fn a_silent_failure_is_detected_by_missed_heartbeats_and_billed_until_then() {
        // Heartbeats every 30 s from launch, 3 missed: an instance failing at f is declared
        // failed at launch + ⌊(f − launch) / 30⌋ · 30 + 90 s, so 60 to 90 s after the fault.
        // Until then it is billed and its job computes nothing; the job's lost work and its
        // failover latency count from the fault. (The failure time is drawn, so the first seed
        // whose first attempt fails is taken; f = the attempt's start + the work lost.)
        let catalog = catalog();
        let t = trace(&[(0, 7200, 4)]);
        let mut platform = platform(catalog);
        platform.sim.failure_rate_per_hour = 0.5;
        platform.sim.health = Some(crate::cloud::HealthChecks { heartbeat_s: 30, missed: 3 });
        let policy = || Box::new(OnDemand::new(OnDemandConfig::default()));
        let (out, seed) = (1..=40)
            .map(|seed| {
                platform.seed = seed;
                (run(&t, vec![], &platform, policy(), &mut |_| {}).unwrap(), seed)
            })
            .find(|(out, _)| out.jobs[0].attempts >= 2)
            .expect("some seed fails the first attempt");
        let cj = &out.jobs[0];
        let first_start = out.run.jobs[0].first_start.expect("started");
        let fault = first_start + cj.lost;
        let (first_instance, life) = out.instances.iter().next().expect("an instance");
        let launched = life.launched;
        let beat = SimDuration::from_secs(30).as_micros();
        let last = launched.0 + fault.saturating_since(launched).as_micros() / beat * beat;
        assert_eq!(life.ended, SimTime(last + 3 * beat), "seed {seed}, {first_instance}");
        let detection = life.ended.saturating_since(fault);
        assert!((60..=90).contains(&detection.as_secs()), "{detection:?}");
        assert!(cj.failovers[0] >= detection, "failover counts from the fault");
        assert_eq!(out.controller.terminated.get("failure"), Some(&1), "seed {seed}");
    }

    #[test]
    fn a_child_starts_after_its_parent_and_a_failed_parent_fails_its_children() {
        // Job 1 depends on job 0 (3,600 s from t = 0, so it ends at 3,675 s, as in
        // `on_demand_replay_by_hand`); submitted at 60 s, job 1 is ready only at 3,675 s and
        // starts then, on the instance job 0 left idle: a wait of 0 from ready, on the same
        // shard (one local edge, nothing staged). Job 2 asks for a GPU (no offer: rejected);
        // job 3 depends on it and fails `dependency_failed`, and so does job 4, which depends
        // on job 3.
        let catalog = catalog();
        let mut t = trace(&[(0, 3600, 4), (60, 600, 4), (70, 60, 1), (80, 60, 1), (90, 60, 1)]);
        t.jobs[1].dependencies = vec![JobId(0)];
        t.jobs[1].output_bytes = 0;
        t.jobs[0].output_bytes = 5_000_000_000;
        t.jobs[2].resources.gpu_milli = 1000;
        t.jobs[3].dependencies = vec![JobId(2)];
        t.jobs[4].dependencies = vec![JobId(3), JobId(0)];
        let policy = Box::new(OnDemand::new(OnDemandConfig::default()));
        let out = run(&t, vec![], &platform(catalog), policy, &mut |_| {}).unwrap();
        let o = &out.run.jobs;
        assert_eq!(o[0].end, SimTime::from_secs(3675));
        assert_eq!(o[1].ready, SimTime::from_secs(3675));
        assert_eq!(o[1].first_start, Some(SimTime::from_secs(3675)));
        assert_eq!(o[1].wait(), Some(SimDuration::ZERO));
        assert_eq!(o[1].end, SimTime::from_secs(4275));
        assert_eq!((o[2].state, o[2].reason), (EndState::Rejected, Some("no_offer")));
        for j in [3, 4] {
            assert_eq!((o[j].state, o[j].reason), (EndState::Failed, Some("dependency_failed")));
        }
        assert_eq!(out.controller.edges, BTreeMap::from([("local".to_owned(), 1)]));
        assert_eq!(out.controller.transfer_bytes, 0);
        assert!(!out.charges.iter().any(|c| c.kind == crate::cloud::ChargeKind::Egress));
    }

    #[test]
    fn every_job_ends_and_the_bill_adds_up() {
        // A GPU job has no offer and is rejected (no_offer); the others complete, the
        // 64-vCPU one across 16 instances.
        let catalog = catalog();
        let mut t = trace(&[(0, 600, 2), (10, 600, 4), (20, 100, 64), (30, 1200, 1), (40, 60, 1)]);
        t.jobs[4].resources.gpu_milli = 1000;
        let policy = Box::new(OnDemand::new(OnDemandConfig::default()));
        let out = run(&t, vec![], &platform(catalog), policy, &mut |_| {}).unwrap();
        let states: Vec<EndState> = out.run.jobs.iter().map(|j| j.state).collect();
        assert_eq!(
            states,
            [
                EndState::Completed,
                EndState::Completed,
                EndState::Completed,
                EndState::Completed,
                EndState::Rejected
            ]
        );
        assert_eq!(out.run.jobs[4].reason, Some("no_offer"));
        let total: i64 = out.charges.iter().map(|c| c.amount.0).sum();
        let jobs: i64 = out.jobs.iter().map(|j| j.cost.0).sum();
        assert_eq!(jobs + out.attribution.idle.0, total);
    }
}
