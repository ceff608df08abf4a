//! Tests of the simulated clouds through the [`Provider`] port: every product's semantics
//! (DESIGN §5, `cloud-products.md` §1) on a tiny hand-built catalog whose round prices make
//! every expected amount easy to derive by hand.
//!
//! The catalog: each cloud has two regions and two types, `cpu4` (4 vCPUs, on demand
//! $3.60/h = 1,000 µ$ per second, spot mean $1.80/h) and `gpu8` (8 vCPUs, 1 GPU, on demand
//! $36/h = 10,000 µ$ per second, no spot). Billing and spot notices are the shipped terms'
//! (per second, 60 s minimum on all three; notice 120 s on AWS, 30 s on GCP and Azure; checked
//! against `scenarios/catalogs/terms/` below); everything else is round and made up. Pools hold
//! 4 instances and instances never fail unless a test says otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;

use engine::cloud::{
    Billing, Cancellation, Catalog, CatalogFile, CatalogMeta, Cloud, CloudAction, CommitRequest,
    Discount, DiscountKind, Egress, EndBehaviour, InstanceType, InterruptionBand, LaunchOption,
    LaunchRequest, Observation, Observed, Offer, OfferIx, ProductKind, ProductTerms, Provider,
    ProviderError, ProviderTerms, Refusal, Region, RegionIx, ReservationEvent, ReservationPrice,
    ReservationState, ReserveRequest, SpotOffer, SpotTerms, TerminationReason,
};
use engine::ids::{InstanceId, RequestId, ReservationId};
use engine::{Money, SimDuration, SimTime};

use super::{
    Charge, ChargeKind, EgressError, Outage, SimCloudConfig, SimProvider, SpotStorm, Stockout,
    SupplyConfig,
};
use crate::kernel::rng::RngStreams;

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
const CPU: &str = "cpu4";
const GPU: &str = "gpu8";

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn h(hours: u64) -> SimTime {
    SimTime::from_secs(hours * HOUR)
}

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn regions(cloud: Cloud) -> [&'static str; 2] {
    match cloud {
        Cloud::Aws => ["us-east-1", "us-west-2"],
        Cloud::Gcp => ["europe-west4", "us-central1"],
        Cloud::Azure => ["westeurope", "eastus"],
    }
}

/// The first instance id of a provider: `ordinal × 10⁹ + 1`, ordinals in `Cloud::ALL` order
/// (AWS 1, Azure 2, GCP 3).
fn first_instance(cloud: Cloud) -> u64 {
    let ordinal = Cloud::ALL.iter().position(|c| *c == cloud).expect("a cloud") as u64 + 1;
    ordinal * 1_000_000_000 + 1
}

/// An on-demand capacity reservation: now, any duration, on-demand price, cancel any time.
fn capacity_reservation() -> ProductTerms {
    ProductTerms {
        kind: ProductKind::CapacityReservation,
        name: "ODCR".into(),
        min_lead_s: 0,
        max_lead_s: 0,
        assessment_s: 0,
        unsupported_probability: 0.0,
        min_duration_s: 0,
        duration_grid_h: vec![],
        max_count: 100,
        min_vcpus: 0,
        cancellation: Cancellation::Anytime,
        price: ReservationPrice::OnDemand,
        upfront: false,
        end: EndBehaviour::Release,
        gpu_only: false,
    }
}

/// A future reservation: 1 to 10 days ahead, assessed in 1 h, `min_days` of commitment.
fn future_reservation(min_days: u64, cancellation: Cancellation) -> ProductTerms {
    ProductTerms {
        kind: ProductKind::FutureReservation,
        name: "future".into(),
        min_lead_s: DAY,
        max_lead_s: 10 * DAY,
        assessment_s: HOUR,
        unsupported_probability: 0.0,
        min_duration_s: min_days * DAY,
        duration_grid_h: vec![],
        max_count: 100,
        min_vcpus: 8,
        cancellation,
        price: ReservationPrice::OnDemand,
        upfront: false,
        end: EndBehaviour::Release,
        gpu_only: false,
    }
}

/// A capacity block: 24, 48 or 168 h, 30 min to 8 weeks ahead, at most 4 instances, half
/// the on-demand price paid up front, never cancellable, GPU only, instances terminated
/// 30 min before the end.
fn capacity_block() -> ProductTerms {
    ProductTerms {
        kind: ProductKind::CapacityBlock,
        name: "Capacity Blocks".into(),
        min_lead_s: 1800,
        max_lead_s: 56 * DAY,
        assessment_s: 0,
        unsupported_probability: 0.0,
        min_duration_s: DAY,
        duration_grid_h: vec![24, 48, 168],
        max_count: 4,
        min_vcpus: 0,
        cancellation: Cancellation::Never,
        price: ReservationPrice::OnDemandMultiple(0.5),
        upfront: true,
        end: EndBehaviour::TerminateBefore { secs: 1800 },
        gpu_only: true,
    }
}

fn terms(cloud: Cloud) -> ProviderTerms {
    let billing = Billing { granularity_s: 1, minimum_s: 60 };
    let spot = |notice_s, default_band| SpotTerms {
        notice_s,
        default_band,
        price_volatility: 0.0,
        reprice_interval_s: HOUR,
    };
    match cloud {
        // The AWS future reservation is cancellable any time with the rest of its 2-day
        // commitment charged (the cancellation-quote API's "commitment wind-down"); the
        // shipped terms model it as never cancellable.
        Cloud::Aws => ProviderTerms {
            cloud,
            billing,
            boot_delay_s: 60,
            egress: Egress {
                same_region_usd_per_gb: 0.01,
                inter_region_usd_per_gb: 0.02,
                internet_usd_per_gb: 0.09,
            },
            spot: spot(120, InterruptionBand::From5To10),
            products: vec![
                capacity_reservation(),
                future_reservation(2, Cancellation::Anytime),
                capacity_block(),
            ],
            discounts: vec![Discount {
                name: "sp-1y".into(),
                kind: DiscountKind::SavingsPlan,
                term_days: 365,
                fraction_off: 0.25,
            }],
        },
        Cloud::Gcp => ProviderTerms {
            cloud,
            billing,
            boot_delay_s: 90,
            egress: Egress {
                same_region_usd_per_gb: 0.01,
                inter_region_usd_per_gb: 0.02,
                internet_usd_per_gb: 0.12,
            },
            spot: spot(30, InterruptionBand::From10To15),
            products: vec![
                capacity_reservation(),
                future_reservation(1, Cancellation::BeforeStart),
            ],
            discounts: vec![Discount {
                name: "cud-1y".into(),
                kind: DiscountKind::CommittedUse,
                term_days: 365,
                fraction_off: 0.5,
            }],
        },
        Cloud::Azure => ProviderTerms {
            cloud,
            billing,
            boot_delay_s: 120,
            egress: Egress {
                same_region_usd_per_gb: 0.0,
                inter_region_usd_per_gb: 0.02,
                internet_usd_per_gb: 0.087,
            },
            spot: spot(30, InterruptionBand::From10To15),
            products: vec![capacity_reservation()],
            discounts: vec![Discount {
                name: "ri-1y".into(),
                kind: DiscountKind::ReservedInstance,
                term_days: 365,
                fraction_off: 0.4,
            }],
        },
    }
}

fn catalog_file() -> CatalogFile {
    let clouds = [Cloud::Aws, Cloud::Gcp, Cloud::Azure];
    let mut file = CatalogFile {
        meta: CatalogMeta {
            name: "cloud-tests".into(),
            prices_date: "2026-12-01".into(),
            ..CatalogMeta::default()
        },
        providers: clouds.iter().map(|c| terms(*c)).collect(),
        ..CatalogFile::default()
    };
    for cloud in clouds {
        for name in [CPU, GPU] {
            let gpu = name == GPU;
            file.instance_types.push(InstanceType {
                cloud,
                name: name.into(),
                vcpus: if gpu { 8 } else { 4 },
                memory_mib: if gpu { 65_536 } else { 16_384 },
                gpus: u32::from(gpu),
                gpu_kind: gpu.then(|| "A100".into()),
            });
        }
        for region in regions(cloud) {
            file.regions.push(Region { cloud, name: region.into(), location: None });
            file.offers.push(Offer {
                cloud,
                region: region.into(),
                instance_type: CPU.into(),
                on_demand_usd_per_hour: 3.6,
                spot: Some(SpotOffer { usd_per_hour: 1.8, band: None }),
                discounted_usd_per_hour: BTreeMap::new(),
            });
            file.offers.push(Offer {
                cloud,
                region: region.into(),
                instance_type: GPU.into(),
                on_demand_usd_per_hour: 36.0,
                spot: None,
                discounted_usd_per_hour: BTreeMap::new(),
            });
        }
    }
    file
}

/// 4 instances per pool, no failures, the other defaults (a delayed reservation waits a day,
/// a capacity block's notice comes 600 s before its instances go).
fn config() -> SimCloudConfig {
    SimCloudConfig {
        supply: SupplyConfig { default_instances: 4, ..SupplyConfig::default() },
        failure_rate_per_hour: 0.0,
        ..SimCloudConfig::default()
    }
}

/// One provider, its catalog, and everything it reported.
struct Sim {
    p: SimProvider,
    catalog: Arc<Catalog>,
    log: Vec<Observed>,
    next_request: u64,
}

impl Sim {
    fn new(cloud: Cloud) -> Sim {
        Sim::with(cloud, &config(), catalog_file(), 1)
    }

