//! Unit tests of the planner: the newsvendor closed form, the oracle bound, constraints,
//! errors and determinism. Expected numbers are derived by hand in the comments.

use proptest::prelude::*;

use super::*;
use crate::cloud::{Cloud, OfferIx, ProductKind};
use crate::forecast::ResourceClass;
use crate::ids::QueueId;
use crate::time::{SimDuration, SimTime};

fn window(buckets: u32) -> PlanWindow {
    PlanWindow {
        now: SimTime::from_secs(0),
        start: SimTime::from_secs(0),
        buckets,
        bucket: SimDuration::from_hours(1),
    }
}

fn product(usd: f64) -> ReservationOption {
    ReservationOption {
        kind: ProductKind::FutureReservation,
        name: "test".into(),
        usd_per_instance_hour: usd,
        min_lead_s: 0,
        max_lead_s: u64::MAX,
        min_duration_s: 0,
        duration_grid_h: Vec::new(),
        min_count: 0,
        max_count: 10_000,
    }
}

fn pool(ix: u32, cloud: Cloud, region: &str, units: f64, od: f64, reserved: Option<f64>) -> Pool {
    Pool {
        offer: OfferIx(ix),
        cloud,
        region: region.into(),
        instance_type: format!("t{ix}"),
        class: ResourceClass::Vcpu,
        gpu_kind: None,
        units_per_instance: units,
        vcpus: units as u32,
        gpus: 0,
        on_demand_usd_per_hour: od,
        on_demand_cap: Supply::Unlimited,
        spot: None,
        products: reserved.map(product).into_iter().collect(),
    }
}

fn queue(id: u32, demand: Vec<Vec<f64>>) -> QueueDemand {
    QueueDemand {
        queue: QueueId(id),
        class: ResourceClass::Vcpu,
        gpu_kind: None,
        regions: Vec::new(),
        offers: Vec::new(),
        demand,
    }
}

fn problem(buckets: u32, pools: Vec<Pool>, queues: Vec<QueueDemand>) -> PlanningProblem {
    let ns = queues[0].demand.len();
    PlanningProblem {
        window: window(buckets),
        pools,
        queues,
        scenario_probabilities: vec![1.0 / ns as f64; ns],
        constraints: Constraints::default(),
        costs: CostParams {
            backlog_usd_per_unit_hour: 100.0,
            spot_lost_hours_per_interruption: 1.0,
        },
    }
}

fn exact() -> SolverConfig {
    SolverConfig { mip_rel_gap: 0.0, ..SolverConfig::default() }
}

fn reserved_count(plan: &WindowPlan) -> u32 {
    plan.reservations.iter().map(|r| r.count).sum()
}

/// A fixed pseudo-random sequence (SplitMix64) so the tests need no RNG crate.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn newsvendor_uniform_demand_reserves_the_critical_ratio_quantile() {
    // One pool (1 unit per instance), one queue, one hour, 100 equally likely scenarios with
    // demand D = 1, 2, …, 100. Reserved c_r = 0.625, on-demand c_o = 1 per unit-hour; the
    // backlog penalty (100) is far above c_o, so overflow is bought on demand.
    // The R-th reserved unit costs 0.625 for sure and saves 1 when D ≥ R, so it pays iff
    // P(D ≥ R) = (101 − R)/100 > 0.625, i.e. R < 38.5: R* = 38, the demand quantile at the
    // critical ratio (c_o − c_r)/c_o = 0.375 (the smallest R with P(D ≤ R) = R/100 ≥ 0.375).
    // Expected cost: 38 · 0.625 + E[(D − 38)⁺] = 23.75 + Σ_{d=39}^{100} (d − 38)/100
    // = 23.75 + (62 · 63 / 2)/100 = 23.75 + 19.53 = 43.28.
    let demand: Vec<Vec<f64>> = (1..=100).map(|d| vec![f64::from(d)]).collect();
    let p =
        problem(1, vec![pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(0.625))], vec![queue(0, demand)]);
    let plan = plan(&p, &exact()).expect("solves");
    assert_eq!(reserved_count(&plan), 38);
    assert!((plan.expected_cost_usd - 43.28).abs() < 1e-6, "{}", plan.expected_cost_usd);
    assert_eq!(plan.status, SolveStatus::Optimal);
    assert_eq!(plan.scenario_costs_usd.len(), 100);
    // Scenario D = 1 pays only the reservation: 23.75; D = 100 adds 62 on demand: 85.75.
    assert!((plan.spread.min_usd - 23.75).abs() < 1e-6);
    assert!((plan.spread.max_usd - 85.75).abs() < 1e-6);
}

