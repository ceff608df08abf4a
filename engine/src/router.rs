//! The dynamic routing layer: which shard a ready job goes to.
//!
//! The window's plan maps each queue and job class to a shard before the window opens; a
//! [`Router`] may send a job elsewhere when it becomes ready (arrives, or its last parent
//! finishes), looking at every shard of the plan that can run it ([`Candidate`]s: price,
//! backlog, free capacity, region) and at where its inputs are ([`Input`]s). Routers are pure
//! functions of what they are shown, so a run is still a function of its inputs and seed.
//!
//! | router | picks |
//! |---|---|
//! | [`RouterKind::Planned`] | the plan's route (the default; the patent's fixed map) |
//! | [`RouterKind::CheapestFeasible`] | the cheapest shard, by the job's compute cost there, among the *feasible* ones (backlog no more than its capacity: a job starts within about one job length); the least loaded when none is |
//! | [`RouterKind::LeastLoaded`] | the shard with the smallest backlog per unit of capacity |
//! | [`RouterKind::Locality`] | like cheapest-feasible, but the cost includes moving the job's inputs there (egress at list price); and inside the shard, nodes near its inputs first |
//! | [`RouterKind::LatencyClass`] | short jobs (estimate at most `short_s`) to the least-loaded shard, the rest cheapest-feasible |
//!
//! Ties go to the plan's route, then to the earlier candidate (candidates come in plan order).
//!
//! A shard's instances need not all be in its region: when its offer is stocked out the broker
//! buys a fallback, possibly in another region. So a router also says which region, if any, the
//! job should run [`near`](Choice::near) inside its shard. Only the locality router does: the
//! region among its inputs' that gathering them all into costs least. The shard's scheduler
//! prefers nodes there when it has one free (a preference, never a wait).

use serde::{Deserialize, Serialize};

use crate::cloud::{Catalog, OfferIx, RegionIx};
use crate::fabric::{Fabric, egress_cost};
use crate::shard::Capacity;
use crate::time::SimDuration;

/// A shard a job could go to.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The shard, by its offer.
    pub offer: OfferIx,
    /// Its region.
    pub region: RegionIx,
    /// Whether the plan routes the job here.
    pub planned: bool,
    /// One instance's on-demand list price, USD per hour: what routers compare shards by,
    /// whatever option the shard's instances are bought with.
    pub usd_per_hour: f64,
    /// One instance's capacity.
    pub instance: Capacity,
    /// Booted and booting capacity.
    pub total: Capacity,
    /// Free capacity of booted instances now.
    pub free: Capacity,
    /// Demand queued there, summed.
    pub queued: Capacity,
    /// Demand running there, summed.
    pub running: Capacity,
}

impl Candidate {
    /// What running the job here costs: its share of one instance by its scarcest resource
    /// (above 1 for a multi-node job), times the instance price and the job's estimated
    /// length.
    fn compute_cost(&self, job: &Request<'_>) -> f64 {
        let share = |need: u64, have: u64| if have == 0 { 0.0 } else { need as f64 / have as f64 };
        let (d, i) = (job.demand, self.instance);
        let s = share(d.cpu_milli, i.cpu_milli)
            .max(share(d.memory_mib, i.memory_mib))
            .max(share(d.gpu_milli, i.gpu_milli));
        s * self.usd_per_hour * job.estimate.as_secs_f64() / 3600.0
    }

    /// Backlog (queued and running demand) per unit of capacity, by the scarcest resource;
    /// a shard with no capacity yet counts its queue against one instance.
    fn load(&self) -> f64 {
        let ratio = |q: u64, r: u64, t: u64, one: u64| {
            let cap = if t == 0 { one } else { t };
            if cap == 0 { 0.0 } else { (q + r) as f64 / cap as f64 }
        };
        let (q, r, t, i) = (self.queued, self.running, self.total, self.instance);
        ratio(q.cpu_milli, r.cpu_milli, t.cpu_milli, i.cpu_milli).max(ratio(
            q.gpu_milli,
            r.gpu_milli,
            t.gpu_milli,
            i.gpu_milli,
        ))
    }

