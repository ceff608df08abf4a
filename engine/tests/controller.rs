//! The controller driven through its public API (`submit`, `observe`, `decide`,
//! `next_wakeup`, `end_of_trace`, `finished`, `shutdown`) by a small event loop over fake
//! providers (`common::Harness`): reservation windows, on-demand scaling, requeues after
//! interruptions, rejections, and a proptest that no job is ever lost.
//!
//! The catalog (`common::catalog`) has four 4-vCPU offers; for CPU jobs offer 0 (AWS
//! us-east-1 c5.xlarge, $0.20/h, 8 GiB) is the cheapest per vCPU, so every CPU shard is offer
//! 0, with offers 1, 2, 3 as its fallbacks. The fake provider boots instances in 60 s.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::{
    AWS_EAST_C5, AWS_WEST_C5, Harness, Outcome, all_offers, catalog, cpu_job, gpu_job, hours, secs,
};
use engine::cloud::{Cloud, CloudAction, LaunchOption, Observation, ProductKind, Refusal};
use engine::controller::{Action, Controller, ControllerConfig, FailReason};
use engine::policy::{
    OnDemand, OnDemandConfig, Policy, StaticReservation, StaticReservationConfig,
};
use engine::shard::Policy as Discipline;
use engine::{InstanceId, JobId, Money, RequestId, SimDuration, SimTime};
use proptest::prelude::*;

fn config(first_window: SimTime, window_h: u64, lead_h: u64) -> ControllerConfig {
    ControllerConfig {
        first_window,
        window: SimDuration::from_hours(window_h),
        lead: SimDuration::from_hours(lead_h),
        tick: SimDuration::from_secs(300),
        scheduler: Discipline::Fifo,
        max_attempts: 3,
        budget: None,
        drain_windows: 1,
        routing: Default::default(),
        rebalance: Default::default(),
    }
}

fn harness(policy: Box<dyn Policy>, config: ControllerConfig) -> Harness {
    let cat = catalog();
    let ctl = Controller::new(Arc::clone(&cat), all_offers(), policy, config);
    Harness::new(ctl, &cat)
}

fn on_demand(max_vcpus: u64, spot: bool) -> Box<dyn Policy> {
    Box::new(OnDemand::new(on_demand_config(max_vcpus, spot)))
}

/// The on-demand baseline's knobs: up to `max_vcpus`, a 600 s idle timeout.
fn on_demand_config(max_vcpus: u64, spot: bool) -> OnDemandConfig {
    OnDemandConfig {
        min_vcpus: 0,
        max_vcpus,
        idle_timeout_s: 600,
        spot,
        single_cloud: false,
        spread: false,
    }
}

fn mins(m: u64) -> SimDuration {
    SimDuration::from_secs(m * 60)
}

fn launches(h: &Harness) -> Vec<(SimTime, engine::cloud::LaunchRequest)> {
    h.cloud_actions()
        .into_iter()
        .filter_map(|(t, a)| match a {
            CloudAction::Launch(l) => Some((t, l)),
            _ => None,
        })
        .collect()
}

fn terminations(h: &Harness) -> Vec<(SimTime, InstanceId)> {
    h.cloud_actions()
        .into_iter()
        .filter_map(|(t, a)| match a {
            CloudAction::Terminate { instance, .. } => Some((t, instance)),
            _ => None,
        })
        .collect()
}

fn completed(at: SimTime, attempt: u32) -> Outcome {
    Outcome::Completed { at, attempt }
}

