//! SkyPilot's GCP `vms.csv` (catalog schema v7): per-zone rows to per-region offers, with GPU
//! machine types priced as host plus built-in accelerators.
//!
//! Columns: `InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,
//! AvailabilityZone,Price,SpotPrice`.
//!
//! **Zones to regions.** The file has one row per zone. An offer is per region: its on-demand
//! price is the cheapest zone's on-demand price, and its spot price the cheapest zone's spot
//! price (zones without spot ignored). In this file zones of one region almost always agree;
//! the rows folded are counted (`zone rows folded into a region offer`).
//!
//! **Accelerator rows.** Rows with an empty `InstanceType` price accelerators by
//! (name, count, zone), e.g. `,,,A100,8,…,us-central1,us-central1-a,23.47126,11.4728`. For the
//! accelerator-optimised families (A2, A3, A4) and G2 the GPUs are built in, yet the VM row's
//! `Price` is the host (vCPU and memory) only: SkyPilot's GCP catalog keeps the GPU price in the
//! accelerator row, and its cost of a GPU VM is the instance-type cost plus the accelerator
//! cost. Checked on this file: `a2-highgpu-1g` in us-central1 is 0.73948 (host) + 2.93391
//! (`A100`×1) = 3.67339 USD/h, Google's list price for a2-highgpu-1g (3.673385), and
//! `g2-standard-4` is 0.14679 + 0.56004 (`L4`×1) = 0.70683, Google's g2-standard-4 price
//! (`shared/data/README.md` §4 states the same convention). So a GPU type's offer in a zone is
//! host row + the accelerator row of the same zone with the type's GPU model and count, for
//! on-demand and for spot (spot only when both rows have one). The type → (accelerator, count)
//! map is [`builtin_gpus`] (GCP's machine-type docs: a2-highgpu-Ng = N×A100 40 GB,
//! a2-megagpu-16g = 16×A100, a2-ultragpu-Ng = N×A100 80 GB, a3-highgpu-Ng = N×H100,
//! a3-megagpu-8g = 8×H100 (priced as SkyPilot's `H100-MEGA`), a3-ultragpu-8g = 8×H200,
//! a4-highgpu-8g = 8×B200, g2-standard-{4,8,12,16,32} = 1×L4, -24 = 2, -48 = 4, -96 = 8). A GPU
//! host type not in the map is skipped and counted.
//!
//! **Attachable GPUs** (T4, V100, P100, P4, K80 on N1 hosts) are not combined: any N1 shape
//! takes several counts of several models, so combining would invent hundreds of types the
//! provider does not list as such, with no way to say which a user would pick. Their
//! accelerator rows are skipped as `attachable GPU for N1 hosts (not combined)`. TPU rows
//! (`tpu-*`) are not VM types and are skipped as such. Accelerator rows used by a kept GPU type
//! count as used; the rest are skipped with a reason.
//!
//! Shared-core types with fractional vCPUs (e2-micro, f1-micro, g1-small) cannot be a whole-vCPU
//! [`InstanceType`] and are skipped and counted.

use std::collections::BTreeMap;

use engine::cloud::{InstanceType, Offer, SpotOffer};

use super::{Builder, ImportError, Malformed, gib_to_mib, number, price, round_usd};

const COLUMNS: [&str; 10] = [
    "InstanceType",
    "vCPUs",
    "MemoryGiB",
    "AcceleratorName",
    "AcceleratorCount",
    "GpuInfo",
    "Region",
    "AvailabilityZone",
    "Price",
    "SpotPrice",
];

/// GPU models attachable to N1 hosts.
const ATTACHABLE: [&str; 5] = ["T4", "V100", "P100", "P4", "K80"];

/// The accelerator row (SkyPilot name, count) priced into GPU type `name`, and the GPU kind
/// written into the catalog; `None` for types without built-in GPUs.
pub(super) fn builtin_gpus(name: &str) -> Option<(&'static str, u32, &'static str)> {
    let count_g = |rest: &str| rest.strip_suffix('g').and_then(|n| n.parse::<u32>().ok());
    if let Some(rest) = name.strip_prefix("a2-highgpu-") {
        return count_g(rest).map(|n| ("A100", n, "A100"));
    }
    if name == "a2-megagpu-16g" {
        return Some(("A100", 16, "A100"));
    }
    if let Some(rest) = name.strip_prefix("a2-ultragpu-") {
        return count_g(rest).map(|n| ("A100-80GB", n, "A100-80GB"));
    }
    if let Some(rest) = name.strip_prefix("a3-highgpu-") {
        return count_g(rest).map(|n| ("H100", n, "H100"));
    }
    match name {
        "a3-megagpu-8g" => return Some(("H100-MEGA", 8, "H100")),
        "a3-ultragpu-8g" | "a3-ultragpu-8g-nolssd" => return Some(("H200", 8, "H200")),
        "a4-highgpu-8g" => return Some(("B200", 8, "B200")),
        _ => {}
    }
    let l4 = match name.strip_prefix("g2-standard-")?.parse::<u32>().ok()? {
        4 | 8 | 12 | 16 | 32 => 1,
        24 => 2,
        48 => 4,
        96 => 8,
        _ => return None,
    };
    Some(("L4", l4, "L4"))
}

