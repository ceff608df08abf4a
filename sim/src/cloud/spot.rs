//! The spot price process: a mean-reverting log-AR(1) around each offer's catalog spot price,
//! stepping every `reprice_interval_s`, a pure function of the seed.
//!
//! # Formula
//!
//! For an offer with catalog spot price `μ` and on-demand price `od`, step `k` covers
//! `[origin + k·Δ, origin + (k+1)·Δ)` with `Δ = reprice_interval_s` and `origin` the time the
//! provider was built. With `σ = price_volatility` (the provider's [`SpotTerms`]) and
//! `φ = reversion` (the configuration), the log deviation is
//!
//! ```text
//! x₀ = s·ε₀,  s² = σ² / (1 − φ²)        (the stationary spread)
//! x_k = φ·x_{k−1} + σ·ε_k
//! p_k = clamp(μ · exp(x_k − s²/2), floor·od, cap·od)
//! ```
//!
//! so that, before clamping, `E[p_k] = μ`: the catalog price is the long-run mean.
//!
//! # Where the shocks come from
//!
//! `ε_k` of offer `o` is a standard normal made by Box–Muller from the two 64-bit words at
//! word position `4k` of the ChaCha8 stream `spot:<cloud>` with ChaCha stream id `o + 1`
//! (`u₁ = (w₁ >> 11 + 1)/2⁵³ ∈ (0, 1]`, `u₂ = (w₂ >> 11)/2⁵³`, `ε = √(−2 ln u₁)·cos 2πu₂`).
//! Every shock is therefore addressed by (offer, step): the price of one offer never depends
//! on which other offers were queried, or in what order. (Stream id 0 of the same key is the
//! sequential source of interruption draws, see `sim::cloud::provider`.)
//!
//! [`SpotTerms`]: engine::cloud::SpotTerms

use std::cell::RefCell;
use std::collections::BTreeMap;

use rand::RngCore;
use rand_chacha::ChaCha8Rng;

use engine::SimTime;
use engine::cloud::{Catalog, Cloud, OfferIx};
use engine::time::MICROS_PER_SEC;

use super::config::SimCloudConfig;
use crate::kernel::rng::RngStreams;

/// The spot prices of a run: every spot offer's price path and step clock, exactly as the
/// simulated providers bill them. The providers hold one each (of their own cloud); the oracle
/// rebuilds the run's from its seed and start, so that it prices spot at the realised prices
/// rather than the catalog's long-run mean (a path can dip below the mean, and a lower bound
/// must see the dip).
#[derive(Clone, Debug)]
pub struct SpotMarket {
    paths: BTreeMap<OfferIx, (SpotPath, StepClock)>,
}

impl SpotMarket {
    /// The paths of `catalog`'s spot offers (of `cloud` only, when given), stepping from
    /// `start`, with shocks from the `spot:<cloud>` streams of `streams`.
    pub fn new(
        catalog: &Catalog,
        cloud: Option<Cloud>,
        config: &SimCloudConfig,
        streams: &RngStreams,
        start: SimTime,
    ) -> SpotMarket {
        let mut paths = BTreeMap::new();
        for c in Cloud::ALL.into_iter().filter(|c| cloud.is_none_or(|only| only == *c)) {
            let Some(terms) = catalog.provider(c) else { continue };
            let base = streams.stream(&format!("spot:{}", c.as_str()));
            let clock = StepClock::new(start, terms.spot.reprice_interval_s);
            for ix in catalog.offer_ids() {
                let offer = catalog.offer(ix);
                let Some(spot) = offer.spot.filter(|_| offer.cloud == c) else { continue };
                let path = SpotPath::new(
                    &base,
                    u64::from(ix.0) + 1,
                    spot.usd_per_hour,
                    offer.on_demand_usd_per_hour,
                    terms.spot.price_volatility,
                    &config.spot,
                );
                paths.insert(ix, (path, clock));
            }
        }
        SpotMarket { paths }
    }

