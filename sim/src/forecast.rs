//! Forecast experiments on a trace: build a demand series, backtest models on it, write the
//! scores and forecasts (`shardcast forecast`).
//!
//! The series is hourly, for one resource class (vCPU or GPU) and one measure (work submitted
//! or mean busy units), summed over every queue unless one queue is named, optionally without
//! its first hours ([`ForecastOptions::since`]). Each model is backtested with
//! [`engine::forecast::backtest()`] at the same origins (a horizon apart, or
//! [`BacktestConfig::step`] apart), so their rows compare.
//!
//! Outputs (in `--out DIR`):
//! - `metrics.csv` and `metrics.parquet`: one row per model and origin, columns `model`,
//!   `origin` (RFC 3339, UTC), `mase` (empty when undefined), `smape`, `pinball_50`,
//!   `pinball_70`, `coverage_90`;
//! - `forecasts.csv` and `forecasts.parquet`: one row per model, origin and hour: `model`,
//!   `origin`, `time`, `actual`, `forecast`, `q05`, `q70`, `q95`;
//! - `forecast-<model>.svg`: the latest origin's forecast against the actual, with the 90%
//!   band.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use engine::forecast::holt_winters::HoltWinters;
use engine::forecast::{
    BacktestConfig, Combine, DAY_HOURS, DecayingPercentile, Ensemble, ForecastError, Forecaster,
    HistoricMean, MeanProfile, Measure, OriginResult, Regression, ResourceClass, SeasonalNaive,
    SeriesBuilder, WEEK_HOURS, Zero, backtest,
};
use engine::{SimDuration, SimTime};

use crate::trace::Trace;

/// The models `shardcast forecast` knows, by their report names.
pub const MODEL_NAMES: &[&str] = &[
    "seasonal_naive_24",
    "seasonal_naive_168",
    "mean_profile_4w",
    "historic_mean",
    "zero",
    "holt_winters_168",
    "holt_winters_damped_168",
    "decaying_p50",
    "decaying_p50_24",
    "regression",
    "ensemble",
];

/// The members of `ensemble`, by report name: every model but the daily naive, `zero` (a
/// reference, not a forecast) and Holt-Winters, whose optimiser would make the ensemble's
/// inner backtests (and their conformal calibration) far slower than all the rest together.
pub const ENSEMBLE_MEMBERS: &[&str] = &[
    "seasonal_naive_168",
    "mean_profile_4w",
    "historic_mean",
    "decaying_p50",
    "decaying_p50_24",
    "regression",
];

/// The model called `name` (see [`MODEL_NAMES`]).
pub fn model(name: &str) -> Result<Box<dyn Forecaster>, ForecastRunError> {
    PredictorSpec::named(name)?.build()
}

/// A predictor and its parameters, as a scenario file names it (`[predictor]`), with every
/// period, window and half-life in hourly buckets. Unknown keys are errors; omitted
/// parameters take the defaults of the CLI's models.
///
/// ```toml
/// [predictor]
/// model = "ensemble"          # or seasonal_naive, mean_profile, historic_mean, zero,
///                             # holt_winters, decaying_percentile, regression
/// combine = "inverse_mae"     # or "best"
/// windows = 3
/// members = [
///   { model = "mean_profile", weeks = 4 },
///   { model = "decaying_percentile", percentile = 0.5, half_life = 168, profile_period = 24 },
///   { model = "regression", weeks = 8 },
/// ]
/// ```
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum PredictorSpec {
    /// [`SeasonalNaive`]: repeat the last `period` buckets.
    SeasonalNaive {
        /// Season length (168).
        #[serde(default = "week")]
        period: usize,
    },
    /// [`MeanProfile`]: position-in-season mean of the last `weeks` seasons.
    MeanProfile {
        /// Season length (168).
        #[serde(default = "week")]
        period: usize,
        /// Seasons averaged (4).
        #[serde(default = "four")]
        weeks: usize,
    },
    /// [`HistoricMean`]: the mean of all history.
    HistoricMean {},
    /// [`Zero`]: no demand (a reference for sparse series).
    Zero {},
    /// [`HoltWinters`]: additive, one season, parameters fitted on the history.
    HoltWinters {
        /// Season length (168).
        #[serde(default = "week")]
        period: usize,
        /// Damped trend (false).
        #[serde(default)]
        damped: bool,
    },
    /// [`DecayingPercentile`]: the percentile of an exponentially decaying histogram.
    DecayingPercentile {
        /// Strictly between 0 and 1 (0.5).
        #[serde(default = "half")]
        percentile: f64,
        /// Buckets after which a value's weight halves (168).
        #[serde(default = "week")]
        half_life: usize,
        /// One percentile per position modulo this (24: hour of day); absent: flat.
        #[serde(default)]
        profile_period: Option<usize>,
    },
    /// [`Regression`]: OLS on Fourier terms, seasonal lags, trend and rolling means.
    Regression {
        /// Weeks of training rows (8).
        #[serde(default = "eight")]
        weeks: usize,
        /// Harmonics of the daily cycle (3).
        #[serde(default = "three")]
        daily_harmonics: usize,
        /// Harmonics of the weekly cycle (3).
        #[serde(default = "three")]
        weekly_harmonics: usize,
        /// Ridge penalty per row on standardised coefficients (1e-6), at least 0.
        #[serde(default = "tiny_ridge")]
        ridge: f64,
    },
    /// [`Ensemble`]: members weighted by an inner backtest of the history.
    Ensemble {
        /// The members, in priority order (default: [`ENSEMBLE_MEMBERS`]). Not empty.
        #[serde(default = "default_members")]
        members: Vec<PredictorSpec>,
        /// Inner backtest windows (3), at least 1.
        #[serde(default = "three")]
        windows: usize,
        /// How scores become weights (inverse MAE).
        #[serde(default)]
        combine: CombineSpec,
    },
}