    fn with(cloud: Cloud, config: &SimCloudConfig, file: CatalogFile, seed: u64) -> Sim {
        let catalog = Arc::new(Catalog::new(file).expect("valid catalog"));
        let p = SimProvider::new(cloud, Arc::clone(&catalog), config, &RngStreams::new(seed), t(0))
            .expect("provider");
        Sim { p, catalog, log: Vec::new(), next_request: 0 }
    }

    fn cloud(&self) -> Cloud {
        self.p.cloud()
    }

    fn region(&self, i: usize) -> RegionIx {
        let cloud = self.cloud();
        self.catalog.find_region(cloud, regions(cloud)[i]).expect("region")
    }

    fn offer(&self, region: usize, ty: &str) -> OfferIx {
        let t = self.catalog.find_type(self.cloud(), ty).expect("type");
        self.catalog.find_offer(self.region(region), t).expect("offer")
    }

    fn request(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    /// Executes `action` at `at` and returns what is reported at `at`.
    fn exec(&mut self, at: SimTime, action: &CloudAction) -> Vec<Observation> {
        self.p.execute(at, action).expect("a well-formed request");
        let got = self.p.poll(at);
        self.log.extend(got.iter().cloned());
        got.into_iter().map(|o| o.observation).collect()
    }

    /// Runs to `until`, waking at every `next_due`, and returns what was reported.
    fn run_to(&mut self, until: SimTime) -> Vec<Observed> {
        let mut out = Vec::new();
        while let Some(due) = self.p.next_due().filter(|d| *d <= until) {
            out.extend(self.p.poll(due));
        }
        out.extend(self.p.poll(until));
        self.log.extend(out.iter().cloned());
        out
    }

    fn launch(
        &mut self,
        at: SimTime,
        offer: OfferIx,
        option: LaunchOption,
        count: u32,
    ) -> Vec<Observation> {
        let request = self.request();
        self.exec(at, &CloudAction::Launch(LaunchRequest { request, offer, option, count }))
    }

    fn reserve(
        &mut self,
        at: SimTime,
        offer: OfferIx,
        product: ProductKind,
        count: u32,
        start: SimTime,
        duration: SimDuration,
    ) -> Vec<Observation> {
        let request = self.request();
        let req = ReserveRequest { request, offer, product, count, start, duration };
        self.exec(at, &CloudAction::Reserve(req))
    }

    fn cancel(&mut self, at: SimTime, reservation: ReservationId) -> Vec<Observation> {
        let request = self.request();
        self.exec(at, &CloudAction::Cancel { request, reservation })
    }

    fn terminate(&mut self, at: SimTime, instance: InstanceId) -> Vec<Observation> {
        let request = self.request();
        self.exec(at, &CloudAction::Terminate { request, instance })
    }

    fn commit(
        &mut self,
        at: SimTime,
        offer: OfferIx,
        discount: &str,
        count: u32,
    ) -> Vec<Observation> {
        let request = self.request();
        let req = CommitRequest { request, offer, discount: discount.into(), count };
        self.exec(at, &CloudAction::Commit(req))
    }

    /// The ledger's total in micro-dollars.
    fn total(&self) -> i64 {
        self.p.ledger().total().0
    }

    /// Micro-dollars of the charges matching `pick`.
    fn charged(&self, pick: impl Fn(&Charge) -> bool) -> i64 {
        self.p.ledger().charges().iter().filter(|c| pick(c)).map(|c| c.amount.0).sum()
    }
}

fn launched(obs: &[Observation]) -> Vec<InstanceId> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::Launched { instance, .. } => Some(*instance),
            _ => None,
        })
        .collect()
}

/// The refusal among `obs` (reports of timers that fired meanwhile may come with it).
fn refused(obs: &[Observation]) -> Option<Refusal> {
    obs.iter().find_map(|o| match o {
        Observation::Refused { refusal, .. } => Some(*refusal),
        _ => None,
    })
}

/// The terminations among `obs`.
fn terminated(obs: &[Observation]) -> Vec<Observation> {
    obs.iter().filter(|o| matches!(o, Observation::Terminated { .. })).cloned().collect()
}

