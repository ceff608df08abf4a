//! The Workload Prediction Engine: demand series, forecasters, calibrated quantiles,
//! backtests and accuracy metrics.
//!
//! - [`series`]: turns a trace's [`Job`](crate::Job)s into evenly bucketed [`DemandSeries`],
//!   one per (queue, [`ResourceClass`]), measuring either work submitted or mean busy units
//!   ([`Measure`]).
//! - [`model`]: the [`Forecaster`] trait and the baselines: [`SeasonalNaive`] (daily and
//!   weekly), [`MeanProfile`] (hour-of-week mean of the last `k` weeks), [`HistoricMean`] and
//!   [`Zero`] (the floor of absolute-error scores on sparse series).
//! - [`holt_winters`]: additive Holt-Winters (optionally damped), its smoothing parameters
//!   fitted by a deterministic Nelder–Mead.
//! - [`decaying`]: [`DecayingPercentile`], the Autopilot-style exponentially decaying
//!   histogram percentile (flat or per hour of day).
//! - [`regression`]: [`Regression`], OLS (linfa-linear) on Fourier terms, seasonal lags,
//!   trend and rolling means.
//! - [`ensemble`]: [`Ensemble`], members weighted by inverse MAE (or the best picked) on an
//!   inner backtest of the history.
//! - [`metrics`]: [`mae`], [`mase`], [`smape`], [`pinball`], [`coverage`] and [`crps_approx`],
//!   with the definitions of `shared/reference/cloud-products.md` §2.2.
//! - [`conformal`]: split-conformal quantiles per horizon step from past residuals, any level
//!   (e.g. a reservation's critical ratio), and quantile-path scenarios for a stochastic
//!   planner.
//! - [`backtest`](mod@backtest): rolling-origin backtests, each origin's quantiles calibrated
//!   per horizon step on daily origins before it.
//! - [`error`]: [`ForecastError`]; bad input is an error, never a panic.
//!
//! **Reading the scores.** On sparse hourly demand (HPC2N is idle 60% of the hours) the median
//! hour is 0, and MASE, an absolute error, rewards the median: the [`Zero`] forecast scores as
//! well as any median-type model there. Compare models against it too, and read the pinball
//! loss at the planner's quantile and the interval coverage, not MASE alone.
//!
//! Like the rest of the engine, the module is sans-IO and deterministic: series sums are exact
//! integers until the last step, and models and metrics sum in a fixed order, so the same input
//! gives the same `f64`s bit for bit. f64 is used only here, inside models and metrics.

pub mod backtest;
pub mod conformal;
pub mod decaying;
pub mod ensemble;
pub mod error;
pub mod holt_winters;
pub mod metrics;
pub mod model;
pub mod regression;
pub mod series;

pub use backtest::{BacktestConfig, OriginResult, backtest};
pub use decaying::DecayingPercentile;
pub use ensemble::{Combine, Ensemble};
pub use error::ForecastError;
pub use metrics::{coverage, crps_approx, mae, mase, pinball, smape};
pub use model::{
    DAY_HOURS, Forecaster, HistoricMean, MeanProfile, SeasonalNaive, WEEK_HOURS, Zero,
};
pub use regression::Regression;
pub use series::{DemandSeries, MAX_BUCKETS, Measure, ResourceClass, SeriesBuilder, SeriesKey};
