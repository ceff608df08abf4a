//! Forecast backtests on the real traces: hourly core-hours submitted (HPC2N, CTC-SP2) and
//! GPU-hours submitted (Alibaba GPU 2023), all queues, one-week horizon, 8 rolling origins,
//! MASE scaled by the in-sample weekly seasonal naive.
//!
//! - The baselines must land on the public anchors of `shared/reference/forecast-anchors.md`
//!   (statsforecast 2.1.1, measured independently).
//! - Issue 4's must-show: the best model beats the weekly seasonal naive's MASE by 15% or
//!   more, and the ensemble's 90% interval covers 85–95% of the outcomes, on each trace.
//!
//! The Alibaba GPU trace has only ~34 days of activity (days 115–149; before day 115 it is
//! nearly empty), too short for 8 weekly origins with calibration: it is backtested from day
//! 115 at 8 *daily* origins (each still forecasting a week).

use engine::forecast::{BacktestConfig, Measure, ResourceClass};
use sim::forecast::{ForecastOptions, ForecastReport, run};
use sim::trace::import::{Format, ImportOptions, import};
use tests::shared_data;

/// One of the three must-show series.
#[derive(Clone, Copy)]
struct Series {
    file: &'static str,
    format: Format,
    resource: ResourceClass,
    /// Hours dropped from the start.
    since: usize,
    /// Hours between origins.
    step: usize,
}

const HPC2N: Series = Series {
    file: "HPC2N-2002-2.2-cln.swf.gz",
    format: Format::Swf,
    resource: ResourceClass::Vcpu,
    since: 0,
    step: 168,
};
const CTC: Series = Series {
    file: "CTC-SP2-1996-3.1-cln.swf.gz",
    format: Format::Swf,
    resource: ResourceClass::Vcpu,
    since: 0,
    step: 168,
};
const ALIBABA_GPU: Series = Series {
    file: "alibaba_gpu_v2023_openb_pod_list_default.csv",
    format: Format::AlibabaGpu2023,
    resource: ResourceClass::Gpu,
    since: 115 * 24,
    step: 24,
};

/// The backtest of `models` on `series`, 8 origins, or `None` without the shared data.
fn backtest(series: Series, models: &[&str]) -> Option<ForecastReport> {
    let path = shared_data(&format!("traces/{}", series.file))?;
    let trace = import(&path, &ImportOptions { format: series.format, ..ImportOptions::default() })
        .expect("imports");
    let options = ForecastOptions {
        queue: None,
        resource: series.resource,
        measure: Measure::Submitted,
        models: models.iter().map(|m| (*m).to_owned()).collect(),
        backtest: BacktestConfig { step: series.step, ..BacktestConfig::default() },
        since: series.since,
    };
    Some(run(&trace, &options).expect("backtests"))
}

/// Per model (in the order asked): its name, and the means over the origins of its MASE and
/// of its 90% coverage.
type Means = Vec<(String, f64, f64)>;

/// The [`Means`] of a report.
fn means(report: &ForecastReport) -> Means {
    report
        .models
        .iter()
        .map(|m| {
            let n = m.origins.len() as f64;
            let mase = m.origins.iter().map(|o| o.mase.expect("defined")).sum::<f64>() / n;
            let coverage = m.origins.iter().map(|o| o.coverage_90).sum::<f64>() / n;
            (m.model.clone(), mase, coverage)
        })
        .collect()
}

fn check_anchors(series: Series, anchors: [f64; 3], tolerance: f64) {
    let models = ["seasonal_naive_168", "historic_mean", "mean_profile_4w"];
    let Some(report) = backtest(series, &models) else { return };
    for ((model, mase, _), anchor) in means(&report).iter().zip(anchors) {
        assert!(
            (mase - anchor).abs() < tolerance,
            "{} {model}: MASE {mase:.3}, statsforecast anchor {anchor:.3}",
            series.file
        );
    }
}

#[test]
fn hpc2n_demand_matches_the_anchors() {
    // Anchors: SNaive168 0.810, HistAvg 0.897, mean of last 4 weeks 0.779.
    check_anchors(HPC2N, [0.810, 0.897, 0.779], 0.01);
}

