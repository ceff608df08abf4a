//! Every file in `scenarios/` runs, and its summary matches the reviewed snapshot.

use sim::run;
use sim::scenario::Scenario;

#[test]
fn bundled_scenario_summaries() {
    insta::glob!("../scenarios", "*.toml", |path| {
        let loaded = Scenario::load(path, &[]).expect("bundled scenarios load");
        let summary = run::run(&loaded, &mut |_| {}).expect("bundled scenarios run").summary;
        let j = &summary.jobs;
        assert_eq!(
            j.completed + j.failed + j.cancelled + j.rejected,
            j.submitted,
            "every job ends in a named state"
        );
        assert_eq!(
            j.by_reason.values().sum::<u64>(),
            j.failed + j.rejected,
            "every failed or rejected job has a reason"
        );
        insta::assert_snapshot!(summary.to_json());
    });
}

/// `cloud.jobs_restarted` and `cloud.restarts` count the jobs that ran again after their
/// instance failed: none on reliable on-demand instances; some when instances fail often
/// (mean time to failure 20 h against jobs of hours), never fewer attempts than jobs.
#[test]
fn restarts_are_counted_when_instances_fail() {
    let path = tests::workspace_root().join("scenarios/cloud-mixed-spot.toml");
    let restarts = |failure_rate: &str| {
        let sets = [
            "workload.synthetic.jobs=300".to_owned(),
            "policy.baseline.kind=\"on-demand\"".to_owned(),
            format!("platform.clouds.failure_rate_per_hour={failure_rate}"),
        ];
        let loaded = Scenario::load(&path, &sets).expect("loads");
        let summary = run::run(&loaded, &mut |_| {}).expect("runs").summary;
        let cloud = summary.cloud.expect("a cloud run");
        (cloud.jobs_restarted, cloud.restarts, summary.jobs.submitted)
    };
    assert_eq!(restarts("0.0"), (0, 0, 300));
    let (jobs, attempts, submitted) = restarts("0.05");
    assert!(jobs > 0 && attempts >= jobs && jobs <= submitted, "{jobs} jobs, {attempts}");
}

/// The routers on `routing-dag-spread.toml` (DAG pipelines over shards on three providers):
/// every job completes under each; least-loaded scatters chains across providers and pays
/// internet egress for it; the locality router, which prices that egress, pays none and costs
/// no more than cheapest-feasible, which ignores it. Edge counts add up to the trace's edges.
#[test]
fn locality_routing_cuts_egress_against_cheapest_feasible_and_least_loaded() {
    let path = tests::workspace_root().join("scenarios/routing-dag-spread.toml");
    let run_with = |kind: &str| {
        let sets =
            [format!("policy.routing.kind=\"{kind}\""), "workload.synthetic.jobs=1500".into()];
        let loaded = Scenario::load(&path, &sets).expect("loads");
        let edges: u64 = run::load_workload(&loaded)
            .map(|t| t.jobs.iter().map(|j| j.dependencies.len() as u64).sum())
            .unwrap_or(0);
        let summary = run::run(&loaded, &mut |_| {}).expect("runs").summary;
        let cost = summary.cost_usd.clone().expect("a cloud run");
        let cloud = summary.cloud.clone().expect("a cloud run");
        assert_eq!(cloud.controller.router, kind);
        assert_eq!(
            summary.jobs.completed + summary.jobs.rejected,
            summary.jobs.submitted,
            "{kind}"
        );
        assert_eq!(
            cloud.controller.edges.values().sum::<u64>(),
            edges,
            "{kind}: every edge counted"
        );
        let egress = cost.by_option.get("egress").copied().unwrap_or(0.0);
        (egress, cost.total, cloud.controller.edges)
    };
    let (spread_egress, _, spread_edges) = run_with("least-loaded");
    let (cheap_egress, cheap_total, _) = run_with("cheapest-feasible");
    let (local_egress, local_total, local_edges) = run_with("locality");
    assert!(spread_egress > 0.0 && spread_edges.get("inter_provider").is_some_and(|n| *n > 0));
    assert!(local_egress <= cheap_egress && local_egress < spread_egress, "{local_egress}");
    assert!(local_total <= cheap_total + 1e-6, "{local_total} vs {cheap_total}");
    assert_eq!(local_edges.get("inter_provider"), None, "{local_edges:?}");
}

