//! [`SimProvider`]: one simulated cloud behind the engine's [`Provider`] port.
//!
//! # How it runs
//!
//! The provider keeps an ordered queue of internal timers, a `BTreeMap` keyed by
//! `(time, insertion sequence)` (the kernel's ordering rule): an instance becoming ready, a
//! spot notice, a termination, a reservation's assessment, start, end, a capacity block's
//! notice and termination, a commitment's end. [`Provider::execute`] and [`Provider::poll`]
//! first run every timer due at or before `now`, in order, then act; what happens is written
//! to an outbox of [`Observed`]s, which `poll` drains. [`Provider::next_due`] is the earliest
//! outbox entry or timer (a timer may turn out to have nothing to report, e.g. the
//! termination of an instance that already failed: a spurious wake-up, never a missed one).
//!
//! The catalog is shared as an `Arc<Catalog>`: the three providers of a run (and the engine's
//! planner) read the same validated catalog without copying it, and `Arc` keeps the provider
//! `Send` so sweeps can run on several threads.
//!
//! # Randomness
//!
//! Four named streams of the run's [`RngStreams`], one per aspect, so that changing one
//! aspect's parameters never shifts another's draws:
//!
//! - `spot:<cloud>`: ChaCha stream id 0 gives one draw per spot launch (the exponential time
//!   to its interruption notice, at the band's hourly hazard); stream id `offer + 1` gives that
//!   offer's price path (`super::spot`).
//! - `supply:<cloud>`: the pools' capacity jitter at construction (offer order), then one
//!   draw per future reservation start (delivered or `delayed`).
//! - `assess:<cloud>`: one draw per assessment (`unsupported` or not).
//! - `failure:<cloud>`: one draw per launched instance (the exponential time to failure).
//! - `storm:<cloud>`: at each spot storm's start, one draw per running spot instance of its
//!   region, in instance order (reclaimed or spared).
//!
//! # Products
//!
//! Every reservation product follows the same path through the one state machine
//! ([`ReservationState::next`]): `assessing` at the request, the answer after the product's
//! `assessment_s` (`unsupported` with the product's probability, `declined` for
//! insufficient capacity if the pool cannot promise the slots over `[start, end)`, else
//! `scheduled`), `active` at the start (or `delayed` for a future reservation, with the
//! configured probability), `expired` at the end. An on-demand capacity reservation has zero
//! lead and zero assessment in the catalog, so all three states are reported at the request's
//! instant. Requests whose terms are wrong are refused outright (`Refused`), before any
//! reservation exists.
//!
//! Billing by product: hourly products (capacity reservations, future reservations) are
//! charged `count × price × active hours` from activation, used or not, plus whatever is
//! left of `min_duration_s` when they end or are cancelled (waived if the reservation was
//! `delayed`); upfront products (capacity blocks) are charged `multiple × on-demand × count ×
//! hours` once, when scheduled, and never cancellable by their terms.
//!
//! At the end of a reservation whose end behaviour is `release`, its running instances keep
//! running, now holding slots of their own and billed on demand; a capacity block gives its
//! instances a `Notice` `block_notice_s` before `end − secs` and terminates them then.
//!
//! # Billing-only discounts
//!
//! A commitment (`CloudAction::Commit`) costs `discounted price × count` per hour from its
//! purchase until the ledger is closed or its term ends, whichever is first: the 1–3-year term
//! is amortised over the simulated span by charging only the hours the simulation covers. It
//! covers up to `count` units of on-demand-priced usage of its offer, whose charge is then
//! not booked: first running on-demand instances (lowest instance id first; when one stops,
//! the next uncovered one is covered), then, with the room left, the slots of active
//! reservations priced at the on-demand rate (capacity reservations and future reservations,
//! used or not), because discounts stack on those (`cloud-products.md` §1.3: "an RI or Savings
//! Plan discount applies to an ODCR"; GCP CUDs and Azure reservations likewise). Every unit
//! of one offer costs the same on-demand price, so which units are covered never changes the
//! total. Capacity blocks (their own price, paid up front) are never covered, and neither is
//! a minimum commitment owed at a cancellation. A commitment never changes capacity.
//!
//! # Instance billing
//!
//! An instance's life is billed in segments at the rate in force (on demand, covered, spot
//! at the price of each step it overlaps, or nothing inside a reservation); a segment closes
//! when the rate changes, when the instance stops, or at [`SimProvider::close`]. When it
//! stops, the provider's rounding (granularity and minimum, over the whole life) is charged
//! at the rate in force then. Instance ids are `cloud ordinal × 10⁹ + n` (AWS `i-1000000001`,
//! Azure `i-2000000001`, GCP `i-3000000001`), and reservation ids likewise, so ids from the
//! three providers never collide.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use engine::cloud::{
    Cancellation, Catalog, Cloud, CloudAction, CommitRequest, DiscountKind, EndBehaviour,
    LaunchOption, LaunchRequest, Observation, Observed, OfferIx, ProductKind, ProductTerms,
    Provider, ProviderError, ProviderTerms, Refusal, RegionIx, ReservationEvent, ReservationPrice,
    ReservationState, ReserveRequest, TerminationReason,
};
use engine::ids::{InstanceId, RequestId, ReservationId};
use engine::time::MICROS_PER_SEC;
use engine::{Money, SimDuration, SimTime};

use super::config::SimCloudConfig;
use super::error::{EgressError, SimCloudError};
use super::ledger::{Charge, ChargeKind, Ledger, billed_micros, book_usd, usd_for};
use super::spot::SpotMarket;
use super::supply::Pool;
use crate::kernel::rng::RngStreams;

/// How an instance's running time is paid for right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rate {
    /// On-demand price.
    OnDemand,
    /// Covered by commitment `usize`: nothing to pay.
    Covered(usize),
    /// The spot price process.
    Spot,
    /// Inside a reservation: the reservation pays.
    Reserved,
}

/// Whose slot an instance occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// Its own, open-ended (on-demand, or after its reservation ended).
    OpenEnded,
    /// A spot slot, reclaimable.
    Spot,
    /// A spot instance under notice: no longer counted.
    SpotNoticed,
    /// Its reservation's.
    Reserved(ReservationId),
}

#[derive(Clone, Debug)]
struct Instance {
    offer: OfferIx,
    region: RegionIx,
    vcpus: u64,
    launched: SimTime,
    alive: bool,
    rate: Rate,
    slot: Slot,
    segment_start: SimTime,
    /// The reservation it was launched into, if any.
    reservation: Option<ReservationId>,
    /// A notice has been given.
    noticed: bool,
}

