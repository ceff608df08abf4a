//! Forecasters: the [`Forecaster`] trait and the baseline models every better model must beat.
//!
//! - [`SeasonalNaive`]: repeat the last season (24 h or 168 h).
//! - [`MeanProfile`]: for each position in the season (hour of week), the mean of its last `k`
//!   observations. The 4-week hour-of-week mean is the best public model on busy-capacity
//!   series in `shared/reference/forecast-anchors.md`.
//! - [`HistoricMean`]: the mean of all history, flat; strong on sparse queues.
//! - [`Zero`]: no demand at all. Not a model to plan with, but the floor of the absolute-error
//!   scores: on a series idle most hours, the median is 0, and a forecast of 0 has a low MASE.
//!   A median-type model should be judged against it, not only against the seasonal naive.
//!
//! Seasonal positions are counted from the start of the history, so the history should start
//! on a season boundary only if the caller wants positions to name calendar hours; the
//! forecasts do not depend on it.

use super::error::{ForecastError, check_finite};

/// Hours in a day: the daily season of an hourly series.
pub const DAY_HOURS: usize = 24;
/// Hours in a week: the weekly season of an hourly series.
pub const WEEK_HOURS: usize = 168;

/// A univariate point forecaster: fits on `history` and predicts the next `horizon` values.
///
/// Implementations are pure: the same history gives the same forecast, bit for bit.
pub trait Forecaster {
    /// A short name for reports, e.g. `SeasonalNaive168`.
    fn name(&self) -> String;

    /// Forecasts the `horizon` values after `history`. Errors if the history is too short for
    /// the model or holds a non-finite value; a zero horizon gives an empty forecast.
    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError>;
}

/// Repeats the last `period` values: `ŷ[n+h] = y[n − period + (h mod period)]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeasonalNaive {
    /// The season length in buckets (24 daily, 168 weekly for hourly series). At least 1.
    pub period: usize,
}

impl SeasonalNaive {
    /// The daily seasonal naive of an hourly series.
    pub const fn daily() -> SeasonalNaive {
        SeasonalNaive { period: DAY_HOURS }
    }

    /// The weekly seasonal naive of an hourly series.
    pub const fn weekly() -> SeasonalNaive {
        SeasonalNaive { period: WEEK_HOURS }
    }
}

impl Forecaster for SeasonalNaive {
    fn name(&self) -> String {
        format!("SeasonalNaive{}", self.period)
    }

    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
        check_period(self.period)?;
        check_history(&self.name(), history, self.period)?;
        let last = &history[history.len() - self.period..];
        Ok((0..horizon).map(|h| last[h % self.period]).collect())
    }
}

/// For each position in the season, the mean of its last `weeks` observations (fewer if the
/// history is shorter): `ŷ[n+h] = mean{ y[i] : i < n, i ≡ n+h (mod period), the last k such i }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeanProfile {
    /// The season length in buckets (168 for hour of week). At least 1.
    pub period: usize,
    /// How many of the latest seasons to average. At least 1.
    pub weeks: usize,
}

impl MeanProfile {
    /// The hour-of-week mean of the last `weeks` weeks of an hourly series.
    pub const fn weekly(weeks: usize) -> MeanProfile {
        MeanProfile { period: WEEK_HOURS, weeks }
    }
}

impl Forecaster for MeanProfile {
    fn name(&self) -> String {
        format!("MeanProfile{}x{}", self.period, self.weeks)
    }

    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
        check_period(self.period)?;
        if self.weeks == 0 {
            return Err(ForecastError::InvalidParameter {
                name: "weeks",
                expected: "at least 1",
                found: "0".to_owned(),
            });
        }
        // A full season, so that every position has at least one observation.
        check_history(&self.name(), history, self.period)?;
        let n = history.len();
        // profile[j]: mean of the last `weeks` values at positions ≡ j (mod period).
        let profile: Vec<f64> = (0..self.period)
            .map(|j| {
                // The latest index below n congruent to j.
                let latest = n - 1 - (n - 1 + self.period - j) % self.period;
                let values: Vec<f64> = (0..self.weeks)
                    .map_while(|k| latest.checked_sub(k * self.period))
                    .map(|i| history[i])
                    .collect();
                values.iter().sum::<f64>() / values.len() as f64
            })
            .collect();
        Ok((0..horizon).map(|h| profile[(n + h) % self.period]).collect())
    }
}

/// The mean of all history, repeated over the horizon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoricMean;

impl Forecaster for HistoricMean {
    fn name(&self) -> String {
        "HistoricMean".to_owned()
    }

    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(&self.name(), history, 1)?;
        let mean = history.iter().sum::<f64>() / history.len() as f64;
        Ok(vec![mean; horizon])
    }
}

/// Forecasts 0 everywhere: the reference that shows how much of a low MASE on a sparse series
/// is just the median being 0. Needs one value of history, like [`HistoricMean`], so that
/// it fits wherever the other models do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Zero;

impl Forecaster for Zero {
    fn name(&self) -> String {
        "Zero".to_owned()
    }

    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(&self.name(), history, 1)?;
        Ok(vec![0.0; horizon])
    }
}