#[test]
fn static_reservation_windows_plan_ahead_open_and_close() {
    // Windows of 10 h from 10 h, planned 2 h ahead: window 0 = [10 h, 20 h) planned at 8 h,
    // window 1 = [20 h, 30 h) planned at 18 h.
    let mut h = harness(
        Box::new(StaticReservation::new(StaticReservationConfig::default())),
        ControllerConfig { max_attempts: 2, ..config(hours(10), 10, 2) },
    );
    // History: two 4-vCPU jobs of 8 h from 0 h. At the plan time 8 h the mean is
    // 2 × 4 vCPU × 8 h ÷ 8 h = 8 vCPUs = 2 instances of 4 vCPUs.
    h.ctl.record_history(cpu_job(100, hours(0), 4, SimDuration::from_hours(8)));
    h.ctl.record_history(cpu_job(101, hours(0), 4, SimDuration::from_hours(8)));
    // Two jobs queued before the opening (after the plan), one after it.
    h.add_jobs([
        cpu_job(1, hours(9), 4, SimDuration::from_hours(2)),
        cpu_job(2, hours(9) + mins(30), 4, SimDuration::from_hours(1)),
        cpu_job(3, hours(11), 4, SimDuration::from_hours(12)),
    ]);

    // Nothing happens before the plan time.
    assert_eq!(h.ctl.next_wakeup(), Some(hours(8)));
    h.run_until(secs(8 * 3600 - 60));
    assert!(h.actions.is_empty());

    // At 8 h: one reservation of 2 × offer 0, capacity reservation, for [10 h, 20 h).
    h.run_until(hours(8));
    let reserves: Vec<_> = h
        .cloud_actions()
        .into_iter()
        .filter_map(|(t, a)| match a {
            CloudAction::Reserve(r) => Some((t, r)),
            _ => None,
        })
        .collect();
    assert_eq!(reserves.len(), 1);
    let (t, r) = &reserves[0];
    assert_eq!(*t, hours(8));
    assert_eq!((r.offer, r.product, r.count), (AWS_EAST_C5, ProductKind::CapacityReservation, 2));
    assert_eq!((r.start, r.duration), (hours(10), SimDuration::from_hours(10)));
    assert_eq!(h.ctl.stats().windows_planned, 1);

    // Queued at 9 h and 9:30, nothing starts or launches before the opening.
    h.run_until(SimTime(hours(10).0 - 1));
    assert!(launches(&h).is_empty());
    assert!(h.starts(JobId(1)).is_empty() && h.starts(JobId(2)).is_empty());

    // At 10 h the reservation is active: 2 instances launched into it; booted at 10:01, when
    // both queued jobs start, one per instance.
    h.run_until(hours(10) + mins(1));
    let l = launches(&h);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].0, hours(10));
    assert!(matches!(l[0].1.option, LaunchOption::Reserved(_)));
    assert_eq!(l[0].1.count, 2);
    let open = hours(10) + mins(1);
    assert_eq!(h.starts(JobId(1))[0].0, open);
    assert_eq!(h.starts(JobId(2))[0].0, open);
    let reserved: BTreeSet<InstanceId> =
        h.ctl.instances().iter().filter(|(_, i)| i.ready).map(|(id, _)| *id).collect();
    assert_eq!(reserved.len(), 2);

    // Job 2 (1 h) ends at 11:01 and job 3 (queued at 11 h) takes its instance then; job 1
    // (2 h) ends at 12:01.
    h.run_until(hours(19));
    assert_eq!(h.outcomes[&JobId(2)], completed(open + mins(60), 1));
    assert_eq!(h.outcomes[&JobId(1)], completed(open + mins(120), 1));
    assert_eq!(h.starts(JobId(3))[0].0, open + mins(60));
    // Window 1 was planned at 18 h (work remains): history over [0 h, 18 h) is
    // 64 (history) + 8 + 4 + 48 (jobs 1–3) = 124 vCPU-hours ÷ 18 h = 6.9 vCPUs → 2 instances.
    let reserves: Vec<_> = h
        .cloud_actions()
        .into_iter()
        .filter_map(|(t, a)| match a {
            CloudAction::Reserve(r) => Some((t, r.start, r.count)),
            _ => None,
        })
        .collect();
    assert_eq!(reserves, vec![(hours(8), hours(10), 2), (hours(18), hours(20), 2)]);

    // At the close (20 h) both reserved instances of window 0 are terminated; job 3, 9 h
    // into its 12 h, is interrupted (attempt 1 of 2) and requeued; window 1's instances boot
    // at 20:01 and it restarts there (attempt 2).
    h.run_until(hours(20) + mins(1));
    let gone: BTreeSet<InstanceId> =
        terminations(&h).iter().filter(|(t, _)| *t == hours(20)).map(|(_, i)| *i).collect();
    assert_eq!(gone, reserved);
    assert!(
        h.actions
            .iter()
            .any(|(t, a)| *t == hours(20) && *a == Action::Interrupt { job: JobId(3), attempt: 1 })
    );
    let starts = h.starts(JobId(3));
    assert_eq!(starts.len(), 2);
    assert_eq!((starts[1].0, starts[1].1), (hours(20) + mins(1), 2));
    assert!(starts[1].2.iter().all(|i| !reserved.contains(i)));

    // 20:01 + 12 h is after window 1 closes at 30 h: the second attempt is cut at 30 h too,
    // and that was the last allowed one.
    h.run_to_end(hours(100));
    assert_eq!(
        h.outcomes[&JobId(3)],
        Outcome::Failed { at: hours(30), reason: FailReason::Interrupted, rejected: false }
    );
    // No window after the drain window: 2 planned in all, 4 reserved instances terminated.
    assert_eq!(h.ctl.stats().windows_planned, 2);
    assert_eq!(h.ctl.stats().terminated.get("requested"), Some(&4));
    assert!(h.ctl.instances().is_empty());
}

#[test]
fn a_reservation_that_cannot_be_asked_for_ahead_is_asked_for_at_the_opening() {
    // As above, but the capacity reservation starts only when requested (max lead 0, like an
    // AWS ODCR): planned at 8 h, the request is held back until the opening at 10 h, and asks
    // for [10 h, 20 h) then.
    let mut file = catalog().file().clone();
    for terms in &mut file.providers {
        for product in &mut terms.products {
            if product.kind == ProductKind::CapacityReservation {
                product.max_lead_s = 0;
            }
        }
    }
    let cat = Arc::new(engine::cloud::Catalog::new(file).expect("still valid"));
    let ctl = Controller::new(
        Arc::clone(&cat),
        all_offers(),
        Box::new(StaticReservation::new(StaticReservationConfig::default())),
        config(hours(10), 10, 2),
    );
    let mut h = Harness::new(ctl, &cat);
    h.ctl.record_history(cpu_job(100, hours(0), 4, SimDuration::from_hours(8)));
    h.add_jobs([cpu_job(1, hours(9), 4, SimDuration::from_hours(1))]);
    h.run_until(hours(8));
    assert_eq!(h.ctl.stats().windows_planned, 1);
    assert!(h.cloud_actions().is_empty(), "nothing is asked for at the plan time");
    h.run_until(hours(10));
    let reserves: Vec<_> = h
        .cloud_actions()
        .into_iter()
        .filter_map(|(t, a)| match a {
            CloudAction::Reserve(r) => Some((t, r)),
            _ => None,
        })
        .collect();
    assert_eq!(reserves.len(), 1);
    assert_eq!(reserves[0].0, hours(10));
    assert_eq!((reserves[0].1.start, reserves[0].1.count), (hours(10), 1));
    // Launched into it at once, booted at 10:01, when job 1 (queued since 9 h) starts.
    h.run_until(hours(10) + mins(1));
    assert_eq!(h.starts(JobId(1)).len(), 1);
}

