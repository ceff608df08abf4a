//! The ec2instances.info JSON for AWS (`{"data": [{instance-type, memory, vCPU, GPU, region,
//! ondemand, spot_avg, ...}]}`), with two optional extras: the AWS Spot Advisor feed
//! (interruption bands) and the ec2instances 2017 reserved prices.
//!
//! Rules for the main file (one record per (type, region)):
//! - `ondemand` is a string of USD/h; `"0"` means not listed (p4d, p5 in some regions) and the
//!   record is skipped as `zero on-demand price (not listed)`.
//! - `spot_avg` null or zero means no spot price (counted as a note).
//! - A repeated (type, region) — the file lists `t2.micro` and a few others once per
//!   architecture (i386 and x86_64) with identical prices — is skipped as a duplicate, the
//!   first kept.
//! - The file has GPU counts but no GPU model: the model comes from the family
//!   ([`gpu_kind`]: p2 = K80, p3/p3dn = V100, p4d = A100, p4de = A100-80GB, p5 = H100,
//!   g2 = K520, g3/g3s = M60, g4dn = T4, g4ad = V520, g5 = A10G, g5g = T4G, inf1/inf2 =
//!   Inferentia/Inferentia2, trn1/trn1n = Trainium), as `shared/data/README.md` §4 suggests; a
//!   GPU type of another family is skipped and counted.
//!
//! **Spot Advisor** (`--spot-advisor`, `spot_advisor[region]["Linux"][type] = {s, r}`): `r`
//! (0..4) is the interruption band ([`InterruptionBand::from_advisor_index`]) of the offer's
//! spot price; offers the advisor does not list keep the provider's default band. When the
//! main file has no spot price but the advisor gives savings `s`%, the spot price is taken as
//! `on-demand × (1 − s/100)` (counted). Every case is counted in the notes.
//!
//! **Reserved prices** (`--reserved`, `pricing[region]["linux"].reserved`): the file's prices
//! are from 2017, when on-demand prices were different. What carries over is the discount
//! ratio, so each offer's specific discounted price is today's on-demand price ×
//! (2017 reserved ÷ 2017 on-demand), under the discount name `ri-{1y,3y}-{standard,
//! convertible}-{no,partial,all}-upfront` (the names in `scenarios/catalogs/terms/aws.toml`).
//! Offers of types or regions not in the 2017 file keep the terms' generic `fraction_off`.

use std::collections::BTreeMap;
use std::path::Path;

use engine::cloud::{InstanceType, InterruptionBand, Offer, SpotOffer};
use serde_json::Value;

use super::{Builder, ImportError, Malformed, gib_to_mib, round_usd};

/// AWS's optional extra files, already read: (path, text).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Extras<'a> {
    pub(super) advisor: Option<(&'a Path, &'a str)>,
    pub(super) reserved: Option<(&'a Path, &'a str)>,
}

/// The GPU model of an instance family with GPUs (or ML accelerators), by family prefix.
pub(super) fn gpu_kind(instance_type: &str) -> Option<&'static str> {
    let family = instance_type.split('.').next().unwrap_or("");
    Some(match family {
        "p2" => "K80",
        "p3" | "p3dn" => "V100",
        "p4d" => "A100",
        "p4de" => "A100-80GB",
        "p5" => "H100",
        "g2" => "K520",
        "g3" | "g3s" => "M60",
        "g4dn" => "T4",
        "g4ad" => "V520",
        "g5" => "A10G",
        "g5g" => "T4G",
        "inf1" => "Inferentia",
        "inf2" => "Inferentia2",
        "trn1" | "trn1n" => "Trainium",
        _ => return None,
    })
}

fn parse_json(path: &Path, text: &str) -> Result<Value, ImportError> {
    serde_json::from_str(text).map_err(|e| ImportError::Structure {
        path: path.to_owned(),
        what: format!("not JSON ({e})"),
        expected: "a JSON document".into(),
        hint: "check that the file is complete",
    })
}

struct Record {
    name: String,
    region: String,
    vcpus: u64,
    memory_gib: f64,
    gpus: u64,
    on_demand: f64,
    spot: Option<f64>,
}

