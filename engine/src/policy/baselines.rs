//! The baseline policies: on-demand autoscaling (optionally on the cheapest single cloud) and a
//! static reservation at the historical mean.
//!
//! Both pick, per job class, the offers to use by price: CPU classes by on-demand price per
//! vCPU-hour, GPU classes by price per GPU-hour among types of the right GPU model that hold
//! the class's largest job (CPU jobs larger than any type run on several whole instances).
//! Ties go to the earlier offer in catalog order. The best offer makes the shard; the next
//! [`FALLBACKS`] are the broker's fallbacks, in order.
//!
//! The elastic autoscaler (`scale_shards`, shared with the predictive policy's bursts) buys a
//! fallback only when a waiting job could use it (it fits one instance, or enough of them for
//! the job to span), and lets idle instances go after `idle_timeout_s` when no waiting job
//! could: a shard whose multi-node head waits for whole nodes of its type would otherwise buy,
//! and keep, smaller instances that cannot help it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    JobClass, Plan, PlanContext, Policy, Route, Scale, ScaleContext, ScaleOut, ShardPlan, ShardView,
};
use crate::broker::ReserveCandidate;
use crate::cloud::{Catalog, Cloud, LaunchOption, OfferIx, ProductKind};
use crate::ids::QueueId;
use crate::job::Job;
use crate::shard::Capacity;
use crate::time::{SimDuration, SimTime};

/// Offers tried after the best one when the best is refused.
pub const FALLBACKS: usize = 3;

/// The instance capacity of `offer`.
pub fn offer_capacity(catalog: &Catalog, offer: OfferIx) -> Capacity {
    let t = catalog.instance_type(catalog.offer_key(offer).1);
    Capacity::for_instance(u64::from(t.vcpus), t.memory_mib, u64::from(t.gpus))
        .unwrap_or(Capacity { cpu_milli: 0, memory_mib: 0, gpu_milli: 0 })
}

/// Whether one instance of `offer` runs a job of `class` asking for `demand`: the rule by
/// which routers and the rebalancer move a job off the shard its plan sized for it (a
/// multi-node job stays there).
pub fn runs_on_one_instance(
    catalog: &Catalog,
    offer: OfferIx,
    class: &JobClass,
    demand: Capacity,
) -> bool {
    demand.fits_in(&offer_capacity(catalog, offer))
        && !ranked_offers(catalog, &[offer], class, demand).is_empty()
}

fn gpu_matches(kind: &Option<String>, wanted: &Option<crate::job::GpuKind>) -> bool {
    match (kind, wanted) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(k), Some(w)) => crate::job::GpuKind(k.clone()).serves(w),
    }
}

/// The offers that can serve `class` (whose largest job is `largest`), cheapest per unit
/// first: per vCPU for CPU classes, per GPU for GPU classes.
pub fn ranked_offers(
    catalog: &Catalog,
    offers: &[OfferIx],
    class: &JobClass,
    largest: Capacity,
) -> Vec<OfferIx> {
    let mut scored: Vec<(f64, usize, OfferIx)> = offers
        .iter()
        .enumerate()
        .filter_map(|(pos, &o)| {
            let t = catalog.instance_type(catalog.offer_key(o).1);
            let price = catalog.offer(o).on_demand_usd_per_hour;
            let cap = offer_capacity(catalog, o);
            match class {
                JobClass::Cpu => {
                    // CPU types only; a job larger than the type spans whole instances, so
                    // only memory per vCPU must be enough.
                    let fits = t.gpus == 0
                        && (largest.cpu_milli <= cap.cpu_milli
                            && largest.memory_mib <= cap.memory_mib
                            || largest.cpu_milli > cap.cpu_milli
                                && largest.memory_mib.saturating_mul(cap.cpu_milli)
                                    <= cap.memory_mib.saturating_mul(largest.cpu_milli.max(1)));
                    fits.then(|| (price / f64::from(t.vcpus), pos, o))
                }
                JobClass::Gpu(kind) => {
                    let fits = gpu_matches(&t.gpu_kind, kind)
                        && largest.gpu_milli <= cap.gpu_milli
                        && largest.cpu_milli <= cap.cpu_milli
                        && largest.memory_mib <= cap.memory_mib;
                    fits.then(|| (price / f64::from(t.gpus.max(1)), pos, o))
                }
            }
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, o)| o).collect()
}