/// [`Combine`] as a scenario names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CombineSpec {
    /// Weights proportional to `1 / MAE`.
    #[default]
    InverseMae,
    /// All weight on the lowest MAE.
    Best,
}

const fn week() -> usize {
    WEEK_HOURS
}
const fn four() -> usize {
    4
}
const fn three() -> usize {
    3
}
const fn eight() -> usize {
    8
}
const fn half() -> f64 {
    0.5
}
const fn tiny_ridge() -> f64 {
    1e-6
}
fn default_members() -> Vec<PredictorSpec> {
    ENSEMBLE_MEMBERS.iter().map(|m| PredictorSpec::named(m).expect("known members")).collect()
}

impl Default for PredictorSpec {
    /// The CLI's `ensemble`.
    fn default() -> Self {
        PredictorSpec::Ensemble {
            members: default_members(),
            windows: 3,
            combine: CombineSpec::InverseMae,
        }
    }
}

impl PredictorSpec {
    /// The spec of the CLI model called `name` (see [`MODEL_NAMES`]).
    pub fn named(name: &str) -> Result<PredictorSpec, ForecastRunError> {
        use PredictorSpec as P;
        let decaying = |profile_period| P::DecayingPercentile {
            percentile: 0.5,
            half_life: WEEK_HOURS,
            profile_period,
        };
        Ok(match name {
            "seasonal_naive_24" => P::SeasonalNaive { period: DAY_HOURS },
            "seasonal_naive_168" => P::SeasonalNaive { period: WEEK_HOURS },
            "mean_profile_4w" => P::MeanProfile { period: WEEK_HOURS, weeks: 4 },
            "historic_mean" => P::HistoricMean {},
            "zero" => P::Zero {},
            "holt_winters_168" => P::HoltWinters { period: WEEK_HOURS, damped: false },
            "holt_winters_damped_168" => P::HoltWinters { period: WEEK_HOURS, damped: true },
            "decaying_p50" => decaying(None),
            "decaying_p50_24" => decaying(Some(DAY_HOURS)),
            "regression" => {
                P::Regression { weeks: 8, daily_harmonics: 3, weekly_harmonics: 3, ridge: 1e-6 }
            }
            "ensemble" => P::default(),
            _ => {
                return Err(ForecastRunError::Usage(format!(
                    "unknown model {name:?}; the models are {}",
                    MODEL_NAMES.join(", ")
                )));
            }
        })
    }

