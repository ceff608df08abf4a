//! Tests of the synthetic generators: determinism, well-formed traces, seasonality, heavy tails,
//! chains, stream isolation, validation, presets and their TOML round trip.

use std::f64::consts::PI;

use engine::JobId;
use proptest::prelude::*;

use super::*;
use crate::trace::parse_rfc3339;

fn spec(name: &str) -> SynthSpec {
    preset(name).expect("a preset")
}

fn gen_ok(spec: &SynthSpec, seed: u64, n: usize) -> Trace {
    generate(spec, seed, n).expect("the spec generates")
}

fn queue_index(trace: &Trace, name: &str) -> usize {
    trace.queues.iter().position(|q| q == name).expect("the queue has jobs")
}

/// Checks what every generated trace must satisfy, whatever the spec.
fn check_well_formed(spec: &SynthSpec, trace: &Trace, n: usize) {
    assert_eq!(trace.jobs.len(), n, "exactly n jobs");
    let origin = parse_rfc3339(&spec.start).expect("valid start");
    assert_eq!(trace.meta.origin, origin);
    let report = trace.meta.import_report.as_ref().expect("a report");
    assert_eq!(report.kept, n as u64);
    assert!(report.dropped.is_empty(), "{report}");
    assert!(report.edges_dropped.is_empty(), "every dependency resolves: {report}");
    let edges: usize = trace.jobs.iter().map(|j| j.dependencies.len()).sum();
    assert_eq!(report.edges_kept, edges as u64);
    for pair in trace.jobs.windows(2) {
        assert!(pair[0].submit <= pair[1].submit, "submit times never decrease");
    }
    for job in &trace.jobs {
        assert!(job.submit >= origin);
        let q = spec
            .queues
            .iter()
            .find(|q| q.name == trace.queue_name(job.queue))
            .expect("jobs are in the spec's queues");
        let (min_us, max_us) = (q.runtime.lower() * 1e6, q.runtime.upper() * 1e6);
        let runtime = job.runtime.as_micros() as f64;
        assert!(runtime >= min_us && runtime <= max_us, "runtime {runtime} µs out of bounds");
        let requested = job.requested_runtime.expect("a walltime").as_micros();
        assert!(requested >= job.runtime.as_micros());
        assert_eq!(requested % WALLTIME_STEP_US, 0, "walltimes are whole quarter hours");
        assert!(job.resources.cpu_milli > 0);
        match &q.gpu {
            None => assert_eq!((job.resources.gpu_milli, &job.resources.gpu_kind), (0, &None)),
            Some(gpu) => {
                if let Some(kind) = &job.resources.gpu_kind {
                    assert!(gpu.kinds.contains(&kind.0), "kind {kind:?} not in the spec");
                }
            }
        }
        for parent in &job.dependencies {
            assert!(*parent < job.id, "dependencies point backwards");
            let parent = &trace.jobs[parent.index()];
            assert_eq!((parent.queue, parent.user), (job.queue, job.user), "a chain stays put");
        }
        if q.dag.is_none() {
            assert!(job.dependencies.is_empty());
        }
    }
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    for name in preset_names() {
        let spec = spec(name);
        let a = gen_ok(&spec, 7, 2000);
        assert_eq!(a, gen_ok(&spec, 7, 2000), "{name}: not deterministic");
        let b = gen_ok(&spec, 8, 2000);
        assert_ne!(a.jobs, b.jobs, "{name}: the seed changes nothing");
    }
}

#[test]
fn a_shorter_trace_is_a_prefix_of_a_longer_one() {
    let spec = spec("mixed");
    let short = gen_ok(&spec, 3, 500);
    let long = gen_ok(&spec, 3, 3000);
    assert_eq!(short.jobs[..], long.jobs[..500]);
    assert_eq!(short.provenance[..], long.provenance[..500]);
}

