//! [`Ensemble`]: member forecasters combined by how well each did on the latest history.
//!
//! At every fit, an inner rolling backtest runs on the history alone: the member forecasts
//! the `windows` latest back-to-back windows of `horizon` before the end of the history
//! (inner origins `n − horizon`, `n − 2·horizon`, …), keeping only the windows whose origin
//! leaves at least `min_history` buckets of history. Each member's score is its mean absolute
//! error over those windows; a member that fails on any of them (too short a history for it)
//! is left out. Then, by [`Combine`]:
//!
//! - [`Combine::InverseMae`] (the default): weights `w_m = (1 / MAE_m) / Σ_k (1 / MAE_k)`.
//!   If some members score an MAE of exactly 0, they share the weight equally and the others
//!   get none.
//! - [`Combine::Best`]: all weight on the lowest MAE; ties go to the member listed first.
//!
//! If no inner window fits (a very short history), every member that can forecast gets an
//! equal weight. The forecast is `Σ w_m · ŷ_m` over the members' forecasts from the whole
//! history, clamped at 0. Members are evaluated in their listed order and sums run in that
//! order, so the result is deterministic.
//!
//! Cost: `members × (windows + 1)` fits per forecast. Holt-Winters fits by optimisation and
//! is far slower than the rest, so the CLI's `ensemble` leaves it out.

use super::error::ForecastError;
use super::metrics::mae;
use super::model::{Forecaster, WEEK_HOURS};

/// How member scores become weights. See the [module](self) docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Combine {
    /// Weights proportional to `1 / MAE`.
    #[default]
    InverseMae,
    /// The single member with the lowest MAE (the first listed on ties).
    Best,
}

/// Each member's forecast from the whole history, in member order; `None` for a member that
/// cannot forecast it (too short a history).
pub type MemberForecasts = Vec<Option<Vec<f64>>>;

/// A weighted combination of member forecasters. See the [module](self) docs.
pub struct Ensemble {
    /// The members, in priority order (ties in [`Combine::Best`] go to the first).
    pub members: Vec<Box<dyn Forecaster>>,
    /// Inner backtest windows (3).
    pub windows: usize,
    /// Least history an inner origin must leave (one week).
    pub min_history: usize,
    /// The weighting rule.
    pub combine: Combine,
}

impl Ensemble {
    /// An inverse-MAE ensemble of `members` over the 3 latest windows.
    pub fn new(members: Vec<Box<dyn Forecaster>>) -> Ensemble {
        Ensemble { members, windows: 3, min_history: WEEK_HOURS, combine: Combine::InverseMae }
    }

    /// The members' weights for a forecast of `horizon` after `history`, in member order
    /// (they sum to 1; a member left out has 0), and their full-history forecasts.
    pub fn weights(
        &self,
        history: &[f64],
        horizon: usize,
    ) -> Result<(Vec<f64>, MemberForecasts), ForecastError> {
        if self.members.is_empty() {
            return Err(ForecastError::Empty { what: "ensemble members" });
        }
        if self.windows == 0 {
            return Err(ForecastError::InvalidParameter {
                name: "windows",
                expected: "at least 1",
                found: "0".to_owned(),
            });
        }
        let n = history.len();
        // Inner origins, latest first, each leaving min_history before it.
        let origins: Vec<usize> = (1..=self.windows)
            .filter_map(|w| n.checked_sub(w.checked_mul(horizon)?))
            .filter(|&o| o >= self.min_history.max(1))
            .collect();
        // Each member's full forecast (None if it cannot forecast) and inner MAE.
        let mut finals = Vec::with_capacity(self.members.len());
        let mut scores: Vec<Option<f64>> = Vec::with_capacity(self.members.len());
        for member in &self.members {
            let full = match member.fit_predict(history, horizon) {
                Ok(f) => Some(f),
                Err(ForecastError::HistoryTooShort { .. } | ForecastError::FitFailed { .. }) => {
                    None
                }
                Err(e) => return Err(e),
            };
            let score = if full.is_none() || origins.is_empty() || horizon == 0 {
                None
            } else {
                let mut total = 0.0;
                let mut ok = true;
                for &o in &origins {
                    match member.fit_predict(&history[..o], horizon) {
                        Ok(f) => total += mae(&history[o..o + horizon], &f)?,
                        Err(_) => {
                            ok = false;
                            break;
                        }
                    }
                }
                ok.then(|| total / origins.len() as f64)
            };
            finals.push(full);
            scores.push(score);
        }
        if finals.iter().all(Option::is_none) {
            return Err(ForecastError::HistoryTooShort {
                model: self.name(),
                needed: n + 1,
                found: n,
            });
        }
        let weights = if scores.iter().all(Option::is_none) {
            // No inner window: equal weights over the members that forecast.
            let able = finals.iter().filter(|f| f.is_some()).count() as f64;
            finals.iter().map(|f| if f.is_some() { 1.0 / able } else { 0.0 }).collect()
        } else {
            weights_from_scores(&scores, self.combine)
        };
        Ok((weights, finals))
    }
}