#[test]
fn ctc_demand_matches_the_anchors() {
    // Anchors: SNaive168 1.092, HistAvg 0.919, mean of last 4 weeks 0.973.
    check_anchors(CTC, [1.092, 0.919, 0.973], 0.01);
}

#[test]
fn alibaba_gpu_demand_matches_the_anchors() {
    // Anchors: SNaive168 1.194, HistAvg 0.870, mean of last 4 weeks 0.944. Our importer's
    // runtime (deletion − scheduled) and hour grid differ slightly from the anchor's
    // reading, hence 0.02 (measured: 1.195, 0.871, 0.959).
    check_anchors(ALIBABA_GPU, [1.194, 0.870, 0.944], 0.02);
}

/// Issue 4's must-show on `series`: the best model's mean MASE is at most 0.85 × the weekly
/// seasonal naive's, and the ensemble's mean 90% coverage lies in [0.85, 0.95]. Returns the
/// means, for the caveat checks.
fn check_must_show(series: Series) -> Option<Means> {
    // The ensemble (whose members include both decaying percentiles and the regression), the
    // models that win on these series, and the zero reference. Holt-Winters is left out: its
    // optimiser makes the debug build's backtest far slower, and it is not the best anywhere
    // (see the CLI table in ARCHITECTURE.md).
    let models =
        ["seasonal_naive_168", "zero", "decaying_p50", "decaying_p50_24", "regression", "ensemble"];
    let report = backtest(series, &models)?;
    eprintln!("{report}");
    let means = means(&report);
    let naive = means[0].1;
    let (best, best_mase, _) = means
        .iter()
        .filter(|(m, _, _)| m != "zero")
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("models")
        .clone();
    assert!(
        best_mase <= 0.85 * naive,
        "{}: best model {best} MASE {best_mase:.3} vs seasonal_naive_168 {naive:.3}",
        series.file
    );
    let (_, _, coverage) = means.iter().find(|(m, _, _)| m == "ensemble").expect("ensemble");
    assert!(
        (0.85..=0.95).contains(coverage),
        "{}: ensemble 90% coverage {coverage:.3}",
        series.file
    );
    Some(means)
}

#[test]
fn hpc2n_best_model_beats_the_weekly_naive_and_the_ensemble_is_calibrated() {
    // Measured: seasonal_naive_168 0.813; decaying_p50 0.500; ensemble 0.640, coverage 0.935.
    // Caveat: the zero forecast scores 0.499: 60% of the hours are idle, the median hour is
    // 0, and MASE (an absolute error) rewards the median. The ensemble, which does not
    // forecast zero, still beats the naive by over 15%.
    let Some(means) = check_must_show(HPC2N) else { return };
    let get = |name: &str| means.iter().find(|m| m.0 == name).expect("model").1;
    assert!(get("ensemble") <= 0.85 * get("seasonal_naive_168"));
}

#[test]
fn ctc_best_model_beats_the_weekly_naive_and_the_ensemble_is_calibrated() {
    // Measured: seasonal_naive_168 1.099; decaying_p50_24 0.683; ensemble 0.789, coverage
    // 0.930. The zero forecast scores 0.723, so the best model beats it too.
    let Some(means) = check_must_show(CTC) else { return };
    let get = |name: &str| means.iter().find(|m| m.0 == name).expect("model").1;
    assert!(get("decaying_p50_24") < get("zero"));
}

#[test]
fn alibaba_gpu_best_model_beats_the_weekly_naive_and_the_ensemble_is_calibrated() {
    // Daily origins from day 115 (see the module docs). Measured: seasonal_naive_168 1.195;
    // decaying_p50 0.579; ensemble 0.732, coverage 0.944. The zero forecast scores 0.614.
    let Some(means) = check_must_show(ALIBABA_GPU) else { return };
    let get = |name: &str| means.iter().find(|m| m.0 == name).expect("model").1;
    assert!(get("decaying_p50") < get("zero"));
}