    /// The spot market of a run with `seed` whose providers started at `start`.
    pub fn of_run(
        catalog: &Catalog,
        config: &SimCloudConfig,
        seed: u64,
        start: SimTime,
    ) -> SpotMarket {
        SpotMarket::new(catalog, None, config, &RngStreams::new(seed), start)
    }

    /// The price of `offer` at `at`, USD per instance-hour; `None` when it sells no spot.
    pub fn price(&self, offer: OfferIx, at: SimTime) -> Option<f64> {
        self.paths.get(&offer).map(|(path, clock)| path.price(clock.step(at)))
    }

    /// What one spot instance of `offer` costs from `from` to `to`, USD (0 without spot).
    pub fn cost(&self, offer: OfferIx, from: SimTime, to: SimTime) -> f64 {
        self.paths.get(&offer).map_or(0.0, |(path, clock)| clock.cost(path, from, to))
    }

    /// The lowest price of `offer` in `[from, to)` (at `from` when the span is empty).
    pub fn min_price(&self, offer: OfferIx, from: SimTime, to: SimTime) -> Option<f64> {
        let (path, clock) = self.paths.get(&offer)?;
        let mut lowest = path.price(clock.step(from));
        let mut k = clock.step(from) + 1;
        while clock.start(k) < to {
            lowest = lowest.min(path.price(k));
            k += 1;
        }
        Some(lowest)
    }
}

/// One offer's spot price path, computed lazily and cached.
#[derive(Clone, Debug)]
pub(crate) struct SpotPath {
    base: ChaCha8Rng,
    mean: f64,
    floor: f64,
    cap: f64,
    sigma: f64,
    phi: f64,
    /// `x_k` for every step computed so far. Behind a `RefCell` so that reading a price through
    /// `&self` (the port's `spot_price`) extends the cache too: without it every such read
    /// recomputed the path from the cache's end, so querying each step in turn cost O(k²).
    xs: RefCell<Vec<f64>>,
}

/// A standard normal from two words (Box–Muller, cosine branch).
fn normal(w1: u64, w2: u64) -> f64 {
    let scale = 1.0 / (1u64 << 53) as f64;
    let u1 = ((w1 >> 11) + 1) as f64 * scale;
    let u2 = (w2 >> 11) as f64 * scale;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl SpotPath {
    /// The path of offer `stream_id − 1`; `base` is the `spot:<cloud>` stream.
    pub(crate) fn new(
        base: &ChaCha8Rng,
        stream_id: u64,
        mean: f64,
        on_demand: f64,
        sigma: f64,
        config: &super::config::SpotConfig,
    ) -> SpotPath {
        let mut base = base.clone();
        base.set_stream(stream_id);
        SpotPath {
            base,
            mean,
            floor: config.floor_of_on_demand * on_demand,
            cap: config.cap_of_on_demand * on_demand,
            sigma,
            phi: config.reversion,
            xs: RefCell::new(Vec::new()),
        }
    }

    fn shock(&self, k: u64) -> f64 {
        let mut rng = self.base.clone();
        rng.set_word_pos(u128::from(k) * 4);
        normal(rng.next_u64(), rng.next_u64())
    }

    fn spread2(&self) -> f64 {
        self.sigma * self.sigma / (1.0 - self.phi * self.phi)
    }

    fn x_next(&self, k: u64, prev: Option<f64>) -> f64 {
        match prev {
            None => self.spread2().sqrt() * self.shock(k),
            Some(x) => self.phi * x + self.sigma * self.shock(k),
        }
    }

    /// Caches `x_0 … x_k`.
    pub(crate) fn extend_to(&self, k: u64) {
        let mut xs = self.xs.borrow_mut();
        while (xs.len() as u64) <= k {
            let x = self.x_next(xs.len() as u64, xs.last().copied());
            xs.push(x);
        }
    }

    /// `x_k`, computed forward from the cache's end and cached.
    fn x(&self, k: u64) -> f64 {
        self.extend_to(k);
        self.xs.borrow().get(k as usize).copied().unwrap_or(0.0)
    }

    /// The price of step `k`, USD per instance-hour.
    pub(crate) fn price(&self, k: u64) -> f64 {
        let p = self.mean * (self.x(k) - self.spread2() / 2.0).exp();
        p.clamp(self.floor, self.cap.max(self.floor))
    }
}

/// Step arithmetic: which step a time falls in, and when a step starts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StepClock {
    pub(crate) origin: SimTime,
    pub(crate) interval_us: u64,
}

