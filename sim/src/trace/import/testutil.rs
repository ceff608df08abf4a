//! Test helpers: locating the shared real traces (skipping politely when they are absent).

use std::io::Read;
use std::path::{Path, PathBuf};

/// The shared data file `relative` (under `shared/data/`), or `None` after printing a notice
/// when it is absent. Panics when absent and `SHARDCAST_REQUIRE_SHARED=1`.
pub(crate) fn shared_path(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(relative);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("SHARDCAST_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!("{} is absent and SHARDCAST_REQUIRE_SHARED=1", path.display());
    }
    eprintln!("skipping: shared data file {} is absent", path.display());
    None
}

/// The text of a (possibly gzipped) file.
pub(crate) fn shared_gz_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}
