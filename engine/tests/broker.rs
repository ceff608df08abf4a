//! The broker against a fake provider: fallback on refusal, idempotent request ids, the budget
//! cap and lease renewal.
//!
//! Prices (see `common::catalog`): offer 0 AWS us-east-1 c5 $0.20/h, offer 1 AWS us-east-1 m5
//! $0.22/h, offer 2 AWS us-west-2 c5 $0.24/h, offer 3 GCP us-central1 n2 $0.28/h. A capacity
//! reservation costs the on-demand price; a capacity block 1.5× it.

mod common;

use std::collections::BTreeSet;

use common::{AWS_EAST_C5, AWS_EAST_M5, AWS_WEST_C5, FakeProvider, GCP_N2, PRICES, catalog, hours};
use engine::broker::{
    Broker, BrokerEvent, IntentFailure, LEASE, LaunchIntent, ReserveCandidate, ReserveIntent,
};
use engine::cloud::{
    Cloud, CloudAction, LaunchOption, Observation, Observed, OfferIx, ProductKind, Provider,
    Refusal, ReservationState,
};
use engine::{InstanceId, Money, RequestId, SimDuration, SimTime};
use proptest::prelude::*;

/// Two fake providers (AWS, GCP) and a broker, pumped until quiet.
struct World {
    broker: Broker,
    aws: FakeProvider,
    gcp: FakeProvider,
    events: Vec<BrokerEvent>,
    sent: Vec<CloudAction>,
}

impl World {
    fn new(budget: Option<Money>) -> World {
        let cat = catalog();
        World {
            broker: Broker::new(cat.clone(), budget),
            aws: FakeProvider::new(Cloud::Aws, cat.clone()),
            gcp: FakeProvider::new(Cloud::Gcp, cat),
            events: vec![],
            sent: vec![],
        }
    }

    fn provider(&mut self, offer: OfferIx) -> &mut FakeProvider {
        if offer == GCP_N2 { &mut self.gcp } else { &mut self.aws }
    }

    /// Sends `actions`, then feeds every answer back to the broker until nothing is left.
    fn pump(&mut self, now: SimTime, mut actions: Vec<CloudAction>, events: Vec<BrokerEvent>) {
        self.events.extend(events);
        loop {
            for action in actions.drain(..) {
                let offer = match &action {
                    CloudAction::Launch(l) => l.offer,
                    CloudAction::Reserve(r) => r.offer,
                    other => panic!("the broker only launches and reserves, sent {other:?}"),
                };
                self.provider(offer).execute(now, &action).expect("well-formed");
                self.sent.push(action);
            }
            let mut observed = self.aws.poll(now);
            observed.extend(self.gcp.poll(now));
            if observed.is_empty() {
                break;
            }
            for obs in observed {
                let (a, e) = self.broker.observe(&obs);
                actions.extend(a);
                self.events.extend(e);
            }
        }
    }

    fn launch(&mut self, now: SimTime, intent: LaunchIntent) {
        let (a, e) = self.broker.launch(now, intent);
        self.pump(now, a, e);
    }

    fn reserve(&mut self, now: SimTime, intent: ReserveIntent) {
        let (a, e) = self.broker.reserve(now, intent);
        self.pump(now, a, e);
    }

    fn launched_offers(&self) -> Vec<OfferIx> {
        self.events
            .iter()
            .filter_map(|e| match e {
                BrokerEvent::Launched { offer, .. } => Some(*offer),
                _ => None,
            })
            .collect()
    }

    fn failures(&self) -> Vec<(u64, IntentFailure, u32)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                BrokerEvent::Failed { tag, failure, missing } => Some((*tag, *failure, *missing)),
                _ => None,
            })
            .collect()
    }

    fn sent_offers(&self) -> Vec<OfferIx> {
        self.sent
            .iter()
            .map(|a| match a {
                CloudAction::Launch(l) => l.offer,
                CloudAction::Reserve(r) => r.offer,
                _ => unreachable!(),
            })
            .collect()
    }
}

fn on_demand_everywhere() -> Vec<(OfferIx, LaunchOption)> {
    [AWS_EAST_C5, AWS_EAST_M5, AWS_WEST_C5, GCP_N2]
        .into_iter()
        .map(|o| (o, LaunchOption::OnDemand))
        .collect()
}