#[test]
fn newsvendor_iid_demand_over_buckets_and_scenarios_matches_the_empirical_quantile() {
    // 24 hourly buckets × 20 scenarios of i.i.d. integer demand in 0..=60. A reservation is
    // held all window, so every (bucket, scenario) sample is one draw of D with weight
    // 1/480 each. With c_r / c_o = 0.6137, the R-th unit pays iff #{D ≥ R}/480 > 0.6137,
    // i.e. #{D ≥ R} ≥ 295 (0.6137 · 480 = 294.6, never a tie). So R* is the largest R with
    // #{D ≥ R} ≥ 295, which is the 186th smallest sample (480 − 295 + 1 = 186): sorted[185].
    let (nb, ns) = (24usize, 20usize);
    let mut state = 7u64;
    let demand: Vec<Vec<f64>> =
        (0..ns).map(|_| (0..nb).map(|_| (splitmix(&mut state) % 61) as f64).collect()).collect();
    let mut all: Vec<f64> = demand.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let expected = all[185];
    let p = problem(
        nb as u32,
        vec![pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(0.6137))],
        vec![queue(0, demand)],
    );
    let plan = plan(&p, &exact()).expect("solves");
    assert_eq!(f64::from(reserved_count(&plan)), expected);
}

#[test]
fn deterministic_quantile_mode_plans_for_one_quantile_scenario() {
    // Same 100 scenarios as the uniform newsvendor, planned on their 0.9-quantile alone:
    // the one scenario has D = 90 (cumulative probability reaches 0.9 at 90), and with
    // c_r < c_o every unit of a known demand is cheaper reserved: R = 90.
    let demand: Vec<Vec<f64>> = (1..=100).map(|d| vec![f64::from(d)]).collect();
    let p =
        problem(1, vec![pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(0.625))], vec![queue(0, demand)]);
    let cfg = SolverConfig { mode: Mode::Quantile(0.9), ..exact() };
    let plan = plan(&p, &cfg).expect("solves");
    assert_eq!(reserved_count(&plan), 90);
    assert_eq!(plan.scenario_costs_usd.len(), 1);
}

#[test]
fn evaluate_prices_fixed_decisions_by_hand() {
    // 5 instances reserved at 0.5/h for 2 hours = 5.0; demand 3 then 8: the second hour
    // buys 3 units on demand at 1.0 = 3.0. Total 8.0.
    let p = problem(
        2,
        vec![pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(0.5))],
        vec![queue(0, vec![vec![0.0, 0.0]])],
    );
    let d = Decisions { reservations: vec![(0, 0, 5)], shares: vec![vec![(0, 1.0)]] };
    let e = evaluate(&p, &d, &[vec![3.0, 8.0]], &exact()).expect("evaluates");
    assert!((e.expected_cost_usd - 8.0).abs() < 1e-9, "{}", e.expected_cost_usd);
    // The oracle on that demand reserves 3 (both hours use them: 3 · 0.5 · 2 = 3.0) and buys
    // 5 on demand in hour 2 (5.0): 8.0 too; reserving a 4th unit costs 1.0 to save 1.0, a
    // tie the MILP may break either way, so only the cost is checked.
    let o = oracle(&p, &[vec![3.0, 8.0]], &exact(), usize::MAX).expect("solves");
    assert!((o.expected_cost_usd - 8.0).abs() < 1e-9);
    assert!(!o.relaxed);
}

#[test]
fn minimum_commitment_is_all_or_nothing() {
    // Demand is 2 units all day; the product sells at least 4 instances. At c_r = 0.3 four
    // reserved cost 1.2/h < 2.0/h on demand: buy 4. At c_r = 0.6 they cost 2.4/h > 2.0: buy 0.
    for (price, want) in [(0.3, 4), (0.6, 0)] {
        let mut pl = pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(price));
        pl.products[0].min_count = 4;
        let p = problem(24, vec![pl], vec![queue(0, vec![vec![2.0; 24]])]);
        let plan = plan(&p, &exact()).expect("solves");
        assert_eq!(reserved_count(&plan), want, "price {price}");
    }
}