#[test]
fn every_preset_generates_well_formed_traces() {
    for name in preset_names() {
        let spec = spec(name);
        let trace = gen_ok(&spec, 1, 1000);
        check_well_formed(&spec, &trace, 1000);
        assert_eq!(trace.meta.format, format!("synthetic:{name}"));
        assert_eq!(trace.meta.source, format!("preset:{name}"));
        assert_eq!(trace.meta.timezone.as_deref(), Some("UTC"));
        let has_chains = spec.queues.iter().any(|q| q.dag.is_some());
        let edges = trace.meta.import_report.as_ref().map_or(0, |r| r.edges_kept);
        assert_eq!(edges > 0, has_chains, "{name}: chains iff the spec has them");
    }
}

#[test]
fn zero_jobs_is_an_empty_trace() {
    let trace = gen_ok(&spec("tiny"), 1, 0);
    assert!(trace.jobs.is_empty());
}

/// The mean of `cos(2π x / 24)` over `x ∈ [0, 1)` hours: `sin(π/12) / (π/12) = 0.98862`.
fn cos_over_first_hour() -> f64 {
    (PI / 12.0).sin() / (PI / 12.0)
}

/// `hpc-seasonal` with bursts switched off. Bursts are independent of the time of day and the
/// weekday, so they leave the expected daily and weekly profiles alone, but they add clustered
/// noise (hundreds of jobs at once) that the Poisson bounds below do not cover.
fn hpc_without_bursts() -> SynthSpec {
    let mut spec = spec("hpc-seasonal");
    for queue in &mut spec.queues {
        queue.bursts.per_week = 0.0;
    }
    spec
}

/// Submit times (seconds since the origin) of `queue`'s jobs that fall in whole days, so that
/// the partly covered last day does not favour the early hours.
fn whole_day_offsets(trace: &Trace, queue: &str) -> (Vec<u64>, u64) {
    let origin = trace.meta.origin.as_secs();
    let last = trace.jobs.last().expect("jobs").submit.as_secs() - origin;
    let days = last / 86_400;
    let q = queue_index(trace, queue);
    let offsets = trace
        .jobs
        .iter()
        .filter(|j| j.queue.index() == q)
        .map(|j| j.submit.as_secs() - origin)
        .filter(|s| *s < days * 86_400)
        .collect();
    (offsets, days)
}

#[test]
fn the_daily_cycle_peaks_at_the_peak_hour() {
    let spec = hpc_without_bursts();
    let short = &spec.queues[0];
    let trace = gen_ok(&spec, 11, 50_000);
    let (offsets, days) = whole_day_offsets(&trace, "short");
    assert!(days >= 21, "50k jobs span three weeks or more, got {days} days");
    let mut by_hour = [0u64; 24];
    for s in &offsets {
        by_hour[((s % 86_400) / 3600) as usize] += 1;
    }
    // The rate is ∝ 1 + A cos(2π (h − peak)/24) at every hour of every day (weekend factor and
    // trend multiply whole days), so the bucket [peak, peak + 1) expects ∝ 1 + 0.98862 A and
    // the bucket twelve hours later ∝ 1 − 0.98862 A. For `short` (A = 0.7, peak 14:00) the
    // ratio is 1.692 / 0.308 = 5.49.
    let c = cos_over_first_hour() * short.daily_amplitude;
    let expected = (1.0 + c) / (1.0 - c);
    let peak = by_hour[short.peak_hour as usize] as f64;
    let trough = by_hour[(short.peak_hour as usize + 12) % 24] as f64;
    // Counts are Poisson, so the ratio's relative standard deviation is sqrt(1/peak + 1/trough)
    // (about 5 % here, the trough holding some 470 jobs); allow five of them.
    let tolerance = 5.0 * (1.0 / peak + 1.0 / trough).sqrt();
    let observed = peak / trough;
    assert!(
        (observed / expected - 1.0).abs() < tolerance,
        "peak/trough {observed:.3}, expected {expected:.3} ± {:.0} %: {by_hour:?}",
        tolerance * 100.0
    );
    // [peak − 1, peak) expects as much as [peak, peak + 1); no other bucket may beat both.
    let busiest = (0..24).max_by_key(|h| by_hour[*h]).expect("24 buckets");
    assert!((13..=14).contains(&busiest), "busiest hour {busiest}: {by_hour:?}");
}