/// The reservation states reported, in order.
fn states(obs: &[Observation]) -> Vec<ReservationState> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::Reservation { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

fn reservation_id(obs: &[Observation]) -> ReservationId {
    obs.iter()
        .find_map(|o| match o {
            Observation::Reservation { reservation, .. } => Some(*reservation),
            _ => None,
        })
        .expect("a reservation was reported")
}

fn observations(log: &[Observed]) -> Vec<Observation> {
    log.iter().map(|o| o.observation.clone()).collect()
}

/// Asserts every reservation's reported states form a path of the engine's state machine
/// from `requested`.
fn assert_valid_paths(log: &[Observed]) -> BTreeMap<ReservationId, Vec<ReservationState>> {
    const EVENTS: [ReservationEvent; 8] = [
        ReservationEvent::Acknowledge,
        ReservationEvent::Schedule,
        ReservationEvent::RejectUnsupported,
        ReservationEvent::Decline,
        ReservationEvent::Delay,
        ReservationEvent::Activate,
        ReservationEvent::Expire,
        ReservationEvent::Cancel,
    ];
    let mut paths: BTreeMap<ReservationId, Vec<ReservationState>> = BTreeMap::new();
    for o in log {
        if let Observation::Reservation { reservation, state, .. } = o.observation {
            let path =
                paths.entry(reservation).or_insert_with(|| vec![ReservationState::Requested]);
            let from = *path.last().expect("non-empty");
            assert!(
                EVENTS.iter().any(|e| from.next(*e) == Ok(state)),
                "{reservation}: {from:?} → {state:?} is not a transition (path {path:?})"
            );
            path.push(state);
        }
    }
    paths
}

// ----- the catalog itself -----

#[test]
fn the_hand_built_terms_bill_and_warn_like_the_shipped_ones() {
    // The shipped terms (scenarios/catalogs/terms/*.toml) bill per second with a 60 s minimum
    // on all three clouds, and give 120 s (AWS) / 30 s (GCP, Azure) of spot notice.
    for cloud in Cloud::ALL {
        let shipped = crate::catalog::import::load_terms(cloud, None).expect("bundled terms");
        assert_eq!(terms(cloud).billing, shipped.billing, "{cloud}");
        assert_eq!(terms(cloud).spot.notice_s, shipped.spot.notice_s, "{cloud}");
    }
    assert_eq!(terms(Cloud::Aws).spot.notice_s, 120);
    assert_eq!(terms(Cloud::Gcp).spot.notice_s, 30);
    assert_eq!(terms(Cloud::Azure).spot.notice_s, 30);
}

// ----- on demand -----

#[test]
fn on_demand_instances_are_launched_then_ready_after_the_boot_delay() {
    for (cloud, boot) in [(Cloud::Aws, 60), (Cloud::Gcp, 90), (Cloud::Azure, 120)] {
        let mut sim = Sim::new(cloud);
        let offer = sim.offer(0, CPU);
        let obs = sim.launch(t(0), offer, LaunchOption::OnDemand, 1);
        let instance = InstanceId(first_instance(cloud));
        assert_eq!(
            obs,
            vec![Observation::Launched {
                request: RequestId(1),
                instance,
                offer,
                option: LaunchOption::OnDemand,
                ready_at: t(boot),
            }],
            "{cloud}"
        );
        assert_eq!(sim.p.next_due(), Some(t(boot)), "{cloud}");
        assert!(sim.run_to(SimTime(t(boot).0 - 1)).is_empty(), "{cloud}: not ready 1 µs early");
        assert_eq!(
            sim.run_to(t(boot)),
            vec![Observed { at: t(boot), cloud, observation: Observation::Ready { instance } }],
            "{cloud}"
        );
    }
}

#[test]
fn a_pool_of_four_refuses_the_fifth_launch() {
    for cloud in Cloud::ALL {
        let mut sim = Sim::new(cloud);
        let offer = sim.offer(0, CPU);
        assert_eq!(sim.p.capacity(offer), Some(4));
        let mut ids = Vec::new();
        for _ in 0..4 {
            ids.extend(launched(&sim.launch(t(0), offer, LaunchOption::OnDemand, 1)));
        }
        assert_eq!(ids.len(), 4, "{cloud}");
        let obs = sim.launch(t(1), offer, LaunchOption::OnDemand, 1);
        assert_eq!(refused(&obs), Some(Refusal::InsufficientCapacity), "{cloud}");
        // Spot draws on the same pool.
        let obs = sim.launch(t(1), offer, LaunchOption::Spot, 1);
        assert_eq!(refused(&obs), Some(Refusal::InsufficientCapacity), "{cloud}");
        // Another pool (the other region) is untouched.
        let other = sim.offer(1, CPU);
        assert_eq!(launched(&sim.launch(t(1), other, LaunchOption::OnDemand, 1)).len(), 1);
        // Freeing one slot lets exactly one more in; a request for 2 is refused whole.
        sim.terminate(t(2), ids[0]);
        let obs = sim.launch(t(2), offer, LaunchOption::OnDemand, 2);
        assert_eq!(refused(&obs), Some(Refusal::InsufficientCapacity), "{cloud}");
        assert_eq!(launched(&sim.launch(t(2), offer, LaunchOption::OnDemand, 1)).len(), 1);
    }
}

#[test]
fn the_region_vcpu_quota_refuses_launches_the_pool_could_take() {
    let mut config = config();
    config.region_vcpu_quota.insert("us-east-1".into(), 8);
    let mut sim = Sim::with(Cloud::Aws, &config, catalog_file(), 1);
    let cpu = sim.offer(0, CPU);
    // 2 × 4 vCPUs = 8 ≤ 8; a third is 12 > 8 though the pool has 2 slots left.
    assert_eq!(launched(&sim.launch(t(0), cpu, LaunchOption::OnDemand, 2)).len(), 2);
    let obs = sim.launch(t(0), cpu, LaunchOption::OnDemand, 1);
    assert_eq!(refused(&obs), Some(Refusal::QuotaExceeded));
    // The quota is per region, across types: a gpu8 (8 vCPUs) is refused too …
    let gpu = sim.offer(0, GPU);
    assert_eq!(
        refused(&sim.launch(t(0), gpu, LaunchOption::OnDemand, 1)),
        Some(Refusal::QuotaExceeded)
    );
    // … and the other region has no quota.
    let west = sim.offer(1, CPU);
    assert_eq!(launched(&sim.launch(t(0), west, LaunchOption::OnDemand, 3)).len(), 3);
}

#[test]
fn on_demand_billing_rounds_per_second_with_a_60_s_minimum_on_every_cloud() {
    // cpu4 at $3.60/h = 1,000 µ$ per second.
    // 30 s → the 60 s minimum: 60,000 µ$. 90.5 s → rounded up to 91 s: 91,000 µ$.
    // 1 h → 3,600 s: 3,600,000 µ$.
    for cloud in Cloud::ALL {
        for (life, expected) in
            [(SimTime(30_000_000), 60_000), (SimTime(90_500_000), 91_000), (h(1), 3_600_000)]
        {
            let mut sim = Sim::new(cloud);
            let offer = sim.offer(0, CPU);
            let id = launched(&sim.launch(t(0), offer, LaunchOption::OnDemand, 1))[0];
            let obs = sim.terminate(life, id);
            assert_eq!(
                terminated(&obs),
                vec![Observation::Terminated {
                    instance: id,
                    reason: TerminationReason::Requested
                }]
            );
            assert_eq!(sim.total(), expected, "{cloud} {life}");
            let usage = sim.charged(|c| {
                c.kind == ChargeKind::Usage { option: LaunchOption::OnDemand }
                    && c.instance == Some(id)
            });
            assert_eq!(usage, expected, "{cloud} {life}");
            // Stopped instances accrue nothing more.
            assert_eq!(sim.p.close(h(10)).expect("close").0, expected);
        }
    }
}

#[test]
fn a_coarser_billing_rounds_through_the_provider() {
    // A hypothetical per-minute billing with a 10-minute minimum (no shipped terms use one):
    // 30 s → 600 s = 600,000 µ$; 601 s → 660 s = 660,000 µ$; 1,200 s → 1,200,000 µ$.
    let mut file = catalog_file();
    file.providers[0].billing = Billing { granularity_s: 60, minimum_s: 600 };
    for (life, expected) in [(30, 600_000), (601, 660_000), (1200, 1_200_000)] {
        let mut sim = Sim::with(Cloud::Aws, &config(), file.clone(), 1);
        let offer = sim.offer(0, CPU);
        let id = launched(&sim.launch(t(0), offer, LaunchOption::OnDemand, 1))[0];
        sim.terminate(t(life), id);
        assert_eq!(sim.total(), expected, "{life} s");
    }
}

// ----- spot -----

#[test]
fn spot_notice_precedes_the_interruption_by_exactly_the_notice() {
    for (cloud, notice) in [(Cloud::Aws, 120), (Cloud::Gcp, 30), (Cloud::Azure, 30)] {
        let mut sim = Sim::new(cloud);
        let offer = sim.offer(0, CPU);
        let ids = launched(&sim.launch(t(0), offer, LaunchOption::Spot, 4));
        assert_eq!(ids.len(), 4);
        // Hazards of 1.1–1.8 × 10⁻⁴ per hour: a mean of 5,500–9,400 h to the notice; in
        // 200,000 h every instance is interrupted (P(not) < e⁻²⁰).
        let log = sim.run_to(h(200_000));
        for id in ids {
            let notices: Vec<(SimTime, SimTime)> = log
                .iter()
                .filter_map(|o| match o.observation {
                    Observation::Notice { instance, at, reason } if instance == id => {
                        assert_eq!(reason, TerminationReason::SpotInterruption);
                        Some((o.at, at))
                    }
                    _ => None,
                })
                .collect();
            let ends: Vec<SimTime> = log
                .iter()
                .filter_map(|o| match o.observation {
                    Observation::Terminated { instance, reason } if instance == id => {
                        assert_eq!(reason, TerminationReason::SpotInterruption);
                        Some(o.at)
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(notices.len(), 1, "{cloud} {id}: one notice");
            assert_eq!(ends.len(), 1, "{cloud} {id}: one termination");
            let (told, at) = notices[0];
            assert_eq!(at, told + secs(notice), "{cloud} {id}: the notice names its end");
            assert_eq!(ends[0], at, "{cloud} {id}: terminated exactly then");
        }
    }
}

#[test]
fn spot_is_billed_at_the_spot_price_with_the_minimum() {
    // Volatility 0: the spot price is the catalog's $1.80/h at every step (500 µ$ per second).
    // 1 h → 1,800,000 µ$; 30 s → the 60 s minimum: 30,000 µ$.
    for (life, expected) in [(h(1), 1_800_000), (t(30), 30_000)] {
        let mut sim = Sim::new(Cloud::Aws);
        let offer = sim.offer(0, CPU);
        assert_eq!(sim.p.spot_price(t(0), offer), Some(1.8));
        let id = launched(&sim.launch(t(0), offer, LaunchOption::Spot, 1))[0];
        let obs = sim.terminate(life, id);
        assert_eq!(
            terminated(&obs),
            vec![Observation::Terminated { instance: id, reason: TerminationReason::Requested }]
        );
        assert_eq!(
            sim.charged(|c| c.kind == ChargeKind::Usage { option: LaunchOption::Spot }),
            expected
        );
        assert_eq!(sim.total(), expected);
    }
    // No spot is sold for gpu8.
    let mut sim = Sim::new(Cloud::Aws);
    let gpu = sim.offer(0, GPU);
    assert_eq!(sim.p.spot_price(t(0), gpu), None);
    assert_eq!(refused(&sim.launch(t(0), gpu, LaunchOption::Spot, 1)), Some(Refusal::NotOffered));
}

/// Notices given in `[0, 730 h)` to `n` spot instances launched at 0.
fn interrupted_in_a_month(cloud: Cloud, band: Option<InterruptionBand>, n: u32) -> usize {
    let mut file = catalog_file();
    for o in file.offers.iter_mut().filter(|o| o.cloud == cloud) {
        if let Some(spot) = o.spot.as_mut() {
            spot.band = band;
        }
    }
    let mut config = config();
    config.supply.default_instances = n;
    let mut sim = Sim::with(cloud, &config, file, 42);
    let offer = sim.offer(0, CPU);
    assert_eq!(launched(&sim.launch(t(0), offer, LaunchOption::Spot, n)).len(), n as usize);
    let log = sim.run_to(SimTime(h(730).0 - 1));
    log.iter().filter(|o| matches!(o.observation, Observation::Notice { .. })).count()
}

#[test]
fn spot_interruptions_follow_the_band() {
    // The hazard is set so that an instance kept 730 h (a month) is interrupted with the
    // band's midpoint probability. 4,000 instances for a month:
    // - AWS, band 5–10% given by the offer: expect 4,000 × 0.075 = 300, binomial sd
    //   √(4,000 × 0.075 × 0.925) = 16.7; accept the band itself, [200, 400] (±6 sd).
    // - GCP, no band on the offer, so the provider's default 10–15%: expect 500, sd 20.9;
    //   accept [400, 600] (±4.8 sd).
    let aws = interrupted_in_a_month(Cloud::Aws, Some(InterruptionBand::From5To10), 4000);
    assert!((200..=400).contains(&aws), "AWS 5–10%: {aws} of 4,000");
    let gcp = interrupted_in_a_month(Cloud::Gcp, None, 4000);
    assert!((400..=600).contains(&gcp), "GCP default 10–15%: {gcp} of 4,000");
    // The top band (25% assumed: expect 1,000, sd 27) is clearly above both.
    let top = interrupted_in_a_month(Cloud::Aws, Some(InterruptionBand::Over20), 4000);
    assert!((800..=1200).contains(&top), ">20%: {top} of 4,000");
}

#[test]
fn the_spot_price_moves_within_the_floor_and_cap() {
    // σ = 0.5 per hourly step (extreme): the price must still stay in
    // [0.1 × $3.60, 1.0 × $3.60] = [$0.36, $3.60] (the configured floor and cap), and hit both.
    let mut file = catalog_file();
    file.providers[0].spot.price_volatility = 0.5;
    let sim = Sim::with(Cloud::Aws, &config(), file, 9);
    let offer = sim.offer(0, CPU);
    let prices: Vec<f64> =
        (0..10_000).map(|k| sim.p.spot_price(h(k), offer).expect("spot sold")).collect();
    let (floor, cap) = (0.36 + 1e-9, 3.6 - 1e-9);
    assert!(prices.iter().all(|p| (0.36 - 1e-9..=3.6 + 1e-9).contains(p)));
    assert!(prices.iter().any(|p| *p <= floor), "the floor is reached");
    assert!(prices.iter().any(|p| *p >= cap), "the cap is reached");
    // Constant within a step, different across steps.
    assert_eq!(sim.p.spot_price(h(5), offer), sim.p.spot_price(SimTime(h(6).0 - 1), offer));
    let mut distinct = prices.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    assert!(distinct.len() > 1000, "{} distinct prices", distinct.len());
}

/// A run touching every random stream: jittered supply, spot interruptions, failures,
/// assessments and delays.
fn busy_run(seed: u64) -> (Vec<Observed>, Vec<Charge>) {
    let mut file = catalog_file();
    file.providers[0].spot.price_volatility = 0.2;
    file.providers[0].products[1].unsupported_probability = 0.5;
    let mut config = config();
    config.supply.default_instances = 40;
    config.supply.jitter = 0.5;
    config.failure_rate_per_hour = 1e-3;
    config.delayed_probability = 0.5;
    let mut sim = Sim::with(Cloud::Aws, &config, file, seed);
    let cpu = sim.offer(0, CPU);
    sim.launch(t(0), cpu, LaunchOption::Spot, 10);
    sim.launch(t(0), cpu, LaunchOption::OnDemand, 5);
    for _ in 0..4 {
        sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(5 * DAY));
    }
    sim.run_to(h(2000));
    sim.p.close(h(2000)).expect("close");
    (sim.log, sim.p.ledger().charges().to_vec())
}

#[test]
fn the_same_seed_gives_the_same_observations_and_bill() {
    let (log, bill) = busy_run(7);
    assert!(log.len() > 30, "a busy run: {} observations", log.len());
    assert_eq!(busy_run(7), (log.clone(), bill.clone()));
    assert_ne!(busy_run(8).0, log, "another seed, another run");
}

#[test]
fn spot_is_reclaimed_when_committed_demand_needs_the_slots() {
    // 4 spot instances fill the pool; a capacity reservation for 2 is accepted (spot holds no
    // promise), and at its activation the 2 newest spot instances get a 120 s notice.
    let mut sim = Sim::new(Cloud::Aws);
    let offer = sim.offer(0, CPU);
    let ids = launched(&sim.launch(t(0), offer, LaunchOption::Spot, 4));
    let obs = sim.reserve(h(1), offer, ProductKind::CapacityReservation, 2, h(1), secs(HOUR));
    let noticed: Vec<InstanceId> = obs
        .iter()
        .filter_map(|o| match o {
            Observation::Notice { instance, at, reason: TerminationReason::SpotInterruption } => {
                assert_eq!(*at, h(1) + secs(120));
                Some(*instance)
            }
            _ => None,
        })
        .collect();
    assert_eq!(noticed, vec![ids[3], ids[2]]);
    let log = sim.run_to(h(1) + secs(120));
    let gone: Vec<InstanceId> = log
        .iter()
        .filter_map(|o| match o.observation {
            Observation::Terminated { instance, reason: TerminationReason::SpotInterruption } => {
                Some(instance)
            }
            _ => None,
        })
        .collect();
    assert_eq!(gone, vec![ids[3], ids[2]]);
}

// ----- capacity reservations -----

#[test]
fn a_capacity_reservation_is_active_now_billed_used_or_not_and_stops_at_cancel() {
    let mut sim = Sim::new(Cloud::Aws);
    let offer = sim.offer(0, CPU);
    let obs = sim.reserve(t(0), offer, ProductKind::CapacityReservation, 2, t(0), secs(10 * HOUR));
    use ReservationState as S;
    assert_eq!(states(&obs), vec![S::Assessing, S::Scheduled, S::Active], "active at once");
    let rid = reservation_id(&obs);
    // It holds 2 of the 4 slots: 3 on demand do not fit, 2 do (both stopped at 30 s: billed
    // the 60 s minimum, 2 × 60,000 = 120,000 µ$).
    assert_eq!(
        refused(&sim.launch(t(0), offer, LaunchOption::OnDemand, 3)),
        Some(Refusal::InsufficientCapacity)
    );
    let od = launched(&sim.launch(t(0), offer, LaunchOption::OnDemand, 2));
    for id in od {
        sim.terminate(t(30), id);
    }
    // Launching into it: 3 do not fit in 2; 1 does, and is not billed itself.
    let into = LaunchOption::Reserved(rid);
    assert_eq!(refused(&sim.launch(t(30), offer, into, 3)), Some(Refusal::ReservationFull));
    let inside = launched(&sim.launch(t(30), offer, into, 1))[0];
    sim.terminate(h(2), inside);
    assert_eq!(sim.charged(|c| c.instance == Some(inside)), 0, "the reservation pays");
    // Cancelled at 4 h: 2 × $3.60 × 4 h = $28.80, used or not.
    assert_eq!(states(&sim.cancel(h(4), rid)), vec![S::Cancelled]);
    let reservation = |c: &Charge| {
        c.kind == ChargeKind::Reservation { product: ProductKind::CapacityReservation }
    };
    assert_eq!(sim.charged(reservation), 28_800_000);
    // Nothing accrues after the cancel: closing at 10 h adds nothing.
    assert_eq!(sim.p.close(h(10)).expect("close"), Money(28_800_000 + 120_000));
    // The slots are free again, and the cancelled reservation takes no launch.
    assert_eq!(refused(&sim.launch(h(10), offer, into, 1)), Some(Refusal::ReservationNotUsable));
    assert_eq!(launched(&sim.launch(h(10), offer, LaunchOption::OnDemand, 4)).len(), 4);
}

#[test]
fn a_capacity_reservation_that_expires_leaves_its_instances_running_on_demand() {
    let mut sim = Sim::new(Cloud::Azure);
    let offer = sim.offer(0, CPU);
    let obs = sim.reserve(t(0), offer, ProductKind::CapacityReservation, 1, t(0), secs(HOUR));
    let rid = reservation_id(&obs);
    let id = launched(&sim.launch(t(0), offer, LaunchOption::Reserved(rid), 1))[0];
    let log = observations(&sim.run_to(h(1)));
    assert!(log.contains(&Observation::Reservation {
        request: RequestId(1),
        reservation: rid,
        state: ReservationState::Expired,
        refusal: None
    }));
    assert!(!log.iter().any(|o| matches!(o, Observation::Terminated { .. })), "kept running");
    // It now holds a slot of its own: 4 more on demand do not fit, 3 do.
    assert_eq!(
        refused(&sim.launch(h(1), offer, LaunchOption::OnDemand, 4)),
        Some(Refusal::InsufficientCapacity)
    );
    sim.terminate(SimTime(h(1).0 + 1800 * 1_000_000), id);
    // Reservation 1 h × $3.60 = 3,600,000 µ$; then 0.5 h on demand = 1,800,000 µ$, booked
    // with the reservation named.
    assert_eq!(
        sim.charged(
            |c| c.kind == ChargeKind::Reservation { product: ProductKind::CapacityReservation }
        ),
        3_600_000
    );
    assert_eq!(sim.charged(|c| c.instance == Some(id) && c.reservation == Some(rid)), 1_800_000);
    assert_eq!(sim.total(), 5_400_000);
}

// ----- future reservations -----

#[test]
fn a_future_reservation_enforces_its_lead_time_and_terms() {
    // AWS terms here: 1–10 days ahead, commitment ≥ 2 days, ≥ 8 vCPUs (2 × cpu4).
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    let fr = ProductKind::FutureReservation;
    let cases = [
        (2, t(12 * HOUR), secs(2 * DAY), Refusal::LeadTime), // 12 h < 1 day
        (2, t(11 * DAY), secs(2 * DAY), Refusal::LeadTime),  // 11 days > 10
        (2, t(DAY), secs(DAY), Refusal::Terms),              // 1 day < 2-day commitment
        (1, t(DAY), secs(2 * DAY), Refusal::Terms),          // 4 vCPUs < 8
    ];
    for (count, start, duration, refusal) in cases {
        let obs = sim.reserve(t(0), cpu, fr, count, start, duration);
        assert_eq!(refused(&obs), Some(refusal), "{count} at {start} for {duration}");
    }
    // Exactly the minimum lead is accepted.
    let obs = sim.reserve(t(0), cpu, fr, 2, t(DAY), secs(2 * DAY));
    assert_eq!(states(&obs), vec![ReservationState::Assessing]);
    // GCP sells no capacity block here; Azure no future reservation.
    let mut gcp = Sim::new(Cloud::Gcp);
    let gpu = gcp.offer(0, GPU);
    let obs = gcp.reserve(t(0), gpu, ProductKind::CapacityBlock, 1, t(DAY), secs(DAY));
    assert_eq!(refused(&obs), Some(Refusal::NotOffered));
    let mut azure = Sim::new(Cloud::Azure);
    let cpu = azure.offer(0, CPU);
    let obs = azure.reserve(t(0), cpu, fr, 2, t(DAY), secs(DAY));
    assert_eq!(refused(&obs), Some(Refusal::NotOffered));
}

#[test]
fn a_future_reservation_is_assessed_scheduled_activated_and_billed_from_its_start() {
    use ReservationState as S;
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    // 2 × cpu4 from day 2 for 5 days.
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(5 * DAY));
    let rid = reservation_id(&obs);
    assert_eq!(states(&obs), vec![S::Assessing]);
    // Assessed after 1 h.
    let at_1h = sim.run_to(h(1));
    assert_eq!(at_1h.iter().map(|o| o.at).collect::<Vec<_>>(), vec![h(1)]);
    assert_eq!(states(&observations(&at_1h)), vec![S::Scheduled]);
    // Not usable before its start; nothing charged up to then.
    let into = LaunchOption::Reserved(rid);
    assert_eq!(refused(&sim.launch(t(DAY), cpu, into, 1)), Some(Refusal::ReservationNotUsable));
    let at_start = sim.run_to(t(2 * DAY));
    assert_eq!(states(&observations(&at_start)), vec![S::Active]);
    assert_eq!(sim.total(), 0);
    assert_eq!(launched(&sim.launch(t(2 * DAY), cpu, into, 2)).len(), 2);
    // Expires at day 7: 5 days × 24 h × 2 × $3.60 = $864.
    let at_end = sim.run_to(t(7 * DAY));
    assert_eq!(states(&observations(&at_end)), vec![S::Expired]);
    assert_eq!(sim.total(), 864_000_000);
}

#[test]
fn cancelling_a_future_reservation_early_charges_the_minimum_commitment() {
    use ReservationState as S;
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(5 * DAY));
    let rid = reservation_id(&obs);
    sim.run_to(t(2 * DAY));
    assert_eq!(states(&sim.cancel(t(3 * DAY), rid)), vec![S::Cancelled]);
    // One active day (2 × $3.60 × 24 h = $172.80) plus the rest of the 2-day commitment (one
    // more day, $172.80): $345.60.
    let amounts: Vec<i64> = sim.p.ledger().charges().iter().map(|c| c.amount.0).collect();
    assert_eq!(amounts, vec![172_800_000, 172_800_000]);
    assert_eq!(sim.p.close(t(10 * DAY)).expect("close"), Money(345_600_000));

    // Cancelled past its minimum (3 of 5 days used): only the active time, $518.40.
    let mut sim = Sim::new(Cloud::Aws);
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(5 * DAY));
    sim.run_to(t(5 * DAY));
    sim.cancel(t(5 * DAY), reservation_id(&obs));
    assert_eq!(sim.total(), 518_400_000);
}

