//! Synthetic workload generators.
