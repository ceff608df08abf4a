//! Rolling-origin backtests: how a forecaster would have done, window after window.
//!
//! The test origins are `origins` consecutive, non-overlapping windows of `horizon` buckets
//! ending at the end of the series: origin `i` (0-based, oldest first) is at
//! `n − horizon·(origins − i)`. At each origin the model sees only the history before it.
//!
//! Quantiles come from the model's own past errors (split conformal, pooled over horizon
//! steps): before origin `o`, the model is also run at the `calibration` origins `o − horizon`,
//! `o − 2·horizon`, …, and the residuals `actual − forecast` of those windows, all steps
//! together, calibrate a [`ConformalQuantiles`] whose offset for quantile τ is the residual at
//! the finite-sample conformal rank `ceil((m + 1)·τ)` of the `m` sorted residuals (clamped to
//! `1..=m`). Quantile forecasts are clamped at zero, since demand is never negative.
//!
//! Metrics per origin (see [`super::metrics`]): MASE against the weekly seasonal naive's
//! in-sample error on the history, sMAPE, pinball at τ = 0.5 (of the point forecast) and
//! τ = 0.7, and the coverage of the central 90% interval.

use super::conformal::ConformalQuantiles;
use super::error::ForecastError;
use super::metrics::{coverage, mase, pinball, smape};
use super::model::{Forecaster, WEEK_HOURS};

/// How to place the origins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BacktestConfig {
    /// Buckets forecast at each origin (168: one week of hours).
    pub horizon: usize,
    /// Test origins.
    pub origins: usize,
    /// Earlier windows whose residuals calibrate the quantiles of each origin.
    pub calibration: usize,
    /// The season MASE is scaled by (168 for hourly series).
    pub season: usize,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig { horizon: WEEK_HOURS, origins: 8, calibration: 4, season: WEEK_HOURS }
    }
}

/// The forecast and scores of one origin.
#[derive(Clone, Debug, PartialEq)]
pub struct OriginResult {
    /// Index of the first forecast bucket.
    pub origin: usize,
    /// What happened.
    pub actual: Vec<f64>,
    /// The point forecast.
    pub forecast: Vec<f64>,
    /// The 5%, 70% and 95% quantile forecasts.
    pub q05: Vec<f64>,
    /// See `q05`.
    pub q70: Vec<f64>,
    /// See `q05`.
    pub q95: Vec<f64>,
    /// Mean absolute scaled error; `None` when the history repeats its season exactly, so the
    /// scale (the in-sample seasonal naive error) is zero and MASE is undefined.
    pub mase: Option<f64>,
    /// Symmetric MAPE, percent.
    pub smape: f64,
    /// Pinball loss of the point forecast at τ = 0.5.
    pub pinball_50: f64,
    /// Pinball loss of the 70% quantile.
    pub pinball_70: f64,
    /// Share of actuals inside [q05, q95].
    pub coverage_90: f64,
}