#[test]
fn a_future_reservation_can_be_answered_unsupported_or_declined() {
    use ReservationState as S;
    // Unsupported probability 1.0: every request that fits supply is still unsupported.
    let mut file = catalog_file();
    file.providers[0].products[1].unsupported_probability = 1.0;
    let mut sim = Sim::with(Cloud::Aws, &config(), file, 1);
    let cpu = sim.offer(0, CPU);
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(5 * DAY));
    let rid = reservation_id(&obs);
    let log = observations(&sim.run_to(h(1)));
    assert_eq!(
        log,
        vec![Observation::Reservation {
            request: RequestId(1),
            reservation: rid,
            state: S::Unsupported,
            refusal: Some(Refusal::Unsupported),
        }]
    );
    assert!(sim.run_to(t(10 * DAY)).is_empty(), "it never starts");
    assert_eq!(
        refused(&sim.launch(t(10 * DAY), cpu, LaunchOption::Reserved(rid), 1)),
        Some(Refusal::ReservationNotUsable)
    );
    assert_eq!(refused(&sim.cancel(t(10 * DAY), rid)), Some(Refusal::ReservationNotUsable));
    assert_eq!(sim.p.close(t(10 * DAY)).expect("close"), Money::ZERO);

    // 5 instances of a pool of 4: declined for capacity at assessment.
    let mut sim = Sim::new(Cloud::Aws);
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 5, t(2 * DAY), secs(5 * DAY));
    let log = sim.run_to(h(1));
    assert_eq!(
        observations(&log),
        vec![Observation::Reservation {
            request: RequestId(1),
            reservation: reservation_id(&obs),
            state: S::Declined,
            refusal: Some(Refusal::InsufficientCapacity),
        }]
    );
}

