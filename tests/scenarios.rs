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
