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