#[test]
fn a_delayed_future_reservation_waives_its_minimum_commitment() {
    use ReservationState as S;
    let mut config = config();
    config.delayed_probability = 1.0;
    let mut sim = Sim::with(Cloud::Aws, &config, catalog_file(), 1);
    let cpu = sim.offer(0, CPU);
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(5 * DAY));
    let rid = reservation_id(&obs);
    let log = sim.run_to(t(3 * DAY));
    // Delayed at its start (day 2), delivered a day later (delay_s = 86,400).
    let timed: Vec<(SimTime, ReservationState)> = log
        .iter()
        .filter_map(|o| match o.observation {
            Observation::Reservation { state, .. } => Some((o.at, state)),
            _ => None,
        })
        .collect();
    assert_eq!(
        timed,
        vec![(h(1), S::Scheduled), (t(2 * DAY), S::Delayed), (t(3 * DAY), S::Active)]
    );
    // Cancelled 1 h after delivery: 1 h × 2 × $3.60 = $7.20, no minimum.
    sim.cancel(t(3 * DAY + HOUR), rid);
    assert_eq!(sim.total(), 7_200_000);
}

#[test]
fn a_gcp_future_reservation_is_cancellable_only_before_it_starts() {
    use ReservationState as S;
    let mut sim = Sim::new(Cloud::Gcp);
    let cpu = sim.offer(0, CPU);
    // Cancelled while scheduled: free (nothing is charged before activation).
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(3 * DAY));
    let early = reservation_id(&obs);
    sim.run_to(t(DAY));
    assert_eq!(states(&sim.cancel(t(DAY), early)), vec![S::Cancelled]);
    // Once active, refused; it runs to its end: 3 days × 24 h × 2 × $3.60 = $518.40.
    let obs =
        sim.reserve(t(DAY), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(3 * DAY));
    let late = reservation_id(&obs);
    sim.run_to(t(2 * DAY));
    assert_eq!(refused(&sim.cancel(t(2 * DAY + HOUR), late)), Some(Refusal::NotCancellable));
    sim.run_to(t(5 * DAY));
    assert_eq!(sim.total(), 518_400_000);
}

// ----- capacity blocks -----

#[test]
fn a_capacity_block_sells_only_its_grid_and_gpus() {
    let mut sim = Sim::new(Cloud::Aws);
    let gpu = sim.offer(0, GPU);
    let cpu = sim.offer(0, CPU);
    let cb = ProductKind::CapacityBlock;
    let cases = [
        (cpu, 1, h(1), secs(DAY), Refusal::NotOffered), // GPU only
        (gpu, 1, h(1), secs(72 * HOUR), Refusal::Terms), // 72 h is off the grid {24, 48, 168}
        (gpu, 1, h(1), secs(12 * HOUR), Refusal::Terms), // under the 1-day minimum
        (gpu, 5, h(1), secs(DAY), Refusal::Terms),      // over 4 instances
        (gpu, 1, t(600), secs(DAY), Refusal::LeadTime), // 10 min < 30 min ahead
        (gpu, 1, t(57 * DAY), secs(DAY), Refusal::LeadTime), // beyond 8 weeks
    ];
    for (offer, count, start, duration, refusal) in cases {
        let obs = sim.reserve(t(0), offer, cb, count, start, duration);
        assert_eq!(refused(&obs), Some(refusal), "{count} at {start} for {duration}");
    }
    for hours in [24, 48, 168] {
        let obs = sim.reserve(t(0), gpu, cb, 1, t(1800), secs(hours * HOUR));
        assert_eq!(refused(&obs), None, "{hours} h is on the grid");
    }
}

#[test]
fn a_capacity_block_is_paid_up_front_not_cancellable_and_ends_30_minutes_early() {
    use ReservationState as S;
    let mut sim = Sim::new(Cloud::Aws);
    let gpu = sim.offer(0, GPU);
    // 2 × gpu8 from 1 h for 24 h, at half the on-demand price: 0.5 × $36 × 2 × 24 h = $864,
    // booked whole when scheduled (at 0, assessment 0).
    let obs = sim.reserve(t(0), gpu, ProductKind::CapacityBlock, 2, h(1), secs(DAY));
    let rid = reservation_id(&obs);
    assert_eq!(states(&obs), vec![S::Assessing, S::Scheduled]);
    let charges = sim.p.ledger().charges().to_vec();
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].at, t(0));
    assert_eq!(charges[0].kind, ChargeKind::Upfront { product: ProductKind::CapacityBlock });
    assert_eq!(charges[0].amount, Money(864_000_000));
    // Not cancellable, before or after its start.
    assert_eq!(refused(&sim.cancel(t(0), rid)), Some(Refusal::NotCancellable));
    assert_eq!(states(&observations(&sim.run_to(h(1)))), vec![S::Active]);
    let into = LaunchOption::Reserved(rid);
    let ids = launched(&sim.launch(h(1), gpu, into, 2));
    assert_eq!(ids.len(), 2);
    assert_eq!(refused(&sim.cancel(h(2), rid)), Some(Refusal::NotCancellable));
    // End 25 h = 90,000 s; instances go 1,800 s before, at 88,200 s; their notice comes
    // block_notice_s = 600 s earlier, at 87,600 s.
    let log = sim.run_to(t(90_000));
    let mut expected = Vec::new();
    for id in &ids {
        expected.push(Observed {
            at: t(87_600),
            cloud: Cloud::Aws,
            observation: Observation::Notice {
                instance: *id,
                at: t(88_200),
                reason: TerminationReason::ReservationEnded,
            },
        });
    }
    for id in &ids {
        expected.push(Observed {
            at: t(88_200),
            cloud: Cloud::Aws,
            observation: Observation::Terminated {
                instance: *id,
                reason: TerminationReason::ReservationEnded,
            },
        });
    }
    expected.push(Observed {
        at: t(90_000),
        cloud: Cloud::Aws,
        observation: Observation::Reservation {
            request: RequestId(1),
            reservation: rid,
            state: S::Expired,
            refusal: None,
        },
    });
    let after_ready: Vec<Observed> =
        log.into_iter().filter(|o| !matches!(o.observation, Observation::Ready { .. })).collect();
    assert_eq!(after_ready, expected);
    // Its instances are not billed; the total is the upfront price.
    assert_eq!(sim.p.close(h(30)).expect("close"), Money(864_000_000));
}