#[test]
fn lead_time_and_duration_grid_rule_products_out() {
    // A product that needs a day's lead cannot start a window one hour away; one whose grid
    // stops at 12 h cannot cover a 24 h window. Either way nothing is reserved.
    let mut late = pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(0.1));
    late.products[0].min_lead_s = 86_400;
    let mut p = problem(24, vec![late], vec![queue(0, vec![vec![5.0; 24]])]);
    p.window.start = SimTime::from_secs(3_600);
    assert_eq!(reserved_count(&plan(&p, &exact()).expect("solves")), 0);
    let mut short = pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(0.1));
    short.products[0].duration_grid_h = vec![6, 12];
    let p = problem(24, vec![short], vec![queue(0, vec![vec![5.0; 24]])]);
    assert_eq!(reserved_count(&plan(&p, &exact()).expect("solves")), 0);
    // A 48 h block covering the 24 h window is charged all 48 h: 5 · 0.1 · 48 = 24 < 5 · 24
    // on demand, so it is bought, and costs 24.
    let mut long = pool(0, Cloud::Aws, "r1", 1.0, 1.0, Some(0.1));
    long.products[0].duration_grid_h = vec![12, 48];
    let p = problem(24, vec![long], vec![queue(0, vec![vec![5.0; 24]])]);
    let plan = plan(&p, &exact()).expect("solves");
    assert_eq!(reserved_count(&plan), 5);
    assert!((plan.expected_cost_usd - 24.0).abs() < 1e-9);
}

#[test]
fn region_quota_caps_running_vcpus() {
    // Region a is cheaper (0.5 vs 1.0 per unit-hour) but its quota is 8 vCPUs; the queue
    // needs 20 units every hour and may be split over 2 pools. Region a takes at most 8
    // units each hour (8 · 24 = 192 unit-hours), b the rest.
    let mut p = problem(
        24,
        vec![pool(0, Cloud::Aws, "a", 4.0, 2.0, None), pool(1, Cloud::Aws, "b", 4.0, 4.0, None)],
        vec![queue(0, vec![vec![20.0; 24]])],
    );
    p.constraints.max_pools_per_queue = 2;
    p.constraints.region_quotas = vec![RegionQuota {
        cloud: Cloud::Aws,
        region: "a".into(),
        max_vcpus: Some(8),
        max_gpus: None,
    }];
    let plan = plan(&p, &exact()).expect("solves");
    let a = &plan.offers[0];
    assert!(a.on_demand_unit_hours <= 192.0 + 1e-6, "{}", a.on_demand_unit_hours);
    // Cost: 8 units at 0.5 plus 12 at 1.0, per hour: 16 · 24 = 384.
    assert!((plan.expected_cost_usd - 384.0).abs() < 1e-6, "{}", plan.expected_cost_usd);
    assert_eq!(plan.queue_map[0].pools.len(), 2);
}

#[test]
fn provider_share_spreads_queues_over_providers() {
    // AWS is cheaper; two equal queues. Unconstrained, both go to AWS; with at most half the
    // work on any provider, one goes to GCP.
    let pools =
        vec![pool(0, Cloud::Aws, "a", 1.0, 1.0, None), pool(1, Cloud::Gcp, "g", 1.0, 1.5, None)];
    let queues = vec![queue(0, vec![vec![4.0; 6]]), queue(1, vec![vec![4.0; 6]])];
    let mut p = problem(6, pools, queues);
    let free = plan(&p, &exact()).expect("solves");
    assert!(free.queue_map.iter().all(|a| a.pools == vec![(0, 1.0)]));
    p.constraints.max_provider_share = Some(0.5);
    let capped = plan(&p, &exact()).expect("solves");
    let on_gcp = capped.queue_map.iter().filter(|a| a.pools == vec![(1, 1.0)]).count();
    assert_eq!(on_gcp, 1);
    // Ties between the two queues are broken the same way every time.
    assert_eq!(capped, plan(&p, &exact()).expect("solves"));
}