fn usd(x: f64) -> Money {
    Money::from_usd(x).expect("finite")
}

#[test]
fn a_refusal_moves_to_the_next_best_offer_in_the_same_region() {
    let mut w = World::new(None);
    w.aws.refuse_launch.insert(AWS_EAST_C5, Refusal::InsufficientCapacity);
    w.launch(SimTime::EPOCH, LaunchIntent { tag: 7, candidates: on_demand_everywhere(), count: 2 });
    // Offer 0 is refused, offer 1 (same region, next best) takes both instances.
    assert_eq!(w.sent_offers(), vec![AWS_EAST_C5, AWS_EAST_M5]);
    assert_eq!(w.launched_offers(), vec![AWS_EAST_M5, AWS_EAST_M5]);
    assert!(w.failures().is_empty());
    assert_eq!(w.broker.stats().fallbacks, 1);
    assert_eq!(w.broker.stats().refusals.get(&Refusal::InsufficientCapacity), Some(&1));
    assert!(w.broker.is_idle());
    // Two leases of offer 1: 2 × $0.22 × 1 h = $0.44 (offer 0's refused $0.40 was released).
    assert_eq!(w.broker.committed(), usd(0.44));
}

#[test]
fn refusals_fall_back_to_another_region_then_another_provider() {
    let mut w = World::new(None);
    w.aws.refuse_launch.insert(AWS_EAST_C5, Refusal::InsufficientCapacity);
    w.aws.refuse_launch.insert(AWS_EAST_M5, Refusal::QuotaExceeded);
    w.launch(SimTime::EPOCH, LaunchIntent { tag: 1, candidates: on_demand_everywhere(), count: 1 });
    assert_eq!(w.sent_offers(), vec![AWS_EAST_C5, AWS_EAST_M5, AWS_WEST_C5]);
    assert_eq!(w.launched_offers(), vec![AWS_WEST_C5]);

    // us-west-2 out of capacity too: the GCP offer is the last resort.
    let mut w = World::new(None);
    w.aws.capacity.insert(AWS_EAST_C5, 0);
    w.aws.refuse_launch.insert(AWS_EAST_M5, Refusal::ControlPlaneOutage);
    w.aws.capacity.insert(AWS_WEST_C5, 2);
    w.launch(SimTime::EPOCH, LaunchIntent { tag: 1, candidates: on_demand_everywhere(), count: 3 });
    // 3 > 2 left in us-west-2: the request is refused whole and GCP gets all three.
    assert_eq!(w.sent_offers(), vec![AWS_EAST_C5, AWS_EAST_M5, AWS_WEST_C5, GCP_N2]);
    assert_eq!(w.launched_offers(), vec![GCP_N2; 3]);
    assert_eq!(w.broker.stats().fallbacks, 3);
    assert!(w.failures().is_empty());
}

#[test]
fn an_intent_fails_only_when_every_candidate_refuses() {
    let mut w = World::new(None);
    for o in [AWS_EAST_C5, AWS_EAST_M5, AWS_WEST_C5] {
        w.aws.refuse_launch.insert(o, Refusal::InsufficientCapacity);
    }
    w.gcp.refuse_launch.insert(GCP_N2, Refusal::QuotaExceeded);
    w.launch(SimTime::EPOCH, LaunchIntent { tag: 9, candidates: on_demand_everywhere(), count: 2 });
    // Four requests, four refusals, then one failure naming the last refusal.
    assert_eq!(w.sent.len(), 4);
    assert!(w.launched_offers().is_empty());
    assert_eq!(w.failures(), vec![(9, IntentFailure::Refused(Refusal::QuotaExceeded), 2)]);
    assert_eq!(w.broker.committed(), Money::ZERO, "refused leases are released");
    assert!(w.broker.is_idle());
}