#[test]
fn a_capacity_block_takes_no_launch_after_its_cutoff() {
    let mut sim = Sim::new(Cloud::Aws);
    let gpu = sim.offer(0, GPU);
    let rid =
        reservation_id(&sim.reserve(t(0), gpu, ProductKind::CapacityBlock, 2, h(1), secs(DAY)));
    sim.run_to(t(87_900));
    // Between the notice (87,600 s) and the cutoff (88,200 s): launched, and noticed at once.
    let obs = sim.launch(t(87_900), gpu, LaunchOption::Reserved(rid), 1);
    let id = launched(&obs)[0];
    assert!(obs.contains(&Observation::Notice {
        instance: id,
        at: t(88_200),
        reason: TerminationReason::ReservationEnded
    }));
    sim.run_to(t(88_500));
    let obs = sim.launch(t(88_500), gpu, LaunchOption::Reserved(rid), 1);
    assert_eq!(refused(&obs), Some(Refusal::ReservationNotUsable));
}

// ----- billing-only discounts -----

#[test]
fn a_commitment_lowers_the_price_of_covered_instances_and_never_adds_capacity() {
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    let ids = launched(&sim.launch(t(0), cpu, LaunchOption::OnDemand, 4));
    // sp-1y, 25% off: $2.70/h per instance, for 2 instances.
    let request = RequestId(sim.next_request + 1);
    assert_eq!(sim.commit(t(0), cpu, "sp-1y", 2), vec![Observation::Committed { request }]);
    // The stocked-out pool stays stocked out.
    assert_eq!(
        refused(&sim.launch(t(0), cpu, LaunchOption::OnDemand, 1)),
        Some(Refusal::InsufficientCapacity)
    );
    // At 1 h: commitment 2 × $2.70 = $5.40; the 2 lowest ids are covered (no usage), the
    // other 2 pay on demand, 2 × $3.60 = $7.20. Total $12.60.
    sim.p.close(h(1)).expect("close");
    let commitment =
        |c: &Charge| c.kind == ChargeKind::Commitment { discount: DiscountKind::SavingsPlan };
    assert_eq!(sim.charged(commitment), 5_400_000);
    for (id, usage) in ids.iter().zip([0, 0, 3_600_000, 3_600_000]) {
        assert_eq!(sim.charged(|c| c.instance == Some(*id)), usage, "{id}");
    }
    assert_eq!(sim.total(), 12_600_000);
}

#[test]
fn a_commitment_moves_to_the_next_instance_when_a_covered_one_stops() {
    // GCP cud-1y, 50% off: $1.80/h, for 1 instance. Two on demand; the first (covered) stops
    // at 30 min, then the second is covered. At 1 h: commitment $1.80; first 0; second
    // 30 min on demand = $1.80. Total $3.60.
    let mut sim = Sim::new(Cloud::Gcp);
    let cpu = sim.offer(0, CPU);
    let ids = launched(&sim.launch(t(0), cpu, LaunchOption::OnDemand, 2));
    sim.commit(t(0), cpu, "cud-1y", 1);
    sim.terminate(t(1800), ids[0]);
    sim.p.close(h(1)).expect("close");
    assert_eq!(sim.charged(|c| c.instance == Some(ids[0])), 0);
    assert_eq!(sim.charged(|c| c.instance == Some(ids[1])), 1_800_000);
    assert_eq!(sim.total(), 3_600_000);
    // Not a discount this provider sells: a malformed request.
    let request = sim.request();
    let bad = CloudAction::Commit(CommitRequest {
        request,
        offer: cpu,
        discount: "sp-1y".into(),
        count: 1,
    });
    assert!(matches!(sim.p.execute(h(1), &bad), Err(ProviderError::InvalidRequest { .. })));
}

// ----- idempotency -----

#[test]
fn a_retried_request_is_answered_again_and_bought_once() {
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    let west_cpu = sim.offer(1, CPU);
    let west_gpu = sim.offer(1, GPU);
    let launch = CloudAction::Launch(LaunchRequest {
        request: RequestId(100),
        offer: cpu,
        option: LaunchOption::OnDemand,
        count: 2,
    });
    let first = sim.exec(t(0), &launch);
    assert_eq!(launched(&first).len(), 2);
    assert_eq!(sim.exec(t(10), &launch), first, "the first answer, again");
    // Only 2 slots were taken: 2 more fit, then the pool of 4 is full.
    assert_eq!(launched(&sim.launch(t(10), cpu, LaunchOption::OnDemand, 2)).len(), 2);
    assert_eq!(
        refused(&sim.launch(t(10), cpu, LaunchOption::OnDemand, 1)),
        Some(Refusal::InsufficientCapacity)
    );
    // A reservation and a commitment retried: one of each.
    let reserve = CloudAction::Reserve(ReserveRequest {
        request: RequestId(200),
        offer: west_cpu,
        product: ProductKind::CapacityReservation,
        count: 1,
        start: t(10),
        duration: secs(HOUR),
    });
    let first = sim.exec(t(10), &reserve);
    // The first answer was `assessing` alone (`scheduled` and `active` came from timers at the
    // same instant); the retry replays exactly it, though the reservation is active by now.
    assert_eq!(
        states(&first),
        [ReservationState::Assessing, ReservationState::Scheduled, ReservationState::Active]
    );
    assert_eq!(sim.exec(t(10), &reserve), first[..1].to_vec());
    let commit = CloudAction::Commit(CommitRequest {
        request: RequestId(300),
        offer: west_gpu,
        discount: "sp-1y".into(),
        count: 1,
    });
    let first = sim.exec(t(10), &commit);
    assert_eq!(sim.exec(t(10), &commit), first);
    // A terminate retried.
    let id = launched(&observations(&sim.log))[0];
    let stop = CloudAction::Terminate { request: RequestId(400), instance: id };
    let first = sim.exec(t(10), &stop);
    let billed = sim.total();
    assert_eq!(sim.exec(t(10), &stop), first);
    assert_eq!(sim.total(), billed, "the retry books nothing");
    // The same id for another action is a caller bug.
    let other = CloudAction::Terminate { request: RequestId(100), instance: id };
    assert!(matches!(sim.p.execute(t(10), &other), Err(ProviderError::InvalidRequest { .. })));
    // Closed at 3,610 s: the first instance ran 10 s (billed the 60 s minimum, 60,000 µ$);
    // the second 3,610 s (3,610,000 µ$); the two launched at 10 s 3,600 s each (3,600,000 µ$
    // each); the reservation 1 h × $3.60 (3,600,000 µ$); the commitment, from 10 s, 1 h ×
    // 0.75 × $36 (27,000,000 µ$). Each bought once.
    sim.p.close(t(HOUR + 10)).expect("close");
    assert_eq!(sim.total(), 60_000 + 3_610_000 + 2 * 3_600_000 + 3_600_000 + 27_000_000);
}

// ----- egress -----

#[test]
fn egress_is_charged_per_gb_by_destination() {
    // 100 GB out of the first region: same region, the other region of the same cloud, and a
    // region of another cloud (internet).
    let cases = [
        (Cloud::Aws, [1_000_000, 2_000_000, 9_000_000]), // 0.01, 0.02, 0.09 $/GB
        (Cloud::Gcp, [1_000_000, 2_000_000, 12_000_000]), // 0.01, 0.02, 0.12 $/GB
        (Cloud::Azure, [0, 2_000_000, 8_700_000]),       // 0.00, 0.02, 0.087 $/GB
    ];
    for (cloud, [same, inter, internet]) in cases {
        let mut sim = Sim::new(cloud);
        let (from, other) = (sim.region(0), sim.region(1));
        let elsewhere = if cloud == Cloud::Aws { Cloud::Gcp } else { Cloud::Aws };
        let foreign = sim.catalog.find_region(elsewhere, regions(elsewhere)[0]).expect("region");
        assert_eq!(sim.p.charge_egress(t(0), from, from, 100.0), Ok(Money(same)), "{cloud}");
        assert_eq!(sim.p.charge_egress(t(0), from, other, 100.0), Ok(Money(inter)), "{cloud}");
        assert_eq!(sim.p.charge_egress(t(0), from, foreign, 100.0), Ok(Money(internet)), "{cloud}");
        assert_eq!(sim.charged(|c| c.kind == ChargeKind::Egress), same + inter + internet);
        assert!(matches!(
            sim.p.charge_egress(t(0), foreign, from, 1.0),
            Err(EgressError::NotThisCloud { .. })
        ));
        assert!(matches!(
            sim.p.charge_egress(t(0), from, other, -1.0),
            Err(EgressError::InvalidAmount { .. })
        ));
    }
}

// ----- the reservation state machine -----

#[test]
fn every_reported_reservation_path_is_a_path_of_the_state_machine() {
    use ReservationState as S;
    let mut file = catalog_file();
    file.providers[0].products[1].unsupported_probability = 0.4;
    let mut config = config();
    config.supply.default_instances = 12;
    config.delayed_probability = 0.4;
    let mut sim = Sim::with(Cloud::Aws, &config, file, 5);
    let cpu = sim.offer(0, CPU);
    let gpu = sim.offer(0, GPU);
    let mut future = Vec::new();
    for i in 0..8 {
        let obs = sim.reserve(
            t(0),
            cpu,
            ProductKind::FutureReservation,
            2,
            t((2 + i) * DAY),
            secs(3 * DAY),
        );
        future.push(reservation_id(&obs));
    }
    let odcr = reservation_id(&sim.reserve(
        t(0),
        cpu,
        ProductKind::CapacityReservation,
        2,
        t(0),
        secs(DAY),
    ));
    let cancelled = reservation_id(&sim.reserve(
        t(0),
        cpu,
        ProductKind::CapacityReservation,
        1,
        t(0),
        secs(DAY),
    ));
    sim.reserve(t(0), gpu, ProductKind::CapacityBlock, 2, h(1), secs(DAY));
    sim.reserve(t(0), gpu, ProductKind::CapacityBlock, 5, h(1), secs(DAY)); // refused outright
    sim.cancel(h(2), cancelled);
    sim.run_to(t(3 * DAY));
    for r in &future[4..6] {
        sim.cancel(t(3 * DAY), *r);
    }
    sim.run_to(t(30 * DAY));
    let paths = assert_valid_paths(&sim.log);
    // Refused outright requests never got a reservation: 8 + 2 + 1 reported.
    assert_eq!(paths.len(), 11);
    for (id, path) in &paths {
        assert!(path.last().is_some_and(|s| s.is_terminal()), "{id}: {path:?} ends terminal");
    }
    assert_eq!(paths[&odcr], vec![S::Requested, S::Assessing, S::Scheduled, S::Active, S::Expired]);
    assert_eq!(paths[&cancelled].last(), Some(&S::Cancelled));
    // The mix reached unsupported and delayed at least once (seed 5, p = 0.4 each).
    let reached: Vec<S> = paths.values().flatten().copied().collect();
    for s in [S::Unsupported, S::Delayed, S::Expired, S::Cancelled] {
        assert!(reached.contains(&s), "{s:?} reached: {paths:?}");
    }
    // Reports are in time order.
    assert!(sim.log.windows(2).all(|w| w[0].at <= w[1].at));
}

