//! Forecast accuracy metrics, as defined in `shared/reference/cloud-products.md` §2.2.
//!
//! - [`mae`]: mean absolute error.
//! - [`mase`]: MAE scaled by the in-sample MAE of the seasonal naive on the training part
//!   (Hyndman & Koehler 2006); below 1 beats the seasonal naive.
//! - [`smape`]: symmetric MAPE in percent (M4 definition), 0 to 200. Unstable near zero.
//! - [`pinball`]: the quantile loss at level τ, the loss a provisioning forecast is judged on.
//! - [`coverage`]: share of actuals inside a prediction interval.
//! - [`crps_approx`]: the CRPS approximated from a grid of quantile forecasts.
//!
//! Every metric takes the actuals first, checks that every input has the same length, is
//! non-empty and finite, and returns a [`ForecastError`] otherwise.

use super::error::{ForecastError, check_finite};

/// Mean absolute error: `mean |y − ŷ|`.
pub fn mae(actual: &[f64], forecast: &[f64]) -> Result<f64, ForecastError> {
    check_pair(actual, "forecast", forecast)?;
    Ok(mean(actual.iter().zip(forecast).map(|(y, f)| (y - f).abs())))
}

/// Mean absolute scaled error: [`mae`] divided by the in-sample MAE of the seasonal naive on
/// `training`, `scale = mean over t ≥ season of |y_t − y_{t−season}|`. Use `season` =
/// [`WEEK_HOURS`](super::WEEK_HOURS) (168) for hourly series, as the project's anchors do.
///
/// Errors if `season` is 0, if `training` has fewer than `season + 1` points, or if the scale
/// is zero (the training part repeats exactly every season).
pub fn mase(
    actual: &[f64],
    forecast: &[f64],
    training: &[f64],
    season: usize,
) -> Result<f64, ForecastError> {
    let error = mae(actual, forecast)?;
    if season == 0 {
        return Err(ForecastError::InvalidParameter {
            name: "season",
            expected: "at least 1",
            found: "0".to_owned(),
        });
    }
    let needed = season.saturating_add(1);
    if training.len() < needed {
        return Err(ForecastError::HistoryTooShort {
            model: "mase training".to_owned(),
            needed,
            found: training.len(),
        });
    }
    check_finite("training", training)?;
    let scale = mean(training.windows(needed).map(|w| (w[season] - w[0]).abs()));
    if scale == 0.0 {
        return Err(ForecastError::ZeroScale { season });
    }
    Ok(error / scale)
}

/// Symmetric mean absolute percentage error in percent (M4): `mean 200·|y − ŷ| / (|y| + |ŷ|)`,
/// between 0 and 200. A point where both are 0 counts as 0 (a perfect forecast of nothing).
pub fn smape(actual: &[f64], forecast: &[f64]) -> Result<f64, ForecastError> {
    check_pair(actual, "forecast", forecast)?;
    Ok(mean(actual.iter().zip(forecast).map(|(y, f)| {
        let denominator = y.abs() + f.abs();
        if denominator == 0.0 { 0.0 } else { 200.0 * (y - f).abs() / denominator }
    })))
}

/// Mean pinball (quantile) loss of `quantile_forecast` as the level-`tau` quantile:
/// `mean ρ_τ(y − q)` with `ρ_τ(u) = u·τ` for `u ≥ 0` and `u·(τ − 1)` for `u < 0`.
///
/// An under-forecast costs `τ` per unit and an over-forecast `1 − τ`, so for a reservation
/// `τ` is the critical ratio. `tau` must lie strictly between 0 and 1.
pub fn pinball(actual: &[f64], quantile_forecast: &[f64], tau: f64) -> Result<f64, ForecastError> {
    check_tau(tau)?;
    check_pair(actual, "quantile forecast", quantile_forecast)?;
    Ok(mean(actual.iter().zip(quantile_forecast).map(|(y, q)| rho(y - q, tau))))
}

/// Share (0 to 1) of actuals inside their interval, bounds included: `lower ≤ y ≤ upper`.
/// An interval with `lower > upper` is an error.
pub fn coverage(actual: &[f64], lower: &[f64], upper: &[f64]) -> Result<f64, ForecastError> {
    check_pair(actual, "lower", lower)?;
    check_pair(actual, "upper", upper)?;
    if let Some(index) = lower.iter().zip(upper).position(|(l, u)| l > u) {
        return Err(ForecastError::CrossedInterval {
            index,
            lower: lower[index],
            upper: upper[index],
        });
    }
    let inside =
        actual.iter().zip(lower.iter().zip(upper)).filter(|(y, (l, u))| l <= y && y <= u).count();
    Ok(inside as f64 / actual.len() as f64)
}