#[test]
fn reservations_fall_back_and_report_the_accepted_candidate() {
    let mut w = World::new(None);
    w.aws.refuse_reserve.insert(AWS_EAST_C5, Refusal::Unsupported);
    let candidates = [AWS_EAST_C5, AWS_EAST_M5, GCP_N2]
        .into_iter()
        .map(|offer| ReserveCandidate { offer, product: ProductKind::CapacityReservation })
        .collect();
    let intent = ReserveIntent {
        tag: 4,
        candidates,
        count: 3,
        start: hours(2),
        duration: SimDuration::from_hours(24),
    };
    w.reserve(SimTime::EPOCH, intent);
    let reserved: Vec<_> = w
        .events
        .iter()
        .filter_map(|e| match e {
            BrokerEvent::Reserved { tag, offer, count, .. } => Some((*tag, *offer, *count)),
            _ => None,
        })
        .collect();
    assert_eq!(reserved, vec![(4, AWS_EAST_M5, 3)]);
    // 3 × $0.22 × 24 h = $15.84 committed for the accepted reservation only.
    assert_eq!(w.broker.committed(), usd(15.84));

    // Later states of the reservation come back under the intent's tag.
    let (rid, request) = match (&w.events[0], &w.sent[1]) {
        (BrokerEvent::Reserved { reservation, .. }, CloudAction::Reserve(r)) => {
            (*reservation, r.request)
        }
        other => panic!("{other:?}"),
    };
    let active = Observed {
        at: hours(2),
        cloud: Cloud::Aws,
        observation: Observation::Reservation {
            request,
            reservation: rid,
            state: ReservationState::Active,
            refusal: None,
        },
    };
    let (_, events) = w.broker.observe(&active);
    assert_eq!(
        events,
        vec![BrokerEvent::ReservationState {
            tag: 4,
            reservation: rid,
            state: ReservationState::Active
        }]
    );

    // Every candidate refusing fails the intent with the last refusal.
    let mut w = World::new(None);
    w.aws.refuse_reserve.insert(AWS_EAST_C5, Refusal::LeadTime);
    w.gcp.refuse_reserve.insert(GCP_N2, Refusal::Terms);
    let candidates = [AWS_EAST_C5, GCP_N2]
        .into_iter()
        .map(|offer| ReserveCandidate { offer, product: ProductKind::CapacityBlock })
        .collect();
    let intent = ReserveIntent {
        tag: 5,
        candidates,
        count: 1,
        start: hours(2),
        duration: SimDuration::from_hours(24),
    };
    w.reserve(SimTime::EPOCH, intent);
    assert_eq!(w.failures(), vec![(5, IntentFailure::Refused(Refusal::Terms), 1)]);
    assert_eq!(w.broker.committed(), Money::ZERO);
}

#[test]
fn a_declined_reservation_falls_back_like_a_refusal() {
    let mut w = World::new(None);
    let candidates = [AWS_EAST_C5, AWS_WEST_C5]
        .into_iter()
        .map(|offer| ReserveCandidate { offer, product: ProductKind::CapacityReservation })
        .collect();
    let intent = ReserveIntent {
        tag: 2,
        candidates,
        count: 1,
        start: hours(1),
        duration: SimDuration::from_hours(1),
    };
    let (actions, _) = w.broker.reserve(SimTime::EPOCH, intent);
    let CloudAction::Reserve(first) = &actions[0] else { panic!() };
    // The provider declines after acknowledging (AWS `unsupported` after assessment).
    let declined = Observed {
        at: SimTime::EPOCH,
        cloud: Cloud::Aws,
        observation: Observation::Reservation {
            request: first.request,
            reservation: engine::ReservationId(77),
            state: ReservationState::Unsupported,
            refusal: Some(Refusal::Unsupported),
        },
    };
    let (next, events) = w.broker.observe(&declined);
    assert!(events.is_empty());
    let [CloudAction::Reserve(second)] = next.as_slice() else { panic!("{next:?}") };
    assert_eq!(second.offer, AWS_WEST_C5);
    assert_ne!(second.request, first.request, "a new candidate is a new request");
}

