//! Where the shared real data lives: `../shared/data/` beside the workspace.
//!
//! Real traces and catalogs are read from there by tests and benchmarks, never copied into
//! the repository. A fresh clone may not have it: then a test skips with a printed notice,
//! unless `SHARDCAST_REQUIRE_SHARED=1` (as `.ci/run` sets), when absence is a failure.

use std::path::{Path, PathBuf};

/// `../shared/data/<relative>` beside the workspace if it exists; otherwise prints a notice
/// and returns `None`.
///
/// # Panics
///
/// When the file is absent and `SHARDCAST_REQUIRE_SHARED=1`: CI must not pass by skipping.
pub fn path(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(relative);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var("SHARDCAST_REQUIRE_SHARED").is_ok_and(|v| v == "1");
    assert!(!required, "{} is absent and SHARDCAST_REQUIRE_SHARED=1", path.display());
    eprintln!("skipped: {} is absent (a fresh clone without shared/)", path.display());
    None
}
