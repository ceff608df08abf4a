//! The oracle end to end (feature `planner`): on the same realised demand and supply, the
//! oracle's cost is never above what any policy paid, the predictive policy included, and
//! the predictive policy keeps every job.

use std::sync::Arc;

use engine::controller::ControllerConfig;
use engine::policy::{
    OnDemand, OnDemandConfig, Policy, Predictive, PredictiveConfig, StaticReservation,
    StaticReservationConfig,
};
use engine::{Resources, SimDuration, SimTime};
use proptest::prelude::*;
use sim::cloud::SimCloudConfig;
use sim::platform::EndState;
use sim::platform::cloud::{CloudPlatform, run, split_history};
use sim::trace::{RawJob, Trace, TraceBuilder};

fn bundled() -> Arc<engine::cloud::Catalog> {
    let path = tests::workspace_root().join("scenarios/catalogs/bundled.toml");
    Arc::new(sim::catalog::load(&path).expect("the bundled catalog loads"))
}

/// Submit second, runtime seconds, vCPUs, GPUs (T4s; 0 for CPU jobs).
type JobSpec = (u64, u64, u64, u64);

const T0: u64 = 1_000_000;

fn trace(jobs: &[JobSpec]) -> Trace {
    let mut specs = jobs.to_vec();
    specs.sort_by_key(|j| j.0);
    let mut builder = TraceBuilder::new("proptest", "test");
    for (i, &(submit, runtime, vcpus, gpus)) in specs.iter().enumerate() {
        builder.push(RawJob {
            name: i.to_string(),
            submit: SimTime::from_secs(T0 + submit),
            runtime: SimDuration::from_secs(runtime),
            resources: Resources {
                cpu_milli: vcpus * 1000,
                memory_mib: vcpus * 2048,
                gpu_milli: gpus * 1000,
                gpu_kind: (gpus > 0).then(|| engine::GpuKind("T4".into())),
            },
            ..RawJob::default()
        });
    }
    builder.finish()
}

fn policy(which: u8) -> Box<dyn Policy> {
    match which {
        0 => Box::new(OnDemand::new(OnDemandConfig::default())),
        1 => Box::new(OnDemand::new(OnDemandConfig { spot: true, ..OnDemandConfig::default() })),
        2 => Box::new(StaticReservation::new(StaticReservationConfig {
            overflow: Some(OnDemandConfig::default()),
            ..StaticReservationConfig::default()
        })),
        3 => Box::new(Predictive::new(PredictiveConfig {
            quantile: Some(0.7),
            ..PredictiveConfig::default()
        })),
        _ => Box::new(Predictive::new(PredictiveConfig::default())),
    }
}

fn platform(seed: u64) -> CloudPlatform {
    let catalog = bundled();
    let mut sim = SimCloudConfig::default();
    sim.supply.default_instances = 256;
    CloudPlatform {
        offers: catalog.offer_ids().collect(),
        catalog,
        sim,
        controller: ControllerConfig {
            first_window: SimTime::from_secs(T0 + 8 * 86_400),
            window: SimDuration::from_hours(24),
            lead: SimDuration::from_hours(2),
            tick: SimDuration::from_secs(300),
            scheduler: engine::shard::Policy::EasyBackfill,
            max_attempts: 10,
            budget: None,
            drain_windows: 2,
            routing: Default::default(),
            rebalance: Default::default(),
        },
        seed,
    }
}

