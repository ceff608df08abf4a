//! [`Regression`]: a linear regression of demand on calendar terms, seasonal lags, a trend and
//! queue-level rolling means, fitted by ordinary least squares with `linfa-linear`.
//!
//! **Features** of bucket `t` (absolute index; the history is `y[0..n]`, the forecast covers
//! `n..n + horizon`):
//! - Fourier terms of the daily and weekly cycles: `sin` and `cos` of `2π·k·t / 24` for
//!   `k = 1..=daily_harmonics` and of `2π·k·t / 168` for `k = 1..=weekly_harmonics`;
//! - a linear trend, `(t − n) / 168` (weeks before the origin);
//! - seasonal lags `y[t − L]` for `L = L₀` and `L₀ + 168`, `L₀ = 168·⌈horizon / 168⌉`: every
//!   lag is at least the horizon, so the whole window is forecast directly, with no recursion;
//! - queue level: the means of the 24 and of the 168 buckets ending at `t − horizon`
//!   (`y[t − horizon − w .. t − horizon]`), known at the origin for every step.
//!
//! A lag or rolling mean is used only if the history leaves at least [`MIN_ROWS`] training
//! rows with it, so short histories fall back to fewer features (down to calendar and trend).
//!
//! **Fit.** The training rows are the last `weeks · 168` buckets of history (fewer if the
//! features need the room). Columns are standardised (a column constant over the rows, e.g. a
//! lag of a constant series, is dropped), the target centred, and the system is solved by
//! linfa-linear's QR least squares, augmented with `√(ridge · rows)·I` rows of target 0: a
//! ridge penalty on the standardised coefficients that keeps the system full rank when
//! features are collinear (a pure weekly cycle makes `y[t − 168]` equal `y[t − 336]`). The
//! default `ridge` of 1e-6 is there for numerical rank only, not to shrink.
//!
//! Forecasts are clamped at 0, since demand is never negative.

use linfa::Dataset;
use linfa::traits::Fit;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};

use super::error::ForecastError;
use super::model::{DAY_HOURS, Forecaster, WEEK_HOURS, check_history};

/// The fewest training rows a fit uses: one week.
pub const MIN_ROWS: usize = WEEK_HOURS;

/// Regression on Fourier terms, lags, trend and rolling means. See the [module](self) docs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regression {
    /// Weeks of training rows (8).
    pub weeks: usize,
    /// Harmonics of the daily cycle (3).
    pub daily_harmonics: usize,
    /// Harmonics of the weekly cycle (3).
    pub weekly_harmonics: usize,
    /// Ridge penalty per training row on the standardised coefficients (1e-6). At least 0.
    pub ridge: f64,
}

impl Default for Regression {
    fn default() -> Self {
        Regression { weeks: 8, daily_harmonics: 3, weekly_harmonics: 3, ridge: 1e-6 }
    }
}

/// Which history-based features a fit uses.
struct Features {
    horizon: usize,
    n: usize,
    lags: Vec<usize>,
    rolling: Vec<usize>,
    daily: usize,
    weekly: usize,
}

impl Features {
    /// The earliest `t` whose features exist: the largest look-back.
    fn look_back(&self) -> usize {
        let lags = self.lags.iter().copied().max().unwrap_or(0);
        let rolling = self.rolling.iter().map(|w| self.horizon + w).max().unwrap_or(0);
        lags.max(rolling)
    }

    /// The feature row of bucket `t` (every look-back lands before `n`).
    fn row(&self, history: &[f64], prefix: &[f64], t: usize, out: &mut Vec<f64>) {
        out.clear();
        let tf = t as f64;
        for (period, harmonics) in [(DAY_HOURS, self.daily), (WEEK_HOURS, self.weekly)] {
            for k in 1..=harmonics {
                let angle = std::f64::consts::TAU * (k * (t % period)) as f64 / period as f64;
                out.push(angle.sin());
                out.push(angle.cos());
            }
        }
        out.push((tf - self.n as f64) / WEEK_HOURS as f64);
        for &lag in &self.lags {
            out.push(history[t - lag]);
        }
        for &w in &self.rolling {
            let end = t - self.horizon;
            out.push((prefix[end] - prefix[end - w]) / w as f64);
        }
    }
}

