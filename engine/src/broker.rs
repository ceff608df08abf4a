//! The broker (Cross-Provider Resource Broker): carries reservation and launch intents out
//! through the [`Provider`](crate::cloud::Provider) port.
//!
//! A policy states an *intent*: "reserve 12 of the best of these offers from Monday 00:00 for a
//! week", "launch 3 on demand, cheapest first". The broker turns it into one
//! [`CloudAction`] at a time and follows the answers:
//!
//! - **Fallback.** An intent lists candidates best first (offer × product or launch option,
//!   across regions and providers, as the policy ranks them). A refusal
//!   (`InsufficientCapacity`, `Unsupported`, `LeadTime`, …) moves to the next candidate; when
//!   every candidate is refused the intent fails and the policy hears why.
//! - **Idempotency.** Each action carries a fresh [`RequestId`] from a counter; a request is
//!   never reissued with a new id while it is pending, so a provider that sees a retry (same
//!   id) answers it without buying twice.
//! - **Budget.** The broker keeps the money it has committed: reservations at price × count ×
//!   duration (capacity blocks up front), and for on-demand and spot instances a *lease*: the
//!   on-demand price × [`LEASE`] paid ahead, renewed by [`Broker::renew`]. Before any action
//!   it checks `committed + cost ≤ budget`; what does not fit is refused with
//!   [`IntentFailure::OverBudget`]. Since an instance whose lease cannot be renewed is
//!   terminated at its lease end, spending never exceeds the budget (billing minimums are
//!   shorter than a lease). Spot is budgeted at the on-demand price, its ceiling.
//!
//! The broker never reads a clock: `now` is an argument everywhere.

use std::collections::{BTreeMap, BTreeSet};

use crate::cloud::{
    Catalog, CloudAction, LaunchOption, LaunchRequest, Observation, Observed, OfferIx, ProductKind,
    Refusal, ReservationPrice, ReservationState, ReserveRequest,
};
use crate::ids::{InstanceId, RequestId, ReservationId};
use crate::money::Money;
use crate::time::{SimDuration, SimTime};

/// How long an on-demand or spot instance is budgeted ahead: one hour.
pub const LEASE: SimDuration = SimDuration::from_hours(1);

/// A caller's tag for an intent, handed back with every event about it (e.g. a shard index).
pub type Tag = u64;

/// One way to satisfy a reservation intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReserveCandidate {
    /// What to reserve.
    pub offer: OfferIx,
    /// Which product.
    pub product: ProductKind,
}

/// "Reserve `count` instances of the best candidate for `[start, start + duration)`."
#[derive(Clone, Debug, PartialEq)]
pub struct ReserveIntent {
    /// Handed back in events.
    pub tag: Tag,
    /// Best first.
    pub candidates: Vec<ReserveCandidate>,
    /// Instances.
    pub count: u32,
    /// Start of the reservation.
    pub start: SimTime,
    /// Its length.
    pub duration: SimDuration,
}

/// "Launch `count` instances of the best candidate."
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchIntent {
    /// Handed back in events.
    pub tag: Tag,
    /// Best first: offer and how to pay.
    pub candidates: Vec<(OfferIx, LaunchOption)>,
    /// Instances.
    pub count: u32,
}

/// Why an intent could not be carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IntentFailure {
    /// Every candidate was refused; the last refusal.
    Refused(Refusal),
    /// Carrying it out would exceed the budget.
    OverBudget,
    /// The intent listed no candidate (or a count of 0).
    Empty,
}

impl IntentFailure {
    /// The snake-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentFailure::Refused(r) => r.as_str(),
            IntentFailure::OverBudget => "over_budget",
            IntentFailure::Empty => "empty",
        }
    }
}

/// What the broker tells its caller.
#[derive(Clone, Debug, PartialEq)]
pub enum BrokerEvent {
    /// A reservation of the intent tagged `tag` was accepted (scheduled or active).
    Reserved {
        /// The intent's tag.
        tag: Tag,
        /// The reservation.
        reservation: ReservationId,
        /// What was reserved.
        offer: OfferIx,
        /// Which product.
        product: ProductKind,
        /// Instances.
        count: u32,
    },
    /// A reservation changed state after acceptance (active, expired, cancelled, delayed).
    ReservationState {
        /// The intent's tag.
        tag: Tag,
        /// The reservation.
        reservation: ReservationId,
        /// Its new state.
        state: ReservationState,
    },
    /// An instance of the intent tagged `tag` was launched.
    Launched {
        /// The intent's tag.
        tag: Tag,
        /// The instance.
        instance: InstanceId,
        /// What it is.
        offer: OfferIx,
        /// How it is paid.
        option: LaunchOption,
        /// When it will have booted.
        ready_at: SimTime,
    },
    /// The intent failed.
    Failed {
        /// The intent's tag.
        tag: Tag,
        /// Why.
        failure: IntentFailure,
        /// Instances of a launch intent that were not launched.
        missing: u32,
    },
}

