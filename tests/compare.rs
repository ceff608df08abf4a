//! `sim::compare` on real run folders: grouping, means and 95% CIs against the summaries by
//! hand, deterministic outputs, and clear errors for bad input.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sim::compare::{self, CompareError, Estimate, GroupBy, Metric};
use sim::run;
use sim::scenario::Scenario;

/// t(0.975, 2), from tables.
const T_2: f64 = 4.302_652_729_911_275;

/// Runs `scenario` with `sets` and writes its folder at `dir`.
fn run_into(scenario: &str, sets: &[&str], dir: &Path) -> PathBuf {
    let path = tests::workspace_root().join("scenarios").join(scenario);
    let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
    let loaded = Scenario::load(&path, &sets).expect("the scenario loads");
    let result = run::run(&loaded, &mut |_| {}).expect("the scenario runs");
    result.write(dir).expect("the report is written");
    dir.to_path_buf()
}

/// Small mixed-spot runs, seeds 1 to 3: the scenario's own policy (cheapest single cloud),
/// and the same with the on-demand baseline.
fn mixed_runs(root: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut spot, mut on_demand) = (Vec::new(), Vec::new());
    for seed in 1..=3 {
        let seed_set = format!("run.seed={seed}");
        let base = ["workload.synthetic.jobs=300", seed_set.as_str()];
        spot.push(run_into("cloud-mixed-spot.toml", &base, &root.join(format!("spot-{seed}"))));
        let od = [base[0], base[1], "policy.baseline.kind=\"on-demand\""];
        on_demand.push(run_into("cloud-mixed-spot.toml", &od, &root.join(format!("od-{seed}"))));
    }
    (spot, on_demand)
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn num(v: &Value, path: &str) -> f64 {
    path.split('.').fold(v, |v, k| &v[k]).as_f64().unwrap_or_else(|| panic!("{path}"))
}

/// Mean and CI half-width of three values, by hand.
fn by_hand(values: [f64; 3]) -> (f64, f64) {
    let mean = (values[0] + values[1] + values[2]) / 3.0;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0;
    (mean, T_2 * var.sqrt() / 3f64.sqrt())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_confidence_interval_of_one_two_three() {
    // Mean 2, s = 1, t(0.975, 2) = 4.303, half-width 4.303 / √3 = 2.484.
    let e = Estimate::of(&[1.0, 2.0, 3.0]).unwrap();
    assert_eq!((e.n, e.mean, e.std_dev), (3, 2.0, Some(1.0)));
    assert!((e.half_width.unwrap() - 2.484).abs() < 5e-4, "{e:?}");
    assert!((compare::t_975(2) - T_2).abs() < 1e-9);
    let (low, high) = e.interval().unwrap();
    assert!((low + 0.484).abs() < 5e-4 && (high - 4.484).abs() < 5e-4);
}

#[test]
fn runs_group_by_policy_with_means_and_intervals_of_their_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let (spot, on_demand) = mixed_runs(dir.path());
    // The on-demand runs first, and one of them given last: groups keep the order their first
    // run was given in; runs within a group are ordered by seed.
    let mut given = vec![on_demand[1].clone(), on_demand[2].clone()];
    given.extend(spot.iter().cloned());
    given.push(on_demand[0].clone());
    let cmp = compare::compare(&given, GroupBy::Policy).unwrap();
    let keys: Vec<&str> = cmp.groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["on_demand", "cheapest_single_cloud"]);
    for (group, dirs) in cmp.groups.iter().zip([&on_demand, &spot]) {
        assert_eq!(group.seeds(), [1, 2, 3]);
        let s: Vec<Value> = dirs.iter().map(|d| summary(d)).collect();
        let each = |f: &dyn Fn(&Value) -> f64| [f(&s[0]), f(&s[1]), f(&s[2])];
        let expected = [
            (Metric::CostTotal, each(&|v| num(v, "cost_usd.total"))),
            (
                Metric::CostPerCompletedJob,
                each(&|v| num(v, "cost_usd.total") / num(v, "jobs.completed")),
            ),
            (Metric::IdleShare, each(&|v| num(v, "cost_usd.idle") / num(v, "cost_usd.total"))),
            (Metric::WaitMean, each(&|v| num(v, "wait_s.mean"))),
            (Metric::WaitP95, each(&|v| num(v, "wait_s.p95"))),
            (Metric::SlaAttained, each(&|v| num(v, "sla.attained"))),
            (Metric::JobsCompleted, each(&|v| num(v, "jobs.completed"))),
            (Metric::JobsFailed, each(&|v| num(v, "jobs.failed"))),
            (Metric::JobsRejected, each(&|v| num(v, "jobs.rejected"))),
        ];
        for (metric, values) in expected {
            let e = group.estimate(metric).unwrap();
            let (mean, half) = by_hand(values);
            assert_eq!(e.n, 3);
            assert!(close(e.mean, mean), "{} {metric:?}: {} vs {mean}", group.key, e.mean);
            assert!(
                close(e.half_width.unwrap(), half),
                "{} {metric:?}: {e:?} vs {half}",
                group.key
            );
        }
        // Neither policy reserves anything, and no run asked for the oracle.
        assert_eq!(group.estimate(Metric::ReservedUtilisation), None);
        assert_eq!(group.estimate(Metric::CostRatioToOracle), None);
    }
    let table = cmp.to_string();
    assert!(table.contains("on_demand") && table.contains("3 (1, 2, 3)"), "{table}");
    assert!(table.contains(" ± "), "{table}");
    let reserved = table.lines().find(|l| l.starts_with("reserved utilisation")).unwrap();
    assert_eq!(reserved.matches('–').count(), 2, "{table}");
}