    /// Checks every parameter (and every member's): periods, windows, weeks and half-lives
    /// of at least 1, a percentile strictly between 0 and 1, a finite ridge of at least 0, a
    /// non-empty ensemble. The message names the model and parameter.
    pub fn validate(&self) -> Result<(), ForecastRunError> {
        let bad = |model: &str, what: &str| {
            Err(ForecastRunError::Usage(format!("predictor {model}: {what}")))
        };
        match self {
            PredictorSpec::SeasonalNaive { period } if *period == 0 => {
                bad("seasonal_naive", "period must be at least 1")
            }
            PredictorSpec::MeanProfile { period, weeks } if *period == 0 || *weeks == 0 => {
                bad("mean_profile", "period and weeks must be at least 1")
            }
            PredictorSpec::HoltWinters { period, .. } if *period == 0 => {
                bad("holt_winters", "period must be at least 1")
            }
            PredictorSpec::DecayingPercentile { percentile, half_life, profile_period } => {
                if !(*percentile > 0.0 && *percentile < 1.0) {
                    bad("decaying_percentile", "percentile must be strictly between 0 and 1")
                } else if *half_life == 0 || *profile_period == Some(0) {
                    bad("decaying_percentile", "half_life and profile_period must be at least 1")
                } else {
                    Ok(())
                }
            }
            PredictorSpec::Regression { weeks, ridge, .. } => {
                if *weeks == 0 {
                    bad("regression", "weeks must be at least 1")
                } else if !(ridge.is_finite() && *ridge >= 0.0) {
                    bad("regression", "ridge must be finite and at least 0")
                } else {
                    Ok(())
                }
            }
            PredictorSpec::Ensemble { members, windows, .. } => {
                if members.is_empty() {
                    bad("ensemble", "members must not be empty")
                } else if *windows == 0 {
                    bad("ensemble", "windows must be at least 1")
                } else {
                    members.iter().try_for_each(PredictorSpec::validate)
                }
            }
            _ => Ok(()),
        }
    }

    /// The forecaster, after [`validate`](PredictorSpec::validate).
    pub fn build(&self) -> Result<Box<dyn Forecaster>, ForecastRunError> {
        self.validate()?;
        Ok(match self {
            PredictorSpec::SeasonalNaive { period } => Box::new(SeasonalNaive { period: *period }),
            PredictorSpec::MeanProfile { period, weeks } => {
                Box::new(MeanProfile { period: *period, weeks: *weeks })
            }
            PredictorSpec::HistoricMean {} => Box::new(HistoricMean),
            PredictorSpec::Zero {} => Box::new(Zero),
            PredictorSpec::HoltWinters { period, damped } => {
                Box::new(HoltWinters { period: *period, damped: *damped })
            }
            PredictorSpec::DecayingPercentile { percentile, half_life, profile_period } => {
                Box::new(DecayingPercentile {
                    percentile: *percentile,
                    half_life: *half_life,
                    profile_period: *profile_period,
                })
            }
            PredictorSpec::Regression { weeks, daily_harmonics, weekly_harmonics, ridge } => {
                Box::new(Regression {
                    weeks: *weeks,
                    daily_harmonics: *daily_harmonics,
                    weekly_harmonics: *weekly_harmonics,
                    ridge: *ridge,
                })
            }
            PredictorSpec::Ensemble { members, windows, combine } => Box::new(Ensemble {
                members: members.iter().map(PredictorSpec::build).collect::<Result<_, _>>()?,
                windows: *windows,
                min_history: WEEK_HOURS,
                combine: match combine {
                    CombineSpec::InverseMae => Combine::InverseMae,
                    CombineSpec::Best => Combine::Best,
                },
            }),
        })
    }
}

/// What to forecast and how to score it.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastOptions {
    /// One queue by name, or all queues summed.
    pub queue: Option<String>,
    /// vCPU or GPU.
    pub resource: ResourceClass,
    /// Work submitted or busy units.
    pub measure: Measure,
    /// Report names of the models to backtest.
    pub models: Vec<String>,
    /// Origins (and their spacing), horizon and calibration windows, in hourly buckets.
    pub backtest: BacktestConfig,
    /// Hours to drop from the start of the series before backtesting (0: none), e.g.
    /// `115 × 24` for the Alibaba GPU trace, nearly empty before day 115.
    pub since: usize,
}

/// Why a forecast experiment failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForecastRunError {
    /// A bad option (unknown model or queue, malformed horizon).
    #[error("{0}")]
    Usage(String),
    /// The series is unsuitable for a model or the backtest (too short, non-finite).
    #[error("{model}: {source}")]
    Model {
        /// The model's report name.
        model: String,
        /// The engine's error.
        source: engine::forecast::ForecastError,
    },
    /// An output file could not be written.
    #[error("{path}: {message}")]
    Output {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// The backtest of one model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelResult {
    /// Report name.
    pub model: String,
    /// One result per origin, oldest first; empty if skipped.
    pub origins: Vec<OriginResult>,
    /// Why the model was not backtested: the series is too short for it (e.g. Holt-Winters
    /// needs two seasons of history before every calibration origin). `None`: it was.
    pub skipped: Option<String>,
}