#[test]
fn weekends_run_at_the_weekend_factor() {
    let spec = hpc_without_bursts();
    let short = &spec.queues[0];
    let trace = gen_ok(&spec, 12, 50_000);
    let (offsets, days) = whole_day_offsets(&trace, "short");
    let is_weekend = |day: u64| day % 7 >= 5; // the preset starts on a Monday
    let (mut n_weekend, mut n_weekday) = (0u64, 0u64);
    for s in &offsets {
        if is_weekend(s / 86_400) { n_weekend += 1 } else { n_weekday += 1 }
    }
    // Expected jobs on day d ∝ weekly(d) × (1 + trend × (d + 0.5) / 7): the daily cycle
    // integrates to 1 over a whole day and the trend is linear, so its mean over a day is its
    // value at noon. Summing that over the days covered gives the expected ratio of per-day
    // means, about the weekend factor (weekends come late in the week, so the trend lifts them
    // by about 0.5 %).
    let trend = |d: u64| 1.0 + short.trend_per_week * (d as f64 + 0.5) / 7.0;
    let (mut weekend_days, mut weekday_days) = (0u64, 0u64);
    let (mut weekend_weight, mut weekday_weight) = (0.0, 0.0);
    for d in 0..days {
        if is_weekend(d) {
            weekend_days += 1;
            weekend_weight += trend(d);
        } else {
            weekday_days += 1;
            weekday_weight += trend(d);
        }
    }
    assert!(weekend_days >= 6 && weekday_days >= 15, "{days} days");
    let expected = short.weekend_factor * (weekend_weight / weekend_days as f64)
        / (weekday_weight / weekday_days as f64);
    let observed =
        (n_weekend as f64 / weekend_days as f64) / (n_weekday as f64 / weekday_days as f64);
    // Poisson counts: relative standard deviation sqrt(1/n_weekend + 1/n_weekday), about
    // 1.7 % with some 4,000 weekend jobs; allow five of them.
    let tolerance = 5.0 * (1.0 / n_weekend as f64 + 1.0 / n_weekday as f64).sqrt();
    assert!(
        (observed / expected - 1.0).abs() < tolerance,
        "weekend/weekday {observed:.3}, expected {expected:.3} ± {:.0} %",
        tolerance * 100.0
    );
}

#[test]
fn seasonality_survives_bursts() {
    // The full preset: bursts add clustered noise (a `short` burst adds some 3 × 40/h × 2 h
    // ≈ 240 jobs, scaled by the time of day), so the bounds are loose. The expected ratios are
    // 5.5 (peak/trough) and 0.35 (weekend/weekday); one burst over the trough hour adds about
    // 3 × 40 × 0.3 ≈ 36 jobs to its ~470 (8 %), so a bound of 2 survives many of them.
    let trace = gen_ok(&spec("hpc-seasonal"), 13, 50_000);
    let (offsets, days) = whole_day_offsets(&trace, "short");
    let mut by_hour = [0u64; 24];
    let (mut weekend, mut weekday) = (0u64, 0u64);
    for s in &offsets {
        by_hour[((s % 86_400) / 3600) as usize] += 1;
        if (s / 86_400) % 7 >= 5 { weekend += 1 } else { weekday += 1 }
    }
    assert!(by_hour[14] > 2 * by_hour[2], "{by_hour:?}");
    let weekend_days = (0..days).filter(|d| d % 7 >= 5).count() as f64;
    let per_weekend_day = weekend as f64 / weekend_days;
    let per_weekday = weekday as f64 / (days as f64 - weekend_days);
    assert!(per_weekend_day < 0.6 * per_weekday, "{per_weekend_day} vs {per_weekday}");
}

