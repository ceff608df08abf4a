//! Test support shared by `engine/tests/broker.rs` and `engine/tests/controller.rs`:
//!
//! - [`catalog`]: a tiny hand-written catalog (two clouds, three regions, four offers) whose
//!   prices make every ranking easy to derive by hand;
//! - [`FakeProvider`]: a deterministic, scriptable [`Provider`] (capacity per offer, refusals
//!   per offer, boot delay, injected interruptions) that records every action it was sent;
//! - [`Harness`]: a minimal event loop driving a [`Controller`] with fake providers, the way
//!   the simulator's driver does (arrivals, provider reports, job ends, then `decide`).

#![allow(dead_code, reason = "each test binary uses a different part of the support code")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use engine::cloud::{
    Billing, Cancellation, Catalog, CatalogFile, CatalogMeta, Cloud, CloudAction, Egress,
    EndBehaviour, InstanceType, InterruptionBand, LaunchOption, Observation, Observed, Offer,
    OfferIx, ProductKind, ProductTerms, Provider, ProviderError, ProviderTerms, Refusal, Region,
    ReservationPrice, ReservationState, SpotOffer, SpotTerms, TerminationReason,
};
use engine::controller::{Action, Controller, FailReason};
use engine::{InstanceId, Job, JobId, QueueId, RequestId, ReservationId, Resources};
use engine::{SimDuration, SimTime, UserId};

/// Offer 0: AWS us-east-1 c5.xlarge, 4 vCPU, $0.20/h = $0.0500 per vCPU-hour (the best).
pub(crate) const AWS_EAST_C5: OfferIx = OfferIx(0);
/// Offer 1: AWS us-east-1 m5.xlarge, 4 vCPU, $0.22/h = $0.0550 per vCPU-hour (same region).
pub(crate) const AWS_EAST_M5: OfferIx = OfferIx(1);
/// Offer 2: AWS us-west-2 c5.xlarge, 4 vCPU, $0.24/h = $0.0600 per vCPU-hour (other region).
pub(crate) const AWS_WEST_C5: OfferIx = OfferIx(2);
/// Offer 3: GCP us-central1 n2-standard-4, 4 vCPU, $0.28/h = $0.0700 per vCPU-hour (other
/// provider).
pub(crate) const GCP_N2: OfferIx = OfferIx(3);

/// The on-demand prices of offers 0..=3, USD per hour.
pub(crate) const PRICES: [f64; 4] = [0.20, 0.22, 0.24, 0.28];

fn provider_terms(cloud: Cloud) -> ProviderTerms {
    ProviderTerms {
        cloud,
        billing: Billing { granularity_s: 1, minimum_s: 60 },
        boot_delay_s: 60,
        egress: Egress {
            same_region_usd_per_gb: 0.01,
            inter_region_usd_per_gb: 0.02,
            internet_usd_per_gb: 0.09,
        },
        spot: SpotTerms {
            notice_s: if cloud == Cloud::Aws { 120 } else { 30 },
            default_band: InterruptionBand::From5To10,
            price_volatility: 0.0,
            reprice_interval_s: 3600,
        },
        products: vec![
            ProductTerms {
                kind: ProductKind::CapacityReservation,
                name: "ODCR".into(),
                min_lead_s: 0,
                max_lead_s: 365 * 86_400,
                assessment_s: 0,
                unsupported_probability: 0.0,
                min_duration_s: 3600,
                duration_grid_h: vec![],
                max_count: 1000,
                min_vcpus: 0,
                cancellation: Cancellation::Anytime,
                price: ReservationPrice::OnDemand,
                upfront: false,
                end: EndBehaviour::Release,
                gpu_only: false,
            },
            ProductTerms {
                kind: ProductKind::CapacityBlock,
                name: "block".into(),
                min_lead_s: 0,
                max_lead_s: 56 * 86_400,
                assessment_s: 0,
                unsupported_probability: 0.0,
                min_duration_s: 86_400,
                duration_grid_h: vec![],
                max_count: 64,
                min_vcpus: 0,
                cancellation: Cancellation::Never,
                // Blocks cost 1.5× on demand: easy to tell apart from a capacity reservation.
                price: ReservationPrice::OnDemandMultiple(1.5),
                upfront: true,
                end: EndBehaviour::TerminateBefore { secs: 1800 },
                gpu_only: false,
            },
        ],
        discounts: vec![],
    }
}

