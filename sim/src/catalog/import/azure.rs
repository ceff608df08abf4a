//! SkyPilot's Azure `vms.csv` (catalog schema v7): one row per (VM size, region).
//!
//! Columns: `InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,
//! SpotPrice,Region,Generation`.
//!
//! **The unquoted `V1,V2`.** About half the rows write the `Generation` value `V1,V2` without
//! quotes, so they have 11 fields. `Generation` is the last column, so the row is unambiguous:
//! fields 10 and after are joined back into the generation, and the row is kept. These repairs
//! are counted (`repaired: unquoted Generation "V1,V2" (fields 10+ joined)`), not skipped: the
//! prices in them are sound. Rows with any other field count, or a bad value, are malformed:
//! skipped and counted by field with their first line numbers (or an error with `--strict`).
//!
//! Other rules: a size with a fractional GPU count (`Standard_NV12ads_A10_v5` has 0.333 of an
//! A10) cannot be a whole-GPU [`InstanceType`] and is skipped and counted; a zero on-demand
//! price means "not sold" and is skipped; an empty `SpotPrice` means no spot; a repeated
//! (size, region) row is skipped as a duplicate (the first is kept).

use std::collections::BTreeMap;

use engine::cloud::{InstanceType, Offer, SpotOffer};

use super::{Builder, ImportError, Malformed, gib_to_mib, number, price};

const COLUMNS: [&str; 10] = [
    "InstanceType",
    "AcceleratorName",
    "AcceleratorCount",
    "vCPUs",
    "MemoryGiB",
    "GpuInfo",
    "Price",
    "SpotPrice",
    "Region",
    "Generation",
];

/// Reads the CSV text into `b`.
pub(super) fn read(text: &str, b: &mut Builder<'_>) -> Result<(), ImportError> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().cloned().map_err(|e| ImportError::Structure {
        path: b.input.to_owned(),
        what: "header".into(),
        expected: format!("a CSV header ({e})"),
        hint: "is this a SkyPilot azure/vms.csv?",
    })?;
    let found: Vec<&str> = headers.iter().collect();
    if found != COLUMNS {
        return Err(ImportError::Structure {
            path: b.input.to_owned(),
            what: format!("header {:?}", found.join(",")),
            expected: format!("the columns {} in this order", COLUMNS.join(",")),
            hint: "is this a SkyPilot azure/vms.csv (catalog schema v7)?",
        });
    }
    let mut repaired = 0;
    for record in reader.records() {
        let Some((record, line)) = b.csv_record(record)? else { continue };
        match record.len() {
            10 => {}
            11 if record.get(9) == Some("V1") && record.get(10) == Some("V2") => repaired += 1,
            n => {
                b.malformed(
                    line,
                    Malformed {
                        field: "row".into(),
                        expected: "10 fields (or 11 when Generation is an unquoted V1,V2)",
                        found: format!("{n} fields"),
                    },
                )?;
                continue;
            }
        }
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        match parse_row(&get) {
            Ok(row) => add(b, line, row),
            Err(m) => b.malformed(line, m)?,
        }
    }
    b.report.note("repaired: unquoted Generation \"V1,V2\" (fields 10+ joined)", repaired);
    b.sources.push(
        "GitHub anycloud-sh/catalog azure/vms.csv, commit \
         62ff0a987e0c257a89235415d2877812fb1aaf29 (2026-05-20; SkyPilot catalog schema v7, from \
         the Azure Retail Prices API)"
            .into(),
    );
    b.notes.push(
        "Azure: one row per (size, region); fractional-GPU sizes not imported; rows with an \
         unquoted V1,V2 generation repaired"
            .into(),
    );
    Ok(())
}

struct Row {
    name: String,
    gpu_kind: Option<String>,
    gpus: f64,
    vcpus: f64,
    memory_gib: f64,
    on_demand: f64,
    spot: Option<f64>,
    region: String,
}

fn parse_row<'r>(get: &impl Fn(usize) -> &'r str) -> Result<Row, Malformed> {
    let name = get(0);
    if name.is_empty() {
        return Err(Malformed {
            field: "InstanceType".into(),
            expected: "a VM size name",
            found: String::new(),
        });
    }
    let region = get(8);
    if region.is_empty() {
        return Err(Malformed {
            field: "Region".into(),
            expected: "a region name",
            found: String::new(),
        });
    }
    let gpus = if get(2).is_empty() { 0.0 } else { number("AcceleratorCount", get(2))? };
    let gpu_kind = (!get(1).is_empty()).then(|| get(1).to_owned());
    if gpus > 0.0 && gpu_kind.is_none() {
        return Err(Malformed {
            field: "AcceleratorName".into(),
            expected: "a GPU model when AcceleratorCount is set",
            found: String::new(),
        });
    }
    let spot = if get(7).is_empty() { None } else { Some(price("SpotPrice", get(7))?) };
    Ok(Row {
        name: name.to_owned(),
        gpu_kind,
        gpus,
        vcpus: number("vCPUs", get(3))?,
        memory_gib: number("MemoryGiB", get(4))?,
        on_demand: price("Price", get(6))?,
        spot,
        region: region.to_owned(),
    })
}