fn one_queue(runtime: Dist, vcpus: SizeSpec) -> SynthSpec {
    SynthSpec {
        name: None,
        start: DEFAULT_START.to_owned(),
        timezone: None,
        queues: vec![super::presets::queue("q", 100.0, runtime, vcpus)],
    }
}

#[test]
fn lognormal_runtimes_have_the_configured_median_and_tail() {
    let (median, sigma) = (600.0, 1.5);
    // Clip bounds far outside the 0.01 %–99.99 % range, so clipping does not bias quantiles.
    let runtime = Dist::LogNormal { median, sigma, min: 0.01, max: 1e8 };
    let spec = one_queue(runtime, SizeSpec::Fixed { value: 1.0 });
    let n = 100_000;
    let trace = gen_ok(&spec, 5, n);
    let mut runtimes: Vec<f64> = trace.jobs.iter().map(|j| j.runtime.as_secs_f64()).collect();
    runtimes.sort_by(f64::total_cmp);
    let p50 = runtimes[n / 2];
    let p99 = runtimes[n * 99 / 100];
    // The standard error of the sample p-quantile of ln X is σ sqrt(p(1−p)/n) / φ(z_p):
    // 1.2533 σ/√n = 0.6 % at the median, and 3.73 σ/√n = 1.8 % at p99 (φ(2.326) = 0.0267).
    // 3 % and 10 % are about five standard errors.
    assert!((p50 / median - 1.0).abs() < 0.03, "median {p50}");
    let expected_ratio = (2.326 * sigma).exp(); // 32.8
    let ratio = p99 / p50;
    assert!((ratio / expected_ratio - 1.0).abs() < 0.10, "p99/p50 {ratio} vs {expected_ratio}");
}

#[test]
fn pareto_runtimes_are_clipped_and_heavy() {
    let runtime = Dist::Pareto { scale: 10.0, alpha: 1.1, max: 86_400.0 };
    let spec = one_queue(runtime, SizeSpec::Fixed { value: 1.0 });
    let trace = gen_ok(&spec, 6, 20_000);
    check_well_formed(&spec, &trace, 20_000);
    // P(X > 10 x_m) = 10^−1.1 = 7.9 %: with 20k samples, sd 0.19 %.
    let over = trace.jobs.iter().filter(|j| j.runtime.as_secs_f64() > 100.0).count() as f64;
    let share = over / 20_000.0;
    assert!((share - 0.0794).abs() < 0.01, "{share}");
}

#[test]
fn power_of_two_sizes_halve_with_each_doubling() {
    let vcpus = SizeSpec::PowerOfTwo { min: 1, max: 256, ratio: 0.5, non_power: 0.0 };
    let spec = one_queue(Dist::Fixed { value: 60.0 }, vcpus);
    let n = 40_000;
    let trace = gen_ok(&spec, 9, n);
    let mut by_size = std::collections::BTreeMap::new();
    for job in &trace.jobs {
        let vcpus = job.resources.vcpus_ceil();
        assert!(vcpus.is_power_of_two() && vcpus <= 256, "{vcpus}");
        assert_eq!(job.resources.memory_mib, vcpus * 4096);
        *by_size.entry(vcpus).or_insert(0u64) += 1;
    }
    // P(1) = 0.5 / (1 − 2^−9) ≈ 0.501 and P(2) ≈ 0.250: sd 0.25 % and 0.22 % at 40k.
    let share = |s: u64| by_size.get(&s).copied().unwrap_or(0) as f64 / n as f64;
    assert!((share(1) - 0.501).abs() < 0.0125, "{by_size:?}");
    assert!((share(2) - 0.2505).abs() < 0.011, "{by_size:?}");
    assert!(share(64) > 0.0 && share(1) > share(2) && share(2) > share(4), "{by_size:?}");
}