#[derive(Clone, Debug)]
enum Pending {
    Reserve { intent: ReserveIntent, next: usize, cost: Money },
    Launch { intent: LaunchIntent, next: usize, launched: u32, cost: Money },
}

/// Counts of what the broker did, for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrokerStats {
    /// Actions sent.
    pub requests: u64,
    /// Refusals received, by reason.
    pub refusals: BTreeMap<Refusal, u64>,
    /// Times a refusal moved an intent to its next candidate.
    pub fallbacks: u64,
    /// Intents refused for budget.
    pub over_budget: u64,
}

/// The answer to an intent with no candidate or no count: nothing to send, one failure.
fn empty_intent(tag: Tag, count: u32) -> (Vec<CloudAction>, Vec<BrokerEvent>) {
    (vec![], vec![BrokerEvent::Failed { tag, failure: IntentFailure::Empty, missing: count }])
}

/// See the module docs.
#[derive(Clone, Debug)]
pub struct Broker {
    catalog: std::sync::Arc<Catalog>,
    budget: Option<Money>,
    committed: Money,
    next_request: u64,
    pending: BTreeMap<RequestId, Pending>,
    reservations: BTreeMap<ReservationId, Tag>,
    leases: BTreeMap<InstanceId, (OfferIx, SimTime)>,
    /// Instances already reported launched, so a duplicated report counts once.
    launched: BTreeSet<InstanceId>,
    stats: BrokerStats,
}

impl Broker {
    /// A broker buying from `catalog`'s offers, never committing more than `budget` (if any).
    pub fn new(catalog: std::sync::Arc<Catalog>, budget: Option<Money>) -> Broker {
        Broker {
            catalog,
            budget,
            committed: Money::ZERO,
            next_request: 0,
            pending: BTreeMap::new(),
            reservations: BTreeMap::new(),
            leases: BTreeMap::new(),
            launched: BTreeSet::new(),
            stats: BrokerStats::default(),
        }
    }

    /// Money committed so far (reservations in full, instances through their current lease).
    pub fn committed(&self) -> Money {
        self.committed
    }

    /// What the broker did.
    pub fn stats(&self) -> &BrokerStats {
        &self.stats
    }

    /// Whether any request is still waiting for an answer.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    fn fresh_request(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }

    fn fits_budget(&self, cost: Money) -> bool {
        self.budget.is_none_or(|b| self.committed + cost <= b)
    }

    /// The price of reserving `offer` as `product` for `duration`, per instance, in full.
    pub fn reservation_cost(&self, candidate: ReserveCandidate, duration: SimDuration) -> Money {
        let offer = self.catalog.offer(candidate.offer);
        let multiple = self
            .catalog
            .provider(offer.cloud)
            .and_then(|p| p.product(candidate.product))
            .map_or(1.0, |t| match t.price {
                ReservationPrice::OnDemand => 1.0,
                ReservationPrice::OnDemandMultiple(m) => m,
            });
        let hours = duration.as_secs_f64() / 3600.0;
        Money::from_usd(offer.on_demand_usd_per_hour * multiple * hours).unwrap_or(Money::ZERO)
    }

    /// The budget held for one instance of `offer` for one [`LEASE`].
    pub fn lease_cost(&self, offer: OfferIx) -> Money {
        let hours = LEASE.as_secs_f64() / 3600.0;
        Money::from_usd(self.catalog.offer(offer).on_demand_usd_per_hour * hours)
            .unwrap_or(Money::ZERO)
    }

    /// Starts a reservation intent: returns the first action, or a failure event.
    pub fn reserve(
        &mut self,
        now: SimTime,
        intent: ReserveIntent,
    ) -> (Vec<CloudAction>, Vec<BrokerEvent>) {
        let _ = now;
        if intent.candidates.is_empty() || intent.count == 0 {
            return empty_intent(intent.tag, intent.count);
        }
        self.advance_reserve(intent, 0)
    }