    /// Whether the job would start within about one job length: the queue ahead of it fits
    /// in the shard's capacity (or it fits in what is free now).
    fn feasible(&self, job: &Request<'_>) -> bool {
        job.demand.fits_in(&self.free)
            || self.queued.fits_in(&self.total) && self.total != Capacity::default()
    }
}

/// Where one of a job's inputs is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    /// The shard that wrote it, by its offer.
    pub shard: OfferIx,
    /// The region it is in.
    pub region: RegionIx,
    /// Its size.
    pub bytes: u64,
}

/// The job to route.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// What it asks for.
    pub demand: Capacity,
    /// How long it is expected to run.
    pub estimate: SimDuration,
    /// Its parents' outputs.
    pub inputs: &'a [Input],
}

/// Where a router sends a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The index of the candidate shard.
    pub candidate: usize,
    /// The region whose nodes of that shard it should run on when one is free.
    pub near: Option<RegionIx>,
}

/// The routers, selectable per scenario (`[policy.routing] kind = "..."`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouterKind {
    /// The plan's route.
    #[default]
    Planned,
    /// The cheapest feasible shard.
    CheapestFeasible,
    /// The least-loaded shard.
    LeastLoaded,
    /// The cheapest feasible shard counting egress of the inputs.
    Locality,
    /// Short jobs least loaded, the rest cheapest feasible.
    LatencyClass,
}

impl RouterKind {
    /// The kebab-case name used in scenarios and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            RouterKind::Planned => "planned",
            RouterKind::CheapestFeasible => "cheapest-feasible",
            RouterKind::LeastLoaded => "least-loaded",
            RouterKind::Locality => "locality",
            RouterKind::LatencyClass => "latency-class",
        }
    }
}

/// A routing policy (see the module docs).
pub trait Router: Send {
    /// Its name in reports.
    fn name(&self) -> &'static str;
    /// Where `job` goes; `candidates` is never empty.
    fn choose(&self, catalog: &Catalog, job: &Request<'_>, candidates: &[Candidate]) -> Choice;
}

/// The router of `kind`; `short_s` is the latency-class threshold.
pub fn router(kind: RouterKind, short_s: u64) -> Box<dyn Router> {
    Box::new(Routing { kind, short: SimDuration::from_secs(short_s) })
}

/// Every router of [`RouterKind`], one struct: they share their scoring.
#[derive(Clone, Copy, Debug)]
struct Routing {
    kind: RouterKind,
    short: SimDuration,
}

/// The index minimising `score`, ties to the planned candidate, then the earlier one.
fn best(candidates: &[Candidate], score: impl Fn(&Candidate) -> Option<f64>) -> Option<usize> {
    let mut pick: Option<(f64, bool, usize)> = None;
    for (i, c) in candidates.iter().enumerate() {
        let Some(s) = score(c) else { continue };
        let better = match pick {
            None => true,
            Some((bs, bp, _)) => s < bs || s == bs && c.planned && !bp,
        };
        if better {
            pick = Some((s, c.planned, i));
        }
    }
    pick.map(|(_, _, i)| i)
}

/// The egress of moving every input of `job` to `region` in shard `shard`, USD. An input stays
/// put only in the same shard *and* region, as the controller bills it: a shard's fallback
/// instances may be in another region.
fn egress_usd(catalog: &Catalog, job: &Request<'_>, shard: OfferIx, region: RegionIx) -> f64 {
    job.inputs
        .iter()
        .map(|input| {
            let same = input.shard == shard && input.region == region;
            let link = Fabric::link(catalog, input.region, region, same);
            egress_cost(catalog, input.region, link, input.bytes).as_usd()
        })
        .sum()
}

/// The region among `job`'s inputs' that gathering them all into, in `shard`, costs least;
/// ties to the lower region index. `None` for a job with no inputs.
fn nearest_inputs(catalog: &Catalog, job: &Request<'_>, shard: OfferIx) -> Option<RegionIx> {
    let regions: std::collections::BTreeSet<RegionIx> =
        job.inputs.iter().map(|i| i.region).collect();
    let mut best: Option<(f64, RegionIx)> = None;
    for r in regions {
        let cost = egress_usd(catalog, job, shard, r);
        if best.is_none_or(|(c, _)| cost < c) {
            best = Some((cost, r));
        }
    }
    best.map(|(_, r)| r)
}

impl Routing {
    fn least_loaded(candidates: &[Candidate]) -> usize {
        best(candidates, |c| Some(c.load())).unwrap_or(0)
    }