#[test]
fn a_reservation_first_reported_active_is_reported_reserved_and_active() {
    // A capacity reservation starting now may be reported active in its first report.
    let mut w = World::new(None);
    let candidates =
        vec![ReserveCandidate { offer: AWS_EAST_C5, product: ProductKind::CapacityReservation }];
    let intent = ReserveIntent {
        tag: 6,
        candidates,
        count: 2,
        start: SimTime::EPOCH,
        duration: SimDuration::from_hours(1),
    };
    let (actions, _) = w.broker.reserve(SimTime::EPOCH, intent);
    let CloudAction::Reserve(r) = &actions[0] else { panic!() };
    let rid = engine::ReservationId(5);
    let active = Observed {
        at: SimTime::EPOCH,
        cloud: Cloud::Aws,
        observation: Observation::Reservation {
            request: r.request,
            reservation: rid,
            state: ReservationState::Active,
            refusal: None,
        },
    };
    let (_, events) = w.broker.observe(&active);
    // The caller must hear both: it launches into a reservation when it turns active.
    assert_eq!(
        events,
        vec![
            BrokerEvent::Reserved {
                tag: 6,
                reservation: rid,
                offer: AWS_EAST_C5,
                product: ProductKind::CapacityReservation,
                count: 2
            },
            BrokerEvent::ReservationState {
                tag: 6,
                reservation: rid,
                state: ReservationState::Active
            },
        ]
    );
}

#[test]
fn a_retried_request_never_buys_twice() {
    let mut w = World::new(None);
    let (actions, _) = w.broker.launch(
        SimTime::EPOCH,
        LaunchIntent { tag: 3, candidates: on_demand_everywhere(), count: 2 },
    );
    assert_eq!(actions.len(), 1, "one request per intent");
    // The driver times out and sends the same request again (same id), twice.
    for _ in 0..3 {
        w.aws.execute(SimTime::EPOCH, &actions[0]).expect("well-formed");
    }
    assert_eq!(w.aws.received.len(), 3);
    assert_eq!(w.aws.launches(), 1, "the provider carried out one launch");
    let observed = w.aws.poll(SimTime::EPOCH);
    // Two `Launched` for count 2 (Ready comes after the 60 s boot).
    assert_eq!(observed.len(), 2);
    for obs in &observed {
        let (a, e) = w.broker.observe(obs);
        assert!(a.is_empty());
        w.events.extend(e);
    }
    assert_eq!(w.launched_offers(), vec![AWS_EAST_C5; 2]);
    assert!(w.broker.is_idle());
    // Two leases: 2 × $0.20 = $0.40, once.
    assert_eq!(w.broker.committed(), usd(0.40));
}

#[test]
fn a_duplicated_report_is_counted_once() {
    // A provider (or a driver replaying after a crash) may deliver the same report twice.
    let mut w = World::new(None);
    let (actions, _) = w.broker.launch(
        SimTime::EPOCH,
        LaunchIntent { tag: 3, candidates: on_demand_everywhere(), count: 3 },
    );
    w.aws.execute(SimTime::EPOCH, &actions[0]).expect("well-formed");
    let observed = w.aws.poll(SimTime::EPOCH);
    assert_eq!(observed.len(), 3);
    let mut launched = BTreeSet::new();
    let mut events = 0;
    // Deliver the first report twice, then the others.
    for obs in [&observed[0], &observed[0], &observed[1], &observed[2]] {
        let (_, e) = w.broker.observe(obs);
        for e in e {
            if let BrokerEvent::Launched { instance, .. } = e {
                events += 1;
                launched.insert(instance);
            }
        }
    }
    assert_eq!(launched.len(), 3, "all three instances are reported");
    assert_eq!(events, 3, "each instance exactly once");
    // A refusal delivered twice moves to the next candidate once.
    let mut w = World::new(None);
    w.aws.refuse_launch.insert(AWS_EAST_C5, Refusal::InsufficientCapacity);
    let (actions, _) = w.broker.launch(
        SimTime::EPOCH,
        LaunchIntent { tag: 3, candidates: on_demand_everywhere(), count: 1 },
    );
    w.aws.execute(SimTime::EPOCH, &actions[0]).expect("well-formed");
    let refused = w.aws.poll(SimTime::EPOCH);
    assert_eq!(refused.len(), 1);
    let (first, _) = w.broker.observe(&refused[0]);
    let (second, _) = w.broker.observe(&refused[0]);
    assert_eq!(first.len(), 1);
    assert!(second.is_empty(), "the duplicate refusal sends nothing");
    assert_eq!(w.broker.stats().fallbacks, 1);
}