impl Forecaster for Regression {
    fn name(&self) -> String {
        format!("Regression{}w", self.weeks)
    }

    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
        if self.weeks == 0 {
            return Err(ForecastError::InvalidParameter {
                name: "weeks",
                expected: "at least 1",
                found: "0".to_owned(),
            });
        }
        if !(self.ridge >= 0.0 && self.ridge.is_finite()) {
            return Err(ForecastError::InvalidParameter {
                name: "ridge",
                expected: "a finite penalty of at least 0",
                found: self.ridge.to_string(),
            });
        }
        check_history(&self.name(), history, MIN_ROWS)?;
        if horizon == 0 {
            return Ok(Vec::new());
        }
        let n = history.len();
        let room = |need: usize| n >= need.saturating_add(MIN_ROWS);
        let first_lag = horizon.div_ceil(WEEK_HOURS).saturating_mul(WEEK_HOURS);
        let features = Features {
            horizon,
            n,
            lags: [first_lag, first_lag.saturating_add(WEEK_HOURS)]
                .into_iter()
                .filter(|&lag| room(lag))
                .collect(),
            rolling: [DAY_HOURS, WEEK_HOURS]
                .into_iter()
                .filter(|&w| room(horizon.saturating_add(w)))
                .collect(),
            daily: self.daily_harmonics,
            weekly: self.weekly_harmonics,
        };
        // Prefix sums for the rolling means, in a fixed order.
        let mut prefix = Vec::with_capacity(n + 1);
        prefix.push(0.0);
        for v in history {
            prefix.push(prefix[prefix.len() - 1] + v);
        }
        let rows = self.weeks.saturating_mul(WEEK_HOURS).min(n - features.look_back());
        let first = n - rows;
        let mut row = Vec::new();
        features.row(history, &prefix, first, &mut row);
        let width = row.len();
        // Row-major feature values, one row per training bucket.
        let mut x = Vec::with_capacity(rows * width);
        for t in first..n {
            features.row(history, &prefix, t, &mut row);
            x.extend_from_slice(&row);
        }
        let target = &history[first..];
        let y_mean = target.iter().sum::<f64>() / rows as f64;
        // Standardise; keep the columns that vary.
        let mut kept: Vec<(usize, f64, f64)> = Vec::with_capacity(width);
        for j in 0..width {
            let column = || x[j..].iter().step_by(width);
            let mean = column().sum::<f64>() / rows as f64;
            let var = column().map(|v| (v - mean) * (v - mean)).sum::<f64>() / rows as f64;
            let sd = var.sqrt();
            if sd > 1e-9 * mean.abs().max(1.0) {
                kept.push((j, mean, sd));
            }
        }
        let forecast_row = |t: usize, row: &mut Vec<f64>| features.row(history, &prefix, t, row);
        if kept.is_empty() {
            return Ok(vec![y_mean.max(0.0); horizon]);
        }
        let p = kept.len();
        let penalty = (self.ridge * rows as f64).sqrt();
        let mut design = Vec::with_capacity((rows + p) * p);
        for values in x.chunks_exact(width) {
            design.extend(kept.iter().map(|(j, mean, sd)| (values[*j] - mean) / sd));
        }
        for k in 0..p {
            design.extend((0..p).map(|c| if c == k { penalty } else { 0.0 }));
        }
        let design = Array2::from_shape_vec((rows + p, p), design)
            .map_err(|e| ForecastError::FitFailed { model: self.name(), message: e.to_string() })?;
        let centred: Array1<f64> =
            target.iter().map(|y| y - y_mean).chain(std::iter::repeat_n(0.0, p)).collect();
        let fitted = LinearRegression::new()
            .with_intercept(false)
            .fit(&Dataset::new(design, centred))
            .map_err(|e| ForecastError::FitFailed { model: self.name(), message: e.to_string() })?;
        let beta = fitted.params();
        let mut out = Vec::with_capacity(horizon);
        for t in n..n + horizon {
            forecast_row(t, &mut row);
            let mut value = y_mean;
            for (k, (j, mean, sd)) in kept.iter().enumerate() {
                value += beta[k] * (row[*j] - mean) / sd;
            }
            if !value.is_finite() {
                return Err(ForecastError::FitFailed {
                    model: self.name(),
                    message: format!("non-finite forecast {value} at step {}", t - n),
                });
            }
            out.push(value.max(0.0));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 + 0.01·t + 3·sin(2πt/24) + 2·cos(2π·2t/168): a daily and a weekly harmonic on a
    /// trend, all in the model's feature space (the second weekly harmonic, the trend), so
    /// the least-squares fit is exact up to the tiny ridge.
    fn sinusoid_and_trend(t: usize) -> f64 {
        let tf = t as f64;
        10.0 + 0.01 * tf
            + 3.0 * (std::f64::consts::TAU * tf / 24.0).sin()
            + 2.0 * (std::f64::consts::TAU * 2.0 * tf / 168.0).cos()
    }

    #[test]
    fn recovers_a_pure_sinusoid_and_trend() {
        let n = 12 * WEEK_HOURS + 7;
        let history: Vec<f64> = (0..n).map(sinusoid_and_trend).collect();
        let forecast = Regression::default().fit_predict(&history, 168).unwrap();
        for (h, f) in forecast.iter().enumerate() {
            let expected = sinusoid_and_trend(n + h);
            assert!((f - expected).abs() < 1e-3, "step {h}: {f} vs {expected}");
        }
    }

    #[test]
    fn pure_weekly_cycle_is_forecast_exactly() {
        // Each hour of week repeats: the lag y[t − 168] is the answer, whatever else is fitted.
        let cycle = |t: usize| ((t % WEEK_HOURS) * 7 % 31) as f64;
        let n = 10 * WEEK_HOURS + 3;
        let history: Vec<f64> = (0..n).map(cycle).collect();
        let forecast = Regression::default().fit_predict(&history, 168).unwrap();
        for (h, f) in forecast.iter().enumerate() {
            assert!((f - cycle(n + h)).abs() < 1e-3, "step {h}: {f} vs {}", cycle(n + h));
        }
    }

    #[test]
    fn constant_series_and_clamping() {
        // Constant: every lag and rolling mean is constant and dropped; the Fourier and trend
        // coefficients fit a centred target of zeros, so they are 0: the forecast is 4.
        let forecast = Regression::default().fit_predict(&[4.0; 600], 30).unwrap();
        assert!(forecast.iter().all(|f| (f - 4.0).abs() < 1e-9), "{forecast:?}");
        // A falling line, 1000 − t, through zero soon after the history ends: clamped at 0.
        let history: Vec<f64> = (0..990).map(|t| 1000.0 - t as f64).collect();
        let forecast = Regression::default().fit_predict(&history, 24).unwrap();
        assert!((forecast[0] - 10.0).abs() < 1e-3, "{}", forecast[0]);
        assert_eq!(forecast[23], 0.0);
    }

    #[test]
    fn short_histories_use_fewer_features() {
        // 200 buckets: no lag (168 + 168 > 200) or rolling mean fits, calendar and trend do.
        let history: Vec<f64> = (0..200).map(sinusoid_and_trend).collect();
        let forecast = Regression::default().fit_predict(&history, 24).unwrap();
        assert_eq!(forecast.len(), 24);
        assert!(matches!(
            Regression::default().fit_predict(&history[..100], 24),
            Err(ForecastError::HistoryTooShort { needed: 168, found: 100, .. })
        ));
    }

    #[test]
    fn bad_parameters_are_errors() {
        let history = vec![1.0; 400];
        for model in [
            Regression { weeks: 0, ..Regression::default() },
            Regression { ridge: -1.0, ..Regression::default() },
            Regression { ridge: f64::NAN, ..Regression::default() },
        ] {
            assert!(matches!(
                model.fit_predict(&history, 1),
                Err(ForecastError::InvalidParameter { .. })
            ));
        }
        let mut bad = history.clone();
        bad[3] = f64::NAN;
        assert!(matches!(
            Regression::default().fit_predict(&bad, 1),
            Err(ForecastError::NonFinite { index: 3, .. })
        ));
        assert_eq!(Regression::default().name(), "Regression8w");
    }
}