#[test]
fn a_refused_reservation_falls_back_and_its_instances_serve_the_shard() {
    // As in the window test: window [10 h, 20 h) planned at 8 h, 2 instances reserved; but
    // offer 0 refuses reservations (capacity), so the broker reserves its next candidate,
    // offer 1 (m5, same region), for the offer-0 shard.
    let mut h = harness(
        Box::new(StaticReservation::new(StaticReservationConfig::default())),
        config(hours(10), 10, 2),
    );
    h.provider(Cloud::Aws).refuse_reserve.insert(AWS_EAST_C5, Refusal::InsufficientCapacity);
    h.ctl.record_history(cpu_job(100, hours(0), 4, SimDuration::from_hours(8)));
    h.ctl.record_history(cpu_job(101, hours(0), 4, SimDuration::from_hours(8)));
    h.add_jobs([cpu_job(1, hours(9), 4, SimDuration::from_hours(2))]);
    h.run_like_sim(hours(100));
    let reserves: Vec<_> = h
        .cloud_actions()
        .into_iter()
        .filter_map(|(t, a)| match a {
            CloudAction::Reserve(r) => Some((t, r.offer, r.count)),
            _ => None,
        })
        .collect();
    assert_eq!(reserves[..2], [(hours(8), AWS_EAST_C5, 2), (hours(8), common::AWS_EAST_M5, 2)]);
    assert_eq!(h.ctl.broker().stats().fallbacks, 1);
    // The m5 instances launch into it at 10 h, boot by 10:01, and job 1 runs there.
    let l = launches(&h);
    assert_eq!((l[0].0, l[0].1.offer, l[0].1.count), (hours(10), common::AWS_EAST_M5, 2));
    let (t, _, nodes) = h.starts(JobId(1))[0].clone();
    assert_eq!(t, hours(10) + mins(1));
    let provider = h.provider(Cloud::Aws);
    assert_eq!(provider.instance(nodes[0]).map(|i| i.0), Some(common::AWS_EAST_M5));
    assert_eq!(h.outcomes[&JobId(1)], completed(hours(12) + mins(1), 1));
}

#[test]
fn capacity_block_instances_leave_before_the_close_and_their_jobs_are_requeued() {
    // Windows of 24 h from 24 h, planned 2 h ahead; capacity blocks (terminated by the
    // provider 30 minutes before their end). History: 2 × 4 vCPUs × 22 h over the 22 h before
    // the plan time → 8 vCPUs → 2 instances.
    let mut h = harness(
        Box::new(StaticReservation::new(StaticReservationConfig {
            product: ProductKind::CapacityBlock,
            overflow: None,
            by_queue: false,
        })),
        config(hours(24), 24, 2),
    );
    h.ctl.record_history(cpu_job(100, hours(0), 4, SimDuration::from_hours(22)));
    h.ctl.record_history(cpu_job(101, hours(0), 4, SimDuration::from_hours(22)));
    // A 30 h job queued at 23 h: starts at 24:01, cannot finish in the block.
    h.add_jobs([cpu_job(1, hours(23), 4, SimDuration::from_hours(30))]);
    h.run_until(hours(49));
    let block = h
        .cloud_actions()
        .into_iter()
        .find_map(|(_, a)| match a {
            CloudAction::Reserve(r) => Some(r),
            _ => None,
        })
        .expect("a reservation");
    assert_eq!((block.product, block.count), (ProductKind::CapacityBlock, 2));
    // The block's instances are taken at 48 h − 30 min = 47:30 by the provider, so the job is
    // interrupted then (attempt 1), and the controller sends no termination of its own.
    let cutoff = hours(47) + mins(30);
    assert_eq!(h.starts(JobId(1))[0].0, hours(24) + mins(1));
    assert!(h.actions.contains(&(cutoff, Action::Interrupt { job: JobId(1), attempt: 1 })));
    assert_eq!(h.ctl.stats().terminated.get("reservation_ended"), Some(&2));
    assert!(terminations(&h).is_empty(), "{:?}", terminations(&h));
    // Window 1's block is active at 48 h; its instances boot by 48:01, when the job restarts.
    let starts = h.starts(JobId(1));
    assert_eq!((starts[1].0, starts[1].1), (hours(48) + mins(1), 2));
}

#[test]
fn on_demand_scales_out_within_max_vcpus_and_in_after_idle_timeout() {
    // Window [0, 24 h), planned at 0 with no job class known: an empty plan. Ticks every 300 s.
    let mut h = harness(on_demand(8, false), config(SimTime::EPOCH, 24, 0));
    // Four 4-vCPU jobs of 1 h at 600 s.
    h.add_jobs((1..=4).map(|id| cpu_job(id, secs(600), 4, SimDuration::from_hours(1))));
    h.run_to_end(hours(48));

    // At 600 s the unseen class triggers a re-plan (shard offer 0) and the tick scales out:
    // 16 vCPUs wait, but max_vcpus = 8 allows 8 ÷ 4 = 2 instances.
    assert_eq!(h.ctl.stats().replans, 1);
    let l = launches(&h);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(
        (l[0].0, l[0].1.offer, l[0].1.option, l[0].1.count),
        (secs(600), AWS_EAST_C5, LaunchOption::OnDemand, 2)
    );
    // Booted at 660 s: jobs 1 and 2 run [660, 4260), jobs 3 and 4 [4260, 7860).
    for (id, end) in [(1, 4260), (2, 4260), (3, 7860), (4, 7860)] {
        assert_eq!(h.outcomes[&JobId(id)], completed(secs(end), 1), "job {id}");
    }
    // Idle from 7860 s; ticks at 600 + 300k: 8400 s (540 s idle, < 600) keeps them, 8700 s
    // (840 s idle) lets both go.
    let t = terminations(&h);
    assert_eq!(t.iter().map(|(at, _)| *at).collect::<Vec<_>>(), vec![secs(8700); 2]);
    // Leases: launched at 600 s (to 4200 s); renewed at the tick whose horizon reaches the
    // lease end: 3900 s (→ 7800 s) and 7500 s (→ 11,400 s). 2 instances × 3 leases × $0.20.
    assert_eq!(h.ctl.broker().committed(), Money::from_usd(1.20).expect("finite"));
    assert_eq!(h.ctl.stats().launched.get("on_demand"), Some(&2));
}

/// The on-demand baseline, but from window 1 on every shard is moved to offer 2 (AWS
/// us-west-2 c5.xlarge), as a planner that re-shards between windows would.
struct MovesAtWindowOne(OnDemand);

impl Policy for MovesAtWindowOne {
    fn name(&self) -> &'static str {
        "moves-at-window-one"
    }
    fn plan(
        &mut self,
        now: SimTime,
        ctx: &engine::policy::PlanContext<'_>,
    ) -> engine::policy::Plan {
        let mut plan = self.0.plan(now, ctx);
        if ctx.window.index >= 1 {
            for shard in &mut plan.shards {
                shard.offer = engine::cloud::OfferIx(2);
            }
        }
        plan
    }
    fn scale(
        &mut self,
        now: SimTime,
        ctx: &engine::policy::ScaleContext<'_>,
    ) -> engine::policy::Scale {
        self.0.scale(now, ctx)
    }
}