/// The continuous ranked probability score approximated from quantile forecasts:
/// `2 × mean over the grid of` [`pinball`]`(actual, q_τ, τ)`.
///
/// `quantiles` holds `(τ, forecast of the τ-quantile)` pairs with strictly increasing `τ`
/// in (0, 1). The factor 2 comes from the quantile form of the CRPS (Gneiting & Raftery 2007;
/// Laio & Tamea 2007): `CRPS(F, y) = 2 ∫₀¹ ρ_τ(y − F⁻¹(τ)) dτ`, and the mean over an evenly
/// spaced grid approximates the integral. With it, the score is in the units of the series,
/// and a point forecast (every quantile the same value) scores exactly its [`mae`] on any grid
/// symmetric about 0.5, so CRPS and MAE can be compared directly. Use an even, symmetric grid
/// (e.g. 0.05, 0.15, …, 0.95); GluonTS's "mean weighted quantile loss" is this sum divided by
/// `Σ |y|` instead.
pub fn crps_approx(actual: &[f64], quantiles: &[(f64, Vec<f64>)]) -> Result<f64, ForecastError> {
    if quantiles.is_empty() {
        return Err(ForecastError::Empty { what: "quantile grid" });
    }
    if let Some(pair) = quantiles.windows(2).find(|w| w[0].0 >= w[1].0) {
        return Err(ForecastError::InvalidParameter {
            name: "quantile grid",
            expected: "strictly increasing levels",
            found: format!("{} then {}", pair[0].0, pair[1].0),
        });
    }
    let mut total = 0.0;
    for (tau, forecast) in quantiles {
        total += pinball(actual, forecast, *tau)?;
    }
    Ok(2.0 * total / quantiles.len() as f64)
}

/// The pinball loss of one residual `u = y − q`.
fn rho(u: f64, tau: f64) -> f64 {
    if u >= 0.0 { u * tau } else { u * (tau - 1.0) }
}

fn check_tau(tau: f64) -> Result<(), ForecastError> {
    if tau > 0.0 && tau < 1.0 {
        Ok(())
    } else {
        Err(ForecastError::InvalidParameter {
            name: "tau",
            expected: "a quantile level strictly between 0 and 1",
            found: tau.to_string(),
        })
    }
}

/// Checks that `actual` is non-empty and finite and that `other` matches it.
fn check_pair(actual: &[f64], what: &'static str, other: &[f64]) -> Result<(), ForecastError> {
    if actual.is_empty() {
        return Err(ForecastError::Empty { what: "actual" });
    }
    if other.len() != actual.len() {
        return Err(ForecastError::LengthMismatch {
            what,
            expected: actual.len(),
            found: other.len(),
        });
    }
    check_finite("actual", actual)?;
    check_finite(what, other)
}

