//! The cloud platform end to end on the bundled catalog: the invariants a planner relies on.
//!
//! - every submitted job ends in exactly one named state, and a job that did not complete
//!   says why; none is lost;
//! - a completed job ran for exactly its runtime, after its submission;
//! - the bill is shared out exactly: the jobs' parts plus the idle part equal every charge
//!   the providers booked, to the micro-dollar.

use std::collections::BTreeMap;
use std::sync::Arc;

use engine::cloud::OfferIx;
use engine::ids::InstanceId;

use engine::controller::ControllerConfig;
use engine::policy::{
    OnDemand, OnDemandConfig, Policy, StaticReservation, StaticReservationConfig,
};
use engine::rebalancer::{BurstConfig, RebalanceConfig, RunningMove};
use engine::{Resources, SimDuration, SimTime};
use proptest::prelude::*;
use sim::cloud::SimCloudConfig;
use sim::platform::EndState;
use sim::platform::cloud::{CloudPlatform, run, split_history};
use sim::trace::{RawJob, Trace, TraceBuilder};

fn bundled() -> Arc<engine::cloud::Catalog> {
    let path = tests::workspace_root().join("scenarios/catalogs/bundled.toml");
    Arc::new(sim::catalog::load(&path).expect("the bundled catalog loads"))
}