fn instance_type(cloud: Cloud, name: &str, memory_mib: u64) -> InstanceType {
    InstanceType { cloud, name: name.into(), vcpus: 4, memory_mib, gpus: 0, gpu_kind: None }
}

fn offer(cloud: Cloud, region: &str, ty: &str, usd: f64, spot: Option<f64>) -> Offer {
    Offer {
        cloud,
        region: region.into(),
        instance_type: ty.into(),
        on_demand_usd_per_hour: usd,
        spot: spot.map(|usd_per_hour| SpotOffer { usd_per_hour, band: None }),
        discounted_usd_per_hour: BTreeMap::new(),
    }
}

/// The test catalog (see the offer constants for its four offers).
pub(crate) fn catalog() -> Arc<Catalog> {
    let region = |cloud, name: &str| Region { cloud, name: name.into(), location: None };
    let file = CatalogFile {
        meta: CatalogMeta {
            name: "test".into(),
            prices_date: "2026-05-20".into(),
            ..Default::default()
        },
        providers: vec![provider_terms(Cloud::Aws), provider_terms(Cloud::Gcp)],
        regions: vec![
            region(Cloud::Aws, "us-east-1"),
            region(Cloud::Aws, "us-west-2"),
            region(Cloud::Gcp, "us-central1"),
        ],
        instance_types: vec![
            instance_type(Cloud::Aws, "c5.xlarge", 8192),
            instance_type(Cloud::Aws, "m5.xlarge", 16_384),
            instance_type(Cloud::Gcp, "n2-standard-4", 16_384),
        ],
        offers: vec![
            offer(Cloud::Aws, "us-east-1", "c5.xlarge", PRICES[0], Some(0.08)),
            offer(Cloud::Aws, "us-east-1", "m5.xlarge", PRICES[1], Some(0.09)),
            offer(Cloud::Aws, "us-west-2", "c5.xlarge", PRICES[2], Some(0.10)),
            offer(Cloud::Gcp, "us-central1", "n2-standard-4", PRICES[3], Some(0.12)),
        ],
    };
    Arc::new(Catalog::new(file).expect("the test catalog is valid"))
}

/// Every offer of the test catalog, in file order.
pub(crate) fn all_offers() -> Vec<OfferIx> {
    (0..4).map(OfferIx).collect()
}

/// `h` hours after the epoch.
pub(crate) fn hours(h: u64) -> SimTime {
    SimTime::from_secs(h * 3600)
}

/// `s` seconds after the epoch.
pub(crate) fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

/// A CPU job of `vcpus` vCPUs and 1 GiB per vCPU, submitted at `submit`, running `runtime`.
pub(crate) fn cpu_job(id: u64, submit: SimTime, vcpus: u64, runtime: SimDuration) -> Job {
    Job {
        id: JobId(id),
        submit,
        runtime,
        requested_runtime: None,
        queue: QueueId(0),
        user: UserId(0),
        resources: Resources {
            cpu_milli: vcpus * 1000,
            memory_mib: vcpus * 1024,
            gpu_milli: 0,
            gpu_kind: None,
        },
        dependencies: vec![],
        output_bytes: 0,
        status: engine::JobStatus::Completed,
    }
}

/// A job asking for one GPU: no offer of the test catalog has one.
pub(crate) fn gpu_job(id: u64, submit: SimTime) -> Job {
    let mut job = cpu_job(id, submit, 1, SimDuration::from_secs(600));
    job.resources.gpu_milli = 1000;
    job
}