/// The oracle of a run of `replay` on `p` that ended at `end`.
fn oracle_of(p: &CloudPlatform, replay: &Trace, end: SimTime) -> sim::oracle::OracleReport {
    let spot =
        sim::cloud::SpotMarket::of_run(&p.catalog, &p.sim, p.seed, p.controller.first_window);
    sim::oracle::oracle(
        &p.catalog,
        &p.offers,
        &p.sim,
        &spot,
        &replay.jobs,
        p.controller.first_window,
        p.controller.window,
        end,
    )
    .expect("the oracle solves")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Whatever the jobs, policy and seed: when every job completes, the run paid at least
    /// the oracle's lower bound.
    #[test]
    fn the_oracle_is_never_above_a_policy(
        jobs in prop::collection::vec(
            (0u64..(10 * 86_400), 60u64..20_000, 1u64..64, 0u64..2)
                .prop_map(|(s, r, v, g)| (s, r, if g > 0 { v.min(4) } else { v }, g)),
            5..40,
        ),
        which in 0u8..5,
        seed in 0u64..1000,
    ) {
        let full = trace(&jobs);
        let p = platform(seed);
        let (history, replay) = split_history(&full, p.controller.first_window);
        prop_assume!(!replay.jobs.is_empty());
        let out = run(&replay, history, &p, policy(which), &mut |_| {}).expect("runs");
        let all_done = out.run.jobs.iter().all(|o| o.state == EndState::Completed);
        prop_assert!(which < 3 || all_done, "the predictive policy lost jobs: {:?}", out.run.jobs);
        let paid: f64 = out.charges.iter().map(|c| c.amount.as_usd()).sum();
        let oracle = oracle_of(&p, &replay, out.end);
        // Each charge is booked in whole micro-dollars (rounded to the nearest), and the
        // solver's bound is exact to its tolerances: allow half a micro-dollar per charge
        // and a millionth of the bill.
        let slack = 0.5e-6 * out.charges.len() as f64 + 1e-6 * paid;
        if all_done {
            prop_assert!(
                oracle.cost_usd <= paid + slack,
                "oracle {} above the policy's {} (policy {})", oracle.cost_usd, paid, which
            );
        }
        prop_assert!(oracle.cost_usd > 0.0);
    }
}

/// The predictive policy writes a plan per window, with its shards.
#[test]
fn the_predictive_policy_records_a_plan_per_window() {
    let jobs: Vec<JobSpec> = (0..200u64)
        .map(|i| (i * 4_000, 3_000 + (i * 97) % 5_000, 1 + i % 16, u64::from(i % 5 == 0)))
        .collect();
    let full = trace(&jobs);
    let p = platform(1);
    let (history, replay) = split_history(&full, p.controller.first_window);
    let out = run(&replay, history, &p, policy(4), &mut |_| {}).expect("runs");
    assert!(out.run.jobs.iter().all(|o| o.state == EndState::Completed));
    assert!(!out.plans.is_empty());
    for record in &out.plans {
        let doc: serde_json::Value = serde_json::from_str(&record.json).expect("JSON");
        assert_eq!(doc["window"]["index"], record.window);
        assert!(doc["shards"].as_array().is_some_and(|s| !s.is_empty()), "{}", record.json);
        assert!(doc["plan"]["offers"].as_array().is_some_and(|o| !o.is_empty()));
    }
}

/// A class's small jobs are priced on the small types that hold them, not on the types its
/// largest job needs: forty 1-T4 jobs of 20,000 s (222 GPU-hours) beside one 4-T4 job. The
/// on-demand policy runs each small job on a 1-T4 type (0.526 USD/h for g4dn.xlarge), so it
/// pays about 117 USD plus boot and idle time for them; an oracle that allowed only the 4-T4
/// types (3.912 USD/h for 4 GPUs: 0.978 USD per GPU-hour) would bound them at about 217 USD,
/// above what the policy paid.
#[test]
fn small_jobs_beside_a_large_one_keep_the_oracle_below_the_policy() {
    let first = 8 * 86_400;
    let mut jobs: Vec<JobSpec> =
        (0..40u64).map(|i| (first + 3_600 + i * 1_800, 20_000, 4, 1)).collect();
    jobs.push((first + 7_200, 3_600, 16, 4));
    let full = trace(&jobs);
    let p = platform(3);
    let (history, replay) = split_history(&full, p.controller.first_window);
    let out = run(&replay, history, &p, policy(0), &mut |_| {}).expect("runs");
    assert!(out.run.jobs.iter().all(|o| o.state == EndState::Completed), "{:?}", out.run.jobs);
    let paid: f64 = out.charges.iter().map(|c| c.amount.as_usd()).sum();
    let oracle = oracle_of(&p, &replay, out.end);
    assert!(oracle.cost_usd <= paid, "oracle {} above the policy's {paid}", oracle.cost_usd);
    // The oracle may buy spot, never below 10% of on-demand: 222.2 GPU-hours at least
    // 0.1 · 0.526 USD each is 11.7 USD (it is about 35 on the bundled spot prices).
    assert!(oracle.cost_usd > 222.2 * 0.1 * 0.526, "oracle {} implausibly low", oracle.cost_usd);
}

