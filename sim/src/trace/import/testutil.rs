//! Test helpers: locating the shared real traces (skipping politely when they are absent).

use std::io::Read;
use std::path::{Path, PathBuf};

/// The shared data file `relative` (under `shared/data/`); see [`crate::shared_data::path`].
pub(crate) fn shared_path(relative: &str) -> Option<PathBuf> {
    crate::shared_data::path(relative)
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