#[derive(Clone, Debug)]
struct FakeReservation {
    offer: OfferIx,
    /// For a capacity block: when its instances are terminated (30 minutes before its end).
    cutoff: Option<SimTime>,
    count: u32,
    state: ReservationState,
    used: BTreeSet<InstanceId>,
}

#[derive(Clone, Debug)]
struct FakeInstance {
    offer: OfferIx,
    option: LaunchOption,
    alive: bool,
}

/// A deterministic, scriptable provider for one cloud.
///
/// - Capacity: `capacity[offer]` instances of an offer may run on demand or spot at once
///   (unset: unlimited); a launch that does not fit is refused whole
///   (`InsufficientCapacity`). A reservation holds its count out of the same supply.
/// - Refusals: `refuse_launch[offer]` / `refuse_reserve[offer]` refuse every such request.
/// - Reservations are scheduled at once, active at their start (or at once if it has passed),
///   expired at their end; with `reservation_delay`, `delayed` at their start and active that
///   much later.
/// - Instances report `Launched` at once and `Ready` after `boot_delay`.
/// - [`FakeProvider::interrupt`] injects a `Notice` and a `Terminated(SpotInterruption)`.
/// - A repeated request id is answered by nothing new: the first answer stands.
pub(crate) struct FakeProvider {
    pub(crate) cloud: Cloud,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) capacity: BTreeMap<OfferIx, u32>,
    pub(crate) refuse_launch: BTreeMap<OfferIx, Refusal>,
    pub(crate) refuse_reserve: BTreeMap<OfferIx, Refusal>,
    pub(crate) boot_delay: SimDuration,
    /// When set, every spot instance is interrupted this long after its launch (with a 30 s
    /// notice).
    pub(crate) spot_lifetime: Option<SimDuration>,
    /// When set, every reservation is `delayed` at its start and active this much later.
    pub(crate) reservation_delay: Option<SimDuration>,
    /// Every action received, in order, duplicates included.
    pub(crate) received: Vec<(SimTime, CloudAction)>,
    /// Actions carried out (first sight of their request id).
    pub(crate) executed: Vec<(SimTime, CloudAction)>,
    /// Requests refused.
    pub(crate) refused: BTreeSet<RequestId>,
    seen: BTreeSet<RequestId>,
    queue: BTreeMap<(SimTime, u64), Observation>,
    seq: u64,
    next_instance: u64,
    next_reservation: u64,
    instances: BTreeMap<InstanceId, FakeInstance>,
    reservations: BTreeMap<ReservationId, FakeReservation>,
}

impl FakeProvider {
    /// A provider for `cloud` with unlimited capacity, no refusals and a 60 s boot.
    pub(crate) fn new(cloud: Cloud, catalog: Arc<Catalog>) -> FakeProvider {
        // Ids are unique across clouds: the cloud's position in `Cloud::ALL` is the top digit.
        let base = 1_000_000 * (Cloud::ALL.iter().position(|c| *c == cloud).unwrap_or(0) as u64);
        FakeProvider {
            cloud,
            catalog,
            capacity: BTreeMap::new(),
            refuse_launch: BTreeMap::new(),
            refuse_reserve: BTreeMap::new(),
            boot_delay: SimDuration::from_secs(60),
            spot_lifetime: None,
            reservation_delay: None,
            received: vec![],
            executed: vec![],
            refused: BTreeSet::new(),
            seen: BTreeSet::new(),
            queue: BTreeMap::new(),
            seq: 0,
            next_instance: base + 1,
            next_reservation: base + 1,
            instances: BTreeMap::new(),
            reservations: BTreeMap::new(),
        }
    }

    fn push(&mut self, at: SimTime, observation: Observation) {
        self.queue.insert((at, self.seq), observation);
        self.seq += 1;
    }

    fn refuse(&mut self, now: SimTime, request: RequestId, refusal: Refusal) {
        self.refused.insert(request);
        self.push(now, Observation::Refused { request, refusal });
    }