fn add(b: &mut Builder<'_>, line: u64, row: Row) {
    if row.gpus.fract() != 0.0 {
        b.report.skip("fractional GPU count (partial-GPU size)", line);
        return;
    }
    if row.vcpus.fract() != 0.0 || row.vcpus < 1.0 {
        b.report.skip("fractional or zero vCPUs", line);
        return;
    }
    let gpus = row.gpus as u32;
    if let Some(reason) = b.filtered(&row.region, &row.name, gpus) {
        b.report.skip(reason, line);
        return;
    }
    if row.on_demand <= 0.0 {
        b.report.skip("zero on-demand price (not sold)", line);
        return;
    }
    let key = (row.region.clone(), row.name.clone());
    if b.offers.contains_key(&key) {
        b.report.skip("duplicate (size, region) row (first kept)", line);
        return;
    }
    if row.spot.is_none() {
        b.report.note("offers without a spot price", 1);
    }
    b.report.rows_used += 1;
    b.add_type(InstanceType {
        cloud: b.cloud,
        name: row.name.clone(),
        vcpus: row.vcpus as u32,
        memory_mib: gib_to_mib(row.memory_gib),
        gpus,
        gpu_kind: if gpus > 0 { row.gpu_kind } else { None },
    });
    b.offers.insert(
        key,
        Offer {
            cloud: b.cloud,
            region: row.region,
            instance_type: row.name,
            on_demand_usd_per_hour: row.on_demand,
            spot: row.spot.map(|s| SpotOffer { usd_per_hour: s, band: None }),
            discounted_usd_per_hour: BTreeMap::new(),
        },
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use engine::cloud::Cloud;

    use super::super::{Format, ImportOptions, aws::Extras, import_text};
    use super::*;

    const HEAD: &str = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,Generation\n";

    const SNIPPET: &str = "\
Standard_D4s_v5,,,4,16,,0.192,0.040723,eastus,V1,V2
Standard_NC4as_T4_v3,T4,1,4,28,T4,0.526,0.204246,eastus,V1,V2
Standard_ND96asr_v4,A100,8,96,900,A100,27.197,5.98334,eastus,V2
Standard_NV12ads_A10_v5,A10,0.333,12,110,A10,1.317,0.243382,eastus,V1,V2
Standard_D8s_v5,,,8,32,,0.384,,eastus,V1,V2,extra
Standard_D16s_v5,,,sixteen,64,,0.768,0.16,eastus,V1
Standard_D4s_v5,,,4,16,,0.2,0.05,eastus,V1
Standard_A1_v2,,,1,2,,0.05,,westus2,V1
";

    fn run(
        options: &ImportOptions,
    ) -> Result<(engine::cloud::Catalog, super::super::ImportReport), ImportError> {
        import_text(
            Path::new("azure_2026-05-20.csv"),
            &format!("{HEAD}{SNIPPET}"),
            options,
            &Extras::default(),
        )
    }

    #[test]
    fn repairs_unquoted_generation_and_counts_malformed_rows() {
        let (catalog, report) = run(&ImportOptions::new(Format::AzureSkypilot)).expect("imports");
        assert_eq!(report.rows_read, 8);
        assert_eq!(report.rows_used, 4);
        assert_eq!(report.rows_read, report.rows_used + report.rows_skipped());
        assert_eq!(report.notes["repaired: unquoted Generation \"V1,V2\" (fields 10+ joined)"], 3);
        let row =
            report.skipped.keys().find(|k| k.starts_with("malformed: row")).expect("12 fields");
        assert_eq!(report.skipped[row].first_lines, [6]);
        let vcpus =
            report.skipped.keys().find(|k| k.starts_with("malformed: vCPUs")).expect("bad vCPUs");
        assert_eq!(report.skipped[vcpus].first_lines, [7]);
        assert_eq!(report.skipped["fractional GPU count (partial-GPU size)"].first_lines, [5]);
        assert_eq!(report.skipped["duplicate (size, region) row (first kept)"].first_lines, [8]);
        let r = catalog.find_region(Cloud::Azure, "eastus").unwrap();
        let t = catalog.find_type(Cloud::Azure, "Standard_ND96asr_v4").unwrap();
        let o = catalog.offer(catalog.find_offer(r, t).unwrap());
        assert_eq!((o.on_demand_usd_per_hour, o.spot.unwrap().usd_per_hour), (27.197, 5.98334));
        assert_eq!(catalog.instance_type(t).gpu_kind.as_deref(), Some("A100"));
        let t = catalog.find_type(Cloud::Azure, "Standard_A1_v2").unwrap();
        let w = catalog.find_region(Cloud::Azure, "westus2").unwrap();
        assert!(catalog.offer(catalog.find_offer(w, t).unwrap()).spot.is_none());
    }

    #[test]
    fn strict_mode_names_line_and_field() {
        let mut options = ImportOptions::new(Format::AzureSkypilot);
        options.strict = true;
        let err = run(&options).unwrap_err().to_string();
        assert!(
            err.contains("azure_2026-05-20.csv")
                && err.contains("line 6")
                && err.contains("field row"),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_header_is_an_error() {
        let err = import_text(
            Path::new("a.csv"),
            "InstanceType,Price\nx,1\n",
            &ImportOptions::new(Format::AzureSkypilot),
            &Extras::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("a.csv") && err.contains("Generation"), "{err}");
    }
}
