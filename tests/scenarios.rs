//! Every file in `scenarios/` runs, and its summary matches the reviewed snapshot.

use sim::run;
use sim::scenario::Scenario;

#[test]
fn bundled_scenario_summaries() {
    insta::glob!("../scenarios", "*.toml", |path| {
        let loaded = Scenario::load(path, &[]).expect("bundled scenarios load");
        let summary = run::run(&loaded, &mut |_| {}).expect("bundled scenarios run").summary;
        assert_eq!(
            summary.jobs.completed + summary.jobs.rejected,
            summary.jobs.submitted,
            "every job ends in a named state"
        );
        insta::assert_snapshot!(summary.to_json());
    });
}
