//! Synthetic workload generators. PLACEHOLDER so the crate compiles while the real generator
//! is written; this whole file is replaced.

use super::{Trace, TraceError};

/// Placeholder spec.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SynthSpec {}

/// Placeholder.
pub fn preset(name: &str) -> Result<SynthSpec, TraceError> {
    Err(TraceError::Usage(format!("no presets yet ({name})")))
}

/// Placeholder.
pub fn generate(_spec: &SynthSpec, _seed: u64, _n_jobs: usize) -> Result<Trace, TraceError> {
    Err(TraceError::Usage("no generator yet".into()))
}