/// The on-demand baseline's knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnDemandConfig {
    /// vCPUs kept running even when idle, per shard.
    #[serde(default)]
    pub min_vcpus: u64,
    /// vCPUs never exceeded, per shard.
    #[serde(default = "default_max_vcpus")]
    pub max_vcpus: u64,
    /// An instance idle this long is let go (seconds).
    #[serde(default = "default_idle_s")]
    pub idle_timeout_s: u64,
    /// Launch spot instead of on-demand.
    #[serde(default)]
    pub spot: bool,
    /// Use only the cheapest provider (the "cheapest single cloud" baseline).
    #[serde(default)]
    pub single_cloud: bool,
    /// Plan a shard on every enabled provider for each class (its best offer there), not
    /// only on the best one: the plan still routes each class to its best shard, and a
    /// router (`[policy.routing]`) may send jobs to the others, which scale like any shard.
    #[serde(default)]
    pub spread: bool,
}

fn default_max_vcpus() -> u64 {
    100_000
}

fn default_idle_s() -> u64 {
    300
}

impl Default for OnDemandConfig {
    fn default() -> Self {
        OnDemandConfig {
            min_vcpus: 0,
            max_vcpus: default_max_vcpus(),
            idle_timeout_s: default_idle_s(),
            spot: false,
            single_cloud: false,
            spread: false,
        }
    }
}

/// Instances to add to `shard` so that its waiting jobs fit, given what is free, booting and
/// being launched, never above `max_vcpus`: the larger, over CPU, memory and GPU, of
/// `ceil((Σ queued − free − booting) / instance)`, and at least the whole nodes the queue's
/// head needs beyond the idle or booting instances of one type.
fn instances_needed(shard: &ShardView, max_vcpus: u64) -> u32 {
    let inst = shard.instance;
    if shard.queued.is_empty() || inst.cpu_milli == 0 {
        return 0;
    }
    let booting =
        shard.instances.iter().filter(|i| i.booting).count() as u64 + u64::from(shard.launching);
    let sum = shard.queued.iter().fold([0u64; 3], |acc, d| {
        [acc[0] + d.cpu_milli, acc[1] + d.memory_mib, acc[2] + d.gpu_milli]
    });
    let have = [shard.free.cpu_milli, shard.free.memory_mib, shard.free.gpu_milli];
    let unit = [inst.cpu_milli, inst.memory_mib, inst.gpu_milli];
    let mut need = 0u64;
    for k in 0..3 {
        if unit[k] == 0 {
            continue;
        }
        let short = sum[k].saturating_sub(have[k]).saturating_sub(booting * unit[k]);
        need = need.max(short.div_ceil(unit[k]));
    }
    // The queue's head may not fit the free capacity however much there is in aggregate: a
    // multi-node job needs whole nodes of one type, and free capacity may be scattered over
    // partly busy nodes or over fallback instances of other types. It gets the whole nodes it
    // needs beyond the idle or booting instances of the best-stocked type.
    if let Some(head) = shard.queued.first() {
        let demand = [head.cpu_milli, head.memory_mib, head.gpu_milli];
        let nodes = (0..3)
            .filter(|k| unit[*k] > 0)
            .map(|k| demand[k].div_ceil(unit[k]))
            .max()
            .unwrap_or(0)
            .max(1);
        let mut usable: BTreeMap<OfferIx, u64> = BTreeMap::new();
        for i in &shard.instances {
            if i.booting || i.idle_since.is_some() {
                *usable.entry(i.offer).or_default() += 1;
            }
        }
        *usable.entry(shard.offer).or_default() += u64::from(shard.launching);
        let best = usable.values().copied().max().unwrap_or(0);
        need = need.max(nodes.saturating_sub(best));
    }
    let current = shard.instances.len() as u64 + u64::from(shard.launching);
    let cap = (max_vcpus * 1000 / inst.cpu_milli).saturating_sub(current);
    need.min(cap).min(u64::from(u32::MAX)) as u32
}