#[test]
fn gpu_counts_and_shares_follow_their_weights() {
    let spec = spec("gpu-ml");
    let n = 30_000;
    let trace = gen_ok(&spec, 4, n);
    let train = queue_index(&trace, "train");
    let jobs: Vec<_> = trace.jobs.iter().filter(|j| j.queue.index() == train).collect();
    let single = jobs.iter().filter(|j| j.resources.gpu_milli == 1000).count() as f64;
    let share = single / jobs.len() as f64;
    // 80 % of train pods take one GPU; with ~3,800 of them the sd is 0.65 %.
    assert!((share - 0.80).abs() < 0.035, "{share} of {}", jobs.len());
    assert!(jobs.iter().all(|j| [1000, 2000, 4000, 8000].contains(&j.resources.gpu_milli)));
    let infer = queue_index(&trace, "infer");
    let fractional = trace
        .jobs
        .iter()
        .filter(|j| j.queue.index() == infer && j.resources.gpu_milli % 1000 != 0)
        .count();
    let infer_jobs = trace.jobs.iter().filter(|j| j.queue.index() == infer).count();
    // 90 % × 70 % = 63 % of inference pods take a share of a GPU.
    let share = fractional as f64 / infer_jobs as f64;
    assert!((share - 0.63).abs() < 0.02, "{share}");
}

#[test]
fn chains_link_consecutive_jobs_of_one_user() {
    let spec = spec("dag-pipeline");
    let trace = gen_ok(&spec, 2, 5000);
    check_well_formed(&spec, &trace, 5000);
    let mut children = vec![0u32; trace.jobs.len()];
    let mut links = 0;
    for job in &trace.jobs {
        if let [parent] = job.dependencies[..] {
            links += 1;
            children[parent.index()] += 1;
            let parent = &trace.jobs[parent.index()];
            // link_gap_s = 1: each link is submitted one second after the one it follows.
            assert_eq!(job.submit.as_micros() - parent.submit.as_micros(), 1_000_000);
            assert!(parent.output_bytes >= 1024, "a parent writes output");
        } else {
            assert!(job.dependencies.is_empty(), "a link has exactly one parent");
        }
    }
    assert!(children.iter().all(|c| *c <= 1), "chains, not trees");
    // 80 % of pipeline arrivals start chains of about four jobs: most jobs are links.
    assert!(links > trace.jobs.len() / 2, "{links} links");
    let names: Vec<&str> = trace.provenance.iter().take(3).map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["1", "2", "3"]);
}

/// (submit, runtime, resources, user name) of a queue's jobs, optionally arrivals only.
fn queue_jobs(
    trace: &Trace,
    queue: &str,
    arrivals_only: bool,
) -> Vec<(SimTime, SimDuration, Resources, String)> {
    let q = queue_index(trace, queue);
    trace
        .jobs
        .iter()
        .filter(|j| j.queue.index() == q && (!arrivals_only || j.dependencies.is_empty()))
        .map(|j| (j.submit, j.runtime, j.resources.clone(), trace.users[j.user.index()].clone()))
        .collect()
}

fn common_prefix_equal<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T]) {
    let n = a.len().min(b.len());
    assert!(n > 100, "enough jobs to compare");
    assert_eq!(a[..n], b[..n]);
}

#[test]
fn changing_one_queue_leaves_the_others_alone() {
    let base = spec("hpc-seasonal");
    let mut changed = base.clone();
    changed.queues[1].rate_per_hour *= 3.0;
    changed.queues[1].runtime = Dist::Fixed { value: 7.0 };
    let (a, b) = (gen_ok(&base, 21, 20_000), gen_ok(&changed, 21, 20_000));
    assert_ne!(queue_jobs(&a, "batch", false), queue_jobs(&b, "batch", false));
    common_prefix_equal(&queue_jobs(&a, "short", false), &queue_jobs(&b, "short", false));
    common_prefix_equal(&queue_jobs(&a, "long", false), &queue_jobs(&b, "long", false));
}

