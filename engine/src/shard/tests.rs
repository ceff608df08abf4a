//! Tests of the local scheduler: hand-derived scenarios (each expectation worked out in a
//! comment) and a property test over random nodes, jobs and finish orders.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::{Capacity, LocalScheduler, Policy, QueuedJob, SchedulerError, Site, Start};
use crate::ids::{InstanceId, JobId};
use crate::job::GpuKind;
use crate::time::{SimDuration, SimTime};

const GIB: u64 = 1024;

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn kind(name: &str) -> Option<GpuKind> {
    Some(GpuKind(name.to_string()))
}

/// A job of `vcpus` vCPUs (milli-precision via `cpu_milli`), `mem` MiB, `gpu_milli` GPU.
fn job(id: u64, submit: u64, cpu_milli: u64, mem: u64, est_secs: u64) -> QueuedJob {
    QueuedJob {
        id: JobId(id),
        submit: t(submit),
        demand: Capacity::new(cpu_milli, mem, 0),
        gpu_kind: None,
        estimate: SimDuration::from_secs(est_secs),
        near: None,
    }
}

fn gpu_job(id: u64, cpu_milli: u64, gpu_milli: u64, k: Option<GpuKind>) -> QueuedJob {
    QueuedJob {
        id: JobId(id),
        submit: t(id),
        demand: Capacity::new(cpu_milli, GIB, gpu_milli),
        gpu_kind: k,
        estimate: SimDuration::from_secs(100),
        near: None,
    }
}

fn shard(policy: Policy, nodes: &[(u64, u64, u64, u64)]) -> LocalScheduler {
    let mut s = LocalScheduler::new(policy);
    for &(id, vcpus, mem, gpus) in nodes {
        let cap = Capacity::for_instance(vcpus, mem, gpus).unwrap();
        s.add_node(t(0), InstanceId(id), cap, None).unwrap();
    }
    s
}

fn single(job: u64, node: u64, cpu_milli: u64, mem: u64) -> Start {
    Start { job: JobId(job), nodes: vec![(InstanceId(node), Capacity::new(cpu_milli, mem, 0))] }
}

fn queued_ids(s: &LocalScheduler) -> Vec<u64> {
    s.queued().map(|j| j.id.0).collect()
}