    /// Instances of `offer` holding supply now: running (not reserved) ones and reservations'
    /// held counts.
    fn in_use(&self, offer: OfferIx) -> u32 {
        let running = self
            .instances
            .values()
            .filter(|i| {
                i.alive && i.offer == offer && !matches!(i.option, LaunchOption::Reserved(_))
            })
            .count() as u32;
        let held: u32 = self
            .reservations
            .values()
            .filter(|r| r.offer == offer && !r.state.is_terminal())
            .map(|r| r.count)
            .sum();
        running + held
    }

    fn fits(&self, offer: OfferIx, count: u32) -> bool {
        self.capacity.get(&offer).is_none_or(|cap| self.in_use(offer) + count <= *cap)
    }

    /// Injects a spot interruption of `instance`: a notice at `notice_at`, gone at `at`.
    pub(crate) fn interrupt(&mut self, instance: InstanceId, notice_at: SimTime, at: SimTime) {
        self.push(
            notice_at,
            Observation::Notice { instance, at, reason: TerminationReason::SpotInterruption },
        );
        self.push(
            at,
            Observation::Terminated { instance, reason: TerminationReason::SpotInterruption },
        );
    }

    /// How many `Launch` actions were carried out (first sight of their request ids).
    pub(crate) fn launches(&self) -> usize {
        self.executed.iter().filter(|(_, a)| matches!(a, CloudAction::Launch(_))).count()
    }

    /// Instances alive now.
    pub(crate) fn alive(&self) -> Vec<InstanceId> {
        self.instances.iter().filter(|(_, i)| i.alive).map(|(id, _)| *id).collect()
    }

    /// The offer and payment of an instance this provider launched.
    pub(crate) fn instance(&self, id: InstanceId) -> Option<(OfferIx, LaunchOption, bool)> {
        self.instances.get(&id).map(|i| (i.offer, i.option, i.alive))
    }
}

impl Provider for FakeProvider {
    fn cloud(&self) -> Cloud {
        self.cloud
    }