/// The Alibaba 2017 batch DAGs (the first 20,000 tasks) across AWS and GCP
/// (`scenarios/replays/alibaba2017-dag-*.toml`): the AWS shard outgrows its offer's stock and
/// buys fallbacks in us-west-2, so a task's parents often wrote in another region than the one
/// it would run in. The locality router runs each task near its inputs and pays under half
/// the egress of cheapest-feasible, which ignores them (measured: $16.25 against $114.22, 380
/// inter-region edges against 2,473), with the same tasks completed and every edge counted.
#[test]
fn locality_routing_cuts_the_egress_of_the_alibaba_2017_dags_against_cheapest_feasible() {
    let Some(_) = tests::shared_data("traces/alibaba_v2017_batch_task.csv") else { return };
    let run_with = |router: &str| {
        let path = tests::workspace_root()
            .join(format!("scenarios/replays/alibaba2017-dag-{router}.toml"));
        let loaded = Scenario::load(&path, &[]).expect("loads");
        let result = run::run(&loaded, &mut |_| {}).expect("runs");
        // An edge is counted when its child starts (the rejected tasks never do).
        let edges: u64 = (result.trace.jobs.iter().zip(&result.outcome.jobs))
            .filter(|(_, o)| o.start.is_some())
            .map(|(j, _)| j.dependencies.len() as u64)
            .sum();
        let summary = result.summary;
        let cloud = summary.cloud.clone().expect("a cloud run");
        assert_eq!(cloud.controller.router, router);
        assert_eq!(cloud.controller.edges.values().sum::<u64>(), edges, "{router}: every edge");
        let j = &summary.jobs;
        assert_eq!(j.completed + j.rejected, j.submitted, "{router}: no task lost");
        let egress = summary.cost_usd.as_ref().expect("a cloud run").by_option["egress"];
        (j.completed, egress, cloud.controller.edges.get("inter_region").copied().unwrap_or(0))
    };
    let (cheap_done, cheap_egress, cheap_far) = run_with("cheapest-feasible");
    let (local_done, local_egress, local_far) = run_with("locality");
    assert_eq!(local_done, cheap_done);
    assert!(cheap_egress > 50.0, "the fallbacks make egress: {cheap_egress}");
    assert!(local_egress * 2.0 < cheap_egress, "{local_egress} vs {cheap_egress}");
    assert!(local_far * 2 < cheap_far, "{local_far} vs {cheap_far} inter-region edges");
}

/// Re-sharding on `rebalance-shifting-load.toml` (two queues whose daily peaks are twelve
/// hours apart, each on a reserved partition of its own): with the rebalancer, waiting jobs
/// of the partition at its peak move to the idle one, and the p95 wait falls to under a
/// quarter of the static partition's, with every job completed and the same reservations
/// bought. With bursting, the hot partition adds on-demand instances, the rebalancer later
/// checkpoints jobs off them onto idle reserved capacity, and lets them go when idle.
#[test]
fn resharding_cuts_the_p95_wait_of_load_moving_between_queues() {
    let path = tests::workspace_root().join("scenarios/rebalance-shifting-load.toml");
    let run_with = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
        let loaded = Scenario::load(&path, &sets).expect("loads");
        let summary = run::run(&loaded, &mut |_| {}).expect("runs").summary;
        assert_eq!(summary.jobs.completed, summary.jobs.submitted, "{sets:?}: no job lost");
        summary
    };
    let off = run_with(&["policy.rebalance.enabled=false"]);
    let on = run_with(&["policy.rebalance.enabled=true"]);
    assert!(off.cloud.as_ref().unwrap().controller.rebalance.is_none());
    let moves = on.cloud.as_ref().unwrap().controller.rebalance.clone().expect("enabled");
    assert!(moves.waiting_migrated > 0 && moves.reviews > 0, "{moves:?}");
    assert_eq!(moves.by_reason.get("backlog"), Some(&(moves.waiting_migrated + moves.remaps)));
    assert!(on.wait_s.p95 * 4.0 < off.wait_s.p95, "{} vs {}", on.wait_s.p95, off.wait_s.p95);
    let (on_cost, off_cost) = (on.cost_usd.unwrap().total, off.cost_usd.unwrap().total);
    // The same reservations; the bill differs only by when the run ends.
    assert_eq!(
        on.cloud.as_ref().unwrap().controller.reservations,
        off.cloud.as_ref().unwrap().controller.reservations
    );
    assert!(on_cost <= off_cost * 1.01, "{on_cost} vs {off_cost}");

    let burst = run_with(&["policy.rebalance.burst={ max_vcpus = 64 }"]);
    let moves = burst.cloud.as_ref().unwrap().controller.rebalance.clone().expect("enabled");
    assert!(moves.burst_instances > 0 && moves.running_checkpointed > 0, "{moves:?}");
    assert!(moves.released > 0, "{moves:?}");
    assert!(burst.wait_s.p95 < on.wait_s.p95, "{} vs {}", burst.wait_s.p95, on.wait_s.p95);
}