/// Two 4-vCPU nodes. j0 (3 vCPU, est 100 s) and j1 (3 vCPU, est 200 s) leave 1 vCPU free on
/// each; j2 wants 4 vCPU; j3, j4 and j5 want 1 vCPU each.
fn blocked_head(policy: Policy) -> LocalScheduler {
    let mut s = shard(policy, &[(1, 4, 16 * GIB, 0), (2, 4, 16 * GIB, 0)]);
    s.enqueue(t(0), job(0, 0, 3000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(1, 1, 3000, GIB, 200)).unwrap();
    s.enqueue(t(0), job(2, 2, 4000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(3, 3, 1000, GIB, 500)).unwrap();
    s.enqueue(t(0), job(4, 4, 1000, GIB, 500)).unwrap();
    s.enqueue(t(0), job(5, 5, 1000, GIB, 100)).unwrap();
    s
}

#[test]
fn fifo_blocks_behind_a_big_head() {
    let mut s = blocked_head(Policy::Fifo);
    // j0 (3 vCPU): both nodes leave 1 vCPU, tie → lowest id, i-1. j1: only i-2 has 3 vCPU.
    // j2 (4 vCPU) fits neither node (1 vCPU free on each): FIFO stops there, although j3..j5
    // (1 vCPU) would fit.
    let starts = s.schedule(t(0));
    assert_eq!(starts, vec![single(0, 1, 3000, GIB), single(1, 2, 3000, GIB)]);
    assert_eq!(queued_ids(&s), vec![2, 3, 4, 5]);
    assert_eq!(s.free_capacity(), Capacity::new(2000, 30 * GIB, 0));
    // j0 ends at 100 s: i-1 is free again, j2 takes it (left 0 vCPU). Then i-2 has 1 vCPU: j3.
    // i-1 is full and i-2 full, so j4 waits.
    s.finish(t(100), JobId(0)).unwrap();
    let starts = s.schedule(t(100));
    assert_eq!(starts, vec![single(2, 1, 4000, GIB), single(3, 2, 1000, GIB)]);
    assert_eq!(queued_ids(&s), vec![4, 5]);
}

#[test]
fn easy_backfills_short_jobs_and_refuses_long_ones_that_would_delay_the_head() {
    let mut s = blocked_head(Policy::EasyBackfill);
    // As FIFO, j0 → i-1 and j1 → i-2; j2 (4 vCPU) is the head.
    // Shadow: ends by estimate are j0 at 100 s (i-1) and j1 at 200 s (i-2). After j0, i-1 has
    // 1 + 3 = 4 vCPU: the head fits there. Shadow time = 100 s, reservation = 4 vCPU on i-1.
    // extra(i-1) = 1 free + 3 released - 4 reserved = 0 vCPU; i-2 is untouched (extra = free).
    // j3 (1 vCPU, est 500 s) ends at 500 s > 100 s, so only extra capacity: i-1 has extra 0,
    //   i-2 has 1 vCPU free and untouched → j3 starts on i-2.
    // j4 (1 vCPU, est 500 s): i-2 is now full; i-1 has 1 vCPU free but extra 0 → refused: it
    //   would still hold 1 vCPU of i-1 at 100 s, when the head needs all 4.
    // j5 (1 vCPU, est 100 s) ends at 0 + 100 = 100 s ≤ shadow → may use any node: i-1.
    let starts = s.schedule(t(0));
    assert_eq!(
        starts,
        vec![
            single(0, 1, 3000, GIB),
            single(1, 2, 3000, GIB),
            single(3, 2, 1000, GIB),
            single(5, 1, 1000, GIB),
        ]
    );
    assert_eq!(queued_ids(&s), vec![2, 4]);
    assert_eq!(s.free_capacity().cpu_milli, 0);
    // At 100 s j0 and j5 end as estimated: i-1 has 4 vCPU, and the head starts on time.
    s.finish(t(100), JobId(0)).unwrap();
    s.finish(t(100), JobId(5)).unwrap();
    let starts = s.schedule(t(100));
    assert_eq!(starts, vec![single(2, 1, 4000, GIB)]);
    assert_eq!(queued_ids(&s), vec![4]);
}

#[test]
fn easy_backfill_depth_bounds_the_scan() {
    // Same as above with a depth of 1: only j3 (the first job after the head) is tested, so j5
    // is not started although it would backfill.
    let mut s = blocked_head(Policy::EasyBackfill).with_backfill_depth(1);
    let started: Vec<u64> = s.schedule(t(0)).iter().map(|st| st.job.0).collect();
    assert_eq!(started, vec![0, 1, 3]);
}

#[test]
fn easy_head_reservation_is_per_node_and_per_dimension() {
    // i-1: 4 vCPU, 8 GiB; i-2: 4 vCPU, 8 GiB. j0 (2 vCPU, 6 GiB, est 100 s) → i-1 (tie → lowest
    // id). j1 (2 vCPU, 6 GiB, est 300 s) → i-2 (i-1 has 2 GiB left). Head j2 (1 vCPU, 8 GiB):
    // no node has 8 GiB free. Shadow: at 100 s i-1 has 8 GiB → shadow 100 s on i-1,
    // extra(i-1) = (4 vCPU, 8 GiB) − (1 vCPU, 8 GiB) = (3 vCPU, 0 GiB).
    // j3 (1 vCPU, 1 GiB, est 1000 s) ends after the shadow, so it needs extra capacity: i-1
    // has (2 vCPU, 2 GiB) free but extra memory 0 → not there; i-2 has (2 vCPU, 2 GiB) free and
    // is untouched by the projection → i-2. (An aggregate rule would see extra = (4 + 2 − 1
    // vCPU, 8 + 2 − 8 GiB) = (5 vCPU, 2 GiB), admit j3, and best fit would put it on i-1 — the
    // tie (1 vCPU, 1 GiB left on both) goes to the lower id — leaving the head 7 GiB at 100 s.)
    // j4 (1 vCPU, 0 MiB, est 1000 s): i-1 is allowed (extra (3 vCPU, 0 GiB) holds it) and
    // would leave (1 vCPU, 2 GiB); i-2 would leave (0 vCPU, 1 GiB) → best fit i-2.
    let mut s = shard(Policy::EasyBackfill, &[(1, 4, 8 * GIB, 0), (2, 4, 8 * GIB, 0)]);
    s.enqueue(t(0), job(0, 0, 2000, 6 * GIB, 100)).unwrap();
    s.enqueue(t(0), job(1, 1, 2000, 6 * GIB, 300)).unwrap();
    s.enqueue(t(0), job(2, 2, 1000, 8 * GIB, 100)).unwrap();
    s.enqueue(t(0), job(3, 3, 1000, GIB, 1000)).unwrap();
    s.enqueue(t(0), job(4, 4, 1000, 0, 1000)).unwrap();
    s.enqueue(t(0), job(5, 5, 1000, 0, 1000)).unwrap();
    let starts = s.schedule(t(0));
    // After j3 and j4, i-2 is at 4 vCPU: full. j5 (1 vCPU, 0 MiB) fits i-1's free (2 vCPU)
    // and its extra (3 vCPU, 0 GiB) → i-1, extra becomes (2 vCPU, 0 GiB).
    assert_eq!(
        starts,
        vec![
            single(0, 1, 2000, 6 * GIB),
            single(1, 2, 2000, 6 * GIB),
            single(3, 2, 1000, GIB),
            single(4, 2, 1000, 0),
            single(5, 1, 1000, 0),
        ]
    );
    // j0 ends: i-1 has 3 vCPU and 8 GiB free, the head takes 1 vCPU and 8 GiB.
    s.finish(t(100), JobId(0)).unwrap();
    assert_eq!(s.schedule(t(100)), vec![single(2, 1, 1000, 8 * GIB)]);
}

#[test]
fn multi_node_job_takes_whole_idle_nodes() {
    // Four 4-vCPU, 16 GiB nodes. j0 (1 vCPU) → i-1 (tie on every dimension → lowest id).
    // j1 (10 vCPU, 8 GiB) fits no node: k = max(ceil(10/4), ceil(8/16)) = 3 whole idle nodes of
    // the one type: i-2, i-3, i-4, each allocated its whole (4 vCPU, 16 GiB).
    // j2 (17 vCPU) needs k = 5 > 4 nodes: unplaceable, skipped, listed.
    // j3 (1 vCPU) can only go to i-1, the others being held whole: i-1 has 3 vCPU free.
    let mut s = shard(
        Policy::Fifo,
        &[(1, 4, 16 * GIB, 0), (2, 4, 16 * GIB, 0), (3, 4, 16 * GIB, 0), (4, 4, 16 * GIB, 0)],
    );
    s.enqueue(t(0), job(0, 0, 1000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(1, 1, 10_000, 8 * GIB, 100)).unwrap();
    s.enqueue(t(0), job(2, 2, 17_000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(3, 3, 1000, GIB, 100)).unwrap();
    let whole = Capacity::new(4000, 16 * GIB, 0);
    let starts = s.schedule(t(0));
    assert_eq!(
        starts,
        vec![
            single(0, 1, 1000, GIB),
            Start {
                job: JobId(1),
                nodes: vec![(InstanceId(2), whole), (InstanceId(3), whole), (InstanceId(4), whole)],
            },
            single(3, 1, 1000, GIB),
        ]
    );
    assert_eq!(s.unplaceable(), vec![JobId(2)]);
    // Free: only i-1, 4 − 1 − 1 = 2 vCPU and 16 − 2 = 14 GiB.
    assert_eq!(s.free_capacity(), Capacity::new(2000, 14 * GIB, 0));
    assert_eq!(s.total_capacity(), Capacity::new(16_000, 64 * GIB, 0));
    // A zero-size job still cannot use a node held whole: it goes to i-1.
    s.enqueue(t(0), job(5, 5, 0, 0, 1)).unwrap();
    assert_eq!(s.schedule(t(0)), vec![single(5, 1, 0, 0)]);
    s.finish(t(100), JobId(1)).unwrap();
    assert_eq!(s.free_capacity(), Capacity::new(14_000, 62 * GIB, 0));
}

#[test]
fn easy_reserves_whole_nodes_for_a_multi_node_head() {
    // Three 4-vCPU nodes. j0 (1 vCPU, est 100 s) → i-1; j1 (1 vCPU, est 50 s) → i-1 (best fit:
    // i-1 leaves 2 vCPU, others 3). Head j2 (12 vCPU): k = 3 whole nodes; only i-2 and i-3 are
    // idle. Projection: j1 ends at 50 s (i-1 still runs j0), j0 at 100 s → i-1 idle → shadow
    // 100 s, reservation i-1, i-2, i-3, extra 0 everywhere.
    // j3 (1 vCPU, est 100 s) ends at 100 s ≤ shadow → starts; best fit: i-1 (2 vCPU free,
    // leaves 1) over i-2/i-3 (leave 3). j4 (1 vCPU, est 101 s) → needs extra: none → waits.
    let mut s = shard(
        Policy::EasyBackfill,
        &[(1, 4, 16 * GIB, 0), (2, 4, 16 * GIB, 0), (3, 4, 16 * GIB, 0)],
    );
    s.enqueue(t(0), job(0, 0, 1000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(1, 1, 1000, GIB, 50)).unwrap();
    s.enqueue(t(0), job(2, 2, 12_000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(3, 3, 1000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(4, 4, 1000, GIB, 101)).unwrap();
    let starts = s.schedule(t(0));
    assert_eq!(
        starts,
        vec![single(0, 1, 1000, GIB), single(1, 1, 1000, GIB), single(3, 1, 1000, GIB)]
    );
    for id in [0, 1, 3] {
        s.finish(t(100), JobId(id)).unwrap();
    }
    let starts: Vec<u64> = s.schedule(t(100)).iter().map(|st| st.job.0).collect();
    assert_eq!(starts, vec![2]);
}

#[test]
fn removing_a_node_stops_its_jobs_and_frees_their_other_nodes() {
    // Three 4-vCPU nodes. j0 (8 vCPU) → k = 2: i-1 and i-2 whole. j1 (2 vCPU) → i-3.
    let mut s =
        shard(Policy::Fifo, &[(1, 4, 16 * GIB, 0), (2, 4, 16 * GIB, 0), (3, 4, 16 * GIB, 0)]);
    s.enqueue(t(0), job(0, 0, 8000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(1, 1, 2000, GIB, 100)).unwrap();
    let starts = s.schedule(t(0));
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0].nodes.iter().map(|n| n.0.0).collect::<Vec<_>>(), vec![1, 2]);
    // i-2 leaves: j0 is stopped and returned; its allocation on i-1 is freed too. Left: i-1
    // (4 vCPU, all free) and i-3 (4 vCPU, 2 used) → total 8 vCPU, free 6 vCPU.
    assert_eq!(s.remove_node(t(10), InstanceId(2)), Ok(vec![JobId(0)]));
    assert_eq!(s.running().map(|r| r.job.id).collect::<Vec<_>>(), vec![JobId(1)]);
    assert_eq!(
        s.node_capacity(InstanceId(1)),
        Some((Capacity::new(4000, 16 * GIB, 0), Capacity::new(4000, 16 * GIB, 0)))
    );
    assert_eq!(s.total_capacity().cpu_milli, 8000);
    assert_eq!(s.free_capacity().cpu_milli, 6000);
    assert!(s.queued().next().is_none(), "stopped jobs are the caller's to requeue");
    // Requeued, j0 (8 vCPU) now needs i-1 and i-3 whole; i-3 is busy, so it waits.
    let j0 = job(0, 0, 8000, GIB, 100);
    s.enqueue(t(10), j0).unwrap();
    assert!(s.schedule(t(10)).is_empty());
    assert_eq!(s.remove_node(t(20), InstanceId(3)), Ok(vec![JobId(1)]));
    // Now one 4-vCPU node is left: j0 needs 2 → unplaceable.
    assert_eq!(s.unplaceable(), vec![JobId(0)]);
    assert_eq!(
        s.remove_node(t(20), InstanceId(3)),
        Err(SchedulerError::UnknownNode(InstanceId(3)))
    );
}

/// Nodes at two sites (the controller's regions): i-1 (4 vCPU) and i-2 (8 vCPU) at site 0,
/// i-3 (4 vCPU) and i-4 (4 vCPU) at site 1.
fn two_sites() -> LocalScheduler {
    let mut s = LocalScheduler::new(Policy::Fifo);
    for (id, vcpus, site) in [(1, 4, 0), (2, 8, 0), (3, 4, 1), (4, 4, 1)] {
        let cap = Capacity::for_instance(vcpus, 16 * GIB, 0).unwrap();
        s.add_node_at(t(0), InstanceId(id), cap, None, Some(Site(site))).unwrap();
    }
    s
}

#[test]
fn a_job_near_a_site_takes_a_node_there_when_one_fits() {
    let near = |mut j: QueuedJob, site| {
        j.near = Some(Site(site));
        j
    };
    let mut s = two_sites();
    // j0 (4 vCPU, no site): best fit is a 4-vCPU node left empty, lowest id: i-1 (site 0).
    // j1 (4 vCPU, near site 0): site 0 has i-2 (8 vCPU free, a worse fit than i-3 or i-4,
    //   which are at site 1): near comes first, so i-2.
    // j2 (4 vCPU, near site 0): i-2 still has 4 vCPU: it.
    // j3 (4 vCPU, near site 0): site 0 is full; the preference never blocks: i-3 at site 1.
    s.enqueue(t(0), job(0, 0, 4000, GIB, 100)).unwrap();
    s.enqueue(t(0), near(job(1, 1, 4000, GIB, 100), 0)).unwrap();
    s.enqueue(t(0), near(job(2, 2, 4000, GIB, 100), 0)).unwrap();
    s.enqueue(t(0), near(job(3, 3, 4000, GIB, 100), 0)).unwrap();
    let starts = s.schedule(t(0));
    assert_eq!(
        starts,
        vec![
            single(0, 1, 4000, GIB),
            single(1, 2, 4000, GIB),
            single(2, 2, 4000, GIB),
            single(3, 3, 4000, GIB),
        ]
    );

    // Without i-2, a multi-node job of 8 vCPU on the 4-vCPU nodes (i-1, i-3, i-4) needs k = 2
    // of them. With no site, the two lowest ids: i-1 and i-3. Near site 1, the two at site 1:
    // i-3 and i-4.
    let whole = |id| (InstanceId(id), Capacity::for_instance(4, 16 * GIB, 0).unwrap());
    let mut s = two_sites();
    s.remove_node(t(0), InstanceId(2)).unwrap();
    s.enqueue(t(0), job(8, 0, 8000, GIB, 100)).unwrap();
    assert_eq!(s.schedule(t(0)), vec![Start { job: JobId(8), nodes: vec![whole(1), whole(3)] }]);
    let mut s = two_sites();
    s.remove_node(t(0), InstanceId(2)).unwrap();
    s.enqueue(t(0), near(job(8, 0, 8000, GIB, 100), 1)).unwrap();
    assert_eq!(s.schedule(t(0)), vec![Start { job: JobId(8), nodes: vec![whole(3), whole(4)] }]);
    // Near site 0, which has one such node: i-1 there, then the lowest id elsewhere, i-3.
    let mut s = two_sites();
    s.remove_node(t(0), InstanceId(2)).unwrap();
    s.enqueue(t(0), near(job(8, 0, 8000, GIB, 100), 0)).unwrap();
    assert_eq!(s.schedule(t(0)), vec![Start { job: JobId(8), nodes: vec![whole(1), whole(3)] }]);
}

#[test]
fn gpu_kind_must_match() {
    // i-1: 8 vCPU, 1 T4; i-2: 8 vCPU, 1 A100; i-3: 8 vCPU, no GPU.
    let mut s = LocalScheduler::new(Policy::Fifo);
    let gpu_node = Capacity::for_instance(8, 64 * GIB, 1).unwrap();
    let cpu_node = Capacity::for_instance(8, 64 * GIB, 0).unwrap();
    s.add_node(t(0), InstanceId(1), gpu_node, kind("T4")).unwrap();
    s.add_node(t(0), InstanceId(2), gpu_node, kind("A100")).unwrap();
    s.add_node(t(0), InstanceId(3), cpu_node, None).unwrap();
    // j0: 1 A100 → only i-2. j1: half a T4 → only i-1. j2: CPU only → best fit leaves
    // (GPU, CPU, mem): i-1 (500, 5000, ..), i-2 (0, 5000, ..), i-3 (0, 6000, ..) → i-2.
    // j3: a V100 → no such node: unplaceable, skipped. j4: 1 GPU of any kind → i-1 has 500
    // milli-GPUs left, i-2 none → does not fit now; FIFO stops.
    // j5: 1 vCPU, no GPU, would fit i-3 but is behind j4.
    s.enqueue(t(0), gpu_job(0, 1000, 1000, kind("A100"))).unwrap();
    s.enqueue(t(0), gpu_job(1, 1000, 500, kind("T4"))).unwrap();
    s.enqueue(t(0), gpu_job(2, 2000, 0, kind("T4"))).unwrap();
    s.enqueue(t(0), gpu_job(3, 1000, 1000, kind("V100"))).unwrap();
    s.enqueue(t(0), gpu_job(4, 1000, 1000, None)).unwrap();
    s.enqueue(t(0), gpu_job(5, 1000, 0, None)).unwrap();
    let placed: Vec<(u64, u64)> =
        s.schedule(t(0)).iter().map(|st| (st.job.0, st.nodes[0].0.0)).collect();
    assert_eq!(placed, vec![(0, 2), (1, 1), (2, 2)]);
    assert_eq!(s.unplaceable(), vec![JobId(3)]);
    assert_eq!(queued_ids(&s), vec![3, 4, 5]);
    // j0 ends: i-2's A100 is free, j4 (any kind) takes it; j5 → best fit: i-1 (500 GPU left),
    // i-2 (0 GPU, 4000 vCPU left: 8 − 2 − 1 − 1), i-3 (0 GPU, 7000) → i-2.
    s.finish(t(100), JobId(0)).unwrap();
    let placed: Vec<(u64, u64)> =
        s.schedule(t(100)).iter().map(|st| (st.job.0, st.nodes[0].0.0)).collect();
    assert_eq!(placed, vec![(4, 2), (5, 2)]);

    // On an empty shard a CPU job avoids the GPU node: i-1 would leave 1000 milli-GPUs idle.
    let mut s = LocalScheduler::new(Policy::Fifo);
    s.add_node(t(0), InstanceId(1), gpu_node, kind("T4")).unwrap();
    s.add_node(t(0), InstanceId(2), cpu_node, None).unwrap();
    s.enqueue(t(0), gpu_job(0, 2000, 0, None)).unwrap();
    assert_eq!(s.schedule(t(0))[0].nodes[0].0, InstanceId(2));
}

#[test]
fn memory_bound_placement() {
    // i-1: 8 vCPU, 4 GiB; i-2: 4 vCPU, 32 GiB.
    // j0 (2 vCPU, 16 GiB): i-1 has the CPU but not the memory → i-2.
    // j1 (2 vCPU, 1 GiB): leaves (0, 6000, 3 GiB) on i-1, (0, 0, 15 GiB) on i-2 → i-2.
    // j2 (1 vCPU, 20 GiB): i-1 has 4 GiB, i-2 has 32 − 16 − 1 = 15 GiB → fits nowhere; FIFO
    // stops, although 8 + 0 = 8 vCPU are free in aggregate.
    let mut s = shard(Policy::Fifo, &[(1, 8, 4 * GIB, 0), (2, 4, 32 * GIB, 0)]);
    s.enqueue(t(0), job(0, 0, 2000, 16 * GIB, 100)).unwrap();
    s.enqueue(t(0), job(1, 1, 2000, GIB, 100)).unwrap();
    s.enqueue(t(0), job(2, 2, 1000, 20 * GIB, 100)).unwrap();
    let starts = s.schedule(t(0));
    assert_eq!(starts, vec![single(0, 2, 2000, 16 * GIB), single(1, 2, 2000, GIB)]);
    assert_eq!(s.free_capacity(), Capacity::new(8000, 19 * GIB, 0));
    assert_eq!(queued_ids(&s), vec![2]);
    assert!(s.unplaceable().is_empty(), "j2 fits i-2 when it is empty");
}

#[test]
fn bad_calls_are_errors_and_change_nothing() {
    let mut s = shard(Policy::Fifo, &[(1, 4, 16 * GIB, 0)]);
    let cap = Capacity::for_instance(4, GIB, 0).unwrap();
    assert_eq!(
        s.add_node(t(0), InstanceId(1), cap, None),
        Err(SchedulerError::DuplicateNode(InstanceId(1)))
    );
    let huge = Capacity::new(u64::MAX, 0, 0);
    assert_eq!(
        s.add_node(t(0), InstanceId(2), huge, None),
        Err(SchedulerError::CapacityOverflow(InstanceId(2)))
    );
    assert_eq!(s.node_ids().count(), 1);
    s.enqueue(t(5), job(0, 0, 1000, GIB, 10)).unwrap();
    assert_eq!(
        s.enqueue(t(5), job(0, 0, 1000, GIB, 10)),
        Err(SchedulerError::DuplicateJob(JobId(0)))
    );
    assert_eq!(s.finish(t(5), JobId(0)), Err(SchedulerError::NotRunning(JobId(0))));
    assert_eq!(
        s.enqueue(t(4), job(1, 0, 1000, GIB, 10)),
        Err(SchedulerError::TimeWentBackwards { now: t(4), latest: t(5) })
    );
    assert_eq!(s.schedule(t(5)).len(), 1);
    assert_eq!(
        s.enqueue(t(5), job(0, 0, 1000, GIB, 10)),
        Err(SchedulerError::DuplicateJob(JobId(0)))
    );
    assert_eq!(s.dequeue(JobId(0)), None, "running, not queued");
    s.enqueue(t(5), job(1, 0, 8000, GIB, 10)).unwrap();
    assert_eq!(s.dequeue(JobId(1)).map(|j| j.id), Some(JobId(1)));
    assert_eq!(s.finish(t(6), JobId(0)), Ok(()));
    assert_eq!(s.free_capacity(), s.total_capacity());
}

/// A small deterministic generator (an LCG), so the determinism test needs no RNG crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

fn scripted_run(policy: Policy, seed: u64) -> Vec<(u64, Start)> {
    let mut rng = Lcg(seed);
    let mut s = LocalScheduler::new(policy);
    for id in 0..6 {
        let vcpus = [4, 8, 16][rng.next(3) as usize];
        s.add_node(
            t(0),
            InstanceId(id),
            Capacity::for_instance(vcpus, vcpus * 4 * GIB, 0).unwrap(),
            None,
        )
        .unwrap();
    }
    let mut log = Vec::new();
    let mut now = 0;
    for id in 0..200 {
        now += rng.next(5);
        s.enqueue(
            t(now),
            job(id, now, 500 * (1 + rng.next(40)), GIB * rng.next(20), 1 + rng.next(50)),
        )
        .unwrap();
        if rng.next(2) == 0 {
            let running: Vec<JobId> = s.running().map(|r| r.job.id).collect();
            if !running.is_empty() {
                let victim = running[rng.next(running.len() as u64) as usize];
                s.finish(t(now), victim).unwrap();
            }
        }
        log.extend(s.schedule(t(now)).into_iter().map(|st| (now, st)));
    }
    log
}

#[test]
fn same_calls_give_the_same_starts() {
    for policy in [Policy::Fifo, Policy::EasyBackfill] {
        let a = scripted_run(policy, 7);
        let b = scripted_run(policy, 7);
        assert!(a.len() > 20, "the script starts jobs");
        assert_eq!(a, b);
    }
}

// ---- property test -------------------------------------------------------------------------

/// Node types for the property test: (vCPUs, GiB, GPUs, kind).
const TYPES: [(u64, u64, u64, Option<&str>); 3] =
    [(4, 8, 0, None), (8, 32, 0, None), (8, 64, 2, Some("T4"))];

fn job_strategy() -> impl Strategy<Value = (u64, u64, u64, u8, u64, u64)> {
    // cpu in half vCPUs up to 20 vCPU, memory up to 40 GiB, GPUs in halves up to 3, kind
    // (0 none, 1 T4, 2 A100), estimate, submit.
    (0u64..=40, 0u64..=40, 0u64..=6, 0u8..3, 1u64..100, 0u64..50)
}

/// Whether a job could run on the empty shard, judged independently of the scheduler: one
/// compatible node is big enough, or `n` nodes of one compatible type are, in every dimension.
fn fits_empty(job: &QueuedJob, nodes: &[(InstanceId, Capacity, Option<GpuKind>)]) -> bool {
    let compatible = |k: &Option<GpuKind>| {
        job.demand.gpu_milli == 0 || job.gpu_kind.is_none() || &job.gpu_kind == k
    };
    if nodes.iter().any(|(_, cap, k)| compatible(k) && job.demand.fits_in(cap)) {
        return true;
    }
    let mut types: BTreeMap<(u64, u64, u64, Option<GpuKind>), u64> = BTreeMap::new();
    for (_, cap, k) in nodes {
        *types.entry((cap.cpu_milli, cap.memory_mib, cap.gpu_milli, k.clone())).or_default() += 1;
    }
    types.iter().any(|((c, m, g, k), n)| {
        compatible(k)
            && job.demand.cpu_milli <= c * n
            && job.demand.memory_mib <= m * n
            && job.demand.gpu_milli <= g * n
    })
}

fn check_allocations(s: &LocalScheduler) {
    let mut used: BTreeMap<InstanceId, (Capacity, usize, bool)> = BTreeMap::new();
    for run in s.running() {
        let multi = run.nodes.len() > 1;
        let mut sum = Capacity::ZERO;
        for (id, alloc) in &run.nodes {
            let e = used.entry(*id).or_insert((Capacity::ZERO, 0, false));
            e.0 = e.0.checked_add(alloc).unwrap();
            e.1 += 1;
            e.2 |= multi;
            sum = sum.checked_add(alloc).unwrap();
        }
        assert!(run.job.demand.fits_in(&sum), "{} got less than it asked", run.job.id);
    }
    let mut free_sum = Capacity::ZERO;
    for id in s.node_ids() {
        let (total, free) = s.node_capacity(id).unwrap();
        let (u, jobs, multi) = used.get(&id).copied().unwrap_or((Capacity::ZERO, 0, false));
        assert!(u.fits_in(&total), "node {id} over-allocated: {u:?} > {total:?}");
        assert_eq!(total.checked_sub(&u), Some(free), "node {id} free capacity");
        if multi {
            assert_eq!(jobs, 1, "node {id} held whole by a multi-node job is shared");
        }
        free_sum = free_sum.checked_add(&free).unwrap();
    }
    assert_eq!(free_sum, s.free_capacity());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn allocations_stay_within_nodes_and_every_fitting_job_runs_once(
        node_types in prop::collection::vec(0usize..3, 1..7),
        jobs in prop::collection::vec(job_strategy(), 1..40),
        finish_order in prop::collection::vec(any::<u16>(), 0..200),
        easy in any::<bool>(),
        depth in 1usize..5,
        sites in prop::collection::vec(0u32..3, 40),
    ) {
        // Nodes and jobs at random sites (a job's 2 is "no site"): nearness must not change
        // what runs, only where.
        let policy = if easy { Policy::EasyBackfill } else { Policy::Fifo };
        let mut s = LocalScheduler::new(policy).with_backfill_depth(depth);
        let mut nodes = Vec::new();
        for (i, &ty) in node_types.iter().enumerate() {
            let (v, g, gpus, k) = TYPES[ty];
            let cap = Capacity::for_instance(v, g * GIB, gpus).unwrap();
            let k = k.map(|k| GpuKind(k.to_string()));
            let site = Some(Site(sites[i] % 2));
            s.add_node_at(t(0), InstanceId(i as u64), cap, k.clone(), site).unwrap();
            nodes.push((InstanceId(i as u64), cap, k));
        }
        let mut queued = Vec::new();
        for (i, &(cpu, mem, gpu, k, est, submit)) in jobs.iter().enumerate() {
            let gpu_kind = [None, kind("T4"), kind("A100")][k as usize].clone();
            let j = QueuedJob {
                id: JobId(i as u64),
                submit: t(submit),
                demand: Capacity::new(cpu * 500, mem * GIB, gpu * 500),
                gpu_kind,
                estimate: SimDuration::from_secs(est),
                near: (sites[i] < 2).then_some(Site(sites[i])),
            };
            s.enqueue(t(0), j.clone()).unwrap();
            queued.push(j);
        }
        let mut started: BTreeSet<JobId> = BTreeSet::new();
        let mut now = 0;
        let mut choices = finish_order.iter().copied().chain(std::iter::repeat(0));
        loop {
            for st in s.schedule(t(now)) {
                prop_assert!(started.insert(st.job), "{} started twice", st.job);
            }
            check_allocations(&s);
            let running: Vec<JobId> = s.running().map(|r| r.job.id).collect();
            if running.is_empty() {
                break;
            }
            now += 1;
            let pick = usize::from(choices.next().unwrap_or(0)) % running.len();
            s.finish(t(now), running[pick]).unwrap();
        }
        // Nothing runs: every job that fits the empty shard has started, and what is left is
        // exactly the unplaceable rest.
        let expected: BTreeSet<JobId> =
            queued.iter().filter(|j| fits_empty(j, &nodes)).map(|j| j.id).collect();
        prop_assert_eq!(&started, &expected);
        let left: Vec<JobId> = s.queued().map(|j| j.id).collect();
        prop_assert_eq!(s.unplaceable(), left.clone());
        prop_assert_eq!(left.len() + started.len(), queued.len());
        prop_assert_eq!(s.free_capacity(), s.total_capacity());
    }
}