#[test]
fn request_ids_are_unique_across_intents_and_fallbacks() {
    let mut w = World::new(None);
    w.aws.refuse_launch.insert(AWS_EAST_C5, Refusal::InsufficientCapacity);
    w.aws.refuse_reserve.insert(AWS_EAST_M5, Refusal::Unsupported);
    for tag in 0..20u64 {
        if tag % 2 == 0 {
            w.launch(
                SimTime::EPOCH,
                LaunchIntent { tag, candidates: on_demand_everywhere(), count: 1 + tag as u32 % 3 },
            );
        } else {
            let candidates = [AWS_EAST_M5, AWS_WEST_C5]
                .into_iter()
                .map(|offer| ReserveCandidate { offer, product: ProductKind::CapacityReservation })
                .collect();
            w.reserve(
                SimTime::EPOCH,
                ReserveIntent {
                    tag,
                    candidates,
                    count: 1,
                    start: hours(1),
                    duration: SimDuration::from_hours(2),
                },
            );
        }
    }
    // 10 launches × 2 requests (offer 0 refused, then offer 1) + 10 reservations × 2 = 40.
    assert_eq!(w.sent.len(), 40);
    let ids: BTreeSet<RequestId> = w.sent.iter().map(CloudAction::request).collect();
    assert_eq!(ids.len(), 40, "every request has its own id");
    assert_eq!(w.broker.stats().requests, 40);
}

#[test]
fn an_intent_over_the_budget_fails_with_over_budget() {
    // Budget $1.00. One lease of offer 0 is $0.20: 5 fit, the 6th does not.
    let mut w = World::new(Some(usd(1.00)));
    let only_c5 = vec![(AWS_EAST_C5, LaunchOption::OnDemand)];
    w.launch(SimTime::EPOCH, LaunchIntent { tag: 1, candidates: only_c5.clone(), count: 8 });
    // 5 launched, 3 missing for budget; the request asked for 5.
    assert_eq!(w.launched_offers().len(), 5);
    assert_eq!(w.failures(), vec![(1, IntentFailure::OverBudget, 3)]);
    assert_eq!(w.broker.committed(), usd(1.00));
    let CloudAction::Launch(l) = &w.sent[0] else { panic!() };
    assert_eq!(l.count, 5);
    assert_eq!(IntentFailure::OverBudget.as_str(), "over_budget");

    // Nothing left: a reservation of 1 × $0.20 × 1 h fails whole, and sends nothing.
    let sent_before = w.sent.len();
    let candidates =
        vec![ReserveCandidate { offer: AWS_EAST_C5, product: ProductKind::CapacityReservation }];
    w.reserve(
        SimTime::EPOCH,
        ReserveIntent {
            tag: 2,
            candidates,
            count: 1,
            start: hours(1),
            duration: SimDuration::from_hours(1),
        },
    );
    assert_eq!(w.sent.len(), sent_before);
    assert_eq!(w.failures().last(), Some(&(2, IntentFailure::OverBudget, 1)));
    assert_eq!(w.broker.stats().over_budget, 2);

    // Spot is budgeted at its on-demand ceiling ($0.20, not the $0.08 spot price).
    let mut w = World::new(Some(usd(0.39)));
    w.launch(
        SimTime::EPOCH,
        LaunchIntent { tag: 3, candidates: vec![(AWS_EAST_C5, LaunchOption::Spot)], count: 2 },
    );
    assert_eq!(w.launched_offers().len(), 1, "$0.39 holds one $0.20 lease, not two");
}