/// Which instances a shard's waiting jobs could run on: an instance of capacity `c` is of use
/// when a waiting job fits one, or the shard holds (or is adding) enough instances of `c` for
/// the job to span them.
struct QueueUse<'a> {
    queued: &'a [Capacity],
    /// The shard's instances (ready and booting) by capacity.
    of_capacity: BTreeMap<(u64, u64, u64), u64>,
}

impl<'a> QueueUse<'a> {
    fn new(catalog: &Catalog, shard: &'a ShardView) -> QueueUse<'a> {
        let mut of_capacity = BTreeMap::new();
        for i in &shard.instances {
            *of_capacity.entry(capacity_key(offer_capacity(catalog, i.offer))).or_default() += 1;
        }
        QueueUse { queued: &shard.queued, of_capacity }
    }

    /// Whether a waiting job could use an instance of capacity `c`, with `adding` more of it.
    fn of_use(&self, c: Capacity, adding: u64) -> bool {
        let count = self.of_capacity.get(&capacity_key(c)).copied().unwrap_or(0) + adding;
        self.queued
            .iter()
            .any(|q| q.fits_in(&c) || q.nodes_needed_on(&c).is_some_and(|k| k <= count))
    }
}

fn capacity_key(c: Capacity) -> (u64, u64, u64) {
    (c.cpu_milli, c.memory_mib, c.gpu_milli)
}

/// Idle on-demand or spot instances past the timeout, keeping `min_vcpus`. While jobs wait,
/// only those none of them could use go ([`QueueUse`]), even with the `adding` instances this
/// tick launches (the rule the launch's fallbacks pass, so what is let go is not bought back
/// at once): a shard whose head waits for whole nodes of one type would otherwise keep smaller
/// fallback instances idle, and billed, for as long as it waits.
fn idle_to_release(
    now: SimTime,
    shard: &ShardView,
    usage: &QueueUse<'_>,
    adding: u64,
    catalog: &Catalog,
    config: &OnDemandConfig,
) -> Vec<crate::ids::InstanceId> {
    if shard.instance.cpu_milli == 0 {
        return vec![];
    }
    let timeout = SimDuration::from_secs(config.idle_timeout_s);
    let keep_n = (config.min_vcpus * 1000).div_ceil(shard.instance.cpu_milli);
    let elastic: Vec<_> =
        shard.instances.iter().filter(|i| !matches!(i.option, LaunchOption::Reserved(_))).collect();
    let mut removable = elastic.len() as u64;
    let mut out = vec![];
    for i in &elastic {
        if removable <= keep_n {
            break;
        }
        if let Some(since) = i.idle_since
            && now.saturating_since(since) >= timeout
            && !usage.of_use(offer_capacity(catalog, i.offer), adding)
        {
            out.push(i.id);
            removable -= 1;
        }
    }
    out
}

/// The autoscaler shared by the elastic baselines: per shard, [`instances_needed`] of its offer,
/// with its fallbacks that the waiting jobs could use ([`QueueUse`]) as the broker's fallbacks,
/// and [`idle_to_release`].
pub(super) fn scale_shards(
    now: SimTime,
    ctx: &ScaleContext<'_>,
    config: &OnDemandConfig,
    fallbacks: &BTreeMap<usize, Vec<OfferIx>>,
) -> Scale {
    let option = if config.spot { LaunchOption::Spot } else { LaunchOption::OnDemand };
    let mut scale = Scale::default();
    for shard in ctx.shards {
        let usage = QueueUse::new(ctx.catalog, shard);
        let n = instances_needed(shard, config.max_vcpus);
        let adding = u64::from(n);
        if n > 0 {
            let mut candidates = vec![(shard.offer, option)];
            for o in fallbacks.get(&shard.index).into_iter().flatten() {
                if *o != shard.offer && usage.of_use(offer_capacity(ctx.catalog, *o), adding) {
                    candidates.push((*o, option));
                }
            }
            scale.launch.push(ScaleOut { shard: shard.index, candidates, count: n });
        }
        scale.terminate.extend(idle_to_release(now, shard, &usage, adding, ctx.catalog, config));
    }
    scale
}

/// The on-demand baseline (see the module docs of [`super`]).
#[derive(Clone, Debug, Default)]
pub struct OnDemand {
    /// Knobs.
    pub config: OnDemandConfig,
    fallbacks: BTreeMap<usize, Vec<OfferIx>>,
    /// With `single_cloud`: the provider chosen at the first plan that saw any job class,
    /// kept for the whole run (a single-cloud deployment does not migrate between windows).
    cloud: Option<Cloud>,
}

impl OnDemand {
    /// The baseline with `config`.
    pub fn new(config: OnDemandConfig) -> OnDemand {
        OnDemand { config, fallbacks: BTreeMap::new(), cloud: None }
    }
}

/// The cloud whose cheapest offers serve the most classes, then cost least over the classes'
/// historical demand; ties to the earlier cloud in [`Cloud::ALL`].
fn cheapest_cloud(ctx: &PlanContext<'_>, weights: &BTreeMap<JobClass, f64>) -> Option<Cloud> {
    let mut best: Option<(usize, f64, Cloud)> = None;
    for cloud in Cloud::ALL {
        let offers: Vec<OfferIx> =
            ctx.offers.iter().copied().filter(|o| ctx.catalog.offer(*o).cloud == cloud).collect();
        if offers.is_empty() {
            continue;
        }
        let (mut served, mut cost) = (0usize, 0.0);
        for (class, largest) in ctx.classes {
            if let Some(o) = ranked_offers(ctx.catalog, &offers, class, *largest).first() {
                served += 1;
                let t = ctx.catalog.instance_type(ctx.catalog.offer_key(*o).1);
                let units = match class {
                    JobClass::Cpu => f64::from(t.vcpus),
                    JobClass::Gpu(_) => f64::from(t.gpus.max(1)),
                };
                cost += ctx.catalog.offer(*o).on_demand_usd_per_hour / units
                    * weights.get(class).copied().unwrap_or(1.0);
            }
        }
        let better = match best {
            None => true,
            Some((s, c, _)) => served > s || served == s && cost < c,
        };
        if better {
            best = Some((served, cost, cloud));
        }
    }
    best.map(|(_, _, c)| c)
}

/// Mean busy units (vCPUs for CPU classes, GPUs for GPU classes) of each class over the
/// history: Σ units × runtime ÷ the history's span (first submit to `now`).
pub fn historical_mean_units(ctx: &PlanContext<'_>, now: SimTime) -> BTreeMap<JobClass, f64> {
    mean_units_by(ctx, now, JobClass::of)
}

/// [`historical_mean_units`] per key of each job.
fn mean_units_by<K: Ord>(
    ctx: &PlanContext<'_>,
    now: SimTime,
    key: impl Fn(&Job) -> K,
) -> BTreeMap<K, f64> {
    let mut out: BTreeMap<K, f64> = BTreeMap::new();
    let Some(first) = ctx.history.iter().map(|j| j.submit).min() else { return out };
    let span_h = now.saturating_since(first).as_secs_f64() / 3600.0;
    if span_h <= 0.0 {
        return out;
    }
    for job in ctx.history {
        let units = match JobClass::of(job) {
            JobClass::Cpu => job.resources.vcpus(),
            JobClass::Gpu(_) => job.resources.gpus(),
        };
        *out.entry(key(job)).or_default() += units * job.runtime.as_secs_f64() / 3600.0 / span_h;
    }
    out
}

/// Shards and routes for every class: the best offer of each (among `offers`) makes a shard;
/// with `spread`, so does the best offer of every other provider, unrouted.
fn plan_shards(
    ctx: &PlanContext<'_>,
    offers: &[OfferIx],
    spread: bool,
) -> (Plan, BTreeMap<usize, Vec<OfferIx>>) {
    let mut plan = Plan::default();
    let mut fallbacks = BTreeMap::new();
    let mut shard_of_offer: BTreeMap<OfferIx, usize> = BTreeMap::new();
    // A routed shard takes the fallbacks of the last class routed to it; a spread one those
    // of the first class that made it.
    let mut add = |plan: &mut Plan, ranked: &[OfferIx], routed: bool| {
        let best = ranked[0];
        let index = *shard_of_offer.entry(best).or_insert_with(|| {
            plan.shards.push(ShardPlan { offer: best, reserve: None });
            plan.shards.len() - 1
        });
        let list: Vec<OfferIx> = ranked.iter().take(1 + FALLBACKS).copied().collect();
        if routed {
            fallbacks.insert(index, list);
        } else {
            fallbacks.entry(index).or_insert(list);
        }
        index
    };
    for (class, largest) in ctx.classes {
        let ranked = ranked_offers(ctx.catalog, offers, class, *largest);
        if ranked.is_empty() {
            continue;
        }
        let index = add(&mut plan, &ranked, true);
        plan.routes.push(Route { queue: None, class: class.clone(), up_to: None, shard: index });
        if !spread {
            continue;
        }
        let routed = ctx.catalog.offer(ranked[0]).cloud;
        for cloud in Cloud::ALL.into_iter().filter(|c| *c != routed) {
            let theirs: Vec<OfferIx> =
                ranked.iter().copied().filter(|o| ctx.catalog.offer(*o).cloud == cloud).collect();
            if !theirs.is_empty() {
                add(&mut plan, &theirs, false);
            }
        }
    }
    (plan, fallbacks)
}

impl Policy for OnDemand {
    fn name(&self) -> &'static str {
        if self.config.single_cloud { "cheapest_single_cloud" } else { "on_demand" }
    }