/// One random job: submit second, runtime seconds, vCPUs, GPUs (0 for CPU jobs) and GPU kind.
type JobSpec = (u64, u64, u64, u64, Option<&'static str>);

fn trace(jobs: &[JobSpec]) -> Trace {
    let mut specs = jobs.to_vec();
    specs.sort_by_key(|j| j.0);
    let mut builder = TraceBuilder::new("proptest", "test");
    for (i, &(submit, runtime, vcpus, gpus, kind)) in specs.iter().enumerate() {
        builder.push(RawJob {
            name: i.to_string(),
            submit: SimTime::from_secs(1_000_000 + submit),
            runtime: SimDuration::from_secs(runtime),
            resources: Resources {
                cpu_milli: vcpus * 1000,
                memory_mib: vcpus * 2048,
                gpu_milli: gpus * 1000,
                gpu_kind: kind.map(|k| engine::GpuKind(k.into())),
            },
            ..RawJob::default()
        });
    }
    builder.finish()
}

fn job() -> impl Strategy<Value = JobSpec> {
    let kind = prop_oneof![Just(None), Just(Some("T4")), Just(Some("V100")), Just(Some("H100"))];
    (0u64..200_000, 1u64..20_000, 1u64..128, 0u64..3, kind)
        .prop_map(|(s, r, v, g, k)| (s, r, if g > 0 { v.min(8) } else { v }, g, k))
}

/// The property tests' platform: every bundled offer, daily windows planned 2 h ahead from
/// t = 1,000,000 s, 5-minute ticks, EASY backfill.
fn daily_platform(
    catalog: Arc<engine::cloud::Catalog>,
    sim: SimCloudConfig,
    seed: u64,
    max_attempts: u32,
) -> CloudPlatform {
    CloudPlatform {
        offers: catalog.offer_ids().collect(),
        catalog,
        sim,
        controller: ControllerConfig {
            first_window: SimTime::from_secs(1_000_000),
            window: SimDuration::from_hours(24),
            lead: SimDuration::from_hours(2),
            tick: SimDuration::from_secs(300),
            scheduler: engine::shard::Policy::EasyBackfill,
            max_attempts,
            budget: None,
            drain_windows: 2,
            routing: Default::default(),
            rebalance: Default::default(),
        },
        seed,
    }
}

fn policy(which: u8) -> Box<dyn Policy> {
    match which {
        0 => Box::new(OnDemand::new(OnDemandConfig::default())),
        1 => Box::new(OnDemand::new(OnDemandConfig { spot: true, ..OnDemandConfig::default() })),
        2 => Box::new(OnDemand::new(OnDemandConfig {
            single_cloud: true,
            ..OnDemandConfig::default()
        })),
        _ => Box::new(StaticReservation::new(StaticReservationConfig {
            overflow: Some(OnDemandConfig::default()),
            ..StaticReservationConfig::default()
        })),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_job_is_lost_and_the_bill_adds_up(
        jobs in prop::collection::vec(job(), 1..30),
        which in 0u8..4,
        seed in 0u64..1000,
        supply in 1u32..16,
    ) {
        let full = trace(&jobs);
        // The first simulated day is history for the static baseline.
        let (history, replay) = split_history(&full, SimTime::from_secs(1_000_000 + 86_400));
        let catalog = bundled();
        let mut sim = SimCloudConfig::default();
        sim.supply.default_instances = supply;
        let platform = daily_platform(catalog, sim, seed, 2);
        let out = run(&replay, history, &platform, policy(which), &mut |_| {}).expect("runs");
        prop_assert_eq!(out.run.jobs.len(), replay.jobs.len());
        for (job, o) in replay.jobs.iter().zip(&out.run.jobs) {
            match o.state {
                EndState::Completed => {
                    let start = o.start.expect("a completed job started");
                    prop_assert!(start >= job.submit);
                    prop_assert_eq!(o.end, start + job.runtime);
                    prop_assert_eq!(o.reason, None);
                }
                EndState::Failed | EndState::Rejected => {
                    prop_assert!(o.reason.is_some(), "job {} left without a reason", job.id.0);
                }
                EndState::Cancelled => prop_assert!(false, "nothing cancels here"),
            }
            // A job asking for an H100 has no offer in the bundled catalog.
            if job.resources.gpu_milli > 0
                && job.resources.gpu_kind.as_ref().is_some_and(|k| k.0 == "H100")
            {
                prop_assert_eq!(o.state, EndState::Rejected);
                prop_assert_eq!(o.reason, Some("no_offer"));
            }
        }
        let total: i64 = out.charges.iter().map(|c| c.amount.0).sum();
        let jobs_part: i64 = out.jobs.iter().map(|j| j.cost.0).sum();
        prop_assert_eq!(jobs_part + out.attribution.idle.0, total);
        prop_assert!(out.jobs.iter().all(|j| j.cost.0 >= 0));
    }
}

/// The on-demand baseline never leaves a job that an offer can run waiting forever when
/// supply is ample: everything but the no-offer jobs completes.
#[test]
fn ample_on_demand_supply_completes_every_runnable_job() {
    // Every third job is a CPU job of up to 96 vCPUs; the others ask for one T4 or V100 with
    // at most 4 vCPUs and 8 GiB, which g4dn.xlarge / p3.2xlarge-class types hold.
    let jobs: Vec<JobSpec> = (0..40u64)
        .map(|i| {
            let gpus = i % 3;
            let vcpus = if gpus > 0 { 1 + i % 4 } else { 1 + (i * 7) % 96 };
            (
                i * 600,
                1800 + i * 37,
                vcpus,
                gpus.min(1),
                [None, Some("T4"), Some("V100")][(i % 3) as usize],
            )
        })
        .collect();
    let replay = trace(&jobs);
    let catalog = bundled();
    let platform = CloudPlatform {
        offers: catalog.offer_ids().collect(),
        catalog,
        sim: SimCloudConfig::default(),
        controller: ControllerConfig {
            first_window: SimTime::from_secs(1_000_000),
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
    };
    let out = run(&replay, vec![], &platform, policy(0), &mut |_| {}).expect("runs");
    let completed = out.run.jobs.iter().filter(|o| o.state == EndState::Completed).count();
    assert_eq!(completed, replay.jobs.len(), "{:?}", out.run.jobs);
}

/// A region where some policy buys: the faults land on capacity the runs use.
const FAULT_REGIONS: [&str; 5] = ["us-east-1", "us-west-2", "eu-west-1", "eastus", "us-central1"];

/// One random fault: kind (0 outage, 1 stock-out, 2 spot storm), region, start and length
/// in hours.
type FaultSpec = (u8, usize, u32, u32);

fn faults(specs: &[FaultSpec], failure_rate: f64, delayed: f64) -> SimCloudConfig {
    let mut sim =
        SimCloudConfig { failure_rate_per_hour: failure_rate, ..SimCloudConfig::default() };
    sim.delayed_probability = delayed;
    sim.delay_s = 6 * 3600;
    for &(kind, region, start, hours) in specs {
        let region = FAULT_REGIONS[region % FAULT_REGIONS.len()].to_owned();
        let (start_h, hours) = (f64::from(start), f64::from(hours.max(1)));
        match kind {
            0 => sim.outages.push(sim::cloud::Outage { region, start_h, hours }),
            1 => sim.stockouts.push(sim::cloud::Stockout {
                region,
                instance_type: None,
                start_h,
                hours,
            }),
            _ => {
                sim.spot_storms.push(sim::cloud::SpotStorm { region, start_h, hours, reclaim: 1.0 })
            }
        }
    }
    sim
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Under any schedule of outages, stock-outs, spot storms, instance failures (noticed at
    /// once or by missed heartbeats) and delayed reservations, with or without the rebalancer
    /// moving jobs: every job ends in a named state (none lost), a completed job ran its
    /// runtime once it last started, and no instance is billed after it was released (every
    /// usage charge is booked by its termination, and an instance's usage never exceeds its
    /// billed lifetime at the on-demand price, which caps spot).
    #[test]
    fn no_job_is_lost_and_no_instance_is_billed_after_release_under_random_faults(
        jobs in prop::collection::vec(job(), 1..30),
        which in 0u8..4,
        seed in 0u64..1000,
        schedule in prop::collection::vec((0u8..3, 0usize..5, 0u32..72, 1u32..24), 0..5),
        failure_rate in prop_oneof![Just(0.0), 0.0f64..0.2],
        delayed in prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0],
        rebalance in 0u8..3,
    ) {
        check_random_faults(&jobs, which, seed, &schedule, failure_rate, delayed, rebalance)?;
    }
}

/// The body of the random-faults property (a function, so that a case it found can be kept
/// as a plain test).
#[allow(clippy::too_many_arguments)]
fn check_random_faults(
    jobs: &[JobSpec],
    which: u8,
    seed: u64,
    schedule: &[FaultSpec],
    failure_rate: f64,
    delayed: f64,
    rebalance: u8,
) -> Result<(), TestCaseError> {
    let full = trace(jobs);
    let (history, replay) = split_history(&full, SimTime::from_secs(1_000_000 + 86_400));
    let catalog = bundled();
    let mut sim = faults(schedule, failure_rate, delayed);
    sim.supply.default_instances = 8;
    // Even seeds detect failures by missed heartbeats; odd ones at once.
    if seed.is_multiple_of(2) {
        sim.health = Some(sim::cloud::HealthChecks { heartbeat_s: 30, missed: 3 });
    }
    let mut platform = daily_platform(Arc::clone(&catalog), sim, seed, 3);
    // 0: off; 1: checkpointing, 2: restarting, both eager (one review to act) and bursting.
    if rebalance > 0 {
        platform.controller.rebalance = RebalanceConfig {
            enabled: true,
            sustain: 1,
            hot_wait_s: 300,
            min_remaining_s: 600,
            running: if rebalance == 1 { RunningMove::Checkpoint } else { RunningMove::Restart },
            burst: Some(BurstConfig { spot: rebalance == 2, max_vcpus: 64 }),
            ..RebalanceConfig::default()
        };
    }
    let out = run(&replay, history, &platform, policy(which), &mut |_| {}).expect("runs");
    prop_assert_eq!(out.run.jobs.len(), replay.jobs.len());
    for ((job, o), cj) in replay.jobs.iter().zip(&out.run.jobs).zip(&out.jobs) {
        match o.state {
            EndState::Completed => {
                let start = o.start.expect("a completed job started");
                prop_assert!(start >= job.submit);
                if cj.migrations == 0 {
                    prop_assert_eq!(o.end, start + job.runtime);
                } else {
                    // Resumed from a checkpoint: what was left, after the restore.
                    prop_assert!(
                        o.end > start && o.end <= start + job.runtime + SimDuration::from_hours(2)
                    );
                }
            }
            EndState::Failed | EndState::Rejected => {
                prop_assert!(o.reason.is_some(), "job {} left without a reason", job.id.0);
            }
            EndState::Cancelled => prop_assert!(false, "nothing cancels here"),
        }
    }
    let total: i64 = out.charges.iter().map(|c| c.amount.0).sum();
    let jobs_part: i64 = out.jobs.iter().map(|j| j.cost.0).sum();
    prop_assert_eq!(jobs_part + out.attribution.idle.0, total);
    // Every reservation not delivered is in order: it hurt no earlier than it was due, was
    // replaced no earlier than it hurt, and everything about it happened within the run.
    for u in &out.undelivered {
        prop_assert!(u.needed.is_none_or(|n| n >= u.due), "{u:?}");
        prop_assert!(u.replaced.is_none_or(|r| u.needed.is_some_and(|n| r >= n)), "{u:?}");
        let times = [u.needed, u.replaced, u.delivered, u.ended];
        prop_assert!(times.iter().flatten().all(|t| *t >= u.due && *t <= out.end), "{u:?}");
    }
    let mut usage: BTreeMap<InstanceId, (i64, u64, Option<OfferIx>)> = BTreeMap::new();
    for c in &out.charges {
        let (sim::cloud::ChargeKind::Usage { .. }, Some(id)) = (c.kind, c.instance) else {
            continue;
        };
        let life = out.instances.get(&id).expect("every billed instance was launched");
        prop_assert!(c.at <= life.ended, "{id} billed at {} after its end {}", c.at, life.ended);
        let e = usage.entry(id).or_default();
        e.0 += c.amount.0;
        e.1 += 1;
        e.2 = c.offer;
    }
    for (id, (billed, charges, offer)) in usage {
        let life = &out.instances[&id];
        let offer = catalog.offer(offer.expect("usage names its offer"));
        let terms = catalog.provider(offer.cloud).expect("terms").billing;
        let lived = sim::cloud::ledger::billed_micros(
            life.ended.saturating_since(life.launched).as_micros(),
            terms,
        );
        // µ$ = $/h × µs / 3600; each charge rounds to the nearest micro-dollar.
        let most = offer.on_demand_usd_per_hour * lived as f64 / 3600.0 + charges as f64;
        prop_assert!(billed as f64 <= most, "{id}: billed {billed} µ$, at most {most}");
    }
    Ok(())
}

/// A case the property found: restarting migrations with spot bursts under stock-outs and a
/// storm (it once never ended).
#[test]
fn restarting_rebalancer_under_stockouts_and_a_storm_ends() {
    let jobs: Vec<JobSpec> = vec![
        (60309, 5136, 8, 1, None),
        (101685, 14872, 8, 2, Some("T4")),
        (125163, 7791, 8, 1, Some("H100")),
        (132809, 7339, 8, 1, Some("V100")),
        (9018, 5195, 8, 2, Some("V100")),
        (58901, 14645, 120, 0, Some("T4")),
        (56631, 6643, 8, 2, None),
        (46705, 1296, 8, 1, Some("V100")),
        (140513, 6273, 123, 0, Some("V100")),
        (145839, 12618, 20, 0, Some("T4")),
        (26620, 4998, 58, 0, Some("T4")),
        (162583, 17554, 32, 0, None),
        (35406, 10162, 8, 2, Some("V100")),
        (70065, 18258, 100, 0, Some("H100")),
        (113216, 11656, 2, 2, Some("H100")),
        (163735, 12425, 116, 0, Some("V100")),
        (199227, 1891, 6, 0, Some("V100")),
        (116395, 13355, 8, 2, Some("V100")),
        (110528, 15922, 8, 1, Some("T4")),
        (108863, 15338, 8, 1, Some("V100")),
        (118666, 4592, 6, 0, Some("H100")),
        (98461, 5794, 110, 0, Some("H100")),
        (24405, 7985, 93, 0, Some("V100")),
        (47420, 382, 8, 2, Some("T4")),
        (131143, 3592, 8, 1, Some("T4")),
    ];
    let schedule = [(2, 3, 2, 12), (2, 1, 61, 18), (1, 3, 35, 13)];
    check_random_faults(&jobs, 2, 486, &schedule, 0.12860438809580582, 0.0, 2).unwrap();
}

/// SWF's preceding job (field 17) end to end: imported as a dependency and honoured by the
/// cloud replay. Job 2 names job 1 as its predecessor; submitted 60 s after it, it starts only
/// once job 1 has ended (job 1 runs 3,600 s), waits measured from then. Job 3 has none and
/// starts at once. (The shared SWF traces set field 17 in none of their records.)
#[test]
fn an_swf_preceding_job_runs_before_its_successor_in_a_cloud_replay() {
    let swf = "\
; UnixStartTime: 1000000
    1   0  5  3600  4  -1  -1  4  3600  -1  1  1  1  1  1  -1  -1  -1
    2  60  5   600  4  -1  -1  4   600  -1  1  1  1  1  1  -1   1  -1
    3  70  5   600  4  -1  -1  4   600  -1  1  1  1  1  1  -1  -1  -1
";
    let dir = std::env::temp_dir().join(format!("shardcast-swf-dep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dep.swf");
    std::fs::write(&path, swf).unwrap();
    let trace = sim::trace::load(&path, Some("swf"), &Default::default()).expect("imports");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(trace.jobs[1].dependencies, [trace.jobs[0].id]);
    let sim = SimCloudConfig { failure_rate_per_hour: 0.0, ..SimCloudConfig::default() };
    let platform = daily_platform(bundled(), sim, 1, 3);
    let out = run(&trace, vec![], &platform, policy(0), &mut |_| {}).expect("runs");
    let (parent, child, free) = (&out.run.jobs[0], &out.run.jobs[1], &out.run.jobs[2]);
    assert!([parent, child, free].iter().all(|j| j.state == EndState::Completed));
    let parent_end = parent.end;
    assert!(child.start.expect("started") >= parent_end, "{child:?} before {parent_end:?}");
    assert_eq!(child.ready, parent_end, "ready when its parent ended");
    assert!(free.start.expect("started") < parent_end);
    assert_eq!(out.controller.edges.values().sum::<u64>(), 1);
}