fn text_price(v: &Value, field: &str) -> Result<Option<f64>, Malformed> {
    let bad = |found: String| Malformed {
        field: field.to_owned(),
        expected: "a price string such as \"0.17\" (or null)",
        found,
    };
    match v {
        Value::Null => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p >= 0.0)
            .map(Some)
            .ok_or_else(|| bad(s.clone())),
        Value::Number(n) => {
            n.as_f64().filter(|p| *p >= 0.0).map(Some).ok_or_else(|| bad(n.to_string()))
        }
        other => Err(bad(other.to_string())),
    }
}

fn parse_record(v: &Value) -> Result<Record, Malformed> {
    let text = |key: &str| -> Result<String, Malformed> {
        v.get(key).and_then(Value::as_str).map(str::to_owned).filter(|s| !s.is_empty()).ok_or_else(
            || Malformed {
                field: key.to_owned(),
                expected: "a non-empty string",
                found: v.get(key).map_or("nothing".into(), Value::to_string),
            },
        )
    };
    let whole = |key: &str| -> Result<u64, Malformed> {
        v.get(key).and_then(Value::as_u64).ok_or_else(|| Malformed {
            field: key.to_owned(),
            expected: "a whole number of at least 0",
            found: v.get(key).map_or("nothing".into(), Value::to_string),
        })
    };
    let on_demand =
        text_price(v.get("ondemand").unwrap_or(&Value::Null), "ondemand")?.ok_or_else(|| {
            Malformed { field: "ondemand".into(), expected: "a price string", found: "null".into() }
        })?;
    Ok(Record {
        name: text("instance-type")?,
        region: text("region")?,
        vcpus: whole("vCPU")?,
        memory_gib: v.get("memory").and_then(Value::as_f64).filter(|m| *m >= 0.0).ok_or_else(
            || Malformed {
                field: "memory".into(),
                expected: "GiB, a number of at least 0",
                found: v.get("memory").map_or("nothing".into(), Value::to_string),
            },
        )?,
        gpus: whole("GPU")?,
        on_demand,
        spot: text_price(v.get("spot_avg").unwrap_or(&Value::Null), "spot_avg")?,
    })
}

/// Reads the JSON text into `b`, then applies the extras.
pub(super) fn read(
    text: &str,
    b: &mut Builder<'_>,
    extras: &Extras<'_>,
) -> Result<(), ImportError> {
    let doc = parse_json(b.input, text)?;
    let Some(data) = doc.get("data").and_then(Value::as_array) else {
        return Err(ImportError::Structure {
            path: b.input.to_owned(),
            what: "top level".into(),
            expected: "an object with a \"data\" array".into(),
            hint: "is this the ec2instances.info opszero-app/instances.json?",
        });
    };
    for (i, v) in data.iter().enumerate() {
        b.report.rows_read += 1;
        let n = i as u64 + 1;
        let r = match parse_record(v) {
            Ok(r) => r,
            Err(mut m) => {
                m.field = format!("data[{i}].{}", m.field);
                b.malformed(n, m)?;
                continue;
            }
        };
        let kind = gpu_kind(&r.name);
        if r.gpus > 0 && kind.is_none() {
            b.report.skip("GPU type of an unknown family (no GPU model)", n);
            continue;
        }
        if r.vcpus == 0 || r.vcpus > u64::from(u32::MAX) || r.gpus > u64::from(u32::MAX) {
            b.malformed(
                n,
                Malformed {
                    field: format!("data[{i}].vCPU"),
                    expected: "1 or more vCPUs",
                    found: r.vcpus.to_string(),
                },
            )?;
            continue;
        }
        let gpus = r.gpus as u32;
        if let Some(reason) = b.filtered(&r.region, &r.name, gpus) {
            b.report.skip(reason, n);
            continue;
        }
        if r.on_demand <= 0.0 {
            b.report.skip("zero on-demand price (not listed)", n);
            continue;
        }
        let key = (r.region.clone(), r.name.clone());
        if b.offers.contains_key(&key) {
            b.report.skip("duplicate (type, region) record (first kept)", n);
            continue;
        }
        let spot = r.spot.filter(|s| *s > 0.0);
        if spot.is_none() {
            b.report.note("offers without a spot price in the main file", 1);
        }
        b.report.rows_used += 1;
        b.add_type(InstanceType {
            cloud: b.cloud,
            name: r.name.clone(),
            vcpus: r.vcpus as u32,
            memory_mib: gib_to_mib(r.memory_gib),
            gpus,
            gpu_kind: (gpus > 0).then(|| kind.unwrap_or_default().to_owned()),
        });
        b.offers.insert(
            key,
            Offer {
                cloud: b.cloud,
                region: r.region,
                instance_type: r.name,
                on_demand_usd_per_hour: r.on_demand,
                spot: spot.map(|s| SpotOffer { usd_per_hour: s, band: None }),
                discounted_usd_per_hour: BTreeMap::new(),
            },
        );
    }
    b.sources.push(
        "GitHub vantage-sh/ec2instances.info opszero-app/instances.json, commit \
         a19cd859f0591c40bead51230996dcfc8c468071 (2024-04-04; AWS public pricing, Linux \
         on-demand and average spot)"
            .into(),
    );
    b.notes.push(
        "AWS: GPU model from the instance family (the file has none); zero on-demand prices \
         (not listed) skipped"
            .into(),
    );
    if let Some((path, text)) = extras.advisor {
        advisor(b, path, text)?;
    }
    if let Some((path, text)) = extras.reserved {
        reserved(b, path, text)?;
    }
    Ok(())
}