    fn execute(&mut self, now: SimTime, action: &CloudAction) -> Result<(), ProviderError> {
        self.received.push((now, action.clone()));
        let offer_of = |a: &CloudAction| match a {
            CloudAction::Reserve(r) => Some(r.offer),
            CloudAction::Launch(l) => Some(l.offer),
            CloudAction::Commit(c) => Some(c.offer),
            _ => None,
        };
        if let Some(offer) = offer_of(action)
            && (offer.index() >= self.catalog.offers().len()
                || self.catalog.offer(offer).cloud != self.cloud)
        {
            return Err(ProviderError::UnknownOffer { cloud: self.cloud, offer });
        }
        let request = action.request();
        if !self.seen.insert(request) {
            // A retry: the first answer stands, nothing is bought twice.
            return Ok(());
        }
        self.executed.push((now, action.clone()));
        match action {
            CloudAction::Reserve(r) => {
                if let Some(refusal) = self.refuse_reserve.get(&r.offer) {
                    self.refuse(now, request, *refusal);
                    return Ok(());
                }
                if !self.fits(r.offer, r.count) {
                    let refusal = Refusal::InsufficientCapacity;
                    self.refuse(now, request, refusal);
                    return Ok(());
                }
                let id = ReservationId(self.next_reservation);
                self.next_reservation += 1;
                self.reservations.insert(
                    id,
                    FakeReservation {
                        offer: r.offer,
                        cutoff: (r.product == ProductKind::CapacityBlock).then(|| {
                            let end = r.start.max(now) + r.duration;
                            SimTime(end.0.saturating_sub(1_800_000_000))
                        }),
                        count: r.count,
                        state: ReservationState::Scheduled,
                        used: BTreeSet::new(),
                    },
                );
                let reservation = |state| Observation::Reservation {
                    request,
                    reservation: id,
                    state,
                    refusal: None,
                };
                self.push(now, reservation(ReservationState::Scheduled));
                let start = r.start.max(now);
                if let Some(delay) = self.reservation_delay {
                    self.push(start, reservation(ReservationState::Delayed));
                    self.push(start + delay, reservation(ReservationState::Active));
                } else {
                    self.push(start, reservation(ReservationState::Active));
                }
                self.push(r.start.max(now) + r.duration, reservation(ReservationState::Expired));
            }
            CloudAction::Launch(l) => {
                let refusal = match l.option {
                    LaunchOption::Reserved(id) => match self.reservations.get(&id) {
                        None => {
                            return Err(ProviderError::UnknownReservation {
                                cloud: self.cloud,
                                reservation: id,
                            });
                        }
                        Some(r) if r.state != ReservationState::Active || r.offer != l.offer => {
                            Some(Refusal::ReservationNotUsable)
                        }
                        Some(r) if r.used.len() as u32 + l.count > r.count => {
                            Some(Refusal::ReservationFull)
                        }
                        Some(_) => None,
                    },
                    LaunchOption::OnDemand | LaunchOption::Spot => {
                        self.refuse_launch.get(&l.offer).copied().or_else(|| {
                            (!self.fits(l.offer, l.count)).then_some(Refusal::InsufficientCapacity)
                        })
                    }
                };
                if let Some(refusal) = refusal {
                    self.refuse(now, request, refusal);
                    return Ok(());
                }
                let ready_at = now + self.boot_delay;
                for _ in 0..l.count {
                    let instance = InstanceId(self.next_instance);
                    self.next_instance += 1;
                    self.instances.insert(
                        instance,
                        FakeInstance { offer: l.offer, option: l.option, alive: true },
                    );
                    if let LaunchOption::Reserved(id) = l.option
                        && let Some(r) = self.reservations.get_mut(&id)
                    {
                        r.used.insert(instance);
                        if let Some(cutoff) = r.cutoff {
                            // A capacity block's instances go 30 minutes before its end.
                            let reason = TerminationReason::ReservationEnded;
                            self.push(
                                now,
                                Observation::Notice { instance, at: cutoff.max(now), reason },
                            );
                            self.push(
                                cutoff.max(now),
                                Observation::Terminated { instance, reason },
                            );
                        }
                    }
                    self.push(
                        now,
                        Observation::Launched {
                            request,
                            instance,
                            offer: l.offer,
                            option: l.option,
                            ready_at,
                        },
                    );
                    self.push(ready_at, Observation::Ready { instance });
                    if let (LaunchOption::Spot, Some(life)) = (l.option, self.spot_lifetime) {
                        let at = now + life;
                        let notice = SimTime(at.0.saturating_sub(30_000_000).max(now.0));
                        self.interrupt(instance, notice, at);
                    }
                }
            }
            CloudAction::Terminate { instance, .. } => {
                let Some(i) = self.instances.get_mut(instance) else {
                    return Err(ProviderError::UnknownInstance {
                        cloud: self.cloud,
                        instance: *instance,
                    });
                };
                if i.alive {
                    i.alive = false;
                    if let LaunchOption::Reserved(id) = i.option
                        && let Some(r) = self.reservations.get_mut(&id)
                    {
                        r.used.remove(instance);
                    }
                    self.push(
                        now,
                        Observation::Terminated {
                            instance: *instance,
                            reason: TerminationReason::Requested,
                        },
                    );
                }
            }
            CloudAction::Cancel { reservation, .. } => {
                let Some(r) = self.reservations.get_mut(reservation) else {
                    return Err(ProviderError::UnknownReservation {
                        cloud: self.cloud,
                        reservation: *reservation,
                    });
                };
                if r.state.is_terminal() {
                    let refusal = Refusal::ReservationNotUsable;
                    self.refuse(now, request, refusal);
                } else {
                    r.state = ReservationState::Cancelled;
                    self.push(
                        now,
                        Observation::Reservation {
                            request,
                            reservation: *reservation,
                            state: ReservationState::Cancelled,
                            refusal: None,
                        },
                    );
                }
            }
            CloudAction::Commit(_) => self.push(now, Observation::Committed { request }),
        }
        Ok(())
    }

