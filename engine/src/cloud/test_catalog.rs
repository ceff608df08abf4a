//! A small two-provider catalog for the engine's unit tests: AWS us-east-1 (Virginia) and
//! us-west-2 (Oregon), GCP us-central1 (Iowa), with AWS's list egress prices ($0.01, $0.02
//! and $0.09 per GB) on both providers, and no offers.

use super::{
    Billing, Catalog, CatalogFile, CatalogMeta, Cloud, Egress, GeoPoint, InterruptionBand,
    ProviderTerms, Region, RegionIx, SpotTerms,
};

/// The catalog of the module docs.
pub(crate) fn two_clouds() -> Catalog {
    let terms = |cloud| ProviderTerms {
        cloud,
        billing: Billing { granularity_s: 1, minimum_s: 60 },
        boot_delay_s: 60,
        egress: Egress {
            same_region_usd_per_gb: 0.01,
            inter_region_usd_per_gb: 0.02,
            internet_usd_per_gb: 0.09,
        },
        spot: SpotTerms {
            notice_s: 120,
            default_band: InterruptionBand::From5To10,
            price_volatility: 0.0,
            reprice_interval_s: 3600,
        },
        products: vec![],
        discounts: vec![],
    };
    let region = |cloud, name: &str, lat, lon| Region {
        cloud,
        name: name.into(),
        location: Some(GeoPoint { lat, lon }),
    };
    Catalog::new(CatalogFile {
        meta: CatalogMeta {
            name: "two-clouds".into(),
            prices_date: "2026-12-07".into(),
            ..Default::default()
        },
        providers: vec![terms(Cloud::Aws), terms(Cloud::Gcp)],
        regions: vec![
            region(Cloud::Aws, "us-east-1", 38.9, -77.4),
            region(Cloud::Aws, "us-west-2", 45.6, -121.2),
            region(Cloud::Gcp, "us-central1", 41.3, -95.9),
        ],
        ..CatalogFile::default()
    })
    .expect("valid catalog")
}

/// Region `name` of `cloud` in `catalog`.
pub(crate) fn region(catalog: &Catalog, cloud: Cloud, name: &str) -> RegionIx {
    catalog.find_region(cloud, name).expect("a region of the test catalog")
}