#[test]
fn an_unaffordable_best_candidate_is_skipped_for_an_affordable_one() {
    // $5.00 budget, reserve 1 instance for 24 h: a capacity block of offer 0 is
    // 1.5 × $0.20 × 24 = $7.20 (over); a capacity reservation of offer 0 is $4.80 (fits).
    let mut w = World::new(Some(usd(5.00)));
    let candidates = vec![
        ReserveCandidate { offer: AWS_EAST_C5, product: ProductKind::CapacityBlock },
        ReserveCandidate { offer: AWS_EAST_C5, product: ProductKind::CapacityReservation },
    ];
    assert_eq!(w.broker.reservation_cost(candidates[0], SimDuration::from_hours(24)), usd(7.20));
    assert_eq!(w.broker.reservation_cost(candidates[1], SimDuration::from_hours(24)), usd(4.80));
    w.reserve(
        SimTime::EPOCH,
        ReserveIntent {
            tag: 1,
            candidates,
            count: 1,
            start: hours(1),
            duration: SimDuration::from_hours(24),
        },
    );
    assert_eq!(w.sent.len(), 1);
    let CloudAction::Reserve(r) = &w.sent[0] else { panic!() };
    assert_eq!(r.product, ProductKind::CapacityReservation);
    assert_eq!(w.broker.committed(), usd(4.80));
}

#[test]
fn lease_renewal_arithmetic() {
    // Budget $1.00; offer 2 (us-west-2 c5) at $0.24/h.
    let mut w = World::new(Some(usd(1.00)));
    assert_eq!(LEASE, SimDuration::from_hours(1));
    assert_eq!(w.broker.lease_cost(AWS_WEST_C5), usd(0.24));
    w.launch(
        SimTime::EPOCH,
        LaunchIntent { tag: 1, candidates: vec![(AWS_WEST_C5, LaunchOption::OnDemand)], count: 1 },
    );
    let id: InstanceId = w.aws.alive()[0];
    // Launched at 0: paid through 1 h, $0.24 committed.
    assert_eq!(w.broker.lease_end(id), Some(hours(1)));
    assert_eq!(w.broker.committed(), usd(0.24));
    // Renewed 5 minutes before its end (the controller renews what ends before the next
    // tick): the new lease follows the old one, [1 h, 2 h), so the 5 minutes already paid are
    // not paid twice. $0.48 committed for 2 h.
    assert!(w.broker.renew(SimTime::from_secs(3300), id));
    assert_eq!(w.broker.lease_end(id), Some(hours(2)));
    assert_eq!(w.broker.committed(), usd(0.48));
    // Two more renewals: through 3 h ($0.72) and 4 h ($0.96).
    assert!(w.broker.renew(SimTime::from_secs(2 * 3600 - 300), id));
    assert!(w.broker.renew(SimTime::from_secs(3 * 3600 - 300), id));
    assert_eq!(w.broker.lease_end(id), Some(hours(4)));
    assert_eq!(w.broker.committed(), usd(0.96));
    // A fifth hour would make $1.20 > $1.00: refused, the lease still ends at 4 h.
    assert!(!w.broker.renew(SimTime::from_secs(4 * 3600 - 300), id));
    assert_eq!(w.broker.lease_end(id), Some(hours(4)));
    assert_eq!(w.broker.committed(), usd(0.96));
    // A lease that already ran out (renewed late, at 5 h) restarts from now: [5 h, 6 h).
    let mut w = World::new(None);
    w.launch(
        SimTime::EPOCH,
        LaunchIntent { tag: 1, candidates: vec![(AWS_WEST_C5, LaunchOption::OnDemand)], count: 1 },
    );
    let id = w.aws.alive()[0];
    assert!(w.broker.renew(hours(5), id));
    assert_eq!(w.broker.lease_end(id), Some(hours(6)));
    // Forgotten instances and reserved ones have no lease: renewal is a no-op that succeeds.
    w.broker.forget(id);
    assert_eq!(w.broker.lease_end(id), None);
    assert!(w.broker.renew(hours(6), id));
    assert_eq!(w.broker.committed(), usd(0.48));
}

// ---- the budget cap, over random sequences --------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Launch { offers: Vec<u32>, spot: bool, count: u32 },
    Reserve { offers: Vec<u32>, block: bool, count: u32, hours: u64 },
    Renew { nth: usize },
    Advance { minutes: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let offers = proptest::collection::vec(0u32..4, 1..4);
    prop_oneof![
        (offers.clone(), any::<bool>(), 1u32..6).prop_map(|(offers, spot, count)| Op::Launch {
            offers,
            spot,
            count
        }),
        (offers, any::<bool>(), 1u32..4, 1u64..30)
            .prop_map(|(offers, block, count, hours)| Op::Reserve { offers, block, count, hours }),
        (0usize..20).prop_map(|nth| Op::Renew { nth }),
        (1u64..90).prop_map(|minutes| Op::Advance { minutes }),
    ]
}