    fn poll(&mut self, now: SimTime) -> Vec<Observed> {
        let mut out = vec![];
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((at, _), observation) = entry.remove_entry();
            // Keep the fake's own view in step with what it reports.
            match &observation {
                Observation::Reservation { reservation, state, .. } => {
                    let Some(r) = self.reservations.get_mut(reservation) else { continue };
                    if r.state == ReservationState::Cancelled && *state != r.state {
                        // Cancelled before its scheduled transitions: drop them.
                        continue;
                    }
                    r.state = *state;
                }
                Observation::Terminated { instance, reason } => {
                    let Some(i) = self.instances.get_mut(instance) else { continue };
                    if !i.alive && *reason != TerminationReason::Requested {
                        // Terminated on request before an injected interruption: already gone.
                        continue;
                    }
                    i.alive = false;
                    if let LaunchOption::Reserved(id) = i.option
                        && let Some(r) = self.reservations.get_mut(&id)
                    {
                        r.used.remove(instance);
                    }
                }
                Observation::Ready { instance } | Observation::Notice { instance, .. }
                    if self.instances.get(instance).is_some_and(|i| !i.alive) =>
                {
                    continue;
                }
                _ => {}
            }
            out.push(Observed { at, cloud: self.cloud, observation });
        }
        out
    }

    fn next_due(&self) -> Option<SimTime> {
        self.queue.keys().next().map(|(at, _)| *at)
    }

    fn spot_price(&self, _now: SimTime, offer: OfferIx) -> Option<f64> {
        self.catalog.offer(offer).spot.map(|s| s.usd_per_hour)
    }
}

/// How a job ended in a [`Harness`] run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Finished at this time on this attempt.
    Completed { at: SimTime, attempt: u32 },
    /// Failed or rejected, with the reason.
    Failed { at: SimTime, reason: FailReason, rejected: bool },
}

/// A minimal driver: the simulator's loop, over fake providers.
pub(crate) struct Harness {
    pub(crate) ctl: Controller,
    pub(crate) providers: Vec<FakeProvider>,
    pub(crate) now: SimTime,
    arrivals: BTreeMap<(SimTime, JobId), Job>,
    /// Running attempts: job → (attempt, end, instances).
    pub(crate) running: BTreeMap<JobId, (u32, SimTime, Vec<InstanceId>)>,
    /// How each job ended.
    pub(crate) outcomes: BTreeMap<JobId, Outcome>,
    /// Every action the controller returned, with when.
    pub(crate) actions: Vec<(SimTime, Action)>,
    /// Every observation delivered to the controller.
    pub(crate) observed: Vec<Observed>,
    /// Every `decide` call's time.
    pub(crate) decisions: Vec<SimTime>,
    runtimes: BTreeMap<JobId, SimDuration>,
    trace_ended: bool,
}

impl Harness {
    /// A harness over `ctl` with one fake provider per cloud of the catalog.
    pub(crate) fn new(ctl: Controller, catalog: &Arc<Catalog>) -> Harness {
        let providers = catalog
            .providers()
            .iter()
            .map(|p| FakeProvider::new(p.cloud, catalog.clone()))
            .collect();
        Harness {
            ctl,
            providers,
            now: SimTime::EPOCH,
            arrivals: BTreeMap::new(),
            running: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            actions: vec![],
            observed: vec![],
            decisions: vec![],
            runtimes: BTreeMap::new(),
            trace_ended: false,
        }
    }

    /// The fake provider of `cloud`.
    pub(crate) fn provider(&mut self, cloud: Cloud) -> &mut FakeProvider {
        self.providers.iter_mut().find(|p| p.cloud == cloud).expect("a provider per cloud")
    }

    /// Jobs to submit at their `submit` times.
    pub(crate) fn add_jobs(&mut self, jobs: impl IntoIterator<Item = Job>) {
        for job in jobs {
            self.arrivals.insert((job.submit, job.id), job);
        }
    }

    fn next_time(&self) -> Option<SimTime> {
        let arrival = self.arrivals.keys().next().map(|(t, _)| *t);
        let due = self.providers.iter().filter_map(|p| p.next_due()).min();
        let end = self.running.values().map(|(_, end, _)| *end).min();
        [arrival, due, end, self.ctl.next_wakeup()].into_iter().flatten().min()
    }

