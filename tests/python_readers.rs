//! The run outputs are readable as they are by the Python data stack: pyarrow reads
//! `jobs.parquet` and `timeline.parquet` of a cloud run and finds the documented columns and
//! types, and the costs in `jobs.parquet` plus the idle cost add up to the summary's total.
//!
//! Needs `python3` with `pyarrow` (`.ci/run` installs it). Without it the test skips with a
//! notice, or fails under `SHARDCAST_REQUIRE_SHARED=1`, as the shared-data tests do.

use std::process::Command;

use sim::run;
use sim::scenario::Scenario;

const CHECK: &str = r#"
import json, sys
import pyarrow.parquet as pq
out = sys.argv[1]
jobs = pq.read_table(out + "/jobs.parquet")
summary = json.load(open(out + "/summary.json"))
names = jobs.schema.names
for c in ["job", "queue", "submit", "first_start", "start", "end", "wait_s", "end_state",
          "reason", "attempts", "shard", "provider", "region", "instance_type", "option",
          "cost_usd", "cost_micro_usd"]:
    assert c in names, c
assert str(jobs.schema.field("submit").type) == "timestamp[us, tz=UTC]", jobs.schema.field("submit").type
assert jobs.num_rows == summary["jobs"]["submitted"]
micro = sum(v for v in jobs.column("cost_micro_usd").to_pylist())
idle = round(summary["cost_usd"]["idle"] * 1e6)
total = round(summary["cost_usd"]["total"] * 1e6)
assert micro + idle == total, (micro, idle, total)
timeline = pq.read_table(out + "/timeline.parquet")
for c in ["at", "shard", "on_demand", "spot", "reserved", "booting", "vcpus_total",
          "vcpus_busy", "gpus_total", "gpus_busy", "queued", "running", "rate_usd_per_h"]:
    assert c in timeline.schema.names, c
assert timeline.num_rows > 0
print("ok", jobs.num_rows, timeline.num_rows)
"#;

#[test]
fn pyarrow_reads_the_run_outputs() {
    let has_pyarrow =
        Command::new("python3").args(["-c", "import pyarrow"]).status().is_ok_and(|s| s.success());
    if !has_pyarrow {
        assert!(
            std::env::var("SHARDCAST_REQUIRE_SHARED").as_deref() != Ok("1"),
            "python3 with pyarrow is required (SHARDCAST_REQUIRE_SHARED=1); pip install pyarrow"
        );
        eprintln!("skipped: python3 with pyarrow is not available");
        return;
    }
    let path = tests::workspace_root().join("scenarios/cloud-mixed-spot.toml");
    let loaded = Scenario::load(&path, &["workload.synthetic.jobs=400".into()]).expect("loads");
    let result = run::run(&loaded, &mut |_| {}).expect("runs");
    let dir = tempfile::tempdir().expect("a temp dir");
    result.write(dir.path()).expect("writes");
    let output = Command::new("python3")
        .args(["-c", CHECK, dir.path().to_str().expect("utf-8 path")])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "pyarrow check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
