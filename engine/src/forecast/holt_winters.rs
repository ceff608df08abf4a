//! Additive Holt–Winters (triple exponential smoothing) with fitted smoothing parameters.
//!
//! [`HoltWinters`] keeps a level `l`, a trend `b` and one season of `period` additive seasonal
//! terms `s`, updated after each observation `y_t` (Hyndman & Athanasopoulos, *FPP*, §8.3, with
//! the damped trend of §8.2; `φ = 1` when not damped):
//!
//! ```text
//! ŷ_t = l_{t−1} + φ·b_{t−1} + s_{t−m}                          (one-step forecast)
//! l_t = α·(y_t − s_{t−m}) + (1 − α)·(l_{t−1} + φ·b_{t−1})
//! b_t = β·(l_t − l_{t−1}) + (1 − β)·φ·b_{t−1}
//! s_t = γ·(y_t − l_{t−1} − φ·b_{t−1}) + (1 − γ)·s_{t−m}
//! ŷ_{n+h} = l_n + (φ + φ² + … + φ^h)·b_n + s_{n+h−m·k}        (k: the fewest whole seasons
//!                                                               that bring the index ≤ n)
//! ```
//!
//! **Initial state**, from the first two seasons of the fitting window (the classic
//! decomposition): the trend is `(mean of season 2 − mean of season 1) / m`; the seasonal terms
//! are the deviations of season 1 from its mean, after removing that trend inside the season
//! (`s_j = y_j − (mean₁ + b·(j − (m−1)/2))`, so they sum to zero and a pure linear trend leaves
//! no seasonal residue); the level, placed at the end of season 1, is `mean₁ + b·(m−1)/2`. The
//! recursion then runs from the first point of season 2.
//!
//! **Fitting**: `α`, `β`, `γ` (and `φ` if damped) minimise the in-sample mean squared one-step
//! error, found by a deterministic Nelder–Mead search ([`MAX_EVALUATIONS`] objective
//! evaluations at most, from fixed start points, no wall-clock limit). Each parameter is a
//! logistic transform of an unconstrained search variable, so `α`, `β`, `γ` stay in
//! [[`PARAM_MIN`], [`PARAM_MAX`]] and `φ` in [[`PHI_MIN`], [`PHI_MAX`]] (the usual damping range:
//! a smaller `φ` would all but drop the trend, which the undamped model with a small `β` and a
//! flat level already covers).
//!
//! **Cost**: only the last [`FIT_PERIODS`] seasons of a longer history are used (8 weeks of an
//! hourly series for the weekly season), so a fit costs at most
//! `MAX_EVALUATIONS × FIT_PERIODS × period` recursion steps whatever the history length; older
//! history would barely move exponentially smoothed states anyway.
//!
//! **Non-negative output**: demand is never negative, so forecasts below zero are clamped to 0.
//!
//! Seasonal positions are counted from the start of the fitting window, like
//! [`SeasonalNaive`](super::SeasonalNaive); the forecasts do not depend on where the history
//! starts within a season.

use super::error::{ForecastError, check_finite};
use super::model::{DAY_HOURS, Forecaster, WEEK_HOURS};

/// The most recent seasons a fit uses; older history is ignored.
pub const FIT_PERIODS: usize = 8;
/// The most evaluations of the in-sample error the parameter search makes per fit.
pub const MAX_EVALUATIONS: usize = 300;
/// The smallest value of `α`, `β` and `γ`.
pub const PARAM_MIN: f64 = 0.001;
/// The largest value of `α`, `β` and `γ`.
pub const PARAM_MAX: f64 = 0.999;
/// The smallest damping factor `φ` of a damped model.
pub const PHI_MIN: f64 = 0.8;
/// The largest damping factor `φ` of a damped model.
pub const PHI_MAX: f64 = 0.98;

/// Additive Holt–Winters with level, (optionally damped) trend and one season of `period`
/// buckets, its smoothing parameters fitted on the history. See the [module](self) docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoltWinters {
    /// The season length in buckets (168 for the weekly season of an hourly series). At least
    /// 1; the history needs at least two seasons.
    pub period: usize,
    /// Whether the trend is damped by a fitted `φ` (forecasts level off instead of following
    /// the trend forever).
    pub damped: bool,
}

impl Default for HoltWinters {
    /// Weekly season of an hourly series, undamped trend.
    fn default() -> HoltWinters {
        HoltWinters::weekly()
    }
}