fn advisor(b: &mut Builder<'_>, path: &Path, text: &str) -> Result<(), ImportError> {
    let doc = parse_json(path, text)?;
    let Some(regions) = doc.get("spot_advisor").and_then(Value::as_object) else {
        return Err(ImportError::Structure {
            path: path.to_owned(),
            what: "top level".into(),
            expected: "an object with a \"spot_advisor\" object".into(),
            hint: "is this the AWS Spot Advisor feed (spot-advisor-data.json)?",
        });
    };
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut matched = 0u64;
    let mut entries = 0u64;
    for region in regions.values().filter_map(|r| r.get("Linux")).filter_map(Value::as_object) {
        entries += region.len() as u64;
    }
    for ((region, name), offer) in b.offers.iter_mut() {
        let entry = regions.get(region).and_then(|r| r.get("Linux")).and_then(|l| l.get(name));
        let Some(entry) = entry else {
            *counts.entry("spot advisor: offer not listed (default band)").or_default() += 1;
            continue;
        };
        matched += 1;
        let band =
            entry.get("r").and_then(Value::as_u64).and_then(InterruptionBand::from_advisor_index);
        let savings = entry.get("s").and_then(Value::as_f64).filter(|s| *s > 0.0 && *s < 100.0);
        if offer.spot.is_none()
            && let Some(s) = savings
        {
            offer.spot = Some(SpotOffer {
                usd_per_hour: round_usd(offer.on_demand_usd_per_hour * (1.0 - s / 100.0)),
                band: None,
            });
            *counts
                .entry("spot advisor: spot price from savings % (none in main file)")
                .or_default() += 1;
        }
        match (band, offer.spot.as_mut()) {
            (Some(band), Some(spot)) => {
                spot.band = Some(band);
                *counts.entry("spot advisor: band set").or_default() += 1;
            }
            (None, _) => {
                *counts.entry("spot advisor: entry without a valid r (0..4)").or_default() += 1;
            }
            (Some(_), None) => {
                *counts
                    .entry("spot advisor: band for an offer without spot (unused)")
                    .or_default() += 1;
            }
        }
    }
    for (what, n) in counts {
        b.report.note(what, n);
    }
    b.report.note("spot advisor: Linux entries not matching a kept offer", entries - matched);
    b.sources.push(format!(
        "{} (AWS Spot Instance Advisor feed via GitHub alexei-led/spotinfo \
         internal/spot/data/spot-advisor-data.json, commit \
         5eedf20a99614443af215f4aaf09bd10805cac72, 2025-06-28): interruption bands",
        file_name(path)
    ));
    Ok(())
}

/// `yrTerm1Standard.noUpfront` → `ri-1y-standard-no-upfront`.
fn discount_name(key: &str) -> Option<String> {
    let (term, payment) = key.split_once('.')?;
    let rest = term.strip_prefix("yrTerm")?;
    let (years, class) = rest.split_at(1);
    let class = match class {
        "Standard" => "standard",
        "Convertible" => "convertible",
        _ => return None,
    };
    let payment = match payment {
        "noUpfront" => "no-upfront",
        "partialUpfront" => "partial-upfront",
        "allUpfront" => "all-upfront",
        _ => return None,
    };
    matches!(years, "1" | "3").then(|| format!("ri-{years}y-{class}-{payment}"))
}