#[test]
fn changing_chains_keeps_every_arrival() {
    let base = spec("dag-pipeline");
    let mut changed = base.clone();
    if let Some(dag) = &mut changed.queues[0].dag {
        dag.probability = 0.3;
    }
    let (a, b) = (gen_ok(&base, 22, 5000), gen_ok(&changed, 22, 5000));
    assert_ne!(a.jobs.len() - queue_jobs(&a, "pipeline", true).len(), 0);
    common_prefix_equal(&queue_jobs(&a, "pipeline", true), &queue_jobs(&b, "pipeline", true));
    common_prefix_equal(&queue_jobs(&a, "adhoc", false), &queue_jobs(&b, "adhoc", false));
}

#[test]
fn heavy_users_dominate() {
    let trace = gen_ok(&spec("hpc-seasonal"), 14, 20_000);
    let mut per_user = vec![0u64; trace.users.len()];
    for job in &trace.jobs {
        per_user[job.user.index()] += 1;
    }
    let top = trace.users.iter().position(|u| u == "u1").expect("u1 submits");
    // Zipf s = 1.1 over 200 users: u1 has 1 / Σ k^−1.1 ≈ 20 % of `short`; 5 % would be a lot.
    assert!(per_user[top] * 20 > trace.jobs.len() as u64, "{}", per_user[top]);
    assert!(per_user.iter().all(|n| *n <= per_user[top]));
}

#[test]
fn zero_weekend_factor_means_quiet_weekends() {
    let mut spec = spec("tiny");
    spec.queues[0].weekend_factor = 0.0;
    let trace = gen_ok(&spec, 1, 5000);
    let origin = trace.meta.origin.as_secs();
    assert!(trace.jobs.iter().all(|j| ((j.submit.as_secs() - origin) / 86_400) % 7 < 5));
}

#[test]
fn the_format_names_the_preset_only_while_it_is_one() {
    let mut spec = spec("tiny");
    assert_eq!(gen_ok(&spec, 1, 10).meta.format, "synthetic:tiny");
    spec.queues[0].users = 6;
    let trace = gen_ok(&spec, 1, 10);
    assert_eq!(
        (trace.meta.format.as_str(), trace.meta.source.as_str()),
        ("synthetic:custom", "spec:custom")
    );
    assert!(trace.meta.import_report.expect("report").notes.iter().any(|n| n.contains("tiny")));
    spec.name = Some("my-lab".into());
    let trace = gen_ok(&spec, 1, 10);
    assert_eq!(
        (trace.meta.format.as_str(), trace.meta.source.as_str()),
        ("synthetic:my-lab", "spec:my-lab")
    );
    spec.name = None;
    assert_eq!(gen_ok(&spec, 1, 10).meta.format, "synthetic:custom");
}