/// With `[report] oracle = true` the comparison carries each run's cost ratio to the oracle.
#[cfg(feature = "planner")]
#[test]
fn compare_shows_each_runs_cost_ratio_to_the_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<PathBuf> = (1..=2)
        .map(|seed| {
            let seed_set = format!("run.seed={seed}");
            let sets = ["workload.synthetic.jobs=300", seed_set.as_str(), "report.oracle=true"];
            run_into("cloud-mixed-spot.toml", &sets, &dir.path().join(format!("r{seed}")))
        })
        .collect();
    let ratios: Vec<f64> = runs.iter().map(|d| num(&summary(d), "cost_ratio_to_oracle")).collect();
    assert!(ratios.iter().all(|r| *r >= 1.0), "the oracle is a lower bound: {ratios:?}");
    // report.html shows the bound and the ratio too.
    let html = std::fs::read_to_string(runs[0].join("report.html")).unwrap();
    let row = format!("<th>cost ratio to oracle</th><td>{:.3}</td>", ratios[0]);
    assert!(html.contains(&row), "{row} not in report.html");
    let cmp = compare::compare(&runs, GroupBy::Policy).unwrap();
    let e = cmp.groups[0].estimate(Metric::CostRatioToOracle).unwrap();
    assert_eq!(e.n, 2);
    assert!(close(e.mean, (ratios[0] + ratios[1]) / 2.0), "{e:?} vs {ratios:?}");
    let table = cmp.to_string();
    assert!(table.lines().any(|l| l.starts_with("cost / oracle")), "{table}");
}

