//! Rolling-origin backtests: how a forecaster would have done, window after window.
//!
//! The test origins are `origins` windows of `horizon` buckets, `step` buckets apart, the last
//! ending at the end of the series: origin `i` (0-based, oldest first) is at
//! `n − horizon − step·(origins − 1 − i)`. With `step = horizon` (weekly origins for a
//! one-week horizon) the windows tile the end of the series; with `step = 24` they overlap,
//! one a day (the Alibaba GPU anchor, whose trace is too short for weekly origins). At each
//! origin the model sees only the history before it.
//!
//! **Quantiles, per horizon step (split conformal).** Before test origin `o`, the model is
//! also run at `K = max(1, calibration·horizon / calibration_step)` calibration origins
//! `c_k = o − horizon − k·calibration_step`, `k = 0 … K − 1`: every `calibration_step`
//! buckets (a day by default) over the `calibration` windows before `o`, each window's truth
//! ending at or before `o`, so nothing after the origin is used. The residuals
//! `actual − forecast` of step `h` over those origins calibrate step `h` of a
//! [`ConformalQuantiles`]: `K` samples per step (28 with the defaults: 4 weeks, daily
//! origins). A step with fewer than [`DEFAULT_MIN_SAMPLES`] (20) residuals, e.g. when the
//! history before `o` cuts the calibration origins short, pools its neighbours' whole steps
//! `h − 1, h + 1, h − 2, h + 2, …` until it has 20 (the rule of [`super::conformal`]).
//! Quantile forecasts are clamped at zero, since demand is never negative; the ranks are the
//! conformal ones of [`super::conformal`] (ceiling for τ ≥ 0.5, floor below).
//!
//! Metrics per origin (see [`super::metrics`]): MASE against the weekly seasonal naive's
//! in-sample error on the history, sMAPE, pinball at τ = 0.5 (of the point forecast) and
//! τ = 0.7, and the coverage of the central 90% interval.

use super::conformal::{ConformalQuantiles, DEFAULT_MIN_SAMPLES};
use super::error::ForecastError;
use super::metrics::{coverage, mase, pinball, smape};
use super::model::{DAY_HOURS, Forecaster, WEEK_HOURS};