/// Mean of a non-empty sequence, summed in order.
fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = values.len();
    values.sum::<f64>() / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn mae_by_hand() {
        // |1 − 2| + |2 − 2| + |3 − 5| = 1 + 0 + 2 = 3, over 3 points = 1.
        assert_eq!(mae(&[1.0, 2.0, 3.0], &[2.0, 2.0, 5.0]).unwrap(), 1.0);
    }

    #[test]
    fn mase_by_hand() {
        // Season 2, training [1, 3, 2, 5, 4]: seasonal-naive errors |2 − 1| = 1, |5 − 3| = 2,
        // |4 − 2| = 2 → scale 5/3. MAE of the test part is 1 (as above) → MASE = 3/5 = 0.6.
        let m = mase(&[1.0, 2.0, 3.0], &[2.0, 2.0, 5.0], &[1.0, 3.0, 2.0, 5.0, 4.0], 2).unwrap();
        assert!(close(m, 0.6), "{m}");
    }

    #[test]
    fn mase_errors() {
        let (y, f) = ([1.0], [2.0]);
        // [1, 2, 1, 2, 1] repeats every 2 steps: zero scale.
        assert_eq!(
            mase(&y, &f, &[1.0, 2.0, 1.0, 2.0, 1.0], 2),
            Err(ForecastError::ZeroScale { season: 2 })
        );
        // Season 2 needs 3 training points.
        assert!(matches!(
            mase(&y, &f, &[1.0, 2.0], 2),
            Err(ForecastError::HistoryTooShort { needed: 3, found: 2, .. })
        ));
        assert!(matches!(
            mase(&y, &f, &[1.0, 2.0], 0),
            Err(ForecastError::InvalidParameter { name: "season", .. })
        ));
        assert!(matches!(
            mase(&y, &f, &[1.0, f64::INFINITY, 3.0], 1),
            Err(ForecastError::NonFinite { what: "training", index: 1, .. })
        ));
    }

    #[test]
    fn smape_by_hand() {
        // (0, 0): 0/0 → 0. (100, 50): 200·50/150 = 66.67. (50, 0): 200·50/50 = 200.
        // Mean: (0 + 200/3 + 200) / 3 = (800/3) / 3 = 800/9 = 88.89.
        let s = smape(&[0.0, 100.0, 50.0], &[0.0, 50.0, 0.0]).unwrap();
        assert!(close(s, 800.0 / 9.0), "{s}");
        assert_eq!(smape(&[0.0], &[0.0]).unwrap(), 0.0);
    }

    #[test]
    fn pinball_by_hand() {
        // τ = 0.9, actual 10 both times. q = 8: u = 2 ≥ 0 → 2 × 0.9 = 1.8.
        // q = 12: u = −2 → −2 × (0.9 − 1) = 0.2. Mean (1.8 + 0.2) / 2 = 1.0.
        let p = pinball(&[10.0, 10.0], &[8.0, 12.0], 0.9).unwrap();
        assert!(close(p, 1.0), "{p}");
        // τ = 0.5 is half the absolute error: (2 × 0.5 + 2 × 0.5) / 2 = 1.0.
        assert!(close(pinball(&[10.0, 10.0], &[8.0, 12.0], 0.5).unwrap(), 1.0));
        for tau in [0.0, 1.0, -0.1, f64::NAN] {
            assert!(matches!(
                pinball(&[1.0], &[1.0], tau),
                Err(ForecastError::InvalidParameter { name: "tau", .. })
            ));
        }
    }

    #[test]
    fn coverage_by_hand() {
        // 1 in [0, 2] yes; 5 in [0, 4] no; 10 in [0, 10] yes (bounds count); 3 in [3, 3] yes.
        // 3 of 4 → 0.75.
        let c = coverage(&[1.0, 5.0, 10.0, 3.0], &[0.0, 0.0, 0.0, 3.0], &[2.0, 4.0, 10.0, 3.0]);
        assert_eq!(c.unwrap(), 0.75);
        assert_eq!(
            coverage(&[1.0, 1.0], &[0.0, 2.0], &[2.0, 1.0]),
            Err(ForecastError::CrossedInterval { index: 1, lower: 2.0, upper: 1.0 })
        );
    }

    #[test]
    fn crps_of_a_point_forecast_is_its_mae() {
        // Actual 3, every quantile 1: u = 2 ≥ 0, pinball = 2τ = 0.5, 1.0, 1.5 for
        // τ = 0.25, 0.5, 0.75. Mean 1.0, ×2 = 2.0 = |3 − 1|.
        let grid = [(0.25, vec![1.0]), (0.5, vec![1.0]), (0.75, vec![1.0])];
        assert!(close(crps_approx(&[3.0], &grid).unwrap(), 2.0));
    }

    #[test]
    fn crps_by_hand() {
        // Actual 0; τ = 0.25 forecasts −1 (u = 1 → 1 × 0.25 = 0.25); τ = 0.75 forecasts 1
        // (u = −1 → −1 × (0.75 − 1) = 0.25). Mean 0.25, ×2 = 0.5.
        let grid = [(0.25, vec![-1.0]), (0.75, vec![1.0])];
        assert!(close(crps_approx(&[0.0], &grid).unwrap(), 0.5));
        // Two points average: actual [0, 4] → second point: u = 5 at τ 0.25 (1.25), u = 3 at
        // τ 0.75 (2.25); mean 1.75. Over points: τ 0.25: (0.25 + 1.25)/2 = 0.75;
        // τ 0.75: (0.25 + 2.25)/2 = 1.25. Mean over grid 1.0, ×2 = 2.0.
        let grid = [(0.25, vec![-1.0, -1.0]), (0.75, vec![1.0, 1.0])];
        assert!(close(crps_approx(&[0.0, 4.0], &grid).unwrap(), 2.0));
    }

    #[test]
    fn crps_errors() {
        assert_eq!(crps_approx(&[1.0], &[]), Err(ForecastError::Empty { what: "quantile grid" }));
        assert!(matches!(
            crps_approx(&[1.0], &[(0.5, vec![1.0]), (0.5, vec![1.0])]),
            Err(ForecastError::InvalidParameter { name: "quantile grid", .. })
        ));
        assert!(matches!(
            crps_approx(&[1.0], &[(1.5, vec![1.0])]),
            Err(ForecastError::InvalidParameter { name: "tau", .. })
        ));
        assert_eq!(
            crps_approx(&[1.0, 2.0], &[(0.5, vec![1.0])]),
            Err(ForecastError::LengthMismatch { what: "quantile forecast", expected: 2, found: 1 })
        );
    }

    #[test]
    fn input_errors() {
        assert_eq!(mae(&[], &[]), Err(ForecastError::Empty { what: "actual" }));
        assert_eq!(
            smape(&[1.0, 2.0], &[1.0]),
            Err(ForecastError::LengthMismatch { what: "forecast", expected: 2, found: 1 })
        );
        assert!(matches!(
            mae(&[f64::NAN], &[1.0]),
            Err(ForecastError::NonFinite { what: "actual", index: 0, .. })
        ));
        assert!(matches!(
            coverage(&[1.0], &[0.0], &[f64::NAN]),
            Err(ForecastError::NonFinite { what: "upper", index: 0, .. })
        ));
    }
}