/// A regression found by the property test: one 11-vCPU job ran on three Azure spot
/// instances while the seeded spot price path was about 9% below the catalog's mean. An oracle
/// that priced spot at the mean (0.2515 USD) was above what the run paid (0.2515 USD less a
/// few micro-dollars); priced at the realised path, it is below.
#[test]
fn the_oracle_sees_spot_prices_below_the_mean() {
    let jobs: Vec<JobSpec> = vec![
        (815_101, 8_086, 11, 0),
        (30, 13_974, 59, 0),
        (82_316, 260, 4, 1),
        (255_031, 19_054, 50, 0),
        (438_466, 3_059, 37, 0),
    ];
    let full = trace(&jobs);
    let p = platform(567);
    let (history, replay) = split_history(&full, p.controller.first_window);
    let out = run(&replay, history, &p, policy(3), &mut |_| {}).expect("runs");
    assert!(out.run.jobs.iter().all(|o| o.state == EndState::Completed));
    let paid: f64 = out.charges.iter().map(|c| c.amount.as_usd()).sum();
    let oracle = oracle_of(&p, &replay, out.end);
    assert!(oracle.cost_usd <= paid, "oracle {} above the policy's {paid}", oracle.cost_usd);
    assert!(oracle.cost_usd > 0.5 * paid, "oracle {} implausibly low", oracle.cost_usd);
}

/// A predictive run's report draws each tier's forecast against the demand that arrived:
/// `forecast.svg` and `.png`, inlined in `report.html`, from `plans/*.json` whose hourly
/// forecast covers each planned window (168 hours, band from the 0.1 to the 0.9 scenario).
/// The workload: about six weeks of one synthetic queue; the first three are history (the
/// conformal band needs 15 days: a 168-hour profile and a 192-hour horizon).
#[test]
fn a_predictive_run_with_the_oracle_draws_its_forecast_against_demand() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = tests::workspace_root().join("scenarios/catalogs/bundled.toml");
    let scenario = format!(
        r#"
[run]
seed = 3
[workload.synthetic]
jobs = 3000
[workload.synthetic.spec]
start = "2026-01-05T00:00:00Z"
[[workload.synthetic.spec.queues]]
name = "batch"
rate_per_hour = 3
daily_amplitude = 0.6
runtime = {{ kind = "lognormal", median = 1800, sigma = 1.0, min = 60, max = 20000 }}
vcpus = {{ kind = "power_of_two", min = 1, max = 16, ratio = 0.5 }}
[platform]
kind = "cloud"
catalog = {catalog:?}
window_h = 168
lead_h = 24
history_days = 21
[policy.planner]
history_days = 21
[report]
oracle = true
"#
    );
    let path = dir.path().join("predictive.toml");
    std::fs::write(&path, scenario).unwrap();
    let loaded = sim::scenario::Scenario::load(&path, &[]).expect("the scenario loads");
    let result = sim::run::run(&loaded, &mut |_| {}).expect("runs");
    let out = dir.path().join("out");
    result.write(&out).expect("writes");
    let mut planned = 0;
    for entry in std::fs::read_dir(out.join("plans")).unwrap() {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let Some(hourly) = doc["forecast"]["hourly"].as_array() else { continue };
        planned += 1;
        for tier in hourly {
            for key in ["point", "lower", "upper"] {
                assert_eq!(tier[key].as_array().map(Vec::len), Some(168), "{key} of {tier}");
            }
            assert_eq!(tier["levels"], serde_json::json!([0.1, 0.9]));
        }
    }
    assert!(planned >= 1, "some window was planned");
    let svg = std::fs::read_to_string(out.join("forecast.svg")).expect("forecast.svg");
    assert!(svg.contains("forecast against demand") && svg.contains("band q0.10"), "{svg:.300}");
    assert!(std::fs::read(out.join("forecast.png")).unwrap().starts_with(b"\x89PNG"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("forecast against demand"), "the figure is inlined");
}