    fn advance_reserve(
        &mut self,
        intent: ReserveIntent,
        from: usize,
    ) -> (Vec<CloudAction>, Vec<BrokerEvent>) {
        let mut over_budget = false;
        for i in from..intent.candidates.len() {
            let c = intent.candidates[i];
            let cost = Money(self.reservation_cost(c, intent.duration).0 * i64::from(intent.count));
            if !self.fits_budget(cost) {
                over_budget = true;
                continue;
            }
            self.committed += cost;
            let request = self.fresh_request();
            self.stats.requests += 1;
            let action = CloudAction::Reserve(ReserveRequest {
                request,
                offer: c.offer,
                product: c.product,
                count: intent.count,
                start: intent.start,
                duration: intent.duration,
            });
            self.pending.insert(request, Pending::Reserve { intent, next: i + 1, cost });
            return (vec![action], vec![]);
        }
        let failure = if over_budget {
            self.stats.over_budget += 1;
            IntentFailure::OverBudget
        } else {
            IntentFailure::Refused(Refusal::InsufficientCapacity)
        };
        (vec![], vec![BrokerEvent::Failed { tag: intent.tag, failure, missing: intent.count }])
    }

    /// Starts a launch intent: returns the first action, or a failure event. Only as many
    /// instances as the budget allows a lease for are requested; the rest fail `OverBudget`.
    pub fn launch(
        &mut self,
        now: SimTime,
        intent: LaunchIntent,
    ) -> (Vec<CloudAction>, Vec<BrokerEvent>) {
        let _ = now;
        if intent.candidates.is_empty() || intent.count == 0 {
            return empty_intent(intent.tag, intent.count);
        }
        self.advance_launch(intent, 0, 0)
    }

    fn advance_launch(
        &mut self,
        mut intent: LaunchIntent,
        from: usize,
        launched: u32,
    ) -> (Vec<CloudAction>, Vec<BrokerEvent>) {
        let mut events = vec![];
        let wanted = intent.count - launched;
        for i in from..intent.candidates.len() {
            let (offer, option) = intent.candidates[i];
            // Instances launched into a reservation are paid by it.
            let unit = match option {
                LaunchOption::Reserved(_) => Money::ZERO,
                LaunchOption::OnDemand | LaunchOption::Spot => self.lease_cost(offer),
            };
            let mut count = wanted;
            while count > 0 && !self.fits_budget(Money(unit.0 * i64::from(count))) {
                count -= 1;
            }
            if count == 0 {
                continue;
            }
            if count < wanted {
                self.stats.over_budget += 1;
                events.push(BrokerEvent::Failed {
                    tag: intent.tag,
                    failure: IntentFailure::OverBudget,
                    missing: wanted - count,
                });
                intent.count = launched + count;
            }
            let cost = Money(unit.0 * i64::from(count));
            self.committed += cost;
            let request = self.fresh_request();
            self.stats.requests += 1;
            let action = CloudAction::Launch(LaunchRequest { request, offer, option, count });
            self.pending.insert(request, Pending::Launch { intent, next: i + 1, launched, cost });
            return (vec![action], events);
        }
        let over = intent.candidates[from.min(intent.candidates.len().saturating_sub(1))..]
            .iter()
            .any(|(o, opt)| {
                !matches!(opt, LaunchOption::Reserved(_)) && !self.fits_budget(self.lease_cost(*o))
            });
        let failure = if over {
            self.stats.over_budget += 1;
            IntentFailure::OverBudget
        } else {
            IntentFailure::Refused(Refusal::InsufficientCapacity)
        };
        events.push(BrokerEvent::Failed { tag: intent.tag, failure, missing: wanted });
        (vec![], events)
    }

    /// Renews the lease of `instance` for another [`LEASE`] if the budget allows: the new lease
    /// follows the current one (from its end, or from `now` if it already ran out), so time
    /// already paid for is never paid twice. `false` means the caller must terminate it by its
    /// lease end.
    pub fn renew(&mut self, now: SimTime, instance: InstanceId) -> bool {
        let Some(&(offer, end)) = self.leases.get(&instance) else { return true };
        let cost = self.lease_cost(offer);
        if !self.fits_budget(cost) {
            self.stats.over_budget += 1;
            return false;
        }
        self.committed += cost;
        let until = end.max(now).checked_add(LEASE).unwrap_or(SimTime::MAX);
        self.leases.insert(instance, (offer, until));
        true
    }

    /// When the lease of `instance` ends (`None` for reserved instances, which have none).
    pub fn lease_end(&self, instance: InstanceId) -> Option<SimTime> {
        self.leases.get(&instance).map(|(_, until)| *until)
    }