#[test]
fn a_budget_below_the_cheapest_feasible_plan_is_a_clear_error() {
    // No backlog allowed (SLA 0 hours): 4 units × 6 hours at 1.0 must be bought, 24 USD.
    let mut p = problem(
        6,
        vec![pool(0, Cloud::Aws, "a", 1.0, 1.0, None)],
        vec![queue(0, vec![vec![4.0; 6]])],
    );
    p.constraints.max_backlog_hours = Some(0.0);
    p.constraints.budget_usd = Some(10.0);
    match plan(&p, &exact()) {
        Err(PlanError::BudgetInfeasible { budget_usd, unconstrained_spend_usd }) => {
            assert_eq!(budget_usd, 10.0);
            assert!((unconstrained_spend_usd - 24.0).abs() < 1e-6);
        }
        other => panic!("expected a budget error, got {other:?}"),
    }
    let msg = plan(&p, &exact()).unwrap_err().to_string();
    assert!(msg.contains("constraints.budget_usd"), "{msg}");
    // A budget of 24 suffices.
    p.constraints.budget_usd = Some(24.0 + 1e-6);
    assert!(plan(&p, &exact()).is_ok());
}

#[test]
fn sla_bound_turns_backlog_into_capacity() {
    // On-demand is capped at 2 instances; demand 4 for 3 hours. Without an SLA the backlog
    // grows (2, 4, 6 unit-hours); with `max_backlog_hours = 0` the plan is infeasible and
    // the error names the active constraints.
    let mut pl = pool(0, Cloud::Aws, "a", 1.0, 1.0, None);
    pl.on_demand_cap = Supply::Constant(2);
    let mut p = problem(3, vec![pl], vec![queue(0, vec![vec![4.0; 3]])]);
    let free = plan(&p, &exact()).expect("solves");
    // 2 units on demand each hour (6.0) + backlog 2 + 4 + 6 = 12 unit-hours · 100 = 1,200.
    assert!((free.expected_cost_usd - 1206.0).abs() < 1e-6, "{}", free.expected_cost_usd);
    p.constraints.max_backlog_hours = Some(0.0);
    match plan(&p, &exact()) {
        Err(PlanError::Infeasible { active }) => {
            assert!(active.contains("constraints.max_backlog_hours"), "{active}")
        }
        other => panic!("expected infeasible, got {other:?}"),
    }
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let mut p = problem(
        4,
        vec![pool(0, Cloud::Aws, "a", 1.0, 1.0, None)],
        vec![queue(0, vec![vec![1.0, 2.0, f64::NAN, 1.0]])],
    );
    match plan(&p, &exact()) {
        Err(PlanError::Invalid { field, .. }) => assert_eq!(field, "queues[0].demand[0][2]"),
        other => panic!("{other:?}"),
    }
    p.queues[0].demand = vec![vec![1.0; 4]];
    p.queues[0].regions = vec![(Cloud::Gcp, "elsewhere".into())];
    assert!(matches!(plan(&p, &exact()), Err(PlanError::NoEligiblePool { index: 0, .. })));
    p.queues[0].regions.clear();
    p.scenario_probabilities = vec![0.5];
    match plan(&p, &exact()) {
        Err(PlanError::Invalid { field, .. }) => assert_eq!(field, "scenario_probabilities"),
        other => panic!("{other:?}"),
    }
    p.scenario_probabilities = vec![1.0];
    let cfg = SolverConfig { mip_rel_gap: -1.0, ..exact() };
    match plan(&p, &cfg) {
        Err(PlanError::Invalid { field, .. }) => assert_eq!(field, "solver.mip_rel_gap"),
        other => panic!("{other:?}"),
    }
    match oracle(&p, &[vec![1.0; 3]], &exact(), usize::MAX) {
        Err(PlanError::Invalid { field, .. }) => assert_eq!(field, "realised[0]"),
        other => panic!("{other:?}"),
    }
}