impl HoltWinters {
    /// The weekly-season model of an hourly series, undamped.
    pub const fn weekly() -> HoltWinters {
        HoltWinters { period: WEEK_HOURS, damped: false }
    }

    /// The daily-season model of an hourly series, undamped.
    pub const fn daily() -> HoltWinters {
        HoltWinters { period: DAY_HOURS, damped: false }
    }

    /// Fits the smoothing parameters on `history` (its last [`FIT_PERIODS`] seasons) and
    /// returns the fitted model, ready to [`forecast`](HoltWintersFit::forecast).
    ///
    /// Errors if `period` is 0, if the history holds fewer than `2 × period` points or a
    /// non-finite value, or if the values are so large that the fitted state overflows.
    pub fn fit(&self, history: &[f64]) -> Result<HoltWintersFit, ForecastError> {
        let m = self.period;
        if m == 0 {
            return Err(ForecastError::InvalidParameter {
                name: "period",
                expected: "at least 1",
                found: "0".to_owned(),
            });
        }
        let needed = m.saturating_mul(2);
        if history.len() < needed {
            return Err(ForecastError::HistoryTooShort {
                model: self.name(),
                needed,
                found: history.len(),
            });
        }
        check_finite("history", history)?;
        let window_len = history.len().min(m.saturating_mul(FIT_PERIODS));
        let y = &history[history.len() - window_len..];
        let init = initial_state(y, m);

        let dims = if self.damped { 4 } else { 3 };
        let starts: Vec<Vec<f64>> = START_POINTS
            .iter()
            .map(|p| {
                let mut x = vec![
                    to_search(p[0], PARAM_MIN, PARAM_MAX),
                    to_search(p[1], PARAM_MIN, PARAM_MAX),
                    to_search(p[2], PARAM_MIN, PARAM_MAX),
                ];
                if self.damped {
                    x.push(to_search(p[3], PHI_MIN, PHI_MAX));
                }
                x
            })
            .collect();
        let damped = self.damped;
        let objective = |x: &[f64]| {
            let (sse, _) = run(y, m, &Params::from_search(x, damped), &init);
            let mse = sse / (window_len - m) as f64;
            if mse.is_finite() { mse } else { f64::INFINITY }
        };
        let (best, mse, evaluations) = nelder_mead(objective, &starts, dims, MAX_EVALUATIONS);
        let params = Params::from_search(&best, damped);
        let (_, state) = run(y, m, &params, &init);
        if let Some((what, value)) = [("level", state.level), ("trend", state.trend)]
            .into_iter()
            .find(|(_, v)| !v.is_finite())
        {
            return Err(ForecastError::NonFinite { what, index: 0, value });
        }
        check_finite("seasonal", &state.seasonal)?;
        // Rotate the seasonal terms so that `seasonal[k]` belongs to forecast step k + 1.
        let seasonal = (0..m).map(|k| state.seasonal[(window_len + k) % m]).collect();
        Ok(HoltWintersFit {
            alpha: params.alpha,
            beta: params.beta,
            gamma: params.gamma,
            phi: params.phi,
            mse,
            evaluations,
            level: state.level,
            trend: state.trend,
            seasonal,
        })
    }
}

impl Forecaster for HoltWinters {
    fn name(&self) -> String {
        if self.damped {
            format!("HoltWintersDamped{}", self.period)
        } else {
            format!("HoltWinters{}", self.period)
        }
    }

    fn fit_predict(&self, history: &[f64], horizon: usize) -> Result<Vec<f64>, ForecastError> {
        let forecast = self.fit(history)?.forecast(horizon);
        check_finite("forecast", &forecast)?;
        Ok(forecast)
    }
}

/// A fitted [`HoltWinters`] model: the chosen parameters and the final state.
#[derive(Clone, Debug, PartialEq)]
pub struct HoltWintersFit {
    /// Level smoothing, in [[`PARAM_MIN`], [`PARAM_MAX`]].
    pub alpha: f64,
    /// Trend smoothing, in [[`PARAM_MIN`], [`PARAM_MAX`]].
    pub beta: f64,
    /// Seasonal smoothing, in [[`PARAM_MIN`], [`PARAM_MAX`]].
    pub gamma: f64,
    /// Trend damping, in [[`PHI_MIN`], [`PHI_MAX`]] if damped, else exactly 1.
    pub phi: f64,
    /// The in-sample mean squared one-step error of these parameters on the fitting window
    /// (from its second season on).
    pub mse: f64,
    /// How many parameter sets the search evaluated (at most [`MAX_EVALUATIONS`]).
    pub evaluations: usize,
    level: f64,
    trend: f64,
    /// `seasonal[k]` is the seasonal term of forecast step `k + 1` (and every `period` after).
    seasonal: Vec<f64>,
}

