//! Forecast backtests against the public anchors of `shared/reference/forecast-anchors.md`
//! (statsforecast 2.1.1, measured independently): hourly core-hours submitted, all queues,
//! one-week horizon, 8 weekly rolling origins, MASE scaled by the in-sample weekly seasonal
//! naive. Our engine's models and metrics must land on the same numbers.

use engine::forecast::{BacktestConfig, Measure, ResourceClass};
use sim::forecast::{ForecastOptions, run};
use sim::trace::import::{Format, ImportOptions, import};
use tests::shared_data;

/// Mean MASE per model over the 8 origins.
fn mean_mase(file: &str) -> Option<Vec<(String, f64)>> {
    let path = shared_data(&format!("traces/{file}"))?;
    let trace = import(&path, &ImportOptions { format: Format::Swf, ..ImportOptions::default() })
        .expect("imports");
    let options = ForecastOptions {
        queue: None,
        resource: ResourceClass::Vcpu,
        measure: Measure::Submitted,
        models: ["seasonal_naive_168", "historic_mean", "mean_profile_4w"]
            .map(str::to_owned)
            .to_vec(),
        backtest: BacktestConfig { horizon: 168, origins: 8, calibration: 4, season: 168 },
    };
    let report = run(&trace, &options).expect("backtests");
    Some(
        report
            .models
            .iter()
            .map(|m| {
                let mase: Vec<f64> = m.origins.iter().map(|o| o.mase.expect("defined")).collect();
                (m.model.clone(), mase.iter().sum::<f64>() / mase.len() as f64)
            })
            .collect(),
    )
}

fn check(file: &str, anchors: [f64; 3]) {
    let Some(ours) = mean_mase(file) else { return };
    for ((model, mase), anchor) in ours.iter().zip(anchors) {
        assert!(
            (mase - anchor).abs() < 0.01,
            "{file} {model}: MASE {mase:.3}, statsforecast anchor {anchor:.3}"
        );
    }
}

#[test]
fn hpc2n_demand_matches_the_anchors() {
    // Anchors: SNaive168 0.810, HistAvg 0.897, mean of last 4 weeks 0.779.
    check("HPC2N-2002-2.2-cln.swf.gz", [0.810, 0.897, 0.779]);
}

#[test]
fn ctc_demand_matches_the_anchors() {
    // Anchors: SNaive168 1.092, HistAvg 0.919, mean of last 4 weeks 0.973.
    check("CTC-SP2-1996-3.1-cln.swf.gz", [1.092, 0.919, 0.973]);
}