fn reserved(b: &mut Builder<'_>, path: &Path, text: &str) -> Result<(), ImportError> {
    let doc = parse_json(path, text)?;
    let Some(types) = doc.as_array() else {
        return Err(ImportError::Structure {
            path: path.to_owned(),
            what: "top level".into(),
            expected: "a JSON array of instance types".into(),
            hint: "is this the ec2instances.info www/instances.json of 2017?",
        });
    };
    // (region, type) -> (2017 on-demand, key -> 2017 reserved)
    let mut table: BTreeMap<(String, String), (f64, BTreeMap<String, f64>)> = BTreeMap::new();
    let mut unreadable = 0u64;
    for t in types {
        let Some(name) = t.get("instance_type").and_then(Value::as_str) else {
            unreadable += 1;
            continue;
        };
        let Some(pricing) = t.get("pricing").and_then(Value::as_object) else {
            unreadable += 1;
            continue;
        };
        for (region, by_os) in pricing {
            let Some(linux) = by_os.get("linux") else { continue };
            let od = linux.get("ondemand").and_then(|v| text_price(v, "ondemand").ok().flatten());
            let Some(od) = od.filter(|p| *p > 0.0) else {
                unreadable += 1;
                continue;
            };
            let mut prices = BTreeMap::new();
            for (key, v) in linux.get("reserved").and_then(Value::as_object).into_iter().flatten() {
                match (discount_name(key), text_price(v, key).ok().flatten()) {
                    (Some(name), Some(p)) => {
                        prices.insert(name, p);
                    }
                    _ => unreadable += 1,
                }
            }
            table.insert((region.clone(), name.to_owned()), (od, prices));
        }
    }
    let (mut priced, mut absent) = (0u64, 0u64);
    for (key, offer) in b.offers.iter_mut() {
        let Some((od_2017, prices)) = table.get(key) else {
            absent += 1;
            continue;
        };
        if prices.is_empty() {
            absent += 1;
            continue;
        }
        priced += 1;
        for (name, p) in prices {
            offer
                .discounted_usd_per_hour
                .insert(name.clone(), round_usd(offer.on_demand_usd_per_hour * p / od_2017));
        }
    }
    b.report.note("reserved: offers given 2017 RI ratios", priced);
    b.report.note("reserved: offers not in the 2017 file (generic fraction_off)", absent);
    b.report.note("reserved: 2017 entries or prices unreadable", unreadable);
    b.sources.push(format!(
        "{} (GitHub vantage-sh/ec2instances.info www/instances.json, commit \
         94e1f006efae8f18a8194d9122ae7daee179fb5e, 2017-11-12): reserved-instance ratios",
        file_name(path)
    ));
    b.notes.push(
        "AWS reserved prices: today's on-demand × (2017 reserved ÷ 2017 on-demand), per type, \
         region and RI option; the 2017 absolute prices are not used"
            .into(),
    );
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use engine::cloud::Cloud;

    use super::super::{Format, ImportOptions, import_text};
    use super::*;

    const MAIN: &str = r#"{"data": [
 {"instance-type": "c6i.xlarge", "arch": "x86_64", "memory": 8.0, "vCPU": 4, "GPU": 0, "GPU_memory": 0, "current-generation": true, "region": "us-east-1", "ondemand": "0.17", "spot_avg": "0.079900"},
 {"instance-type": "c6i.xlarge", "arch": "i386", "memory": 8.0, "vCPU": 4, "GPU": 0, "GPU_memory": 0, "current-generation": true, "region": "us-east-1", "ondemand": "0.17", "spot_avg": "0.079900"},
 {"instance-type": "p4d.24xlarge", "arch": "x86_64", "memory": 1152.0, "vCPU": 96, "GPU": 8, "GPU_memory": 320, "current-generation": true, "region": "us-east-1", "ondemand": "0", "spot_avg": "0.000000"},
 {"instance-type": "g4dn.xlarge", "arch": "x86_64", "memory": 16.0, "vCPU": 4, "GPU": 1, "GPU_memory": 16, "current-generation": true, "region": "us-east-1", "ondemand": "0.526", "spot_avg": null},
 {"instance-type": "m4.xlarge", "arch": "x86_64", "memory": 16.0, "vCPU": 4, "GPU": 0, "GPU_memory": 0, "current-generation": false, "region": "us-east-1", "ondemand": "0.2", "spot_avg": "0.06"},
 {"instance-type": "x9.weird", "memory": 1.0, "vCPU": 4, "GPU": 0, "region": "us-east-1", "ondemand": "cheap", "spot_avg": null}
]}"#;

    const ADVISOR: &str = r#"{"ranges": [], "spot_advisor": {"us-east-1": {"Linux": {
        "c6i.xlarge": {"s": 53, "r": 1}, "g4dn.xlarge": {"s": 60, "r": 4}, "m5.large": {"s": 50, "r": 0}}}}}"#;

    const RESERVED: &str = r#"[{"instance_type": "m4.xlarge", "pricing": {"us-east-1": {"linux": {
        "ondemand": "0.2", "reserved": {"yrTerm1Standard.noUpfront": "0.124", "yrTerm3Standard.allUpfront": "0.075"}}}}}]"#;

    fn run(
        extras: &Extras<'_>,
        strict: bool,
    ) -> Result<(engine::cloud::Catalog, super::super::ImportReport), ImportError> {
        let mut options = ImportOptions::new(Format::AwsEc2instances);
        options.strict = strict;
        import_text(Path::new("ec2_2024-04-04.json"), MAIN, &options, extras)
    }

    #[test]
    fn records_offers_and_counted_skips() {
        let (catalog, report) = run(&Extras::default(), false).expect("imports");
        assert_eq!(report.rows_read, 6);
        assert_eq!(report.rows_used, 3);
        assert_eq!(report.rows_read, report.rows_used + report.rows_skipped());
        assert_eq!(report.skipped["duplicate (type, region) record (first kept)"].first_lines, [2]);
        assert_eq!(report.skipped["zero on-demand price (not listed)"].first_lines, [3]);
        let bad = report.skipped.keys().find(|k| k.contains("data[5].ondemand")).expect("counted");
        assert_eq!(report.skipped[bad].first_lines, [6]);
        let t = catalog.find_type(Cloud::Aws, "g4dn.xlarge").unwrap();
        assert_eq!(catalog.instance_type(t).gpu_kind.as_deref(), Some("T4"));
        assert_eq!(catalog.meta().prices_date, "2024-04-04");
    }

    #[test]
    fn advisor_bands_and_reserved_ratios() {
        let extras = Extras {
            advisor: Some((Path::new("advisor.json"), ADVISOR)),
            reserved: Some((Path::new("reserved.json"), RESERVED)),
        };
        let (catalog, report) = run(&extras, false).expect("imports");
        let r = catalog.find_region(Cloud::Aws, "us-east-1").unwrap();
        let offer = |name: &str| {
            catalog
                .offer(catalog.find_offer(r, catalog.find_type(Cloud::Aws, name).unwrap()).unwrap())
        };
        assert_eq!(offer("c6i.xlarge").spot.unwrap().band, Some(InterruptionBand::From5To10));
        // No spot in the main file: 0.526 × (1 − 0.60) = 0.2104, band r = 4.
        let g4 = offer("g4dn.xlarge").spot.unwrap();
        assert_eq!((g4.usd_per_hour, g4.band), (0.2104, Some(InterruptionBand::Over20)));
        // 2017 ratio 0.124 / 0.2 applied to today's 0.2: 0.124.
        assert_eq!(offer("m4.xlarge").discounted_usd_per_hour["ri-1y-standard-no-upfront"], 0.124);
        assert_eq!(offer("m4.xlarge").discounted_usd_per_hour["ri-3y-standard-all-upfront"], 0.075);
        assert_eq!(report.notes["spot advisor: Linux entries not matching a kept offer"], 1);
        assert_eq!(report.notes["reserved: offers given 2017 RI ratios"], 1);
    }

    #[test]
    fn strict_mode_names_record_and_field() {
        let err = run(&Extras::default(), true).unwrap_err().to_string();
        assert!(
            err.contains("line 6") && err.contains("data[5].ondemand") && err.contains("cheap"),
            "{err}"
        );
    }

    #[test]
    fn names() {
        assert_eq!(
            discount_name("yrTerm3Convertible.partialUpfront").as_deref(),
            Some("ri-3y-convertible-partial-upfront")
        );
        assert_eq!(discount_name("yrTerm2Standard.noUpfront"), None);
        assert_eq!(gpu_kind("p5.48xlarge"), Some("H100"));
        assert_eq!(gpu_kind("c5.large"), None);
    }
}