#[derive(Clone, Debug)]
struct Reservation {
    request: RequestId,
    offer: OfferIx,
    terms: ProductTerms,
    count: u32,
    start: SimTime,
    end: SimTime,
    state: ReservationState,
    /// Billing runs from here while active.
    billed_until: Option<SimTime>,
    /// Active microseconds billed so far.
    billed_us: u64,
    /// Delivered late: the minimum commitment is waived.
    waived: bool,
    /// Its capacity block's end notice has gone out.
    block_noticed: bool,
    /// No more launches (a capacity block past `end − secs`).
    closed_for_launch: bool,
    instances: BTreeSet<InstanceId>,
    /// Slots currently paid by commitments (discounts stacked on the reservation).
    covered: u32,
}

#[derive(Clone, Debug)]
struct Commitment {
    offer: OfferIx,
    kind: DiscountKind,
    count: u32,
    usd_per_hour: f64,
    end: SimTime,
    billed_until: SimTime,
    covered: BTreeSet<InstanceId>,
    /// Slots of active reservations it pays for, by reservation.
    reservations: BTreeMap<ReservationId, u32>,
}

impl Commitment {
    /// Units covered: instances and reservation slots.
    fn used(&self) -> u64 {
        self.covered.len() as u64 + self.reservations.values().map(|n| u64::from(*n)).sum::<u64>()
    }
}

/// Whether commitments may pay for a reservation's slots: hourly at the on-demand price.
fn stackable(r: &Reservation) -> bool {
    !r.terms.upfront && matches!(r.terms.price, ReservationPrice::OnDemand)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    Ready(InstanceId),
    SpotNotice(InstanceId),
    Terminate(InstanceId, TerminationReason),
    /// The instance fails silently (with health checks): detected later.
    Fail(InstanceId),
    Assess(ReservationId),
    Start(ReservationId),
    DelayOver(ReservationId),
    BlockNotice(ReservationId),
    BlockTerminate(ReservationId),
    End(ReservationId),
    CommitmentEnd(usize),
    /// The start of `config.spot_storms[i]`.
    Storm(usize),
}

/// A request already carried out, and what was answered.
#[derive(Clone, Debug)]
struct Answered {
    action: CloudAction,
    answer: Vec<Observation>,
}

/// One simulated cloud (see the module docs).
#[derive(Clone, Debug)]
pub struct SimProvider {
    cloud: Cloud,
    catalog: Arc<Catalog>,
    terms: ProviderTerms,
    config: SimCloudConfig,
    /// The latest time seen.
    now: SimTime,
    /// The run's start: outages are timed from it.
    origin: SimTime,
    seq: u64,
    timers: BTreeMap<(SimTime, u64), Timer>,
    outbox: VecDeque<Observed>,
    /// Instances that failed silently since the last [`SimProvider::take_silent_failures`].
    silent: Vec<(InstanceId, SimTime)>,
    pools: BTreeMap<OfferIx, Pool>,
    spot: SpotMarket,
    interrupt_rng: ChaCha8Rng,
    supply_rng: ChaCha8Rng,
    assess_rng: ChaCha8Rng,
    failure_rng: ChaCha8Rng,
    storm_rng: ChaCha8Rng,
    instances: BTreeMap<InstanceId, Instance>,
    /// Live spot instances not under notice, per offer.
    live_spot: BTreeMap<OfferIx, BTreeSet<InstanceId>>,
    /// Live on-demand-rate instances not covered by a commitment, per offer.
    uncovered: BTreeMap<OfferIx, BTreeSet<InstanceId>>,
    running_vcpus: BTreeMap<RegionIx, u64>,
    reservations: BTreeMap<ReservationId, Reservation>,
    commitments: Vec<Commitment>,
    requests: BTreeMap<RequestId, Answered>,
    id_base: u64,
    next_instance: u64,
    next_reservation: u64,
    ledger: Ledger,
}

impl SimProvider {
    /// The simulated `cloud` of `catalog`, starting at `start` (the origin of the spot price
    /// steps), with its random streams drawn from `streams`.
    pub fn new(
        cloud: Cloud,
        catalog: Arc<Catalog>,
        config: &SimCloudConfig,
        streams: &RngStreams,
        start: SimTime,
    ) -> Result<SimProvider, SimCloudError> {
        config.validate()?;
        config.validate_names(&catalog)?;
        let terms = catalog.provider(cloud).ok_or(SimCloudError::UnknownCloud(cloud))?.clone();
        let name = cloud.as_str();
        let spot_base = streams.stream(&format!("spot:{name}"));
        let mut supply_rng = streams.stream(&format!("supply:{name}"));
        let mut pools = BTreeMap::new();
        for ix in catalog.offer_ids() {
            let offer = catalog.offer(ix);
            if offer.cloud != cloud {
                continue;
            }
            let base = config.supply.instances(&offer.region, &offer.instance_type);
            let capacity = if config.supply.jitter > 0.0 {
                let u: f64 = supply_rng.random();
                let factor = 1.0 + config.supply.jitter * (2.0 * u - 1.0);
                (f64::from(base) * factor).round().clamp(0.0, f64::from(u32::MAX)) as u32
            } else {
                base
            };
            pools.insert(ix, Pool::new(capacity));
        }
        let ordinal = Cloud::ALL.iter().position(|c| *c == cloud).unwrap_or(0) as u64 + 1;
        let mut provider = SimProvider {
            cloud,
            spot: SpotMarket::new(&catalog, Some(cloud), config, streams, start),
            catalog,
            terms,
            config: config.clone(),
            now: start,
            origin: start,
            seq: 0,
            timers: BTreeMap::new(),
            outbox: VecDeque::new(),
            silent: Vec::new(),
            pools,
            interrupt_rng: spot_base,
            supply_rng,
            assess_rng: streams.stream(&format!("assess:{name}")),
            failure_rng: streams.stream(&format!("failure:{name}")),
            storm_rng: streams.stream(&format!("storm:{name}")),
            instances: BTreeMap::new(),
            live_spot: BTreeMap::new(),
            uncovered: BTreeMap::new(),
            running_vcpus: BTreeMap::new(),
            reservations: BTreeMap::new(),
            commitments: Vec::new(),
            requests: BTreeMap::new(),
            id_base: ordinal * 1_000_000_000,
            next_instance: 1,
            next_reservation: 1,
            ledger: Ledger::new(),
        };
        for (i, storm) in config.spot_storms.iter().enumerate() {
            if let Some(at) = SimDuration::from_secs_f64(storm.start_h * 3600.0)
                .and_then(|d| start.checked_add(d))
            {
                provider.schedule(at, Timer::Storm(i));
            }
        }
        Ok(provider)
    }

