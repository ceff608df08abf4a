//! Same scenario and seed, byte-identical outputs (DESIGN §3).

use sim::run;
use sim::scenario::Scenario;
use tests::bundled_scenarios;

/// Every bundled scenario, run twice into two folders, writes byte-identical `summary.json`,
/// `jobs.parquet` and (cloud runs) `timeline.parquet` files; a different seed changes the event digest of seeded (synthetic)
/// workloads.
#[test]
fn every_bundled_scenario_is_byte_identical_across_runs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    for path in bundled_scenarios() {
        let loaded = Scenario::load(&path, &[]).expect("bundled scenarios load");
        let mut files = Vec::new();
        for attempt in 0..2 {
            let result = run::run(&loaded, &mut |_| {}).expect("bundled scenarios run");
            let out = dir.path().join(format!("{}-{attempt}", loaded.name));
            let written = result.write(&out).expect("reports written");
            files.push((
                std::fs::read(written).expect("readable"),
                std::fs::read(out.join("jobs.parquet")).expect("readable"),
                std::fs::read(out.join("timeline.parquet")).ok(),
            ));
        }
        assert!(files[0].0 == files[1].0, "{}: summary.json differs", path.display());
        assert!(files[0].1 == files[1].1, "{}: jobs.parquet differs", path.display());
        assert!(files[0].2 == files[1].2, "{}: timeline.parquet differs", path.display());
    }
}

#[test]
fn the_seed_changes_a_synthetic_run() {
    let path = tests::workspace_root().join("scenarios/quickstart.toml");
    let digest = |seed: u64| {
        let loaded = Scenario::load(&path, &[format!("run.seed={seed}")]).expect("loads");
        run::run(&loaded, &mut |_| {}).expect("runs").summary.digest
    };
    assert_eq!(digest(1), digest(1));
    assert_ne!(digest(1), digest(2));
}
