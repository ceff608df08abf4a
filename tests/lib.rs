//! Support code for the integration tests (see `main.rs`): where the workspace is, and how a
//! test finds the shared data it needs.

use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_owned()
}

/// `../shared/data/<relative>` beside the workspace, if it exists.
///
/// Absent (a fresh clone without `shared/`), the test should skip: this prints a notice and
/// returns `None`. With `SHARDCAST_REQUIRE_SHARED=1` (as `.ci/run` sets) absence is a failure.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = workspace_root().join("../shared/data").join(relative);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var("SHARDCAST_REQUIRE_SHARED").is_ok_and(|v| v == "1");
    assert!(!required, "{} is missing and SHARDCAST_REQUIRE_SHARED=1", path.display());
    eprintln!("skipped: {} is absent (a fresh clone without shared/)", path.display());
    None
}

/// Every scenario file bundled in `scenarios/`, sorted.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
}
