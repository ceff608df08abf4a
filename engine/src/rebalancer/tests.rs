//! The rebalancer's rules, each on a hand-built load of the two-provider test catalog
//! (offers 0: AWS us-east-1, 1: AWS us-west-2, 2: GCP us-central1; 4 vCPU, 16 GiB each).

use super::*;
use crate::cloud::Cloud;
use crate::cloud::test_catalog::{region, two_clouds};
use crate::fabric::FabricConfig;
use crate::ids::ReservationId;

const T0: SimTime = SimTime::from_secs(1_000_000);

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn instance() -> Capacity {
    Capacity::new(4000, 16_384, 0)
}

/// A shard of `offer` with one ready node per entry of `free_cpu` (its free vCPUs, milli),
/// reserved unless `elastic`, idle since `T0` when wholly free.
fn shard(catalog: &Catalog, offer: u32, free_cpu: &[u64], elastic: bool) -> ShardLoad {
    let region = catalog.offer_key(OfferIx(offer)).0;
    let ids: Vec<InstanceId> =
        (0..free_cpu.len()).map(|k| InstanceId(u64::from(offer) * 100 + k as u64)).collect();
    let option =
        if elastic { LaunchOption::OnDemand } else { LaunchOption::Reserved(ReservationId(9)) };
    ShardLoad {
        offer: OfferIx(offer),
        region,
        instance: instance(),
        total: Capacity::new(4000 * free_cpu.len() as u64, 16_384 * free_cpu.len() as u64, 0),
        free_nodes: ids
            .iter()
            .zip(free_cpu)
            .map(|(id, cpu)| (*id, Capacity::new(*cpu, cpu * 4, 0)))
            .collect(),
        booting: 0,
        waiting: vec![],
        running: vec![],
        instances: ids
            .iter()
            .zip(free_cpu)
            .map(|(id, cpu)| InstanceView {
                id: *id,
                offer: OfferIx(offer),
                option,
                booting: false,
                idle_since: (*cpu == 4000).then_some(T0),
            })
            .collect(),
    }
}

fn waiting(job: u64, queue: u32, cpu: u64, since: SimTime) -> Waiting {
    Waiting {
        job: JobId(job),
        queue: QueueId(queue),
        class: JobClass::Cpu,
        demand: Capacity::new(cpu, cpu * 2, 0),
        since,
        moves: 0,
    }
}

fn moves_of(records: &[MoveRecord]) -> Vec<Move> {
    records.iter().map(|r| r.action.clone()).collect()
}

fn on() -> RebalanceConfig {
    RebalanceConfig { enabled: true, ..RebalanceConfig::default() }
}

#[test]
fn a_shard_turns_hot_only_after_sustained_reviews_and_cools_at_half_the_thresholds() {
    let catalog = two_clouds();
    let fabric = Fabric::new(FabricConfig::default()).unwrap();
    let ctx = Context { catalog: &catalog, fabric: &fabric };
    let mut r = Rebalancer::new(RebalanceConfig { remap: false, ..on() });
    // Shard 0 is full with a half-vCPU job waiting; shard 1 is idle. Hot needs the oldest
    // wait at 900 s (or a backlog of half its one instance; 0.125 here is below it, and below
    // the exit's quarter too) for 2 reviews.
    let load = |wait_s: u64| {
        let mut hot = shard(&catalog, 0, &[0], false);
        hot.waiting = vec![waiting(1, 0, 500, SimTime(T0.0 - secs(wait_s).0))];
        vec![hot, shard(&catalog, 1, &[4000], false)]
    };
    // First review: over the threshold once, nothing moves yet.
    assert!(r.review(T0, &ctx, &load(1000)).is_empty());
    // Second: hot and spare for 2 reviews, the job moves.
    let second = r.review(T0, &ctx, &load(1000));
    assert_eq!(
        moves_of(&second),
        [Move::Waiting { job: JobId(1), from: OfferIx(0), to: OfferIx(1) }]
    );
    assert_eq!(second[0].reason, Reason::Backlog);
    // 600 s is under the entry threshold but over the exit one (450 s): still hot, still moved.
    assert_eq!(r.review(T0, &ctx, &load(600)).len(), 1);
    // 400 s is below the exit threshold: once, it is still hot (the job moves); the second
    // time it cools. Then 600 s no longer makes it hot: entry needs 900 s again.
    assert_eq!(r.review(T0, &ctx, &load(400)).len(), 1, "hot until the exit holds twice");
    assert!(r.review(T0, &ctx, &load(400)).is_empty(), "cooled on the second");
    assert!(r.review(T0, &ctx, &load(600)).is_empty());
    assert!(r.review(T0, &ctx, &load(600)).is_empty());
}