    fn plan(&mut self, now: SimTime, ctx: &PlanContext<'_>) -> Plan {
        let offers: Vec<OfferIx> = if self.config.single_cloud {
            if self.cloud.is_none() && !ctx.classes.is_empty() {
                self.cloud = cheapest_cloud(ctx, &historical_mean_units(ctx, now));
            }
            let chosen =
                self.cloud.or_else(|| cheapest_cloud(ctx, &historical_mean_units(ctx, now)));
            match chosen {
                Some(c) => ctx
                    .offers
                    .iter()
                    .copied()
                    .filter(|o| ctx.catalog.offer(*o).cloud == c)
                    .collect(),
                None => vec![],
            }
        } else {
            ctx.offers.to_vec()
        };
        let (plan, fallbacks) = plan_shards(ctx, &offers, self.config.spread);
        self.fallbacks = fallbacks;
        plan
    }

    fn scale(&mut self, now: SimTime, ctx: &ScaleContext<'_>) -> Scale {
        scale_shards(now, ctx, &self.config, &self.fallbacks)
    }
}

/// The static reservation baseline's knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticReservationConfig {
    /// The product reserved.
    #[serde(default = "default_product")]
    pub product: ProductKind,
    /// Add on-demand capacity above the reservation while jobs wait (autoscaled as
    /// [`OnDemand`] with these knobs); `None` means jobs wait for reserved capacity.
    #[serde(default)]
    pub overflow: Option<OnDemandConfig>,
    /// Partition by queue: every queue seen in the history gets a shard of its own, sized by
    /// its own historical mean, as an HPC centre's partitions are (a queue's surge never
    /// delays another queue's jobs, and capacity one queue leaves idle is stranded). The
    /// class's queues take its offers best first, largest queue first; with more queues than
    /// offers they share them round the list.
    #[serde(default)]
    pub by_queue: bool,
}