#[test]
fn cancelling_a_capacity_reservation_leaves_its_instances_running_on_demand() {
    let mut sim = Sim::new(Cloud::Gcp);
    let offer = sim.offer(0, CPU);
    let obs = sim.reserve(t(0), offer, ProductKind::CapacityReservation, 2, t(0), secs(10 * HOUR));
    let rid = reservation_id(&obs);
    let id = launched(&sim.launch(t(0), offer, LaunchOption::Reserved(rid), 1))[0];
    let obs = sim.cancel(h(1), rid);
    assert_eq!(states(&obs), vec![ReservationState::Cancelled]);
    assert!(terminated(&obs).is_empty(), "the instance keeps running");
    // It holds a slot of its own now: 4 more on demand do not fit in the pool of 4.
    let full = sim.launch(h(1), offer, LaunchOption::OnDemand, 4);
    assert_eq!(refused(&full), Some(Refusal::InsufficientCapacity));
    sim.terminate(h(2), id);
    // Reservation 1 h × 2 × $3.60 = 7,200,000 µ$; the instance 1 h on demand after the
    // cancel, 3,600,000 µ$ (nothing for the hour inside the reservation).
    assert_eq!(sim.charged(|c| c.instance == Some(id)), 3_600_000);
    assert_eq!(sim.p.close(h(10)).expect("close"), Money(10_800_000));
}

#[test]
fn instances_fail_at_the_configured_rate() {
    // 1,000 instances for 100 h at 10⁻³ failures per hour: expect 1,000 × (1 − e^−0.1) =
    // 95.2 failures, binomial sd √(1,000 × 0.095 × 0.905) = 9.3; accept [60, 130] (±3.8 sd).
    let mut config = config();
    config.failure_rate_per_hour = 1e-3;
    config.supply.default_instances = 1000;
    let mut sim = Sim::with(Cloud::Aws, &config, catalog_file(), 3);
    let offer = sim.offer(0, CPU);
    assert_eq!(launched(&sim.launch(t(0), offer, LaunchOption::OnDemand, 1000)).len(), 1000);
    let log = sim.run_to(h(100));
    let failed = log
        .iter()
        .filter(|o| {
            matches!(
                o.observation,
                Observation::Terminated { reason: TerminationReason::Failure, .. }
            )
        })
        .count();
    assert!((60..=130).contains(&failed), "{failed} of 1,000 failed");
}

#[test]
fn malformed_requests_are_errors_not_refusals() {
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    let gcp = Sim::new(Cloud::Gcp);
    let foreign = gcp.offer(0, CPU);
    let launch = |request, offer, count| {
        CloudAction::Launch(LaunchRequest {
            request: RequestId(request),
            offer,
            option: LaunchOption::OnDemand,
            count,
        })
    };
    assert!(matches!(
        sim.p.execute(t(10), &launch(1, foreign, 1)),
        Err(ProviderError::UnknownOffer { .. })
    ));
    assert!(matches!(
        sim.p.execute(t(10), &launch(2, cpu, 0)),
        Err(ProviderError::InvalidRequest { .. })
    ));
    assert!(matches!(
        sim.p.execute(t(5), &launch(3, cpu, 1)),
        Err(ProviderError::TimeWentBackwards { .. })
    ));
    let stop = CloudAction::Terminate { request: RequestId(4), instance: InstanceId(7) };
    assert!(matches!(sim.p.execute(t(10), &stop), Err(ProviderError::UnknownInstance { .. })));
    let cancel = CloudAction::Cancel { request: RequestId(5), reservation: ReservationId(7) };
    assert!(matches!(sim.p.execute(t(10), &cancel), Err(ProviderError::UnknownReservation { .. })));
    // Errors are not remembered: the request ids can be used afterwards.
    assert_eq!(launched(&sim.exec(t(10), &launch(2, cpu, 1))).len(), 1);
    assert!(sim.p.poll(t(10)).is_empty());
}

#[test]
fn each_aspect_draws_from_its_own_stream() {
    // Changing the assessment risk (the `assess:aws` stream's use) or the failure rate (the
    // `failure:aws` stream) must not move a single spot notice (the `spot:aws` stream).
    // Interruptions at the 5–10% band over 5,000 h: about 1 − e^(−1.07e-4 × 5,000) = 41% of 50.
    let notices = |unsupported: f64, failure_rate: f64| {
        let mut file = catalog_file();
        file.providers[0].products[1].unsupported_probability = unsupported;
        let mut config = config();
        config.supply.default_instances = 100;
        config.failure_rate_per_hour = failure_rate;
        let mut sim = Sim::with(Cloud::Aws, &config, file, 11);
        let cpu = sim.offer(0, CPU);
        let west = sim.offer(1, CPU);
        for _ in 0..3 {
            sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(3 * DAY));
        }
        sim.launch(t(0), west, LaunchOption::OnDemand, 20);
        sim.launch(t(0), cpu, LaunchOption::Spot, 50);
        let log = sim.run_to(h(5000));
        log.into_iter()
            .filter(|o| matches!(o.observation, Observation::Notice { .. }))
            .collect::<Vec<_>>()
    };
    let base = notices(0.0, 0.0);
    assert!(base.len() > 10, "{} notices", base.len());
    assert_eq!(notices(1.0, 0.0), base);
    // Failures end some spot instances before their notice, but every notice that still
    // comes is at the same time for the same instance.
    let with_failures = notices(0.0, 1e-3);
    assert!(!with_failures.is_empty() && with_failures.len() < base.len());
    assert!(with_failures.iter().all(|n| base.contains(n)));
}

#[test]
fn a_commitment_stacks_on_capacity_reservations() {
    // AWS sp-1y pays $2.70/h a unit; a cpu4 slot costs $3.60/h on demand.
    let reservation =
        |c: &Charge| matches!(c.kind, ChargeKind::Reservation { .. } | ChargeKind::Upfront { .. });
    let commitment = |c: &Charge| matches!(c.kind, ChargeKind::Commitment { .. });

    // An unused reservation of 2 and a commitment for 1: the commitment pays one slot. At 1 h:
    // commitment $2.70 + one slot $3.60 = $6.30 (not $2.70 + $7.20 = $9.90).
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    sim.reserve(t(0), cpu, ProductKind::CapacityReservation, 2, t(0), secs(10 * HOUR));
    sim.commit(t(0), cpu, "sp-1y", 1);
    sim.p.close(h(1)).expect("close");
    assert_eq!(sim.charged(reservation), 3_600_000);
    assert_eq!(sim.charged(commitment), 2_700_000);
    assert_eq!(sim.total(), 6_300_000);

    // Instances first: an on-demand instance takes the cover; when it stops at 30 min the
    // cover moves to a slot. At 1 h: reservation 0.5 h × 2 × $3.60 + 0.5 h × 1 × $3.60 =
    // $5.40; instance 0; commitment $2.70. Total $8.10.
    let mut sim = Sim::new(Cloud::Aws);
    sim.reserve(t(0), cpu, ProductKind::CapacityReservation, 2, t(0), secs(10 * HOUR));
    let id = launched(&sim.launch(t(0), cpu, LaunchOption::OnDemand, 1))[0];
    sim.commit(t(0), cpu, "sp-1y", 1);
    sim.terminate(t(1800), id);
    sim.p.close(h(1)).expect("close");
    assert_eq!(sim.charged(|c| c.instance == Some(id)), 0);
    assert_eq!(sim.charged(reservation), 5_400_000);
    assert_eq!(sim.total(), 8_100_000);

    // The cover goes back to instances when the reservation ends: a 1-slot reservation for
    // 1 h takes the cover; an instance launched meanwhile pays on demand until the
    // reservation expires, then is covered. At 2 h: reservation 0; instance 1 h × $3.60;
    // commitment 2 h × $2.70 = $5.40. Total $9.00.
    let mut sim = Sim::new(Cloud::Aws);
    sim.reserve(t(0), cpu, ProductKind::CapacityReservation, 1, t(0), secs(HOUR));
    sim.commit(t(0), cpu, "sp-1y", 1);
    let id = launched(&sim.launch(t(0), cpu, LaunchOption::OnDemand, 1))[0];
    sim.p.close(h(2)).expect("close");
    assert_eq!(sim.charged(reservation), 0);
    assert_eq!(sim.charged(|c| c.instance == Some(id)), 3_600_000);
    assert_eq!(sim.total(), 9_000_000);

    // When the commitment's 365-day term ends, the slot it paid is charged again. A 1-slot
    // reservation for 400 days, closed at day 366: commitment 365 × 24 h × $2.70 =
    // $23,652; reservation 1 day × 24 h × $3.60 = $86.40.
    let mut sim = Sim::new(Cloud::Aws);
    sim.reserve(t(0), cpu, ProductKind::CapacityReservation, 1, t(0), secs(400 * DAY));
    sim.commit(t(0), cpu, "sp-1y", 1);
    sim.p.close(t(366 * DAY)).expect("close");
    assert_eq!(sim.charged(commitment), 23_652_000_000);
    assert_eq!(sim.charged(reservation), 86_400_000);

    // A capacity block has its own price, paid up front: never covered. 2 × gpu8 for 24 h
    // at 0.5 × $36 = $864 up front; a commitment for 2 gpu8 ($27/h each) closed at 2 h
    // costs 2 × 2 h × $27 = $108 and pays nothing of the block.
    let mut sim = Sim::new(Cloud::Aws);
    let gpu = sim.offer(0, GPU);
    let rid =
        reservation_id(&sim.reserve(t(0), gpu, ProductKind::CapacityBlock, 2, h(1), secs(DAY)));
    sim.run_to(h(1));
    sim.commit(h(1), gpu, "sp-1y", 2);
    sim.launch(h(1), gpu, LaunchOption::Reserved(rid), 2);
    sim.p.close(h(3)).expect("close");
    assert_eq!(sim.charged(reservation), 864_000_000);
    assert_eq!(sim.charged(commitment), 108_000_000);
    assert_eq!(sim.total(), 972_000_000);
}