/// How to place the origins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BacktestConfig {
    /// Buckets forecast at each origin (168: one week of hours).
    pub horizon: usize,
    /// Test origins.
    pub origins: usize,
    /// Buckets between consecutive test origins (`horizon`: back-to-back windows; 24: daily).
    pub step: usize,
    /// Earlier windows (of `horizon`) over which calibration origins are placed.
    pub calibration: usize,
    /// Buckets between consecutive calibration origins (24: daily).
    pub calibration_step: usize,
    /// The season MASE is scaled by (168 for hourly series).
    pub season: usize,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            horizon: WEEK_HOURS,
            origins: 8,
            step: WEEK_HOURS,
            calibration: 4,
            calibration_step: DAY_HOURS,
            season: WEEK_HOURS,
        }
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
    let BacktestConfig { horizon, origins, step, calibration, calibration_step, season } = config;
    if horizon == 0 || origins == 0 || step == 0 || calibration == 0 || calibration_step == 0 {
        return Err(ForecastError::InvalidParameter {
            name: "backtest",
            expected: "horizon, origins, step, calibration and calibration_step of at least 1",
            found: format!("{config:?}"),
        });
    }
    let span = step.saturating_mul(origins - 1).saturating_add(horizon);
    let Some(first_origin) = series.len().checked_sub(span) else {
        return Err(ForecastError::HistoryTooShort {
            model: format!("backtest of {}", model.name()),
            needed: span,
            found: series.len(),
        });
    };
    let calibration_origins = (calibration.saturating_mul(horizon) / calibration_step).max(1);
    let mut results = Vec::with_capacity(origins);
    for i in 0..origins {
        let origin = first_origin + i * step;
        let actual = &series[origin..origin + horizon];
        let forecast = model.fit_predict(&series[..origin], horizon)?;
        let conformal =
            calibrate(model, series, origin, horizon, calibration_origins, calibration_step)?;
        let shifted = |tau: f64| -> Result<Vec<f64>, ForecastError> {
            forecast.iter().enumerate().map(|(k, f)| conformal.quantile(k, *f, tau)).collect()
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

/// The per-step conformal quantiles of `model` before `origin` (see the module docs): residuals
/// of up to `count` calibration origins `origin − horizon − k·spacing`, stopping at the first
/// whose history is too short for the model. None at all is a
/// [`ForecastError::HistoryTooShort`] whose `needed` is the history the test origin needs: the
/// model's own need plus one horizon.
pub fn calibrate(
    model: &dyn Forecaster,
    series: &[f64],
    origin: usize,
    horizon: usize,
    count: usize,
    spacing: usize,
) -> Result<ConformalQuantiles, ForecastError> {
    let mut residuals: Vec<Vec<f64>> = vec![Vec::with_capacity(count); horizon];
    // The history the model asked for when it could not fit at a calibration origin.
    let mut model_needs = None;
    for k in 0..count {
        let Some(calibration_origin) =
            origin.checked_sub(horizon.saturating_add(k.saturating_mul(spacing)))
        else {
            break;
        };
        let past = match model.fit_predict(&series[..calibration_origin], horizon) {
            Ok(past) => past,
            Err(e) => {
                if let ForecastError::HistoryTooShort { needed, .. } = e {
                    model_needs = Some(needed);
                }
                break;
            }
        };
        let truth = &series[calibration_origin..calibration_origin + horizon];
        for ((step, y), f) in residuals.iter_mut().zip(truth).zip(&past) {
            step.push(y - f);
        }
    }
    if residuals.iter().all(Vec::is_empty) {
        // The latest calibration origin is `horizon` before the test origin, so the history
        // before the test origin must be the model's need plus one horizon.
        return Err(ForecastError::HistoryTooShort {
            model: format!("calibration of {} before bucket {origin}", model.name()),
            needed: model_needs.unwrap_or(1).saturating_add(horizon),
            found: origin,
        });
    }
    ConformalQuantiles::calibrate_with_min_samples(&residuals, DEFAULT_MIN_SAMPLES)
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
        let config = BacktestConfig { origins: 3, calibration: 2, ..BacktestConfig::default() };
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
        // everywhere (every history below has an even length). Calibration: 2 windows of 2,
        // origins every 2 → K = 2 origins, 18 − 2 = 16 and 14. Step 0 residuals (even
        // indices, actual 0): [−5, −5]; step 1: [5, 5]. Each step has 2 < 20 residuals, so it
        // pools the other: m = 4 residuals [−5, −5, 5, 5] for both. τ = 0.05 → rank
        // ⌊5 × 0.05⌋ = 0 → raised to 1 → −5 → q05 = 0; τ = 0.95 → ⌈4.75⌉ = 5 → clamped to 4
        // → +5 → q95 = 10; τ = 0.7 → ⌈3.5⌉ = 4 → +5 → q70 = 10. Coverage of [0, 10] is 1.
        // Pinball at 0.7 of q70 = 10: actual 0 → (1 − 0.7)·10 = 3; actual 10 → 0; mean 1.5.
        let series: Vec<f64> = (0..20).map(|t| if t % 2 == 0 { 0.0 } else { 10.0 }).collect();
        let config = BacktestConfig {
            horizon: 2,
            origins: 1,
            step: 2,
            calibration: 2,
            calibration_step: 2,
            season: 2,
        };
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

    /// Forecasts a constant: a model whose residuals are known by hand.
    struct Constant(f64);

    impl Forecaster for Constant {
        fn name(&self) -> String {
            "Constant".to_owned()
        }

        fn fit_predict(&self, _: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
            Ok(vec![self.0; horizon])
        }
    }

    #[test]
    fn quantiles_are_calibrated_per_step() {
        // Series of period 4, [5, 0, 5, 10, 5, 0, …], 48 long; the model forecasts 5, horizon
        // 2, one origin at 46. Calibration: 20 windows of 2, origins every 2 → K = 20 origins
        // 44, 42, …, 6, all even. Step 0 lands on even indices (always 5): 20 residuals of 0,
        // so q05 = q95 = 5. Step 1 lands on odd indices: 0 (residual −5) after an origin
        // ≡ 0 (mod 4), 10 (+5) after one ≡ 2: ten of each, n = 20, no pooling.
        // q05: ⌊21 × 0.05⌋ = 1 → −5 → 0; q95: ⌈19.95⌉ = 20 → +5 → 10; q70: ⌈14.7⌉ = 15 → 10.
        let series: Vec<f64> = (0..48).map(|t| [5.0, 0.0, 5.0, 10.0][t % 4]).collect();
        let config = BacktestConfig {
            horizon: 2,
            origins: 1,
            step: 2,
            calibration: 20,
            calibration_step: 2,
            season: 4,
        };
        let r = &backtest(&Constant(5.0), &series, config).unwrap()[0];
        assert_eq!(r.origin, 46);
        assert_eq!(r.q05, [5.0, 0.0]);
        assert_eq!(r.q70, [5.0, 10.0]);
        assert_eq!(r.q95, [5.0, 10.0]);
        assert_eq!(r.actual, [5.0, 10.0]);
        assert_eq!(r.coverage_90, 1.0);
    }

    #[test]
    fn too_short_a_history_to_calibrate_names_what_is_needed() {
        // The weekly naive needs 168 buckets before a calibration origin, so 168 + 24 before
        // a test origin with a 24-bucket horizon; the only origin here is at 180.
        let series = vec![1.0; 204];
        let config = BacktestConfig {
            horizon: 24,
            origins: 1,
            step: 24,
            calibration: 1,
            calibration_step: 24,
            season: 168,
        };
        assert_eq!(
            backtest(&SeasonalNaive::weekly(), &series, config),
            Err(ForecastError::HistoryTooShort {
                model: "calibration of SeasonalNaive168 before bucket 180".to_owned(),
                needed: 192,
                found: 180,
            })
        );
    }

    #[test]
    fn origins_can_be_spaced_closer_than_the_horizon() {
        // 100 buckets, horizon 10, 3 origins 4 apart: the last ends at 100, so 90, 86, 82.
        let series: Vec<f64> = (0..100).map(|t| (t % 7) as f64).collect();
        let config = BacktestConfig {
            horizon: 10,
            origins: 3,
            step: 4,
            calibration: 1,
            calibration_step: 10,
            season: 7,
        };
        let results = backtest(&HistoricMean, &series, config).unwrap();
        let origins: Vec<usize> = results.iter().map(|r| r.origin).collect();
        assert_eq!(origins, [82, 86, 90]);
        assert!(results.iter().all(|r| r.actual.len() == 10));
    }

    #[test]
    fn too_short_series_and_bad_config_are_errors() {
        let series = vec![1.0; 100];
        let config = BacktestConfig { origins: 1, calibration: 1, ..BacktestConfig::default() };
        assert!(matches!(
            backtest(&HistoricMean, &series, config),
            Err(ForecastError::HistoryTooShort { .. })
        ));
        for config in [
            BacktestConfig { horizon: 0, ..BacktestConfig::default() },
            BacktestConfig { step: 0, ..BacktestConfig::default() },
            BacktestConfig { calibration_step: 0, ..BacktestConfig::default() },
        ] {
            assert!(matches!(
                backtest(&HistoricMean, &series, config),
                Err(ForecastError::InvalidParameter { name: "backtest", .. })
            ));
        }
    }
}
