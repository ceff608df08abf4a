//! The predictive policy's size tiers on the test catalog (`common::catalog`: four offers,
//! every one 4 vCPUs): a class is cut where its jobs outgrow an instance size, and the plan
//! routes each tier on its own, smallest first.

#![cfg(feature = "planner")]

mod common;

use std::collections::BTreeMap;

use common::{all_offers, catalog, cpu_job, hours};
use engine::planner::WindowPlan;
use engine::policy::{
    JobClass, Plan, PlanContext, Predictive, PredictiveConfig, Tier, Window, WindowProblem,
};
use engine::shard::Capacity;
use engine::{Job, SimDuration, SimTime};

fn vcpus(n: u64) -> Capacity {
    // `cpu_job` gives each vCPU 1 GiB.
    Capacity { cpu_milli: n * 1000, memory_mib: n * 1024, gpu_milli: 0 }
}

/// Two weeks of hourly jobs, of 1, 2 and 4 vCPUs and, when `big`, 8 vCPUs every sixth hour.
fn history(big: bool) -> Vec<Job> {
    (0..14 * 24)
        .map(|h| {
            let size = match h % 6 {
                0 if big => 8,
                0 | 1 => 1,
                2 | 3 => 2,
                _ => 4,
            };
            cpu_job(h, hours(h), size, SimDuration::from_hours(1))
        })
        .collect()
}

fn classes(history: &[Job]) -> BTreeMap<JobClass, Capacity> {
    let largest = history
        .iter()
        .map(|j| Capacity::from_resources(&j.resources))
        .fold(Capacity::ZERO, |a, b| a.component_max(&b));
    BTreeMap::from([(JobClass::Cpu, largest)])
}

fn window() -> Window {
    Window { index: 0, start: hours(14 * 24), end: hours(15 * 24) }
}

/// The plan of `window()` at its start over `history(true)`, 14 days of history, on the fast
/// path or not.
fn plan_window(fast: bool) -> (WindowProblem, WindowPlan, Plan) {
    let (cat, offers) = (catalog(), all_offers());
    let jobs = history(true);
    let cls = classes(&jobs);
    let ctx = PlanContext {
        catalog: &cat,
        offers: &offers,
        window: window(),
        history: &jobs,
        classes: &cls,
    };
    let config = PredictiveConfig { history_days: 14, fast, ..PredictiveConfig::default() };
    Predictive::new(config).plan_window(window().start, &ctx).expect("plans")
}

#[test]
fn predictive_size_tiers_cut_a_class_where_its_jobs_outgrow_an_instance() {
    let (cat, offers) = (catalog(), all_offers());
    // Jobs of 1 to 4 vCPUs fit a 4-vCPU instance; the 8-vCPU ones span two: two tiers, the
    // first bounded by its largest job (4 vCPUs, 4 GiB), the last taking the rest.
    let jobs = history(true);
    let cls = classes(&jobs);
    let ctx = PlanContext {
        catalog: &cat,
        offers: &offers,
        window: window(),
        history: &jobs,
        classes: &cls,
    };
    let tiers = engine::policy::size_tiers(&ctx);
    assert_eq!(
        tiers,
        vec![
            Tier { class: JobClass::Cpu, up_to: Some(vcpus(4)), largest: vcpus(4) },
            Tier { class: JobClass::Cpu, up_to: None, largest: vcpus(8) },
        ]
    );
    assert_eq!(tiers.iter().map(Tier::label).collect::<Vec<_>>(), ["cpu<=4", "cpu"]);
    // Without the 8-vCPU jobs every job fits one instance: one tier, unbounded.
    let jobs = history(false);
    let cls = classes(&jobs);
    let ctx = PlanContext {
        catalog: &cat,
        offers: &offers,
        window: window(),
        history: &jobs,
        classes: &cls,
    };
    assert_eq!(
        engine::policy::size_tiers(&ctx),
        vec![Tier { class: JobClass::Cpu, up_to: None, largest: vcpus(4) }]
    );
}

#[test]
fn predictive_plan_routes_each_size_tier_smallest_first() {
    let (wp, _, plan) = plan_window(false);
    assert_eq!(wp.tiers.len(), 2);
    let routes: Vec<(String, Option<Capacity>)> =
        plan.routes.iter().map(|r| (r.label(), r.up_to)).collect();
    assert_eq!(routes, [("cpu<=4".to_owned(), Some(vcpus(4))), ("cpu".to_owned(), None)]);
    for r in &plan.routes {
        assert!(r.shard < plan.shards.len(), "route {r:?} has a shard");
    }
}

/// The realised series the report draws against the forecast, by hand: tiers `cpu<=4` and
/// `cpu`; a 2-vCPU job from 0:30 for 1.5 h is in the first (0.5 h × 2 in hour 0, 2 in hour
/// 1); an 8-vCPU job from 1:00 for 30 min in the second (8 × 0.5 in hour 1); a job
/// that ended before the window counts nowhere.
#[test]
fn tier_series_is_the_busy_units_of_each_tiers_jobs() {
    let tiers = [
        Tier { class: JobClass::Cpu, up_to: Some(vcpus(4)), largest: vcpus(4) },
        Tier { class: JobClass::Cpu, up_to: None, largest: vcpus(8) },
    ];
    let start = hours(10);
    let jobs = [
        cpu_job(1, SimTime(start.0 + 1_800_000_000), 2, SimDuration::from_secs(5_400)),
        cpu_job(2, hours(11), 8, SimDuration::from_secs(1_800)),
        cpu_job(3, hours(2), 4, SimDuration::from_hours(1)),
    ];
    let series = engine::policy::tier_series(&jobs, &tiers, start, hours(13)).unwrap();
    assert_eq!(series[&0], [1.0, 2.0, 0.0]);
    assert_eq!(series[&1], [0.0, 4.0, 0.0]);
}

/// The record of a planned window carries its forecast per tier, hour by hour, with the band
/// of the lowest and highest of the five scenarios (levels 0.1 and 0.9).
#[test]
fn a_planned_window_records_each_tiers_forecast_and_band() {
    let (wp, _, _) = plan_window(false);
    let forecasts = wp.tier_forecasts();
    assert_eq!(forecasts.len(), 2);
    for f in &forecasts {
        assert_eq!(f.start, window().start);
        assert_eq!(f.levels, (0.1, 0.9));
        assert_eq!((f.point.len(), f.lower.len(), f.upper.len()), (24, 24, 24));
        assert!(f.lower.iter().zip(&f.upper).all(|(l, u)| l <= u), "{f:?}");
    }
}

/// `fast` keeps the LP-guided restricted plan: it routes every tier as the proven plan does,
/// and neither plan costs less than the proven plan's bound on the full model.
#[test]
fn the_fast_path_plans_every_tier_and_stays_above_the_full_models_bound() {
    let (_, proven, proven_plan) = plan_window(false);
    let (_, fast, fast_plan) = plan_window(true);
    let labels = |p: &Plan| p.routes.iter().map(|r| r.label()).collect::<Vec<_>>();
    assert_eq!(labels(&fast_plan), labels(&proven_plan));
    let floor = proven.bound_usd * (1.0 - 1e-9);
    assert!(fast.expected_cost_usd >= floor, "{} < {floor}", fast.expected_cost_usd);
    assert!(proven.expected_cost_usd >= floor);
}