fn default_product() -> ProductKind {
    ProductKind::CapacityReservation
}

impl Default for StaticReservationConfig {
    fn default() -> Self {
        StaticReservationConfig { product: default_product(), overflow: None, by_queue: false }
    }
}

/// The static reservation baseline (see the module docs of [`super`]).
#[derive(Clone, Debug, Default)]
pub struct StaticReservation {
    /// Knobs.
    pub config: StaticReservationConfig,
    fallbacks: BTreeMap<usize, Vec<OfferIx>>,
}

impl StaticReservation {
    /// The baseline with `config`.
    pub fn new(config: StaticReservationConfig) -> StaticReservation {
        StaticReservation { config, fallbacks: BTreeMap::new() }
    }
}

impl StaticReservation {
    /// The plan of `by_queue`: a shard per queue of each class (see
    /// [`StaticReservationConfig::by_queue`]); a queue without history takes the class's best
    /// offer.
    fn plan_by_queue(&mut self, now: SimTime, ctx: &PlanContext<'_>) -> Plan {
        let mut plan = Plan::default();
        self.fallbacks = BTreeMap::new();
        let means = mean_units_by(ctx, now, |job| (JobClass::of(job), job.queue));
        let mut shard_of: BTreeMap<OfferIx, usize> = BTreeMap::new();
        for (class, largest) in ctx.classes {
            let ranked = ranked_offers(ctx.catalog, ctx.offers, class, *largest);
            let Some(&best) = ranked.first() else { continue };
            let mut queues: Vec<(QueueId, f64)> =
                means.iter().filter(|((c, _), _)| c == class).map(|((_, q), m)| (*q, *m)).collect();
            queues.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut shard = |plan: &mut Plan, offer: OfferIx| {
                *shard_of.entry(offer).or_insert_with(|| {
                    plan.shards.push(ShardPlan { offer, reserve: None });
                    plan.shards.len() - 1
                })
            };
            for (k, (queue, mean)) in queues.into_iter().enumerate() {
                let offer = ranked[k % ranked.len()];
                let index = shard(&mut plan, offer);
                plan.routes.push(Route {
                    queue: Some(queue),
                    class: class.clone(),
                    up_to: None,
                    shard: index,
                });
                // Its own offer first, then the class's others, as the broker's fallbacks.
                let list: Vec<OfferIx> = std::iter::once(offer)
                    .chain(ranked.iter().copied().filter(|o| *o != offer))
                    .take(1 + FALLBACKS)
                    .collect();
                let t = ctx.catalog.instance_type(ctx.catalog.offer_key(offer).1);
                let per_instance = match class {
                    JobClass::Cpu => f64::from(t.vcpus),
                    JobClass::Gpu(_) => f64::from(t.gpus.max(1)),
                };
                let count = (mean / per_instance).ceil() as u32;
                if count > 0 {
                    let candidates = list
                        .iter()
                        .map(|&offer| ReserveCandidate { offer, product: self.config.product })
                        .collect();
                    let s = &mut plan.shards[index];
                    let before = s.reserve.as_ref().map_or(0, |(_, n)| *n);
                    s.reserve = Some((candidates, before + count));
                }
                self.fallbacks.entry(index).or_insert(list);
            }
            // Queues the history has not seen.
            let index = shard(&mut plan, best);
            plan.routes.push(Route {
                queue: None,
                class: class.clone(),
                up_to: None,
                shard: index,
            });
            self.fallbacks
                .entry(index)
                .or_insert_with(|| ranked.iter().take(1 + FALLBACKS).copied().collect());
        }
        plan
    }
}