/// Weights from member scores (MAE; `None`: left out) by `combine`; see the module docs.
fn weights_from_scores(scores: &[Option<f64>], combine: Combine) -> Vec<f64> {
    let mut weights = vec![0.0; scores.len()];
    match combine {
        Combine::Best => {
            let mut best: Option<(usize, f64)> = None;
            for (i, s) in scores.iter().enumerate() {
                if let Some(s) = *s
                    && best.is_none_or(|(_, b)| s < b)
                {
                    best = Some((i, s));
                }
            }
            if let Some((i, _)) = best {
                weights[i] = 1.0;
            }
        }
        Combine::InverseMae => {
            let perfect = scores.iter().filter(|s| **s == Some(0.0)).count();
            if perfect > 0 {
                for (w, s) in weights.iter_mut().zip(scores) {
                    if *s == Some(0.0) {
                        *w = 1.0 / perfect as f64;
                    }
                }
            } else {
                let total: f64 = scores.iter().flatten().map(|s| 1.0 / s).sum();
                for (w, s) in weights.iter_mut().zip(scores) {
                    if let Some(s) = s {
                        *w = (1.0 / s) / total;
                    }
                }
            }
        }
    }
    weights
}

impl Forecaster for Ensemble {
    fn name(&self) -> String {
        let members: Vec<String> = self.members.iter().map(|m| m.name()).collect();
        let rule = match self.combine {
            Combine::InverseMae => "InverseMae",
            Combine::Best => "Best",
        };
        format!("Ensemble{rule}[{}]", members.join(","))
    }

    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
        let (weights, finals) = self.weights(history, horizon)?;
        let mut out = vec![0.0; horizon];
        for (w, f) in weights.iter().zip(&finals) {
            if let Some(f) = f
                && *w > 0.0
            {
                for (o, v) in out.iter_mut().zip(f) {
                    *o += w * v;
                }
            }
        }
        Ok(out.into_iter().map(|v| v.max(0.0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::model::{HistoricMean, SeasonalNaive};

    /// Forecasts a constant.
    struct Constant(f64);

    impl Forecaster for Constant {
        fn name(&self) -> String {
            format!("Constant{}", self.0)
        }

        fn fit_predict(&self, _: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
            Ok(vec![self.0; horizon])
        }
    }

    fn small(members: Vec<Box<dyn Forecaster>>, combine: Combine) -> Ensemble {
        Ensemble { members, windows: 2, min_history: 1, combine }
    }

    #[test]
    fn inverse_mae_weights_by_hand() {
        // History of 10 fours, horizon 2: inner origins 8 and 6. Constant 3 has MAE 1,
        // Constant 6 has MAE 2. Weights: (1/1) / (1 + 1/2) = 2/3 and (1/2) / 1.5 = 1/3.
        // Forecast: 2/3 · 3 + 1/3 · 6 = 4.
        let e = small(vec![Box::new(Constant(3.0)), Box::new(Constant(6.0))], Combine::InverseMae);
        let (w, _) = e.weights(&[4.0; 10], 2).unwrap();
        assert!((w[0] - 2.0 / 3.0).abs() < 1e-12 && (w[1] - 1.0 / 3.0).abs() < 1e-12, "{w:?}");
        let f = e.fit_predict(&[4.0; 10], 2).unwrap();
        assert!(f.iter().all(|v| (v - 4.0).abs() < 1e-12), "{f:?}");
    }

    #[test]
    fn best_picks_the_lowest_mae_and_the_first_on_ties() {
        // Constants 3 and 5 both have MAE 1 on fours: the first listed wins.
        let e = small(
            vec![Box::new(Constant(6.0)), Box::new(Constant(3.0)), Box::new(Constant(5.0))],
            Combine::Best,
        );
        assert_eq!(e.weights(&[4.0; 10], 2).unwrap().0, [0.0, 1.0, 0.0]);
        assert_eq!(e.fit_predict(&[4.0; 10], 2).unwrap(), [3.0, 3.0]);
    }

    #[test]
    fn a_perfect_member_takes_all_the_weight() {
        // A pure weekly cycle: the weekly seasonal naive has inner MAE 0, the mean does not.
        let cycle: Vec<f64> = (0..168 * 5).map(|t| (t % 168) as f64).collect();
        let e = Ensemble::new(vec![Box::new(HistoricMean), Box::new(SeasonalNaive::weekly())]);
        let (w, _) = e.weights(&cycle, 168).unwrap();
        assert_eq!(w, [0.0, 1.0]);
        let expected: Vec<f64> = (0..168).map(|t| t as f64).collect();
        assert_eq!(e.fit_predict(&cycle, 168).unwrap(), expected);
    }

    #[test]
    fn members_that_cannot_forecast_are_left_out() {
        // 200 buckets, horizon 24, 3 windows: inner origins 176, 152, 128 leave ≥ 1 bucket;
        // the weekly naive cannot forecast from 152 or 128 (needs 168) and is left out.
        let history: Vec<f64> = (0..200).map(|t| (t % 5) as f64).collect();
        let e = Ensemble {
            members: vec![Box::new(SeasonalNaive::weekly()), Box::new(HistoricMean)],
            windows: 3,
            min_history: 1,
            combine: Combine::InverseMae,
        };
        assert_eq!(e.weights(&history, 24).unwrap().0, [0.0, 1.0]);
        // No inner window leaves 180 buckets (176 is the latest origin): equal weights over
        // the members that can forecast the whole history (both, at 200 ≥ 168).
        let e = Ensemble { min_history: 180, ..e };
        assert_eq!(e.weights(&history, 24).unwrap().0, [0.5, 0.5]);
        // No member can forecast: an error.
        let e = Ensemble::new(vec![Box::new(SeasonalNaive::weekly())]);
        assert!(matches!(e.fit_predict(&[1.0; 10], 2), Err(ForecastError::HistoryTooShort { .. })));
    }

    #[test]
    fn bad_configurations_are_errors() {
        assert!(matches!(
            Ensemble::new(vec![]).fit_predict(&[1.0], 1),
            Err(ForecastError::Empty { what: "ensemble members" })
        ));
        let e = Ensemble { windows: 0, ..Ensemble::new(vec![Box::new(HistoricMean)]) };
        assert!(matches!(
            e.fit_predict(&[1.0], 1),
            Err(ForecastError::InvalidParameter { name: "windows", .. })
        ));
        let e = Ensemble::new(vec![Box::new(HistoricMean)]);
        assert!(matches!(e.fit_predict(&[1.0, f64::NAN], 1), Err(ForecastError::NonFinite { .. })));
        assert_eq!(e.name(), "EnsembleInverseMae[HistoricMean]");
    }
}