    fn cheapest_feasible(
        catalog: &Catalog,
        job: &Request<'_>,
        candidates: &[Candidate],
        egress: bool,
    ) -> usize {
        let cost = |c: &Candidate| {
            c.compute_cost(job)
                + if egress { egress_usd(catalog, job, c.offer, c.region) } else { 0.0 }
        };
        best(candidates, |c| c.feasible(job).then(|| cost(c)))
            .unwrap_or_else(|| Routing::least_loaded(candidates))
    }
}

impl Router for Routing {
    fn name(&self) -> &'static str {
        self.kind.as_str()
    }

    fn choose(&self, catalog: &Catalog, job: &Request<'_>, candidates: &[Candidate]) -> Choice {
        let candidate = match self.kind {
            RouterKind::Planned => candidates.iter().position(|c| c.planned).unwrap_or(0),
            RouterKind::CheapestFeasible => {
                Routing::cheapest_feasible(catalog, job, candidates, false)
            }
            RouterKind::Locality => Routing::cheapest_feasible(catalog, job, candidates, true),
            RouterKind::LeastLoaded => Routing::least_loaded(candidates),
            RouterKind::LatencyClass => {
                if job.estimate <= self.short {
                    Routing::least_loaded(candidates)
                } else {
                    Routing::cheapest_feasible(catalog, job, candidates, false)
                }
            }
        };
        let near = match (self.kind, candidates.get(candidate)) {
            (RouterKind::Locality, Some(c)) => nearest_inputs(catalog, job, c.offer),
            _ => None,
        };
        Choice { candidate, near }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::cloud::test_catalog::{region, two_clouds};

    fn candidate(
        offer: u32,
        region: RegionIx,
        planned: bool,
        usd: f64,
        queued_cpu: u64,
    ) -> Candidate {
        let instance = Capacity::new(4000, 16_384, 0);
        Candidate {
            offer: OfferIx(offer),
            region,
            planned,
            usd_per_hour: usd,
            instance,
            total: Capacity::new(8000, 32_768, 0),
            free: Capacity::new(4000, 16_384, 0),
            queued: Capacity::new(queued_cpu, 0, 0),
            running: Capacity::new(4000, 16_384, 0),
        }
    }

    #[test]
    fn each_router_picks_by_its_rule() {
        let catalog = two_clouds();
        let (aws, gcp) = (
            region(&catalog, Cloud::Aws, "us-east-1"),
            region(&catalog, Cloud::Gcp, "us-central1"),
        );
        // A 4-vCPU job of 1 h whose parent left 10 GB on the GCP shard. On AWS (the planned,
        // cheaper shard: $0.40 vs $0.50 for the hour) it costs $0.40 + 10 GB × $0.09 = $1.30
        // with egress; on GCP $0.50. GCP has the longer queue (8 vCPUs against 8 of capacity:
        // still feasible).
        let inputs = [Input { shard: OfferIx(1), region: gcp, bytes: 10_000_000_000 }];
        let job = Request {
            demand: Capacity::new(4000, 8192, 0),
            estimate: SimDuration::from_hours(1),
            inputs: &inputs,
        };
        let candidates = [candidate(0, aws, true, 0.40, 0), candidate(1, gcp, false, 0.50, 8000)];
        let pick = |kind| router(kind, 600).choose(&catalog, &job, &candidates).candidate;
        assert_eq!(pick(RouterKind::Planned), 0);
        assert_eq!(pick(RouterKind::CheapestFeasible), 0);
        assert_eq!(pick(RouterKind::Locality), 1, "egress outweighs the $0.10 saved");
        assert_eq!(pick(RouterKind::LeastLoaded), 0, "load 0.5 against 1.5");
        // An hour is not short: latency-class prices it like cheapest-feasible.
        assert_eq!(pick(RouterKind::LatencyClass), 0);
        // With no input to move, locality is cheapest-feasible.
        let plain = Request { inputs: &[], ..job.clone() };
        let plain_pick = router(RouterKind::Locality, 600).choose(&catalog, &plain, &candidates);
        assert_eq!(plain_pick, Choice { candidate: 0, near: None }, "nothing to be near");
        // Locality runs the job near its GCP input; the other routers ask for no region.
        let near = |kind| router(kind, 600).choose(&catalog, &job, &candidates).near;
        assert_eq!(near(RouterKind::Locality), Some(gcp));
        assert_eq!(near(RouterKind::CheapestFeasible), None);
        // An infeasible shard (queue beyond its capacity, nothing free) is passed over.
        let mut full = candidates.clone();
        full[1].queued = Capacity::new(40_000, 0, 0);
        full[1].free = Capacity::default();
        assert_eq!(router(RouterKind::Locality, 600).choose(&catalog, &job, &full).candidate, 0);
    }

    /// The region a locality-routed job runs near is the one its inputs gather into cheapest,
    /// not the one holding most of them: on the test catalog (AWS list egress on both
    /// providers: $0.01/GB between shards of a region, $0.02 between regions, $0.09 out),
    /// with 3 GB written by the GCP shard in us-central1 and 2 GB each by AWS shard 0's
    /// instances in us-east-1 and in us-west-2 (a fallback region), for shard 0:
    /// - into us-central1: 2 × 0.09 + 2 × 0.09 + 3 × 0.01 = $0.39;
    /// - into us-east-1: 0 + 2 × 0.02 + 3 × 0.09 = $0.31;
    /// - into us-west-2: 2 × 0.02 + 0 + 3 × 0.09 = $0.31, a tie, to the lower region index.
    #[test]
    fn locality_runs_a_job_where_its_inputs_gather_cheapest() {
        let catalog = two_clouds();
        let at = |cloud, name| region(&catalog, cloud, name);
        let (east, west, central) = (
            at(Cloud::Aws, "us-east-1"),
            at(Cloud::Aws, "us-west-2"),
            at(Cloud::Gcp, "us-central1"),
        );
        assert!(east < west, "the tie goes to us-east-1");
        let gb = 1_000_000_000;
        let inputs = [
            Input { shard: OfferIx(2), region: central, bytes: 3 * gb },
            Input { shard: OfferIx(0), region: east, bytes: 2 * gb },
            Input { shard: OfferIx(0), region: west, bytes: 2 * gb },
        ];
        let job = Request {
            demand: Capacity::new(1000, 1024, 0),
            estimate: SimDuration::from_hours(1),
            inputs: &inputs,
        };
        let usd = |r| egress_usd(&catalog, &job, OfferIx(0), r);
        assert!((usd(central) - 0.39).abs() < 1e-9, "{}", usd(central));
        assert!((usd(east) - 0.31).abs() < 1e-9 && (usd(west) - 0.31).abs() < 1e-9);
        assert_eq!(nearest_inputs(&catalog, &job, OfferIx(0)), Some(east));
        assert_eq!(
            nearest_inputs(&catalog, &Request { inputs: &[], ..job.clone() }, OfferIx(0)),
            None
        );
    }
}
