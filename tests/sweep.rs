//! Parameter sweeps (`sim::sweep`): the same `results.parquet` at any thread count, parts that
//! merge into exactly the whole, and bad `[sweep]` tables rejected with the key named.

use std::path::{Path, PathBuf};

use sim::sweep::results::{merge, part_files};
use sim::sweep::{self, Part, Results, Sweep};
use tests::workspace_root;

/// The bundled `cloud-mixed-spot` scenario cut to 300 jobs, its catalog path made absolute,
/// with `sweep` appended; written into `dir`.
fn cloud_scenario(dir: &Path, sweep: &str) -> PathBuf {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("scenarios/cloud-mixed-spot.toml")).unwrap();
    let catalog = root.join("scenarios/catalogs/bundled.toml");
    let text = text.replace("jobs = 3000", "jobs = 300").replace(
        "catalog = \"catalogs/bundled.toml\"",
        &format!("catalog = {:?}", catalog.to_str().unwrap()),
    );
    assert!(text.contains("jobs = 300\n"), "the bundled scenario changed; update this test");
    let path = dir.join("mixed-sweep.toml");
    std::fs::write(&path, format!("{text}\n{sweep}")).unwrap();
    path
}

/// A small fixed-platform scenario with `sweep` appended; written into `dir` as `name`.
fn fixed_scenario(dir: &Path, name: &str, sweep: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "[run]\nseed = 1\n[workload.synthetic]\npreset = \"tiny\"\njobs = 200\n[platform]\n\
             kind = \"fixed\"\nmachines = 4\ncores_per_machine = 64\n{sweep}"
        ),
    )
    .unwrap();
    path
}

const SEEDS_BY_POLICY: &str = "[sweep]\n\"run.seed\" = [1, 2]\n\
                               \"policy.baseline.kind\" = [\"on-demand\", \"cheapest-single-cloud\"]\n";

fn run_all(plan: &Sweep, part: Option<Part>, threads: usize) -> Results {
    sweep::run(plan, part, threads, &|| {}).unwrap()
}

#[test]
fn a_sweep_writes_the_same_bytes_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Sweep::load(&cloud_scenario(dir.path(), SEEDS_BY_POLICY), &[]).unwrap();
    assert_eq!(plan.keys(), ["policy.baseline.kind", "run.seed"]);
    let one = run_all(&plan, None, 1);
    let two = run_all(&plan, None, 2);
    assert_eq!(one, two);
    let (a, b) = (dir.path().join("t1/results.parquet"), dir.path().join("t2/results.parquet"));
    one.write(&a).unwrap();
    two.write(&b).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());

    // Keys sorted, values in the order given, the last key fastest.
    let params: Vec<Vec<String>> = one.rows.iter().map(|r| r.params.clone()).collect();
    let expected = [
        ["on-demand", "1"],
        ["on-demand", "2"],
        ["cheapest-single-cloud", "1"],
        ["cheapest-single-cloud", "2"],
    ];
    assert_eq!(params, expected.map(|p| p.map(String::from).to_vec()));
    assert_eq!(one.rows.iter().map(|r| r.seed).collect::<Vec<_>>(), [1, 2, 1, 2]);
    for row in &one.rows {
        assert_eq!(row.counts[0], 300, "every point replays the 300 jobs");
        assert!(row.float("cost_total_usd").is_some_and(|c| c > 0.0), "a cloud run costs");
    }
    // The file reads back as written.
    assert_eq!(Results::read(&a).unwrap(), one);
}

#[test]
fn parts_merge_into_exactly_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Sweep::load(&cloud_scenario(dir.path(), SEEDS_BY_POLICY), &[]).unwrap();
    let whole_path = dir.path().join("whole/results.parquet");
    run_all(&plan, None, 2).write(&whole_path).unwrap();
    let whole = std::fs::read(&whole_path).unwrap();
    for count in [2, 3] {
        let parts_dir = dir.path().join(format!("parts-{count}"));
        for index in 1..=count {
            let part = Part { index, count };
            let results = run_all(&plan, Some(part), 1);
            assert!(results.rows.iter().all(|r| r.point as usize % count == index - 1));
            results.write(&parts_dir.join(Results::file_name(Some(part)))).unwrap();
        }
        let files = part_files(std::slice::from_ref(&parts_dir)).unwrap();
        assert_eq!(files.len(), count);
        let parts = files.iter().map(|f| (f.clone(), Results::read(f).unwrap())).collect();
        let merged_path = dir.path().join(format!("merged-{count}.parquet"));
        merge(parts).unwrap().write(&merged_path).unwrap();
        assert_eq!(std::fs::read(&merged_path).unwrap(), whole, "{count} parts");
    }
}