    /// Every charge booked so far.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The pool capacity (instances) of `offer`, if it is one of this provider's offers.
    pub fn capacity(&self, offer: OfferIx) -> Option<u32> {
        self.pools.get(&offer).map(|p| p.capacity)
    }

    /// Runs every timer due at or before `now`, then books everything still accruing up to
    /// `now`: running instances' usage (without rounding: they have not stopped), active
    /// reservations' hours, commitments' hours. Call it at the end of a run; calling it again
    /// later books only what accrued since. Minimum commitments still owed by reservations
    /// that have not ended are not charged. Returns the ledger's total.
    pub fn close(&mut self, now: SimTime) -> Result<Money, ProviderError> {
        self.check_time(now)?;
        self.advance(now);
        let live: Vec<InstanceId> =
            self.instances.iter().filter(|(_, i)| i.alive).map(|(id, _)| *id).collect();
        for id in live {
            self.book_segment(id, now, 0);
        }
        let active: Vec<ReservationId> = self
            .reservations
            .iter()
            .filter(|(_, r)| r.state == ReservationState::Active)
            .map(|(id, _)| *id)
            .collect();
        for id in active {
            self.book_reservation(id, now);
        }
        for ix in 0..self.commitments.len() {
            self.book_commitment(ix, now);
        }
        Ok(self.ledger.total())
    }

    /// Charges `gb` gigabytes leaving region `from` (one of this provider's) for region `to`:
    /// the same-region price when `to == from`, the inter-region price for another region of
    /// this provider, the internet price for another provider's region. Returns the amount.
    pub fn charge_egress(
        &mut self,
        now: SimTime,
        from: RegionIx,
        to: RegionIx,
        gb: f64,
    ) -> Result<Money, EgressError> {
        let cloud = self.cloud;
        let regions = self.catalog.regions();
        let owner = |r: RegionIx| {
            regions
                .get(r.index())
                .map(|x| x.cloud)
                .ok_or(EgressError::UnknownRegion { cloud, region: r })
        };
        let from_cloud = owner(from)?;
        let to_cloud = owner(to)?;
        if from_cloud != cloud {
            return Err(EgressError::NotThisCloud { cloud, region: from, owner: from_cloud });
        }
        if !(gb.is_finite() && gb >= 0.0) {
            return Err(EgressError::InvalidAmount { cloud, gb });
        }
        let e = self.terms.egress;
        let usd_per_gb = if from == to {
            e.same_region_usd_per_gb
        } else if to_cloud == cloud {
            e.inter_region_usd_per_gb
        } else {
            e.internet_usd_per_gb
        };
        let amount = book_usd(usd_per_gb * gb);
        self.ledger.book(Charge {
            at: now.max(self.now),
            cloud,
            region: from,
            offer: None,
            kind: ChargeKind::Egress,
            instance: None,
            reservation: None,
            amount,
        });
        Ok(amount)
    }

    // ----- plumbing -----

    fn check_time(&self, now: SimTime) -> Result<(), ProviderError> {
        if now < self.now {
            return Err(ProviderError::TimeWentBackwards {
                cloud: self.cloud,
                now,
                seen: self.now,
            });
        }
        Ok(())
    }

    fn schedule(&mut self, at: SimTime, timer: Timer) {
        self.timers.insert((at.max(self.now), self.seq), timer);
        self.seq += 1;
    }

    /// Instance `id` fails, and nothing says so: its work stops now, it is billed until its
    /// missed heartbeats give it away (see [`crate::cloud::HealthChecks`]).
    fn fail_silently(&mut self, id: InstanceId) {
        let Some(h) = self.config.health.clone() else { return };
        let Some(inst) = self.instances.get(&id) else { return };
        if !inst.alive {
            return;
        }
        let beat = SimDuration::from_secs(h.heartbeat_s).as_micros();
        let since = self.now.saturating_since(inst.launched).as_micros();
        let last = inst.launched.0 + since / beat * beat;
        let detected = SimTime(last + u64::from(h.missed) * beat);
        self.silent.push((id, self.now));
        self.schedule(detected.max(self.now), Timer::Terminate(id, TerminationReason::Failure));
    }

    /// The instances that failed silently since the last call, with when: the world's truth
    /// (their jobs stop), which no observation carries to the controller.
    pub fn take_silent_failures(&mut self) -> Vec<(InstanceId, SimTime)> {
        std::mem::take(&mut self.silent)
    }

    fn emit(&mut self, observation: Observation) {
        self.outbox.push_back(Observed { at: self.now, cloud: self.cloud, observation });
    }

    /// Hours since the run's start, at the latest time seen: the clock of the faults.
    fn fault_hours(&self) -> f64 {
        self.now.saturating_since(self.origin).as_secs_f64() / 3600.0
    }

    /// Whether the control plane of region `name` is down at the latest time seen.
    fn control_plane_down(&self, name: &str) -> bool {
        let hours = self.fault_hours();
        self.config.outages.iter().any(|o| o.region == name && o.covers(hours))
    }

    /// Whether a stock-out or a spot storm leaves no capacity for a launch of `option` of
    /// `instance_type` in `region` at the latest time seen.
    fn stocked_out(&self, region: &str, instance_type: &str, option: LaunchOption) -> bool {
        let hours = self.fault_hours();
        match option {
            LaunchOption::Reserved(_) => false,
            LaunchOption::OnDemand => {
                self.config.stockouts.iter().any(|s| s.refuses(region, instance_type, hours))
            }
            LaunchOption::Spot => {
                self.config.stockouts.iter().any(|s| s.refuses(region, instance_type, hours))
                    || self.config.spot_storms.iter().any(|s| s.refuses(region, hours))
            }
        }
    }

    /// A spot storm begins: each running spot instance of its region not yet under notice is
    /// reclaimed with the storm's probability.
    fn storm(&mut self, ix: usize) {
        let Some(storm) = self.config.spot_storms.get(ix).cloned() else { return };
        let catalog = Arc::clone(&self.catalog);
        let mut live: Vec<InstanceId> = self
            .live_spot
            .iter()
            .filter(|(offer, _)| catalog.region(catalog.offer_key(**offer).0).name == storm.region)
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        live.sort_unstable();
        for id in live {
            let u: f64 = self.storm_rng.random();
            if u < storm.reclaim {
                self.spot_notice(id);
            }
        }
    }

    fn refuse(&mut self, request: RequestId, refusal: Refusal) {
        self.emit(Observation::Refused { request, refusal });
    }