#[test]
fn outputs_are_deterministic_and_independent_of_the_order_within_a_group() {
    let dir = tempfile::tempdir().unwrap();
    let (spot, _) = mixed_runs(dir.path());
    let fixed =
        run_into("quickstart.toml", &["workload.synthetic.jobs=300"], &dir.path().join("fixed-1"));
    let mut given: Vec<PathBuf> = spot.iter().chain(std::iter::once(&fixed)).cloned().collect();
    let first = compare::compare(&given, GroupBy::Scenario).unwrap();
    let out_a = dir.path().join("out-a");
    let written = first.write(&out_a).unwrap();
    let names: Vec<String> = written
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "compare.csv",
            "compare.parquet",
            "runs.csv",
            "compare-cost.svg",
            "compare-cost.png",
            "compare-wait.svg",
            "compare-wait.png",
        ]
    );
    // The same runs, the group's runs given in another order: the same bytes.
    given[..3].reverse();
    let out_b = dir.path().join("out-b");
    compare::compare(&given, GroupBy::Scenario).unwrap().write(&out_b).unwrap();
    for name in &names {
        let a = std::fs::read(out_a.join(name)).unwrap();
        let b = std::fs::read(out_b.join(name)).unwrap();
        assert!(a == b, "{name} differs");
    }
    // The fixed platform has no cost: its cells are missing, in the table and in the CSV.
    let table = first.to_string();
    let cost = table.lines().find(|l| l.starts_with("cost (USD)")).unwrap();
    assert!(cost.trim_end().ends_with('–'), "{table}");
    let csv = std::fs::read_to_string(out_a.join("compare.csv")).unwrap();
    assert!(csv.starts_with("by,group,runs,seeds,metric,n,mean,std_dev,ci95_low,"), "{csv}");
    assert!(csv.contains("\nscenario,quickstart,1,1,cost_usd,0,,,,,\n"), "{csv}");
    assert!(csv.contains("\nscenario,quickstart,1,1,wait_mean_s,1,"), "{csv}");
    let parquet = std::fs::read(out_a.join("compare.parquet")).unwrap();
    assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));
    let svg = std::fs::read_to_string(out_a.join("compare-cost.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("cloud-mixed-spot"), "{}", &svg[..80]);
    assert!(!svg.contains(">quickstart<"), "a group without a cost has no bar");
    let png = std::fs::read(out_a.join("compare-cost.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
}

#[test]
fn bad_input_is_a_clear_error_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let (spot, on_demand) = mixed_runs(dir.path());
    let message = |paths: &[PathBuf], by: GroupBy| -> (CompareError, String) {
        let e = compare::compare(paths, by).unwrap_err();
        let text = e.to_string();
        (e, text)
    };

    let (e, _) = message(&[], GroupBy::Scenario);
    assert!(matches!(e, CompareError::NoRuns));

    let missing = dir.path().join("nope");
    let (_, text) = message(&[missing], GroupBy::Scenario);
    assert!(text.contains("nope: no such run folder"), "{text}");

    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (_, text) = message(&[empty], GroupBy::Scenario);
    assert!(text.contains("empty/summary.json: no such run folder or summary.json"), "{text}");

    let not_json = dir.path().join("jobs.json");
    std::fs::write(&not_json, "[1, 2]").unwrap();
    let (_, text) = message(std::slice::from_ref(&not_json), GroupBy::Scenario);
    assert!(text.contains("jobs.json: not a run summary"), "{text}");
    std::fs::write(&not_json, "{\"scenario\": \"x\"}").unwrap();
    let (_, text) = message(&[not_json], GroupBy::Scenario);
    assert!(text.contains("not a run summary (no `seed`)"), "{text}");

    // A field of the wrong type.
    let bad = dir.path().join("bad");
    let mut s = summary(&spot[0]);
    s["cost_usd"]["total"] = Value::String("12.5".into());
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("summary.json"), s.to_string()).unwrap();
    let (_, text) = message(&[bad], GroupBy::Scenario);
    assert!(
        text.contains(
            "bad/summary.json: field `cost_usd.total`: expected a number, found the string \"12.5\""
        ),
        "{text}"
    );

    // Mixed schema in a group: one run without its cost.
    let no_cost = dir.path().join("no-cost");
    let mut s = summary(&spot[1]);
    s.as_object_mut().unwrap().remove("cost_usd");
    std::fs::create_dir_all(&no_cost).unwrap();
    std::fs::write(no_cost.join("summary.json"), s.to_string()).unwrap();
    let (e, text) = message(&[spot[0].clone(), no_cost], GroupBy::Scenario);
    assert!(matches!(e, CompareError::Mixed(_)), "{text}");
    assert!(text.contains("differ in `cost_usd` (\"present\" vs \"absent\")"), "{text}");

    // Two policies under one scenario name: differ by more than the seed.
    let all: Vec<PathBuf> = spot.iter().chain(&on_demand).cloned().collect();
    let (_, text) = message(&all, GroupBy::Scenario);
    assert!(text.contains("`platform.policy`") && text.contains("--by policy"), "{text}");

    // The same seed twice.
    let (e, text) = message(&[spot[0].clone(), spot[0].join("summary.json")], GroupBy::Policy);
    assert!(matches!(e, CompareError::DuplicateSeed { seed: 1, .. }), "{text}");
    assert!(text.contains("(the same run)"), "{text}");

    // --by policy with a fixed-platform run.
    let fixed =
        run_into("quickstart.toml", &["workload.synthetic.jobs=200"], &dir.path().join("fixed"));
    let (_, text) = message(&[fixed], GroupBy::Policy);
    assert!(text.contains("fixed/summary.json: field `cloud.policy` is missing"), "{text}");
}
