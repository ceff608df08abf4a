//! Named presets: ready-made specs for the workloads shardcast is most often asked about.
//!
//! Rates below are weekday means outside bursts; the weekly mean is lower by the weekend
//! factor (`(5 + 2 × weekend_factor) / 7`) and rises with the trend. Chains add their links on
//! top of the arrival rate: `rate × (1 + probability × (mean length − 1))`.

use super::spec::{
    BurstSpec, DEFAULT_START, DagSpec, Dist, GpuSpec, QueueSpec, SizeSpec, SynthSpec,
};
use crate::trace::TraceError;

/// The preset names, in the order `shardcast trace gen --help` lists them.
pub fn preset_names() -> &'static [&'static str] {
    &["hpc-seasonal", "gpu-ml", "dag-pipeline", "mixed", "tiny"]
}

/// The preset called `name`; an unknown name is a usage error listing the known ones.
///
/// All start on Monday 2026-01-05 (UTC). Rates are weekday means outside bursts:
///
/// - `hpc-seasonal`: an HPC centre's CPU queues `short` (40/h, ≤ 1 h, 1–16 vCPUs), `batch`
///   (15/h, ≤ 24 h, 1–256 vCPUs) and `long` (1.5/h, ≤ 7 d, 4–256 vCPUs); strong daily cycles
///   peaking mid-afternoon, weekends at 35–70 %, bursts, heavy-tailed power-of-two sizes.
///   About 56 jobs/h on weekdays, 50/h over a week.
/// - `gpu-ml`: an ML platform: `train` (6/h, median 1.5 h, 1/2/4/8 whole V100/A100/T4 GPUs)
///   and `infer` (40/h, median 5 min, mostly fractional T4 shares). About 46 jobs/h.
/// - `dag-pipeline`: nightly ETL chains (`pipeline`, 20 arrivals/h, 80 % start a chain of
///   about 4 jobs writing a median 2 GiB each) and daytime `adhoc` analysis (10/h, some short
///   chains). About 85 jobs/h with links.
/// - `mixed`: a shared cluster with a CPU batch queue (30/h), `train`, `infer` and `pipeline`
///   as above. About 150 jobs/h with links.
/// - `tiny`: one queue, 60 jobs/h, minutes-long 1–8 vCPU jobs, five users; for quick tests.
pub fn preset(name: &str) -> Result<SynthSpec, TraceError> {
    let queues = match name {
        "hpc-seasonal" => hpc_seasonal(),
        "gpu-ml" => gpu_ml(),
        "dag-pipeline" => dag_pipeline(),
        "mixed" => mixed(),
        "tiny" => tiny(),
        _ => {
            return Err(TraceError::Usage(format!(
                "unknown synthetic preset {name:?}; expected one of {}",
                preset_names().join(", ")
            )));
        }
    };
    Ok(SynthSpec {
        name: Some(name.to_owned()),
        start: DEFAULT_START.to_owned(),
        timezone: Some("UTC".to_owned()),
        queues,
    })
}

fn lognormal(median: f64, sigma: f64, min: f64, max: f64) -> Dist {
    Dist::LogNormal { median, sigma, min, max }
}

fn bursts(per_week: f64, duration_h: f64, multiplier: f64) -> BurstSpec {
    BurstSpec { per_week, duration_h, multiplier }
}

fn choice(values: &[f64], weights: &[f64]) -> SizeSpec {
    SizeSpec::Choice { values: values.to_vec(), weights: weights.to_vec() }
}

/// A queue with the serde defaults, for presets to override.
pub(super) fn queue(name: &str, rate_per_hour: f64, runtime: Dist, vcpus: SizeSpec) -> QueueSpec {
    QueueSpec {
        name: name.to_owned(),
        rate_per_hour,
        daily_amplitude: 0.0,
        peak_hour: 14.0,
        weekend_factor: 1.0,
        trend_per_week: 0.0,
        bursts: BurstSpec::default(),
        runtime,
        vcpus,
        memory_mib_per_vcpu: 4096.0,
        gpu: None,
        dag: None,
        requested_runtime_factor: 1.0,
        users: 100,
        user_zipf: 1.0,
    }
}

/// Weights of whole-GPU counts 1, 2, 4, 8 echoing the Alibaba GPU 2023 trace: most pods take
/// one GPU, a few take 2, 4 or 8.
const GPU_COUNTS: [u32; 4] = [1, 2, 4, 8];
const GPU_COUNT_WEIGHTS: [f64; 4] = [0.80, 0.09, 0.07, 0.04];