/// Backtest `model` on `series` (see the module docs).
pub fn backtest(
    model: &dyn Forecaster,
    series: &[f64],
    config: BacktestConfig,
) -> Result<Vec<OriginResult>, ForecastError> {
    let BacktestConfig { horizon, origins, calibration, season } = config;
    if horizon == 0 || origins == 0 || calibration == 0 {
        return Err(ForecastError::InvalidParameter {
            name: "backtest",
            expected: "horizon, origins and calibration of at least 1",
            found: format!("{config:?}"),
        });
    }
    let span = horizon.saturating_mul(origins);
    let Some(first_origin) = series.len().checked_sub(span) else {
        return Err(ForecastError::HistoryTooShort {
            model: format!("backtest of {}", model.name()),
            needed: span,
            found: series.len(),
        });
    };
    let mut results = Vec::with_capacity(origins);
    for i in 0..origins {
        let origin = first_origin + i * horizon;
        let actual = &series[origin..origin + horizon];
        let forecast = model.fit_predict(&series[..origin], horizon)?;
        // Residuals of the calibration windows before this origin.
        let mut residuals = Vec::with_capacity(calibration * horizon);
        for j in 1..=calibration {
            let Some(calibration_origin) = origin.checked_sub(j * horizon) else { break };
            let past = model.fit_predict(&series[..calibration_origin], horizon);
            let Ok(past) = past else { break };
            let truth = &series[calibration_origin..calibration_origin + horizon];
            residuals.extend(truth.iter().zip(&past).map(|(y, f)| y - f));
        }
        if residuals.is_empty() {
            return Err(ForecastError::HistoryTooShort {
                model: format!("calibration of {} before bucket {origin}", model.name()),
                needed: origin + horizon,
                found: origin,
            });
        }
        // All steps' residuals as one calibration step: the pooling the module docs describe.
        let conformal = ConformalQuantiles::calibrate_with_min_samples(&[residuals], 1)?;
        let shifted = |tau: f64| -> Result<Vec<f64>, ForecastError> {
            forecast.iter().map(|f| conformal.quantile(0, *f, tau)).collect()
        };
        let (q05, q70, q95) = (shifted(0.05)?, shifted(0.7)?, shifted(0.95)?);
        results.push(OriginResult {
            origin,
            mase: match mase(actual, &forecast, &series[..origin], season) {
                Err(ForecastError::ZeroScale { .. }) => None,
                other => Some(other?),
            },
            smape: smape(actual, &forecast)?,
            pinball_50: pinball(actual, &forecast, 0.5)?,
            pinball_70: pinball(actual, &q70, 0.7)?,
            coverage_90: coverage(actual, &q05, &q95)?,
            actual: actual.to_vec(),
            forecast,
            q05,
            q70,
            q95,
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::model::{HistoricMean, SeasonalNaive};

    #[test]
    fn origins_are_the_last_windows_and_a_perfect_model_scores_zero() {
        // A weekly cycle with one anomaly in the first week: the in-sample seasonal naive error
        // is positive (so MASE is defined), and the forecasts of later weeks are exact.
        let mut series: Vec<f64> = (0..168 * 12).map(|t| (t % 168) as f64).collect();
        series[5] = 100.0;
        let config = BacktestConfig { horizon: 168, origins: 3, calibration: 2, season: 168 };
        let results = backtest(&SeasonalNaive::weekly(), &series, config).unwrap();
        let origins: Vec<usize> = results.iter().map(|r| r.origin).collect();
        assert_eq!(origins, [168 * 9, 168 * 10, 168 * 11]);
        for r in &results {
            assert_eq!(r.mase, Some(0.0));
            assert_eq!(r.pinball_50, 0.0);
            // Calibration residuals are all zero, so the interval is the point: covers all.
            assert_eq!(r.coverage_90, 1.0);
        }
    }

    #[test]
    fn quantiles_come_from_past_residuals() {
        // Series alternating 0, 10, 0, 10 … with horizon 2: the historic mean forecasts 5
        // everywhere; past residuals are −5 and +5 (half each). With 2 calibration windows,
        // m = 4 residuals [−5, −5, 5, 5]: τ = 0.05 → rank ceil(0.25) = 1 → −5 → q05 = 0;
        // τ = 0.95 → rank ceil(4.75) = 5 → clamped to 4 → +5 → q95 = 10; τ = 0.7 → rank
        // ceil(3.5) = 4 → +5 → q70 = 10. Coverage of [0, 10] is 1. Pinball at 0.7 of q70 = 10:
        // actual 0 → (1 − 0.7)·10 = 3; actual 10 → 0; mean 1.5.
        let series: Vec<f64> = (0..20).map(|t| if t % 2 == 0 { 0.0 } else { 10.0 }).collect();
        let config = BacktestConfig { horizon: 2, origins: 1, calibration: 2, season: 2 };
        let r = &backtest(&HistoricMean, &series, config).unwrap()[0];
        assert_eq!(r.forecast, [5.0, 5.0]);
        assert_eq!(
            (r.q05.clone(), r.q70.clone(), r.q95.clone()),
            (vec![0.0; 2], vec![10.0; 2], vec![10.0; 2])
        );
        assert_eq!(r.coverage_90, 1.0);
        // The history repeats its season (2) exactly: MASE is undefined, not an error.
        assert_eq!(r.mase, None);
        assert!((r.pinball_70 - 1.5).abs() < 1e-12);
        assert!((r.pinball_50 - 2.5).abs() < 1e-12);
    }

    #[test]
    fn too_short_series_and_bad_config_are_errors() {
        let series = vec![1.0; 100];
        let config = BacktestConfig { horizon: 168, origins: 1, calibration: 1, season: 168 };
        assert!(matches!(
            backtest(&HistoricMean, &series, config),
            Err(ForecastError::HistoryTooShort { .. })
        ));
        let config = BacktestConfig { horizon: 0, ..BacktestConfig::default() };
        assert!(backtest(&HistoricMean, &series, config).is_err());
    }
}
