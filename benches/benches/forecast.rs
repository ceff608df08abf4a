//! Forecasting at scale: fit and forecast one week for 100 hourly series of 3 years each
//! (26,280 points), per model of `shardcast forecast` (every name of
//! [`sim::forecast::MODEL_NAMES`], built as the CLI builds it). The series are deterministic: a
//! daily and a weekly cycle, a trend, and pseudo-random noise from a fixed linear
//! congruential generator.
//!
//! `cargo bench -p benches --bench forecast` (add `-- --quick` for a fast estimate).

#![allow(missing_docs, reason = "criterion's macros generate undocumented functions")]

use criterion::{Criterion, criterion_group, criterion_main};
use engine::forecast::Forecaster;
use sim::forecast::{MODEL_NAMES, model};

const HOURS: usize = 3 * 365 * 24;

fn series(index: u64) -> Vec<f64> {
    let mut state = index.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..HOURS)
        .map(|t| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let tf = t as f64;
            let daily = (2.0 * std::f64::consts::PI * tf / 24.0).sin();
            let weekly = if (t / 24) % 7 >= 5 { 0.4 } else { 1.0 };
            (100.0 + 0.001 * tf) * weekly * (1.0 + 0.5 * daily) + 20.0 * noise
        })
        .collect()
}

fn forecast(c: &mut Criterion) {
    let all: Vec<Vec<f64>> = (0..100).map(series).collect();
    let models: Vec<(&str, Box<dyn Forecaster>)> =
        MODEL_NAMES.iter().map(|name| (*name, model(name).expect("a known model"))).collect();
    let mut group = c.benchmark_group("forecast_100_series_3y_hourly");
    group.sample_size(10);
    for (name, model) in &models {
        group.bench_function(*name, |b| {
            b.iter(|| all.iter().map(|s| model.fit_predict(s, 168).expect("fits")[0]).sum::<f64>());
        });
    }
    group.finish();
}

criterion_group!(benches, forecast);
criterion_main!(benches);