#[test]
fn idle_elastic_instances_of_a_shard_the_plan_dropped_are_let_go() {
    // Windows of 24 h, no lead; the idle timeout (2 days) never lets an instance go by itself.
    // Job 1 (4 vCPUs, 1 h) at 600 s: the tick at 600 s launches one instance on offer 0,
    // booted at 660 s; the job ends at 4260 s and the instance idles. Window 1 opens at 24 h
    // with the class moved to offer 2: the tick at 24 h (600 + 300·286 s) lets offer 0's idle
    // instance go, since no job can reach it any more. Job 2 at 25 h runs on offer 2.
    let policy = MovesAtWindowOne(OnDemand::new(OnDemandConfig {
        min_vcpus: 0,
        max_vcpus: 64,
        idle_timeout_s: 2 * 86_400,
        spot: false,
        single_cloud: false,
        spread: false,
    }));
    let mut h = harness(Box::new(policy), config(SimTime::EPOCH, 24, 0));
    h.add_jobs([
        cpu_job(1, secs(600), 4, SimDuration::from_hours(1)),
        cpu_job(2, hours(25), 4, SimDuration::from_hours(1)),
    ]);
    h.run_until(hours(27));
    let l = launches(&h);
    assert_eq!(
        l.iter().map(|(t, r)| (*t, r.offer)).collect::<Vec<_>>(),
        vec![(secs(600), AWS_EAST_C5), (hours(25), engine::cloud::OfferIx(2))]
    );
    let t = terminations(&h);
    assert_eq!(t.first().map(|t| t.0), Some(hours(24)), "{t:?}");
    assert_eq!(h.outcomes[&JobId(2)], completed(hours(26) + mins(1), 1));
}

/// The on-demand baseline with CPU jobs of up to 2 vCPUs split off to a shard of offer 2
/// (AWS us-west-2 c5.xlarge), as the predictive policy's size tiers do.
struct TieredOnDemand(OnDemand);

impl Policy for TieredOnDemand {
    fn name(&self) -> &'static str {
        "tiered-on-demand"
    }
    fn plan(
        &mut self,
        now: SimTime,
        ctx: &engine::policy::PlanContext<'_>,
    ) -> engine::policy::Plan {
        let mut plan = self.0.plan(now, ctx);
        let small = engine::shard::Capacity { cpu_milli: 2000, memory_mib: 2048, gpu_milli: 0 };
        let mut routes = vec![];
        for route in plan.routes.drain(..) {
            if route.class == engine::policy::JobClass::Cpu {
                plan.shards.push(engine::policy::ShardPlan { offer: AWS_WEST_C5, reserve: None });
                let shard = plan.shards.len() - 1;
                routes.push(engine::policy::Route { up_to: Some(small), shard, ..route.clone() });
            }
            routes.push(route);
        }
        plan.routes = routes;
        plan
    }
    fn scale(
        &mut self,
        now: SimTime,
        ctx: &engine::policy::ScaleContext<'_>,
    ) -> engine::policy::Scale {
        self.0.scale(now, ctx)
    }
}

#[test]
fn a_job_takes_the_first_size_tier_that_holds_it() {
    // Job 1 needs 2 vCPUs and 2 GiB: it fits the first CPU route (up to 2 vCPUs, 2 GiB) and
    // runs on offer 2. Job 2 (3 vCPUs, 3 GiB) does not and takes the last route, offer 0.
    // Both are submitted at 600 s, launched at the tick then, booted at 660 s, and done an
    // hour later.
    let mut h = harness(
        Box::new(TieredOnDemand(OnDemand::new(on_demand_config(64, false)))),
        config(SimTime::EPOCH, 24, 0),
    );
    h.add_jobs([
        cpu_job(1, secs(600), 2, SimDuration::from_hours(1)),
        cpu_job(2, secs(600), 3, SimDuration::from_hours(1)),
    ]);
    h.run_until(hours(3));
    let offers: BTreeSet<_> = launches(&h).iter().map(|(t, r)| (*t, r.offer)).collect();
    assert_eq!(offers, BTreeSet::from([(secs(600), AWS_WEST_C5), (secs(600), AWS_EAST_C5)]));
    for id in [1, 2] {
        assert_eq!(h.outcomes[&JobId(id)], completed(secs(660) + mins(60), 1), "job {id}");
    }
}

#[test]
fn an_instance_let_go_is_not_renewed_first() {
    // One 4-vCPU job of 2640 s at 600 s: one instance launched at 600 s (lease to 4200 s),
    // booted at 660 s; the job ends at 3300 s. Idle from 3300 s, the idle timeout (600 s) is
    // reached at the tick at 3900 s, which is also the tick whose horizon (4200 s) reaches
    // the lease end: the instance is let go, and its lease must not be renewed first.
    let mut h = harness(on_demand(8, false), config(SimTime::EPOCH, 24, 0));
    h.add_jobs([cpu_job(1, secs(600), 4, SimDuration::from_secs(2640))]);
    // (Not `run_like_sim`, which would stop at 3300 s with all work done.)
    h.run_until(hours(2));
    assert_eq!(h.outcomes[&JobId(1)], completed(secs(3300), 1));
    assert_eq!(terminations(&h).first().map(|t| t.0), Some(secs(3900)));
    // One lease of $0.20, not two.
    assert_eq!(h.ctl.broker().committed(), Money::from_usd(0.20).expect("finite"));
}

