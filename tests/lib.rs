//! Support code for the integration tests (see `main.rs`).