#[test]
fn waiting_jobs_go_first_fit_to_the_nearest_spare_shard() {
    let catalog = two_clouds();
    let fabric = Fabric::new(FabricConfig::default()).unwrap();
    let ctx = Context { catalog: &catalog, fabric: &fabric };
    let mut r = Rebalancer::new(RebalanceConfig { remap: false, sustain: 1, ..on() });
    let old = SimTime(T0.0 - secs(3600).0);
    // Hot shard 0 (us-east-1) queues a 4-, a 2- and a 1-vCPU job. Shard 1 (us-west-2, another
    // region of AWS) has one node with 2 vCPUs free (half busy: spare at 0.5); shard 2 (GCP,
    // cheaper but across providers) an idle node.
    let mut hot = shard(&catalog, 0, &[0], false);
    hot.waiting =
        vec![waiting(1, 0, 4000, old), waiting(2, 0, 2000, old), waiting(3, 0, 1000, old)];
    let loads = [hot, shard(&catalog, 1, &[2000], false), shard(&catalog, 2, &[4000], false)];
    // The 4-vCPU job does not fit shard 1's 2 free vCPUs: GCP. The 2-vCPU job fits shard 1,
    // the nearer. The 1-vCPU job finds shard 1 full now and GCP's node taken: it stays.
    assert_eq!(
        moves_of(&r.review(T0, &ctx, &loads)),
        [
            Move::Waiting { job: JobId(1), from: OfferIx(0), to: OfferIx(2) },
            Move::Waiting { job: JobId(2), from: OfferIx(0), to: OfferIx(1) },
        ]
    );
    assert_eq!(Fabric::link(&catalog, loads[0].region, loads[1].region, false), Link::InterRegion);
}

#[test]
fn a_remapped_queue_goes_back_when_its_new_shard_turns_hot_and_then_cools_down() {
    let catalog = two_clouds();
    let fabric = Fabric::new(FabricConfig::default()).unwrap();
    let ctx = Context { catalog: &catalog, fabric: &fabric };
    let mut r = Rebalancer::new(RebalanceConfig { sustain: 1, ..on() });
    let old = SimTime(T0.0 - secs(3600).0);
    // Queue 7's 1-vCPU job waits an hour on shard 0; shard 1 has two idle nodes. The job
    // moves there, leaving 7 vCPUs = 1.75 instances free, at least half of its 2: remap.
    let mut hot = shard(&catalog, 0, &[0], false);
    hot.waiting = vec![waiting(1, 7, 1000, old)];
    let first = r.review(T0, &ctx, &[hot.clone(), shard(&catalog, 1, &[4000, 4000], false)]);
    assert_eq!(
        moves_of(&first)[1],
        Move::Remap { queue: QueueId(7), class: JobClass::Cpu, from: OfferIx(0), to: OfferIx(1) }
    );
    assert_eq!(r.remapped(QueueId(7), &JobClass::Cpu), Some(OfferIx(1)));
    // Shard 1 turns hot: the remap ends at once (reason target_hot).
    let t1 = T0 + secs(300);
    let mut target = shard(&catalog, 1, &[0, 0], false);
    target.waiting = vec![waiting(2, 7, 1000, old)];
    let back = r.review(t1, &ctx, &[shard(&catalog, 0, &[4000], false), target]);
    assert_eq!(back[0].reason, Reason::TargetHot);
    assert_eq!(
        back[0].action,
        Move::Revert { queue: QueueId(7), class: JobClass::Cpu, from: OfferIx(1), to: OfferIx(0) }
    );
    assert_eq!(r.remapped(QueueId(7), &JobClass::Cpu), None);
    // Within the hour's cool-down, shard 0 hot again and shard 2 spare: queue 7's job moves,
    // the queue is not remapped.
    let t2 = t1 + secs(300);
    let mut again = hot.clone();
    again.waiting = vec![waiting(3, 7, 1000, old)];
    let loads =
        [again, shard(&catalog, 1, &[0, 0], false), shard(&catalog, 2, &[4000, 4000], false)];
    assert_eq!(
        moves_of(&r.review(t2, &ctx, &loads)),
        [Move::Waiting { job: JobId(3), from: OfferIx(0), to: OfferIx(2) }]
    );
    // A new plan ends every remap, logged.
    let mut r = Rebalancer::new(RebalanceConfig { sustain: 1, ..on() });
    r.review(T0, &ctx, &[hot, shard(&catalog, 1, &[4000, 4000], false)]);
    let ended = r.plan_changed(T0);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].reason, Reason::NewPlan);
}

fn running_alone(job: u64, computed_s: u64, remaining_s: u64, region: RegionIx) -> Running {
    Running {
        job: JobId(job),
        class: JobClass::Cpu,
        demand: Capacity::new(4000, 8192, 0),
        computed: secs(computed_s),
        remaining: secs(remaining_s),
        region,
        nodes: vec![InstanceId(5)],
        alone_on_elastic: true,
        moves: 0,
    }
}