#[test]
fn an_interrupted_spot_job_is_requeued_and_completes_on_a_retry() {
    let mut h = harness(on_demand(4, true), config(SimTime::EPOCH, 24, 0));
    h.add_jobs([cpu_job(1, secs(600), 4, SimDuration::from_hours(1))]);
    // Launched (spot) at 600 s, booted and started at 660 s.
    h.run_until(secs(700));
    let (attempt, _, nodes) = h.running[&JobId(1)].clone();
    assert_eq!(attempt, 1);
    assert_eq!(h.provider(Cloud::Aws).instance(nodes[0]).map(|i| i.1), Some(LaunchOption::Spot));
    // The spot instance is reclaimed at 1800 s after a 120 s notice.
    h.provider(Cloud::Aws).interrupt(nodes[0], secs(1680), secs(1800));
    h.run_to_end(hours(48));
    // At 1800 s: interrupted and requeued; the tick at 1800 s (600 + 4 × 300) launches a new
    // spot instance, booted at 1860 s; the retry runs [1860, 5460).
    assert!(h.actions.contains(&(secs(1800), Action::Interrupt { job: JobId(1), attempt: 1 })));
    let starts = h.starts(JobId(1));
    assert_eq!(
        starts.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
        vec![(secs(660), 1), (secs(1860), 2)]
    );
    assert_ne!(starts[0].2, starts[1].2, "the retry runs on a new instance");
    assert_eq!(h.outcomes[&JobId(1)], completed(secs(5460), 2));
    assert_eq!(h.ctl.stats().interruptions, 1);
    assert_eq!(h.ctl.stats().terminated.get("spot_interruption"), Some(&1));
}

#[test]
fn duplicated_provider_reports_are_harmless() {
    // As in the spot test: one instance launched at 600 s, the job started at 660 s.
    let mut h = harness(on_demand(4, true), config(SimTime::EPOCH, 24, 0));
    h.add_jobs([cpu_job(1, secs(600), 4, SimDuration::from_hours(1))]);
    h.run_until(secs(700));
    let node = h.running[&JobId(1)].2[0];
    // Every report so far delivered a second time: no second instance, no second start.
    let again = h.observed.clone();
    for obs in &again {
        h.ctl.observe(secs(700), obs);
    }
    assert_eq!(h.ctl.instances().len(), 1);
    assert_eq!(h.ctl.decide(secs(700)), vec![]);
    // The instance is reclaimed at 1800 s and that report is delivered twice: one
    // termination counted, one interruption.
    h.provider(Cloud::Aws).interrupt(node, secs(1680), secs(1800));
    h.run_until(secs(1800));
    let gone = h
        .observed
        .iter()
        .find(|o| matches!(o.observation, Observation::Terminated { .. }))
        .cloned()
        .expect("the termination");
    h.ctl.observe(secs(1800), &gone);
    assert_eq!(h.ctl.stats().terminated.get("spot_interruption"), Some(&1));
    assert_eq!(h.ctl.stats().interruptions, 1);
    h.run_like_sim(hours(48));
    assert_eq!(h.outcomes[&JobId(1)], completed(secs(5460), 2));
}

#[test]
fn a_job_interrupted_max_attempts_times_fails_interrupted() {
    let mut h = harness(
        on_demand(4, true),
        ControllerConfig { max_attempts: 2, ..config(SimTime::EPOCH, 24, 0) },
    );
    h.add_jobs([cpu_job(1, secs(600), 4, SimDuration::from_hours(1))]);
    h.run_until(secs(700));
    let node = h.running[&JobId(1)].2[0];
    h.provider(Cloud::Aws).interrupt(node, secs(1680), secs(1800));
    // As above, attempt 2 starts at 1860 s on a new instance; it is reclaimed at 2400 s.
    h.run_until(secs(1900));
    let (attempt, _, nodes) = h.running[&JobId(1)].clone();
    assert_eq!(attempt, 2);
    h.provider(Cloud::Aws).interrupt(nodes[0], secs(2280), secs(2400));
    h.run_to_end(hours(48));
    // 2 attempts of 2: interrupted and failed at 2400 s, never started a third time.
    assert_eq!(
        h.outcomes[&JobId(1)],
        Outcome::Failed { at: secs(2400), reason: FailReason::Interrupted, rejected: false }
    );
    assert_eq!(h.starts(JobId(1)).len(), 2);
    assert!(h.actions.contains(&(secs(2400), Action::Interrupt { job: JobId(1), attempt: 2 })));
    // Nothing is launched for it afterwards: 2 launches in all.
    assert_eq!(launches(&h).len(), 2);
}

#[test]
fn a_job_nothing_can_run_is_rejected_never_lost() {
    let mut h = harness(on_demand(8, false), config(SimTime::EPOCH, 24, 0));
    // A GPU job (no offer has a GPU) and a CPU job needing 64 GiB on 4 vCPUs (the largest type
    // has 16 GiB): no offer can ever serve either class. A normal job alongside completes.
    let mut fat = cpu_job(2, secs(600), 4, SimDuration::from_hours(1));
    fat.resources.memory_mib = 65_536;
    fat.queue = engine::QueueId(1);
    h.add_jobs([gpu_job(1, secs(600)), fat, cpu_job(3, secs(600), 2, mins(10))]);
    h.run_to_end(hours(48));
    for id in [1, 2] {
        assert_eq!(
            h.outcomes[&JobId(id)],
            Outcome::Failed { at: secs(600), reason: FailReason::NoOffer, rejected: true },
            "job {id}"
        );
    }
    // Job 3: launched at 600 s, booted at 660 s, done at 1260 s.
    assert_eq!(h.outcomes[&JobId(3)], completed(secs(1260), 1));
    assert_eq!(h.ctl.unfinished(), 0);
}

#[test]
fn a_job_that_never_gets_capacity_fails_never_ran_at_shutdown() {
    // Every offer refuses: the job is routed (offer 0 can serve its class) but never placed.
    let mut h = harness(on_demand(8, false), config(SimTime::EPOCH, 24, 0));
    h.provider(Cloud::Aws).capacity.extend([
        (AWS_EAST_C5, 0),
        (common::AWS_EAST_M5, 0),
        (common::AWS_WEST_C5, 0),
    ]);
    h.provider(Cloud::Gcp).refuse_launch.insert(common::GCP_N2, Refusal::QuotaExceeded);
    h.add_jobs([cpu_job(1, secs(600), 4, SimDuration::from_hours(1))]);
    h.run_to_end(hours(100));
    // The drain window [24 h, 48 h) is the last one; ticks stop at its close; shutdown at
    // 100 h fails what is left.
    assert_eq!(
        h.outcomes[&JobId(1)],
        Outcome::Failed { at: hours(100), reason: FailReason::NeverRan, rejected: false }
    );
    assert!(h.ctl.stats().intent_failures.get("quota_exceeded").is_some_and(|n| *n > 0));
}