    /// Runs every timer due at or before `now`.
    fn advance(&mut self, now: SimTime) {
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((at, _), timer) = entry.remove_entry();
            self.now = self.now.max(at);
            self.fire(timer);
        }
        self.now = self.now.max(now);
    }

    fn owns(&self, offer: OfferIx) -> bool {
        self.pools.contains_key(&offer)
    }

    fn check_offer(&self, offer: OfferIx) -> Result<(), ProviderError> {
        if self.owns(offer) {
            Ok(())
        } else {
            Err(ProviderError::UnknownOffer { cloud: self.cloud, offer })
        }
    }

    fn invalid(&self, request: RequestId, what: impl Into<String>) -> ProviderError {
        ProviderError::InvalidRequest { cloud: self.cloud, request, what: what.into() }
    }

    fn on_demand_price(&self, offer: OfferIx) -> f64 {
        self.catalog.offer(offer).on_demand_usd_per_hour
    }

    fn pool(&mut self, offer: OfferIx) -> &mut Pool {
        self.pools.entry(offer).or_default()
    }

    /// A draw from `Exp(rate_per_hour)` as a time after `from`; `None` when it never comes.
    fn exp_after(rng: &mut ChaCha8Rng, from: SimTime, rate_per_hour: f64) -> Option<SimTime> {
        let u: f64 = rng.random();
        if rate_per_hour.is_nan() || rate_per_hour <= 0.0 {
            return None;
        }
        let hours = -(1.0 - u).ln() / rate_per_hour;
        from.checked_add(SimDuration::from_secs_f64(hours * 3600.0)?)
    }

    // ----- billing -----

    /// The spot price of `offer` at `at` (the path caches what it computes).
    fn spot_step_price(&self, offer: OfferIx, at: SimTime) -> f64 {
        self.spot.price(offer, at).unwrap_or(0.0)
    }

    /// Books instance `id`'s usage from its segment start to `to`, plus `extra_us` of rounding
    /// at the current rate, and starts a new segment at `to`.
    fn book_segment(&mut self, id: InstanceId, to: SimTime, extra_us: u64) {
        let Some(inst) = self.instances.get(&id).cloned() else { return };
        let from = inst.segment_start;
        let span = to.saturating_since(from).as_micros();
        let (usd, option) = match inst.rate {
            Rate::Covered(_) | Rate::Reserved => (0.0, LaunchOption::OnDemand),
            Rate::OnDemand => {
                (usd_for(self.on_demand_price(inst.offer), span + extra_us), LaunchOption::OnDemand)
            }
            Rate::Spot => {
                let mut usd = self.spot.cost(inst.offer, from, to);
                usd += usd_for(self.spot_step_price(inst.offer, to), extra_us);
                (usd, LaunchOption::Spot)
            }
        };
        self.ledger.book(Charge {
            at: to,
            cloud: self.cloud,
            region: inst.region,
            offer: Some(inst.offer),
            kind: ChargeKind::Usage { option },
            instance: Some(id),
            reservation: inst.reservation,
            amount: book_usd(usd),
        });
        if let Some(i) = self.instances.get_mut(&id) {
            i.segment_start = to;
        }
    }

    /// Changes instance `id`'s rate at `now`, closing its current segment.
    fn set_rate(&mut self, id: InstanceId, rate: Rate) {
        let now = self.now;
        self.book_segment(id, now, 0);
        if let Some(i) = self.instances.get_mut(&id) {
            i.rate = rate;
        }
    }

    /// The price of `slots` slots of reservation `r`, USD per hour.
    fn reservation_usd_per_hour(&self, r: &Reservation, slots: u32) -> f64 {
        let od = self.on_demand_price(r.offer);
        let per_instance = match r.terms.price {
            ReservationPrice::OnDemand => od,
            ReservationPrice::OnDemandMultiple(m) => m * od,
        };
        per_instance * f64::from(slots)
    }

    /// Books an hourly reservation's active time up to `to`.
    fn book_reservation(&mut self, id: ReservationId, to: SimTime) {
        let Some(r) = self.reservations.get(&id) else { return };
        let Some(from) = r.billed_until else { return };
        if r.terms.upfront || to <= from {
            return;
        }
        let span = to.saturating_since(from).as_micros();
        let unpaid = r.count.saturating_sub(r.covered);
        let usd = usd_for(self.reservation_usd_per_hour(r, unpaid), span);
        let charge = self.reservation_charge(id, r, to, book_usd(usd));
        self.ledger.book(charge);
        if let Some(r) = self.reservations.get_mut(&id) {
            r.billed_until = Some(to);
            r.billed_us += span;
        }
    }

    /// Books the rest of an ended reservation's minimum commitment, unless waived.
    fn book_minimum(&mut self, id: ReservationId) {
        let Some(r) = self.reservations.get(&id) else { return };
        if r.terms.upfront || r.waived || r.billed_until.is_none() {
            return;
        }
        let min_us = r.terms.min_duration_s.saturating_mul(MICROS_PER_SEC);
        let owed = min_us.saturating_sub(r.billed_us);
        if owed == 0 {
            return;
        }
        let usd = usd_for(self.reservation_usd_per_hour(r, r.count), owed);
        let charge = self.reservation_charge(id, r, self.now, book_usd(usd));
        self.ledger.book(charge);
        if let Some(r) = self.reservations.get_mut(&id) {
            r.billed_us += owed;
        }
    }

    fn reservation_charge(
        &self,
        id: ReservationId,
        r: &Reservation,
        at: SimTime,
        amount: Money,
    ) -> Charge {
        Charge {
            at,
            cloud: self.cloud,
            region: self.catalog.offer_key(r.offer).0,
            offer: Some(r.offer),
            kind: ChargeKind::Reservation { product: r.terms.kind },
            instance: None,
            reservation: Some(id),
            amount,
        }
    }

    /// Books commitment `ix`'s hours up to `to` (or its end).
    fn book_commitment(&mut self, ix: usize, to: SimTime) {
        let Some(c) = self.commitments.get(ix) else { return };
        let to = to.min(c.end);
        if to <= c.billed_until {
            return;
        }
        let span = to.saturating_since(c.billed_until).as_micros();
        let usd = usd_for(c.usd_per_hour * f64::from(c.count), span);
        self.ledger.book(Charge {
            at: to,
            cloud: self.cloud,
            region: self.catalog.offer_key(c.offer).0,
            offer: Some(c.offer),
            kind: ChargeKind::Commitment { discount: c.kind },
            instance: None,
            reservation: None,
            amount: book_usd(usd),
        });
        if let Some(c) = self.commitments.get_mut(ix) {
            c.billed_until = to;
        }
    }

    /// Gives every commitment of `offer` with room more to cover: uncovered on-demand
    /// instances first, then uncovered slots of active stackable reservations (booking each
    /// such reservation up to now before its price changes).
    fn cover(&mut self, offer: OfferIx) {
        let now = self.now;
        for ix in 0..self.commitments.len() {
            let c = &self.commitments[ix];
            if c.offer != offer || now >= c.end {
                continue;
            }
            while self.commitments[ix].used() < u64::from(self.commitments[ix].count) {
                let Some(id) = self.uncovered.get_mut(&offer).and_then(|s| s.pop_first()) else {
                    break;
                };
                self.commitments[ix].covered.insert(id);
                self.set_rate(id, Rate::Covered(ix));
            }
            let c = &self.commitments[ix];
            let mut room = u64::from(c.count).saturating_sub(c.used());
            if room == 0 {
                continue;
            }
            let open: Vec<(ReservationId, u32)> = self
                .reservations
                .iter()
                .filter(|(_, r)| {
                    r.offer == offer && r.state == ReservationState::Active && stackable(r)
                })
                .map(|(id, r)| (*id, r.count.saturating_sub(r.covered)))
                .filter(|(_, free)| *free > 0)
                .collect();
            for (id, free) in open {
                if room == 0 {
                    break;
                }
                let take = u32::try_from(room.min(u64::from(free))).unwrap_or(free);
                self.book_reservation(id, now);
                if let Some(r) = self.reservations.get_mut(&id) {
                    r.covered += take;
                }
                *self.commitments[ix].reservations.entry(id).or_default() += take;
                room -= u64::from(take);
            }
        }
    }

    /// Takes every commitment's cover off reservation `id` (booked up to now beforehand).
    fn uncover_reservation(&mut self, id: ReservationId) {
        for c in &mut self.commitments {
            c.reservations.remove(&id);
        }
        if let Some(r) = self.reservations.get_mut(&id) {
            r.covered = 0;
        }
    }

    /// Makes instance `id` an open-ended on-demand instance (its reservation ended).
    fn release_to_on_demand(&mut self, id: InstanceId) {
        let Some(inst) = self.instances.get_mut(&id) else { return };
        if !inst.alive {
            return;
        }
        inst.slot = Slot::OpenEnded;
        let offer = inst.offer;
        self.pool(offer).open_ended += 1;
        self.set_rate(id, Rate::OnDemand);
        self.uncovered.entry(offer).or_default().insert(id);
    }

    // ----- instances -----

    /// Gives spot instance `id` its interruption notice now (if alive and not yet noticed).
    fn spot_notice(&mut self, id: InstanceId) {
        let Some(inst) = self.instances.get_mut(&id) else { return };
        if !inst.alive || inst.noticed {
            return;
        }
        inst.noticed = true;
        let offer = inst.offer;
        if inst.slot == Slot::Spot {
            inst.slot = Slot::SpotNoticed;
            let pool = self.pool(offer);
            pool.spot = pool.spot.saturating_sub(1);
            if let Some(set) = self.live_spot.get_mut(&offer) {
                set.remove(&id);
            }
        }
        let at = self.now + SimDuration::from_secs(self.terms.spot.notice_s);
        self.emit(Observation::Notice {
            instance: id,
            at,
            reason: TerminationReason::SpotInterruption,
        });
        self.schedule(at, Timer::Terminate(id, TerminationReason::SpotInterruption));
    }

    /// Reclaims spot instances of `offer` (newest first) until committed demand fits.
    fn reclaim_spot(&mut self, offer: OfferIx) {
        let now = self.now;
        let excess = self.pools.get(&offer).map(|p| p.spot_excess(now)).unwrap_or(0);
        for _ in 0..excess {
            let Some(id) = self.live_spot.get(&offer).and_then(|s| s.last().copied()) else {
                return;
            };
            self.spot_notice(id);
        }
    }

    fn terminate(&mut self, id: InstanceId, reason: TerminationReason) {
        let Some(inst) = self.instances.get(&id).cloned() else { return };
        if !inst.alive {
            return;
        }
        let life = self.now.saturating_since(inst.launched).as_micros();
        let extra = billed_micros(life, self.terms.billing).saturating_sub(life);
        let now = self.now;
        self.book_segment(id, now, extra);
        if let Some(i) = self.instances.get_mut(&id) {
            i.alive = false;
        }
        if let Some(v) = self.running_vcpus.get_mut(&inst.region) {
            *v = v.saturating_sub(inst.vcpus);
        }
        match inst.slot {
            Slot::OpenEnded => {
                let pool = self.pool(inst.offer);
                pool.open_ended = pool.open_ended.saturating_sub(1);
            }
            Slot::Spot => {
                let pool = self.pool(inst.offer);
                pool.spot = pool.spot.saturating_sub(1);
                if let Some(set) = self.live_spot.get_mut(&inst.offer) {
                    set.remove(&id);
                }
            }
            Slot::SpotNoticed => {}
            Slot::Reserved(r) => {
                if let Some(r) = self.reservations.get_mut(&r) {
                    r.instances.remove(&id);
                }
            }
        }
        if let Some(set) = self.uncovered.get_mut(&inst.offer) {
            set.remove(&id);
        }
        if let Rate::Covered(ix) = inst.rate
            && let Some(c) = self.commitments.get_mut(ix)
        {
            c.covered.remove(&id);
        }
        self.emit(Observation::Terminated { instance: id, reason });
        if matches!(inst.rate, Rate::Covered(_)) {
            self.cover(inst.offer);
        }
    }

    fn launch(&mut self, req: &LaunchRequest) -> Result<(), ProviderError> {
        self.check_offer(req.offer)?;
        if req.count == 0 {
            return Err(self.invalid(req.request, "count must be at least 1"));
        }
        let catalog = Arc::clone(&self.catalog);
        let offer = catalog.offer(req.offer);
        let (region, ty) = catalog.offer_key(req.offer);
        let vcpus = u64::from(catalog.instance_type(ty).vcpus);
        if let LaunchOption::Reserved(rid) = req.option {
            let Some(r) = self.reservations.get(&rid) else {
                return Err(ProviderError::UnknownReservation {
                    cloud: self.cloud,
                    reservation: rid,
                });
            };
            if r.offer != req.offer {
                return Err(self.invalid(
                    req.request,
                    format!("reservation {rid} holds another offer ({:?})", r.offer),
                ));
            }
            if !r.state.is_usable() || r.closed_for_launch {
                self.refuse(req.request, Refusal::ReservationNotUsable);
                return Ok(());
            }
            if r.instances.len() as u64 + u64::from(req.count) > u64::from(r.count) {
                self.refuse(req.request, Refusal::ReservationFull);
                return Ok(());
            }
        }
        if req.option == LaunchOption::Spot && offer.spot.is_none() {
            self.refuse(req.request, Refusal::NotOffered);
            return Ok(());
        }
        let region_name = &catalog.region(region).name;
        if self.control_plane_down(region_name) {
            self.refuse(req.request, Refusal::ControlPlaneOutage);
            return Ok(());
        }
        if self.stocked_out(region_name, &catalog.instance_type(ty).name, req.option) {
            self.refuse(req.request, Refusal::InsufficientCapacity);
            return Ok(());
        }
        if let Some(quota) = self.config.region_vcpu_quota.get(region_name) {
            let running = self.running_vcpus.get(&region).copied().unwrap_or(0);
            if running + vcpus * u64::from(req.count) > *quota {
                self.refuse(req.request, Refusal::QuotaExceeded);
                return Ok(());
            }
        }
        let now = self.now;
        let pool = self.pool(req.offer);
        match req.option {
            LaunchOption::OnDemand => {
                if !pool.can_commit(now, SimTime::MAX, req.count) {
                    self.refuse(req.request, Refusal::InsufficientCapacity);
                    return Ok(());
                }
                pool.open_ended += req.count;
            }
            LaunchOption::Spot => {
                if !pool.can_spot(now, req.count) {
                    self.refuse(req.request, Refusal::InsufficientCapacity);
                    return Ok(());
                }
                pool.spot += req.count;
            }
            LaunchOption::Reserved(_) => {}
        }
        *self.running_vcpus.entry(region).or_default() += vcpus * u64::from(req.count);
        let ready_at = now + SimDuration::from_secs(self.terms.boot_delay_s);
        let hazard =
            offer.spot.map(|s| s.band.unwrap_or(self.terms.spot.default_band).hourly_hazard());
        for _ in 0..req.count {
            let id = InstanceId(self.id_base + self.next_instance);
            self.next_instance += 1;
            let (rate, slot, reservation) = match req.option {
                LaunchOption::OnDemand => (Rate::OnDemand, Slot::OpenEnded, None),
                LaunchOption::Spot => (Rate::Spot, Slot::Spot, None),
                LaunchOption::Reserved(r) => (Rate::Reserved, Slot::Reserved(r), Some(r)),
            };
            self.instances.insert(
                id,
                Instance {
                    offer: req.offer,
                    region,
                    vcpus,
                    launched: now,
                    alive: true,
                    rate,
                    slot,
                    segment_start: now,
                    reservation,
                    noticed: false,
                },
            );
            self.emit(Observation::Launched {
                request: req.request,
                instance: id,
                offer: req.offer,
                option: req.option,
                ready_at,
            });
            self.schedule(ready_at, Timer::Ready(id));
            if let Some(t) =
                Self::exp_after(&mut self.failure_rng, now, self.config.failure_rate_per_hour)
            {
                let timer = match self.config.health {
                    Some(_) => Timer::Fail(id),
                    None => Timer::Terminate(id, TerminationReason::Failure),
                };
                self.schedule(t, timer);
            }
            match req.option {
                LaunchOption::OnDemand => {
                    self.uncovered.entry(req.offer).or_default().insert(id);
                }
                LaunchOption::Spot => {
                    self.live_spot.entry(req.offer).or_default().insert(id);
                    if let Some(t) =
                        Self::exp_after(&mut self.interrupt_rng, now, hazard.unwrap_or(0.0))
                    {
                        self.schedule(t, Timer::SpotNotice(id));
                    }
                }
                LaunchOption::Reserved(rid) => {
                    let mut notice_at = None;
                    if let Some(r) = self.reservations.get_mut(&rid) {
                        r.instances.insert(id);
                        if r.block_noticed {
                            notice_at = Some(block_cutoff(r));
                        }
                    }
                    if let Some(at) = notice_at {
                        self.block_notice_instance(id, at);
                    }
                }
            }
        }
        match req.option {
            LaunchOption::OnDemand => {
                self.reclaim_spot(req.offer);
                self.cover(req.offer);
            }
            LaunchOption::Spot | LaunchOption::Reserved(_) => {}
        }
        Ok(())
    }

    fn block_notice_instance(&mut self, id: InstanceId, at: SimTime) {
        if let Some(i) = self.instances.get_mut(&id)
            && i.alive
            && !i.noticed
        {
            i.noticed = true;
            self.emit(Observation::Notice {
                instance: id,
                at,
                reason: TerminationReason::ReservationEnded,
            });
        }
    }

    // ----- reservations -----

    fn transition(&mut self, id: ReservationId, event: ReservationEvent, refusal: Option<Refusal>) {
        let Some(r) = self.reservations.get_mut(&id) else { return };
        // Every transition is one the machine has; the callers check the state first, so an
        // invalid one is a provider bug and is ignored rather than panicking a run.
        let Ok(next) = r.state.next(event) else { return };
        r.state = next;
        let request = r.request;
        self.emit(Observation::Reservation { request, reservation: id, state: next, refusal });
    }

    fn reserve(&mut self, req: &ReserveRequest) -> Result<(), ProviderError> {
        self.check_offer(req.offer)?;
        if req.count == 0 {
            return Err(self.invalid(req.request, "count must be at least 1"));
        }
        if req.duration == SimDuration::ZERO {
            return Err(self.invalid(req.request, "duration must be above zero"));
        }
        let region = self.catalog.offer_key(req.offer).0;
        if self.control_plane_down(&self.catalog.region(region).name) {
            self.refuse(req.request, Refusal::ControlPlaneOutage);
            return Ok(());
        }
        let Some(terms) = self.terms.product(req.product).cloned() else {
            self.refuse(req.request, Refusal::NotOffered);
            return Ok(());
        };
        let ty = self.catalog.instance_type(self.catalog.offer_key(req.offer).1);
        if terms.gpu_only && ty.gpus == 0 {
            self.refuse(req.request, Refusal::NotOffered);
            return Ok(());
        }
        let now = self.now;
        let lead_ok = req.start >= now && {
            let lead = (req.start - now).as_micros();
            let min = terms.min_lead_s.saturating_mul(MICROS_PER_SEC);
            let max = terms.max_lead_s.saturating_mul(MICROS_PER_SEC);
            (min..=max).contains(&lead)
        };
        if !lead_ok {
            self.refuse(req.request, Refusal::LeadTime);
            return Ok(());
        }
        let whole_seconds = req.duration.as_micros().is_multiple_of(MICROS_PER_SEC);
        let duration_s = req.duration.as_micros() / MICROS_PER_SEC;
        let vcpus = u64::from(ty.vcpus) * u64::from(req.count);
        if !whole_seconds
            || !terms.allows_duration(duration_s)
            || req.count > terms.max_count
            || vcpus < u64::from(terms.min_vcpus)
        {
            self.refuse(req.request, Refusal::Terms);
            return Ok(());
        }
        let Some(end) = req.start.checked_add(req.duration) else {
            return Err(self.invalid(req.request, "start + duration overflows"));
        };
        let region_name = &self.catalog.region(self.catalog.offer_key(req.offer).0).name;
        if self.config.region_vcpu_quota.get(region_name).is_some_and(|q| vcpus > *q) {
            self.refuse(req.request, Refusal::QuotaExceeded);
            return Ok(());
        }
        let id = ReservationId(self.id_base + self.next_reservation);
        self.next_reservation += 1;
        self.reservations.insert(
            id,
            Reservation {
                request: req.request,
                offer: req.offer,
                count: req.count,
                start: req.start,
                end,
                state: ReservationState::Requested,
                billed_until: None,
                billed_us: 0,
                waived: false,
                block_noticed: false,
                closed_for_launch: false,
                instances: BTreeSet::new(),
                covered: 0,
                terms: terms.clone(),
            },
        );
        self.transition(id, ReservationEvent::Acknowledge, None);
        self.schedule(now + SimDuration::from_secs(terms.assessment_s), Timer::Assess(id));
        Ok(())
    }

    fn assess(&mut self, id: ReservationId) {
        let u: f64 = self.assess_rng.random();
        let Some(r) = self.reservations.get(&id).cloned() else { return };
        if r.state != ReservationState::Assessing {
            return;
        }
        if u < r.terms.unsupported_probability {
            self.transition(id, ReservationEvent::RejectUnsupported, Some(Refusal::Unsupported));
            return;
        }
        let now = self.now;
        let start = r.start.max(now);
        if start >= r.end {
            self.transition(id, ReservationEvent::Decline, Some(Refusal::LeadTime));
            return;
        }
        let fits = self.pools.get(&r.offer).is_some_and(|p| p.can_commit(start, r.end, r.count));
        if !fits {
            self.transition(id, ReservationEvent::Decline, Some(Refusal::InsufficientCapacity));
            return;
        }
        self.pool(r.offer).hold(id, start, r.end, r.count);
        if let Some(res) = self.reservations.get_mut(&id) {
            res.start = start;
        }
        self.transition(id, ReservationEvent::Schedule, None);
        if r.terms.upfront {
            let hours = r.end.saturating_since(start).as_micros();
            let usd = usd_for(self.reservation_usd_per_hour(&r, r.count), hours);
            self.ledger.book(Charge {
                at: now,
                cloud: self.cloud,
                region: self.catalog.offer_key(r.offer).0,
                offer: Some(r.offer),
                kind: ChargeKind::Upfront { product: r.terms.kind },
                instance: None,
                reservation: Some(id),
                amount: book_usd(usd),
            });
        }
        self.schedule(start, Timer::Start(id));
        if let EndBehaviour::TerminateBefore { secs } = r.terms.end {
            let cutoff = SimTime(r.end.0.saturating_sub(secs.saturating_mul(MICROS_PER_SEC)));
            let notice = SimTime(
                cutoff.0.saturating_sub(self.config.block_notice_s.saturating_mul(MICROS_PER_SEC)),
            );
            self.schedule(notice.max(start), Timer::BlockNotice(id));
            self.schedule(cutoff.max(start), Timer::BlockTerminate(id));
        }
        self.schedule(r.end, Timer::End(id));
    }

    fn activate(&mut self, id: ReservationId) {
        self.transition(id, ReservationEvent::Activate, None);
        let now = self.now;
        let Some(r) = self.reservations.get_mut(&id) else { return };
        r.billed_until = Some(now);
        let offer = r.offer;
        self.reclaim_spot(offer);
        self.cover(offer);
    }

    fn start(&mut self, id: ReservationId) {
        let Some(r) = self.reservations.get(&id) else { return };
        if r.state != ReservationState::Scheduled {
            return;
        }
        if r.terms.kind == ProductKind::FutureReservation {
            let u: f64 = self.supply_rng.random();
            if u < self.config.delayed_probability {
                self.transition(id, ReservationEvent::Delay, None);
                if let Some(r) = self.reservations.get_mut(&id) {
                    r.waived = true;
                }
                let at = self.now + SimDuration::from_secs(self.config.delay_s);
                self.schedule(at, Timer::DelayOver(id));
                return;
            }
        }
        self.activate(id);
    }

    /// Ends reservation `id` (expiry or cancellation): books it, frees its slots, and deals
    /// with its instances by its end behaviour.
    fn finish(&mut self, id: ReservationId, event: ReservationEvent) {
        let now = self.now;
        self.book_reservation(id, now);
        self.book_minimum(id);
        self.uncover_reservation(id);
        let Some(r) = self.reservations.get(&id).cloned() else { return };
        self.pool(r.offer).release(id);
        self.transition(id, event, None);
        if let Some(res) = self.reservations.get_mut(&id) {
            res.billed_until = None;
            res.closed_for_launch = true;
        }
        for inst in r.instances {
            match r.terms.end {
                EndBehaviour::Release => self.release_to_on_demand(inst),
                EndBehaviour::TerminateBefore { .. } => {
                    self.terminate(inst, TerminationReason::ReservationEnded);
                }
            }
        }
        if let Some(res) = self.reservations.get_mut(&id) {
            res.instances.clear();
        }
        self.reclaim_spot(r.offer);
        self.cover(r.offer);
    }

    fn cancel(&mut self, request: RequestId, id: ReservationId) -> Result<(), ProviderError> {
        let Some(r) = self.reservations.get(&id) else {
            return Err(ProviderError::UnknownReservation { cloud: self.cloud, reservation: id });
        };
        if r.state.is_terminal() {
            self.refuse(request, Refusal::ReservationNotUsable);
            return Ok(());
        }
        let allowed = r.state.next(ReservationEvent::Cancel).is_ok()
            && match r.terms.cancellation {
                Cancellation::Anytime => true,
                Cancellation::BeforeStart => r.state != ReservationState::Active,
                Cancellation::Never => false,
            };
        if !allowed {
            self.refuse(request, Refusal::NotCancellable);
            return Ok(());
        }
        self.finish(id, ReservationEvent::Cancel);
        Ok(())
    }

    fn commit(&mut self, req: &CommitRequest) -> Result<(), ProviderError> {
        self.check_offer(req.offer)?;
        if req.count == 0 {
            return Err(self.invalid(req.request, "count must be at least 1"));
        }
        let Some(discount) = self.terms.discounts.iter().find(|d| d.name == req.discount).cloned()
        else {
            return Err(self.invalid(
                req.request,
                format!("{} sells no discount named {:?}", self.cloud, req.discount),
            ));
        };
        let usd_per_hour = self.catalog.discounted_price(req.offer, &req.discount).unwrap_or(0.0);
        let now = self.now;
        let end = now
            .checked_add(SimDuration::from_secs(u64::from(discount.term_days) * 86_400))
            .unwrap_or(SimTime::MAX);
        let ix = self.commitments.len();
        self.commitments.push(Commitment {
            offer: req.offer,
            kind: discount.kind,
            count: req.count,
            usd_per_hour,
            end,
            billed_until: now,
            covered: BTreeSet::new(),
            reservations: BTreeMap::new(),
        });
        self.schedule(end, Timer::CommitmentEnd(ix));
        self.emit(Observation::Committed { request: req.request });
        self.cover(req.offer);
        Ok(())
    }

    fn end_commitment(&mut self, ix: usize) {
        let now = self.now;
        self.book_commitment(ix, now);
        let Some(c) = self.commitments.get_mut(ix) else { return };
        let covered = std::mem::take(&mut c.covered);
        let reservations = std::mem::take(&mut c.reservations);
        let offer = c.offer;
        for id in covered {
            self.set_rate(id, Rate::OnDemand);
            self.uncovered.entry(offer).or_default().insert(id);
        }
        for (id, n) in reservations {
            self.book_reservation(id, now);
            if let Some(r) = self.reservations.get_mut(&id) {
                r.covered = r.covered.saturating_sub(n);
            }
        }
        self.cover(offer);
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Ready(id) => {
                if self.instances.get(&id).is_some_and(|i| i.alive) {
                    self.emit(Observation::Ready { instance: id });
                }
            }
            Timer::SpotNotice(id) => self.spot_notice(id),
            Timer::Terminate(id, reason) => self.terminate(id, reason),
            Timer::Fail(id) => self.fail_silently(id),
            Timer::Assess(id) => self.assess(id),
            Timer::Start(id) => self.start(id),
            Timer::DelayOver(id) => {
                if self.reservations.get(&id).is_some_and(|r| r.state == ReservationState::Delayed)
                {
                    self.activate(id);
                }
            }
            Timer::BlockNotice(id) => {
                let Some(r) = self.reservations.get_mut(&id) else { return };
                if r.state != ReservationState::Active {
                    return;
                }
                r.block_noticed = true;
                let at = block_cutoff(r);
                let instances: Vec<InstanceId> = r.instances.iter().copied().collect();
                for inst in instances {
                    self.block_notice_instance(inst, at);
                }
            }
            Timer::BlockTerminate(id) => {
                let Some(r) = self.reservations.get_mut(&id) else { return };
                if r.state != ReservationState::Active {
                    return;
                }
                r.closed_for_launch = true;
                let instances: Vec<InstanceId> = r.instances.iter().copied().collect();
                for inst in instances {
                    self.terminate(inst, TerminationReason::ReservationEnded);
                }
            }
            Timer::End(id) => {
                let state = self.reservations.get(&id).map(|r| r.state);
                if matches!(state, Some(ReservationState::Active | ReservationState::Delayed)) {
                    self.finish(id, ReservationEvent::Expire);
                }
            }
            Timer::CommitmentEnd(ix) => self.end_commitment(ix),
            Timer::Storm(ix) => self.storm(ix),
        }
    }

    fn answer(&mut self, action: &CloudAction) -> Result<(), ProviderError> {
        match action {
            CloudAction::Reserve(req) => self.reserve(req),
            CloudAction::Cancel { request, reservation } => self.cancel(*request, *reservation),
            CloudAction::Launch(req) => self.launch(req),
            CloudAction::Terminate { instance, .. } => {
                let Some(inst) = self.instances.get(instance) else {
                    return Err(ProviderError::UnknownInstance {
                        cloud: self.cloud,
                        instance: *instance,
                    });
                };
                // An instance already gone stays gone; its `Terminated` was reported.
                if inst.alive {
                    self.terminate(*instance, TerminationReason::Requested);
                }
                Ok(())
            }
            CloudAction::Commit(req) => self.commit(req),
        }
    }
}