/// What the provider actually sold, priced by hand from the catalog: each accepted launch
/// `count × price × 1 h`, each accepted reservation `count × price × multiple × hours`.
fn bought(w: &World) -> Money {
    let mut total = Money::ZERO;
    for p in [&w.aws, &w.gcp] {
        for (_, a) in &p.executed {
            match a {
                CloudAction::Launch(l) if accepted(p, a.request()) => {
                    total += usd(PRICES[l.offer.index()] * f64::from(l.count));
                }
                CloudAction::Reserve(r) if accepted(p, a.request()) => {
                    let multiple = if r.product == ProductKind::CapacityBlock { 1.5 } else { 1.0 };
                    let h = r.duration.as_secs_f64() / 3600.0;
                    total += usd(PRICES[r.offer.index()] * multiple * h * f64::from(r.count));
                }
                _ => {}
            }
        }
    }
    total
}

fn accepted(p: &FakeProvider, request: RequestId) -> bool {
    !p.refused.contains(&request)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn committed_spend_never_exceeds_the_budget(
        budget_cents in 0i64..2_000,
        capacity in proptest::collection::vec(0u32..6, 4),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let budget = Money(budget_cents * 10_000);
        let mut w = World::new(Some(budget));
        for (i, cap) in capacity.iter().enumerate() {
            w.provider(OfferIx(i as u32)).capacity.insert(OfferIx(i as u32), *cap);
        }
        let mut now = SimTime::EPOCH;
        let mut renewed = Money::ZERO;
        for (tag, op) in ops.into_iter().enumerate() {
            let tag = tag as u64;
            match op {
                Op::Launch { offers, spot, count } => {
                    let option = if spot { LaunchOption::Spot } else { LaunchOption::OnDemand };
                    let candidates = offers.into_iter().map(|o| (OfferIx(o), option)).collect();
                    w.launch(now, LaunchIntent { tag, candidates, count });
                }
                Op::Reserve { offers, block, count, hours } => {
                    let product = if block {
                        ProductKind::CapacityBlock
                    } else {
                        ProductKind::CapacityReservation
                    };
                    let candidates = offers
                        .into_iter()
                        .map(|o| ReserveCandidate { offer: OfferIx(o), product })
                        .collect();
                    let intent = ReserveIntent {
                        tag,
                        candidates,
                        count,
                        start: now,
                        duration: SimDuration::from_hours(hours),
                    };
                    w.reserve(now, intent);
                }
                Op::Renew { nth } => {
                    let alive = w.aws.alive().into_iter().chain(w.gcp.alive()).collect::<Vec<_>>();
                    if let Some(&id) = alive.get(nth % alive.len().max(1)) {
                        let before = w.broker.committed();
                        if w.broker.renew(now, id) {
                            renewed += w.broker.committed() - before;
                        } else {
                            prop_assert_eq!(w.broker.committed(), before);
                        }
                    }
                }
                Op::Advance { minutes } => now += SimDuration::from_secs(minutes * 60),
            }
            // The invariant, after every step.
            prop_assert!(w.broker.committed() <= budget, "{} > {}", w.broker.committed(), budget);
            // Everything an intent did not get is accounted for by a failure, and every
            // over-budget failure names its reason.
            for (_, failure, missing) in w.failures() {
                prop_assert!(missing > 0);
                prop_assert!(matches!(
                    failure,
                    IntentFailure::OverBudget | IntentFailure::Refused(_)
                ));
            }
        }
        // What the providers actually sold (plus renewals) is what the broker committed, within
        // a micro-dollar of rounding per purchase, and so within the budget.
        let sold = bought(&w) + renewed;
        let purchases = w.sent.len() as i64 + 1;
        prop_assert!((sold.0 - w.broker.committed().0).abs() <= purchases, "{} vs {}", sold, w.broker.committed());
        prop_assert!(sold.0 <= budget.0 + purchases);
    }
}