#[test]
fn a_lead_longer_than_the_window_still_opens_every_window() {
    // Windows of 1 day from day 3, planned 2 days ahead: window 0 [3 d, 4 d) is planned at
    // 1 d, window 1 at 2 d (before window 0 opens), window 2 at 3 d. Future-dated
    // reservations need such leads (days), so several plans wait at once.
    let day = |d: u64| hours(24 * d);
    let mut h = harness(on_demand(8, false), config(day(3), 24, 48));
    h.ctl.record_history(cpu_job(100, SimTime::EPOCH, 4, SimDuration::from_hours(1)));
    // Queued at 2.5 d, before window 0 opens.
    h.add_jobs([cpu_job(1, hours(60), 4, SimDuration::from_hours(1))]);
    h.run_to_end(day(10));
    // Window 0 opens at 3 d; the tick then (1 d + 576 × 300 s) launches one instance, booted
    // at 3 d + 60 s; the job runs 1 h.
    assert_eq!(h.starts(JobId(1)).first().map(|s| s.0), Some(day(3) + mins(1)));
    assert_eq!(h.outcomes[&JobId(1)], completed(day(3) + mins(61), 1));
}

#[test]
fn a_class_first_seen_between_plan_and_opening_is_routed_not_rejected() {
    // Window 0 [1 h, 25 h) is planned at 0 h, when no job class is known: an empty plan.
    let mut h = harness(on_demand(8, false), config(hours(1), 24, 1));
    // A CPU job arrives at 0:30, before the opening: some offer serves it.
    h.add_jobs([cpu_job(1, secs(1800), 4, SimDuration::from_hours(1))]);
    h.run_to_end(hours(48));
    // At the opening (1 h) the plan has no route for it: the window is re-planned with the
    // class, and the tick at 1 h (0 + 12 × 300 s) launches; booted at 1:01, done at 2:01.
    assert_eq!(h.outcomes[&JobId(1)], completed(hours(1) + mins(61), 1));
    assert_eq!(h.ctl.stats().replans, 1);
}

#[test]
fn a_lease_the_budget_cannot_renew_ends_its_instance() {
    // Budget $0.50. Two 4-vCPU jobs of 2 h at 600 s: the tick at 600 s launches 2 on-demand
    // instances, 2 leases × $0.20 = $0.40 committed, through 4200 s.
    let mut h = harness(
        on_demand(8, false),
        ControllerConfig {
            budget: Some(Money::from_usd(0.50).expect("finite")),
            ..config(SimTime::EPOCH, 24, 0)
        },
    );
    h.add_jobs((1..=2).map(|id| cpu_job(id, secs(600), 4, SimDuration::from_hours(2))));
    h.run_to_end(hours(30));
    // The tick at 3900 s sees both leases end by its horizon (4200 s); a renewal would make
    // $0.60 > $0.50, so both instances are terminated then and their jobs interrupted.
    let t = terminations(&h);
    assert_eq!(t.iter().filter(|(at, _)| *at == secs(3900)).count(), 2, "{t:?}");
    for id in 1..=2 {
        assert!(
            h.actions.contains(&(secs(3900), Action::Interrupt { job: JobId(id), attempt: 1 })),
            "job {id}"
        );
        // Nothing more can be bought: they wait, and fail never_ran at shutdown (30 h).
        assert_eq!(
            h.outcomes[&JobId(id)],
            Outcome::Failed { at: hours(30), reason: FailReason::NeverRan, rejected: false }
        );
    }
    assert_eq!(launches(&h).len(), 1);
    assert_eq!(h.ctl.broker().committed(), Money::from_usd(0.40).expect("finite"));
    assert!(h.ctl.stats().intent_failures.get("over_budget").is_some_and(|n| *n > 0));
}

#[test]
fn leases_are_renewed_for_jobs_running_past_the_last_window() {
    // Windows of 2 h from 0; one 4-vCPU job of 4 h at 600 s; budget $0.80 = 4 leases of
    // $0.20. The trace ends at 600 s; window 1 [2 h, 4 h) is the drain window, so the last
    // tick of the windows is at 4 h (14,400 s), while the job (started at 660 s) would run to
    // 15,060 s, on an instance whose leases are [600, 4200), then renewed at the ticks 3900 s,
    // 7500 s and 11,100 s through 15,000 s.
    let mut h = harness(
        on_demand(4, false),
        ControllerConfig {
            budget: Some(Money::from_usd(0.80).expect("finite")),
            ..config(SimTime::EPOCH, 2, 0)
        },
    );
    h.add_jobs([cpu_job(1, secs(600), 4, SimDuration::from_hours(4))]);
    let end = h.run_like_sim(hours(48));
    // The tick at 14,700 s (horizon 15,000 s) must try a fifth lease: $1.00 > $0.80, so the
    // instance is terminated then, the job interrupted, and nothing more is bought.
    assert_eq!(terminations(&h).first().map(|t| t.0), Some(secs(14_700)));
    assert!(h.actions.contains(&(secs(14_700), Action::Interrupt { job: JobId(1), attempt: 1 })));
    // Bought: 600 s → 14,700 s at $0.20/h = $0.7833 ≤ $0.80.
    let spend = h.spend(end);
    assert!((spend - 0.20 * 14_100.0 / 3600.0).abs() < 1e-9, "{spend}");
    assert!(matches!(h.outcomes[&JobId(1)], Outcome::Failed { reason: FailReason::NeverRan, .. }));
}