#[test]
fn a_job_alone_on_elastic_capacity_moves_onto_idle_reserved_capacity_by_checkpoint_or_restart() {
    let catalog = two_clouds();
    let fabric = Fabric::new(FabricConfig::default()).unwrap();
    let ctx = Context { catalog: &catalog, fabric: &fabric };
    let east = region(&catalog, Cloud::Aws, "us-east-1");
    // A 4-vCPU, 8 GiB job has run an hour on an on-demand node of shard 0, 3 h left; shard 1
    // (us-west-2) has an idle reserved node.
    let mut busy = shard(&catalog, 0, &[0], true);
    busy.running = vec![running_alone(1, 3600, 3 * 3600, east)];
    let loads = [busy.clone(), shard(&catalog, 1, &[4000], false)];
    let mut r = Rebalancer::new(RebalanceConfig { sustain: 1, ..on() });
    let records = r.review(T0, &ctx, &loads);
    // The checkpoint is its memory, 8 GiB = 8,589,934,592 bytes, over the inter-region link:
    // Virginia to Oregon is 3,634 km, RTT 1 + 2 × 3,634 × 1.5 / 200 = 55.5 ms; 3 RTTs of
    // set-up plus 8 × 8,589,934,592 / 5e9 = 13.744 s makes 13.91 s; with the 120 s of writing
    // and reading it, the restore takes 133.91 s.
    let Move::Running { job, from, to, resume } = records[0].action.clone() else {
        panic!("expected a running move, got {records:?}");
    };
    assert_eq!((job, from, to), (JobId(1), OfferIx(0), OfferIx(1)));
    assert_eq!(records[0].reason, Reason::Consolidate);
    let Resume::Checkpoint { restore, bytes, link } = resume else { panic!("{resume:?}") };
    assert_eq!((bytes, link), (8_589_934_592, Link::InterRegion));
    assert!((restore.as_secs_f64() - 133.91).abs() < 0.01, "{restore:?}");
    // Its on-demand node is not idle yet (the move frees it): nothing is released this review.
    assert_eq!(records.len(), 1);
    // Restarting throws its hour away: more than max_restart_loss_s (600 s), so it stays ...
    let restart = RebalanceConfig { sustain: 1, running: RunningMove::Restart, ..on() };
    assert!(Rebalancer::new(restart.clone()).review(T0, &ctx, &loads).is_empty());
    // ... unless it has computed 300 s only.
    let mut young = busy.clone();
    young.running = vec![running_alone(1, 300, 3 * 3600, east)];
    let records = Rebalancer::new(restart).review(T0, &ctx, &[young, loads[1].clone()]);
    assert!(
        matches!(records[0].action, Move::Running { resume: Resume::Restart { lost }, .. } if lost == secs(300))
    );
    // With 20 minutes left (under min_remaining_s, 1800 s) it is not worth moving.
    let mut ending = busy;
    ending.running = vec![running_alone(1, 3600, 1200, east)];
    assert!(r.review(T0, &ctx, &[ending, loads[1].clone()]).is_empty());
}

#[test]
fn a_hot_shard_with_no_spare_shard_bursts_up_to_max_vcpus_and_idle_elastic_capacity_goes() {
    let catalog = two_clouds();
    let fabric = Fabric::new(FabricConfig::default()).unwrap();
    let ctx = Context { catalog: &catalog, fabric: &fabric };
    let burst = BurstConfig { spot: false, max_vcpus: 8 };
    let mut r = Rebalancer::new(RebalanceConfig { sustain: 1, burst: Some(burst), ..on() });
    let old = SimTime(T0.0 - secs(3600).0);
    // Three 4-vCPU jobs wait on a full shard: 3 instances needed, but 8 vCPUs of elastic
    // capacity is 2 instances.
    let mut hot = shard(&catalog, 0, &[0], false);
    hot.waiting = (1..=3).map(|j| waiting(j, 0, 4000, old)).collect();
    assert_eq!(
        moves_of(&r.review(T0, &ctx, std::slice::from_ref(&hot))),
        [Move::Burst { shard: OfferIx(0), option: LaunchOption::OnDemand, count: 2 }]
    );
    // With those 2 booting, 1 more would be needed but the cap is reached.
    hot.booting = 2;
    assert!(r.review(T0, &ctx, std::slice::from_ref(&hot)).is_empty());
    // An on-demand node idle since T0 goes after release_idle_s (600 s) where nothing waits;
    // a reserved one never does.
    let idle = [shard(&catalog, 1, &[4000], true), shard(&catalog, 2, &[4000], false)];
    assert!(r.review(T0 + secs(599), &ctx, &idle).is_empty());
    let records = r.review(T0 + secs(600), &ctx, &idle);
    assert_eq!(
        moves_of(&records),
        [Move::Release { shard: OfferIx(1), instance: InstanceId(100) }]
    );
    assert_eq!(records[0].reason, Reason::Idle);
}

#[test]
fn bad_knobs_name_their_field() {
    let bad = RebalanceConfig { spare_utilisation: 1.5, ..on() };
    assert!(bad.validate().unwrap_err().contains("spare_utilisation"));
    assert!(RebalanceConfig { sustain: 0, ..on() }.validate().unwrap_err().contains("sustain"));
    assert!(RebalanceConfig::default().validate().is_ok());
}
