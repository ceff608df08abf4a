//! The `shardcast` binary end to end: help text, exit codes, error messages, outputs.
//!
//! Lives in `sim` (not the `tests` package) because Cargo gives the binary's path only to the
//! integration tests of the package that builds it.

use std::path::Path;
use std::process::{Command, Output};

fn shardcast(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shardcast"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_command_has_help_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["run"][..],
        &["trace", "import"],
        &["trace", "stats"],
        &["trace", "gen"],
        &["forecast"],
        &["sweep"],
        &["merge"],
        &["compare"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let out = shardcast(&args, dir.path());
        assert!(out.status.success(), "{command:?} --help fails");
        assert!(text(&out.stdout).contains("Examples:"), "{command:?} --help has no examples");
    }
}

#[test]
fn a_missing_scenario_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = shardcast(&["run", "nope.toml"], dir.path());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.starts_with("error: nope.toml"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_malformed_trace_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.csv"), "submit,runtime\n1,2\n3,abc\n").unwrap();
    let out = shardcast(
        &["trace", "import", "--format", "csv", "bad.csv", "-o", "x.parquet"],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.csv:3"), "{err}");
    assert!(err.contains("runtime"), "{err}");
    assert!(!dir.path().join("x.parquet").exists(), "no output on failure");
}

#[test]
fn gen_stats_and_run_work_together() {
    let dir = tempfile::tempdir().unwrap();
    let out = shardcast(
        &["trace", "gen", "--preset", "tiny", "--seed", "3", "--jobs", "300", "-o", "t.parquet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = shardcast(&["trace", "stats", "--json", "t.parquet"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["jobs"], 300);

    std::fs::write(
        dir.path().join("s.toml"),
        "[run]\nseed = 3\n[workload]\ntrace = \"t.parquet\"\n[platform]\nkind = \"fixed\"\nmachines = 8\ncores_per_machine = 64\n",
    )
    .unwrap();
    let out = shardcast(&["run", "s.toml", "--set", "platform.machines=4"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("300 submitted"), "{}", text(&out.stdout));
    let summary = std::fs::read_to_string(dir.path().join("reports/s/3/summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["jobs"]["submitted"], 300);
    assert_eq!(summary["platform"]["machines"], 4);

    let out = shardcast(&["run", "s.toml", "--set", "platform.machnes=4"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("machnes"), "{}", text(&out.stderr));
}

#[test]
fn a_cloud_run_writes_its_reports_and_a_bad_catalog_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/cloud-mixed-spot.toml");
    let scenario = scenario.to_str().unwrap();
    let out = shardcast(&["run", scenario, "--out", "out"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cost (USD)"));
    assert!(dir.path().join("out/summary.json").is_file());
    assert!(dir.path().join("out/jobs.parquet").is_file());
    assert!(dir.path().join("out/timeline.parquet").is_file());
    for figure in ["cost", "capacity", "waits"] {
        let svg = std::fs::read_to_string(dir.path().join(format!("out/{figure}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{figure}.svg");
        let png = std::fs::read(dir.path().join(format!("out/{figure}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{figure}.png");
    }
    // report.html: self-contained (figures inlined, nothing fetched), with the scenario.
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("cost by purchase option") && html.contains("wait-time CDF"));
    assert!(html.contains("kind = &quot;cheapest-single-cloud&quot;"), "the scenario text");
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"));
    let out = shardcast(&["run", scenario, "--set", "platform.catalog=nope.toml"], dir.path());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("platform.catalog: ") && err.contains("nope.toml"), "{err}");
    assert_eq!(err.matches("cannot read the catalog").count(), 1, "{err}");
}

#[test]
fn a_sweep_in_parts_merges_into_the_whole_sweep() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "[run]\nseed = 3\n[workload.synthetic]\npreset = \"tiny\"\njobs = 100\n[platform]\n\
         kind = \"fixed\"\nmachines = 4\ncores_per_machine = 64\n\
         [sweep]\n\"run.seed\" = [1, 2, 3]\n\"platform.machines\" = { from = 2, to = 4, step = 2 }\n",
    )
    .unwrap();
    let out = shardcast(&["sweep", "s.toml", "--threads", "2"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("wrote 6 of 6 points"), "{}", text(&out.stdout));
    let whole = std::fs::read(dir.path().join("reports/s/sweep/results.parquet")).unwrap();
    for part in ["1/2", "2/2"] {
        let out = shardcast(&["sweep", "s.toml", "--part", part, "--out", "parts"], dir.path());
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = shardcast(&["merge", "parts", "-o", "merged.parquet"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(dir.path().join("merged.parquet")).unwrap(), whole);

    let out =
        shardcast(&["merge", "parts/results-part-1-of-2.parquet", "-o", "m.parquet"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("3 of 6 points missing"), "{}", text(&out.stderr));
    let out = shardcast(&["sweep", "s.toml", "--part", "3/2"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("expected i/N"), "{}", text(&out.stderr));
    let out = shardcast(&["sweep", "s.toml", "--set", "platform.machnes=1"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("machnes"), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
}