    fn carry_out(&mut self, now: SimTime, actions: Vec<Action>) {
        for action in actions {
            self.actions.push((now, action.clone()));
            match action {
                Action::Cloud(cloud_action) => {
                    let cloud = match &cloud_action {
                        CloudAction::Reserve(r) => self.providers[0].catalog.offer(r.offer).cloud,
                        CloudAction::Launch(l) => self.providers[0].catalog.offer(l.offer).cloud,
                        CloudAction::Commit(c) => self.providers[0].catalog.offer(c.offer).cloud,
                        CloudAction::Terminate { instance, .. } => {
                            Cloud::ALL[(instance.0 / 1_000_000) as usize]
                        }
                        CloudAction::Cancel { reservation, .. } => {
                            Cloud::ALL[(reservation.0 / 1_000_000) as usize]
                        }
                    };
                    self.provider(cloud).execute(now, &cloud_action).expect("well-formed action");
                }
                Action::Start { job, attempt, instances, stage_in, done } => {
                    let runtime = stage_in + SimDuration(self.job_runtime(job).0 - done.0);
                    let ids = instances.iter().map(|(i, _)| *i).collect();
                    let previous = self.running.insert(job, (attempt, now + runtime, ids));
                    assert!(previous.is_none(), "{job} started twice at {now}");
                }
                // The fake providers charge no egress.
                Action::Transfer { .. } => {}
                Action::Interrupt { job, attempt } | Action::Migrate { job, attempt, .. } => {
                    let was = self.running.remove(&job);
                    assert_eq!(
                        was.map(|r| r.0),
                        Some(attempt),
                        "{job} interrupted while not running"
                    );
                }
                Action::Fail { job, reason } | Action::Reject { job, reason } => {
                    let rejected = matches!(action, Action::Reject { .. });
                    self.running.remove(&job);
                    let previous =
                        self.outcomes.insert(job, Outcome::Failed { at: now, reason, rejected });
                    assert!(previous.is_none(), "{job} ended twice");
                }
            }
        }
    }

    fn job_runtime(&self, job: JobId) -> SimDuration {
        self.runtimes.get(&job).copied().expect("started jobs were submitted")
    }

    /// Runs every event at or before `until` (and nothing after it).
    pub(crate) fn run_until(&mut self, until: SimTime) {
        let mut guard = 0u32;
        while let Some(t) = self.next_time() {
            if t > until {
                break;
            }
            guard += 1;
            assert!(guard < 100_000, "the event loop does not advance (at {t})");
            assert!(t >= self.now, "time went backwards: {t} after {}", self.now);
            self.now = t;
            self.step(t);
        }
        self.now = self.now.max(until);
    }

    fn step(&mut self, t: SimTime) {
        while let Some(entry) = self.arrivals.first_entry() {
            if entry.key().0 > t {
                break;
            }
            let job = entry.remove();
            self.runtimes.insert(job.id, job.runtime);
            self.ctl.submit(t, job);
        }
        if self.arrivals.is_empty() && !self.trace_ended {
            self.trace_ended = true;
            self.ctl.end_of_trace();
        }
        // A job ending at `t` ends before an instance that goes at `t` takes it down.
        let ending: Vec<(JobId, u32)> = self
            .running
            .iter()
            .filter(|(_, (_, end, _))| *end <= t)
            .map(|(job, (attempt, _, _))| (*job, *attempt))
            .collect();
        for (job, attempt) in ending {
            self.running.remove(&job);
            self.ctl.finished(t, job, attempt);
            let previous = self.outcomes.insert(job, Outcome::Completed { at: t, attempt });
            assert!(previous.is_none(), "{job} ended twice");
        }
        for i in 0..self.providers.len() {
            for obs in self.providers[i].poll(t) {
                self.ctl.observe(t, &obs);
                self.observed.push(obs);
            }
        }
        self.decisions.push(t);
        let actions = self.ctl.decide(t);
        self.carry_out(t, actions);
    }