impl HoltWintersFit {
    /// The `horizon` values after the history, each clamped at 0 (demand is non-negative).
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        let m = self.seasonal.len();
        let mut damping = 0.0;
        let mut phi_power = 1.0;
        (0..horizon)
            .map(|k| {
                phi_power *= self.phi;
                damping += phi_power;
                let value = self.level + damping * self.trend + self.seasonal[k % m];
                value.max(0.0)
            })
            .collect()
    }
}

/// Fixed start points of the search: (α, β, γ, φ); φ is used only by the damped model.
const START_POINTS: [[f64; 4]; 3] =
    [[0.2, 0.02, 0.1, 0.95], [0.5, 0.1, 0.3, 0.9], [0.05, 0.005, 0.05, 0.97]];

/// Smoothing parameters, in their constrained ranges.
struct Params {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

impl Params {
    /// Maps the unconstrained search variables to parameters.
    fn from_search(x: &[f64], damped: bool) -> Params {
        Params {
            alpha: from_search(x[0], PARAM_MIN, PARAM_MAX),
            beta: from_search(x[1], PARAM_MIN, PARAM_MAX),
            gamma: from_search(x[2], PARAM_MIN, PARAM_MAX),
            phi: if damped { from_search(x[3], PHI_MIN, PHI_MAX) } else { 1.0 },
        }
    }
}

/// `lo + (hi − lo)·logistic(x)`, so any finite (or infinite) `x` lands in `[lo, hi]`.
fn from_search(x: f64, lo: f64, hi: f64) -> f64 {
    let p = lo + (hi - lo) / (1.0 + (-x).exp());
    // NaN cannot come from the search (its points are finite), but stay in range regardless.
    if p.is_nan() { lo } else { p.clamp(lo, hi) }
}

/// The inverse of [`from_search`] for `p` strictly inside `(lo, hi)`.
fn to_search(p: f64, lo: f64, hi: f64) -> f64 {
    ((p - lo) / (hi - p)).ln()
}

/// Level, trend and the seasonal terms indexed by position modulo the period.
#[derive(Clone)]
struct State {
    level: f64,
    trend: f64,
    seasonal: Vec<f64>,
}

/// The classic initial state from the first two seasons (see the module docs).
fn initial_state(y: &[f64], m: usize) -> State {
    let mean1 = y[..m].iter().sum::<f64>() / m as f64;
    let mean2 = y[m..2 * m].iter().sum::<f64>() / m as f64;
    let trend = (mean2 - mean1) / m as f64;
    let centre = (m as f64 - 1.0) / 2.0;
    let seasonal =
        y[..m].iter().enumerate().map(|(j, v)| v - (mean1 + trend * (j as f64 - centre))).collect();
    State { level: mean1 + trend * centre, trend, seasonal }
}

/// Runs the recursion over `y[m..]` from `init`; returns the sum of squared one-step errors
/// and the final state.
fn run(y: &[f64], m: usize, p: &Params, init: &State) -> (f64, State) {
    let mut s = init.clone();
    let mut sse = 0.0;
    for (t, &value) in y.iter().enumerate().skip(m) {
        let j = t % m;
        let damped_trend = p.phi * s.trend;
        let base = s.level + damped_trend;
        let error = value - (base + s.seasonal[j]);
        sse += error * error;
        let level = p.alpha * (value - s.seasonal[j]) + (1.0 - p.alpha) * base;
        s.trend = p.beta * (level - s.level) + (1.0 - p.beta) * damped_trend;
        s.seasonal[j] = p.gamma * (value - base) + (1.0 - p.gamma) * s.seasonal[j];
        s.level = level;
    }
    (sse, s)
}

/// Counts evaluations against a budget and remembers the best point seen (the first on ties).
struct Evaluator<F> {
    f: F,
    evaluations: usize,
    budget: usize,
    best: Option<(Vec<f64>, f64)>,
}

impl<F: FnMut(&[f64]) -> f64> Evaluator<F> {
    /// The objective at `x`, or `None` once the budget is spent.
    fn eval(&mut self, x: &[f64]) -> Option<f64> {
        if self.evaluations >= self.budget {
            return None;
        }
        self.evaluations += 1;
        let value = (self.f)(x);
        let value = if value.is_nan() { f64::INFINITY } else { value };
        if self.best.as_ref().is_none_or(|(_, b)| value < *b) {
            self.best = Some((x.to_vec(), value));
        }
        Some(value)
    }
}

/// Minimises `f` over `dims` unconstrained variables with Nelder–Mead (reflection 1,
/// expansion 2, contraction ½, shrink ½): evaluates every start point, builds the initial
/// simplex around the best one with unit steps along each axis, and stops after `budget`
/// evaluations or once the simplex's values agree to a relative 1e-12. Returns the best point,
/// its value and the number of evaluations. Deterministic: vertices are ordered by value with
/// a stable sort, so ties keep their order.
fn nelder_mead<F: FnMut(&[f64]) -> f64>(
    f: F,
    starts: &[Vec<f64>],
    dims: usize,
    budget: usize,
) -> (Vec<f64>, f64, usize) {
    let mut ev = Evaluator { f, evaluations: 0, budget, best: None };
    search(&mut ev, starts, dims);
    let evaluations = ev.evaluations;
    match ev.best {
        Some((x, value)) => (x, value, evaluations),
        // Only with no start points or a zero budget.
        None => (vec![0.0; dims], f64::INFINITY, evaluations),
    }
}

/// The body of [`nelder_mead`]; returns early (`None`) when the budget runs out.
fn search<F: FnMut(&[f64]) -> f64>(
    ev: &mut Evaluator<F>,
    starts: &[Vec<f64>],
    dims: usize,
) -> Option<()> {
    for start in starts {
        ev.eval(start)?;
    }
    let (base, base_value) = ev.best.clone()?;
    let mut simplex: Vec<(Vec<f64>, f64)> = vec![(base.clone(), base_value)];
    for i in 0..dims {
        let mut x = base.clone();
        x[i] += 1.0;
        let value = ev.eval(&x)?;
        simplex.push((x, value));
    }
    loop {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[dims].1;
        if worst - best <= 1e-12 * best.abs() || (worst == best) {
            return Some(());
        }
        let mut centroid = vec![0.0; dims];
        for (x, _) in &simplex[..dims] {
            for (c, xi) in centroid.iter_mut().zip(x) {
                *c += xi / dims as f64;
            }
        }
        let along = |t: f64| -> Vec<f64> {
            centroid.iter().zip(&simplex[dims].0).map(|(c, w)| c + t * (c - w)).collect()
        };
        let reflected = along(1.0);
        let reflected_value = ev.eval(&reflected)?;
        if reflected_value < best {
            let expanded = along(2.0);
            let expanded_value = ev.eval(&expanded)?;
            simplex[dims] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
            continue;
        }
        if reflected_value < simplex[dims - 1].1 {
            simplex[dims] = (reflected, reflected_value);
            continue;
        }
        let (contracted, threshold) = if reflected_value < worst {
            (along(0.5), reflected_value)
        } else {
            (along(-0.5), worst)
        };
        let contracted_value = ev.eval(&contracted)?;
        if contracted_value < threshold
            || (reflected_value < worst && contracted_value <= threshold)
        {
            simplex[dims] = (contracted, contracted_value);
            continue;
        }
        // Shrink every vertex halfway towards the best.
        let best_x = simplex[0].0.clone();
        for vertex in simplex.iter_mut().skip(1) {
            let x: Vec<f64> =
                best_x.iter().zip(&vertex.0).map(|(b, v)| b + 0.5 * (v - b)).collect();
            let value = ev.eval(&x)?;
            *vertex = (x, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn max_relative_error(forecast: &[f64], expected: &[f64]) -> f64 {
        assert_eq!(forecast.len(), expected.len());
        forecast.iter().zip(expected).map(|(f, e)| ((f - e) / e).abs()).fold(0.0, f64::max)
    }

    /// A fixed pseudo-random sequence in [−0.5, 0.5) (a 64-bit LCG, Knuth's MMIX constants).
    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn linear_trend_is_extrapolated() {
        // Period 24, 10 days of y = 10 + 0.5 t: the initial state is exactly the line (trend
        // (mean₂ − mean₁)/24 = 0.5, no seasonal residue), so every one-step error is 0.
        let model = HoltWinters { period: 24, damped: false };
        let n = 240;
        let history: Vec<f64> = (0..n).map(|t| 10.0 + 0.5 * t as f64).collect();
        let expected: Vec<f64> = (n..n + 48).map(|t| 10.0 + 0.5 * t as f64).collect();
        let forecast = model.fit_predict(&history, 48).unwrap();
        let error = max_relative_error(&forecast, &expected);
        assert!(error < 1e-3, "{error}");
    }

    #[test]
    fn pure_seasonal_pattern_is_repeated() {
        // A 24-step pattern repeated 5 times and 7 steps, so the horizon starts mid-season.
        let pattern = |t: usize| [3.0, 0.5, 9.0, 4.0, 12.5, 7.0][t % 6] + (t % 24) as f64;
        let model = HoltWinters { period: 24, damped: false };
        let n = 5 * 24 + 7;
        let history: Vec<f64> = (0..n).map(pattern).collect();
        let expected: Vec<f64> = (n..n + 60).map(pattern).collect();
        let forecast = model.fit_predict(&history, 60).unwrap();
        for (f, e) in forecast.iter().zip(&expected) {
            assert!((f - e).abs() < 1e-6, "{f} vs {e}");
        }
    }

    #[test]
    fn trend_plus_season_is_forecast_within_one_percent() {
        let y = |t: usize| 100.0 + 0.2 * t as f64 + 10.0 * (2.0 * PI * t as f64 / 24.0).sin();
        for damped in [false, true] {
            let model = HoltWinters { period: 24, damped };
            let n = 24 * 12 + 5;
            let history: Vec<f64> = (0..n).map(y).collect();
            let expected: Vec<f64> = (n..n + 48).map(y).collect();
            let forecast = model.fit_predict(&history, 48).unwrap();
            let error = max_relative_error(&forecast, &expected);
            // The damped trend levels off: 48 steps of a lost 0.2/step trend is at most
            // ~9.6 on ~160, so it gets a looser bound.
            let bound = if damped { 0.06 } else { 0.01 };
            assert!(error < bound, "damped {damped}: {error}");
        }
    }

    #[test]
    fn noisy_series_is_fitted_better_than_the_start_points() {
        // Trend + season + noise: the search must improve on its best start point, and its
        // forecast must stay near the noise-free signal.
        let signal = |t: usize| 50.0 + 0.05 * t as f64 + 8.0 * (2.0 * PI * t as f64 / 24.0).cos();
        let n = 24 * 20;
        let eps = noise(n, 42);
        let history: Vec<f64> = (0..n).map(|t| signal(t) + 4.0 * eps[t]).collect();
        for damped in [false, true] {
            let model = HoltWinters { period: 24, damped };
            let fit = model.fit(&history).unwrap();
            assert!(fit.evaluations <= MAX_EVALUATIONS);
            for p in [fit.alpha, fit.beta, fit.gamma] {
                assert!((PARAM_MIN..=PARAM_MAX).contains(&p), "{p}");
            }
            if damped {
                assert!((PHI_MIN..=PHI_MAX).contains(&fit.phi), "{}", fit.phi);
            } else {
                assert_eq!(fit.phi, 1.0);
            }
            let window = &history[n - 24 * FIT_PERIODS..];
            let init = initial_state(window, 24);
            let best_start = START_POINTS
                .iter()
                .map(|p| {
                    let params = Params { alpha: p[0], beta: p[1], gamma: p[2], phi: fit.phi };
                    run(window, 24, &params, &init).0 / (window.len() - 24) as f64
                })
                .fold(f64::INFINITY, f64::min);
            assert!(fit.mse < best_start, "{} vs {best_start}", fit.mse);
            let expected: Vec<f64> = (n..n + 24).map(signal).collect();
            let error = max_relative_error(&fit.forecast(24), &expected);
            assert!(error < 0.1, "damped {damped}: {error}");
        }
    }

    #[test]
    fn fit_is_deterministic() {
        let n = 168 * 10 + 3;
        let eps = noise(n, 7);
        let history: Vec<f64> =
            (0..n).map(|t| 20.0 + 5.0 * ((t % 168) as f64 / 24.0).sin() + 3.0 * eps[t]).collect();
        for damped in [false, true] {
            let model = HoltWinters { period: 168, damped };
            let a = model.fit_predict(&history, 168).unwrap();
            let b = model.fit_predict(&history, 168).unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b));
            assert_eq!(model.fit(&history).unwrap(), model.fit(&history).unwrap());
        }
    }

    #[test]
    fn long_history_uses_only_the_last_periods() {
        // ~3 years hourly. Only the last 8 weeks are fitted, so changing older values changes
        // nothing, and the evaluation budget holds.
        let n = 26_280;
        let eps = noise(n, 3);
        let history: Vec<f64> =
            (0..n).map(|t| 30.0 + 6.0 * ((t % 168) as f64 / 27.0).cos() + 2.0 * eps[t]).collect();
        let model = HoltWinters::weekly();
        let fit = model.fit(&history).unwrap();
        assert!(fit.evaluations <= MAX_EVALUATIONS);
        let mut altered = history.clone();
        for v in &mut altered[..n - 168 * FIT_PERIODS] {
            *v += 1000.0;
        }
        assert_eq!(model.fit(&altered).unwrap(), fit);
    }

    #[test]
    fn forecasts_are_clamped_at_zero() {
        // A steep downward line: the extrapolation crosses zero and is clamped there.
        let model = HoltWinters { period: 4, damped: false };
        let history: Vec<f64> = (0..16).map(|t| 32.0 - 2.0 * t as f64).collect();
        let forecast = model.fit_predict(&history, 24).unwrap();
        // Steps 1..: 0, −2, … → [0, 0, …]; no value is negative.
        assert!(forecast.iter().all(|v| *v >= 0.0));
        assert_eq!(forecast[23], 0.0);
    }

    #[test]
    fn zero_horizon_is_empty() {
        let model = HoltWinters { period: 2, damped: true };
        assert_eq!(model.fit_predict(&[1.0, 2.0, 3.0, 4.0], 0).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn errors() {
        let model = HoltWinters { period: 24, damped: false };
        assert_eq!(
            model.fit_predict(&[1.0; 47], 1),
            Err(ForecastError::HistoryTooShort {
                model: "HoltWinters24".to_owned(),
                needed: 48,
                found: 47,
            })
        );
        let mut history = vec![1.0; 48];
        history[5] = f64::NAN;
        assert!(matches!(
            model.fit_predict(&history, 1),
            Err(ForecastError::NonFinite { what: "history", index: 5, .. })
        ));
        history[5] = f64::NEG_INFINITY;
        assert!(matches!(
            model.fit_predict(&history, 1),
            Err(ForecastError::NonFinite { what: "history", index: 5, .. })
        ));
        assert!(matches!(
            HoltWinters { period: 0, damped: false }.fit_predict(&[1.0], 1),
            Err(ForecastError::InvalidParameter { name: "period", .. })
        ));
        // Huge period: 2 × period saturates instead of overflowing.
        assert!(matches!(
            HoltWinters { period: usize::MAX, damped: false }.fit_predict(&[1.0], 1),
            Err(ForecastError::HistoryTooShort { needed: usize::MAX, .. })
        ));
        // Values near f64::MAX overflow the state: an error, not a panic or an infinite forecast.
        let huge: Vec<f64> =
            (0..8).map(|t| if t % 2 == 0 { f64::MAX } else { -f64::MAX }).collect();
        let result = HoltWinters { period: 2, damped: false }.fit_predict(&huge, 4);
        assert!(result.is_err() || result.unwrap().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn names_and_default() {
        assert_eq!(HoltWinters::default(), HoltWinters { period: 168, damped: false });
        assert_eq!(HoltWinters::default().name(), "HoltWinters168");
        assert_eq!(HoltWinters { period: 24, damped: true }.name(), "HoltWintersDamped24");
        assert_eq!(HoltWinters::daily().period, 24);
    }

    #[test]
    fn search_transform_round_trips() {
        for p in [0.01, 0.2, 0.5, 0.9, 0.99] {
            assert!(
                (from_search(to_search(p, PARAM_MIN, PARAM_MAX), PARAM_MIN, PARAM_MAX) - p).abs()
                    < 1e-12
            );
        }
        assert_eq!(from_search(f64::INFINITY, PARAM_MIN, PARAM_MAX), PARAM_MAX);
        assert_eq!(from_search(f64::NEG_INFINITY, PARAM_MIN, PARAM_MAX), PARAM_MIN);
    }

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        // (x − 1)² + 2(y + 0.5)² from a start at the origin.
        let f = |x: &[f64]| (x[0] - 1.0).powi(2) + 2.0 * (x[1] + 0.5).powi(2);
        let (x, value, evaluations) = nelder_mead(f, &[vec![0.0, 0.0]], 2, 300);
        assert!(evaluations <= 300);
        assert!(value < 1e-8, "{value}");
        assert!((x[0] - 1.0).abs() < 1e-3 && (x[1] + 0.5).abs() < 1e-3, "{x:?}");
    }
}