/// A random mid-sized problem: `nq` queues, `np` pools over 3 providers and 4 regions,
/// `ns` scenarios of `nb` hours.
fn random_problem(seed: u64, nq: usize, np: usize, ns: usize, nb: usize) -> PlanningProblem {
    let mut st = seed;
    let mut r = |m: u64| splitmix(&mut st) % m;
    let pools = (0..np)
        .map(|i| {
            let cloud = Cloud::ALL[i % 3];
            let region = format!("r{}", r(4));
            let units = [2.0, 4.0, 8.0][r(3) as usize];
            let od = units * (0.04 + r(20) as f64 / 1000.0);
            let mut pl = pool(i as u32, cloud, &region, units, od, Some(od * 0.6));
            if r(2) == 0 {
                pl.spot = Some(SpotSupply {
                    usd_per_hour_by_bucket: vec![],
                    usd_per_hour: od * 0.35,
                    interruptions_per_hour: 0.01,
                    cap: Supply::Constant(r(10) as u32),
                });
            }
            pl
        })
        .collect();
    let queues = (0..nq)
        .map(|q| {
            let base = 5.0 + r(40) as f64;
            let mut qd = queue(
                q as u32,
                (0..ns)
                    .map(|_| {
                        (0..nb)
                            .map(|b| {
                                base * (1.0 + ((b % 24) as f64 / 24.0))
                                    * (0.5 + r(100) as f64 / 100.0)
                            })
                            .collect()
                    })
                    .collect(),
            );
            qd.regions = vec![
                (Cloud::ALL[q % 3], format!("r{}", r(4))),
                (Cloud::ALL[(q + 1) % 3], format!("r{}", r(4))),
            ];
            qd.regions.sort();
            qd
        })
        .collect();
    let mut p = problem(nb as u32, pools, queues);
    p.costs.backlog_usd_per_unit_hour = 1.0;
    // Queues whose regions hold no pool may use any region.
    for q in 0..nq {
        if !(0..np).any(|pl| p.eligible(q, pl)) {
            p.queues[q].regions.clear();
        }
    }
    p
}