    /// Forgets an instance that is gone.
    pub fn forget(&mut self, instance: InstanceId) {
        self.leases.remove(&instance);
    }

    /// Follows a provider's observation: returns the actions it leads to (the next candidate
    /// after a refusal) and what the caller should know.
    pub fn observe(&mut self, obs: &Observed) -> (Vec<CloudAction>, Vec<BrokerEvent>) {
        match &obs.observation {
            Observation::Refused { request, refusal } => self.refused(*request, *refusal),
            Observation::Reservation { request, reservation, state, refusal } => {
                if let Some(refusal) = refusal.filter(|_| {
                    matches!(state, ReservationState::Declined | ReservationState::Unsupported)
                }) {
                    return self.refused(*request, refusal);
                }
                let accepted =
                    matches!(state, ReservationState::Scheduled | ReservationState::Active);
                if accepted && matches!(self.pending.get(request), Some(Pending::Reserve { .. })) {
                    let Some(Pending::Reserve { intent, next, .. }) = self.pending.remove(request)
                    else {
                        return (vec![], vec![]);
                    };
                    let sent = intent.candidates[next - 1];
                    self.reservations.insert(*reservation, intent.tag);
                    let mut events = vec![BrokerEvent::Reserved {
                        tag: intent.tag,
                        reservation: *reservation,
                        offer: sent.offer,
                        product: sent.product,
                        count: intent.count,
                    }];
                    // Accepted and already active (a capacity reservation starting now): the
                    // caller hears the activation too, or it would never launch into it.
                    if *state == ReservationState::Active {
                        events.push(BrokerEvent::ReservationState {
                            tag: intent.tag,
                            reservation: *reservation,
                            state: *state,
                        });
                    }
                    return (vec![], events);
                }
                match self.reservations.get(reservation) {
                    Some(&tag) => (
                        vec![],
                        vec![BrokerEvent::ReservationState {
                            tag,
                            reservation: *reservation,
                            state: *state,
                        }],
                    ),
                    None => (vec![], vec![]),
                }
            }
            Observation::Launched { request, instance, offer, option, ready_at } => {
                if self.launched.contains(instance) {
                    // A duplicated report: the instance was counted already.
                    return (vec![], vec![]);
                }
                let Some(Pending::Launch { intent, launched, .. }) = self.pending.get_mut(request)
                else {
                    return (vec![], vec![]);
                };
                self.launched.insert(*instance);
                *launched += 1;
                let tag = intent.tag;
                let done = *launched >= intent.count;
                if done {
                    self.pending.remove(request);
                }
                if !matches!(option, LaunchOption::Reserved(_)) {
                    let until = obs.at.checked_add(LEASE).unwrap_or(SimTime::MAX);
                    self.leases.insert(*instance, (*offer, until));
                }
                (
                    vec![],
                    vec![BrokerEvent::Launched {
                        tag,
                        instance: *instance,
                        offer: *offer,
                        option: *option,
                        ready_at: *ready_at,
                    }],
                )
            }
            _ => (vec![], vec![]),
        }
    }

    fn refused(
        &mut self,
        request: RequestId,
        refusal: Refusal,
    ) -> (Vec<CloudAction>, Vec<BrokerEvent>) {
        *self.stats.refusals.entry(refusal).or_default() += 1;
        let Some(pending) = self.pending.remove(&request) else { return (vec![], vec![]) };
        match pending {
            Pending::Reserve { intent, next, cost } => {
                self.committed = self.committed - cost;
                if next < intent.candidates.len() {
                    self.stats.fallbacks += 1;
                    self.advance_reserve(intent, next)
                } else {
                    let (tag, missing) = (intent.tag, intent.count);
                    (
                        vec![],
                        vec![BrokerEvent::Failed {
                            tag,
                            failure: IntentFailure::Refused(refusal),
                            missing,
                        }],
                    )
                }
            }
            Pending::Launch { intent, next, launched, cost } => {
                // The launch request was refused as a whole: release its budget.
                self.committed = self.committed - cost;
                if next < intent.candidates.len() {
                    self.stats.fallbacks += 1;
                    self.advance_launch(intent, next, launched)
                } else {
                    let (tag, missing) = (intent.tag, intent.count - launched);
                    (
                        vec![],
                        vec![BrokerEvent::Failed {
                            tag,
                            failure: IntentFailure::Refused(refusal),
                            missing,
                        }],
                    )
                }
            }
        }
    }
}