#[test]
fn the_surviving_node_of_an_interrupted_multi_node_job_is_released_when_idle() {
    let mut h = harness(
        on_demand(8, true),
        ControllerConfig { max_attempts: 1, ..config(SimTime::EPOCH, 24, 0) },
    );
    // 8 vCPUs on 4-vCPU instances: a 2-node job. Launched at 600 s, started at 660 s.
    h.add_jobs([cpu_job(1, secs(600), 8, SimDuration::from_hours(1))]);
    h.run_until(secs(700));
    let nodes = h.running[&JobId(1)].2.clone();
    assert_eq!(nodes.len(), 2);
    // One node is reclaimed at 1800 s: the job's only attempt fails; the other node is idle
    // from 1800 s and goes at the first tick 600 s later: 2400 s.
    h.provider(Cloud::Aws).interrupt(nodes[0], secs(1680), secs(1800));
    h.run_until(hours(3));
    assert_eq!(
        h.outcomes[&JobId(1)],
        Outcome::Failed { at: secs(1800), reason: FailReason::Interrupted, rejected: false }
    );
    assert_eq!(terminations(&h), vec![(secs(2400), nodes[1])]);
}

#[test]
fn a_multi_node_job_is_not_starved_by_fallback_instances_of_another_type() {
    // Offer 0 (c5) has room for one instance; the fallback is offer 1 (m5), another type.
    let mut h = harness(on_demand(16, false), config(SimTime::EPOCH, 24, 0));
    h.provider(Cloud::Aws).capacity.insert(AWS_EAST_C5, 1);
    h.add_jobs([
        // Tick 600 s: one c5, booted 660 s, A runs [660, 4260).
        cpu_job(1, secs(600), 4, SimDuration::from_hours(1)),
        // Tick 900 s: c5 is full, the fallback m5 is launched, booted 960 s, B runs
        // [960, 4560).
        cpu_job(2, secs(900), 4, SimDuration::from_hours(1)),
        // At 4590 s the shard holds one idle c5 and one idle m5: 8 free vCPUs, so the autoscaler
        // sees no shortfall for C's 8 vCPUs, but C needs 2 nodes of one type, and neither idle
        // instance is let go while C waits. C gets whole nodes of one type: at the tick at
        // 4800 s the best-stocked type has 1 idle node of the 2 C needs, so one more is
        // launched (c5 is full, so an m5), booted at 4860 s; C runs on the two m5s until 5460 s.
        cpu_job(3, secs(4590), 8, mins(10)),
    ]);
    h.run_like_sim(hours(100));
    assert_eq!(h.outcomes[&JobId(1)], completed(secs(4260), 1));
    assert_eq!(h.outcomes[&JobId(2)], completed(secs(4560), 1));
    assert_eq!(h.outcomes[&JobId(3)], completed(secs(5460), 1));
}

/// A reservation not delivered at its start: the failover runs from the first job left
/// waiting to the first replacement instance ready, and the record says when it arrived.
#[test]
fn an_undelivered_reservation_is_replaced_by_overflow_and_the_failover_is_timed() {
    // As in `static_reservation_windows_plan_ahead_open_and_close`: history of 8 vCPUs, so at
    // 8 h one reservation of 2 × offer 0 for [10 h, 20 h), here with on-demand overflow (600 s
    // idle timeout) and 300 s ticks. The provider reports it `delayed` at 10 h and active at
    // 13 h. A job queued at 10:02 waits: that is `needed`. The next tick (10:05) launches one
    // on-demand instance, ready 60 s later at 10:06, when the job starts: a failover of
    // 10:06 − 10:02 = 240 s. At 13 h the reservation arrives.
    let overflow = StaticReservationConfig {
        overflow: Some(on_demand_config(64, false)),
        ..StaticReservationConfig::default()
    };
    let mut h = harness(Box::new(StaticReservation::new(overflow)), config(hours(10), 10, 2));
    h.provider(Cloud::Aws).reservation_delay = Some(SimDuration::from_hours(3));
    h.ctl.record_history(cpu_job(100, hours(0), 4, SimDuration::from_hours(8)));
    h.ctl.record_history(cpu_job(101, hours(0), 4, SimDuration::from_hours(8)));
    h.add_jobs([cpu_job(1, hours(10) + mins(2), 4, SimDuration::from_hours(1))]);
    h.run_until(hours(14));
    let u = h.ctl.undelivered();
    assert_eq!(u.len(), 1, "{u:?}");
    let u = u[0];
    assert_eq!((u.shard, u.instances, u.due), (AWS_EAST_C5, 2, hours(10)));
    assert_eq!(u.needed, Some(hours(10) + mins(2)));
    assert_eq!(u.replaced, Some(hours(10) + mins(6)));
    assert_eq!(u.delivered, Some(hours(13)));
    assert_eq!(u.latency(), Some(mins(4)));
    assert_eq!(h.starts(JobId(1))[0].0, hours(10) + mins(6));
}

// ---- no job is ever lost ------------------------------------------------------------------

#[derive(Clone, Debug)]
struct JobSpec {
    submit_min: u64,
    vcpus: u64,
    runtime_min: u64,
    /// Asks for a GPU: no offer has one.
    gpu: bool,
    /// Asks for 64 GiB: no offer has that much.
    fat: bool,
}

impl JobSpec {
    fn servable(&self) -> bool {
        !self.gpu && !self.fat
    }
}

