//! `shardcast plan`: the predictive policy's plan of one window, offline, for capacity
//! planners (issue 5).
//!
//! From a trace's history before the plan time (`START − lead`), a catalog and a window
//! `START/LENGTH`, it forecasts each job class's demand, solves the planner's MILP
//! ([`engine::policy::Predictive`]) and returns `plan.json` (the shards, the forecast, the
//! expected cost with its spread over the demand scenarios, the considered offers) and a
//! text rendering of it. No cloud is called.

use std::collections::BTreeMap;

use engine::cloud::{Catalog, OfferIx};
use engine::policy::{JobClass, PlanContext, PredictiveConfig, Window, ranked_offers};
use engine::shard::Capacity;
use engine::time::{SimDuration, SimTime};

use crate::trace::Trace;

/// What to plan.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// When the window opens.
    pub start: SimTime,
    /// Its length, hours.
    pub hours: u64,
    /// How long before `start` the plan is made, hours (reservation products' lead times are
    /// counted from then; only jobs submitted before then are history).
    pub lead_hours: u64,
    /// The predictive policy's knobs (the quantile, scenarios, candidate offers…).
    pub config: PredictiveConfig,
}

/// A plan and its rendering.
#[derive(Clone, Debug)]
pub struct PlanOutput {
    /// `plan.json`.
    pub json: String,
    /// The shards, the expected cost and the considered offers, as text tables.
    pub text: String,
}

/// Why no plan was made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanCmdError {
    /// Nothing was submitted before the plan time.
    #[error(
        "no job of the trace was submitted before the plan time {now} (window start {start} \
         less the lead): give a later --window start"
    )]
    NoHistory {
        /// The plan time.
        now: SimTime,
        /// The window start.
        start: SimTime,
    },
    /// The catalog holds no offer for any job class of the history.
    #[error("no offer of the catalog can run any job of the history; check --providers")]
    NoOffers,
    /// Forecasting or solving failed.
    #[error(transparent)]
    Plan(#[from] engine::policy::PredictiveError),
}

/// Plans the window of `options` for the jobs of `trace` on `offers` of `catalog`.
pub fn plan(
    trace: &Trace,
    catalog: &Catalog,
    offers: &[OfferIx],
    options: &PlanOptions,
) -> Result<PlanOutput, PlanCmdError> {
    let now =
        SimTime(options.start.0.saturating_sub(SimDuration::from_hours(options.lead_hours).0));
    let history: Vec<engine::Job> = trace.jobs.iter().filter(|j| j.submit < now).cloned().collect();
    if history.is_empty() {
        return Err(PlanCmdError::NoHistory { now, start: options.start });
    }
    let mut classes: BTreeMap<JobClass, Capacity> = BTreeMap::new();
    for job in &history {
        let class = JobClass::of(job);
        let demand = Capacity::from_resources(&job.resources);
        if ranked_offers(catalog, offers, &class, demand).is_empty() {
            continue;
        }
        let e = classes.entry(class).or_insert(demand);
        *e = Capacity {
            cpu_milli: e.cpu_milli.max(demand.cpu_milli),
            memory_mib: e.memory_mib.max(demand.memory_mib),
            gpu_milli: e.gpu_milli.max(demand.gpu_milli),
        };
    }
    if classes.is_empty() {
        return Err(PlanCmdError::NoOffers);
    }
    let window = Window {
        index: 0,
        start: options.start,
        end: options.start + SimDuration::from_hours(options.hours),
    };
    let ctx = PlanContext { catalog, offers, window, history: &history, classes: &classes };
    let policy = engine::policy::Predictive::new(options.config.clone());
    let (wp, answer, plan) = policy.plan_window(now, &ctx)?;
    let json = engine::policy::Predictive::plan_json(&ctx, now, &wp, &answer, &plan);
    let mut text = String::new();
    text.push_str(&format!(
        "window {} + {} h, planned at {} ({} jobs of history, {} scenarios{})\n\n",
        options.start,
        options.hours,
        now,
        history.len(),
        wp.problem.scenario_probabilities.len(),
        options.config.quantile.map_or(String::new(), |q| format!(", planned on quantile {q}")),
    ));
    text.push_str("shards:\n");
    text.push_str(&format!(
        "  {:<6} {:<16} {:<20} {:<10} {:>9}  {}\n",
        "cloud", "region", "instance type", "classes", "reserved", "burst"
    ));
    for (i, s) in plan.shards.iter().enumerate() {
        let o = catalog.offer(s.offer);
        let classes: Vec<String> =
            plan.routes.iter().filter(|r| r.shard == i).map(|r| r.label()).collect();
        let reserved = s.reserve.as_ref().map_or(0, |(_, n)| *n);
        let row = answer.offers.iter().find(|r| wp.problem.pools[r.pool].offer == s.offer);
        let burst = match row {
            Some(r) if r.spot_unit_hours > r.on_demand_unit_hours => "spot, then on-demand",
            _ => "on-demand",
        };
        text.push_str(&format!(
            "  {:<6} {:<16} {:<20} {:<10} {:>9}  {}\n",
            o.cloud.as_str(),
            o.region,
            o.instance_type,
            classes.join(","),
            reserved,
            burst
        ));
    }
    let s = &answer.spread;
    text.push_str(&format!(
        "\nexpected cost {:.2} USD (spend {:.2}, backlog penalty {:.2}); over the scenarios \
         {:.2} to {:.2}, std {:.2}; solver {:?}, gap {:.4}\n\n",
        answer.expected_cost_usd,
        answer.expected_spend_usd,
        answer.expected_penalty_usd,
        s.min_usd,
        s.max_usd,
        s.std_usd,
        answer.status,
        answer.gap
    ));
    text.push_str("considered offers (USD per unit-hour; expected unit-hours; expected cost):\n");
    text.push_str(&format!(
        "  {:<6} {:<16} {:<20} {:>8} {:>8} {:>8} {:>6} {:>10} {:>10} {:>12}\n",
        "cloud", "region", "type", "od", "spot", "reserved", "r.inst", "od u-h", "spot u-h", "cost"
    ));
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.4}"));
    for r in &answer.offers {
        text.push_str(&format!(
            "  {:<6} {:<16} {:<20} {:>8.4} {:>8} {:>8} {:>6} {:>10.1} {:>10.1} {:>12.2}\n",
            r.cloud.as_str(),
            r.region,
            r.instance_type,
            r.on_demand_usd_per_unit_hour,
            opt(r.spot_usd_per_unit_hour),
            opt(r.reserved_usd_per_unit_hour),
            r.reserved_instances,
            r.on_demand_unit_hours,
            r.spot_unit_hours,
            r.expected_cost_usd
        ));
    }
    Ok(PlanOutput { json, text })
}