impl StepClock {
    pub(crate) fn new(origin: SimTime, interval_s: u64) -> StepClock {
        StepClock { origin, interval_us: interval_s.max(1).saturating_mul(MICROS_PER_SEC) }
    }

    /// The step `t` falls in (times before the origin are in step 0).
    pub(crate) fn step(&self, t: SimTime) -> u64 {
        t.saturating_since(self.origin).as_micros() / self.interval_us
    }

    /// When step `k` starts.
    pub(crate) fn start(&self, k: u64) -> SimTime {
        SimTime(self.origin.0.saturating_add(k.saturating_mul(self.interval_us)))
    }

    /// `Σ price_k × overlap([from, to), step k)` in dollars: the spot cost of one instance.
    pub(crate) fn cost(&self, path: &SpotPath, from: SimTime, to: SimTime) -> f64 {
        let mut usd = 0.0;
        let mut t = from;
        while t < to {
            let k = self.step(t);
            let end = self.start(k + 1).min(to);
            usd += super::ledger::usd_for(path.price(k), end.0 - t.0);
            t = end;
        }
        usd
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::config::SpotConfig;
    use crate::kernel::rng::RngStreams;

    fn path(seed: u64, sigma: f64) -> SpotPath {
        let base = RngStreams::new(seed).stream("spot:aws");
        SpotPath::new(&base, 1, 0.07, 0.17, sigma, &SpotConfig::default())
    }

    #[test]
    fn zero_volatility_is_the_catalog_price() {
        // σ = 0: x_k = 0 and s² = 0, so p_k = μ = 0.07 at every step.
        let p = path(1, 0.0);
        for k in [0, 1, 100] {
            assert_eq!(p.price(k), 0.07);
        }
    }

    #[test]
    fn the_path_is_deterministic_cached_or_not_and_clamped() {
        let cached = path(7, 0.3);
        cached.extend_to(50);
        let fresh = path(7, 0.3);
        for k in 0..80 {
            assert_eq!(cached.price(k), fresh.price(k));
            // floor 0.1 × 0.17 = 0.017, cap 1.0 × 0.17 = 0.17.
            assert!((0.017..=0.17).contains(&cached.price(k)));
        }
        assert_ne!(path(8, 0.3).price(3), fresh.price(3), "another seed, another path");
        assert_ne!(fresh.price(3), fresh.price(4), "the price moves");
    }

    #[test]
    fn the_long_run_mean_is_the_catalog_price() {
        // σ = 0.05, φ = 0.9: s = 0.05/√0.19 = 0.115, far from the clamps, so the mean of
        // 20,000 steps is μ = 0.07 within a few standard errors (the AR(1) effective sample is
        // ~20,000 × (1−φ)/(1+φ) ≈ 1,050; SE ≈ 0.07 × 0.115 / √1050 ≈ 0.00025).
        let p = path(3, 0.05);
        p.extend_to(20_000);
        let mean = (0..20_000).map(|k| p.price(k)).sum::<f64>() / 20_000.0;
        assert!((mean - 0.07).abs() < 0.0015, "{mean}");
    }

    #[test]
    fn cost_sums_price_times_overlap() {
        // σ = 0 so every step is $0.07/h; 90 minutes across two hourly steps is $0.105.
        let p = path(1, 0.0);
        let clock = StepClock::new(SimTime::from_secs(0), 3600);
        let usd = clock.cost(&p, SimTime::from_secs(1800), SimTime::from_secs(7200));
        assert!((usd - 0.105).abs() < 1e-12, "{usd}");
    }
}