/// `hpc-seasonal`: an HPC centre's three CPU queues with strong daily and weekly cycles.
///
/// - `short`: 40/h, ≤ 1 h jobs (lognormal median 3 min), 1–16 vCPUs, peak 14:00, weekends
///   ×0.35, three two-hour ×4 bursts a week (parameter sweeps);
/// - `batch`: 15/h, ≤ 24 h (median 30 min, σ 1.4), 1–256 vCPUs with a heavy power-of-two tail;
/// - `long`: 1.5/h, 1 h–7 d (median 4 h), 4–256 vCPUs, weak cycles.
///
/// About 56 jobs/h on weekdays and 50/h over a week; 50,000 jobs span about six weeks. The
/// offered load averages about 270 busy vCPUs.
fn hpc_seasonal() -> Vec<QueueSpec> {
    vec![
        QueueSpec {
            daily_amplitude: 0.7,
            peak_hour: 14.0,
            weekend_factor: 0.35,
            trend_per_week: 0.01,
            bursts: bursts(3.0, 2.0, 4.0),
            memory_mib_per_vcpu: 2048.0,
            requested_runtime_factor: 3.0,
            users: 200,
            user_zipf: 1.1,
            ..queue(
                "short",
                40.0,
                lognormal(180.0, 1.2, 5.0, 3600.0),
                SizeSpec::PowerOfTwo { min: 1, max: 16, ratio: 0.5, non_power: 0.1 },
            )
        },
        QueueSpec {
            daily_amplitude: 0.6,
            peak_hour: 15.0,
            weekend_factor: 0.45,
            trend_per_week: 0.01,
            bursts: bursts(1.0, 4.0, 3.0),
            requested_runtime_factor: 2.5,
            users: 150,
            user_zipf: 1.1,
            ..queue(
                "batch",
                15.0,
                lognormal(1800.0, 1.4, 60.0, 86_400.0),
                SizeSpec::PowerOfTwo { min: 1, max: 256, ratio: 0.55, non_power: 0.15 },
            )
        },
        QueueSpec {
            daily_amplitude: 0.3,
            peak_hour: 11.0,
            weekend_factor: 0.7,
            trend_per_week: 0.005,
            memory_mib_per_vcpu: 8192.0,
            requested_runtime_factor: 1.5,
            users: 40,
            user_zipf: 1.2,
            ..queue(
                "long",
                1.5,
                lognormal(14_400.0, 0.8, 3600.0, 604_800.0),
                SizeSpec::PowerOfTwo { min: 4, max: 256, ratio: 0.6, non_power: 0.0 },
            )
        },
    ]
}

/// The `train` queue: multi-GPU training on V100/A100, hours to days.
fn train_queue() -> QueueSpec {
    QueueSpec {
        daily_amplitude: 0.3,
        peak_hour: 16.0,
        weekend_factor: 0.6,
        trend_per_week: 0.03,
        bursts: bursts(2.0, 3.0, 3.0),
        memory_mib_per_vcpu: 8192.0,
        gpu: Some(GpuSpec {
            probability: 1.0,
            counts: GPU_COUNTS.to_vec(),
            count_weights: GPU_COUNT_WEIGHTS.to_vec(),
            kinds: vec!["T4".into(), "V100".into(), "A100".into()],
            kind_weights: vec![0.1, 0.5, 0.4],
            fractional_probability: 0.0,
            shares: Vec::new(),
            share_weights: Vec::new(),
        }),
        requested_runtime_factor: 2.0,
        users: 60,
        user_zipf: 1.2,
        ..queue(
            "train",
            6.0,
            lognormal(5400.0, 1.4, 60.0, 604_800.0),
            choice(&[8.0, 16.0, 32.0, 64.0], &[0.5, 0.3, 0.15, 0.05]),
        )
    }
}

/// The `infer` queue: inference and notebook pods, mostly fractional T4 shares.
fn infer_queue() -> QueueSpec {
    QueueSpec {
        daily_amplitude: 0.6,
        peak_hour: 14.0,
        weekend_factor: 0.5,
        trend_per_week: 0.03,
        bursts: bursts(4.0, 1.0, 4.0),
        gpu: Some(GpuSpec {
            probability: 0.9,
            counts: vec![1, 2],
            count_weights: vec![0.95, 0.05],
            kinds: vec!["T4".into(), "V100".into(), "A100".into()],
            kind_weights: vec![0.6, 0.3, 0.1],
            fractional_probability: 0.7,
            shares: vec![0.1, 0.25, 0.5],
            share_weights: vec![0.3, 0.4, 0.3],
        }),
        requested_runtime_factor: 1.5,
        users: 120,
        user_zipf: 1.1,
        ..queue(
            "infer",
            40.0,
            lognormal(300.0, 1.2, 10.0, 86_400.0),
            choice(&[1.0, 2.0, 4.0, 8.0], &[0.3, 0.35, 0.25, 0.1]),
        )
    }
}

