//! Results independent simulators agree on, from `shared/data/golden/`.

use std::io::Write;

use sim::run;
use sim::scenario::Scenario;
use tests::shared_data;

/// 100,000 jobs, Poisson arrivals (mean gap 1 s), exponential runtimes (mean 90 s), replayed
/// FIFO on 100 machines. Three independent simulators agree on a mean wait of 2.666150 s
/// (6 decimals) and a makespan of 100517.365 s (3 decimals); see the golden README. The
/// scenario is the one the foundation issue names, word for word.
#[test]
fn fifo_100k_matches_the_golden_result() {
    let Some(trace) = shared_data("golden/fifo-100k.csv.gz") else { return };
    let dir = tempfile::tempdir().expect("a temp dir");
    let scenario = dir.path().join("golden-fifo.toml");
    let text = format!(
        r#"[run]
seed = 1
[workload]
trace = "{}"
format = "csv"
map = "submit=submit_s:seconds,runtime=runtime_s:seconds"
[platform]
kind = "fixed"
machines = 100
[policy]
scheduler = "fifo"
"#,
        trace.display()
    );
    std::fs::File::create(&scenario).and_then(|mut f| f.write_all(text.as_bytes())).expect("write");
    let loaded = Scenario::load(&scenario, &[]).expect("the scenario loads");
    let summary = run::run(&loaded, &mut |_| {}).expect("the run succeeds").summary;

    assert_eq!(summary.jobs.submitted, 100_000);
    assert_eq!(summary.jobs.completed, 100_000);
    assert_eq!(format!("{:.6}", summary.wait_s.mean), "2.666150");
    assert_eq!(format!("{:.3}", summary.makespan_s), "100517.365");
    // Each job is one arrival and one finish event.
    assert_eq!(summary.events, 200_000);
}