#[test]
fn a_minimum_commitment_owed_at_cancellation_is_not_discounted() {
    // AWS future reservation of 2 cpu4 (2-day minimum) from day 2; a commitment for 2 bought
    // at day 2 pays both slots while active. Cancelled at day 3: the day active is covered
    // (reservation charge 0), the remaining day of minimum is owed at full price,
    // 2 × $3.60 × 24 h = $172.80; the commitment, closed at day 3, 2 × $2.70 × 24 h = $129.60.
    let mut sim = Sim::new(Cloud::Aws);
    let cpu = sim.offer(0, CPU);
    let obs = sim.reserve(t(0), cpu, ProductKind::FutureReservation, 2, t(2 * DAY), secs(5 * DAY));
    let rid = reservation_id(&obs);
    sim.run_to(t(2 * DAY));
    sim.commit(t(2 * DAY), cpu, "sp-1y", 2);
    sim.cancel(t(3 * DAY), rid);
    sim.p.close(t(3 * DAY)).expect("close");
    let reservation = |c: &Charge| matches!(c.kind, ChargeKind::Reservation { .. });
    assert_eq!(sim.charged(reservation), 172_800_000);
    assert_eq!(sim.total(), 172_800_000 + 129_600_000);
}

/// A control-plane outage of us-east-1 from hour 2 for 3 hours: launches and reservations
/// there are refused (`control_plane_outage`) from 2:00 up to 5:00, the other region serves
/// as usual, and an instance launched before keeps running and billing through it.
#[test]
fn a_control_plane_outage_refuses_acquisitions_and_keeps_running_work() {
    let mut config = config();
    config.outages.push(Outage { region: "us-east-1".into(), start_h: 2.0, hours: 3.0 });
    let mut sim = Sim::with(Cloud::Aws, &config, catalog_file(), 1);
    let (east, west) = (sim.offer(0, CPU), sim.offer(1, CPU));
    let before = launched(&sim.launch(h(1), east, LaunchOption::OnDemand, 1));
    assert_eq!(before.len(), 1);
    let obs = sim.launch(h(2), east, LaunchOption::OnDemand, 1);
    assert_eq!(refused(&obs), Some(Refusal::ControlPlaneOutage));
    let obs = sim.reserve(h(3), east, ProductKind::CapacityReservation, 1, h(4), secs(3600));
    assert_eq!(refused(&obs), Some(Refusal::ControlPlaneOutage));
    assert_eq!(launched(&sim.launch(h(3), west, LaunchOption::OnDemand, 1)).len(), 1);
    let obs = sim.launch(SimTime(h(5).0 - 1), east, LaunchOption::OnDemand, 1);
    assert_eq!(refused(&obs), Some(Refusal::ControlPlaneOutage), "the last microsecond");
    assert_eq!(launched(&sim.launch(h(5), east, LaunchOption::OnDemand, 1)).len(), 1);
    // The instance from before the outage was never stopped: nothing terminated it.
    sim.run_to(h(6));
    assert!(terminated(&observations(&sim.log)).is_empty(), "{:?}", sim.log);
}

/// A stock-out of one type in one region refuses on-demand and spot launches of that pool
/// for its hours; the region's other types, and the pool after it, launch as usual.
#[test]
fn a_stockout_refuses_launches_of_its_pool_for_its_hours() {
    let mut config = config();
    config.stockouts.push(Stockout {
        region: "us-east-1".into(),
        instance_type: Some(CPU.into()),
        start_h: 1.0,
        hours: 2.0,
    });
    let mut sim = Sim::with(Cloud::Aws, &config, catalog_file(), 1);
    let (cpu, gpu) = (sim.offer(0, CPU), sim.offer(0, GPU));
    let west = sim.offer(1, CPU);
    let before = launched(&sim.launch(h(0), cpu, LaunchOption::OnDemand, 1));
    for option in [LaunchOption::OnDemand, LaunchOption::Spot] {
        let obs = sim.launch(h(1), cpu, option, 1);
        assert_eq!(refused(&obs), Some(Refusal::InsufficientCapacity), "{option:?}");
    }
    assert_eq!(launched(&sim.launch(h(2), gpu, LaunchOption::OnDemand, 1)).len(), 1);
    assert_eq!(launched(&sim.launch(h(2), west, LaunchOption::OnDemand, 1)).len(), 1);
    assert_eq!(launched(&sim.launch(h(3), cpu, LaunchOption::OnDemand, 1)).len(), 1);
    sim.run_to(h(4));
    assert!(terminated(&observations(&sim.log)).is_empty(), "{before:?} kept running");
}

/// A spot storm gives every running spot instance of its region its notice at the start
/// (`reclaim = 1`), refuses spot there while it lasts, and leaves on-demand instances and
/// the other regions alone.
#[test]
fn a_spot_storm_reclaims_the_regions_spot_and_sells_none_while_it_lasts() {
    let mut config = config();
    config.spot_storms.push(SpotStorm {
        region: "us-east-1".into(),
        start_h: 1.0,
        hours: 2.0,
        reclaim: 1.0,
    });
    let mut sim = Sim::with(Cloud::Aws, &config, catalog_file(), 1);
    let (east, west) = (sim.offer(0, CPU), sim.offer(1, CPU));
    let spot = launched(&sim.launch(h(0), east, LaunchOption::Spot, 3));
    let on_demand = launched(&sim.launch(h(0), east, LaunchOption::OnDemand, 1));
    let west_spot = launched(&sim.launch(h(0), west, LaunchOption::Spot, 1));
    let obs = sim.launch(h(2), east, LaunchOption::Spot, 1);
    assert_eq!(refused(&obs), Some(Refusal::InsufficientCapacity));
    assert_eq!(launched(&sim.launch(h(2), west, LaunchOption::Spot, 1)).len(), 1);
    assert_eq!(launched(&sim.launch(h(2), east, LaunchOption::OnDemand, 1)).len(), 1);
    assert_eq!(launched(&sim.launch(h(3), east, LaunchOption::Spot, 1)).len(), 1);
    sim.run_to(h(4));
    // AWS's 120 s notice: each spot instance of us-east-1 ends at 1 h + 120 s, no other.
    let ended: Vec<(InstanceId, SimTime)> = sim
        .log
        .iter()
        .filter_map(|o| match o.observation {
            Observation::Terminated { instance, reason } => {
                assert_eq!(reason, TerminationReason::SpotInterruption);
                Some((instance, o.at))
            }
            _ => None,
        })
        .collect();
    let expected: Vec<(InstanceId, SimTime)> =
        spot.iter().map(|id| (*id, h(1) + secs(120))).collect();
    assert_eq!(ended, expected, "on demand {on_demand:?} and {west_spot:?} are spared");
}

/// A fault naming a region or type the catalog does not have is refused when the provider
/// is built, naming the field: it would otherwise never happen, silently.
#[test]
fn faults_must_name_regions_and_types_of_the_catalog() {
    let catalog = Arc::new(Catalog::new(catalog_file()).expect("valid catalog"));
    let build = |config: &SimCloudConfig| {
        SimProvider::new(Cloud::Aws, Arc::clone(&catalog), config, &RngStreams::new(1), t(0))
            .err()
            .map(|e| e.to_string())
    };
    let mut c = config();
    c.outages.push(Outage { region: "us-east-9".into(), start_h: 1.0, hours: 1.0 });
    assert!(build(&c).is_some_and(|e| e.contains("outages.region") && e.contains("us-east-9")));
    let mut c = config();
    c.stockouts.push(Stockout {
        region: "us-east-1".into(),
        instance_type: Some("cpu5".into()),
        start_h: 1.0,
        hours: 1.0,
    });
    assert!(build(&c).is_some_and(|e| e.contains("stockouts.instance_type")));
    let mut c = config();
    c.spot_storms.push(SpotStorm {
        region: "us-east-1".into(),
        start_h: 1.0,
        hours: 1.0,
        reclaim: 1.5,
    });
    assert!(build(&c).is_some_and(|e| e.contains("spot_storms.reclaim")));
    assert_eq!(build(&config()), None);
}
