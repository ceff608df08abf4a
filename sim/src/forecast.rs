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
    BacktestConfig, DecayingPercentile, Ensemble, Forecaster, HistoricMean, MeanProfile, Measure,
    OriginResult, Regression, ResourceClass, SeasonalNaive, SeriesBuilder, WEEK_HOURS, backtest,
};
use engine::{SimDuration, SimTime};
use parquet::arrow::ArrowWriter;

use crate::trace::Trace;

/// The models `shardcast forecast` knows, by their report names.
pub const MODEL_NAMES: &[&str] = &[
    "seasonal_naive_24",
    "seasonal_naive_168",
    "mean_profile_4w",
    "historic_mean",
    "holt_winters_168",
    "holt_winters_damped_168",
    "decaying_p50",
    "decaying_p50_24",
    "regression",
    "ensemble",
];

/// The members of `ensemble`, by report name: every model but the daily naive and
/// Holt-Winters, whose optimiser would make the ensemble's inner backtests (and their
/// conformal calibration) far slower than all the rest together.
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
    Ok(match name {
        "seasonal_naive_24" => Box::new(SeasonalNaive::daily()),
        "seasonal_naive_168" => Box::new(SeasonalNaive::weekly()),
        "mean_profile_4w" => Box::new(MeanProfile::weekly(4)),
        "historic_mean" => Box::new(HistoricMean),
        "holt_winters_168" => Box::new(HoltWinters { period: WEEK_HOURS, damped: false }),
        "holt_winters_damped_168" => Box::new(HoltWinters { period: WEEK_HOURS, damped: true }),
        "decaying_p50" => Box::new(DecayingPercentile::median_weekly_half_life()),
        "decaying_p50_24" => Box::new(DecayingPercentile::median_weekly_half_life_by_hour()),
        "regression" => Box::new(Regression::default()),
        "ensemble" => Box::new(Ensemble::new(
            ENSEMBLE_MEMBERS.iter().map(|m| model(m)).collect::<Result<Vec<_>, _>>()?,
        )),
        _ => {
            return Err(ForecastRunError::Usage(format!(
                "unknown model {name:?}; the models are {}",
                MODEL_NAMES.join(", ")
            )));
        }
    })
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
    /// One result per origin, oldest first.
    pub origins: Vec<OriginResult>,
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
    let mut models = Vec::with_capacity(options.models.len());
    for name in &options.models {
        let forecaster = model(name)?;
        let origins = backtest(forecaster.as_ref(), &values, options.backtest)
            .map_err(|source| ForecastRunError::Model { model: name.clone(), source })?;
        models.push(ModelResult { model: name.clone(), origins });
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
            let file = std::fs::File::create(&path).map_err(|e| out_err(&path, &e))?;
            let mut writer =
                ArrowWriter::try_new(file, batch.schema(), None).map_err(|e| out_err(&path, &e))?;
            writer.write(&batch).map_err(|e| out_err(&path, &e))?;
            writer.close().map_err(|e| out_err(&path, &e))?;
            let path = dir.join(format!("{name}.csv"));
            write_csv(&batch, &path).map_err(|e| out_err(&path, &e))?;
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

/// A record batch of strings and floats as CSV; nulls are empty cells.
fn write_csv(batch: &RecordBatch, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut writer = csv::Writer::from_path(path)?;
    writer.write_record(batch.schema().fields().iter().map(|f| f.name().as_str()))?;
    for row in 0..batch.num_rows() {
        let mut record = Vec::with_capacity(batch.num_columns());
        for column in batch.columns() {
            let any = column.as_any();
            let cell = if column.is_null(row) {
                String::new()
            } else if let Some(s) = any.downcast_ref::<StringArray>() {
                s.value(row).to_owned()
            } else if let Some(f) = any.downcast_ref::<Float64Array>() {
                f.value(row).to_string()
            } else {
                return Err("unexpected column type".into());
            };
            record.push(cell);
        }
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
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
}