#[test]
fn same_input_gives_the_same_plan() {
    let p = random_problem(42, 6, 9, 4, 24);
    let cfg = SolverConfig::default();
    let a = plan(&p, &cfg).expect("solves");
    let b = plan(&p, &cfg).expect("solves");
    assert_eq!(a, b);
    let ja = serde_json::to_string(&a).expect("json");
    let jb = serde_json::to_string(&b).expect("json");
    assert_eq!(ja, jb);
    assert_eq!(
        a.offers.len(),
        a.offers.iter().map(|o| o.pool).collect::<std::collections::BTreeSet<_>>().len()
    );
    // Blocks of the same problem also solve, deterministically.
    let cfg = SolverConfig { time: TimeModel::Blocks(8), ..cfg };
    assert_eq!(plan(&p, &cfg).expect("solves"), plan(&p, &cfg).expect("solves"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// On the same realised demand, the oracle's cost is never above the cost of any fixed
    /// reservation level (with any eligible queue map) evaluated on that demand, and the LP
    /// relaxation's is never above the oracle's.
    #[test]
    fn oracle_is_a_lower_bound_on_any_fixed_reservation(
        demand in proptest::collection::vec(proptest::collection::vec(0u8..30, 6), 1..3),
        level in 0u32..40,
        pool_choice in 0usize..2,
        reserved_ratio in 0.2f64..1.2,
        od_cap in proptest::option::of(0u32..20),
    ) {
        let nq = demand.len();
        let mut pools = vec![
            pool(0, Cloud::Aws, "a", 2.0, 1.0, Some(reserved_ratio)),
            pool(1, Cloud::Gcp, "g", 1.0, 0.7, Some(0.7 * reserved_ratio)),
        ];
        if let Some(c) = od_cap {
            pools[0].on_demand_cap = Supply::Constant(c);
        }
        let queues: Vec<QueueDemand> =
            (0..nq).map(|q| queue(q as u32, vec![vec![0.0; 6]])).collect();
        let p = problem(6, pools, queues);
        let realised: Vec<Vec<f64>> =
            demand.iter().map(|row| row.iter().map(|&d| f64::from(d)).collect()).collect();
        let cfg = exact();
        let o = oracle(&p, &realised, &cfg, usize::MAX).expect("oracle solves");
        let fixed = Decisions {
            reservations: vec![(pool_choice, 0, level)],
            shares: (0..nq).map(|q| vec![((q + pool_choice) % 2, 1.0)]).collect(),
        };
        let e = evaluate(&p, &fixed, &realised, &cfg).expect("evaluates");
        let tol = 1e-4 + 1e-6 * e.expected_cost_usd.abs();
        prop_assert!(o.expected_cost_usd <= e.expected_cost_usd + tol,
            "oracle {} > fixed {}", o.expected_cost_usd, e.expected_cost_usd);
        let lp = oracle(&p, &realised, &cfg, 0).expect("relaxation solves");
        prop_assert!(lp.relaxed);
        prop_assert!(lp.expected_cost_usd <= o.expected_cost_usd + tol);
        // Free routing per period only widens the choice: never dearer than a window's split.
        let free = SolverConfig { routing: Routing::PerPeriod, ..cfg };
        let of = oracle(&p, &realised, &free, usize::MAX).expect("per-period oracle solves");
        prop_assert!(of.expected_cost_usd <= o.expected_cost_usd + tol,
            "per-period {} > window {}", of.expected_cost_usd, o.expected_cost_usd);
    }
}

#[test]
fn per_period_routing_fills_the_reservation_and_overflows_to_the_cheaper_pool() {
    // Pool A: on-demand 3, reserved 1 per unit-hour; pool B: on-demand 1.5, nothing to
    // reserve. Demand 10 then 20 over two hours.
    // - One split for the window (share f on A, R reserved there): R = 20f costs
    //   2·20f + 1.5·30(1 − f) = 45 − 5f, least at f = 1: 40; R = 10f costs
    //   2·10f + 3·10f + 1.5·30(1 − f) = 45 + 5f, least at f = 0: 45. Best 40.
    // - Routing per hour: reserve 10 on A (2 · 10 = 20), send hour 2's other 10 to B on
    //   demand (1.5 · 10 = 15): 35. A carries 20 of the 30 unit-hours, a share of 2/3.
    let mut p = problem(
        2,
        vec![
            pool(0, Cloud::Aws, "a", 1.0, 3.0, Some(1.0)),
            pool(1, Cloud::Gcp, "b", 1.0, 1.5, None),
        ],
        vec![queue(0, vec![vec![10.0, 20.0]])],
    );
    p.constraints.max_pools_per_queue = 2;
    let window = plan(&p, &exact()).expect("solves");
    assert!((window.expected_cost_usd - 40.0).abs() < 1e-6, "{}", window.expected_cost_usd);
    let free = SolverConfig { routing: Routing::PerPeriod, ..exact() };
    let per_period = plan(&p, &free).expect("solves");
    assert!((per_period.expected_cost_usd - 35.0).abs() < 1e-6, "{}", per_period.expected_cost_usd);
    assert_eq!(reserved_count(&per_period), 10);
    let shares = &per_period.queue_map[0].pools;
    assert_eq!(shares.len(), 2, "{shares:?}");
    assert!((shares[0].1 - 2.0 / 3.0).abs() < 1e-6 && (shares[1].1 - 1.0 / 3.0).abs() < 1e-6);
    // The same on the oracle's side, and the per-period plan is repeatable.
    let o = oracle(&p, &[vec![10.0, 20.0]], &free, usize::MAX).expect("solves");
    assert!((o.expected_cost_usd - 35.0).abs() < 1e-6);
    assert_eq!(plan(&p, &free).expect("solves"), per_period);
}

#[test]
fn a_queue_that_lists_offers_uses_only_those() {
    // Pool 0 is cheaper (0.5 against 1.0 per unit-hour), but the queue's jobs fit only
    // offer 1: it is mapped there and pays 1.0 · 4 units · 3 hours = 12.
    let mut q = queue(0, vec![vec![4.0; 3]]);
    q.offers = vec![OfferIx(1)];
    let p = problem(
        3,
        vec![pool(0, Cloud::Aws, "a", 1.0, 0.5, None), pool(1, Cloud::Aws, "a", 1.0, 1.0, None)],
        vec![q],
    );
    let out = plan(&p, &exact()).expect("solves");
    assert_eq!(out.queue_map[0].pools, vec![(1, 1.0)]);
    assert!((out.expected_cost_usd - 12.0).abs() < 1e-9);
    // An offer list no pool matches is a queue with no eligible pool.
    let mut bad = p.clone();
    bad.queues[0].offers = vec![OfferIx(7)];
    assert!(matches!(plan(&bad, &exact()), Err(PlanError::NoEligiblePool { .. })));
}

#[test]
fn dominated_pools_are_dropped_and_the_plan_is_unchanged() {
    // Region r1 of AWS holds four pools. Pool 1 (4 units, on-demand 0.30 per unit-hour,
    // reserved 0.18) is dominated by pool 0 (2 units: 2 divides 4; 0.25 and 0.15 per
    // unit-hour). Pool 2 is as dear as pool 1 but sells capped spot at 0.10 per unit-hour,
    // which no uncapped recourse of pool 0 matches: kept (it dominates pool 1 too). Pool 3 is a copy of pool 0: equal
    // dominance keeps the lower index, so pool 3 goes. Pool 4 is cheaper than pool 0 but in
    // region r2, which queue 1 may not use: it does not serve every queue pool 0 serves, so
    // pool 0 is kept.
    let mut spotty = pool(2, Cloud::Aws, "r1", 4.0, 1.2, Some(0.72));
    spotty.spot = Some(SpotSupply {
        usd_per_hour_by_bucket: vec![],
        usd_per_hour: 0.4,
        interruptions_per_hour: 0.0,
        cap: Supply::Constant(3),
    });
    let pools = vec![
        pool(0, Cloud::Aws, "r1", 2.0, 0.5, Some(0.3)),
        pool(1, Cloud::Aws, "r1", 4.0, 1.2, Some(0.72)),
        spotty,
        pool(3, Cloud::Aws, "r1", 2.0, 0.5, Some(0.3)),
        pool(4, Cloud::Aws, "r2", 2.0, 0.4, Some(0.2)),
    ];
    let mut q0 = queue(0, vec![vec![10.0, 14.0, 9.0, 20.0, 12.0, 7.0]]);
    q0.regions = vec![(Cloud::Aws, "r1".into()), (Cloud::Aws, "r2".into())];
    let mut q1 = queue(1, vec![vec![6.0, 3.0, 8.0, 8.0, 2.0, 5.0]]);
    q1.regions = vec![(Cloud::Aws, "r1".into())];
    let p = problem(6, pools, vec![q0, q1]);
    let eligible: Vec<Vec<usize>> =
        (0..2).map(|q| (0..5).filter(|&pl| p.eligible(q, pl)).collect()).collect();
    assert_eq!(dominance::dominated(&p, &eligible), vec![false, true, false, true, false]);
    // Under a quota on r1, with pool 1 at 0.5 vCPU per unit (pools 0 and 3 at 1, pool 2 at
    // 1), nothing dominates pool 1: moving its work elsewhere would use more of the quota.
    let mut quota = p.clone();
    quota.pools[1].vcpus = 2;
    quota.constraints.region_quotas = vec![RegionQuota {
        cloud: Cloud::Aws,
        region: "r1".into(),
        max_vcpus: Some(1_000),
        max_gpus: None,
    }];
    assert!(!dominance::dominated(&quota, &eligible)[1]);
    // The plan with the dominated pools left out is the full model's plan.
    let full = SolverConfig { drop_dominated: false, lp_guided: LpGuided::Off, ..exact() };
    let reduced = SolverConfig { drop_dominated: true, lp_guided: LpGuided::Off, ..exact() };
    let a = plan(&p, &full).expect("solves");
    let b = plan(&p, &reduced).expect("solves");
    assert!((a.expected_cost_usd - b.expected_cost_usd).abs() < 1e-9);
    assert_eq!(a.reservations, b.reservations);
    assert_eq!(a.queue_map, b.queue_map);
    assert_eq!(a.offers.len(), b.offers.len(), "dropped pools stay in the offers table");
    assert!(b.size.variables < a.size.variables);
}

#[test]
fn dropping_dominated_pools_keeps_the_optimal_cost_on_random_problems() {
    // Random pools over 4 regions with random units, prices and capped spot: some are
    // dominated. The optimum (gap 0) is the same with and without them.
    let mut dropped = 0;
    for seed in [1, 2, 3, 4] {
        let p = random_problem(seed, 5, 12, 2, 24);
        let eligible: Vec<Vec<usize>> = (0..p.queues.len())
            .map(|q| (0..p.pools.len()).filter(|&pl| p.eligible(q, pl)).collect())
            .collect();
        dropped += dominance::dominated(&p, &eligible).iter().filter(|&&d| d).count();
        let cfg = SolverConfig { time: TimeModel::Blocks(6), lp_guided: LpGuided::Off, ..exact() };
        let a = plan(&p, &SolverConfig { drop_dominated: false, ..cfg }).expect("solves");
        let b = plan(&p, &cfg).expect("solves");
        let tol = 1e-6 * a.expected_cost_usd.max(1.0);
        assert!(
            (a.expected_cost_usd - b.expected_cost_usd).abs() < tol,
            "seed {seed}: {} vs {}",
            a.expected_cost_usd,
            b.expected_cost_usd
        );
    }
    assert!(dropped > 0, "the random problems have dominated pools");
}

#[test]
fn lp_guided_plan_is_within_the_gap_of_the_full_milp() {
    // The LP-guided plan's cost is within its reported gap of the full model's bound, so
    // within the gap asked for of the full MILP's optimum (solved exactly here).
    for seed in [5, 6, 7] {
        let mut p = random_problem(seed, 8, 12, 3, 24);
        p.constraints.max_provider_share = Some(0.6);
        let fast = SolverConfig { time: TimeModel::Blocks(6), mip_rel_gap: 0.01, ..exact() };
        let full = SolverConfig { drop_dominated: false, lp_guided: LpGuided::Off, ..fast };
        let exact_full = plan(&p, &SolverConfig { mip_rel_gap: 0.0, ..full }).expect("solves");
        let a = plan(&p, &fast).expect("solves");
        assert!(a.gap <= 0.01 + 1e-9, "seed {seed}: gap {}", a.gap);
        assert!(a.bound_usd <= exact_full.expected_cost_usd + 1e-6, "seed {seed}");
        assert!(
            a.expected_cost_usd <= exact_full.expected_cost_usd * 1.01 + 1e-6,
            "seed {seed}: {} vs {}",
            a.expected_cost_usd,
            exact_full.expected_cost_usd
        );
        assert_eq!(a, plan(&p, &fast).expect("solves"), "seed {seed}: deterministic");
        // With a gap the restriction cannot prove, the full model is solved from its plan.
        let tight = SolverConfig { mip_rel_gap: 0.0, ..fast };
        let b = plan(&p, &tight).expect("solves");
        assert!((b.expected_cost_usd - exact_full.expected_cost_usd).abs() < 1e-6, "seed {seed}");
    }
}

#[test]
fn spot_priced_per_bucket_is_charged_each_bucket_and_a_block_at_its_lowest() {
    // One 2-unit pool, on demand 2.0 per instance-hour (1.0 per unit-hour), spot at 0.4,
    // 0.2, 0.6 and 0.2 per instance-hour in four buckets; 2 units of demand each hour. Hour
    // by hour spot is cheapest: one instance each hour, 0.4 + 0.2 + 0.6 + 0.2 = 1.4 USD. In
    // one duration block the four hours are priced at the block's lowest, 0.2: 0.8 USD,
    // never above the hourly cost.
    let mut spotty = pool(0, Cloud::Aws, "r1", 2.0, 2.0, None);
    spotty.spot = Some(SpotSupply {
        usd_per_hour: 0.3,
        usd_per_hour_by_bucket: vec![0.4, 0.2, 0.6, 0.2],
        interruptions_per_hour: 0.0,
        cap: Supply::Unlimited,
    });
    let p = problem(4, vec![spotty], vec![queue(0, vec![vec![2.0; 4]])]);
    let hourly = SolverConfig { time: TimeModel::Chronological, ..exact() };
    let cost = plan(&p, &hourly).expect("solves").expected_cost_usd;
    assert!((cost - 1.4).abs() < 1e-6, "{cost}");
    let block = SolverConfig { time: TimeModel::Blocks(1), ..exact() };
    let cost = plan(&p, &block).expect("solves").expected_cost_usd;
    assert!((cost - 0.8).abs() < 1e-6, "{cost}");
    // One price per bucket, or none.
    let mut bad = p.clone();
    if let Some(s) = &mut bad.pools[0].spot {
        s.usd_per_hour_by_bucket.pop();
    }
    assert!(matches!(plan(&bad, &exact()), Err(PlanError::Invalid { .. })));
}