/// Whether `name` belongs to a family whose GPUs are built in (so a missing map entry is a
/// skip, not a CPU type).
fn gpu_family(name: &str) -> bool {
    ["a2-", "a3-", "a4-", "g2-"].iter().any(|p| name.starts_with(p))
}

struct Accel {
    line: u64,
    on_demand: f64,
    spot: Option<f64>,
    used: bool,
}

struct VmRow {
    line: u64,
    name: String,
    vcpus: f64,
    memory_gib: f64,
    region: String,
    zone: String,
    on_demand: f64,
    spot: Option<f64>,
}

fn field(record: &csv::StringRecord, ix: usize) -> &str {
    record.get(ix).unwrap_or("")
}

fn optional_price(name: &str, raw: &str) -> Result<Option<f64>, Malformed> {
    if raw.trim().is_empty() { Ok(None) } else { price(name, raw).map(Some) }
}

/// Reads the CSV text into `b`.
pub(super) fn read(text: &str, b: &mut Builder<'_>) -> Result<(), ImportError> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().cloned().map_err(|e| ImportError::Structure {
        path: b.input.to_owned(),
        what: "header".into(),
        expected: format!("a CSV header ({e})"),
        hint: "is this a SkyPilot gcp/vms.csv?",
    })?;
    let mut ix = [0usize; 10];
    for (slot, name) in ix.iter_mut().zip(COLUMNS) {
        *slot = headers.iter().position(|h| h == name).ok_or_else(|| ImportError::Structure {
            path: b.input.to_owned(),
            what: format!("header has no column {name:?}"),
            expected: format!("the columns {}", COLUMNS.join(",")),
            hint: "is this a SkyPilot gcp/vms.csv (catalog schema v7)?",
        })?;
    }
    let [c_type, c_vcpus, c_mem, c_acc, c_count, _, c_region, c_zone, c_price, c_spot] = ix;

    let mut accels: BTreeMap<(String, String, u32), Accel> = BTreeMap::new();
    let mut vms = Vec::new();
    for record in reader.records() {
        let Some((record, line)) = b.csv_record(record)? else { continue };
        if record.len() != COLUMNS.len() {
            b.malformed(
                line,
                Malformed {
                    field: "row".into(),
                    expected: "10 comma-separated fields",
                    found: format!("{} fields", record.len()),
                },
            )?;
            continue;
        }
        let name = field(&record, c_type).trim();
        let region = field(&record, c_region).trim().to_owned();
        let zone = field(&record, c_zone).trim().to_owned();
        if region.is_empty() || zone.is_empty() {
            let which = if region.is_empty() { "Region" } else { "AvailabilityZone" };
            b.malformed(
                line,
                Malformed { field: which.into(), expected: "a name", found: String::new() },
            )?;
            continue;
        }
        let prices = price("Price", field(&record, c_price))
            .and_then(|p| optional_price("SpotPrice", field(&record, c_spot)).map(|s| (p, s)));
        let (on_demand, spot) = match prices {
            Ok(v) => v,
            Err(m) => {
                b.malformed(line, m)?;
                continue;
            }
        };
        if name.is_empty() {
            let acc = field(&record, c_acc).trim().to_owned();
            let count = field(&record, c_count).trim();
            let Some(count) =
                count.parse::<f64>().ok().filter(|c| c.fract() == 0.0 && *c >= 1.0 && *c <= 1e6)
            else {
                b.malformed(
                    line,
                    Malformed {
                        field: "AcceleratorCount".into(),
                        expected: "a whole number of at least 1 on an accelerator row",
                        found: count.to_owned(),
                    },
                )?;
                continue;
            };
            if acc.is_empty() {
                b.malformed(
                    line,
                    Malformed {
                        field: "AcceleratorName".into(),
                        expected: "a name on a row with an empty InstanceType",
                        found: String::new(),
                    },
                )?;
                continue;
            }
            let key = (zone, acc.clone(), count as u32);
            if accels.contains_key(&key) {
                b.report.skip("duplicate accelerator row (zone, name, count)", line);
                continue;
            }
            accels.insert(key, Accel { line, on_demand, spot, used: false });
            continue;
        }
        let vcpus = number("vCPUs", field(&record, c_vcpus));
        let memory = number("MemoryGiB", field(&record, c_mem));
        let (vcpus, memory_gib) = match (vcpus, memory) {
            (Ok(v), Ok(m)) => (v, m),
            (Err(m), _) | (_, Err(m)) => {
                b.malformed(line, m)?;
                continue;
            }
        };
        vms.push(VmRow {
            line,
            name: name.to_owned(),
            vcpus,
            memory_gib,
            region,
            zone,
            on_demand,
            spot,
        });
    }

    // Per (region, type): the cheapest zone's prices; the rows that went in.
    let mut best: BTreeMap<(String, String), (f64, Option<f64>, u64)> = BTreeMap::new();
    for vm in vms {
        let gpus = builtin_gpus(&vm.name);
        if gpus.is_none() && gpu_family(&vm.name) {
            b.report.skip("GPU host type without a known accelerator mapping", vm.line);
            continue;
        }
        if vm.vcpus.fract() != 0.0 || vm.vcpus < 1.0 {
            b.report.skip("shared-core type (fractional vCPUs)", vm.line);
            continue;
        }
        let gpu_count = gpus.map_or(0, |(_, n, _)| n);
        if let Some(reason) = b.filtered(&vm.region, &vm.name, gpu_count) {
            b.report.skip(reason, vm.line);
            continue;
        }
        let (mut on_demand, mut spot) = (vm.on_demand, vm.spot);
        if let Some((acc, n, _)) = gpus {
            let Some(a) = accels.get_mut(&(vm.zone.clone(), acc.to_owned(), n)) else {
                b.report.skip("GPU host zone without a matching accelerator row", vm.line);
                continue;
            };
            a.used = true;
            on_demand += a.on_demand;
            spot = spot.zip(a.spot).map(|(h, g)| h + g);
            if vm.spot.is_some() && a.spot.is_none() {
                b.report.note("GPU type without spot in a zone (accelerator row has none)", 1);
            }
        }
        b.report.rows_used += 1;
        b.add_type(InstanceType {
            cloud: b.cloud,
            name: vm.name.clone(),
            vcpus: vm.vcpus as u32,
            memory_mib: gib_to_mib(vm.memory_gib),
            gpus: gpu_count,
            gpu_kind: gpus.map(|(_, _, kind)| kind.to_owned()),
        });
        let entry = best.entry((vm.region, vm.name)).or_insert((f64::INFINITY, None, 0));
        entry.0 = entry.0.min(on_demand);
        entry.1 = match (entry.1, spot) {
            (Some(a), Some(s)) => Some(a.min(s)),
            (a, s) => a.or(s),
        };
        entry.2 += 1;
    }
    for ((_, acc, _), a) in &accels {
        if a.used {
            b.report.rows_used += 1;
            continue;
        }
        let reason = if acc.starts_with("tpu-") {
            "TPU row (TPUs are not VM types)"
        } else if ATTACHABLE.contains(&acc.as_str()) {
            "attachable GPU for N1 hosts (not combined)"
        } else {
            "accelerator row used by no kept GPU type"
        };
        b.report.skip(reason, a.line);
    }
    // Accelerator rows were skipped in (zone, name) order; keep first_lines sorted.
    for s in b.report.skipped.values_mut() {
        s.first_lines.sort_unstable();
    }
    let mut folded = 0;
    for ((region, name), (on_demand, spot, rows)) in best {
        folded += rows - 1;
        b.offers.insert(
            (region.clone(), name.clone()),
            Offer {
                cloud: b.cloud,
                region,
                instance_type: name,
                on_demand_usd_per_hour: round_usd(on_demand),
                spot: spot.map(|s| SpotOffer { usd_per_hour: round_usd(s), band: None }),
                discounted_usd_per_hour: BTreeMap::new(),
            },
        );
    }
    b.report.note("zone rows folded into a region offer (cheapest zone kept)", folded);
    b.sources.push(
        "GitHub anycloud-sh/catalog gcp/vms.csv, commit 62ff0a987e0c257a89235415d2877812fb1aaf29 \
         (2026-05-20; SkyPilot catalog schema v7, from the GCP Cloud Billing SKUs)"
            .into(),
    );
    b.notes.push(
        "GCP: offer = cheapest zone of the region; GPU types (A2/A3/A4/G2) = host row + the \
         accelerator row of the same zone; N1 attachable GPUs and TPUs not imported"
            .into(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use engine::cloud::Cloud;

    use super::super::{Format, ImportOptions, aws::Extras, import_text};
    use super::*;

    const HEAD: &str = "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,\
                        Region,AvailabilityZone,Price,SpotPrice\n";

    fn run(
        body: &str,
        options: &ImportOptions,
    ) -> Result<(engine::cloud::Catalog, super::super::ImportReport), ImportError> {
        import_text(
            Path::new("vms_2026-05-20.csv"),
            &format!("{HEAD}{body}"),
            options,
            &Extras::default(),
        )
    }

    const SNIPPET: &str = "\
n2-standard-4,4.0,16.0,,,,us-central1,us-central1-a,0.194236,0.0776
n2-standard-4,4.0,16.0,,,,us-central1,us-central1-b,0.19,0.08
a2-highgpu-1g,12.0,85.0,,,,us-central1,us-central1-a,0.73948,0.36975
,,,A100,1,{'Gpus': [{'MemoryInfo': {'SizeInMiB': 40960}}]},us-central1,us-central1-a,2.93391,1.4341
,,,T4,1,{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}]},us-central1,us-central1-a,0.35,0.1654
,,,tpu-v3-8,1,tpu-v3-8,us-central1,us-central1-a,8.0,2.04
e2-micro,0.25,1.0,,,,us-central1,us-central1-a,0.008,0.002
n2-standard-8,8.0,32.0,,,,us-central1,us-central1-a,abc,0.1
";

    #[test]
    fn zones_fold_and_gpu_types_add_their_accelerator_row() {
        let (catalog, report) =
            run(SNIPPET, &ImportOptions::new(Format::GcpSkypilot)).expect("imports");
        let r = catalog.find_region(Cloud::Gcp, "us-central1").expect("region");
        let n2 = catalog.offer(
            catalog.find_offer(r, catalog.find_type(Cloud::Gcp, "n2-standard-4").unwrap()).unwrap(),
        );
        // Cheapest zone: min(0.194236, 0.19) on demand, min(0.0776, 0.08) spot.
        assert_eq!(n2.on_demand_usd_per_hour, 0.19);
        assert_eq!(n2.spot.unwrap().usd_per_hour, 0.0776);
        let a2t = catalog.find_type(Cloud::Gcp, "a2-highgpu-1g").unwrap();
        let a2 = catalog.offer(catalog.find_offer(r, a2t).unwrap());
        // 0.73948 + 2.93391 = 3.67339; spot 0.36975 + 1.4341 = 1.80385.
        assert_eq!(a2.on_demand_usd_per_hour, 3.67339);
        assert_eq!(a2.spot.unwrap().usd_per_hour, 1.80385);
        let t = catalog.instance_type(a2t);
        assert_eq!((t.gpus, t.gpu_kind.as_deref(), t.memory_mib), (1, Some("A100"), 85 * 1024));

        assert_eq!(report.rows_read, 8);
        assert_eq!(report.rows_used, 4, "two n2 zones, the a2 host and its A100 row");
        assert_eq!(report.rows_read, report.rows_used + report.rows_skipped());
        assert_eq!(report.skipped["attachable GPU for N1 hosts (not combined)"].first_lines, [6]);
        assert_eq!(report.skipped["TPU row (TPUs are not VM types)"].rows, 1);
        assert_eq!(report.skipped["shared-core type (fractional vCPUs)"].first_lines, [8]);
        let malformed =
            report.skipped.keys().find(|k| k.starts_with("malformed: Price")).expect("counted");
        assert_eq!(report.skipped[malformed].first_lines, [9]);
        assert_eq!(report.notes["zone rows folded into a region offer (cheapest zone kept)"], 1);
        assert_eq!(report.offers_kept, 2);
    }

    #[test]
    fn strict_mode_names_line_and_field() {
        let mut options = ImportOptions::new(Format::GcpSkypilot);
        options.strict = true;
        let err = run(SNIPPET, &options).unwrap_err().to_string();
        assert!(
            err.contains("line 9") && err.contains("field Price") && err.contains("\"abc\""),
            "{err}"
        );
    }

    #[test]
    fn filters_are_counted() {
        let mut options = ImportOptions::new(Format::GcpSkypilot);
        options.gpu = super::super::GpuFilter::GpuOnly;
        let (catalog, report) = run(SNIPPET, &options).expect("imports");
        assert_eq!(catalog.offers().len(), 1);
        assert_eq!(report.skipped["filtered: CPU type (--gpu-only)"].rows, 2);
        assert_eq!(report.rows_read, report.rows_used + report.rows_skipped());
    }

    #[test]
    fn missing_columns_are_errors() {
        let err = import_text(
            Path::new("x.csv"),
            "InstanceType,vCPUs\nn2,4\n",
            &ImportOptions::new(Format::GcpSkypilot),
            &Extras::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("x.csv") && err.contains("MemoryGiB"), "{err}");
    }

    #[test]
    fn gpu_map() {
        assert_eq!(builtin_gpus("a2-ultragpu-8g"), Some(("A100-80GB", 8, "A100-80GB")));
        assert_eq!(builtin_gpus("g2-standard-48"), Some(("L4", 4, "L4")));
        assert_eq!(builtin_gpus("n1-standard-8"), None);
        assert_eq!(builtin_gpus("a3-edgegpu-8g"), None);
    }
}
