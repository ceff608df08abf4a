//! `shardcast catalog show`: a catalog as a readable table — providers with their billing,
//! products and discounts; counts of regions, types and offers; the cheapest offers per
//! vCPU-hour (CPU types) and per GPU-hour (one line per GPU kind).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use engine::cloud::{Catalog, Cloud, Offer};

/// Which part of a catalog to show.
#[derive(Clone, Debug, Default)]
pub struct ShowFilter {
    /// Only this provider.
    pub cloud: Option<Cloud>,
    /// Only this region (by name).
    pub region: Option<String>,
    /// Rows in the cheapest-per-vCPU table.
    pub top: usize,
}

/// The text `catalog show` prints.
pub fn show(catalog: &Catalog, filter: &ShowFilter) -> String {
    let mut out = String::new();
    let meta = catalog.meta();
    let _ = writeln!(out, "catalog {}: prices dated {}", meta.name, meta.prices_date);
    for source in &meta.sources {
        let _ = writeln!(out, "  source: {source}");
    }
    let wanted_offer = |o: &Offer| {
        filter.cloud.is_none_or(|c| c == o.cloud)
            && filter.region.as_deref().is_none_or(|r| r == o.region)
    };
    for p in catalog.providers() {
        if filter.cloud.is_some_and(|c| c != p.cloud) {
            continue;
        }
        let regions = catalog
            .regions()
            .iter()
            .filter(|r| r.cloud == p.cloud)
            .filter(|r| filter.region.as_deref().is_none_or(|n| n == r.name))
            .collect::<Vec<_>>();
        let located = regions.iter().filter(|r| r.location.is_some()).count();
        let types = catalog.instance_types().iter().filter(|t| t.cloud == p.cloud);
        let (mut n_types, mut n_gpu) = (0, 0);
        for t in types {
            n_types += 1;
            n_gpu += usize::from(t.gpus > 0);
        }
        let offers: Vec<&Offer> =
            catalog.offers().iter().filter(|o| o.cloud == p.cloud && wanted_offer(o)).collect();
        let with_spot = offers.iter().filter(|o| o.spot.is_some()).count();
        let _ = writeln!(out, "\nprovider {}", p.cloud);
        let _ = writeln!(
            out,
            "  billing: per {} s, minimum {} s; boot {} s; spot notice {} s, default band {}",
            p.billing.granularity_s,
            p.billing.minimum_s,
            p.boot_delay_s,
            p.spot.notice_s,
            band_label(p.spot.default_band)
        );
        let _ = writeln!(
            out,
            "  egress USD/GB: same region {}, inter-region {}, internet {}",
            p.egress.same_region_usd_per_gb,
            p.egress.inter_region_usd_per_gb,
            p.egress.internet_usd_per_gb
        );
        for t in &p.products {
            let _ = writeln!(
                out,
                "  product {} ({}): lead {}..{}, min {}, cancellation {:?}{}{}",
                t.kind.as_str(),
                t.name,
                human_s(t.min_lead_s),
                human_s(t.max_lead_s),
                human_s(t.min_duration_s),
                t.cancellation,
                if t.upfront { ", upfront" } else { "" },
                if t.gpu_only { ", GPU types only" } else { "" }
            );
        }
        for d in &p.discounts {
            let _ = writeln!(
                out,
                "  discount {} ({:?}, {} days): {:.1}% off",
                d.name,
                d.kind,
                d.term_days,
                d.fraction_off * 100.0
            );
        }
        let _ = writeln!(
            out,
            "  regions {} ({} with location), instance types {} ({} GPU), offers {} ({} with spot)",
            regions.len(),
            located,
            n_types,
            n_gpu,
            offers.len(),
            with_spot
        );
    }

    let mut cpu: Vec<(f64, &Offer, u32)> = Vec::new();
    let mut gpu: BTreeMap<String, (f64, &Offer, u32)> = BTreeMap::new();
    for ix in catalog.offer_ids() {
        let offer = catalog.offer(ix);
        if !wanted_offer(offer) {
            continue;
        }
        let t = catalog.instance_type(catalog.offer_key(ix).1);
        match &t.gpu_kind {
            Some(kind) if t.gpus > 0 => {
                let per = offer.on_demand_usd_per_hour / f64::from(t.gpus);
                let entry = gpu.entry(kind.clone()).or_insert((per, offer, t.gpus));
                if per < entry.0 {
                    *entry = (per, offer, t.gpus);
                }
            }
            _ => cpu.push((offer.on_demand_usd_per_hour / f64::from(t.vcpus), offer, t.vcpus)),
        }
    }
    cpu.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| key(a.1).cmp(&key(b.1))));
    let top = if filter.top == 0 { 10 } else { filter.top };
    let _ = writeln!(out, "\ncheapest CPU offers, on-demand USD per vCPU-hour (top {top}):");
    let _ = writeln!(
        out,
        "  {:<6} {:<22} {:<26} {:>5} {:>10} {:>10} {:>10}",
        "cloud", "region", "type", "vcpus", "usd/h", "usd/vcpu-h", "spot/vcpu-h"
    );
    for (per, o, vcpus) in cpu.iter().take(top) {
        let spot = o
            .spot
            .map(|s| format!("{:.5}", s.usd_per_hour / f64::from(*vcpus)))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {:<6} {:<22} {:<26} {:>5} {:>10.4} {:>10.5} {:>10}",
            o.cloud.as_str(),
            o.region,
            o.instance_type,
            vcpus,
            o.on_demand_usd_per_hour,
            per,
            spot
        );
    }
    let _ = writeln!(out, "\ncheapest offer per GPU kind, on-demand USD per GPU-hour:");
    let _ = writeln!(
        out,
        "  {:<12} {:<6} {:<22} {:<26} {:>4} {:>10} {:>10}",
        "gpu", "cloud", "region", "type", "gpus", "usd/h", "usd/gpu-h"
    );
    for (kind, (per, o, gpus)) in &gpu {
        let _ = writeln!(
            out,
            "  {:<12} {:<6} {:<22} {:<26} {:>4} {:>10.4} {:>10.4}",
            kind,
            o.cloud.as_str(),
            o.region,
            o.instance_type,
            gpus,
            o.on_demand_usd_per_hour,
            per
        );
    }
    out
}

fn key(o: &Offer) -> (Cloud, &str, &str) {
    (o.cloud, o.region.as_str(), o.instance_type.as_str())
}

fn band_label(band: engine::cloud::InterruptionBand) -> String {
    serde_json::to_value(band)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{band:?}"))
}

fn human_s(s: u64) -> String {
    match s {
        0 => "0".into(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}min", s / 60),
        s => format!("{s}s"),
    }
}