    /// Runs until nothing is left to happen or `limit`, then shuts the controller down.
    pub(crate) fn run_to_end(&mut self, limit: SimTime) {
        self.run_until(limit);
        let now = self.now;
        let actions = self.ctl.shutdown(now);
        self.carry_out(now, actions);
        // Deliver the terminations.
        for i in 0..self.providers.len() {
            for obs in self.providers[i].poll(now) {
                self.ctl.observe(now, &obs);
                self.observed.push(obs);
            }
        }
    }

    /// Runs as the simulator's driver does (`sim::platform::cloud`): until every job has
    /// arrived and ended, or nothing but provider timers is left, or `limit`; then shuts the
    /// controller down. Returns the shutdown time.
    pub(crate) fn run_like_sim(&mut self, limit: SimTime) -> SimTime {
        let mut guard = 0u32;
        loop {
            if self.arrivals.is_empty() && self.ctl.unfinished() == 0 {
                break;
            }
            let arrival = self.arrivals.keys().next().map(|(t, _)| *t);
            let end = self.running.values().map(|(_, end, _)| *end).min();
            let wakeup = self.ctl.next_wakeup();
            if arrival.is_none() && end.is_none() && wakeup.is_none() {
                break;
            }
            let Some(t) = self.next_time() else { break };
            if t > limit {
                break;
            }
            guard += 1;
            assert!(guard < 100_000, "the event loop does not advance (at {t})");
            self.now = self.now.max(t);
            self.step(self.now);
        }
        self.run_to_end(self.now);
        self.now
    }

    /// What the providers' instances and reservations cost up to `until`, USD: each elastic
    /// instance at its offer's on-demand price (the ceiling the broker budgets spot at) from
    /// launch to termination, each accepted reservation in full (at 1.5× for a block).
    pub(crate) fn spend(&self, until: SimTime) -> f64 {
        let catalog = &self.providers[0].catalog;
        let mut ended: BTreeMap<InstanceId, SimTime> = BTreeMap::new();
        for o in &self.observed {
            if let Observation::Terminated { instance, .. } = o.observation {
                ended.entry(instance).or_insert(o.at);
            }
        }
        let mut usd = 0.0;
        for o in &self.observed {
            if let Observation::Launched { instance, offer, option, .. } = o.observation
                && !matches!(option, LaunchOption::Reserved(_))
            {
                let end = ended.get(&instance).copied().unwrap_or(until);
                let hours = end.saturating_since(o.at).as_secs_f64() / 3600.0;
                usd += catalog.offer(offer).on_demand_usd_per_hour * hours;
            }
        }
        for p in &self.providers {
            for (_, a) in &p.executed {
                if let CloudAction::Reserve(r) = a
                    && !p.refused.contains(&r.request)
                {
                    let multiple = if r.product == ProductKind::CapacityBlock { 1.5 } else { 1.0 };
                    let hours = r.duration.as_secs_f64() / 3600.0;
                    usd += catalog.offer(r.offer).on_demand_usd_per_hour
                        * multiple
                        * hours
                        * f64::from(r.count);
                }
            }
        }
        usd
    }

    /// The `Start` actions of `job`: (time, attempt, instances).
    pub(crate) fn starts(&self, job: JobId) -> Vec<(SimTime, u32, Vec<InstanceId>)> {
        self.actions
            .iter()
            .filter_map(|(t, a)| match a {
                Action::Start { job: j, attempt, instances, .. } if *j == job => {
                    Some((*t, *attempt, instances.iter().map(|(i, _)| *i).collect()))
                }
                _ => None,
            })
            .collect()
    }

    /// The cloud actions sent, with when.
    pub(crate) fn cloud_actions(&self) -> Vec<(SimTime, CloudAction)> {
        self.actions
            .iter()
            .filter_map(|(t, a)| match a {
                Action::Cloud(c) => Some((*t, c.clone())),
                _ => None,
            })
            .collect()
    }
}
