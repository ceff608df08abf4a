//! Support code for the integration tests (see `main.rs`): where the workspace is, and how a
//! test finds the shared data it needs.

use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_owned()
}

/// `../shared/data/<relative>` beside the workspace, if it exists; skips with a notice, or
/// fails under `SHARDCAST_REQUIRE_SHARED=1` (see [`sim::shared_data::path`]).
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    sim::shared_data::path(relative)
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