/// A whole experiment: the series and every model's backtest.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastReport {
    /// What was forecast, for the table's title.
    pub title: String,
    /// Start of the series' first bucket.
    pub start: SimTime,
    /// Bucket length.
    pub bucket: SimDuration,
    /// Buckets in the series.
    pub buckets: usize,
    /// What a value counts, for axis labels (e.g. `vCPU-hours submitted per hour`).
    pub unit: String,
    /// Per model, in the order asked.
    pub models: Vec<ModelResult>,
}

/// Parse a horizon such as `168h`, `7d` or `1w` into hours.
pub fn parse_hours(text: &str) -> Result<usize, ForecastRunError> {
    let bad = || {
        ForecastRunError::Usage(format!(
            "horizon {text:?}: expected a whole number of hours, days or weeks, like 168h, 7d or 1w"
        ))
    };
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number.parse().map_err(|_| bad())?;
    let hours = match unit {
        "" | "h" => number,
        "d" => number.checked_mul(24).ok_or_else(bad)?,
        "w" => number.checked_mul(168).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if hours == 0 { Err(bad()) } else { Ok(hours) }
}

/// Build the series of `trace` described by `options` and backtest every model on it.
pub fn run(trace: &Trace, options: &ForecastOptions) -> Result<ForecastReport, ForecastRunError> {
    let queue_id = match &options.queue {
        None => None,
        Some(name) => Some(trace.queues.iter().position(|q| q == name).ok_or_else(|| {
            ForecastRunError::Usage(format!(
                "no queue {name:?} in the trace; its queues are {}",
                trace.queues.join(", ")
            ))
        })?),
    };
    let builder = SeriesBuilder::hourly();
    let all = builder
        .build(&trace.jobs, options.measure)
        .map_err(|source| ForecastRunError::Model { model: "series".into(), source })?;
    // Every series of one build shares a grid, so summing them is element-wise.
    let mut values: Vec<f64> = Vec::new();
    let mut start = SimTime::EPOCH;
    for ((queue, class), series) in &all {
        if *class != options.resource || queue_id.is_some_and(|q| q != queue.index()) {
            continue;
        }
        start = series.start;
        if values.is_empty() {
            values = series.values.clone();
        } else {
            for (total, v) in values.iter_mut().zip(&series.values) {
                *total += v;
            }
        }
    }
    if values.is_empty() {
        return Err(ForecastRunError::Usage(format!(
            "the trace has no {:?} demand{}",
            options.resource,
            options.queue.as_ref().map_or(String::new(), |q| format!(" in queue {q:?}"))
        )));
    }
    if options.since > 0 {
        if options.since >= values.len() {
            return Err(ForecastRunError::Usage(format!(
                "--since {} h: the series has only {} hourly buckets",
                options.since,
                values.len()
            )));
        }
        values.drain(..options.since);
        start = SimTime(start.0 + builder.bucket().0 * options.since as u64);
    }
    let config = options.backtest;
    let span = config.step.saturating_mul(config.origins.saturating_sub(1)) + config.horizon;
    if values.len() < span {
        return Err(ForecastRunError::Usage(format!(
            "the series has {} hourly buckets; {} origins {} h apart with a {} h horizon need {span}",
            values.len(),
            config.origins,
            config.step,
            config.horizon
        )));
    }
    let mut models = Vec::with_capacity(options.models.len());
    for name in &options.models {
        let forecaster = model(name)?;
        // A series too short for one model (not for the backtest itself) skips that model.
        let result = match backtest(forecaster.as_ref(), &values, options.backtest) {
            Ok(origins) => ModelResult { model: name.clone(), origins, skipped: None },
            Err(source @ ForecastError::HistoryTooShort { .. }) => ModelResult {
                model: name.clone(),
                origins: Vec::new(),
                skipped: Some(source.to_string()),
            },
            Err(source) => return Err(ForecastRunError::Model { model: name.clone(), source }),
        };
        models.push(result);
    }
    if models.iter().all(|m| m.skipped.is_some()) && !models.is_empty() {
        let first = &models[0];
        return Err(ForecastRunError::Usage(format!(
            "the series is too short for every model; {}: {}",
            first.model,
            first.skipped.as_deref().unwrap_or_default()
        )));
    }
    let source = Path::new(&trace.meta.source)
        .file_name()
        .map_or_else(|| trace.meta.source.clone(), |f| f.to_string_lossy().into_owned());
    let title = format!(
        "{source} {:?} {:?}, {}",
        options.resource,
        options.measure,
        options.queue.as_deref().unwrap_or("all queues")
    );
    let unit = match (options.resource, options.measure) {
        (ResourceClass::Vcpu, Measure::Submitted) => "vCPU-hours submitted per hour",
        (ResourceClass::Gpu, Measure::Submitted) => "GPU-hours submitted per hour",
        (ResourceClass::Vcpu, Measure::Busy) => "busy vCPUs (hourly mean)",
        (ResourceClass::Gpu, Measure::Busy) => "busy GPUs (hourly mean)",
    };
    Ok(ForecastReport {
        title,
        start,
        bucket: builder.bucket(),
        buckets: values.len(),
        unit: unit.to_owned(),
        models,
    })
}

fn rfc3339(t: SimTime) -> String {
    chrono::DateTime::from_timestamp_micros(t.0 as i64)
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

impl ForecastReport {
    fn time_of(&self, bucket: usize) -> SimTime {
        SimTime(self.start.0 + self.bucket.0 * bucket as u64)
    }

    /// Write `metrics.{csv,parquet}` and `forecasts.{csv,parquet}` into `dir` (created).
    pub fn write(&self, dir: &Path) -> Result<(), ForecastRunError> {
        let out_err = |path: &Path, e: &dyn fmt::Display| ForecastRunError::Output {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| out_err(dir, &e))?;
        let (mut model, mut origin, mut mase) = (Vec::new(), Vec::new(), Vec::new());
        let (mut smape, mut p50, mut p70, mut cov) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut f_cols: [Vec<f64>; 5] = Default::default();
        let (mut f_model, mut f_origin, mut f_time) = (Vec::new(), Vec::new(), Vec::new());
        for m in &self.models {
            for r in &m.origins {
                let at = rfc3339(self.time_of(r.origin));
                model.push(m.model.clone());
                origin.push(at.clone());
                mase.push(r.mase);
                smape.push(r.smape);
                p50.push(r.pinball_50);
                p70.push(r.pinball_70);
                cov.push(r.coverage_90);
                for step in 0..r.actual.len() {
                    f_model.push(m.model.clone());
                    f_origin.push(at.clone());
                    f_time.push(rfc3339(self.time_of(r.origin + step)));
                    let row =
                        [r.actual[step], r.forecast[step], r.q05[step], r.q70[step], r.q95[step]];
                    for (col, v) in f_cols.iter_mut().zip(row) {
                        col.push(v);
                    }
                }
            }
        }
        let metrics: Vec<(&str, ArrayRef)> = vec![
            ("model", Arc::new(StringArray::from(model))),
            ("origin", Arc::new(StringArray::from(origin))),
            ("mase", Arc::new(Float64Array::from(mase))),
            ("smape", Arc::new(Float64Array::from(smape))),
            ("pinball_50", Arc::new(Float64Array::from(p50))),
            ("pinball_70", Arc::new(Float64Array::from(p70))),
            ("coverage_90", Arc::new(Float64Array::from(cov))),
        ];
        let [actual, forecast, q05, q70, q95] = f_cols;
        let forecasts: Vec<(&str, ArrayRef)> = vec![
            ("model", Arc::new(StringArray::from(f_model))),
            ("origin", Arc::new(StringArray::from(f_origin))),
            ("time", Arc::new(StringArray::from(f_time))),
            ("actual", Arc::new(Float64Array::from(actual))),
            ("forecast", Arc::new(Float64Array::from(forecast))),
            ("q05", Arc::new(Float64Array::from(q05))),
            ("q70", Arc::new(Float64Array::from(q70))),
            ("q95", Arc::new(Float64Array::from(q95))),
        ];
        for (name, columns) in [("metrics", metrics), ("forecasts", forecasts)] {
            let batch = RecordBatch::try_from_iter(columns).map_err(|e| out_err(dir, &e))?;
            let path = dir.join(format!("{name}.parquet"));
            crate::table::write_parquet(&batch, &path).map_err(|e| out_err(&path, &e))?;
            let path = dir.join(format!("{name}.csv"));
            crate::table::write_csv(&batch, &path).map_err(|e| out_err(&path, &e))?;
        }
        // One figure per model: its latest origin, with the 90% band.
        for m in &self.models {
            let Some(last) = m.origins.last() else { continue };
            let path = dir.join(format!("forecast-{}.svg", m.model));
            let title =
                format!("{}: {} from {}", m.model, self.title, rfc3339(self.time_of(last.origin)));
            let figure = crate::plot::ForecastFigure {
                title: &title,
                y_label: &self.unit,
                actual: &last.actual,
                forecast: &last.forecast,
                lower: &last.q05,
                upper: &last.q95,
            };
            crate::plot::forecast_svg(&path, &figure).map_err(|e| out_err(&path, &e))?;
        }
        Ok(())
    }
}

impl fmt::Display for ForecastReport {
    /// Mean score per model over the origins.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} — {} hourly buckets from {}",
            self.title,
            self.buckets,
            rfc3339(self.start)
        )?;
        writeln!(
            f,
            "{:<24} {:>7} {:>8} {:>8} {:>11} {:>11} {:>11}",
            "model", "origins", "MASE", "sMAPE", "pinball_50", "pinball_70", "coverage_90"
        )?;
        for m in &self.models {
            if let Some(why) = &m.skipped {
                writeln!(f, "{:<24} skipped: {why}", m.model)?;
                continue;
            }
            let n = m.origins.len().max(1) as f64;
            let mean = |get: fn(&OriginResult) -> f64| m.origins.iter().map(get).sum::<f64>() / n;
            let defined: Vec<f64> = m.origins.iter().filter_map(|r| r.mase).collect();
            let mase = if defined.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.3}", defined.iter().sum::<f64>() / defined.len() as f64)
            };
            writeln!(
                f,
                "{:<24} {:>7} {:>8} {:>8.1} {:>11.3} {:>11.3} {:>11.3}",
                m.model,
                m.origins.len(),
                mase,
                mean(|r| r.smape),
                mean(|r| r.pinball_50),
                mean(|r| r.pinball_70),
                mean(|r| r.coverage_90),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::synth;

    #[test]
    fn horizons_parse() {
        assert_eq!(parse_hours("168h").unwrap(), 168);
        assert_eq!(parse_hours("7d").unwrap(), 168);
        assert_eq!(parse_hours("2w").unwrap(), 336);
        assert_eq!(parse_hours("24").unwrap(), 24);
        for bad in ["", "0h", "7x", "h", "-1d"] {
            assert!(parse_hours(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seasonal_workload_backtests_and_writes_files() {
        // 12 weeks of the seasonal HPC preset (~54 jobs/h → ~110k jobs): enough history for
        // 4 weekly origins with 2 calibration weeks each plus the 4-week profile.
        let trace = synth::generate(&synth::preset("hpc-seasonal").unwrap(), 1, 100_000).unwrap();
        let options = ForecastOptions {
            queue: None,
            resource: ResourceClass::Vcpu,
            measure: Measure::Busy,
            models: MODEL_NAMES.iter().map(|m| (*m).to_owned()).collect(),
            backtest: BacktestConfig { origins: 4, calibration: 2, ..BacktestConfig::default() },
            since: 0,
        };
        let report = run(&trace, &options).unwrap();
        let n_models = MODEL_NAMES.len();
        assert_eq!(report.models.len(), n_models);
        assert!(report.models.iter().all(|m| m.origins.len() == 4));
        let dir = tempfile::tempdir().unwrap();
        report.write(dir.path()).unwrap();
        let metrics = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
        assert!(metrics.starts_with("model,origin,mase,smape,pinball_50,pinball_70,coverage_90\n"));
        assert_eq!(metrics.lines().count(), 1 + n_models * 4);
        let forecasts = std::fs::read_to_string(dir.path().join("forecasts.csv")).unwrap();
        assert_eq!(forecasts.lines().count(), 1 + n_models * 4 * 168);
        assert!(dir.path().join("forecast-mean_profile_4w.svg").exists());
        let text = report.to_string();
        assert!(text.contains("seasonal_naive_168"), "{text}");
        // Unknown names are usage errors listing the valid ones.
        let bad = ForecastOptions { queue: Some("nope".into()), ..options.clone() };
        assert!(run(&trace, &bad).unwrap_err().to_string().contains("short"));
        let bad = ForecastOptions { models: vec!["prophet".into()], ..options };
        assert!(run(&trace, &bad).unwrap_err().to_string().contains("historic_mean"));
    }

    #[test]
    fn predictor_specs_parse_with_defaults_and_build() {
        let spec: PredictorSpec = toml::from_str("model = \"regression\"\nweeks = 6").unwrap();
        assert_eq!(
            spec,
            PredictorSpec::Regression {
                weeks: 6,
                daily_harmonics: 3,
                weekly_harmonics: 3,
                ridge: 1e-6
            }
        );
        assert_eq!(spec.build().unwrap().name(), "Regression6w");
        let spec: PredictorSpec = toml::from_str(
            r#"
            model = "ensemble"
            combine = "best"
            members = [
                { model = "mean_profile", weeks = 2 },
                { model = "decaying_percentile", percentile = 0.7, profile_period = 24 },
                { model = "seasonal_naive" },
                { model = "zero" },
            ]
            "#,
        )
        .unwrap();
        assert_eq!(
            spec.build().unwrap().name(),
            "EnsembleBest[MeanProfile168x2,DecayingP70h168x24,SeasonalNaive168,Zero]"
        );
        let spec: PredictorSpec = toml::from_str("model = \"ensemble\"").unwrap();
        assert_eq!(spec, PredictorSpec::default());
        // Every CLI name is a spec, and builds the model the CLI runs; specs round-trip.
        for name in MODEL_NAMES {
            let spec = PredictorSpec::named(name).unwrap();
            spec.build().unwrap();
            let text = toml::to_string(&spec).unwrap();
            assert_eq!(toml::from_str::<PredictorSpec>(&text).unwrap(), spec, "{text}");
        }
    }

    #[test]
    fn predictor_specs_reject_unknown_keys_and_bad_values() {
        for text in [
            "model = \"prophet\"",
            "model = \"regression\"\nweek = 6",
            "model = \"zero\"\nperiod = 3",
            "model = \"ensemble\"\nmembers = [{ model = \"zero\", weeks = 1 }]",
            "weeks = 6",
        ] {
            assert!(toml::from_str::<PredictorSpec>(text).is_err(), "{text}");
        }
        for text in [
            "model = \"seasonal_naive\"\nperiod = 0",
            "model = \"mean_profile\"\nweeks = 0",
            "model = \"holt_winters\"\nperiod = 0",
            "model = \"decaying_percentile\"\npercentile = 1.0",
            "model = \"decaying_percentile\"\nhalf_life = 0",
            "model = \"regression\"\nridge = -1.0",
            "model = \"ensemble\"\nmembers = []",
            "model = \"ensemble\"\nwindows = 0",
            "model = \"ensemble\"\nmembers = [{ model = \"mean_profile\", period = 0 }]",
        ] {
            let spec: PredictorSpec = toml::from_str(text).unwrap();
            let err = spec.build().err().expect(text).to_string();
            assert!(err.starts_with("predictor "), "{text}: {err}");
        }
    }

    #[test]
    fn models_too_short_for_the_series_are_skipped_not_fatal() {
        // About two weeks of a synthetic series: Holt-Winters needs two weeks of history
        // before an origin and is skipped; the historic mean is backtested.
        let trace = synth::generate(&synth::preset("hpc-seasonal").unwrap(), 1, 15_000).unwrap();
        let options = ForecastOptions {
            queue: None,
            resource: ResourceClass::Vcpu,
            measure: Measure::Submitted,
            models: vec!["historic_mean".into(), "holt_winters_168".into()],
            backtest: BacktestConfig {
                horizon: 24,
                origins: 2,
                step: 24,
                calibration: 1,
                ..BacktestConfig::default()
            },
            since: 0,
        };
        let report = run(&trace, &options).unwrap();
        assert!(report.buckets < 2 * 168 + 48, "{} buckets", report.buckets);
        assert_eq!(report.models[0].skipped, None);
        assert!(report.models[1].skipped.as_deref().unwrap().contains("HoltWinters168"));
        assert!(report.models[1].origins.is_empty());
        assert!(report.to_string().contains("holt_winters_168         skipped: "));
        // Every model skipped is an error.
        let all_short = ForecastOptions { models: vec!["holt_winters_168".into()], ..options };
        assert!(run(&trace, &all_short).unwrap_err().to_string().contains("too short"));
    }
}
