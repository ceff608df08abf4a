//! The shardcast lab: everything around the engine that a simulation needs.
//!
//! - [`catalog`]: price catalogs as files (load, save, merge, show) and the price-file importers;
//! - [`compare`]: runs side by side (`shardcast compare`), means and 95% CIs over seeds;
//! - [`cloud`]: the simulated clouds (supply, spot, reservations, discounts, faults, ledger)
//!   behind the engine's `Provider` port;
//! - [`forecast`]: forecast experiments (demand series, backtests, scores) on a trace;
//! - [`kernel`]: the discrete-event core (event queue, named RNG streams, event log);
//! - [`trace`]: job traces (canonical schema, Parquet, importers, generators);
//! - [`plot`]: figures (SVG, plotters);
//! - [`platform`]: the simulated platforms jobs run on (so far the fixed cluster);
//! - [`scenario`]: scenario files (TOML), validated, with `--set` overrides;
//! - [`report`]: what a run writes (`summary.json`) and prints;
//! - [`run`]: one scenario run, from file to report;
//! - [`table`]: output tables as Parquet and CSV;
//! - [`sweep`]: parameter sweeps (`[sweep]`), run in parallel, parts and their merge
//!   (`results.parquet`);
//! - [`shared_data`]: where tests and benchmarks find the real traces and catalogs.
//!
//! The `shardcast` binary (`src/main.rs`) is a thin clap layer over these.

pub mod catalog;
pub mod cloud;
pub mod compare;
pub mod forecast;
pub mod kernel;
#[cfg(feature = "planner")]
pub mod oracle;
#[cfg(feature = "planner")]
pub mod plan;
pub mod platform;
pub mod plot;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shared_data;
pub mod slurm;
pub mod sweep;
pub mod table;
pub mod trace;