/// `gpu-ml`: an ML platform's GPU queues, weights echoing the Alibaba GPU 2023 trace.
///
/// - `train`: 6/h, lognormal median 1.5 h (σ 1.4, ≤ 7 d), 8–64 vCPUs, 1/2/4/8 whole GPUs
///   (80/9/7/4 %), T4/V100/A100 at 10/50/40 %, trend +3 %/week;
/// - `infer`: 40/h, median 5 min, 1–8 vCPUs, 90 % use a GPU, 70 % of those a share
///   (0.1/0.25/0.5 of a GPU), mostly T4, peak 14:00, weekends ×0.5.
///
/// About 46 jobs/h on weekdays.
fn gpu_ml() -> Vec<QueueSpec> {
    vec![train_queue(), infer_queue()]
}

/// The `pipeline` queue: nightly ETL chains with large intermediate outputs.
fn pipeline_queue() -> QueueSpec {
    QueueSpec {
        daily_amplitude: 0.5,
        peak_hour: 2.0,
        weekend_factor: 0.8,
        trend_per_week: 0.02,
        dag: Some(DagSpec {
            probability: 0.8,
            length: lognormal(4.0, 0.5, 2.0, 12.0),
            // Median 2 GiB, from 1 MiB to 1 TiB.
            output_bytes: lognormal(2_147_483_648.0, 1.5, 1_048_576.0, 1_099_511_627_776.0),
            link_gap_s: 1.0,
        }),
        requested_runtime_factor: 2.0,
        users: 30,
        user_zipf: 1.3,
        ..queue(
            "pipeline",
            20.0,
            lognormal(900.0, 1.0, 30.0, 21_600.0),
            choice(&[2.0, 4.0, 8.0, 16.0], &[0.3, 0.4, 0.2, 0.1]),
        )
    }
}

/// `dag-pipeline`: chains of dependent jobs with output bytes, for the inter-shard fabric.
///
/// - `pipeline`: 20 chain-or-job arrivals/h peaking at 02:00 (nightly ETL), weekends ×0.8;
///   80 % start a chain of about 4 jobs (lognormal, 2–12) each writing a median 2 GiB;
/// - `adhoc`: 10/h daytime analysis, 20 % start a 2–4 job chain writing a median 256 MiB.
///
/// About 85 jobs/h (links included).
fn dag_pipeline() -> Vec<QueueSpec> {
    vec![
        pipeline_queue(),
        QueueSpec {
            daily_amplitude: 0.6,
            peak_hour: 14.0,
            weekend_factor: 0.4,
            dag: Some(DagSpec {
                probability: 0.2,
                length: Dist::Uniform { min: 2.0, max: 4.0 },
                output_bytes: lognormal(268_435_456.0, 1.0, 1024.0, 68_719_476_736.0),
                link_gap_s: 1.0,
            }),
            requested_runtime_factor: 2.0,
            users: 80,
            ..queue(
                "adhoc",
                10.0,
                lognormal(300.0, 1.4, 5.0, 14_400.0),
                SizeSpec::PowerOfTwo { min: 1, max: 16, ratio: 0.5, non_power: 0.0 },
            )
        },
    ]
}

/// `mixed`: a shared cluster with CPU batch, GPU and pipeline queues.
///
/// - `cpu`: 30/h HPC-style batch (median 30 min, σ 1.5, 1–128 vCPUs power-of-two tail), peak
///   14:00, weekends ×0.4, two bursts a week;
/// - `train` and `infer`: as in `gpu-ml` (6/h and 40/h);
/// - `pipeline`: as in `dag-pipeline` (20 arrivals/h, about 71 jobs/h with links).
///
/// About 150 jobs/h on weekdays.
fn mixed() -> Vec<QueueSpec> {
    vec![
        QueueSpec {
            daily_amplitude: 0.6,
            peak_hour: 14.0,
            weekend_factor: 0.4,
            trend_per_week: 0.01,
            bursts: bursts(2.0, 2.0, 3.0),
            requested_runtime_factor: 2.5,
            users: 150,
            user_zipf: 1.1,
            ..queue(
                "cpu",
                30.0,
                lognormal(1800.0, 1.5, 10.0, 172_800.0),
                SizeSpec::PowerOfTwo { min: 1, max: 128, ratio: 0.5, non_power: 0.1 },
            )
        },
        train_queue(),
        infer_queue(),
        pipeline_queue(),
    ]
}

/// `tiny`: one simple queue for quick tests: 60 jobs/h, median 1 min (≤ 1 h), 1–8 vCPUs,
/// a mild daily cycle peaking at noon, weekends ×0.5, five users. A few hundred jobs cover a
/// few hours.
fn tiny() -> Vec<QueueSpec> {
    vec![QueueSpec {
        daily_amplitude: 0.5,
        peak_hour: 12.0,
        weekend_factor: 0.5,
        memory_mib_per_vcpu: 1024.0,
        requested_runtime_factor: 1.5,
        users: 5,
        ..queue(
            "default",
            60.0,
            lognormal(60.0, 1.0, 1.0, 3600.0),
            SizeSpec::PowerOfTwo { min: 1, max: 8, ratio: 0.5, non_power: 0.0 },
        )
    }]
}
