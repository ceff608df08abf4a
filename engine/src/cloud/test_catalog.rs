//! A small two-provider catalog for the engine's unit tests: AWS us-east-1 (Virginia) and
//! us-west-2 (Oregon), GCP us-central1 (Iowa), with AWS's list egress prices ($0.01, $0.02
//! and $0.09 per GB) on both providers; one 4-vCPU, 16 GiB type per provider, sold in every
//! region: offers 0 (us-east-1, $0.20/h), 1 (us-west-2, $0.20/h) and 2 (us-central1, $0.19/h).
//! [`two_sizes`] is its AWS side with a 16-vCPU type too, for rules that depend on node size.

use super::{
    Billing, Catalog, CatalogFile, CatalogMeta, Cloud, Egress, GeoPoint, InstanceType,
    InterruptionBand, Offer, ProviderTerms, Region, RegionIx, SpotTerms,
};

/// The catalog of the module docs.
pub(crate) fn two_clouds() -> Catalog {
    Catalog::new(two_clouds_file()).expect("valid catalog")
}

/// AWS only, in two sizes: offers 0 (us-east-1 m5.4xlarge, 16 vCPU, 64 GiB, $0.768/h), 1
/// (us-east-1 m5.xlarge, 4 vCPU, 16 GiB, $0.192/h) and 2 (us-west-2 m5.4xlarge, $0.768/h).
pub(crate) fn two_sizes() -> Catalog {
    let mut file = two_clouds_file();
    let mut big = file.instance_types[0].clone();
    big.name = "m5.4xlarge".into();
    big.vcpus = 16;
    big.memory_mib = 65_536;
    file.instance_types.push(big);
    let offer = |region: &str, instance_type: &str, usd| Offer {
        cloud: Cloud::Aws,
        region: region.into(),
        instance_type: instance_type.into(),
        on_demand_usd_per_hour: usd,
        spot: None,
        discounted_usd_per_hour: Default::default(),
    };
    file.offers = vec![
        offer("us-east-1", "m5.4xlarge", 0.768),
        offer("us-east-1", "m5.xlarge", 0.192),
        offer("us-west-2", "m5.4xlarge", 0.768),
    ];
    Catalog::new(file).expect("valid catalog")
}

fn two_clouds_file() -> CatalogFile {
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
    CatalogFile {
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
        instance_types: [(Cloud::Aws, "m5.xlarge"), (Cloud::Gcp, "n2-standard-4")]
            .into_iter()
            .map(|(cloud, name)| InstanceType {
                cloud,
                name: name.into(),
                vcpus: 4,
                memory_mib: 16_384,
                gpus: 0,
                gpu_kind: None,
            })
            .collect(),
        offers: [
            (Cloud::Aws, "us-east-1", "m5.xlarge", 0.20),
            (Cloud::Aws, "us-west-2", "m5.xlarge", 0.20),
            (Cloud::Gcp, "us-central1", "n2-standard-4", 0.19),
        ]
        .into_iter()
        .map(|(cloud, region, instance_type, usd)| Offer {
            cloud,
            region: region.into(),
            instance_type: instance_type.into(),
            on_demand_usd_per_hour: usd,
            spot: None,
            discounted_usd_per_hour: Default::default(),
        })
        .collect(),
    }
}

/// Region `name` of `cloud` in `catalog`.
pub(crate) fn region(catalog: &Catalog, cloud: Cloud, name: &str) -> RegionIx {
    catalog.find_region(cloud, name).expect("a region of the test catalog")
}