impl Policy for StaticReservation {
    fn name(&self) -> &'static str {
        "static_reservation"
    }

    fn plan(&mut self, now: SimTime, ctx: &PlanContext<'_>) -> Plan {
        if self.config.by_queue {
            return self.plan_by_queue(now, ctx);
        }
        let (mut plan, fallbacks) = plan_shards(ctx, ctx.offers, false);
        let means = historical_mean_units(ctx, now);
        for route in &plan.routes {
            let mean = means.get(&route.class).copied().unwrap_or(0.0);
            let shard = &mut plan.shards[route.shard];
            let t = ctx.catalog.instance_type(ctx.catalog.offer_key(shard.offer).1);
            let per_instance = match route.class {
                JobClass::Cpu => f64::from(t.vcpus),
                JobClass::Gpu(_) => f64::from(t.gpus.max(1)),
            };
            let count = (mean / per_instance).ceil() as u32;
            if count == 0 {
                continue;
            }
            let candidates: Vec<ReserveCandidate> = fallbacks
                .get(&route.shard)
                .into_iter()
                .flatten()
                .map(|&offer| ReserveCandidate { offer, product: self.config.product })
                .collect();
            // Two classes on one shard add up.
            let before = shard.reserve.as_ref().map_or(0, |(_, n)| *n);
            shard.reserve = Some((candidates, before + count));
        }
        self.fallbacks = fallbacks;
        plan
    }

    fn scale(&mut self, now: SimTime, ctx: &ScaleContext<'_>) -> Scale {
        match &self.config.overflow {
            Some(config) => scale_shards(now, ctx, config, &self.fallbacks),
            None => Scale::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::test_catalog::two_sizes;
    use crate::ids::InstanceId;
    use crate::policy::InstanceView;

    const BIG: OfferIx = OfferIx(0);
    const SMALL: OfferIx = OfferIx(1);
    const BIG_WEST: OfferIx = OfferIx(2);

    fn instance(id: u64, offer: OfferIx, idle_since: Option<u64>) -> InstanceView {
        InstanceView {
            id: InstanceId(id),
            offer,
            option: LaunchOption::OnDemand,
            booting: false,
            idle_since: idle_since.map(SimTime::from_secs),
        }
    }

    /// A shard of 16-vCPU instances (offer 0) holding two busy ones and three idle 4-vCPU
    /// fallbacks (offer 1), idle since 0 s; fallbacks offer 1 and offer 2 (16 vCPU in another
    /// region). At 1000 s, past the 600 s idle timeout, a 48-vCPU job waits at the head: it
    /// needs k = 3 whole 16-vCPU nodes, or 12 of the 4-vCPU ones.
    /// - Instances needed: 48 − 12 free = 36 vCPUs, 3 more 16-vCPU instances (the head rule
    ///   asks 3 − 3 idle small = 0 more).
    /// - Offer 1 is no fallback for them: 3 + 3 small instances are fewer than 12. Offer 2 is:
    ///   2 + 3 big ones hold the head.
    /// - The idle small instances are let go: no waiting job can use them.
    ///
    /// With a 2-vCPU job waiting too, the small instances serve it: kept, and a fallback.
    #[test]
    fn fallbacks_no_waiting_job_could_use_are_not_bought_and_are_let_go() {
        let catalog = two_sizes();
        let mut shard = ShardView {
            index: 0,
            offer: BIG,
            instance: offer_capacity(&catalog, BIG),
            queued: vec![Capacity::new(48_000, 1024, 0)],
            free: Capacity::new(12_000, 3 * 16_384, 0),
            instances: vec![
                instance(1, BIG, None),
                instance(2, BIG, None),
                instance(3, SMALL, Some(0)),
                instance(4, SMALL, Some(0)),
                instance(5, SMALL, Some(0)),
            ],
            launching: 0,
        };
        let config = OnDemandConfig { idle_timeout_s: 600, ..OnDemandConfig::default() };
        let fallbacks = BTreeMap::from([(0, vec![BIG, SMALL, BIG_WEST])]);
        let scale = |shard: &ShardView| {
            let shards = [shard.clone()];
            let ctx = ScaleContext { catalog: &catalog, shards: &shards };
            scale_shards(SimTime::from_secs(1000), &ctx, &config, &fallbacks)
        };
        let od = LaunchOption::OnDemand;
        let s = scale(&shard);
        assert_eq!(
            s.launch,
            vec![ScaleOut { shard: 0, candidates: vec![(BIG, od), (BIG_WEST, od)], count: 3 }]
        );
        assert_eq!(s.terminate, vec![InstanceId(3), InstanceId(4), InstanceId(5)]);

        shard.queued.push(Capacity::new(2000, 1024, 0));
        let s = scale(&shard);
        assert_eq!(s.launch[0].candidates, vec![(BIG, od), (SMALL, od), (BIG_WEST, od)]);
        assert!(s.terminate.is_empty(), "{:?}", s.terminate);
    }
}