fn check_period(period: usize) -> Result<(), ForecastError> {
    if period == 0 {
        return Err(ForecastError::InvalidParameter {
            name: "period",
            expected: "at least 1",
            found: "0".to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn check_history(
    model: &str,
    history: &[f64],
    needed: usize,
) -> Result<(), ForecastError> {
    if history.len() < needed {
        return Err(ForecastError::HistoryTooShort {
            model: model.to_owned(),
            needed,
            found: history.len(),
        });
    }
    check_finite("history", history)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weekly cycle with a distinct value every hour of the week, and a daily shape inside.
    fn weekly_cycle(i: usize) -> f64 {
        let hour_of_week = i % WEEK_HOURS;
        (hour_of_week % 24) as f64 * 1.5 + (hour_of_week / 24) as f64 * 10.0 + 0.25
    }

    fn daily_cycle(i: usize) -> f64 {
        [3.0, 0.0, 7.5, 2.0][(i % 24) % 4] + (i % 24) as f64
    }

    #[test]
    fn pure_weekly_cycle_is_forecast_exactly() {
        // 3 weeks and 5 hours of history, so the horizon starts mid-week.
        let n = 3 * WEEK_HOURS + 5;
        let history: Vec<f64> = (0..n).map(weekly_cycle).collect();
        let expected: Vec<f64> = (n..n + 2 * WEEK_HOURS + 3).map(weekly_cycle).collect();
        let horizon = expected.len();
        assert_eq!(SeasonalNaive::weekly().fit_predict(&history, horizon).unwrap(), expected);
        // 4 weeks asked, only 3 (or 4 for the first 5 hours) available: still exact, since
        // every observation of an hour of week is the same value.
        assert_eq!(MeanProfile::weekly(4).fit_predict(&history, horizon).unwrap(), expected);
        assert_eq!(MeanProfile::weekly(1).fit_predict(&history, horizon).unwrap(), expected);
    }

    #[test]
    fn daily_cycle_is_forecast_exactly_by_the_daily_naive() {
        let n = 2 * DAY_HOURS + 7;
        let history: Vec<f64> = (0..n).map(daily_cycle).collect();
        let expected: Vec<f64> = (n..n + 50).map(daily_cycle).collect();
        assert_eq!(SeasonalNaive::daily().fit_predict(&history, 50).unwrap(), expected);
    }

    #[test]
    fn seasonal_naive_by_hand() {
        // Period 3, history [1, 2, 3, 4, 5]: last season is [3, 4, 5], repeated.
        let f = SeasonalNaive { period: 3 }.fit_predict(&[1.0, 2.0, 3.0, 4.0, 5.0], 4).unwrap();
        assert_eq!(f, [3.0, 4.0, 5.0, 3.0]);
    }

    #[test]
    fn mean_profile_by_hand() {
        // Period 2, 2 weeks, history [1, 10, 3, 20, 5, 30] (n = 6):
        // position 0 (even indices): last two are 3 and 5 → 4; position 1: 20 and 30 → 25.
        // Forecast positions are (6 + h) mod 2 = 0, 1, 0.
        let model = MeanProfile { period: 2, weeks: 2 };
        let f = model.fit_predict(&[1.0, 10.0, 3.0, 20.0, 5.0, 30.0], 3).unwrap();
        assert_eq!(f, [4.0, 25.0, 4.0]);
        // History [1, 10, 3] (n = 3), 4 weeks asked: position 0 has 1 and 3 → 2, position 1
        // has only 10. Forecast positions (3 + h) mod 2 = 1, 0.
        let model = MeanProfile { period: 2, weeks: 4 };
        assert_eq!(model.fit_predict(&[1.0, 10.0, 3.0], 2).unwrap(), [10.0, 2.0]);
    }

    #[test]
    fn historic_mean_by_hand() {
        // (1 + 2 + 3 + 6) / 4 = 3.
        assert_eq!(HistoricMean.fit_predict(&[1.0, 2.0, 3.0, 6.0], 3).unwrap(), [3.0; 3]);
        assert_eq!(HistoricMean.fit_predict(&[1.0], 0).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn zero_by_hand() {
        assert_eq!(Zero.fit_predict(&[5.0, 7.0], 3).unwrap(), [0.0; 3]);
        assert!(matches!(Zero.fit_predict(&[], 1), Err(ForecastError::HistoryTooShort { .. })));
        assert!(matches!(
            Zero.fit_predict(&[f64::INFINITY], 1),
            Err(ForecastError::NonFinite { .. })
        ));
        assert_eq!(Zero.name(), "Zero");
    }

    #[test]
    fn too_short_history_is_an_error() {
        let history = vec![1.0; WEEK_HOURS - 1];
        assert_eq!(
            SeasonalNaive::weekly().fit_predict(&history, 24),
            Err(ForecastError::HistoryTooShort {
                model: "SeasonalNaive168".to_owned(),
                needed: WEEK_HOURS,
                found: WEEK_HOURS - 1,
            })
        );
        assert!(matches!(
            MeanProfile::weekly(4).fit_predict(&history, 24),
            Err(ForecastError::HistoryTooShort { needed: WEEK_HOURS, .. })
        ));
        assert!(matches!(
            HistoricMean.fit_predict(&[], 1),
            Err(ForecastError::HistoryTooShort { needed: 1, found: 0, .. })
        ));
    }

    #[test]
    fn bad_parameters_and_values_are_errors() {
        assert!(matches!(
            SeasonalNaive { period: 0 }.fit_predict(&[1.0], 1),
            Err(ForecastError::InvalidParameter { name: "period", .. })
        ));
        assert!(matches!(
            MeanProfile { period: 2, weeks: 0 }.fit_predict(&[1.0, 2.0], 1),
            Err(ForecastError::InvalidParameter { name: "weeks", .. })
        ));
        assert!(matches!(
            HistoricMean.fit_predict(&[1.0, f64::NAN], 1),
            Err(ForecastError::NonFinite { what: "history", index: 1, .. })
        ));
    }

    #[test]
    fn names() {
        assert_eq!(SeasonalNaive::daily().name(), "SeasonalNaive24");
        assert_eq!(MeanProfile::weekly(4).name(), "MeanProfile168x4");
        assert_eq!(HistoricMean.name(), "HistoricMean");
    }
}