#[test]
fn merge_refuses_other_sweeps_and_missing_or_duplicate_points() {
    let dir = tempfile::tempdir().unwrap();
    let a = Sweep::load(
        &fixed_scenario(dir.path(), "a.toml", "[sweep]\n\"run.seed\" = [1, 2, 3]\n"),
        &[],
    )
    .unwrap();
    let b = Sweep::load(
        &fixed_scenario(dir.path(), "b.toml", "[sweep]\n\"run.seed\" = [1, 2, 4]\n"),
        &[],
    )
    .unwrap();
    assert_ne!(a.fingerprint, b.fingerprint);
    let part = |plan: &Sweep, index| {
        let part = Part { index, count: 2 };
        let path = dir.path().join(format!("{}-{index}.parquet", plan.name));
        run_all(plan, Some(part), 1).write(&path).unwrap();
        (path.clone(), Results::read(&path).unwrap())
    };
    let err = merge(vec![part(&a, 1)]).unwrap_err().to_string();
    assert!(err.contains("1 of 3 points missing (points 1)"), "{err}");
    let err = merge(vec![part(&a, 1), part(&a, 2), part(&a, 1)]).unwrap_err().to_string();
    assert!(err.contains("point 0 is in both"), "{err}");
    let err = merge(vec![part(&a, 1), part(&b, 2)]).unwrap_err().to_string();
    assert!(err.contains("different sweep"), "{err}");
    assert!(merge(vec![part(&a, 1), part(&a, 2)]).is_ok());
    // A file that is not a sweep's results is named.
    let stray = dir.path().join("stray.parquet");
    std::fs::write(&stray, b"not parquet").unwrap();
    let err = Results::read(&stray).unwrap_err().to_string();
    assert!(err.contains("stray.parquet"), "{err}");
}

#[test]
fn the_row_count_is_the_product_of_the_value_counts() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = "[sweep]\n\"run.seed\" = [5, 6]\n\"workload.limit\" = 150\n\
                 platform.machines = { from = 2, to = 7, step = 2 }\n";
    let plan = Sweep::load(&fixed_scenario(dir.path(), "p.toml", sweep), &[]).unwrap();
    assert_eq!(plan.keys(), ["platform.machines", "run.seed", "workload.limit"]);
    assert_eq!(plan.spec.len(), 3 * 2);
    let results = run_all(&plan, None, 2);
    assert_eq!(results.rows.len(), 6);
    let row = &results.rows[3];
    assert_eq!((row.point, row.seed), (3, 6));
    assert_eq!(row.params, ["4", "6", "150"]);
    assert_eq!(row.counts[0], 150, "workload.limit applies");
    assert_eq!(row.float("cost_total_usd"), None, "a fixed platform has no cost");
    assert!(row.float("utilisation").is_some());
    // Seeds differ, so do the digests; the same seed on more machines waits no longer.
    assert_ne!(results.rows[0].digest, results.rows[1].digest);
    let wait = |i: usize| results.rows[i].float("wait_mean_s").unwrap();
    assert!(wait(4) <= wait(0), "{} > {}", wait(4), wait(0));
}