#[test]
fn unknown_presets_are_usage_errors_listing_the_names() {
    let err = preset("hpc").expect_err("no such preset");
    assert!(matches!(err, TraceError::Usage(_)));
    let text = err.to_string();
    for name in preset_names() {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn validation_errors_name_the_field() {
    type Edit = fn(&mut SynthSpec);
    let cases: &[(&str, Edit)] = &[
        ("start", |s| s.start = "yesterday".into()),
        ("queues", |s| s.queues.clear()),
        ("queues[1].name", |s| s.queues[1].name = s.queues[0].name.clone()),
        ("queues[0].name", |s| s.queues[0].name = " ".into()),
        ("queues[0].rate_per_hour", |s| s.queues[0].rate_per_hour = 0.0),
        ("queues[2].rate_per_hour", |s| s.queues[2].rate_per_hour = f64::NAN),
        ("queues[0].daily_amplitude", |s| s.queues[0].daily_amplitude = 1.5),
        ("queues[0].peak_hour", |s| s.queues[0].peak_hour = 24.0),
        ("queues[0].weekend_factor", |s| s.queues[0].weekend_factor = -0.1),
        ("queues[0].trend_per_week", |s| s.queues[0].trend_per_week = -0.01),
        ("queues[0].bursts.multiplier", |s| s.queues[0].bursts.multiplier = 0.0),
        ("queues[0].bursts.duration_h", |s| s.queues[0].bursts.duration_h = f64::INFINITY),
        ("queues[0].runtime.min", |s| {
            s.queues[0].runtime = Dist::LogNormal { median: 1.0, sigma: 1.0, min: 0.0, max: 9.0 }
        }),
        ("queues[0].runtime.sigma", |s| {
            s.queues[0].runtime = Dist::LogNormal { median: 1.0, sigma: -1.0, min: 1.0, max: 9.0 }
        }),
        ("queues[0].runtime.max", |s| s.queues[0].runtime = Dist::Uniform { min: 10.0, max: 5.0 }),
        ("queues[0].runtime.alpha", |s| {
            s.queues[0].runtime = Dist::Pareto { scale: 1.0, alpha: 0.0, max: 5.0 }
        }),
        ("queues[0].runtime.value", |s| s.queues[0].runtime = Dist::Fixed { value: 0.0 }),
        ("queues[0].vcpus.min", |s| {
            s.queues[0].vcpus = SizeSpec::PowerOfTwo { min: 3, max: 8, ratio: 0.5, non_power: 0.0 }
        }),
        ("queues[0].vcpus.weights", |s| {
            s.queues[0].vcpus = SizeSpec::Choice { values: vec![1.0, 2.0], weights: vec![1.0] }
        }),
        ("queues[0].vcpus.values[1]", |s| {
            s.queues[0].vcpus = SizeSpec::Choice { values: vec![1.0, 0.0], weights: vec![] }
        }),
        ("queues[0].memory_mib_per_vcpu", |s| s.queues[0].memory_mib_per_vcpu = -1.0),
        ("queues[0].requested_runtime_factor", |s| s.queues[0].requested_runtime_factor = 0.5),
        ("queues[0].users", |s| s.queues[0].users = 0),
        ("queues[0].user_zipf", |s| s.queues[0].user_zipf = -1.0),
        ("queues[0].gpu.probability", |s| {
            s.queues[0].gpu = Some(GpuSpec { probability: 2.0, ..gpu() })
        }),
        ("queues[0].gpu.counts[1]", |s| {
            s.queues[0].gpu = Some(GpuSpec { counts: vec![1, 0], ..gpu() })
        }),
        ("queues[0].gpu.kind_weights", |s| {
            s.queues[0].gpu = Some(GpuSpec { kind_weights: vec![1.0], ..gpu() })
        }),
        ("queues[0].gpu.shares", |s| {
            s.queues[0].gpu = Some(GpuSpec { fractional_probability: 0.5, ..gpu() })
        }),
        ("queues[0].gpu.shares[0]", |s| {
            s.queues[0].gpu = Some(GpuSpec { shares: vec![1.5], ..gpu() })
        }),
        ("queues[0].gpu.share_weights", |s| {
            let shares = vec![0.5];
            s.queues[0].gpu = Some(GpuSpec { shares, share_weights: vec![0.0], ..gpu() })
        }),
        ("queues[0].dag.probability", |s| {
            s.queues[0].dag = Some(DagSpec { probability: -1.0, ..dag() })
        }),
        ("queues[0].dag.length.max", |s| {
            let length = Dist::Uniform { min: 2.0, max: 1e6 };
            s.queues[0].dag = Some(DagSpec { length, ..dag() })
        }),
        ("queues[0].dag.output_bytes.mean", |s| {
            let output_bytes = Dist::Exponential { mean: 0.0, min: 0.0, max: 1.0 };
            s.queues[0].dag = Some(DagSpec { output_bytes, ..dag() })
        }),
        ("queues[0].dag.link_gap_s", |s| {
            s.queues[0].dag = Some(DagSpec { link_gap_s: -1.0, ..dag() })
        }),
    ];
    for (field, edit) in cases {
        let mut spec = spec("hpc-seasonal");
        edit(&mut spec);
        let err = generate(&spec, 1, 10).expect_err(field);
        assert!(matches!(err, TraceError::Usage(_)), "{field}: {err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("`{field}`")), "{field}: {text}");
    }
}

fn gpu() -> GpuSpec {
    GpuSpec {
        probability: 1.0,
        counts: vec![1, 2],
        count_weights: vec![],
        kinds: vec!["T4".into(), "A100".into()],
        kind_weights: vec![],
        fractional_probability: 0.0,
        shares: vec![],
        share_weights: vec![],
    }
}

fn dag() -> DagSpec {
    DagSpec {
        probability: 0.5,
        length: Dist::Uniform { min: 2.0, max: 5.0 },
        output_bytes: Dist::Fixed { value: 1e6 },
        link_gap_s: 1.0,
    }
}

#[test]
fn rates_too_low_for_the_horizon_are_usage_errors() {
    let mut spec = spec("tiny");
    spec.queues[0].rate_per_hour = 1e-9;
    let err = generate(&spec, 1, 10).expect_err("a job every 100,000 years");
    assert!(err.to_string().contains("rate_per_hour"), "{err}");
}

#[test]
fn presets_round_trip_through_toml_and_json() {
    for name in preset_names() {
        let spec = spec(name);
        let text = toml::to_string(&spec).expect("serializes to TOML");
        let back: SynthSpec = toml::from_str(&text).expect("reads back");
        assert_eq!(back, spec, "{name}: TOML round trip\n{text}");
        let json = serde_json::to_string(&spec).expect("serializes to JSON");
        let back: SynthSpec = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, spec, "{name}: JSON round trip");
    }
}

#[test]
fn the_module_doc_example_is_a_valid_spec() {
    let source = include_str!("mod.rs");
    let example: String = source
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .skip_while(|line| *line != "```toml")
        .skip(1)
        .take_while(|line| *line != "```")
        .map(|line| format!("{line}\n"))
        .collect();
    let table: toml::Table = toml::from_str(&example).expect("the example is TOML");
    let spec: SynthSpec =
        table["workload"]["synthetic"]["spec"].clone().try_into().expect("the example is a spec");
    // Defaults filled in.
    let q = &spec.queues[0];
    assert_eq!((q.peak_hour, q.trend_per_week, q.users), (14.0, 0.0, 100));
    assert_eq!(q.gpu.as_ref().map(|g| g.fractional_probability), Some(0.0));
    let trace = gen_ok(&spec, 1, 2000);
    check_well_formed(&spec, &trace, 2000);
    assert_eq!(trace.meta.format, "synthetic:custom");
}

#[test]
fn unknown_keys_are_rejected() {
    let good = r#"
        [[queues]]
        name = "q"
        rate_per_hour = 10
        runtime = { kind = "fixed", value = 60 }
        vcpus = { kind = "fixed", value = 1 }
    "#;
    let spec: SynthSpec = toml::from_str(good).expect("a minimal spec");
    assert_eq!(spec.start, DEFAULT_START);
    gen_ok(&spec, 1, 10);
    let typo = good.replace("rate_per_hour", "rate_per_hr");
    let err = toml::from_str::<SynthSpec>(&typo).expect_err("typo").to_string();
    assert!(err.contains("rate_per_hr"), "{err}");
    let extra = good.replace("value = 60", "value = 60, sigma = 1");
    let err = toml::from_str::<SynthSpec>(&extra).expect_err("stray key").to_string();
    assert!(err.contains("sigma"), "{err}");
    let kind = good.replace("\"fixed\", value = 60", "\"gamma\", value = 60");
    let err = toml::from_str::<SynthSpec>(&kind).expect_err("unknown kind").to_string();
    assert!(err.contains("gamma"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_seed_and_size_gives_a_well_formed_trace(
        seed in any::<u64>(),
        n in 0usize..400,
        which in 0usize..5,
    ) {
        let spec = spec(preset_names()[which]);
        let trace = gen_ok(&spec, seed, n);
        check_well_formed(&spec, &trace, n);
        prop_assert!(trace.jobs.iter().enumerate().all(|(i, j)| j.id == JobId(i as u64)));
    }
}
