//! shardcast's one integration-test binary.
//!
//! - `architecture`: the dependency rules and the tidy rules of ARCHITECTURE.md;
//! - `catalog`: price-file importers, the bundled catalog and `shardcast catalog`;
//! - `cloud`: property tests of the cloud platform (no job lost, the bill adds up);
//! - `golden`: results that independent simulators agree on (`shared/data/golden/`);
//! - `oracle` (feature `planner`): the oracle is never above a policy's cost; the predictive
//!   policy end to end;
//! - `python_readers`: pyarrow reads the run outputs as they are;
//! - `compare`: `shardcast compare` on real run folders (grouping, means and CIs, errors);
//! - `determinism`: same scenario and seed, byte-identical outputs;
//! - `forecast`: backtests against the public forecasting anchors;
//! - `scenarios`: an insta snapshot of every bundled scenario's summary;
//! - `sweep`: parameter sweeps, identical at any thread count, parts merged into the whole;
//! - `traces`: importers against the real traces in `shared/data/traces/`.

mod architecture;
mod catalog;
mod cloud;
mod compare;
mod determinism;
mod forecast;
mod golden;
#[cfg(feature = "planner")]
mod oracle;
mod python_readers;
mod scenarios;
mod sweep;
mod traces;