#[test]
fn float_ranges_and_sets_before_the_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = "[sweep]\n\"policy.sla_wait_s\" = { from = 0.5, to = 1.0, step = 0.25 }\n";
    let path = fixed_scenario(dir.path(), "f.toml", sweep);
    let err = Sweep::load(&path, &[]).unwrap_err().to_string();
    // sla_wait_s is an integer field: the float is refused, naming the key.
    assert!(err.contains("sweep key `policy.sla_wait_s`"), "{err}");
    let spec = sweep::SweepSpec::from_table(
        &toml::from_str("x = { from = 0.5, to = 1.0, step = 0.25 }").unwrap(),
        &path,
    )
    .unwrap();
    assert_eq!(spec.len(), 3);
    assert_eq!(spec.params(2), ["1.0"]);
    let path = fixed_scenario(dir.path(), "s.toml", "[sweep]\n\"run.seed\" = [1, 2]\n");
    let plan = Sweep::load(&path, &["workload.synthetic.jobs=40".into()]).unwrap();
    let results = run_all(&plan, None, 1);
    assert!(results.rows.iter().all(|r| r.counts[0] == 40), "--set applies to every point");
    let other = Sweep::load(&path, &[]).unwrap();
    assert_ne!(plan.fingerprint, other.fingerprint, "the --set values are part of the sweep");
}

#[test]
fn bad_sweep_keys_and_ranges_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let load = |sweep: &str| {
        Sweep::load(&fixed_scenario(dir.path(), "bad.toml", sweep), &[])
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let cases = [
        ("\"run.sed\" = [1, 2]", "sweep key `run.sed`: value 1: unknown field `sed`"),
        ("\"platform.machines\" = [4, 0]", "sweep key `platform.machines`: value 0"),
        ("\"platform.machines\" = [4, \"many\"]", "sweep key `platform.machines`"),
        ("\"run.seed\" = []", "sweep key `run.seed`: the list of values is empty"),
        ("\"run.seed\" = { from = 1, to = 5, step = 0 }", "range `step` must be positive"),
        ("\"run.seed\" = { from = 5, to = 1 }", "range `from` (5) is after `to` (1)"),
        ("\"run.seed\" = { from = 1 }", "sweep key `run.seed`: a range needs both"),
        ("\"run.seed\" = { from = \"a\", to = 3 }", "range `from` must be a number"),
        ("\"run.seed\" = { from = 1, to = 2000000 }", "more than 1000000 values"),
        ("\"run..seed\" = 1", "the key has an empty part"),
        ("\"sweep.x\" = 1", "cannot sweep its own table"),
    ];
    for (sweep, expected) in cases {
        let err = load(&format!("[sweep]\n{sweep}\n"));
        assert!(err.contains(expected), "{sweep}: {err}");
        assert!(err.contains("bad.toml"), "{sweep}: the file is named: {err}");
    }
    let err = load("");
    assert!(err.contains("no [sweep] table"), "{err}");
    let err = load("[sweep]\na = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb = { from = 1, to = 200000 }\n");
    assert!(err.contains("more than"), "{err}");
    for bad in ["0/2", "3/2", "2", "a/b", "1/0"] {
        let err = bad.parse::<Part>().unwrap_err();
        assert!(err.contains("expected i/N"), "{bad}: {err}");
    }
    assert_eq!("2/8".parse::<Part>().unwrap(), Part { index: 2, count: 8 });
    let plan =
        Sweep::load(&fixed_scenario(dir.path(), "ok.toml", "[sweep]\n\"run.seed\" = 1\n"), &[])
            .unwrap();
    let err = sweep::run(&plan, None, 0, &|| {}).unwrap_err().to_string();
    assert!(err.contains("--threads"), "{err}");
}

/// With `[report] oracle = true`, each row carries its run's cost ratio to the oracle (a lower
/// bound, so at least 1), read back from `results.parquet` as written; without, it is null.
#[cfg(feature = "planner")]
#[test]
fn a_sweep_with_the_oracle_has_each_points_cost_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = "[sweep]\n\"report.oracle\" = [false, true]\n";
    let plan = Sweep::load(&cloud_scenario(dir.path(), sweep), &[]).unwrap();
    let path = dir.path().join("results.parquet");
    run_all(&plan, None, 2).write(&path).unwrap();
    let rows = Results::read(&path).unwrap().rows;
    assert_eq!(rows[0].float("cost_ratio_to_oracle"), None);
    let ratio = rows[1].float("cost_ratio_to_oracle").expect("the oracle ran");
    assert!(ratio >= 1.0, "{ratio}");
    // The same run (only the report differs): the same cost.
    assert_eq!(rows[0].float("cost_total_usd"), rows[1].float("cost_total_usd"));
}