/// When a capacity block's instances are terminated: `end − secs`.
fn block_cutoff(r: &Reservation) -> SimTime {
    match r.terms.end {
        EndBehaviour::TerminateBefore { secs } => {
            SimTime(r.end.0.saturating_sub(secs.saturating_mul(MICROS_PER_SEC))).max(r.start)
        }
        EndBehaviour::Release => r.end,
    }
}

impl Provider for SimProvider {
    fn cloud(&self) -> Cloud {
        self.cloud
    }

    fn execute(&mut self, now: SimTime, action: &CloudAction) -> Result<(), ProviderError> {
        self.check_time(now)?;
        self.advance(now);
        let request = action.request();
        if let Some(done) = self.requests.get(&request) {
            if done.action != *action {
                return Err(self.invalid(request, "request id reused for a different action"));
            }
            for observation in done.answer.clone() {
                self.emit(observation);
            }
            return Ok(());
        }
        let mark = self.outbox.len();
        self.answer(action)?;
        // Notices the action caused for other instances (spot reclaimed) are not part of
        // its answer and are not re-reported on a retry.
        let answer = self
            .outbox
            .iter()
            .skip(mark)
            .filter(|o| !matches!(o.observation, Observation::Notice { .. }))
            .map(|o| o.observation.clone())
            .collect();
        self.requests.insert(request, Answered { action: action.clone(), answer });
        Ok(())
    }

    fn poll(&mut self, now: SimTime) -> Vec<Observed> {
        if now >= self.now {
            self.advance(now);
        }
        let mut out = Vec::new();
        while self.outbox.front().is_some_and(|o| o.at <= now) {
            out.extend(self.outbox.pop_front());
        }
        out
    }

    fn next_due(&self) -> Option<SimTime> {
        let outbox = self.outbox.front().map(|o| o.at);
        let timer = self.timers.keys().next().map(|(t, _)| *t);
        match (outbox, timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn spot_price(&self, now: SimTime, offer: OfferIx) -> Option<f64> {
        self.spot.price(offer, now)
    }
}