fn job_spec() -> impl Strategy<Value = JobSpec> {
    (0u64..600, 1u64..10, 1u64..180, prop::bool::weighted(0.1), prop::bool::weighted(0.1)).prop_map(
        |(submit_min, vcpus, runtime_min, gpu, fat)| JobSpec {
            submit_min,
            vcpus,
            runtime_min,
            gpu,
            fat,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_submitted_job_completes_or_fails_with_a_reason(
        jobs in proptest::collection::vec(job_spec(), 1..10),
        static_policy in any::<bool>(),
        spot in any::<bool>(),
        spot_life_min in prop::option::of(20u64..240),
        max_vcpus in 4u64..24,
        max_attempts in 1u32..4,
        refuse_best in any::<bool>(),
        budget_usd in prop::option::of(1u64..20),
        blocks in any::<bool>(),
    ) {
        let policy: Box<dyn Policy> = if static_policy {
            Box::new(StaticReservation::new(StaticReservationConfig {
                product: if blocks {
                    ProductKind::CapacityBlock
                } else {
                    ProductKind::CapacityReservation
                },
                overflow: Some(OnDemandConfig {
                    max_vcpus,
                    spot,
                    idle_timeout_s: 600,
                    ..OnDemandConfig::default()
                }),
                by_queue: false,
            }))
        } else {
            on_demand(max_vcpus, spot)
        };
        let mut h = harness(policy, ControllerConfig {
            max_attempts,
            budget: budget_usd.map(|d| Money(d as i64 * 1_000_000)),
            ..config(hours(2), 4, 1)
        });
        h.ctl.record_history(cpu_job(1000, SimTime::EPOCH, 4, SimDuration::from_hours(1)));
        h.provider(Cloud::Aws).spot_lifetime = spot_life_min.map(mins);
        if refuse_best {
            h.provider(Cloud::Aws).refuse_launch.insert(AWS_EAST_C5, Refusal::InsufficientCapacity);
        }
        let submitted: Vec<JobId> = (0..jobs.len() as u64).map(JobId).collect();
        h.add_jobs(jobs.iter().enumerate().map(|(i, s)| {
            let submit = SimTime::EPOCH + mins(s.submit_min);
            if s.gpu {
                gpu_job(i as u64, submit)
            } else {
                let mut job = cpu_job(i as u64, submit, s.vcpus, mins(s.runtime_min));
                if s.fat {
                    job.resources.memory_mib = 65_536;
                }
                job
            }
        }));
        let end = h.run_like_sim(hours(24 * 14));

        // What was actually bought stays within the budget.
        if let Some(d) = budget_usd {
            let spend = h.spend(end);
            prop_assert!(spend <= d as f64 + 1e-6, "spent ${} of ${}", spend, d);
        }
        for id in &submitted {
            let outcome = h.outcomes.get(id);
            prop_assert!(outcome.is_some(), "{} was lost", id);
            match outcome.expect("checked") {
                Outcome::Completed { attempt, .. } => prop_assert!(*attempt <= max_attempts),
                Outcome::Failed { reason, rejected, .. } => {
                    // Rejections are for jobs no offer serves only, and only those are rejected.
                    let servable = jobs[id.index()].servable();
                    prop_assert_eq!(*rejected, !servable, "{} {:?}", id, reason);
                    if !servable {
                        prop_assert_eq!(*reason, FailReason::NoOffer);
                    } else {
                        prop_assert!(matches!(reason, FailReason::Interrupted | FailReason::NeverRan));
                    }
                }
            }
        }
        prop_assert_eq!(h.outcomes.len(), submitted.len());
        prop_assert_eq!(h.ctl.unfinished(), 0);
        prop_assert!(h.running.is_empty());
        // Every attempt but the last of a job was interrupted.
        for id in &submitted {
            let starts = h.starts(*id).len() as u32;
            prop_assert!(starts <= max_attempts);
        }
        if let Some(d) = budget_usd {
            prop_assert!(h.ctl.broker().committed() <= Money(d as i64 * 1_000_000));
        }
        // After shutdown, no instance is left running at any provider.
        for p in &h.providers {
            prop_assert!(p.alive().is_empty(), "{:?} still alive at {}", p.alive(), p.cloud);
        }
        // Request ids: a launch or reservation is sent once; an id seen twice is the same
        // request again (a repeated termination of one instance), never a second purchase.
        let mut seen: BTreeMap<RequestId, CloudAction> = BTreeMap::new();
        for (_, a) in h.cloud_actions() {
            match seen.get(&a.request()) {
                None => {
                    seen.insert(a.request(), a);
                }
                Some(first) => {
                    prop_assert!(matches!(a, CloudAction::Terminate { .. }), "{:?} resent", a);
                    prop_assert_eq!(first, &a);
                }
            }
        }
        let launches = seen.values().filter(|a| matches!(a, CloudAction::Launch(_))).count();
        let executed: usize = h.providers.iter().map(|p| p.launches()).sum();
        prop_assert_eq!(launches, executed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Liveness: with on-demand capacity that is never refused, never interrupted and not
    /// budgeted, every job some offer can run completes (on its first attempt without
    /// reservations).
    #[test]
    fn with_ample_on_demand_capacity_every_servable_job_completes(
        jobs in proptest::collection::vec(job_spec(), 1..12),
        max_vcpus in 8u64..32,
        static_policy in any::<bool>(),
    ) {
        let policy: Box<dyn Policy> = if static_policy {
            Box::new(StaticReservation::new(StaticReservationConfig {
                product: ProductKind::CapacityReservation,
                overflow: Some(OnDemandConfig {
                    max_vcpus,
                    idle_timeout_s: 600,
                    ..OnDemandConfig::default()
                }),
                by_queue: false,
            }))
        } else {
            on_demand(max_vcpus, false)
        };
        // Enough drain windows that no job is cut off by the last close.
        // Reserved instances leave at every close (each 4 h), taking down what runs on them,
        // so give jobs attempts enough.
        let mut h = harness(policy, ControllerConfig {
            drain_windows: 10,
            routing: Default::default(),
            max_attempts: 10,
            ..config(hours(2), 4, 1)
        });
        h.ctl.record_history(cpu_job(1000, SimTime::EPOCH, 4, SimDuration::from_hours(1)));
        h.add_jobs(jobs.iter().enumerate().map(|(i, s)| {
            let submit = SimTime::EPOCH + mins(s.submit_min);
            if s.gpu {
                gpu_job(i as u64, submit)
            } else {
                // Whole 4-vCPU instances within max_vcpus, so that the job fits the cap.
                let vcpus = s.vcpus.min(max_vcpus / 4 * 4);
                cpu_job(i as u64, submit, vcpus, mins(s.runtime_min))
            }
        }));
        // The last job arrives before 10 h and runs under 3 h; 2 days is plenty.
        h.run_like_sim(hours(48));
        for (i, s) in jobs.iter().enumerate() {
            let outcome = h.outcomes.get(&JobId(i as u64));
            if s.gpu {
                let rejected = matches!(outcome, Some(Outcome::Failed { reason: FailReason::NoOffer, .. }));
                prop_assert!(rejected, "job {}: {:?}", i, outcome);
            } else {
                let most = if static_policy { 10 } else { 1 };
                prop_assert!(
                    matches!(outcome, Some(Outcome::Completed { attempt, .. }) if *attempt <= most),
                    "job {} ({:?}): {:?}", i, s, outcome
                );
            }
        }

    }
}
